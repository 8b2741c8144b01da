// Package handlers adapts HTTP to the domain: it lists every route in one
// place (here), turns requests into domain calls and domain errors into
// answers. It holds no business rules and no SQL.
package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
	"mashang/roster"
	"mashang/web"
)

// Receiver takes a verified push (implemented by *mashang.Intake).
type Receiver interface {
	Receive(ctx context.Context, m mashang.Inbound) (mashang.Reply, error)
}

// Pinger tells whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// New builds the router with every route Mashang serves, or names the
// first dependency missing.
func New(d Deps) (*gin.Engine, error) {
	gin.SetMode(gin.ReleaseMode)
	if d.Log == nil {
		d.Log = slog.Default()
	}
	for _, l := range []**slog.Logger{&d.Callback.Log, &d.MiniProgram.Log, &d.StaffAPI.Log, &d.Console.Log, &d.Deputies.Log, &d.Citizens.Log, &d.Departments.Log, &d.Public.Log} {
		if *l == nil {
			*l = d.Log
		}
	}
	if d.Callback.CallbackTimeout == 0 {
		d.Callback.CallbackTimeout = 4 * time.Second
	}
	if d.QueryTimeout == 0 {
		d.QueryTimeout = DefaultQueryTimeout
	}
	timed := deadline(d.QueryTimeout)
	if err := d.check(); err != nil {
		return nil, err
	}
	r := gin.New()
	if err := r.SetTrustedProxies(d.TrustedProxies); err != nil {
		return nil, fmt.Errorf("handlers: trusted proxies: %w", err)
	}
	proxies, err := networks(d.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("handlers: trusted proxies: %w", err)
	}
	con := &console{deps: d.Console, exports: newExportLimiter(d.Limits)}
	dd := &deputyDesk{deps: d.Deputies, pages: d.Deputies.Pages}
	hd := &departmentDesk{deps: d.Departments}
	// Every body is capped before anything reads it, each surface refusing
	// in its own way; files have limits of their own.
	bodies := capBodies(map[string]int64{
		"/console/manage/import":           roster.MaxFileBytes + 64<<10,
		"/mp/uploads":                      mashang.MaxPhotoBytes + 64<<10,
		"/console/cases/:number/do/result": mashang.MaxResultFiles*mashang.MaxResultFileBytes + 256<<10,
		"/h/cases/:number/result":          mashang.MaxResultFiles*mashang.MaxResultFileBytes + 256<<10,
		"/console/cases/new":               mashang.MaxPhotos*mashang.MaxPhotoBytes + 256<<10,
		"/console/suggestions":             mashang.MaxResultFiles*mashang.MaxResultFileBytes + 256<<10,
		"/h/suggestions/:id/answer":        mashang.MaxResultFiles*mashang.MaxResultFileBytes + 256<<10,
	}, map[string]bool{"/wechat/callback": true, "/wechat/mp-callback": true}, func(c *gin.Context, err error) {
		switch p := c.Request.URL.Path; {
		case strings.HasPrefix(p, "/mp/"), strings.HasPrefix(p, "/api/"):
			failJSON(c, d.Log, err)
		case strings.HasPrefix(p, "/console/"):
			con.fail(c, err)
		case strings.HasPrefix(p, "/d/"):
			dd.fail(c, err)
		case strings.HasPrefix(p, "/h/"):
			hd.fail(c, err)
		default:
			failPublic(c, d.Log, err)
		}
	})
	r.Use(requestID(), observe(d.Metrics, d.Log), recoverer(d.Log), overHTTPS(proxies), bodies)
	r.HandleMethodNotAllowed = true
	// A path no route takes (an ID with an encoded '/' in it, say): under the
	// JSON APIs the 404 is JSON as well, as openapi.yaml documents it.
	r.NoRoute(func(c *gin.Context) {
		if p := c.Request.URL.Path; strings.HasPrefix(p, "/mp/") || strings.HasPrefix(p, "/api/") {
			failJSON(c, d.Log, mashang.Errorf(mashang.ENOTFOUND, "没有这个地址"))
			return
		}
		c.String(http.StatusNotFound, "404 page not found")
	})

	cb := &callback{deps: d.Callback}
	// WeChat → us. Authorised by WeChat's signature, not by a session.
	r.GET("/wechat/callback", cb.verifyURL)
	r.POST("/wechat/callback", pushMetrics(d.Metrics, "oa"), cb.receive)

	// A code is posted on a wall: each one, and the page it leads to, is
	// public. The bulk export and the print sheet are the console's
	// (/console/codes/…); their old addresses lead there.
	codes := &codes{deps: d.Public}
	r.GET("/codes/:file", codes.png)
	r.GET("/codes/export.zip", movedToConsole)
	r.GET("/codes/sheet", movedToConsole)
	r.GET("/s/:scene", codes.scenePage)

	// Staff API: each staff member's own token (`mashang staff token`), the
	// console's reach and audit.
	staff := &staffAPI{deps: d.StaffAPI}
	api := r.Group("/api", staff.signedIn)
	// What the caller's role may not do is 403 (mashang.Allowed) before
	// any case is looked up; a case or station beyond their reach is 404.
	api.POST("/cases/:number/replies", staff.may(mashang.ActReply), staff.reply)
	api.POST("/cases/:number/route", staff.may(mashang.ActReroute), staff.reroute)
	api.POST("/cases/:number/move", staff.may(mashang.ActMove), staff.move)
	api.POST("/cases/:number/handover", staff.may(mashang.ActHandOver), staff.handOver)
	api.POST("/cases/:number/close", staff.may(mashang.ActClose), staff.closeCase)
	api.POST("/stations/:code/slots", staff.may(mashang.ActSlots), staff.publishSlot)

	// Mini Program API: public pages and login are open, the rest needs a session.
	// Each citizen is rate-limited: by address on the open routes, by their
	// openid once signed in.
	mp := &mpAPI{deps: d.MiniProgram}
	var limited []gin.HandlerFunc
	if l := d.MiniProgram.CitizenLimit; l.PerSecond > 0 && l.Burst > 0 {
		limited = append(limited, limitCitizens(d.Limits, l, d.Log))
	}
	open := r.Group("/mp", limited...)
	open.GET("/stations/near", mp.near)
	open.GET("/stations/:code", mp.station)
	open.GET("/deputies/:code", mp.deputy)
	open.GET("/stations/:code/slots", mp.slots)
	open.POST("/login", mp.login)
	signed := r.Group("/mp", append([]gin.HandlerFunc{mp.signedIn}, limited...)...)
	signed.GET("/me", mp.me)
	signed.POST("/phone", configured(d.MiniProgram.Phones != nil, mp.phone, apiUnconfigured("未配置手机号加密密钥（MASHANG_DATA_KEY），暂不能绑定手机号")))
	signed.POST("/cases", mp.raise)
	signed.GET("/cases", mp.cases)
	signed.GET("/cases/:number", mp.caseDetail)
	signed.POST("/cases/:number/rating", mp.rate)
	signed.POST("/cases/claim", mp.claim)
	signed.POST("/uploads", mp.uploadPhoto)
	signed.GET("/photos/:id", mp.photo)
	signed.POST("/bookings", mp.book)
	signed.GET("/bookings", mp.bookings)
	signed.DELETE("/bookings/:id", mp.cancelBooking)
	r.GET("/media/checks/:id", mp.checkedPhoto) // WeChat's media check downloads here
	push := &mpPush{deps: d.MiniProgram}
	pushUnconfigured := func(c *gin.Context) {
		c.String(http.StatusServiceUnavailable, "未配置小程序消息推送：请设置 MASHANG_MP_TOKEN 和 MASHANG_MP_AES_KEY")
	}
	r.GET("/wechat/mp-callback", configured(d.MiniProgram.MPInbound != nil, push.verifyURL, pushUnconfigured))
	r.POST("/wechat/mp-callback", pushMetrics(d.Metrics, "mp"), configured(d.MiniProgram.MPInbound != nil, push.receive, pushUnconfigured))

	// Deputies' pages, signed in by WeChat's web authorisation.
	r.GET("/d/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/d/cases") })
	r.GET("/d/login", dd.login)
	r.GET("/d/oauth", dd.oauth)
	desk := r.Group("/d", dd.signedIn)
	desk.GET("/cases", dd.cases)
	desk.GET("/record", dd.record)
	desk.GET("/cases/:number", dd.casePage)
	desk.POST("/cases/:number/accept", dd.act("accept", dd.accept))
	desk.POST("/cases/:number/draft", dd.act("draft", dd.draft))
	desk.POST("/cases/:number/solved", dd.act("solved", dd.solved))
	desk.GET("/relay", dd.relayForm)
	desk.POST("/relay", dd.relay)
	desk.POST("/cases/:number/move", dd.act("move_request", dd.requestMove))
	desk.GET("/activities", dd.activities)
	desk.POST("/activities/:id/respond", dd.respond)
	desk.GET("/receptions", dd.receptions)
	// Suggestions (代表建议): the deputy's own and those they co-sign.
	desk.GET("/suggestions", dd.suggestions)
	desk.GET("/suggestions/new", dd.newSuggestion)
	desk.POST("/suggestions", dd.suggestionAct("save", dd.saveSuggestion))
	desk.GET("/suggestions/:id", dd.suggestionPage)
	desk.POST("/suggestions/:id", dd.suggestionAct("save", dd.saveSuggestion))
	desk.POST("/suggestions/:id/submit", dd.suggestionAct("submit", dd.submitSuggestion))
	desk.POST("/suggestions/:id/withdraw", dd.suggestionAct("withdraw", dd.withdrawSuggestion))
	desk.POST("/suggestions/:id/sign", dd.suggestionAct("sign", dd.signSuggestion))
	desk.POST("/suggestions/:id/evaluate", dd.suggestionAct("evaluate", dd.evaluateSuggestion))
	desk.GET("/suggestions/:id/files/:file", dd.suggestionFile)

	// A citizen's own case, opened from a notice in WeChat's browser and
	// signed in silently by WeChat: another citizen's is 404.
	cp := &citizenPages{deps: d.Citizens}
	r.GET("/c/login", cp.login)
	r.GET("/c/oauth", cp.oauth)
	r.GET("/c/:number", cp.casePage)
	r.POST("/c/:number/rating", cp.rate)

	// Departments' handlers' pages (承办单位经办人), opened from the notices
	// to their department and signed in by WeChat's web authorisation as
	// the WeChat they bound in the console: the cases handed to their
	// department (lead or co-handling); any other case is 404.
	r.GET("/h/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/h/cases") })
	r.GET("/h/login", hd.login)
	r.GET("/h/oauth", hd.oauth)
	hdesk := r.Group("/h", hd.signedIn)
	hdesk.GET("/cases", hd.cases)
	hdesk.GET("/cases/:number", hd.casePage)
	hdesk.POST("/cases/:number/acknowledge", hd.act(mashang.ActAcknowledge, hd.acknowledge))
	hdesk.POST("/cases/:number/result", hd.act(mashang.ActResult, hd.result))
	// Suggestions handed to the handler's department.
	hdesk.GET("/suggestions", hd.suggestions)
	hdesk.GET("/suggestions/:id", hd.suggestionPage)
	hdesk.POST("/suggestions/:id/acknowledge", hd.suggestionAct("suggestion_acknowledge", hd.acknowledgeSuggestion))
	hdesk.POST("/suggestions/:id/contact", hd.suggestionAct("suggestion_contact", hd.contactSuggestion))
	hdesk.POST("/suggestions/:id/opinion", hd.suggestionAct("suggestion_opinion", hd.opinionSuggestion))
	hdesk.POST("/suggestions/:id/answer", hd.suggestionAct("suggestion_answer", hd.answerSuggestion))
	hdesk.GET("/suggestions/:id/files/:file", hd.suggestionFile)

	// Public pages.
	pub := &public{deps: d.Public}
	r.GET("/wall", timed, pub.wall)
	r.GET("/suggestions", timed, pub.suggestions)
	r.GET("/stations/:code", timed, pub.station)

	// The staff console: server-rendered pages, a session cookie, CSRF tokens.
	// Every route reads or acts within the account's reach (a case beyond it
	// is 404); con.may(action) first refuses, with 403, what the account's
	// role may not do at all (mashang.Allowed: a department's handler only
	// reads).
	r.GET("/console/login", con.loginPage)
	r.POST("/console/login", con.login)
	cdesk := r.Group("/console", timed, con.signedIn, con.readOwnWrites)
	cdesk.GET("/", con.inbox)
	cdesk.POST("/logout", con.logout)
	// Walk-ins: a case entered for a citizen, its slip, their phone.
	cdesk.GET("/cases/new", con.may(mashang.ActEnter), con.newCaseForm)
	cdesk.POST("/cases/new", con.may(mashang.ActEnter), con.enterCase)
	cdesk.POST("/cases/:number/slip", con.may(mashang.ActEnter), con.reissueSlip)
	cdesk.POST("/cases/:number/phone", con.may(mashang.ActReply), con.revealPhone)
	cdesk.POST("/cases/:number/phoned", con.may(mashang.ActReply), con.act("phoned", con.markPhoned))
	cdesk.GET("/cases/:number", con.casePage)
	cdesk.GET("/cases/:number/media/:id", con.caseMedia)
	cdesk.POST("/cases/:number/reply", con.may(mashang.ActReply), con.act(mashang.ActReply, con.reply))
	cdesk.POST("/cases/:number/route", con.may(mashang.ActReroute), con.act(mashang.ActReroute, con.reroute))
	cdesk.GET("/cases/:number/move", con.may(mashang.ActMove), con.moveForm)
	cdesk.POST("/cases/:number/move", con.may(mashang.ActMove), con.move)
	cdesk.POST("/cases/:number/handover", con.may(mashang.ActHandOver), con.act(mashang.ActHandOver, con.handOver))
	cdesk.POST("/cases/:number/close", con.may(mashang.ActClose), con.act(mashang.ActClose, con.closeCase))
	cdesk.POST("/cases/:number/do/accept", con.may(mashang.ActAccept), con.act(mashang.ActAccept, con.accept))
	cdesk.POST("/cases/:number/do/category", con.may(mashang.ActCategory), con.act(mashang.ActCategory, con.setCategory))
	cdesk.POST("/cases/:number/do/reopen", con.may(mashang.ActReopen), con.act(mashang.ActReopen, con.reopen))
	cdesk.POST("/cases/:number/do/merge", con.may(mashang.ActMerge), con.act(mashang.ActMerge, con.merge))
	cdesk.POST("/cases/:number/do/acknowledge", con.may(mashang.ActAcknowledge), con.act(mashang.ActAcknowledge, con.acknowledge))
	cdesk.POST("/cases/:number/do/result", con.may(mashang.ActResult), con.act(mashang.ActResult, con.recordResult))
	cdesk.GET("/cases/:number/attachments/:id", con.resultAttachment)
	cdesk.POST("/bulk-handover", con.may(mashang.ActHandOver), con.bulkHandOver)
	cdesk.GET("/figures", con.figures)
	acts := cdesk.Group("/activities", con.may(mashang.ActActivities))
	acts.GET("", con.activitiesPage)
	acts.POST("", con.dispatchActivity)
	acts.GET("/:id", con.activityPage)
	// The reception days (接待日): slots published, the register kept on
	// the day, each topic made a case, the register as Excel.
	reg := cdesk.Group("/receptions", con.may(mashang.ActRegister))
	reg.GET("", con.receptionsPage)
	reg.POST("/slots", con.may(mashang.ActSlots), con.publishReception)
	reg.POST("/visits", con.recordVisit)
	reg.POST("/bookings/:id/no-show", con.noShow)
	reg.POST("/visits/:id/topics", con.addVisitTopic)
	reg.POST("/topics/:id/case", con.makeVisitCase)
	cdesk.GET("/receptions.xlsx", con.may(mashang.ActRegister), con.export, con.registerExcel)
	desks := cdesk.Group("/desks", con.may(mashang.ActDesks))
	desks.GET("", con.desksPage)
	desks.POST("", con.createDesk)
	desks.GET("/:id", con.deskPage)
	cdesk.GET("/points", con.may(mashang.ActPoints), con.points)
	cdesk.GET("/points.xlsx", con.may(mashang.ActPoints), con.export, con.pointsExcel)
	cdesk.POST("/points/corrections", con.may(mashang.ActManage), con.correctPoints)
	cdesk.POST("/points/rules", con.may(mashang.ActManage), con.setPointRule)
	cdesk.GET("/board", con.board)
	// Deputies' suggestions counted: the figures by body and deputy, the
	// two Excel files.
	cdesk.GET("/suggestion-figures", con.may(mashang.ActSuggestions), con.suggestionFigures)
	cdesk.GET("/suggestions.xlsx", con.may(mashang.ActSuggestions), con.export, con.suggestionListExcel)
	cdesk.GET("/suggestion-stats.xlsx", con.may(mashang.ActSuggestions), con.export, con.suggestionStatsExcel)
	cdesk.GET("/wechat", con.may(mashang.ActBindWeChat), con.wechatPage)
	cdesk.POST("/wechat/bind", con.may(mashang.ActBindWeChat), con.bindWeChat)
	manage := cdesk.Group("/manage", con.may(mashang.ActManage))
	manage.GET("", con.managePage)
	manage.POST("/users", con.createUser)
	manage.POST("/import", con.importRoster)
	manage.POST("/accounts/:username", con.changeAccount)
	manage.GET("/roster/:kind", con.rosterPage)
	manage.POST("/roster/:kind", con.saveRosterRecord)
	manage.GET("/template/:kind", con.rosterTemplate)
	// Exports: each account one at a time and a few a minute (con.export).
	cdesk.GET("/problems.xlsx", con.export, con.problemList)
	cdesk.GET("/codes", con.may(mashang.ActExportCodes), con.codesPage)
	cdesk.GET("/codes/export.zip", con.may(mashang.ActExportCodes), con.export, con.codesZIP)
	cdesk.GET("/codes/sheet", con.may(mashang.ActExportCodes), con.export, con.codesSheet)
	cdesk.GET("/audit", con.may(mashang.ActAuditLog), con.auditLogPage)
	cdesk.GET("/audit.xlsx", con.may(mashang.ActAuditLog), con.export, con.auditLogExcel)
	cdesk.GET("/photos/:id", con.photo)
	// The results wall is published by hand, and the to-do list (待办).
	cdesk.GET("/wall", con.may(mashang.ActPublish), con.wallPage)
	cdesk.POST("/wall/:number/publish", con.may(mashang.ActPublish), con.wallAct(mashang.ActPublish, con.publish))
	cdesk.POST("/wall/:number/unpublish", con.may(mashang.ActPublish), con.wallAct(mashang.ActUnpublish, con.unpublish))
	cdesk.GET("/todo", con.may(mashang.ActTodo), con.todoPage)
	sug := cdesk.Group("/suggestions", con.may(mashang.ActSuggestions))
	sug.GET("", con.suggestionsPage)
	sug.POST("", con.enterSuggestion)
	sug.POST("/sessions", con.may(mashang.ActSuggestionReview), con.setSession)
	sug.POST("/categories", con.may(mashang.ActSuggestionReview), con.setAnswerCategory)
	sug.GET("/:id", con.suggestionPage)
	sug.POST("/:id/review", con.may(mashang.ActSuggestionReview), con.suggestionAct("suggestion_review", con.reviewSuggestion))
	sug.POST("/:id/handover", con.may(mashang.ActSuggestionReview), con.suggestionAct("suggestion_handover", con.handOverSuggestion))
	sug.POST("/:id/close", con.may(mashang.ActSuggestionReview), con.suggestionAct("suggestion_close", con.closeSuggestion))
	sug.POST("/:id/key", con.may(mashang.ActSuggestionReview), con.suggestionAct("suggestion_key", con.markKey))
	sug.GET("/:id/files/:file", con.suggestionFile)
	cdesk.POST("/todo/done", con.may(mashang.ActTodo), con.todoDone)

	// Operations.
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/readyz", readiness(d.Operations.DB, d.Operations.MediaDir, d.Log))
	r.GET("/metrics", metricsAllowed(d.Operations.MetricsAllow), gin.WrapH(d.Metrics.Handler()))
	// The API's contract, for the Mini Program's developers (OpenAPI 3).
	r.GET("/openapi.yaml", serveOpenAPIYAML)
	r.GET("/openapi.json", serveOpenAPIJSON)

	r.GET("/", home(d.Operations.Sandbox))
	return r, nil
}

// configured serves with handler when what it needs is configured, and
// with unconfigured, which says what to configure, when not: a route that
// answers is plainer than one missing.
func configured(ok bool, handler, unconfigured gin.HandlerFunc) gin.HandlerFunc {
	if ok {
		return handler
	}
	return unconfigured
}

// apiUnconfigured answers a JSON API route whose setting is missing.
func apiUnconfigured(message string) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.JSON(http.StatusServiceUnavailable, apiError{"disabled", message})
	}
}

// readiness answers whether this instance can take work: the database
// answers, and the media folder, when media is kept in one, takes a file (a
// full disk or a folder gone read-only would lose citizens' photos and voice
// while "ready"). An object store shared by every instance is not asked:
// when it is down no instance does better than another, pushes must still
// be acknowledged, and what citizens sent waits at WeChat for the fetcher
// to try again.
func readiness(db Pinger, mediaDir string, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			c.String(http.StatusServiceUnavailable, "database unreachable")
			return
		}
		if err := writable(mediaDir); mediaDir != "" && err != nil {
			log.Error("readiness: the media folder cannot be written", "dir", mediaDir, "err", err)
			c.String(http.StatusServiceUnavailable, "media folder not writable (MASHANG_MEDIA_DIR): disk full or read-only?")
			return
		}
		c.String(http.StatusOK, "ready")
	}
}

// home tells whoever opens the address what this service is, in Chinese,
// and where to go from here.
func home(sandbox bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Content-Type", "text/html; charset=utf-8")
		c.Status(http.StatusOK)
		if err := web.Templates.ExecuteTemplate(c.Writer, "home.html", gin.H{"Title": "首页", "Sandbox": sandbox}); err != nil {
			_ = c.Error(err) // the page is half written; gin logs it
		}
	}
}
