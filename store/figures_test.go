package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/workday"
)

// The dashboard adds up tallies that triggers keep as cases change; after
// cases are created, handed over, closed, reopened, re-categorised and
// swept, the tallies must say exactly what counting the cases says.
func TestFigureTalliesFollowEveryChangeOfACase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db := storetest.Open(t, driver)
		if err := db.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
		if err := db.GenerateCases(ctx, 1500, now); err != nil {
			t.Fatal(err)
		}
		from, to := now.AddDate(-1, 0, -1), now.Add(time.Hour)
		// Hand-overs are counted by their day; the test hands over after
		// to, so the departments' period runs to a midnight past them all.
		departmentsTo := time.Date(2027, 1, 1, 0, 0, 0, 0, mashang.China)
		compare := func(when string, at time.Time) {
			t.Helper()
			for _, r := range []mashang.Reach{{All: true}, {StationID: 1}} {
				kept, err := db.FigureGroups(ctx, r, from, to, at)
				if err != nil {
					t.Fatal(err)
				}
				counted, err := db.RecountFigureGroups(ctx, r, from, to, at)
				if err != nil {
					t.Fatal(err)
				}
				if len(kept) == 0 {
					t.Fatalf("%s: no figures at all", when)
				}
				if got, want := figureLines(kept), figureLines(counted); got != want {
					t.Fatalf("%s, reach %+v: the tallies say\n%s\nbut the cases say\n%s", when, r, got, want)
				}
				keptDepartments, err := db.DepartmentFigures(ctx, r, from, departmentsTo, at)
				if err != nil {
					t.Fatal(err)
				}
				countedDepartments, err := db.RecountDepartmentFigures(ctx, r, from, departmentsTo, at)
				if err != nil {
					t.Fatal(err)
				}
				if len(keptDepartments) == 0 {
					t.Fatalf("%s: no department figures at all", when)
				}
				if got, want := fmt.Sprintf("%+v", keptDepartments), fmt.Sprintf("%+v", countedDepartments); got != want {
					t.Fatalf("%s, reach %+v: the department tallies say\n%s\nbut the cases say\n%s", when, r, got, want)
				}
			}
		}
		compare("as generated", now)

		// Change cases the ways staff and citizens do.
		later := now.Add(2 * time.Hour)
		err := db.UpdateHandover(ctx, func(tx mashang.HandoverTx) error {
			for i := range 300 {
				c, err := tx.CaseForReply(ctx, fmt.Sprintf("G%09d", i))
				if err != nil {
					return err
				}
				switch {
				case c.Status == mashang.CaseClosed && i%2 == 0:
					// Reopened into another category: it leaves its old row,
					// and counts as re-handled for its department.
					if err = tx.SetCaseState(ctx, c.ID, mashang.CaseReopened, "重新分类"); err == nil {
						err = tx.AddCaseEvent(ctx, c.ID, later, mashang.EventReopened, "", "不满意")
					}
				case c.Status == mashang.CaseClosed:
				case i%3 == 0:
					if err = tx.HandOver(ctx, c.ID, 1, later, 5, later.Add(7*24*time.Hour)); err == nil {
						// Answered: counted once however many answers.
						err = tx.AddCaseEvent(ctx, c.ID, later, mashang.EventReply, "staff", "已安排")
					}
				default:
					err = tx.CloseCase(ctx, c.ID, later, mashang.ColourGreen)
				}
				if err != nil {
					return fmt.Errorf("case %s: %w", c.Number, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Reopened cases past their old deadline are late only once the
		// sweep has seen them; the sweep then agrees with the count at its now.
		calendar, err := workday.Parse(nil)
		if err != nil {
			t.Fatal(err)
		}
		sup := &mashang.Supervision{Store: db, Calendar: calendar, NearDays: 2, Now: func() time.Time { return later }}
		if _, err := sup.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		compare("after changes and a sweep", later)

		// Time passes: deadlines handed out above fall due.
		muchLater := later.Add(30 * 24 * time.Hour)
		sup.Now = func() time.Time { return muchLater }
		if _, err := sup.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		compare("a month on, after a sweep", muchLater)
	})
}

func figureLines(groups []mashang.FigureGroup) string {
	lines := make([]string, 0, len(groups))
	for _, g := range groups {
		lines = append(lines, fmt.Sprintf("%s|%s|%s|%s %+v", g.Station, g.Group, g.Category, g.Month, g.Tally))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
