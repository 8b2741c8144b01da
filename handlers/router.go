// Package handlers adapts HTTP to the domain: it lists every route in one
// place (here), turns requests into domain calls and domain errors into
// answers. It holds no business rules and no SQL.
package handlers

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
	"mashang/metrics"
	"mashang/wechat"
)

// Receiver takes a verified push (implemented by *mashang.Intake).
type Receiver interface {
	Receive(ctx context.Context, m mashang.Inbound) (mashang.Reply, error)
}

// Pinger tells whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps is what the routes need.
type Deps struct {
	// Metrics (nil: none) are served at /metrics to MetricsAllow.
	Metrics      *metrics.Metrics
	MetricsAllow []*net.IPNet
	Inbound      *wechat.Inbound
	Receiver     Receiver
	DB           Pinger
	Log          *slog.Logger
	MaxBodyBytes int64
	// CallbackTimeout bounds storing a push. WeChat gives up after 5 s and
	// retries; answering 5xx before that is better than a dropped connection.
	CallbackTimeout time.Duration
	Sandbox         bool
	Codes           CodeService
	Directory       Directory
	Replies         ReplyService
	Login           LoginService
	Sessions        SessionVerifier
	Public          PublicDirectory
	Phones          PhoneService
	Forms           FormService
	Citizens        CitizenCases
	Ratings         RatingService
	Receptions      ReceptionService
	// ReminderTemplateID is the subscribe template a citizen accepts for a
	// reminder of their booking.
	ReminderTemplateID string
	Photos             PhotoService
	// MPInbound checks the Mini Program's message pushes (its own token and
	// key); nil: no push URL is served.
	MPInbound   *wechat.Inbound
	Rerouting   RerouteService
	Supervision SupervisionService
	// Accounts and Console serve the staff console at /console.
	Accounts       AccountService
	Console        ConsoleReader
	Staff          StaffDirectory
	AccountCreator AccountCreator
	Rosters        RosterService
	Roster         RosterReader
	// Deputy serves deputies' pages at /d/ (a zero value: none).
	Deputy DeputyPages
	// Activities and ActivityReader serve deputies' activities (发单、接单、结单).
	Activities     ActivityService
	ActivityReader ActivityReader
	// Wall serves the results wall (代表回音壁) at /wall.
	Wall WallReader
	// Duty reports deputies' duty and points to staff (*store.DB).
	Duty DutyReports
	// Audit records what staff and deputies do (*store.DB).
	Audit interface {
		Audit(ctx context.Context, e mashang.AuditEntry) error
	}
	// MediaDir is where the photos and voice citizens sent are kept, for
	// the console to show them.
	MediaDir string
	// StaffBinding and StaffWeChat let staff bind their WeChat for
	// supervision notices (nil: the console offers no binding).
	StaffBinding StaffBinder
	StaffWeChat  StaffWeChat
	// PublicURL is where citizens and staff reach the service; https there
	// makes the console's cookies Secure.
	PublicURL string
	// CitizenLimit limits each citizen's Mini Program requests (zero: none).
	CitizenLimit RateLimit
	// TrustedProxies are the addresses whose X-Forwarded-For names the
	// client; nobody else's is believed.
	TrustedProxies []string
}

// New builds the router with every route Mashang serves.
func New(d Deps) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.CallbackTimeout == 0 {
		d.CallbackTimeout = 4 * time.Second
	}
	r := gin.New()
	if err := r.SetTrustedProxies(d.TrustedProxies); err != nil {
		d.Log.Error("trusted proxies ignored", "err", err) // configs validated them; never trust everyone
		_ = r.SetTrustedProxies(nil)
	}
	r.Use(requestID(), observe(d.Metrics, d.Log), recoverer(d.Log))
	r.HandleMethodNotAllowed = true
	// A path no route takes (an ID with an encoded '/' in it, say): under the
	// JSON APIs the 404 is JSON as well, as openapi.yaml documents it.
	r.NoRoute(func(c *gin.Context) {
		if p := c.Request.URL.Path; strings.HasPrefix(p, "/mp/") || strings.HasPrefix(p, "/api/") {
			c.JSON(http.StatusNotFound, apiError{mashang.ENOTFOUND, "没有这个地址"})
			return
		}
		c.String(http.StatusNotFound, "404 page not found")
	})

	cb := &callback{deps: d}
	// WeChat → us. Authorised by WeChat's signature, not by a session.
	r.GET("/wechat/callback", cb.verifyURL)
	r.POST("/wechat/callback", pushMetrics(d.Metrics, "oa"), cb.receive)

	// Codes are posted on walls: public. The bulk export is limited to one at
	// a time; staff authorisation arrives with the console.
	codes := &codes{deps: d, exports: make(chan struct{}, 1)}
	r.GET("/codes/:file", codes.png)
	r.GET("/codes/export.zip", codes.zip)
	r.GET("/codes/sheet", codes.sheet)
	r.GET("/s/:scene", codes.scenePage)

	// Staff API: each staff member's own token (`mashang staff token`), the
	// console's reach and audit.
	staff := &staffAPI{deps: d}
	api := r.Group("/api", staff.signedIn)
	api.POST("/cases/:number/replies", staff.reply)
	if d.Rerouting != nil {
		api.POST("/cases/:number/route", staff.reroute)
	}
	if d.Supervision != nil {
		api.POST("/cases/:number/handover", staff.handOver)
		api.POST("/cases/:number/close", staff.closeCase)
	}
	if d.Receptions != nil {
		api.POST("/stations/:code/slots", staff.publishSlot)
	}

	// Mini Program API: public pages and login are open, the rest needs a session.
	// Each citizen is rate-limited: by address on the open routes, by their
	// openid once signed in.
	mp := &mpAPI{deps: d}
	open := r.Group("/mp")
	var limited []gin.HandlerFunc
	if d.CitizenLimit.PerSecond > 0 && d.CitizenLimit.Burst > 0 {
		limited = append(limited, limitCitizens(newCitizenLimiter(d.CitizenLimit)))
		open.Use(limited...)
	}
	if d.Public != nil {
		open.GET("/stations/near", mp.near)
		open.GET("/stations/:code", mp.station)
		open.GET("/deputies/:code", mp.deputy)
	}
	if d.Receptions != nil {
		open.GET("/stations/:code/slots", mp.slots)
	}
	if d.Photos != nil {
		r.GET("/media/checks/:id", mp.checkedPhoto) // WeChat's media check downloads here
	}
	if d.MPInbound != nil && d.Photos != nil {
		push := &mpPush{deps: d}
		r.GET("/wechat/mp-callback", push.verifyURL)
		r.POST("/wechat/mp-callback", pushMetrics(d.Metrics, "mp"), push.receive)
	}
	if d.Login != nil {
		open.POST("/login", mp.login)
		signed := r.Group("/mp", append([]gin.HandlerFunc{mp.signedIn}, limited...)...)
		signed.GET("/me", mp.me)
		if d.Phones != nil {
			signed.POST("/phone", mp.phone)
		}
		if d.Forms != nil {
			signed.POST("/cases", mp.raise)
		}
		if d.Citizens != nil {
			signed.GET("/cases", mp.cases)
			signed.GET("/cases/:number", mp.caseDetail)
		}
		if d.Ratings != nil {
			signed.POST("/cases/:number/rating", mp.rate)
		}
		if d.Photos != nil {
			signed.POST("/uploads", mp.uploadPhoto)
			signed.GET("/photos/:id", mp.photo)
		}
		if d.Receptions != nil {
			signed.POST("/bookings", mp.book)
			signed.GET("/bookings", mp.bookings)
			signed.DELETE("/bookings/:id", mp.cancelBooking)
		}
	}

	// The staff console: server-rendered pages, a session cookie, CSRF tokens.
	if p := d.Deputy; p.Desk != nil && p.OAuth != nil && p.Sessions != nil && d.Supervision != nil {
		dd := &deputyDesk{deps: d, pages: p}
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
		if d.Activities != nil && d.ActivityReader != nil {
			desk.GET("/activities", dd.activities)
			desk.POST("/activities/:id/respond", dd.respond)
		}
	}
	if d.Wall != nil && d.Console != nil && d.Staff != nil && d.Public != nil {
		pub := &public{deps: d}
		r.GET("/wall", pub.wall)
		r.GET("/stations/:code", pub.station)
	}
	if d.Accounts != nil && d.Console != nil {
		con := &console{deps: d}
		r.GET("/console/login", con.loginPage)
		r.POST("/console/login", con.login)
		desk := r.Group("/console", con.signedIn)
		desk.GET("/", con.inbox)
		desk.POST("/logout", con.logout)
		desk.GET("/cases/:number", con.casePage)
		desk.GET("/cases/:number/media/:id", con.caseMedia)
		desk.POST("/cases/:number/reply", con.act("reply", con.reply))
		desk.POST("/cases/:number/route", con.act("reroute", con.reroute))
		if d.Supervision != nil {
			desk.POST("/cases/:number/handover", con.act("handover", con.handOver))
			desk.POST("/cases/:number/close", con.act("close", con.closeCase))
			desk.POST("/cases/:number/do/accept", con.act("accept", con.accept))
			desk.POST("/cases/:number/do/category", con.act("category", con.setCategory))
			desk.POST("/cases/:number/do/reopen", con.act("reopen", con.reopen))
			desk.POST("/cases/:number/do/merge", con.act("merge", con.merge))
			desk.POST("/bulk-handover", con.bulkHandOver)
		}
		desk.GET("/figures", con.figures)
		if d.Activities != nil && d.ActivityReader != nil {
			acts := desk.Group("/activities", con.notHandler)
			acts.GET("", con.activitiesPage)
			acts.POST("", con.dispatchActivity)
			acts.GET("/:id", con.activityPage)
		}
		if d.Duty != nil {
			desk.GET("/points", con.points)
			desk.GET("/points.xlsx", con.pointsExcel)
			desk.POST("/points/corrections", con.adminOnly, con.correctPoints)
			desk.POST("/points/rules", con.adminOnly, con.setPointRule)
		}
		desk.GET("/board", con.board)
		if d.StaffBinding != nil && d.StaffWeChat != nil {
			desk.GET("/wechat", con.wechatPage)
			desk.POST("/wechat/bind", con.bindWeChat)
		}
		if d.Staff != nil && d.AccountCreator != nil && d.Rosters != nil {
			manage := desk.Group("/manage", con.adminOnly)
			manage.GET("", con.managePage)
			manage.POST("/users", con.createUser)
			manage.POST("/import", con.importRoster)
			manage.POST("/accounts/:username", con.changeAccount)
			if d.Roster != nil {
				manage.GET("/roster/:kind", con.rosterPage)
				manage.POST("/roster/:kind", con.saveRosterRecord)
			}
		}
		desk.GET("/problems.xlsx", con.problemList)
		if d.Photos != nil {
			desk.GET("/photos/:id", con.photo)
		}
	}

	// Operations.
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/readyz", readiness(d.DB))
	if d.Metrics != nil {
		r.GET("/metrics", metricsAllowed(d.MetricsAllow), gin.WrapH(d.Metrics.Handler()))
	}
	// The API's contract, for the Mini Program's developers (OpenAPI 3).
	r.GET("/openapi.yaml", serveOpenAPIYAML)
	r.GET("/openapi.json", serveOpenAPIJSON)

	r.GET("/", home(d.Sandbox))
	return r
}

func readiness(db Pinger) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			c.String(http.StatusServiceUnavailable, "database unreachable")
			return
		}
		c.String(http.StatusOK, "ready")
	}
}

func home(sandbox bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		text := "码上 · 人大代表联络平台\n\nWeChat pushes to POST /wechat/callback.\n"
		if sandbox {
			text += "\nSandbox mode: a fake WeChat runs in-process. Play a citizen with:\n  go run ./cmd/mashang simulate\n"
		}
		c.String(http.StatusOK, text)
	}
}
