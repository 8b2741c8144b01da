package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/configs"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// figuresCase raises a case at a station through the Mini Program, as a
// citizen of its own (one citizen's forms moments apart would join).
func figuresCase(t *testing.T, e *env, citizen int, station string) (number, token string) {
	t.Helper()
	token = e.login(t, fmt.Sprintf("oFiguresCitizen%013d", citizen))
	_, out := e.mp(t, "POST", "/mp/cases", token, fmt.Sprintf(`{"request_id": "figures-%d", "scene": "st:%s", "text": "路灯坏了"}`, citizen, station))
	if out["number"] == "" {
		t.Fatalf("raise at %s: %v", station, out)
	}
	return out["number"], token
}

func figuresReply(t *testing.T, e *env, number string) {
	t.Helper()
	if status, body := e.staffReply(t, number, staffToken, `{"text": "已安排维修。"}`); status != http.StatusAccepted {
		t.Fatalf("reply %s: %d %s", number, status, body)
	}
}

func figuresStaffPost(t *testing.T, e *env, path, body string) {
	t.Helper()
	if status, out := e.staffPost(t, path, staffToken, body); status != http.StatusOK {
		t.Fatalf("%s: %d %v", path, status, out)
	}
}

// adminFigures signs an administrator in (reach: everything) and reads the
// figures page with query.
func adminFigures(t *testing.T, e *env, query string) string {
	t.Helper()
	return figuresPage(t, adminBrowser(t, e), query)
}

func adminBrowser(t *testing.T, e *env) *staffBrowser {
	t.Helper()
	e.addStaff(t, mashang.StaffUser{Username: "figadmin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
	b := e.browser(t)
	b.login("figadmin", staffPassword)
	return b
}

func figuresPage(t *testing.T, b *staffBrowser, query string) string {
	t.Helper()
	status, page := b.get("/console/figures" + query)
	if status != http.StatusOK {
		t.Fatalf("figures%s: %d %s", query, status, page)
	}
	return page
}

// A period without a single case has no rate to show: the console and the
// public pages say "—", never "0.0%", which would read as a failure.
func TestAPeriodWithNoCasesShowsADashNeverZeroPercent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		page := adminFigures(t, e, "?from=2001-01-01&to=2001-12-31")
		for _, want := range []string{"收集 <strong>0</strong> 件，办结 <strong>0</strong> 件（—）", "按期办结率 <strong>—</strong>", "满意率 <strong>—</strong>", "答复率 <strong>—</strong>"} {
			if !strings.Contains(page, want) {
				t.Errorf("figures of an empty period lack %q", want)
			}
		}
		if strings.Contains(page, "0.0%") {
			t.Errorf("figures of an empty period show 0.0%%: %s", page)
		}
		for _, path := range []string{"/wall", "/stations/demo-bdg"} {
			status, body := publicGet(t, e, path)
			if status != http.StatusOK || strings.Contains(body, "0.0%") || !strings.Contains(body, "<strong>—</strong>按期办结率") {
				t.Errorf("%s with no cases: %d %s", path, status, body)
			}
		}
	})
}

// A department's line counts the cases handed to it: handed over, answered
// on time (closed by the deadline ÷ closed and open past it), satisfied
// (of those rated) and re-handled (reopened after the hand-over).
func TestDepartmentRowCountsHandedOnTimeSatisfiedAndReHandled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		const department = "市南区城市管理局"
		reopened, reopenedToken := figuresCase(t, e, 1, "demo-bdg")
		satisfied, satisfiedToken := figuresCase(t, e, 2, "demo-bdg")
		overdue, _ := figuresCase(t, e, 3, "demo-bdg")
		figuresCase(t, e, 4, "demo-bdg") // never handed over: not the department's
		for _, n := range []string{reopened, satisfied, overdue} {
			figuresStaffPost(t, e, "/api/cases/"+n+"/handover", `{"department": "`+department+`", "days": 5}`)
		}
		for _, c := range []struct{ number, token, rating string }{
			{reopened, reopenedToken, `{"verdict": "dissatisfied", "comment": "路灯还是不亮"}`},
			{satisfied, satisfiedToken, `{"verdict": "satisfied"}`},
		} {
			figuresReply(t, e, c.number)
			figuresStaffPost(t, e, "/api/cases/"+c.number+"/close", `{"result": "已修复"}`)
			if status, out := e.mp(t, "POST", "/mp/cases/"+c.number+"/rating", c.token, c.rating); status != http.StatusCreated {
				t.Fatalf("rate %s: %d %v", c.number, status, out)
			}
		}
		raw := storetest.RawSQL(t, e.driver, e.dsn)
		if _, err := raw.ExecContext(context.Background(), `UPDATE cases SET deadline = ? WHERE number = ?`,
			time.Now().Add(-time.Hour).UTC(), overdue); err != nil {
			t.Fatal(err)
		}
		// The supervision sweep marks what is open past its deadline.
		if _, err := e.supervision.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		page := adminFigures(t, e, "")
		// Reopened: open and not yet due, so neither on time nor late; rated
		// dissatisfied. Satisfied: closed on time. Overdue: open past its deadline.
		want := "<td>" + department + "</td><td>3</td><td>50.0%</td><td>50.0%</td><td>1（33.3%）</td>"
		if !strings.Contains(page, want) {
			t.Fatalf("figures lack the department's row %q: %s", want, page)
		}
	})
}

// The reply rate (答复率) is the cases with at least one answer sent ÷ the
// cases collected, however many answers each had.
func TestReplyRateIsCasesWithAnAnswerSentOverCasesCollected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		answered, _ := figuresCase(t, e, 1, "demo-bdg")
		figuresCase(t, e, 2, "demo-bdg")
		figuresCase(t, e, 3, "demo-lsh")
		figuresReply(t, e, answered)
		figuresReply(t, e, answered) // a second answer is still one case answered
		page := adminFigures(t, e, "")
		if want := "已答复 <strong>1</strong> 件，答复率 <strong>33.3%</strong>"; !strings.Contains(page, want) {
			t.Fatalf("figures lack %q: %s", want, page)
		}
	})
}

// The month's ranking puts first the station that answered more of its
// cases, then the one closing more on time; a station with nothing to
// measure is never ranked up for it.
func TestMonthlyRankingOrdersStationsByReplyRateThenOnTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		// demo-bdg: 1 of 2 answered (50%). demo-lsh: 1 of 1 answered (100%).
		// demo-xhw: 1 of 1 answered and closed on time: 100%, on time 100%.
		bdg, _ := figuresCase(t, e, 1, "demo-bdg")
		figuresCase(t, e, 2, "demo-bdg")
		lsh, _ := figuresCase(t, e, 3, "demo-lsh")
		xhw, _ := figuresCase(t, e, 4, "demo-xhw")
		for _, n := range []string{bdg, lsh, xhw} {
			figuresReply(t, e, n)
		}
		figuresStaffPost(t, e, "/api/cases/"+xhw+"/close", `{"result": "已修复"}`)
		month := time.Now().In(mashang.China).Format("2006-01")
		b := adminBrowser(t, e)
		page := figuresPage(t, b, "?month="+month)
		at := strings.Index(page, `id="ranking"`)
		if at < 0 {
			t.Fatalf("figures have no monthly ranking: %s", page)
		}
		ranking := page[at:]
		var places []int
		for _, code := range []string{"demo-xhw", "demo-lsh", "demo-bdg"} {
			name := stationName(t, e, code)
			places = append(places, strings.Index(ranking, "<td>"+name+"</td>"))
		}
		if places[0] < 0 || places[1] < 0 || places[2] < 0 || places[0] > places[1] || places[1] > places[2] {
			t.Fatalf("ranking order (xhw, lsh, bdg) at %v: %s", places, ranking)
		}
		if !strings.Contains(ranking, "<td>1</td>") || !strings.Contains(ranking, "<td>3</td>") {
			t.Fatalf("ranking lacks its places: %s", ranking)
		}
		if status, _ := b.get("/console/figures?month=2026-13"); status != http.StatusBadRequest {
			t.Fatal("a month that does not exist was accepted")
		}
	})
}

// stationName reads a station's name from its public page's title.
func stationName(t *testing.T, e *env, code string) string {
	t.Helper()
	_, page := publicGet(t, e, "/stations/"+code)
	start := strings.Index(page, "<title>")
	end := strings.Index(page, "</title>")
	if start < 0 || end < start {
		t.Fatalf("station %s has no title: %s", code, page)
	}
	name, _, _ := strings.Cut(page[start+len("<title>"):end], " ")
	return strings.TrimSpace(strings.Split(name, "·")[0])
}

// Public pages show a rate only when it measures at least
// MASHANG_PUBLIC_MIN_COUNT cases, say "样本不足" below it, and say how each
// figure is counted.
func TestPublicPagesShowARateOnlyAboveTheMinimumCount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		for _, c := range []struct {
			least     int
			want, not string
		}{
			{10, "<strong>样本不足</strong>群众满意率", "100.0%"},
			{1, "<strong>100.0%</strong>群众满意率", "样本不足</strong>"},
		} {
			e := newEnv(t, driver, wechattest.ModeSafe, options{configure: func(cfg *configs.Config) { cfg.HTTP.PublicMinCount = c.least }})
			number, token := figuresCase(t, e, 1, "demo-bdg")
			figuresReply(t, e, number)
			figuresStaffPost(t, e, "/api/cases/"+number+"/close", `{"result": "已修复"}`)
			if status, out := e.mp(t, "POST", "/mp/cases/"+number+"/rating", token, `{"verdict": "satisfied"}`); status != http.StatusCreated {
				t.Fatalf("rate: %d %v", status, out)
			}
			for _, path := range []string{"/wall", "/stations/demo-bdg"} {
				_, body := publicGet(t, e, path)
				if !strings.Contains(body, c.want) || strings.Contains(body, c.not) {
					t.Errorf("minimum %d: %s lacks %q or shows %q: %s", c.least, path, c.want, c.not, body)
				}
				for _, how := range []string{"答复率：已向群众发出答复的件数 ÷ 收集件数", "作出评价的件数", fmt.Sprintf("少于%d件时不公布", c.least)} {
					if !strings.Contains(body, how) {
						t.Errorf("%s does not say how it counts: lacks %q", path, how)
					}
				}
			}
		}
	})
}

// Acknowledged on time (签收及时率) counts each department's hand-overs as
// lead and as co-handler apart: those acknowledged by their deadline out of
// those acknowledged or past it unacknowledged; one still within its
// working day is not measured yet, and a department with nothing to
// measure shows "—". A department that only co-handled has a line too.
func TestDepartmentFiguresShowAcknowledgedOnTimeForLeadAndCoHandling(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		const lead, co, city = "市南区城市管理局", "八大关街道办事处", "青岛市住房和城乡建设局"
		e.addStaff(t, mashang.StaffUser{Username: "jiaoban", Name: "孙交办", Role: mashang.RoleStaff}, "青岛市/市南区", "")
		staff := e.browser(t)
		if status := staff.login("jiaoban", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("staff signs in: %d", status)
		}
		handlers := map[string]*staffBrowser{}
		for name, path := range map[string]string{lead: "青岛市/市南区/市南区城市管理局", co: "青岛市/市南区/八大关街道/八大关街道办事处"} {
			dept, err := e.db.DepartmentByPath(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			username := fmt.Sprintf("ack%d", dept)
			e.addStaff(t, mashang.StaffUser{Username: username, Name: "经办人", Role: mashang.RoleHandler, DepartmentID: dept}, "", "")
			handlers[name] = e.browser(t)
			if status := handlers[name].login(username, staffPassword); status != http.StatusSeeOther {
				t.Fatalf("%s's handler signs in: %d", name, status)
			}
		}
		acknowledge := func(department, number string) {
			t.Helper()
			b := handlers[department]
			if _, said := b.post("/console/cases/"+number+"/do/acknowledge", url.Values{"csrf": {b.csrf}}); !strings.Contains(said, "done: 已签收") {
				t.Fatalf("%s acknowledges %s: %s", department, number, said)
			}
		}
		raw := storetest.RawSQL(t, e.driver, e.dsn)
		lapse := func(department, number string) { // its acknowledgement deadline has passed
			t.Helper()
			if _, err := raw.ExecContext(ctx, `UPDATE case_departments SET ack_due = ?
				WHERE department_id = (SELECT id FROM departments WHERE name = ?) AND case_id = (SELECT id FROM cases WHERE number = ?)`,
				time.Now().Add(-time.Hour).UTC(), department, number); err != nil {
				t.Fatal(err)
			}
		}
		// A: both acknowledge on time.
		a := raiseAndHandOver(t, e, staff, "oAckCitizen00000000000000001", "路灯坏了", lead, co)
		acknowledge(lead, a)
		acknowledge(co, a)
		// B: the lead acknowledges late; the city's bureau, co-handling, is
		// still within its day.
		b := raiseAndHandOver(t, e, staff, "oAckCitizen00000000000000002", "井盖缺失", lead, city)
		lapse(lead, b)
		acknowledge(lead, b)
		// C: the co-handler lets its day pass; the lead is still within its own.
		c := raiseAndHandOver(t, e, staff, "oAckCitizen00000000000000003", "路面积水", lead, co)
		lapse(co, c)

		page := adminFigures(t, e, "")
		for _, want := range []string{
			// 承办单位, 主办: 交办, 按期答复率, 满意率, 二次交办, 签收及时率; 协办: 交办, 签收及时率
			"<td>" + lead + "</td><td>3</td><td>—</td><td>—</td><td>0（0.0%）</td><td>50.0%</td><td>0</td><td>—</td>",
			"<td>" + co + "</td><td>0</td><td>—</td><td>—</td><td>0（—）</td><td>—</td><td>2</td><td>50.0%</td>",
			"<td>" + city + "</td><td>0</td><td>—</td><td>—</td><td>0（—）</td><td>—</td><td>1</td><td>—</td>",
			"签收及时率 = 在签收时限",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("figures lack %q:\n%s", want, page)
			}
		}
		// The lead department's handler reads the same figures for what was
		// handed to it (counted from the cases, not the tallies).
		if page := figuresPage(t, handlers[lead], ""); !strings.Contains(page, "<td>"+lead+"</td><td>3</td><td>—</td><td>—</td><td>0（0.0%）</td><td>50.0%</td><td>0</td><td>—</td>") {
			t.Errorf("the handler's figures: %s", page)
		}
	})
}
