package main

import (
	"context"
	"crypto/rand"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"time"

	"mashang/configs"
	"mashang/wechat/wechattest"
)

// simulate plays a citizen's WeChat against a running server: it checks the
// server URL as WeChat does when an administrator saves it, then scans a code
// and writes in (text, photo, location), each push signed (and in safe mode
// encrypted) exactly as WeChat would, and prints each decrypted answer.
func simulate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("url", callbackURL(getenv("MASHANG_HTTP_ADDR")), "the server's WeChat callback URL (default: where serve listens, MASHANG_HTTP_ADDR)")
	token := fs.String("token", configs.SandboxToken, "the Token of the server configuration")
	aesKey := fs.String("aes-key", configs.SandboxAESKey, "the EncodingAESKey")
	appID := fs.String("appid", configs.SandboxAppID, "the Official Account's AppID")
	account := fs.String("account", "gh_sandbox0001", "the Official Account's original id (ToUserName)")
	modeName := fs.String("mode", "safe", "message mode: plain, compatible or safe")
	openid := fs.String("openid", "", "the citizen's openid (default: a new one each run)")
	scene := fs.String("scene", "st:demo-bdg", "the code scanned: st:<station> or dp:<deputy>")
	text := fs.String("text", "小区门口的路灯坏了一个多月，晚上出行很不安全，希望尽快修复。", "what the citizen writes")
	follower := fs.Bool("follower", false, "the citizen already follows the account (a SCAN event instead of subscribe)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	mode, err := wechattest.ParseMode(*modeName)
	if err != nil {
		return err
	}
	if *openid == "" {
		*openid = newOpenID()
	}
	signer := wechattest.CallbackSigner{URL: *target, Token: *token, AESKey: *aesKey, AppID: *appID, Mode: mode}
	client := &http.Client{Timeout: 10 * time.Second}

	// WeChat's URL check first: it tells a wrong Token apart from everything else.
	echo := "mashang" + newOpenID()[:8]
	req, err := signer.VerifyURLRequest(echo)
	if err != nil {
		return err
	}
	status, body, err := send(ctx, client, req)
	if err != nil {
		return fmt.Errorf("cannot reach %s: %w (is `mashang serve --sandbox` running?)", *target, err)
	}
	if status == http.StatusForbidden { // the server says why in a word; what to check is ours to say
		return fmt.Errorf("URL check failed: HTTP %d %s: is --token the server's MASHANG_WECHAT_TOKEN, and are both clocks right?",
			status, strings.TrimSpace(string(body)))
	}
	if status != http.StatusOK || string(body) != echo {
		return fmt.Errorf("URL check failed: HTTP %d %s", status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(stdout, "✓ URL check: the server echoed echostr (%s mode, openid %s)\n\n", mode, *openid)

	now := time.Now()
	scan := wechattest.SubscribeByScan(*account, *openid, *scene, now)
	scanLabel := "follows by scanning " + *scene
	if *follower {
		scan = wechattest.Scan(*account, *openid, *scene, now)
		scanLabel = "scans " + *scene
	}
	msgID := now.UnixNano()
	steps := []struct {
		label string
		push  wechattest.Push
	}{
		{scanLabel, scan},
		{"writes: " + *text, wechattest.Text(*account, *openid, msgID+1, *text, now.Add(time.Second))},
		{"sends a photo", wechattest.Image(*account, *openid, msgID+2, "sandbox-photo-"+*openid, now.Add(2*time.Second))},
		{"sends a location", wechattest.Location(*account, *openid, msgID+3, 36.0566, 120.3468, "青岛市市南区八大关", now.Add(3*time.Second))},
	}
	for _, step := range steps {
		req, err := signer.PushRequest(step.push.XML())
		if err != nil {
			return err
		}
		status, body, err := send(ctx, client, req)
		if err != nil {
			return fmt.Errorf("%s: %w", step.label, err)
		}
		if status != http.StatusOK {
			return fmt.Errorf("%s: HTTP %d %s", step.label, status, strings.TrimSpace(string(body)))
		}
		reply, err := signer.OpenReply(body)
		if err != nil {
			return fmt.Errorf("%s: reading the answer: %w", step.label, err)
		}
		fmt.Fprintf(stdout, "→ citizen %s\n", step.label)
		fmt.Fprintf(stdout, "← %s\n\n", describeReply(reply))
	}
	return nil
}

func send(ctx context.Context, client *http.Client, req *http.Request) (int, []byte, error) {
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}

// describeReply shows a decrypted answer as the citizen would see it.
func describeReply(reply []byte) string {
	if reply == nil {
		return "(no reply: the server answered success)"
	}
	var m struct {
		MsgType string `xml:"MsgType"`
		Content string `xml:"Content"`
	}
	if err := xml.Unmarshal(reply, &m); err != nil || m.MsgType != "text" {
		return string(reply)
	}
	return "reply: " + strings.ReplaceAll(m.Content, "\n", "\n  ")
}

// newOpenID makes an openid-shaped id (28 characters, as WeChat's are).
func newOpenID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := []byte("oSIM")
	for len(b) < 28 {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b = append(b, alphabet[n.Int64()])
	}
	return string(b)
}

// callbackURL is the callback of a server listening at addr (serve's
// MASHANG_HTTP_ADDR, default 127.0.0.1:8080); a wildcard host is reached
// on the loopback.
func callbackURL(addr string) string {
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/wechat/callback"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/wechat/callback"
}
