package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// timelineOf is the timeline on a case page, as lines.
func timelineOf(page string) string {
	start := strings.Index(page, "办理过程")
	if start < 0 {
		return page
	}
	end := strings.Index(page[start:], "</ul>")
	if end < 0 {
		return page
	}
	return strings.ReplaceAll(page[start:start+end], "</li>", "\n")
}

// mask is how the timeline writes an openid (store.maskOpenID).
func mask(openid string) string { return openid[:4] + "****" + openid[len(openid)-2:] }

// One case, told to a deputy (the notice refused with 43004), drafted by
// that deputy, re-routed to another group (that notice delivered), answered
// by staff (once delivered, once refused) and handed to a department: each
// audience reads its own timeline. The citizen hears an answer only when
// staff send it, and never reads delivery errors or deputies' openids.
func TestEachAudienceReadsItsOwnTimeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		now := time.Now()
		const (
			wang    = "oDeputyWangHaiyan000000001" // 王海燕, 政策咨询组 at 八大关
			li      = "oDeputyLiJianguo0000000002" // 李建国, 生活保障组 at 八大关
			citizen = "oCitizenAudience0000000003"
			draft   = "补贴申请材料已帮您整理，待工作人员审核后答复。"
			answer  = "企业补贴请到区政务服务中心三号窗口申请。"
		)
		bindDeputy(t, e, "demo-d01", wang, now)
		bindDeputy(t, e, "demo-d02", li, now)
		drain := func() {
			t.Helper()
			if _, err := e.outbox.Drain(ctx); err != nil {
				t.Fatal(err)
			}
		}

		token := e.login(t, citizen)
		status, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "audience-0001", "scene": "dp:demo-d01", "text": "企业补贴政策想咨询"}`)
		if status != http.StatusCreated {
			t.Fatalf("raise: %d %v", status, out)
		}
		number := out["number"]
		e.fake.FailNext("/cgi-bin/message/template/send", 43004, 1)
		drain()

		// 王海燕 drafts an answer for staff to check.
		deputy := e.wechatBrowser(t, wang)
		deputy.get("/d/cases/" + number)
		if status, page := deputy.post("/d/cases/"+number+"/draft", url.Values{"text": {draft}}); status != http.StatusOK || !strings.Contains(page, "答复已交工作人员审核") {
			t.Fatalf("draft: %d %s", status, page)
		}

		// read gives the citizen's case as the Mini Program receives it, and
		// its timeline as kind: detail lines.
		read := func() (string, string) {
			t.Helper()
			resp, body := getAuth(t, e.srv.URL+"/mp/cases/"+number, token)
			var out struct {
				Timeline []struct{ Kind, Detail string }
			}
			if err := json.Unmarshal(body, &out); resp.StatusCode != http.StatusOK || err != nil {
				t.Fatalf("the citizen's case: %d %s", resp.StatusCode, body)
			}
			var lines strings.Builder
			for _, e := range out.Timeline {
				lines.WriteString(e.Kind + ": " + e.Detail + "\n")
			}
			return string(body), lines.String()
		}
		unfit := []string{`"kind":"draft"`, draft, "错误码", mask(wang), mask(li), `"kind":"template_`, `"kind":"reply_failed"`,
			`"kind":"alert"`, `"kind":"notify"`, "模板消息"}
		body, lines := read()
		for _, s := range unfit {
			if strings.Contains(body, s) {
				t.Errorf("before the answer, the citizen reads %q:\n%s", s, lines)
			}
		}
		if !strings.Contains(lines, "opened: 群众通过小程序表单向王海燕代表反映：企业补贴政策想咨询\n") || !strings.Contains(lines, "notified: 已通知代表\n") {
			t.Errorf("the citizen's timeline lacks the case or its notice:\n%s", lines)
		}

		// Staff re-route the case to 李建国's group (his notice is
		// delivered), send an answer (delivered), then another (refused: the
		// citizen no longer follows), and hand the case to a department.
		e.addStaff(t, mashang.StaffUser{Username: "snq", Name: "市南区人大", Role: mashang.RoleStaff}, "青岛市/市南区", "")
		staff := e.browser(t)
		if status := staff.login("snq", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("staff login: %d", status)
		}
		if status, page := staff.post("/console/cases/"+number+"/route", url.Values{"group": {"生活保障组"}, "reason": {"涉及民生保障"}, "csrf": {staff.csrf}}); status != http.StatusSeeOther {
			t.Fatalf("re-route: %d %s", status, page)
		}
		drain()
		e.fake.Follow(citizen)
		e.fake.UserMessaged(citizen)
		if status, page := staff.post("/console/cases/"+number+"/reply", url.Values{"text": {answer}, "csrf": {staff.csrf}}); status != http.StatusSeeOther {
			t.Fatalf("reply: %d %s", status, page)
		}
		drain()
		e.fake.Unfollow(citizen)
		if status, page := staff.post("/console/cases/"+number+"/reply", url.Values{"text": {"第二次答复"}, "csrf": {staff.csrf}}); status != http.StatusSeeOther {
			t.Fatalf("second reply: %d %s", status, page)
		}
		drain()
		if status, page := staff.post("/console/cases/"+number+"/handover", url.Values{"department": {"市南区城市管理局"}, "days": {"5"}, "csrf": {staff.csrf}}); status != http.StatusSeeOther {
			t.Fatalf("hand over: %d %s", status, page)
		}

		body, lines = read()
		for _, s := range unfit {
			if strings.Contains(body, s) {
				t.Errorf("after the answer, the citizen reads %q:\n%s", s, lines)
			}
		}
		for _, want := range []string{"reply: " + answer + "\n", "reply_sent: 答复已送达\n", "reply: 第二次答复\n", "handed: 交「青岛市/市南区/市南区城市管理局」办理"} {
			if !strings.Contains(lines, want) {
				t.Errorf("the citizen's timeline lacks %q:\n%s", want, lines)
			}
		}

		// Staff read everything: the draft, and each delivery with why it
		// failed in Chinese; the deputies by name, the citizen masked.
		_, page := staff.get("/console/cases/" + number)
		for _, want := range []string{draft, "通知代表 王海燕 失败（对方没有关注公众号）", "通知已送达代表 李建国",
			"答复群众 " + mask(citizen) + " 失败（对方没有关注公众号）"} {
			if !strings.Contains(page, want) {
				t.Errorf("the staff's case page lacks %q:\n%s", want, timelineOf(page))
			}
		}
		for _, unfit := range []string{mask(wang), mask(li), "43004", "微信错误码"} {
			if strings.Contains(page, unfit) {
				t.Errorf("the staff's case page shows %q:\n%s", unfit, timelineOf(page))
			}
		}
		// The deputy now answering reads the draft and the answer, not
		// deliveries' codes nor openids.
		_, page = e.wechatBrowser(t, li).get("/d/cases/" + number)
		for _, want := range []string{draft, answer, "答复已送达群众"} {
			if !strings.Contains(page, want) {
				t.Errorf("the deputy's case page lacks %q:\n%s", want, timelineOf(page))
			}
		}
		for _, s := range []string{"错误码", mask(wang), mask(li), mask(citizen)} {
			if strings.Contains(page, s) {
				t.Errorf("the deputy's case page shows %q:\n%s", s, timelineOf(page))
			}
		}
		// The department's handler reads how the case is handled, not the
		// congress's own alerts and deliveries.
		dept, err := e.db.DepartmentByPath(ctx, "青岛市/市南区/市南区城市管理局")
		if err != nil {
			t.Fatal(err)
		}
		e.addStaff(t, mashang.StaffUser{Username: "dept", Name: "城管局经办人", Role: mashang.RoleHandler, DepartmentID: dept}, "", "")
		handler := e.browser(t)
		if status := handler.login("dept", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("handler login: %d", status)
		}
		status, page = handler.get("/console/cases/" + number)
		if status != http.StatusOK || !strings.Contains(page, "交「青岛市/市南区/市南区城市管理局」办理") || !strings.Contains(page, answer) {
			t.Fatalf("the handler's case page: %d %s", status, timelineOf(page))
		}
		for _, s := range []string{"错误码", mask(li), mask(wang)} {
			if strings.Contains(timelineOf(page), s) {
				t.Errorf("the handler's case page shows %q:\n%s", s, timelineOf(page))
			}
		}
	})
}
