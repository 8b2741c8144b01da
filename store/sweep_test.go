package store_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"mashang"
	"mashang/configs"
	"mashang/store"
	"mashang/store/storetest"
	"mashang/workday"
)

// Two instances sweeping the same database at once change each case's
// colour once: one timeline line, one alert, one notice per change.
func TestTwoSweepsAtOnceChangeEachColourOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, driver)
		instances := twoInstances(t, driver, dsn)
		now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
		if err := instances[0].GenerateCases(ctx, 1500, now); err != nil {
			t.Fatal(err)
		}
		calendar, err := workday.Parse(configs.Holidays())
		if err != nil {
			t.Fatal(err)
		}
		later := now.AddDate(0, 2, 0) // every deadline handed out has passed
		var changed [2]int
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, db := range instances {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sup := &mashang.Supervision{Store: db, Calendar: calendar, NearDays: 2, Now: func() time.Time { return later },
					Notify: mashang.SupervisionNotify{TemplateID: "TPL-SUPERVISION"}}
				<-start
				var err error
				if changed[i], err = sup.Sweep(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()

		raw, err := sql.Open(map[string]string{store.DriverSQLite: "sqlite", store.DriverMySQL: "mysql"}[driver], dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		count := func(query string) int {
			t.Helper()
			var n int
			if err := raw.QueryRowContext(ctx, query).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		lines := count(`SELECT COUNT(*) FROM case_events WHERE kind = 'colour'`)
		if lines == 0 {
			t.Fatal("the sweeps changed no colour: the test proves nothing")
		}
		if twice := count(`SELECT COUNT(*) FROM (SELECT case_id FROM case_events WHERE kind = 'colour' GROUP BY case_id HAVING COUNT(*) > 1) x`); twice > 0 {
			t.Errorf("%d cases changed colour twice (sweeps counted %d + %d, timeline has %d lines)", twice, changed[0], changed[1], lines)
		}
		if changed[0]+changed[1] != lines {
			t.Errorf("the sweeps counted %d + %d changes, the timeline has %d", changed[0], changed[1], lines)
		}
		alerts, notices := count(`SELECT COUNT(*) FROM staff_alerts`), count(`SELECT COUNT(*) FROM case_events WHERE kind = 'notify'`)
		if nonGreen := count(`SELECT COUNT(*) FROM case_events WHERE kind = 'colour' AND detail NOT LIKE '%恢复绿灯%'`); alerts != nonGreen || notices != nonGreen {
			t.Errorf("%d alerts and %d notice lines for %d cases turned yellow or red", alerts, notices, nonGreen)
		}
	})
}
