package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mashang"
	"mashang/roster"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// What a deputy does lands in their duty record by itself and earns the
// rules' points: taking a case (2), drafting the answer (1), closing it
// (5, once staff close it), a satisfied citizen (3). They ask for their points in the Official
// Account; staff read the quarter by station and group and export it; a
// correction is another entry, by an administrator only.
func TestDutyRecordAndPoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		now := time.Now()
		const li = "oDeputyLiPoints0000000000001"
		bindDeputy(t, e, "demo-d02", li, now)
		// 王海燕 joins 李建国's group too, with no points yet.
		if _, err := (&roster.Importer{Store: e.db}).Apply(ctx, "deputies", [][]string{roster.Deputies.Headers(),
			{"demo-d01", "王海燕", "市", "", "demo-bdg", "生活保障组", "", "是"}}); err != nil {
			t.Fatal(err)
		}

		token := e.login(t, "oPointsCitizen00000000000001")
		_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "points-1", "scene": "dp:demo-d02", "text": "小区电梯坏了"}`)
		number := out["number"]
		b := e.wechatBrowser(t, li)
		b.get("/d/cases/" + number)
		for path, form := range map[string]url.Values{"/accept": {}, "/draft": {"text": {"已联系物业维修电梯。"}}} {
			if status, page := b.post("/d/cases/"+number+path, form); status != http.StatusOK || strings.Contains(page, `class="error"`) {
				t.Fatalf("%s: %d %s", path, status, page)
			}
		}
		// A second draft is on the timeline but earns nothing twice.
		if status, _ := b.post("/d/cases/"+number+"/draft", url.Values{"text": {"补充：明天上午修。"}}); status != http.StatusOK {
			t.Fatalf("second draft: %d", status)
		}
		if status, body := e.staffReply(t, number, staffToken, `{"text": "已联系物业维修电梯。"}`); status != http.StatusAccepted {
			t.Fatalf("reply: %d %s", status, body)
		}
		if status, out := e.mp(t, "POST", "/mp/cases/"+number+"/rating", token, `{"verdict": "satisfied"}`); status != http.StatusCreated {
			t.Fatalf("rate: %d %v", status, out)
		}
		b.get("/d/cases/" + number)
		if status, page := b.post("/d/cases/"+number+"/solved", url.Values{"result": {"电梯已修好"}}); status != http.StatusOK || strings.Contains(page, `class="error"`) {
			t.Fatalf("solved: %d %s", status, page)
		}
		// Closing counts when staff confirm it by closing the case.
		if status, body := e.staffPost(t, "/api/cases/"+number+"/close", staffToken, `{"result": "电梯已修好"}`); status != http.StatusOK {
			t.Fatalf("staff close: %d %v", status, body)
		}

		got := e.say(t, wechattest.Text(account, li, 9101, "积分", now))
		if !strings.Contains(got, "的履职积分为 11 分（累计 11 分），在「生活保障组」2位代表中排第1") {
			t.Fatalf("积分: %q", got)
		}
		if got := e.say(t, wechattest.Event(account, "oNotADeputy", "CLICK", mashang.MenuMyPoints, now)); !strings.Contains(got, "履职积分是人大代表的") {
			t.Fatalf("a citizen's 积分: %q", got)
		}

		e.addStaff(t, mashang.StaffUser{Username: "city", Name: "市人大", Role: mashang.RoleStaff}, "青岛市", "")
		e.addStaff(t, mashang.StaffUser{Username: "xhwsec", Name: "薛家岛秘书", Role: mashang.RoleSecretary}, "", "demo-xhw")
		e.addStaff(t, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
		city := e.browser(t)
		city.login("city", staffPassword)
		status, page := city.get("/console/points")
		if status != http.StatusOK || !strings.Contains(page, "李建国（demo-d02）</td>\n      <td>0</td><td>1</td><td>1</td><td>1</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td><strong>11</strong>") {
			t.Fatalf("points page: %d %s", status, page)
		}
		resp, err := city.client.Get(e.srv.URL + "/console/points.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		book, err := excelize.OpenReader(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := book.GetRows("履职积分")
		found := false
		for _, r := range rows {
			found = found || (len(r) == 14 && r[2] == "demo-d02" && r[13] == "11")
		}
		// One column a duty action (relayed matters, pop-up desks, then
		// suggestions led and co-signed), then the points.
		if !found || rows[0][9] != "转来选民意见" || rows[0][10] != "流动办公桌接待" || rows[0][11] != "领衔提出建议" ||
			rows[0][12] != "联名提出建议" || rows[0][13] != "积分" {
			t.Fatalf("points.xlsx: %v", rows)
		}
		sec := e.browser(t)
		sec.login("xhwsec", staffPassword)
		if _, page := sec.get("/console/points"); strings.Contains(page, "李建国") {
			t.Fatal("a secretary of another station sees 李建国's points")
		}
		if status, _ := city.post("/console/points/corrections", url.Values{"deputy": {"demo-d02"}, "points": {"-3"}, "reason": {"x"}, "csrf": {city.csrf}}); status != http.StatusForbidden {
			t.Fatalf("a correction by staff: %d", status)
		}
		admin := e.browser(t)
		admin.login("admin", staffPassword)
		admin.get("/console/points")
		if status, loc := admin.post("/console/points/corrections", url.Values{"deputy": {"demo-d02"}, "points": {"0"}, "reason": {"x"}, "csrf": {admin.csrf}}); status != http.StatusSeeOther || !strings.Contains(loc, "error: ") {
			t.Fatalf("a zero correction: %d %s", status, loc)
		}
		if status, loc := admin.post("/console/points/corrections", url.Values{"deputy": {"demo-d02"}, "points": {"-3"}, "reason": {"重复计分"}, "csrf": {admin.csrf}}); status != http.StatusSeeOther || !strings.Contains(loc, "done: ") {
			t.Fatalf("a correction: %d %s", status, loc)
		}
		if got := e.say(t, wechattest.Text(account, li, 9102, "积分", now)); !strings.Contains(got, "的履职积分为 8 分（累计 8 分）") {
			t.Fatalf("积分 after the correction: %q", got)
		}
		// The deputy reads the same record on their phone: each action with
		// its points, and the correction as a line of its own.
		status, page = b.get("/d/record")
		for _, want := range []string{"积分：8 分</strong>（累计 8 分）", "在「生活保障组」2位代表中排第1",
			"办结（&#43;5分）", "积分更正（-3分）<br>更正：重复计分"} {
			if status != http.StatusOK || !strings.Contains(page, want) {
				t.Fatalf("/d/record lacks %q: %d %s", want, status, page)
			}
		}
	})
}

// Administrators set what each action earns; a change counts from then
// on, and what was earned before stays as it was.
func TestPointRulesChangeWhatIsEarnedFromThenOn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		now := time.Now()
		const li = "oDeputyLiRules00000000000001"
		bindDeputy(t, e, "demo-d02", li, now)
		accept := func(requestID string) {
			t.Helper()
			// A citizen each: one citizen's cases moments apart join in one.
			token := e.login(t, "oRulesCitizen-"+requestID)
			_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "`+requestID+`", "scene": "dp:demo-d02", "text": "小区电梯坏了`+requestID+`"}`)
			b := e.wechatBrowser(t, li)
			if status, page := b.get("/d/cases/" + out["number"]); status != http.StatusOK {
				t.Fatalf("the case %v: %d %s", out, status, page)
			}
			if status, page := b.post("/d/cases/"+out["number"]+"/accept", url.Values{}); status != http.StatusOK || !strings.Contains(page, "已接单") {
				t.Fatalf("accept: %d %s", status, page)
			}
		}
		accept("rules-case-1")

		e.addStaff(t, mashang.StaffUser{Username: "city", Name: "市人大", Role: mashang.RoleStaff}, "青岛市", "")
		e.addStaff(t, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
		city := e.browser(t)
		city.login("city", staffPassword)
		if _, page := city.get("/console/points"); !strings.Contains(page, "<td>接单</td><td>2</td><td>接单办理群众反映的问题</td>") || strings.Contains(page, "/console/points/rules") {
			t.Fatalf("staff read the rules, without a form: %s", page)
		}
		if status, _ := city.post("/console/points/rules", url.Values{"action": {"accept"}, "points": {"9"}, "reason": {"x"}, "csrf": {city.csrf}}); status != http.StatusForbidden {
			t.Fatalf("a rule set by staff: %d", status)
		}
		admin := e.browser(t)
		admin.login("admin", staffPassword)
		admin.get("/console/points")
		for _, bad := range []url.Values{
			{"action": {"accept"}, "points": {"101"}, "reason": {"接单"}},
			{"action": {"accept"}, "points": {"-1"}, "reason": {"接单"}},
			{"action": {"accept"}, "points": {"三"}, "reason": {"接单"}},
			{"action": {"accept"}, "points": {"3"}, "reason": {" "}},
			{"action": {"bribe"}, "points": {"3"}, "reason": {"x"}},
		} {
			bad.Set("csrf", admin.csrf)
			if status, loc := admin.post("/console/points/rules", bad); status != http.StatusSeeOther || !strings.Contains(loc, "error: ") {
				t.Fatalf("%v: %d %s", bad, status, loc)
			}
		}
		if status, loc := admin.post("/console/points/rules", url.Values{"action": {"accept"}, "points": {"4"}, "reason": {"接单办理（加倍）"}, "csrf": {admin.csrf}}); status != http.StatusSeeOther || !strings.Contains(loc, "done: ") {
			t.Fatalf("a rule: %d %s", status, loc)
		}
		accept("rules-case-2")
		if got := e.say(t, wechattest.Text(account, li, 9201, "积分", now)); !strings.Contains(got, "的履职积分为 6 分") {
			t.Fatalf("2 before the change and 4 after: %q", got)
		}
		audit, _ := e.db.AuditLog(ctx, 20)
		found := 0
		for _, a := range audit {
			if a.Action == "set_point_rule" && a.Username == "admin" {
				found++
			}
		}
		if found != 6 { // five refused, one set: each written down
			t.Fatalf("audit: %d set_point_rule entries in %+v", found, audit)
		}
	})
}
