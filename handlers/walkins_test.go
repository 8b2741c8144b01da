package handlers_test

import (
	"context"
	"html"
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

var (
	requestIDField = regexp.MustCompile(`name="request_id" value="([^"]+)"`)
	slipNumber     = regexp.MustCompile(`id="number">([0-9-]+)<`)
	slipCode       = regexp.MustCompile(`id="claim-code">([A-Z0-9]{6})<`)
)

// walkinForm opens the console's form and fills it as a secretary does at
// the desk; the request id is the form's own.
func walkinForm(t *testing.T, b *staffBrowser, fields url.Values) url.Values {
	t.Helper()
	status, page := b.get("/console/cases/new")
	m := requestIDField.FindStringSubmatch(page)
	if status != http.StatusOK || m == nil {
		t.Fatalf("the form: %d %s", status, page)
	}
	form := url.Values{"csrf": {b.csrf}, "request_id": {m[1]}, "channel": {mashang.ChannelVisit}}
	for k, v := range fields {
		form[k] = v
	}
	return form
}

// slipOf reads the number and claim code off a printed slip.
func slipOf(t *testing.T, page string) (number, code string) {
	t.Helper()
	n, c := slipNumber.FindStringSubmatch(page), slipCode.FindStringSubmatch(page)
	if n == nil || c == nil {
		t.Fatalf("no number and code on the slip: %s", page)
	}
	return n[1], c[1]
}

func hasEvent(t *testing.T, e *env, number string, kind mashang.EventKind, detail string) bool {
	t.Helper()
	c, err := e.db.CaseByNumberAny(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	events, err := e.db.CaseEvents(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if ev.Kind == kind && strings.Contains(ev.Detail, detail) {
			return true
		}
	}
	return false
}

// An elderly citizen comes to the station: the secretary enters what they
// say, with their phone, for the deputy they asked for. The case is routed
// as a scan's is and the deputy told by template message; the channel is
// on the timeline. The form sent again, or the same words typed again, is
// still one case. The citizen's phone shows masked in the console and
// nowhere on the public pages. At home, they send the slip's number and
// code to the Official Account — a wrong code first, refused in Chinese —
// and from then on hear each step: the hand-over to a department.
func TestAWalkinIsEnteredRoutedNotifiedAndClaimed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{configure: withProgressTemplate})
		ctx := context.Background()
		const deputy, citizen, phone = "oWalkinDeputy000000000001", "oWalkinCitizen00000000001", "13812345678"
		bindDeputy(t, e, "demo-d01", deputy, time.Now())
		e.addStaff(t, mashang.StaffUser{Username: "bdgms", Name: "八大关秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		b := e.browser(t)
		if status := b.login("bdgms", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("sign in: %d", status)
		}
		const text = "我家楼下的下水道堵了一个星期，污水流到路上"
		form := walkinForm(t, b, url.Values{"station": {"demo-bdg"}, "deputy": {"demo-d01"}, "text": {text},
			"name": {"张大爷"}, "phone": {phone}, "public": {"1"}})
		status, page := b.post("/console/cases/new", form)
		if status != http.StatusOK || !strings.Contains(page, "@page { size: A6") {
			t.Fatalf("entered: %d %s", status, page)
		}
		number, code := slipOf(t, page)
		k, err := e.db.CaseByNumberAny(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		if k.OpenID != "" || k.DeputyID == 0 || k.Summary != text || !k.PublicConsent || k.Status != mashang.CaseOpen {
			t.Fatalf("the case: %+v", k)
		}
		for kind, detail := range map[mashang.EventKind]string{mashang.EventOpened: "（来访）", mashang.EventEntered: "渠道：来访；由八大关秘书代为录入",
			mashang.EventRouted: "代表"} {
			if !hasEvent(t, e, number, kind, detail) {
				t.Errorf("no %s line saying %q", kind, detail)
			}
		}

		// The deputy asked for is told, as for a scanned message.
		e.drainAt(t, time.Now())
		told := false
		for _, d := range e.fake.Delivered(deputy) {
			told = told || (d.TemplateID == "TPL-NEW-CASE" && strings.Contains(d.URL, number))
		}
		if !told {
			t.Fatalf("the deputy was not told: %+v", e.fake.Delivered(deputy))
		}

		// Sent again (the same form), and typed again: one case.
		before, _ := e.db.CountCases(ctx)
		if status, page := b.post("/console/cases/new", form); status != http.StatusOK || !strings.Contains(page, "已经登记过") || slipCode.MatchString(page) {
			t.Fatalf("the same form again: %d %s", status, page)
		}
		again := walkinForm(t, b, url.Values{"station": {"demo-bdg"}, "text": {" " + text + " "}})
		if _, page := b.post("/console/cases/new", again); !strings.Contains(page, number) || !strings.Contains(page, "已经登记过") {
			t.Fatalf("the same matter typed again: %s", page)
		}
		if after, _ := e.db.CountCases(ctx); after != before {
			t.Fatalf("%d cases after entering the same matter again, %d before", after, before)
		}

		// The phone: masked on the case page, with the call to phone them;
		// in full only when revealed; never on the public pages.
		_, casePage := b.get("/console/cases/" + number)
		if !strings.Contains(casePage, "138****5678") || strings.Contains(casePage, phone) || !strings.Contains(casePage, "请电话告知群众") {
			t.Fatalf("the case page shows the phone as: %s", casePage)
		}
		if status, shown := b.post("/console/cases/"+number+"/phone", url.Values{"csrf": {b.csrf}}); status != http.StatusOK || !strings.Contains(shown, phone) {
			t.Fatalf("reveal: %d %s", status, shown)
		}
		for _, path := range []string{"/wall", "/stations/demo-bdg", "/s/st:demo-bdg"} {
			if status, body := publicGet(t, e, path); status != http.StatusOK || strings.Contains(body, phone) || strings.Contains(body, "138****") {
				t.Fatalf("%s: %d, shows the phone", path, status)
			}
		}

		// At home: a wrong code is refused in Chinese, the right one claims.
		e.say(t, wechattest.SubscribeByScan(account, citizen, "st:demo-bdg", time.Now()))
		if got := e.say(t, wechattest.Text(account, citizen, 880101, number+" "+wrongCode(code), time.Now())); !strings.Contains(got, "与领取码不符") || !strings.Contains(got, "还可尝试4次") {
			t.Fatalf("a wrong code: %q", got)
		}
		if got := e.say(t, wechattest.Text(account, citizen, 880102, number+" "+strings.ToLower(code), time.Now())); !strings.Contains(got, "已将问题（编号："+number+"）关联到您的微信") {
			t.Fatalf("the right code: %q", got)
		}
		if k, _ = e.db.CaseByNumberAny(ctx, number); k.OpenID != citizen || !hasEvent(t, e, number, mashang.EventClaimed, "凭回执领取") {
			t.Fatalf("claimed: %+v", k)
		}
		if _, casePage := b.get("/console/cases/" + number); strings.Contains(casePage, "请电话告知群众") {
			t.Fatal("the case page still asks to phone a citizen who linked their WeChat")
		}

		// From now on they hear each step: the hand-over.
		e.fake.Follow(citizen)
		e.fake.UserMessaged(citizen)
		if _, said := b.post("/console/cases/"+number+"/handover", url.Values{"csrf": {b.csrf}, "department": {"市南区城市管理局"}, "days": {"5"}}); !strings.Contains(said, "done: 已交办") {
			t.Fatalf("hand over: %s", said)
		}
		e.drainAt(t, time.Now().Add(4*time.Minute))
		got := e.fake.Delivered(citizen)
		if len(got) == 0 || !strings.Contains(got[len(got)-1].Text, "已交「市南区城市管理局」办理") || !strings.Contains(got[len(got)-1].Text, number) {
			t.Fatalf("the citizen heard: %+v", got)
		}
	})
}

// wrongCode is another code of the same shape.
func wrongCode(code string) string {
	if code[0] == 'A' {
		return "B" + code[1:]
	}
	return "A" + code[1:]
}

// A secretary enters only for their own station (another station, or a
// deputy of another station, is not found); what a citizen who never
// linked is to be phoned shows on the inbox once the answer is sent, until
// staff mark it phoned; a claim code guessed from the Mini Program is
// limited: after five wrong ones the case takes none, and says so.
func TestASecretaryEntersForTheirStationAndGuessesAreLimited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		e.addStaff(t, mashang.StaffUser{Username: "xhwms", Name: "薛家岛秘书", Role: mashang.RoleSecretary}, "", "demo-xhw")
		b := e.browser(t)
		if status := b.login("xhwms", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("sign in: %d", status)
		}
		before, _ := e.db.CountCases(context.Background())
		for _, fields := range []url.Values{
			{"station": {"demo-bdg"}, "text": {"别的站的事"}},
			{"station": {"demo-xhw"}, "deputy": {"demo-d01"}, "text": {"别的站的代表"}},
		} {
			if status, page := b.post("/console/cases/new", walkinForm(t, b, fields)); status != http.StatusNotFound {
				t.Fatalf("%v: %d %s", fields, status, page)
			}
		}
		if after, _ := e.db.CountCases(context.Background()); after != before {
			t.Fatal("a case was entered beyond the secretary's reach")
		}
		status, page := b.post("/console/cases/new", walkinForm(t, b, url.Values{"station": {"demo-xhw"}, "text": {"海边栈道的栏杆松了"},
			"phone": {"0532-88886666"}, "channel": {mashang.ChannelPhone}}))
		if status != http.StatusOK {
			t.Fatalf("own station: %d %s", status, page)
		}
		number, _ := slipOf(t, page)

		// Answered: to be phoned, on the inbox, until marked.
		if _, said := b.post("/console/cases/"+number+"/reply", url.Values{"csrf": {b.csrf}, "text": {"栏杆已加固"}}); !strings.Contains(said, "done:") {
			t.Fatalf("reply: %s", said)
		}
		e.drainAt(t, time.Now())
		if hasEvent(t, e, number, mashang.EventReplyFailed, "") {
			t.Fatal("the answer was sent to a WeChat nobody linked")
		}
		if _, inbox := b.get("/console/"); !strings.Contains(inbox, "待电话告知") || !strings.Contains(inbox, number) {
			t.Fatalf("the inbox does not say to phone: %s", inbox)
		}
		if _, said := b.post("/console/cases/"+number+"/phoned", url.Values{"csrf": {b.csrf}}); !strings.Contains(said, "done: 已记录电话告知") {
			t.Fatalf("phoned: %s", said)
		}
		if _, inbox := b.get("/console/"); strings.Contains(inbox, "待电话告知") {
			t.Fatal("still to phone after it was phoned")
		}

		// Guessing from the Mini Program: five wrong codes, then none is taken.
		token := e.login(t, "oWalkinGuesser00000000001")
		for i := range mashang.MaxClaimFailures {
			status, out := e.mp(t, "POST", "/mp/cases/claim", token, `{"number": "`+number+`", "code": "ZZZZZZ"}`)
			want := http.StatusBadRequest
			if i == mashang.MaxClaimFailures-1 {
				want = http.StatusForbidden
			}
			if status != want || !strings.Contains(out["message"], "领取码") {
				t.Fatalf("guess %d: %d %v", i+1, status, out)
			}
		}
		status, out := e.mp(t, "POST", "/mp/cases/claim", token, `{"number": "`+number+`", "code": "ZZZZZY"}`)
		if status != http.StatusForbidden || !strings.Contains(out["message"], "重新打印回执") {
			t.Fatalf("after five wrong codes: %d %v", status, out)
		}
		// A new slip: the new code claims it.
		status, page = b.post("/console/cases/"+number+"/slip", url.Values{"csrf": {b.csrf}})
		if status != http.StatusOK {
			t.Fatalf("reprint: %d %s", status, page)
		}
		_, code := slipOf(t, page)
		if status, out := e.mp(t, "POST", "/mp/cases/claim", token, `{"number": "`+number+`", "code": "`+code+`"}`); status != http.StatusOK || out["number"] != number {
			t.Fatalf("claim with the new slip: %d %v", status, out)
		}
	})
}

// A voter stops a deputy in the street: the deputy records it from their
// phone. It becomes a case at their own code, with them as its first
// deputy, and earns them nothing until staff accept it; the deputy cannot
// take it themselves first.
func TestARelayedMatterEarnsPointsOnlyWhenStaffAccept(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		const openid = "oWalkinRelayDeputy0000001"
		bindDeputy(t, e, "demo-d01", openid, time.Now())
		dep, err := e.db.DeputyByCode(ctx, "demo-d01")
		if err != nil {
			t.Fatal(err)
		}
		phone := e.wechatBrowser(t, openid)
		status, form := phone.get("/d/relay")
		m := requestIDField.FindStringSubmatch(form)
		if status != http.StatusOK || m == nil {
			t.Fatalf("the relay form: %d %s", status, form)
		}
		status, page := phone.post("/d/relay", url.Values{"request_id": {m[1]}, "text": {"选民反映：小区健身器材坏了没人修"}})
		if status != http.StatusOK || !strings.Contains(page, "已登记") {
			t.Fatalf("relayed: %d %s", status, page)
		}
		number := numberIn.FindString(html.UnescapeString(page))
		k, err := e.db.CaseByNumberAny(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		if k.DeputyID != dep.ID || k.Scene.String() != "dp:demo-d01" || !hasEvent(t, e, number, mashang.EventEntered, "渠道：代表转来") {
			t.Fatalf("the relayed case: %+v", k)
		}
		relayPoints := func() int {
			t.Helper()
			lines, err := e.db.DutyRecord(ctx, dep.ID, 50)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, l := range lines {
				if l.Action == mashang.DutyRelay {
					n += l.Points
				}
			}
			return n
		}
		if relayPoints() != 0 {
			t.Fatal("points before staff accepted")
		}
		if _, said := phone.post("/d/cases/"+number+"/accept", url.Values{}); !strings.Contains(said, "请等工作人员受理") {
			t.Fatalf("the deputy took their own relayed matter: %s", said)
		}
		staff := e.browser(t)
		e.addStaff(t, mashang.StaffUser{Username: "relayadmin", Name: "受理员", Role: mashang.RoleAdmin}, "", "")
		if status := staff.login("relayadmin", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("sign in: %d", status)
		}
		if _, said := staff.post("/console/cases/"+number+"/do/accept", url.Values{"csrf": {staff.csrf}}); !strings.Contains(said, "done:") {
			t.Fatalf("accept: %s", said)
		}
		if got := relayPoints(); got != 2 {
			t.Fatalf("relay points after acceptance: %d, want 2", got)
		}
	})
}
