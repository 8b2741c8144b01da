package handlers_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// rawPost sends the head of a POST that claims length bytes of body, and
// only the first bytes of it, then reads the answer: a server that waits
// for the rest to parse it never answers within the deadline.
func rawPost(t *testing.T, e *env, path, contentType string, length int64) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		path, strings.TrimPrefix(e.srv.URL, "http://"), contentType, length)
	fmt.Fprint(conn, strings.Repeat("a", 4096))
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("POST %s claiming %d bytes: no answer before the body was sent (%v)", path, length, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// A body claiming 400 MB is refused on its head, on every surface that
// takes forms or JSON — the console's sign-in and roster upload, the
// deputies' forms, the Mini Program and the staff API — with a 413 that
// says so in Chinese; nothing of it is read, so nothing reaches the
// temporary folder.
func TestOversizedBodiesAreRefusedBeforeTheyAreRead(t *testing.T) {
	e := newEnv(t, "sqlite", wechattest.ModeSafe, options{})
	for _, tc := range []struct{ path, contentType string }{
		{"/console/login", "application/x-www-form-urlencoded"},
		{"/console/login", "multipart/form-data; boundary=x"},
		{"/console/manage/import", "multipart/form-data; boundary=x"},
		{"/console/cases/000000-0000/reply", "application/x-www-form-urlencoded"},
		{"/d/cases/000000-0000/draft", "application/x-www-form-urlencoded"},
		{"/d/activities/1/respond", "application/x-www-form-urlencoded"},
		{"/mp/login", "application/json"},
		{"/mp/uploads", "multipart/form-data; boundary=x"},
		{"/api/cases/000000-0000/replies", "application/json"},
		{"/wechat/callback", "text/xml"},
	} {
		status, body := rawPost(t, e, tc.path, tc.contentType, 400<<20)
		if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "过大") {
			t.Errorf("POST %s (%s) claiming 400 MB: %d %q", tc.path, tc.contentType, status, body)
		}
	}
}

// chunkedPost sends a form of n bytes without saying its length.
func chunkedPost(t *testing.T, client *http.Client, target string, form url.Values, n int) (int, string) {
	t.Helper()
	pad := strings.Repeat("x", n)
	body := io.MultiReader(strings.NewReader(form.Encode()+"&pad="), strings.NewReader(pad))
	req, _ := http.NewRequest(http.MethodPost, target, io.NopCloser(body)) // no length: sent chunked
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	u, _ := url.Parse(target)
	req.Header.Set("Origin", u.Scheme+"://"+u.Host)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// A form sent without a length is cut off at the limit while it is read,
// and answered 413 in Chinese — not parsed whole, and not mistaken for a
// form without its fields (a "wrong password" or a failed CSRF check).
func TestFormsWithoutALengthAreCappedWhileRead(t *testing.T) {
	e := newEnv(t, "sqlite", wechattest.ModeSafe, options{})
	e.addStaff(t, mashang.StaffUser{Username: "wangms", Name: "王秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
	anon := e.browser(t)
	anon.get("/console/login")
	status, body := chunkedPost(t, anon.client, e.srv.URL+"/console/login",
		url.Values{"username": {"wangms"}, "password": {staffPassword}, "csrf": {anon.csrf}}, 2<<20)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "不能超过") {
		t.Fatalf("a 2 MB sign-in form: %d %q", status, body)
	}
	b := e.browser(t)
	if status := b.login("wangms", staffPassword); status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", status)
	}
	_, out := e.mp(t, "POST", "/mp/cases", e.login(t, "oBodyLimit00000000000001"), `{"request_id": "body-limit", "scene": "st:demo-bdg", "text": "路灯不亮"}`)
	status, body = chunkedPost(t, b.client, e.srv.URL+"/console/cases/"+out["number"]+"/reply",
		url.Values{"text": {"答复"}, "csrf": {b.csrf}}, 2<<20)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "不能超过") {
		t.Fatalf("a 2 MB reply form: %d %q", status, body)
	}
}

// Behind a trusted proxy that says the browser came over https, the
// console's cookie is Secure although MASHANG_PUBLIC_URL is not https; the
// same header from anyone else is not believed.
func TestConsoleCookieIsSecureBehindATrustedHTTPSProxy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted []string
		secure  bool
	}{
		{"from the trusted proxy", []string{"127.0.0.1", "::1"}, true},
		{"from anyone else", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "sqlite", wechattest.ModeSafe, options{trustedProxies: tc.trusted})
			e.addStaff(t, mashang.StaffUser{Username: "wangms", Name: "王秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
			b := e.browser(t)
			b.header = http.Header{"X-Forwarded-Proto": {"https"}}
			b.get("/console/login")
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/console/login",
				strings.NewReader(url.Values{"username": {"wangms"}, "password": {staffPassword}, "csrf": {b.csrf}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "https://"+strings.TrimPrefix(e.srv.URL, "http://"))
			req.Header.Set("X-Forwarded-Proto", "https")
			resp, err := b.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			var session *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == "mashang_staff" {
					session = c
				}
			}
			if resp.StatusCode != http.StatusSeeOther || session == nil {
				t.Fatalf("sign in over https: %d %v", resp.StatusCode, resp.Cookies())
			}
			if session.Secure != tc.secure {
				t.Fatalf("the session cookie's Secure is %v, want %v", session.Secure, tc.secure)
			}
		})
	}
}

// /readyz says the service is not ready when the media folder cannot be
// written: photos and voice would be lost while it answered "ready".
func TestReadyzFailsWhenTheMediaFolderCannotBeWritten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		resp, err := http.Get(e.srv.URL + "/readyz")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("ready with a writable media folder: %v %v", resp, err)
		}
		resp.Body.Close()
		// The folder becomes a file: nothing can be written into it.
		if err := os.Remove(e.mediaDir); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(e.mediaDir, []byte("not a folder"), 0o600); err != nil {
			t.Fatal(err)
		}
		resp, err = http.Get(e.srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "media") {
			t.Fatalf("readyz with an unwritable media folder: %d %q", resp.StatusCode, body)
		}
	})
}
