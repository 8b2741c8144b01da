package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"mashang"
	"mashang/web"
)

// CitizenCaseReader reads a citizen's own case (*store.DB): another
// citizen's is not found.
type CitizenCaseReader interface {
	CitizenCase(ctx context.Context, openid, number string) (mashang.Case, []mashang.CaseEvent, error)
	CaseMessages(ctx context.Context, caseID int64) ([]mashang.CaseMessage, error)
}

// CitizenDeps serve a citizen's own case page (/c/<number>), which every
// answer and notice of progress links to: opened in WeChat's browser and
// signed in silently with the Official Account's web authorisation.
type CitizenDeps struct {
	Log      *slog.Logger // nil: Deps.Log
	Cases    CitizenCaseReader
	OAuth    DeputyOAuth
	Sessions *mashang.Sessions // Purpose "mashang-citizen-session"
	// AppID and OAuthBase make the authorisation link; PublicURL its
	// redirect_uri (never the request's Host).
	AppID, OAuthBase, PublicURL string
}

const (
	citizenCookie      = "mashang_citizen"
	citizenStateCookie = "mashang_citizen_state"
)

type citizenPages struct{ deps CitizenDeps }

func (p *citizenPages) signIn() webSignIn {
	return webSignIn{root: "/c", home: "/c/", sessionCookie: citizenCookie, stateCookie: citizenStateCookie,
		signUse: "citizen-return", sessions: p.deps.Sessions, appID: p.deps.AppID, oauthBase: p.deps.OAuthBase,
		publicURL: p.deps.PublicURL}
}

func (p *citizenPages) page(c *gin.Context, status int, name string, data gin.H) {
	phonePageHeaders(c)
	c.Status(status)
	if err := web.Templates.ExecuteTemplate(c.Writer, name, data); err != nil {
		p.deps.Log.Error("citizen page", "page", name, "err", err, requestIDKey, c.GetString(requestIDKey))
	}
}

func (p *citizenPages) message(c *gin.Context, status int, text string) {
	p.page(c, status, "citizen_message.html", gin.H{"Title": "码上 · 我的问题", "Message": text})
}

// login sends the browser to WeChat's web authorisation (snsapi_base: the
// citizen sees nothing), to come back to the case asked for.
func (p *citizenPages) login(c *gin.Context) { p.signIn().start(c, c.Query("next")) }

// oauth is where WeChat sends the browser back: the code names the citizen.
func (p *citizenPages) oauth(c *gin.Context) {
	p.signIn().complete(c, p.deps.OAuth, p.deps.Log, func(status int, text string) { p.message(c, status, text) },
		func(string) bool { return true }) // any citizen; their pages show only their own cases
}

// casePage shows the citizen their case: what they sent, the steps as a
// citizen reads them, the answers. Another citizen's case is 404, as if it
// did not exist.
func (p *citizenPages) casePage(c *gin.Context) {
	_, s, err := p.signIn().session(c)
	if err != nil {
		c.Redirect(http.StatusFound, "/c/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
		return
	}
	k, events, err := p.deps.Cases.CitizenCase(c.Request.Context(), s.OpenID, c.Param("number"))
	if err == nil && k.Status == mashang.CaseHeld {
		err = mashang.NotFound("问题") // what the content check holds is not shown back yet
	}
	var msgs []mashang.CaseMessage
	if err == nil {
		msgs, err = p.deps.Cases.CaseMessages(c.Request.Context(), k.ID)
	}
	if err != nil {
		status := logged(c, p.deps.Log, err)
		if status == http.StatusNotFound {
			p.message(c, status, "没有找到这个问题。请从公众号消息中的链接打开您自己反映的问题。")
			return
		}
		p.message(c, status, mashang.ErrorMessage(err))
		return
	}
	steps := mashang.TimelineFor(events, mashang.AudienceCitizen)
	var answers []mashang.CaseEvent
	for _, e := range steps {
		if e.Kind == mashang.EventReply {
			answers = append(answers, e)
		}
	}
	p.page(c, http.StatusOK, "citizen_case.html", gin.H{"Title": "问题 " + k.Number, "Case": k,
		"Messages": msgs, "Answers": answers, "Events": steps})
}
