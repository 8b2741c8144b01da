package store_test

import (
	"context"
	"testing"

	"mashang"
	"mashang/roster"
	"mashang/store/storetest"
)

// A roster read back out of the database imports into it unchanged: the
// console edits records as one-row rosters, so the layout must round-trip.
func TestRosterRowsRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db := storetest.Open(t, driver)
		if err := db.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		rosters := &roster.Importer{Store: db}
		for _, kind := range []string{"stations", "deputies", "groups", "departments"} {
			rows, err := db.RosterRows(ctx, kind)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) < 2 {
				t.Fatalf("%s: no records", kind)
			}
			res, err := rosters.Apply(ctx, kind, rows)
			if err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			if res.Created != 0 || res.Updated != 0 || res.Unchanged != len(rows)-1 {
				t.Errorf("%s read back and imported: %s", kind, res)
			}
		}
		if _, err := db.RosterRows(ctx, "keywords"); mashang.ErrorCode(err) != mashang.EINVALID {
			t.Errorf("an unknown roster: %v", err)
		}
	})
}
