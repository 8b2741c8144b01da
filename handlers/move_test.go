package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/roster"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

const (
	wangOpenID  = "oDeputyWangMove0000000001" // 王海燕, 政策咨询组 at 八大关
	liOpenID    = "oDeputyLiMove000000000001" // 李建国, 生活保障组 at 八大关
	zhangOpenID = "oDeputyZhangMove000000001" // 张晓梅, 医疗教育组 (the duty group) at 薛家岛
)

// staffAlertsAt are the alerts for the staff of a station about a case
// that they have yet to look at.
func staffAlertsAt(t *testing.T, e *env, station string, caseID int64) string {
	t.Helper()
	rows, err := storetest.RawSQL(t, e.driver, e.dsn).QueryContext(context.Background(), `
		SELECT a.message FROM staff_alerts a JOIN stations s ON s.id = a.station_id WHERE s.code = ? AND a.case_id = ? AND a.seen_at IS NULL ORDER BY a.id`, station, caseID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return strings.Join(out, "\n")
}

// auditLines is the audit log, one line each: who, what, on what, detail.
func auditLines(t *testing.T, e *env) string {
	t.Helper()
	log, err := e.db.AuditLog(context.Background(), 50)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range log {
		lines = append(lines, l.Username+" "+l.Action+" "+l.Target+" "+l.Detail)
	}
	return strings.Join(lines, "\n")
}

// signedInStaff adds an account and signs it in to the console.
func signedInStaff(t *testing.T, e *env, u mashang.StaffUser, jurisdiction, station string) *staffBrowser {
	t.Helper()
	e.addStaff(t, u, jurisdiction, station)
	b := e.browser(t)
	if status := b.login(u.Username, staffPassword); status != http.StatusSeeOther {
		t.Fatalf("%s signs in: %d", u.Username, status)
	}
	return b
}

// A case raised at 八大关 belongs at 薛家岛: the station's secretary moves
// it from the case page. Routing runs again there (no group of 薛家岛 takes
// 道路照明: its duty group does), its deputy gets the new-case template
// message, its staff an alert, the citizen hears where it went, and the
// case leaves the reach of 八大关's secretary and deputies for 薛家岛's.
func TestStaffMoveACaseToAnotherStationAndReachFollows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{configure: withProgressTemplate})
		now := time.Now()
		bindDeputy(t, e, "demo-d02", liOpenID, now)
		bindDeputy(t, e, "demo-d03", zhangOpenID, now)
		const citizen = "oCitizenMove00000000000001"
		// Raised at 李建国's own code: after the move he no longer answers for it.
		e.say(t, wechattest.SubscribeByScan(account, citizen, "dp:demo-d02", now))
		c, _ := e.caseOf(t, e.say(t, wechattest.Text(account, citizen, 8801, "漓江东路的路灯坏了好几天", now)))
		if c.GroupName != "生活保障组" {
			t.Fatalf("routed to %q", c.GroupName)
		}
		e.fake.Follow(citizen)
		e.fake.UserMessaged(citizen)
		e.drainAt(t, time.Now())

		from := signedInStaff(t, e, mashang.StaffUser{Username: "bdgsec", Name: "八大关秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		to := signedInStaff(t, e, mashang.StaffUser{Username: "xhwsec", Name: "薛家岛秘书", Role: mashang.RoleSecretary}, "", "demo-xhw")
		if status, _ := to.get("/console/cases/" + c.Number); status != http.StatusNotFound {
			t.Fatalf("薛家岛's secretary before the move: %d", status)
		}
		// The case page leads to the move form, which offers the city's
		// other stations by district; no station stands for 市南区's
		// congress, and the form says so.
		status, page := from.get("/console/cases/" + c.Number)
		if status != http.StatusOK || !strings.Contains(page, `href="/console/cases/`+c.Number+`/move"`) || strings.Contains(page, `<option value="demo-xhw">`) {
			t.Fatalf("the case page's way to the move form: %d %s", status, page)
		}
		status, page = from.get("/console/cases/" + c.Number + "/move")
		if status != http.StatusOK || !strings.Contains(page, `<optgroup label="西海岸新区">`) ||
			!strings.Contains(page, `<option value="demo-xhw">西海岸新区薛家岛街道代表之家</option>`) ||
			strings.Contains(page, `<option value="demo-bdg">`) || strings.Contains(page, `value="up"`) ||
			!strings.Contains(page, "的上级辖区（青岛市、市南区）还没有开放的代表之家或联络站") {
			t.Fatalf("the move form: %d %s", status, page)
		}
		if _, said := from.post("/console/cases/"+c.Number+"/move", url.Values{"csrf": {from.csrf}, "station": {"demo-xhw"}}); !strings.Contains(said, "error: 请说明转出原因（reason）") {
			t.Fatalf("a move without a reason: %s", said)
		}
		said := ""
		_, said = from.post("/console/cases/"+c.Number+"/move", url.Values{"csrf": {from.csrf}, "station": {"demo-xhw"}, "reason": {"漓江东路在薛家岛街道"}})
		if sentTo(said) != "/console/" || !strings.Contains(said, "done: 问题 "+c.Number+" 已转至「西海岸新区薛家岛街道代表之家」，已不在您的辖区内") {
			t.Fatalf("move: %s", said)
		}

		// Reach follows the case.
		if status, _ := from.get("/console/cases/" + c.Number); status != http.StatusNotFound {
			t.Errorf("八大关's secretary after the move: %d", status)
		}
		status, page = to.get("/console/cases/" + c.Number)
		if status != http.StatusOK || !strings.Contains(page, "由「市南区八大关街道人大代表联络站」转至「西海岸新区薛家岛街道代表之家」。原因：漓江东路在薛家岛街道") ||
			!strings.Contains(page, "八大关秘书") {
			t.Fatalf("薛家岛's secretary after the move: %d %s", status, page)
		}
		if status, _ := e.wechatBrowser(t, liOpenID).get("/d/cases/" + c.Number); status != http.StatusForbidden {
			t.Errorf("八大关's deputy after the move: %d", status)
		}
		if status, page := e.wechatBrowser(t, zhangOpenID).get("/d/cases/" + c.Number); status != http.StatusOK || !strings.Contains(page, "漓江东路的路灯坏了好几天") {
			t.Errorf("薛家岛's deputy after the move: %d %s", status, page)
		}

		moved, events := e.caseOf(t, c.Number)
		tl := timeline(events)
		if moved.StationName != "西海岸新区薛家岛街道代表之家" || moved.GroupName != "医疗教育组" || moved.Status != mashang.CaseOpen {
			t.Errorf("moved case: %+v", moved)
		}
		for _, want := range []string{"moved: 由「市南区八大关街道人大代表联络站」转至「西海岸新区薛家岛街道代表之家」。原因：漓江东路在薛家岛街道",
			"routed: 按「道路照明」类，但本站没有受理该类的小组，由「西海岸新区薛家岛街道代表之家」的值班组「医疗教育组」处理",
			"notified: 已通过模板消息通知1位代表：张晓梅"} {
			if !strings.Contains(tl, want) {
				t.Errorf("the timeline lacks %q:\n%s", want, tl)
			}
		}
		if got := staffAlertsAt(t, e, "demo-xhw", c.ID); !strings.Contains(got, "问题 "+c.Number+" 已由「市南区八大关街道人大代表联络站」（八大关秘书）转至本站，原因：漓江东路在薛家岛街道。请跟进办理。") {
			t.Errorf("薛家岛's staff alerts: %q", got)
		}

		// The receiving deputy gets the new-case message; the citizen hears
		// where the case went, plainly.
		e.drainAt(t, time.Now().Add(4*time.Minute))
		if got := e.fake.Delivered(zhangOpenID); len(got) != 1 || got[0].TemplateID != "TPL-NEW-CASE" || got[0].Data["character_string1"] != c.Number {
			t.Errorf("薛家岛's deputy got %+v", got)
		}
		if got := e.fake.Delivered(citizen); len(got) != 1 || !strings.Contains(got[0].Text, "已由「市南区八大关街道人大代表联络站」转至「西海岸新区薛家岛街道代表之家」办理") ||
			strings.Contains(got[0].Text, "漓江东路在薛家岛街道") {
			t.Errorf("the citizen got %+v", got)
		}
		if got := auditLines(t, e); !strings.Contains(got, "bdgsec move "+c.Number+" 转至demo-xhw：漓江东路在薛家岛街道") {
			t.Errorf("the audit log lacks the move:\n%s", got)
		}

		// A closed case stays where it was closed.
		if status, out := e.staffPost(t, "/api/cases/"+c.Number+"/close", staffToken, `{"result": "路灯已修复"}`); status != http.StatusOK {
			t.Fatalf("close: %d %v", status, out)
		}
		status, out := e.staffPost(t, "/api/cases/"+c.Number+"/move", staffToken, `{"station": "demo-lsh", "reason": "再转一次"}`)
		if status != http.StatusConflict || out["message"] != "问题 "+c.Number+" 已办结，不能转出；如需继续办理，请先重新打开" {
			t.Errorf("moving a closed case: %d %v", status, out)
		}
	})
}

// addDistrictHome adds 市南区's own 代表之家 (the congress one level above
// 八大关), with a point beside it that a move up passes over, and its
// duty group of one bound deputy.
func addDistrictHome(t *testing.T, e *env, openid string) {
	t.Helper()
	ctx := context.Background()
	if _, err := roster.ImportStations(ctx, e.db, []roster.StationRecord{
		{Row: 2, Code: "demo-snq", Name: "市南区人大代表之家", Kind: mashang.StationHome, Jurisdiction: []string{"青岛市", "市南区"}, Open: true},
		{Row: 3, Code: "demo-snp", Name: "市南区人大代表联络点", Kind: mashang.StationPoint, Jurisdiction: []string{"青岛市", "市南区"}, Open: true},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := roster.ImportDeputies(ctx, e.db, []roster.DeputyRecord{{Row: 2, Code: "demo-d07", Name: "孙立新", Level: mashang.LevelCounty,
		Stations: []string{"demo-snq"}, Groups: []string{"综合组"}, InOffice: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := roster.ImportGroups(ctx, e.db, []roster.GroupRecord{{Row: 2, StationCode: "demo-snq", Name: "综合组", LeaderCode: "demo-d07", Duty: true}}); err != nil {
		t.Fatal(err)
	}
	bindDeputy(t, e, "demo-d07", openid, time.Now())
}

// 转交上级人大: a case of 八大关 handed to a department goes up to 市南区's
// 代表之家 through the staff API. The hand-over is withdrawn (the
// department's handler is told and no longer sees it), the district's
// deputies are told, and from the district's station there is no higher
// one in the roster: a move up says so.
func TestMoveUpToTheCongressOfAHigherLevel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		const sunOpenID, handlerOpenID = "oDeputySunMove00000000001", "oHandlerMove0000000000001"
		addDistrictHome(t, e, sunOpenID)
		dept, err := e.db.DepartmentByPath(ctx, "青岛市/市南区/市南区城市管理局")
		if err != nil {
			t.Fatal(err)
		}
		handler := signedInStaff(t, e, mashang.StaffUser{Username: "chengguan", Name: "赵经办", Role: mashang.RoleHandler, DepartmentID: dept}, "", "")
		bindStaffWeChat(t, e, "chengguan", handlerOpenID)

		token := e.login(t, "oMoveUpCitizen00000000001")
		_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "move-up-01", "scene": "st:demo-bdg", "text": "辖区多条道路排水系统需要统一改造"}`)
		number := out["number"]
		if status, out := e.staffPost(t, "/api/cases/"+number+"/handover", staffToken, `{"department": "市南区城市管理局", "days": 5}`); status != http.StatusOK {
			t.Fatalf("hand over: %d %v", status, out)
		}
		if status, _ := handler.get("/console/cases/" + number); status != http.StatusOK {
			t.Fatalf("the handler before the move: %d", status)
		}
		// An administrator's form offers the district's 代表之家 as the
		// congress one level up, not the point beside it.
		admin := signedInStaff(t, e, mashang.StaffUser{Username: "moveadmin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
		if _, page := admin.get("/console/cases/" + number + "/move"); !strings.Contains(page, `<option value="up">转交上级人大：市南区人大代表之家</option>`) {
			t.Fatalf("the move form offers no move up: %s", page)
		}
		taken := func() (isTaken, due bool) {
			t.Helper()
			if err := storetest.RawSQL(t, e.driver, e.dsn).QueryRowContext(ctx, `
				SELECT taken_at IS NOT NULL, first_response_due IS NOT NULL FROM cases WHERE number = ?`, number).Scan(&isTaken, &due); err != nil {
				t.Fatal(err)
			}
			return isTaken, due
		}
		if isTaken, due := taken(); !isTaken || !due {
			t.Fatalf("handed over: taken %v, a first response due %v", isTaken, due)
		}
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}

		status, out := e.staffPost(t, "/api/cases/"+number+"/move", staffToken, `{"up": true, "reason": "涉及全区排水规划，需区人大协调"}`)
		if status != http.StatusOK || out["station"] != "市南区人大代表之家" || out["group"] != "综合组" || out["status"] != mashang.CaseOpen {
			t.Fatalf("move up: %d %v", status, out)
		}
		// Nobody at the district has taken it yet: its first response is
		// due anew, counted from the move.
		if isTaken, due := taken(); isTaken || !due {
			t.Errorf("after the move: taken %v, a first response due %v", isTaken, due)
		}
		c, events := e.caseOf(t, number)
		tl := timeline(events)
		for _, want := range []string{"moved: 由「市南区八大关街道人大代表联络站」转交上级人大：「市南区人大代表之家」。原因：涉及全区排水规划，需区人大协调。已撤回对「市南区城市管理局」的交办，由「市南区人大代表之家」重新决定交办",
			"notify: 提醒（已撤回：问题已转出，无需再办）已发给「市南区城市管理局」经办人：赵经办",
			"notified: 已通过模板消息通知1位代表：孙立新"} {
			if !strings.Contains(tl, want) {
				t.Errorf("the timeline lacks %q:\n%s", want, tl)
			}
		}
		if status, _ := handler.get("/console/cases/" + number); status != http.StatusNotFound {
			t.Errorf("the withdrawn department's handler after the move: %d", status)
		}
		if got := staffAlertsAt(t, e, "demo-snq", c.ID); !strings.Contains(got, "转交上级人大，由本站办理，原因：涉及全区排水规划，需区人大协调") {
			t.Errorf("the district's staff alerts: %q", got)
		}
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.fake.Delivered(sunOpenID); len(got) != 1 || got[0].Data["character_string1"] != number {
			t.Errorf("the district's deputy got %+v", got)
		}
		var withdrawn bool
		for _, d := range e.fake.Delivered(handlerOpenID) {
			withdrawn = withdrawn || (d.TemplateID == supervisionTemplate && d.Data["thing3"] == "已撤回：问题已转出，无需再办")
		}
		if !withdrawn {
			t.Errorf("the department's handler got %+v", e.fake.Delivered(handlerOpenID))
		}

		// From the district's own station there is none higher in the roster.
		status, out = e.staffPost(t, "/api/cases/"+number+"/move", staffToken, `{"up": true, "reason": "再上一级"}`)
		if status != http.StatusBadRequest || !strings.Contains(out["message"], "「市南区人大代表之家」的上级辖区（青岛市）还没有开放的代表之家或联络站，无法转交上级人大") {
			t.Errorf("up from the district: %d %v", status, out)
		}
	})
}

// A deputy asks, from the case's page on their phone, for the case to go
// up: the timeline says so and the station's staff get an alert; nothing
// moves until they decide. A closed case takes no such request.
func TestDeputyAsksStaffToMoveACase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		now := time.Now()
		bindDeputy(t, e, "demo-d02", liOpenID, now)
		e.say(t, wechattest.SubscribeByScan(account, "oCitizenAskMove0000000001", "dp:demo-d02", now))
		c, _ := e.caseOf(t, e.say(t, wechattest.Text(account, "oCitizenAskMove0000000001", 8901, "全区的公交线路规划不合理", now)))

		b := e.wechatBrowser(t, liOpenID)
		if status, page := b.get("/d/cases/" + c.Number); status != http.StatusOK || !strings.Contains(page, `action="/d/cases/`+c.Number+`/move"`) {
			t.Fatalf("the deputy's case page: %d %s", status, page)
		}
		if status, page := b.post("/d/cases/"+c.Number+"/move", url.Values{"to": {"up"}, "reason": {" "}}); status != http.StatusOK || !strings.Contains(page, "请说明请求转交上级人大的原因（reason）") {
			t.Fatalf("a request without a reason: %d %s", status, page)
		}
		if status, page := b.post("/d/cases/"+c.Number+"/move", url.Values{"to": {"up"}, "reason": {"属区级公交规划，需区人大推动"}}); status != http.StatusOK || !strings.Contains(page, "转出请求已交工作人员决定") {
			t.Fatalf("the request: %d %s", status, page)
		}
		after, events := e.caseOf(t, c.Number)
		if !strings.Contains(timeline(events), "move_asked: 请求转交上级人大。原因：属区级公交规划，需区人大推动") || after.StationID != c.StationID {
			t.Errorf("after the request: %+v\n%s", after, timeline(events))
		}
		if got := staffAlertsAt(t, e, "demo-bdg", c.ID); !strings.Contains(got, "李建国代表请求将问题 "+c.Number+" 转交上级人大，原因：属区级公交规划，需区人大推动。请在工作台的问题页决定是否转出。") {
			t.Errorf("the station's staff alerts: %q", got)
		}
		if got := auditLines(t, e); !strings.Contains(got, "deputy:demo-d02 deputy_move_request "+c.Number) {
			t.Errorf("the audit log lacks the request:\n%s", got)
		}
		// The staff read the request on the timeline; the citizen does not.
		sec := signedInStaff(t, e, mashang.StaffUser{Username: "bdgsec", Name: "八大关秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		if _, page := sec.get("/console/cases/" + c.Number); !strings.Contains(page, "请求转交上级人大。原因：属区级公交规划，需区人大推动") {
			t.Errorf("the console's timeline lacks the request")
		}

		if status, out := e.staffPost(t, "/api/cases/"+c.Number+"/close", staffToken, `{"result": "已转有关部门研究"}`); status != http.StatusOK {
			t.Fatalf("close: %d %v", status, out)
		}
		b.get("/d/cases/" + c.Number)
		if status, page := b.post("/d/cases/"+c.Number+"/move", url.Values{"to": {"other"}, "reason": {"再转"}}); status != http.StatusOK || !strings.Contains(page, "已办结，不能转出") {
			t.Errorf("a request on a closed case: %d %s", status, page)
		}
		// Nor does the staff's move form open on it: it says why.
		status, page := sec.get("/console/cases/" + c.Number + "/move")
		if status != http.StatusConflict || !strings.Contains(page, "问题 "+c.Number+" 已办结，不能转出；如需继续办理，请先重新打开") {
			t.Errorf("the move form of a closed case: %d %s", status, page)
		}
		if _, page := sec.get("/console/cases/" + c.Number); strings.Contains(page, "/move\"") {
			t.Errorf("a closed case's page leads to the move form")
		}

		// Reopened, staff decide to move it: the request is settled with
		// the move, and 八大关's staff have nothing left to look at on it.
		if err := e.supervision.Reopen(context.Background(), c.Number, "八大关秘书", "群众补充了情况"); err != nil {
			t.Fatal(err)
		}
		if status, out := e.staffPost(t, "/api/cases/"+c.Number+"/move", staffToken, `{"station": "demo-xhw", "reason": "同意代表意见"}`); status != http.StatusOK || out["status"] != mashang.CaseReopened {
			t.Fatalf("move: %d %v", status, out)
		}
		if got := staffAlertsAt(t, e, "demo-bdg", c.ID); got != "" {
			t.Errorf("八大关's staff still have alerts on the moved case: %q", got)
		}
		if got := staffAlertsAt(t, e, "demo-xhw", c.ID); !strings.Contains(got, "转至本站，原因：同意代表意见") {
			t.Errorf("薛家岛's staff alerts: %q", got)
		}
	})
}
