package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

func TestHandOverWithAWorkingDayDeadlineAndThreeColours(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		cst := mashang.China
		now := time.Date(2025, 9, 26, 10, 0, 0, 0, cst) // a Friday before 国庆节、中秋节 2025
		e.supervision.Now = func() time.Time { return now }
		token := e.login(t, "oHandover0000000000000001")
		_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "handover-01", "scene": "st:demo-bdg", "text": "小区门口道路破损"}`)
		number := out["number"]

		for _, bad := range []struct{ body, says string }{
			{`{"department": "崂山区城市管理局", "days": 5}`, "可选：青岛市/市南区/八大关街道/八大关街道办事处、青岛市/市南区/市南区城市管理局、青岛市/青岛市住房和城乡建设局"},
			{`{"department": "市南区城市管理局", "days": 0}`, "days"},
			{`{"department": "市南区城市管理局", "days": 5, "staff": "别人"}`, "staff"}, // the actor is the token's owner
		} {
			if status, out := e.staffPost(t, "/api/cases/"+number+"/handover", staffToken, bad.body); status != http.StatusBadRequest || !strings.Contains(out["message"], bad.says) {
				t.Errorf("%s: %d %v", bad.body, status, out)
			}
		}
		// 5 working days from that Friday: Sunday 28th (a make-up day), 29th,
		// 30th, then the holiday to the 8th, then the 9th and the 10th.
		status, out := e.staffPost(t, "/api/cases/"+number+"/handover", staffToken, `{"department": "市南区城市管理局", "days": 5, "note": "请尽快修复"}`)
		if status != http.StatusOK || out["deadline"] != "2025-10-10T15:59:59Z" {
			t.Fatalf("hand over: %d %v", status, out)
		}
		c, events := e.caseOf(t, number)
		if c.Status != mashang.CaseHanded || !strings.Contains(timeline(events), "handed: 交「青岛市/市南区/市南区城市管理局」办理，期限5个工作日，至2025年10月10日。交办意见：请尽快修复") {
			t.Fatalf("case %+v\n%s", c, timeline(events))
		}

		// The department acknowledges at once: its colour is the deadline's.
		acknowledgeAsHandler(t, e, number, "青岛市/市南区/市南区城市管理局")

		sweep := func(at time.Time) int {
			now = at
			n, err := e.supervision.Sweep(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := sweep(time.Date(2025, 9, 29, 10, 0, 0, 0, cst)); n != 0 { // 3 working days left: the 30th, the 9th, the 10th
			t.Fatalf("recoloured %d on the 29th", n)
		}
		if n := sweep(time.Date(2025, 9, 30, 10, 0, 0, 0, cst)); n != 1 { // 2 left, the holiday between: yellow
			t.Fatalf("near the deadline: %d changed", n)
		}
		if n := sweep(time.Date(2025, 10, 9, 9, 0, 0, 0, cst)); n != 0 { // still yellow
			t.Fatalf("on the 9th: %d changed", n)
		}
		if n := sweep(time.Date(2025, 10, 11, 9, 0, 0, 0, cst)); n != 1 { // the make-up Saturday, overdue
			t.Fatalf("overdue: %d changed", n)
		}
		_, events = e.caseOf(t, number)
		tl := timeline(events)
		for _, want := range []string{"colour: 问题 " + number + " 亮黄灯：临近期限（承办单位「市南区城市管理局」，期限10月10日），请联络站秘书跟进。",
			"colour: 问题 " + number + " 亮红灯：已超期（承办单位「市南区城市管理局」，期限10月10日），请本级人大负责同志督办。"} {
			if !strings.Contains(tl, want) {
				t.Errorf("timeline lacks %q:\n%s", want, tl)
			}
		}
		if alerts, _ := e.db.StaffAlerts(ctx); len(alerts) != 3 { // the new case (nobody bound), yellow, red
			t.Fatalf("staff alerts %v", alerts)
		}

		// The supervision board counts it red at its station, and links there.
		e.addStaff(t, mashang.StaffUser{Username: "board", Name: "督办", Role: mashang.RoleStaff}, "青岛市", "")
		b := e.browser(t)
		b.login("board", staffPassword)
		if status, page := b.get("/console/board"); status != http.StatusOK ||
			!strings.Contains(page, `<a href="/console/?station=demo-bdg&colour=red">1</a>`) {
			t.Fatalf("board: %d %s", status, page)
		}
		if status, out := e.staffPost(t, "/api/cases/"+number+"/close", staffToken, `{}`); status != http.StatusBadRequest || !strings.Contains(out["message"], "result") {
			t.Fatalf("close without a result: %d %v", status, out)
		}
		if status, out := e.staffPost(t, "/api/cases/"+number+"/close", staffToken, `{"result": "道路已修复"}`); status != http.StatusOK {
			t.Fatalf("close: %d %v", status, out)
		}
		if status, _ := e.staffPost(t, "/api/cases/"+number+"/close", staffToken, `{"result": "again"}`); status != http.StatusConflict {
			t.Fatalf("close twice: %d", status)
		}
		if c, _ := e.caseOf(t, number); c.Status != mashang.CaseClosed {
			t.Fatalf("closed case %+v", c)
		}
		// Closed late, it stays red; nothing is recoloured any more.
		if n := sweep(time.Date(2025, 12, 1, 9, 0, 0, 0, cst)); n != 0 {
			t.Fatalf("recoloured a closed case: %d", n)
		}
	})
}
