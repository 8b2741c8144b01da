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

// closedCase has citizen scan at at, write, and (when department is set)
// the case handed over to it, then closed by staff an hour after at (the
// supervision's clock): the closing notice, asking for a rating, is
// delivered. It gives the case.
func (e *env) closedCase(t *testing.T, citizen string, msgID int64, text, department string, at time.Time) mashang.Case {
	t.Helper()
	e.supervision.Now = func() time.Time { return at.Add(time.Hour) }
	e.say(t, wechattest.SubscribeByScan(account, citizen, "st:demo-bdg", at))
	c, _ := e.caseOf(t, e.say(t, wechattest.Text(account, citizen, msgID, text, at.Add(time.Minute))))
	e.fake.Follow(citizen)
	e.fake.UserMessaged(citizen)
	if department != "" {
		if status, out := e.staffPost(t, "/api/cases/"+c.Number+"/handover", staffToken, `{"department": "`+department+`", "days": 5}`); status != http.StatusOK {
			t.Fatalf("hand over: %d %v", status, out)
		}
	}
	if status, out := e.staffPost(t, "/api/cases/"+c.Number+"/close", staffToken, `{"result": "已派人处理完毕"}`); status != http.StatusOK {
		t.Fatalf("close: %d %v", status, out)
	}
	e.drainAt(t, at.Add(time.Hour+4*time.Minute))
	return c
}

// caseNow reads a case as it stands, with its timeline.
func (e *env) caseNow(t *testing.T, number string) (mashang.Case, string) {
	t.Helper()
	c, events := e.caseOf(t, number)
	return c, timeline(events)
}

func (e *env) citizenCases(t *testing.T, openid string) []mashang.Case {
	t.Helper()
	cases, err := e.db.CitizenCases(context.Background(), openid, 10)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// The closing notice asks the citizen, plainly, to reply 1, 2 or 3 and
// whether the matter may be shown on the results wall; replying `1同意`
// rates the answer satisfied and records the consent, without opening a
// case; a second `1` is told it was rated; a new matter sent afterwards is
// still a new case.
func TestReplyingOneAfterClosingRatesSatisfiedAndConsents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{configure: withProgressTemplate})
		const citizen = "oRateOne000000000000000001"
		at := time.Date(2025, 11, 3, 8, 0, 0, 0, mashang.China)
		c := e.closedCase(t, citizen, 9101, "小区门口的路灯坏了一个多月", "", at)

		got := e.fake.Delivered(citizen)
		last := got[len(got)-1]
		for _, want := range []string{"已办结。办理结果：已派人处理完毕", "直接回复一个数字", "1 满意", "3 不满意", "代表回音壁", "“1同意”", "7天内", e.srv.URL + "/c/" + c.Number} {
			if !strings.Contains(last.Text, want) {
				t.Errorf("the closing notice lacks %q:\n%s", want, last.Text)
			}
		}

		reply := e.say(t, wechattest.Text(account, citizen, 9102, "1同意", at.Add(2*time.Hour)))
		if !strings.Contains(reply, "感谢您的评价") || !strings.Contains(reply, "满意") || !strings.Contains(reply, c.Number) {
			t.Fatalf("the reply to 1同意: %q", reply)
		}
		now, tl := e.caseNow(t, c.Number)
		if now.Rating != mashang.RatingSatisfied || !now.PublicConsent || now.Status != mashang.CaseClosed {
			t.Fatalf("after 1同意: rating %q, consent %v, status %q", now.Rating, now.PublicConsent, now.Status)
		}
		if !strings.Contains(tl, "rated: 群众评价：满意。同意隐去个人信息后在代表回音壁公开") {
			t.Fatalf("the timeline:\n%s", tl)
		}
		if n := len(e.citizenCases(t, citizen)); n != 1 {
			t.Fatalf("the rating opened a case: %d cases", n)
		}

		if reply := e.say(t, wechattest.Text(account, citizen, 9103, "1", at.Add(3*time.Hour))); !strings.Contains(reply, "已评价过") {
			t.Fatalf("a second 1: %q", reply)
		}
		reply = e.say(t, wechattest.Text(account, citizen, 9104, "1号楼电梯又坏了，请派人修", at.Add(4*time.Hour)))
		if !strings.Contains(reply, "已收到您反映的问题") {
			t.Fatalf("a new matter after closing: %q", reply)
		}
		if cases := e.citizenCases(t, citizen); len(cases) != 2 || cases[0].Number == c.Number {
			t.Fatalf("a new matter after closing made no new case: %+v", cases)
		}
	})
}

// `3` after closing rates the answer 不满意 and asks why; the citizen's
// next text is the reason. The case goes back to the department it was
// handed to, with a new deadline ten working days on (二次交办), whose
// handler hears it through the template message; the citizen hears the
// reopening through the progress notice.
func TestDissatisfiedGoesBackToTheSameDepartmentWithANewDeadline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{configure: withProgressTemplate})
		ctx := context.Background()
		const handler, citizen = "oRedoHandler00000000000001", "oRedoCitizen00000000000001"
		dept, err := e.db.DepartmentByPath(ctx, "青岛市/市南区/市南区城市管理局")
		if err != nil {
			t.Fatal(err)
		}
		e.addStaff(t, mashang.StaffUser{Username: "chengguan", Name: "赵经办", Role: mashang.RoleHandler, DepartmentID: dept}, "", "")
		bindStaffWeChat(t, e, "chengguan", handler)
		at := time.Date(2025, 11, 3, 8, 0, 0, 0, mashang.China) // a Monday
		c := e.closedCase(t, citizen, 9201, "八大关路灯不亮", "市南区城市管理局", at)
		before := len(e.fake.Delivered(handler))

		rated := at.Add(2 * time.Hour)
		reply := e.say(t, wechattest.Text(account, citizen, 9202, "3", rated))
		for _, want := range []string{"不满意", "市南区城市管理局", "2025年11月17日", "请直接回复哪里不满意"} {
			if !strings.Contains(reply, want) {
				t.Errorf("the reply to 3 lacks %q: %q", want, reply)
			}
		}
		if reply := e.say(t, wechattest.Text(account, citizen, 9203, "路灯还是不亮", rated.Add(10*time.Minute))); !strings.Contains(reply, "已收到您说的原因") {
			t.Fatalf("the reason: %q", reply)
		}
		now, tl := e.caseNow(t, c.Number)
		if now.Status != mashang.CaseReopened || now.Rating != mashang.RatingDissatisfied || now.PoorRatings != 1 {
			t.Fatalf("after 3: status %q rating %q poor %d", now.Status, now.Rating, now.PoorRatings)
		}
		for _, want := range []string{"rated: 群众评价：不满意", "reopened: 群众不满意（第1次），二次交办「市南区城市管理局」重新办理，期限10个工作日，至2025年11月17日",
			"rated: 不满意的原因：路灯还是不亮"} {
			if !strings.Contains(tl, want) {
				t.Errorf("the timeline lacks %q:\n%s", want, tl)
			}
		}
		if n := len(e.citizenCases(t, citizen)); n != 1 {
			t.Fatalf("the reason opened a case: %d cases", n)
		}
		// The department's figures count the hand-over once, re-handled,
		// rated, not satisfied; kept tallies and a recount agree.
		from, to := at.Add(-24*time.Hour), at.Add(24*time.Hour)
		for name, read := range map[string]func(context.Context, mashang.Reach, time.Time, time.Time, time.Time) ([]mashang.DepartmentTally, error){
			"kept": e.db.DepartmentFigures, "recounted": e.db.RecountDepartmentFigures} {
			figures, err := read(ctx, mashang.Reach{All: true}, from, to, rated.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if len(figures) != 1 || figures[0].Handed != 1 || figures[0].Reopened != 1 || figures[0].Rated != 1 || figures[0].Satisfied != 0 {
				t.Fatalf("the department's figures (%s): %+v", name, figures)
			}
		}

		e.drainAt(t, rated.Add(15*time.Minute))
		var told []string
		for _, d := range e.fake.Delivered(handler)[before:] {
			if d.TemplateID == supervisionTemplate && d.Data["character_string1"] == c.Number {
				told = append(told, d.Data["thing3"]+" "+d.Data["time4"])
			}
		}
		if len(told) != 1 || told[0] != "二次交办：主办，群众不满意请重办 2025-11-17 23:59" {
			t.Fatalf("the department's handler was told %q", told)
		}
		got := e.fake.Delivered(citizen)
		if last := got[len(got)-1]; !strings.Contains(last.Text, "您对办理结果不满意，已重新交「市南区城市管理局」办理，答复期限至2025年11月17日") {
			t.Fatalf("the citizen's notice: %+v", last)
		}
	})
}

// A reply seven days after closing is not a rating: the case stays not
// rated (never satisfied), and the text is taken as any other.
func TestAReplyAfterSevenDaysIsNotARating(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{configure: withProgressTemplate})
		const citizen = "oRateLate0000000000000001"
		at := time.Date(2025, 11, 3, 8, 0, 0, 0, mashang.China)
		c := e.closedCase(t, citizen, 9301, "垃圾桶满了没人清", "", at)
		reply := e.say(t, wechattest.Text(account, citizen, 9302, "1", at.Add(8*24*time.Hour)))
		if strings.Contains(reply, "感谢您的评价") {
			t.Fatalf("a reply after 7 days rated: %q", reply)
		}
		if now, tl := e.caseNow(t, c.Number); now.Rating != "" || strings.Contains(tl, "rated:") {
			t.Fatalf("rating %q after a late reply:\n%s", now.Rating, tl)
		}
	})
}

// A citizen who has not rated hears one reminder, RemindAfter (3 days)
// after closing; one who rated meanwhile hears none; the sweep running
// again sends nothing more.
func TestTheRatingReminderIsSentOnceAndNotAfterRating(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{configure: withProgressTemplate})
		ctx := context.Background()
		const silent, rater = "oRemindSilent00000000000001", "oRemindRater000000000000001"
		at := time.Date(2025, 11, 3, 8, 0, 0, 0, mashang.China)
		quiet := e.closedCase(t, silent, 9401, "井盖松动", "", at)
		e.closedCase(t, rater, 9402, "树枝挡住红绿灯", "", at)
		if reply := e.say(t, wechattest.Text(account, rater, 9403, "2", at.Add(24*time.Hour))); !strings.Contains(reply, "基本满意") {
			t.Fatalf("the rater's 2: %q", reply)
		}
		remind := func(after time.Duration) int {
			t.Helper()
			e.ratings.Now = func() time.Time { return at.Add(time.Hour + after) }
			n, err := e.ratings.Remind(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := remind(2 * 24 * time.Hour); n != 0 {
			t.Fatalf("reminded %d before 3 days", n)
		}
		before := map[string]int{silent: len(e.fake.Delivered(silent)), rater: len(e.fake.Delivered(rater))}
		if n := remind(3*24*time.Hour + time.Minute); n != 1 {
			t.Fatalf("reminded %d after 3 days, want the silent one", n)
		}
		if n := remind(4 * 24 * time.Hour); n != 0 {
			t.Fatalf("reminded %d again", n)
		}
		e.drainAt(t, at.Add(4*24*time.Hour+2*time.Hour))
		got := e.fake.Delivered(silent)[before[silent]:]
		if len(got) != 1 || !(strings.Contains(got[0].Text, "还没有收到您的评价") ||
			got[0].TemplateID == progressTemplate && got[0].Data["phrase2"] == "请您评价" && got[0].URL == e.srv.URL+"/c/"+quiet.Number) {
			t.Fatalf("the silent citizen's reminder: %+v", got)
		}
		if got := e.fake.Delivered(rater)[before[rater]:]; len(got) != 0 {
			t.Fatalf("the rater was reminded: %+v", got)
		}
		// After 7 days the silent citizen's case counts as not rated: the
		// figures rate one case of two, never the silent one as satisfied.
		figures, err := e.db.FigureGroups(ctx, mashang.Reach{All: true}, at.Add(-24*time.Hour), at.Add(24*time.Hour), at.Add(8*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var total mashang.Tally
		for _, g := range figures {
			total.Closed, total.Rated, total.Satisfied = total.Closed+g.Closed, total.Rated+g.Rated, total.Satisfied+g.Satisfied
		}
		if total.Closed != 2 || total.Rated != 1 || total.Satisfied != 1 {
			t.Fatalf("the figures after 7 days: %+v", total)
		}
	})
}

// The case page carries the rating form once the case is answered: 不满意
// without a reason is refused in Chinese, a verdict with the consent box
// rates, and the page then shows the rating instead of the form. Another
// citizen, with a page token of their own, cannot rate the case (404).
func TestTheCasePageFormRates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{configure: withProgressTemplate})
		const citizen, other = "oRatePage000000000000000001", "oRatePage000000000000000002"
		at := time.Date(2025, 11, 3, 8, 0, 0, 0, mashang.China)
		c := e.closedCase(t, citizen, 9501, "公园长椅坏了", "", at)
		theirs := e.closedCase(t, other, 9502, "公园路灯坏了", "", at)

		phone := e.wechatBrowser(t, citizen)
		status, page := phone.get("/c/" + c.Number)
		if status != http.StatusOK || !strings.Contains(page, "请您评价办理结果") || phone.csrf == "" {
			t.Fatalf("the page has no rating form: %d\n%s", status, page)
		}
		_, page = phone.post("/c/"+c.Number+"/rating", url.Values{"verdict": {"dissatisfied"}})
		if !strings.Contains(page, "请写下哪里不满意") || !strings.Contains(page, "请您评价办理结果") {
			t.Fatalf("不满意 without a reason:\n%s", page)
		}

		stranger := e.wechatBrowser(t, other)
		if status, _ := stranger.get("/c/" + theirs.Number); status != http.StatusOK || stranger.csrf == "" {
			t.Fatalf("the other citizen's own page: %d", status)
		}
		if status, _ := stranger.post("/c/"+c.Number+"/rating", url.Values{"verdict": {"satisfied"}}); status != http.StatusNotFound {
			t.Fatalf("another citizen rates the case: %d", status)
		}

		status, page = phone.post("/c/"+c.Number+"/rating", url.Values{"verdict": {"basically_satisfied"}, "comment": {"处理及时"}, "consent": {"1"}})
		if status != http.StatusOK || !strings.Contains(page, "感谢您的评价") || !strings.Contains(page, "您的评价") ||
			!strings.Contains(page, "基本满意：处理及时") || strings.Contains(page, "请您评价办理结果") {
			t.Fatalf("after rating: %d\n%s", status, page)
		}
		now, _ := e.caseNow(t, c.Number)
		if now.Rating != mashang.RatingBasically || !now.PublicConsent {
			t.Fatalf("rating %q consent %v", now.Rating, now.PublicConsent)
		}
		if _, page := phone.post("/c/"+c.Number+"/rating", url.Values{"verdict": {"satisfied"}, "csrf": {"forged"}}); !strings.Contains(page, "页面已过期") {
			t.Fatalf("a forged token:\n%s", page)
		}
	})
}
