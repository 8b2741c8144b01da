package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"mashang"
)

// DepartmentDesk reads what a department's handler (承办单位经办人) answers
// for (*store.DB).
type DepartmentDesk interface {
	// StaffUserByOpenID is the console account whose WeChat is openid
	// (ENOTFOUND: none).
	StaffUserByOpenID(ctx context.Context, openid string) (mashang.StaffUser, error)
	// DepartmentCases are the cases handed to the department, lead or
	// co-handling, the open ones first.
	DepartmentCases(ctx context.Context, departmentID int64, limit int) ([]mashang.DepartmentCase, error)
	// DepartmentCase is one of them with its timeline (ENOTFOUND: not
	// handed to the department).
	DepartmentCase(ctx context.Context, departmentID int64, number string) (mashang.DepartmentCase, []mashang.CaseEvent, error)
	CaseDepartments(ctx context.Context, caseID int64) ([]mashang.CaseDepartment, error)
	CaseResults(ctx context.Context, caseID int64) ([]mashang.DepartmentResult, error)
}

// DepartmentDeps serve the pages of a department's handlers (/h/): opened
// from the template messages telling their department of a case, in
// WeChat's browser, signed in silently through the WeChat they bound in
// the console (/console/wechat). They list and read the cases handed to
// their department, acknowledge them (签收) and record results, as in the
// console and audited the same way.
type DepartmentDeps struct {
	Log         *slog.Logger // nil: Deps.Log
	Desk        DepartmentDesk
	OAuth       DeputyOAuth
	Sessions    *mashang.Sessions // Purpose "mashang-handler-session"
	Supervision SupervisionService
	Audit       Auditor
	// Suggestions: the body acknowledges, contacts the deputy and answers.
	Suggestions SuggestionDeps
	// AppID and OAuthBase make the authorisation link; PublicURL its
	// redirect_uri (never the request's Host).
	AppID, OAuthBase, PublicURL string
}

const (
	handlerCookie      = "mashang_handler"
	handlerStateCookie = "mashang_handler_state"
	handlerKey         = "handler"
	handlerCSRFKey     = "handler_csrf"
	// departmentListLen is how many cases the list shows: the open ones
	// come first, so none waiting is cut off before a department has
	// hundreds open.
	departmentListLen = 200
)

type departmentDesk struct{ deps DepartmentDeps }

func (d *departmentDesk) signIn() webSignIn {
	return webSignIn{root: "/h", home: "/h/cases", sessionCookie: handlerCookie, stateCookie: handlerStateCookie,
		signUse: "handler-return", sessions: d.deps.Sessions, appID: d.deps.AppID, oauthBase: d.deps.OAuthBase,
		publicURL: d.deps.PublicURL}
}

// phone is how the handlers' pages are laid out and say things.
func (d *departmentDesk) phone() phonePages {
	return phonePages{log: d.deps.Log, root: "/h", as: "Handler", userKey: handlerKey, csrfKey: handlerCSRFKey, publicURL: d.deps.PublicURL,
		messagePage: "handler_message.html", messageTitle: "码上 · 承办单位"}
}

func (d *departmentDesk) message(c *gin.Context, status int, text string) {
	d.phone().message(c, status, text)
}

// fail is how the handlers' pages answer an error with a page of its own;
// an action answers with the case's page and the message (act).
func (d *departmentDesk) fail(c *gin.Context, err error) {
	status := logged(c, d.deps.Log, err)
	if status == http.StatusNotFound {
		d.message(c, status, "没有找到这个问题：它没有交办给本单位，或编号有误。请从公众号消息中的链接打开。")
		return
	}
	d.message(c, status, mashang.ErrorMessage(err))
}

// login sends the browser to WeChat's web authorisation (snsapi_base: the
// handler sees nothing), to come back to the page asked for.
func (d *departmentDesk) login(c *gin.Context) { d.signIn().start(c, c.Query("next")) }

// oauth is where WeChat sends the browser back: the code names the WeChat
// user, who must be a department's handler who bound it.
func (d *departmentDesk) oauth(c *gin.Context) {
	d.signIn().complete(c, d.deps.OAuth, d.deps.Log, func(status int, text string) { d.message(c, status, text) },
		func(openid string) bool {
			_, ok := d.handler(c, openid)
			return ok
		})
}

// handler is the department's handler whose WeChat is openid; anyone else
// is answered with why not and what to do.
func (d *departmentDesk) handler(c *gin.Context, openid string) (mashang.StaffUser, bool) {
	u, err := d.deps.Desk.StaffUserByOpenID(c.Request.Context(), openid)
	text := ""
	switch {
	case mashang.ErrorCode(err) == mashang.ENOTFOUND:
		text = "您的微信还没有绑定承办单位经办人账号。请在电脑上登录工作台，在「绑定微信」页扫码绑定后，再从公众号消息打开。"
	case err != nil:
		d.fail(c, err)
		return u, false
	case u.Disabled:
		text = "您的工作台账号已停用。如有疑问，请联系系统管理员。"
	case u.Role != mashang.RoleHandler || u.DepartmentID == 0 || !mashang.Allowed(u.Role, mashang.ActRead):
		text = "这些页面供承办单位经办人使用。人大工作人员请在工作台处理问题。"
	default:
		return u, true
	}
	d.message(c, http.StatusForbidden, text)
	return u, false
}

// signedIn finds the handler of the session, or sends the browser to sign
// in. Looked up each time: an account disabled or unbound loses access at
// once, whatever session it holds.
func (d *departmentDesk) signedIn(c *gin.Context) {
	openid, csrf, ok := d.signIn().admit(c, func(status int, text string) { d.message(c, status, text) }, func(err error) { d.fail(c, err) })
	if !ok {
		c.Abort()
		return
	}
	u, ok := d.handler(c, openid)
	if !ok {
		d.signIn().signOut(c)
		c.Abort()
		return
	}
	c.Set(handlerKey, u)
	c.Set(handlerCSRFKey, csrf)
	c.Next()
}

// cases answers GET /h/cases: the cases handed to the department, the open
// ones first, the nearest deadline first.
func (d *departmentDesk) cases(c *gin.Context) {
	u := c.MustGet(handlerKey).(mashang.StaffUser)
	list, err := d.deps.Desk.DepartmentCases(c.Request.Context(), u.DepartmentID, departmentListLen)
	if err != nil {
		d.fail(c, err)
		return
	}
	d.phone().page(c, http.StatusOK, "handler_cases.html", gin.H{"Title": "交办给本单位的问题", "Cases": list})
}

// casePage answers GET /h/cases/:number: the case as a department reads it
// (the timeline's handler audience), its departments and results, and what
// the handler may do. A case not handed to the department is 404.
func (d *departmentDesk) casePage(c *gin.Context) {
	u := c.MustGet(handlerKey).(mashang.StaffUser)
	ctx := c.Request.Context()
	k, events, err := d.deps.Desk.DepartmentCase(ctx, u.DepartmentID, c.Param("number"))
	if err != nil {
		d.fail(c, err)
		return
	}
	departments, err := d.deps.Desk.CaseDepartments(ctx, k.ID)
	if err != nil {
		d.fail(c, err)
		return
	}
	results, err := d.deps.Desk.CaseResults(ctx, k.ID)
	if err != nil {
		d.fail(c, err)
		return
	}
	d.phone().page(c, http.StatusOK, "handler_case.html", gin.H{"Title": "问题 " + k.Number, "Case": k, "Departments": departments,
		"Results": results, "Events": mashang.TimelineFor(events, mashang.AudienceHandler),
		"MaxFiles": mashang.MaxResultFiles, "MaxFileMB": mashang.MaxResultFileBytes >> 20})
}

// handlerAct is one action on a case handed to the handler's department:
// what the audit log says, what the page says when done, and the work.
type handlerAct func(c *gin.Context, k mashang.DepartmentCase, u mashang.StaffUser) (detail, done string, run func(context.Context) error)

// act runs an action the handler's role may do (else 403) on a case handed
// to their department (else 404), audited under their account in the
// action's transaction as in the console, and goes back to the case
// saying how it went.
func (d *departmentDesk) act(action string, do handlerAct) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := c.MustGet(handlerKey).(mashang.StaffUser)
		if !mashang.Allowed(u.Role, action) {
			d.fail(c, mashang.Refusal(u.Role, action))
			return
		}
		k, _, err := d.deps.Desk.DepartmentCase(c.Request.Context(), u.DepartmentID, c.Param("number"))
		if err != nil {
			d.fail(c, err)
			return
		}
		detail, done, run := do(c, k, u)
		err = audited(c.Request.Context(), d.deps.Audit, d.deps.Log, mashang.StaffAudit(u, action, k.Number, detail, c.ClientIP()), run)
		d.phone().said(c, "/h/cases/"+url.PathEscape(k.Number), outcome(c, d.deps.Log.With("action", action), done, err))
	}
}

func (d *departmentDesk) acknowledge(_ *gin.Context, k mashang.DepartmentCase, u mashang.StaffUser) (string, string, func(context.Context) error) {
	return "签收（手机页面）", "已签收", func(ctx context.Context) error { return d.deps.Supervision.Acknowledge(ctx, k.Number, u) }
}

func (d *departmentDesk) result(c *gin.Context, k mashang.DepartmentCase, u mashang.StaffUser) (string, string, func(context.Context) error) {
	return resultForm(c, func(ctx context.Context, files []mashang.ResultFile) error {
		return d.deps.Supervision.RecordResult(ctx, k.Number, u, c.PostForm("text"), files)
	})
}
