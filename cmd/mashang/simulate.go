package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
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
	server := serverURL(getenv)
	if len(args) > 0 && args[0] == "mp" {
		return simulateMP(ctx, args[1:], server, stdout, stderr)
	}
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("url", server+"/wechat/callback", "the server's WeChat callback URL")
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
		{"sends a photo", wechattest.Image(*account, *openid, msgID+2, fmt.Sprintf("sandbox-photo-%d", msgID), now.Add(2*time.Second))},
		{"sends a voice message", wechattest.Voice(*account, *openid, msgID+3, fmt.Sprintf("sandbox-voice-%d", msgID),
			"路灯在小区东门，晚上八点以后最暗。", now.Add(3*time.Second))},
		{"sends a location", wechattest.Location(*account, *openid, msgID+4, 36.0566, 120.3468, "青岛市市南区八大关", now.Add(4*time.Second))},
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

// simulateMP plays wx.login in the sandbox: the sandbox's fake WeChat
// hands out the citizen's login code (POST /sandbox/mp/code), which is
// traded at POST /mp/login for the session token every signed-in /mp/
// route takes, exactly as the Mini Program does.
func simulateMP(ctx context.Context, args []string, defaultServer string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulate mp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", defaultServer, "the sandbox server's base URL")
	positional, err := parseInterspersed(fs, args)
	if err != nil || len(positional) == 0 || positional[0] != "login" || len(positional) > 2 {
		fmt.Fprint(stderr, "usage: mashang simulate mp login [--server URL] [OPENID]\n")
		return errUsage
	}
	openid := newOpenID()
	if len(positional) == 2 {
		openid = positional[1]
	}
	base := strings.TrimRight(*server, "/")
	client := &http.Client{Timeout: 10 * time.Second}
	post := func(path, contentType string, body string, out any) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", contentType)
		status, answer, err := send(ctx, client, req)
		if err != nil {
			return fmt.Errorf("cannot reach %s: %w (is `mashang serve --sandbox` running?)", base, err)
		}
		if status == http.StatusNotFound && path == "/sandbox/mp/code" {
			return fmt.Errorf("%s is not a sandbox: login codes come from WeChat there (run `mashang serve --sandbox`)", base)
		}
		if status != http.StatusOK {
			return fmt.Errorf("POST %s: HTTP %d %s", path, status, strings.TrimSpace(string(answer)))
		}
		return json.Unmarshal(answer, out)
	}
	var code struct{ Code, OpenID string }
	if err := post("/sandbox/mp/code", "application/x-www-form-urlencoded", url.Values{"openid": {openid}}.Encode(), &code); err != nil {
		return err
	}
	var session struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
	}
	login, _ := json.Marshal(map[string]string{"code": code.Code})
	if err := post("/mp/login", "application/json", string(login), &session); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "✓ wx.login for openid %s gave the code %s\n", code.OpenID, code.Code)
	fmt.Fprintf(stdout, "✓ POST /mp/login answered a session until %s:\n%s\n\n", session.ExpiresAt, session.Token)
	fmt.Fprintf(stdout, "Try the signed-in routes with it, e.g.:\n  curl -H 'Authorization: Bearer %s' %s/mp/cases\n", session.Token, base)
	return nil
}

// serverURL is where `serve` listens by the same setting it reads,
// MASHANG_HTTP_ADDR (a bare :port is this machine).
func serverURL(getenv func(string) string) string {
	return strings.TrimSuffix(callbackURL(getenv("MASHANG_HTTP_ADDR")), "/wechat/callback")
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
