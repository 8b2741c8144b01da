package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"mashang/configs"
)

func sandboxConfig(t *testing.T) configs.Config {
	t.Helper()
	cfg, err := configs.Load("", configs.Sandbox, func(name string) string {
		return map[string]string{"MASHANG_DB_DSN": filepath.Join(t.TempDir(), "sandbox.db"), "MASHANG_MEDIA_DIR": t.TempDir()}[name]
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The sandbox's own pages — the Mini Program played in a browser and the
// login codes the fake WeChat hands out — exist under `serve --sandbox`
// only: a city's service answers them 404, as any unknown path.
func TestSandboxRoutesOnlyInTheSandbox(t *testing.T) {
	for _, sandbox := range []bool{false, true} {
		cfg := production(t)
		if sandbox {
			cfg = sandboxConfig(t)
		}
		a, err := New(context.Background(), cfg, quiet)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Handler)
		for _, r := range []struct{ method, path string }{
			{http.MethodGet, "/sandbox/mp"}, {http.MethodGet, "/sandbox/mp.js"},
			{http.MethodPost, "/sandbox/mp/code"}, {http.MethodPost, "/sandbox/mp/phone-code"},
		} {
			req, _ := http.NewRequest(r.method, srv.URL+r.path, strings.NewReader("openid=oSomeone"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if want := map[bool]int{false: http.StatusNotFound, true: http.StatusOK}[sandbox]; resp.StatusCode != want {
				t.Errorf("sandbox %t: %s %s answered %d, want %d", sandbox, r.method, r.path, resp.StatusCode, want)
			}
		}
		srv.Close()
		a.Close()
	}
}

// A login code from the sandbox's fake WeChat signs the citizen in to the
// Mini Program's API once, as wx.login's does; the page that plays the
// Mini Program loads its script under its own policy.
func TestSandboxHandsOutMiniProgramLoginCodes(t *testing.T) {
	a, err := New(context.Background(), sandboxConfig(t), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()

	resp, err := http.PostForm(srv.URL+"/sandbox/mp/code", url.Values{"openid": {"oCitizenSun00000000000000000"}})
	if err != nil {
		t.Fatal(err)
	}
	var code struct{ OpenID, Code string }
	_ = json.NewDecoder(resp.Body).Decode(&code)
	resp.Body.Close()
	if code.OpenID != "oCitizenSun00000000000000000" || code.Code == "" {
		t.Fatalf("code: %+v", code)
	}
	login := func() (int, string) {
		resp, err := http.Post(srv.URL+"/mp/login", "application/json", strings.NewReader(`{"code": "`+code.Code+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var s struct{ Token string }
		_ = json.NewDecoder(resp.Body).Decode(&s)
		return resp.StatusCode, s.Token
	}
	status, token := login()
	if status != http.StatusOK || token == "" {
		t.Fatalf("login: %d %q", status, token)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/mp/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	me, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	me.Body.Close()
	if me.StatusCode != http.StatusOK {
		t.Fatalf("/mp/me with the session: %d", me.StatusCode)
	}
	if status, _ := login(); status == http.StatusOK {
		t.Fatal("a login code worked twice")
	}

	page, err := http.Get(srv.URL + "/sandbox/mp")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") ||
		!strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page headers: %v", page.Header)
	}
}
