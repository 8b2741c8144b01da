package store_test

import (
	"context"
	"strings"
	"testing"

	"mashang"
	"mashang/store"
	"mashang/store/storetest"
)

// A city's inbox on SQLite walks the cases newest first and stops at the
// page; it never gathers the city's cases station by station to sort them
// (with the stations' jurisdiction index of 00054, SQLite chose that, and
// a page took 180 ms at a million cases instead of 0.3 ms). The plan does
// not depend on how many cases there are: SQLite keeps no statistics here.
func TestACitysInboxWalksTheCasesNewestFirstOnSQLite(t *testing.T) {
	ctx := context.Background()
	db, raw := storetest.OpenRaw(t, store.DriverSQLite)
	if err := db.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	city, err := db.JurisdictionByPath(ctx, "青岛市")
	if err != nil {
		t.Fatal(err)
	}
	reach, err := db.ReachOf(ctx, mashang.StaffUser{Role: mashang.RoleStaff, JurisdictionID: city})
	if err != nil {
		t.Fatal(err)
	}
	if len(reach.JurisdictionIDs) < 2 {
		t.Fatalf("the city's reach: %+v, want its jurisdictions", reach)
	}
	for name, f := range map[string]mashang.CaseFilter{
		"first page":                 {},
		"page 500":                   {Before: 1_000_000},
		"status and colour":          {Status: mashang.CaseHanded, Colour: mashang.ColourRed},
		"the window before a search": {Status: mashang.CaseHanded},
	} {
		query, args := db.InboxPageQuery(reach, f)
		plan := explainSQLite(t, raw, query, args...)
		if first, _, _ := strings.Cut(plan, "\n"); !(first == "SCAN c" || strings.HasPrefix(first, "SEARCH c USING INTEGER PRIMARY KEY")) || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s: the plan\n%s\nwant the cases walked first, by their key, and no sort", name, plan)
		}
	}
}
