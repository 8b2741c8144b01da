package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"mashang"
	"mashang/roster"
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

// Where a case may move is read from its city alone: the stations whose
// jurisdiction lies under the same city, with their paths; a station
// without a jurisdiction has the others without one for a city; and a loop
// in the jurisdictions' data leaves a station by itself instead of hanging
// the read.
func TestCityStationsAreTheStationsOfItsCity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, driver)
		db := twoInstances(t, driver, dsn)[0]
		if err := db.GenerateCases(ctx, 1, time.Now()); err != nil { // at a demo station of 青岛市
			t.Fatal(err)
		}
		if _, err := roster.ImportStations(ctx, db, []roster.StationRecord{
			{Row: 2, Code: "t-snq", Name: "市南区人大代表之家", Kind: mashang.StationHome, Jurisdiction: []string{"青岛市", "市南区"}, Open: true},
			{Row: 3, Code: "t-ytz", Name: "芝罘区联络站", Kind: mashang.StationLiaison, Jurisdiction: []string{"烟台市", "芝罘区", "向阳街道"}, Open: true},
			{Row: 4, Code: "t-yt", Name: "烟台市人大代表之家", Kind: mashang.StationHome, Jurisdiction: []string{"烟台市"}, Open: true},
			{Row: 5, Code: "t-none1", Name: "未登记辖区一", Kind: mashang.StationPoint, Open: true},
			{Row: 6, Code: "t-none2", Name: "未登记辖区二", Kind: mashang.StationPoint, Open: false},
		}); err != nil {
			t.Fatal(err)
		}
		all, err := db.Stations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]int64{}
		for _, s := range all {
			ids[s.Code] = s.ID
		}
		city := func(code string) string {
			t.Helper()
			out, err := db.CityStations(ctx, ids[code])
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, s := range out {
				lines = append(lines, s.Code+" "+strings.Join(s.Path, "/"))
			}
			return strings.Join(lines, "\n")
		}
		if got, want := city("t-yt"), "t-yt 烟台市\nt-ytz 烟台市/芝罘区/向阳街道"; got != want {
			t.Errorf("烟台市's stations:\n%s\nwant\n%s", got, want)
		}
		if got, want := city("t-ytz"), city("t-yt"); got != want {
			t.Errorf("from a town of 烟台市:\n%s\nwant\n%s", got, want)
		}
		if got, want := city("t-none2"), "t-none1 \nt-none2 "; got != want {
			t.Errorf("the stations without a jurisdiction:\n%s\nwant\n%s", got, want)
		}
		qingdao := city("demo-bdg")
		for _, s := range all {
			if in := strings.Contains(qingdao, s.Code+" 青岛市"); in != (s.Code == "t-snq" || strings.HasPrefix(s.Code, "demo-")) {
				t.Errorf("青岛市's stations list %s: %v\n%s", s.Code, in, qingdao)
			}
		}
		if !strings.Contains(qingdao, "t-snq 青岛市/市南区") {
			t.Errorf("青岛市's stations without 市南区's path:\n%s", qingdao)
		}
		// A station of another city, read outside the city's, is refused by
		// its name; a code of no station is said to be none.
		cases, err := db.ConsoleCases(ctx, mashang.Reach{All: true}, mashang.CaseFilter{})
		if err != nil || len(cases) != 1 {
			t.Fatalf("the case: %v %v", cases, err)
		}
		for code, says := range map[string]string{"t-yt": "「烟台市人大代表之家」不在青岛市", "t-nothing": "没有编码为 t-nothing 的站点"} {
			_, err := (&mashang.Rerouting{Store: db}).Move(ctx, cases[0].Number, mashang.MoveTarget{StationCode: code}, "工作人员", "测试")
			if !strings.Contains(mashang.ErrorMessage(err), says) {
				t.Errorf("moved to %s: %v, want %q", code, err, says)
			}
		}

		raw := storetest.RawSQL(t, driver, dsn)
		if _, err := raw.ExecContext(ctx, `UPDATE jurisdictions SET parent_id = (SELECT id FROM (SELECT id FROM jurisdictions WHERE name = '芝罘区') j) WHERE name = '烟台市'`); err != nil {
			t.Fatal(err)
		}
		done := make(chan string, 1)
		go func() { done <- city("t-ytz") }()
		select {
		case got := <-done:
			if !strings.HasPrefix(got, "t-ytz") || strings.Contains(got, "demo-") {
				t.Errorf("a station whose jurisdictions loop: %q", got)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a loop in the jurisdictions hangs the read")
		}
	})
}
