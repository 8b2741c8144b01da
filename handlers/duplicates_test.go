package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// Three citizens raise the same broken lamp; staff merge two cases into
// the first. Each citizen keeps their number, is led by it to the main
// case, and receives its answers; none sees another's words.
func TestMergingDuplicatesKeepsEveryCitizenInformed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		now := time.Now()
		raise := func(openid string, msgID int64, text string) mashang.Case {
			t.Helper()
			e.say(t, wechattest.SubscribeByScan(account, openid, "st:demo-bdg", now))
			c, _ := e.caseOf(t, e.say(t, wechattest.Text(account, openid, msgID, text, now)))
			e.fake.Follow(openid)
			e.fake.UserMessaged(openid)
			return c
		}
		main := raise("oMainCitizen0000000000000001", 7001, "居庸关路10号门口路灯不亮，我是王大爷")
		dup := raise("oDupCitizen00000000000000001", 7002, "居庸关路路灯坏了好几天了")
		token := e.login(t, "oMPDupCitizen000000000000001")
		_, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "dup-mp-1", "scene": "st:demo-bdg", "text": "路灯晚上不亮，电话13912345678"}`)
		mpDup := out["number"]
		_, out = e.mp(t, "POST", "/mp/cases", token, `{"request_id": "dup-mp-2", "scene": "st:demo-lsh", "text": "沙子口的另一件事"}`)
		elsewhere := out["number"]

		e.addStaff(t, mashang.StaffUser{Username: "town", Name: "街道人大", Role: mashang.RoleStaff}, "青岛市/市南区/八大关街道", "")
		b := e.browser(t)
		b.login("town", staffPassword)
		merge := func(number, into string) string {
			t.Helper()
			status, loc := b.post("/console/cases/"+number+"/do/merge", url.Values{"main": {into}, "csrf": {b.csrf}})
			if status != http.StatusSeeOther {
				t.Fatalf("merge %s into %s: %d %s", number, into, status, loc)
			}
			return b.said
		}
		unchanged := func(number string) {
			t.Helper()
			if c, _ := e.caseOf(t, number); c.Status == mashang.CaseMerged {
				t.Fatalf("%s was merged: %+v", number, c)
			}
		}
		// What is refused changes nothing, and says why.
		for _, bad := range []struct{ number, into, says string }{
			{dup.Number, dup.Number, "不能把问题"},
			{dup.Number, elsewhere, "没有编号为 " + elsewhere}, // beyond the account's reach: as if unknown
			{dup.Number, "990101-0001", "没有编号为 990101-0001"},
			{dup.Number, "", "请填写主问题的编号"},
		} {
			if got := merge(bad.number, bad.into); !strings.Contains(got, bad.says) {
				t.Errorf("merge %s into %q: %q, want %q", bad.number, bad.into, got, bad.says)
			}
			unchanged(bad.number)
		}
		if status, _ := b.post("/console/cases/"+elsewhere+"/do/merge", url.Values{"main": {main.Number}, "csrf": {b.csrf}}); status != http.StatusNotFound {
			t.Errorf("merging a case beyond reach: %d", status)
		}
		unchanged(elsewhere)

		if got := merge(dup.Number, main.Number); got != "已合并到 "+main.Number {
			t.Fatalf("merge: %q", got)
		}
		if got := merge(mpDup, main.Number); got != "已合并到 "+main.Number {
			t.Fatalf("merge the form's case: %q", got)
		}
		if got := merge(main.Number, dup.Number); !strings.Contains(got, "本身已并入 "+main.Number) {
			t.Errorf("merge into a merged case: %q", got)
		}
		if got := merge(dup.Number, mpDup); !strings.Contains(got, "已并入") {
			t.Errorf("merge a merged case again: %q", got)
		}
		c, events := e.caseOf(t, dup.Number)
		if c.Status != mashang.CaseMerged || c.MergedInto != main.Number || !strings.Contains(timeline(events), "merged: 与其他群众反映的同一问题合并办理，并入问题 "+main.Number) {
			t.Fatalf("the duplicate: %+v\n%s", c, timeline(events))
		}
		if _, events := e.caseOf(t, main.Number); !strings.Contains(timeline(events), "merged_in: 并入重复问题 "+dup.Number) {
			t.Fatalf("the main case:\n%s", timeline(events))
		}

		// The duplicate's citizen asks by number in the Official Account.
		if got := e.say(t, wechattest.Text(account, "oDupCitizen00000000000000001", 7003, dup.Number, now)); !strings.Contains(got, "已并入问题 "+main.Number) {
			t.Errorf("asking by number: %q", got)
		}
		// The form's citizen sees the merge in the Mini Program, not the others' words.
		req, _ := http.NewRequest("GET", e.srv.URL+"/mp/cases/"+mpDup, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		status, raw := e.do(t, req)
		detail := string(raw)
		if status != http.StatusOK || !strings.Contains(detail, `"merged_into":"`+main.Number+`"`) || !strings.Contains(detail, `"status":"merged"`) {
			t.Fatalf("the form's case: %d %s", status, detail)
		}
		for _, private := range []string{"王大爷", "居庸关路10号", "oMainCitizen", "oDupCitizen", `"kind":"merged_in"`} {
			if strings.Contains(detail, private) {
				t.Errorf("the merged case shows %q: %s", private, detail)
			}
		}
		if status, _ := e.mp(t, "GET", "/mp/cases/"+main.Number, token, ""); status != http.StatusNotFound {
			t.Errorf("the main case is another citizen's: %d", status)
		}

		// An answer to the main case reaches every citizen under their own number.
		if status, loc := b.post("/console/cases/"+main.Number+"/reply", url.Values{"text": {"路灯已安排维修，明晚恢复。"}, "csrf": {b.csrf}}); status != http.StatusSeeOther || strings.Contains(loc, "error: ") {
			t.Fatalf("reply: %d %s", status, loc)
		}
		if _, err := e.outbox.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		for _, openid := range []string{"oMainCitizen0000000000000001", "oDupCitizen00000000000000001"} {
			got := e.fake.Delivered(openid)
			if len(got) == 0 || got[len(got)-1].Text != "路灯已安排维修，明晚恢复。" {
				t.Errorf("%s received %+v", openid, got)
			}
		}
		for _, number := range []string{dup.Number, mpDup} {
			if _, events := e.caseOf(t, number); !strings.Contains(timeline(events), "reply: 路灯已安排维修，明晚恢复。") {
				t.Errorf("%s's timeline lacks the answer:\n%s", number, timeline(events))
			}
		}
		entries, err := e.db.AuditLog(ctx, 50)
		merged := 0
		for _, a := range entries {
			if a.Action == "merge" && a.Username == "town" && (a.Target == dup.Number || a.Target == mpDup) && a.Detail == "并入 "+main.Number {
				merged++
			}
		}
		if err != nil || merged != 2 {
			t.Errorf("audit log: %+v %v", entries, err)
		}
	})
}
