package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mashang"
	"mashang/store"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// problemRows downloads a problem list at path and gives its case
// numbers, or fails naming the answer.
func problemRows(t *testing.T, b *staffBrowser, path string) []string {
	t.Helper()
	resp, body := b.fetch(path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
	}
	book, err := excelize.OpenReader(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	rows, err := book.GetRows("问题建议清单")
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s: rows %v %v", path, rows, err)
	}
	var numbers []string
	for _, row := range rows[1:] {
		numbers = append(numbers, row[1])
	}
	return numbers
}

// The problem list is found where people look: a button on the inbox
// (its current filter, one department, all) and on the figures page (each
// department's row); a department is named by its name or its path, as in
// a hand-over; a department nobody has is a clear error, never an empty
// sheet.
func TestProblemListFromTheInboxAndFiguresNamedAsEverywhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		var numbers []string
		for i, st := range []string{"demo-bdg", "demo-bdg"} {
			token := e.login(t, "oFindable00000000000000"+string(rune('1'+i)))
			_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "findable-0`+string(rune('1'+i))+`", "scene": "st:`+st+`", "text": "路灯坏了"}`)
			numbers = append(numbers, out["number"])
		}
		for i, dept := range []string{"市南区城市管理局", "八大关街道办事处"} {
			if status, out := e.staffPost(t, "/api/cases/"+numbers[i]+"/handover", staffToken, `{"department": "`+dept+`", "days": 5}`); status != http.StatusOK {
				t.Fatalf("hand over: %d %v", status, out)
			}
		}
		if status, _ := e.staffPost(t, "/api/cases/"+numbers[0]+"/close", staffToken, `{"result": "已修复"}`); status != http.StatusOK {
			t.Fatal("close")
		}
		e.addStaff(t, mashang.StaffUser{Username: "shinan", Name: "市南区人大", Role: mashang.RoleStaff}, "青岛市/市南区", "")
		b := e.browser(t)
		b.login("shinan", staffPassword)

		// The buttons: the inbox's carries its filter (and nothing else the
		// address carried); the figures page links each department's.
		_, inbox := b.get("/console/?status=closed&before=999&error=x")
		for _, want := range []string{`action="/console/problems.xlsx"`, `href="/console/problems.xlsx?status=closed"`, `href="/console/problems.xlsx"`, "导出该承办单位"} {
			if !strings.Contains(inbox, want) {
				t.Errorf("the inbox lacks %q", want)
			}
		}
		_, figures := b.get("/console/figures")
		for _, want := range []string{`action="/console/problems.xlsx"`, `href="/console/problems.xlsx?department=` + url.QueryEscape("市南区城市管理局")} {
			if !strings.Contains(strings.ToLower(figures), strings.ToLower(want)) {
				t.Errorf("the figures page lacks %q", want)
			}
		}

		for _, c := range []struct {
			query string
			want  []string
		}{
			{"department=" + url.QueryEscape("市南区城市管理局"), numbers[:1]},
			{"department=" + url.QueryEscape("青岛市/市南区/市南区城市管理局"), numbers[:1]},
			{"", numbers},                  // every department within reach
			{"status=handed", numbers[1:]}, // the inbox's filter
		} {
			got := problemRows(t, b, "/console/problems.xlsx?"+c.query)
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("?%s: %v, want %v", c.query, got, c.want)
			}
		}
		// The inbox's department filter reads names the same way.
		if _, page := b.get("/console/?department=" + url.QueryEscape("青岛市/市南区/市南区城市管理局")); !strings.Contains(page, numbers[0]) || strings.Contains(page, numbers[1]) {
			t.Errorf("the inbox by the department's path shows the wrong cases")
		}

		for _, path := range []string{"/console/problems.xlsx?department=" + url.QueryEscape("市南区环卫局"), "/console/?department=" + url.QueryEscape("市南区环卫局")} {
			resp, body := b.fetch(path)
			if resp.StatusCode != http.StatusBadRequest || strings.Contains(resp.Header.Get("Content-Type"), "spreadsheet") ||
				!strings.Contains(string(body), "没有「市南区环卫局」这个承办单位") || !strings.Contains(string(body), "市南区城市管理局") {
				t.Errorf("%s: %d %s %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		}
	})
}

// Each jurisdiction's and each station's codes, as a print sheet or a
// ZIP, are a click from the console's codes page (in its menu) and from
// each station's roster row.
func TestCodesAreReachableByJurisdictionAndStation(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	admin := e.signedInAdmin(t)
	status, page := admin.get("/console/codes")
	if status != http.StatusOK {
		t.Fatalf("codes page: %d %s", status, page)
	}
	for _, want := range []string{
		`href="/console/codes"`, // the menu
		`href="/console/codes/sheet?under=` + url.QueryEscape("青岛市/市南区") + `"`,
		`href="/console/codes/export.zip?under=` + url.QueryEscape("青岛市/崂山区") + `"`,
		`href="/console/codes/sheet?station=demo-bdg"`, `href="/console/codes/export.zip?station=demo-lsh"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the codes page lacks %s", want)
		}
	}
	_, sheet := admin.get("/console/codes/sheet?station=demo-bdg")
	if !strings.Contains(sheet, "/codes/st:demo-bdg.png") || strings.Contains(sheet, "/codes/st:demo-lsh.png") || !strings.Contains(sheet, "dp%3Ademo-d02") && !strings.Contains(sheet, "dp:demo-d02") {
		t.Errorf("one station's sheet: %s", sheet)
	}
	if _, roster := admin.get("/console/manage/roster/stations"); !strings.Contains(roster, `href="/console/codes/sheet?station=demo-bdg"`) {
		t.Errorf("the station's roster row has no print sheet")
	}
}

// The home page says in Chinese what the service is and where to go.
func TestHomePageIsChineseWithItsLinks(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	resp, err := http.Get(e.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("home: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`lang="zh-CN"`, "人大代表联络平台", "反映给代表", `href="/console/"`, `href="/wall"`, "北京时间"} {
		if !strings.Contains(page, want) {
			t.Errorf("the home page lacks %q:\n%s", want, page)
		}
	}
	for _, unfit := range []string{"WeChat pushes", "Sandbox mode"} {
		if strings.Contains(page, unfit) {
			t.Errorf("the home page still reads %q", unfit)
		}
	}
}

// A case staff accepted reads as accepted, not as a deputy's; one a
// deputy took says so.
func TestAcceptedStatusSaysWhoTookIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		now := time.Now()
		const li = "oDeputyLiJianguoFindable001"
		bindDeputy(t, e, "demo-d02", li, now)
		e.say(t, wechattest.SubscribeByScan(account, "oCitizenFind1", "dp:demo-d02", now))
		byStaff, _ := e.caseOf(t, e.say(t, wechattest.Text(account, "oCitizenFind1", 7001, "楼下路灯不亮", now)))
		e.say(t, wechattest.SubscribeByScan(account, "oCitizenFind2", "dp:demo-d02", now))
		byDeputy, _ := e.caseOf(t, e.say(t, wechattest.Text(account, "oCitizenFind2", 7002, "小区垃圾没人收", now)))
		admin := e.signedInAdmin(t)
		if status, loc := admin.post("/console/cases/"+byStaff.Number+"/do/accept", url.Values{"csrf": {admin.csrf}}); status != http.StatusSeeOther || !strings.Contains(loc, "done: ") {
			t.Fatalf("staff accept: %d %s", status, loc)
		}
		deputy := e.wechatBrowser(t, li)
		deputy.get("/d/cases/" + byDeputy.Number) // signs in through WeChat
		if status, _ := deputy.post("/d/cases/"+byDeputy.Number+"/accept", url.Values{}); status != http.StatusOK {
			t.Fatalf("deputy accept: %d", status)
		}
		_, page := admin.get("/console/cases/" + byStaff.Number)
		if !strings.Contains(page, "状态：已受理，正在办理") || strings.Contains(page, "代表已接单") {
			t.Errorf("the case staff accepted reads: %s", page)
		}
		if _, page := admin.get("/console/cases/" + byDeputy.Number); !strings.Contains(page, "状态：代表已接单，正在跟进办理") {
			t.Errorf("the case the deputy took reads: %s", page)
		}
	})
}

// visible is a page's text as a reader sees it: no tags, no attributes.
func visible(page string) string {
	return regexp.MustCompile(`<[^>]*>`).ReplaceAllString(page, " ")
}

// Pages that showed internal things no longer do: a photo WeChat would
// not give shows why in Chinese, not WeChat's raw error; the WeChat
// binding page shows its code, not its scene string.
func TestPagesShowNoSceneStringsOrWeChatErrors(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	ctx := context.Background()
	now := time.Now()
	e.say(t, wechattest.SubscribeByScan(account, "oNoRawErrors", "st:demo-bdg", now))
	c, _ := e.caseOf(t, e.say(t, wechattest.Text(account, "oNoRawErrors", 3101, "小区门口的路灯坏了", now)))
	e.say(t, wechattest.Image(account, "oNoRawErrors", 3102, "m-never-issued", now))
	media := &mashang.Media{Store: e.db, Fetcher: e.clients, Files: e.files, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if kept, _ := media.Fetch(ctx); kept != 0 {
		t.Fatalf("a media never issued was fetched")
	}
	admin := e.signedInAdmin(t)
	_, page := admin.get("/console/cases/" + c.Number)
	if !strings.Contains(page, "暂时没能从微信取回，系统会自动重试") {
		t.Errorf("the failed photo does not say why in Chinese: %s", page)
	}
	status, bind := admin.post("/console/wechat/bind", url.Values{"csrf": {admin.csrf}})
	if status != http.StatusOK || !strings.Contains(bind, `data-scene="sb:`) {
		t.Fatalf("binding page: %d %s", status, bind)
	}
	for path, text := range map[string]string{"case page": page, "binding page": bind} {
		for _, unfit := range []string{"errcode", "40007", "invalid media", "st:demo-bdg", "sb:", "二维码参数"} {
			if strings.Contains(visible(text), unfit) {
				t.Errorf("the %s shows %q", path, unfit)
			}
		}
	}
}
