package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// recordForm is the record form's fields for row (c0, c1, … in the
// roster's column order).
func recordForm(b *staffBrowser, row []string) url.Values {
	form := url.Values{"csrf": {b.csrf}}
	for i, v := range row {
		form.Set("c"+strconv.Itoa(i), v)
	}
	return form
}

// An administrator edits stations, deputies, groups and departments one by
// one in the console; each record goes through the roster's checks, is
// saved whole or not at all, and is audited.
func TestConsoleEditsTheDirectoryOneRecordAtATime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		e.addStaff(t, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
		b := e.browser(t)
		b.login("admin", staffPassword)
		row := func(kind, key string) []string {
			t.Helper()
			rows, err := e.db.RosterRows(ctx, kind)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows[1:] {
				if r[0] == key {
					return r
				}
			}
			t.Fatalf("no %s %s", kind, key)
			return nil
		}

		status, page := b.get("/console/manage/roster/stations?edit=demo-bdg")
		if status != http.StatusOK || !strings.Contains(page, `value="市南区八大关街道人大代表联络站"`) || !strings.Contains(page, `href="/codes/st:demo-bdg.png"`) {
			t.Fatalf("stations page: %d %s", status, page)
		}
		resp, err := b.client.Get(e.srv.URL + "/codes/st:demo-bdg.png")
		if err != nil {
			t.Fatal(err)
		}
		png, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(png), "\x89PNG") {
			t.Fatalf("the station's code: %d", resp.StatusCode)
		}

		// A station renamed and given a reception plan.
		station := row("stations", "demo-bdg")
		station[1], station[10] = "八大关街道人大代表联络站（新址）", "每周三上午接待"
		if status, loc := b.post("/console/manage/roster/stations", recordForm(b, station)); status != http.StatusSeeOther || !strings.Contains(loc, "done: ") {
			t.Fatalf("save station: %d %s", status, loc)
		}
		if st, err := e.db.StationByCode(ctx, "demo-bdg"); err != nil || st.Name != "八大关街道人大代表联络站（新址）" || st.ReceptionPlan != "每周三上午接待" {
			t.Fatalf("station after edit: %+v %v", st, err)
		}
		// A latitude of 200 and an empty name: refused with the column named, nothing saved.
		bad := row("stations", "demo-bdg")
		bad[1], bad[7], bad[8] = "", "200", "120.3"
		status, page = b.post("/console/manage/roster/stations", recordForm(b, bad))
		if status != http.StatusBadRequest || !strings.Contains(page, "纬度") || !strings.Contains(page, "名称") || !strings.Contains(page, "未保存") {
			t.Fatalf("bad station: %d %s", status, page)
		}
		if st, _ := e.db.StationByCode(ctx, "demo-bdg"); st.Name != "八大关街道人大代表联络站（新址）" || (st.Latitude != nil && *st.Latitude == 200) {
			t.Fatalf("a refused edit changed the station: %+v", st)
		}

		// A deputy given a phone: the page shows it masked; an edit that
		// leaves the phone empty keeps it.
		deputy := row("deputies", "demo-d02")
		deputy[3] = "13912345678"
		if status, loc := b.post("/console/manage/roster/deputies", recordForm(b, deputy)); status != http.StatusSeeOther {
			t.Fatalf("save deputy: %d %s", status, loc)
		}
		_, page = b.get("/console/manage/roster/deputies?edit=demo-d02")
		if strings.Contains(page, "13912345678") || !strings.Contains(page, "139****5678") {
			t.Fatalf("the deputies page shows the phone: %s", page)
		}
		deputy[3], deputy[7] = "", "否"
		if status, _ := b.post("/console/manage/roster/deputies", recordForm(b, deputy)); status != http.StatusSeeOther {
			t.Fatalf("retire deputy: %d", status)
		}
		if got := row("deputies", "demo-d02"); got[3] != "13912345678" || got[7] != "否" {
			t.Fatalf("deputy after edit: %v", got)
		}

		// A group's categories, and a new department.
		group := row("groups", "demo-bdg")
		group[2] = "道路照明、物业管理"
		if status, _ := b.post("/console/manage/roster/groups", recordForm(b, group)); status != http.StatusSeeOther {
			t.Fatalf("save group: %d", status)
		}
		if got := row("groups", "demo-bdg"); got[2] != "物业管理、道路照明" && got[2] != "道路照明、物业管理" {
			t.Fatalf("group categories: %v", got)
		}
		if status, _ := b.post("/console/manage/roster/departments", recordForm(b, []string{"市南区民政局", "青岛市/市南区"})); status != http.StatusSeeOther {
			t.Fatalf("add department: %d", status)
		}
		if _, err := e.db.DepartmentByPath(ctx, "青岛市/市南区/市南区民政局"); err != nil {
			t.Fatalf("new department: %v", err)
		}
		audit, _ := e.db.AuditLog(ctx, 20)
		edits := map[string]int{}
		for _, a := range audit {
			edits[a.Action]++
		}
		if edits["edit_stations"] != 2 || edits["edit_deputies"] != 2 || edits["edit_groups"] != 1 || edits["edit_departments"] != 1 {
			t.Fatalf("audit %v", edits)
		}
		if status, _ := b.get("/console/manage/roster/keywords-or-anything"); status != http.StatusNotFound {
			t.Fatalf("unknown roster: %d", status)
		}
	})
}

// Accounts are disabled, enabled, given new passwords and marked chair by
// an administrator; a disabled account's session ends at once.
func TestConsoleManagesAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		e.addStaff(t, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
		e.addStaff(t, mashang.StaffUser{Username: "lin", Name: "林晓", Role: mashang.RoleStaff}, "青岛市/市南区", "")
		e.addStaff(t, mashang.StaffUser{Username: "wang", Name: "王秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		admin, lin := e.browser(t), e.browser(t)
		admin.login("admin", staffPassword)
		if status := lin.login("lin", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("lin signs in: %d", status)
		}
		change := func(username string, form url.Values) string {
			t.Helper()
			form.Set("csrf", admin.csrf)
			status, loc := admin.post("/console/manage/accounts/"+username, form)
			if status != http.StatusSeeOther {
				t.Fatalf("change %s: %d %s", username, status, loc)
			}
			return admin.said
		}
		if got := change("lin", url.Values{"change": {"disable"}}); got != "账号 lin 已停用" {
			t.Fatalf("disable: %q", got)
		}
		if status, body := lin.get("/console/"); status != http.StatusSeeOther || !strings.Contains(body, "/console/login") {
			t.Fatalf("a disabled account's session: %d %s", status, body)
		}
		if status := e.browser(t).login("lin", staffPassword); status == http.StatusSeeOther {
			t.Fatal("a disabled account signed in")
		}
		if got := change("admin", url.Values{"change": {"disable"}}); got != "不能停用自己的账号" {
			t.Fatalf("disable oneself: %q", got)
		}
		if got := change("lin", url.Values{"change": {"enable"}}); got != "账号 lin 已启用" {
			t.Fatalf("enable: %q", got)
		}
		if got := change("lin", url.Values{"change": {"password"}, "password": {"short"}}); !strings.Contains(got, "12") {
			t.Fatalf("a short password: %q", got)
		}
		if got := change("lin", url.Values{"change": {"password"}, "password": {"换一个更长的新密码2026"}}); got != "账号 lin 已重设密码" {
			t.Fatalf("new password: %q", got)
		}
		if status := e.browser(t).login("lin", staffPassword); status == http.StatusSeeOther {
			t.Fatal("the old password still works")
		}
		if status := e.browser(t).login("lin", "换一个更长的新密码2026"); status != http.StatusSeeOther {
			t.Fatalf("the new password: %d", status)
		}
		if got := change("lin", url.Values{"change": {"chair"}}); got != "账号 lin 已设为本级人大负责同志" {
			t.Fatalf("chair: %q", got)
		}
		if got := change("wang", url.Values{"change": {"chair"}}); !strings.Contains(got, "只有辖区的人大工作人员") {
			t.Fatalf("a secretary as chair: %q", got)
		}
		if got := change("nobody", url.Values{"change": {"disable"}}); !strings.Contains(got, "不存在") {
			t.Fatalf("an unknown account: %q", got)
		}
		if _, page := admin.get("/console/manage"); !strings.Contains(page, "林晓</td><td>人大工作人员（负责同志）") {
			t.Fatalf("manage page: %s", page)
		}

		// Nobody but an administrator manages anything.
		for _, who := range []string{"lin", "wang"} {
			password := staffPassword
			if who == "lin" {
				password = "换一个更长的新密码2026"
			}
			b := e.browser(t)
			b.login(who, password)
			for _, path := range []string{"/console/manage", "/console/manage/roster/stations"} {
				if status, _ := b.get(path); status != http.StatusForbidden {
					t.Errorf("%s GET %s: %d", who, path, status)
				}
			}
			for path, form := range map[string]url.Values{
				"/console/manage/accounts/admin":     {"change": {"disable"}},
				"/console/manage/roster/stations":    {"c0": {"demo-bdg"}, "c1": {"改名"}},
				"/console/manage/users":              {"username": {"sneaky"}, "name": {"x"}, "role": {"admin"}, "password": {"abcdefghijkl1"}},
				"/console/manage/roster/deputies":    {"c0": {"demo-d02"}},
				"/console/manage/accounts/" + who:    {"change": {"chair"}},
				"/console/manage/roster/departments": {"c0": {"x"}},
			} {
				form.Set("csrf", b.csrf)
				if status, _ := b.post(path, form); status != http.StatusForbidden {
					t.Errorf("%s POST %s: %d", who, path, status)
				}
			}
		}
	})
}
