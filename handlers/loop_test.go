package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

var numberIn = regexp.MustCompile(`\d{6}-\d{4}`)

// bindDeputy binds a deputy's WeChat the way a deputy does it: scanning a
// one-time code. The fake learns they follow the account.
func bindDeputy(t *testing.T, e *env, deputyCode, openid string, at time.Time) {
	t.Helper()
	code, err := (&mashang.Binding{Store: e.db, Now: func() time.Time { return at }}).NewCode(context.Background(), deputyCode)
	if err != nil {
		t.Fatal(err)
	}
	_, body := e.push(t, wechattest.SubscribeByScan(account, openid, code.Scene.String(), at))
	if got := e.replyText(t, body); !strings.Contains(got, "绑定成功") {
		t.Fatalf("binding %s: %q", deputyCode, got)
	}
	e.fake.Follow(openid)
}

func (e *env) say(t *testing.T, p wechattest.Push) string {
	t.Helper()
	_, body := e.push(t, p)
	return e.replyText(t, body)
}

func (e *env) caseOf(t *testing.T, reply string) (mashang.Case, []store.CaseEvent) {
	t.Helper()
	number := numberIn.FindString(reply)
	if number == "" {
		t.Fatalf("no case number in %q", reply)
	}
	c, err := e.db.CaseByNumberAny(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	events, err := e.db.CaseEvents(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c, events
}

func timeline(events []store.CaseEvent) string {
	var b strings.Builder
	for _, ev := range events {
		b.WriteString(string(ev.Kind) + ": " + ev.Detail + "\n")
	}
	return b.String()
}

func TestScanWriteRouteNotify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		now := time.Now()
		bindDeputy(t, e, "demo-d02", "oDeputyLi", now) // 生活保障组 at 八大关

		// A citizen scans the station's code and writes about a street lamp.
		if got := e.say(t, wechattest.SubscribeByScan(account, "oCitizen", "st:demo-bdg", now)); !strings.Contains(got, "八大关") {
			t.Fatalf("scan reply %q", got)
		}
		reply := e.say(t, wechattest.Text(account, "oCitizen", 501, "小区门口的路灯坏了一个多月", now.Add(time.Minute)))
		c, events := e.caseOf(t, reply)
		if c.GroupName != "生活保障组" || c.Category != "道路照明" || c.StationName != "市南区八大关街道人大代表联络站" {
			t.Fatalf("routed %+v", c)
		}
		tl := timeline(events)
		for _, want := range []string{"opened: 群众扫描「市南区八大关街道人大代表联络站」的二维码后留言", "routed: 内容含“路灯”，归为「道路照明」类", "notified: 已通过模板消息通知1位代表：李建国"} {
			if !strings.Contains(tl, want) {
				t.Errorf("timeline lacks %q:\n%s", want, tl)
			}
		}
		// A photo a minute later joins the case.
		if got := e.say(t, wechattest.Image(account, "oCitizen", 502, "m-photo", now.Add(2*time.Minute))); !strings.Contains(got, c.Number) {
			t.Errorf("photo reply %q", got)
		}
		if n, _ := e.db.CaseMessageCount(ctx, c.ID); n != 2 {
			t.Errorf("case has %d messages", n)
		}

		// The notification is sent after the callback answered, once.
		res, err := e.outbox.Drain(ctx)
		if err != nil || res.Sent != 1 {
			t.Fatalf("drain %+v %v", res, err)
		}
		got := e.fake.Delivered("oDeputyLi")
		if len(got) != 1 || got[0].TemplateID != "TPL-NEW-CASE" || got[0].Data["character_string1"] != c.Number ||
			got[0].Data["thing3"] != "道路照明" || got[0].Data["thing4"] != "小区门口的路灯坏了一个多月" {
			t.Fatalf("delivered %+v", got)
		}
		if res, _ := e.outbox.Drain(ctx); res.Sent != 0 {
			t.Fatalf("sent again: %+v", res)
		}

		// Asking by number gives the status.
		if got := e.say(t, wechattest.Text(account, "oCitizen", 503, c.Number, now.Add(3*time.Minute))); !strings.Contains(got, "状态：已受理") {
			t.Errorf("status reply %q", got)
		}
		// The "my cases" menu lists it.
		if got := e.say(t, wechattest.Event(account, "oCitizen", "CLICK", mashang.MenuMyCases, now.Add(4*time.Minute))); !strings.Contains(got, c.Number+" 小区门口的路灯坏了一个多月（已受理") {
			t.Errorf("my cases: %q", got)
		}
		// Nobody else can ask about it.
		if got := e.say(t, wechattest.Text(account, "oOther", 504, c.Number, now.Add(3*time.Minute))); !strings.Contains(got, "没有找到") {
			t.Errorf("someone else asking: %q", got)
		}
	})
}

func TestRoutingRules(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	ctx := context.Background()
	now := time.Now()
	cases := []struct {
		scene, text     string
		group, category string
		reason          string
	}{
		{"st:demo-bdg", "想了解一下创业补贴政策", "政策咨询组", "政策咨询", "归为「政策咨询」类，由「市南区八大关街道人大代表联络站」的「政策咨询组」处理"},
		{"st:demo-bdg", "你好，有点事想问", "政策咨询组", "", "未匹配到类别，由「市南区八大关街道人大代表联络站」的值班组「政策咨询组」处理"},
		{"st:demo-xhw", "公司欠薪三个月了", "法律服务组", "法律咨询", "内容含“欠薪”"},
		{"st:demo-xhw", "楼道里电梯坏了", "医疗教育组", "物业管理", "但本站没有受理该类的小组"},
		{"dp:demo-d05", "小区垃圾没人清", "政策咨询组", "垃圾清运", "群众找的是陈秀兰代表，由陈秀兰代表及其所在的「政策咨询组」处理"},
	}
	for i, c := range cases {
		openid := "oRoute" + string(rune('A'+i))
		at := now.Add(time.Duration(i) * time.Minute)
		e.say(t, wechattest.SubscribeByScan(account, openid, c.scene, at))
		kase, events := e.caseOf(t, e.say(t, wechattest.Text(account, openid, int64(600+i), c.text, at.Add(time.Second))))
		if kase.GroupName != c.group || kase.Category != c.category {
			t.Errorf("%s %q went to %q/%q, want %q/%q", c.scene, c.text, kase.GroupName, kase.Category, c.group, c.category)
		}
		if tl := timeline(events); !strings.Contains(tl, c.reason) {
			t.Errorf("%s %q: timeline lacks %q:\n%s", c.scene, c.text, c.reason, tl)
		}
	}
	// Nobody in these groups bound WeChat: the station's staff were alerted each time.
	alerts, _ := e.db.StaffAlerts(ctx)
	if len(alerts) != len(cases) || !strings.Contains(alerts[0], "小组无人绑定微信") {
		t.Fatalf("alerts %q", alerts)
	}
}

func TestMessagesOutsideAScanAreKeptAndAnswered(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	now := time.Now()
	if got := e.say(t, wechattest.Text(account, "oNew", 701, "你好", now)); !strings.Contains(got, "请先扫描") {
		t.Errorf("never scanned: %q", got)
	}
	e.say(t, wechattest.Scan(account, "oOld", "st:demo-lsh", now.Add(-25*time.Hour)))
	if got := e.say(t, wechattest.Text(account, "oOld", 702, "路灯坏了", now)); !strings.Contains(got, "您上次扫码联系的是「崂山区沙子口街道人大代表联络点」，已超过24小时") {
		t.Errorf("scan too long ago: %q", got)
	}
	// Both messages are stored; neither opened a case.
	if n := e.stored(t); n != 3 {
		t.Fatalf("stored %d", n)
	}
	// Messages far apart are two cases.
	e.say(t, wechattest.Scan(account, "oTwice", "st:demo-lsh", now))
	first := numberIn.FindString(e.say(t, wechattest.Text(account, "oTwice", 703, "路灯坏了", now.Add(time.Minute))))
	second := numberIn.FindString(e.say(t, wechattest.Text(account, "oTwice", 704, "电梯也坏了", now.Add(40*time.Minute))))
	if first == "" || second == "" || first == second {
		t.Fatalf("cases %q and %q", first, second)
	}
}

func TestNotificationFailures(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	ctx := context.Background()
	now := time.Now()
	bindDeputy(t, e, "demo-d02", "oLi", now)
	bindDeputy(t, e, "demo-d01", "oWang", now) // 政策咨询组

	// WeChat busy twice, then fine: delivered once.
	e.fake.FailNext("/cgi-bin/message/template/send", -1, 2)
	e.say(t, wechattest.SubscribeByScan(account, "oC1", "st:demo-bdg", now))
	e.say(t, wechattest.Text(account, "oC1", 801, "路灯坏了", now))
	for range 3 {
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond) // past the 1 ms test backoff
	}
	if got := e.fake.Delivered("oLi"); len(got) != 1 {
		t.Fatalf("delivered %d times", len(got))
	}

	// A deputy who unfollowed: 43004, recorded with its code, not retried.
	e.fake.Unfollow("oWang")
	e.say(t, wechattest.SubscribeByScan(account, "oC2", "st:demo-bdg", now))
	reply := e.say(t, wechattest.Text(account, "oC2", 802, "补贴政策咨询", now))
	res, err := e.outbox.Drain(ctx)
	if err != nil || res.Failed != 1 {
		t.Fatalf("drain %+v %v", res, err)
	}
	if res, _ := e.outbox.Drain(ctx); res.Failed+res.Sent+res.Retried != 0 {
		t.Fatalf("a 43004 was tried again: %+v", res)
	}
	rows, _ := e.db.OutboxRows(ctx)
	last := rows[len(rows)-1]
	if last.Status != "failed" || last.ErrCode != 43004 || last.Attempts != 1 {
		t.Fatalf("outbox row %+v", last)
	}
	var data map[string]string
	_ = json.Unmarshal([]byte(last.Data), &data)
	_, events := e.caseOf(t, reply)
	if tl := timeline(events); !strings.Contains(tl, "失败（对方没有关注公众号）") || strings.Contains(tl, "43004") {
		t.Fatalf("timeline:\n%s", tl)
	}
}

func (e *env) staffReply(t *testing.T, number, token, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/cases/"+number+"/replies", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(t, req)
}

func TestStaffAnswerThroughTheOfficialAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		now := time.Now()
		e.say(t, wechattest.SubscribeByScan(account, "oAsk", "st:demo-bdg", now))
		c, _ := e.caseOf(t, e.say(t, wechattest.Text(account, "oAsk", 901, "路灯坏了", now)))
		// What WeChat knows: the citizen follows and just wrote (the 48-hour window is open).
		e.fake.Follow("oAsk")
		e.fake.UserMessaged("oAsk")

		status, body := e.staffReply(t, c.Number, staffToken, `{"text": "您好，已联系市政部门，三天内修复。"}`)
		if status != http.StatusAccepted {
			t.Fatalf("reply answered %d %s", status, body)
		}
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		got := e.fake.Delivered("oAsk")
		if len(got) != 1 || got[0].Kind != "custom" || got[0].Text != "您好，已联系市政部门，三天内修复。" {
			t.Fatalf("delivered %+v", got)
		}

		// Later the window is closed: WeChat refuses the customer-service
		// message and a template message leads the citizen to the answer.
		e.fake.FailNext("/cgi-bin/message/custom/send", 45015, 1)
		if status, body := e.staffReply(t, c.Number, staffToken, `{"text": "已修复，请查看。"}`); status != http.StatusAccepted {
			t.Fatalf("second reply %d %s", status, body)
		}
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		got = e.fake.Delivered("oAsk")
		if len(got) != 2 || got[1].Kind != "template" || got[1].TemplateID != "TPL-REPLY" || got[1].Data["character_string1"] != c.Number {
			t.Fatalf("fallback delivered %+v", got)
		}
		_, events := e.caseOf(t, c.Number)
		tl := timeline(events)
		for _, want := range []string{"reply: 您好，已联系市政部门", "reply_sent: 答复已通过客服消息送达群众", "reply_sent: 超出微信客服消息时限（错误码 45015），答复已改用模板消息通知群众查看"} {
			if !strings.Contains(tl, want) {
				t.Errorf("timeline lacks %q:\n%s", want, tl)
			}
		}

		// A citizen who unfollowed: both ways refused, recorded, not retried.
		e.fake.Unfollow("oAsk")
		e.staffReply(t, c.Number, staffToken, `{"text": "第三次答复"}`)
		res, _ := e.outbox.Drain(ctx)
		if res.Failed != 1 {
			t.Fatalf("drain %+v", res)
		}
	})
}

func TestStaffAPIRefusesWhatItShould(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	now := time.Now()
	e.say(t, wechattest.SubscribeByScan(account, "oQ", "st:demo-bdg", now))
	c, _ := e.caseOf(t, e.say(t, wechattest.Text(account, "oQ", 911, "电梯坏了", now)))
	cases := []struct {
		name, number, token, body string
		status                    int
		code                      string
	}{
		{"no token", c.Number, "", `{"text":"x"}`, http.StatusUnauthorized, "unauthorized"},
		{"wrong token", c.Number, "guess", `{"text":"x"}`, http.StatusUnauthorized, "unauthorized"},
		{"not JSON", c.Number, staffToken, `text=x`, http.StatusBadRequest, "invalid"},
		{"wrong type", c.Number, staffToken, `{"text": 42}`, http.StatusBadRequest, "invalid"},
		{"unknown field", c.Number, staffToken, `{"txt": "x"}`, http.StatusBadRequest, "invalid"},
		{"empty text", c.Number, staffToken, `{"text": "  "}`, http.StatusBadRequest, "invalid"},
		{"too long", c.Number, staffToken, `{"text": "` + strings.Repeat("长", 601) + `"}`, http.StatusBadRequest, "invalid"},
		{"no such case", "000000-0000", staffToken, `{"text": "x"}`, http.StatusNotFound, "not_found"},
		{"huge body", c.Number, staffToken, `{"text": "` + strings.Repeat("x", 20000) + `"}`, http.StatusRequestEntityTooLarge, "too_large"},
	}
	for _, tc := range cases {
		status, body := e.staffReply(t, tc.number, tc.token, tc.body)
		if status != tc.status || !strings.Contains(string(body), `"code":"`+tc.code+`"`) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, status, body, tc.status, tc.code)
		}
	}
	// Nothing was queued by the refused requests.
	rows, _ := e.db.OutboxRows(context.Background())
	for _, r := range rows {
		if strings.HasPrefix(r.ClientMsgID, "reply-") {
			t.Fatalf("a refused reply was queued: %+v", r)
		}
	}
}

func TestPhotosAndVoiceAreFetchedFromWeChat(t *testing.T) {
	eachStorage(t, func(t *testing.T, driver string, opts options) {
		e := newEnv(t, driver, wechattest.ModeSafe, opts)
		ctx := context.Background()
		now := time.Now()
		photo := []byte("\xff\xd8\xff\xe0 a JPEG, as far as this test cares")
		voice := []byte("#!AMR\n voice")
		e.fake.AddMedia("m-photo-1", "image/jpeg", photo)
		e.fake.AddMedia("m-voice-1", "audio/amr", voice)

		e.say(t, wechattest.SubscribeByScan(account, "oMedia", "st:demo-bdg", now))
		e.say(t, wechattest.Image(account, "oMedia", 1001, "m-photo-1", now))
		e.say(t, wechattest.Voice(account, "oMedia", 1002, "m-voice-1", "门口的路灯不亮", now))
		e.say(t, wechattest.Image(account, "oMedia", 1003, "m-gone", now)) // WeChat no longer has it

		media := &mashang.Media{Store: e.db, Fetcher: e.outbox.Sender.(mashang.MediaFetcher), Files: e.files,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		kept, err := media.Fetch(ctx)
		if err != nil || kept != 2 {
			t.Fatalf("kept %d, %v", kept, err)
		}
		paths, _ := e.db.MediaPaths(ctx)
		if len(paths) != 2 {
			t.Fatalf("paths %v", paths)
		}
		for key, rel := range paths {
			data, err := readMedia(ctx, e.files, rel)
			if err != nil {
				t.Fatal(err)
			}
			want := photo
			if strings.HasSuffix(rel, ".amr") {
				want = voice
			}
			if !bytes.Equal(data, want) {
				t.Errorf("%s (%s) holds %q", rel, key, data)
			}
		}
		// The missing one is counted as a failed try, and tried again later.
		if again, _ := media.Fetch(ctx); again != 0 {
			t.Fatalf("fetched %d on the second pass", again)
		}
		msgs, _ := e.db.InboundMessages(ctx)
		for _, m := range msgs {
			if m.MsgType == "voice" && m.Recognition != "门口的路灯不亮" {
				t.Errorf("voice recognition %q", m.Recognition)
			}
		}
	})
}
