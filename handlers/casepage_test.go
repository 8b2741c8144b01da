package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/wechat/wechattest"
)

// The case page shows what the citizen sent: the text, the photo and the
// voice (with what WeChat heard) once fetched, and where they were; the
// photo and the recording open only for staff who reach the case.
func TestCasePageShowsWhatTheCitizenSent(t *testing.T) {
	eachStorage(t, func(t *testing.T, driver string, opts options) {
		e := newEnv(t, driver, wechattest.ModeSafe, opts)
		ctx := context.Background()
		now := time.Now()
		photo := []byte("\xff\xd8\xff\xe0 a JPEG, as far as this test cares")
		voice := []byte("#!AMR\n voice")
		e.fake.AddMedia("m-case-photo", "image/jpeg", photo)
		e.fake.AddMedia("m-case-voice", "audio/amr", voice)
		e.say(t, wechattest.SubscribeByScan(account, "oCasePage", "st:demo-bdg", now))
		c, _ := e.caseOf(t, e.say(t, wechattest.Text(account, "oCasePage", 3001, "小区门口的路灯坏了", now)))
		e.say(t, wechattest.Image(account, "oCasePage", 3002, "m-case-photo", now))
		e.say(t, wechattest.Voice(account, "oCasePage", 3003, "m-case-voice", "晚上一片漆黑", now))
		e.say(t, wechattest.Location(account, "oCasePage", 3004, 36.0553, 120.3518, "居庸关路10号", now))
		media := &mashang.Media{Store: e.db, Fetcher: e.clients, Files: e.files, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		if kept, err := media.Fetch(ctx); err != nil || kept != 2 {
			t.Fatalf("fetched %d, %v", kept, err)
		}

		e.addStaff(t, mashang.StaffUser{Username: "town", Name: "街道人大", Role: mashang.RoleStaff}, "青岛市/市南区/八大关街道", "")
		e.addStaff(t, mashang.StaffUser{Username: "laoshan", Name: "崂山区人大", Role: mashang.RoleStaff}, "青岛市/崂山区", "")
		b := e.browser(t)
		b.login("town", staffPassword)
		status, page := b.get("/console/cases/" + c.Number)
		for _, want := range []string{"小区门口的路灯坏了", "语音：「晚上一片漆黑」", "下载录音", "位置：居庸关路10号（36.05530, 120.35180）", `alt="群众发来的照片"`} {
			if status != http.StatusOK || !strings.Contains(page, want) {
				t.Fatalf("case page lacks %q: %d %s", want, status, page)
			}
		}
		links := regexp.MustCompile(`/console/cases/`+c.Number+`/media/\d+`).FindAllString(page, -1)
		got := map[string]bool{}
		for _, link := range links {
			resp, err := b.client.Get(e.srv.URL + link)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", link, resp.StatusCode)
			}
			got[string(body)] = true
			// Beyond reach, the same link is as if it did not exist.
			other := e.browser(t)
			other.login("laoshan", staffPassword)
			if status, _ := other.get(link); status != http.StatusNotFound {
				t.Errorf("laoshan GET %s: %d", link, status)
			}
		}
		if !got[string(photo)] || !got[string(voice)] {
			t.Fatalf("media served: %d links, %v", len(links), got)
		}
		if status, _ := b.get("/console/cases/" + c.Number + "/media/999999"); status != http.StatusNotFound {
			t.Errorf("unknown media: %d", status)
		}
	})
}
