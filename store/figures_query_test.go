package store

import (
	"testing"
	"time"

	"mashang"
)

// The figures' SQL is as long for five years as for a month: the month of
// each row is one expression, not one term per month of the period (the
// years 0001–9999 made a query of 120,000 terms).
func TestFiguresQueryDoesNotGrowWithThePeriod(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, mashang.China)
	reach := mashang.Reach{JurisdictionIDs: []int64{1, 2}}
	for _, db := range []*DB{{dialect: sqliteDialect{}}, {dialect: mysqlDialect{}}} {
		month, month2 := figuresFromTallies(reach, from, from.AddDate(0, 1, 0))
		years, years2 := figuresFromTallies(reach, from, from.AddDate(mashang.MaxPeriodYears, 0, 0))
		if month != years || len(month2) != len(years2) {
			t.Errorf("tallies: %d bytes and %d arguments for a month, %d and %d for five years", len(month), len(month2), len(years), len(years2))
		}
		now := from.AddDate(6, 0, 0)
		month, month2 = db.figuresFromCases(reach, from, from.AddDate(0, 1, 0), now)
		years, years2 = db.figuresFromCases(reach, from, from.AddDate(mashang.MaxPeriodYears, 0, 0), now)
		if month != years || len(month2) != len(years2) {
			t.Errorf("%s cases: %d bytes and %d arguments for a month, %d and %d for five years", db.dialect.name(), len(month), len(month2), len(years), len(years2))
		}
	}
}
