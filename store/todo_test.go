package store_test

import (
	"context"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
)

// Every consented closed case joins the wall's queue as it is written (the
// triggers of migration 00037), and the to-do list reads at most
// TodoPerSource of each source: past it, the count says "more" rather than
// reading the whole backlog on every console page.
func TestWallQueueFillsByTriggerAndTheTodoCountStopsAtItsBound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx, now := context.Background(), time.Now()
		db, _, _ := openSeeded(t, driver)
		if err := db.GenerateCases(ctx, 1000, now); err != nil {
			t.Fatal(err)
		}
		waiting, _, err := db.WallReviews(ctx, mashang.Reach{All: true}, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for f := (mashang.CaseFilter{Status: mashang.CaseClosed, Limit: 50}); ; {
			page, err := db.ConsoleCases(ctx, mashang.Reach{All: true}, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, c := range page {
				if c.PublicConsent {
					want++
				}
			}
			f.Before = page[len(page)-1].ID
		}
		if len(waiting) != want || want <= mashang.TodoPerSource {
			t.Fatalf("%d cases wait for the wall, %d consented closed cases (need more than %d)", len(waiting), want, mashang.TodoPerSource)
		}
		n, err := db.TodoCount(ctx, mashang.Reach{All: true}, now)
		if err != nil {
			t.Fatal(err)
		}
		items, more, err := db.TodoItems(ctx, mashang.Reach{All: true}, now)
		if err != nil {
			t.Fatal(err)
		}
		walls := 0
		for _, it := range items {
			if it.Kind == mashang.TodoWall {
				walls++
			}
		}
		if !n.Over || !more || walls != mashang.TodoPerSource || n.N != len(items) {
			t.Errorf("count %+v, %d items (%d for the wall), more %v", n, len(items), walls, more)
		}
		// A department's handler has no to-do list here.
		if n, err := db.TodoCount(ctx, mashang.Reach{DepartmentID: 1}, now); err != nil || n.N != 0 {
			t.Errorf("a department's count: %+v %v", n, err)
		}
	})
}

// A station's to-do list reads its alerts by the alert's station (migration
// 00056): an alert written about a case without naming a station is the
// case's station's, and no other station sees it.
func TestAnAlertWithoutAStationIsItsCaseStations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx, now := context.Background(), time.Now()
		db, _, _ := openSeeded(t, driver)
		if err := db.GenerateCases(ctx, 1, now); err != nil {
			t.Fatal(err)
		}
		cases, err := db.ConsoleCases(ctx, mashang.Reach{All: true}, mashang.CaseFilter{})
		if err != nil || len(cases) != 1 {
			t.Fatalf("the case: %v %v", cases, err)
		}
		c := cases[0]
		const says = "请核实群众所说的地址"
		if err := db.UpdateHandover(ctx, func(tx mashang.HandoverTx) error {
			return tx.(interface {
				AddStaffAlert(ctx context.Context, stationID, caseID int64, message string, at time.Time) error
			}).AddStaffAlert(ctx, 0, c.ID, says, now)
		}); err != nil {
			t.Fatal(err)
		}
		stations, err := db.Stations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stations {
			items, _, err := db.TodoItems(ctx, mashang.Reach{StationID: s.ID}, now)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, it := range items {
				found = found || (it.Kind == mashang.TodoAlert && it.Text == says && it.CaseNumber == c.Number)
			}
			if found != (s.ID == c.StationID) {
				t.Errorf("station %s (the case's: %v) sees the alert: %v", s.Name, s.ID == c.StationID, found)
			}
		}
	})
}
