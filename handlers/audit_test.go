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

// An action and its line in the audit log commit together: when the line
// cannot be written, the action is undone, from the console and from a
// deputy's pages alike; a refused action is still recorded.
func TestActionAndItsAuditCommitTogether(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		now := time.Now()
		const li = "oDeputyLiJianguo000000000001"
		bindDeputy(t, e, "demo-d02", li, now)
		e.say(t, wechattest.SubscribeByScan(account, "oCitizenAudit", "dp:demo-d02", now))
		k, _ := e.caseOf(t, e.say(t, wechattest.Text(account, "oCitizenAudit", 6001, "楼下路灯不亮", now)))
		e.addStaff(t, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
		staff := e.browser(t)
		if status := staff.login("admin", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("login: %d", status)
		}
		deputy := e.wechatBrowser(t, li)
		deputy.get("/d/cases/" + k.Number)

		raw := storetest.RawSQL(t, e.driver, e.dsn)
		if _, err := raw.ExecContext(ctx, `ALTER TABLE audit_log RENAME TO audit_log_away`); err != nil {
			t.Fatal(err)
		}
		if _, loc := staff.post("/console/cases/"+k.Number+"/reply", url.Values{"text": {"已报修"}, "csrf": {staff.csrf}}); !strings.Contains(loc, "error: ") {
			t.Errorf("a reply whose audit failed: %s", loc)
		}
		if status, page := deputy.post("/d/cases/"+k.Number+"/accept", url.Values{}); status != http.StatusOK || strings.Contains(page, "已接单，请尽快办理") {
			t.Errorf("an acceptance whose audit failed: %d", status)
		}
		if c, events := e.caseOf(t, k.Number); strings.Contains(timeline(events), "已报修") || c.Status == mashang.CaseAccepted {
			t.Fatalf("actions stayed without their audit (status %s):\n%s", c.Status, timeline(events))
		}
		if rows, _ := e.db.OutboxRows(ctx); len(rows) > 1 { // the deputy's new-case notice only
			t.Fatalf("the reply was queued: %+v", rows)
		}

		if _, err := raw.ExecContext(ctx, `ALTER TABLE audit_log_away RENAME TO audit_log`); err != nil {
			t.Fatal(err)
		}
		if _, loc := staff.post("/console/cases/"+k.Number+"/reply", url.Values{"text": {"已报修"}, "csrf": {staff.csrf}}); !strings.Contains(loc, "done: ") {
			t.Fatalf("reply: %s", loc)
		}
		if _, loc := staff.post("/console/cases/"+k.Number+"/do/merge", url.Values{"main": {"000000-0000"}, "csrf": {staff.csrf}}); !strings.Contains(loc, "error: ") {
			t.Fatalf("a merge into nothing: %s", loc)
		}
		got := auditLines(t, e)
		for _, want := range []string{"admin reply " + k.Number + " 已报修", "admin merge " + k.Number + " 失败："} {
			if !strings.Contains(got, want) {
				t.Errorf("the audit log lacks %q:\n%s", want, got)
			}
		}
		if strings.Count(got, "admin reply") != 1 {
			t.Errorf("the reply is recorded more than once:\n%s", got)
		}
	})
}
