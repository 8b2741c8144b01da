package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// A case handed to a lead department and a co-handling one: each
// department's handler, their WeChat bound from the console, is told of
// the hand-over, sees the case and acknowledges it (签收); the department
// that lets a working day pass without acknowledging turns the case
// yellow, and acknowledging turns it green again; one working day before
// the deadline and once overdue each is told again, once.
func TestDepartmentsAreToldAcknowledgeAndTurnYellowWhenLate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		cst := mashang.China
		now := time.Date(2025, 11, 3, 10, 0, 0, 0, cst) // a Monday, a plain working week
		e.supervision.Now = func() time.Time { return now }

		const leadOpenID, coOpenID = "oHandlerLead0000000000000001", "oHandlerCo000000000000000001"
		for _, h := range []struct{ username, name, department, openid string }{
			{"chengguan", "赵经办", "青岛市/市南区/市南区城市管理局", leadOpenID},
			{"jiedao", "钱经办", "青岛市/市南区/八大关街道/八大关街道办事处", coOpenID},
		} {
			dept, err := e.db.DepartmentByPath(ctx, h.department)
			if err != nil {
				t.Fatal(err)
			}
			e.addStaff(t, mashang.StaffUser{Username: h.username, Name: h.name, Role: mashang.RoleHandler, DepartmentID: dept}, "", "")
			bindStaffWeChat(t, e, h.username, h.openid)
		}
		e.addStaff(t, mashang.StaffUser{Username: "jiaoban", Name: "孙交办", Role: mashang.RoleStaff}, "青岛市/市南区", "")

		token := e.login(t, "oDeptCitizen0000000000000001")
		_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "department-01", "scene": "st:demo-bdg", "text": "小区门口排水沟堵塞"}`)
		number := out["number"]
		if number == "" {
			t.Fatalf("raise: %v", out)
		}
		staff := e.browser(t)
		if status := staff.login("jiaoban", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("staff signs in: %d", status)
		}
		if _, page := staff.post("/console/cases/"+number+"/handover", url.Values{"csrf": {staff.csrf},
			"department": {"市南区城市管理局"}, "co": {"八大关街道办事处"}, "days": {"5"}}); !strings.Contains(page, "已交办") {
			t.Fatalf("hand over: %s", page)
		}
		drain := func() {
			t.Helper()
			if _, err := e.outbox.Drain(ctx); err != nil {
				t.Fatal(err)
			}
		}
		told := func(openid string) []string {
			var out []string
			for _, d := range e.fake.Delivered(openid) {
				if d.TemplateID == supervisionTemplate && d.Data["character_string1"] == number {
					out = append(out, d.Data["thing3"]+" "+d.Data["time4"])
				}
			}
			return out
		}
		drain()
		if got := told(leadOpenID); len(got) != 1 || got[0] != "新交办：主办，请登录工作台签收 2025-11-10 23:59" {
			t.Fatalf("the lead department's handler was told %q", got)
		}
		if got := told(coOpenID); len(got) != 1 || got[0] != "新交办：协办，请登录工作台签收 2025-11-10 23:59" {
			t.Fatalf("the co-handling department's handler was told %q", got)
		}

		// Each handler sees the case and acknowledges it; the lead at once.
		handlers := map[string]*staffBrowser{}
		for _, username := range []string{"chengguan", "jiedao"} {
			b := e.browser(t)
			if status := b.login(username, staffPassword); status != http.StatusSeeOther {
				t.Fatalf("%s signs in: %d", username, status)
			}
			status, page := b.get("/console/cases/" + number)
			if status != http.StatusOK || !strings.Contains(page, "/do/acknowledge") || !strings.Contains(page, "未签收") {
				t.Fatalf("%s's case page: %d %s", username, status, page)
			}
			handlers[username] = b
		}
		acknowledge := func(username, shows string) {
			t.Helper()
			b := handlers[username]
			if _, said := b.post("/console/cases/"+number+"/do/acknowledge", url.Values{"csrf": {b.csrf}}); !strings.Contains(said, "done: 已签收") {
				t.Fatalf("%s acknowledges: %s", username, said)
			}
			// Everyone who reaches the case reads who acknowledged and when.
			for _, who := range []*staffBrowser{staff, handlers["chengguan"], handlers["jiedao"]} {
				if _, page := who.get("/console/cases/" + number); !strings.Contains(page, shows) {
					t.Fatalf("after %s acknowledged, the case page lacks %q: %s", username, shows, page)
				}
			}
		}
		acknowledge("chengguan", "赵经办（市南区城市管理局）于2025-11-03 10:00签收")
		if _, page := handlers["chengguan"].post("/console/cases/"+number+"/do/acknowledge", url.Values{"csrf": {handlers["chengguan"].csrf}}); !strings.Contains(page, "无需重复签收") {
			t.Fatalf("acknowledged twice: %s", page)
		}
		if _, page := staff.post("/console/cases/"+number+"/do/acknowledge", url.Values{"csrf": {staff.csrf}}); !strings.Contains(page, "只有承办单位经办人可以签收") {
			t.Fatalf("the congress's staff acknowledge: %s", page)
		}

		sweep := func(at time.Time) {
			t.Helper()
			now = at
			if _, err := e.supervision.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			drain()
		}
		colour := func() string {
			t.Helper()
			c, err := e.db.CaseByNumberAny(ctx, number)
			if err != nil {
				t.Fatal(err)
			}
			return c.Colour
		}
		sweep(time.Date(2025, 11, 4, 20, 0, 0, 0, cst)) // within the working day after the hand-over
		if got := colour(); got != mashang.ColourGreen {
			t.Fatalf("the day after the hand-over: %s", got)
		}
		sweep(time.Date(2025, 11, 5, 9, 0, 0, 0, cst)) // the co-handler let it pass
		if got := colour(); got != mashang.ColourYellow {
			t.Fatalf("unacknowledged after a working day: %s", got)
		}
		acknowledge("jiedao", "钱经办（八大关街道办事处）于2025-11-05 09:00签收")
		sweep(time.Date(2025, 11, 5, 9, 10, 0, 0, cst))
		if got := colour(); got != mashang.ColourGreen {
			t.Fatalf("all acknowledged: %s", got)
		}

		// A working day before the deadline, and once overdue: once each.
		sweep(time.Date(2025, 11, 7, 9, 0, 0, 0, cst))
		sweep(time.Date(2025, 11, 7, 15, 0, 0, 0, cst))
		sweep(time.Date(2025, 11, 11, 9, 0, 0, 0, cst))
		sweep(time.Date(2025, 11, 12, 9, 0, 0, 0, cst))
		for _, openid := range []string{leadOpenID, coOpenID} {
			got := told(openid)
			if len(got) != 3 || !strings.HasPrefix(got[1], "明日到期：") || !strings.HasPrefix(got[2], "已超期：") {
				t.Errorf("%s was told %q", openid, got)
			}
		}

		_, events := e.caseOf(t, number)
		tl := timeline(events)
		for _, want := range []string{
			"handed: 交「青岛市/市南区/市南区城市管理局」主办，「青岛市/市南区/八大关街道/八大关街道办事处」协办，期限5个工作日，至2025年11月10日",
			"notify: 提醒（新交办：主办，请登录工作台签收）已发给「市南区城市管理局」经办人：赵经办",
			"acknowledged: 「市南区城市管理局」签收（主办）\n",
			"colour: 问题 " + number + " 亮黄灯：承办单位逾期未签收",
			"acknowledged: 「八大关街道办事处」签收（协办），已超过签收时限\n",
		} {
			if !strings.Contains(tl, want) {
				t.Errorf("timeline lacks %q:\n%s", want, tl)
			}
		}
		log, err := e.db.AuditLog(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		acks := 0
		for _, a := range log {
			if a.Action == mashang.ActAcknowledge && a.Target == number && !strings.HasPrefix(a.Detail, "失败") {
				acks++
			}
		}
		if acks != 2 {
			t.Errorf("%d acknowledgements audited, want 2: %+v", acks, log)
		}
	})
}

// acknowledgeAsHandler signs in as a new handler of the department at path
// and acknowledges the case from its page.
func acknowledgeAsHandler(t *testing.T, e *env, number, path string) {
	t.Helper()
	dept, err := e.db.DepartmentByPath(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	username := fmt.Sprintf("handler%d", dept)
	e.addStaff(t, mashang.StaffUser{Username: username, Name: "经办人", Role: mashang.RoleHandler, DepartmentID: dept}, "", "")
	b := e.browser(t)
	if status := b.login(username, staffPassword); status != http.StatusSeeOther {
		t.Fatalf("the handler signs in: %d", status)
	}
	if _, said := b.post("/console/cases/"+number+"/do/acknowledge", url.Values{"csrf": {b.csrf}}); !strings.Contains(said, "done: 已签收") {
		t.Fatalf("the handler acknowledges: %s", said)
	}
}
