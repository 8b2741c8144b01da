// Command sdkpeer is the benchmark's peer: the bare Official Account server
// that the SDK's README shows (wechat.NewWechat, GetOfficialAccount,
// GetServer, Serve, Send), under gin, answering every text with a passive
// text reply and storing nothing. It is not part of the service; it exists
// so `mashang-bench` can compare against what a team would start from.
//
// It imports the SDK's root package because the README does; that package
// sets logrus to Debug on stdout, which the benchmark sends to /dev/null.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/silenceper/wechat/v2"
	"github.com/silenceper/wechat/v2/cache"
	offConfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	appID := flag.String("appid", "", "AppID")
	token := flag.String("token", "", "Token")
	aesKey := flag.String("aes-key", "", "EncodingAESKey")
	flag.Parse()

	// From the SDK's README, 快速开始.
	wc := wechat.NewWechat()
	memory := cache.NewMemory()
	cfg := &offConfig.Config{
		AppID:          *appID,
		AppSecret:      "unused",
		Token:          *token,
		EncodingAESKey: *aesKey,
		Cache:          memory,
	}
	officialAccount := wc.GetOfficialAccount(cfg)

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Any("/wechat/callback", func(c *gin.Context) {
		server := officialAccount.GetServer(c.Request, c.Writer)
		server.SetMessageHandler(func(msg *message.MixMessage) *message.Reply {
			text := message.NewText(msg.Content)
			return &message.Reply{MsgType: message.MsgTypeText, MsgData: text}
		})
		if err := server.Serve(); err != nil {
			fmt.Println(err)
			return
		}
		_ = server.Send()
	})
	log.Fatal(http.ListenAndServe(*addr, r))
}
