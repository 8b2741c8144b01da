package handlers_test

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mashang"
	"mashang/handlers"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

var (
	topicCaseForm = regexp.MustCompile(`<div class="topic">([^\n<]+)\s*<form method="post" action="/console/receptions/topics/(\d+)/case"`)
	bookingForm   = regexp.MustCompile(`预约反映：([^<]+)</span>\s*<form method="post" action="/console/receptions/visits" class="inline">[\s\S]*?name="booking" value="(\d+)"`)
)

// A reception day run from the console: 八大关's secretary publishes a
// slot on the station's reception day with two deputies on duty, who are
// told by template message and see the day on their phones; two citizens
// book in the Mini Program; on the day the secretary registers the one
// who came, marks the one who did not, takes two walk-ins (one without a
// name, with two matters), and makes two of the matters cases in one step
// each — routed to the deputy who received them, the deputy told, the
// channel 接待日 on the case, the citizen's slip printed with its claim code. The register survives a closed browser, counts
// 接待人次 by station, deputy and month, and exports as the 登记簿; another
// station's register is not found.
func TestAReceptionDayFromPublishingToTheRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		now := time.Now()
		const wang, li = "oReceptionWang00000000000001", "oReceptionLi0000000000000001"
		bindDeputy(t, e, "demo-d01", wang, now)
		bindDeputy(t, e, "demo-d02", li, now)
		e.addStaff(t, mashang.StaffUser{Username: "bdgsec", Name: "八大关秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		b := e.browser(t)
		b.login("bdgsec", staffPassword)
		if status, page := b.get("/console/receptions"); status != http.StatusOK || !strings.Contains(page, "市南区八大关街道人大代表联络站") ||
			!strings.Contains(page, `href="/console/receptions"`) {
			t.Fatalf("register page: %d %s", status, page)
		}

		// Published on the station's reception day (每月10日), not on another.
		day, _ := mashang.NextReception("每月10日", now.Add(48*time.Hour))
		d := day.Format(time.DateOnly)
		publish := func(station, on string) (int, string) {
			return b.post("/console/receptions/slots", url.Values{"csrf": {b.csrf}, "station": {station}, "day": {on},
				"starts": {"09:00"}, "ends": {"11:30"}, "capacity": {"5"}, "deputy": {"demo-d01", "demo-d02"}})
		}
		if _, said := publish("demo-bdg", day.AddDate(0, 0, 1).Format(time.DateOnly)); !strings.Contains(said, "不是「市南区八大关街道人大代表联络站」公开的接待日") {
			t.Errorf("another day: %s", said)
		}
		if status, _ := publish("demo-xhw", d); status != http.StatusNotFound {
			t.Errorf("another station's slot: %d", status)
		}
		if _, said := publish("demo-bdg", d); !strings.Contains(said, "已开放 "+d+" 09:00-11:30 的接待预约（5个名额），已通知值班代表：王海燕、李建国") {
			t.Fatalf("publish: %s", said)
		}
		if _, err := e.outbox.Drain(t.Context()); err != nil {
			t.Fatal(err)
		}
		for _, openid := range []string{wang, li} {
			var told []wechattest.Delivery
			for _, m := range e.fake.Delivered(openid) {
				if m.TemplateID == activityTemplate {
					told = append(told, m)
				}
			}
			if len(told) != 1 || told[0].Data["thing1"] != "接待选民日值班" || told[0].Data["time2"] != d+" 09:00" ||
				told[0].Data["thing3"] != "市南区八大关街道人大代表联络站" || !strings.HasSuffix(told[0].URL, "/d/receptions") {
				t.Fatalf("%s told: %+v", openid, told)
			}
		}

		// Two citizens book as today, in the Mini Program.
		alice, bob := e.login(t, "oReceptionCitizenA0000000001"), e.login(t, "oReceptionCitizenB0000000001")
		_, slots := e.mp(t, "GET", "/mp/stations/demo-bdg/slots", "", "")
		slotID := regexp.MustCompile(`"id":\s*(\d+)`).FindStringSubmatch(slots["slots"])
		if slotID == nil {
			t.Fatalf("slots: %v", slots)
		}
		for token, topic := range map[string]string{alice: "小区路灯不亮", bob: "想咨询医保政策"} {
			if status, out := e.mp(t, "POST", "/mp/bookings", token, `{"slot_id": `+slotID[1]+`, "topic": "`+topic+`"}`); status != http.StatusCreated {
				t.Fatalf("book: %d %v", status, out)
			}
		}
		phone := e.wechatBrowser(t, wang)
		if status, page := phone.get("/d/receptions"); status != http.StatusOK || !strings.Contains(page, d+" 09:00-11:30") ||
			!strings.Contains(page, "已预约 2/5 人") || !strings.Contains(page, "小区路灯不亮") {
			t.Fatalf("the deputy's reception days: %d %s", status, page)
		}

		// The day comes.
		e.register.Now = func() time.Time { return day.Add(10 * time.Hour) }
		here := "/console/receptions?station=demo-bdg&day=" + d
		_, page := b.get(here)
		booked := map[string]string{}
		for _, m := range bookingForm.FindAllStringSubmatch(page, -1) {
			booked[m[1]] = m[2]
		}
		if len(booked) != 2 {
			t.Fatalf("the bookings on the register: %v\n%s", booked, page)
		}
		form := func(v url.Values) url.Values {
			v.Set("csrf", b.csrf)
			v.Set("station", "demo-bdg")
			v.Set("day", d)
			return v
		}
		for _, step := range []struct {
			path string
			form url.Values
			says string
		}{
			{"/console/receptions/visits", url.Values{"booking": {booked["小区路灯不亮"]}, "visitor": {"张大爷"}, "deputy": {"demo-d01"}}, "done: 已登记张大爷，反映1件事"},
			{"/console/receptions/bookings/" + booked["想咨询医保政策"] + "/no-show", url.Values{}, "done: 已登记为预约未到"},
			{"/console/receptions/visits", url.Values{"deputy": {"demo-d02"}, "topics": {"楼道堆放杂物\n\n垃圾清运不及时\n"}}, "done: 已登记来访群众，反映2件事"},
			{"/console/receptions/visits", url.Values{"visitor": {"李阿姨"}, "deputy": {"demo-d01"}, "topics": {"公交站台破损"}}, "done: 已登记李阿姨，反映1件事"},
			// Registered once; a deputy from elsewhere is named as such.
			{"/console/receptions/visits", url.Values{"booking": {booked["小区路灯不亮"]}, "deputy": {"demo-d01"}}, "error: 这个预约已经登记过了"},
			{"/console/receptions/visits", url.Values{"deputy": {"demo-d03"}, "topics": {"别处代表"}}, "error: 代表编码 demo-d03 不是「市南区八大关街道人大代表联络站」在任的代表"},
			{"/console/receptions/visits", url.Values{"topics": {" \n "}}, "error: 请写下来访群众反映的事"},
		} {
			if status, said := b.post(step.path, form(step.form)); status != http.StatusSeeOther || !strings.Contains(said, step.says) {
				t.Errorf("%s %v: %d %s", step.path, step.form, status, said)
			}
		}

		// The browser closed mid-way: a new one finds the register as written.
		b = e.browser(t)
		b.login("bdgsec", staffPassword)
		_, page = b.get(here)
		if !strings.Contains(page, "已接待 <strong>3</strong> 人次") || !strings.Contains(page, "没有待登记的预约") || !strings.Contains(page, "<strong>预约未到</strong>") {
			t.Fatalf("the register after the browser closed: %s", page)
		}
		topics := map[string]string{}
		for _, m := range topicCaseForm.FindAllStringSubmatch(page, -1) {
			topics[strings.TrimSpace(m[1])] = m[2]
		}
		if len(topics) != 4 {
			t.Fatalf("topics: %v", topics)
		}

		// Two matters become cases, one step each: at the receiving
		// deputy's code, the deputy told; a second click makes nothing more.
		made := map[string]string{}
		for _, matter := range []string{"小区路灯不亮", "垃圾清运不及时"} {
			status, slip := b.post("/console/receptions/topics/"+topics[matter]+"/case", form(url.Values{}))
			m, code := slipNumber.FindStringSubmatch(slip), slipCode.FindStringSubmatch(slip)
			if status != http.StatusOK || m == nil || code == nil || !strings.Contains(slip, `<a href="`+strings.ReplaceAll(here, "&", "&amp;")+`">← 返回接待登记</a>`) {
				t.Fatalf("make %s a case: the slip is %d %s", matter, status, slip)
			}
			made[matter] = m[1]
			if matter == "小区路灯不亮" { // 张大爷 follows it from WeChat with the slip
				const zhang = "oReceptionZhang0000000000001"
				e.say(t, wechattest.SubscribeByScan(account, zhang, "st:demo-bdg", time.Now()))
				if got := e.say(t, wechattest.Text(account, zhang, 990101, m[1]+" "+code[1], time.Now())); !strings.Contains(got, "已将问题（编号："+m[1]+"）关联到您的微信") {
					t.Errorf("the slip's claim: %q", got)
				}
			}
			if _, again := b.post("/console/receptions/topics/"+topics[matter]+"/case", form(url.Values{})); !strings.Contains(again, "error: 这件事已经转为问题 "+m[1]) {
				t.Errorf("again: %s", again)
			}
		}
		if made["小区路灯不亮"] == made["垃圾清运不及时"] {
			t.Fatalf("one case for two matters: %v", made)
		}
		for matter, deputy := range map[string]string{"小区路灯不亮": "demo-d01", "垃圾清运不及时": "demo-d02"} {
			c, err := e.db.CaseByNumberAny(t.Context(), made[matter])
			if err != nil {
				t.Fatal(err)
			}
			if c.Scene.String() != "dp:"+deputy || c.Summary != matter {
				t.Errorf("%s: %+v", matter, c)
			}
			status, casePage := b.get("/console/cases/" + made[matter])
			if status != http.StatusOK || !strings.Contains(casePage, mashang.ChannelReception) {
				t.Errorf("the case page of %s: %d", matter, status)
			}
		}
		if _, err := e.outbox.Drain(t.Context()); err != nil {
			t.Fatal(err)
		}
		for openid, number := range map[string]string{wang: made["小区路灯不亮"], li: made["垃圾清运不及时"]} {
			told := false
			for _, m := range e.fake.Delivered(openid) {
				told = told || (m.TemplateID == "TPL-NEW-CASE" && strings.Contains(m.URL, number))
			}
			if !told {
				t.Errorf("%s was not told of %s: %+v", openid, number, e.fake.Delivered(openid))
			}
		}
		_, page = b.get(here)
		for _, number := range made {
			if !strings.Contains(page, `<a href="/console/cases/`+number+`">问题 `+number+`</a>`) {
				t.Errorf("the register does not link %s", number)
			}
		}

		// 接待人次 by station, deputy and month.
		month := day.Format("2006-01")
		for _, row := range []string{
			"<td>" + month + "</td><td>市南区八大关街道人大代表联络站</td><td>王海燕</td><td>2</td>",
			"<td>" + month + "</td><td>市南区八大关街道人大代表联络站</td><td>李建国</td><td>1</td>",
			`<th colspan="3">合计</th><th>3</th>`,
		} {
			if !strings.Contains(page, row) {
				t.Errorf("the figures have no %s", row)
			}
		}

		// The register as the 登记簿.
		resp, body := b.fetch("/console/receptions.xlsx?station=demo-bdg&month=" + month)
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), url.PathEscape("接待选民登记簿.xlsx")) {
			t.Fatalf("export: %d %s", resp.StatusCode, body)
		}
		book, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := book.GetRows(handlers.RegisterSheet)
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{"市南区八大关街道人大代表联络站 " + month + " 接待选民登记簿"},
			{"序号", "接待日期", "时段", "接待代表", "来访群众", "来源", "反映的问题", "问题编号", "备注"},
			{"1", d, "09:00", "王海燕", "张大爷", "预约", "1. 小区路灯不亮", made["小区路灯不亮"]},
			{"2", d, "09:00", "", "（未留姓名）", "预约", "", "", "预约未到"},
			{"3", d, "", "李建国", "（未留姓名）", "现场", "1. 楼道堆放杂物\n2. 垃圾清运不及时", made["垃圾清运不及时"]},
			{"4", d, "", "王海燕", "李阿姨", "现场", "1. 公交站台破损"},
			{"合计", "接待3人次"},
		}
		if len(rows) != len(want) {
			t.Fatalf("the register has %d rows: %q", len(rows), rows)
		}
		for i := range want {
			if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
				t.Errorf("row %d: %q, want %q", i+1, rows[i], want[i])
			}
		}

		// Each act is in the audit log, under the secretary's name.
		lines, err := e.db.AuditLines(t.Context(), mashang.AuditFilter{Username: "bdgsec", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		acts := map[string]int{}
		for _, l := range lines {
			if !strings.HasPrefix(l.Detail, "失败") {
				acts[l.Action]++
			}
		}
		// A slot; a booking came, a no-show, two walk-ins; two cases; the export.
		if acts[mashang.ActSlots] != 1 || acts[mashang.ActRegister] != 6 || acts["export_register"] != 1 {
			t.Errorf("audit log: %v %+v", acts, lines)
		}

		// Another station's register is not found.
		for _, path := range []string{"/console/receptions?station=demo-xhw&day=" + d, "/console/receptions.xlsx?station=demo-xhw&month=" + month} {
			if status, _ := b.get(path); status != http.StatusNotFound {
				t.Errorf("%s: %d", path, status)
			}
		}
	})
}
