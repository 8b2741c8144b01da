package handlers_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"mashang"
	"mashang/app"
	"mashang/configs"
	"mashang/handlers"
	"mashang/store"
	"mashang/wechat/wechattest"
)

// goText is what encoding/json, net/http and Go's errors say in their own
// words: none of it may reach a citizen or a caller who is not signed in.
var goText = []string{"json:", "EOF", "Go struct", "Go value", "unmarshal", "multipart", "boundary param", "MASHANG_",
	"invalid character", "int64", "float64", "[]string"}

func saysNoGo(t *testing.T, what string, body []byte) {
	t.Helper()
	for _, s := range goText {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("%s: the answer carries Go's text %q: %s", what, s, body)
		}
	}
}

// The Mini Program's JSON bodies, refused with a sentence a developer or a
// citizen reads: the field or the problem, in Chinese.
func TestMiniProgramBodiesAreRefusedInChinese(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	token := e.login(t, "oRefusedInChinese0001")
	form := `"request_id": "req-chinese-0001", "scene": "st:demo-bdg", "text": "路灯坏了"`
	cases := []struct {
		name, path, body string
		status           int
		code, message    string
	}{
		{"unknown field", "/mp/cases", `{` + form + `, "color": "red"}`, 400, "invalid", "不认识的字段「color」"},
		{"unknown field inside location", "/mp/cases", `{` + form + `, "location": {"latitude": 36, "longitude": 120, "alt": 3}}`, 400, "invalid", "不认识的字段「alt」"},
		{"field with no name", "/mp/cases", `{` + form + `, "": 1}`, 400, "invalid", "请求中有一个名字为空的字段"},
		{"long unknown field", "/mp/cases", `{"` + strings.Repeat("字", 50) + `": 1}`, 400, "invalid", "不认识的字段「" + strings.Repeat("字", 40) + "…」"},
		{"empty body", "/mp/cases", ``, 400, "invalid", "请求体是空的，请发送 JSON"},
		{"cut body", "/mp/cases", `{"request_id": "req-`, 400, "invalid", "请求体不完整，JSON 没有结束"},
		{"not JSON", "/mp/cases", `路灯坏了`, 400, "invalid", "请求体不是有效的 JSON（第1个字节处有误）"},
		{"a key without its colon", "/mp/cases", `{"text" 1}`, 400, "invalid", "请求体不是有效的 JSON（第9个字节处有误）"},
		{"an array", "/mp/cases", `[1, 2]`, 400, "invalid", "请求体应为一个 JSON 对象 {…}"},
		{"text a number", "/mp/cases", `{"text": 42}`, 400, "invalid", "字段「text」应为字符串"},
		{"latitude a word", "/mp/cases", `{"location": {"latitude": "north"}}`, 400, "invalid", "字段「location.latitude」应为数字"},
		{"latitude too big", "/mp/cases", `{"location": {"latitude": 1e400}}`, 400, "invalid", "字段「location.latitude」超出了允许的范围"},
		{"location a list", "/mp/cases", `{"location": [36, 120]}`, 400, "invalid", "字段「location」应为对象 {…}"},
		{"public a word", "/mp/cases", `{"public": "yes"}`, 400, "invalid", "字段「public」应为 true 或 false"},
		{"photos a string", "/mp/cases", `{"photos": "abc"}`, 400, "invalid", "字段「photos」应为数组 […]"},
		{"too large", "/mp/cases", `{"text": "` + strings.Repeat("x", 17<<10) + `"}`, 413, "too_large", "请求体不能超过16KB"},
		{"slot beyond int64", "/mp/bookings", `{"slot_id": 9223372036854775808, "topic": "x"}`, 400, "invalid", "字段「slot_id」超出了允许的范围"},
		{"slot a fraction", "/mp/bookings", `{"slot_id": 1.5, "topic": "x"}`, 400, "invalid", "字段「slot_id」应为整数"},
		{"login code a number", "/mp/login", `{"code": 7}`, 400, "invalid", "字段「code」应为字符串"},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		status, raw := e.do(t, req)
		want := `{"code":"` + tc.code + `","message":"` + tc.message + `"}`
		if status != tc.status || string(raw) != want {
			t.Errorf("%s: answered %d %s, want %d %s", tc.name, status, raw, tc.status, want)
		}
		saysNoGo(t, tc.name, raw)
	}
}

// The staff API reads its bodies the same way, and says so the same way.
func TestStaffAPIBodiesAreRefusedInChinese(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	for _, tc := range []struct{ name, body, message string }{
		{"unknown field", `{"txt": "x"}`, "不认识的字段「txt」"},
		{"empty body", ``, "请求体是空的，请发送 JSON"},
		{"text a number", `{"text": 42, "staff": "y"}`, "字段「text」应为字符串"},
		{"not JSON", `text=x`, "请求体不是有效的 JSON（第2个字节处有误）"}, // "t" could begin true
	} {
		status, raw := e.staffReply(t, "000000-0000", staffToken, tc.body)
		if want := `{"code":"invalid","message":"` + tc.message + `"}`; status != http.StatusBadRequest || string(raw) != want {
			t.Errorf("%s: answered %d %s, want 400 %s", tc.name, status, raw, want)
		}
	}
}

// A photo upload that cannot be read says what is wrong with the form.
func TestUnreadableUploadsAreRefusedInChinese(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	token := e.login(t, "oRefusedUpload0001")
	var form bytes.Buffer
	w := multipart.NewWriter(&form)
	part, _ := w.CreateFormFile("photo", "a.jpg")
	_, _ = part.Write(bytes.Repeat([]byte("\xff\xd8\xff\xe0"), 64))
	_ = w.Close()
	cut := form.Bytes()[:form.Len()/2]
	for _, tc := range []struct{ name, contentType, message string }{
		{"no boundary", "multipart/form-data", "上传的表单缺少分隔符（Content-Type 中的 boundary）"},
		{"cut short", w.FormDataContentType(), "上传的表单不完整或已损坏，请重新上传"},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/mp/uploads", bytes.NewReader(cut))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", tc.contentType)
		status, raw := e.do(t, req)
		if want := `{"code":"invalid","message":"` + tc.message + `"}`; status != http.StatusBadRequest || string(raw) != want {
			t.Errorf("%s: answered %d %s, want 400 %s", tc.name, status, raw, want)
		}
		saysNoGo(t, tc.name, raw)
	}
}

// The callbacks answer a refused push with one fixed sentence per reason:
// the error, and which setting to check, are for the log.
func TestRefusedPushesAreAnsweredInAFixedSentence(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{maxBody: 4096})
	msg := wechattest.Text(account, "oRefused", 88, "正常内容", time.Now())
	signed := func(change func(*wechattest.CallbackSigner), p wechattest.Push) *http.Request {
		s := e.signer
		if change != nil {
			change(&s)
		}
		req, err := s.PushRequest(p.XML())
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	withBody := func(req *http.Request, body string) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, req.URL.String(), strings.NewReader(body))
		return r
	}
	mp := func(query url.Values) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/wechat/mp-callback?"+query.Encode(), strings.NewReader(`{}`))
		return r
	}
	cases := []struct {
		name   string
		req    *http.Request
		status int
		text   string
	}{
		{"forged signature", signed(func(s *wechattest.CallbackSigner) { s.Token = "attackertoken" }, msg), 403, "签名不符"},
		{"stale timestamp", signed(func(s *wechattest.CallbackSigner) { s.Now = func() time.Time { return time.Now().Add(-time.Hour) } }, msg), 403, "时间戳与服务器时间相差太远"},
		{"plaintext in safe mode", signed(func(s *wechattest.CallbackSigner) { s.Mode = wechattest.ModePlain }, msg), 403, "不接受明文推送，请使用安全模式"},
		{"another key", signed(func(s *wechattest.CallbackSigner) { s.AESKey = wechattest.NewAESKey() }, msg), 400, "无法解密消息"},
		{"another AppID", signed(func(s *wechattest.CallbackSigner) { s.AppID = "wxsomeoneelse0001" }, msg), 400, "消息不是发给本服务的 AppID"},
		{"too large", signed(nil, wechattest.Text(account, "oRefused", 89, strings.Repeat("长", 4000), time.Now())), 413, "请求体过大"},
		{"malformed XML", withBody(signed(nil, msg), "<xml><Encrypt>"), 400, "消息格式不正确"},
		{"URL check unsigned", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/wechat/callback?echostr=x&signature=00&timestamp=1&nonce=n", nil)
			return r
		}(), 403, "签名不符"},
		{"Mini Program push forged", mp(url.Values{"signature": {"00"}, "timestamp": {strconv.FormatInt(time.Now().Unix(), 10)}, "nonce": {"n"}}), 403, "签名不符"},
	}
	for _, tc := range cases {
		status, body := e.do(t, tc.req)
		if status != tc.status || string(body) != tc.text {
			t.Errorf("%s: answered %d %q, want %d %q", tc.name, status, body, tc.status, tc.text)
		}
		saysNoGo(t, tc.name, body)
	}
	if n := e.stored(t); n != 0 {
		t.Fatalf("refused pushes stored %d rows", n)
	}
}

// syncBuffer is a log sink the handlers write to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// errSecret stands for what a failing database or WeChat says: the service's
// business, not its callers'.
var errSecret = errors.New("disk I/O error at /var/lib/mashang/secret.db (pid 4242)")

// Each surface's dependencies, failing. Embedding the interface leaves the
// methods these tests do not reach unimplemented.
type (
	failingForms    struct{}
	failingReceiver struct{}
	failingDir      struct{ handlers.Directory }
	failingAccounts struct{ handlers.AccountService }
	failingWall     struct{}
	failingDesk     struct{ handlers.DeputyDesk }
	knownOAuth      struct{}
)

func (failingForms) RaiseForm(context.Context, mashang.Form) (string, error) { return "", errSecret }
func (failingForms) Claim(context.Context, string, string, string) (mashang.Case, error) {
	return mashang.Case{}, errSecret
}
func (failingReceiver) Receive(context.Context, mashang.Inbound) (mashang.Reply, error) {
	return mashang.Reply{}, errSecret
}
func (failingDir) StationByCode(context.Context, string) (mashang.Station, error) {
	return mashang.Station{}, errSecret
}
func (failingAccounts) APISession(context.Context, string) (mashang.StaffSession, error) {
	return mashang.StaffSession{}, errSecret
}
func (failingAccounts) Login(context.Context, string, string, string) (mashang.StaffSession, error) {
	return mashang.StaffSession{}, errSecret
}
func (failingWall) WallCases(context.Context, mashang.Reach, int) ([]mashang.WallCase, error) {
	return nil, errSecret
}
func (failingDesk) BoundDeputy(context.Context, string) (mashang.Deputy, error) {
	return mashang.Deputy{}, errSecret
}
func (knownOAuth) OAuthOpenID(context.Context, string) (string, error) { return "oDeputy0001", nil }

// What fails inside the service is answered with a neutral sentence on
// every surface; the error goes to the log with the request's id.
func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	var logs syncBuffer
	cfg := testConfig(t, store.DriverSQLite, "http://127.0.0.1:1") // WeChat is never reached
	cfg.WeChat.AESKey, cfg.WeChat.AllowPlaintext = "", true
	if err := cfg.Check(configs.Serve); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(&logs, nil))
	a, err := app.New(context.Background(), cfg, app.Options{Log: log, PasswordCost: bcrypt.MinCost, Replace: func(d *handlers.Deps) {
		d.Log, d.Callback.Log, d.MiniProgram.Log, d.StaffAPI.Log, d.Console.Log, d.Deputies.Log, d.Public.Log = log, log, log, log, log, log, log
		d.Callback.Receiver = failingReceiver{}
		d.MiniProgram.Forms = failingForms{}
		d.StaffAPI.Accounts = failingAccounts{}
		d.Public.Directory = failingDir{}
		d.Public.Wall = failingWall{}
		d.Console.Accounts = failingAccounts{}
		d.Deputies.Pages.Desk, d.Deputies.Pages.OAuth = failingDesk{}, knownOAuth{}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	router := a.Handler
	srv := httptest.NewServer(router)
	defer srv.Close()
	citizen, _ := testSessions.Issue("oCitizenInternal0001", "")
	push, err := (wechattest.CallbackSigner{URL: srv.URL + "/wechat/callback", Token: token, AppID: appID, Mode: wechattest.ModePlain}).
		PushRequest(wechattest.Text(account, "oCitizenInternal0001", 90, "路灯坏了", time.Now()).XML())
	if err != nil {
		t.Fatal(err)
	}
	request := func(method, path, body string, header ...string) *http.Request {
		r, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		return r
	}
	// A genuine state: the deputies' sign-in as WeChat would return it.
	toWeChat, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(srv.URL + "/d/login")
	if err != nil {
		t.Fatal(err)
	}
	toWeChat.Body.Close()
	authorize, _ := url.Parse(toWeChat.Header.Get("Location"))
	var stateCookie string
	for _, c := range toWeChat.Cookies() {
		if c.Name == "mashang_deputy_state" {
			stateCookie = c.Name + "=" + c.Value
		}
	}
	const internal = "服务内部错误，请稍后再试。"
	for _, tc := range []struct {
		surface string
		req     *http.Request
		status  int
		says    string
	}{
		{"Mini Program API", request("POST", "/mp/cases", `{"request_id": "req-internal-01", "scene": "st:demo-bdg", "text": "x"}`,
			"Authorization", "Bearer "+citizen), 500, `{"code":"internal","message":"` + internal + `"}`},
		{"staff API", request("POST", "/api/cases/000000-0000/replies", `{"text": "x", "staff": "y"}`,
			"Authorization", "Bearer "+staffToken), 500, `{"code":"internal","message":"` + internal + `"}`},
		{"WeChat callback", push, 503, "暂时无法保存消息，请稍后重发"},
		{"codes", request("GET", "/codes/st:demo-bdg.png", ""), 500, internal},
		{"public pages", request("GET", "/wall", ""), 500, internal},
		{"console", request("POST", "/console/login", "username=a&password=b&csrf=t", "Content-Type", "application/x-www-form-urlencoded",
			"Cookie", "mashang_signin=t"), 500, internal},
		{"deputies' pages", request("GET", "/d/oauth?state="+authorize.Query().Get("state")+"&code=c1", "", "Cookie", stateCookie), 500, internal},
	} {
		id := "req-" + strings.ReplaceAll(tc.surface, " ", "-")
		tc.req.Header.Set("X-Request-Id", id)
		resp, err := http.DefaultClient.Do(tc.req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.says) {
			t.Errorf("%s: answered %d %s, want %d saying %q", tc.surface, resp.StatusCode, body, tc.status, tc.says)
		}
		if bytes.Contains(body, []byte("secret.db")) || bytes.Contains(body, []byte("disk I/O")) {
			t.Errorf("%s: the answer carries the error: %s", tc.surface, body)
		}
		var logged bool
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "level=ERROR") && strings.Contains(line, "request_id="+id) && strings.Contains(line, "secret.db") {
				logged = true
			}
		}
		if !logged {
			t.Errorf("%s: no error in the log with request_id=%s and the error:\n%s", tc.surface, id, logs.String())
		}
	}
}
