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

// A search longer than anyone types is refused with a sentence, not a 500
// (SQLite refuses LIKE patterns over 50,000 bytes).
func TestInboxSearchIsCapped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		now := time.Now()
		e.say(t, wechattest.SubscribeByScan(account, "oSearch", "st:demo-bdg", now))
		e.caseOf(t, e.say(t, wechattest.Text(account, "oSearch", 701, "路灯坏了", now)))
		e.addStaff(t, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
		b := e.browser(t)
		if status := b.login("admin", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("login: %d", status)
		}
		if status, _ := b.get("/console/?q=" + url.QueryEscape(strings.Repeat("路", mashang.MaxSearchLen))); status != http.StatusOK {
			t.Fatalf("a search of %d characters: %d", mashang.MaxSearchLen, status)
		}
		status, body := b.get("/console/?q=" + url.QueryEscape(strings.Repeat("灯", 60001)))
		if want := "搜索内容不能超过100个字"; status != http.StatusBadRequest || !strings.Contains(body, want) {
			t.Fatalf("a search of 60,001 characters: %d, want 400 saying %q", status, want)
		}
	})
}

// The inbox's search, through the router: a word of the citizen's later
// message and of the staff's answer finds the case for those who reach
// it; another station's secretary finds nothing, however the word is cut.
func TestInboxSearchFindsMessagesAndAnswersWithinReach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		now := time.Now()
		e.say(t, wechattest.SubscribeByScan(account, "oSearchA", "st:demo-bdg", now))
		k, _ := e.caseOf(t, e.say(t, wechattest.Text(account, "oSearchA", 801, "路灯坏了", now)))
		e.say(t, wechattest.Text(account, "oSearchA", 802, "晚上一片漆黑老人摔倒", now.Add(time.Minute)))
		e.addStaff(t, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
		e.addStaff(t, mashang.StaffUser{Username: "xhwsec", Name: "薛家岛秘书", Role: mashang.RoleSecretary}, "", "demo-xhw")
		admin, other := e.browser(t), e.browser(t)
		if status := admin.login("admin", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("login: %d", status)
		}
		if status := other.login("xhwsec", staffPassword); status != http.StatusSeeOther {
			t.Fatalf("login: %d", status)
		}
		if _, loc := admin.post("/console/cases/"+k.Number+"/reply", url.Values{"text": {"已联系供电所更换灯泡"}, "csrf": {admin.csrf}}); !strings.Contains(loc, "done: ") {
			t.Fatalf("reply: %s", loc)
		}
		// Found the moment they are written (pending for the indexer), and
		// after the indexer took them into the index.
		for _, indexed := range []bool{false, true} {
			if indexed {
				if n, err := e.db.IndexSearch(context.Background()); err != nil || n == 0 {
					t.Fatalf("the indexer took %d texts: %v", n, err)
				}
			}
			for _, q := range []string{"灯", "漆黑", "老人摔倒", "灯泡", "供电所更换"} {
				status, body := admin.get("/console/?q=" + url.QueryEscape(q))
				if status != http.StatusOK || !strings.Contains(body, k.Number) {
					t.Errorf("indexed %v: admin searching %q: %d, case %s not listed", indexed, q, status, k.Number)
				}
				status, body = other.get("/console/?q=" + url.QueryEscape(q))
				if status != http.StatusOK || strings.Contains(body, k.Number) {
					t.Errorf("indexed %v: another station's secretary searching %q: %d, and case %s listed: %v", indexed, q, status, k.Number, strings.Contains(body, k.Number))
				}
			}
			if status, body := admin.get("/console/?q=" + url.QueryEscape("没有这回事")); status != http.StatusOK || strings.Contains(body, k.Number) {
				t.Errorf("indexed %v: a word in no case: %d, case listed: %v", indexed, status, strings.Contains(body, k.Number))
			}
		}
	})
}
