package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// wechatBrowser is WeChat's built-in browser as openid ("" for a browser
// that is not WeChat's): it follows redirects, keeps cookies, and is known
// to the fake's authorisation page.
type wechatBrowser struct {
	t      *testing.T
	e      *env
	client *http.Client
	csrf   string
}

var deputyCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (e *env) wechatBrowser(t *testing.T, openid string) *wechatBrowser {
	jar, _ := cookiejar.New(nil)
	if openid != "" {
		fake, _ := url.Parse(e.fakeURL)
		jar.SetCookies(fake, []*http.Cookie{{Name: wechattest.BrowserUserCookie, Value: openid}})
	}
	return &wechatBrowser{t: t, e: e, client: &http.Client{Jar: jar}}
}

func (b *wechatBrowser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.client.Get(b.e.srv.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := deputyCSRF.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, string(body)
}

func (b *wechatBrowser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf)
	}
	return b.send(path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// send posts body to path, following where the answer leads.
func (b *wechatBrowser) send(path string, body io.Reader, contentType string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, body)
	req.Header.Set("Content-Type", contentType)
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(page)
}

// A deputy opens the case their template message links to: WeChat's web
// authorisation names them by their bound openid, and they take the case,
// draft the answer and mark it solved; another group's case is 403.
func TestDeputyWorksTheirCasesFromWeChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		now := time.Now()
		const li = "oDeputyLiJianguo000000000001"
		bindDeputy(t, e, "demo-d02", li, now)
		e.say(t, wechattest.SubscribeByScan(account, "oCitizenForLi", "dp:demo-d02", now))
		mine, _ := e.caseOf(t, e.say(t, wechattest.Text(account, "oCitizenForLi", 5001, "楼下路灯不亮，电话13912345678", now)))
		e.say(t, wechattest.SubscribeByScan(account, "oCitizenElsewhere", "st:demo-lsh", now))
		theirs, _ := e.caseOf(t, e.say(t, wechattest.Text(account, "oCitizenElsewhere", 5002, "沙子口的事", now)))

		// Outside WeChat the authorisation page says where to open it.
		if status, page := e.wechatBrowser(t, "").get("/d/cases/" + mine.Number); status != http.StatusOK || !strings.Contains(page, "请在微信客户端打开链接") {
			t.Fatalf("outside WeChat: %d %s", status, page)
		}
		// A WeChat user who is no bound deputy is told how to bind.
		if status, page := e.wechatBrowser(t, "oSomeCitizen").get("/d/cases/" + mine.Number); status != http.StatusForbidden || !strings.Contains(page, "还没有绑定代表身份") {
			t.Fatalf("not a deputy: %d %s", status, page)
		}

		b := e.wechatBrowser(t, li)
		status, page := b.get("/d/cases/" + mine.Number)
		if status != http.StatusOK || !strings.Contains(page, "楼下路灯不亮") || !strings.Contains(page, "李建国代表") || strings.Contains(page, "oCitizenForLi") {
			t.Fatalf("the deputy's case: %d %s", status, page)
		}
		if status, page := b.get("/d/cases"); status != http.StatusOK || !strings.Contains(page, mine.Number) || strings.Contains(page, theirs.Number) {
			t.Fatalf("the deputy's list: %d %s", status, page)
		}
		if status, _ := b.get("/d/cases/" + theirs.Number); status != http.StatusForbidden {
			t.Fatalf("another group's case: %d", status)
		}
		b.get("/d/cases/" + mine.Number)
		if status, _ := b.post("/d/cases/"+theirs.Number+"/accept", url.Values{}); status != http.StatusForbidden {
			t.Fatalf("accepting another group's case: %d", status)
		}
		if status, _ := b.post("/d/cases/"+mine.Number+"/accept", url.Values{"csrf": {"forged"}}); status != http.StatusForbidden {
			t.Fatalf("a forged form: %d", status)
		}

		if status, page := b.post("/d/cases/"+mine.Number+"/accept", url.Values{}); status != http.StatusOK || !strings.Contains(page, "已接单") {
			t.Fatalf("accept: %d %s", status, page)
		}
		if status, page := b.post("/d/cases/"+mine.Number+"/draft", url.Values{"text": {""}}); status != http.StatusOK || !strings.Contains(page, "请写下答复的内容") {
			t.Fatalf("an empty draft: %d %s", status, page)
		}
		if status, page := b.post("/d/cases/"+mine.Number+"/draft", url.Values{"text": {"已联系物业，明天修好。"}}); status != http.StatusOK || !strings.Contains(page, "答复已交工作人员审核") {
			t.Fatalf("draft: %d %s", status, page)
		}
		// The station's staff find the draft in the reply box, to check and send.
		e.addStaff(t, mashang.StaffUser{Username: "bdgsec", Name: "八大关秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		sec := e.browser(t)
		sec.login("bdgsec", staffPassword)
		if status, page := sec.get("/console/cases/" + mine.Number); status != http.StatusOK ||
			!strings.Contains(page, "李建国代表拟写的答复") || !strings.Contains(page, `maxlength="600">已联系物业，明天修好。</textarea>`) {
			t.Fatalf("the console's reply box: %d %s", status, page)
		}
		// Solved on the deputy's word: staff are asked to confirm and close it.
		if status, page := b.post("/d/cases/"+mine.Number+"/solved", url.Values{"result": {"路灯已修复"}}); status != http.StatusOK || !strings.Contains(page, "已报告办结") {
			t.Fatalf("solved: %d %s", status, page)
		}
		c, events := e.caseOf(t, mine.Number)
		tl := timeline(events)
		for _, want := range []string{"accepted: ", "draft: 已联系物业，明天修好。", "solved_report: 报告已办结：路灯已修复"} {
			if !strings.Contains(tl, want) {
				t.Errorf("timeline lacks %q:\n%s", want, tl)
			}
		}
		if c.Status != mashang.CaseAccepted {
			t.Errorf("status %s", c.Status)
		}
		alerts, _ := e.db.StaffAlerts(ctx)
		if all := strings.Join(alerts, "\n"); !strings.Contains(all, "李建国代表为问题 "+mine.Number+" 拟写了答复") || !strings.Contains(all, "李建国代表报告问题 "+mine.Number+" 已办结：路灯已修复") {
			t.Errorf("staff alerts: %v", alerts)
		}
		audit, _ := e.db.AuditLog(ctx, 20)
		deputyActs := 0
		for _, a := range audit {
			if a.Username == "deputy:demo-d02" && a.Target == mine.Number {
				deputyActs++
			}
		}
		if deputyActs != 4 { // accept, the refused empty draft, draft, solved
			t.Errorf("audit: %d deputy entries in %+v", deputyActs, audit)
		}

		// A forged state never signs anyone in; a code works once.
		if status, _ := e.wechatBrowser(t, li).get("/d/oauth?code=anything&state=forged"); status != http.StatusBadRequest {
			t.Errorf("forged state: %d", status)
		}
	})
}
