package handlers_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

const staffPassword = "correct horse battery"

// staffBrowser is a browser for the console: it keeps cookies and does not
// follow redirects, so the tests see each answer.
type staffBrowser struct {
	t      *testing.T
	base   string
	client *http.Client
	csrf   string
	// header goes with every request (a proxy's X-Forwarded-For, say).
	header http.Header
	// said is what the page after the last form said of it.
	said string
}

func (e *env) browser(t *testing.T) *staffBrowser {
	jar, _ := cookiejar.New(nil)
	return &staffBrowser{t: t, base: e.srv.URL, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *staffBrowser) get(path string) (int, string) {
	b.t.Helper()
	resp, body := b.fetch(path)
	if m := csrfField.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, string(body)
}

// fetch GETs path in the browser's session and reads the whole answer.
func (b *staffBrowser) fetch(path string) (*http.Response, []byte) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	for k, v := range b.header {
		req.Header[k] = v
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func (b *staffBrowser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	for k, v := range b.header {
		req.Header[k] = v
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b.follow(resp, body)
}

// follow reads what an action answered: where it sent the browser and the
// page, and — since the page it leads to says how it went — "done: …" or
// "error: …" from that page.
func (b *staffBrowser) follow(resp *http.Response, body []byte) string {
	b.t.Helper()
	text := resp.Header.Get("Location") + string(body)
	b.said = ""
	if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(loc, "/console/") && !strings.HasPrefix(loc, "/console/login") {
		_, page := b.get(loc)
		if m := saidError.FindStringSubmatch(page); m != nil {
			b.said, text = html.UnescapeString(m[1]), text+"\nerror: "+html.UnescapeString(m[1])
		} else if m := saidDone.FindStringSubmatch(page); m != nil {
			b.said, text = html.UnescapeString(m[1]), text+"\ndone: "+html.UnescapeString(m[1])
		}
	}
	return text
}

// sentTo is the path a post's answer sent the browser to: its first line,
// without the query.
func sentTo(answer string) string {
	return strings.SplitN(strings.SplitN(answer, "\n", 2)[0], "?", 2)[0]
}

var (
	saidDone  = regexp.MustCompile(`<p class="ok">([^<]*)</p>`)
	saidError = regexp.MustCompile(`<p class="error">([^<]*)</p>`)
)

// login signs in as a person does: the sign-in page first (its form
// carries a token of its own), then the form.
func (b *staffBrowser) login(username, password string) int {
	b.t.Helper()
	b.get("/console/login")
	status, _ := b.post("/console/login", url.Values{"username": {username}, "password": {password}, "csrf": {b.csrf}})
	if status == http.StatusSeeOther {
		b.get("/console/") // picks up the CSRF token
	}
	return status
}

// addStaff creates an account as `mashang staff add` does.
func (e *env) addStaff(t *testing.T, u mashang.StaffUser, jurisdiction, station string) {
	t.Helper()
	ctx := context.Background()
	var err error
	if jurisdiction != "" {
		if u.JurisdictionID, err = e.db.JurisdictionByPath(ctx, jurisdiction); err != nil {
			t.Fatal(err)
		}
	}
	if station != "" {
		st, err := e.db.StationByCode(ctx, station)
		if err != nil {
			t.Fatal(err)
		}
		u.StationID = st.ID
	}
	if _, err := (&mashang.Accounts{Store: e.db, Cost: bcrypt.MinCost}).Create(ctx, u, staffPassword); err != nil {
		t.Fatal(err)
	}
}

func TestConsoleLoginLockoutAndCSRF(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		e.addStaff(t, mashang.StaffUser{Username: "wangms", Name: "王秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")

		anon := e.browser(t)
		if status, _ := anon.get("/console/"); status != http.StatusSeeOther {
			t.Fatalf("inbox without a session: %d", status)
		}
		if status, _ := anon.get("/console/login"); status != http.StatusOK {
			t.Fatalf("login page: %d", status)
		}
		if status, says := anon.signIn("nobody", staffPassword); status != http.StatusUnauthorized || says != "用户名或密码不对" {
			t.Fatalf("unknown user: %d %q", status, says)
		}

		// Four wrong passwords, then the right one: in. Five wrong: locked,
		// even with the right one.
		b := e.browser(t)
		for range 4 {
			if status := b.login("wangms", "wrong password!!"); status != http.StatusUnauthorized {
				t.Fatalf("wrong password: %d", status)
			}
		}
		if status := b.login("wangms", staffPassword); status != http.StatusSeeOther || b.csrf == "" {
			t.Fatalf("right password after 4 wrong: %d", status)
		}
		locked := e.browser(t)
		for range mashang.MaxFailedLogins {
			locked.login("wangms", "wrong password!!")
		}
		if status, says := locked.signIn("wangms", staffPassword); status != http.StatusForbidden || !strings.Contains(says, "暂停登录") {
			t.Fatalf("locked account: %d %q", status, says)
		}

		// A form without the session's CSRF token, or from another site, is refused.
		_, out := e.mp(t, "POST", "/mp/cases", e.login(t, "oConsoleCsrf000000000001"), `{"request_id": "console-csrf", "scene": "st:demo-bdg", "text": "路灯不亮"}`)
		number := out["number"]
		for _, bad := range []url.Values{{"text": {"伪造的答复"}}, {"text": {"伪造的答复"}, "csrf": {"not-the-token"}}} {
			if status, _ := b.post("/console/cases/"+number+"/reply", bad); status != http.StatusForbidden {
				t.Fatalf("reply without CSRF: %d", status)
			}
		}
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/console/cases/"+number+"/reply",
			strings.NewReader(url.Values{"text": {"伪造"}, "csrf": {b.csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		if resp, err := b.client.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site reply: %v %v", resp, err)
		}
		if _, events := e.caseOf(t, number); strings.Contains(timeline(events), "伪造") {
			t.Fatalf("a refused form changed the case:\n%s", timeline(events))
		}
		// With the token: answered, and the audit log says who.
		if status, loc := b.post("/console/cases/"+number+"/reply", url.Values{"text": {"已报修，三天内修好"}, "csrf": {b.csrf}}); status != http.StatusSeeOther || !strings.Contains(loc, "done: ") {
			t.Fatalf("reply: %d %s", status, loc)
		}
		if _, events := e.caseOf(t, number); !strings.Contains(timeline(events), "reply: 已报修，三天内修好") {
			t.Fatalf("timeline:\n%s", timeline(events))
		}
		// Accept it and set its category from the console.
		if status, loc := b.post("/console/cases/"+number+"/do/accept", url.Values{"csrf": {b.csrf}}); status != http.StatusSeeOther || !strings.Contains(loc, "done: ") {
			t.Fatalf("accept: %d %s", status, loc)
		}
		if _, loc := b.post("/console/cases/"+number+"/do/accept", url.Values{"csrf": {b.csrf}}); !strings.Contains(loc, "error: ") {
			t.Fatalf("accepted twice: %s", loc)
		}
		if status, loc := b.post("/console/cases/"+number+"/do/category", url.Values{"category": {"市容环境"}, "csrf": {b.csrf}}); status != http.StatusSeeOther || !strings.Contains(loc, "done: ") {
			t.Fatalf("set category: %d %s", status, loc)
		}
		if c, events := e.caseOf(t, number); c.Status != mashang.CaseAccepted || c.Category != "市容环境" ||
			!strings.Contains(timeline(events), "categorised: 分类由「道路照明」改为「市容环境」") {
			t.Fatalf("after accept and category: %+v\n%s", c, timeline(events))
		}
		// Hand it over from the console: a department of its jurisdiction.
		if status, loc := b.post("/console/cases/"+number+"/handover", url.Values{"department": {"市南区城市管理局"}, "days": {"5"}, "csrf": {b.csrf}}); status != http.StatusSeeOther || !strings.Contains(loc, "done: ") {
			t.Fatalf("hand over: %d %s", status, loc)
		}
		if c, _ := e.caseOf(t, number); c.Status != mashang.CaseHanded {
			t.Fatalf("after hand-over: %+v", c)
		}
		// Closed, then reopened with a reason.
		b.post("/console/cases/"+number+"/close", url.Values{"result": {"已修复"}, "csrf": {b.csrf}})
		if status, loc := b.post("/console/cases/"+number+"/do/reopen", url.Values{"reason": {"群众反映仍未修好"}, "csrf": {b.csrf}}); status != http.StatusSeeOther || !strings.Contains(loc, "done: ") {
			t.Fatalf("reopen: %d %s", status, loc)
		}
		if c, _ := e.caseOf(t, number); c.Status != mashang.CaseReopened {
			t.Fatalf("after reopen: %+v", c)
		}
		audit, err := e.db.AuditLog(ctx, 10)
		if err != nil || len(audit) < 7 || audit[0].Action != "reopen" || audit[1].Action != "close" || audit[2].Action != "handover" ||
			audit[4].Detail == "" || audit[6].Action != "reply" || audit[6].Username != "wangms" || audit[6].Target != number { // the refused accept is audited too
			t.Fatalf("audit %+v %v", audit, err)
		}
		// Logging out ends the session: the old cookie opens nothing.
		if status, _ := b.post("/console/logout", url.Values{"csrf": {b.csrf}}); status != http.StatusSeeOther {
			t.Fatalf("logout: %d", status)
		}
		if status, _ := b.get("/console/"); status != http.StatusSeeOther {
			t.Fatalf("inbox after logout: %d", status)
		}
	})
}

func TestConsoleReachMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		token := e.login(t, "oConsoleMatrix0000000001")
		cases := map[string]string{}
		for _, st := range []string{"demo-bdg", "demo-xhw", "demo-lsh"} {
			_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "matrix-`+st+`", "scene": "st:`+st+`", "text": "楼道灯坏了"}`)
			if out["number"] == "" {
				t.Fatalf("raise at %s: %v", st, out)
			}
			cases[st] = out["number"]
		}
		e.addStaff(t, mashang.StaffUser{Username: "town", Name: "镇人大", Role: mashang.RoleStaff}, "青岛市/市南区/八大关街道", "")
		e.addStaff(t, mashang.StaffUser{Username: "laoshan", Name: "崂山区人大", Role: mashang.RoleStaff}, "青岛市/崂山区", "")
		e.addStaff(t, mashang.StaffUser{Username: "xhwsec", Name: "薛家岛秘书", Role: mashang.RoleSecretary}, "", "demo-xhw")
		e.addStaff(t, mashang.StaffUser{Username: "city", Name: "市人大", Role: mashang.RoleStaff}, "青岛市", "")
		e.addStaff(t, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
		// A handler of 市南区城市管理局, which has the 八大关 case handed to it.
		dept, err := e.db.DepartmentByPath(context.Background(), "青岛市/市南区/市南区城市管理局")
		if err != nil {
			t.Fatal(err)
		}
		e.addStaff(t, mashang.StaffUser{Username: "dept", Name: "城管局经办人", Role: mashang.RoleHandler, DepartmentID: dept}, "", "")
		if status, out := e.staffPost(t, "/api/cases/"+cases["demo-bdg"]+"/handover", staffToken, `{"department": "市南区城市管理局", "days": 10}`); status != http.StatusOK {
			t.Fatalf("hand over: %d %v", status, out)
		}
		reach := map[string][]string{
			"dept": {"demo-bdg"},
			"town": {"demo-bdg"}, "laoshan": {"demo-lsh"}, "xhwsec": {"demo-xhw"},
			"city": {"demo-bdg", "demo-xhw", "demo-lsh"}, "admin": {"demo-bdg", "demo-xhw", "demo-lsh"},
		}
		for user, stations := range reach {
			b := e.browser(t)
			if status := b.login(user, staffPassword); status != http.StatusSeeOther {
				t.Fatalf("%s login: %d", user, status)
			}
			_, inbox := b.get("/console/")
			// The export and the figures hold only what is within reach.
			exported := b.problemNumbers("市南区城市管理局")
			_, figures := b.get("/console/figures")
			for st, number := range cases {
				in := slices.Contains(stations, st)
				if got, want := slices.Contains(exported, number), in && st == "demo-bdg"; got != want {
					t.Errorf("%s's problem list holds %s (%s): %v", user, number, st, got)
				}
				station, err := e.db.StationByCode(context.Background(), st)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(figures, station.Name) != in {
					t.Errorf("%s's figures show %s: %v", user, station.Name, !in)
				}
			}
			for st, number := range cases {
				in := false
				for _, s := range stations {
					in = in || s == st
				}
				if strings.Contains(inbox, number) != in {
					t.Errorf("%s's inbox shows %s (%s): %v", user, number, st, !in)
				}
				page, reply, route := http.StatusNotFound, http.StatusNotFound, http.StatusNotFound
				if in {
					page, reply, route = http.StatusOK, http.StatusSeeOther, http.StatusSeeOther
				}
				acts := user != "dept" // a department's handler reads, and may do nothing else (403), whatever the case
				if !acts {
					reply, route = http.StatusForbidden, http.StatusForbidden
				}
				if status, _ := b.get("/console/cases/" + number); status != page {
					t.Errorf("%s → page of %s (%s): %d, want %d", user, number, st, status, page)
				}
				if status, _ := b.post("/console/cases/"+number+"/reply", url.Values{"text": {user + " 的答复"}, "csrf": {b.csrf}}); status != reply {
					t.Errorf("%s → reply to %s (%s): %d, want %d", user, number, st, status, reply)
				}
				if status, _ := b.post("/console/cases/"+number+"/route", url.Values{"group": {"政策咨询组"}, "reason": {"试改派"}, "csrf": {b.csrf}}); status != route {
					t.Errorf("%s → reroute %s (%s): %d, want %d", user, number, st, status, route)
				}
				if status, _ := b.post("/console/cases/"+number+"/handover", url.Values{"department": {"不存在的局"}, "days": {"5"}, "csrf": {b.csrf}}); status != route {
					t.Errorf("%s → hand over %s (%s): %d, want %d", user, number, st, status, route)
				}
				if _, events := e.caseOf(t, number); strings.Contains(timeline(events), user+" 的答复") != (in && acts) {
					t.Errorf("%s's reply reached %s (%s): %v", user, number, st, !in)
				}
			}
		}
	})
}

// problemNumbers downloads a department's problem list and gives the case
// numbers in it.
func (b *staffBrowser) problemNumbers(department string) []string {
	b.t.Helper()
	return problemRows(b.t, b, "/console/problems.xlsx?department="+url.QueryEscape(department))
}

func TestConsoleFiguresAndProblemList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		token := e.login(t, "oConsoleFigures000000001")
		var numbers []string
		// Two cases at one station from one citizen are two citizens' (one
		// citizen's would join in one case).
		tokens := []string{token, e.login(t, "oConsoleFigures000000002"), token}
		for i, st := range []string{"demo-bdg", "demo-bdg", "demo-lsh"} {
			_, out := e.mp(t, "POST", "/mp/cases", tokens[i], `{"request_id": "figures-0`+string(rune('1'+i))+`", "scene": "st:`+st+`", "text": "路灯坏了"}`)
			numbers = append(numbers, out["number"])
		}
		for _, n := range numbers[:2] {
			if status, out := e.staffPost(t, "/api/cases/"+n+"/handover", staffToken, `{"department": "市南区城市管理局", "days": 5}`); status != http.StatusOK {
				t.Fatalf("hand over %s: %d %v", n, status, out)
			}
		}
		if status, _ := e.staffPost(t, "/api/cases/"+numbers[0]+"/close", staffToken, `{"result": "已修复"}`); status != http.StatusOK {
			t.Fatal("close")
		}
		e.addStaff(t, mashang.StaffUser{Username: "shinan", Name: "市南区人大", Role: mashang.RoleStaff}, "青岛市/市南区", "")
		b := e.browser(t)
		b.login("shinan", staffPassword)
		status, page := b.get("/console/figures")
		if status != http.StatusOK || !strings.Contains(page, "收集 <strong>2</strong> 件，办结 <strong>1</strong> 件（50.0%）") || strings.Contains(page, "沙子口") {
			t.Fatalf("figures: %d %s", status, page)
		}
		// The month's chart: two collected, one closed, as bars with their counts.
		month := time.Now().In(mashang.China).Format("2006-01")
		for _, want := range []string{"<svg", "<title>" + month + " 收集 2 件</title>", "<title>" + month + " 办结 1 件</title>"} {
			if !strings.Contains(page, want) {
				t.Fatalf("figures chart lacks %q: %s", want, page)
			}
		}
		// The inbox's filters: department, colour, category, dates, text.
		for _, f := range []struct {
			query string
			want  []string
		}{
			{"department=" + url.QueryEscape("市南区城市管理局"), numbers[:2]},
			{"status=closed", numbers[:1]},
			{"colour=green&category=" + url.QueryEscape("道路照明"), numbers[:2]},
			{"colour=red", nil},
			{"from=2000-01-01&to=2000-12-31", nil},
			{"q=" + url.QueryEscape("路灯%"), nil}, // % is a character, not a wildcard
		} {
			_, inbox := b.get("/console/?" + f.query)
			for _, n := range numbers[:2] {
				if strings.Contains(inbox, n) != slices.Contains(f.want, n) {
					t.Errorf("inbox ?%s shows %s: %v", f.query, n, !slices.Contains(f.want, n))
				}
			}
		}
		if status, _ := b.get("/console/figures?from=2026-13-01"); status != http.StatusBadRequest {
			t.Fatalf("bad date: %d", status)
		}

		resp, err := b.client.Get(e.srv.URL + "/console/problems.xlsx?department=" + url.QueryEscape("市南区城市管理局"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		book, err := excelize.OpenReader(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("xlsx: %d %v", resp.StatusCode, err)
		}
		rows, err := book.GetRows("问题建议清单")
		if err != nil || len(rows) != 3 || rows[0][0] != "序号" || rows[0][5] != "问题内容" || rows[1][1] != numbers[0] || rows[1][9] != "已办结" || rows[2][1] != numbers[1] {
			t.Fatalf("problem list rows %v %v", rows, err)
		}
		// The list with a text: through the full-text index's condition
		// (every match, oldest first), not the inbox's page; indexed, so
		// that the index and not the pending notes finds them.
		if _, err := e.db.IndexSearch(context.Background()); err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]int{"路灯坏": 3, "不存在的词": 1} {
			resp, err := b.client.Get(e.srv.URL + "/console/problems.xlsx?department=" + url.QueryEscape("市南区城市管理局") + "&q=" + url.QueryEscape(q))
			if err != nil {
				t.Fatal(err)
			}
			book, err := excelize.OpenReader(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("xlsx ?q=%s: %d %v", q, resp.StatusCode, err)
			}
			if rows, err := book.GetRows("问题建议清单"); err != nil || len(rows) != want {
				t.Errorf("problem list ?q=%s: %d rows, want %d (%v)", q, len(rows), want, err)
			}
		}
		// Bulk hand-over from the inbox: one in reach is handed, one out of reach is refused.
		status, loc := b.post("/console/bulk-handover", url.Values{"number": {numbers[1], numbers[2]}, "department": {"市南区教育局"},
			"days": {"5"}, "csrf": {b.csrf}})
		if status != http.StatusSeeOther || !strings.Contains(loc, "error: ") {
			t.Fatalf("bulk with an unknown department: %d %s", status, loc)
		}
		status, loc = b.post("/console/bulk-handover", url.Values{"number": {numbers[1], numbers[2]}, "department": {"八大关街道办事处"},
			"days": {"3"}, "csrf": {b.csrf}})
		if status != http.StatusSeeOther || !strings.Contains(b.said, "交办1件，1件未交办："+numbers[2]+"：问题不存在") {
			t.Fatalf("bulk hand-over: %d %s", status, loc)
		}
		if _, events := e.caseOf(t, numbers[1]); !strings.Contains(timeline(events), "八大关街道办事处") {
			t.Fatalf("bulk hand-over did not reach %s:\n%s", numbers[1], timeline(events))
		}
		if _, events := e.caseOf(t, numbers[2]); strings.Contains(timeline(events), "handed") {
			t.Fatalf("a case out of reach was handed over:\n%s", timeline(events))
		}
	})
}

// uploadRoster posts a roster file as the console's form does.
func (b *staffBrowser) uploadRoster(kind, name string, data []byte) (int, string) {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("csrf", b.csrf)
	w.WriteField("kind", kind)
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(data)
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, b.base+"/console/manage/import", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b.follow(resp, page)
}

func TestConsoleManagement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		e.addStaff(t, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
		e.addStaff(t, mashang.StaffUser{Username: "clerk", Name: "办事员", Role: mashang.RoleStaff}, "青岛市", "")

		clerk := e.browser(t)
		clerk.login("clerk", staffPassword)
		if status, _ := clerk.get("/console/manage"); status != http.StatusForbidden {
			t.Fatalf("a non-admin on the management page: %d", status)
		}
		if status, _ := clerk.post("/console/manage/users", url.Values{"username": {"sneaky"}, "name": {"x"}, "role": {"admin"},
			"password": {staffPassword}, "csrf": {clerk.csrf}}); status != http.StatusForbidden {
			t.Fatalf("a non-admin creating an account: %d", status)
		}

		admin := e.browser(t)
		admin.login("admin", staffPassword)
		if status, page := admin.get("/console/manage"); status != http.StatusOK || !strings.Contains(page, "clerk") {
			t.Fatalf("management page: %d", status)
		}
		status, loc := admin.post("/console/manage/users", url.Values{"username": {"xhw"}, "name": {"薛家岛秘书"}, "role": {"secretary"},
			"scope": {"demo-xhw"}, "password": {staffPassword}, "csrf": {admin.csrf}})
		if status != http.StatusSeeOther || !strings.Contains(loc, "done: ") {
			t.Fatalf("create a secretary: %d %s", status, loc)
		}
		if status := e.browser(t).login("xhw", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("the new secretary cannot sign in: %d", status)
		}
		if _, loc := admin.post("/console/manage/users", url.Values{"username": {"weak"}, "name": {"弱"}, "role": {"staff"},
			"scope": {"青岛市"}, "password": {"short"}, "csrf": {admin.csrf}}); !strings.Contains(loc, "error: ") {
			t.Fatalf("a weak password was taken: %s", loc)
		}

		// A roster with bad rows is refused whole, each row named; a good one is applied.
		bad := []byte("名称,所属辖区\n,青岛市/市南区\n市南区教育局,\n")
		// The bad rows are shown at once, on the page the form is on.
		status, page := admin.uploadRoster("departments", "departments.csv", bad)
		if status != http.StatusBadRequest || !strings.Contains(page, `<p class="error">`) || strings.Count(page, "<li>第") != 2 || !strings.Contains(page, "第2行") {
			t.Fatalf("bad roster: %d %s", status, page)
		}
		good := []byte("名称,所属辖区\n市南区教育局,青岛市/市南区\n")
		if status, loc := admin.uploadRoster("departments", "departments.csv", good); status != http.StatusSeeOther || sentTo(loc) != "/console/manage" {
			t.Fatalf("good roster: %d %s", status, loc)
		}
		if !strings.Contains(admin.said, "导入完成") {
			t.Fatalf("the page after the good roster does not say it was applied: %q", admin.said)
		}
		audit, _ := e.db.AuditLog(ctx, 5)
		if len(audit) < 3 || audit[0].Action != "import_departments" || audit[0].Username != "admin" {
			t.Fatalf("audit %+v", audit)
		}
	})
}
