package wechattest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// authorizeAs opens the authorize page as openid's WeChat browser and
// returns where it sends the browser (or the page it shows).
func (e *apiEnv) authorizeAs(t *testing.T, openid string, q url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.base+AuthorizePath+"?"+q.Encode(), nil)
	if openid != "" {
		req.Header.Set(BrowserUserHeader, openid)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if loc := resp.Header.Get("Location"); loc != "" {
		return resp.StatusCode, loc
	}
	return resp.StatusCode, string(body)
}

func TestWebAuthorisation(t *testing.T) {
	e := newAPIEnv(t)
	e.f.SetOAuthDomain(oaID, "mashang.example")
	q := func(redirect, scope string) url.Values {
		return url.Values{"appid": {oaID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {scope}, "state": {"s1"}}
	}
	// What WeChat refuses, and a browser that is not WeChat's.
	for _, tc := range []struct {
		openid string
		q      url.Values
		says   string
	}{
		{"oUser", q("https://elsewhere.example/back", "snsapi_base"), "10003"},
		{"oUser", q("https://mashang.example/back", "snsapi_login"), "10005"},
		{"oUser", url.Values{"appid": {"wxnobody"}, "redirect_uri": {"https://mashang.example/back"}, "response_type": {"code"}, "scope": {"snsapi_base"}}, "appid"},
		{"", q("https://mashang.example/back", "snsapi_base"), "请在微信客户端打开链接"},
	} {
		if status, page := e.authorizeAs(t, tc.openid, tc.q); status == http.StatusFound || !strings.Contains(page, tc.says) {
			t.Errorf("%v: %d %s", tc.q, status, page)
		}
	}
	status, loc := e.authorizeAs(t, "oUser", q("https://mashang.example/back?next=%2Fd%2Fcases", "snsapi_base"))
	back, err := url.Parse(loc)
	if status != http.StatusFound || err != nil || back.Host != "mashang.example" || back.Query().Get("state") != "s1" ||
		back.Query().Get("next") != "/d/cases" || back.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %s", status, loc)
	}
	code := back.Query().Get("code")
	exchange := func(code, secret string) map[string]any {
		return e.call(t, http.MethodGet, "/sns/oauth2/access_token",
			url.Values{"appid": {oaID}, "secret": {secret}, "code": {code}, "grant_type": {"authorization_code"}}, nil)
	}
	if m := exchange(code, "wrong"); errcodeOf(m) != 40125 {
		t.Fatalf("a wrong secret: %v", m)
	}
	if m := exchange(code, oaSecret); m["openid"] != "oUser" || m["scope"] != "snsapi_base" || m["access_token"] == "" {
		t.Fatalf("exchange: %v", m)
	}
	if m := exchange(code, oaSecret); errcodeOf(m) != 40163 {
		t.Fatalf("a code used twice: %v", m)
	}
	// A code left more than 5 minutes is dead.
	_, loc = e.authorizeAs(t, "oUser", q("https://mashang.example/back", "snsapi_base"))
	back, _ = url.Parse(loc)
	e.clock.advance(5*time.Minute + time.Second)
	if m := exchange(back.Query().Get("code"), oaSecret); errcodeOf(m) != 40029 {
		t.Fatalf("an old code: %v", m)
	}
}

// In the sandbox an ordinary browser chooses who it is on the authorize
// page, and stays that person; without the chooser it is told to use WeChat.
func TestSandboxBrowserChoosesWhoItIs(t *testing.T) {
	e := newAPIEnv(t)
	q := url.Values{"appid": {oaID}, "redirect_uri": {"https://mashang.example/d/oauth"}, "response_type": {"code"},
		"scope": {"snsapi_base"}, "state": {"s1"}}
	if _, page := e.authorizeAs(t, "", url.Values{chooseParam: {"oTyped"}, "appid": q["appid"], "redirect_uri": q["redirect_uri"],
		"response_type": {"code"}, "scope": {"snsapi_base"}}); !strings.Contains(page, "请在微信客户端打开链接") {
		t.Fatalf("without the sandbox's chooser a choice is ignored: %s", page)
	}
	e.f.SetBrowserChooser(func() []BrowserUser { return []BrowserUser{{OpenID: "oDeputy<1>", Label: "代表 李<明>"}} })
	status, page := e.authorizeAs(t, "", q)
	if status != http.StatusOK || !strings.Contains(page, "代表 李&lt;明&gt;") || !strings.Contains(page, `value="oDeputy&lt;1&gt;"`) ||
		!strings.Contains(page, `name="redirect_uri" value="https://mashang.example/d/oauth"`) || !strings.Contains(page, "输入一个 openid") {
		t.Fatalf("chooser: %d %s", status, page)
	}
	// Choosing answers with a code for the one chosen, and remembers them.
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	open := func(q url.Values) *url.URL {
		resp, err := client.Get(e.base + AuthorizePath + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" {
			t.Fatalf("authorize: %d %v", resp.StatusCode, loc)
		}
		return loc
	}
	chosen := url.Values{chooseParam: {"oTyped"}}
	for k, v := range q {
		chosen[k] = v
	}
	for _, query := range []url.Values{chosen, q} { // the second time silently, as WeChat's browser
		loc := open(query)
		m := e.call(t, http.MethodGet, "/sns/oauth2/access_token",
			url.Values{"appid": {oaID}, "secret": {oaSecret}, "code": {loc.Query().Get("code")}, "grant_type": {"authorization_code"}}, nil)
		if m["openid"] != "oTyped" {
			t.Fatalf("exchange: %v", m)
		}
	}
}
