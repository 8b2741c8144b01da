package handlers

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
)

// DeputyDesk reads what a deputy answers for (*store.DB).
type DeputyDesk interface {
	BoundDeputy(ctx context.Context, openid string) (mashang.Deputy, error)
	DeputyCases(ctx context.Context, deputyID int64, limit int) ([]mashang.Case, error)
	DeputyCase(ctx context.Context, deputyID int64, number string) (mashang.Case, []mashang.CaseEvent, error)
	DutyRecord(ctx context.Context, deputyID int64, limit int) ([]mashang.DutyRecordLine, error)
	Standing(ctx context.Context, deputyID int64, from, to time.Time) (mashang.Standing, error)
}

// DeputyOAuth trades a web authorisation code for an openid (*wechat.Clients).
type DeputyOAuth interface {
	OAuthOpenID(ctx context.Context, code string) (string, error)
}

// DeputyPages serves a deputy's pages, opened from template messages in
// WeChat's browser (nil fields: not served).
type DeputyPages struct {
	Desk     DeputyDesk
	OAuth    DeputyOAuth
	Sessions *mashang.Sessions // Purpose "mashang-deputy-session"
	// AppID and OAuthBase make the authorisation link: the Official
	// Account, and the host standing for https://open.weixin.qq.com.
	AppID, OAuthBase string
}

const (
	deputyCookie      = "mashang_deputy"
	deputyStateCookie = "mashang_deputy_state"
	deputyKey         = "deputy"
	deputyCSRFKey     = "deputy_csrf"
)

type deputyDesk struct {
	deps  DeputyDeps
	pages DeputyPages
}

// phone is how the deputies' pages are laid out and say things.
func (d *deputyDesk) phone() phonePages {
	return phonePages{log: d.deps.Log, root: "/d", as: "Deputy", userKey: deputyKey, csrfKey: deputyCSRFKey, publicURL: d.deps.PublicURL,
		messagePage: "deputy_message.html", messageTitle: "码上 · 代表履职"}
}

// page renders a deputy page, laid out for a phone.
func (d *deputyDesk) page(c *gin.Context, status int, name string, data gin.H) {
	d.phone().page(c, status, name, data)
}

// said goes to a deputy's page after an action; the page says f, once.
func (d *deputyDesk) said(c *gin.Context, to string, f flash) { d.phone().said(c, to, f) }

func (d *deputyDesk) message(c *gin.Context, status int, text string) {
	d.phone().message(c, status, text)
}

// fail is how the deputies' pages answer an error with a page of its own;
// an action answers with the case's page and the message (act).
func (d *deputyDesk) fail(c *gin.Context, err error) {
	d.message(c, logged(c, d.deps.Log, err), mashang.ErrorMessage(err))
}

// signIn is the deputies' side of WeChat's silent web authorisation.
func (d *deputyDesk) signIn() webSignIn {
	return webSignIn{root: "/d", home: "/d/cases", sessionCookie: deputyCookie, stateCookie: deputyStateCookie,
		signUse: "deputy-return", sessions: d.pages.Sessions, appID: d.pages.AppID, oauthBase: d.pages.OAuthBase,
		publicURL: d.deps.PublicURL}
}

// login sends the browser to WeChat's web authorisation (snsapi_base, so
// the deputy sees nothing), to return to the page asked for (webSignIn).
func (d *deputyDesk) login(c *gin.Context) { d.signIn().start(c, c.Query("next")) }

// oauth is where WeChat sends the browser back with a code: the code names
// the WeChat user, who must be a bound deputy in office.
func (d *deputyDesk) oauth(c *gin.Context) {
	refuse := func(status int, text string) { d.message(c, status, text) }
	d.signIn().complete(c, d.pages.OAuth, d.deps.Log, refuse, func(openid string) bool {
		dep, err := d.pages.Desk.BoundDeputy(c.Request.Context(), openid)
		switch {
		case mashang.ErrorCode(err) == mashang.ENOTFOUND:
			refuse(http.StatusForbidden, "您的微信还没有绑定代表身份。请联系联络站工作人员生成绑定二维码，扫码绑定后再打开。")
		case err != nil:
			d.fail(c, err)
		case !dep.InOffice:
			refuse(http.StatusForbidden, mashang.ReplyDeputyOutOfOffice)
		default:
			return true
		}
		return false
	})
}

// signedIn finds the deputy of the session, or sends the browser to sign in.
func (d *deputyDesk) signedIn(c *gin.Context) {
	openid, csrf, ok := d.signIn().admit(c, func(status int, text string) { d.message(c, status, text) }, func(err error) { d.fail(c, err) })
	if !ok {
		c.Abort()
		return
	}
	// Looked up each time: a deputy unbound or out of office (在任=否)
	// loses access at once, whatever session they hold.
	dep, err := d.pages.Desk.BoundDeputy(c.Request.Context(), openid)
	if err != nil && mashang.ErrorCode(err) != mashang.ENOTFOUND {
		d.fail(c, err)
		c.Abort()
		return
	}
	if err != nil || !dep.InOffice {
		d.signIn().signOut(c)
		text := "您的微信已不再绑定代表身份。如有疑问，请联系联络站工作人员。"
		if err == nil {
			text = mashang.ReplyDeputyOutOfOffice
		}
		d.message(c, http.StatusForbidden, text)
		c.Abort()
		return
	}
	c.Set(deputyKey, dep)
	c.Set(deputyCSRFKey, csrf)
	c.Next()
}

func (d *deputyDesk) cases(c *gin.Context) {
	dep := c.MustGet(deputyKey).(mashang.Deputy)
	list, err := d.pages.Desk.DeputyCases(c.Request.Context(), dep.ID, 100)
	if err != nil {
		d.fail(c, err)
		return
	}
	d.page(c, http.StatusOK, "deputy_cases.html", gin.H{"Title": "我的问题", "Cases": list})
}

func (d *deputyDesk) casePage(c *gin.Context) {
	dep := c.MustGet(deputyKey).(mashang.Deputy)
	k, events, err := d.pages.Desk.DeputyCase(c.Request.Context(), dep.ID, c.Param("number"))
	if err != nil {
		d.fail(c, err)
		return
	}
	open := k.Status != mashang.CaseClosed && k.Status != mashang.CaseMerged && k.Status != mashang.CaseHeld
	// The suggestions raised from it, drafts too: its deputies write them.
	suggestions, err := d.deps.Suggestions.Reader.CaseSuggestions(c.Request.Context(), k.ID, true)
	if err != nil {
		d.fail(c, err)
		return
	}
	d.page(c, http.StatusOK, "deputy_case.html", gin.H{"Title": "问题 " + k.Number, "Case": k, "Events": mashang.TimelineFor(events, mashang.AudienceDeputy),
		"Suggestions": suggestions,
		"CanAccept":   k.Status == mashang.CaseOpen || k.Status == mashang.CaseReopened, "Open": open})
}

// act runs a deputy's action on a case they answer for and goes back to
// the case with how it went; each is audited under the deputy's name.
func (d *deputyDesk) act(name string, do func(c *gin.Context, k mashang.Case, dep mashang.Deputy) (done string, run func(context.Context) error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		dep := c.MustGet(deputyKey).(mashang.Deputy)
		k, _, err := d.pages.Desk.DeputyCase(c.Request.Context(), dep.ID, c.Param("number"))
		if err != nil {
			d.fail(c, err)
			return
		}
		done, run := do(c, k, dep)
		err = d.audited(c, dep, "deputy_"+name, k.Number, done, run)
		d.said(c, "/d/cases/"+url.PathEscape(k.Number), outcome(c, d.deps.Log.With("action", name), done, err))
	}
}

func (d *deputyDesk) accept(c *gin.Context, k mashang.Case, dep mashang.Deputy) (string, func(context.Context) error) {
	return "已接单，请尽快办理", func(ctx context.Context) error { return d.deps.Supervision.AcceptAsDeputy(ctx, k.Number, dep) }
}

func (d *deputyDesk) draft(c *gin.Context, k mashang.Case, dep mashang.Deputy) (string, func(context.Context) error) {
	return "答复已交工作人员审核后发给群众", func(ctx context.Context) error {
		return d.deps.Supervision.Draft(ctx, k.Number, dep, c.PostForm("text"))
	}
}

func (d *deputyDesk) solved(c *gin.Context, k mashang.Case, dep mashang.Deputy) (string, func(context.Context) error) {
	return "已报告办结，工作人员核实后办结", func(ctx context.Context) error {
		return d.deps.Supervision.ReportSolved(ctx, k.Number, dep, c.PostForm("result"))
	}
}

// requestMove asks the case's station staff to move it: to="up" for the
// congress of a higher level, else another station (named in the reason).
func (d *deputyDesk) requestMove(c *gin.Context, k mashang.Case, dep mashang.Deputy) (string, func(context.Context) error) {
	return "转出请求已交工作人员决定", func(ctx context.Context) error {
		return d.deps.Rerouting.RequestMove(ctx, k.Number, dep, c.PostForm("to") == "up", c.PostForm("reason"))
	}
}

// audited runs a deputy's action, recorded under the deputy's code (see
// audited).
func (d *deputyDesk) audited(c *gin.Context, dep mashang.Deputy, action, target, detail string, run func(context.Context) error) error {
	e := mashang.AuditEntry{At: time.Now(), Username: "deputy:" + dep.Code, Action: action, Target: target, Detail: detail, IP: c.ClientIP()}
	return audited(c.Request.Context(), d.deps.Audit, d.deps.Log, e, run)
}

// record answers GET /d/record: the deputy's duty record (履职档案) and
// their points this quarter.
func (d *deputyDesk) record(c *gin.Context) {
	dep := c.MustGet(deputyKey).(mashang.Deputy)
	lines, err := d.pages.Desk.DutyRecord(c.Request.Context(), dep.ID, 200)
	if err != nil {
		d.fail(c, err)
		return
	}
	name, from, to := mashang.Quarter(time.Now())
	st, err := d.pages.Desk.Standing(c.Request.Context(), dep.ID, from, to)
	if err != nil {
		d.fail(c, err)
		return
	}
	st.Quarter = name
	d.page(c, http.StatusOK, "deputy_record.html", gin.H{"Title": "履职档案", "Lines": lines, "Standing": st})
}
