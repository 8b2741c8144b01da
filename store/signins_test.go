package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"mashang/store"
	"mashang/store/storetest"
)

// A sign-in is counted although another transaction holds rows of minutes
// gone by: clearing them is not part of the count's transaction (inside it,
// sign-ins counted at once deadlocked each other on MySQL).
func TestSignInCountDoesNotWaitForOldRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		if driver == store.DriverSQLite {
			t.Skip("SQLite has one writer: no row is held by another transaction")
		}
		ctx := context.Background()
		db, raw := storetest.OpenRaw(t, driver)
		const minute = 29_000_000
		if _, err := db.CountSignIn(ctx, "10.0.0.9", minute-5); err != nil {
			t.Fatal(err)
		}
		holder, err := raw.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted}) // the service's isolation
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Rollback()
		var attempts int
		if err := holder.QueryRowContext(ctx, `SELECT attempts FROM signin_attempts WHERE address = '10.0.0.9' FOR UPDATE`).Scan(&attempts); err != nil {
			t.Fatal(err)
		}
		// Well under InnoDB's lock wait (50 s): the deadline only ends a test
		// that would otherwise wait for the holder.
		quick, cancel := context.WithTimeout(ctx, 5*time.Second)
		n, err := db.CountSignIn(quick, "10.0.0.1", minute)
		cancel()
		if err != nil || n != 1 {
			t.Fatalf("first sign-in of a minute answered %d, %v; want 1", n, err)
		}
		if err := holder.Rollback(); err != nil {
			t.Fatal(err)
		}
		// Free again, the old minute is cleared by the next minute's first.
		if _, err := db.CountSignIn(ctx, "10.0.0.1", minute+1); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM signin_attempts WHERE minute < ?`, minute).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Fatalf("%d counts of minutes gone by were kept", left)
		}
	})
}

// Sign-ins from many addresses at once are each counted, minute after
// minute (each minute's first ones clearing the minutes gone by), without an
// error (a deadlock retried four times surfaces as one).
func TestConcurrentSignInsAreCounted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db := storetest.Open(t, driver)
		const minute, addresses, perAddress = 29_100_000, 8, 6
		var mu sync.Mutex
		answers := map[string][]int{}
		errs := make(chan error, addresses*perAddress*3)
		for m := range int64(3) {
			var wg sync.WaitGroup
			for a := range addresses {
				for range perAddress {
					wg.Go(func() {
						key := fmt.Sprintf("10.1.0.%d", a)
						n, err := db.CountSignIn(ctx, key, minute+m)
						if err != nil {
							errs <- err
							return
						}
						mu.Lock()
						answers[fmt.Sprintf("%s@%d", key, m)] = append(answers[fmt.Sprintf("%s@%d", key, m)], n)
						mu.Unlock()
					})
				}
			}
			wg.Wait()
		}
		close(errs)
		for err := range errs {
			t.Fatalf("a sign-in was not counted: %v", err)
		}
		if len(answers) != addresses*3 {
			t.Fatalf("%d address-minutes counted, want %d", len(answers), addresses*3)
		}
		for k, ns := range answers {
			sort.Ints(ns)
			for i, n := range ns {
				if n != i+1 {
					t.Fatalf("%s answered %v, want 1 to %d", k, ns, perAddress)
				}
			}
		}
	})
}

// The counts of minutes gone by are cleared once a minute, by the minute's
// first sign-in at this instance, not again by each address's first: a
// morning's sign-ins from thousands of offices made one range delete each,
// and those took turns over the same rows.
func TestSignInCountsAreClearedOnceAMinute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db, raw := storetest.OpenRaw(t, driver)
		const minute = 29_200_000
		gone := func() int {
			t.Helper()
			var n int
			if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM signin_attempts WHERE minute < ?`, minute-1).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		stale := func(address string) {
			t.Helper()
			if _, err := raw.ExecContext(ctx, `INSERT INTO signin_attempts (address, minute, attempts) VALUES (?, ?, 1)`, address, minute-10); err != nil {
				t.Fatal(err)
			}
		}
		stale("10.2.0.1")
		if _, err := db.CountSignIn(ctx, "10.2.0.2", minute); err != nil {
			t.Fatal(err)
		}
		if n := gone(); n != 0 {
			t.Fatalf("the minute's first sign-in left %d counts of minutes gone by", n)
		}
		stale("10.2.0.3")
		if _, err := db.CountSignIn(ctx, "10.2.0.4", minute); err != nil { // another address's first, the same minute
			t.Fatal(err)
		}
		if n := gone(); n != 1 {
			t.Fatalf("%d counts of minutes gone by after a second address's first sign-in of the minute, want the 1 left until the next minute", n)
		}
		if _, err := db.CountSignIn(ctx, "10.2.0.4", minute+1); err != nil {
			t.Fatal(err)
		}
		if n := gone(); n != 0 {
			t.Fatalf("the next minute's first sign-in left %d counts of minutes gone by", n)
		}
	})
}
