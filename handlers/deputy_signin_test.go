package handlers_test

import (
	"encoding/base64"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// Deputies' sign-in returns only to this service: where the browser goes
// after WeChat's authorisation comes from a value the service signed, so a
// state cookie written by anyone else (a forged one, or the service's own
// with its path changed) sends nobody off-site or outside /d/; the
// authorisation's redirect_uri is the public URL whatever Host the request
// names.
func TestDeputySignInReturnsOnlyToThisService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		const li = "oDeputySignIn000000000000001"
		bindDeputy(t, e, "demo-d02", li, time.Now())
		srvURL, _ := url.Parse(e.srv.URL)

		// signIn goes to WeChat and back as li's browser, stopping before the
		// service's /d/oauth, with the state cookie rewritten by forge.
		signIn := func(next string, forge func(value, state string) string) *http.Response {
			t.Helper()
			jar, _ := cookiejar.New(nil)
			fake, _ := url.Parse(e.fakeURL)
			jar.SetCookies(fake, []*http.Cookie{{Name: wechattest.BrowserUserCookie, Value: li}})
			client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			get := func(u string) *http.Response {
				t.Helper()
				resp, err := client.Get(u)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp
			}
			toWeChat := get(e.srv.URL + "/d/login?next=" + url.QueryEscape(next))
			back := get(toWeChat.Header.Get("Location"))
			oauth, err := url.Parse(back.Header.Get("Location"))
			if err != nil || oauth.Path != "/d/oauth" {
				t.Fatalf("WeChat sent the browser to %q", back.Header.Get("Location"))
			}
			if forge != nil {
				cookiePath := &url.URL{Scheme: srvURL.Scheme, Host: srvURL.Host, Path: "/d/"}
				var value string
				for _, c := range jar.Cookies(cookiePath) {
					if c.Name == "mashang_deputy_state" {
						value = c.Value
					}
				}
				jar.SetCookies(cookiePath, []*http.Cookie{{Name: "mashang_deputy_state", Value: forge(value, oauth.Query().Get("state")), Path: "/d"}})
			}
			return get(oauth.String())
		}
		stays := func(what string, resp *http.Response) {
			t.Helper()
			loc := resp.Header.Get("Location")
			if resp.StatusCode/100 != 3 {
				return // refused: the browser goes nowhere
			}
			u, err := url.Parse(loc)
			if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/d/") || strings.HasPrefix(loc, "//") {
				t.Errorf("%s: sent to %q", what, loc)
			}
		}

		if resp := signIn("/d/cases/261205-0001", nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/d/cases/261205-0001" {
			t.Fatalf("a genuine sign-in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		for _, evil := range []string{"https://evil.example/phish", "//evil.example/phish", "/console/manage", `/\evil.example`, "/d/../console/manage", "/d/%2e%2e/console"} {
			stays("a forged cookie to "+evil, signIn("/d/cases", func(_, state string) string { return state + "|" + evil }))
			stays("the service's cookie, its path changed to "+evil, signIn("/d/cases", func(value, _ string) string {
				parts := strings.Split(value, ".")
				if len(parts) == 3 {
					parts[1] = base64.RawURLEncoding.EncodeToString([]byte(evil))
				}
				return strings.Join(parts, ".")
			}))
			stays("next="+evil, signIn(evil, nil))
		}

		// The Host header names nothing: redirect_uri is the public URL.
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/d/login", nil)
		req.Host = "evil.example"
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		authorize, _ := url.Parse(resp.Header.Get("Location"))
		if got := authorize.Query().Get("redirect_uri"); got != e.srv.URL+"/d/oauth" {
			t.Errorf("redirect_uri %q, want %q", got, e.srv.URL+"/d/oauth")
		}
	})
}
