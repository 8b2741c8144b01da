package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"mashang"
	"mashang/store"
	"mashang/store/storetest"
)

// twoInstances are two instances of the service on one database of demo
// people and places.
func twoInstances(t *testing.T, driver, dsn string) [2]*store.DB {
	t.Helper()
	ctx := context.Background()
	var instances [2]*store.DB
	for i := range instances {
		db, err := store.Open(ctx, driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		instances[i] = db
	}
	if err := instances[0].SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	return instances
}

// Two instances moving the same case at once move it once: one succeeds,
// the other is told someone else moved it (or that it is already there),
// and the timeline has one move.
func TestTwoMovesAtOnceMoveTheCaseOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		instances := twoInstances(t, driver, storetest.DSN(t, driver))
		if err := instances[0].GenerateCases(ctx, 1, time.Now()); err != nil {
			t.Fatal(err)
		}
		cases, err := instances[0].ConsoleCases(ctx, mashang.Reach{All: true}, mashang.CaseFilter{})
		if err != nil || len(cases) != 1 {
			t.Fatalf("the case: %v %v", cases, err)
		}
		c := cases[0]
		to := "demo-xhw"
		if c.StationName == "西海岸新区薛家岛街道代表之家" {
			to = "demo-lsh"
		}
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, db := range instances {
			wg.Go(func() {
				<-start
				_, errs[i] = (&mashang.Rerouting{Store: db}).Move(ctx, c.Number, mashang.MoveTarget{StationCode: to}, "工作人员", "并发转出")
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case mashang.ErrorCode(err) != mashang.ECONFLICT:
				t.Errorf("the other move: %v", err)
			}
		}
		events, err := instances[0].CaseEvents(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		moves := 0
		for _, e := range events {
			if e.Kind == mashang.EventMoved {
				moves++
			}
		}
		if won != 1 || moves != 1 {
			t.Errorf("%d moves succeeded (%v), %d on the timeline", won, errs, moves)
		}
	})
}
