package wechattest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

const (
	oaID, oaSecret = "wxoa0000000000001", "oa-secret"
	mpID, mpSecret = "wxmp0000000000001", "mp-secret"
)

// apiClock is a clock a test moves by hand.
type apiClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *apiClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *apiClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// apiEnv is a fake behind a real listener, spoken to in plain HTTP.
type apiEnv struct {
	f     *Fake
	base  string
	clock *apiClock
}

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	// Midday in Beijing, so a test's hours do not cross the daily reset.
	clock := &apiClock{t: time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC)}
	f := New(Config{Apps: testApps(), Now: clock.now})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &apiEnv{f: f, base: srv.URL, clock: clock}
}

// raw sends a request; body, if not nil and not []byte, is sent as JSON.
func (e *apiEnv) raw(t *testing.T, method, path string, q url.Values, body any) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.base+path+"?"+q.Encode(), rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d, want 200 as WeChat answers: %s", method, path, resp.StatusCode, data)
	}
	return resp, data
}

func (e *apiEnv) call(t *testing.T, method, path string, q url.Values, body any) map[string]any {
	t.Helper()
	_, data := e.raw(t, method, path, q, body)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s %s answered no JSON: %q", method, path, data)
	}
	return m
}

func (e *apiEnv) post(t *testing.T, path, token string, body any) map[string]any {
	t.Helper()
	return e.call(t, http.MethodPost, path, url.Values{"access_token": {token}}, body)
}

func errcodeOf(m map[string]any) int {
	n, _ := m["errcode"].(float64)
	return int(n)
}

func (e *apiEnv) token(t *testing.T, appid, secret string) map[string]any {
	t.Helper()
	return e.call(t, http.MethodGet, "/cgi-bin/token",
		url.Values{"grant_type": {"client_credential"}, "appid": {appid}, "secret": {secret}}, nil)
}

func (e *apiEnv) stable(t *testing.T, appid string, force bool) map[string]any {
	t.Helper()
	return e.call(t, http.MethodPost, "/cgi-bin/stable_token", nil, map[string]any{
		"grant_type": "client_credential", "appid": appid, "secret": oaSecret, "force_refresh": force})
}

func mustToken(t *testing.T, m map[string]any) string {
	t.Helper()
	tok, _ := m["access_token"].(string)
	if tok == "" {
		t.Fatalf("no token: %v", m)
	}
	return tok
}

// probe uses a token on a harmless call: 40007 (no such media) means the
// token itself was accepted.
func (e *apiEnv) probe(t *testing.T, token string) int {
	t.Helper()
	return errcodeOf(e.call(t, http.MethodGet, "/cgi-bin/media/get", url.Values{"access_token": {token}, "media_id": {"none"}}, nil))
}

var tokenShape = regexp.MustCompile(`^[A-Za-z0-9_-]{100,}$`)

func TestFakeAPITokenRefreshKeepsThePreviousFiveMinutes(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)

	first := e.token(t, oaID, oaSecret)
	a := mustToken(t, first)
	if !tokenShape.MatchString(a) || first["expires_in"] != 7200.0 {
		t.Fatalf("token answer %v", first)
	}
	if code := e.probe(t, a); code != 40007 {
		t.Fatalf("fresh token: %d", code)
	}
	b := mustToken(t, e.token(t, oaID, oaSecret))
	if a == b {
		t.Fatal("a second call answered the same token")
	}
	e.clock.advance(5*time.Minute - time.Second)
	if code := e.probe(t, a); code != 40007 {
		t.Fatalf("previous token within 5 minutes: %d", code)
	}
	e.clock.advance(time.Second)
	if code := e.probe(t, a); code != 40001 {
		t.Fatalf("previous token after 5 minutes: %d, want 40001", code)
	}
	if code := e.probe(t, b); code != 40007 {
		t.Fatalf("newest token: %d", code)
	}
	e.clock.advance(7200*time.Second - 5*time.Minute)
	if code := e.probe(t, b); code != 42001 {
		t.Fatalf("token after 2 hours: %d, want 42001", code)
	}

	for _, tc := range []struct {
		name                 string
		grant, appid, secret string
		want                 int
	}{
		{"wrong grant_type", "password", oaID, oaSecret, 40002},
		{"unknown appid", "client_credential", "wxnobody", oaSecret, 40013},
		{"wrong secret", "client_credential", oaID, "nope", 40125},
	} {
		m := e.call(t, http.MethodGet, "/cgi-bin/token",
			url.Values{"grant_type": {tc.grant}, "appid": {tc.appid}, "secret": {tc.secret}}, nil)
		if errcodeOf(m) != tc.want || m["access_token"] != nil {
			t.Errorf("%s: %v, want %d", tc.name, m, tc.want)
		}
	}
	if m := e.token(t, oaID, "nope"); m["errmsg"] != "invalid appsecret" {
		t.Errorf("40125 errmsg %q", m["errmsg"])
	}
}

func TestFakeAPITokenIsChecked(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	good := mustToken(t, e.token(t, oaID, oaSecret))
	for path, rt := range apiRoutes {
		if !rt.needToken {
			continue
		}
		method := http.MethodGet
		if rt.post {
			method = http.MethodPost
		}
		for _, tc := range []struct {
			token   string
			want    int
			wantMsg string
		}{
			{"", 41001, "access_token missing"},
			{"not-a-token", 40001, "invalid credential, access_token is invalid or not latest"},
		} {
			m := e.call(t, method, path, url.Values{"access_token": {tc.token}}, map[string]any{})
			if errcodeOf(m) != tc.want || m["errmsg"] != tc.wantMsg {
				t.Errorf("%s with token %q: %v, want %d %q", path, tc.token, m, tc.want, tc.wantMsg)
			}
		}
		if rt.post {
			m := e.call(t, http.MethodGet, path, url.Values{"access_token": {good}}, nil)
			if errcodeOf(m) != 43002 {
				t.Errorf("GET %s: %v, want 43002", path, m)
			}
		}
	}

	e.f.ExpireTokens()
	if code := e.probe(t, good); code != 42001 {
		t.Errorf("after ExpireTokens: %d", code)
	}
	fresh := mustToken(t, e.token(t, oaID, oaSecret))
	e.f.InvalidateTokens(mpID)
	if code := e.probe(t, fresh); code != 40007 {
		t.Errorf("another app's invalidation reached this one: %d", code)
	}
	e.f.InvalidateTokens(oaID)
	if code := e.probe(t, fresh); code != 40001 {
		t.Errorf("after InvalidateTokens: %d", code)
	}
}

func TestFakeAPIStableToken(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)

	s1 := mustToken(t, e.stable(t, oaID, false))
	e.clock.advance(time.Hour)
	again := e.stable(t, oaID, false)
	if mustToken(t, again) != s1 || again["expires_in"] != 3600.0 {
		t.Fatalf("within its life the stable token changed or miscounts: %v", again)
	}

	// Isolation: /cgi-bin/token neither replaces nor kills the stable token.
	plain := mustToken(t, e.token(t, oaID, oaSecret))
	e.clock.advance(6 * time.Minute)
	if code := e.probe(t, s1); code != 40007 {
		t.Fatalf("stable token after a /cgi-bin/token call: %d", code)
	}
	if got := mustToken(t, e.stable(t, oaID, false)); got != s1 {
		t.Fatal("/cgi-bin/token changed the stable token")
	}

	// In its last 5 minutes a new one is minted; the old lives out its time.
	e.clock.advance(7200*time.Second - time.Hour - 6*time.Minute - 4*time.Minute)
	next := e.stable(t, oaID, false)
	s2 := mustToken(t, next)
	if s2 == s1 || next["expires_in"] != 7200.0 {
		t.Fatalf("near its end: %v", next)
	}
	if code := e.probe(t, s1); code != 40007 {
		t.Fatalf("old stable token in its last minutes: %d", code)
	}
	e.clock.advance(4 * time.Minute)
	if code := e.probe(t, s1); code != 42001 {
		t.Fatalf("old stable token past its time: %d", code)
	}

	// force_refresh kills the previous one, and does not touch /cgi-bin/token's.
	plain = mustToken(t, e.token(t, oaID, oaSecret))
	s3 := mustToken(t, e.stable(t, oaID, true))
	if s3 == s2 || e.probe(t, s2) != 40001 || e.probe(t, s3) != 40007 || e.probe(t, plain) != 40007 {
		t.Fatalf("after force_refresh: new %v, old %d, plain %d", s3 != s2, e.probe(t, s2), e.probe(t, plain))
	}
	if m := e.stable(t, oaID, true); errcodeOf(m) != 45009 {
		t.Fatalf("force_refresh within 30 s: %v", m)
	}
	for i := 2; i <= 20; i++ {
		e.clock.advance(31 * time.Second)
		if m := e.stable(t, oaID, true); errcodeOf(m) != 0 {
			t.Fatalf("force_refresh #%d: %v", i, m)
		}
	}
	e.clock.advance(31 * time.Second)
	if m := e.stable(t, oaID, true); errcodeOf(m) != 45009 {
		t.Fatalf("the 21st force_refresh of the day: %v", m)
	}
	e.clock.advance(24 * time.Hour)
	if m := e.stable(t, oaID, true); errcodeOf(m) != 0 {
		t.Fatalf("force_refresh the next day: %v", m)
	}

	for _, tc := range []struct {
		name   string
		method string
		body   any
		want   int
	}{
		{"GET", http.MethodGet, nil, 47001},
		{"not JSON", http.MethodPost, []byte("grant_type=client_credential"), 47001},
		{"wrong grant", http.MethodPost, map[string]any{"grant_type": "x", "appid": oaID, "secret": oaSecret}, 40002},
		{"wrong secret", http.MethodPost, map[string]any{"grant_type": "client_credential", "appid": oaID, "secret": "x"}, 40125},
		{"unknown app", http.MethodPost, map[string]any{"grant_type": "client_credential", "appid": "wxx", "secret": "x"}, 40013},
	} {
		if m := e.call(t, tc.method, "/cgi-bin/stable_token", nil, tc.body); errcodeOf(m) != tc.want {
			t.Errorf("%s: %v, want %d", tc.name, m, tc.want)
		}
	}
}

func TestFakeAPITemplateSend(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	tok := mustToken(t, e.token(t, oaID, oaSecret))
	e.f.Follow("oFan")

	send := func(touser, tpl string, data map[string]string, clientMsgID string) map[string]any {
		d := map[string]any{}
		for k, v := range data {
			d[k] = map[string]string{"value": v}
		}
		return e.post(t, "/cgi-bin/message/template/send", tok, map[string]any{
			"touser": touser, "template_id": tpl, "data": d, "client_msg_id": clientMsgID,
			"url": "https://example.gov.cn/case/7", "miniprogram": map[string]string{"appid": mpID, "pagepath": "pages/case/detail?id=7"}})
	}
	for _, tc := range []struct {
		name    string
		touser  string
		tpl     string
		data    map[string]string
		want    int
		wantMsg string
	}{
		{"ok", "oFan", "TPL", map[string]string{"thing1": strings.Repeat("事", 20), "time2": "2026-03-02 12:00"}, 0, "ok"},
		{"not following", "oStranger", "TPL", map[string]string{"thing1": "x"}, 43004, "require subscribe"},
		{"no template", "oFan", "", map[string]string{"thing1": "x"}, 40037, "invalid template_id"},
		{"21-rune thing", "oFan", "TPL", map[string]string{"thing1": strings.Repeat("事", 21)}, 47003, "argument invalid! data.thing1.value invalid"},
		{"empty value", "oFan", "TPL", map[string]string{"time4": ""}, 47003, "argument invalid! data.time4.value invalid"},
		{"placeholder key", "oFan", "TPL", map[string]string{"thing1.DATA": "x"}, 47003, "argument invalid! data.thing1.DATA.value invalid"},
		{"newline", "oFan", "TPL", map[string]string{"thing1": "a\nb"}, 47003, "argument invalid! data.thing1.value invalid"},
		{"Chinese character_string", "oFan", "TPL", map[string]string{"character_string3": "编号1"}, 47003, "argument invalid! data.character_string3.value invalid"},
		{"33-char character_string", "oFan", "TPL", map[string]string{"character_string3": strings.Repeat("A", 33)}, 47003, "argument invalid! data.character_string3.value invalid"},
		{"6-rune phrase", "oFan", "TPL", map[string]string{"phrase5": "一二三四五六"}, 47003, "argument invalid! data.phrase5.value invalid"},
		{"11-rune name", "oFan", "TPL", map[string]string{"name1": strings.Repeat("张", 11)}, 47003, "argument invalid! data.name1.value invalid"},
		{"9-char car_number", "oFan", "TPL", map[string]string{"car_number1": "鲁B1234567"}, 47003, "argument invalid! data.car_number1.value invalid"},
		{"limits at their edge", "oFan", "TPL", map[string]string{"phrase1": "已受理", "name2": "张晓梅", "character_string3": "A-2026-0001",
			"phone_number4": "+86 138 0013 8000", "car_number5": "鲁B123456", "symbol6": "%", "number7": "12", "amount8": "¥100"}, 0, "ok"},
	} {
		m := send(tc.touser, tc.tpl, tc.data, "")
		if errcodeOf(m) != tc.want || m["errmsg"] != tc.wantMsg {
			t.Errorf("%s: %v, want %d %q", tc.name, m, tc.want, tc.wantMsg)
		}
		if (tc.want == 0) != (m["msgid"] != nil) {
			t.Errorf("%s: msgid %v", tc.name, m["msgid"])
		}
	}
	if n := len(e.f.Delivered("oFan")); n != 2 {
		t.Fatalf("%d deliveries after two good sends", n)
	}

	// client_msg_id: a retry within 10 minutes is the same message.
	first := send("oFan", "TPL", map[string]string{"thing1": "重试"}, "case-42")
	e.clock.advance(9 * time.Minute)
	retry := send("oFan", "TPL", map[string]string{"thing1": "重试"}, "case-42")
	if errcodeOf(retry) != 0 || retry["msgid"] != first["msgid"] {
		t.Fatalf("retry answered %v, first %v", retry, first)
	}
	got := e.f.Delivered("oFan")
	if len(got) != 3 || got[2].Data["thing1"] != "重试" || got[2].Kind != DeliveryTemplate || float64(got[2].MsgID) != first["msgid"] ||
		got[2].URL != "https://example.gov.cn/case/7" || got[2].Page != "pages/case/detail?id=7" {
		t.Fatalf("deliveries %+v", got)
	}
	calls := e.f.Calls("/cgi-bin/message/template/send")
	if last := calls[len(calls)-1]; !last.Duplicate || last.ErrCode != 0 || calls[len(calls)-2].Duplicate {
		t.Fatalf("the retry is not marked duplicate: %+v", last)
	}
	if other := send("oFan", "TPL", map[string]string{"thing1": "另一条"}, "case-43"); other["msgid"] == first["msgid"] {
		t.Fatal("another client_msg_id got the same msgid")
	}
	e.clock.advance(time.Minute)
	if late := send("oFan", "TPL", map[string]string{"thing1": "重试"}, "case-42"); late["msgid"] == first["msgid"] {
		t.Fatal("client_msg_id still deduplicated after 10 minutes")
	}
	if n := len(e.f.Delivered("oFan")); n != 5 {
		t.Fatalf("%d deliveries, want 5", n)
	}
}

func TestFakeAPICustomSendAfterAnEventAllowsThreeInAMinute(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	tok := mustToken(t, e.token(t, oaID, oaSecret))
	text := func(content string) int {
		return errcodeOf(e.post(t, "/cgi-bin/message/custom/send", tok,
			map[string]any{"touser": "oScanner", "msgtype": "text", "text": map[string]string{"content": content}}))
	}
	e.f.Follow("oScanner")
	e.f.UserEvent("oScanner")
	for i := 1; i <= 3; i++ {
		if code := text("欢迎"); code != 0 {
			t.Fatalf("send %d after the scan: %d", i, code)
		}
	}
	if code := text("第四条"); code != 45047 {
		t.Fatalf("4th send within the minute: %d", code)
	}
	e.f.UserEvent("oScanner")
	e.clock.advance(time.Minute)
	if code := text("一分钟后"); code != 45015 {
		t.Fatalf("a minute after the scan: %d", code)
	}
}

func TestFakeAPICustomSendNeedsTheWindow(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	tok := mustToken(t, e.token(t, oaID, oaSecret))
	text := func(to, content string) int {
		return errcodeOf(e.post(t, "/cgi-bin/message/custom/send", tok,
			map[string]any{"touser": to, "msgtype": "text", "text": map[string]string{"content": content}}))
	}
	e.f.Follow("oFan")
	if code := text("oFan", "您好"); code != 45015 {
		t.Fatalf("without a message from them: %d", code)
	}
	e.f.UserMessaged("oFan")
	for i := 1; i <= 5; i++ {
		if code := text("oFan", "回复"); code != 0 {
			t.Fatalf("send %d: %d", i, code)
		}
	}
	if m := e.post(t, "/cgi-bin/message/custom/send", tok, map[string]any{"touser": "oFan", "msgtype": "text",
		"text": map[string]string{"content": "第六条"}}); errcodeOf(m) != 45047 || m["errmsg"] != "out of response count limit" {
		t.Fatalf("6th send: %v", m)
	}
	e.f.UserMessaged("oFan")
	if code := text("oFan", "又回复"); code != 0 {
		t.Fatalf("after they wrote again: %d", code)
	}
	e.clock.advance(48 * time.Hour)
	tok = mustToken(t, e.token(t, oaID, oaSecret))
	if code := text("oFan", "迟了"); code != 45015 {
		t.Fatalf("after 48 hours: %d", code)
	}
	e.f.UserMessaged("oFan")
	e.f.AddMedia("M1", "image/jpeg", []byte("\xff\xd8\xff"))
	for _, tc := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"unknown msgtype", map[string]any{"touser": "oFan", "msgtype": "hologram"}, 40008},
		{"empty text", map[string]any{"touser": "oFan", "msgtype": "text", "text": map[string]string{"content": ""}}, 44004},
		{"image", map[string]any{"touser": "oFan", "msgtype": "image", "image": map[string]string{"media_id": "M1"}}, 0},
		{"never-issued media", map[string]any{"touser": "oFan", "msgtype": "image", "image": map[string]string{"media_id": "NOPE"}}, 40007},
		{"two news articles", map[string]any{"touser": "oFan", "msgtype": "news", "news": map[string]any{"articles": []map[string]string{
			{"title": "一", "url": "https://example.org/1"}, {"title": "二", "url": "https://example.org/2"}}}}, 45008},
	} {
		if m := e.post(t, "/cgi-bin/message/custom/send", tok, tc.body); errcodeOf(m) != tc.want {
			t.Errorf("%s: %v, want %d", tc.name, m, tc.want)
		}
	}
	e.f.Unfollow("oFan")
	if code := text("oFan", "取关了"); code != 45015 {
		t.Fatalf("to someone who unfollowed: %d", code)
	}
	got := e.f.Delivered("oFan")
	if len(got) != 7 || got[0].Kind != DeliveryCustom || got[0].Text != "回复" || got[6].MediaID != "M1" {
		t.Fatalf("deliveries %+v", got)
	}
}

func TestFakeAPISubscribeSendNeedsAGrant(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	tok := mustToken(t, e.token(t, mpID, mpSecret))
	send := func(state string) map[string]any {
		return e.post(t, "/cgi-bin/message/subscribe/send", tok, map[string]any{"touser": "oCitizen", "template_id": "SUB",
			"page": "pages/case/detail?id=7", "miniprogram_state": state, "lang": "zh_CN",
			"data": map[string]any{"thing1": map[string]string{"value": "已受理"}}})
	}
	if m := send("formal"); errcodeOf(m) != 43101 || m["errmsg"] != "user refuse to accept the msg" {
		t.Fatalf("without a grant: %v", m)
	}
	e.f.GrantSubscribe("oCitizen", "SUB")
	e.f.GrantSubscribe("oCitizen", "SUB")
	e.f.GrantSubscribe("oCitizen", "OTHER")
	if m := send("nightly"); errcodeOf(m) != 47003 {
		t.Fatalf("bad miniprogram_state: %v", m)
	}
	for i := range 2 {
		if m := send("formal"); errcodeOf(m) != 0 {
			t.Fatalf("send %d with grants: %v", i, m)
		}
	}
	if m := send(""); errcodeOf(m) != 43101 {
		t.Fatalf("grants not consumed: %v", m)
	}
	got := e.f.Delivered("oCitizen")
	if len(got) != 2 || got[0].Kind != DeliverySubscribe || got[0].TemplateID != "SUB" || got[0].Data["thing1"] != "已受理" ||
		got[0].Page != "pages/case/detail?id=7" {
		t.Fatalf("deliveries %+v", got)
	}
}

func TestFakeAPIQRCodes(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	tok := mustToken(t, e.token(t, oaID, oaSecret))
	create := func(action string, scene map[string]any, expire int) map[string]any {
		body := map[string]any{"action_name": action, "action_info": map[string]any{"scene": scene}}
		if expire != 0 {
			body["expire_seconds"] = expire
		}
		return e.post(t, "/cgi-bin/qrcode/create", tok, body)
	}

	a := create("QR_LIMIT_STR_SCENE", map[string]any{"scene_str": "st:demo"}, 0)
	b := create("QR_LIMIT_STR_SCENE", map[string]any{"scene_str": "st:demo"}, 0)
	u, _ := a["url"].(string)
	if a["ticket"] == nil || a["ticket"] != b["ticket"] || u != b["url"] || !strings.HasPrefix(u, "http://weixin.qq.com/q/") {
		t.Fatalf("the same permanent scene twice: %v then %v", a, b)
	}
	if _, ok := a["expire_seconds"]; ok {
		t.Errorf("a permanent code has expire_seconds: %v", a)
	}
	if n := e.f.PermanentQRCount(oaID); n != 1 {
		t.Fatalf("count %d after one scene created twice", n)
	}
	if scene, ok := e.f.SceneForURL(u); !ok || scene != "st:demo" {
		t.Fatalf("SceneForURL(%q) = %q %v", u, scene, ok)
	}
	if _, ok := e.f.SceneForURL("http://weixin.qq.com/q/nothing"); ok {
		t.Fatal("an unknown URL has a scene")
	}
	if m := create("QR_LIMIT_SCENE", map[string]any{"scene_id": 7}, 0); m["ticket"] == nil || m["url"] == u {
		t.Fatalf("a numeric scene: %v", m)
	}

	for _, tc := range []struct {
		name   string
		action string
		scene  map[string]any
		expire int
		want   float64 // expire_seconds answered
	}{
		{"default", "QR_SCENE", map[string]any{"scene_id": 123}, 0, 60},
		{"as asked", "QR_STR_SCENE", map[string]any{"scene_str": "login:abc"}, 600, 600},
		{"capped", "QR_STR_SCENE", map[string]any{"scene_str": "login:abc"}, 9_999_999, 2_592_000},
	} {
		m := create(tc.action, tc.scene, tc.expire)
		if m["ticket"] == nil || m["expire_seconds"] != tc.want {
			t.Errorf("temporary %s: %v, want expire_seconds %v", tc.name, m, tc.want)
		}
	}
	if n := e.f.PermanentQRCount(oaID); n != 2 {
		t.Fatalf("temporary codes counted: %d", n)
	}

	for _, tc := range []struct {
		name   string
		action string
		scene  map[string]any
	}{
		{"unknown action", "QR_FOREVER", map[string]any{"scene_str": "x"}},
		{"permanent id 0", "QR_LIMIT_SCENE", map[string]any{"scene_id": 0}},
		{"permanent id 100001", "QR_LIMIT_SCENE", map[string]any{"scene_id": 100001}},
		{"empty scene_str", "QR_LIMIT_STR_SCENE", map[string]any{"scene_str": ""}},
		{"65-char scene_str", "QR_LIMIT_STR_SCENE", map[string]any{"scene_str": strings.Repeat("s", 65)}},
	} {
		if m := create(tc.action, tc.scene, 0); errcodeOf(m) != 40053 || m["errmsg"] != "invalid action info" {
			t.Errorf("%s: %v, want 40053", tc.name, m)
		}
	}

	e.f.SetPermanentQRUsed(oaID, MaxPermanentQRCodes-1)
	if m := create("QR_LIMIT_STR_SCENE", map[string]any{"scene_str": "st:last"}, 0); m["ticket"] == nil {
		t.Fatalf("the 100,000th code: %v", m)
	}
	over := create("QR_LIMIT_STR_SCENE", map[string]any{"scene_str": "st:one-too-many"}, 0)
	if errcodeOf(over) != 45009 || over["errmsg"] != "permanent qrcode reach max limit" {
		t.Fatalf("past the quota: %v", over)
	}
	if again := create("QR_LIMIT_STR_SCENE", map[string]any{"scene_str": "st:demo"}, 0); again["url"] != u {
		t.Fatalf("an existing code past the quota: %v", again)
	}
	if n := e.f.PermanentQRCount(oaID); n != MaxPermanentQRCodes {
		t.Fatalf("count %d at the quota", n)
	}
	if n := e.f.PermanentQRCount(mpID); n != 0 {
		t.Fatalf("another app's count %d", n)
	}
}

func TestFakeAPIJSCode2Session(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	login := func(appid, secret, code string) map[string]any {
		return e.call(t, http.MethodGet, "/sns/jscode2session", url.Values{"appid": {appid}, "secret": {secret},
			"js_code": {code}, "grant_type": {"authorization_code"}}, nil)
	}
	code := e.f.IssueLoginCode(mpID, "oCitizen", "uCitizen")
	m := login(mpID, mpSecret, code)
	if m["openid"] != "oCitizen" || m["unionid"] != "uCitizen" || m["session_key"] == "" || m["errcode"] != nil {
		t.Fatalf("first use: %v", m)
	}
	if m := login(mpID, mpSecret, code); errcodeOf(m) != 40163 || m["errmsg"] != "code been used" {
		t.Fatalf("second use: %v", m)
	}

	noUnion := login(mpID, mpSecret, e.f.IssueLoginCode(mpID, "oLonely", ""))
	if _, ok := noUnion["unionid"]; ok || noUnion["openid"] != "oLonely" {
		t.Fatalf("without a unionid: %v", noUnion)
	}

	late := e.f.IssueLoginCode(mpID, "oSlow", "")
	e.clock.advance(5 * time.Minute)
	if m := login(mpID, mpSecret, late); errcodeOf(m) != 40029 {
		t.Fatalf("after 5 minutes: %v", m)
	}
	fresh := e.f.IssueLoginCode(mpID, "oCitizen", "")
	for _, tc := range []struct {
		name, appid, secret, code string
		want                      int
	}{
		{"unknown code", mpID, mpSecret, "nope", 40029},
		{"another app's code", oaID, oaSecret, fresh, 40029},
		{"wrong secret", mpID, "x", fresh, 40125},
		{"unknown app", "wxnobody", mpSecret, fresh, 40013},
	} {
		if m := login(tc.appid, tc.secret, tc.code); errcodeOf(m) != tc.want {
			t.Errorf("%s: %v, want %d", tc.name, m, tc.want)
		}
	}
	if m := login(mpID, mpSecret, fresh); m["openid"] != "oCitizen" {
		t.Fatalf("refusals used the code up: %v", m)
	}
}

func decodeQR(t *testing.T, data []byte) string {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a picture: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the code does not scan: %v", err)
	}
	return res.GetText()
}

func TestFakeAPIWXACodeUnlimit(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	tok := mustToken(t, e.token(t, mpID, mpSecret))
	q := url.Values{"access_token": {tok}}

	resp, data := e.raw(t, http.MethodPost, "/wxa/getwxacodeunlimit", q, map[string]any{"scene": "st:demo-bdg", "page": "pages/index/index"})
	if ct := resp.Header.Get("Content-Type"); ct != "image/jpeg" || !bytes.HasPrefix(data, []byte("\xff\xd8\xff")) {
		t.Fatalf("Content-Type %q, starts %q", ct, data[:min(8, len(data))])
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width != 430 {
		t.Fatalf("default width: %+v %v", cfg, err)
	}
	if got := decodeQR(t, data); got != "wxacode:st:demo-bdg" {
		t.Fatalf("the code reads %q", got)
	}
	// check_path false draws a page not yet published (WeChat's way to print codes before release).
	resp, data = e.raw(t, http.MethodPost, "/wxa/getwxacodeunlimit", q, map[string]any{"scene": "a", "page": "pages/soon/index", "check_path": false})
	if resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("check_path false: %s", data)
	}
	_, data = e.raw(t, http.MethodPost, "/wxa/getwxacodeunlimit", q, map[string]any{"scene": "a", "width": 280})
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width != 280 {
		t.Fatalf("width 280: %+v %v", cfg, err)
	}

	for _, tc := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"33-char scene", map[string]any{"scene": strings.Repeat("a", 33)}, 40169},
		{"empty scene", map[string]any{"scene": ""}, 40169},
		{"Chinese scene", map[string]any{"scene": "站点"}, 40169},
		{"percent in scene", map[string]any{"scene": "a%20b"}, 40169},
		{"width 279", map[string]any{"scene": "a", "width": 279}, 47003},
		{"width 1281", map[string]any{"scene": "a", "width": 1281}, 47003},
		{"page with /", map[string]any{"scene": "a", "page": "/pages/index/index"}, 41030},
		{"page with ?", map[string]any{"scene": "a", "page": "pages/index/index?x=1"}, 41030},
		{"page not published", map[string]any{"scene": "a", "page": "pages/nowhere/index"}, 41030},
		{"page not published, check_path true", map[string]any{"scene": "a", "page": "pages/nowhere/index", "check_path": true}, 41030},
	} {
		resp, data := e.raw(t, http.MethodPost, "/wxa/getwxacodeunlimit", q, tc.body)
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil || errcodeOf(m) != tc.want ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %s (%s), want %d", tc.name, data, resp.Header.Get("Content-Type"), tc.want)
		}
	}
}

func TestFakeAPIPhoneNumber(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	mpTok := mustToken(t, e.token(t, mpID, mpSecret))
	oaTok := mustToken(t, e.token(t, oaID, oaSecret))
	ask := func(tok, code string) map[string]any {
		return e.post(t, "/wxa/business/getuserphonenumber", tok, map[string]any{"code": code})
	}
	code := e.f.IssuePhoneCode(mpID, "13800138000")
	if m := ask(oaTok, code); errcodeOf(m) != 48001 {
		t.Fatalf("with the Official Account's token: %v, want 48001 (tokens are per app)", m)
	}
	m := ask(mpTok, code)
	info, _ := m["phone_info"].(map[string]any)
	wm, _ := info["watermark"].(map[string]any)
	if errcodeOf(m) != 0 || m["errmsg"] != "ok" || info["phoneNumber"] != "13800138000" || info["purePhoneNumber"] != "13800138000" ||
		info["countryCode"] != "86" || wm["appid"] != mpID || wm["timestamp"] != float64(e.clock.now().Unix()) {
		t.Fatalf("phone number: %v", m)
	}
	if m := ask(mpTok, code); errcodeOf(m) != 40029 || m["errmsg"] != "invalid code" {
		t.Fatalf("second use: %v", m)
	}
	late := e.f.IssuePhoneCode(mpID, "13900139000")
	e.clock.advance(5 * time.Minute)
	if m := ask(mpTok, late); errcodeOf(m) != 40029 {
		t.Fatalf("after 5 minutes: %v", m)
	}
}

func TestFakeAPIMediaGet(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	tok := mustToken(t, e.token(t, oaID, oaSecret))
	photo := []byte("\xff\xd8\xff\xe0 a photo")
	e.f.AddMedia("MEDIA_PHOTO", "image/jpeg", photo)
	e.f.AddMedia("MEDIA_VIDEO", "video/mp4", []byte("a video"))

	resp, data := e.raw(t, http.MethodGet, "/cgi-bin/media/get", url.Values{"access_token": {tok}, "media_id": {"MEDIA_PHOTO"}}, nil)
	if !bytes.Equal(data, photo) || resp.Header.Get("Content-Type") != "image/jpeg" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="MEDIA_PHOTO.jpg"` {
		t.Fatalf("photo: %q %v", data, resp.Header)
	}

	video := e.call(t, http.MethodGet, "/cgi-bin/media/get", url.Values{"access_token": {tok}, "media_id": {"MEDIA_VIDEO"}}, nil)
	videoURL, _ := video["video_url"].(string)
	if !strings.HasSuffix(videoURL, "/MEDIA_VIDEO.mp4") {
		t.Fatalf("video: %v", video)
	}
	got, err := http.Get(videoURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(body) != "a video" {
		t.Fatalf("video_url serves %q", body)
	}

	if m := e.call(t, http.MethodGet, "/cgi-bin/media/get", url.Values{"access_token": {tok}, "media_id": {"NOPE"}}, nil); errcodeOf(m) != 40007 {
		t.Fatalf("unknown media: %v", m)
	}
	e.clock.advance(72*time.Hour - time.Second)
	tok = mustToken(t, e.token(t, oaID, oaSecret))
	if _, data := e.raw(t, http.MethodGet, "/cgi-bin/media/get", url.Values{"access_token": {tok}, "media_id": {"MEDIA_PHOTO"}}, nil); !bytes.Equal(data, photo) {
		t.Fatalf("just under 3 days: %q", data)
	}
	e.clock.advance(time.Second)
	if m := e.call(t, http.MethodGet, "/cgi-bin/media/get", url.Values{"access_token": {tok}, "media_id": {"MEDIA_PHOTO"}}, nil); errcodeOf(m) != 40007 || m["errmsg"] != "invalid media_id" {
		t.Fatalf("after 3 days: %v", m)
	}
}

func TestFakeAPIFailNext(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	tok := mustToken(t, e.token(t, oaID, oaSecret))
	e.f.Follow("oFan")
	const path = "/cgi-bin/message/template/send"
	send := func() map[string]any {
		return e.post(t, path, tok, map[string]any{"touser": "oFan", "template_id": "TPL",
			"data": map[string]any{"thing1": map[string]string{"value": "x"}}})
	}
	e.f.FailNext(path, -1, 1)
	e.f.FailNext(path, 40001, 1)
	e.f.FailNext(path, 45009, 1)
	e.f.FailNext(path, 12345, 1)
	for _, want := range []struct {
		code int
		msg  string
	}{
		{-1, "system error"},
		{40001, "invalid credential, access_token is invalid or not latest"},
		{45009, "reach max api daily quota limit"},
		{12345, "injected error"},
		{0, "ok"},
	} {
		if m := send(); errcodeOf(m) != want.code || m["errmsg"] != want.msg {
			t.Fatalf("%v, want %d %q", m, want.code, want.msg)
		}
	}
	calls := e.f.Calls(path)
	if len(calls) != 5 || calls[0].ErrCode != -1 || calls[4].ErrCode != 0 || calls[0].Method != http.MethodPost ||
		calls[0].Query.Get("access_token") != tok || !bytes.Contains(calls[0].Body, []byte(`"touser":"oFan"`)) {
		t.Fatalf("calls %+v", calls)
	}
	if n := len(e.f.Delivered("oFan")); n != 1 {
		t.Fatalf("injected failures delivered: %d", n)
	}
	if all := e.f.Calls(""); len(all) != 6 || all[0].Path != "/cgi-bin/token" {
		t.Fatalf("all calls %+v", all)
	}

	// Reset forgets calls and failures, not the world.
	e.f.FailNext(path, -1, 3)
	e.f.Reset()
	if m := send(); errcodeOf(m) != 0 {
		t.Fatalf("after Reset: %v", m)
	}
	if n := len(e.f.Calls("")); n != 1 {
		t.Fatalf("%d calls after Reset", n)
	}
}

func TestFakeAPIStallNext(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	const path = "/cgi-bin/token"
	q := url.Values{"grant_type": {"client_credential"}, "appid": {oaID}, "secret": {oaSecret}}
	e.f.StallNext(path, 10*time.Second, 1)
	e.f.StallNext(path, 100*time.Millisecond, 1)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.base+path+"?"+q.Encode(), nil)
	start := time.Now()
	if resp, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		if err == nil {
			resp.Body.Close()
		}
		t.Fatalf("a stalled call answered: %v", err)
	}
	// The stalled handler must give up with its client, not hold on 10 s.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if calls := e.f.Calls(path); len(calls) == 1 && calls[0].Abandoned {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stalled handler did not notice its client left: %+v", e.f.Calls(path))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("stall was not cut short")
	}

	start = time.Now()
	if m := e.token(t, oaID, oaSecret); m["access_token"] == nil {
		t.Fatalf("after a short stall: %v", m)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("the second stall took only %v", d)
	}
	start = time.Now()
	e.token(t, oaID, oaSecret)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("a third call stalled %v", d)
	}
}

func TestFakeAPIFailRandomly(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	tok := mustToken(t, e.token(t, oaID, oaSecret))
	count := func(path string, n int) (failed int) {
		for range n {
			m := e.call(t, http.MethodGet, path, url.Values{"access_token": {tok}, "media_id": {"x"}}, nil)
			if errcodeOf(m) == -1 {
				failed++
			}
		}
		return failed
	}
	e.f.FailRandomly("/cgi-bin/media/get", 0.5, -1)
	if n := count("/cgi-bin/media/get", 200); n < 60 || n > 140 {
		t.Fatalf("%d of 200 failed at ratio 0.5", n)
	}
	e.f.FailRandomly("/cgi-bin/media/get", 0, -1)
	if n := count("/cgi-bin/media/get", 50); n != 0 {
		t.Fatalf("%d failed after clearing", n)
	}
	e.f.FailRandomly("*", 1, -1)
	if m := e.token(t, oaID, oaSecret); errcodeOf(m) != -1 {
		t.Fatalf("\"*\" did not reach /cgi-bin/token: %v", m)
	}
	e.f.FailRandomly("*", 0, 0)
	if m := e.token(t, oaID, oaSecret); m["access_token"] == nil {
		t.Fatalf("after clearing \"*\": %v", m)
	}
}

func TestFakeAPIUserInfo(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	tok, _ := e.token(t, oaID, oaSecret)["access_token"].(string)
	info := func(openid string) map[string]any {
		return e.call(t, http.MethodGet, "/cgi-bin/user/info", url.Values{"access_token": {tok}, "openid": {openid}, "lang": {"zh_CN"}}, nil)
	}
	if m := info("oStranger0001"); errcodeOf(m) != 40003 {
		t.Fatalf("an openid the account never saw: %v, want 40003", m)
	}
	e.f.Follow("oLeft00000001")
	e.f.Unfollow("oLeft00000001")
	if m := info("oLeft00000001"); m["subscribe"] != float64(0) || len(m) != 2 {
		t.Fatalf("not following any more: %v", m)
	}
	mpTok := mustToken(t, e.token(t, mpID, mpSecret))
	if m := e.call(t, http.MethodGet, "/cgi-bin/user/info", url.Values{"access_token": {mpTok}, "openid": {"oLeft00000001"}}, nil); errcodeOf(m) != 48001 {
		t.Fatalf("with the Mini Program's token: %v, want 48001", m)
	}
	e.f.Follow("oFollower0001")
	if m := info("oFollower0001"); m["subscribe"] != float64(1) || m["unionid"] != nil || m["nickname"] != nil {
		t.Fatalf("follower without unionid: %v", m)
	}
	e.f.SetUnionID("oFollower0001", "uUnion0001")
	if m := info("oFollower0001"); m["unionid"] != "uUnion0001" {
		t.Fatalf("follower with unionid: %v", m)
	}
	if m := info("bad openid!"); errcodeOf(m) != 40003 {
		t.Fatalf("bad openid: %v", m)
	}
}

func TestFakeAPIUnknownPath(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	for _, p := range []string{"/cgi-bin/user/get", "/", "/wxa/nope"} {
		if m := e.call(t, http.MethodGet, p, nil, nil); errcodeOf(m) != 48001 || m["errmsg"] != "api unauthorized" {
			t.Errorf("%s: %v", p, m)
		}
	}
}

// Many clients at once: run with -race, and nothing may be lost.
func TestFakeAPIConcurrentSends(t *testing.T) {
	t.Parallel()
	f, srv, base, err := Start(Config{Apps: testApps()[:1]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	e := &apiEnv{f: f, base: base}
	tok := mustToken(t, e.stable(t, oaID, false))
	f.Follow("oFan")
	f.FailRandomly("*", 0.1, -1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 8 {
		wg.Go(func() {
			for j := range 10 {
				body, _ := json.Marshal(map[string]any{"touser": "oFan", "template_id": "TPL",
					"client_msg_id": strings.Repeat("x", i+1) + string(rune('a'+j)),
					"data":          map[string]any{"thing1": map[string]string{"value": "并发"}}})
				resp, err := http.Post(base+"/cgi-bin/message/template/send?access_token="+tok, "application/json", bytes.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				var m map[string]any
				err = json.NewDecoder(resp.Body).Decode(&m)
				resp.Body.Close()
				if err == nil && errcodeOf(m) == 0 {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if got := len(f.Delivered("oFan")); got != ok || ok < 50 {
		t.Fatalf("%d answered ok, %d delivered", ok, got)
	}
	if n := len(f.Calls("/cgi-bin/message/template/send")); n != 80 {
		t.Fatalf("%d calls recorded, want 80", n)
	}
}

func TestFakeAPIRecordsAreBounded(t *testing.T) {
	t.Parallel()
	var s []int
	for i := range maxRecords + 10 {
		s = appendBounded(s, i)
	}
	if len(s) > maxRecords || len(s) < maxRecords/2 || s[len(s)-1] != maxRecords+9 || s[0] >= s[1] {
		t.Fatalf("kept %d records, last %d", len(s), s[len(s)-1])
	}
}

// A temporary code (QR_STR_SCENE) leads to its scene until expire_seconds
// have passed, at most 30 days however long is asked for, and then nowhere;
// its scene_str is at most 64 bytes, so 22 Chinese characters (66 bytes)
// are refused though they are fewer than 64 characters.
func TestFakeAPITemporaryQRCodesExpire(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	tok := mustToken(t, e.token(t, oaID, oaSecret))
	create := func(scene string, expire int) map[string]any {
		return e.post(t, "/cgi-bin/qrcode/create", tok, map[string]any{"action_name": "QR_STR_SCENE", "expire_seconds": expire,
			"action_info": map[string]any{"scene": map[string]any{"scene_str": scene}}})
	}
	short, long := create("pd:short", 600), create("pd:long", 90*24*3600)
	shortURL, _ := short["url"].(string)
	longURL, _ := long["url"].(string)
	if long["expire_seconds"] != float64(TemporaryQRMaxSeconds) {
		t.Fatalf("a 90-day code: %v", long)
	}
	if at, ok := e.f.QRExpiry(longURL); !ok || !at.Equal(e.clock.now().Add(30*24*time.Hour)) {
		t.Fatalf("the 90-day code expires %v %v, want in 30 days", at, ok)
	}
	e.clock.advance(599 * time.Second)
	if scene, ok := e.f.SceneForURL(shortURL); !ok || scene != "pd:short" {
		t.Fatalf("a second before expiry: %q %v", scene, ok)
	}
	e.clock.advance(time.Second)
	if scene, ok := e.f.SceneForURL(shortURL); ok {
		t.Fatalf("an expired code still leads to %q", scene)
	}
	if scene, ok := e.f.SceneForURL(longURL); !ok || scene != "pd:long" {
		t.Fatalf("the 30-day code after 10 minutes: %q %v", scene, ok)
	}
	e.clock.advance(30 * 24 * time.Hour)
	if _, ok := e.f.SceneForURL(longURL); ok {
		t.Fatal("a temporary code outlived 30 days")
	}
	tok = mustToken(t, e.token(t, oaID, oaSecret)) // the first expired with the month
	if m := create(strings.Repeat("s", 64), 60); m["ticket"] == nil {
		t.Fatalf("a 64-byte scene_str: %v", m)
	}
	if m := create(strings.Repeat("站", 22), 60); errcodeOf(m) != 40053 {
		t.Fatalf("a 66-byte scene_str of 22 characters: %v, want 40053", m)
	}
}

// testApps are the fake's accounts in these tests: an Official Account
// that has added the template TPL (and TPL-NEW-CASE, the SDK test's), and a
// Mini Program with the subscribe templates SUB and OTHER.
func testApps() []App {
	return []App{
		{AppID: oaID, Secret: oaSecret, Templates: []string{"TPL", "TPL-NEW-CASE"}},
		{AppID: mpID, Secret: mpSecret, MiniProgram: true, Templates: []string{"SUB", "OTHER"}, Pages: []string{"pages/index/index"}},
	}
}
