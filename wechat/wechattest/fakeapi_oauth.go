package wechattest

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
)

// Web authorisation (网页授权) of an Official Account: a page opened in
// WeChat's browser goes to open.weixin.qq.com/connect/oauth2/authorize,
// which sends the browser back to redirect_uri with a code; the server
// trades the code for the user's openid at /sns/oauth2/access_token.
//
// The fake stands for WeChat's browser as well as its servers: who is
// signed in to the browser is the BrowserUserCookie (or the
// BrowserUserHeader) on the request to the authorize page. A browser
// without one is not WeChat's, and is told so, as WeChat does.

// AuthorizePath is the authorize page's path, served by the same fake.
const AuthorizePath = "/connect/oauth2/authorize"

// BrowserUserCookie and BrowserUserHeader name the WeChat user in the
// browser that opens the authorize page.
const (
	BrowserUserCookie = "wechat_fake_openid"
	BrowserUserHeader = "X-Wechat-Fake-Openid"
)

// SetOAuthDomain sets the account's web authorisation domain (网页授权域名),
// as host[:port]: a redirect_uri elsewhere is refused with 10003.
func (f *Fake) SetOAuthDomain(appid, host string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.oauthHost[appid] = host
}

// authorize is GET /connect/oauth2/authorize: snsapi_base is silent, so the
// browser is sent straight back with a code for the user in it.
func (f *Fake) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appid, redirect, scope := q.Get("appid"), q.Get("redirect_uri"), q.Get("scope")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = appendBounded(f.calls, &Call{Method: r.Method, Path: r.URL.Path, Query: q, At: f.now()})
	page := func(status int, message string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<!DOCTYPE html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>微信网页授权</title><p>%s</p></html>", html.EscapeString(message))
	}
	target, err := url.Parse(redirect)
	switch {
	case f.apps[appid].AppID == "":
		page(http.StatusBadRequest, "appid参数错误")
		return
	case q.Get("response_type") != "code":
		page(http.StatusBadRequest, "response_type参数错误")
		return
	case scope != "snsapi_base" && scope != "snsapi_userinfo":
		page(http.StatusBadRequest, "scope参数错误或没有scope权限（10005）")
		return
	case redirect == "" || err != nil || (target.Scheme != "http" && target.Scheme != "https"):
		page(http.StatusBadRequest, "redirect_uri参数错误")
		return
	case f.oauthHost[appid] != "" && target.Host != f.oauthHost[appid]:
		page(http.StatusBadRequest, "redirect_uri域名与后台配置不一致（10003）")
		return
	}
	openid := r.Header.Get(BrowserUserHeader)
	if c, err := r.Cookie(BrowserUserCookie); err == nil && openid == "" {
		openid = c.Value
	}
	if chosen := strings.TrimSpace(q.Get(chooseParam)); f.chooser != nil && chosen != "" {
		// The sandbox's browser chose who it is: remembered, as a WeChat
		// browser stays signed in, until the person chooses again.
		openid = chosen
		http.SetCookie(w, &http.Cookie{Name: BrowserUserCookie, Value: chosen, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	if openid == "" && f.chooser != nil {
		f.choosePage(w, r, q)
		return
	}
	if openid == "" {
		page(http.StatusOK, "请在微信客户端打开链接")
		return
	}
	code := randomString(32)
	f.oauthCodes[code] = &oneTimeCode{appid: appid, openid: openid, expiresAt: f.now().Add(codeLifetime)}
	back := target.Query()
	back.Set("code", code)
	back.Set("state", q.Get("state"))
	target.RawQuery = back.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// oauthAccessToken is GET /sns/oauth2/access_token: the code, once and
// within 5 minutes, for the user's openid and a web access token.
func (f *Fake) oauthAccessToken(r *apiRequest) apiReply {
	c, errcode := f.redeemCode(r, f.oauthCodes, "code")
	if errcode != 0 {
		return replyError(errcode)
	}
	return replyJSON(map[string]any{"access_token": randomString(64), "expires_in": 7200,
		"refresh_token": randomString(64), "openid": c.openid, "scope": "snsapi_base"})
}

// BrowserUser is someone the sandbox's authorize page offers to be.
type BrowserUser struct {
	OpenID string
	Label  string // who they are, as a person reads it: 代表 张三（八大关联络站）
}

// chooseParam carries the choice from the chooser back to the authorize page.
const chooseParam = "wechat_fake_choose"

// SetBrowserChooser makes the authorize page, opened in an ordinary browser
// (no BrowserUserCookie or BrowserUserHeader), let the person choose whom
// they are: one of users() (read each time the page opens), or any openid
// typed in. The choice is remembered in BrowserUserCookie; `?wechat_fake_choose=`
// with another openid changes it. Only the sandbox sets it: the real WeChat
// only opens in its own browser, and the tests check that it says so.
func (f *Fake) SetBrowserChooser(users func() []BrowserUser) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.chooser = users
}

// choosePage runs under f.mu; users() must not call the fake.
func (f *Fake) choosePage(w http.ResponseWriter, r *http.Request, q url.Values) {
	users := f.chooser()
	hidden := func() string {
		var b strings.Builder
		for k, vs := range q {
			if k == chooseParam {
				continue
			}
			for _, v := range vs {
				fmt.Fprintf(&b, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(v))
			}
		}
		return b.String()
	}()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
		`<title>沙盒 · 微信网页授权</title><body style="font-family:sans-serif;max-width:32em;margin:1em auto;padding:0 1em">` +
		`<h1>沙盒 · 微信网页授权</h1><p>这里本应由微信客户端完成授权。沙盒中请选择您的身份（已绑定微信的代表和承办人员），或输入一个 openid。</p>`)
	if len(users) == 0 {
		b.WriteString(`<p>还没有人绑定微信：先用 <code>mashang deputies bind-code</code> 和 <code>mashang simulate --scene bind:…</code> 绑定一位代表，或在下面输入 openid。</p>`)
	}
	for _, u := range users {
		fmt.Fprintf(&b, `<form method="get" action="%s">%s<input type="hidden" name="%s" value="%s"><button type="submit">%s</button></form>`,
			AuthorizePath, hidden, chooseParam, html.EscapeString(u.OpenID), html.EscapeString(u.Label))
	}
	fmt.Fprintf(&b, `<form method="get" action="%s">%s<label>openid <input name="%s" required></label> <button type="submit">以此身份进入</button></form></body></html>`,
		AuthorizePath, hidden, chooseParam)
	_, _ = w.Write([]byte(b.String()))
}
