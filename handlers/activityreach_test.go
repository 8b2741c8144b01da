package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// An activity, its invitees, their WeChat binding, answers, check-ins and
// its check-in code are for the staff whose reach holds every deputy it
// invites: anyone else is answered 404, as for an activity that does not
// exist, and does not see it listed.
func TestActivitiesAreSeenOnlyWithinReach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		e.addStaff(t, mashang.StaffUser{Username: "town", Name: "街道人大", Role: mashang.RoleStaff}, "青岛市/市南区/八大关街道", "")
		e.addStaff(t, mashang.StaffUser{Username: "bdgsec", Name: "八大关秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		e.addStaff(t, mashang.StaffUser{Username: "xhwsec", Name: "薛家岛秘书", Role: mashang.RoleSecretary}, "", "demo-xhw")
		e.addStaff(t, mashang.StaffUser{Username: "laoshan", Name: "崂山区人大", Role: mashang.RoleStaff}, "青岛市/崂山区", "")
		e.addStaff(t, mashang.StaffUser{Username: "city", Name: "市人大", Role: mashang.RoleStaff}, "青岛市", "")
		activity := dispatchActivity(t, e, "town", "八大关十二月接待日", "demo-d02")

		for who, within := range map[string]bool{"town": true, "bdgsec": true, "city": true, "xhwsec": false, "laoshan": false} {
			b := e.browser(t)
			if status := b.login(who, staffPassword); status != http.StatusSeeOther {
				t.Fatalf("%s signs in: %d", who, status)
			}
			_, list := b.get("/console/activities")
			status, page := b.get(activity)
			if within {
				if !strings.Contains(list, "八大关十二月接待日") || status != http.StatusOK || !strings.Contains(page, "李建国（demo-d02）") {
					t.Errorf("%s, within reach: listed %v, page %d", who, strings.Contains(list, "八大关十二月接待日"), status)
				}
				continue
			}
			if strings.Contains(list, "八大关十二月接待日") {
				t.Errorf("%s lists an activity beyond their reach", who)
			}
			if status != http.StatusNotFound || strings.Contains(page, "李建国") || activityScene.MatchString(page) {
				t.Errorf("%s opens an activity beyond their reach: %d", who, status)
			}
		}
	})
}

// The check-in code is asked of WeChat once per activity and kept: page
// views show the same code without asking again.
func TestActivityCheckInCodeIsAskedForOnceAndKept(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		e.addStaff(t, mashang.StaffUser{Username: "town", Name: "街道人大", Role: mashang.RoleStaff}, "青岛市/市南区/八大关街道", "")
		activity := dispatchActivity(t, e, "town", "八大关十二月接待日", "demo-d02")
		b := e.browser(t)
		b.login("town", staffPassword)
		var codes []string
		for range 3 {
			status, page := b.get(activity)
			i := strings.Index(page, `src="data:image/png;base64,`)
			if status != http.StatusOK || i < 0 {
				t.Fatalf("activity page: %d %s", status, page)
			}
			codes = append(codes, page[i:i+200])
		}
		asked := 0
		for _, c := range e.fake.Calls("/cgi-bin/qrcode/create") {
			if strings.Contains(string(c.Body), `"ac:`) {
				asked++
			}
		}
		if asked != 1 || codes[0] != codes[1] || codes[1] != codes[2] {
			t.Fatalf("WeChat was asked for the check-in code %d times over 3 page views (same code each time: %v)", asked, codes[0] == codes[2])
		}
	})
}

// dispatchActivity has username dispatch an activity starting in an hour
// to the deputies named, and gives the activity's page.
func dispatchActivity(t *testing.T, e *env, username, title, invitees string) string {
	t.Helper()
	b := e.browser(t)
	if status := b.login(username, staffPassword); status != http.StatusSeeOther {
		t.Fatalf("%s signs in: %d", username, status)
	}
	b.get("/console/activities")
	start := time.Now().Add(time.Hour).In(mashang.China)
	status, loc := b.post("/console/activities", url.Values{"title": {title}, "place": {"联络站二楼"},
		"start": {start.Format("2006-01-02T15:04")}, "end": {start.Add(2 * time.Hour).Format("2006-01-02T15:04")},
		"invitees": {invitees}, "csrf": {b.csrf}})
	if status != http.StatusSeeOther || !strings.Contains(mustUnescape(loc), "已发出活动") {
		t.Fatalf("dispatch: %d %s", status, mustUnescape(loc))
	}
	return sentTo(loc)
}
