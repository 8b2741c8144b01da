package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/roster"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// retire sets a deputy to 在任=否 in the deputies' roster, as staff do.
func retire(t *testing.T, e *env, code, name string, station, group string) {
	t.Helper()
	if _, err := roster.ImportDeputies(context.Background(), e.db, []roster.DeputyRecord{{Code: code, Name: name,
		Level: mashang.LevelCounty, Stations: []string{station}, Groups: []string{group}, InOffice: false}}); err != nil {
		t.Fatal(err)
	}
}

const outOfOffice = "您已不在任"

// A deputy set to 在任=否 loses access at once: the session they hold is
// refused on the next request, a fresh sign-in is refused, they draft
// nothing; scanning an activity's code checks nobody in, the deputies'
// menus answer that they are no longer in office, new cases notify them no
// more, and nothing earns them points.
func TestDeputyOutOfOfficeLosesAccessAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		now := time.Now()
		cst := mashang.China
		const li = "oDeputyRetiring0000000000001"
		bindDeputy(t, e, "demo-d02", li, now)
		e.say(t, wechattest.SubscribeByScan(account, "oCitizenRetiring", "dp:demo-d02", now))
		k, _ := e.caseOf(t, e.say(t, wechattest.Text(account, "oCitizenRetiring", 7001, "楼道灯坏了", now)))

		// While in office he is invited to an activity that is under way.
		e.addStaff(t, mashang.StaffUser{Username: "town", Name: "街道人大", Role: mashang.RoleStaff}, "青岛市/市南区/八大关街道", "")
		staff := e.browser(t)
		staff.login("town", staffPassword)
		staff.get("/console/activities")
		status, loc := staff.post("/console/activities", url.Values{"title": {"接待群众日"}, "place": {"联络站"},
			"start": {now.Add(-10 * time.Minute).In(cst).Format("2006-01-02T15:04")}, "end": {now.Add(2 * time.Hour).In(cst).Format("2006-01-02T15:04")},
			"invitees": {"demo-d02"}, "csrf": {staff.csrf}})
		if status != http.StatusSeeOther || !strings.Contains(mustUnescape(loc), "邀请1位代表") {
			t.Fatalf("dispatch: %d %s", status, mustUnescape(loc))
		}
		_, page := staff.get(sentTo(loc))
		m := activityScene.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no check-in code on %s", page)
		}

		b := e.wechatBrowser(t, li)
		b2 := e.wechatBrowser(t, li)
		b2.get("/d/cases")
		if status, _ := b.get("/d/cases/" + k.Number); status != http.StatusOK {
			t.Fatalf("in office: %d", status)
		}

		retire(t, e, "demo-d02", "李建国", "demo-bdg", "生活保障组")
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		before := len(e.fake.Delivered(li))

		// The session he holds: refused at once, for reading and acting.
		if status, page := b.post("/d/cases/"+k.Number+"/draft", url.Values{"text": {"我来答复"}}); status != http.StatusForbidden || !strings.Contains(page, outOfOffice) {
			t.Fatalf("an old session drafts: %d %s", status, page)
		}
		if status, page := b2.get("/d/cases"); status != http.StatusForbidden || !strings.Contains(page, outOfOffice) || !strings.Contains(page, "人大工作人员") {
			t.Fatalf("an old session reads: %d %s", status, page)
		}
		// A fresh sign-in through WeChat: refused.
		if status, page := e.wechatBrowser(t, li).get("/d/cases/" + k.Number); status != http.StatusForbidden || !strings.Contains(page, outOfOffice) {
			t.Fatalf("a fresh sign-in: %d %s", status, page)
		}
		// The Official Account: no check-in, no duty bookings, no points as a deputy.
		if got := e.say(t, wechattest.Scan(account, li, m[1], now)); strings.Contains(got, "签到成功") || !strings.Contains(got, outOfOffice) {
			t.Errorf("check-in: %q", got)
		}
		for key, push := range map[string]wechattest.Push{
			"我的接待": wechattest.Event(account, li, "CLICK", mashang.MenuDutyBookings, now),
			"我的积分": wechattest.Event(account, li, "CLICK", mashang.MenuMyPoints, now),
		} {
			if got := e.say(t, push); !strings.Contains(got, outOfOffice) {
				t.Errorf("%s: %q", key, got)
			}
		}
		// A new message for him an hour later: he is told nothing.
		e.say(t, wechattest.Text(account, "oCitizenRetiring", 7002, "又一件事：小区门口积水", now.Add(time.Hour)))
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.fake.Delivered(li); len(got) != before {
			t.Errorf("notified after leaving office: %+v", got[before:])
		}

		_, events := e.caseOf(t, k.Number)
		if tl := timeline(events); strings.Contains(tl, "我来答复") {
			t.Errorf("a draft after leaving office:\n%s", tl)
		}
		d, err := e.db.DeputyByCode(ctx, "demo-d02")
		if err != nil {
			t.Fatal(err)
		}
		if lines, _ := e.db.DutyRecord(ctx, d.ID, 10); len(lines) != 0 {
			t.Errorf("duty record after leaving office: %+v", lines)
		}
	})
}
