package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gin-gonic/gin"

	"mashang/handlers"
	"mashang/roster"
	"mashang/store"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// The contract: handlers/openapi.yaml, loaded and checked once per run.
var loadContract = sync.OnceValues(func() (*contract, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("openapi.yaml")
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &contract{doc: doc, router: router}, nil
})

type contract struct {
	doc    *openapi3.T
	router routers.Router
}

// contractChecker is the router as the tests reach it (newEnv): every
// answer to a route the document lists is checked against the document —
// its status must be documented, its headers and its body must match the
// schema — and a request under /mp/ or /api/ the document does not list is
// an error. Requests are not validated: tests send bad ones on purpose, and
// the answer to those is what the contract is about.
type contractChecker struct {
	t        *testing.T
	next     http.Handler
	contract *contract

	mu        sync.Mutex
	validated map[string]map[int]bool // "POST /mp/login" → statuses that matched
}

func checkContract(t *testing.T, next http.Handler) *contractChecker {
	t.Helper()
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	return &contractChecker{t: t, next: next, contract: c, validated: map[string]map[int]bool{}}
}

func (cc *contractChecker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route, params, err := cc.contract.router.FindRoute(r)
	if err != nil {
		if strings.HasPrefix(r.URL.Path, "/mp/") || strings.HasPrefix(r.URL.Path, "/api/") {
			cc.t.Errorf("contract: %s %s is not in openapi.yaml: %v", r.Method, r.URL.Path, err)
		}
		cc.next.ServeHTTP(w, r)
		return
	}
	// The whole answer is held until it is checked, so that the test sees
	// it only afterwards and a mismatch is reported to the test that caused it.
	rec := httptest.NewRecorder()
	cc.next.ServeHTTP(rec, r)
	res := rec.Result()
	body := rec.Body.Bytes()
	if err := cc.check(r, route, params, res, body); err != nil {
		cc.t.Errorf("contract: %s %s answered %d %.300s\n%v", r.Method, r.URL.RequestURI(), res.StatusCode, body, err)
	} else {
		cc.mu.Lock()
		op := r.Method + " " + route.Path
		if cc.validated[op] == nil {
			cc.validated[op] = map[int]bool{}
		}
		cc.validated[op][res.StatusCode] = true
		cc.mu.Unlock()
	}
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(body)
}

func (cc *contractChecker) check(r *http.Request, route *routers.Route, params map[string]string, res *http.Response, body []byte) error {
	err := openapi3filter.ValidateResponse(r.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			// The body is in the report already: no schema dumps.
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()}},
	})
	if err != nil {
		return err
	}
	// What the validator does not look at: a body where none is documented,
	// and the request id every answer carries.
	if doc := route.Operation.Responses.Status(res.StatusCode); doc != nil && len(doc.Value.Content) == 0 && len(body) > 0 {
		return errors.New("a body where openapi.yaml documents none")
	}
	if res.Header.Get("X-Request-Id") == "" {
		return errors.New("no X-Request-Id header")
	}
	return nil
}

// covered is what the checker saw matching: operation → statuses.
func (cc *contractChecker) covered() map[string]map[int]bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	out := map[string]map[int]bool{}
	for op, statuses := range cc.validated {
		out[op] = map[int]bool{}
		for s := range statuses {
			out[op][s] = true
		}
	}
	return out
}

func checkerOf(t *testing.T, e *env) *contractChecker {
	t.Helper()
	cc, ok := e.srv.Config.Handler.(*contractChecker)
	if !ok {
		t.Fatalf("the test server's handler is %T, not the contract checker", e.srv.Config.Handler)
	}
	return cc
}

// documented lists the document's operations as "METHOD /path".
func documented(doc *openapi3.T) []string {
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	slices.Sort(ops)
	return ops
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z_]+)`)

// Every route the router serves under the APIs is in the document, and
// everything the document lists is served.
func TestEveryRouteIsDocumented(t *testing.T) {
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	engine, ok := checkerOf(t, e).next.(*gin.Engine)
	if !ok {
		t.Fatalf("the checker wraps %T", checkerOf(t, e).next)
	}
	served := map[string]bool{}
	for _, r := range engine.Routes() {
		op := r.Method + " " + ginParam.ReplaceAllString(r.Path, "{$1}")
		served[op] = true
		if !strings.HasPrefix(r.Path, "/mp/") && !strings.HasPrefix(r.Path, "/api/") && r.Path != "/healthz" && r.Path != "/readyz" {
			continue
		}
		if c.doc.Paths.Find(ginParam.ReplaceAllString(r.Path, "{$1}")) == nil ||
			c.doc.Paths.Find(ginParam.ReplaceAllString(r.Path, "{$1}")).GetOperation(r.Method) == nil {
			t.Errorf("%s is served but not in openapi.yaml", op)
		}
	}
	for _, op := range documented(c.doc) {
		if !served[op] {
			t.Errorf("openapi.yaml documents %s, which the router does not serve", op)
		}
		// Every Mini Program route is rate-limited: the document says so.
		method, path, _ := strings.Cut(op, " ")
		if !strings.HasPrefix(path, "/mp/") {
			continue
		}
		limited := c.doc.Paths.Find(path).GetOperation(method).Responses.Status(http.StatusTooManyRequests)
		if limited == nil || limited.Value.Headers["Retry-After"] == nil {
			t.Errorf("openapi.yaml: %s has no 429 with Retry-After", op)
		}
	}
}

// The service serves the document it is tested against, as YAML and JSON.
func TestTheDocumentIsServed(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	file, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, e.srv.URL+"/openapi.yaml")
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, file) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/yaml") {
		t.Fatalf("/openapi.yaml: %d %s, %d bytes (file: %d)", resp.StatusCode, resp.Header.Get("Content-Type"), len(body), len(file))
	}
	resp, body = get(t, e.srv.URL+"/openapi.json")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("/openapi.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	fromJSON, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatalf("/openapi.json does not load: %v", err)
	}
	fromYAML, err := openapi3.NewLoader().LoadFromData(file)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(fromYAML)
	b, _ := json.Marshal(fromJSON)
	if !bytes.Equal(a, b) {
		t.Fatal("/openapi.json is not the same document as /openapi.yaml")
	}
}

// Each documented operation answers at least once with success, checked
// against its schema, and so do the errors a Mini Program meets most; the
// rest of the handler tests add their answers to what is checked.
func TestEveryOperationAnswersAsDocumented(t *testing.T) {
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		exerciseEveryOperation(t, e)
		limited := newEnv(t, driver, wechattest.ModeSafe, options{citizenLimit: handlers.RateLimit{PerSecond: 0.001, Burst: 2}})
		exerciseRateLimit(t, limited)

		covered := checkerOf(t, e).covered()
		for op, statuses := range checkerOf(t, limited).covered() {
			if covered[op] == nil {
				covered[op] = map[int]bool{}
			}
			for s := range statuses {
				covered[op][s] = true
			}
		}
		for _, op := range documented(c.doc) {
			if !slices.ContainsFunc(mapKeys(covered[op]), func(s int) bool { return s >= 200 && s < 300 }) {
				t.Errorf("%s: no success answer was checked against openapi.yaml", op)
			}
		}
		for _, want := range []struct {
			op     string
			status int
		}{
			{"POST /mp/login", 400}, {"POST /mp/login", 401}, {"POST /mp/login", 413},
			{"GET /mp/me", 401}, {"GET /mp/me", 429}, {"POST /mp/phone", 400},
			{"GET /mp/stations/near", 400}, {"GET /mp/stations/near", 429},
			{"GET /mp/stations/{code}", 404}, {"GET /mp/stations/{code}/slots", 404}, {"GET /mp/deputies/{code}", 404},
			{"POST /mp/uploads", 400}, {"GET /mp/photos/{id}", 206}, {"GET /mp/photos/{id}", 404},
			{"POST /mp/cases", 400}, {"POST /mp/cases", 401}, {"POST /mp/cases", 404}, {"POST /mp/cases", 413},
			{"GET /mp/cases/{number}", 404},
			{"POST /mp/cases/{number}/rating", 400}, {"POST /mp/cases/{number}/rating", 404}, {"POST /mp/cases/{number}/rating", 409},
			{"POST /mp/bookings", 400}, {"POST /mp/bookings", 404}, {"POST /mp/bookings", 409},
			{"DELETE /mp/bookings/{id}", 404}, {"DELETE /mp/bookings/{id}", 409},
			{"POST /api/cases/{number}/replies", 400}, {"POST /api/cases/{number}/replies", 401},
			{"POST /api/cases/{number}/replies", 404}, {"POST /api/cases/{number}/replies", 413},
			{"POST /api/cases/{number}/route", 400}, {"POST /api/cases/{number}/route", 409},
			{"POST /api/cases/{number}/handover", 400}, {"POST /api/cases/{number}/handover", 409},
			{"POST /api/cases/{number}/close", 409},
			{"POST /api/cases/{number}/move", 400}, {"POST /api/cases/{number}/move", 409},
			{"POST /api/stations/{code}/slots", 400}, {"POST /api/stations/{code}/slots", 409},
			{"GET /readyz", 503},
		} {
			if !covered[want.op][want.status] {
				t.Errorf("%s: no %d answer was checked against openapi.yaml", want.op, want.status)
			}
		}
		// What is left to the other tests (or to nobody: a 500 is a bug).
		var left []string
		for _, op := range documented(c.doc) {
			method, path, _ := strings.Cut(op, " ")
			for status := range c.doc.Paths.Find(path).GetOperation(method).Responses.Map() {
				if n, err := strconv.Atoi(status); err == nil && !covered[op][n] {
					left = append(left, op+" "+status)
				}
			}
		}
		slices.Sort(left)
		t.Logf("documented answers not exercised here: %s", strings.Join(left, ", "))
	})
}

func mapKeys(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	return out
}

// exerciseEveryOperation walks a citizen and a member of staff through
// every operation, with the errors on the way.
func exerciseEveryOperation(t *testing.T, e *env) {
	ctx := context.Background()
	expect := func(what string, status, want int, out any) {
		t.Helper()
		if status != want {
			t.Errorf("%s: %d %v, want %d", what, status, out, want)
		}
	}
	getStatus := func(path, token string, header ...string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		status, _ := e.do(t, req)
		return status
	}

	// Operations and the public pages.
	for _, path := range []string{"/healthz", "/readyz", "/openapi.yaml", "/openapi.json",
		"/mp/stations/near?lat=36.0531&lng=120.3561&limit=5", "/mp/stations/demo-bdg", "/mp/stations/demo-lsh/slots", "/mp/deputies/demo-d05"} {
		expect(path, getStatus(path, ""), http.StatusOK, nil)
	}
	for _, path := range []string{"/mp/stations/nowhere", "/mp/stations/nowhere/slots", "/mp/deputies/nobody"} {
		expect(path, getStatus(path, ""), http.StatusNotFound, nil)
	}
	expect("near without numbers", getStatus("/mp/stations/near?lat=north&lng=120", ""), http.StatusBadRequest, nil)
	// A group with no categories yet (an empty list is answered as null).
	if _, err := roster.ImportGroups(ctx, e.db, []roster.GroupRecord{{StationCode: "demo-xhw", Name: "综合组"}}); err != nil {
		t.Fatal(err)
	}
	expect("station with a group without categories", getStatus("/mp/stations/demo-xhw", ""), http.StatusOK, nil)

	// Sign in and the account.
	code := e.fake.IssueLoginCode(mpAppID, "oContractCitizen000000001", "")
	status, out := e.mp(t, "POST", "/mp/login", "", `{"code": "`+code+`"}`)
	expect("login", status, http.StatusOK, out)
	token := out["token"]
	status, out = e.mp(t, "POST", "/mp/login", "", `{"code": "`+code+`"}`)
	expect("login with a used code", status, http.StatusUnauthorized, out)
	status, out = e.mp(t, "POST", "/mp/login", "", `{"code": "a&b=c"}`)
	expect("login with a malformed code", status, http.StatusBadRequest, out)
	status, out = e.mp(t, "POST", "/mp/login", "", `{"code": "`+strings.Repeat("x", 5000)+`"}`)
	expect("login with a huge body", status, http.StatusRequestEntityTooLarge, out)
	status, out = e.mp(t, "GET", "/mp/me", token, "")
	expect("me", status, http.StatusOK, out)
	status, out = e.mp(t, "GET", "/mp/me", "", "")
	expect("me without a session", status, http.StatusUnauthorized, out)
	phoneCode := e.fake.IssuePhoneCode(mpAppID, "13800138000")
	status, out = e.mp(t, "POST", "/mp/phone", token, `{"code": "`+phoneCode+`"}`)
	expect("phone", status, http.StatusOK, out)
	status, out = e.mp(t, "POST", "/mp/phone", token, `{"code": "`+phoneCode+`"}`)
	expect("phone code used twice", status, http.StatusBadRequest, out)

	// A photo and a case.
	status, out = e.upload(t, token, "photo", pngPhoto(t, 30))
	expect("upload", status, http.StatusCreated, out)
	photo := out["id"]
	status, out = e.upload(t, token, "file", pngPhoto(t, 30))
	expect("upload in the wrong field", status, http.StatusBadRequest, out)
	status, out = e.mp(t, "POST", "/mp/cases", token, `{"request_id": "contract-0001", "scene": "st:demo-bdg", "text": "楼下路灯不亮",
		"location": {"latitude": 36.0531, "longitude": 120.3561, "label": "居庸关路"}, "public": true, "photos": ["`+photo+`"]}`)
	expect("raise", status, http.StatusCreated, out)
	number := out["number"]
	for _, bad := range []struct {
		token, body string
		status      int
	}{
		{token, `{"request_id": "contract-0002", "scene": "st:demo-bdg", "text": "  "}`, http.StatusBadRequest},
		{token, `{"request_id": "contract-0003", "scene": "st:nope", "text": "x"}`, http.StatusNotFound},
		{token, `{"request_id": "contract-0004", "scene": "st:demo-bdg", "text": "` + strings.Repeat("长", 6000) + `"}`, http.StatusRequestEntityTooLarge},
		{"", `{"request_id": "contract-0005", "scene": "st:demo-bdg", "text": "x"}`, http.StatusUnauthorized},
	} {
		status, out := e.mp(t, "POST", "/mp/cases", bad.token, bad.body)
		expect(fmt.Sprintf("raise %.50s", bad.body), status, bad.status, out)
	}
	expect("my cases", getStatus("/mp/cases", token), http.StatusOK, nil)
	expect("my case", getStatus("/mp/cases/"+number, token), http.StatusOK, nil)
	expect("no such case", getStatus("/mp/cases/991231-9999", token), http.StatusNotFound, nil)
	expect("my photo", getStatus("/mp/photos/"+photo, token), http.StatusOK, nil)
	expect("part of my photo", getStatus("/mp/photos/"+photo, token, "Range", "bytes=0-9"), http.StatusPartialContent, nil)
	expect("no such photo", getStatus("/mp/photos/"+strings.Repeat("0", 32), token), http.StatusNotFound, nil)

	// Staff answer, the citizen rates; staff reroute.
	rate := func(token, body string) (int, map[string]string) {
		return e.mp(t, "POST", "/mp/cases/"+number+"/rating", token, body)
	}
	status, out = rate(token, `{"verdict": "满意"}`)
	expect("rating before an answer", status, http.StatusConflict, out)
	for _, c := range []struct {
		token, number, body string
		status              int
	}{
		{staffToken, number, `{"text": "已联系路灯所，明日维修"}`, http.StatusAccepted},
		{"", number, `{"text": "x"}`, http.StatusUnauthorized},
		{staffToken, number, `{"text": 42}`, http.StatusBadRequest},
		{staffToken, "000000-0000", `{"text": "x"}`, http.StatusNotFound},
		{staffToken, number, `{"text": "` + strings.Repeat("x", 20000) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		status, body := e.staffReply(t, c.number, c.token, c.body)
		expect(fmt.Sprintf("reply %.40s", c.body), status, c.status, string(body))
	}
	status, out = rate(token, `{"verdict": "还行"}`)
	expect("rating an unknown verdict", status, http.StatusBadRequest, out)
	other := e.login(t, "oContractOther00000000001")
	status, out = rate(other, `{"verdict": "满意"}`)
	expect("rating another's case", status, http.StatusNotFound, out)
	status, out = rate(token, `{"verdict": "dissatisfied", "comment": "三天了还是不亮"}`)
	expect("rating", status, http.StatusCreated, out)
	status, out = rate(token, `{"verdict": "satisfied"}`)
	expect("rating twice", status, http.StatusConflict, out)
	for _, c := range []struct {
		body   string
		status int
	}{
		{`{"group": "不存在组", "reason": "x"}`, http.StatusBadRequest},
		{`{"group": "生活保障组", "reason": "x"}`, http.StatusConflict},
		{`{"group": "政策咨询组", "category": "政策咨询", "reason": "主要是政策问题"}`, http.StatusOK},
	} {
		status, out := e.reroute(t, number, staffToken, c.body)
		expect("reroute "+c.body, status, c.status, out)
	}
	// Staff hand it to a department, move it to another station and back
	// (the hand-over withdrawn), hand it over again, then close it.
	for _, c := range []struct {
		path, body string
		status     int
	}{
		{"handover", `{"department": "不存在的局", "days": 5}`, http.StatusBadRequest},
		{"handover", `{"department": "市南区城市管理局", "days": 5}`, http.StatusOK},
		{"move", `{"station": "no-such-station", "reason": "x"}`, http.StatusBadRequest},
		{"move", `{"station": "demo-xhw", "reason": "在薛家岛"}`, http.StatusOK},
		{"move", `{"station": "demo-bdg", "reason": "还是在八大关"}`, http.StatusOK},
		{"handover", `{"department": "市南区城市管理局", "days": 5}`, http.StatusOK},
		{"close", `{"result": "路灯已修复"}`, http.StatusOK},
		{"close", `{"result": "再次办结"}`, http.StatusConflict},
		{"handover", `{"department": "市南区城市管理局", "days": 5}`, http.StatusConflict},
		{"move", `{"up": true, "reason": "x"}`, http.StatusConflict},
	} {
		status, out := e.staffPost(t, "/api/cases/"+number+"/"+c.path, staffToken, c.body)
		expect(c.path+" "+c.body, status, c.status, out)
	}

	// A reception: staff publish a slot, the citizen books and cancels.
	day := receptionDay(t).Format("2006-01-02")
	plan := `{"day": "` + day + `", "starts": "09:00", "ends": "11:00", "capacity": 5, "deputies": ["demo-d05"]}`
	status, slot := e.publishSlot(t, "demo-lsh", plan)
	expect("publish", status, http.StatusCreated, slot)
	status, out = e.publishSlot(t, "demo-lsh", plan)
	expect("publish twice", status, http.StatusConflict, out)
	status, out = e.publishSlot(t, "demo-lsh", `{"day": "`+day+`", "starts": "9点", "ends": "11:00", "capacity": 5, "deputies": ["demo-d05"]}`)
	expect("publish a bad time", status, http.StatusBadRequest, out)
	expect("slots", getStatus("/mp/stations/demo-lsh/slots", ""), http.StatusOK, nil)
	book := `{"slot_id": ` + slot["id"] + `, "topic": "小区加装电梯的事", "remind_template_id": "` + reminderTemplate + `"}`
	status, booking := e.mp(t, "POST", "/mp/bookings", token, book)
	expect("book", status, http.StatusCreated, booking)
	status, out = e.mp(t, "POST", "/mp/bookings", token, book)
	expect("book twice", status, http.StatusConflict, out)
	status, out = e.mp(t, "POST", "/mp/bookings", token, `{"slot_id": 999999, "topic": "x"}`)
	expect("book no such slot", status, http.StatusNotFound, out)
	status, out = e.mp(t, "POST", "/mp/bookings", token, `{"topic": "x"}`)
	expect("book no slot", status, http.StatusBadRequest, out)
	expect("my bookings", getStatus("/mp/bookings", token), http.StatusOK, nil)
	status, out = e.mp(t, "DELETE", "/mp/bookings/"+booking["id"], token, "")
	expect("cancel", status, http.StatusNoContent, out)
	status, out = e.mp(t, "DELETE", "/mp/bookings/"+booking["id"], token, "")
	expect("cancel twice", status, http.StatusConflict, out)
	status, out = e.mp(t, "DELETE", "/mp/bookings/abc", token, "")
	expect("cancel a non-number", status, http.StatusNotFound, out)
	expect("my bookings with a cancelled one", getStatus("/mp/bookings", token), http.StatusOK, nil)

	// The database gone: not ready.
	e.db.Close()
	expect("readyz without a database", getStatus("/readyz", ""), http.StatusServiceUnavailable, nil)
}

// exerciseRateLimit runs into the limits: by address before login, by
// citizen after (a burst of 2 each).
func exerciseRateLimit(t *testing.T, e *env) {
	token := e.login(t, "oContractLimited000000001")
	near := func() int {
		status, _ := e.mp(t, "GET", "/mp/stations/near?lat=36.06&lng=120.38", "", "")
		return status
	}
	if status := near(); status != http.StatusOK {
		t.Fatalf("second request from the address: %d", status)
	}
	if status := near(); status != http.StatusTooManyRequests {
		t.Fatalf("third request from the address: %d", status)
	}
	for i := range 3 {
		status, out := e.mp(t, "GET", "/mp/me", token, "")
		if want := map[bool]int{true: http.StatusOK, false: http.StatusTooManyRequests}[i < 2]; status != want {
			t.Fatalf("request %d of the citizen: %d %v, want %d", i+1, status, out, want)
		}
	}
}
