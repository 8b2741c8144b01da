package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store"
	"mashang/store/storetest"
)

// The points ledger is only added to: the database itself refuses to
// change or delete an entry, whoever asks; a correction is another entry.
func TestPointsLedgerIsNeverEdited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, driver)
		db, err := store.Open(ctx, driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
		if err := db.AddPointCorrection(ctx, "demo-d02", 4, "更正：补记10月活动", "admin", at); err != nil {
			t.Fatal(err)
		}
		if err := db.AddPointCorrection(ctx, "nobody", 4, "x", "admin", at); mashang.ErrorCode(err) != mashang.ENOTFOUND {
			t.Fatalf("an unknown deputy: %v", err)
		}
		raw, err := sql.Open(map[string]string{store.DriverSQLite: "sqlite", store.DriverMySQL: "mysql"}[driver], dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		for _, stmt := range []string{`UPDATE point_entries SET points = 100`, `DELETE FROM point_entries`} {
			if _, err := raw.ExecContext(ctx, stmt); err == nil || !strings.Contains(err.Error(), "correcting entry") {
				t.Errorf("%s: %v", stmt, err)
			}
		}
		_, from, to := mashang.Quarter(at)
		lines, err := db.DutyReport(ctx, mashang.Reach{All: true}, from, to)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if l.DeputyCode == "demo-d02" && l.Points != 4 {
				t.Fatalf("after refused edits: %+v", l)
			}
		}
	})
}

func TestQuarters(t *testing.T) {
	cst := mashang.China
	for _, tc := range []struct {
		at   time.Time
		name string
		from time.Time
	}{
		{time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC), "2027年第1季度", time.Date(2027, 1, 1, 0, 0, 0, 0, cst)}, // already 2027 in Beijing
		{time.Date(2026, 11, 23, 8, 0, 0, 0, cst), "2026年第4季度", time.Date(2026, 10, 1, 0, 0, 0, 0, cst)},
		{time.Date(2026, 4, 1, 0, 0, 0, 0, cst), "2026年第2季度", time.Date(2026, 4, 1, 0, 0, 0, 0, cst)},
	} {
		name, from, to := mashang.Quarter(tc.at)
		if name != tc.name || !from.Equal(tc.from) || !to.Equal(tc.from.AddDate(0, 3, 0)) {
			t.Errorf("%s: %s %s %s", tc.at, name, from, to)
		}
	}
	if _, _, _, err := mashang.ParseQuarter("2026Q5", time.Now()); mashang.ErrorCode(err) != mashang.EINVALID {
		t.Errorf("2026Q5: %v", err)
	}
	if name, _, _, err := mashang.ParseQuarter("2026Q3", time.Now()); err != nil || name != "2026年第3季度" {
		t.Errorf("2026Q3: %s %v", name, err)
	}
}
