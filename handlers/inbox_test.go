package handlers_test

import (
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
