package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// A department's handler reads the cases handed to its department and
// does nothing else: not hand a case to itself with a later deadline, not
// re-route, answer, close, merge or reopen it, in the console or the API.
// Each refusal is 403 in Chinese and written to the audit log; the case is
// as it was; the case page shows no button that would be refused.
func TestDepartmentHandlerOnlyReads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		_, out := e.mp(t, "POST", "/mp/cases", e.login(t, "oHandlerReads00000000001"), `{"request_id": "handler-reads", "scene": "st:demo-bdg", "text": "人行道破损"}`)
		number := out["number"]
		if status, out := e.staffPost(t, "/api/cases/"+number+"/handover", staffToken, `{"department": "市南区城市管理局", "days": 10}`); status != http.StatusOK {
			t.Fatalf("hand over: %d %v", status, out)
		}
		before, beforeEvents := e.caseOf(t, number)
		dept, err := e.db.DepartmentByPath(ctx, "青岛市/市南区/市南区城市管理局")
		if err != nil {
			t.Fatal(err)
		}
		e.addStaff(t, mashang.StaffUser{Username: "handler", Name: "城管局经办人", Role: mashang.RoleHandler, DepartmentID: dept}, "", "")
		const handlerToken = "handler-api-token-0123456789abcdef"
		if err := (&mashang.Accounts{Store: e.db, Cost: bcrypt.MinCost}).GrantAPIToken(ctx, "handler", handlerToken); err != nil {
			t.Fatal(err)
		}
		b := e.browser(t)
		if status := b.login("handler", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("login: %d", status)
		}
		status, page := b.get("/console/cases/" + number)
		if status != http.StatusOK || !strings.Contains(page, "人行道破损") {
			t.Fatalf("the handler reads its case: %d", status)
		}
		for _, form := range []string{"/reply", "/route", "/handover", "/close", "/do/accept", "/do/category", "/do/reopen", "/do/merge"} {
			if strings.Contains(page, `action="/console/cases/`+number+form+`"`) {
				t.Errorf("the handler's case page offers %s", form)
			}
		}
		for _, link := range []string{"/console/activities", "/console/points", "/console/codes/", "/console/manage"} {
			if strings.Contains(page, `href="`+link) {
				t.Errorf("the handler's pages link to %s", link)
			}
		}

		c := "/console/cases/" + number
		for _, try := range []struct {
			path string
			form url.Values
		}{
			{c + "/handover", url.Values{"department": {"市南区城市管理局"}, "days": {"60"}}},
			{c + "/route", url.Values{"group": {"政策咨询组"}, "reason": {"改派"}}},
			{c + "/reply", url.Values{"text": {"经办人的答复"}}},
			{c + "/close", url.Values{"result": {"已办结"}}},
			{c + "/do/accept", nil},
			{c + "/do/category", url.Values{"category": {"其他"}}},
			{c + "/do/reopen", url.Values{"reason": {"再办"}}},
			{c + "/do/merge", url.Values{"main": {number}}},
			{"/console/bulk-handover", url.Values{"number": {number}, "department": {"市南区城市管理局"}, "days": {"60"}}},
			{"/console/activities", url.Values{"title": {"视察"}}},
			{"/console/points/corrections", url.Values{"deputy": {"demo-d01"}, "points": {"5"}, "reason": {"x"}}},
		} {
			form := try.form
			if form == nil {
				form = url.Values{}
			}
			form.Set("csrf", b.csrf)
			if status, body := b.post(try.path, form); status != http.StatusForbidden || !strings.Contains(body, "承办单位经办人") && !strings.Contains(body, "管理员") {
				t.Errorf("handler → POST %s: %d, want 403 saying why", try.path, status)
			}
		}
		for _, path := range []string{"/console/activities", "/console/points", "/console/points.xlsx", "/console/codes/export.zip", "/console/codes/sheet", "/console/manage"} {
			if status, _ := b.get(path); status != http.StatusForbidden {
				t.Errorf("handler → GET %s: %d, want 403", path, status)
			}
		}
		for path, body := range map[string]string{
			"/api/cases/" + number + "/handover": `{"department": "市南区城市管理局", "days": 60}`,
			"/api/cases/" + number + "/route":    `{"group": "政策咨询组", "reason": "改派"}`,
			"/api/cases/" + number + "/replies":  `{"text": "经办人的答复"}`,
			"/api/cases/" + number + "/close":    `{"result": "已办结"}`,
			"/api/stations/demo-bdg/slots":       `{"day": "2030-01-07", "starts": "09:00", "ends": "11:00", "capacity": 5}`,
		} {
			if status, out := e.staffPost(t, path, handlerToken, body); status != http.StatusForbidden || !strings.Contains(out["message"], "承办单位经办人") {
				t.Errorf("handler → API %s: %d %v, want 403 saying why", path, status, out)
			}
		}

		after, events := e.caseOf(t, number)
		if after.Status != before.Status || after.GroupName != before.GroupName || after.Category != before.Category || timeline(events) != timeline(beforeEvents) {
			t.Errorf("the refused actions changed the case: %+v → %+v\n%s", before, after, timeline(events))
		}
		audit, err := e.db.AuditLog(ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		refusals := map[string]bool{}
		for _, a := range audit {
			if a.Username == "handler" && strings.Contains(a.Detail, "失败") {
				refusals[a.Action] = true
			}
		}
		for _, action := range []string{"handover", "reroute", "reply", "close", "accept", "category", "reopen", "merge", "publish_slot"} {
			if !refusals[action] {
				t.Errorf("the handler's refused %s is not in the audit log: %+v", action, audit)
			}
		}
	})
}
