package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mashang"
	"mashang/store"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// The classic hostile inputs, sent through the real callback and the Mini
// Program API on SQLite and MySQL. Each is refused with a 4xx that says why,
// or stored harmlessly: byte for byte, as text, with nothing else changed.
// After every request the store is checked: the schema is whole, every table
// answers, and the rows counted are those expected.

// SQL metacharacters. Each fits every column it is sent to (the shortest,
// format, is 32 characters).
var hostileSQL = []string{
	`'; DROP TABLE cases; --`,
	`" OR 1=1 --`,
	`\'); DELETE FROM stations; --\`,
	`%_\\%' OR ''=' \"`,
	`尾随的反斜杠\`,
}

// hostileState is what the store holds, as far as these tests look.
type hostileState struct {
	inbound, cases int
	roster         store.RosterCounts
	stations       int
}

func hostileSnapshot(t *testing.T, e *env) hostileState {
	t.Helper()
	ctx := context.Background()
	current, latest, err := e.db.SchemaVersion(ctx)
	if err != nil || current != latest || current == 0 {
		t.Fatalf("schema version %d of %d: %v", current, latest, err)
	}
	var s hostileState
	if s.inbound, err = e.db.CountInbound(ctx); err != nil {
		t.Fatal(err)
	}
	if s.cases, err = e.db.CountCases(ctx); err != nil {
		t.Fatal(err)
	}
	if s.roster, err = e.db.CountRoster(ctx); err != nil {
		t.Fatal(err)
	}
	stations, err := e.db.Stations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.stations = len(stations)
	for _, read := range []func() error{
		func() error { _, err := e.db.OutboxRows(ctx); return err },
		func() error { _, err := e.db.StaffUsers(ctx); return err },
		func() error { _, err := e.db.Deputies(ctx); return err },
		func() error { _, err := e.db.MediaPaths(ctx); return err },
		func() error { _, err := e.db.AuditLog(ctx, 1); return err },
		func() error { _, err := e.db.PointRules(ctx); return err },
	} {
		if err := read(); err != nil {
			t.Fatalf("a table no longer answers: %v", err)
		}
	}
	return s
}

// hostileExpect checks that the store changed by exactly the rows given
// since before, and returns the state now.
func hostileExpect(t *testing.T, e *env, what string, before hostileState, inbound, cases int) hostileState {
	t.Helper()
	now := hostileSnapshot(t, e)
	want := before
	want.inbound += inbound
	want.cases += cases
	if now != want {
		t.Fatalf("%s: the store holds %+v, want %+v", what, now, want)
	}
	return now
}

// hostileField is one element of a push, as WeChat writes it.
type hostileField struct {
	name, value string
	number      bool // written as it is, not as CDATA
}

func hostileDoc(fields []hostileField) []byte {
	var b bytes.Buffer
	b.WriteString("<xml>")
	for _, f := range fields {
		v := f.value
		if !f.number {
			v = "<![CDATA[" + strings.ReplaceAll(v, "]]>", "]]]]><![CDATA[>") + "]]>"
		}
		b.WriteString("<" + f.name + ">" + v + "</" + f.name + ">")
	}
	b.WriteString("</xml>")
	return b.Bytes()
}

// hostilePush is a push of the kind given, with every text field the kind has.
func hostilePush(kind, openid string, msgID int64, at time.Time) []hostileField {
	f := []hostileField{{name: "ToUserName", value: account}, {name: "FromUserName", value: openid},
		{name: "CreateTime", value: strconv.FormatInt(at.Unix(), 10), number: true}, {name: "MsgType", value: kind}}
	switch kind {
	case "text":
		f = append(f, hostileField{name: "Content", value: "正常内容"})
	case "image":
		f = append(f, hostileField{name: "PicUrl", value: "http://mmbiz.qpic.cn/x"}, hostileField{name: "MediaId", value: "m-1"})
	case "voice":
		f = append(f, hostileField{name: "MediaId", value: "m-2"}, hostileField{name: "Format", value: "amr"},
			hostileField{name: "Recognition", value: "识别"})
	case "video":
		f = append(f, hostileField{name: "MediaId", value: "m-3"}, hostileField{name: "ThumbMediaId", value: "m-4"})
	case "location":
		f = append(f, hostileField{name: "Location_X", value: "36.05", number: true}, hostileField{name: "Location_Y", value: "120.35", number: true},
			hostileField{name: "Scale", value: "15", number: true}, hostileField{name: "Label", value: "某地"})
	case "link":
		f = append(f, hostileField{name: "Title", value: "标题"}, hostileField{name: "Description", value: "描述"},
			hostileField{name: "Url", value: "https://example.com/"})
	case "event":
		return append(f, hostileField{name: "Event", value: "SCAN"}, hostileField{name: "EventKey", value: "st:demo-bdg"},
			hostileField{name: "Ticket", value: "gQticket"})
	}
	return append(f, hostileField{name: "MsgId", value: strconv.FormatInt(msgID, 10), number: true})
}

// pushRaw sends doc as the plaintext of a correctly signed push, in the env's mode.
func (e *env) pushRaw(t *testing.T, doc []byte) (int, []byte) {
	t.Helper()
	req, err := e.signer.PushRequest(doc)
	if err != nil {
		t.Fatal(err)
	}
	return e.do(t, req)
}

var hostileMsgID atomic.Int64

func TestHostileCallbackTextFields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		state := hostileSnapshot(t, e)
		targets := []struct{ kind, field string }{
			{"text", "ToUserName"}, {"text", "FromUserName"}, {"text", "MsgType"}, {"text", "Content"},
			{"image", "PicUrl"}, {"image", "MediaId"}, {"voice", "MediaId"}, {"voice", "Format"}, {"voice", "Recognition"},
			{"video", "ThumbMediaId"}, {"location", "Label"}, {"link", "Title"}, {"link", "Description"}, {"link", "Url"},
			{"event", "Event"}, {"event", "EventKey"}, {"event", "Ticket"},
		}
		stored := 0
		for i, payload := range hostileSQL {
			for j, target := range targets {
				// Both parsers: the flat fast path, and encoding/xml (an element
				// it does not model, as WeChat adds for article messages,
				// sends the push there and keeps the XML itself).
				for _, slow := range []bool{false, true} {
					openid := fmt.Sprintf("oHostile%02d%02d%t", i, j, slow)
					fields := hostilePush(target.kind, openid, 7_000_000+hostileMsgID.Add(1), time.Now())
					for k := range fields {
						if fields[k].name == target.field {
							fields[k].value = payload
						}
					}
					if slow {
						fields = append(fields, hostileField{name: "MsgDataId", value: "1", number: true})
					}
					doc := hostileDoc(fields)
					what := fmt.Sprintf("%s in %s of a %s push (slow path %t)", payload, target.field, target.kind, slow)
					status, body := e.pushRaw(t, doc)
					if target.field == "FromUserName" && strings.ContainsAny(payload, " \t\r\n:") {
						// Not an openid: refused as malformed (why is in the log).
						if status != http.StatusBadRequest || string(body) != "消息格式不正确" {
							t.Fatalf("%s: answered %d %q", what, status, body)
						}
						state = hostileExpect(t, e, what, state, 0, 0)
						continue
					}
					if status != http.StatusOK {
						t.Fatalf("%s: answered %d %q", what, status, body)
					}
					state = hostileExpect(t, e, what, state, 1, 0)
					stored++
					msgs, err := e.db.InboundMessages(ctx)
					if err != nil {
						t.Fatal(err)
					}
					got := msgs[len(msgs)-1]
					want := map[string]string{"FromUserName": openid, "MsgType": target.kind, "Event": "", "EventKey": "",
						"Content": "", "MediaId": "", "Recognition": "", "Label": ""}
					for _, f := range fields {
						if _, ok := want[f.name]; ok {
							want[f.name] = f.value
						}
					}
					have := map[string]string{"FromUserName": got.OpenID, "MsgType": got.MsgType, "Event": got.Event,
						"EventKey": got.EventKey, "Content": got.Content, "MediaId": got.MediaID, "Recognition": got.Recognition,
						"Label": got.Label}
					for name, v := range want {
						if have[name] != v {
							t.Errorf("%s: %s stored as %q, sent %q", what, name, have[name], v)
						}
					}
					// The fields without a column of their own above are in the
					// XML kept byte for byte.
					if slow && got.Raw != string(doc) {
						t.Errorf("%s: raw stored as %q, sent %q", what, got.Raw, doc)
					}
				}
			}
		}
		// Metacharacters in a citizen's message open a case with them as its
		// text, and nothing else.
		for i, payload := range hostileSQL {
			openid := fmt.Sprintf("oHostileCase%02d", i)
			e.say(t, wechattest.Scan(account, openid, "st:demo-bdg", time.Now()))
			c, _ := e.caseOf(t, e.say(t, wechattest.Text(account, openid, 8_000_000+hostileMsgID.Add(1), payload, time.Now())))
			if !strings.Contains(c.Summary, payload) {
				t.Errorf("case %s summary %q lacks %q", c.Number, c.Summary, payload)
			}
			state = hostileExpect(t, e, "a case from "+payload, state, 2, 1)
		}
		if stored == 0 {
			t.Fatal("nothing was stored")
		}
		// At the default body limit, 100,000 levels never reach a parser.
		for _, attack := range hostileXMLDocs(7_400_000+hostileMsgID.Add(1), "") {
			if !strings.HasPrefix(attack.name, "100,000") {
				continue
			}
			if status, body := e.pushRaw(t, attack.doc); status != http.StatusRequestEntityTooLarge {
				t.Fatalf("%s at the default limit: %d %q", attack.name, status, body)
			}
			state = hostileExpect(t, e, attack.name, state, 0, 0)
		}
		// Values longer than the columns that keep them are refused on every
		// store alike (MySQL would refuse the row: a 503, retried in vain).
		for _, target := range []struct {
			kind, field string
			max         int
		}{{"text", "ToUserName", 64}, {"voice", "Format", 32}, {"image", "MediaId", 255}, {"video", "ThumbMediaId", 255}, {"event", "Ticket", 255}} {
			for _, n := range []int{target.max, target.max + 1} {
				fields := hostilePush(target.kind, fmt.Sprintf("oHostileLong%s%d", target.field, n), 7_500_000+hostileMsgID.Add(1), time.Now())
				for k := range fields {
					if fields[k].name == target.field {
						fields[k].value = strings.Repeat("'", n)
					}
				}
				what := fmt.Sprintf("%d quotes in %s", n, target.field)
				status, body := e.pushRaw(t, hostileDoc(fields))
				if n > target.max {
					if status != http.StatusBadRequest || string(body) != "消息格式不正确" { // which field, in the log
						t.Fatalf("%s: answered %d %q, want 400 refusing it as malformed", what, status, body)
					}
					state = hostileExpect(t, e, what, state, 0, 0)
					continue
				}
				if status != http.StatusOK {
					t.Fatalf("%s: answered %d %q", what, status, body)
				}
				state = hostileExpect(t, e, what, state, 1, 0)
			}
		}
	})
}

// hostileXMLDocs are XML attacks; stored says whether the document, once
// past the signature, is a push encoding/xml reads harmlessly (a DOCTYPE it
// ignores) rather than one it refuses.
func hostileXMLDocs(msgID int64, dtdURL string) []struct {
	name   string
	doc    []byte
	stored bool
} {
	head := "<ToUserName><![CDATA[" + account + "]]></ToUserName><FromUserName><![CDATA[oHostileXML]]></FromUserName><CreateTime>" +
		strconv.FormatInt(time.Now().Unix(), 10) + "</CreateTime><MsgType><![CDATA[text]]></MsgType><MsgId>" + strconv.FormatInt(msgID, 10) + "</MsgId>"
	laughs := `<!DOCTYPE xml [<!ENTITY lol "lol">`
	prev := "lol"
	for i := range 10 {
		name := fmt.Sprintf("lol%d", i)
		laughs += `<!ENTITY ` + name + ` "` + strings.Repeat("&"+prev+";", 10) + `">`
		prev = name
	}
	laughs += "]>"
	return []struct {
		name   string
		doc    []byte
		stored bool
	}{
		{"billion laughs", []byte(laughs + "<xml>" + head + "<Content>&" + prev + ";</Content></xml>"), false},
		{"external entity to /etc/passwd", []byte(`<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml>` + head + `<Content>&xxe;</Content></xml>`), false},
		{"external entity in an attribute", []byte(`<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml a="&xxe;">` + head + `<Content>x</Content></xml>`), false},
		{"external DTD, declared but not used", []byte(`<?xml version="1.0"?><!DOCTYPE xml SYSTEM "` + dtdURL + `"><xml>` + head + `<Content>文档类型被忽略</Content></xml>`), true},
		{"external parameter entity", []byte(`<!DOCTYPE xml [<!ENTITY % remote SYSTEM "` + dtdURL + `"> %remote;]><xml>` + head + `<Content>参数实体被忽略</Content></xml>`), true},
		// encoding/xml skips elements it does not model without recursing:
		// kept as sent, within the body limit (64 KB by default, which
		// refuses this with 413).
		{"100,000 levels deep", []byte("<xml>" + head + strings.Repeat("<a>", 100_000) + strings.Repeat("</a>", 100_000) + "</xml>"), true},
		{"invalid UTF-8 in Content", []byte("<xml>" + head + "<Content>\xff\xfe\xc3\x28</Content></xml>"), false},
		{"NUL in Content", []byte("<xml>" + head + "<Content>a\x00b'; DROP TABLE cases; --</Content></xml>"), false},
		{"UTF-16 declared", []byte(`<?xml version="1.0" encoding="UTF-16"?><xml>` + head + `<Content>x</Content></xml>`), false},
	}
}

func TestHostileCallbackXML(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		// Room for 100,000 levels, so that the parser, not the size limit,
		// meets them; plaintext allowed beside safe mode, so both parsers'
		// callers are reached.
		e := newEnv(t, driver, wechattest.ModeSafe, options{maxBody: 2 << 20, allowPlaintext: true})
		ctx := context.Background()
		var fetched atomic.Int64 // an external DTD or entity must never be fetched
		dtd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fetched.Add(1)
			fmt.Fprint(w, `<!ENTITY leak "fetched">`)
		}))
		defer dtd.Close()
		plain := e.signer
		plain.Mode = wechattest.ModePlain
		state := hostileSnapshot(t, e)
		for i := range hostileXMLDocs(0, "") {
			for _, way := range []string{"encrypted", "plaintext", "as the envelope"} {
				attack := hostileXMLDocs(9_000_000+hostileMsgID.Add(1), dtd.URL+"/evil.dtd")[i] // a MsgId of its own
				var req *http.Request
				var err error
				switch way {
				case "encrypted":
					req, err = e.signer.PushRequest(attack.doc)
				case "plaintext":
					req, err = plain.PushRequest(attack.doc)
				case "as the envelope":
					// A signed query, the attack as the outer document.
					if req, err = e.signer.PushRequest([]byte("<xml/>")); err == nil {
						req, err = http.NewRequest(http.MethodPost, req.URL.String(), bytes.NewReader(attack.doc))
					}
				}
				if err != nil {
					t.Fatal(err)
				}
				what := attack.name + " " + way
				started := time.Now()
				status, body := e.do(t, req)
				if took := time.Since(started); took > 5*time.Second {
					t.Errorf("%s: took %s", what, took)
				}
				if bytes.Contains(body, []byte("root:")) || bytes.Contains(body, []byte("fetched")) {
					t.Fatalf("%s: the answer leaks a file: %q", what, body)
				}
				if !attack.stored || way == "as the envelope" {
					if status != http.StatusBadRequest || string(body) != "消息格式不正确" {
						t.Fatalf("%s: answered %d %q, want 400 saying why", what, status, body)
					}
					state = hostileExpect(t, e, what, state, 0, 0)
					continue
				}
				if status != http.StatusOK {
					t.Fatalf("%s: answered %d %q", what, status, body)
				}
				state = hostileExpect(t, e, what, state, 1, 0)
				msgs, _ := e.db.InboundMessages(ctx)
				got := msgs[len(msgs)-1]
				if got.Raw != string(attack.doc) || strings.Contains(got.Content, "fetched") || strings.Contains(got.Content, "root:") {
					t.Fatalf("%s: stored %q, raw %q", what, got.Content, got.Raw)
				}
			}
		}
		if n := fetched.Load(); n != 0 {
			t.Fatalf("an external DTD was fetched %d times", n)
		}
	})
}

func TestHostileMiniProgramForms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		payloads := append(append([]string{}, hostileSQL...), "a\x00b'; DROP TABLE cases; --")
		state := hostileSnapshot(t, e)
		raise := func(t *testing.T, token string, body []byte) (int, map[string]string) {
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/mp/cases", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			return e.mpDo(t, req)
		}
		for i, payload := range payloads {
			for _, field := range []string{"request_id", "scene", "text", "label", "category", "photos"} {
				openid := fmt.Sprintf("oHostileForm%02d%s", i, field)
				token := e.login(t, openid)
				form := map[string]any{"request_id": fmt.Sprintf("hostile-%02d-%s", i, field), "scene": "st:demo-bdg",
					"text": "小区路灯坏了", "location": map[string]any{"latitude": 36.05, "longitude": 120.35, "label": "居庸关路"}}
				says := ""
				switch field {
				case "label":
					form["location"].(map[string]any)["label"] = payload
				case "photos":
					form["photos"], says = []string{payload}, "photos"
				case "request_id":
					form[field], says = payload, "request_id"
				case "scene":
					form[field], says = payload, "scene"
				case "category":
					form[field], says = payload, "category"
				default:
					form[field] = payload
				}
				body, _ := json.Marshal(form)
				what := fmt.Sprintf("%q in %s", payload, field)
				status, out := raise(t, token, body)
				if says != "" {
					if status != http.StatusBadRequest || !strings.Contains(out["message"], says) {
						t.Fatalf("%s: answered %d %v, want 400 naming %s", what, status, out, says)
					}
					state = hostileExpect(t, e, what, state, 0, 0)
					continue
				}
				if status != http.StatusCreated {
					t.Fatalf("%s: answered %d %v", what, status, out)
				}
				state = hostileExpect(t, e, what, state, 1, 1)
				c, _, err := e.db.CitizenCase(ctx, openid, out["number"])
				if err != nil {
					t.Fatal(err)
				}
				msgs, err := e.db.CaseMessages(ctx, c.ID)
				if err != nil || len(msgs) != 1 {
					t.Fatalf("%s: %d messages, %v", what, len(msgs), err)
				}
				wantText, wantLabel := "小区路灯坏了", payload
				if field == "text" {
					wantText, wantLabel = payload, "居庸关路"
				}
				if msgs[0].Text != wantText || msgs[0].Label != wantLabel {
					t.Fatalf("%s: stored %q at %q", what, msgs[0].Text, msgs[0].Label)
				}
			}
		}

		// The longest text allowed, in characters of four bytes each, is
		// kept whole; one more is refused.
		for _, n := range []int{1000, 1001} {
			text := strings.Repeat("😀", n)
			token := e.login(t, fmt.Sprintf("oHostileFormLong%d", n))
			body, _ := json.Marshal(map[string]any{"request_id": fmt.Sprintf("hostile-long-%d", n), "scene": "st:demo-bdg", "text": text})
			status, out := raise(t, token, body)
			if n > 1000 {
				if status != http.StatusBadRequest || !strings.Contains(out["message"], "1000") {
					t.Fatalf("%d characters: %d %v", n, status, out)
				}
				state = hostileExpect(t, e, "too long a text", state, 0, 0)
				continue
			}
			if status != http.StatusCreated {
				t.Fatalf("%d characters: %d %v", n, status, out)
			}
			state = hostileExpect(t, e, "the longest text", state, 1, 1)
			c, _, err := e.db.CitizenCase(ctx, fmt.Sprintf("oHostileFormLong%d", n), out["number"])
			if err != nil {
				t.Fatal(err)
			}
			if msgs, _ := e.db.CaseMessages(ctx, c.ID); len(msgs) != 1 || msgs[0].Text != text {
				t.Fatalf("the longest text was not kept whole")
			}
		}

		// Bytes that are not UTF-8 cannot be a JSON string: they arrive as
		// U+FFFD, as encoding/json reads them, and nothing else.
		token := e.login(t, "oHostileFormUTF8")
		status, out := raise(t, token, []byte(`{"request_id": "hostile-utf8", "scene": "st:demo-bdg", "text": "坏了`+"\xff\xfe"+`"}`))
		if status != http.StatusCreated {
			t.Fatalf("invalid UTF-8: %d %v", status, out)
		}
		state = hostileExpect(t, e, "invalid UTF-8", state, 1, 1)
		if c, _, err := e.db.CitizenCase(ctx, "oHostileFormUTF8", out["number"]); err != nil {
			t.Fatal(err)
		} else if msgs, _ := e.db.CaseMessages(ctx, c.ID); len(msgs) != 1 || msgs[0].Text != "坏了\uFFFD\uFFFD" {
			t.Fatalf("invalid UTF-8 stored as %+v", msgs)
		}

		// A booking's topic, stored as sent.
		day := receptionDay(t).Format("2006-01-02")
		status, slot := e.publishSlot(t, "demo-lsh", `{"day": "`+day+`", "starts": "09:00", "ends": "11:00", "capacity": 10, "deputies": ["demo-d05"]}`)
		if status != http.StatusCreated {
			t.Fatalf("publish: %d %v", status, slot)
		}
		for i, payload := range payloads {
			openid := fmt.Sprintf("oHostileBooking%02d", i)
			body, _ := json.Marshal(map[string]any{"slot_id": json.RawMessage(slot["id"]), "topic": payload})
			if status, out := e.mp(t, "POST", "/mp/bookings", e.login(t, openid), string(body)); status != http.StatusCreated {
				t.Fatalf("booking with %q: %d %v", payload, status, out)
			}
			bookings, err := e.db.CitizenBookings(ctx, openid)
			if err != nil || len(bookings) != 1 || bookings[0].Topic != payload {
				t.Fatalf("booking with %q stored as %+v (%v)", payload, bookings, err)
			}
			state = hostileExpect(t, e, "booking "+payload, state, 0, 0)
		}

		// In the path, they name nothing.
		token = e.login(t, "oHostileFormPath")
		for _, payload := range payloads {
			for _, path := range []string{"/mp/cases/", "/mp/stations/", "/mp/deputies/", "/mp/stations/%s/slots"} {
				p := path + url.PathEscape(payload)
				if strings.Contains(path, "%s") {
					p = fmt.Sprintf(path, url.PathEscape(payload))
				}
				resp, body := getAuth(t, e.srv.URL+p, token)
				if resp.StatusCode != http.StatusNotFound {
					t.Fatalf("GET %s: %d %s", p, resp.StatusCode, body)
				}
				state = hostileExpect(t, e, "GET "+p, state, 0, 0)
			}
		}
	})
}

var mediaFileName = regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\d+\.jpg$`)

func TestHostileMediaNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		names := []string{"../../etc/passwd", `..\..\..\windows\win.ini`, "/etc/passwd", "..%2F..%2Fetc%2Fpasswd",
			"m1&media_id=../../etc/passwd#frag", "m 2+plus?x=1", "'; DROP TABLE inbound_messages; --"}
		marker := "mashang-hostile-media:"
		state := hostileSnapshot(t, e)
		e.say(t, wechattest.Scan(account, "oHostileMedia", "st:demo-bdg", time.Now()))
		state = hostileExpect(t, e, "scan", state, 1, 0)
		for i, name := range names {
			e.fake.AddMedia(name, "image/jpeg", []byte(marker+name))
			status, body := e.push(t, wechattest.Image(account, "oHostileMedia", 9_500_000+hostileMsgID.Add(1), name, time.Now()))
			if status != http.StatusOK {
				t.Fatalf("MediaId %q: %d %q", name, status, body)
			}
			cases := 0
			if i == 0 {
				cases = 1 // the first opens a case, the rest join it
			}
			state = hostileExpect(t, e, "MediaId "+name, state, 1, cases)
		}
		media := &mashang.Media{Store: e.db, Fetcher: e.clients, Files: e.files, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		kept, err := media.Fetch(ctx)
		if err != nil || kept != len(names) {
			t.Fatalf("fetched %d of %d: %v", kept, len(names), err)
		}
		state = hostileExpect(t, e, "fetch", state, 0, 0)
		paths, err := e.db.MediaPaths(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := map[string]bool{}
		for key, rel := range paths {
			if !mediaFileName.MatchString(rel) {
				t.Errorf("%s kept as %q: not a name of ours", key, rel)
			}
			data, err := os.ReadFile(filepath.Join(e.mediaDir, filepath.FromSlash(rel)))
			if err != nil {
				t.Fatal(err)
			}
			found[strings.TrimPrefix(string(data), marker)] = true
		}
		for _, name := range names {
			if !found[name] {
				t.Errorf("the media named %q was not fetched as itself (found %v)", name, found)
			}
		}
		// Nothing was written beside the media folder, and /etc is as it was.
		parent := filepath.Dir(e.mediaDir)
		_ = filepath.WalkDir(parent, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasPrefix(path, e.mediaDir+string(filepath.Separator)) {
				return nil
			}
			if data, _ := os.ReadFile(path); bytes.Contains(data, []byte(marker)) {
				t.Errorf("media written outside the media folder: %s", path)
			}
			return nil
		})
		if data, err := os.ReadFile("/etc/passwd"); err == nil && bytes.Contains(data, []byte(marker)) {
			t.Fatal("/etc/passwd holds the media")
		}

		// The console serves a case's media by the message's number, and
		// nothing else under any name.
		e.addStaff(t, mashang.StaffUser{Username: "hostile", Name: "王秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		b := e.browser(t)
		if status := b.login("hostile", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("login: %d", status)
		}
		cases, err := e.db.CitizenCases(ctx, "oHostileMedia", 1)
		if err != nil || len(cases) != 1 {
			t.Fatalf("cases %v %v", cases, err)
		}
		number := cases[0].Number
		_, page := b.get("/console/cases/" + number)
		link := regexp.MustCompile(`/console/cases/` + number + `/media/\d+`).FindString(page)
		if status, body := b.get(link); link == "" || status != http.StatusOK || !strings.HasPrefix(body, marker) {
			t.Fatalf("the case's own media %q: %d %.80q", link, status, body)
		}
		token := e.login(t, "oHostileMediaMP")
		for _, name := range []string{"..%2F..%2F..%2F..%2Fetc%2Fpasswd", "..%5C..%5Cetc%5Cpasswd", "%2Fetc%2Fpasswd", "..",
			"%2e%2e%2f%2e%2e%2fetc%2fpasswd", "1%00", "1%27%20OR%201%3D1"} {
			for _, path := range []string{
				"/console/cases/" + number + "/media/" + name,
				"/console/cases/" + name + "/media/1",
				"/console/photos/" + name,
				"/media/checks/" + name,
				"/codes/" + name,
				"/codes/" + name + ".png",
				"/s/" + name,
				"/mp/photos/" + name,
			} {
				var status int
				var body string
				if strings.HasPrefix(path, "/mp/") {
					resp, raw := getAuth(t, e.srv.URL+path, token)
					status, body = resp.StatusCode, string(raw)
				} else {
					status, body = b.get(path)
				}
				if status != http.StatusNotFound || strings.Contains(body, "root:") || strings.Contains(body, marker) {
					t.Errorf("GET %s: %d %.120q", path, status, body)
				}
				state = hostileExpect(t, e, "GET "+path, state, 0, 0)
			}
		}
	})
}
