package store_test

import (
	"context"
	"testing"
	"time"

	"mashang"
	"mashang/store"
	"mashang/store/storetest"
)

// The reception register counts people received (接待人次) by station,
// deputy and month, within each account's reach: a station's secretary
// sees only their station, a district's staff only its stations. A day not
// come yet, a deputy of another station and a station beyond reach are
// refused, and nothing is written.
func TestTheRegisterCountsPeopleReceivedWithinReach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db, err := store.Open(ctx, driver, storetest.DSN(t, driver))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		reg := &mashang.Register{Store: db, Now: func() time.Time { return time.Date(2026, 12, 6, 10, 0, 0, 0, mashang.China) }}
		record := func(station, day, deputy string, topics ...string) error {
			_, err := reg.Record(ctx, mashang.VisitEntry{StationCode: station, Day: day, DeputyCode: deputy, Topics: topics, By: "sec"}, nil)
			return err
		}
		for _, v := range []struct{ station, day, deputy string }{
			{"demo-bdg", "2026-11-10", "demo-d01"},
			{"demo-bdg", "2026-11-10", "demo-d01"},
			{"demo-bdg", "2026-11-10", ""},
			{"demo-bdg", "2026-12-05", "demo-d02"},
			{"demo-xhw", "2026-11-20", "demo-d03"},
		} {
			if err := record(v.station, v.day, v.deputy, "反映的事"); err != nil {
				t.Fatal(err)
			}
		}
		for _, bad := range []struct {
			err  error
			code string
		}{
			{record("demo-bdg", "2026-12-07", "", "明天的事"), mashang.EINVALID},
			{record("demo-bdg", "2026-11-10", "demo-d03", "别处代表"), mashang.EINVALID},
			{record("demo-zz", "2026-11-10", "", "没有的站"), mashang.ENOTFOUND},
		} {
			if mashang.ErrorCode(bad.err) != bad.code {
				t.Errorf("%v, want %s", bad.err, bad.code)
			}
		}
		if _, err := reg.Record(ctx, mashang.VisitEntry{StationCode: "demo-xhw", Day: "2026-11-10", Topics: []string{"x"}, By: "sec"},
			func(code string) bool { return code == "demo-bdg" }); mashang.ErrorCode(err) != mashang.ENOTFOUND {
			t.Errorf("beyond reach: %v", err)
		}

		bdg, err := db.StationByCode(ctx, "demo-bdg")
		if err != nil {
			t.Fatal(err)
		}
		district, err := db.JurisdictionByPath(ctx, "青岛市/西海岸新区")
		if err != nil {
			t.Fatal(err)
		}
		westCoast, err := db.ReachOf(ctx, mashang.StaffUser{Role: mashang.RoleStaff, JurisdictionID: district})
		if err != nil {
			t.Fatal(err)
		}
		type count struct {
			station, deputy, month string
			people                 int
		}
		for name, c := range map[string]struct {
			reach mashang.Reach
			want  []count
		}{
			"all": {mashang.Reach{All: true}, []count{
				{"demo-bdg", "", "2026-11", 1}, {"demo-bdg", "demo-d01", "2026-11", 2}, {"demo-xhw", "demo-d03", "2026-11", 1},
				{"demo-bdg", "demo-d02", "2026-12", 1}}},
			"secretary": {mashang.Reach{StationID: bdg.ID}, []count{
				{"demo-bdg", "", "2026-11", 1}, {"demo-bdg", "demo-d01", "2026-11", 2}, {"demo-bdg", "demo-d02", "2026-12", 1}}},
			"district": {westCoast, []count{{"demo-xhw", "demo-d03", "2026-11", 1}}},
			"handler":  {mashang.Reach{DepartmentID: 1}, nil},
		} {
			lines, err := db.ReceivedFigures(ctx, c.reach, "2026-01-01", "2026-12-31")
			if err != nil {
				t.Fatal(err)
			}
			var got []count
			for _, l := range lines {
				got = append(got, count{l.StationCode, l.DeputyCode, l.Month, l.People})
			}
			if len(got) != len(c.want) {
				t.Fatalf("%s: %+v, want %+v", name, got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("%s: %+v, want %+v", name, got, c.want)
				}
			}
		}
		day, err := reg.Day(ctx, "demo-bdg", "2026-11-10", nil)
		if err != nil || day.Received() != 3 || len(day.Visits[0].Topics) != 1 || day.Visits[0].DeputyName != "王海燕" {
			t.Fatalf("the day: %+v %v", day, err)
		}
	})
}
