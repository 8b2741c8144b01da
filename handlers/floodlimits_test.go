package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"mashang/configs"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

func TestOneCitizenOpensAtMostTheDailyNumberOfCases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{configure: func(c *configs.Config) { c.Cases.PerDay = 3 }})
		ctx := context.Background()
		scenes := []string{"st:demo-bdg", "st:demo-xhw", "st:demo-lsh", "dp:demo-d03"}

		// The Mini Program's form: three cases, then a kept form and a refusal
		// saying why, the same on a retry.
		token := e.login(t, "oFloodForm000000000000001")
		for i, scene := range scenes[:3] {
			if status, out := e.mp(t, "POST", "/mp/cases", token, fmt.Sprintf(`{"request_id": "flood-form-%d", "scene": "%s", "text": "问题%d"}`, i, scene, i)); status != http.StatusCreated {
				t.Fatalf("case %d: %d %v", i, status, out)
			}
		}
		before := e.stored(t)
		for range 2 {
			status, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "flood-form-3", "scene": "dp:demo-d03", "text": "第四个问题"}`)
			if status != http.StatusTooManyRequests || out["code"] != "rate_limited" || !strings.Contains(out["message"], "上限") || !strings.Contains(out["message"], "已记录") {
				t.Fatalf("a fourth case in a day: %d %v", status, out)
			}
		}
		if n := e.stored(t); n != before+1 {
			t.Fatalf("the refused form was not kept once: %d stored, %d before", n, before)
		}
		if n, _ := e.db.CountCases(ctx); n != 3 {
			t.Fatalf("%d cases after a citizen's fourth form", n)
		}

		// The Official Account: each push is stored and answered; past the
		// limit it opens no case.
		const citizen = "oFloodAccount000000000001"
		now := time.Now()
		for i, scene := range scenes {
			at := now.Add(time.Duration(i) * time.Second) // a scan's dedup key is its second
			e.say(t, wechattest.Scan(account, citizen, scene, at))
			got := e.say(t, wechattest.Text(account, citizen, int64(900+i), fmt.Sprintf("问题%d", i), at))
			if i < 3 && !strings.Contains(got, "已收到您反映的问题") {
				t.Fatalf("message %d: %q", i, got)
			}
			if i == 3 && (!strings.Contains(got, "上限") || !strings.Contains(got, "已记录")) {
				t.Fatalf("a fourth case's message: %q", got)
			}
		}
		if n, _ := e.db.CountCases(ctx); n != 6 {
			t.Fatalf("%d cases after the account's citizen's fourth message", n)
		}
	})
}

func TestACitizensFormsMomentsApartAtOneCodeJoinOneCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		bindDeputy(t, e, "demo-d02", "oDeputyLiJoin000000000001", time.Now())
		token := e.login(t, "oJoinForm0000000000000001")
		_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "join-form-1", "scene": "st:demo-bdg", "text": "小区路灯坏了"}`)
		first := out["number"]
		_, photo := e.upload(t, token, "photo", pngPhoto(t, 7))
		status, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "join-form-2", "scene": "st:demo-bdg", "text": "补充：已经坏了一周", "photos": ["`+photo["id"]+`"]}`)
		if status != http.StatusCreated || out["number"] != first {
			t.Fatalf("a second form moments later: %d %v, want case %s", status, out, first)
		}
		if n, _ := e.db.CountCases(ctx); n != 1 {
			t.Fatalf("%d cases", n)
		}
		_, events := e.caseOf(t, first)
		if tl := timeline(events); !strings.Contains(tl, "added: 群众通过小程序表单补充：补充：已经坏了一周") || !strings.Contains(tl, "附照片1张") {
			t.Fatalf("the joined form is not on the timeline:\n%s", tl)
		}
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.fake.Delivered("oDeputyLiJoin000000000001"); len(got) != 1 {
			t.Fatalf("the deputy was told %d times of one case", len(got))
		}
		// Another code is another case.
		if _, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "join-form-3", "scene": "st:demo-lsh", "text": "另一件事"}`); out["number"] == first || out["number"] == "" {
			t.Fatalf("a form at another code: %v", out)
		}
	})
}

func TestADeputyGetsAtMostTheSetNumberOfNewCaseNoticesAMinute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		perMinute := func(c *configs.Config) { c.Notify.DeputyPerMinute = 3 }
		e := newEnv(t, driver, wechattest.ModeSafe, options{configure: perMinute})
		ctx := context.Background()
		const li = "oDeputyLiFlood00000000001"
		bindDeputy(t, e, "demo-d02", li, time.Now())

		// A second instance on the same database: the count is shared.
		cfg := testConfig(t, driver, e.fakeURL)
		cfg.DB.DSN = e.dsn
		perMinute(&cfg)
		second := httptest.NewServer(newApp(t, cfg).Handler)
		defer second.Close()
		servers := []string{e.srv.URL, second.URL}

		// Six citizens raise a case each at the deputy's code, three through
		// each instance, at once.
		tokens := make([]string, 6)
		for i := range tokens {
			tokens[i] = e.login(t, fmt.Sprintf("oFloodCitizen00000000000%d", i))
		}
		var wg sync.WaitGroup
		for i, token := range tokens {
			wg.Go(func() {
				req, _ := http.NewRequest("POST", servers[i%2]+"/mp/cases",
					strings.NewReader(fmt.Sprintf(`{"request_id": "notice-flood-%d", "scene": "dp:demo-d02", "text": "电梯坏了%d"}`, i, i)))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					t.Errorf("case %d: %d", i, resp.StatusCode)
				}
			})
		}
		wg.Wait()
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.fake.Delivered(li); len(got) != 3 {
			t.Fatalf("the deputy was told %d times within the minute, want 3", len(got))
		}
		// When the minute allows, one message tells of the rest.
		e.outbox.Now = func() time.Time { return time.Now().Add(61 * time.Second) }
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		got := e.fake.Delivered(li)
		if len(got) != 4 || !strings.Contains(fmt.Sprint(got[3].Data), "另有3件新问题，请打开代表页面查看") || !strings.HasSuffix(got[3].URL, "/d/cases") {
			t.Fatalf("after the minute the deputy has %d messages; the last: %+v", len(got), got[len(got)-1])
		}
	})
}
