// Command sdkpeer is the benchmark's peer: the Official Account server that
// the SDK's README shows (wechat.NewWechat, GetOfficialAccount, GetServer,
// Serve, Send), under gin, answering every text with a passive text reply.
// It is not part of the service; it exists so `mashang-bench` can compare
// against what a team would start from, in two forms:
//
//   - -store none (the default): the bare server, storing nothing. It is the
//     limit: the work no server can avoid (HTTP, signature, AES, XML).
//   - -store sqlite or -store mysql: the durable server, the obvious way to
//     do the job durably — the same server plus one INSERT per message
//     before the passive reply, so it is on disk when WeChat is answered,
//     and a retry's MsgId is refused by the key. SQLite: synchronous=FULL on
//     one connection; MySQL: autocommit and a pool of 32.
//
// It imports the SDK's root package because the README does; that package
// sets logrus to Debug on stdout, which the benchmark sends to /dev/null.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	_ "github.com/go-sql-driver/mysql" // registers "mysql"
	"github.com/silenceper/wechat/v2"
	"github.com/silenceper/wechat/v2/cache"
	offConfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	_ "modernc.org/sqlite" // registers "sqlite"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	appID := flag.String("appid", "", "AppID")
	token := flag.String("token", "", "Token")
	aesKey := flag.String("aes-key", "", "EncodingAESKey")
	store := flag.String("store", "none", "none (bare: store nothing), sqlite or mysql (one INSERT per message before the reply)")
	dsn := flag.String("dsn", "", "with -store sqlite: the file; with -store mysql: the DSN")
	flag.Parse()

	insert, err := openStore(*store, *dsn)
	if err != nil {
		log.Fatal(err)
	}

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
		var stored error
		server.SetMessageHandler(func(msg *message.MixMessage) *message.Reply {
			if insert != nil {
				// Stored before answering: WeChat is told only what is on disk.
				if stored = insert(msg); stored != nil {
					return nil
				}
			}
			text := message.NewText(msg.Content)
			return &message.Reply{MsgType: message.MsgTypeText, MsgData: text}
		})
		if err := server.Serve(); err != nil {
			fmt.Println(err)
			return
		}
		if stored != nil {
			// Not stored: no answer, so WeChat retries.
			c.String(http.StatusInternalServerError, "not stored")
			return
		}
		_ = server.Send()
	})
	log.Fatal(http.ListenAndServe(*addr, r))
}

// openStore opens the durable peer's table and returns its one INSERT per
// message; nil for the bare server.
func openStore(kind, dsn string) (func(*message.MixMessage) error, error) {
	var db *sql.DB
	var err error
	var insert string
	switch kind {
	case "none":
		return nil, nil
	case "sqlite":
		if db, err = sql.Open("sqlite", dsn); err != nil {
			return nil, err
		}
		// One connection, each INSERT its own transaction, fsynced before
		// it returns.
		db.SetMaxOpenConns(1)
		for _, pragma := range []string{"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=10000"} {
			if _, err := db.Exec(pragma); err != nil {
				return nil, fmt.Errorf("%s: %w", pragma, err)
			}
		}
		insert = `INSERT OR IGNORE INTO messages (msg_id, openid, msg_type, content, created_at) VALUES (?, ?, ?, ?, ?)`
	case "mysql":
		if db, err = sql.Open("mysql", dsn); err != nil {
			return nil, err
		}
		// Autocommit: each INSERT commits (and, with the server's
		// innodb_flush_log_at_trx_commit=1, is on disk) before it returns.
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(32)
		db.SetConnMaxLifetime(30 * time.Minute)
		insert = `INSERT IGNORE INTO messages (msg_id, openid, msg_type, content, created_at) VALUES (?, ?, ?, ?, ?)`
	default:
		return nil, fmt.Errorf("-store %q: use none, sqlite or mysql", kind)
	}
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS messages (
		msg_id BIGINT NOT NULL PRIMARY KEY,
		openid VARCHAR(64) NOT NULL,
		msg_type VARCHAR(32) NOT NULL,
		content TEXT NOT NULL,
		created_at BIGINT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("create the messages table: %w", err)
	}
	return func(msg *message.MixMessage) error {
		// A retry's MsgId is already there: ignored, and answered again.
		_, err := db.Exec(insert, msg.MsgID, string(msg.FromUserName), string(msg.MsgType), msg.Content, msg.CreateTime)
		return err
	}, nil
}
