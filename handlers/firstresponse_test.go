package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// A case that no deputy or staff member takes turns yellow once its
// first-response deadline (2 working days, on the holiday table) has passed
// and red after twice that, through the supervision sweep, with the same
// timeline lines, alerts and notices as a hand-over's deadline; the board
// counts it and lists it. A case taken in time stays green, and taking a
// late one turns it green again.
func TestUntakenCaseTurnsYellowThenRedOnWorkingDays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		const secretary = "oSecretaryFirstResponse00001"
		e.addStaff(t, mashang.StaffUser{Username: "mishu", Name: "王秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		bindStaffWeChat(t, e, "mishu", secretary)

		cst := mashang.China
		// Raised on Friday 26 September 2025: the working days after it are
		// Sunday 28th (a make-up day) and Monday 29th, so the first response
		// is due at the end of the 29th; twice that runs over the 国庆
		// holiday to the end of Thursday 9 October.
		raised := time.Date(2025, 9, 26, 10, 0, 0, 0, cst)
		raise := func(openid string, msgID int64, text string) string {
			t.Helper()
			e.say(t, wechattest.Scan(account, openid, "st:demo-bdg", raised))
			k, _ := e.caseOf(t, e.say(t, wechattest.Text(account, openid, msgID, text, raised.Add(time.Minute))))
			return k.Number
		}
		untaken := raise("oFirstResponseCitizen0000001", 7101, "小区楼道灯坏了没人管")
		taken := raise("oFirstResponseCitizen0000002", 7102, "公园长椅坏了")
		if status, out := e.staffPost(t, "/api/cases/"+taken+"/replies", staffToken, `{"text": "已收到，我们正在联系园林部门"}`); status != http.StatusAccepted {
			t.Fatalf("answer: %d %v", status, out)
		}

		now := raised
		e.supervision.Now = func() time.Time { return now }
		sweep := func(at string) int {
			t.Helper()
			v, err := time.ParseInLocation("2006-01-02 15:04", at, cst)
			if err != nil {
				t.Fatal(err)
			}
			now = v
			n, err := e.supervision.Sweep(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.outbox.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			return n
		}
		colour := func(number string) string {
			t.Helper()
			c, _ := e.caseOf(t, number)
			return c.Colour
		}
		for _, at := range []string{"2025-09-27 10:00", "2025-09-28 18:00", "2025-09-29 23:59"} {
			if n := sweep(at); n != 0 {
				t.Fatalf("recoloured %d at %s, before the first-response deadline", n, at)
			}
		}
		if n := sweep("2025-09-30 09:00"); n != 1 || colour(untaken) != mashang.ColourYellow || colour(taken) != mashang.ColourGreen {
			t.Fatalf("the day after the deadline: %d changed, untaken %s, taken %s", n, colour(untaken), colour(taken))
		}
		for _, at := range []string{"2025-10-01 09:00", "2025-10-08 20:00", "2025-10-09 23:59"} { // 国庆 does not count
			if n := sweep(at); n != 0 {
				t.Fatalf("recoloured %d at %s, within twice the deadline", n, at)
			}
		}
		if n := sweep("2025-10-10 09:00"); n != 1 || colour(untaken) != mashang.ColourRed || colour(taken) != mashang.ColourGreen {
			t.Fatalf("after twice the deadline: %d changed, untaken %s, taken %s", n, colour(untaken), colour(taken))
		}
		_, events := e.caseOf(t, untaken)
		tl := timeline(events)
		for _, want := range []string{
			"colour: 问题 " + untaken + " 亮黄灯：超过首次响应期限仍无人接手（首次响应期限9月29日），请联络站秘书跟进。",
			"colour: 问题 " + untaken + " 亮红灯：超过首次响应期限许久仍无人接手（首次响应期限9月29日），请本级人大负责同志督办。",
			"notify: 督办提醒已发给联络站秘书：王秘书",
		} {
			if !strings.Contains(tl, want) {
				t.Errorf("timeline lacks %q:\n%s", want, tl)
			}
		}
		var notices []wechattest.Delivery
		for _, d := range e.fake.Delivered(secretary) {
			if d.TemplateID == supervisionTemplate {
				notices = append(notices, d)
			}
		}
		if len(notices) != 1 || notices[0].Data["character_string1"] != untaken || notices[0].Data["thing3"] != "黄灯：超过首次响应期限仍无人接手" ||
			notices[0].Data["time4"] != "2025-09-29 23:59" {
			t.Fatalf("the secretary's notice: %+v", notices)
		}
		alerts, err := e.db.StaffAlerts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(strings.Join(alerts, "\n"), "问题 "+untaken+" 亮"); got != 2 {
			t.Fatalf("staff alerts about %s: %v", untaken, alerts)
		}

		// The board counts it red, and among those nobody took; its link
		// lists it, and not the case answered in time.
		e.addStaff(t, mashang.StaffUser{Username: "board", Name: "督办", Role: mashang.RoleStaff}, "青岛市", "")
		b := e.browser(t)
		b.login("board", staffPassword)
		if status, page := b.get("/console/board"); status != http.StatusOK ||
			!strings.Contains(page, `<a href="/console/?station=demo-bdg&colour=red">1</a>`) ||
			!strings.Contains(page, `<a href="/console/?station=demo-bdg&untaken=1">1</a>`) {
			t.Fatalf("board: %d %s", status, page)
		}
		if status, page := b.get("/console/?station=demo-bdg&untaken=1"); status != http.StatusOK ||
			!strings.Contains(page, untaken) || strings.Contains(page, taken) {
			t.Fatalf("the untaken list: %d %s", status, page)
		}

		// Taken at last, it is green again at the next sweep, and off the list.
		if _, loc := b.post("/console/cases/"+untaken+"/do/accept", url.Values{"csrf": {b.csrf}}); !strings.Contains(loc, "done: ") {
			t.Fatalf("accept: %s", loc)
		}
		if n := sweep("2025-10-10 10:00"); n != 1 || colour(untaken) != mashang.ColourGreen {
			t.Fatalf("taken: %d changed, colour %s", n, colour(untaken))
		}
		if _, events := e.caseOf(t, untaken); !strings.Contains(timeline(events), "问题 "+untaken+" 恢复绿灯（已有代表或工作人员接手）。") {
			t.Fatalf("timeline:\n%s", timeline(events))
		}
		if status, page := b.get("/console/board"); status != http.StatusOK ||
			!strings.Contains(page, `<a href="/console/?station=demo-bdg&untaken=1">0</a>`) {
			t.Fatalf("board after taking: %d %s", status, page)
		}
	})
}
