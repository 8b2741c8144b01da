package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// The staff API acts as the person whose token it is given: their name on
// the timeline and in the audit log, their reach (a case or station beyond
// it is 404), the action and its audit line in one transaction.
func TestStaffAPIActsAsTheTokensOwner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		e.addStaff(t, mashang.StaffUser{Username: "bdgsec", Name: "八大关秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		accounts := &mashang.Accounts{Store: e.db, Cost: bcrypt.MinCost}
		token, err := accounts.NewAPIToken(ctx, "bdgsec")
		if err != nil || len(token) < 32 {
			t.Fatalf("token %q %v", token, err)
		}
		citizen := e.login(t, "oStaffAPICitizen000000001")
		_, out := e.mp(t, "POST", "/mp/cases", citizen, `{"request_id": "staffapi-bdg", "scene": "st:demo-bdg", "text": "路灯坏了"}`)
		mine := out["number"]
		if mine == "" {
			t.Fatalf("raise: %v", out)
		}
		_, out = e.mp(t, "POST", "/mp/cases", citizen, `{"request_id": "staffapi-lsh", "scene": "st:demo-lsh", "text": "路灯坏了"}`)
		theirs := out["number"]

		if status, out := e.staffReplyJSON(t, mine, token, `{"text": "已报修"}`); status != http.StatusAccepted {
			t.Fatalf("reply: %d %v", status, out)
		}
		_, events := e.caseOf(t, mine)
		if last := events[len(events)-1]; last.Kind != "reply" || last.Actor != "八大关秘书" {
			t.Fatalf("the reply is on the timeline as %+v", last)
		}
		if status, _ := e.staffReplyJSON(t, theirs, token, `{"text": "已报修"}`); status != http.StatusNotFound {
			t.Errorf("a case beyond reach: %d", status)
		}
		if status, _ := e.staffPost(t, "/api/stations/demo-lsh/slots", token, `{"day": "2030-01-07", "starts": "09:00", "ends": "11:00", "capacity": 5, "deputies": ["demo-d05"]}`); status != http.StatusNotFound {
			t.Errorf("a station beyond reach: %d", status)
		}
		if status, out := e.staffReplyJSON(t, mine, token, `{"text": "冒名", "staff": "别人"}`); status != http.StatusBadRequest || !strings.Contains(out["message"], "staff") {
			t.Errorf("a body naming someone else: %d %v", status, out)
		}
		log, _ := e.db.AuditLog(ctx, 10)
		if len(log) == 0 || log[0].Username != "bdgsec" || log[0].Action != "reply" || log[0].Target != mine {
			t.Errorf("audit log: %+v", log)
		}

		// The action and its audit commit together.
		raw := storetest.RawSQL(t, e.driver, e.dsn)
		if _, err := raw.ExecContext(ctx, `ALTER TABLE audit_log RENAME TO audit_log_away`); err != nil {
			t.Fatal(err)
		}
		if status, _ := e.staffReplyJSON(t, mine, token, `{"text": "审计失败时的答复"}`); status < 500 {
			t.Errorf("a reply whose audit failed: %d", status)
		}
		if _, err := raw.ExecContext(ctx, `ALTER TABLE audit_log_away RENAME TO audit_log`); err != nil {
			t.Fatal(err)
		}
		if _, events := e.caseOf(t, mine); strings.Contains(timeline(events), "审计失败时的答复") {
			t.Fatal("the reply stayed without its audit line")
		}

		// A new token replaces the old; a disabled account's token opens nothing.
		fresh, err := accounts.NewAPIToken(ctx, "bdgsec")
		if err != nil {
			t.Fatal(err)
		}
		if status, _ := e.staffReplyJSON(t, mine, token, `{"text": "x"}`); status != http.StatusUnauthorized {
			t.Errorf("the replaced token: %d", status)
		}
		if err := accounts.Change(ctx, mashang.StaffSession{User: mashang.StaffUser{ID: -1}}, "bdgsec", mashang.AccountDisable, ""); err != nil {
			t.Fatal(err)
		}
		if status, _ := e.staffReplyJSON(t, mine, fresh, `{"text": "x"}`); status != http.StatusUnauthorized {
			t.Errorf("a disabled account's token: %d", status)
		}
	})
}

func (e *env) staffReplyJSON(t *testing.T, number, token, body string) (int, map[string]string) {
	t.Helper()
	return e.staffPost(t, "/api/cases/"+number+"/replies", token, body)
}
