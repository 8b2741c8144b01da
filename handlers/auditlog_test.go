package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// Administrators read the audit log in the console: by person, by case and
// by days (bounded as every period is), a page at a time, and as Excel
// through the export limiter, itself audited; nobody else may, and only
// they see the menu's link.
func TestAdministratorsReadAndExportTheAuditLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		now := time.Now()
		e.say(t, wechattest.Scan(account, "oAuditLogCitizen000000000001", "st:demo-bdg", now))
		first, _ := e.caseOf(t, e.say(t, wechattest.Text(account, "oAuditLogCitizen000000000001", 8101, "路灯不亮", now)))
		e.say(t, wechattest.Scan(account, "oAuditLogCitizen000000000002", "st:demo-bdg", now))
		second, _ := e.caseOf(t, e.say(t, wechattest.Text(account, "oAuditLogCitizen000000000002", 8102, "井盖松动", now)))

		e.addStaff(t, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
		e.addStaff(t, mashang.StaffUser{Username: "clerk", Name: "办事员", Role: mashang.RoleStaff}, "青岛市", "")
		admin, clerk := e.browser(t), e.browser(t)
		admin.login("admin", staffPassword)
		clerk.login("clerk", staffPassword)
		if _, loc := admin.post("/console/cases/"+first.Number+"/reply", url.Values{"text": {"已报修"}, "csrf": {admin.csrf}}); !strings.Contains(loc, "done: ") {
			t.Fatalf("reply: %s", loc)
		}
		if _, loc := clerk.post("/console/cases/"+second.Number+"/reply", url.Values{"text": {"已通知维修"}, "csrf": {clerk.csrf}}); !strings.Contains(loc, "done: ") {
			t.Fatalf("reply: %s", loc)
		}

		// Only administrators: the page, the export and the menu's link.
		if status, _ := clerk.get("/console/audit"); status != http.StatusForbidden {
			t.Fatalf("staff read the audit log: %d", status)
		}
		if status, _ := clerk.get("/console/audit.xlsx"); status != http.StatusForbidden {
			t.Fatalf("staff exported the audit log: %d", status)
		}
		if _, page := clerk.get("/console/"); strings.Contains(page, `href="/console/audit"`) {
			t.Fatal("staff see the audit log in the menu")
		}
		if _, page := admin.get("/console/"); !strings.Contains(page, `href="/console/audit"`) {
			t.Fatal("administrators do not see the audit log in the menu")
		}

		// By person, by case, by days.
		status, page := admin.get("/console/audit?user=clerk")
		if status != http.StatusOK || !strings.Contains(page, second.Number) || !strings.Contains(page, "已通知维修") || strings.Contains(page, first.Number) {
			t.Fatalf("by person: %d %s", status, page)
		}
		status, page = admin.get("/console/audit?target=" + first.Number)
		if status != http.StatusOK || !strings.Contains(page, "答复群众") || !strings.Contains(page, "已报修") || strings.Contains(page, "已通知维修") {
			t.Fatalf("by case: %d %s", status, page)
		}
		today := now.In(mashang.China).Format(time.DateOnly)
		if _, page := admin.get("/console/audit?target=" + first.Number + "&from=" + today + "&to=" + today); !strings.Contains(page, "已报修") {
			t.Fatalf("today: %s", page)
		}
		if _, page := admin.get("/console/audit?from=2001-01-01&to=2001-12-31"); !strings.Contains(page, "没有符合条件的记录") {
			t.Fatalf("2001: %s", page)
		}
		for query, says := range map[string]string{
			"from=1900-01-01":                 "超出范围",
			"to=2026-13-01":                   "截止日期（to）应写成 2026-01-01 这样",
			"from=2026-02-01&to=2026-01-01":   "截止日期应不早于起始日期",
			"user=" + strings.Repeat("长", 40): "用户名不超过32个字",
		} {
			if status, page := admin.get("/console/audit?" + query); status != http.StatusBadRequest || !strings.Contains(page, says) {
				t.Errorf("%s: %d, want 400 saying %q", query, status, says)
			}
		}

		// A page at a time, newest first.
		for i := range 60 {
			if err := e.db.Audit(ctx, mashang.AuditEntry{At: now, Username: "pager", Action: "login", Detail: fmt.Sprintf("第%03d条", i)}); err != nil {
				t.Fatal(err)
			}
		}
		_, page = admin.get("/console/audit?user=pager")
		next := nextPage.FindStringSubmatch(page)
		if strings.Count(page, "第0") != 50 || !strings.Contains(page, "第059条") || strings.Contains(page, "第009条") || next == nil {
			t.Fatalf("the first page: %s", page)
		}
		_, page = admin.get(strings.ReplaceAll(next[1], "&amp;", "&"))
		if strings.Count(page, "第0") != 10 || !strings.Contains(page, "第000条") || strings.Contains(page, "第010条") || nextPage.MatchString(page) {
			t.Fatalf("the second page: %s", page)
		}

		// As Excel: every line the filter selects, and the export is audited.
		resp, body := admin.fetch("/console/audit.xlsx?user=pager")
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "audit.xlsx") {
			t.Fatalf("export: %d %s", resp.StatusCode, body)
		}
		book, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := book.GetRows("审计日志")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 61 || rows[0][1] != "用户名" || rows[1][1] != "pager" || rows[1][4] != "第059条" || rows[60][4] != "第000条" {
			t.Fatalf("the sheet: %d rows, %v … %v", len(rows), rows[0], rows[len(rows)-1])
		}
		if _, page := admin.get("/console/audit?user=admin"); !strings.Contains(page, "export_audit_log") || !strings.Contains(page, "60条（pager）") {
			t.Fatalf("the export is not in the audit log: %s", page)
		}
		// Through the export limiter: a few a minute per account.
		limited := false
		for range 8 {
			if resp, _ := admin.fetch("/console/audit.xlsx?user=nobody"); resp.StatusCode == http.StatusTooManyRequests {
				limited = true
				break
			}
		}
		if !limited {
			t.Fatal("audit exports are not limited")
		}
	})
}

var nextPage = regexp.MustCompile(`<a href="([^"]+)">下一页</a>`)
