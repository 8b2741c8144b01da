package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"golang.org/x/crypto/bcrypt"

	"mashang"
	"mashang/app"
	"mashang/configs"
	"mashang/store/storetest"
)

// exampleStep is one operation of openapi.yaml, called with its own
// examples: the request body the document shows, its parameters' examples.
// Only what the server assigns — a login code, a case number, an id — is
// put in place of the example's value, from what an earlier step answered.
type exampleStep struct {
	op string
	// assigned names the body fields and path parameters whose values the
	// server gives out, and where to read them.
	body func(s *exampleRun) map[string]any
	path func(s *exampleRun) map[string]string
	// then reads what the answer gives the later steps.
	then func(s *exampleRun, answer map[string]any)
}

// The operations in the order a Mini Program and a staff member meet them.
// An operation the document adds without a step here fails the test.
var exampleSteps = []exampleStep{
	{op: "login", body: func(s *exampleRun) map[string]any {
		return map[string]any{"code": s.sandboxCode("/sandbox/mp/code", url.Values{"openid": {"oExampleCitizen0000000000000"}})}
	}, then: func(s *exampleRun, a map[string]any) { s.token, _ = a["token"].(string) }},
	{op: "me"},
	{op: "bindPhone", body: func(s *exampleRun) map[string]any {
		return map[string]any{"code": s.sandboxCode("/sandbox/mp/phone-code", url.Values{"phone": {"13800138000"}})}
	}},
	{op: "stationsNear"},
	{op: "station", then: func(s *exampleRun, a map[string]any) {
		station, _ := a["station"].(map[string]any)
		s.receptionDays, _ = station["reception_days"].(string)
	}},
	{op: "stationSlots"},
	{op: "deputy"},
	{op: "uploadPhoto", then: func(s *exampleRun, a map[string]any) { s.upload, _ = a["id"].(string) }},
	{op: "photo", path: func(s *exampleRun) map[string]string { return map[string]string{"id": s.upload} }},
	{op: "raiseCase", then: func(s *exampleRun, a map[string]any) { s.number, _ = a["number"].(string) }},
	{op: "myCases"},
	{op: "myCase", path: (*exampleRun).caseNumber},
	{op: "staffReply", path: (*exampleRun).caseNumber},
	{op: "rateAnswer", path: (*exampleRun).caseNumber},
	{op: "staffReroute", path: (*exampleRun).caseNumber},
	{op: "staffHandOver", path: (*exampleRun).caseNumber},
	{op: "staffMove", path: (*exampleRun).caseNumber},
	{op: "staffCloseCase", path: (*exampleRun).caseNumber},
	{op: "claimCase", body: func(s *exampleRun) map[string]any {
		number, code := s.walkIn()
		return map[string]any{"number": number, "code": code}
	}},
	{op: "publishSlot", body: func(s *exampleRun) map[string]any {
		// The station's next reception day after today: a slot today may
		// have begun already.
		tomorrow := time.Now().In(mashang.China).AddDate(0, 0, 1)
		day, _ := mashang.NextReception(s.receptionDays, time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 0, 0, 0, 0, mashang.China))
		if day.IsZero() {
			s.t.Fatalf("the station's reception days %q have no next day", s.receptionDays)
		}
		return map[string]any{"day": day.Format(time.DateOnly)}
	}, then: func(s *exampleRun, a map[string]any) { s.slot, _ = a["id"].(float64) }},
	{op: "book", body: func(s *exampleRun) map[string]any { return map[string]any{"slot_id": s.slot} },
		then: func(s *exampleRun, a map[string]any) { s.booking, _ = a["id"].(float64) }},
	{op: "myBookings"},
	{op: "cancelBooking", path: func(s *exampleRun) map[string]string {
		return map[string]string{"id": strconv.FormatFloat(s.booking, 'f', 0, 64)}
	}},
	{op: "healthz"}, {op: "readyz"}, {op: "openapiYAML"}, {op: "openapiJSON"},
}

// Every example in openapi.yaml works against the sandbox's demo data:
// the sandbox is started as `serve --sandbox` starts it (the demo roster,
// the admin account and its API token), each operation is called with the
// document's examples, and must answer its documented success, validated
// against the document (the contract checker: status, headers, every
// required field, no undocumented ones). A developer pasting an example
// into curl against `make run` gets what the document promises.
func TestOpenAPIExamplesWorkOnTheDemoData(t *testing.T) {
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, driver string) {
		s := startExampleSandbox(t, driver, c)
		called := map[string]bool{}
		for _, step := range exampleSteps {
			s.call(step, called)
		}
		for _, path := range c.doc.Paths.InMatchingOrder() {
			for method, op := range c.doc.Paths.Find(path).Operations() {
				if !called[op.OperationID] {
					t.Errorf("%s %s (%s) has no step in exampleSteps: add one, so that its examples are tried", method, path, op.OperationID)
				}
			}
		}
	})
}

type exampleRun struct {
	t        *testing.T
	base     string
	contract *contract
	token    string // the Mini Program session of the login example

	receptionDays, upload, number string
	slot, booking                 float64
}

func startExampleSandbox(t *testing.T, driver string, c *contract) *exampleRun {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	env := map[string]string{"MASHANG_DB_DRIVER": driver, "MASHANG_DB_DSN": storetest.DSN(t, driver),
		"MASHANG_MEDIA_DIR": t.TempDir(), "MASHANG_HTTP_ADDR": srv.Listener.Addr().String()}
	cfg, err := configs.Load("", configs.Sandbox, func(name string) string { return env[name] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, app.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), PasswordCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	t.Cleanup(srv.Close) // before the database closes
	srv.Config.Handler = checkContract(t, a.Handler)
	srv.Start()
	a.Start()
	return &exampleRun{t: t, base: srv.URL, contract: c}
}

func (s *exampleRun) caseNumber() map[string]string {
	if s.number == "" {
		s.t.Fatal("no case raised by the raiseCase example")
	}
	return map[string]string{"number": s.number}
}

// sandboxCode is what the sandbox's fake WeChat hands the Mini Program.
func (s *exampleRun) sandboxCode(path string, form url.Values) string {
	s.t.Helper()
	resp, err := http.PostForm(s.base+path, form)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Code string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Code == "" {
		s.t.Fatalf("%s: %d %v", path, resp.StatusCode, err)
	}
	return out.Code
}

// walkIn registers a visit at the desk as the sandbox's admin does it in
// the console, and reads the slip's number and claim code.
func (s *exampleRun) walkIn() (number, code string) {
	s.t.Helper()
	jar, _ := cookiejar.New(nil)
	desk := &staffBrowser{t: s.t, base: s.base, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if status := desk.login(app.SandboxAdmin, app.SandboxAdminPassword); status != http.StatusSeeOther {
		s.t.Fatalf("the sandbox's admin signs in: %d", status)
	}
	_, slip := desk.post("/console/cases/new", walkinForm(s.t, desk, url.Values{"station": {"demo-bdg"}, "text": {"来访：楼道灯坏了"}}))
	return slipOf(s.t, slip)
}

// call makes the operation's request from its examples and checks the
// answer is its documented success.
func (s *exampleRun) call(step exampleStep, called map[string]bool) {
	t := s.t
	t.Helper()
	path, method, op := s.contract.operation(t, step.op)
	called[step.op] = true

	assigned := map[string]string{}
	if step.path != nil {
		assigned = step.path(s)
	}
	query := url.Values{}
	for _, p := range op.Parameters {
		v := p.Value
		value, ok := assigned[v.Name]
		if !ok && v.Example != nil {
			value, ok = fmtExample(v.Example), true
		}
		if !ok && v.Schema != nil && v.Schema.Value.Example != nil {
			value, ok = fmtExample(v.Schema.Value.Example), true
		}
		switch {
		case !ok && v.Required:
			t.Fatalf("%s: parameter %s has no example", step.op, v.Name)
		case !ok:
		case v.In == openapi3.ParameterInPath:
			path = strings.ReplaceAll(path, "{"+v.Name+"}", url.PathEscape(value))
		case v.In == openapi3.ParameterInQuery:
			query.Set(v.Name, value)
		}
	}
	target := s.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}

	var body io.Reader
	contentType := ""
	if rb := op.RequestBody; rb != nil {
		switch content := rb.Value.Content; {
		case content.Get("application/json") != nil:
			example, ok := content.Get("application/json").Example.(map[string]any)
			if !ok {
				t.Fatalf("%s: the request body has no example", step.op)
			}
			fields := maps.Clone(example)
			if step.body != nil {
				maps.Copy(fields, step.body(s))
			}
			data, _ := json.Marshal(fields)
			body, contentType = bytes.NewReader(data), "application/json"
		case content.Get("multipart/form-data") != nil:
			// A photo is its own example: the sandbox's street light.
			photo, err := os.ReadFile("../testdata/sandbox/streetlight.jpg")
			if err != nil {
				t.Fatal(err)
			}
			var form bytes.Buffer
			w := multipart.NewWriter(&form)
			part, _ := w.CreateFormFile("photo", "streetlight.jpg")
			_, _ = part.Write(photo)
			_ = w.Close()
			body, contentType = &form, w.FormDataContentType()
		default:
			t.Fatalf("%s: a request body of a type this test does not send: %v", step.op, slices.Collect(maps.Keys(content)))
		}
	}

	req, _ := http.NewRequest(strings.ToUpper(method), target, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	var security openapi3.SecurityRequirements
	if op.Security != nil {
		security = *op.Security
	}
	for _, requirement := range security {
		switch {
		case requirement["miniProgramSession"] != nil:
			req.Header.Set("Authorization", "Bearer "+s.token)
		case requirement["staffToken"] != nil:
			req.Header.Set("Authorization", "Bearer "+app.SandboxAPIToken)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	want := documentedSuccess(op)
	if resp.StatusCode != want {
		t.Fatalf("%s %s with its examples answered %d, want the documented %d: %.500s", method, target, resp.StatusCode, want, answer)
	}
	doc := op.Responses.Status(want).Value
	media := doc.Content.Get("application/json")
	if media == nil {
		return
	}
	var out map[string]any
	if err := json.Unmarshal(answer, &out); err != nil {
		t.Fatalf("%s: the answer is not a JSON object: %v %.300s", step.op, err, answer)
	}
	// The contract checker has validated the whole shape; the required
	// fields are checked here too, so that this test fails by itself.
	for _, field := range media.Schema.Value.Required {
		if _, ok := out[field]; !ok {
			t.Errorf("%s: the answer lacks the documented field %q: %.300s", step.op, field, answer)
		}
	}
	if step.then != nil {
		step.then(s, out)
	}
}

// operation finds an operation by its operationId.
func (c *contract) operation(t *testing.T, id string) (path, method string, op *openapi3.Operation) {
	t.Helper()
	for _, p := range c.doc.Paths.InMatchingOrder() {
		for m, o := range c.doc.Paths.Find(p).Operations() {
			if o.OperationID == id {
				return p, m, o
			}
		}
	}
	t.Fatalf("openapi.yaml has no operation %q", id)
	return "", "", nil
}

// documentedSuccess is the operation's one 2xx answer other than a part
// (206).
func documentedSuccess(op *openapi3.Operation) int {
	for status := range op.Responses.Map() {
		if n, err := strconv.Atoi(status); err == nil && n/100 == 2 && n != http.StatusPartialContent {
			return n
		}
	}
	return 0
}

func fmtExample(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	data, _ := json.Marshal(v)
	return string(data)
}
