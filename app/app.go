// Package app wires Mashang from its configuration: the one place where the
// store, WeChat, the domain's services and the routes meet. `mashang serve`
// and every test that runs the service build it here, so what is tested is
// what runs.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/collectors"

	"mashang"
	"mashang/configs"
	"mashang/handlers"
	"mashang/limits"
	"mashang/metrics"
	"mashang/roster"
	"mashang/store"
	"mashang/wechat"
	"mashang/wechat/wechattest"
	"mashang/workday"
)

// Options are what the configuration does not say.
type Options struct {
	// Log receives what the service logs (nil: slog.Default()).
	Log *slog.Logger
	// PasswordCost is bcrypt's cost for staff passwords (0: the library's
	// default). Tests lower it; production never sets it.
	PasswordCost int
	// Replace, when set, may put other parts in place of the wired ones
	// before the routes are built: tests put failing parts there to see how
	// each surface answers a failure. Production never sets it.
	Replace func(*handlers.Deps)
}

// App is the wired service, without its listener. Its background work
// (the outbox, media, unionids, photo checks, the search index,
// supervision colours) starts
// with Start, so that tests can drive each piece themselves instead.
type App struct {
	// Config is the configuration as wired: in the sandbox, with the
	// fake WeChat's address.
	Config  configs.Config
	Handler http.Handler
	DB      *store.DB
	Clients *wechat.Clients // WeChat's API, as configured
	Metrics *metrics.Metrics
	Codes   *mashang.Codes
	Outbox  *mashang.Outbox
	Media   *mashang.Media
	// Files keeps every piece of media: the folder, or the object store.
	Files  mashang.MediaFiles
	Photos *mashang.Photos
	Unions *mashang.Unions
	// Supervision turns cases yellow and red; its clock (Now) is the
	// tests' to set.
	Supervision *mashang.Supervision
	// Ratings takes citizens' verdicts and reminds those who gave none;
	// its clock (Now) is the tests' to set too.
	Ratings *mashang.Ratings
	// Suggestions moves deputies' suggestions; its clock (Now) is the
	// tests' to set.
	Suggestions *mashang.Suggestions
	// Receptions (slots, bookings) and Register (the reception register):
	// their clocks (Now) are the tests' to set, to book before a reception
	// day and register on it.
	Receptions *mashang.Receptions
	Register   *mashang.Register
	// Sandbox is the in-process fake WeChat of `serve --sandbox`, serving
	// at SandboxURL; nil outside the sandbox.
	Sandbox    *wechattest.Fake
	SandboxURL string

	log        *slog.Logger
	redis      *limits.Redis // the shared limits', when in Redis
	sandboxSrv *http.Server
	// A stored push wakes the worker that acts on it.
	outboxWake, mediaWake, unionsWake, photoWake chan struct{}
	stop                                         context.CancelFunc
	workers                                      sync.WaitGroup
}

// New wires the service from its configuration. Every error names the
// setting, or the dependency, that caused it.
func New(ctx context.Context, cfg configs.Config, opt Options) (*App, error) {
	a, deps, err := wire(ctx, cfg, opt)
	if err != nil {
		return nil, err
	}
	if opt.Replace != nil {
		opt.Replace(&deps)
	}
	if a.Handler, err = handlers.New(deps); err != nil {
		a.Close()
		return nil, err
	}
	if a.Sandbox != nil {
		a.Handler = sandboxRoutes(a.Handler, a.Sandbox, cfg.MiniProgram.AppID)
	}
	return a, nil
}

// wire builds the parts and what each surface's routes need of them.
func wire(ctx context.Context, cfg configs.Config, opt Options) (_ *App, _ handlers.Deps, err error) {
	log := opt.Log
	if log == nil {
		log = slog.Default()
	}
	a := &App{log: log, outboxWake: make(chan struct{}, 1), mediaWake: make(chan struct{}, 1),
		unionsWake: make(chan struct{}, 1), photoWake: make(chan struct{}, 1)}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if cfg.Sandbox {
		fake, srv, url, err := wechattest.Start(wechattest.Config{Apps: []wechattest.App{
			// The sandbox's accounts have added the templates the
			// configuration names, and no others: a typo answers 40037 as
			// it would on go-live day.
			{AppID: cfg.WeChat.AppID, Secret: cfg.WeChat.Secret, Templates: nonEmpty(cfg.Notify.NewCaseTemplate,
				cfg.Notify.ReplyTemplate, cfg.Notify.ProgressTemplate, cfg.Notify.SupervisionTemplate, cfg.Notify.ActivityTemplate)},
			{AppID: cfg.MiniProgram.AppID, Secret: cfg.MiniProgram.Secret, MiniProgram: true,
				Templates: nonEmpty(cfg.Notify.ProgressSubscribeTemplate, cfg.Notify.ReminderTemplate)},
		}})
		if err != nil {
			return nil, handlers.Deps{}, fmt.Errorf("start the sandbox WeChat: %w", err)
		}
		a.sandboxSrv, a.SandboxURL, a.Sandbox = srv, url, fake
		cfg.WeChat.APIBase, cfg.WeChat.OAuthBase = url, url
	}
	if !cfg.Sandbox && cfg.HTTP.PublicURL == "" {
		// Deputies' sign-in returns to it: made from a request's Host
		// header instead, it would send a deputy's authorisation wherever
		// the request said.
		return nil, handlers.Deps{}, &configs.SettingError{Setting: "MASHANG_PUBLIC_URL", Problem: configs.PublicURLMissing}
	}
	a.Config = cfg

	db, err := store.Open(ctx, cfg.DB.Driver, cfg.DB.DSN)
	if err != nil {
		return nil, handlers.Deps{}, &configs.SettingError{Setting: "MASHANG_DB_DSN", Problem: err.Error()}
	}
	a.DB = db
	shared, err := sharedLimits(ctx, cfg, db, log)
	if err != nil {
		return nil, handlers.Deps{}, &configs.SettingError{Setting: "MASHANG_REDIS_URL", Problem: err.Error()}
	}
	if r, ok := shared.(*limits.Redis); ok {
		a.redis = r
	}
	if cfg.DB.ReadDSN != "" {
		if err := db.OpenReads(ctx, cfg.DB.ReadDSN, log); err != nil {
			return nil, handlers.Deps{}, &configs.SettingError{Setting: "MASHANG_DB_READ_DSN", Problem: err.Error()}
		}
	}
	if cfg.Sandbox {
		// An ordinary browser opening deputies' and handlers' pages chooses
		// on the fake's authorize page whom it is.
		a.Sandbox.SetBrowserChooser(sandboxBrowserUsers(db))
		if err := db.SeedDemo(ctx); err != nil {
			return nil, handlers.Deps{}, fmt.Errorf("load demo data: %w", err)
		}
		// The sandbox's console account, so `make run` shows the console
		// too, with a known staff API token for the README's curl examples.
		accounts := &mashang.Accounts{Store: db, Cost: opt.PasswordCost}
		_, err := accounts.Create(ctx, mashang.StaffUser{Username: SandboxAdmin,
			Name: "沙盒管理员", Role: mashang.RoleAdmin}, SandboxAdminPassword)
		if err == nil || mashang.ErrorCode(err) == mashang.ECONFLICT {
			err = accounts.GrantAPIToken(ctx, SandboxAdmin, SandboxAPIToken)
		}
		if err != nil {
			return nil, handlers.Deps{}, fmt.Errorf("sandbox console account: %w", err)
		}
	}

	metricsAllow, err := cfg.HTTP.MetricsNetworks()
	if err != nil {
		return nil, handlers.Deps{}, err
	}
	m := metrics.New(func(ctx context.Context, now time.Time) (metrics.OutboxStats, error) {
		pending, failed, oldest, err := db.OutboxStats(ctx)
		s := metrics.OutboxStats{Pending: pending, Failed: failed}
		if !oldest.IsZero() {
			s.OldestPending = max(now.Sub(oldest), 0)
		}
		return s, err
	}, log)
	m.Register(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.Metrics = m
	clients, err := wechat.NewClients(wechat.ClientConfig{
		APIBase: cfg.WeChat.APIBase, AppID: cfg.WeChat.AppID, Secret: cfg.WeChat.Secret,
		MPAppID: cfg.MiniProgram.AppID, MPSecret: cfg.MiniProgram.Secret, Timeout: cfg.WeChat.Timeout,
		Observe: m.WeChatCall, DeadToken: func(code int) {
			m.TokenInvalidated(code)
			log.Warn("WeChat called the access token dead; fetched it again and retried once", "errcode", code)
		},
	})
	if err != nil {
		return nil, handlers.Deps{}, &configs.SettingError{Setting: "MASHANG_WECHAT_API_BASE", Problem: err.Error()}
	}
	a.Clients = clients
	a.Codes = NewCodes(cfg, db, clients)
	inbound, err := wechat.NewInbound(wechat.InboundConfig{
		Token: cfg.WeChat.Token, AppID: cfg.WeChat.AppID,
		AESKey: cfg.WeChat.AESKey, PreviousAESKey: cfg.WeChat.PreviousAESKey,
		AllowPlaintext: cfg.WeChat.AllowPlaintext, MaxClockSkew: cfg.WeChat.MaxClockSkew,
	})
	if err != nil {
		return nil, handlers.Deps{}, &configs.SettingError{Setting: "MASHANG_WECHAT_TOKEN", Problem: err.Error()}
	}

	wake := wakeUp(a.outboxWake)
	intake := newIntake(cfg, db)
	intake.Queued, intake.MediaStored, intake.Followed = wake, wakeUp(a.mediaWake), wakeUp(a.unionsWake)
	a.Outbox = &mashang.Outbox{Store: db, Sender: clients, Log: log, Observe: m.OutboxSend, Lease: cfg.Outbox.Lease}
	files, err := NewMediaFiles(cfg)
	if err != nil {
		return nil, handlers.Deps{}, err
	}
	a.Files = files
	a.Media = &mashang.Media{Store: db, Fetcher: clients, Files: files, Log: log}
	a.Unions = &mashang.Unions{Store: db, WeChat: clients, Log: log}
	calendar, err := loadCalendar(cfg)
	if err != nil {
		return nil, handlers.Deps{}, err
	}
	if err := calendar.Uncovered(time.Now(), time.Now().AddDate(0, 2, 0)); err != nil {
		log.Warn("holiday calendar", "warning", err.Error())
	}
	base := publicURL(cfg)
	sf := cfg.Notify.SupervisionFields
	intake.Calendar, intake.FirstResponseDays = calendar, cfg.Cases.FirstResponseDays
	progress := newProgress(cfg)
	a.Supervision = &mashang.Supervision{Store: db, Calendar: calendar, NearDays: cfg.Cases.NearDeadlineDays, Queued: wake, Files: files,
		Progress: progress, FirstResponseDays: cfg.Cases.FirstResponseDays,
		Notify: mashang.SupervisionNotify{TemplateID: cfg.Notify.SupervisionTemplate, NumberField: sf.Number,
			StationField: sf.Station, ColourField: sf.Colour, DeadlineField: sf.Deadline,
			CaseURL: func(number string) string { return base + "/console/cases/" + number },
			// A department's handler opens the case on their phone, signed in by WeChat.
			DepartmentCaseURL: func(number string) string { return base + "/h/cases/" + number },
			// Suggestions' lights and reminders open their own pages.
			SuggestionURL:     func(id int64) string { return fmt.Sprintf("%s/console/suggestions/%d", base, id) },
			BodySuggestionURL: func(id int64) string { return fmt.Sprintf("%s/h/suggestions/%d", base, id) }}}
	// Deputies' suggestions: notices through the supervision template, to
	// the deputy's and the body's phone pages.
	a.Suggestions = &mashang.Suggestions{Store: db, Calendar: calendar, Notify: a.Supervision.Notify, Queued: wake,
		RedoMonths: cfg.Cases.SuggestionRedoMonths, Files: files,
		DeputyURL: func(id int64) string { return base + "/d/suggestions/" + strconv.FormatInt(id, 10) },
		BodyURL:   func(id int64) string { return base + "/h/suggestions/" + strconv.FormatInt(id, 10) }}
	a.Ratings = &mashang.Ratings{Store: db, Notify: intake.Notify, Queued: wake, Supervision: a.Supervision,
		RedoDays: cfg.Cases.RedoDays, RemindAfter: cfg.Cases.RatingReminder}
	intake.Ratings = a.Ratings
	a.Photos = &mashang.Photos{Store: db, Files: files, Log: log,
		Quota: mashang.UploadQuota{Count: cfg.Cases.UploadsPending, Bytes: int64(cfg.Cases.UploadsPendingMB) << 20}}
	var mpInbound *wechat.Inbound
	if cfg.MiniProgram.AppID != "" {
		// Text is checked before a form is routed; photos are sent for the
		// asynchronous check, whose verdict comes to the Mini Program's push URL.
		intake.TextChecker = clients
		a.Photos.Checker, a.Photos.Saved = clients, wakeUp(a.photoWake)
		a.Photos.URL = func(id string) string { return base + "/media/checks/" + id }
		if cfg.MiniProgram.PushToken != "" {
			if mpInbound, err = wechat.NewInbound(wechat.InboundConfig{Token: cfg.MiniProgram.PushToken, AppID: cfg.MiniProgram.AppID,
				AESKey: cfg.MiniProgram.PushAESKey, MaxClockSkew: cfg.WeChat.MaxClockSkew}); err != nil {
				return nil, handlers.Deps{}, &configs.SettingError{Setting: "MASHANG_MP_TOKEN", Problem: err.Error()}
			}
			if a.Sandbox != nil {
				a.Sandbox.SetMPPush(cfg.MiniProgram.AppID, wechattest.PushTarget{URL: base + "/wechat/mp-callback",
					Token: cfg.MiniProgram.PushToken, AESKey: cfg.MiniProgram.PushAESKey})
			}
		}
	}
	sessions := &mashang.Sessions{Secret: []byte(cfg.MiniProgram.SessionSecret)}
	deputySecret := []byte(cfg.MiniProgram.SessionSecret)
	if len(deputySecret) == 0 {
		// Without a configured secret, deputies' sessions last until this
		// process ends; WeChat signs them in again silently when it does.
		deputySecret = []byte(rand.Text())
		log.Warn("MASHANG_SESSION_SECRET is not set: deputies', citizens' and departments' page sessions will not outlive this process or span instances")
	}
	var phones handlers.PhoneService
	if key, err := hex.DecodeString(cfg.MiniProgram.DataKey); err == nil && len(key) == 32 {
		vault, err := mashang.NewVault(key)
		if err != nil {
			return nil, handlers.Deps{}, &configs.SettingError{Setting: "MASHANG_DATA_KEY", Problem: err.Error()}
		}
		phones = &mashang.Phones{WeChat: clients, Store: db, Vault: vault}
		intake.Vault = vault // walk-ins' phones are sealed as the Mini Program's are
	}
	accounts := &mashang.Accounts{Store: db, Cost: opt.PasswordCost, SignInsPerMinute: cfg.HTTP.SignInsPerMinute}
	replies := newReplies(cfg, db, wake)
	receptions := newReceptions(cfg, db, wake)
	af := cfg.Notify.ActivityFields
	// The deputies on duty hear of their reception day by the activities'
	// template, and open their days on their phone.
	receptions.Duty = mashang.ActivityNotify{TemplateID: cfg.Notify.ActivityTemplate, TitleField: af.Title, TimeField: af.Time,
		PlaceField: af.Place, URL: func(int64) string { return base + "/d/receptions" }}
	a.Receptions, a.Register = receptions, &mashang.Register{Store: db, Cases: intake}
	if cfg.Sandbox {
		if err := sandboxSlots(ctx, receptions); err != nil {
			return nil, handlers.Deps{}, fmt.Errorf("sandbox reception slots: %w", err)
		}
	}
	rerouting := &mashang.Rerouting{Store: db, Notify: intake.Notify, Queued: wake, Progress: progress,
		Departments: a.Supervision.Notify, Calendar: intake.Calendar, FirstResponseDays: intake.FirstResponseDays}
	suggestions := handlers.SuggestionDeps{Reader: db, Media: files, Calendar: calendar, Service: a.Suggestions}
	activities := &mashang.Activities{Store: db, Issuer: clients, Queued: wake, Notify: mashang.ActivityNotify{
		TemplateID: cfg.Notify.ActivityTemplate, TitleField: af.Title, TimeField: af.Time, PlaceField: af.Place,
		URL: func(int64) string { return base + "/d/activities" }}}
	return a, handlers.Deps{
		Log:            log,
		Metrics:        m,
		TrustedProxies: cfg.HTTP.TrustedProxies,
		Limits:         shared,
		Callback: handlers.CallbackDeps{
			Inbound:      inbound,
			Receiver:     sandboxAware(intake, a.Sandbox),
			MaxBodyBytes: cfg.HTTP.MaxBodyBytes,
		},
		MiniProgram: handlers.MiniProgramDeps{
			Login:              &mashang.Login{WeChat: clients, Users: db, Sessions: sessions},
			Sessions:           sessions,
			Public:             db,
			Phones:             phones,
			Forms:              intake,
			Citizens:           db,
			Ratings:            a.Ratings,
			Receptions:         receptions,
			Photos:             a.Photos,
			ReminderTemplateID: cfg.Notify.ReminderTemplate,
			MPInbound:          mpInbound,
			MaxBodyBytes:       cfg.HTTP.MaxBodyBytes,
			CitizenLimit:       handlers.RateLimit{PerSecond: cfg.HTTP.CitizenRate, Burst: cfg.HTTP.CitizenBurst},
		},
		StaffAPI: handlers.StaffAPIDeps{
			Accounts:    accounts,
			Console:     db,
			Audit:       db,
			Replies:     replies,
			Rerouting:   rerouting,
			Supervision: a.Supervision,
			Receptions:  receptions,
		},
		Console: handlers.ConsoleDeps{
			ReadPrimary:       readPrimary(cfg),
			ReadPrimaryFor:    cfg.DB.ReadPrimaryFor,
			SuggestionFigures: db,
			Accounts:          accounts,
			Console:           db,
			Staff:             db,
			AccountCreator:    accounts,
			Rosters:           &roster.Importer{Store: db},
			Roster:            db,
			Replies:           replies,
			Rerouting:         rerouting,
			Supervision:       a.Supervision,
			Activities:        activities,
			ActivityReader:    db,
			Desks:             &mashang.Desks{Store: db, Issuer: clients},
			DeskReader:        db,
			Duty:              db,
			Photos:            a.Photos,
			Media:             files,
			StaffBinding:      &mashang.StaffBinding{Store: db, Issuer: clients},
			StaffWeChat:       db,
			Audit:             db,
			AuditLog:          db,
			PublicURL:         cfg.HTTP.PublicURL,
			Codes:             a.Codes,
			Receptions:        receptions,
			Register:          a.Register,
			Received:          db,
			Walkins:           intake,
			Walkin:            db,
			Wall:              db,
			Publishing:        &mashang.Publishing{Store: db},
			Todo:              db,
			Suggestions:       suggestions,
		},
		Deputies: handlers.DeputyDeps{
			Pages: handlers.DeputyPages{Desk: db, OAuth: clients, AppID: cfg.WeChat.AppID, OAuthBase: cfg.WeChat.OAuthBase,
				Sessions: &mashang.Sessions{Secret: deputySecret, TTL: 12 * time.Hour, Purpose: "mashang-deputy-session"}},
			Supervision:    a.Supervision,
			Rerouting:      rerouting,
			Activities:     activities,
			ActivityReader: db,
			Receptions:     db,
			Audit:          db,
			PublicURL:      base,
			Walkins:        intake,
			Suggestions:    suggestions,
		},
		Citizens: handlers.CitizenDeps{Cases: db, Ratings: a.Ratings, OAuth: clients, AppID: cfg.WeChat.AppID, OAuthBase: cfg.WeChat.OAuthBase,
			PublicURL: base, Sessions: &mashang.Sessions{Secret: deputySecret, TTL: 12 * time.Hour, Purpose: "mashang-citizen-session"}},
		Departments: handlers.DepartmentDeps{Desk: db, OAuth: clients, AppID: cfg.WeChat.AppID, OAuthBase: cfg.WeChat.OAuthBase,
			PublicURL: base, Supervision: a.Supervision, Audit: db, Suggestions: suggestions,
			Sessions: &mashang.Sessions{Secret: deputySecret, TTL: 12 * time.Hour, Purpose: "mashang-handler-session"}},
		Public: handlers.PublicDeps{
			Codes:      a.Codes,
			Directory:  db,
			Wall:       db,
			Public:     db,
			Receptions: receptions,
			MinCount:   cfg.HTTP.PublicMinCount,
			Console:    db,
			Staff:      db,
			// The handled suggestions, named by deputy only where the
			// congress publishes them.
			Suggestions:     db,
			SuggestionNames: cfg.HTTP.PublicSuggestionNames,
		},
		Operations: handlers.OperationsDeps{DB: db, MediaDir: localMediaDir(cfg), MetricsAllow: metricsAllow, Sandbox: cfg.Sandbox},
	}, nil
}

// Start starts the background work: the outbox and the media fetcher act
// after the callback is answered (a stored push wakes them), unionids are
// filled in, photos go to WeChat's check, the texts written in the last
// second go into the search index, supervision colours are swept
// and citizens who have not rated are reminded every ten minutes, and
// photos no case took are deleted after a day (swept every ten minutes
// too; instances may sweep at once). Close stops it.
func (a *App) Start() {
	ctx, stop := context.WithCancel(context.Background())
	a.stop = stop
	a.workers.Go(func() { a.Outbox.Run(ctx, a.outboxWake) })
	a.workers.Go(func() { a.Media.Run(ctx, a.mediaWake, 30*time.Second) })
	a.workers.Go(func() { a.Unions.Run(ctx, a.unionsWake, time.Minute) })
	if a.Photos.Checker != nil {
		a.workers.Go(func() { a.Photos.Run(ctx, a.photoWake, time.Minute) })
	}
	// Every second rather than woken by each push: a second's texts go
	// into the index in one transaction, and the search finds them before
	// that anyway (store/searchindex.go).
	a.workers.Go(func() {
		runEvery(ctx, time.Second, func() {
			if _, err := a.DB.IndexSearch(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("search index", "err", err)
			}
		})
	})
	a.workers.Go(func() {
		runEvery(ctx, 10*time.Minute, func() {
			if _, err := a.Supervision.Sweep(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("supervision colours", "err", err)
			}
			if _, err := a.Ratings.Remind(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("rating reminders", "err", err)
			}
			if _, err := a.Suggestions.SweepPromises(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("suggestion promises", "err", err)
			}
		})
	})
	a.workers.Go(func() {
		runEvery(ctx, 10*time.Minute, func() {
			if n, err := a.Photos.SweepUnattached(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("unattached photos", "err", err)
			} else if n > 0 {
				a.log.Info("unattached photos deleted", "n", n)
			}
		})
	})
}

// Close stops the background work, the sandbox's WeChat and the database.
func (a *App) Close() {
	if a.stop != nil {
		// Sends under way finish and are recorded; what was claimed and not
		// started is handed back for another instance or the next start.
		a.stop()
		a.workers.Wait()
		a.stop = nil
	}
	if a.sandboxSrv != nil {
		_ = a.sandboxSrv.Close()
		a.sandboxSrv = nil
	}
	if a.redis != nil {
		_ = a.redis.Close()
		a.redis = nil
	}
	if a.DB != nil {
		_ = a.DB.Close()
		a.DB = nil
	}
}

// The sandbox's console account: never in production, where accounts come
// from `mashang staff create-admin`.
const (
	SandboxAdmin         = "admin"
	SandboxAdminPassword = "mashang-sandbox"
	SandboxAPIToken      = "sandbox-staff-token"
)

func wakeUp(ch chan struct{}) func() {
	return func() {
		select {
		case ch <- struct{}{}:
		default: // already awake
		}
	}
}

// NewCodes wires the code service: WeChat's codes when the service has real
// credentials, the service's own H5 links in the sandbox (the fake's ticket
// URLs would lead a real phone nowhere).
func NewCodes(cfg configs.Config, db *store.DB, clients *wechat.Clients) *mashang.Codes {
	c := &mashang.Codes{Store: db, PublicURL: publicURL(cfg)}
	if !cfg.Sandbox && cfg.WeChat.AppID != "" && cfg.WeChat.Secret != "" {
		c.OA = clients
	}
	if !cfg.Sandbox && clients.MP != nil {
		c.MP = clients
	}
	return c
}

func publicURL(cfg configs.Config) string {
	if cfg.HTTP.PublicURL != "" {
		return cfg.HTTP.PublicURL
	}
	return "http://" + cfg.HTTP.Addr
}

// newIntake wires what taking a push needs from the configuration.
func newIntake(cfg configs.Config, db *store.DB) *mashang.Intake {
	f := cfg.Notify.Fields
	base := publicURL(cfg)
	return &mashang.Intake{
		Store:               db,
		MiniProgramAppID:    cfg.MiniProgram.AppID,
		ProgressSubscribeID: cfg.Notify.ProgressSubscribeTemplate,
		ScanWindow:          cfg.Cases.ScanWindow,
		CaseGap:             cfg.Cases.Gap,
		PerDay:              cfg.Cases.PerDay,
		Notify: mashang.NotifyConfig{
			TemplateID: cfg.Notify.NewCaseTemplate, NumberField: f.Number, StationField: f.Station,
			CategoryField: f.Category, SummaryField: f.Summary, TimeField: f.Time,
			// Deputies open the case on their phone, signed in by WeChat.
			CaseURL:   func(number string) string { return base + "/d/cases/" + number },
			PerMinute: cfg.Notify.DeputyPerMinute,
			DeskURL:   base + "/d/cases",
		},
	}
}

func newReplies(cfg configs.Config, db *store.DB, wake func()) *mashang.Replies {
	f := cfg.Notify.ReplyFields
	return &mashang.Replies{Store: db, Queued: wake, Config: mashang.ReplyConfig{
		TemplateID: cfg.Notify.ReplyTemplate, NumberField: f.Number, StatusField: f.Status, TimeField: f.Time,
		CaseURL: citizenCaseURL(cfg),
	}}
}

// citizenCaseURL is the citizen's own page of their case, which every
// answer and notice of progress links to (signed in silently by WeChat).
func citizenCaseURL(cfg configs.Config) func(number string) string {
	base := publicURL(cfg)
	return func(number string) string { return base + "/c/" + number }
}

// newProgress wires the notices that tell a citizen how their case moves.
func newProgress(cfg configs.Config) mashang.ProgressConfig {
	f, sf := cfg.Notify.ProgressFields, cfg.Notify.ProgressSubscribeFields
	return mashang.ProgressConfig{TemplateID: cfg.Notify.ProgressTemplate, NumberField: f.Number, StatusField: f.Status,
		TimeField: f.Time, CaseURL: citizenCaseURL(cfg),
		Subscribe: mashang.ProgressSubscribe{NumberField: sf.Number, StatusField: sf.Status, StepField: sf.Step, TimeField: sf.Time,
			Page: func(number string) string { return "pages/cases/detail?number=" + number }}}
}

func newReceptions(cfg configs.Config, db *store.DB, wake func()) *mashang.Receptions {
	f := cfg.Notify.ReminderFields
	return &mashang.Receptions{Store: db, Queued: wake, Reminder: mashang.ReminderConfig{
		TemplateID: cfg.Notify.ReminderTemplate, StationField: f.Station, TimeField: f.Time, TopicField: f.Topic,
		NoteField: f.Note, Page: "pages/bookings/index",
	}}
}

// loadCalendar reads the holiday table: the built-in national one, or the
// file MASHANG_HOLIDAYS_FILE names.
func loadCalendar(cfg configs.Config) (*workday.Calendar, error) {
	data := configs.Holidays()
	if path := cfg.Cases.HolidaysFile; path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, &configs.SettingError{Setting: "MASHANG_HOLIDAYS_FILE", Problem: err.Error()}
		}
	}
	calendar, err := workday.Parse(data)
	if err != nil {
		return nil, &configs.SettingError{Setting: "MASHANG_HOLIDAYS_FILE", Problem: mashang.ErrorMessage(err)}
	}
	return calendar, nil
}

// runEvery calls work now and then every period until ctx ends.
func runEvery(ctx context.Context, period time.Duration, work func()) {
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	for {
		work()
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// nonEmpty is the values that are set.
func nonEmpty(values ...string) []string {
	var out []string
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// readPrimary marks the reads of a person who just acted for the primary,
// when the heavy reads have a replica (MASHANG_DB_READ_DSN).
func readPrimary(cfg configs.Config) func(context.Context) context.Context {
	if cfg.DB.ReadDSN == "" {
		return nil
	}
	return store.OnPrimary
}

// sharedLimits is where the limits every instance shares are kept: Redis
// when MASHANG_REDIS_URL names one, else the database on MySQL (several
// instances share it), else memory (SQLite has one instance).
func sharedLimits(ctx context.Context, cfg configs.Config, db *store.DB, log *slog.Logger) (handlers.SharedLimits, error) {
	switch {
	case cfg.RedisURL != "":
		r, err := limits.OpenRedis(ctx, cfg.RedisURL, cfg.RedisPrefix+"limits:")
		if err != nil {
			return nil, err
		}
		log.Info("the limits every instance shares are kept in Redis")
		return r, nil
	case db.Driver() == store.DriverMySQL:
		return db, nil
	}
	return limits.NewMemory(), nil
}
