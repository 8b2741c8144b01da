package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// A case handed to a lead department and a co-handling one: each
// department's handler, their WeChat bound from the console, is told of
// the hand-over, sees the case and acknowledges it (签收); the department
// that lets a working day pass without acknowledging turns the case
// yellow, and acknowledging turns it green again; one working day before
// the deadline and once overdue each is told again, once.
func TestDepartmentsAreToldAcknowledgeAndTurnYellowWhenLate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		cst := mashang.China
		now := time.Date(2025, 11, 3, 10, 0, 0, 0, cst) // a Monday, a plain working week
		e.supervision.Now = func() time.Time { return now }

		const leadOpenID, coOpenID = "oHandlerLead0000000000000001", "oHandlerCo000000000000000001"
		for _, h := range []struct{ username, name, department, openid string }{
			{"chengguan", "赵经办", "青岛市/市南区/市南区城市管理局", leadOpenID},
			{"jiedao", "钱经办", "青岛市/市南区/八大关街道/八大关街道办事处", coOpenID},
		} {
			addBoundHandler(t, e, h.username, h.name, h.department, h.openid)
		}
		e.addStaff(t, mashang.StaffUser{Username: "jiaoban", Name: "孙交办", Role: mashang.RoleStaff}, "青岛市/市南区", "")

		staff := e.browser(t)
		if status := staff.login("jiaoban", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("staff signs in: %d", status)
		}
		number := raiseAndHandOver(t, e, staff, "oDeptCitizen0000000000000001", "小区门口排水沟堵塞", "市南区城市管理局", "八大关街道办事处")
		drain := func() {
			t.Helper()
			if _, err := e.outbox.Drain(ctx); err != nil {
				t.Fatal(err)
			}
		}
		told := func(openid string) []string {
			var out []string
			for _, d := range e.fake.Delivered(openid) {
				if d.TemplateID == supervisionTemplate && d.Data["character_string1"] == number {
					out = append(out, d.Data["thing3"]+" "+d.Data["time4"])
				}
			}
			return out
		}
		drain()
		if got := told(leadOpenID); len(got) != 1 || got[0] != "新交办：主办，请点开签收 2025-11-10 23:59" {
			t.Fatalf("the lead department's handler was told %q", got)
		}
		if got := told(coOpenID); len(got) != 1 || got[0] != "新交办：协办，请点开签收 2025-11-10 23:59" {
			t.Fatalf("the co-handling department's handler was told %q", got)
		}

		// Each handler sees the case and acknowledges it; the lead at once.
		handlers := map[string]*staffBrowser{}
		for _, username := range []string{"chengguan", "jiedao"} {
			b := e.browser(t)
			if status := b.login(username, staffPassword); status != http.StatusSeeOther {
				t.Fatalf("%s signs in: %d", username, status)
			}
			status, page := b.get("/console/cases/" + number)
			if status != http.StatusOK || !strings.Contains(page, "/do/acknowledge") || !strings.Contains(page, "未签收") {
				t.Fatalf("%s's case page: %d %s", username, status, page)
			}
			handlers[username] = b
		}
		acknowledge := func(username, shows string) {
			t.Helper()
			b := handlers[username]
			if _, said := b.post("/console/cases/"+number+"/do/acknowledge", url.Values{"csrf": {b.csrf}}); !strings.Contains(said, "done: 已签收") {
				t.Fatalf("%s acknowledges: %s", username, said)
			}
			// Everyone who reaches the case reads who acknowledged and when.
			for _, who := range []*staffBrowser{staff, handlers["chengguan"], handlers["jiedao"]} {
				if _, page := who.get("/console/cases/" + number); !strings.Contains(page, shows) {
					t.Fatalf("after %s acknowledged, the case page lacks %q: %s", username, shows, page)
				}
			}
		}
		acknowledge("chengguan", "赵经办（市南区城市管理局）于2025-11-03 10:00签收")
		if _, page := handlers["chengguan"].post("/console/cases/"+number+"/do/acknowledge", url.Values{"csrf": {handlers["chengguan"].csrf}}); !strings.Contains(page, "无需重复签收") {
			t.Fatalf("acknowledged twice: %s", page)
		}
		if _, page := staff.post("/console/cases/"+number+"/do/acknowledge", url.Values{"csrf": {staff.csrf}}); !strings.Contains(page, "只有承办单位经办人可以签收") {
			t.Fatalf("the congress's staff acknowledge: %s", page)
		}

		sweep := func(at time.Time) {
			t.Helper()
			now = at
			if _, err := e.supervision.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			drain()
		}
		colour := func() string {
			t.Helper()
			c, err := e.db.CaseByNumberAny(ctx, number)
			if err != nil {
				t.Fatal(err)
			}
			return c.Colour
		}
		sweep(time.Date(2025, 11, 4, 20, 0, 0, 0, cst)) // within the working day after the hand-over
		if got := colour(); got != mashang.ColourGreen {
			t.Fatalf("the day after the hand-over: %s", got)
		}
		sweep(time.Date(2025, 11, 5, 9, 0, 0, 0, cst)) // the co-handler let it pass
		if got := colour(); got != mashang.ColourYellow {
			t.Fatalf("unacknowledged after a working day: %s", got)
		}
		acknowledge("jiedao", "钱经办（八大关街道办事处）于2025-11-05 09:00签收")
		sweep(time.Date(2025, 11, 5, 9, 10, 0, 0, cst))
		if got := colour(); got != mashang.ColourGreen {
			t.Fatalf("all acknowledged: %s", got)
		}

		// A working day before the deadline, and once overdue: once each.
		sweep(time.Date(2025, 11, 7, 9, 0, 0, 0, cst))
		sweep(time.Date(2025, 11, 7, 15, 0, 0, 0, cst))
		sweep(time.Date(2025, 11, 11, 9, 0, 0, 0, cst))
		sweep(time.Date(2025, 11, 12, 9, 0, 0, 0, cst))
		for _, openid := range []string{leadOpenID, coOpenID} {
			got := told(openid)
			if len(got) != 3 || !strings.HasPrefix(got[1], "即将到期：") || !strings.HasPrefix(got[2], "已超期：") {
				t.Errorf("%s was told %q", openid, got)
			}
		}

		_, events := e.caseOf(t, number)
		tl := timeline(events)
		for _, want := range []string{
			"handed: 交「青岛市/市南区/市南区城市管理局」主办，「青岛市/市南区/八大关街道/八大关街道办事处」协办，期限5个工作日，至2025年11月10日",
			"notify: 提醒（新交办：主办，请点开签收）已发给「市南区城市管理局」经办人：赵经办",
			"acknowledged: 「市南区城市管理局」签收（主办）\n",
			"colour: 问题 " + number + " 亮黄灯：承办单位逾期未签收",
			"acknowledged: 「八大关街道办事处」签收（协办），已超过签收时限\n",
		} {
			if !strings.Contains(tl, want) {
				t.Errorf("timeline lacks %q:\n%s", want, tl)
			}
		}
		log, err := e.db.AuditLog(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		acks := 0
		for _, a := range log {
			if a.Action == mashang.ActAcknowledge && a.Target == number && !strings.HasPrefix(a.Detail, "失败") {
				acks++
			}
		}
		if acks != 2 {
			t.Errorf("%d acknowledgements audited, want 2: %+v", acks, log)
		}
	})
}

// addBoundHandler adds a handler of the department at path, their WeChat
// (openid) bound from the console.
func addBoundHandler(t *testing.T, e *env, username, name, path, openid string) {
	t.Helper()
	dept, err := e.db.DepartmentByPath(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	e.addStaff(t, mashang.StaffUser{Username: username, Name: name, Role: mashang.RoleHandler, DepartmentID: dept}, "", "")
	bindStaffWeChat(t, e, username, openid)
}

// raiseAndHandOver raises a case as citizen at 八大关 from the Mini Program
// and has staff hand it over to lead (and co, if any) from the console,
// for 5 working days: its number.
func raiseAndHandOver(t *testing.T, e *env, staff *staffBrowser, citizen, text, lead, co string) string {
	t.Helper()
	_, out := e.mp(t, "POST", "/mp/cases", e.login(t, citizen), `{"request_id": "handover-`+citizen+`", "scene": "st:demo-bdg", "text": "`+text+`"}`)
	number := out["number"]
	if number == "" {
		t.Fatalf("raise: %v", out)
	}
	if _, said := staff.post("/console/cases/"+number+"/handover", url.Values{"csrf": {staff.csrf},
		"department": {lead}, "co": {co}, "days": {"5"}}); !strings.Contains(said, "done: 已交办") {
		t.Fatalf("hand over %s: %s", number, said)
	}
	return number
}

// acknowledgeAsHandler signs in as a new handler of the department at path
// and acknowledges the case from its page.
func acknowledgeAsHandler(t *testing.T, e *env, number, path string) {
	t.Helper()
	dept, err := e.db.DepartmentByPath(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	username := fmt.Sprintf("handler%d", dept)
	e.addStaff(t, mashang.StaffUser{Username: username, Name: "经办人", Role: mashang.RoleHandler, DepartmentID: dept}, "", "")
	b := e.browser(t)
	if status := b.login(username, staffPassword); status != http.StatusSeeOther {
		t.Fatalf("the handler signs in: %d", status)
	}
	if _, said := b.post("/console/cases/"+number+"/do/acknowledge", url.Values{"csrf": {b.csrf}}); !strings.Contains(said, "done: 已签收") {
		t.Fatalf("the handler acknowledges: %s", said)
	}
}

// postResult posts a department's result form with its attachments, as a
// browser does.
func (b *staffBrowser) postResult(number, text string, files map[string][]byte) (int, string) {
	b.t.Helper()
	body, contentType := resultBody(b.csrf, text, files)
	return b.postMultipart("/console/cases/"+number+"/do/result", body, contentType)
}

// postMultipart posts a multipart form (with files) as a browser does.
func (b *staffBrowser) postMultipart(path string, body io.Reader, contentType string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Origin", b.base)
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b.follow(resp, page)
}

// resultBody is a department's result form as a browser posts it: the
// body and its content type.
func resultBody(csrf, text string, files map[string][]byte) (io.Reader, string) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("csrf", csrf)
	w.WriteField("text", text)
	for name, data := range files {
		fw, _ := w.CreateFormFile("attachment", name)
		fw.Write(data)
	}
	w.Close()
	return &body, w.FormDataContentType()
}

var attachmentLink = regexp.MustCompile(`/console/cases/[0-9-]+/attachments/([0-9a-f]{32})`)

// A department records its result with a PDF: a file that only calls
// itself a PDF is refused by its content; the case's staff read the result
// and open the PDF, staff beyond reach do not, and staff send the result
// to the citizen as the answer by the reply path.
func TestDepartmentResultWithPDFIsReviewedAndSentAsTheAnswer(t *testing.T) {
	eachStorage(t, func(t *testing.T, driver string, opts options) {
		e := newEnv(t, driver, wechattest.ModeSafe, opts)
		ctx := context.Background()
		const citizen = "oResultCitizen00000000000001"
		token := e.login(t, citizen)
		_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "result-0001", "scene": "st:demo-bdg", "text": "路灯不亮已有一周"}`)
		number := out["number"]
		if number == "" {
			t.Fatalf("raise: %v", out)
		}
		e.addStaff(t, mashang.StaffUser{Username: "jiaoban", Name: "孙交办", Role: mashang.RoleStaff}, "青岛市/市南区", "")
		e.addStaff(t, mashang.StaffUser{Username: "xhw", Name: "周秘书", Role: mashang.RoleSecretary}, "", "demo-xhw")
		staff := e.browser(t)
		if status := staff.login("jiaoban", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("staff signs in: %d", status)
		}
		if _, said := staff.post("/console/cases/"+number+"/handover", url.Values{"csrf": {staff.csrf},
			"department": {"市南区城市管理局"}, "days": {"5"}}); !strings.Contains(said, "done: 已交办") {
			t.Fatalf("hand over: %s", said)
		}
		dept, err := e.db.DepartmentByPath(ctx, "青岛市/市南区/市南区城市管理局")
		if err != nil {
			t.Fatal(err)
		}
		e.addStaff(t, mashang.StaffUser{Username: "chengguan", Name: "赵经办", Role: mashang.RoleHandler, DepartmentID: dept}, "", "")
		h := e.browser(t)
		if status := h.login("chengguan", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("the handler signs in: %d", status)
		}
		h.get("/console/cases/" + number)

		const result = "已更换路灯灯具，现已恢复照明。"
		pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
		if _, said := h.postResult(number, result, map[string][]byte{"答复函.pdf": pdf}); !strings.Contains(said, "请先签收") {
			t.Fatalf("a result before acknowledging: %s", said)
		}
		if _, said := h.post("/console/cases/"+number+"/do/acknowledge", url.Values{"csrf": {h.csrf}}); !strings.Contains(said, "done: 已签收") {
			t.Fatalf("acknowledge: %s", said)
		}
		if _, said := h.postResult(number, result, map[string][]byte{"答复函.pdf": []byte("<html><script>alert(1)</script></html>")}); !strings.Contains(said, "附件只能是 PDF、JPG 或 PNG") {
			t.Fatalf("a page calling itself a PDF: %s", said)
		}
		if _, said := h.postResult(number, result, map[string][]byte{"答复函.pdf": pdf, "现场.png": pngPhoto(t, 40)}); !strings.Contains(said, "done: 办理结果已提交") {
			t.Fatalf("the result: %s", said)
		}

		// The case's staff read it and open its attachments.
		_, page := staff.get("/console/cases/" + number)
		links := attachmentLink.FindAllStringSubmatch(page, -1)
		if !strings.Contains(page, result) || len(links) != 2 || !strings.Contains(page, "作为答复发给群众") {
			t.Fatalf("the staff's case page: %s", page)
		}
		types := map[string]bool{}
		for _, l := range links {
			resp, body := staff.fetch(l[0])
			if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
				!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("%s: %d %v", l[0], resp.StatusCode, resp.Header)
			}
			types[resp.Header.Get("Content-Type")] = true
			if resp.Header.Get("Content-Type") == "application/pdf" && !bytes.Equal(body, pdf) {
				t.Fatalf("the PDF came back changed: %q", body)
			}
		}
		if !types["application/pdf"] || !types["image/png"] {
			t.Fatalf("attachment types %v", types)
		}
		// Beyond reach, neither the case nor its attachment exists.
		other := e.browser(t)
		if status := other.login("xhw", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("the other secretary signs in: %d", status)
		}
		if resp, _ := other.fetch(links[0][0]); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("an attachment beyond reach: %d", resp.StatusCode)
		}
		// Under a name of ours where media is kept, never the one sent.
		var matches []string
		_ = e.files.List(ctx, "results/", func(o mashang.MediaObject) error {
			if strings.HasPrefix(path.Base(o.Key), links[0][1]+".") {
				matches = append(matches, o.Key)
			}
			return nil
		})
		if len(matches) != 1 {
			t.Fatalf("attachment files %v", matches)
		}

		// Staff send it as the answer, through the reply path.
		e.fake.Follow(citizen)
		e.fake.UserMessaged(citizen)
		if _, said := staff.post("/console/cases/"+number+"/reply", url.Values{"csrf": {staff.csrf}, "text": {result}}); !strings.Contains(said, "done: 答复已发送") {
			t.Fatalf("send the result: %s", said)
		}
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		_, events := e.caseOf(t, number)
		tl := timeline(events)
		for _, want := range []string{"result: 「市南区城市管理局」办理结果（主办）：" + result + "（附件2个）", "reply: " + result + "\n"} {
			if !strings.Contains(tl, want) {
				t.Errorf("timeline lacks %q:\n%s", want, tl)
			}
		}
		sent := false
		for _, d := range e.fake.Delivered(citizen) {
			sent = sent || strings.Contains(d.Text, result) || slices.Contains(slices.Collect(maps.Values(d.Data)), result)
		}
		if !sent {
			t.Errorf("the citizen did not receive the result: %+v", e.fake.Delivered(citizen))
		}
	})
}
