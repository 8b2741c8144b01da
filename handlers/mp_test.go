package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/handlers"
	"mashang/store"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

func (e *env) mp(t *testing.T, method, path, token, body string) (int, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.mpDo(t, req)
}

// mpDo sends req and reads the JSON object answered, every value as a
// string (non-strings as their JSON).
func (e *env) mpDo(t *testing.T, req *http.Request) (int, map[string]string) {
	t.Helper()
	status, raw := e.do(t, req)
	var fields map[string]any
	_ = json.Unmarshal(raw, &fields)
	out := map[string]string{}
	for k, v := range fields {
		if s, ok := v.(string); ok {
			out[k] = s
		} else {
			b, _ := json.Marshal(v)
			out[k] = string(b)
		}
	}
	return status, out
}

func TestMiniProgramLogin(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	code := e.fake.IssueLoginCode(mpAppID, "oMiniProgramCitizen0001", "uUnion0001")
	status, out := e.mp(t, "POST", "/mp/login", "", `{"code": "`+code+`"}`)
	if status != http.StatusOK || out["token"] == "" || out["expires_at"] == "" {
		t.Fatalf("login %d %v", status, out)
	}
	token := out["token"]
	if status, me := e.mp(t, "GET", "/mp/me", token, ""); status != http.StatusOK || me["openid"] != "oMin****01" {
		t.Fatalf("me %d %v", status, me)
	}
	// Any instance with the same secret accepts it: nothing is kept in memory.
	if s, err := (&mashang.Sessions{Secret: testSessions.Secret}).Verify(token); err != nil || s.UnionID != "uUnion0001" {
		t.Fatalf("another instance: %+v %v", s, err)
	}

	forged := token[:len(token)-2] + "AA"
	expired, _ := (&mashang.Sessions{Secret: testSessions.Secret, Now: func() time.Time { return time.Now().Add(-8 * 24 * time.Hour) }}).Issue("oMiniProgramCitizen0001", "")
	otherKey, _ := (&mashang.Sessions{Secret: []byte("someone else's secret, long enough")}).Issue("oMiniProgramCitizen0001", "")
	cases := []struct {
		name, method, path, token, body string
		status                          int
		says                            string
	}{
		{"code used twice", "POST", "/mp/login", "", `{"code": "` + code + `"}`, http.StatusUnauthorized, "已使用"},
		{"code not from wx.login", "POST", "/mp/login", "", `{"code": "a&b=c"}`, http.StatusBadRequest, "登录凭证"},
		{"code of the wrong type", "POST", "/mp/login", "", `{"code": 12345}`, http.StatusBadRequest, "code"},
		{"no token", "GET", "/mp/me", "", "", http.StatusUnauthorized, "请先登录"},
		{"forged token", "GET", "/mp/me", forged, "", http.StatusUnauthorized, "重新登录"},
		{"another key", "GET", "/mp/me", otherKey, "", http.StatusUnauthorized, "重新登录"},
		{"expired token", "GET", "/mp/me", expired, "", http.StatusUnauthorized, "过期"},
	}
	for _, c := range cases {
		status, out := e.mp(t, c.method, c.path, c.token, c.body)
		if status != c.status || !strings.Contains(out["message"], c.says) {
			t.Errorf("%s: %d %v, want %d saying %q", c.name, status, out, c.status, c.says)
		}
	}
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, body := get(t, url)
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%s: not JSON: %s", url, body)
	}
	return resp.StatusCode
}

func TestStationsNearMeAndPublicPages(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	// A bound deputy: their WeChat must not show on any public page.
	bindDeputy(t, e, "demo-d01", "oWangHaiyan000000000000000", time.Now())

	var near struct {
		Stations []struct {
			Code          string   `json:"code"`
			DistanceKm    *float64 `json:"distance_km"`
			NextReception string   `json:"next_reception"`
			Kind          string   `json:"kind"`
		} `json:"stations"`
	}
	// Standing at 八大关.
	if status := getJSON(t, e.srv.URL+"/mp/stations/near?lat=36.0531&lng=120.3561&limit=5", &near); status != http.StatusOK {
		t.Fatalf("near answered %d", status)
	}
	var codes []string
	for _, s := range near.Stations {
		codes = append(codes, s.Code)
	}
	if strings.Join(codes, ",") != "demo-bdg,demo-xhw,demo-lsh" {
		t.Fatalf("nearest first: %v", codes)
	}
	first := near.Stations[0]
	if first.DistanceKm == nil || *first.DistanceKm > 0.1 || first.NextReception == "" || first.Kind != "代表联络站" {
		t.Fatalf("first station %+v", first)
	}
	var bad map[string]string
	if status := getJSON(t, e.srv.URL+"/mp/stations/near?lat=north&lng=120", &bad); status != http.StatusBadRequest || bad["code"] != "invalid" {
		t.Fatalf("bad latitude: %d %v", status, bad)
	}

	resp, body := get(t, e.srv.URL+"/mp/stations/demo-bdg")
	page := string(body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("station page %d", resp.StatusCode)
	}
	for _, want := range []string{`"name":"王海燕"`, `"level":"市"`, `"name":"生活保障组"`, `"道路照明"`, `"leader":"李建国"`, `"duty":true`} {
		if !strings.Contains(page, want) {
			t.Errorf("station page lacks %s: %s", want, page)
		}
	}
	resp, body = get(t, e.srv.URL+"/mp/deputies/demo-d05")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"name":"陈秀兰"`) || !strings.Contains(string(body), `"code":"demo-bdg"`) {
		t.Fatalf("deputy page %d %s", resp.StatusCode, body)
	}
	for _, path := range []string{"/mp/stations/demo-bdg", "/mp/deputies/demo-d01", "/mp/stations/near?lat=36.05&lng=120.35"} {
		_, body := get(t, e.srv.URL+path)
		if strings.Contains(string(body), "oWang") || strings.Contains(string(body), "phone") {
			t.Errorf("%s shows personal data: %s", path, body)
		}
	}
	if resp, _ := get(t, e.srv.URL+"/mp/deputies/nobody"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown deputy answered %d", resp.StatusCode)
	}
}

func TestPhoneNumberIsKeptSealedAndShownMasked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		code := e.fake.IssueLoginCode(mpAppID, "oPhoneCitizen000000000001", "")
		_, out := e.mp(t, "POST", "/mp/login", "", `{"code": "`+code+`"}`)
		token := out["token"]
		if _, me := e.mp(t, "GET", "/mp/me", token, ""); me["phone"] != "" {
			t.Fatalf("a phone before any was granted: %v", me)
		}
		phoneCode := e.fake.IssuePhoneCode(mpAppID, "13800138000")
		status, out := e.mp(t, "POST", "/mp/phone", token, `{"code": "`+phoneCode+`"}`)
		if status != http.StatusOK || out["phone"] != "138****8000" {
			t.Fatalf("phone %d %v", status, out)
		}
		if _, me := e.mp(t, "GET", "/mp/me", token, ""); me["phone"] != "138****8000" {
			t.Fatalf("me %v", me)
		}
		// At rest it is sealed: the number is nowhere in the database.
		sealed, err := e.db.MPPhone(context.Background(), "oPhoneCitizen000000000001")
		if err != nil || sealed == "" || strings.Contains(sealed, "13800138000") {
			t.Fatalf("stored %q (%v)", sealed, err)
		}
		if plain, err := testVault.Open(sealed); err != nil || plain != "13800138000" {
			t.Fatalf("opened %q %v", plain, err)
		}
		// The code works once.
		if status, out := e.mp(t, "POST", "/mp/phone", token, `{"code": "`+phoneCode+`"}`); status != http.StatusBadRequest || !strings.Contains(out["message"], "已使用") {
			t.Fatalf("second use: %d %v", status, out)
		}
		if status, _ := e.mp(t, "POST", "/mp/phone", "", `{"code": "x"}`); status != http.StatusUnauthorized {
			t.Fatalf("without a session: %d", status)
		}
	})
}

func TestRaiseACaseFromTheForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		bindDeputy(t, e, "demo-d02", "oDeputyLiForm0000000000000", time.Now()) // 生活保障组 at 八大关
		code := e.fake.IssueLoginCode(mpAppID, "oFormCitizen0000000000001", "")
		_, out := e.mp(t, "POST", "/mp/login", "", `{"code": "`+code+`"}`)
		token := out["token"]

		form := `{"request_id": "req-0001-abcd", "scene": "st:demo-bdg", "text": "小区路灯坏了，晚上很黑",
			"location": {"latitude": 36.0531, "longitude": 120.3561, "label": "居庸关路"}, "public": true}`
		status, out := e.mp(t, "POST", "/mp/cases", token, form)
		if status != http.StatusCreated || out["number"] == "" {
			t.Fatalf("raise %d %v", status, out)
		}
		number := out["number"]
		// A retry of the same submission finds the same case.
		if status, again := e.mp(t, "POST", "/mp/cases", token, form); status != http.StatusCreated || again["number"] != number {
			t.Fatalf("retry %d %v", status, again)
		}
		if n, _ := e.db.CountCases(ctx); n != 1 {
			t.Fatalf("%d cases", n)
		}
		// Routed and notified exactly as a scanned message would be.
		c, events := e.caseOf(t, number)
		if c.GroupName != "生活保障组" || c.Category != "道路照明" || !c.PublicConsent || c.OpenID != "oFormCitizen0000000000001" {
			t.Fatalf("case %+v", c)
		}
		tl := timeline(events)
		for _, want := range []string{"opened: 群众通过小程序表单向「市南区八大关街道人大代表联络站」反映", "routed: 内容含“路灯”", "notified: 已通过模板消息通知1位代表"} {
			if !strings.Contains(tl, want) {
				t.Errorf("timeline lacks %q:\n%s", want, tl)
			}
		}
		for _, bad := range []struct{ body, says string }{
			{`{"request_id": "short", "scene": "st:demo-bdg", "text": "x"}`, "request_id"},
			{`{"request_id": "req-0002-abcd", "scene": "nowhere", "text": "x"}`, "scene"},
			{`{"request_id": "req-0003-abcd", "scene": "st:demo-bdg", "text": "  "}`, "描述"},
			{`{"request_id": "req-0004-abcd", "scene": "st:demo-bdg", "text": "x", "location": {"latitude": 95, "longitude": 1}}`, "超出范围"},
		} {
			if status, out := e.mp(t, "POST", "/mp/cases", token, bad.body); status != http.StatusBadRequest || !strings.Contains(out["message"], bad.says) {
				t.Errorf("%s: %d %v", bad.body, status, out)
			}
		}
		if status, _ := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "req-0005-abcd", "scene": "st:nope", "text": "x"}`); status != http.StatusNotFound {
			t.Errorf("unknown station: %d", status)
		}
		if status, _ := e.mp(t, "POST", "/mp/cases", "", form); status != http.StatusUnauthorized {
			t.Errorf("without a session: %d", status)
		}
		if n, _ := e.db.CountCases(ctx); n != 1 {
			t.Fatalf("refused forms made cases: %d", n)
		}
	})
}

func TestCitizensFollowOnlyTheirOwnCases(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	login := func(openid string) string {
		_, out := e.mp(t, "POST", "/mp/login", "", `{"code": "`+e.fake.IssueLoginCode(mpAppID, openid, "")+`"}`)
		return out["token"]
	}
	mine, theirs := login("oFollowMine00000000000001"), login("oFollowTheirs000000000001")
	_, out := e.mp(t, "POST", "/mp/cases", mine, `{"request_id": "follow-0001", "scene": "dp:demo-d03", "text": "孩子入学的问题想咨询"}`)
	number := out["number"]

	resp, body := getAuth(t, e.srv.URL+"/mp/cases", mine)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), number) || !strings.Contains(string(body), `"status_label":"已受理，等待代表处理"`) {
		t.Fatalf("my cases %d %s", resp.StatusCode, body)
	}
	resp, body = getAuth(t, e.srv.URL+"/mp/cases/"+number, mine)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "群众找的是张晓梅代表，由张晓梅代表及其所在的「医疗教育组」处理") {
		t.Fatalf("my case %d %s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), `"kind":"alert"`) {
		t.Errorf("staff notes shown to the citizen: %s", body)
	}
	// Another citizen: the number does not exist for them.
	if resp, _ := getAuth(t, e.srv.URL+"/mp/cases/"+number, theirs); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another citizen got %d", resp.StatusCode)
	}
	if _, body := getAuth(t, e.srv.URL+"/mp/cases", theirs); strings.Contains(string(body), number) {
		t.Fatalf("another citizen's list shows it: %s", body)
	}
}

func mustJSON(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
}

func getAuth(t *testing.T, url, token string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestRateTheAnswer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		const deputy = "oDeputyRate00000000000001"
		bindDeputy(t, e, "demo-d02", deputy, time.Now()) // 生活保障组 at 八大关
		_, out := e.mp(t, "POST", "/mp/login", "", `{"code": "`+e.fake.IssueLoginCode(mpAppID, "oRateCitizen0000000000001", "")+`"}`)
		token := out["token"]
		_, out = e.mp(t, "POST", "/mp/cases", token, `{"request_id": "rate-0001", "scene": "st:demo-bdg", "text": "楼下路灯不亮"}`)
		number := out["number"]
		rate := func(body string) (int, map[string]string) {
			return e.mp(t, "POST", "/mp/cases/"+number+"/rating", token, body)
		}

		// Nothing to rate before an answer.
		if status, out := rate(`{"verdict": "满意"}`); status != http.StatusConflict || !strings.Contains(out["message"], "还没有答复") {
			t.Fatalf("before an answer: %d %v", status, out)
		}
		if status, _ := e.staffReply(t, number, staffToken, `{"text": "已联系路灯所，明日维修"}`); status != http.StatusAccepted {
			t.Fatalf("staff reply: %d", status)
		}
		for _, bad := range []struct{ body, says string }{
			{`{"verdict": "还行"}`, "verdict"},
			{`{"verdict": "dissatisfied"}`, "哪里不满意"},
			{`{"verdict": "satisfied", "comment": "` + strings.Repeat("长", 501) + `"}`, "500"},
			{`{"verdict": 3}`, "verdict"},
		} {
			if status, out := rate(bad.body); status != http.StatusBadRequest || !strings.Contains(out["message"], bad.says) {
				t.Errorf("%.40s: %d %v", bad.body, status, out)
			}
		}
		// Another citizen cannot rate it: for them it does not exist.
		_, other := e.mp(t, "POST", "/mp/login", "", `{"code": "`+e.fake.IssueLoginCode(mpAppID, "oRateOther00000000000001", "")+`"}`)
		if status, _ := e.mp(t, "POST", "/mp/cases/"+number+"/rating", other["token"], `{"verdict": "不满意", "comment": "x"}`); status != http.StatusNotFound {
			t.Fatalf("another citizen: %d", status)
		}

		// 不满意 reopens the case and tells the group's deputies again.
		if status, out := rate(`{"verdict": "不满意", "comment": "三天了还是不亮"}`); status != http.StatusCreated || out["reopened"] != "true" || out["label"] != "不满意" {
			t.Fatalf("dissatisfied: %d %v", status, out)
		}
		if status, out := rate(`{"verdict": "satisfied"}`); status != http.StatusConflict || !strings.Contains(out["message"], "已经评价过") {
			t.Fatalf("second verdict on the same answer: %d %v", status, out)
		}
		c, events := e.caseOf(t, number)
		if c.Status != mashang.CaseReopened || c.PoorRatings != 1 || c.Rating != mashang.RatingDissatisfied {
			t.Fatalf("case after 不满意: %+v", c)
		}
		tl := timeline(events)
		for _, want := range []string{"rated: 群众评价：不满意。意见：三天了还是不亮", "reopened: 群众不满意，问题重新交办（第1次不满意）",
			"notified: 已通过模板消息通知1位代表（群众不满意，请重新办理）"} {
			if !strings.Contains(tl, want) {
				t.Errorf("timeline lacks %q:\n%s", want, tl)
			}
		}
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		sent := e.fake.Delivered(deputy)
		if len(sent) != 2 || sent[0].Data["thing4"] != "群众不满意：三天了还是不亮" && sent[1].Data["thing4"] != "群众不满意：三天了还是不亮" {
			t.Fatalf("deputy got %d messages: %+v", len(sent), sent)
		}

		// A new answer can be rated again; satisfied leaves the case as staff set it.
		if status, _ := e.staffReply(t, number, staffToken, `{"text": "路灯已修好"}`); status != http.StatusAccepted {
			t.Fatalf("second reply: %d", status)
		}
		if status, out := rate(`{"verdict": "basically_satisfied", "comment": "修好了，就是慢"}`); status != http.StatusCreated || out["label"] != "基本满意" {
			t.Fatalf("second rating: %d %v", status, out)
		}
		resp, body := getAuth(t, e.srv.URL+"/mp/cases/"+number, token)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"rating_label":"基本满意"`) {
			t.Fatalf("case page: %d %s", resp.StatusCode, body)
		}
	})
}

func TestCitizensAreRateLimited(t *testing.T) {
	// Three requests at once, then one every 1000 s: the fourth in a row is
	// refused, however fast or slow the machine.
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{citizenLimit: handlers.RateLimit{PerSecond: 0.001, Burst: 3}})
	near := func(forwardedFor string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/mp/stations/near?lat=36.06&lng=120.38", nil)
		if forwardedFor != "" {
			req.Header.Set("X-Forwarded-For", forwardedFor)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	// Before login, by address: two logins and a page use this address's burst.
	tokenA := e.login(t, "oLimitA000000000000000001")
	tokenB := e.login(t, "oLimitB000000000000000001")
	if resp := near(""); resp.StatusCode != http.StatusOK {
		t.Fatalf("third request: %d", resp.StatusCode)
	}
	resp := near("")
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fourth request: %d", resp.StatusCode)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 900 || s > 1000 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	// A forged X-Forwarded-For does not buy a fresh bucket: no proxy is trusted.
	if resp := near("203.0.113.9"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("with a forged X-Forwarded-For: %d", resp.StatusCode)
	}
	// Signed in, each citizen has their own bucket.
	for i := range 3 {
		if status, _ := e.mp(t, "GET", "/mp/me", tokenA, ""); status != http.StatusOK {
			t.Fatalf("citizen A request %d: %d", i+1, status)
		}
	}
	status, out := e.mp(t, "GET", "/mp/me", tokenA, "")
	if status != http.StatusTooManyRequests || out["code"] != "rate_limited" || !strings.Contains(out["message"], "秒后再试") {
		t.Fatalf("citizen A over the limit: %d %v", status, out)
	}
	if status, _ := e.mp(t, "GET", "/mp/me", tokenB, ""); status != http.StatusOK {
		t.Fatalf("citizen B is not limited by A: %d", status)
	}
}

func TestMiniProgramFindsCasesRaisedThroughTheOfficialAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		const oaOpenID, mpOpenID, unionID = "oOfficialAcct00000000001", "oMiniProg000000000000001", "uUnion000000000000000001"
		now := time.Now()
		e.fake.Follow(oaOpenID)
		e.fake.SetUnionID(oaOpenID, unionID)
		e.say(t, wechattest.SubscribeByScan(account, oaOpenID, "st:demo-bdg", now))
		reply := e.say(t, wechattest.Text(account, oaOpenID, 7001, "小区门口的路灯坏了", now.Add(time.Minute)))
		c, _ := e.caseOf(t, reply)

		// The unionid is read from WeChat once the follower is known.
		unions := &mashang.Unions{Store: e.db, WeChat: e.clients}
		if n, err := unions.Fill(ctx); err != nil || n != 1 {
			t.Fatalf("fill unionids: %d %v", n, err)
		}
		if n, err := unions.Fill(ctx); err != nil || n != 0 {
			t.Fatalf("asked twice: %d %v", n, err)
		}

		_, out := e.mp(t, "POST", "/mp/login", "", `{"code": "`+e.fake.IssueLoginCode(mpAppID, mpOpenID, unionID)+`"}`)
		token := out["token"]
		resp, body := getAuth(t, e.srv.URL+"/mp/cases", token)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), c.Number) {
			t.Fatalf("the Mini Program does not show the OA case: %d %s", resp.StatusCode, body)
		}
		if resp, body := getAuth(t, e.srv.URL+"/mp/cases/"+c.Number, token); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "小区门口的路灯坏了") {
			t.Fatalf("OA case page: %d %s", resp.StatusCode, body)
		}
		// Someone else, without that unionid, does not see it.
		stranger := e.login(t, "oMiniProgStranger0000001")
		if resp, _ := getAuth(t, e.srv.URL+"/mp/cases/"+c.Number, stranger); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("stranger: %d", resp.StatusCode)
		}
		// Unfollowing drops the link (WeChat asks that what we know of them go).
		e.say(t, wechattest.Event(account, oaOpenID, "unsubscribe", "", now.Add(2*time.Minute)))
		if _, body := getAuth(t, e.srv.URL+"/mp/cases", token); strings.Contains(string(body), c.Number) {
			t.Fatalf("still linked after unfollowing: %s", body)
		}
		if n, err := unions.Fill(ctx); err != nil || n != 0 {
			t.Fatalf("asked for someone who left: %d %v", n, err)
		}
		// Following again, they are asked again, once.
		e.say(t, wechattest.SubscribeByScan(account, oaOpenID, "st:demo-bdg", now.Add(3*time.Minute)))
		if n, err := unions.Fill(ctx); err != nil || n != 1 {
			t.Fatalf("fill after following again: %d %v", n, err)
		}
		if n, err := unions.Fill(ctx); err != nil || n != 0 {
			t.Fatalf("asked twice after following again: %d %v", n, err)
		}
		if _, body := getAuth(t, e.srv.URL+"/mp/cases", token); !strings.Contains(string(body), c.Number) {
			t.Fatalf("not linked again after following again: %s", body)
		}
	})
}

func TestTheCitizenMayChooseTheCategory(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	token := e.login(t, "oChooseCategory000000001")
	// The text would go to 生活保障组 (路灯); the citizen says it is about policy.
	_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "choose-0001", "scene": "st:demo-bdg", "text": "路灯改造有没有补贴", "category": "政策咨询"}`)
	c, events := e.caseOf(t, out["number"])
	if c.Category != "政策咨询" || c.GroupName != "政策咨询组" || !strings.Contains(timeline(events), "routed: 群众选择「政策咨询」类，由「市南区八大关街道人大代表联络站」的「政策咨询组」处理") {
		t.Fatalf("case %+v\n%s", c, timeline(events))
	}
	status, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "choose-0002", "scene": "st:demo-bdg", "text": "x", "category": "外星人"}`)
	if status != http.StatusBadRequest || !strings.Contains(out["message"], "category") || !strings.Contains(out["message"], "道路照明") {
		t.Fatalf("unknown category: %d %v", status, out)
	}
	if n, _ := e.db.CountCases(context.Background()); n != 1 {
		t.Fatalf("%d cases", n)
	}
}
