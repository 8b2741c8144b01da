package handlers_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// answerBody is the lead body's answer form: category, text, the date it
// promises (B) and the letter.
func answerBody(csrf, category, text, promised string, letter []byte) (*bytes.Buffer, string) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("csrf", csrf)
	w.WriteField("category", category)
	w.WriteField("text", text)
	w.WriteField("promised", promised)
	if letter != nil {
		fw, _ := w.CreateFormFile("letter", "答复函.pdf")
		fw.Write(letter)
	}
	w.Close()
	return &body, w.FormDataContentType()
}

// said is what a phone page says after an action: its ok or error line.
func said(page string) string {
	if m := saidError.FindStringSubmatch(page); m != nil {
		return "error: " + m[1]
	}
	if m := saidDone.FindStringSubmatch(page); m != nil {
		return "done: " + m[1]
	}
	return ""
}

// A suggestion's whole life (提、交、办、复、评) through the pages and the
// fake WeChat: deputy A raises it from two cases they answer for, with
// deputy B as co-signer, who must confirm before it can be submitted; the
// office returns it once, accepts the revision, hands it to a lead and a
// co-handling body three months ahead (the deadline runs past 国庆节 2025
// to the first working day); the lead body cannot answer before recording
// a contact, answers B with a promised date (asked again when it comes),
// the deputy is dissatisfied, the same bodies handle it again within a
// month and answer A, the deputy is satisfied and the office closes it.
// The body never reads the deputy's verdict before the closing; a body
// not handed it, and a deputy neither leading nor co-signing, find nothing.
func TestSuggestionLifecycleFromTwoCasesToClosing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		cst := mashang.China
		now := time.Date(2025, 6, 30, 10, 0, 0, 0, cst)
		e.suggestions.Now = func() time.Time { return now }

		const leadDeputy, coDeputy, otherDeputy = "oSugDeputyA00000000000000001", "oSugDeputyB00000000000000001", "oSugDeputyC00000000000000001"
		bindDeputy(t, e, "demo-d01", leadDeputy, time.Now())
		bindDeputy(t, e, "demo-d02", coDeputy, time.Now())
		bindDeputy(t, e, "demo-d03", otherDeputy, time.Now())
		const leadBody, coBody, otherBody = "oSugLeadBody0000000000000001", "oSugCoBody000000000000000001", "oSugOtherBody000000000000001"
		addBoundHandler(t, e, "sug-lead", "赵主办", "青岛市/市南区/市南区城市管理局", leadBody)
		addBoundHandler(t, e, "sug-co", "钱协办", "青岛市/市南区/八大关街道/八大关街道办事处", coBody)
		addBoundHandler(t, e, "sug-other", "孙经办", "青岛市/崂山区/崂山区城市管理局", otherBody)
		e.addStaff(t, mashang.StaffUser{Username: "sug-office", Name: "周审核", Role: mashang.RoleStaff}, "青岛市/市南区", "")
		office := e.browser(t)
		if status := office.login("sug-office", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("the office signs in: %d", status)
		}

		// Two cases raised at deputy A's code: theirs to answer for.
		var cases []string
		for i, text := range []string{"八大关小学门口上下学拥堵", "居庸关路学校周边没有停车位"} {
			_, out := e.mp(t, "POST", "/mp/cases", e.login(t, "oSugCitizen"+strconv.Itoa(i)+"0000000000000001"),
				`{"request_id": "suggestion-`+strconv.Itoa(i)+`", "scene": "dp:demo-d01", "text": "`+text+`"}`)
			if out["number"] == "" {
				t.Fatalf("case %d: %v", i, out)
			}
			cases = append(cases, out["number"])
		}

		// Raise: a draft from both cases, deputy B invited to co-sign.
		a := e.wechatBrowser(t, leadDeputy)
		if status, page := a.get("/d/suggestions/new?case=" + cases[0] + "&case=" + cases[1]); status != http.StatusOK || !strings.Contains(page, cases[1]) {
			t.Fatalf("the form: %d %s", status, page)
		}
		if _, page := a.post("/d/suggestions", url.Values{"title": {"关于缓解八大关小学周边交通拥堵的建议"}, "category": {"交通运输"},
			"matter": {"上下学时段车辆拥堵"}, "proposal": {"设置临时停车区"}, "cases": {cases[0] + " " + cases[1]}, "signers": {"demo-d02"}}); said(page) != "done: 草稿已保存" {
			t.Fatalf("save the draft: %s", said(page))
		}
		depA, _ := e.db.DeputyByCode(ctx, "demo-d01")
		mine, err := e.db.DeputySuggestions(ctx, depA.ID, 10)
		if err != nil || len(mine) != 1 {
			t.Fatalf("the deputy's suggestions: %v %+v", err, mine)
		}
		if sg, _, err := e.db.DeputySuggestion(ctx, depA.ID, mine[0].ID); err != nil || len(sg.Cases) != 2 || len(sg.Signers) != 1 || !sg.Signers[0].Pending() {
			t.Fatalf("the draft's cases and co-signer: %v %+v", err, sg)
		}
		id := strconv.FormatInt(mine[0].ID, 10)
		path := "/d/suggestions/" + id
		// Linked both ways: the case's page shows the suggestion.
		if _, page := a.get("/d/cases/" + cases[0]); !strings.Contains(page, path) {
			t.Fatalf("the case's page does not link the suggestion: %s", page)
		}
		// Not before the co-signer confirms.
		if _, page := a.post(path+"/submit", url.Values{}); !strings.Contains(said(page), "还没有确认联名") {
			t.Fatalf("submitted with a co-signer pending: %s", said(page))
		}
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		invited := false
		for _, d := range e.fake.Delivered(coDeputy) {
			invited = invited || (d.TemplateID == supervisionTemplate && d.URL == e.srv.URL+path)
		}
		if !invited {
			t.Fatalf("the co-signer was not told: %+v", e.fake.Delivered(coDeputy))
		}
		b := e.wechatBrowser(t, coDeputy)
		if status, page := b.get(path); status != http.StatusOK || !strings.Contains(page, "邀请您联名") {
			t.Fatalf("the co-signer's page: %d %s", status, page)
		}
		if _, page := b.post(path+"/sign", url.Values{"answer": {"yes"}}); said(page) != "done: 已同意联名" {
			t.Fatalf("co-sign: %s", said(page))
		}
		a.get(path)
		if _, page := a.post(path+"/submit", url.Values{}); !strings.HasPrefix(said(page), "done: 已提交") || !strings.Contains(page, "应于7月7日前交办") {
			t.Fatalf("submit: %s", page)
		}

		// Review: returned once with the reasons, which the deputy reads.
		admin := "/console/suggestions/" + id
		office.get(admin)
		if _, answer := office.post(admin+"/review", url.Values{"csrf": {office.csrf}, "decision": {"return"}, "reason": {"请写明具体路段和时段"}}); office.said != "已退回代表修改" {
			t.Fatalf("return: %s", answer)
		}
		if _, page := a.get(path); !strings.Contains(page, "请写明具体路段和时段") || !strings.Contains(page, "退回修改") {
			t.Fatalf("the deputy does not read why: %s", page)
		}
		if _, page := a.post(path, url.Values{"title": {"关于缓解八大关小学周边交通拥堵的建议"}, "category": {"交通运输"},
			"matter": {"居庸关路7:30-8:00车辆拥堵"}, "proposal": {"设置临时停车区"}, "cases": {cases[0] + " " + cases[1]}, "signers": {"demo-d02"}}); said(page) != "done: 草稿已保存" {
			t.Fatalf("revise: %s", said(page))
		}
		if _, page := a.post(path+"/submit", url.Values{}); !strings.HasPrefix(said(page), "done: 已提交") {
			t.Fatalf("resubmit: %s", said(page))
		}
		office.get(admin)
		if office.post(admin+"/review", url.Values{"csrf": {office.csrf}, "decision": {"accept"}}); office.said != "已立案" {
			t.Fatalf("accept: %s", office.said)
		}
		// The console's case page links the suggestion too.
		if _, page := office.get("/console/cases/" + cases[1]); !strings.Contains(page, admin) {
			t.Fatalf("the console's case page does not link the suggestion")
		}

		// Hand over on 1 July: three months end on 1 October, a holiday; the
		// first working day after 国庆节 is 9 October.
		now = time.Date(2025, 7, 1, 10, 0, 0, 0, cst)
		lead, _ := e.db.DepartmentByPath(ctx, "青岛市/市南区/市南区城市管理局")
		co, _ := e.db.DepartmentByPath(ctx, "青岛市/市南区/八大关街道/八大关街道办事处")
		office.get(admin)
		if office.post(admin+"/handover", url.Values{"csrf": {office.csrf}, "lead": {strconv.FormatInt(lead, 10)}, "co": {strconv.FormatInt(co, 10)}}); !strings.HasPrefix(office.said, "已交办") {
			t.Fatalf("hand over: %s", office.said)
		}
		if _, page := office.get(admin); !strings.Contains(page, "2025-10-09 23:59") || !strings.Contains(page, "至2025年10月9日") {
			t.Fatalf("the deadline is not 9 October: %s", page)
		}
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		for _, openid := range []string{leadBody, coBody} {
			told := false
			for _, d := range e.fake.Delivered(openid) {
				told = told || d.URL == e.srv.URL+"/h/suggestions/"+id
			}
			if !told {
				t.Fatalf("%s was not told of the hand-over", openid)
			}
		}

		// Reach: another body and another deputy find nothing.
		if status, page := e.wechatBrowser(t, otherBody).get("/h/suggestions/" + id); status != http.StatusNotFound || strings.Contains(page, "八大关小学") {
			t.Fatalf("a body not handed it: %d", status)
		}
		if status, page := e.wechatBrowser(t, otherDeputy).get(path); status != http.StatusNotFound || strings.Contains(page, "八大关小学") {
			t.Fatalf("a deputy neither leading nor co-signing: %d", status)
		}
		if _, page := e.wechatBrowser(t, otherBody).get("/h/suggestions"); strings.Contains(page, "八大关小学") {
			t.Fatalf("another body's list shows it")
		}

		// Handle: both acknowledge; the co-handling body sends its opinion.
		hl, hc := e.wechatBrowser(t, leadBody), e.wechatBrowser(t, coBody)
		body := "/h/suggestions/" + id
		for _, h := range []*wechatBrowser{hl, hc} {
			h.get(body)
			if _, page := h.post(body+"/acknowledge", url.Values{}); said(page) != "done: 已签收" {
				t.Fatalf("acknowledge: %s", said(page))
			}
		}
		if _, page := hc.post(body+"/opinion", url.Values{"text": {"街道可协调学校错峰放学"}}); said(page) != "done: 协办意见已送主办单位" {
			t.Fatalf("opinion: %s", said(page))
		}
		pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
		answer := func(h *wechatBrowser, category, text, promised string) string {
			h.get(body)
			buf, ct := answerBody(h.csrf, category, text, promised, pdf)
			_, page := h.send(body+"/answer", buf, ct)
			return said(page)
		}
		now = time.Date(2025, 7, 15, 10, 0, 0, 0, cst)
		if got := answer(hl, "B", "已列入明年计划", "2025-08-01"); !strings.Contains(got, "答复前须先与代表联系沟通") {
			t.Fatalf("answered before any contact: %s", got)
		}
		if _, page := hl.post(body+"/contact", url.Values{"on": {"2025-07-10"}, "how": {"phone"}, "note": {"电话沟通了拥堵时段"}}); said(page) != "done: 联系情况已记录" {
			t.Fatalf("contact: %s", said(page))
		}
		if got := answer(hl, "B", "已列入明年计划，先设临时停车区", "2025-08-01"); got != "done: 答复已送代表" {
			t.Fatalf("answer B: %s", got)
		}
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		toldAnswered := false
		for _, d := range e.fake.Delivered(leadDeputy) {
			for _, v := range d.Data {
				toldAnswered = toldAnswered || (d.URL == e.srv.URL+path && strings.Contains(v, "已答复（B类）"))
			}
		}
		if !toldAnswered {
			t.Fatalf("the deputy was not told of the answer: %+v", e.fake.Delivered(leadDeputy))
		}
		if _, page := a.get(path); !strings.Contains(page, "已列入明年计划，先设临时停车区") || !strings.Contains(page, "B类") || !strings.Contains(page, "/files/") {
			t.Fatalf("the deputy does not read the answer: %s", page)
		}
		// The promised date comes: the lead body is asked again, once.
		now = time.Date(2025, 8, 2, 9, 0, 0, 0, cst)
		for want := range []int{1, 0} {
			if n, err := e.suggestions.SweepPromises(ctx); err != nil || n != 1-want {
				t.Fatalf("promise sweep %d: %d %v", want, n, err)
			}
		}

		// Evaluate: 不满意 sends it back, to be answered within a month.
		if _, page := a.post(path+"/evaluate", url.Values{"answer": {"dissatisfied"}, "contact": {"basic"}, "comment": {"停车区迟迟未设"}}); !strings.HasPrefix(said(page), "done: ") {
			t.Fatalf("evaluate: %s", said(page))
		}
		backToBack := func(when string) {
			_, page := hl.get(body)
			if strings.Contains(page, "不满意") || strings.Contains(page, "停车区迟迟未设") || strings.Contains(page, "基本满意") {
				t.Fatalf("%s the body reads the verdict: %s", when, page)
			}
		}
		backToBack("while handling again,")
		if _, page := hl.get(body); !strings.Contains(page, "重新办理") || !strings.Contains(page, "2025-09-02 23:59") {
			t.Fatalf("the body is not told to handle it again by 2 September: %s", page)
		}
		if _, page := office.get(admin); !strings.Contains(page, "不满意") || !strings.Contains(page, "停车区迟迟未设") {
			t.Fatalf("the office does not read the verdict")
		}
		// Handled again: the first round's contact does not count.
		now = time.Date(2025, 8, 20, 10, 0, 0, 0, cst)
		if got := answer(hl, "A", "临时停车区已设置", ""); !strings.Contains(got, "答复前须先与代表联系沟通") {
			t.Fatalf("answered again without a new contact: %s", got)
		}
		hl.post(body+"/contact", url.Values{"on": {"2025-08-18"}, "how": {"visit"}, "note": {"现场走访"}})
		if got := answer(hl, "A", "临时停车区已设置", ""); got != "done: 答复已送代表" {
			t.Fatalf("answer A: %s", got)
		}
		a.get(path)
		if _, page := a.post(path+"/evaluate", url.Values{"answer": {"satisfied"}, "contact": {"satisfied"}}); !strings.HasPrefix(said(page), "done: ") {
			t.Fatalf("evaluate again: %s", said(page))
		}
		backToBack("before closing,")

		// Closed: the body now reads both verdicts.
		office.get(admin)
		if office.post(admin+"/close", url.Values{"csrf": {office.csrf}, "note": {"已落实"}}); office.said != "已办结" {
			t.Fatalf("close: %s", office.said)
		}
		if _, page := hl.get(body); !strings.Contains(page, "不满意") || !strings.Contains(page, "停车区迟迟未设") || !strings.Contains(page, "已办结") {
			t.Fatalf("after closing the body does not read the verdicts: %s", page)
		}
		sg, events, err := e.db.DeputySuggestion(ctx, depA.ID, mine[0].ID)
		if err != nil || sg.Status != mashang.SuggestionClosed || sg.Round != 2 || sg.Number == "" {
			t.Fatalf("closed: %v %+v", err, sg)
		}
		var kinds []string
		for _, ev := range events {
			if ev.Kind != mashang.EventNotify {
				kinds = append(kinds, string(ev.Kind))
			}
		}
		want := "sg_created sg_invited sg_signed sg_submitted sg_returned sg_submitted sg_accepted sg_handed sg_acknowledged sg_acknowledged " +
			"sg_opinion sg_contact sg_answered sg_promise sg_evaluated sg_redo sg_contact sg_answered sg_evaluated sg_closed"
		if got := strings.Join(kinds, " "); got != want {
			t.Fatalf("history:\n got %s\nwant %s", got, want)
		}
		// Every step is in the audit log, under who did it.
		lines, err := e.db.AuditLines(ctx, mashang.AuditFilter{Target: "建议#" + id, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		done := map[string]bool{}
		for _, l := range lines {
			done[l.Username+" "+l.Action] = true
		}
		for _, want := range []string{"deputy:demo-d01 deputy_suggestion_submit", "deputy:demo-d02 deputy_suggestion_sign", "sug-office suggestion_review",
			"sug-office suggestion_handover", "sug-co suggestion_opinion", "sug-lead suggestion_contact", "sug-lead suggestion_answer",
			"deputy:demo-d01 deputy_suggestion_evaluate", "sug-office suggestion_close"} {
			if !done[want] {
				t.Errorf("the audit log has no %q: %v", want, done)
			}
		}
		// Deputy B reads it as a co-signer; it counts for them too.
		if _, page := b.get("/d/suggestions"); !strings.Contains(page, "您联名") {
			t.Fatalf("the co-signer's list: %s", page)
		}
	})
}

// postPaper posts the console's paper-suggestion form with its scan.
func (b *staffBrowser) postPaper(fields url.Values, scan []byte) string {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("csrf", b.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	if scan != nil {
		fw, _ := w.CreateFormFile("scan", "扫描件.png")
		fw.Write(scan)
	}
	w.Close()
	_, answer := b.postMultipart("/console/suggestions", &body, w.FormDataContentType())
	return answer
}

// The office's other decisions: a secretary enters a paper suggestion
// with its scan for a deputy of their station (not for one beyond it);
// the office refuses it only with a legal reason, which the deputy reads;
// merges one deputy's suggestion into another's, crediting its deputy;
// and a deputy withdraws a draft only with a reason.
func TestSuggestionPaperEntryRefusalMergeAndWithdrawal(t *testing.T) {
	eachStorage(t, func(t *testing.T, driver string, opts options) {
		e := newEnv(t, driver, wechattest.ModeSafe, opts)
		ctx := context.Background()
		const deputyA, deputyB = "oSugPaperDeputyA000000000001", "oSugPaperDeputyB000000000001"
		bindDeputy(t, e, "demo-d01", deputyA, time.Now())
		bindDeputy(t, e, "demo-d02", deputyB, time.Now())
		e.addStaff(t, mashang.StaffUser{Username: "sug-sec", Name: "吴秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		e.addStaff(t, mashang.StaffUser{Username: "sug-staff", Name: "郑审核", Role: mashang.RoleStaff}, "青岛市/市南区", "")
		sec, office := e.browser(t), e.browser(t)
		sec.login("sug-sec", staffPassword)
		office.login("sug-staff", staffPassword)

		// Paper: a scan is required and checked; a deputy beyond the station is refused.
		sec.get("/console/suggestions")
		paper := url.Values{"deputy": {"demo-d01"}, "title": {"关于增设社区食堂的建议"}, "category": {"社会保障"},
			"matter": {"老年人就餐难"}, "proposal": {"增设社区食堂"}}
		if sec.postPaper(paper, nil); !strings.Contains(sec.said, "请上传纸质建议的扫描件") {
			t.Fatalf("no scan: %s", sec.said)
		}
		if sec.postPaper(paper, []byte("not an image")); !strings.Contains(sec.said, "附件只能是 PDF、JPG 或 PNG") {
			t.Fatalf("a scan that is no image: %s", sec.said)
		}
		beyond := url.Values{}
		for k, v := range paper {
			beyond[k] = v
		}
		beyond.Set("deputy", "demo-d03")
		if sec.postPaper(beyond, pngPhoto(t, 20)); !strings.Contains(sec.said, "不在您的工作范围内") {
			t.Fatalf("a deputy beyond the station: %s", sec.said)
		}
		answer := sec.postPaper(paper, pngPhoto(t, 20))
		if sec.said != "纸质建议已录入，等待审核" {
			t.Fatalf("paper: %s", answer)
		}
		paperPath := sentTo(answer)
		_, page := sec.get(paperPath)
		link := regexpFind(`/console/suggestions/[0-9]+/files/[0-9a-f]{32}`, page)
		if resp, body := sec.fetch(link); link == "" || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || len(body) == 0 {
			t.Fatalf("the scan %q: %d", link, resp.StatusCode)
		}

		// Refusal: only one of the legal reasons.
		office.get(paperPath)
		if office.post(paperPath+"/review", url.Values{"csrf": {office.csrf}, "decision": {"refuse"}, "refusal": {"我们不喜欢"}}); !strings.Contains(office.said, "法定理由") {
			t.Fatalf("refused without a legal reason: %s", office.said)
		}
		if office.post(paperPath+"/review", url.Values{"csrf": {office.csrf}, "decision": {"refuse"}, "refusal": {mashang.RefusalReasons[1]}}); office.said != "已告知代表不作为建议处理" {
			t.Fatalf("refuse: %s", office.said)
		}
		a := e.wechatBrowser(t, deputyA)
		if _, page := a.get("/d/suggestions/" + strings.TrimPrefix(paperPath, "/console/suggestions/")); !strings.Contains(page, mashang.RefusalReasons[1]) {
			t.Fatalf("the deputy does not read why: %s", page)
		}
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		told := 0
		for _, d := range e.fake.Delivered(deputyA) {
			if d.TemplateID == supervisionTemplate && strings.HasSuffix(d.URL, "/d/suggestions/"+strings.TrimPrefix(paperPath, "/console/suggestions/")) {
				told++
			}
		}
		if told != 1 {
			t.Fatalf("the deputy was told %d times of the refusal", told)
		}

		// A congress session going on now: what is submitted carries it,
		// with no five-working-day hand-over deadline.
		today := time.Now().In(mashang.China)
		office.get("/console/suggestions")
		if office.post("/console/suggestions/sessions", url.Values{"csrf": {office.csrf}, "name": {"第十七届人民代表大会第三次会议"}, "term": {"17"}, "meeting": {"3"},
			"starts": {today.AddDate(0, 0, -1).Format("2006-01-02")}, "ends": {today.AddDate(0, 0, 1).Format("2006-01-02")}}); !strings.HasPrefix(office.said, "会议已登记") {
			t.Fatalf("session: %s", office.said)
		}

		// Merge: deputy B's suggestion into deputy A's; B is credited there.
		ids := map[string]string{}
		for who, openid := range map[string]string{"A": deputyA, "B": deputyB} {
			b := e.wechatBrowser(t, openid)
			b.get("/d/suggestions/new")
			_, page := b.post("/d/suggestions", url.Values{"title": {"关于海滨步道照明的建议" + who}, "category": {"城乡建设"}, "matter": {"步道夜间太暗"}, "proposal": {"增设路灯"}})
			id := regexpFind(`/d/suggestions/([0-9]+)/submit`, page)
			id = strings.TrimSuffix(strings.TrimPrefix(id, "/d/suggestions/"), "/submit")
			if _, page := b.post("/d/suggestions/"+id+"/submit", url.Values{}); !strings.HasPrefix(said(page), "done: 已提交") {
				t.Fatalf("%s submits: %s", who, said(page))
			}
			ids[who] = id
		}
		// Not into a suggestion beyond the office's reach (西海岸新区's deputy's).
		depC, _ := e.db.DeputyByCode(ctx, "demo-d03")
		far, err := e.suggestions.Save(ctx, depC, 0, mashang.SuggestionInput{Title: "西海岸的建议", Matter: "情况", Proposal: "建议", Category: "其他"})
		if err == nil {
			err = e.suggestions.Submit(ctx, depC, far)
		}
		if err != nil {
			t.Fatal(err)
		}
		office.get("/console/suggestions/" + ids["B"])
		if office.post("/console/suggestions/"+ids["B"]+"/review", url.Values{"csrf": {office.csrf}, "decision": {"merge"}, "into": {strconv.FormatInt(far, 10)}}); !strings.Contains(office.said, "不在您的工作范围内") {
			t.Fatalf("merged beyond reach: %s", office.said)
		}
		if office.post("/console/suggestions/"+ids["B"]+"/review", url.Values{"csrf": {office.csrf}, "decision": {"merge"}, "into": {ids["A"]}}); office.said != "已归并" {
			t.Fatalf("merge: %s", office.said)
		}
		if _, page := e.wechatBrowser(t, deputyB).get("/d/suggestions"); !strings.Contains(page, "关于海滨步道照明的建议A") || !strings.Contains(page, "已归并") {
			t.Fatalf("deputy B is not credited on A's: %s", page)
		}
		if _, page := office.get("/console/suggestions/" + ids["A"]); !strings.Contains(page, "归并署名") || !strings.Contains(page, "第十七届人民代表大会第三次会议") ||
			strings.Contains(page, "前交办") {
			t.Fatalf("A's suggestion does not credit B: %s", page)
		}

		// Answer categories are the office's to name; a secretary's is refused.
		office.get("/console/suggestions")
		if office.post("/console/suggestions/categories", url.Values{"csrf": {office.csrf}, "code": {"B"}, "label": {"列入年度计划逐步解决"},
			"promise": {"1"}, "sort": {"2"}}); office.said != "答复类别已保存" {
			t.Fatalf("answer category: %s", office.said)
		}
		if cats, err := e.db.AnswerCategories(ctx); err != nil || len(cats) != 3 || cats[1].Label != "列入年度计划逐步解决" || !cats[1].Promise || cats[1].Solved {
			t.Fatalf("answer categories: %v %+v", err, cats)
		}
		if status, _ := sec.post("/console/suggestions/categories", url.Values{"csrf": {sec.csrf}, "code": {"D"}, "label": {"x"}}); status != http.StatusForbidden {
			t.Fatalf("a secretary sets a category: %d", status)
		}

		// Withdrawal: only with a reason.
		a.get("/d/suggestions/new")
		_, page = a.post("/d/suggestions", url.Values{"title": {"草稿"}})
		draft := regexpFind(`/d/suggestions/[0-9]+/withdraw`, page)
		if _, page := a.post(draft, url.Values{"reason": {" "}}); !strings.Contains(said(page), "请写明撤回的理由") {
			t.Fatalf("withdrawn without a reason: %s", said(page))
		}
		if _, page := a.post(draft, url.Values{"reason": {"已通过其他渠道解决"}}); said(page) != "done: 建议已撤回" || !strings.Contains(page, "已撤回") {
			t.Fatalf("withdraw: %s", said(page))
		}
	})
}

func regexpFind(expr, s string) string { return regexp.MustCompile(expr).FindString(s) }
