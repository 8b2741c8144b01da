package handlers_test

import (
	"encoding/base64"
	"encoding/json"
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
	deskQR        = regexp.MustCompile(`<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="流动办公桌二维码"`)
	deskCollected = regexp.MustCompile(`class="desk-collected">(\d+)<`)
)

// A pop-up desk (流动办公桌): staff set it up in the console, its temporary
// code is made on WeChat (QR_STR_SCENE, 30 days) and printed from the desk's
// page; a citizen who scans it within the window reaches the deputies
// present — the case is routed to them, each gets the new-case template
// message, the timeline shows the channel, and each one's duty record counts
// it as desk work; scanning the same code after the window leads to the
// desk's station, and the reply says the desk has ended. The list counts
// what each desk collected. A secretary of another station can neither set
// up a desk for this station nor see it; every attempt is in the audit log.
func TestPopUpDeskRoutesToDeputiesPresentThenToItsStation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		now := time.Now()
		cst := mashang.China
		const wang, li, zhang = "oDeskWangHaiyan000000000001", "oDeskLiJianguo0000000000001", "oDeskZhangXiaomei0000000001"
		const citizen, late = "oDeskCitizen000000000000001", "oDeskLateCitizen00000000001"
		bindDeputy(t, e, "demo-d01", wang, now)
		bindDeputy(t, e, "demo-d02", li, now)
		bindDeputy(t, e, "demo-d03", zhang, now) // of 薛家岛: not at the desk
		e.addStaff(t, mashang.StaffUser{Username: "town", Name: "街道人大", Role: mashang.RoleStaff}, "青岛市/市南区/八大关街道", "")
		e.addStaff(t, mashang.StaffUser{Username: "xjd", Name: "薛家岛秘书", Role: mashang.RoleSecretary}, "", "demo-xhw")
		b := e.browser(t)
		b.login("town", staffPassword)
		b.get("/console/desks")
		start, end := now.Add(-time.Hour), now.Add(2*time.Hour)
		form := func(b *staffBrowser, station, deputies string) url.Values {
			return url.Values{"station": {station}, "place": {"居庸关路菜市场门口"}, "deputies": {deputies}, "csrf": {b.csrf},
				"start": {start.In(cst).Format("2006-01-02T15:04")}, "end": {end.In(cst).Format("2006-01-02T15:04")}}
		}
		if _, loc := b.post("/console/desks", form(b, "demo-bdg", "demo-d03")); !strings.Contains(mustUnescape(loc), "张晓梅代表不在您的工作范围内") {
			t.Errorf("a deputy beyond reach: %s", mustUnescape(loc))
		}
		status, loc := b.post("/console/desks", form(b, "demo-bdg", "demo-d01、demo-d02"))
		if status != http.StatusSeeOther || !strings.Contains(mustUnescape(loc), "已设立「居庸关路菜市场门口」流动办公桌，在场代表2位") {
			t.Fatalf("set up: %d %s", status, mustUnescape(loc))
		}
		deskPath := sentTo(loc)

		// The desk's page: its temporary code, made on WeChat and drawn
		// large for printing.
		status, page := b.get(deskPath)
		m := deskQR.FindStringSubmatch(html.UnescapeString(page))
		if status != http.StatusOK || m == nil || !strings.Contains(page, "王海燕（demo-d01）") || !strings.Contains(page, "李建国（demo-d02）") {
			t.Fatalf("desk page: %d %s", status, page)
		}
		picture, err := base64.StdEncoding.DecodeString(m[1])
		if err != nil {
			t.Fatal(err)
		}
		codeURL := scan(t, picture)
		scene, ok := e.fake.SceneForURL(codeURL)
		if !ok || !strings.HasPrefix(scene, mashang.ScenePrefixDesk) || len(scene) > wechattest.MaxSceneStrBytes {
			t.Fatalf("the printed code %q leads to %q %v", codeURL, scene, ok)
		}
		calls := e.fake.Calls("/cgi-bin/qrcode/create")
		if len(calls) != 1 {
			t.Fatalf("%d codes asked for", len(calls))
		}
		var asked struct {
			ExpireSeconds int    `json:"expire_seconds"`
			ActionName    string `json:"action_name"`
		}
		if err := json.Unmarshal(calls[0].Body, &asked); err != nil || asked.ActionName != "QR_STR_SCENE" || asked.ExpireSeconds != wechattest.TemporaryQRMaxSeconds {
			t.Fatalf("asked WeChat for %s (%v)", calls[0].Body, err)
		}
		if expires, ok := e.fake.QRExpiry(codeURL); !ok || expires.Before(end.Add(29*24*time.Hour)) {
			t.Fatalf("the code expires %v %v: it must outlive the desk", expires, ok)
		}
		b.get(deskPath)
		if n := len(e.fake.Calls("/cgi-bin/qrcode/create")); n != 1 {
			t.Errorf("viewing the page again asked WeChat again: %d codes", n)
		}

		// Within the window: to the deputies present.
		// The Mini Program's form takes no desk's scene: no link to it.
		if got := e.say(t, wechattest.Scan(account, citizen, scene, now)); !strings.Contains(got, "居庸关路菜市场门口") || !strings.Contains(got, "在场的代表：王海燕、李建国") ||
			strings.Contains(got, "data-miniprogram") {
			t.Errorf("scan within the window: %q", got)
		}
		reply := e.say(t, wechattest.Text(account, citizen, 9301, "菜市场门口的路灯坏了一个月", now.Add(time.Minute)))
		if !strings.Contains(reply, "已转交「居庸关路菜市场门口」流动办公桌的王海燕、李建国代表") {
			t.Errorf("raised at the desk: %q", reply)
		}
		k, events := e.caseOf(t, reply)
		tl := timeline(events)
		if k.Scene.String() != scene || k.StationName != "市南区八大关街道人大代表联络站" || k.GroupID != 0 ||
			!strings.Contains(tl, "desk: 渠道：流动办公桌「居庸关路菜市场门口」") || !strings.Contains(tl, "由在场的王海燕、李建国代表处理") ||
			!strings.Contains(tl, "已通过模板消息通知2位代表：王海燕、李建国") {
			t.Fatalf("the desk's case %+v:\n%s", k, tl)
		}
		if _, err := e.outbox.Drain(t.Context()); err != nil {
			t.Fatal(err)
		}
		// notices counts the new-case template messages openid got of number.
		notices := func(openid, number string) int {
			n := 0
			for _, d := range e.fake.Delivered(openid) {
				if d.TemplateID == "TPL-NEW-CASE" && strings.Contains(strings.Join(mapValues(d.Data), " "), number) {
					n++
				}
			}
			return n
		}
		for openid, want := range map[string]int{wang: 1, li: 1, zhang: 0} {
			if n := notices(openid, k.Number); n != want {
				t.Errorf("%s got %d new-case notices of %s, want %d", openid, n, k.Number, want)
			}
		}
		for _, openid := range []string{wang, li} {
			if got := e.say(t, wechattest.Text(account, openid, 9302+int64(len(openid)), "积分", now)); !strings.Contains(got, "的履职积分为 2 分") {
				t.Errorf("%s's points after the desk: %q", openid, got)
			}
			d := e.wechatBrowser(t, openid)
			if status, page := d.get("/d/record"); status != http.StatusOK || !strings.Contains(page, "流动办公桌接待") || !strings.Contains(page, k.Number) {
				t.Errorf("%s's duty record: %d %s", openid, status, page)
			}
			if status, page := d.get("/d/cases/" + k.Number); status != http.StatusOK || !strings.Contains(page, "流动办公桌") {
				t.Errorf("%s opens the desk's case: %d", openid, status)
			}
		}
		if status, _ := e.wechatBrowser(t, zhang).get("/d/cases/" + k.Number); status == http.StatusOK {
			t.Error("a deputy not at the desk opens its case")
		}

		// After the window the same code leads to the station, saying so.
		after := end.Add(time.Hour)
		if got := e.say(t, wechattest.Scan(account, late, scene, after)); !strings.Contains(got, "流动办公桌已于") ||
			!strings.Contains(got, "结束") || !strings.Contains(got, "转交「市南区八大关街道人大代表联络站」") {
			t.Errorf("scan after the window: %q", got)
		}
		lateCase, lateEvents := e.caseOf(t, e.say(t, wechattest.Text(account, late, 9310, "菜市场门口的路灯还是不亮", after.Add(time.Minute))))
		if lateCase.Scene.String() != "st:demo-bdg" || strings.Contains(timeline(lateEvents), "desk:") {
			t.Errorf("after the window the case went to %s:\n%s", lateCase.Scene, timeline(lateEvents))
		}

		// Scanned while open and written just after the close: still the
		// desk's; scanned before it opened: the station's, saying when.
		const typing, early = "oDeskTypingCitizen000000001", "oDeskEarlyCitizen0000000001"
		e.say(t, wechattest.Scan(account, typing, scene, end.Add(-time.Minute)))
		k2, _ := e.caseOf(t, e.say(t, wechattest.Text(account, typing, 9320, "市场里的垃圾没人清运", end.Add(10*time.Minute))))
		if k2.Scene.String() != scene {
			t.Errorf("written 10 minutes after the close, the case went to %s", k2.Scene)
		}
		// Moved to another station, a desk's case leaves the desk's
		// deputies: the receiving station's are told, they are not.
		if status, body := e.staffPost(t, "/api/cases/"+k2.Number+"/move", staffToken, `{"station": "demo-xhw", "reason": "属薛家岛辖区"}`); status != http.StatusOK {
			t.Fatalf("move: %d %v", status, body)
		}
		if _, err := e.outbox.Drain(t.Context()); err != nil {
			t.Fatal(err)
		}
		for openid, want := range map[string]int{wang: 1, zhang: 1} {
			if n := notices(openid, k2.Number); n != want {
				t.Errorf("%s got %d new-case notices of the moved %s, want %d", openid, n, k2.Number, want)
			}
		}
		if status, _ := e.wechatBrowser(t, wang).get("/d/cases/" + k2.Number); status == http.StatusOK {
			t.Error("a desk's deputy still opens its case moved to another station")
		}
		if got := e.say(t, wechattest.Scan(account, early, scene, start.Add(-time.Hour))); !strings.Contains(got, "流动办公桌将于"+start.In(cst).Format("1月2日15:04")+"开始") ||
			!strings.Contains(got, "转交「市南区八大关街道人大代表联络站」") {
			t.Errorf("scan before the window: %q", got)
		}

		// The list: the desk's window and what it collected.
		_, list := b.get("/console/desks")
		if c := deskCollected.FindStringSubmatch(list); c == nil || c[1] != "2" || !strings.Contains(list, start.In(cst).Format("2006-01-02 15:04")) {
			t.Errorf("the desk list: %s", list)
		}

		// Beyond reach: 薛家岛's secretary.
		x := e.browser(t)
		x.login("xjd", staffPassword)
		x.get("/console/desks")
		if _, loc := x.post("/console/desks", form(x, "demo-bdg", "demo-d03")); !strings.Contains(mustUnescape(loc), "不在您的工作范围内") {
			t.Errorf("a desk for another station: %s", mustUnescape(loc))
		}
		if status, _ := x.get(deskPath); status != http.StatusNotFound {
			t.Errorf("another station's secretary opens the desk: %d", status)
		}
		if _, list := x.get("/console/desks"); strings.Contains(list, "居庸关路菜市场门口") {
			t.Error("another station's secretary lists the desk")
		}

		got := auditLines(t, e)
		for _, want := range []string{
			"town create_desk demo-bdg 居庸关路菜市场门口 " + start.In(cst).Format("2006-01-02T15:04"),
			"town create_desk demo-bdg 失败：张晓梅代表不在您的工作范围内",
			"xjd create_desk demo-bdg 失败：没有编码为 demo-bdg 的站点，或它不在您的工作范围内",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("the audit log lacks %q:\n%s", want, got)
			}
		}
	})
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
