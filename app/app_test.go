package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"mashang"
	"mashang/configs"
	"mashang/handlers"
	"mashang/store"
)

// production is a city's configuration with the Official Account only: no
// Mini Program, so no data key and no message push.
func production(t *testing.T) configs.Config {
	t.Helper()
	cfg := configs.Defaults()
	cfg.DB.Driver, cfg.DB.DSN = store.DriverSQLite, filepath.Join(t.TempDir(), "mashang.db")
	cfg.MediaDir = t.TempDir()
	cfg.WeChat.AppID, cfg.WeChat.Secret, cfg.WeChat.Token = "wxcity0000000001", "city-secret", "citytoken"
	cfg.MiniProgram.SessionSecret = "city-session-secret-0123456789abcdef"
	cfg.HTTP.PublicURL = "https://mashang.city.example"
	if err := cfg.Check(configs.Serve); err != nil {
		t.Fatal(err)
	}
	return cfg
}

var quiet = Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}

// The dependencies a city may leave out, with what stands in for them.
var optional = map[string]string{
	"Log":                            "slog.Default()",
	"TrustedProxies":                 "nobody's X-Forwarded-For is believed",
	"Callback.Log":                   "Deps.Log",
	"Callback.CallbackTimeout":       "4 s",
	"QueryTimeout":                   "20 s",
	"MiniProgram.Log":                "Deps.Log",
	"MiniProgram.Phones":             "POST /mp/phone answers that the data key is not configured",
	"MiniProgram.ReminderTemplateID": "bookings without reminders",
	"MiniProgram.MPInbound":          "the push URL answers that it is not configured",
	"MiniProgram.CitizenLimit":       "no limit",
	"StaffAPI.Log":                   "Deps.Log",
	"Citizens.Log":                   "Deps.Log",
	"Departments.Log":                "Deps.Log",
	"Console.Log":                    "Deps.Log",
	"Console.PublicURL":              "cookies Secure only over TLS",
	"Deputies.Log":                   "Deps.Log",
	"Public.Log":                     "Deps.Log",
	"Operations.MetricsAllow":        "nobody reads /metrics",
	"Operations.MediaDir":            "media in an object store: readiness does not wait on it",
	"Operations.Sandbox":             "the home page says nothing of a sandbox",
	"Public.SuggestionNames":         "the public page of suggestions names no deputy",
	"Console.ReadPrimary":            "no read replica: every read is the primary's",
	"Console.ReadPrimaryFor":         "no read replica: every read is the primary's",
}

// Every dependency of every surface is either required — leaving it out
// stops start-up with one line that names it — or listed above with what
// stands in for it. A dependency added to handlers.Deps without either
// fails here, instead of turning its routes into silent 404s.
func TestEveryMissingDependencyIsNamed(t *testing.T) {
	a, deps, err := wire(context.Background(), production(t), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := handlers.New(deps); err != nil {
		t.Fatalf("the wired dependencies are refused: %v", err)
	}
	seen := map[string]bool{}
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			f, name := v.Type().Field(i), prefix+v.Type().Field(i).Name
			if f.Type.Kind() == reflect.Struct && strings.HasSuffix(f.Type.Name(), "Deps") || f.Type == reflect.TypeFor[handlers.DeputyPages]() {
				walk(name+".", v.Field(i))
				continue
			}
			seen[name] = true
			without := deps
			field := reflect.ValueOf(&without).Elem().FieldByIndex(fieldPath(reflect.TypeOf(deps), name))
			field.Set(reflect.Zero(field.Type()))
			_, err := handlers.New(without)
			if _, ok := optional[name]; ok {
				if err != nil {
					t.Errorf("without the optional %s: %v", name, err)
				}
				continue
			}
			if err == nil || !strings.Contains(err.Error(), "Deps."+name+" ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("without %s, New answered %v: want one line naming Deps.%s", name, err, name)
			}
		}
	}
	walk("", reflect.ValueOf(deps))
	for name := range optional {
		if !seen[name] {
			t.Errorf("%s is listed as optional but handlers.Deps has no such field", name)
		}
	}
}

// fieldPath turns "Console.Supervision" into the index path reflect takes.
func fieldPath(t reflect.Type, name string) []int {
	var path []int
	for part := range strings.SplitSeq(name, ".") {
		f, _ := t.FieldByName(part)
		path = append(path, f.Index...)
		t = f.Type
	}
	return path
}

// Without a Mini Program, its push URL and phone binding answer that they
// are not configured, instead of 404 as if the service had no such route.
func TestUnconfiguredRoutesSaySo(t *testing.T) {
	cfg := production(t)
	a, err := New(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	token, _ := (&mashang.Sessions{Secret: []byte(cfg.MiniProgram.SessionSecret)}).Issue("oCitizen0000000000000000", "")
	for _, c := range []struct {
		method, path, want string
	}{
		{http.MethodGet, "/wechat/mp-callback?signature=x&timestamp=1&nonce=2&echostr=3", "未配置小程序消息推送：请设置 MASHANG_MP_TOKEN 和 MASHANG_MP_AES_KEY"},
		{http.MethodPost, "/wechat/mp-callback", "未配置小程序消息推送：请设置 MASHANG_MP_TOKEN 和 MASHANG_MP_AES_KEY"},
		{http.MethodPost, "/mp/phone", `"未配置手机号加密密钥（MASHANG_DATA_KEY），暂不能绑定手机号"`},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(`{"code": "x"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), c.want) {
			t.Errorf("%s %s answered %d %s, want 503 %s", c.method, c.path, resp.StatusCode, body, c.want)
		}
	}
}

// A wrong setting found while wiring names the setting, and leaves nothing
// open behind it.
func TestWiringErrorsNameTheSetting(t *testing.T) {
	cfg := production(t)
	cfg.Cases.HolidaysFile = filepath.Join(t.TempDir(), "missing.csv")
	if _, err := New(context.Background(), cfg, quiet); err == nil || !strings.HasPrefix(err.Error(), "MASHANG_HOLIDAYS_FILE: ") {
		t.Fatalf("a missing holiday file: %v", err)
	}
	cfg = production(t)
	cfg.MediaS3 = configs.MediaS3{Endpoint: "https://oss.example", Bucket: "media", AccessKey: "a", SecretKey: "s",
		CAFile: filepath.Join(t.TempDir(), "missing-ca.pem")}
	if _, err := New(context.Background(), cfg, quiet); err == nil || !strings.HasPrefix(err.Error(), "MASHANG_MEDIA_S3_CA_FILE: ") {
		t.Fatalf("a missing CA file: %v", err)
	}
	ca := filepath.Join(t.TempDir(), "not-a-ca.pem")
	if err := os.WriteFile(ca, []byte("not PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.MediaS3.CAFile = ca
	if _, err := New(context.Background(), cfg, quiet); err == nil || !strings.HasPrefix(err.Error(), "MASHANG_MEDIA_S3_CA_FILE: ") {
		t.Fatalf("a CA file with no certificate: %v", err)
	}
	// The store is not reached at start-up: an instance takes pushes while
	// it is down.
	cfg.MediaS3.CAFile = ""
	a, err := New(context.Background(), cfg, quiet)
	if err != nil {
		t.Fatalf("wiring with an object store that does not answer: %v", err)
	}
	a.Close()
}

// Deputies' sign-in returns only to this service: outside the sandbox the
// service does not start without MASHANG_PUBLIC_URL (a redirect_uri made
// from a request's Host header would send a deputy's authorisation wherever
// the request said); in the sandbox the listen address stands for it,
// whatever Host a request names.
func TestDeputyPagesNeedThePublicURL(t *testing.T) {
	cfg := production(t)
	cfg.HTTP.PublicURL = ""
	var se *configs.SettingError
	if err := cfg.Check(configs.Serve); !errors.As(err, &se) || se.Setting != "MASHANG_PUBLIC_URL" {
		t.Errorf("serve without a public URL: %v", err)
	}
	if a, err := New(context.Background(), cfg, quiet); !errors.As(err, &se) || se.Setting != "MASHANG_PUBLIC_URL" {
		if err == nil {
			a.Close()
		}
		t.Errorf("started without a public URL: %v", err)
	}

	sandbox, err := configs.Load("", configs.Sandbox, func(name string) string {
		return map[string]string{"MASHANG_DB_DSN": filepath.Join(t.TempDir(), "sandbox.db"), "MASHANG_HTTP_ADDR": "127.0.0.1:18080"}[name]
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), sandbox, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	req := httptest.NewRequest(http.MethodGet, "/d/login?next=/d/cases", nil)
	req.Host = "evil.example"
	rec := httptest.NewRecorder()
	a.Handler.ServeHTTP(rec, req)
	authorize, err := url.Parse(rec.Header().Get("Location"))
	if err != nil || authorize.Query().Get("redirect_uri") != "http://127.0.0.1:18080/d/oauth" {
		t.Errorf("the sandbox's redirect_uri: %d %q", rec.Code, rec.Header().Get("Location"))
	}
}
