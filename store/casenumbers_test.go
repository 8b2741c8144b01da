package store_test

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"mashang"
	"mashang/store"
	"mashang/store/storetest"
)

var caseNumberRe = regexp.MustCompile(`\d{6}-\d{4}`)

// openCaseAt has openid scan the station's code and write: the text opens a
// case, and its number is in the reply.
func openCaseAt(ctx context.Context, intake *mashang.Intake, openid string, msgID int64) (string, error) {
	if _, err := intake.Receive(ctx, event(openid, mashang.EventScan, "st:demo-bdg", t0)); err != nil {
		return "", err
	}
	reply, err := intake.Receive(ctx, text(openid, msgID, "路灯坏了"))
	if err != nil {
		return "", err
	}
	number := caseNumberRe.FindString(reply.Text)
	if number == "" {
		return "", fmt.Errorf("reply %q carries no case number", reply.Text)
	}
	return number, nil
}

// pausingStore holds the transaction of the first case opened after it has
// its number, until release is closed: a case whose transaction is slow.
type pausingStore struct {
	*store.DB
	once    sync.Once
	paused  chan struct{}
	release chan struct{}
}

func (s *pausingStore) UpdateIntake(ctx context.Context, fn func(mashang.IntakeTx) error) error {
	return s.DB.UpdateIntake(ctx, func(tx mashang.IntakeTx) error { return fn(&pausingTx{IntakeTx: tx, s: s}) })
}

type pausingTx struct {
	mashang.IntakeTx
	s *pausingStore
}

func (tx *pausingTx) CreateCase(ctx context.Context, c *mashang.Case) error {
	tx.s.once.Do(func() {
		close(tx.s.paused)
		<-tx.s.release
	})
	return tx.IntakeTx.CreateCase(ctx, c)
}

// A case whose transaction is still open after taking its number does not
// hold up the cases opened meanwhile (on MySQL every case used to wait on
// the day's counter row until the first committed).
func TestCaseNumberIsNotHeldByAnOpenCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		if driver == store.DriverSQLite {
			t.Skip("SQLite has one writer: transactions follow each other by design")
		}
		ctx := context.Background()
		db := storetest.Open(t, driver)
		if err := db.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		slow := &pausingStore{DB: db, paused: make(chan struct{}), release: make(chan struct{})}
		var first string
		var firstErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			first, firstErr = openCaseAt(ctx, &mashang.Intake{Store: slow, Now: func() time.Time { return t0 }}, "oSlow", 1)
		}()
		select {
		case <-slow.paused:
		case <-done:
			t.Fatalf("the first case never reached its insert: %q, %v", first, firstErr)
		}
		// Well under InnoDB's lock wait (50 s): the deadline only ends a test
		// that would otherwise wait for the slow case to commit.
		quick, cancel := context.WithTimeout(ctx, 5*time.Second)
		second, err := openCaseAt(quick, &mashang.Intake{Store: db, Now: func() time.Time { return t0 }}, "oQuick", 2)
		cancel()
		close(slow.release)
		<-done
		if err != nil {
			t.Fatalf("a case opened while another's transaction was open: %v", err)
		}
		if firstErr != nil {
			t.Fatal(firstErr)
		}
		if first == second {
			t.Fatalf("both cases are %s", first)
		}
	})
}

// Many cases opened at once each get a number of their own, the day's
// numbers in a row from 0001.
func TestConcurrentCasesGetUniqueNumbers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db := storetest.Open(t, driver)
		if err := db.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		intake := &mashang.Intake{Store: db, Now: func() time.Time { return t0 }}
		const n = 40
		numbers := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { numbers[i], errs[i] = openCaseAt(ctx, intake, fmt.Sprintf("oMany%02d", i), int64(100+i)) })
		}
		wg.Wait()
		seen := map[string]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("case %d: %v", i, errs[i])
			}
			if seen[numbers[i]] {
				t.Fatalf("two cases are %s", numbers[i])
			}
			seen[numbers[i]] = true
		}
		day := t0.In(mashang.China)
		for i := 1; i <= n; i++ {
			if !seen[mashang.CaseNumber(day, i)] {
				t.Fatalf("no case %s among %v", mashang.CaseNumber(day, i), numbers)
			}
		}
		// The next day counts from 1 again.
		next := &mashang.Intake{Store: db, Now: func() time.Time { return t0.Add(24 * time.Hour) }}
		if _, err := next.Receive(ctx, event("oTomorrow", mashang.EventScan, "st:demo-bdg", t0.Add(24*time.Hour))); err != nil {
			t.Fatal(err)
		}
		m := text("oTomorrow", 999, "又坏了")
		m.CreateTime, m.ReceivedAt = t0.Add(24*time.Hour), t0.Add(24*time.Hour)
		reply, err := next.Receive(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if want := mashang.CaseNumber(t0.Add(24*time.Hour), 1); caseNumberRe.FindString(reply.Text) != want {
			t.Fatalf("next day's first case answered %q, want %s", reply.Text, want)
		}
	})
}
