package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"mashang"
	"mashang/store"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// from is a browser whose requests come, as the trusted proxy says, from
// address.
func (e *env) from(t *testing.T, address string) *staffBrowser {
	b := e.browser(t)
	b.header = http.Header{"X-Forwarded-For": {address}}
	return b
}

// signIn posts the sign-in form as from a fresh page, and answers the
// status and the page's message.
func (b *staffBrowser) signIn(username, password string) (int, string) {
	b.t.Helper()
	b.get("/console/login")
	status, body := b.post("/console/login", url.Values{"username": {username}, "password": {password}, "csrf": {b.csrf}})
	if m := pageError.FindStringSubmatch(body); m != nil {
		return status, m[1]
	}
	return status, ""
}

var pageError = regexp.MustCompile(`<p class="error">([^<]*)</p>`)

// An administrator's new password for an account ends the sessions signed
// in with the old one, as disabling it does.
func TestPasswordResetEndsTheAccountsSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		e.addStaff(t, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
		e.addStaff(t, mashang.StaffUser{Username: "wangms", Name: "王秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		signedIn := e.browser(t)
		if status := signedIn.login("wangms", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("sign in: %d", status)
		}
		admin := e.browser(t)
		admin.login("admin", staffPassword)
		const fresh = "a fresh password, long enough"
		if status, _ := admin.post("/console/manage/accounts/wangms", url.Values{"change": {"password"}, "password": {fresh}, "csrf": {admin.csrf}}); status != http.StatusSeeOther {
			t.Fatalf("reset the password: %d", status)
		}
		if status, _ := signedIn.get("/console/"); status != http.StatusSeeOther {
			t.Fatalf("the session signed in with the old password still opens the inbox: %d", status)
		}
		if status := e.browser(t).login("wangms", fresh); status != http.StatusSeeOther {
			t.Fatalf("sign in with the new password: %d", status)
		}
		if status, _ := admin.get("/console/manage"); status != http.StatusOK {
			t.Fatalf("the administrator's own session ended: %d", status)
		}
	})
}

// Whether a name exists cannot be told from sign-in's answers: an unknown
// name is answered as a wrong password is, attempt after attempt, the
// lock-out included (it is kept by the name typed, so an unknown name is
// locked out alike).
func TestUnknownNamesAnswerAsWrongPasswordsDo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		e.addStaff(t, mashang.StaffUser{Username: "wangms", Name: "王秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		known, unknown := e.browser(t), e.browser(t)
		for i := range mashang.MaxFailedLogins + 2 {
			ks, kt := known.signIn("wangms", "wrong password!!")
			us, ut := unknown.signIn("wangxs", "wrong password!!")
			if ks != us || kt != ut {
				t.Fatalf("attempt %d: a real name is answered %d %q, an unknown one %d %q", i+1, ks, kt, us, ut)
			}
		}
		if s, text := known.signIn("wangms", staffPassword); s != http.StatusForbidden || !strings.Contains(text, "暂停") {
			t.Fatalf("the right password after %d wrong ones: %d %q", mashang.MaxFailedLogins, s, text)
		}
	})
}

// Wrong passwords from one address lock the name out at that address only:
// nobody elsewhere can keep an administrator out by guessing at their
// name, and the administrator signs in from their own address.
func TestLockOutAtOneAddressLeavesOthersIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{trustedProxies: []string{"127.0.0.1", "::1"}})
		e.addStaff(t, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
		attacker := e.from(t, "203.0.113.9")
		for range 3 * mashang.MaxFailedLogins {
			attacker.signIn("admin", "wrong password!!")
		}
		if status, _ := attacker.signIn("admin", staffPassword); status != http.StatusForbidden {
			t.Fatalf("the right password from the guessing address: %d", status)
		}
		if status := e.from(t, "198.51.100.7").login("admin", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("the administrator, from another address: %d", status)
		}
	})
}

// One address may try only so many sign-ins a minute, whatever the names,
// right passwords included; other addresses are not held up by it.
func TestSignInAttemptsAreThrottledPerAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{trustedProxies: []string{"127.0.0.1", "::1"}, signInsPerMinute: 6})
		e.addStaff(t, mashang.StaffUser{Username: "wangms", Name: "王秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		guesser := e.from(t, "203.0.113.9")
		for i := range 6 {
			if status, _ := guesser.signIn("user"+string(rune('a'+i))+"x", "wrong password!!"); status != http.StatusUnauthorized {
				t.Fatalf("attempt %d within the limit: %d", i+1, status)
			}
		}
		if status, text := guesser.signIn("wangms", staffPassword); status != http.StatusTooManyRequests || !strings.Contains(text, "频繁") {
			t.Fatalf("the 7th attempt in a minute: %d %q", status, text)
		}
		if status := e.from(t, "198.51.100.7").login("wangms", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("another address: %d", status)
		}
	})
}

// The throttle is kept in the database: attempts at two instances of one
// database add up.
func TestSignInThrottleIsSharedByInstances(t *testing.T) {
	if os.Getenv("MASHANG_TEST_MYSQL_DSN") == "" {
		if os.Getenv("MASHANG_TEST_REQUIRE_MYSQL") != "" {
			t.Fatal("MASHANG_TEST_MYSQL_DSN is required")
		}
		t.Skip("needs MySQL: set MASHANG_TEST_MYSQL_DSN")
	}
	_, fakeSrv, base, err := wechattest.Start(wechattest.Config{Apps: testWeChatApps()})
	if err != nil {
		t.Fatal(err)
	}
	defer fakeSrv.Close()
	cfg := testConfig(t, store.DriverMySQL, base)
	cfg.HTTP.SignInsPerMinute = 4
	var browsers []*staffBrowser
	for range 2 {
		a := newApp(t, cfg)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		b := (&env{srv: srv}).browser(t)
		browsers = append(browsers, b)
	}
	for i := range 4 {
		if status, _ := browsers[i%2].signIn("nobody", "wrong password!!"); status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, status)
		}
	}
	for _, b := range browsers {
		if status, _ := b.signIn("nobody", "wrong password!!"); status != http.StatusTooManyRequests {
			t.Fatalf("past the limit, counted across instances: %d", status)
		}
	}
}
