package handlers_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// Wrong passwords sent at once are each counted: none is lost between
// reading the count and writing it back.
func TestParallelWrongPasswordsAreAllCounted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		e.addStaff(t, mashang.StaffUser{Username: "wangms", Name: "王秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
		const attempts = 50
		var wg sync.WaitGroup
		for range attempts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if status := e.browser(t).login("wangms", "wrong password!!"); status != http.StatusUnauthorized && status != http.StatusForbidden {
					t.Errorf("wrong password answered %d", status)
				}
			}()
		}
		wg.Wait()
		failures, lockedUntil, err := e.db.SignInLock(ctx, mashang.SignInKey{NameHash: mashang.SignInName("wangms"), Address: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		if failures != attempts || !lockedUntil.After(time.Now()) {
			t.Fatalf("after %d wrong passwords: counted %d, locked until %v", attempts, failures, lockedUntil)
		}
		log, err := e.db.AuditLog(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		failed := 0
		for _, line := range log {
			if line.Action == "login_failed" {
				failed++
			}
		}
		if failed != attempts {
			t.Fatalf("%d login_failed lines in the audit log, want %d", failed, attempts)
		}
		if status := e.browser(t).login("wangms", staffPassword); status != http.StatusForbidden {
			t.Fatalf("the right password on a locked account: %d", status)
		}
	})
}
