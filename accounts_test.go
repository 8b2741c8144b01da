package mashang_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"mashang"
	"mashang/store"
)

// An unknown name costs sign-in the same work as a wrong password: one
// bcrypt comparison, against a hash of the very cost real passwords are
// kept at. Counted, not timed, so the test cannot flake.
func TestUnknownNamesAreCheckedAtTheCostOfRealOnes(t *testing.T) {
	ctx := context.Background()
	db := accountsStore(t)
	const cost = bcrypt.MinCost + 2 // not the library's minimum: a placeholder at the minimum must show
	a := &mashang.Accounts{Store: db, Cost: cost}
	if _, err := a.Create(ctx, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	var costs []int
	mashang.CheckPasswordsWith(a, func(hash, password []byte) error {
		c, err := bcrypt.Cost(hash)
		if err != nil {
			t.Fatalf("compared against something not a bcrypt hash: %v", err)
		}
		costs = append(costs, c)
		return bcrypt.CompareHashAndPassword(hash, password)
	})
	for _, name := range []string{"admin", "nobody", "admin"} {
		costs = nil
		_, err := a.Login(ctx, name, "wrong password!!", "192.0.2.1")
		if mashang.ErrorCode(err) != mashang.EUNAUTHORIZED {
			t.Fatalf("%s with a wrong password: %v", name, err)
		}
		if len(costs) != 1 || costs[0] != cost {
			t.Fatalf("%s with a wrong password: bcrypt comparisons at costs %v, want one at %d", name, costs, cost)
		}
	}
}

// Password checks take turns (Accounts.PasswordChecks): with one at a time,
// a sign-in that finds the turn taken for longer than it may wait is asked,
// in Chinese, to try again, and checks nothing; the one holding the turn
// still signs in, and gives the turn back.
func TestPasswordChecksTakeTurns(t *testing.T) {
	ctx := context.Background()
	db := accountsStore(t)
	a := &mashang.Accounts{Store: db, Cost: bcrypt.MinCost, PasswordChecks: 1, PasswordCheckShare: 1, PasswordCheckWait: 200 * time.Millisecond}
	const password = "correct horse battery"
	if _, err := a.Create(ctx, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, password); err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	var checks atomic.Int32
	mashang.CheckPasswordsWith(a, func(hash, pw []byte) error {
		if checks.Add(1) == 1 {
			close(entered)
			<-release
		}
		return bcrypt.CompareHashAndPassword(hash, pw)
	})
	first := make(chan error, 1)
	go func() {
		_, err := a.Login(ctx, "admin", password, "192.0.2.1")
		first <- err
	}()
	<-entered
	_, err := a.Login(ctx, "admin", password, "192.0.2.2")
	if mashang.ErrorCode(err) != mashang.EUNAVAILABLE || !strings.Contains(mashang.ErrorMessage(err), "正在登录的人较多，请稍等片刻再点登录") {
		t.Fatalf("a sign-in while the one turn is taken: %v", err)
	}
	if n := checks.Load(); n != 1 {
		t.Fatalf("%d password checks ran at once, want 1", n)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("the sign-in holding the turn: %v", err)
	}
	if _, err := a.Login(ctx, "admin", password, "192.0.2.2"); err != nil {
		t.Fatalf("a sign-in after the turn was given back: %v", err)
	}
}

// A turn rests after each check (Accounts.PasswordCheckShare): checking
// at most that share of its time, it is taken again only after resting
// the rest, so sign-ins arriving together cannot keep a processor busy. A
// sign-in that would wait past its limit for the rested turn is asked to
// try again; the next one after the rest signs in.
func TestPasswordChecksRestBetweenSignIns(t *testing.T) {
	ctx := context.Background()
	db := accountsStore(t)
	const check = 100 * time.Millisecond
	a := &mashang.Accounts{Store: db, Cost: bcrypt.MinCost, PasswordChecks: 1, PasswordCheckShare: 0.5, PasswordCheckWait: 5 * time.Second}
	const password = "correct horse battery"
	if _, err := a.Create(ctx, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, password); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var began []time.Time
	mashang.CheckPasswordsWith(a, func(hash, pw []byte) error {
		mu.Lock()
		began = append(began, time.Now())
		mu.Unlock()
		time.Sleep(check) // a check that takes this long
		return bcrypt.CompareHashAndPassword(hash, pw)
	})
	for i := range 2 {
		if _, err := a.Login(ctx, "admin", password, "192.0.2.1"); err != nil {
			t.Fatalf("sign-in %d: %v", i+1, err)
		}
	}
	// Half its time checking: the second check begins a check and a rest
	// as long after the first.
	if gap := began[1].Sub(began[0]); gap < 2*check {
		t.Fatalf("the second check began %s after the first, want at least %s (a check, then as long a rest)", gap, 2*check)
	}

	// A tenth of its time: a rest of nine checks, longer than a sign-in
	// may wait.
	a.PasswordCheckShare, a.PasswordCheckWait = 0.1, 3*check
	if _, err := a.Login(ctx, "admin", password, "192.0.2.1"); err != nil {
		t.Fatalf("the sign-in before the long rest: %v", err)
	}
	_, err := a.Login(ctx, "admin", password, "192.0.2.2")
	if mashang.ErrorCode(err) != mashang.EUNAVAILABLE || !strings.Contains(mashang.ErrorMessage(err), "正在登录的人较多，请稍等片刻再点登录") {
		t.Fatalf("a sign-in during the rest, which lasts longer than it may wait: %v", err)
	}
	if n := len(began); n != 3 {
		t.Fatalf("%d checks, want 3: the sign-in turned away checked nothing", n)
	}
	time.Sleep(10 * check)
	if _, err := a.Login(ctx, "admin", password, "192.0.2.2"); err != nil {
		t.Fatalf("a sign-in after the rest: %v", err)
	}
}

// accountsStore is a store of its own on SQLite for the accounts' tests.
func accountsStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.DriverSQLite, filepath.Join(t.TempDir(), "accounts.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
