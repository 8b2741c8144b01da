package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/handlers"
	"mashang/store"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// auditedAs finds the audit line of an action on target, by username.
func auditedAs(t *testing.T, e *env, username, target, action string) mashang.AuditEntry {
	t.Helper()
	lines, err := e.db.AuditLines(context.Background(), mashang.AuditFilter{Username: username, Target: target, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if l.Action == action {
			return l
		}
	}
	t.Fatalf("no audit line of %s on %s by %s: %+v", action, target, username, lines)
	return mashang.AuditEntry{}
}

// shinanHandler signs in a handler of 市南区城市管理局.
func shinanHandler(t *testing.T, e *env) *staffBrowser {
	t.Helper()
	dept, err := e.db.DepartmentByPath(context.Background(), "青岛市/市南区/市南区城市管理局")
	if err != nil {
		t.Fatal(err)
	}
	e.addStaff(t, mashang.StaffUser{Username: "dept", Name: "城管局经办人", Role: mashang.RoleHandler, DepartmentID: dept}, "", "")
	b := e.browser(t)
	if status := b.login("dept", staffPassword); status != http.StatusSeeOther {
		t.Fatalf("the handler signs in: %d", status)
	}
	return b
}

// raiseAndClose raises a case at station with the citizen's consent to
// publication and closes it through the staff API.
func raiseAndClose(t *testing.T, e *env, id, station, text, result string) string {
	t.Helper()
	_, out := e.mp(t, "POST", "/mp/cases", e.login(t, "oWallTodo"+strings.Repeat("0", 20-len(id))+id), `{"request_id": "walltodo-`+id+`", "scene": "st:`+station+`", "public": true, "text": "`+text+`"}`)
	number := out["number"]
	if number == "" {
		t.Fatalf("raise: %v", out)
	}
	if status, out := e.staffPost(t, "/api/cases/"+number+"/close", staffToken, `{"result": "`+result+`"}`); status != http.StatusOK {
		t.Fatalf("close %s: %d %v", number, status, out)
	}
	return number
}

// Publishing is a staff decision: a consented closed case is not on the
// wall until a staff member within reach publishes it; the wall shows the
// text as they edited it; staff of another station cannot publish it;
// taking it down (with a reason) removes it; a case reopened after
// publication leaves the wall until published again. Each decision is
// audited and on the case's timeline for staff.
func TestWallShowsOnlyWhatStaffPublishedAsEdited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		number := raiseAndClose(t, e, "pub1", "demo-bdg", "门口路灯坏了一周，晚上很黑", "已更换灯泡")
		if _, wall := publicGet(t, e, "/wall"); strings.Contains(wall, "门口路灯坏了") {
			t.Fatal("a consented closed case is on the wall before anyone published it")
		}

		// 薛家岛's secretary does not reach a 八大关 case: not found, and
		// their wall page does not offer it.
		e.addStaff(t, mashang.StaffUser{Username: "xhwsec", Name: "薛家岛秘书", Role: mashang.RoleSecretary}, "", "demo-xhw")
		other := e.browser(t)
		other.login("xhwsec", staffPassword)
		if _, page := other.get("/console/wall"); strings.Contains(page, number) {
			t.Error("another station's secretary is offered the case")
		}
		if status, _ := other.post("/console/wall/"+number+"/publish", url.Values{"csrf": {other.csrf}, "problem": {"路灯"}, "result": {"修好了"}}); status != http.StatusNotFound {
			t.Fatalf("another station's secretary publishes: %d", status)
		}
		// A department's handler publishes nothing.
		handler := shinanHandler(t, e)
		if status, _ := handler.post("/console/wall/"+number+"/publish", url.Values{"csrf": {handler.csrf}, "problem": {"路灯"}, "result": {"修好了"}}); status != http.StatusForbidden {
			t.Fatalf("a handler publishes: %d", status)
		}

		b := wallStaff(t, e)
		if problem, _ := offered(t, b, number); problem != "门口路灯坏了一周，晚上很黑" {
			t.Fatalf("offered: %q", problem)
		}
		b.post("/console/wall/"+number+"/publish", url.Values{"csrf": {b.csrf}, "problem": {"某小区门口路灯损坏"}, "result": {"街道已更换灯泡，恢复照明"}})
		if b.said != "已发布到代表回音壁" {
			t.Fatalf("publish: %q", b.said)
		}
		_, wall := publicGet(t, e, "/wall")
		if !strings.Contains(wall, "某小区门口路灯损坏") || !strings.Contains(wall, "街道已更换灯泡，恢复照明") || strings.Contains(wall, "晚上很黑") {
			t.Fatalf("the wall does not show the text as published: %s", wall)
		}
		if l := auditedAs(t, e, "wallcity", number, mashang.ActPublish); !strings.Contains(l.Detail, "某小区门口路灯损坏") {
			t.Errorf("audit line: %+v", l)
		}
		if _, page := b.get("/console/cases/" + number); !strings.Contains(page, "发布到代表回音壁：某小区门口路灯损坏") {
			t.Error("the timeline lacks the publication")
		}
		if _, page := b.get("/console/wall"); strings.Contains(page, `id="`+number+`"`) || !strings.Contains(page, "周发布") {
			t.Errorf("the wall page still offers the published case, or does not list it as published: %s", page)
		}

		// Taken down: a reason is needed.
		b.post("/console/wall/"+number+"/unpublish", url.Values{"csrf": {b.csrf}, "reason": {" "}})
		if b.said != "请说明撤下的原因" {
			t.Fatalf("unpublish without a reason: %q", b.said)
		}
		b.post("/console/wall/"+number+"/unpublish", url.Values{"csrf": {b.csrf}, "reason": {"群众来电要求撤下"}})
		if b.said != "已从代表回音壁撤下" {
			t.Fatalf("unpublish: %q", b.said)
		}
		if _, wall := publicGet(t, e, "/wall"); strings.Contains(wall, "某小区门口路灯损坏") {
			t.Fatal("the wall still shows a case taken down")
		}
		if l := auditedAs(t, e, "wallcity", number, mashang.ActUnpublish); l.Detail != "群众来电要求撤下" {
			t.Errorf("audit line: %+v", l)
		}
		if _, page := b.get("/console/cases/" + number); !strings.Contains(page, "从代表回音壁撤下：群众来电要求撤下") {
			t.Error("the timeline lacks the taking down")
		}

		// Published again, then reopened and closed again: off the wall,
		// and waiting again, until it is published again.
		b.post("/console/wall/"+number+"/publish", url.Values{"csrf": {b.csrf}, "problem": {"某小区门口路灯损坏"}, "result": {"已更换灯泡"}})
		b.post("/console/cases/"+number+"/do/reopen", url.Values{"csrf": {b.csrf}, "reason": {"又坏了"}})
		if _, wall := publicGet(t, e, "/wall"); strings.Contains(wall, "某小区门口路灯损坏") {
			t.Fatal("a reopened case is still on the wall")
		}
		if status, out := e.staffPost(t, "/api/cases/"+number+"/close", staffToken, `{"result": "已更换整套灯具"}`); status != http.StatusOK {
			t.Fatalf("close again: %d %v", status, out)
		}
		if _, wall := publicGet(t, e, "/wall"); strings.Contains(wall, "某小区门口路灯损坏") {
			t.Fatal("a case closed again is on the wall before it was published again")
		}
		if _, result := offered(t, b, number); result != "已更换整套灯具" {
			t.Fatalf("offered again: %q", result)
		}
	})
}

var todoCount = regexp.MustCompile(`id="todo-count">([0-9+]+)<`)

// headerCount is the to-do count in the console's header, "" for none.
func headerCount(b *staffBrowser, path string) string {
	b.t.Helper()
	_, page := b.get(path)
	if m := todoCount.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return ""
}

// todoRows are the to-do list's rows, by kind.
func todoRows(b *staffBrowser) map[string][]string {
	b.t.Helper()
	_, page := b.get("/console/todo")
	out := map[string][]string{}
	for _, m := range regexp.MustCompile(`(?s)<tr class="todo-item" data-kind="([a-z]+)">(.*?)</tr>`).FindAllStringSubmatch(page, -1) {
		out[m[1]] = append(out[m[1]], m[2])
	}
	return out
}

// has tells whether a row of kind mentions text.
func has(rows map[string][]string, kind, text string) bool {
	for _, r := range rows[kind] {
		if strings.Contains(r, text) {
			return true
		}
	}
	return false
}

// The to-do list shows, within reach, every source of what waits on staff —
// an alert, a hand-over not acknowledged in time, a 不满意 rating, a
// department's result and a deputy's draft to review and send, a case
// waiting for the wall — each leaving when the thing it asks is done or
// with one audited click; the header counts them on every page.
func TestTodoListShowsEachSourceAndItLeavesWhenDone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		e.addStaff(t, mashang.StaffUser{Username: "shinan", Name: "吴区人大", Role: mashang.RoleStaff}, "青岛市/市南区", "")
		e.addStaff(t, mashang.StaffUser{Username: "xhwsec", Name: "薛家岛秘书", Role: mashang.RoleSecretary}, "", "demo-xhw")
		b, other := e.browser(t), e.browser(t)
		b.login("shinan", staffPassword)
		other.login("xhwsec", staffPassword)
		if n := headerCount(b, "/console/"); n != "0" {
			t.Fatalf("an empty to-do list counts %q", n)
		}

		// A wall item.
		wall := raiseAndClose(t, e, "todo1", "demo-bdg", "小区路面坑洼", "已修补路面")
		// A hand-over a working week ago, not acknowledged.
		token := e.login(t, "oTodoCitizen00000000000001")
		_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "todo-case-2", "scene": "st:demo-bdg", "text": "排水沟堵塞"}`)
		handed := out["number"]
		e.supervision.Now = func() time.Time { return time.Now().AddDate(0, 0, -8) }
		if status, out := e.staffPost(t, "/api/cases/"+handed+"/handover", staffToken, `{"department": "市南区城市管理局", "days": 10}`); status != http.StatusOK {
			t.Fatalf("hand over: %d %v", status, out)
		}
		e.supervision.Now = nil
		// A deputy's draft, which also alerts the station's staff (the
		// deputy's pages are tested in deputy_test.go).
		_, out = e.mp(t, "POST", "/mp/cases", e.login(t, "oTodoCitizen00000000000002"), `{"request_id": "todo-case-3", "scene": "st:demo-bdg", "text": "楼道灯不亮"}`)
		drafted := out["number"]
		if err := e.supervision.Draft(ctx, drafted, mashang.Deputy{ID: 1, Name: "李建国"}, "已联系物业，明天修好。"); err != nil {
			t.Fatal(err)
		}
		// A 不满意 rating reopens a case.
		_, out = e.mp(t, "POST", "/mp/cases", e.login(t, "oTodoCitizen00000000000003"), `{"request_id": "todo-case-4", "scene": "st:demo-bdg", "text": "噪音扰民"}`)
		poor := out["number"]
		if status, body := e.staffReply(t, poor, staffToken, `{"text": "已协调。"}`); status != http.StatusAccepted {
			t.Fatalf("reply: %d %s", status, body)
		}
		if status, out := e.mp(t, "POST", "/mp/cases/"+poor+"/rating", e.login(t, "oTodoCitizen00000000000003"), `{"verdict": "dissatisfied", "comment": "晚上还是很吵"}`); status != http.StatusCreated {
			t.Fatalf("rate: %d %v", status, out)
		}
		// A department's result on the handed case.
		handler := shinanHandler(t, e)

		rows := todoRows(b)
		for _, want := range []struct{ kind, text string }{
			{"wall", wall}, {"handover", handed}, {"handover", "市南区城市管理局 过了签收期限仍未签收"},
			{"draft", drafted}, {"draft", "已联系物业，明天修好。"}, {"alert", "拟写了答复"},
			{"dissatisfied", poor}, {"dissatisfied", "晚上还是很吵"},
		} {
			if !has(rows, want.kind, want.text) {
				t.Errorf("the to-do list lacks %s %q: %v", want.kind, want.text, rows)
			}
		}
		if rows := todoRows(other); len(rows) != 0 {
			t.Errorf("another station's secretary sees 八大关's to-do items: %v", rows)
		}
		if status, _ := handler.get("/console/todo"); status != http.StatusForbidden {
			t.Errorf("a handler's to-do list: %d", status)
		}
		count := func() int {
			n := 0
			for _, r := range todoRows(b) {
				n += len(r)
			}
			return n
		}
		if n, want := headerCount(b, "/console/board"), count(); n != strconv.Itoa(want) {
			t.Errorf("the header counts %q, the list has %d", n, want)
		}

		// Each leaves by doing what it asks.
		if _, said := handler.post("/console/cases/"+handed+"/do/acknowledge", url.Values{"csrf": {handler.csrf}}); !strings.Contains(said, "已签收") {
			t.Fatalf("acknowledge: %s", said)
		}
		if rows := todoRows(b); has(rows, "handover", handed) {
			t.Errorf("an acknowledged hand-over stays on the to-do list: %v", rows)
		}
		if _, said := handler.postResult(handed, "已疏通排水沟", nil); !strings.Contains(said, "办理结果已提交") {
			t.Fatalf("result: %s", said)
		}
		if rows := todoRows(b); !has(rows, "result", "市南区城市管理局 的办理结果：已疏通排水沟") {
			t.Errorf("the to-do list lacks the result: %v", rows)
		}
		b.post("/console/cases/"+handed+"/reply", url.Values{"csrf": {b.csrf}, "text": {"已疏通排水沟"}})
		b.post("/console/cases/"+drafted+"/reply", url.Values{"csrf": {b.csrf}, "text": {"已联系物业，明天修好。"}})
		b.post("/console/cases/"+poor+"/close", url.Values{"csrf": {b.csrf}, "result": {"已约谈商户"}})
		publishAsOffered(t, b, wall)
		rows = todoRows(b)
		for _, gone := range []struct{ kind, number string }{{"handover", handed}, {"result", handed}, {"draft", drafted}, {"dissatisfied", poor}, {"wall", wall}} {
			if has(rows, gone.kind, gone.number) {
				t.Errorf("%s %s stays on the to-do list once done: %v", gone.kind, gone.number, rows)
			}
		}

		// The alert is done with one click; beyond reach it is not found.
		ref := regexp.MustCompile(`name="kind" value="alert">\s*<input type="hidden" name="case" value="` + drafted + `"><input type="hidden" name="ref" value="(\d+)"`)
		_, page := b.get("/console/todo")
		m := ref.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no alert to mark done: %s", page)
		}
		if status, _ := other.post("/console/todo/done", url.Values{"csrf": {other.csrf}, "kind": {"alert"}, "ref": {m[1]}}); status != http.StatusNotFound {
			t.Errorf("another station's secretary marks the alert done: %d", status)
		}
		before := headerCount(b, "/console/")
		b.post("/console/todo/done", url.Values{"csrf": {b.csrf}, "kind": {"alert"}, "case": {drafted}, "ref": {m[1]}})
		if b.said != "已标为处理完毕" {
			t.Fatalf("mark done: %q", b.said)
		}
		if rows := todoRows(b); has(rows, "alert", "拟写了答复") {
			t.Errorf("the alert stays once marked done: %v", rows)
		}
		if after := headerCount(b, "/console/"); after == before {
			t.Errorf("the header count stays %s once an item is done", after)
		}
		if l := auditedAs(t, e, "shinan", "提醒 "+m[1], mashang.ActTodo); !strings.Contains(l.Detail, "系统提醒") {
			t.Errorf("audit line: %+v", l)
		}
		b.post("/console/todo/done", url.Values{"csrf": {b.csrf}, "kind": {"alert"}, "ref": {m[1]}})
		if b.said != "这条提醒已经有人处理过了" {
			t.Errorf("marking it done twice: %q", b.said)
		}

		// A waiting item dismissed with one click stays away until it
		// changes: a new draft brings the case back.
		if err := e.supervision.Draft(ctx, handed, mashang.Deputy{ID: 1, Name: "李建国"}, "第二稿"); err != nil {
			t.Fatal(err)
		}
		if rows := todoRows(b); !has(rows, "draft", "第二稿") {
			t.Fatalf("the new draft is not listed: %v", rows)
		}
		if status, _ := other.post("/console/todo/done", url.Values{"csrf": {other.csrf}, "kind": {"draft"}, "case": {handed}}); status != http.StatusNotFound {
			t.Errorf("another station's secretary dismisses 八大关's draft: %d", status)
		}
		b.post("/console/todo/done", url.Values{"csrf": {b.csrf}, "kind": {"draft"}, "case": {handed}})
		if rows := todoRows(b); has(rows, "draft", "第二稿") {
			t.Errorf("a dismissed draft stays: %v", rows)
		}
		auditedAs(t, e, "shinan", handed, mashang.ActTodo)
		time.Sleep(5 * time.Millisecond)
		if err := e.supervision.Draft(ctx, handed, mashang.Deputy{ID: 1, Name: "李建国"}, "第三稿"); err != nil {
			t.Fatal(err)
		}
		if rows := todoRows(b); !has(rows, "draft", "第三稿") {
			t.Errorf("a draft that changed after its dismissal is not listed again: %v", rows)
		}
	})
}

// timingOutTodo is a to-do list whose count times out.
type timingOutTodo struct{ handlers.TodoStore }

func (timingOutTodo) TodoCount(context.Context, mashang.Reach, time.Time) (mashang.TodoCount, error) {
	return mashang.TodoCount{}, fmt.Errorf("count the to-do list: %w", context.DeadlineExceeded)
}

// A count that cannot be read leaves the page served without it: the log
// says so as a warning, not as a request that failed with 500.
func TestTodoCountThatTimesOutIsAWarning(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{replace: func(d *handlers.Deps) {
		d.Log, d.Console.Log = log, log
		d.Console.Todo = timingOutTodo{d.Console.Todo}
	}})
	e.addStaff(t, mashang.StaffUser{Username: "shinan", Name: "吴区人大", Role: mashang.RoleStaff}, "青岛市/市南区", "")
	b := e.browser(t)
	b.login("shinan", staffPassword)
	status, page := b.get("/console/board")
	if status != http.StatusOK || todoCount.MatchString(page) {
		t.Fatalf("board answered %d, count shown: %v", status, todoCount.MatchString(page))
	}
	got := logs.String()
	if strings.Contains(got, "status=500") || !strings.Contains(got, `level=WARN msg="to-do count left out of the page"`) ||
		!strings.Contains(got, "deadline exceeded") {
		t.Fatalf("logged:\n%s", got)
	}
}
