package wechattest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	oaID, oaSecret = "wxoa0000000000001", "oa-secret"
	mpID, mpSecret = "wxmp0000000000001", "mp-secret"
)

// clock is a time the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	f     *Fake
	srv   *httptest.Server
	clock *clock
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	f := New(Config{Apps: []App{{oaID, oaSecret}, {mpID, mpSecret}}, Now: c.now})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &harness{f: f, srv: srv, clock: c}
}

// call sends a request and decodes a JSON answer (nil for a non-JSON one).
func (h *harness) call(t *testing.T, method, path string, query url.Values, body any) (map[string]any, *http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.srv.URL+path+"?"+query.Encode(), rd)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return nil, resp, raw
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: not JSON: %s", path, raw)
	}
	return out, resp, raw
}

func errcode(m map[string]any) int {
	if v, ok := m["errcode"].(float64); ok {
		return int(v)
	}
	return 0
}

func (h *harness) token(t *testing.T, appid, secret string) string {
	t.Helper()
	out, _, _ := h.call(t, "POST", "/cgi-bin/stable_token", nil,
		map[string]any{"grant_type": "client_credential", "appid": appid, "secret": secret})
	tok, _ := out["access_token"].(string)
	if tok == "" {
		t.Fatalf("no stable token: %v", out)
	}
	return tok
}

func with(tok string) url.Values { return url.Values{"access_token": {tok}} }

func TestTokenRefreshKillsTheOldOneAfterFiveMinutes(t *testing.T) {
	h := newHarness(t)
	q := url.Values{"grant_type": {"client_credential"}, "appid": {oaID}, "secret": {oaSecret}}
	first, _, _ := h.call(t, "GET", "/cgi-bin/token", q, nil)
	second, _, _ := h.call(t, "GET", "/cgi-bin/token", q, nil)
	old, fresh := first["access_token"].(string), second["access_token"].(string)
	if old == "" || old == fresh || second["expires_in"].(float64) != 7200 {
		t.Fatalf("tokens %v %v", first, second)
	}
	send := map[string]any{"touser": "nobody", "template_id": "T"}
	if out, _, _ := h.call(t, "POST", "/cgi-bin/message/template/send", with(old), send); errcode(out) != 43004 {
		t.Fatalf("old token inside the overlap: %v", out)
	}
	h.clock.add(5*time.Minute + time.Second)
	if out, _, _ := h.call(t, "POST", "/cgi-bin/message/template/send", with(old), send); errcode(out) != 42001 {
		t.Fatalf("old token after the overlap: %v", out)
	}
	for name, bad := range map[string]url.Values{
		"wrong secret": {"grant_type": {"client_credential"}, "appid": {oaID}, "secret": {"x"}},
		"wrong appid":  {"grant_type": {"client_credential"}, "appid": {"wxnobody"}, "secret": {oaSecret}},
		"wrong grant":  {"grant_type": {"password"}, "appid": {oaID}, "secret": {oaSecret}},
	} {
		out, _, _ := h.call(t, "GET", "/cgi-bin/token", bad, nil)
		if want := map[string]int{"wrong secret": 40125, "wrong appid": 40013, "wrong grant": 40002}[name]; errcode(out) != want {
			t.Errorf("%s: %v, want %d", name, out, want)
		}
	}
}

func TestStableTokenIsStableAndIsolated(t *testing.T) {
	h := newHarness(t)
	a, b := h.token(t, oaID, oaSecret), h.token(t, oaID, oaSecret)
	if a != b {
		t.Fatal("normal mode minted a new token while the old one was valid")
	}
	// /cgi-bin/token does not touch it.
	h.call(t, "GET", "/cgi-bin/token", url.Values{"grant_type": {"client_credential"}, "appid": {oaID}, "secret": {oaSecret}}, nil)
	h.clock.add(10 * time.Minute)
	if out, _, _ := h.call(t, "POST", "/cgi-bin/message/custom/send", with(a), map[string]any{"touser": "x", "msgtype": "text"}); errcode(out) != 45015 {
		t.Fatalf("stable token died with /cgi-bin/token: %v", out)
	}
	// Within its last five minutes a new one comes; the old one still works.
	h.clock.add(7200*time.Second - 10*time.Minute - 4*time.Minute)
	c := h.token(t, oaID, oaSecret)
	if c == a {
		t.Fatal("no new token within the last five minutes")
	}
	if out, _, _ := h.call(t, "POST", "/cgi-bin/message/custom/send", with(a), map[string]any{"touser": "x", "msgtype": "text"}); errcode(out) != 45015 {
		t.Fatalf("the old stable token stopped early: %v", out)
	}
	// Force refresh kills the previous one; twice within 30 s is refused.
	force := map[string]any{"grant_type": "client_credential", "appid": oaID, "secret": oaSecret, "force_refresh": true}
	if out, _, _ := h.call(t, "POST", "/cgi-bin/stable_token", nil, force); out["access_token"] == c {
		t.Fatal("force refresh returned the same token")
	}
	if out, _, _ := h.call(t, "POST", "/cgi-bin/message/custom/send", with(c), map[string]any{"touser": "x", "msgtype": "text"}); errcode(out) != 40001 {
		t.Fatalf("token survived a force refresh: %v", out)
	}
	if out, _, _ := h.call(t, "POST", "/cgi-bin/stable_token", nil, force); errcode(out) != 45009 {
		t.Fatalf("second force refresh within 30 s: %v", out)
	}
	if out, _, _ := h.call(t, "GET", "/cgi-bin/stable_token", nil, nil); errcode(out) != 47001 {
		t.Fatalf("GET stable_token: %v", out)
	}
}

func TestTemplateMessages(t *testing.T) {
	h := newHarness(t)
	tok := h.token(t, oaID, oaSecret)
	msg := func(thing, client string) map[string]any {
		return map[string]any{"touser": "oDeputy", "template_id": "TPL1", "client_msg_id": client,
			"data": map[string]any{"character_string1": map[string]string{"value": "MS20261122001"},
				"thing2": map[string]string{"value": thing}}}
	}
	if out, _, _ := h.call(t, "POST", "/cgi-bin/message/template/send", with(tok), msg("路灯不亮", "c1")); errcode(out) != 43004 {
		t.Fatalf("non-follower: %v", out)
	}
	h.f.Follow("oDeputy")
	if out, _, _ := h.call(t, "POST", "/cgi-bin/message/template/send", with(tok), msg(strings.Repeat("长", 21), "c1")); errcode(out) != 47003 {
		t.Fatalf("21-character thing: %v", out)
	}
	first, _, _ := h.call(t, "POST", "/cgi-bin/message/template/send", with(tok), msg("路灯不亮", "c1"))
	again, _, _ := h.call(t, "POST", "/cgi-bin/message/template/send", with(tok), msg("路灯不亮", "c1"))
	if errcode(first) != 0 || first["msgid"] != again["msgid"] {
		t.Fatalf("client_msg_id retry: %v %v", first, again)
	}
	if d := h.f.Delivered("oDeputy"); len(d) != 1 || d[0].Data["thing2"] != "路灯不亮" {
		t.Fatalf("delivered %+v, want exactly one", d)
	}
	h.clock.add(11 * time.Minute)
	h.token(t, oaID, oaSecret)
	h.call(t, "POST", "/cgi-bin/message/template/send", with(h.token(t, oaID, oaSecret)), msg("路灯不亮", "c1"))
	if d := h.f.Delivered("oDeputy"); len(d) != 2 {
		t.Fatalf("after 10 minutes the same client_msg_id is a new message; delivered %d", len(d))
	}
}

func TestCustomMessagesNeedTheWindow(t *testing.T) {
	h := newHarness(t)
	tok := h.token(t, oaID, oaSecret)
	send := map[string]any{"touser": "oC", "msgtype": "text", "text": map[string]string{"content": "您的问题已转交"}}
	h.f.Follow("oC")
	if out, _, _ := h.call(t, "POST", "/cgi-bin/message/custom/send", with(tok), send); errcode(out) != 45015 {
		t.Fatalf("no window: %v", out)
	}
	h.f.UserMessaged("oC")
	for i := range 5 {
		if out, _, _ := h.call(t, "POST", "/cgi-bin/message/custom/send", with(tok), send); errcode(out) != 0 {
			t.Fatalf("send %d: %v", i+1, out)
		}
	}
	if out, _, _ := h.call(t, "POST", "/cgi-bin/message/custom/send", with(tok), send); errcode(out) != 45047 {
		t.Fatalf("sixth send: %v", out)
	}
	h.f.UserMessaged("oC")
	h.clock.add(48*time.Hour + time.Minute)
	tok = h.token(t, oaID, oaSecret)
	if out, _, _ := h.call(t, "POST", "/cgi-bin/message/custom/send", with(tok), send); errcode(out) != 45015 {
		t.Fatalf("after 48 hours: %v", out)
	}
}

func TestSubscribeMessagesNeedAGrant(t *testing.T) {
	h := newHarness(t)
	tok := h.token(t, mpID, mpSecret)
	send := map[string]any{"touser": "oM", "template_id": "SUB1", "miniprogram_state": "formal",
		"data": map[string]any{"thing1": map[string]string{"value": "明日接待提醒"}}}
	if out, _, _ := h.call(t, "POST", "/cgi-bin/message/subscribe/send", with(tok), send); errcode(out) != 43101 {
		t.Fatalf("no grant: %v", out)
	}
	h.f.GrantSubscribe("oM", "SUB1")
	if out, _, _ := h.call(t, "POST", "/cgi-bin/message/subscribe/send", with(tok), send); errcode(out) != 0 {
		t.Fatalf("with a grant: %v", out)
	}
	if out, _, _ := h.call(t, "POST", "/cgi-bin/message/subscribe/send", with(tok), send); errcode(out) != 43101 {
		t.Fatalf("the grant was not used up: %v", out)
	}
}

func TestPermanentCodesAreCountedOnce(t *testing.T) {
	h := newHarness(t)
	tok := h.token(t, oaID, oaSecret)
	create := func(scene string) map[string]any {
		out, _, _ := h.call(t, "POST", "/cgi-bin/qrcode/create", with(tok), map[string]any{
			"action_name": "QR_LIMIT_STR_SCENE", "action_info": map[string]any{"scene": map[string]string{"scene_str": scene}}})
		return out
	}
	a, b := create("st:demo"), create("st:demo")
	if a["ticket"] == "" || a["ticket"] != b["ticket"] || a["url"] != b["url"] || h.f.PermanentQRCount(oaID) != 1 {
		t.Fatalf("same scene twice: %v %v, counted %d", a, b, h.f.PermanentQRCount(oaID))
	}
	if scene, ok := h.f.SceneForURL(a["url"].(string)); !ok || scene != "st:demo" {
		t.Fatalf("URL leads to %q", scene)
	}
	if out := create(strings.Repeat("x", 65)); errcode(out) != 40053 {
		t.Fatalf("65-character scene: %v", out)
	}
	h.f.SetPermanentQRUsed(oaID, MaxPermanentQRCodes)
	if out := create("dp:new"); errcode(out) != 45009 {
		t.Fatalf("past the quota: %v", out)
	}
	tmp, _, _ := h.call(t, "POST", "/cgi-bin/qrcode/create", with(tok), map[string]any{"expire_seconds": 9_999_999,
		"action_name": "QR_STR_SCENE", "action_info": map[string]any{"scene": map[string]string{"scene_str": "act:1"}}})
	if tmp["expire_seconds"].(float64) != 2_592_000 {
		t.Fatalf("temporary code: %v", tmp)
	}
}

func TestMiniProgramLoginPhoneAndCode(t *testing.T) {
	h := newHarness(t)
	code := h.f.IssueLoginCode(mpID, "oMP1", "uUnion1")
	q := url.Values{"appid": {mpID}, "secret": {mpSecret}, "js_code": {code}, "grant_type": {"authorization_code"}}
	out, _, _ := h.call(t, "GET", "/sns/jscode2session", q, nil)
	if out["openid"] != "oMP1" || out["unionid"] != "uUnion1" || out["session_key"] == "" {
		t.Fatalf("code2session: %v", out)
	}
	if out, _, _ := h.call(t, "GET", "/sns/jscode2session", q, nil); errcode(out) != 40163 {
		t.Fatalf("code used twice: %v", out)
	}
	late := h.f.IssueLoginCode(mpID, "oMP2", "")
	h.clock.add(6 * time.Minute)
	q.Set("js_code", late)
	if out, _, _ := h.call(t, "GET", "/sns/jscode2session", q, nil); errcode(out) != 40029 {
		t.Fatalf("expired code: %v", out)
	}

	tok := h.token(t, mpID, mpSecret)
	phone := h.f.IssuePhoneCode(mpID, "13800138000")
	out, _, _ = h.call(t, "POST", "/wxa/business/getuserphonenumber", with(tok), map[string]string{"code": phone})
	info, _ := out["phone_info"].(map[string]any)
	if info["purePhoneNumber"] != "13800138000" || info["watermark"].(map[string]any)["appid"] != mpID {
		t.Fatalf("phone number: %v", out)
	}

	_, resp, body := h.call(t, "POST", "/wxa/getwxacodeunlimit", with(tok), map[string]any{"scene": "st:demo", "width": 300})
	if resp.Header.Get("Content-Type") != "image/jpeg" || !bytes.HasPrefix(body, []byte("\x89PNG")) {
		t.Fatalf("wxacode: %s %q", resp.Header.Get("Content-Type"), body[:min(len(body), 16)])
	}
	if out, _, _ := h.call(t, "POST", "/wxa/getwxacodeunlimit", with(tok), map[string]any{"scene": strings.Repeat("a", 33)}); errcode(out) != 40169 {
		t.Fatalf("33-character scene: %v", out)
	}
}

func TestMediaExpiresAfterThreeDays(t *testing.T) {
	h := newHarness(t)
	h.f.AddMedia("m1", "audio/amr", []byte("#!AMR\n..."))
	tok := h.token(t, oaID, oaSecret)
	_, resp, body := h.call(t, "GET", "/cgi-bin/media/get", url.Values{"access_token": {tok}, "media_id": {"m1"}}, nil)
	if string(body) != "#!AMR\n..." || !strings.Contains(resp.Header.Get("Content-Disposition"), "m1.amr") {
		t.Fatalf("media: %q %v", body, resp.Header)
	}
	h.clock.add(73 * time.Hour)
	tok = h.token(t, oaID, oaSecret)
	if out, _, _ := h.call(t, "GET", "/cgi-bin/media/get", url.Values{"access_token": {tok}, "media_id": {"m1"}}, nil); errcode(out) != 40007 {
		t.Fatalf("media after three days: %v", out)
	}
}

func TestFailuresOnCommand(t *testing.T) {
	h := newHarness(t)
	tok := h.token(t, oaID, oaSecret)
	h.f.Follow("oF")
	send := map[string]any{"touser": "oF", "template_id": "T", "data": map[string]any{"thing1": map[string]string{"value": "x"}}}
	path := "/cgi-bin/message/template/send"
	h.f.FailNext(path, -1, 2)
	for _, want := range []int{-1, -1, 0} {
		if out, _, _ := h.call(t, "POST", path, with(tok), send); errcode(out) != want {
			t.Fatalf("got %v, want %d", out, want)
		}
	}
	h.f.FailRandomly("*", 1, 45009)
	if out, _, _ := h.call(t, "POST", path, with(tok), send); errcode(out) != 45009 {
		t.Fatalf("random failure at ratio 1: %v", out)
	}
	h.f.FailRandomly("*", 0, 0)

	h.f.StallNext(path, 3*time.Second, 1)
	client := &http.Client{Timeout: 200 * time.Millisecond}
	if _, err := client.Post(h.srv.URL+path+"?access_token="+tok, "application/json", strings.NewReader("{}")); err == nil {
		t.Fatal("a stalled call answered before the client's timeout")
	}
	if out, _, _ := h.call(t, "GET", "/cgi-bin/no/such/api", nil, nil); errcode(out) != 48001 {
		t.Fatalf("unknown path: %v", out)
	}
	if n := len(h.f.Calls(path)); n < 4 {
		t.Fatalf("recorded %d calls of %s", n, path)
	}
	if out, _, _ := h.call(t, "POST", path, nil, send); errcode(out) != 41001 {
		t.Fatalf("no token: %v", out)
	}
}
