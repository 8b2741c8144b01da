package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"mashang"
)

// CitizenCaseReader reads a citizen's own case (*store.DB): another
// citizen's is not found.
type CitizenCaseReader interface {
	CitizenCase(ctx context.Context, openid, number string) (mashang.Case, []mashang.CaseEvent, error)
	CaseMessages(ctx context.Context, caseID int64) ([]mashang.CaseMessage, error)
	// CaseRating says whether the case has an answer and, if its latest
	// answer is rated, the rating.
	CaseRating(ctx context.Context, caseID int64) (answered bool, r mashang.Rating, rated bool, err error)
}

// CitizenRater takes a citizen's verdict with their word on the results
// wall (*mashang.Ratings).
type CitizenRater interface {
	RateWith(ctx context.Context, openid, number, verdict, comment string, consent *bool) (mashang.Rating, error)
}

// CitizenDeps serve a citizen's own case page (/c/<number>), which every
// answer and notice of progress links to: opened in WeChat's browser and
// signed in silently with the Official Account's web authorisation.
type CitizenDeps struct {
	Log      *slog.Logger // nil: Deps.Log
	Cases    CitizenCaseReader
	Ratings  CitizenRater
	OAuth    DeputyOAuth
	Sessions *mashang.Sessions // Purpose "mashang-citizen-session"
	// AppID and OAuthBase make the authorisation link; PublicURL its
	// redirect_uri (never the request's Host).
	AppID, OAuthBase, PublicURL string
}

const (
	citizenCookie      = "mashang_citizen"
	citizenStateCookie = "mashang_citizen_state"
	citizenKey         = "citizen" // the signed-in citizen's openid
	citizenCSRFKey     = "citizen_csrf"
)

type citizenPages struct{ deps CitizenDeps }

func (p *citizenPages) signIn() webSignIn {
	return webSignIn{root: "/c", home: "/c/", sessionCookie: citizenCookie, stateCookie: citizenStateCookie,
		signUse: "citizen-return", sessions: p.deps.Sessions, appID: p.deps.AppID, oauthBase: p.deps.OAuthBase,
		publicURL: p.deps.PublicURL}
}

// phone is how the citizens' pages are laid out and say things, as the
// deputies' and handlers' are.
func (p *citizenPages) phone() phonePages {
	return phonePages{log: p.deps.Log, root: "/c", as: "Citizen", userKey: citizenKey, csrfKey: citizenCSRFKey, publicURL: p.deps.PublicURL,
		messagePage: "citizen_message.html", messageTitle: "码上 · 我的问题"}
}

func (p *citizenPages) page(c *gin.Context, status int, name string, data gin.H) {
	p.phone().page(c, status, name, data)
}

func (p *citizenPages) message(c *gin.Context, status int, text string) {
	p.phone().message(c, status, text)
}

// fail is the citizens' pages' one answer to an error: what went wrong and
// what to do, in a page of its own; another's case is not found.
func (p *citizenPages) fail(c *gin.Context, err error) {
	status := logged(c, p.deps.Log, err)
	if status == http.StatusNotFound {
		p.message(c, status, "没有找到这个问题。请从公众号消息中的链接打开您自己反映的问题。")
		return
	}
	p.message(c, status, mashang.ErrorMessage(err))
}

// login sends the browser to WeChat's web authorisation (snsapi_base: the
// citizen sees nothing), to come back to the case asked for.
func (p *citizenPages) login(c *gin.Context) { p.signIn().start(c, c.Query("next")) }

// oauth is where WeChat sends the browser back: the code names the citizen.
func (p *citizenPages) oauth(c *gin.Context) {
	p.signIn().complete(c, p.deps.OAuth, p.deps.Log, func(status int, text string) { p.message(c, status, text) },
		func(string) bool { return true }) // any citizen; their pages show only their own cases
}

// signedIn finds the citizen of the session, or sends the browser to sign
// in; a form sent must carry the page's token (CSRF).
func (p *citizenPages) signedIn(c *gin.Context) (string, bool) {
	openid, csrf, ok := p.signIn().admit(c, func(status int, text string) { p.message(c, status, text) }, func(err error) { p.fail(c, err) })
	if ok {
		c.Set(citizenKey, openid)
		c.Set(citizenCSRFKey, csrf)
	}
	return openid, ok
}

// casePage shows the citizen their case: what they sent, the steps as a
// citizen reads them, the answers, and the rating form until the latest
// answer is rated (then the rating). Another citizen's case is 404, as if
// it did not exist.
func (p *citizenPages) casePage(c *gin.Context) {
	openid, ok := p.signedIn(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	k, events, err := p.deps.Cases.CitizenCase(ctx, openid, c.Param("number"))
	if err == nil && k.Status == mashang.CaseHeld {
		err = mashang.NotFound("问题") // what the content check holds is not shown back yet
	}
	var msgs []mashang.CaseMessage
	if err == nil {
		msgs, err = p.deps.Cases.CaseMessages(ctx, k.ID)
	}
	var answered, rated bool
	var rating mashang.Rating
	if err == nil {
		answered, rating, rated, err = p.deps.Cases.CaseRating(ctx, k.ID)
	}
	if err != nil {
		p.fail(c, err)
		return
	}
	steps := mashang.TimelineFor(events, mashang.AudienceCitizen)
	var answers []mashang.CaseEvent
	for _, e := range steps {
		if e.Kind == mashang.EventReply {
			answers = append(answers, e)
		}
	}
	data := gin.H{"Title": "问题 " + k.Number, "Case": k, "Messages": msgs, "Answers": answers, "Events": steps,
		"CanRate": answered && !rated && k.Status != mashang.CaseMerged}
	if rated {
		data["Rating"], data["RatingLabel"] = rating, mashang.RatingLabel(rating.Verdict)
	}
	p.page(c, http.StatusOK, "citizen_case.html", data)
}

// rate takes the page's rating form: the verdict, the reason when 不满意,
// and whether the case may be shown anonymised on the results wall.
func (p *citizenPages) rate(c *gin.Context) {
	openid, ok := p.signedIn(c)
	if !ok {
		return
	}
	k, _, err := p.deps.Cases.CitizenCase(c.Request.Context(), openid, c.Param("number"))
	if err == nil && k.Status == mashang.CaseHeld {
		err = mashang.NotFound("问题")
	}
	if err != nil {
		p.fail(c, err)
		return
	}
	back := "/c/" + url.PathEscape(k.Number)
	verdict, comment := c.PostForm("verdict"), c.PostForm("comment")
	consent := c.PostForm("consent") == "1"
	switch v, _ := mashang.ParseVerdict(verdict); {
	case verdict == "":
		err = mashang.Errorf(mashang.EINVALID, "请选择满意、基本满意或不满意，再提交评价。")
	case v == mashang.RatingDissatisfied && strings.TrimSpace(comment) == "":
		err = mashang.Errorf(mashang.EINVALID, "请写下哪里不满意，便于重新办理。")
	default:
		_, err = p.deps.Ratings.RateWith(c.Request.Context(), openid, k.Number, verdict, comment, &consent)
	}
	p.phone().said(c, back, outcome(c, p.deps.Log, "感谢您的评价！", err))
}
