package handlers_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mashang"
	"mashang/configs"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// suggestionClock sets the clocks of the suggestions and the sweep.
type suggestionClock struct{ now time.Time }

func (k *suggestionClock) set(e *env, at time.Time) {
	k.now = at
	e.suggestions.Now = func() time.Time { return k.now }
	e.supervision.Now = func() time.Time { return k.now }
}

// raiseSuggestion has demo-d01 raise a suggestion between sessions with
// demo-d02 co-signing, submitted and accepted (立案) at the clock's time,
// through the domain's steps (the pages are the lifecycle test's).
func raiseSuggestion(t *testing.T, e *env, title string) int64 {
	t.Helper()
	ctx := context.Background()
	lead, err := e.db.DeputyByCode(ctx, "demo-d01")
	if err != nil {
		t.Fatal(err)
	}
	co, err := e.db.DeputyByCode(ctx, "demo-d02")
	if err != nil {
		t.Fatal(err)
	}
	s := e.suggestions
	id, err := s.Save(ctx, lead, 0, mashang.SuggestionInput{Title: title, Matter: "八大关一带人行道砖松动，雨天溅水", Proposal: "统一翻修并定期巡查",
		Category: "城乡建设", Signers: []string{"demo-d02"}})
	if err == nil {
		err = s.Sign(ctx, co, id, true)
	}
	if err == nil {
		err = s.Submit(ctx, lead, id)
	}
	if err == nil {
		err = s.Review(ctx, "市人大", id, mashang.ReviewAccept, "", 0)
	}
	if err != nil {
		t.Fatalf("raise %s: %v", title, err)
	}
	return id
}

// handleSuggestion hands a suggestion to 市南区城市管理局, which
// acknowledges, records a contact and answers A; the deputy is 满意 and
// the office closes it, each step at the clock's time then.
func handleSuggestion(t *testing.T, e *env, k *suggestionClock, id int64, steps map[string]time.Time) {
	t.Helper()
	ctx := context.Background()
	dept, err := e.db.DepartmentByPath(ctx, "青岛市/市南区/市南区城市管理局")
	if err != nil {
		t.Fatal(err)
	}
	lead, err := e.db.DeputyByCode(ctx, "demo-d01")
	if err != nil {
		t.Fatal(err)
	}
	handler := mashang.StaffUser{Name: "城管局经办人", Role: mashang.RoleHandler, DepartmentID: dept}
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	s := e.suggestions
	for _, step := range []struct {
		name string
		do   func() error
	}{
		{"handover", func() error { _, err := s.HandOver(ctx, "市人大", id, dept, nil, false, ""); return err }},
		{"acknowledge", func() error { return s.AcknowledgeSuggestion(ctx, id, handler) }},
		{"answer", func() error {
			if err := s.RecordContact(ctx, id, handler, k.now.Add(-time.Hour), "visit", "到代表所在社区实地察看"); err != nil {
				return err
			}
			return s.Answer(ctx, id, handler, mashang.AnswerInput{Category: "A", Text: "已完成人行道翻修1.2公里，并纳入日常巡查。",
				Letter: []mashang.ResultFile{{Data: pdf}}})
		}},
		{"evaluate", func() error {
			return s.Evaluate(ctx, lead, id, mashang.VerdictSatisfied, mashang.VerdictSatisfied, "办得实在")
		}},
		{"close", func() error { return s.Close(ctx, "市人大", id, "代表满意，办结") }},
	} {
		if at, ok := steps[step.name]; ok {
			k.set(e, at)
		}
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
	}
}

// A suggestion received between sessions just before 国庆 2025 must be
// handed over within five working days: the sweep turns it yellow on the
// make-up Saturday and red once they passed, telling the station's
// secretary and the chair by template message; handed over, the bodies'
// answer deadline rules, and the body is reminded before it and when it
// passed. Staff mark it for key supervision (audited), the board counts
// it beside the cases, and both deputies' duty records have it with points.
func TestSuggestionsSupervisedOnTheBoardWithKeySupervisionAndPoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		cst := mashang.China
		const secretaryOpenID, chairOpenID, handlerOpenID = "oSgSecretary0000000000000001", "oSgChair000000000000000000001", "oSgHandler00000000000000001"
		e.addStaff(t, mashang.StaffUser{Username: "mishu", Name: "王秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		e.addStaff(t, mashang.StaffUser{Username: "zhuren", Name: "李主任", Role: mashang.RoleStaff, Chair: true}, "青岛市/市南区/八大关街道", "")
		e.addStaff(t, mashang.StaffUser{Username: "city", Name: "市人大", Role: mashang.RoleStaff}, "青岛市", "")
		dept, err := e.db.DepartmentByPath(ctx, "青岛市/市南区/市南区城市管理局")
		if err != nil {
			t.Fatal(err)
		}
		e.addStaff(t, mashang.StaffUser{Username: "dept", Name: "城管局经办人", Role: mashang.RoleHandler, DepartmentID: dept}, "", "")
		bindStaffWeChat(t, e, "mishu", secretaryOpenID)
		bindStaffWeChat(t, e, "zhuren", chairOpenID)
		bindStaffWeChat(t, e, "dept", handlerOpenID)

		k := &suggestionClock{}
		k.set(e, time.Date(2025, 9, 30, 10, 0, 0, 0, cst))
		id := raiseSuggestion(t, e, "关于翻修八大关人行道的建议")
		sweep := func(at time.Time) {
			t.Helper()
			k.set(e, at)
			if _, err := e.supervision.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := e.outbox.Drain(ctx); err != nil {
				t.Fatal(err)
			}
		}
		notices := func(openid, light string) []wechattest.Delivery {
			var out []wechattest.Delivery
			for _, d := range e.fake.Delivered(openid) {
				if d.TemplateID == supervisionTemplate && strings.Contains(d.Data["thing3"], light) {
					out = append(out, d)
				}
			}
			return out
		}
		board := func(b *staffBrowser) string {
			t.Helper()
			status, page := b.get("/console/board")
			if status != http.StatusOK {
				t.Fatalf("board: %d", status)
			}
			i := strings.Index(page, "<h3>代表建议</h3>")
			if i < 0 {
				t.Fatalf("the board shows no suggestions:\n%s", page)
			}
			return page[i:]
		}
		city := e.browser(t)
		if city.login("city", staffPassword) != http.StatusSeeOther {
			t.Fatal("city signs in")
		}

		// 8 October is still the holiday: five working days left.
		sweep(time.Date(2025, 10, 8, 18, 0, 0, 0, cst))
		if n := notices(secretaryOpenID, "黄灯"); len(n) != 0 {
			t.Fatalf("yellow in the holiday: %+v", n)
		}
		// The make-up Saturday: two working days left (13 and 14 October).
		sweep(time.Date(2025, 10, 11, 9, 0, 0, 0, cst))
		got := notices(secretaryOpenID, "黄灯")
		if len(got) != 1 || got[0].Data["thing3"] != "黄灯：交办临近期限" || got[0].Data["time4"] != "2025-10-14 23:59" ||
			got[0].Data["thing2"] != "关于翻修八大关人行道的建议" {
			t.Fatalf("the secretary's yellow notice: %+v", got)
		}
		if page := board(city); !strings.Contains(page, "<td>在办建议</td><td>0</td><td>1</td><td>0</td><td>0</td>") {
			t.Fatalf("the board, yellow:\n%s", page)
		}
		// Missed: red, to the chair.
		sweep(time.Date(2025, 10, 15, 8, 0, 0, 0, cst))
		if got := notices(chairOpenID, "红灯"); len(got) != 1 || got[0].Data["thing3"] != "红灯：交办已超期" {
			t.Fatalf("the chair's red notice: %+v", got)
		}

		// Key supervision, from the console, audited.
		status, answer := city.post("/console/suggestions/"+itoa(id)+"/key", url.Values{"csrf": {city.csrf}, "official": {"张副主任"}, "plan": {"每月听取一次办理进展汇报"}})
		if status != http.StatusSeeOther || city.said != "已列为重点督办" {
			t.Fatalf("mark key: %d %s", status, answer)
		}
		if _, page := city.get("/console/suggestions/" + itoa(id)); !strings.Contains(page, "列为重点督办，由张副主任牵头督办。督办方案：每月听取一次办理进展汇报") ||
			!strings.Contains(page, "<strong>重点督办</strong>：张副主任牵头督办") || !strings.Contains(page, `<span class="dot red"></span> 督办灯色：红灯`) {
			t.Fatalf("the page lacks the key supervision or the light:\n%s", page)
		}
		raw := storetest.RawSQL(t, e.driver, e.dsn)
		var audited int
		if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'suggestion_key' AND username = 'city' AND detail LIKE '张副主任%'`).Scan(&audited); err != nil || audited != 1 {
			t.Fatalf("the audit log's key lines: %d %v", audited, err)
		}
		// Without an official, refused, and said why.
		if _, _ = city.post("/console/suggestions/"+itoa(id)+"/key", url.Values{"csrf": {city.csrf}, "plan": {"x"}}); !strings.Contains(city.said, "牵头督办的领导") {
			t.Fatalf("no official: %q", city.said)
		}
		if page := board(city); !strings.Contains(page, "<td>在办建议</td><td>0</td><td>0</td><td>1</td><td>1</td>") {
			t.Fatalf("the board, red and key:\n%s", page)
		}

		// Handed over late on 15 October: the answer's deadline rules now,
		// three months on, 15 January 2026.
		k.set(e, time.Date(2025, 10, 15, 10, 0, 0, 0, cst))
		due, err := e.suggestions.HandOver(ctx, "市人大", id, dept, nil, false, "")
		if err != nil {
			t.Fatal(err)
		}
		if d := due.In(cst).Format(time.DateOnly); d != "2026-01-15" {
			t.Fatalf("due %s", d)
		}
		if err := e.suggestions.AcknowledgeSuggestion(ctx, id, mashang.StaffUser{Name: "城管局经办人", Role: mashang.RoleHandler, DepartmentID: dept}); err != nil {
			t.Fatal(err)
		}
		sweep(time.Date(2025, 10, 16, 9, 0, 0, 0, cst))
		if page := board(city); !strings.Contains(page, "<td>在办建议</td><td>1</td><td>0</td><td>0</td><td>1</td>") {
			t.Fatalf("the board, handed over:\n%s", page)
		}
		// Ten working days before the deadline the body is reminded, once.
		sweep(time.Date(2026, 1, 5, 9, 0, 0, 0, cst))
		sweep(time.Date(2026, 1, 6, 9, 0, 0, 0, cst))
		if got := notices(handlerOpenID, "建议即将到期"); len(got) != 1 || got[0].Data["thing3"] != "建议即将到期：主办，请答复" ||
			got[0].Data["time4"] != "2026-01-15 23:59" || !strings.Contains(got[0].URL, "/h/suggestions/"+itoa(id)) {
			t.Fatalf("the body's reminder: %+v", got)
		}
		// Past it: red, and the body told once.
		sweep(time.Date(2026, 1, 16, 9, 0, 0, 0, cst))
		sweep(time.Date(2026, 1, 17, 9, 0, 0, 0, cst))
		if got := notices(handlerOpenID, "建议已超期"); len(got) != 1 {
			t.Fatalf("the body's overdue notice: %+v", got)
		}
		if got := notices(chairOpenID, "红灯：答复已超期"); len(got) != 1 {
			t.Fatalf("the chair's red notice for the answer: %+v", got)
		}

		// Both deputies' duty records have it, with the rules' points.
		for code, want := range map[string]string{"demo-d01": "领衔提出建议 5", "demo-d02": "联名提出建议 2"} {
			dep, err := e.db.DeputyByCode(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			record, err := e.db.DutyRecord(ctx, dep.ID, 20)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, l := range record {
				lines = append(lines, l.Label()+" "+itoa(int64(l.Points)))
			}
			if len(lines) != 1 || lines[0] != want {
				t.Errorf("%s's duty record: %v, want [%s]", code, lines, want)
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// The figures of a small set by body and deputy, and both Excel files
// opened and read cell by cell; the public page shows only handled
// suggestions, with no deputy's name unless the congress publishes them.
func TestSuggestionFiguresExcelAndPublicPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		cst := mashang.China
		e.addStaff(t, mashang.StaffUser{Username: "city", Name: "市人大", Role: mashang.RoleStaff}, "青岛市", "")
		k := &suggestionClock{}
		// Handled within the year the public page covers (this year).
		now := time.Now().In(cst)
		start := now.Add(-2 * time.Hour)
		k.set(e, start)
		handled := raiseSuggestion(t, e, "关于翻修八大关人行道的建议")
		handleSuggestion(t, e, k, handled, map[string]time.Time{"answer": start.Add(time.Hour), "close": now})
		k.set(e, now)
		raiseSuggestion(t, e, "关于增设公交站台的建议") // accepted, not handled
		lead, _ := e.db.DeputyByCode(ctx, "demo-d01")
		co, _ := e.db.DeputyByCode(ctx, "demo-d02")

		city := e.browser(t)
		if city.login("city", staffPassword) != http.StatusSeeOther {
			t.Fatal("city signs in")
		}
		period := url.Values{"from": {start.AddDate(0, 0, -1).Format(time.DateOnly)}, "to": {now.AddDate(0, 0, 1).Format(time.DateOnly)}}.Encode()
		status, page := city.get("/console/suggestion-figures?" + period)
		if status != http.StatusOK {
			t.Fatalf("figures: %d %s", status, page)
		}
		for _, want := range []string{
			// 城管局: handed 1, led 1, acknowledged in time, answered in time,
			// one contact, answered 1: A, satisfied, implemented, not re-handled.
			"<tr><td>市南区城市管理局</td><td>1</td><td>1</td><td>100.0%</td><td>100.0%</td>\n      <td>1（1次）</td><td>1</td><td>1</td><td>0</td><td>0</td>\n      <td>100.0%</td><td>100.0%</td><td>0</td></tr>",
			"<tr><td>" + lead.Name + "</td><td>2</td><td>2</td><td>0</td>\n      <td>1</td><td>0</td><td>0</td><td>1</td></tr>",
			"<tr><td>" + co.Name + "</td><td>2</td><td>0</td><td>2</td>\n      <td>0</td><td>0</td><td>0</td><td>1</td></tr>",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("figures lack %q:\n%s", want, page)
			}
		}

		// The suggestion list (建议汇总表).
		book := openBook(t, city, "/console/suggestions.xlsx?"+period)
		rows, err := book.GetRows("建议汇总表")
		if err != nil || len(rows) != 3 {
			t.Fatalf("the list's rows: %v %v", rows, err)
		}
		header := map[string]int{}
		for i, h := range rows[0] {
			header[h] = i
		}
		var first []string
		for _, r := range rows[1:] {
			if r[header["标题"]] == "关于翻修八大关人行道的建议" {
				first = r
			}
		}
		for col, want := range map[string]string{"领衔代表": lead.Name, "联名代表": co.Name, "主办单位": "市南区城市管理局", "状态": "已办结",
			"答复类别": "A", "是否落实": "是", "代表评价": "满意", "分类": "城乡建设"} {
			if first == nil || first[header[col]] != want {
				t.Errorf("the list's %s: %v, want %q", col, first, want)
			}
		}
		// The handling statistics (办理情况统计表).
		book = openBook(t, city, "/console/suggestion-stats.xlsx?"+period)
		bodies, err := book.GetRows("按承办单位")
		if err != nil || len(bodies) != 3 {
			t.Fatalf("the statistics by body: %v %v", bodies, err)
		}
		want := []string{"市南区城市管理局", "1", "1", "100.0%", "100.0%", "1", "1", "1", "1", "0", "0", "1", "100.0%", "1", "100.0%", "0"}
		if strings.Join(bodies[1], "|") != strings.Join(want, "|") || bodies[2][0] != "合计" {
			t.Errorf("the body's line: %v, want %v (then 合计: %v)", bodies[1], want, bodies[2])
		}
		deputies, err := book.GetRows("按代表")
		if err != nil || len(deputies) != 3 {
			t.Fatalf("the statistics by deputy: %v %v", deputies, err)
		}
		if how, _ := book.GetRows("统计口径"); len(how) < 5 {
			t.Errorf("how the figures are counted: %v", how)
		}
		raw := storetest.RawSQL(t, e.driver, e.dsn)
		var exports int
		if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ('export_suggestion_list', 'export_suggestion_stats') AND username = 'city'`).Scan(&exports); err != nil || exports != 2 {
			t.Fatalf("the exports audited: %d %v", exports, err)
		}

		// The public page: the handled one only, no name.
		resp, err := http.Get(e.srv.URL + "/suggestions")
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		for _, want := range []string{"关于翻修八大关人行道的建议", "市南区城市管理局（主办）", "A类", "已完成人行道翻修1.2公里", "样本不足", "落实率"} {
			if !strings.Contains(body, want) {
				t.Errorf("the public page lacks %q:\n%s", want, body)
			}
		}
		for _, never := range []string{"关于增设公交站台的建议", lead.Name, co.Name} {
			if strings.Contains(body, never) {
				t.Errorf("the public page shows %q", never)
			}
		}
	})
}

// Where the congress publishes its deputies' suggestions by name
// (MASHANG_PUBLIC_SUGGESTION_NAMES), the public page names them.
func TestPublicSuggestionsNameDeputiesOnlyWhenSet(t *testing.T) {
	e := newEnv(t, "sqlite", wechattest.ModeSafe, options{configure: func(cfg *configs.Config) { cfg.HTTP.PublicSuggestionNames = true }})
	k := &suggestionClock{}
	now := time.Now()
	k.set(e, now.Add(-time.Hour))
	id := raiseSuggestion(t, e, "关于翻修八大关人行道的建议")
	handleSuggestion(t, e, k, id, map[string]time.Time{"close": now})
	lead, _ := e.db.DeputyByCode(context.Background(), "demo-d01")
	resp, err := http.Get(e.srv.URL + "/suggestions")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); !strings.Contains(body, lead.Name+"代表等2位代表提出") {
		t.Errorf("the public page does not name the deputies:\n%s", body)
	}
}

// openBook downloads an Excel file in the browser's session and opens it.
func openBook(t *testing.T, b *staffBrowser, path string) *excelize.File {
	t.Helper()
	resp, body := b.fetch(path)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
	}
	book, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { book.Close() })
	return book
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
