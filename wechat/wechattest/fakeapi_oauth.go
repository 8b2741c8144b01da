package wechattest

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
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
