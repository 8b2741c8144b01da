package handlers_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"mashang"
	"mashang/app"
	"mashang/configs"
	"mashang/handlers"
	"mashang/roster"
	"mashang/store"
	"mashang/store/storetest"
	"mashang/wechat"
	"mashang/wechat/wechattest"
)

const (
	appID   = "wxtest0000000001"
	token   = "testtoken123"
	account = "gh_test00000001"
)

var aesKey = wechattest.NewAESKey()

const (
	// staffToken is the staff API token of the account apiStaff (an administrator).
	staffToken   = "test-staff-token-0123456789abcdef"
	apiStaff     = "apistaff"
	apiStaffName = "接口工作人员"
	mpAppID      = "wxmptest00000001"
)

var (
	testSessions = &mashang.Sessions{Secret: []byte("test-session-secret-0123456789abcdef")}
	testVaultKey = []byte("0123456789abcdef0123456789abcdef")
	testVault, _ = mashang.NewVault(testVaultKey)
)

// env is one running service: the real router on a real listener over a
// real store.
type env struct {
	srv     *httptest.Server
	handler http.Handler // the router app.New built, as served
	db      *store.DB
	driver  string // the database's, for storetest.RawSQL
	dsn     string
	signer  wechattest.CallbackSigner
	fake    *wechattest.Fake // the WeChat API, behind the outbox
	outbox  *mashang.Outbox
	clients *wechat.Clients // the SDK's clients, against the fake
	photos  *mashang.Photos
	// supervision's clock (Now) is the tests' to set.
	supervision *mashang.Supervision
	// ratings' clock (Now) too: it reminds citizens who have not rated.
	ratings  *mashang.Ratings
	mediaDir string // the media folder, when media is kept in one
	// files keeps media, as the fetcher writes it and the console reads it.
	files   mashang.MediaFiles
	fakeURL string // the fake WeChat, standing for api.weixin.qq.com and open.weixin.qq.com
	// receptions' and register's clocks too: book before a reception day,
	// register on it.
	receptions *mashang.Receptions
	register   *mashang.Register
	// suggestions' clock (Now) too: deadlines across a holiday.
	suggestions *mashang.Suggestions
}

type options struct {
	aesKey, previousAESKey string
	allowPlaintext         bool
	maxBody                int64
	citizenLimit           handlers.RateLimit
	// trustedProxies are believed about the client (X-Forwarded-For,
	// X-Forwarded-Proto): tests sign in from several addresses through them.
	trustedProxies []string
	// signInsPerMinute limits sign-in attempts per address (0: the default).
	signInsPerMinute int
	// replace puts other parts in place of the wired ones (app.Options.Replace).
	replace func(*handlers.Deps)
	// configure, when set, changes the configuration before the service is wired.
	configure func(*configs.Config)
}

func newEnv(t *testing.T, driver string, mode wechattest.Mode, opts options) *env {
	t.Helper()
	if opts.aesKey == "" && mode != wechattest.ModePlain {
		opts.aesKey = aesKey
	}
	if opts.citizenLimit.Burst == 0 {
		opts.citizenLimit = handlers.RateLimit{PerSecond: 1000, Burst: 1000} // on, out of the tests' way
	}
	if opts.maxBody == 0 {
		opts.maxBody = 64 << 10
	}
	fake, fakeSrv, base, err := wechattest.Start(wechattest.Config{Apps: testWeChatApps()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fakeSrv.Close() })
	cfg := testConfig(t, driver, base)
	cfg.WeChat.AESKey, cfg.WeChat.PreviousAESKey, cfg.WeChat.AllowPlaintext = opts.aesKey, opts.previousAESKey, opts.allowPlaintext
	cfg.HTTP.MaxBodyBytes = opts.maxBody
	cfg.HTTP.CitizenRate, cfg.HTTP.CitizenBurst = opts.citizenLimit.PerSecond, opts.citizenLimit.Burst
	cfg.HTTP.TrustedProxies = opts.trustedProxies
	cfg.HTTP.SignInsPerMinute = opts.signInsPerMinute
	if cfg.HTTP.SignInsPerMinute == 0 {
		cfg.HTTP.SignInsPerMinute = 1000 // on, out of the tests' way
	}
	// The listener's address is the service's public URL: WeChat's media
	// check downloads from it.
	srv := httptest.NewUnstartedServer(nil)
	cfg.HTTP.PublicURL = "http://" + srv.Listener.Addr().String()
	if opts.configure != nil {
		opts.configure(&cfg)
	}
	a := newApp(t, cfg, opts.replace)
	t.Cleanup(srv.Close) // before the database closes
	srv.Config.Handler = checkContract(t, a.Handler)
	srv.Start()
	a.Outbox.Backoff = time.Millisecond
	fake.SetMPPush(mpAppID, wechattest.PushTarget{URL: srv.URL + "/wechat/mp-callback", Token: mpPushToken, AESKey: mpPushAESKey})
	fake.SetOAuthDomain(appID, strings.TrimPrefix(srv.URL, "http://"))
	return &env{srv: srv, handler: a.Handler, db: a.DB, driver: driver, dsn: cfg.DB.DSN, fake: fake, clients: a.Clients, photos: a.Photos, supervision: a.Supervision,
		ratings: a.Ratings, mediaDir: cfg.MediaDir, files: a.Files, fakeURL: base, outbox: a.Outbox, receptions: a.Receptions, register: a.Register, suggestions: a.Suggestions,
		signer: wechattest.CallbackSigner{
			URL: srv.URL + "/wechat/callback", Token: token, AESKey: opts.aesKey, AppID: appID, Mode: mode,
		}}
}

// testConfig configures the service as a city would, on a database of its
// own, with WeChat's API (both the Official Account's and the Mini
// Program's) at wechatURL.
func testConfig(t testing.TB, driver, wechatURL string) configs.Config {
	t.Helper()
	cfg := configs.Defaults()
	cfg.DB.Driver, cfg.DB.DSN = driver, storetest.DSN(t, driver)
	cfg.WeChat.AppID, cfg.WeChat.Secret, cfg.WeChat.Token, cfg.WeChat.AESKey = appID, "test-secret", token, aesKey
	cfg.WeChat.APIBase, cfg.WeChat.OAuthBase = wechatURL, wechatURL
	cfg.MiniProgram = configs.MiniProgram{AppID: mpAppID, Secret: "mp-secret", SessionSecret: string(testSessions.Secret),
		DataKey: hex.EncodeToString(testVaultKey), PushToken: mpPushToken, PushAESKey: mpPushAESKey}
	cfg.MediaDir = t.TempDir()
	cfg.HTTP.PublicURL = "https://mashang.test" // newEnv puts its listener's address here
	cfg.Notify.NewCaseTemplate, cfg.Notify.ReplyTemplate = "TPL-NEW-CASE", "TPL-REPLY"
	cfg.Notify.ReminderTemplate, cfg.Notify.SupervisionTemplate, cfg.Notify.ActivityTemplate = reminderTemplate, supervisionTemplate, activityTemplate
	return cfg
}

// newApp wires the service from cfg through app.New, as `mashang serve`
// does, with the demo roster. Its background work is not started: tests
// drive the outbox themselves.
func newApp(t testing.TB, cfg configs.Config, replace ...func(*handlers.Deps)) *app.App {
	t.Helper()
	if err := cfg.Check(configs.Serve); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, app.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), PasswordCost: bcrypt.MinCost,
		Replace: func(d *handlers.Deps) {
			for _, r := range replace {
				if r != nil {
					r(d)
				}
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if err := a.DB.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The staff API acts as the account whose token it is given.
	apiAccounts := &mashang.Accounts{Store: a.DB, Cost: bcrypt.MinCost}
	_, err = apiAccounts.Create(context.Background(), mashang.StaffUser{Username: apiStaff, Name: apiStaffName, Role: mashang.RoleAdmin}, "api staff password")
	if err != nil && mashang.ErrorCode(err) != mashang.ECONFLICT { // a second instance on one database
		t.Fatal(err)
	}
	if err := apiAccounts.GrantAPIToken(context.Background(), apiStaff, staffToken); err != nil {
		t.Fatal(err)
	}
	return a
}

const (
	supervisionTemplate = "TPL-SUPERVISION"
	activityTemplate    = "TPL-ACTIVITY"
	reminderTemplate    = "TPL-RECEPTION-REMINDER"
	mpPushToken         = "mppushtoken"
	mpPushAESKey        = "bWFzaGFuZy1taW5pcHJvZ3JhbS10ZXN0LXB1c2gta2U" // 43 characters
)

// push sends one push as WeChat would and returns the status and raw body.
func (e *env) push(t *testing.T, p wechattest.Push) (int, []byte) {
	t.Helper()
	req, err := e.signer.PushRequest(p.XML())
	if err != nil {
		t.Fatal(err)
	}
	return e.do(t, req)
}

func (e *env) do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// replyText opens an answer with the test's own decryption and returns the
// text reply's content ("" for success).
func (e *env) replyText(t *testing.T, body []byte) string {
	t.Helper()
	plain, err := e.signer.OpenReply(body)
	if err != nil {
		t.Fatalf("open reply %q: %v", body, err)
	}
	if plain == nil {
		return ""
	}
	var m struct {
		ToUserName   string
		FromUserName string
		MsgType      string
		Content      string
	}
	if err := xml.Unmarshal(plain, &m); err != nil {
		t.Fatalf("reply is not XML: %v", err)
	}
	if m.MsgType != "text" || m.ToUserName == "" || m.FromUserName != account {
		t.Fatalf("reply envelope wrong: %+v", m)
	}
	return m.Content
}

func (e *env) stored(t *testing.T) int {
	t.Helper()
	n, err := e.db.CountInbound(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestURLVerification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		req, _ := e.signer.VerifyURLRequest("hello-echo-123")
		status, body := e.do(t, req)
		if status != http.StatusOK || string(body) != "hello-echo-123" {
			t.Fatalf("URL check answered %d %q", status, body)
		}
		forged := e.signer
		forged.Token = "wrongtoken"
		req, _ = forged.VerifyURLRequest("hello-echo-123")
		status, body = e.do(t, req)
		if status != http.StatusForbidden || bytes.Contains(body, []byte("hello-echo-123")) {
			t.Fatalf("forged URL check answered %d %q", status, body)
		}
	})
}

func TestEveryModeStoresAndReplies(t *testing.T) {
	for _, mode := range []wechattest.Mode{wechattest.ModePlain, wechattest.ModeCompatible, wechattest.ModeSafe} {
		t.Run(string(mode), func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, driver string) {
				e := newEnv(t, driver, mode, options{})
				status, body := e.push(t, wechattest.Text(account, "oMode", 1001, "楼道灯不亮 <&> ]]> 了", time.Now()))
				if status != http.StatusOK {
					t.Fatalf("answered %d %s", status, body)
				}
				if mode != wechattest.ModePlain && !bytes.Contains(body, []byte("<Encrypt>")) {
					t.Fatalf("%s mode reply is not encrypted: %s", mode, body)
				}
				// Nobody scanned a code first: the message is kept and answered with how to reach someone.
				if got := e.replyText(t, body); !strings.Contains(got, "请先扫描") {
					t.Fatalf("reply %q", got)
				}
				msgs, _ := e.db.InboundMessages(context.Background())
				if len(msgs) != 1 || msgs[0].Content != "楼道灯不亮 <&> ]]> 了" || msgs[0].OpenID != "oMode" {
					t.Fatalf("stored %+v", msgs)
				}
			})
		})
	}
}

// The SDK decrypts what our own implementation of WeChat's published
// algorithm encrypted, and our implementation decrypts the SDK's reply.
func TestOwnEncryptionInteroperates(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	encrypted, err := wechattest.Encrypt(aesKey, appID, wechattest.Text(account, "oOwn", 5, "自己加密", time.Now()).XML())
	if err != nil {
		t.Fatal(err)
	}
	back, err := wechattest.Decrypt(aesKey, appID, encrypted)
	if err != nil || !bytes.Contains(back, []byte("自己加密")) {
		t.Fatalf("own round trip: %v %s", err, back)
	}
	status, body := e.push(t, wechattest.Text(account, "oOwn", 5, "自己加密", time.Now()))
	if status != http.StatusOK {
		t.Fatalf("answered %d %s", status, body)
	}
	if got := e.replyText(t, body); got == "" {
		t.Fatal("no reply")
	}
}

func TestRefusedPushesLeaveNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{maxBody: 4096})
		msg := wechattest.Text(account, "oBad", 77, "正常内容", time.Now())

		wrongToken := e.signer
		wrongToken.Token = "attackertoken"
		stale := e.signer
		stale.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
		future := e.signer
		future.Now = func() time.Time { return time.Now().Add(10 * time.Minute) }
		otherApp := e.signer
		otherApp.AppID = "wxsomeoneelse0001"
		otherKey := e.signer
		otherKey.AESKey = wechattest.NewAESKey()
		plain := e.signer
		plain.Mode = wechattest.ModePlain

		tampered := func() *http.Request {
			req, _ := e.signer.PushRequest(msg.XML())
			body, _ := io.ReadAll(req.Body)
			// Swap the ciphertext for another message's: msg_signature no longer matches.
			other, _ := wechattest.Encrypt(aesKey, appID, wechattest.Text(account, "oBad", 78, "篡改", time.Now()).XML())
			start := bytes.Index(body, []byte("<Encrypt><![CDATA[")) + len("<Encrypt><![CDATA[")
			end := bytes.Index(body, []byte("]]></Encrypt>"))
			body = append(append(append([]byte{}, body[:start]...), other...), body[end:]...)
			r, _ := http.NewRequest(http.MethodPost, req.URL.String(), bytes.NewReader(body))
			return r
		}
		oversize := func(chunked bool) *http.Request {
			big := wechattest.Text(account, "oBad", 79, strings.Repeat("长", 4000), time.Now())
			req, _ := e.signer.PushRequest(big.XML())
			if chunked {
				body, _ := io.ReadAll(req.Body)
				req.Body = io.NopCloser(bytes.NewReader(body))
				req.ContentLength = -1
			}
			return req
		}
		build := func(s wechattest.CallbackSigner, p wechattest.Push) *http.Request {
			req, err := s.PushRequest(p.XML())
			if err != nil {
				t.Fatal(err)
			}
			return req
		}
		cases := []struct {
			name   string
			req    *http.Request
			status int
		}{
			{"forged signature", build(wrongToken, msg), http.StatusForbidden},
			{"tampered ciphertext", tampered(), http.StatusForbidden},
			{"stale timestamp", build(stale, msg), http.StatusForbidden},
			{"timestamp from the future", build(future, msg), http.StatusForbidden},
			{"another AppID inside", build(otherApp, msg), http.StatusBadRequest},
			{"another key", build(otherKey, msg), http.StatusBadRequest},
			{"plaintext in safe mode", build(plain, msg), http.StatusForbidden},
			{"oversize with length", oversize(false), http.StatusRequestEntityTooLarge},
			{"oversize chunked", oversize(true), http.StatusRequestEntityTooLarge},
		}
		for _, c := range cases {
			status, body := e.do(t, c.req)
			if status != c.status {
				t.Errorf("%s: answered %d %q, want %d", c.name, status, body, c.status)
			}
		}
		if n := e.stored(t); n != 0 {
			t.Fatalf("refused pushes stored %d rows", n)
		}
	})
}

func TestMalformedPlaintextPushesLeaveNothing(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModePlain, options{})
	signed := func(body string) *http.Request {
		req, _ := e.signer.PushRequest([]byte("<xml/>"))
		r, _ := http.NewRequest(http.MethodPost, req.URL.String(), strings.NewReader(body))
		return r
	}
	for name, body := range map[string]string{
		"not XML":              "{\"json\": true}",
		"no sender":            "<xml><MsgType>text</MsgType><CreateTime>1700000000</CreateTime></xml>",
		"invalid UTF-8":        "<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><CreateTime>1700000000</CreateTime><Content>\xff\xfe</Content><MsgId>1</MsgId></xml>",
		"entity bomb":          "<!DOCTYPE x [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><CreateTime>1700000000</CreateTime><Content>&b;</Content><MsgId>2</MsgId></xml>",
		"event without a name": "<xml><FromUserName>o1</FromUserName><MsgType>event</MsgType><CreateTime>1700000000</CreateTime></xml>",
	} {
		status, resp := e.do(t, signed(body))
		if status != http.StatusBadRequest {
			t.Errorf("%s: answered %d %q, want 400", name, status, resp)
		}
	}
	if n := e.stored(t); n != 0 {
		t.Fatalf("malformed pushes stored %d rows", n)
	}
}

func TestRetriedDeliveryIsStoredOnceAndAnsweredTheSame(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		msg := wechattest.Text(account, "oRetry", 9_000_000_001, "同一条消息发三次", time.Now())
		var replies []string
		for range 3 {
			status, body := e.push(t, msg)
			if status != http.StatusOK {
				t.Fatalf("answered %d %s", status, body)
			}
			replies = append(replies, e.replyText(t, body))
		}
		if replies[0] == "" || replies[1] != replies[0] || replies[2] != replies[0] {
			t.Fatalf("answers differ: %q", replies)
		}
		if n := e.stored(t); n != 1 {
			t.Fatalf("stored %d, want 1", n)
		}
		// An event has no MsgId: FromUserName + CreateTime + Event identify it.
		sub := wechattest.SubscribeByScan(account, "oRetry", "st:demo-bdg", time.Now())
		var first string
		for i := range 3 {
			_, body := e.push(t, sub)
			if got := e.replyText(t, body); i == 0 {
				first = got
			} else if got != first {
				t.Fatalf("event retry answered %q, first %q", got, first)
			}
		}
		if n := e.stored(t); n != 2 {
			t.Fatalf("stored %d, want 2", n)
		}
	})
}

func TestStorageDownAnswers5xx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		e.db.Close()
		status, body := e.push(t, wechattest.Text(account, "oDown", 1, "数据库停了", time.Now()))
		if status < 500 {
			t.Fatalf("answered %d %q while storage was down", status, body)
		}
		if bytes.Contains(body, []byte("success")) {
			t.Fatalf("acknowledged %q without storing", body)
		}
		resp, err := http.Get(e.srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("readiness answered %d with storage down", resp.StatusCode)
		}
	})
}

func TestEveryTypeIsStoredAndAcknowledged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		now := time.Now()
		cases := []struct {
			push  wechattest.Push
			reply string // "" = success
		}{
			{wechattest.Event(account, "oT", "subscribe", "", now), "欢迎关注"},
			{wechattest.SubscribeByScan(account, "oT2", "dp:demo-d03", now), "张晓梅代表"},
			{wechattest.Scan(account, "oT", "st:demo-xhw", now.Add(time.Second)), "薛家岛街道代表之家"},
			{wechattest.Text(account, "oT", 11, "你好", now.Add(2*time.Second)), "已收到您反映的问题，编号"},
			{wechattest.Image(account, "oT", 12, "media-img-1", now.Add(3*time.Second)), "已补充到您反映的问题"},
			{wechattest.Voice(account, "oT", 13, "media-voice-1", "小区停车难", now.Add(4*time.Second)), "已补充到您反映的问题"},
			{wechattest.Location(account, "oT", 14, 36.06, 120.38, "八大关", now.Add(5*time.Second)), "已补充到您反映的问题"},
			{wechattest.Event(account, "oT", "CLICK", "ABOUT_US", now.Add(2*time.Second)), ""},
			{wechattest.Event(account, "oT", "VIEW", "https://example.gov.cn/", now.Add(3*time.Second)), ""},
			{wechattest.Push{ToUserName: account, FromUserName: "oT", CreateTime: now.Add(4 * time.Second), MsgType: "event", Event: "LOCATION", Latitude: 36.1, Longitude: 120.4, Precision: 30}, ""},
			{wechattest.Event(account, "oT", "TEMPLATESENDJOBFINISH", "", now.Add(5*time.Second)), ""},
			{wechattest.Push{ToUserName: account, FromUserName: "oT", CreateTime: now, MsgType: "miniprogrampage", MsgID: 15}, ""},
			{wechattest.Event(account, "oT", "unsubscribe", "", now.Add(6*time.Second)), ""},
		}
		for _, c := range cases {
			status, body := e.push(t, c.push)
			if status != http.StatusOK {
				t.Fatalf("%s/%s answered %d %s", c.push.MsgType, c.push.Event, status, body)
			}
			got := e.replyText(t, body)
			if c.reply == "" && got != "" || c.reply != "" && !strings.Contains(got, c.reply) {
				t.Errorf("%s/%s replied %q, want %q", c.push.MsgType, c.push.Event, got, c.reply)
			}
			if c.reply == "" && string(body) != "success" {
				t.Errorf("%s/%s: no reply must be the plain word success, got %q", c.push.MsgType, c.push.Event, body)
			}
		}
		msgs, _ := e.db.InboundMessages(context.Background())
		if len(msgs) != len(cases) {
			t.Fatalf("stored %d of %d", len(msgs), len(cases))
		}
		for _, m := range msgs {
			if m.MsgType == "voice" && m.Recognition != "小区停车难" {
				t.Errorf("voice Recognition not kept: %+v", m)
			}
			if m.MsgType == "location" && (m.LocationX.Float64 != 36.06 || m.Label != "八大关") {
				t.Errorf("location not kept: %+v", m)
			}
		}
	})
}

func TestKeyRotationLosesNothing(t *testing.T) {
	oldKey, newKey := wechattest.NewAESKey(), wechattest.NewAESKey()
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{aesKey: newKey, previousAESKey: oldKey})
	for i, key := range []string{oldKey, newKey} {
		s := e.signer
		s.AESKey = key
		req, _ := s.PushRequest(wechattest.Text(account, "oRot", int64(100+i), "轮换密钥", time.Now()).XML())
		status, body := e.do(t, req)
		if status != http.StatusOK {
			t.Fatalf("key %d: answered %d %s", i, status, body)
		}
		// The reply goes back under the key the push came with.
		if _, err := s.OpenReply(body); err != nil {
			t.Fatalf("key %d: reply not readable with that key: %v", i, err)
		}
	}
	if n := e.stored(t); n != 2 {
		t.Fatalf("stored %d, want 2", n)
	}
}

// A push with fields the message type does not model keeps its XML, so
// nothing WeChat sent is lost; a plain text does not store itself twice.
func TestUnmodelledFieldsKeepTheXML(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	now := time.Now().Unix()
	card := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[oCard]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[miniprogrampage]]></MsgType><MsgId>31</MsgId>"+
		"<Title><![CDATA[预约接待]]></Title><AppId><![CDATA[wxmp]]></AppId><PagePath><![CDATA[pages/book]]></PagePath></xml>", account, now)
	req, err := e.signer.PushRequest([]byte(card))
	if err != nil {
		t.Fatal(err)
	}
	if status, body := e.do(t, req); status != http.StatusOK {
		t.Fatalf("answered %d %s", status, body)
	}
	e.push(t, wechattest.Text(account, "oCard", 32, "普通留言", time.Now()))
	msgs, _ := e.db.InboundMessages(context.Background())
	if len(msgs) != 2 {
		t.Fatalf("stored %d", len(msgs))
	}
	if !strings.Contains(msgs[0].Raw, "<PagePath><![CDATA[pages/book]]></PagePath>") {
		t.Errorf("the mini program card lost its XML: %q", msgs[0].Raw)
	}
	if msgs[1].Raw != "" || msgs[1].Content != "普通留言" {
		t.Errorf("a plain text stored %+v", msgs[1])
	}
}

// A retired code keeps working: a deputy who left office leads to their
// station, a closed station to the nearest open one.
func TestRetiredCodesLeadOn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		lat, lng := 36.0152, 120.2425
		if _, err := roster.ImportStations(ctx, e.db, []roster.StationRecord{{Code: "demo-xhw", Name: "西海岸新区薛家岛街道代表之家",
			Kind: mashang.StationHome, Jurisdiction: []string{"青岛市", "西海岸新区", "薛家岛街道"}, Address: "青岛市黄岛区薛家岛街道漓江东路18号",
			Latitude: &lat, Longitude: &lng, Open: false}}); err != nil {
			t.Fatal(err)
		}
		if _, err := roster.ImportDeputies(ctx, e.db, []roster.DeputyRecord{{Code: "demo-d02", Name: "李建国",
			Level: mashang.LevelCounty, Stations: []string{"demo-bdg"}, Groups: []string{"生活保障组"}, InOffice: false}}); err != nil {
			t.Fatal(err)
		}
		_, body := e.push(t, wechattest.Scan(account, "oRet1", "dp:demo-d02", time.Now()))
		if got := e.replyText(t, body); !strings.Contains(got, "李建国已不再担任人大代表") || !strings.Contains(got, "市南区八大关街道人大代表联络站") {
			t.Errorf("retired deputy: %q", got)
		}
		if f, _ := e.db.FollowerByOpenID(ctx, "oRet1"); f.LastScene.String != "st:demo-bdg" {
			t.Errorf("the conversation continues with %q, want the deputy's station", f.LastScene.String)
		}
		_, body = e.push(t, wechattest.SubscribeByScan(account, "oRet2", "st:demo-xhw", time.Now()))
		got := e.replyText(t, body)
		if !strings.Contains(got, "「西海岸新区薛家岛街道代表之家」已停止使用") || !strings.Contains(got, "市南区八大关街道人大代表联络站") {
			t.Errorf("closed station: %q", got)
		}
		if f, _ := e.db.FollowerByOpenID(ctx, "oRet2"); f.LastScene.String != "st:demo-bdg" {
			t.Errorf("closed station leads to %q, want the nearest open one", f.LastScene.String)
		}
		// The H5 page a code leads to says so too.
		if _, page := get(t, e.srv.URL+"/s/dp:demo-d02"); !strings.Contains(string(page), "已不再担任人大代表") {
			t.Errorf("retired deputy's page: %s", page)
		}
		if _, page := get(t, e.srv.URL+"/s/st:demo-xhw"); !strings.Contains(string(page), "本站点已停止使用") {
			t.Errorf("closed station's page: %s", page)
		}
	})
}

func TestDeputyBindsWeChatByScanningOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		now := time.Now()
		binding := &mashang.Binding{Store: e.db, Now: func() time.Time { return now }}
		code, err := binding.NewCode(ctx, "demo-d03")
		if err != nil {
			t.Fatal(err)
		}
		scene := code.Scene.String()
		if len(scene) > mashang.MaxSceneLength || !strings.HasPrefix(scene, "bind:") {
			t.Fatalf("scene %q", scene)
		}
		reply := func(p wechattest.Push) string {
			_, body := e.push(t, p)
			return e.replyText(t, body)
		}
		// The deputy follows by scanning it.
		if got := reply(wechattest.SubscribeByScan(account, "oZhang", scene, now)); !strings.Contains(got, "绑定成功！张晓梅代表") {
			t.Fatalf("first scan: %q", got)
		}
		if got := reply(wechattest.Scan(account, "oZhang", scene, now.Add(time.Second))); !strings.Contains(got, "无需重复扫码") {
			t.Errorf("second scan by the deputy: %q", got)
		}
		if got := reply(wechattest.Scan(account, "oStranger", scene, now.Add(2*time.Second))); !strings.Contains(got, "已经被使用过了") {
			t.Errorf("someone else scanning it: %q", got)
		}
		// An expired code, and a WeChat already bound to another deputy.
		late, _ := binding.NewCode(ctx, "demo-d04")
		if got := reply(wechattest.Scan(account, "oLiu", late.Scene.String(), now.Add(11*time.Minute))); !strings.Contains(got, "已过期") {
			t.Errorf("expired code: %q", got)
		}
		other, _ := binding.NewCode(ctx, "demo-d04")
		if got := reply(wechattest.Scan(account, "oZhang", other.Scene.String(), now.Add(3*time.Second))); !strings.Contains(got, "已绑定为张晓梅代表，不能再绑定为刘志强代表") {
			t.Errorf("bound elsewhere: %q", got)
		}
		if got := reply(wechattest.Scan(account, "oX", "bind:NoSuchToken0000", now)); !strings.Contains(got, "未能识别这个绑定二维码") {
			t.Errorf("unknown token: %q", got)
		}
		bindings, err := e.db.DeputyBindings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var bound []string
		for _, b := range bindings {
			if b.Bound {
				bound = append(bound, b.Code)
			}
		}
		if strings.Join(bound, ",") != "demo-d03" {
			t.Fatalf("bound: %v", bound)
		}
	})
}

// testWeChatApps are the fake WeChat's accounts in these tests, with the
// templates each has added (WeChat answers 40037 for any other).
func testWeChatApps() []wechattest.App {
	return []wechattest.App{
		{AppID: appID, Secret: "test-secret", Templates: []string{"TPL-NEW-CASE", "TPL-REPLY", progressTemplate,
			supervisionTemplate, activityTemplate}},
		{AppID: mpAppID, Secret: "mp-secret", MiniProgram: true, Templates: []string{"TPL-PROGRESS-SUBSCRIBE", reminderTemplate}},
	}
}

// readMedia reads a kept file whole, from wherever media is kept.
func readMedia(ctx context.Context, files mashang.MediaFiles, key string) ([]byte, error) {
	r, _, err := files.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
