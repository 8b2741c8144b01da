package main

import (
	"context"
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
	"time"

	"mashang/app"
	"mashang/configs"
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
	purpose := configs.Serve
	if *sandbox {
		purpose = configs.Sandbox
	}
	cfg, err := configs.Load(*configPath, purpose, getenv)
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

	a, err := app.New(ctx, cfg, app.Options{Log: log})
	if err != nil {
		return err
	}
	defer a.Close()
	a.Start()
	log.Info("started", "config", a.Config.String())

	listener, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return &configs.SettingError{Setting: "MASHANG_HTTP_ADDR", Problem: fmt.Sprintf("cannot listen on %s: %v", cfg.HTTP.Addr, err)}
	}
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	base := "http://" + listener.Addr().String()
	printWelcome(stdout, cfg, base, a.SandboxURL)

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

func newLogger(cfg configs.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func printWelcome(w io.Writer, cfg configs.Config, base, fakeURL string) {
	fmt.Fprintf(w, "码上 (Mashang) is running at %s\n", base)
	fmt.Fprintf(w, "  WeChat callback:  %s/wechat/callback\n", base)
	fmt.Fprintf(w, "  health:           %s/healthz   readiness: %s/readyz   metrics: %s/metrics\n", base, base, base)
	fmt.Fprintf(w, "  database:         %s %s\n", cfg.DB.Driver, dsnForDisplay(cfg))
	if cfg.Sandbox {
		fmt.Fprintf(w, "\nSandbox: a fake WeChat API runs at %s (nothing reaches the real WeChat).\n", fakeURL)
		fmt.Fprintf(w, "  AppID %s, Token %s, EncodingAESKey %s (safe mode)\n", cfg.WeChat.AppID, cfg.WeChat.Token, cfg.WeChat.AESKey)
		fmt.Fprintf(w, "  Demo stations st:demo-bdg st:demo-xhw st:demo-lsh, deputies dp:demo-d01 … dp:demo-d06\n")
		fmt.Fprintf(w, "  Staff console:    %s/console/  (sandbox account %s / %s)\n", base, app.SandboxAdmin, app.SandboxAdminPassword)
		fmt.Fprintf(w, "  Staff API:        %s/api/…  (Authorization: Bearer %s, as %s)\n", base, app.SandboxAPIToken, app.SandboxAdmin)
		fmt.Fprintf(w, "  Mini Program:     %s/sandbox/mp  (a citizen's Mini Program in the browser; or `simulate mp login`)\n", base)
		fmt.Fprintf(w, "  Deputies' pages:  %s/d/cases  (in any browser: the fake WeChat asks who you are)\n", base)
		fmt.Fprintf(w, "  Handlers' pages:  %s/h/cases  (a department's handler, once bound: mashang staff bind-code)\n", base)
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
