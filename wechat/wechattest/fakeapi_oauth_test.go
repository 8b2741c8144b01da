package wechattest

import (
	"io"
	"net/http"
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
