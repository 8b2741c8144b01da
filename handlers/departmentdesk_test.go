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

// postResult posts a department's result form from the handler's phone.
func (b *wechatBrowser) postResult(number, text string, files map[string][]byte) (int, string) {
	b.t.Helper()
	body, contentType := resultBody(b.csrf, text, files)
	return b.send("/h/cases/"+number+"/result", body, contentType)
}

// A department's handler, their WeChat bound from the console, opens the
// link of the template message telling their department of a case: WeChat
// signs them in silently, they read the case as a department does,
// acknowledge it with one tap (audited, on the timeline, the case showing
// who and when) and record the result with a PDF. Another department's
// handler finds no such case; a deputy's, a citizen's or a staff member's
// WeChat is no handler's, and is told so.
func TestHandlerWorksTheirDepartmentsCasesFromWeChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		const leadOpenID, otherOpenID, staffOpenID = "oPhoneHandlerLead00000000001", "oPhoneHandlerOther0000000001", "oPhoneStaff00000000000000001"
		for _, h := range []struct{ username, name, department, openid string }{
			{"chengguan", "赵经办", "青岛市/市南区/市南区城市管理局", leadOpenID},
			{"jiedao", "钱经办", "青岛市/市南区/八大关街道/八大关街道办事处", otherOpenID},
		} {
			addBoundHandler(t, e, h.username, h.name, h.department, h.openid)
		}
		e.addStaff(t, mashang.StaffUser{Username: "jiaoban", Name: "孙交办", Role: mashang.RoleStaff}, "青岛市/市南区", "")
		bindStaffWeChat(t, e, "jiaoban", staffOpenID)

		const citizen = "oPhoneCitizen000000000000001"
		staff := e.browser(t)
		if status := staff.login("jiaoban", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("staff signs in: %d", status)
		}
		number := raiseAndHandOver(t, e, staff, citizen, "小区门口井盖缺失", "市南区城市管理局", "")
		theirs := raiseAndHandOver(t, e, staff, "oPhoneCitizen000000000000002", "街道路口积水", "八大关街道办事处", "") // the other department's
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}

		// The template message links to the case's phone page.
		link := ""
		for _, d := range e.fake.Delivered(leadOpenID) {
			if d.TemplateID == supervisionTemplate && d.Data["character_string1"] == number {
				link = d.URL
			}
		}
		if link != e.srv.URL+"/h/cases/"+number {
			t.Fatalf("the department's notice links to %q", link)
		}
		path := strings.TrimPrefix(link, e.srv.URL)

		// Outside WeChat, and as WeChat users who are no handler: refused.
		if status, page := e.wechatBrowser(t, "").get(path); status != http.StatusOK || !strings.Contains(page, "请在微信客户端打开链接") {
			t.Fatalf("outside WeChat: %d %s", status, page)
		}
		const deputy = "oPhoneDeputy0000000000000001"
		bindDeputy(t, e, "demo-d02", deputy, time.Now())
		for who, openid := range map[string]string{"a deputy": deputy, "the citizen": citizen} {
			if status, page := e.wechatBrowser(t, openid).get(path); status != http.StatusForbidden || !strings.Contains(page, "还没有绑定承办单位经办人账号") ||
				strings.Contains(page, "小区门口井盖缺失") {
				t.Fatalf("%s opens the handler's page: %d %s", who, status, page)
			}
		}
		if status, page := e.wechatBrowser(t, staffOpenID).get(path); status != http.StatusForbidden || !strings.Contains(page, "供承办单位经办人使用") {
			t.Fatalf("the congress's staff open the handler's page: %d %s", status, page)
		}

		// Another department's handler: no such case, nor on their list.
		other := e.wechatBrowser(t, otherOpenID)
		if status, page := other.get(path); status != http.StatusNotFound || strings.Contains(page, "小区门口井盖缺失") {
			t.Fatalf("another department's handler opens the case: %d %s", status, page)
		}
		if status, page := other.get("/h/cases"); status != http.StatusOK || strings.Contains(page, number) || !strings.Contains(page, theirs) {
			t.Fatalf("another department's list: %d %s", status, page)
		}
		if status, _ := other.get("/h/cases/" + theirs); status != http.StatusOK || other.csrf == "" {
			t.Fatalf("another department's own case: %d", status)
		}
		if status, _ := other.post(path+"/acknowledge", url.Values{}); status != http.StatusNotFound {
			t.Fatalf("another department's handler acknowledges: %d", status)
		}

		// The lead department's handler, signed in silently.
		h := e.wechatBrowser(t, leadOpenID)
		status, page := h.get(path)
		if status != http.StatusOK || !strings.Contains(page, "小区门口井盖缺失") || !strings.Contains(page, "本单位：主办") ||
			!strings.Contains(page, "/h/cases/"+number+"/acknowledge") || strings.Contains(page, citizen) || strings.Contains(page, "提醒（") {
			t.Fatalf("the handler's case page: %d %s", status, page)
		}
		if status, page := h.get("/h/cases"); status != http.StatusOK || !strings.Contains(page, number) || !strings.Contains(page, "答复期限") ||
			!strings.Contains(page, "未签收") {
			t.Fatalf("the handler's list: %d %s", status, page)
		}
		if status, _ := h.post(path+"/acknowledge", url.Values{"csrf": {"forged"}}); status != http.StatusForbidden {
			t.Fatalf("a forged form: %d", status)
		}
		pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
		if _, page := h.postResult(number, "已补装井盖。", map[string][]byte{"答复函.pdf": pdf}); !strings.Contains(page, "请先签收") {
			t.Fatalf("a result before acknowledging: %s", page)
		}

		if status, page := h.post(path+"/acknowledge", url.Values{}); status != http.StatusOK || !strings.Contains(page, "已签收") ||
			!strings.Contains(page, "赵经办（市南区城市管理局）于") || strings.Contains(page, "/h/cases/"+number+"/acknowledge") {
			t.Fatalf("acknowledge: %d %s", status, page)
		}
		if _, page := staff.get("/console/cases/" + number); !strings.Contains(page, "赵经办（市南区城市管理局）于") || !strings.Contains(page, "签收") {
			t.Fatalf("the staff's case page after acknowledging: %s", page)
		}

		// The result, checked as the console checks it.
		if _, page := h.postResult(number, "已补装井盖。", map[string][]byte{"答复函.pdf": []byte("<html>not a pdf</html>")}); !strings.Contains(page, "附件只能是 PDF、JPG 或 PNG") {
			t.Fatalf("a page calling itself a PDF: %s", page)
		}
		const result = "已补装井盖，并排查周边井盖三处。"
		if status, page := h.postResult(number, result, map[string][]byte{"答复函.pdf": pdf}); status != http.StatusOK ||
			!strings.Contains(page, "办理结果已提交") || !strings.Contains(page, result) {
			t.Fatalf("the result: %d %s", status, page)
		}
		if _, page := staff.get("/console/cases/" + number); !strings.Contains(page, result) || len(attachmentLink.FindAllString(page, -1)) != 1 {
			t.Fatalf("the staff's case page after the result: %s", page)
		}

		_, events := e.caseOf(t, number)
		tl := timeline(events)
		for _, want := range []string{"acknowledged: 「市南区城市管理局」签收（主办）\n", "result: 「市南区城市管理局」办理结果（主办）：" + result + "（附件1个）"} {
			if !strings.Contains(tl, want) {
				t.Errorf("timeline lacks %q:\n%s", want, tl)
			}
		}
		log, err := e.db.AuditLog(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		audit := map[string]string{}
		for _, a := range log {
			if a.Target == number && a.Username == "chengguan" && !strings.HasPrefix(a.Detail, "失败") {
				audit[a.Action] = a.Detail
			}
		}
		if audit[mashang.ActAcknowledge] != "签收（手机页面）" || !strings.HasPrefix(audit[mashang.ActResult], result) {
			t.Errorf("audited %q", audit)
		}
	})
}
