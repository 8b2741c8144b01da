package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"mashang"
	"mashang/store"
	"mashang/wechat/wechattest"
)

// The Mini Program's JSON bodies, in FuzzMiniProgramBodies.
const (
	fuzzRaise = iota // POST /mp/cases
	fuzzRate         // POST /mp/cases/:number/rating
	fuzzBook         // POST /mp/bookings
	fuzzRoutes
)

var fuzzRequestID = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// FuzzMiniProgramBodies posts arbitrary bodies to the Mini Program's write
// routes, through the real router and the domain's validation onto a SQLite
// store opened once, each as a citizen of its own. Whatever arrives:
//
//   - nothing panics and nothing answers 5xx; every answer is one
//     openapi.yaml documents for the route (the contract checker), and a
//     refusal carries a message to show that names no empty field;
//   - a case the form opens (201) satisfies the documented limits: the
//     request_id's pattern, a station or deputy scene, 1–1000 characters of
//     text after trimming, latitude and longitude together and in range, no
//     more than 9 photos and only the citizen's own uploads (they have none),
//     no unknown field; the text and place are stored exactly as decoded; and
//     sending the same body again answers the same number;
//   - a rating or booking that passed validation (201, or 409 when the case has
//     no answer yet or the slot is full) had a known verdict, at most 500
//     characters of comment (and one when dissatisfied); a topic of 1–200
//     characters and only the platform's reminder template.
func FuzzMiniProgramBodies(f *testing.F) {
	for _, seed := range []struct {
		route uint8
		body  string
	}{
		{fuzzRaise, `{"request_id": "req-0001-abcd", "scene": "st:demo-bdg", "text": "小区路灯坏了，晚上很黑", "location": {"latitude": 36.0531, "longitude": 120.3561, "label": "居庸关路"}, "public": true}`},
		{fuzzRaise, `{"request_id": "req-0002-abcd", "scene": "dp:demo-d01", "text": "  路面坑洼  ", "category": "城市建设"}`},
		{fuzzRaise, `{"request_id": "req-0003-abcd", "scene": "st:demo-bdg", "text": "'; DROP TABLE cases; --", "location": {"latitude": 0, "longitude": 0, "label": "\" OR 1=1 --"}}`},
		{fuzzRaise, `{"request_id": "req-0004-abcd", "scene": "st:demo-bdg", "text": "a\u0000b\\c\ud800"}`},
		{fuzzRaise, `{"request_id": "req-0005-abcd", "scene": "st:demo-bdg", "text": "` + strings.Repeat("长", 1000) + `"}`},
		{fuzzRaise, `{"request_id": "req-0006-abcd", "scene": "st:demo-bdg", "text": "` + strings.Repeat("长", 1001) + `"}`},
		{fuzzRaise, `{"request_id": "req-0007-abcd", "scene": "st:demo-bdg", "text": "x", "photos": ["0123456789abcdef0123456789abcdef"]}`},
		{fuzzRaise, `{"request_id": "req-0008-abcd", "scene": "st:../../etc/passwd", "text": "x", "location": {"latitude": 91, "longitude": 0}}`},
		{fuzzRaise, `{"request_id": "req-0009-abcd", "scene": "st:demo-bdg", "text": "x", "location": {"latitude": 1e400, "longitude": 0}}`},
		{fuzzRaise, `{"request_id": "req-0010-abcd", "scene": "st:demo-bdg", "text": "x", "extra": 1}`},
		{fuzzRaise, `{"REQUEST_ID": "req-0011-abcd", "Scene": "st:demo-bdg", "TEXT": "大小写"}`},
		{fuzzRaise, `{"request_id": "req-0012-abcd", "request_id": "req-0012-efgh", "scene": "st:demo-bdg", "text": "重复的键"}`},
		{fuzzRaise, `{"request_id": null, "scene": ["st:demo-bdg"], "text": {"a": 1}}`},
		{fuzzRaise, `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`},
		{fuzzRaise, `{"request_id": "req-0013-abcd", "scene": "st:demo-bdg", "text": "x"} trailing`},
		{fuzzRaise, "\xff\xfe{}"},
		{fuzzRaise, ``},
		{fuzzRate, `{"verdict": "satisfied", "comment": "好"}`},
		{fuzzRate, `{"verdict": "不满意", "comment": ""}`},
		{fuzzRate, `{"verdict": "dissatisfied", "comment": "` + strings.Repeat("差", 501) + `"}`},
		{fuzzRate, `{"verdict": " 满意 ", "comment": "'; DROP TABLE ratings; --"}`},
		{fuzzBook, `{"slot_id": 1, "topic": "反映停车难", "remind_template_id": "TPL-RECEPTION-REMINDER"}`},
		{fuzzBook, `{"slot_id": 1, "topic": "x", "remind_template_id": "someone else's"}`},
		{fuzzBook, `{"slot_id": -1, "topic": "` + strings.Repeat("话", 201) + `"}`},
		{fuzzBook, `{"slot_id": 9223372036854775808, "topic": "x"}`},
	} {
		f.Add(seed.route, []byte(seed.body))
	}

	ctx := context.Background()
	_, fakeSrv, base, err := wechattest.Start(wechattest.Config{Apps: testWeChatApps()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { fakeSrv.Close() })
	a := newApp(f, testConfig(f, store.DriverSQLite, base))
	router, db := a.Handler, a.DB
	// A slot to book and a case to rate, made directly in the store.
	intake := &mashang.Intake{Store: db}
	receptions := &mashang.Receptions{Store: db}
	day, _ := mashang.NextReception("每周三上午", time.Now().Add(48*time.Hour))
	slot, err := receptions.Publish(ctx, mashang.SlotPlan{StationCode: "demo-lsh", Day: day.Format("2006-01-02"),
		Starts: "09:00", Ends: "11:00", Capacity: 3, DeputyCodes: []string{"demo-d05"}})
	if err != nil {
		f.Fatal(err)
	}
	const rater = "oFuzzRater000000000000"
	rated, err := intake.RaiseForm(ctx, mashang.Form{OpenID: rater, RequestID: "fuzz-rated-case",
		Scene: mashang.ParseScene("st:demo-bdg"), Text: "一个还没有答复的问题"})
	if err != nil {
		f.Fatal(err)
	}
	var citizens atomic.Int64

	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		openid := fmt.Sprintf("oFuzzCitizen%012d", citizens.Add(1))
		path := "/mp/cases"
		switch route % fuzzRoutes {
		case fuzzRate:
			openid, path = rater, "/mp/cases/"+rated+"/rating"
		case fuzzBook:
			// The slot's ID is whatever the store gave it: a seed's slot_id 1 means it.
			body = bytes.Replace(body, []byte(`"slot_id": 1,`), []byte(`"slot_id": `+strconv.FormatInt(slot.ID, 10)+`,`), 1)
			path = "/mp/bookings"
		}
		token, _ := testSessions.Issue(openid, "")
		post := func() (int, map[string]any) {
			req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			checkContract(t, router).ServeHTTP(rec, req)
			var out map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &out)
			if rec.Code >= 500 {
				t.Fatalf("POST %s %q answered %d %s", path, body, rec.Code, rec.Body)
			}
			if msg, _ := out["message"].(string); rec.Code >= 400 && (msg == "" || strings.Contains(msg, "「」")) {
				t.Fatalf("POST %s %q refused (%d) without a clear message: %s", path, body, rec.Code, rec.Body)
			}
			return rec.Code, out
		}
		status, out := post()
		switch route % fuzzRoutes {
		case fuzzRaise:
			if status == http.StatusCreated {
				checkRaised(t, db, openid, body, out)
				if again, retried := post(); again != http.StatusCreated || retried["number"] != out["number"] {
					t.Fatalf("the same form again answered %d %v, first %v", again, retried, out)
				}
			}
		case fuzzRate:
			if status == http.StatusCreated || status == http.StatusConflict {
				var req struct{ Verdict, Comment string }
				mustDecode(t, body, &req)
				v, ok := mashang.ParseVerdict(req.Verdict)
				comment := strings.TrimSpace(req.Comment)
				if !ok || utf8.RuneCountInString(comment) > mashang.MaxRatingCommentLen || v == mashang.RatingDissatisfied && comment == "" {
					t.Fatalf("rating %q passed validation (%d)", body, status)
				}
			}
		case fuzzBook:
			if status == http.StatusCreated || status == http.StatusConflict {
				var req struct {
					SlotID           int64  `json:"slot_id"`
					Topic            string `json:"topic"`
					RemindTemplateID string `json:"remind_template_id"`
				}
				mustDecode(t, body, &req)
				topic := strings.TrimSpace(req.Topic)
				if req.SlotID != slot.ID || topic == "" || utf8.RuneCountInString(topic) > mashang.MaxTopicRunes ||
					req.RemindTemplateID != "" && req.RemindTemplateID != reminderTemplate {
					t.Fatalf("booking %q passed validation (%d)", body, status)
				}
			}
		}
	})
}

// mustDecode reads an accepted body as the handlers do: one JSON value,
// no unknown fields.
func mustDecode(t *testing.T, body []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("accepted %q, which does not decode: %v", body, err)
	}
}

// checkRaised holds an accepted form to openapi.yaml's limits and finds it
// stored as sent.
func checkRaised(t *testing.T, db *store.DB, openid string, body []byte, out map[string]any) {
	t.Helper()
	var req struct {
		RequestID string `json:"request_id"`
		Scene     string `json:"scene"`
		Text      string `json:"text"`
		Location  *struct {
			Latitude  float64 `json:"latitude"`
			Longitude float64 `json:"longitude"`
			Label     string  `json:"label"`
		} `json:"location"`
		Public   bool     `json:"public"`
		Photos   []string `json:"photos"`
		Category string   `json:"category"`
	}
	mustDecode(t, body, &req)
	text := strings.TrimSpace(req.Text)
	scene := mashang.ParseScene(req.Scene)
	switch {
	case !fuzzRequestID.MatchString(req.RequestID):
		t.Fatalf("accepted request_id %q", req.RequestID)
	case scene.Kind != mashang.SceneStation && scene.Kind != mashang.SceneDeputy:
		t.Fatalf("accepted scene %q", req.Scene)
	case text == "" || utf8.RuneCountInString(text) > 1000:
		t.Fatalf("accepted a text of %d characters", utf8.RuneCountInString(text))
	case req.Location != nil && (req.Location.Latitude < -90 || req.Location.Latitude > 90 ||
		req.Location.Longitude < -180 || req.Location.Longitude > 180):
		t.Fatalf("accepted location %+v", *req.Location)
	case len(req.Photos) > 0:
		t.Fatalf("accepted photos %q the citizen never uploaded", req.Photos)
	}
	number, _ := out["number"].(string)
	ctx := context.Background()
	c, _, err := db.CitizenCase(ctx, openid, number)
	if err != nil {
		t.Fatalf("answered %q but the citizen's case is not there: %v", number, err)
	}
	msgs, err := db.CaseMessages(ctx, c.ID)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("case %s holds %d messages (%v)", number, len(msgs), err)
	}
	label := ""
	if req.Location != nil {
		label = req.Location.Label
	}
	if msgs[0].Text != text || msgs[0].Label != label {
		t.Fatalf("stored %q at %q, sent %q at %q", msgs[0].Text, msgs[0].Label, text, label)
	}
}
