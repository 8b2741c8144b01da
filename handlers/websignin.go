package handlers

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
	"mashang/web"
	"mashang/wechat"
)

// webSignIn is WeChat's silent web authorisation (snsapi_base) for pages
// opened in WeChat's browser: the deputies' pages (/d) and a citizen's own
// case (/c). The browser goes to WeChat with a state only it can bring back
// (a signed cookie that also holds where to return, so the browser cannot
// choose where the sign-in returns); WeChat sends it back to
// <public URL><root>/oauth with a code naming the WeChat user, and the
// session is a signed cookie under root.
type webSignIn struct {
	root          string // "/d": the pages guarded, their cookies' path
	home          string // where to return when asked for anywhere else
	sessionCookie string
	stateCookie   string
	signUse       string // what the state cookie's HMAC is for, one per root
	sessions      *mashang.Sessions
	appID         string
	oauthBase     string // stands for https://open.weixin.qq.com
	publicURL     string // the redirect_uri is made from it, never from the request's Host
}

func (w webSignIn) setCookie(c *gin.Context, name, value string, maxAge int) {
	// Lax, not Strict: the browser arrives from WeChat's authorisation by a
	// redirect from another site, and must bring the state cookie along.
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: w.root, MaxAge: maxAge, HttpOnly: true,
		Secure: secureCookie(c, w.publicURL), SameSite: http.SameSiteLaxMode})
}

// start sends the browser to WeChat's authorisation, to come back to next.
func (w webSignIn) start(c *gin.Context, next string) {
	state := rand.Text()
	w.setCookie(c, w.stateCookie, w.returnCookie(state, w.safeReturn(next)), 600)
	c.Redirect(http.StatusFound, wechat.AuthorizeURL(w.oauthBase, w.appID, strings.TrimRight(w.publicURL, "/")+w.root+"/oauth", state))
}

// returnCookie is the state cookie's value: the state, where to return
// (base64) and their HMAC under the session secret.
func (w webSignIn) returnCookie(state, next string) string {
	value := state + "." + base64.RawURLEncoding.EncodeToString([]byte(next))
	return value + "." + w.sessions.Sign(w.signUse, value)
}

// returnTo reads the state cookie: where to return, if the cookie is the
// service's own and its state is the one WeChat handed back.
func (w webSignIn) returnTo(cookie, state string) (string, bool) {
	parts := strings.Split(cookie, ".")
	if len(parts) != 3 || state == "" || subtle.ConstantTimeCompare([]byte(parts[0]), []byte(state)) != 1 ||
		!w.sessions.Signed(w.signUse, parts[0]+"."+parts[1], parts[2]) {
		return "", false
	}
	next, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	return w.safeReturn(string(next)), true
}

// safeReturn keeps a return address to a path under root on this service,
// else home.
func (w webSignIn) safeReturn(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.ContainsAny(next, "\\\x00") ||
		!strings.HasPrefix(next, w.root+"/") || !strings.HasPrefix(path.Clean(u.Path)+"/", w.root+"/") {
		return w.home
	}
	return u.RequestURI()
}

// signInFailure is why a return from WeChat signed nobody in, for the page.
type signInFailure struct {
	status  int
	message string
}

// back reads WeChat's return: the state checked against the cookie (then
// cleared), the code traded for an openid. It answers the openid and where
// to go next, or why not.
func (w webSignIn) back(c *gin.Context, oauth DeputyOAuth, log func(err error)) (openid, next string, fail *signInFailure) {
	cookie, err := c.Cookie(w.stateCookie)
	next, ok := w.returnTo(cookie, c.Query("state"))
	if err != nil || !ok {
		return "", "", &signInFailure{http.StatusBadRequest, "登录已过期或链接不完整，请从公众号消息重新打开。"}
	}
	w.setCookie(c, w.stateCookie, "", -1)
	code := c.Query("code")
	if code == "" {
		return "", "", &signInFailure{http.StatusBadRequest, "微信没有给出授权，请从公众号消息重新打开。"}
	}
	openid, err = oauth.OAuthOpenID(c.Request.Context(), code)
	if err != nil {
		log(err)
		return "", "", &signInFailure{http.StatusBadGateway, "暂时无法向微信确认您的身份，请稍后从公众号消息重新打开。"}
	}
	return openid, next, nil
}

// complete ends a sign-in on WeChat's return: refuse answers a failed
// return with a page; admit decides whether openid may sign in here (and
// answers the page itself when not); then the session, and back to the
// page asked for.
func (w webSignIn) complete(c *gin.Context, oauth DeputyOAuth, log *slog.Logger, refuse func(status int, text string), admit func(openid string) bool) {
	openid, next, fail := w.back(c, oauth, func(err error) {
		log.Warn(strings.TrimSuffix(w.signUse, "-return")+" oauth", "err", wechat.Redact(err), requestIDKey, c.GetString(requestIDKey))
	})
	if fail != nil {
		refuse(fail.status, fail.message)
		return
	}
	if !admit(openid) {
		return
	}
	token, expires := w.sessions.Issue(openid, "")
	w.setCookie(c, w.sessionCookie, token, int(time.Until(expires).Seconds()))
	c.Redirect(http.StatusSeeOther, next)
}

// phonePageHeaders are the headers of a page opened in WeChat's browser:
// never framed, nothing but its own resources, never cached.
func phonePageHeaders(c *gin.Context) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("X-Frame-Options", "DENY")
	c.Header("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'")
	c.Header("Cache-Control", "no-store")
}

// session reads the browser's session: its token and whose it is.
func (w webSignIn) session(c *gin.Context) (string, mashang.MPSession, error) {
	token, err := c.Cookie(w.sessionCookie)
	if err != nil {
		return "", mashang.MPSession{}, err
	}
	s, err := w.sessions.Verify(token)
	return token, s, err
}

// signOut drops the session cookie.
func (w webSignIn) signOut(c *gin.Context) { w.setCookie(c, w.sessionCookie, "", -1) }

// admit guards a page behind the sign-in: without a session a page (GET)
// goes to sign in and comes back, a form is told to reopen; a form must
// carry the session's CSRF token. It answers the session's openid and the
// token its forms carry; when not ok the answer is given (message for a
// refusal, fail for an error).
func (w webSignIn) admit(c *gin.Context, message func(status int, text string), fail func(error)) (openid, csrf string, ok bool) {
	token, s, err := w.session(c)
	if err != nil {
		if c.Request.Method != http.MethodGet {
			message(http.StatusUnauthorized, "登录已过期，请从公众号消息重新打开。")
		} else {
			c.Redirect(http.StatusFound, w.root+"/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
		}
		return "", "", false
	}
	sum := sha256.Sum256([]byte("mashang-" + strings.TrimSuffix(w.signUse, "-return") + "-csrf\x00" + token))
	csrf = base64.RawURLEncoding.EncodeToString(sum[:18])
	if c.Request.Method == http.MethodPost {
		if err := readForm(c); err != nil {
			fail(err)
			return "", "", false
		}
		if subtle.ConstantTimeCompare([]byte(c.PostForm("csrf")), []byte(csrf)) != 1 {
			message(http.StatusForbidden, "页面已过期，请返回刷新后再提交。")
			return "", "", false
		}
	}
	return s.OpenID, csrf, true
}

// phonePages are the pages of one signed-in surface opened in WeChat's
// browser (/d, /h): laid out for a phone, each showing who is signed in
// (under as in the page's data), the CSRF token of its forms and, once,
// what the action before it said (its flash, kept Lax as the sign-in's
// cookies are).
type phonePages struct {
	log              *slog.Logger
	root             string // "/d": where the flashes live
	as               string // "Deputy": the page data's name for who is signed in
	userKey, csrfKey string // where signedIn keeps them in the request
	publicURL        string
	messagePage      string // the page that says one thing
	messageTitle     string
}

func (p phonePages) page(c *gin.Context, status int, name string, data gin.H) {
	if who, ok := c.Get(p.userKey); ok {
		data[p.as], data["CSRF"] = who, c.GetString(p.csrfKey)
		if status == http.StatusOK {
			p.flashes().take(c, c.GetString(p.csrfKey)).show(data)
		}
	}
	phonePageHeaders(c)
	c.Status(status)
	if err := web.Templates.ExecuteTemplate(c.Writer, name, data); err != nil {
		p.log.Error("phone page", "page", name, "err", err, requestIDKey, c.GetString(requestIDKey))
	}
}

func (p phonePages) flashes() flashes {
	return flashes{path: p.root, sameSite: http.SameSiteLaxMode, publicURL: p.publicURL}
}

// said goes to a page after an action; the page says f, once.
func (p phonePages) said(c *gin.Context, to string, f flash) {
	p.flashes().redirect(c, to, c.GetString(p.csrfKey), f)
}

func (p phonePages) message(c *gin.Context, status int, text string) {
	p.page(c, status, p.messagePage, gin.H{"Title": p.messageTitle, "Message": text})
}
