package store_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"mashang"
	"mashang/roster"
	"mashang/store"
	"mashang/store/storetest"
)

func readRoster(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := roster.ReadFile(path, f)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func importSamples(t *testing.T, db *store.DB, ext string) (roster.ImportResult, roster.ImportResult) {
	t.Helper()
	ctx := context.Background()
	stations, err := roster.ParseStations(readRoster(t, "../configs/roster/stations.example"+ext))
	if err != nil {
		t.Fatal(err)
	}
	st, err := roster.ImportStations(ctx, db, stations)
	if err != nil {
		t.Fatal(err)
	}
	deputies, err := roster.ParseDeputies(readRoster(t, "../configs/roster/deputies.example"+ext))
	if err != nil {
		t.Fatal(err)
	}
	dp, err := roster.ImportDeputies(ctx, db, deputies)
	if err != nil {
		t.Fatal(err)
	}
	return st, dp
}

func TestSampleRostersImportOnceAndAgainChangeNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		for _, ext := range []string{".csv", ".xlsx"} {
			t.Run(ext, func(t *testing.T) {
				ctx := context.Background()
				db := storetest.Open(t, driver)
				st, dp := importSamples(t, db, ext)
				if st.Created != 5 || dp.Created != 8 {
					t.Fatalf("first import: stations %v, deputies %v", st, dp)
				}
				before, err := db.CountRoster(ctx)
				if err != nil {
					t.Fatal(err)
				}
				// 青岛市 > 市南区 (八大关, 金门路), 崂山区 (沙子口, 北宅), 西海岸新区 (薛家岛)
				want := store.RosterCounts{Jurisdictions: 9, Stations: 5, Deputies: 8, DeputyStations: 9, Groups: 7, Members: 8}
				if before != want {
					t.Fatalf("stored %+v, want %+v", before, want)
				}
				st, dp = importSamples(t, db, ext)
				if st.Unchanged != 5 || dp.Unchanged != 8 || st.Created+st.Updated+dp.Created+dp.Updated != 0 {
					t.Fatalf("second import changed something: stations %v, deputies %v", st, dp)
				}
				after, _ := db.CountRoster(ctx)
				if after != before {
					t.Fatalf("second import: %+v became %+v", before, after)
				}
				closed, err := db.StationByCode(ctx, "lsbq01")
				if err != nil || closed.Name != "北宅街道人大代表联络点" {
					t.Fatalf("closed station: %+v %v", closed, err)
				}
			})
		}
	})
}

func TestRosterChangesAreApplied(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db := storetest.Open(t, driver)
		importSamples(t, db, ".csv")
		deputies, _ := roster.ParseDeputies([][]string{
			{"编码", "姓名", "层级", "编组站点", "所在小组"},
			{"qd-d0004", "刘志强", "镇（街道）", "lszsk01", "法律服务组"}, // leaves 政策咨询组
			{"qd-d0009", "吴新", "市", "snbdg01", "新成立的小组"},     // a new deputy and a new group
		})
		res, err := roster.ImportDeputies(ctx, db, deputies)
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 1 || res.Updated != 1 {
			t.Fatalf("result %v", res)
		}
		c, _ := db.CountRoster(ctx)
		if c.Deputies != 9 || c.DeputyStations != 10 || c.Groups != 8 || c.Members != 8 { // 8 - 1 left + 1 joined
			t.Fatalf("counts %+v", c)
		}
	})
}

// A deputy roster naming a station that does not exist is refused whole.
func TestUnknownStationRefusesTheWholeFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db := storetest.Open(t, driver)
		importSamples(t, db, ".csv")
		before, _ := db.CountRoster(ctx)
		deputies, err := roster.ParseDeputies([][]string{
			{"编码", "姓名", "层级", "编组站点"},
			{"new-1", "甲", "市", "snbdg01"},
			{"new-2", "乙", "市", "nowhere1"},
			{"new-3", "丙", "市", "snbdg01、nowhere2"},
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = roster.ImportDeputies(ctx, db, deputies)
		var re *mashang.FileError
		if !errors.As(err, &re) || len(re.Errors) != 2 ||
			!strings.Contains(err.Error(), "第3行「编组站点」：没有编码为「nowhere1」的站点") ||
			!strings.Contains(err.Error(), "第4行「编组站点」：没有编码为「nowhere2」的站点") {
			t.Fatalf("got %v", err)
		}
		if after, _ := db.CountRoster(ctx); after != before {
			t.Fatalf("a refused roster changed %+v into %+v", before, after)
		}
	})
}

func importCSV(t *testing.T, db *store.DB, kind string) roster.ImportResult {
	t.Helper()
	ctx := context.Background()
	rows := readRoster(t, "../configs/roster/"+kind+".example.csv")
	var res roster.ImportResult
	var err error
	switch kind {
	case "groups":
		var records []roster.GroupRecord
		if records, err = roster.ParseGroups(rows); err == nil {
			res, err = roster.ImportGroups(ctx, db, records)
		}
	case "departments":
		var records []roster.DepartmentRecord
		if records, err = roster.ParseDepartments(rows); err == nil {
			res, err = roster.ImportDepartments(ctx, db, records)
		}
	}
	if err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
	return res
}

func TestGroupsAndDepartments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db := storetest.Open(t, driver)
		importSamples(t, db, ".csv")
		groups := importCSV(t, db, "groups")
		departments := importCSV(t, db, "departments")
		if groups.Created != 0 || groups.Updated != 7 || departments.Created != 6 {
			// The deputy roster created the 7 groups; the group roster completes them.
			t.Fatalf("groups %v, departments %v", groups, departments)
		}
		c, _ := db.CountRoster(ctx)
		if c.Groups != 7 || c.DutyGroups != 4 || c.Categories != 10 || c.GroupCategories != 14 || c.Departments != 6 {
			t.Fatalf("counts %+v", c)
		}
		if again := importCSV(t, db, "groups"); again.Unchanged != 7 {
			t.Fatalf("second group import: %v", again)
		}
		if again := importCSV(t, db, "departments"); again.Unchanged != 6 {
			t.Fatalf("second department import: %v", again)
		}

		// A new duty group takes over from the old one.
		records, _ := roster.ParseGroups([][]string{
			{"站点编码", "小组名称", "受理类别", "值班组"},
			{"snbdg01", "生活保障组", "物业管理", "是"},
		})
		if _, err := roster.ImportGroups(ctx, db, records); err != nil {
			t.Fatal(err)
		}
		if c, _ := db.CountRoster(ctx); c.DutyGroups != 4 {
			t.Fatalf("duty groups after the swap: %d", c.DutyGroups)
		}

		// A leader who is not grouped into the station is refused, whole file.
		before, _ := db.CountRoster(ctx)
		records, _ = roster.ParseGroups([][]string{
			{"站点编码", "小组名称", "组长编码"},
			{"snbdg01", "新小组", "qd-d0001"},
			{"snbdg01", "另一小组", "qd-d0006"},
			{"nowhere", "小组", ""},
		})
		_, err := roster.ImportGroups(ctx, db, records)
		if err == nil || !strings.Contains(err.Error(), "第3行「组长编码」：代表「qd-d0006」没有编入站点「snbdg01」") ||
			!strings.Contains(err.Error(), "第4行「站点编码」") {
			t.Fatalf("got %v", err)
		}
		if after, _ := db.CountRoster(ctx); after != before {
			t.Fatalf("a refused group roster changed %+v into %+v", before, after)
		}
	})
}

func TestParseGroupsRefusesTwoDutyGroups(t *testing.T) {
	_, err := roster.ParseGroups([][]string{
		{"站点编码", "小组名称", "值班组"},
		{"s1", "甲组", "是"},
		{"s1", "乙组", "是"},
		{"s1", "甲组", "否"},
	})
	if err == nil || !strings.Contains(err.Error(), "第3行「值班组」：一个站点只能有一个值班组") ||
		!strings.Contains(err.Error(), "第4行「小组名称」：与第2行是同一个站点的同一个小组") {
		t.Fatalf("got %v", err)
	}
}
