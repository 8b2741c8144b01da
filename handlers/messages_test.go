package handlers_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// A link that writes its own message into a page (?error=…, ?done=…, the
// roster's ?row=…) shows nothing of it: on every console page and every
// deputy's page with a message, only what the server itself said appears.
func TestPagesShowOnlyWhatTheServerSaid(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		now := time.Now()
		const li = "oDeputyLiJianguo000000000001"
		bindDeputy(t, e, "demo-d02", li, now)
		e.say(t, wechattest.SubscribeByScan(account, "oCitizenForLi", "dp:demo-d02", now))
		k, _ := e.caseOf(t, e.say(t, wechattest.Text(account, "oCitizenForLi", 5001, "楼下路灯不亮", now)))
		e.addStaff(t, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
		admin := e.browser(t)
		admin.login("admin", staffPassword)
		deputy := e.wechatBrowser(t, li)

		const forged = "系统升级，请拨打4001234567重新验证账号"
		injected := "?" + url.Values{"error": {forged}, "done": {forged}, "row": {forged}}.Encode()
		pages := []struct {
			get  func(string) (int, string)
			path string
		}{
			{admin.get, "/console/"},
			{admin.get, "/console/cases/" + k.Number},
			{admin.get, "/console/manage"},
			{admin.get, "/console/manage/roster/stations"},
			{admin.get, "/console/points"},
			{admin.get, "/console/activities"},
			{admin.get, "/console/board"},
			{admin.get, "/console/figures"},
			{admin.get, "/console/wechat"},
			{deputy.get, "/d/cases/" + k.Number},
			{deputy.get, "/d/cases"},
			{deputy.get, "/d/activities"},
			{deputy.get, "/d/record"},
		}
		for _, p := range pages {
			status, page := p.get(p.path + injected)
			if status != http.StatusOK {
				t.Errorf("GET %s: %d", p.path, status)
				continue
			}
			if strings.Contains(page, forged) || strings.Contains(page, url.QueryEscape(forged)) {
				t.Errorf("GET %s shows the text its address carried", p.path)
			}
		}
	})
}

// What an action did is said on the page after it, once, and only to the
// session that acted: the message is not in the address, a reload does not
// repeat it, and the cookie that carries it means nothing to another
// session.
func TestAnActionsOutcomeIsSaidOnceToItsOwnSession(t *testing.T) {
	e := newEnv(t, "sqlite", wechattest.ModeSafe, options{})
	e.addStaff(t, mashang.StaffUser{Username: "wangms", Name: "王秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
	e.addStaff(t, mashang.StaffUser{Username: "lims", Name: "李秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
	_, out := e.mp(t, "POST", "/mp/cases", e.login(t, "oFlash000000000000000001"), `{"request_id": "flash-outcome-1", "scene": "st:demo-bdg", "text": "路灯不亮"}`)
	number := out["number"]
	if number == "" {
		t.Fatalf("raise a case: %v", out)
	}
	wang, li := e.browser(t), e.browser(t)
	wang.login("wangms", staffPassword)
	li.login("lims", staffPassword)

	// The action's answer, unfollowed: where it leads, and the cookie.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/console/cases/"+number+"/reply",
		strings.NewReader(url.Values{"text": {"已报修，三天内修好"}, "csrf": {wang.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.srv.URL)
	resp, err := wang.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/console/cases/"+number {
		t.Fatalf("reply: %d, to %q", resp.StatusCode, loc)
	}
	var carried *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "mashang_flash" {
			carried = c
		}
	}
	if carried == nil || !carried.HttpOnly {
		t.Fatalf("the outcome's cookie: %+v", carried)
	}

	// Replayed into another session's browser, it says nothing there.
	u, _ := url.Parse(e.srv.URL + "/console/")
	jar, _ := cookiejar.New(nil)
	jar.SetCookies(u, append(li.client.Jar.Cookies(u), &http.Cookie{Name: carried.Name, Value: carried.Value, Path: "/console"}))
	li.client.Jar = jar
	if _, page := li.get("/console/cases/" + number); strings.Contains(page, "答复已发送") {
		t.Fatal("another session's outcome was shown")
	}

	// To its own session: said once.
	if _, page := wang.get("/console/cases/" + number); !strings.Contains(page, `<p class="ok">答复已发送</p>`) {
		t.Fatal("the page after the reply does not say it was sent")
	}
	if _, page := wang.get("/console/cases/" + number); strings.Contains(page, "答复已发送") {
		t.Fatal("a reload says it again")
	}
}

// The sign-in form is taken only from a page this service gave the
// browser, and only from this site: another site cannot sign its visitor
// into an account of its own choosing.
func TestSignInFormRefusesCrossSiteRequests(t *testing.T) {
	e := newEnv(t, "sqlite", wechattest.ModeSafe, options{})
	e.addStaff(t, mashang.StaffUser{Username: "attacker", Name: "别人", Role: mashang.RoleSecretary}, "", "demo-bdg")
	signedIn := func(b *staffBrowser) bool {
		status, _ := b.get("/console/")
		return status == http.StatusOK
	}

	// Another site's form, posted by the victim's browser: no token of ours.
	victim := e.browser(t)
	status, body := victim.post("/console/login", url.Values{"username": {"attacker"}, "password": {staffPassword}})
	if status != http.StatusForbidden || !strings.Contains(body, "来源不明") || signedIn(victim) {
		t.Fatalf("a sign-in form without the page's token: %d, signed in %v", status, signedIn(victim))
	}
	// Even with a token it got from the sign-in page itself, a post from
	// another site's page is refused by its Origin.
	victim.get("/console/login")
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/console/login",
		strings.NewReader(url.Values{"username": {"attacker"}, "password": {staffPassword}, "csrf": {victim.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := victim.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || signedIn(victim) {
		t.Fatalf("a cross-site sign-in with the token: %d, signed in %v", resp.StatusCode, signedIn(victim))
	}
	// From the page itself: in.
	if status := victim.login("attacker", staffPassword); status != http.StatusSeeOther || !signedIn(victim) {
		t.Fatalf("sign in from the page: %d", status)
	}
}
