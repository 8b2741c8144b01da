package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/collectors"
	"mashang"
	"mashang/configs"

	"mashang/handlers"
	"mashang/metrics"
	"mashang/store"
	"mashang/wechat"
	"mashang/wechat/wechattest"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", getenv("MASHANG_CONFIG"), "configuration file (YAML)")
	sandbox := fs.Bool("sandbox", false, "run a fake WeChat in-process with demo stations and deputies (never in production)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (go tool pprof) to this file until the server stops")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	env := getenv
	if *sandbox {
		env = func(k string) string {
			if k == "MASHANG_SANDBOX" {
				return "true"
			}
			return getenv(k)
		}
	}
	cfg, err := configs.Load(*configPath, env)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	slog.SetDefault(log) // what the libraries log goes the same way
	if getenv("GOGC") == "" {
		// The live heap is a few MB; collecting at 4× rather than 2× of it
		// costs little memory and took a tenth of the callback's CPU.
		debug.SetGCPercent(400)
	}

	app, err := start(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.close()
	log.Info("started", "config", app.cfg.String())

	listener, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return &configs.SettingError{Setting: "MASHANG_HTTP_ADDR", Problem: fmt.Sprintf("cannot listen on %s: %v", cfg.HTTP.Addr, err)}
	}
	srv := &http.Server{
		Handler:           app.router,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	base := "http://" + listener.Addr().String()
	printWelcome(stdout, cfg, base, app.fakeURL)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(listener) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// app is the wired service, without its listener.
type app struct {
	stopOutbox context.CancelFunc
	workers    sync.WaitGroup // the outbox, media and other background work
	cfg        configs.Config // as started: in the sandbox, the fake's address
	router     http.Handler
	db         *store.DB
	codes      *mashang.Codes
	fake       *http.Server
	fakeURL    string
	fakeAPI    *wechattest.Fake // the sandbox's WeChat, to tell it what WeChat would know
}

func (a *app) close() {
	if a.stopOutbox != nil {
		// Sends under way finish and are recorded; what was claimed and not
		// started is handed back for another instance or the next start.
		a.stopOutbox()
		a.workers.Wait()
	}
	if a.fake != nil {
		_ = a.fake.Close()
	}
	if a.db != nil {
		_ = a.db.Close()
	}
}

// start wires the service from its configuration. Every error names the
// setting that caused it.
func start(ctx context.Context, cfg configs.Config, log *slog.Logger) (*app, error) {
	a := &app{}
	if cfg.Sandbox {
		fake, srv, url, err := wechattest.Start(wechattest.Config{Apps: []wechattest.App{
			{AppID: cfg.WeChat.AppID, Secret: cfg.WeChat.Secret},
			{AppID: cfg.MiniProgram.AppID, Secret: cfg.MiniProgram.Secret},
		}})
		if err != nil {
			return nil, fmt.Errorf("start the sandbox WeChat: %w", err)
		}
		a.fake, a.fakeURL, a.fakeAPI = srv, url, fake
		cfg.WeChat.APIBase, cfg.WeChat.OAuthBase = url, url
	}

	db, err := store.Open(ctx, cfg.DB.Driver, cfg.DB.DSN)
	if err != nil {
		a.close()
		return nil, &configs.SettingError{Setting: "MASHANG_DB_DSN", Problem: err.Error()}
	}
	a.db = db
	if cfg.Sandbox {
		if err := db.SeedDemo(ctx); err != nil {
			a.close()
			return nil, fmt.Errorf("load demo data: %w", err)
		}
		// The sandbox's console account, so `make run` shows the console
		// too, with a known staff API token for the README's curl examples.
		accounts := &mashang.Accounts{Store: db}
		_, err := accounts.Create(ctx, mashang.StaffUser{Username: sandboxAdmin, Name: "沙盒管理员",
			Role: mashang.RoleAdmin}, sandboxAdminPassword)
		if err == nil || mashang.ErrorCode(err) == mashang.ECONFLICT {
			err = accounts.GrantAPIToken(ctx, sandboxAdmin, sandboxAPIToken)
		}
		if err != nil {
			a.close()
			return nil, fmt.Errorf("sandbox console account: %w", err)
		}
	}

	metricsAllow, err := cfg.HTTP.MetricsNetworks()
	if err != nil {
		a.close()
		return nil, err
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
	clients, err := wechat.NewClients(wechat.ClientConfig{
		APIBase: cfg.WeChat.APIBase, AppID: cfg.WeChat.AppID, Secret: cfg.WeChat.Secret,
		MPAppID: cfg.MiniProgram.AppID, MPSecret: cfg.MiniProgram.Secret, Timeout: cfg.WeChat.Timeout,
		Observe: m.WeChatCall, DeadToken: func(code int) {
			m.TokenInvalidated(code)
			log.Warn("WeChat called the access token dead; fetched it again and retried once", "errcode", code)
		},
	})
	if err != nil {
		a.close()
		return nil, &configs.SettingError{Setting: "MASHANG_WECHAT_API_BASE", Problem: err.Error()}
	}
	a.codes = newCodes(cfg, db, clients)
	inbound, err := wechat.NewInbound(wechat.InboundConfig{
		Token: cfg.WeChat.Token, AppID: cfg.WeChat.AppID,
		AESKey: cfg.WeChat.AESKey, PreviousAESKey: cfg.WeChat.PreviousAESKey,
		AllowPlaintext: cfg.WeChat.AllowPlaintext, MaxClockSkew: cfg.WeChat.MaxClockSkew,
	})
	if err != nil {
		a.close()
		return nil, &configs.SettingError{Setting: "MASHANG_WECHAT_TOKEN", Problem: err.Error()}
	}
	a.cfg = cfg
	// The outbox and the media fetcher work after the callback is
	// answered; a stored push wakes them.
	outboxWake, mediaWake := make(chan struct{}, 1), make(chan struct{}, 1)
	wakeUp := func(ch chan struct{}) func() {
		return func() {
			select {
			case ch <- struct{}{}:
			default: // already awake
			}
		}
	}
	wake := wakeUp(outboxWake)
	intake := newIntake(cfg, db)
	unionsWake := make(chan struct{}, 1)
	intake.Queued, intake.MediaStored, intake.Followed = wake, wakeUp(mediaWake), wakeUp(unionsWake)
	outbox := &mashang.Outbox{Store: db, Sender: clients, Log: log, Observe: m.OutboxSend, Lease: cfg.Outbox.Lease}
	media := &mashang.Media{Store: db, Fetcher: clients, Dir: cfg.MediaDir, Log: log}
	runCtx, stop := context.WithCancel(context.Background())
	a.stopOutbox = stop
	a.workers.Go(func() { outbox.Run(runCtx, outboxWake) })
	a.workers.Go(func() { media.Run(runCtx, mediaWake, 30*time.Second) })
	a.workers.Go(func() { (&mashang.Unions{Store: db, WeChat: clients, Log: log}).Run(runCtx, unionsWake, time.Minute) })
	calendar, err := loadCalendar(cfg)
	if err != nil {
		a.close()
		return nil, err
	}
	if err := calendar.Uncovered(time.Now(), time.Now().AddDate(0, 2, 0)); err != nil {
		log.Warn("holiday calendar", "warning", err.Error())
	}
	sf := cfg.Notify.SupervisionFields
	supervision := &mashang.Supervision{Store: db, Calendar: calendar, NearDays: cfg.Cases.NearDeadlineDays, Queued: wake,
		Notify: mashang.SupervisionNotify{TemplateID: cfg.Notify.SupervisionTemplate, NumberField: sf.Number,
			StationField: sf.Station, ColourField: sf.Colour, DeadlineField: sf.Deadline,
			CaseURL: func(number string) string { return publicURL(cfg) + "/console/cases/" + number }}}
	a.workers.Go(func() {
		runEvery(runCtx, 10*time.Minute, func() {
			if _, err := supervision.Sweep(runCtx); err != nil && runCtx.Err() == nil {
				log.Error("supervision colours", "err", err)
			}
		})
	})
	photos := &mashang.Photos{Store: db, Dir: cfg.MediaDir, Log: log}
	var mpInbound *wechat.Inbound
	if cfg.MiniProgram.AppID != "" {
		// Text is checked before a form is routed; photos are sent for the
		// asynchronous check, whose verdict comes to the Mini Program's push URL.
		intake.TextChecker = clients
		base := publicURL(cfg)
		photoWake := make(chan struct{}, 1)
		photos.Checker, photos.Saved = clients, wakeUp(photoWake)
		photos.URL = func(id string) string { return base + "/media/checks/" + id }
		a.workers.Go(func() { photos.Run(runCtx, photoWake, time.Minute) })
		if cfg.MiniProgram.PushToken != "" {
			if mpInbound, err = wechat.NewInbound(wechat.InboundConfig{Token: cfg.MiniProgram.PushToken, AppID: cfg.MiniProgram.AppID,
				AESKey: cfg.MiniProgram.PushAESKey, MaxClockSkew: cfg.WeChat.MaxClockSkew}); err != nil {
				a.close()
				return nil, &configs.SettingError{Setting: "MASHANG_MP_TOKEN", Problem: err.Error()}
			}
			if a.fakeAPI != nil {
				a.fakeAPI.SetMPPush(cfg.MiniProgram.AppID, wechattest.PushTarget{URL: base + "/wechat/mp-callback",
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
		log.Warn("MASHANG_SESSION_SECRET is not set: deputies' page sessions will not outlive this process or span instances")
	}
	var phones handlers.PhoneService
	if key, err := hex.DecodeString(cfg.MiniProgram.DataKey); err == nil && len(key) == 32 {
		vault, err := mashang.NewVault(key)
		if err != nil {
			a.close()
			return nil, &configs.SettingError{Setting: "MASHANG_DATA_KEY", Problem: err.Error()}
		}
		phones = &mashang.Phones{WeChat: clients, Store: db, Vault: vault}
	}
	a.router = handlers.New(handlers.Deps{
		Metrics:            m,
		MetricsAllow:       metricsAllow,
		Inbound:            inbound,
		Receiver:           sandboxAware(intake, a.fakeAPI),
		DB:                 db,
		Log:                log,
		MaxBodyBytes:       cfg.HTTP.MaxBodyBytes,
		Sandbox:            cfg.Sandbox,
		Codes:              a.codes,
		Directory:          db,
		Replies:            newReplies(cfg, db, wake),
		Login:              &mashang.Login{WeChat: clients, Users: db, Sessions: sessions},
		Sessions:           sessions,
		Public:             db,
		Phones:             phones,
		Forms:              intake,
		Citizens:           db,
		Ratings:            &mashang.Ratings{Store: db, Notify: intake.Notify, Queued: wake},
		Receptions:         newReceptions(cfg, db, wake),
		ReminderTemplateID: cfg.Notify.ReminderTemplate,
		CitizenLimit:       handlers.RateLimit{PerSecond: cfg.HTTP.CitizenRate, Burst: cfg.HTTP.CitizenBurst},
		TrustedProxies:     cfg.HTTP.TrustedProxies,
		Photos:             photos,
		MPInbound:          mpInbound,
		Supervision:        supervision,
		Accounts:           &mashang.Accounts{Store: db},
		Console:            db,
		Staff:              db,
		AccountCreator:     &mashang.Accounts{Store: db},
		Rosters:            &mashang.Rosters{Store: db},
		Roster:             db,
		MediaDir:           cfg.MediaDir,
		StaffBinding:       &mashang.StaffBinding{Store: db, Issuer: clients},
		StaffWeChat:        db,
		Audit:              db,
		Duty:               db,
		Wall:               db,
		Activities: &mashang.Activities{Store: db, Issuer: clients, Queued: wake, Notify: mashang.ActivityNotify{
			TemplateID: cfg.Notify.ActivityTemplate, TitleField: cfg.Notify.ActivityFields.Title,
			TimeField: cfg.Notify.ActivityFields.Time, PlaceField: cfg.Notify.ActivityFields.Place,
			URL: func(int64) string { return publicURL(cfg) + "/d/activities" }}},
		ActivityReader: db,
		Deputy: handlers.DeputyPages{Desk: db, OAuth: clients, AppID: cfg.WeChat.AppID, OAuthBase: cfg.WeChat.OAuthBase,
			Sessions: &mashang.Sessions{Secret: deputySecret, TTL: 12 * time.Hour, Purpose: "mashang-deputy-session"}},
		PublicURL: cfg.HTTP.PublicURL,
		Rerouting: &mashang.Rerouting{Store: db, Notify: intake.Notify, Queued: wake},
	})
	return a, nil
}

func newLogger(cfg configs.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// The sandbox's console account: never in production, where accounts come
// from `mashang staff create-admin`.
const (
	sandboxAdmin         = "admin"
	sandboxAdminPassword = "mashang-sandbox"
	sandboxAPIToken      = "sandbox-staff-token"
)

func printWelcome(w io.Writer, cfg configs.Config, base, fakeURL string) {
	fmt.Fprintf(w, "码上 (Mashang) is running at %s\n", base)
	fmt.Fprintf(w, "  WeChat callback:  %s/wechat/callback\n", base)
	fmt.Fprintf(w, "  health:           %s/healthz   readiness: %s/readyz   metrics: %s/metrics\n", base, base, base)
	fmt.Fprintf(w, "  database:         %s %s\n", cfg.DB.Driver, dsnForDisplay(cfg))
	if cfg.Sandbox {
		fmt.Fprintf(w, "\nSandbox: a fake WeChat API runs at %s (nothing reaches the real WeChat).\n", fakeURL)
		fmt.Fprintf(w, "  AppID %s, Token %s, EncodingAESKey %s (safe mode)\n", cfg.WeChat.AppID, cfg.WeChat.Token, cfg.WeChat.AESKey)
		fmt.Fprintf(w, "  Demo stations st:demo-bdg st:demo-xhw st:demo-lsh, deputies dp:demo-d01 … dp:demo-d06\n")
		fmt.Fprintf(w, "  Staff console:    %s/console/  (sandbox account %s / %s)\n", base, sandboxAdmin, sandboxAdminPassword)
		fmt.Fprintf(w, "  Staff API:        %s/api/…  (Authorization: Bearer %s, as %s)\n", base, sandboxAPIToken, sandboxAdmin)
		fmt.Fprintf(w, "\nPlay a citizen who scans a station's code and writes in (another terminal):\n")
		fmt.Fprintf(w, "  go run ./cmd/mashang simulate --url %s/wechat/callback\n\n", base)
	}
}

func dsnForDisplay(cfg configs.Config) string {
	if cfg.DB.Driver == "sqlite" {
		return cfg.DB.DSN
	}
	return "(DSN hidden; see MASHANG_DB_DSN)"
}

// newCodes wires the code service: WeChat's codes when the service has real
// credentials, the service's own H5 links in the sandbox (the fake's ticket
// URLs would lead a real phone nowhere).
func newCodes(cfg configs.Config, db *store.DB, clients *wechat.Clients) *mashang.Codes {
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
		Store:            db,
		MiniProgramAppID: cfg.MiniProgram.AppID,
		ScanWindow:       cfg.Cases.ScanWindow,
		CaseGap:          cfg.Cases.Gap,
		Notify: mashang.NotifyConfig{
			TemplateID: cfg.Notify.NewCaseTemplate, NumberField: f.Number, StationField: f.Station,
			CategoryField: f.Category, SummaryField: f.Summary, TimeField: f.Time,
			// Deputies open the case on their phone, signed in by WeChat.
			CaseURL: func(number string) string { return base + "/d/cases/" + number },
		},
	}
}

func newReplies(cfg configs.Config, db *store.DB, wake func()) *mashang.Replies {
	f := cfg.Notify.ReplyFields
	base := publicURL(cfg)
	return &mashang.Replies{Store: db, Queued: wake, Config: mashang.ReplyConfig{
		TemplateID: cfg.Notify.ReplyTemplate, NumberField: f.Number, StatusField: f.Status, TimeField: f.Time,
		CaseURL: func(number string) string { return base + "/cases/" + number },
	}}
}

// loadCalendar reads the holiday table: the built-in national one, or the
// file MASHANG_HOLIDAYS_FILE names.
func loadCalendar(cfg configs.Config) (*mashang.WorkCalendar, error) {
	data := configs.Holidays()
	if path := cfg.Cases.HolidaysFile; path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, &configs.SettingError{Setting: "MASHANG_HOLIDAYS_FILE", Problem: err.Error()}
		}
	}
	calendar, err := mashang.ParseWorkCalendar(data)
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

func newReceptions(cfg configs.Config, db *store.DB, wake func()) *mashang.Receptions {
	f := cfg.Notify.ReminderFields
	return &mashang.Receptions{Store: db, Queued: wake, Reminder: mashang.ReminderConfig{
		TemplateID: cfg.Notify.ReminderTemplate, StationField: f.Station, TimeField: f.Time, TopicField: f.Topic,
		NoteField: f.Note, Page: "pages/bookings/index",
	}}
}

// sandboxAware tells the sandbox's fake WeChat what the real one knows of
// its users from the pushes it sends: who follows, and who wrote just now
// (which opens the 48-hour window for customer-service messages). Without
// it, the sandbox's notifications and replies would all be refused.
func sandboxAware(r handlers.Receiver, fake *wechattest.Fake) handlers.Receiver {
	if fake == nil {
		return r
	}
	return sandboxReceiver{next: r, fake: fake}
}

type sandboxReceiver struct {
	next handlers.Receiver
	fake *wechattest.Fake
}

func (s sandboxReceiver) Receive(ctx context.Context, m mashang.Inbound) (mashang.Reply, error) {
	reply, err := s.next.Receive(ctx, m)
	if err != nil {
		return reply, err
	}
	switch {
	case m.MsgType == mashang.MsgEvent && m.Event == mashang.EventUnsubscribe:
		s.fake.Unfollow(m.OpenID)
	case m.MsgType == mashang.MsgEvent:
		s.fake.Follow(m.OpenID)
	default:
		s.fake.Follow(m.OpenID)
		s.fake.UserMessaged(m.OpenID)
	}
	return reply, nil
}
