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

// The whole loop of issue 16, through the fake WeChat and the router, as
// the people in it live it: a citizen scans and writes; staff hand the
// case to a department, whose handler hears it by template message and
// the citizen by the Official Account; the handler signs for it and
// records the result from their phone; staff send it and close the case,
// and the citizen is told and asked to rate. They reply `3` with a reason:
// the case goes back to the same department with a new deadline, and the
// handler is told. Answered and closed again — this time outside WeChat's
// window, so the template message's link opens the citizen's own page —
// the citizen replies `1同意`; staff review the anonymised text and
// publish it, and it is on the results wall. (A case nobody takes turning
// yellow then red is TestUntakenCaseTurnsYellowThenRedOnWorkingDays.)
func TestTheLoopClosesFromScanToTheResultsWall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{configure: withProgressTemplate})
		const citizen, handler = "oLoopCitizen00000000000001", "oLoopHandler00000000000001"
		const department = "市南区城市管理局"
		addBoundHandler(t, e, "chengguan", "赵经办", "青岛市/市南区/"+department, handler)
		e.addStaff(t, mashang.StaffUser{Username: "jiaoban", Name: "孙交办", Role: mashang.RoleStaff}, "青岛市/市南区", "")
		staff := e.browser(t)
		if status := staff.login("jiaoban", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("staff sign in: %d", status)
		}
		later := func() time.Time { return time.Now().Add(4 * time.Minute) } // past the progress notices' gathering
		// toCitizen is the latest notice to the citizen that says says: the
		// outbox sends an answer and a progress notice due together in
		// either order.
		toCitizen := func(says string) wechattest.Delivery {
			t.Helper()
			got := e.fake.Delivered(citizen)
			for i := len(got) - 1; i >= 0; i-- {
				if strings.Contains(got[i].Text, says) || got[i].Data["phrase2"] == says {
					return got[i]
				}
			}
			t.Fatalf("the citizen was not told %q: %+v", says, got)
			return wechattest.Delivery{}
		}
		toHandler := func(number string) []wechattest.Delivery {
			var told []wechattest.Delivery
			for _, d := range e.fake.Delivered(handler) {
				if d.TemplateID == supervisionTemplate && d.Data["character_string1"] == number {
					told = append(told, d)
				}
			}
			return told
		}

		// Scan and write.
		e.say(t, wechattest.SubscribeByScan(account, citizen, "st:demo-bdg", time.Now()))
		c, _ := e.caseOf(t, e.say(t, wechattest.Text(account, citizen, 9901, "八大关路口的路灯坏了，晚上一片漆黑", time.Now())))
		e.fake.Follow(citizen)
		e.fake.UserMessaged(citizen)
		number := c.Number

		// Handed over: the department's handler and the citizen both hear it.
		if _, said := staff.post("/console/cases/"+number+"/handover", url.Values{"csrf": {staff.csrf},
			"department": {department}, "days": {"5"}}); !strings.Contains(said, "done: 已交办") {
			t.Fatalf("hand over: %s", said)
		}
		e.drainAt(t, later())
		told := toHandler(number)
		if len(told) != 1 || !strings.HasPrefix(told[0].Data["thing3"], "新交办：主办") || told[0].URL != e.srv.URL+"/h/cases/"+number {
			t.Fatalf("the handler was told %+v", told)
		}
		toCitizen("已交「" + department + "」办理")

		// The handler opens the link, signs for it and records the result.
		h := e.wechatBrowser(t, handler)
		link := strings.TrimPrefix(told[0].URL, e.srv.URL)
		if status, page := h.get(link); status != http.StatusOK || !strings.Contains(page, "晚上一片漆黑") {
			t.Fatalf("the handler's page: %d %s", status, page)
		}
		if status, page := h.post(link+"/acknowledge", url.Values{}); status != http.StatusOK || !strings.Contains(page, "已签收") {
			t.Fatalf("acknowledge: %d %s", status, page)
		}
		pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
		const first = "已更换路口路灯灯具，恢复照明。"
		if status, page := h.postResult(number, first, map[string][]byte{"答复函.pdf": pdf}); status != http.StatusOK || !strings.Contains(page, "办理结果已提交") {
			t.Fatalf("the result: %d %s", status, page)
		}

		// Staff send it and close the case: the citizen is told and asked.
		closeWith := func(result string) {
			t.Helper()
			if _, said := staff.post("/console/cases/"+number+"/reply", url.Values{"csrf": {staff.csrf}, "text": {result}}); !strings.Contains(said, "done: 答复已发送") {
				t.Fatalf("send the result: %s", said)
			}
			if _, said := staff.post("/console/cases/"+number+"/close", url.Values{"csrf": {staff.csrf}, "result": {result}}); !strings.Contains(said, "done: 已办结") {
				t.Fatalf("close: %s", said)
			}
			e.drainAt(t, later())
		}
		closeWith(first)
		if got := toCitizen("已办结。办理结果：" + first); got.Kind != wechattest.DeliveryCustom ||
			!strings.Contains(got.Text, "3 不满意") || !strings.Contains(got.Text, "代表回音壁") {
			t.Fatalf("the closing notice: %+v", got)
		}

		// 不满意, with the reason: back to the same department, a new deadline.
		reply := e.say(t, wechattest.Text(account, citizen, 9902, "3 换了灯还是不亮", time.Now()))
		if !strings.Contains(reply, "不满意") || !strings.Contains(reply, department) {
			t.Fatalf("the reply to 3: %q", reply)
		}
		k, tl := e.caseNow(t, number)
		if k.Status != mashang.CaseReopened || k.Rating != mashang.RatingDissatisfied ||
			!strings.Contains(tl, "二次交办「"+department+"」重新办理") {
			t.Fatalf("after 不满意: %s %s\n%s", k.Status, k.Rating, tl)
		}
		if _, todo := staff.get("/console/todo"); !strings.Contains(todo, number) || !strings.Contains(todo, "不满意") {
			t.Fatalf("the to-do list lacks the 不满意: %s", todo)
		}
		e.drainAt(t, later())
		if told := toHandler(number); len(told) != 2 || !strings.HasPrefix(told[1].Data["thing3"], "二次交办：主办") {
			t.Fatalf("the handler was told %+v", told)
		}
		toCitizen("已重新交「" + department + "」办理")

		// Answered again; this time WeChat's window has closed (45015), so the
		// notices go as template messages whose link opens the citizen's page.
		if status, page := h.post(link+"/acknowledge", url.Values{}); status != http.StatusOK || !strings.Contains(page, "已签收") {
			t.Fatalf("acknowledge again: %d %s", status, page)
		}
		const second = "已更换损坏的供电线路，路灯恢复照明，并加装一盏。"
		if status, page := h.postResult(number, second, nil); status != http.StatusOK || !strings.Contains(page, "办理结果已提交") {
			t.Fatalf("the second result: %d %s", status, page)
		}
		e.fake.FailNext("/cgi-bin/message/custom/send", 45015, 2)
		closeWith(second)
		got := toCitizen("已办结")
		if got.Kind != wechattest.DeliveryTemplate || got.URL != e.srv.URL+"/c/"+number {
			t.Fatalf("outside the window: %+v", got)
		}
		if status, page := e.wechatBrowser(t, citizen).get(strings.TrimPrefix(got.URL, e.srv.URL)); status != http.StatusOK ||
			!strings.Contains(page, second) || !strings.Contains(page, "晚上一片漆黑") || !strings.Contains(page, `name="verdict"`) {
			t.Fatalf("the citizen's page: %d %s", status, page)
		}

		// Satisfied, and agrees to publication.
		if reply := e.say(t, wechattest.Text(account, citizen, 9903, "1同意", time.Now())); !strings.Contains(reply, "感谢您的评价") {
			t.Fatalf("the reply to 1同意: %q", reply)
		}
		if k, _ := e.caseNow(t, number); k.Status != mashang.CaseClosed || k.Rating != mashang.RatingSatisfied || !k.PublicConsent {
			t.Fatalf("after 1同意: %s %s consent %v", k.Status, k.Rating, k.PublicConsent)
		}

		// Nothing is public until staff publish it; then the wall shows it.
		if status, wall := publicGet(t, e, "/wall"); status != http.StatusOK || strings.Contains(wall, "加装一盏") {
			t.Fatalf("on the wall before publishing: %d %s", status, wall)
		}
		if said := publishAsOffered(t, staff, number); said != "已发布到代表回音壁" {
			t.Fatalf("publish: %s", said)
		}
		if status, wall := publicGet(t, e, "/wall"); status != http.StatusOK || !strings.Contains(wall, second) || !strings.Contains(wall, "满意") {
			t.Fatalf("the wall after publishing: %d %s", status, wall)
		}
	})
}
