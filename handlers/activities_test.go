package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

var activityScene = regexp.MustCompile(`data-scene="(ac:[a-z0-9]+)"`)

// Staff dispatch an activity (发单) to a group and a deputy; the bound
// deputy is told by template message and answers (接单); at the venue each
// invited, bound deputy who scans the activity's code is checked in (结单)
// once, within its time, and their duty record counts it; everyone else
// scanning gets a clear answer and changes nothing.
func TestActivitiesDispatchAnswerCheckIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		now := time.Now()
		cst := mashang.China
		const li, wang, zhao = "oActivityLi00000000000000001", "oActivityWang000000000000001", "oActivityZhao000000000000001"
		bindDeputy(t, e, "demo-d02", li, now)
		bindDeputy(t, e, "demo-d06", zhao, now)
		e.addStaff(t, mashang.StaffUser{Username: "town", Name: "街道人大", Role: mashang.RoleStaff}, "青岛市/市南区/八大关街道", "")
		b := e.browser(t)
		b.login("town", staffPassword)
		b.get("/console/activities")
		start, end := now.Add(time.Hour), now.Add(3*time.Hour)
		dispatch := func(invitees string, from, to time.Time) string {
			t.Helper()
			status, loc := b.post("/console/activities", url.Values{"title": {"十一月接待群众日"}, "place": {"八大关街道联络站二楼"},
				"start": {from.In(cst).Format("2006-01-02T15:04")}, "end": {to.In(cst).Format("2006-01-02T15:04")},
				"invitees": {invitees}, "csrf": {b.csrf}})
			if status != http.StatusSeeOther {
				t.Fatalf("dispatch %q: %d", invitees, status)
			}
			return loc
		}
		for _, bad := range []struct{ invitees, says string }{
			{"demo-d06", "赵卫东代表不在您的工作范围内"},
			{"demo-zz", "没有编码为 demo-zz 的代表"},
			{"demo-bdg/不存在组", "没有名为「不存在组」的小组"},
		} {
			if loc := dispatch(bad.invitees, start, end); !strings.Contains(mustUnescape(loc), bad.says) {
				t.Errorf("%s: %s", bad.invitees, mustUnescape(loc))
			}
		}
		if loc := dispatch("demo-d02", end, start); !strings.Contains(mustUnescape(loc), "结束要晚于开始") {
			t.Errorf("backwards: %s", mustUnescape(loc))
		}
		loc := dispatch("demo-bdg/生活保障组、demo-d01", start, end)
		if !strings.Contains(mustUnescape(loc), "邀请2位代表") {
			t.Fatalf("dispatch: %s", mustUnescape(loc))
		}
		activityPath := strings.SplitN(loc, "\n", 2)[0] // the page it leads to, then what that page said
		if _, err := e.outbox.Drain(t.Context()); err != nil {
			t.Fatal(err)
		}
		var invited []wechattest.Delivery
		for _, d := range e.fake.Delivered(li) {
			if d.TemplateID == activityTemplate {
				invited = append(invited, d)
			}
		}
		if len(invited) != 1 || invited[0].Data["thing1"] != "十一月接待群众日" || invited[0].Data["thing3"] != "八大关街道联络站二楼" {
			t.Fatalf("invitation: %+v", invited)
		}
		status, page := b.get(activityPath)
		m := activityScene.FindStringSubmatch(page)
		if status != http.StatusOK || m == nil || !strings.Contains(page, "李建国（demo-d02）") || !strings.Contains(page, "未绑定，请电话通知") ||
			!strings.Contains(page, `src="data:image/png;base64,`) {
			t.Fatalf("activity page: %d %s", status, page)
		}
		scene := m[1]

		// 李建国 answers from WeChat.
		d := e.wechatBrowser(t, li)
		if status, page := d.get("/d/activities"); status != http.StatusOK || !strings.Contains(page, "十一月接待群众日") {
			t.Fatalf("deputy activities: %d %s", status, page)
		}
		activityID := strings.TrimPrefix(activityPath, "/console/activities/")
		if status, page := d.post("/d/activities/"+activityID+"/respond", url.Values{"answer": {"accept"}}); status != http.StatusOK || !strings.Contains(page, "已接单，请按时参加") {
			t.Fatalf("accept: %d %s", status, page)
		}
		z := e.wechatBrowser(t, zhao)
		z.get("/d/activities")
		if status, _ := z.post("/d/activities/"+activityID+"/respond", url.Values{"answer": {"accept"}}); status != http.StatusForbidden {
			t.Fatalf("an uninvited deputy answers: %d", status)
		}

		// Scanning the code at the venue.
		scan := func(openid string, at time.Time) string {
			t.Helper()
			return e.say(t, wechattest.Scan(account, openid, scene, at))
		}
		for _, tc := range []struct {
			openid string
			at     time.Time
			says   string
		}{
			{li, start.Add(-time.Hour), "尚未开始签到"},
			{zhao, start, "您不在「十一月接待群众日」的邀请名单中"},
			{"oJustACitizen", start, "只有受邀并已绑定微信的人大代表可以签到"},
			{li, start.Add(10 * time.Minute), "签到成功！李建国代表"},
			{li, start.Add(20 * time.Minute), "您已于"},
		} {
			if got := scan(tc.openid, tc.at); !strings.Contains(got, tc.says) {
				t.Errorf("%s at %s: %q, want %q", tc.openid, tc.at.In(cst).Format("15:04"), got, tc.says)
			}
		}
		bindDeputy(t, e, "demo-d01", wang, now)
		if got := scan(wang, end.Add(time.Minute)); !strings.Contains(got, "已经结束") {
			t.Errorf("after the end: %q", got)
		}
		if _, page := b.get(activityPath); strings.Count(page, start.Add(10*time.Minute).In(cst).Format("2006-01-02 15:04")) != 1 {
			t.Errorf("the check-in is not on the activity page: %s", page)
		}
		if got := e.say(t, wechattest.Text(account, li, 9201, "积分", now)); !strings.Contains(got, "的履职积分为 5 分") {
			t.Errorf("积分 after attending: %q", got)
		}
		// Department handlers do not arrange deputies' activities.
		dept, err := e.db.DepartmentByPath(t.Context(), "青岛市/市南区/市南区城市管理局")
		if err != nil {
			t.Fatal(err)
		}
		e.addStaff(t, mashang.StaffUser{Username: "dept", Name: "城管局", Role: mashang.RoleHandler, DepartmentID: dept}, "", "")
		h := e.browser(t)
		h.login("dept", staffPassword)
		if status, _ := h.get("/console/activities"); status != http.StatusForbidden {
			t.Errorf("a handler sees activities: %d", status)
		}
	})
}

func mustUnescape(s string) string {
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}
