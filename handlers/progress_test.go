package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/configs"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

const progressTemplate = "TPL-PROGRESS"

func withProgressTemplate(cfg *configs.Config) { cfg.Notify.ProgressTemplate = progressTemplate }

// drainAt sends what the outbox holds due at the given time.
func (e *env) drainAt(t *testing.T, at time.Time) {
	t.Helper()
	e.outbox.Now = func() time.Time { return at }
	if _, err := e.outbox.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A citizen scans, writes, and hears each step as a customer-service
// message linking to their case page: taken, handed to a department (which
// one, due when), closed (with the result). Steps within a few minutes are
// one message; outside the 48-hour window (or past its count) a template
// message leads to the page instead.
func TestCitizenHearsEveryStepThroughTheOfficialAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{configure: withProgressTemplate})
		ctx := context.Background()
		const citizen = "oCitizenProgress0000000001"
		now := time.Now()
		e.say(t, wechattest.SubscribeByScan(account, citizen, "st:demo-bdg", now))
		c, _ := e.caseOf(t, e.say(t, wechattest.Text(account, citizen, 7701, "小区门口道路破损，雨天积水", now)))
		e.fake.Follow(citizen)
		e.fake.UserMessaged(citizen)
		e.drainAt(t, time.Now()) // the deputies' new-case notices
		page := e.srv.URL + "/c/" + c.Number
		customs := func() []wechattest.Delivery { return e.fake.Delivered(citizen) }

		// Taken: nothing before the few minutes pass, then one message.
		if err := e.supervision.Accept(ctx, c.Number, "工作人员"); err != nil {
			t.Fatal(err)
		}
		e.drainAt(t, time.Now())
		if got := customs(); len(got) != 0 {
			t.Fatalf("told before the steps could gather: %+v", got)
		}
		e.drainAt(t, time.Now().Add(4*time.Minute))
		got := customs()
		if len(got) != 1 || got[0].Kind != wechattest.DeliveryCustom || !strings.Contains(got[0].Text, "已受理") ||
			!strings.Contains(got[0].Text, c.Number) || !strings.Contains(got[0].Text, page) {
			t.Fatalf("accepted: %+v", got)
		}

		// Handed over: which department, due by when.
		status, out := e.staffPost(t, "/api/cases/"+c.Number+"/handover", staffToken, `{"department": "市南区城市管理局", "days": 5}`)
		if status != http.StatusOK {
			t.Fatalf("hand over: %d %v", status, out)
		}
		due, _ := time.Parse(time.RFC3339, out["deadline"])
		e.drainAt(t, time.Now().Add(4*time.Minute))
		got = customs()
		if len(got) != 2 || got[1].Kind != wechattest.DeliveryCustom ||
			!strings.Contains(got[1].Text, "已交「市南区城市管理局」办理，答复期限至"+due.In(mashang.China).Format("2006年1月2日")) {
			t.Fatalf("handed over: %+v", got)
		}

		// Closed, with the result.
		if status, out := e.staffPost(t, "/api/cases/"+c.Number+"/close", staffToken, `{"result": "道路已修复，积水已排除"}`); status != http.StatusOK {
			t.Fatalf("close: %d %v", status, out)
		}
		e.drainAt(t, time.Now().Add(4*time.Minute))
		got = customs()
		if len(got) != 3 || !strings.Contains(got[2].Text, "已办结。办理结果：道路已修复，积水已排除") {
			t.Fatalf("closed: %+v", got)
		}

		// Reopened and taken again within a minute: one message with both.
		if err := e.supervision.Reopen(ctx, c.Number, "工作人员", "群众反映仍有积水"); err != nil {
			t.Fatal(err)
		}
		if err := e.supervision.Accept(ctx, c.Number, "工作人员"); err != nil {
			t.Fatal(err)
		}
		e.drainAt(t, time.Now().Add(4*time.Minute))
		got = customs()
		if len(got) != 4 || !strings.Contains(got[3].Text, "重新办理：群众反映仍有积水") || !strings.Contains(got[3].Text, "已受理，正在办理") {
			t.Fatalf("two steps in a minute: %+v", got)
		}

		// Outside the window: a template message leads to the case page.
		e.fake.FailNext("/cgi-bin/message/custom/send", 45015, 1)
		if status, out := e.staffPost(t, "/api/cases/"+c.Number+"/close", staffToken, `{"result": "积水已彻底排除"}`); status != http.StatusOK {
			t.Fatalf("close again: %d %v", status, out)
		}
		e.drainAt(t, time.Now().Add(4*time.Minute))
		got = customs()
		if len(got) != 5 || got[4].Kind != wechattest.DeliveryTemplate || got[4].TemplateID != progressTemplate ||
			got[4].URL != page || got[4].Data["character_string1"] != c.Number || got[4].Data["phrase2"] != "已办结" {
			t.Fatalf("outside the window: %+v", got)
		}

		// The fifth message since the citizen wrote is the last WeChat
		// allows; the sixth is refused (45047) and goes as a template.
		if err := e.supervision.Reopen(ctx, c.Number, "工作人员", "复查"); err != nil {
			t.Fatal(err)
		}
		e.drainAt(t, time.Now().Add(4*time.Minute))
		if err := e.supervision.Accept(ctx, c.Number, "工作人员"); err != nil {
			t.Fatal(err)
		}
		e.drainAt(t, time.Now().Add(4*time.Minute))
		got = customs()
		if len(got) != 7 || got[5].Kind != wechattest.DeliveryCustom || got[6].Kind != wechattest.DeliveryTemplate || got[6].Data["phrase2"] != "办理中" {
			t.Fatalf("past the count: %+v", got)
		}
		_, events := e.caseOf(t, c.Number)
		tl := timeline(events)
		for _, want := range []string{"progress_sent: 办理进展已通过客服消息送达群众",
			"progress_sent: 超出微信客服消息时限（错误码 45015），办理进展已改用模板消息通知群众查看",
			"progress_sent: 超出微信客服消息时限（错误码 45047），办理进展已改用模板消息通知群众查看"} {
			if !strings.Contains(tl, want) {
				t.Errorf("timeline lacks %q:\n%s", want, tl)
			}
		}
	})
}

// Outside the 48-hour window the answer comes as a template message; its
// link opens the citizen's own case page in WeChat's browser, signed in
// silently, with the answer, what they sent and the steps as a citizen
// reads them. Another citizen opening the same link finds nothing.
func TestTheAnswersLinkOpensTheCitizensOwnCasePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{configure: withProgressTemplate})
		const citizen, other = "oCitizenCasePage0000000001", "oCitizenCasePage0000000002"
		const answer = "路灯已由市政部门更换，感谢您的反映。"
		now := time.Now()
		e.say(t, wechattest.SubscribeByScan(account, citizen, "st:demo-bdg", now))
		c, _ := e.caseOf(t, e.say(t, wechattest.Text(account, citizen, 7801, "小区门口的路灯坏了一个多月", now)))
		e.fake.Follow(citizen)
		e.drainAt(t, time.Now())

		e.fake.FailNext("/cgi-bin/message/custom/send", 45015, 1)
		if status, body := e.staffReply(t, c.Number, staffToken, `{"text": "`+answer+`"}`); status != http.StatusAccepted {
			t.Fatalf("reply %d %s", status, body)
		}
		e.drainAt(t, time.Now())
		got := e.fake.Delivered(citizen)
		if len(got) != 1 || got[0].Kind != wechattest.DeliveryTemplate || got[0].URL != e.srv.URL+"/c/"+c.Number {
			t.Fatalf("delivered %+v", got)
		}

		link := strings.TrimPrefix(got[0].URL, e.srv.URL)
		status, page := e.wechatBrowser(t, citizen).get(link)
		if status != http.StatusOK {
			t.Fatalf("the citizen's page: %d\n%s", status, page)
		}
		for _, want := range []string{answer, "小区门口的路灯坏了一个多月", "问题 " + c.Number, "答复已送达"} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q:\n%s", want, page)
			}
		}
		for _, hidden := range []string{citizen[:4] + "****", "45015", "template_sent"} {
			if strings.Contains(page, hidden) {
				t.Errorf("the page shows %q:\n%s", hidden, page)
			}
		}
		if status, page := e.wechatBrowser(t, other).get(link); status != http.StatusNotFound || strings.Contains(page, answer) {
			t.Fatalf("another citizen: %d\n%s", status, page)
		}
	})
}

// A citizen of the Mini Program is never messaged through the Official
// Account (its openids are not theirs): one who accepted the progress
// subscribe message when raising the case hears the next steps through it,
// once per accept; one who declined reads the steps in the Mini Program.
func TestMiniProgramCitizensHearThroughTheSubscribeMessageTheyAccepted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		const subscribeTemplate = "TPL-PROGRESS-SUBSCRIBE"
		e := newEnv(t, driver, wechattest.ModeSafe, options{configure: func(cfg *configs.Config) {
			withProgressTemplate(cfg)
			cfg.Notify.ProgressSubscribeTemplate = subscribeTemplate
		}})
		const accepted, declined = "oCitizenMiniProgram0000001", "oCitizenMiniProgram0000002"
		raise := func(openid, body string) string {
			t.Helper()
			status, out := e.mp(t, "POST", "/mp/cases", e.login(t, openid), body)
			if status != http.StatusCreated {
				t.Fatalf("raise: %d %v", status, out)
			}
			return out["number"]
		}
		handOver := func(number string) {
			t.Helper()
			if status, out := e.staffPost(t, "/api/cases/"+number+"/handover", staffToken, `{"department": "市南区城市管理局", "days": 5}`); status != http.StatusOK {
				t.Fatalf("hand over: %d %v", status, out)
			}
		}
		if status, out := e.mp(t, "POST", "/mp/cases", e.login(t, accepted),
			`{"request_id": "progress-mp-00", "scene": "st:demo-bdg", "text": "路面破损", "progress_template_id": "TPL-OTHER"}`); status != http.StatusBadRequest {
			t.Fatalf("a template not the platform's: %d %v", status, out)
		}
		mine := raise(accepted, `{"request_id": "progress-mp-01", "scene": "st:demo-bdg", "text": "小区门口道路破损", "progress_template_id": "`+subscribeTemplate+`"}`)
		e.fake.GrantSubscribe(accepted, subscribeTemplate)
		theirs := raise(declined, `{"request_id": "progress-mp-02", "scene": "st:demo-bdg", "text": "路灯不亮"}`)

		handOver(mine)
		handOver(theirs)
		if status, out := e.staffPost(t, "/api/cases/"+mine+"/close", staffToken, `{"result": "已修复"}`); status != http.StatusOK {
			t.Fatalf("close: %d %v", status, out)
		}
		e.drainAt(t, time.Now().Add(4*time.Minute))
		got := e.fake.Delivered(accepted)
		if len(got) != 1 || got[0].Kind != wechattest.DeliverySubscribe || got[0].TemplateID != subscribeTemplate ||
			got[0].Data["character_string1"] != mine || got[0].Data["phrase2"] != "已办结" || got[0].Data["thing3"] == "" ||
			got[0].Page != "pages/cases/detail?number="+mine {
			t.Fatalf("the citizen who accepted: %+v", got)
		}
		if got := e.fake.Delivered(declined); len(got) != 0 {
			t.Fatalf("the citizen who declined: %+v", got)
		}

		// The one accept is used: the next step is read in the Mini Program.
		if err := e.supervision.Reopen(context.Background(), mine, "工作人员", "复查"); err != nil {
			t.Fatal(err)
		}
		e.drainAt(t, time.Now().Add(8*time.Minute))
		rows, err := e.db.OutboxRows(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if (r.ToUser == accepted || r.ToUser == declined) && r.Status != "sent" {
				t.Errorf("queued for a Mini Program citizen without an accept: %+v", r)
			}
		}
	})
}
