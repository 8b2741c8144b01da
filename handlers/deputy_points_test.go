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

// Points are earned, not taken. A deputy who raises cases at their own code
// — from their own Mini Program account (linked to their Official Account
// by unionid) or from the Official Account itself — and then accepts,
// answers and marks them solved earns nothing on them, and staff are told
// each time such a case is raised. Marking a case solved does not close it:
// staff close it, and only then does closing count in the deputy's record.
func TestPointsAreEarnedNotTaken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		now := time.Now()
		const li, liMP, union = "oDeputyLiSelf000000000000001", "oDeputyLiMiniProgram00000001", "uUnionLiSelf0000000000000001"
		bindDeputy(t, e, "demo-d02", li, now)
		e.fake.SetUnionID(li, union)
		if _, err := (&mashang.Unions{Store: e.db, WeChat: e.clients}).Fill(ctx); err != nil {
			t.Fatal(err)
		}
		_, out := e.mp(t, "POST", "/mp/login", "", `{"code": "`+e.fake.IssueLoginCode(mpAppID, liMP, union)+`"}`)
		_, raised := e.mp(t, "POST", "/mp/cases", out["token"], `{"request_id": "self-raised-1", "scene": "dp:demo-d02", "text": "我自己提的问题一"}`)
		fromMP := raised["number"]
		e.say(t, wechattest.Scan(account, li, "dp:demo-d02", now))
		fromOA, _ := e.caseOf(t, e.say(t, wechattest.Text(account, li, 8101, "我自己提的问题二", now)))
		citizen := e.login(t, "oCitizenOfLi0000000000000001")
		_, raised = e.mp(t, "POST", "/mp/cases", citizen, `{"request_id": "citizen-raised-1", "scene": "dp:demo-d02", "text": "小区电梯坏了"}`)
		real := raised["number"]
		if fromMP == "" || real == "" {
			t.Fatalf("cases not raised: %q %q", fromMP, real)
		}

		// Staff are told of the two the deputy raised, and only of those.
		alerts, _ := e.db.StaffAlerts(ctx)
		all := strings.Join(alerts, "\n")
		for _, n := range []string{fromMP, fromOA.Number} {
			if !strings.Contains(all, "问题 "+n) || !strings.Contains(all, "李建国代表本人") {
				t.Errorf("no staff alert for %s: %v", n, alerts)
			}
		}
		if strings.Contains(all, "问题 "+real) {
			t.Errorf("a citizen's case flagged: %v", alerts)
		}
		_, events := e.caseOf(t, fromMP)
		staffLine, deputyLine := false, false
		for _, ev := range mashang.TimelineFor(events, mashang.AudienceStaff) {
			staffLine = staffLine || strings.Contains(ev.Detail, "李建国代表本人")
		}
		for _, ev := range mashang.TimelineFor(events, mashang.AudienceDeputy) {
			deputyLine = deputyLine || strings.Contains(ev.Detail, "李建国代表本人")
		}
		if !staffLine || deputyLine {
			t.Errorf("the flag on the timeline: staff %v, deputy %v", staffLine, deputyLine)
		}

		b := e.wechatBrowser(t, li)
		for _, n := range []string{fromMP, fromOA.Number, real} {
			b.get("/d/cases/" + n)
			for path, form := range map[string]url.Values{"/accept": {}, "/draft": {"text": {"已处理。"}}, "/solved": {"result": {"已解决"}}} {
				if status, page := b.post("/d/cases/"+n+path, form); status != http.StatusOK || strings.Contains(page, `class="error"`) {
					t.Fatalf("%s %s: %d %s", n, path, status, page)
				}
			}
			// Marked solved by the deputy: staff are asked to confirm; still open.
			if c, _ := e.caseOf(t, n); c.Status == mashang.CaseClosed {
				t.Errorf("%s closed on the deputy's word", n)
			}
		}
		alerts, _ = e.db.StaffAlerts(ctx)
		if !strings.Contains(strings.Join(alerts, "\n"), "李建国代表报告问题 "+real+" 已办结") {
			t.Errorf("staff not asked to confirm: %v", alerts)
		}
		points := func(want string) {
			t.Helper()
			if got := e.say(t, wechattest.Text(account, li, time.Now().UnixNano(), "积分", now)); !strings.Contains(got, "的履职积分为 "+want+" 分") {
				t.Errorf("积分: %q, want %s", got, want)
			}
		}
		points("3") // the citizen's case: accepted (2) and answered (1)
		for _, n := range []string{fromMP, fromOA.Number, real} {
			if status, body := e.staffPost(t, "/api/cases/"+n+"/close", staffToken, `{"result": "经核实已解决"}`); status != http.StatusOK {
				t.Fatalf("staff close %s: %d %v", n, status, body)
			}
		}
		points("8") // and closed, confirmed by staff (5)
	})
}
