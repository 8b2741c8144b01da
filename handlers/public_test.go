package handlers_test

import (
	"html"
	"io"
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

func publicGet(t *testing.T, e *env, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// wallStaff signs in the city's staff member who publishes the wall.
func wallStaff(t *testing.T, e *env) *staffBrowser {
	t.Helper()
	e.addStaff(t, mashang.StaffUser{Username: "wallcity", Name: "周发布", Role: mashang.RoleStaff}, "青岛市", "")
	b := e.browser(t)
	if status := b.login("wallcity", staffPassword); status != http.StatusSeeOther {
		t.Fatalf("wall staff sign in: %d", status)
	}
	return b
}

// offered reads the texts the console's wall page offers for a case.
func offered(t *testing.T, b *staffBrowser, number string) (problem, result string) {
	t.Helper()
	_, page := b.get("/console/wall")
	m := regexp.MustCompile(`(?s)id="` + regexp.QuoteMeta(number) + `">.*?<textarea name="problem"[^>]*>(.*?)</textarea>.*?<textarea name="result"[^>]*>(.*?)</textarea>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the wall page does not offer %s: %s", number, page)
	}
	return html.UnescapeString(m[1]), html.UnescapeString(m[2])
}

// publishAsOffered publishes a case with the texts the console offered,
// unedited, and says what the page then said.
func publishAsOffered(t *testing.T, b *staffBrowser, number string) string {
	t.Helper()
	problem, result := offered(t, b, number)
	b.post("/console/wall/"+number+"/publish", url.Values{"csrf": {b.csrf}, "problem": {problem}, "result": {result}})
	return b.said
}

// The results wall shows handled cases whose citizens agreed and staff
// published as the console offered them (anonymised), with what was done
// and the rating, and the jurisdiction's figures; nothing identifying
// reaches it, or the station's public page, whatever citizens and staff wrote.
func TestResultsWallAndStationPagesShowNothingIdentifying(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		const citizen = "oWallCitizen0000000000000001"
		token := e.login(t, citizen)
		_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "wall-case-1", "scene": "st:demo-bdg", "public": true,
			"text": "我是王大爷，电话13912345678，住居庸关路28号3单元502室，门口路灯坏了一周"}`)
		shown := out["number"]
		if shown == "" {
			t.Fatalf("raise: %v", out)
		}
		// Another citizen's: one citizen's forms moments apart join in one case.
		_, out = e.mp(t, "POST", "/mp/cases", e.login(t, "oWallCitizen0000000000000002"), `{"request_id": "wall-case-2", "scene": "st:demo-bdg", "public": false, "text": "楼道里堆满杂物，不想公开"}`)
		private := out["number"]
		for _, number := range []string{shown, private} {
			if status, body := e.staffReply(t, number, staffToken, `{"text": "已安排维修。"}`); status != http.StatusAccepted {
				t.Fatalf("reply %s: %d %s", number, status, body)
			}
			if status, out := e.staffPost(t, "/api/cases/"+number+"/close", staffToken,
				`{"result": "已修复路灯，回访王大爷（13912345678）确认亮了"}`); status != http.StatusOK {
				t.Fatalf("close %s: %d %v", number, status, out)
			}
		}
		if status, out := e.mp(t, "POST", "/mp/cases/"+shown+"/rating", token, `{"verdict": "satisfied"}`); status != http.StatusCreated {
			t.Fatalf("rate: %d %v", status, out)
		}
		b := wallStaff(t, e)
		if _, page := b.get("/console/wall"); strings.Contains(page, `id="`+private+`"`) {
			t.Error("the console offers to publish a case whose citizen did not agree")
		}
		if said := publishAsOffered(t, b, shown); said != "已发布到代表回音壁" {
			t.Fatalf("publish: %q", said)
		}

		status, wall := publicGet(t, e, "/wall")
		for _, want := range []string{"门口路灯坏了一周", "已修复路灯", "群众评价：满意", "市南区八大关街道人大代表联络站", "已办结"} {
			if status != http.StatusOK || !strings.Contains(wall, want) {
				t.Fatalf("wall lacks %q: %d %s", want, status, wall)
			}
		}
		if strings.Contains(wall, "楼道里堆满杂物") {
			t.Error("the wall shows a case whose citizen did not agree")
		}
		_, station := publicGet(t, e, "/stations/demo-bdg")
		if !strings.Contains(station, "李建国") || !strings.Contains(station, "生活保障组") || !strings.Contains(station, "收集问题") {
			t.Fatalf("station page: %s", station)
		}
		// The citizen's openid, name, phone and home; the case numbers, which
		// the citizen holds; the bound deputy's openid.
		bindDeputy(t, e, "demo-d02", "oWallDeputyLi000000000000001", time.Now())
		_, station = publicGet(t, e, "/stations/demo-bdg")
		identifying := []string{citizen, "王大爷", "13912345678", "1391234", "502", "28号", "3单元", shown, private, "oWallDeputyLi"}
		for page, body := range map[string]string{"wall": wall, "station": station} {
			for _, leak := range identifying {
				if strings.Contains(body, leak) {
					t.Errorf("the %s page shows %q", page, leak)
				}
			}
		}
		if _, other := publicGet(t, e, "/wall?area="+"青岛市/崂山区"); strings.Contains(other, "门口路灯坏了一周") {
			t.Error("崂山区's wall shows a 市南区 case")
		}
		if status, _ := publicGet(t, e, "/wall?area=不存在的地方"); status != http.StatusNotFound {
			t.Errorf("unknown area: %d", status)
		}
		if status, _ := publicGet(t, e, "/stations/nope"); status != http.StatusNotFound {
			t.Errorf("unknown station: %d", status)
		}
	})
}

// What an attack got onto the wall: full-width phone digits, an e-mail
// address, a WeChat ID, a titled name of which only the last character was
// hidden. None reaches it now: the console offers the text anonymised, and
// a text that still looks personal once anonymised is pointed out and
// cannot be published until the staff member fixes it.
func TestWallShowsNoFullWidthPhoneEmailWeChatIDOrTitledName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		token := e.login(t, "oWallCitizen0000000000000002")
		raise := func(id, text string) string {
			_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "`+id+`", "scene": "st:demo-bdg", "public": true, "text": "`+text+`"}`)
			number := out["number"]
			if number == "" {
				t.Fatalf("raise: %v", out)
			}
			if status, out := e.staffPost(t, "/api/cases/"+number+"/close", staffToken, `{"result": "已疏通，回访王小明先生"}`); status != http.StatusOK {
				t.Fatalf("close %s: %d %v", number, status, out)
			}
			return number
		}
		leaky := raise("wall-leak-1", "王小明先生反映门前下水道堵了，电话１３９１２３４５６７８，邮箱 wxm@example.com，微信号 WangXiaoMing88")
		personal := raise("wall-leak-2", "楼下垃圾桶满了，加我微信详谈")

		b := wallStaff(t, e)
		if said := publishAsOffered(t, b, leaky); said != "已发布到代表回音壁" {
			t.Fatalf("publish the anonymised case: %q", said)
		}
		_, page := b.get("/console/wall")
		if !strings.Contains(page, "仍像个人信息，请删改：“微信详”") {
			t.Errorf("the wall page does not point out what still looks personal: %s", page)
		}
		if said := publishAsOffered(t, b, personal); !strings.Contains(said, "仍像含有个人信息") {
			t.Errorf("a text that still looks personal was published: %q", said)
		}

		status, wall := publicGet(t, e, "/wall")
		if status != http.StatusOK || !strings.Contains(wall, "门前下水道堵了") || !strings.Contains(wall, "已疏通") {
			t.Fatalf("the wall lacks the anonymised case: %d %s", status, wall)
		}
		for _, leak := range []string{"１３９", "13912345678", "５６７８", "wxm@", "example.com", "WangXiaoMing", "王小明", "小明", "王小"} {
			if strings.Contains(wall, leak) {
				t.Errorf("the wall shows %q", leak)
			}
		}
		if strings.Contains(wall, "楼下垃圾桶满了") {
			t.Error("the wall shows a case that still looks personal once anonymised")
		}
	})
}
