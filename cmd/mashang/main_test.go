package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"mashang/configs"
)

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// A wrong setting stops start-up with one line that names it.
func TestBadSettingsStopStartUpWithOneLine(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		env     map[string]string
		setting string
	}{
		{map[string]string{"MASHANG_WECHAT_APPID": "wx1", "MASHANG_WECHAT_TOKEN": "tok123", "MASHANG_WECHAT_AES_KEY": "short"}, "MASHANG_WECHAT_AES_KEY"},
		{map[string]string{"MASHANG_WECHAT_APPID": "wx1"}, "MASHANG_WECHAT_TOKEN"},
		{map[string]string{"MASHANG_SANDBOX": "true", "MASHANG_DB_DRIVER": "mysql",
			"MASHANG_DB_DSN": "root:pw@tcp(127.0.0.1:1)/nothing?timeout=1s"}, "MASHANG_DB_DSN"},
		{map[string]string{"MASHANG_SANDBOX": "true", "MASHANG_DB_DSN": filepath.Join(dir, "x.db"),
			"MASHANG_HTTP_ADDR": "256.0.0.1:99999"}, "MASHANG_HTTP_ADDR"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"serve"}, &stdout, &stderr, envFrom(c.env))
		if code != 1 {
			t.Errorf("%s: exit %d, want 1 (stderr %q)", c.setting, code, stderr.String())
			continue
		}
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		last := lines[len(lines)-1]
		if !strings.Contains(last, c.setting) {
			t.Errorf("%s: last line %q does not name the setting", c.setting, last)
		}
		if strings.Contains(stderr.String(), "pw@") {
			t.Errorf("%s: the password was printed: %q", c.setting, stderr.String())
		}
	}
}

// startSandbox wires the service as `serve --sandbox` does, on a real listener.
func startSandbox(t *testing.T) (*app, *httptest.Server) {
	t.Helper()
	cfg, err := configs.Load("", envFrom(map[string]string{
		"MASHANG_SANDBOX": "true", "MASHANG_DB_DSN": filepath.Join(t.TempDir(), "sandbox.db"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	a, err := start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	srv := httptest.NewServer(a.router)
	t.Cleanup(srv.Close)
	return a, srv
}

// The sandbox answers `simulate`.
func TestSimulateAgainstTheSandbox(t *testing.T) {
	a, srv := startSandbox(t)

	for _, mode := range []string{"safe", "compatible"} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"simulate", "--url", srv.URL + "/wechat/callback", "--mode", mode,
			"--scene", "dp:demo-d05"}, &out, &errOut, envFrom(nil))
		if code != 0 {
			t.Fatalf("%s: simulate exited %d: %s", mode, code, errOut.String())
		}
		for _, want := range []string{"URL check", "陈秀兰代表", "已收到您的留言"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: simulate output lacks %q:\n%s", mode, want, out.String())
			}
		}
	}
	n, err := a.db.CountInbound(context.Background())
	if err != nil || n != 8 {
		t.Fatalf("the sandbox stored %d pushes (%v), want 8", n, err)
	}
}

func TestSimulateExplainsAWrongToken(t *testing.T) {
	_, srv := startSandbox(t)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"simulate", "--url", srv.URL + "/wechat/callback", "--token", "wrongtoken"},
		&out, &errOut, envFrom(nil))
	if code != 1 || !strings.Contains(errOut.String(), "MASHANG_WECHAT_TOKEN") {
		t.Fatalf("exit %d, stderr %q: want a failure that points at the token", code, errOut.String())
	}
}
