package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

var staffScene = regexp.MustCompile(`data-scene="(sb:[A-Za-z0-9]+)"`)

// bindStaffWeChat signs in as username, makes a binding code in the
// console and scans it from openid's WeChat, as a staff member does.
func bindStaffWeChat(t *testing.T, e *env, username, openid string) {
	t.Helper()
	b := e.browser(t)
	if status := b.login(username, staffPassword); status != http.StatusSeeOther {
		t.Fatalf("%s signs in: %d", username, status)
	}
	if status, page := b.get("/console/wechat"); status != http.StatusOK || !strings.Contains(page, "尚未绑定") {
		t.Fatalf("binding page: %d %s", status, page)
	}
	status, page := b.post("/console/wechat/bind", url.Values{"csrf": {b.csrf}})
	m := staffScene.FindStringSubmatch(page)
	if status != http.StatusOK || m == nil || !strings.Contains(page, `src="data:image/png;base64,`) {
		t.Fatalf("binding code: %d %s", status, page)
	}
	_, body := e.push(t, wechattest.SubscribeByScan(account, openid, m[1], time.Now()))
	if got := e.replyText(t, body); !strings.Contains(got, "绑定成功") {
		t.Fatalf("%s scans the binding code: %q", username, got)
	}
	e.fake.Follow(openid)
	if _, page := b.get("/console/wechat"); !strings.Contains(page, "您的微信已绑定") {
		t.Fatalf("after binding: %s", page)
	}
	// The code was for one scan.
	_, body = e.push(t, wechattest.Scan(account, "oSomebodyElse000000000000001", m[1], time.Now()))
	if got := e.replyText(t, body); !strings.Contains(got, "已经被使用") {
		t.Fatalf("a used code scanned again: %q", got)
	}
}

// A case handed over and left to run late turns yellow, then red: the
// station's secretary is told of yellow and the chair of its level of red,
// each through a template message that the outbox delivers.
func TestColoursNotifySecretaryAndChairThroughWeChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		const secretaryOpenID, chairOpenID = "oSecretaryBDG000000000000001", "oChairBDG0000000000000000001"
		e.addStaff(t, mashang.StaffUser{Username: "mishu", Name: "王秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		e.addStaff(t, mashang.StaffUser{Username: "zhuren", Name: "李主任", Role: mashang.RoleStaff, Chair: true}, "青岛市/市南区/八大关街道", "")
		e.addStaff(t, mashang.StaffUser{Username: "unbound", Name: "未绑定秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		bindStaffWeChat(t, e, "mishu", secretaryOpenID)
		bindStaffWeChat(t, e, "zhuren", chairOpenID)

		cst := mashang.China
		now := time.Date(2025, 9, 26, 10, 0, 0, 0, cst)
		e.supervision.Now = func() time.Time { return now }
		token := e.login(t, "oColourCitizen00000000000001")
		_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "colour-01", "scene": "st:demo-bdg", "text": "小区门口道路破损"}`)
		number := out["number"]
		if status, out := e.staffPost(t, "/api/cases/"+number+"/handover", staffToken, `{"department": "市南区城市管理局", "days": 5}`); status != http.StatusOK {
			t.Fatalf("hand over: %d %v", status, out)
		}
		sweepAndSend := func(at time.Time) {
			t.Helper()
			now = at
			if _, err := e.supervision.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := e.outbox.Drain(ctx); err != nil {
				t.Fatal(err)
			}
		}
		notices := func(openid string) []wechattest.Delivery {
			var out []wechattest.Delivery
			for _, d := range e.fake.Delivered(openid) {
				if d.TemplateID == supervisionTemplate {
					out = append(out, d)
				}
			}
			return out
		}

		sweepAndSend(time.Date(2025, 9, 30, 10, 0, 0, 0, cst)) // two working days left: yellow
		got := notices(secretaryOpenID)
		if len(got) != 1 || got[0].Data["character_string1"] != number || got[0].Data["thing2"] != "市南区八大关街道人大代表联络站" ||
			got[0].Data["thing3"] != "黄灯：临近期限" || got[0].Data["time4"] != "2025-10-10 23:59" {
			t.Fatalf("the secretary's yellow notice: %+v", got)
		}
		if n := notices(chairOpenID); len(n) != 0 {
			t.Fatalf("the chair was told of yellow: %+v", n)
		}

		sweepAndSend(time.Date(2025, 10, 11, 9, 0, 0, 0, cst)) // overdue: red
		got = notices(chairOpenID)
		if len(got) != 1 || got[0].Data["thing3"] != "红灯：已超期" || got[0].Data["character_string1"] != number {
			t.Fatalf("the chair's red notice: %+v", got)
		}
		if n := notices(secretaryOpenID); len(n) != 1 {
			t.Fatalf("the secretary was told of red too: %+v", n)
		}
		// A sweep that changes nothing sends nothing again.
		sweepAndSend(time.Date(2025, 10, 12, 9, 0, 0, 0, cst))
		if len(notices(chairOpenID)) != 1 || len(notices(secretaryOpenID)) != 1 {
			t.Fatal("notices repeated")
		}
		_, events := e.caseOf(t, number)
		tl := timeline(events)
		for _, want := range []string{"notify: 督办提醒已发给联络站秘书：王秘书", "notify: 督办提醒已发给本级人大负责同志：李主任"} {
			if !strings.Contains(tl, want) {
				t.Errorf("timeline lacks %q:\n%s", want, tl)
			}
		}
	})
}

// Without anybody bound, the colour still lands on the timeline and the
// staff alerts, and the timeline says nobody could be told.
func TestColourWithNobodyBoundSaysSo(t *testing.T) {
	e := newEnv(t, "sqlite", wechattest.ModeSafe, options{})
	ctx := context.Background()
	cst := mashang.China
	now := time.Date(2025, 9, 26, 10, 0, 0, 0, cst)
	e.supervision.Now = func() time.Time { return now }
	token := e.login(t, "oColourCitizen00000000000002")
	_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "colour-02", "scene": "st:demo-bdg", "text": "路灯不亮"}`)
	number := out["number"]
	if status, out := e.staffPost(t, "/api/cases/"+number+"/handover", staffToken, `{"department": "市南区城市管理局", "days": 5}`); status != http.StatusOK {
		t.Fatalf("hand over: %d %v", status, out)
	}
	now = time.Date(2025, 9, 30, 10, 0, 0, 0, cst)
	if n, err := e.supervision.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	_, events := e.caseOf(t, number)
	if tl := timeline(events); !strings.Contains(tl, "notify: 没有已绑定微信的联络站秘书，督办提醒未能发出") {
		t.Fatalf("timeline:\n%s", tl)
	}
}
