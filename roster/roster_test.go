package roster_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"mashang"
	"mashang/roster"
)

func TestParseStationsListsEveryBadRow(t *testing.T) {
	rows := [][]string{
		{"\ufeff编码", "名称", "类型", "市", "区", "镇（街道）", "纬度", "经度", "状态"},
		{"ok1", "八大关联络站", "代表联络站", "青岛市", "市南区", "八大关街道", "36.05", "120.35", "开放"},
		{"ok1", "重复的站", "代表之家", "青岛市", "", "", "", "", ""},           // 3: duplicate code
		{"bad code!", "名字", "驿站", "", "", "某街道", "91", "120", "维修中"}, // 4: code, kind, city, district, lat, status
		{}, // blank rows are skipped
		{"ok2", "崂山联络点", "点", "青岛市", "崂山区", "", "36.1", "", ""},        // 6: latitude without longitude
		{"ok3", "西海岸代表之家", "家", "青岛市", "西海岸新区", "薛家岛街道", "", "", "关闭"}, // fine, closed
	}
	_, err := roster.ParseStations(rows)
	var fe *mashang.FileError
	if !errors.As(err, &fe) || mashang.ErrorCode(err) != mashang.EINVALID {
		t.Fatalf("got %v, want a FileError, invalid", err)
	}
	want := []string{
		"第3行「编码」：与第2行重复",
		"第4行「编码」",
		"第4行「类型」：「驿站」",
		"第4行「市」：必填",
		"第4行「纬度」",
		"第4行「状态」：「维修中」",
		"第6行「经度」：纬度和经度要一起填",
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("the refusal does not say %q:\n%s", w, msg)
		}
	}
	if strings.Contains(msg, "第7行") || strings.Contains(msg, "第2行「") {
		t.Errorf("good rows reported as bad:\n%s", msg)
	}

	good, err := roster.ParseStations(append(rows[:2:2], rows[6]))
	if err != nil {
		t.Fatal(err)
	}
	if len(good) != 2 || good[1].Open || good[1].Kind != mashang.StationHome || len(good[1].Jurisdiction) != 3 ||
		good[0].Latitude == nil || *good[0].Latitude != 36.05 {
		t.Fatalf("parsed %+v", good)
	}
}

func TestParseRosterHeaders(t *testing.T) {
	_, err := roster.ParseStations([][]string{{"编码", "名称", "备注"}, {"a", "b", "c"}})
	msg := err.Error()
	for _, w := range []string{"「备注」：不认识这一列", "「类型」：缺少这一必填列", "「市」：缺少这一必填列"} {
		if !strings.Contains(msg, w) {
			t.Errorf("header problems: %q not in\n%s", w, msg)
		}
	}
	if _, err := roster.ParseDeputies(nil); err == nil || !strings.Contains(err.Error(), "文件是空的") {
		t.Errorf("empty file: %v", err)
	}
}

func TestParseDeputies(t *testing.T) {
	rows := [][]string{
		{"编码", "姓名", "层级", "手机", "编组站点", "所在小组", "在任"},
		{"d1", "王海燕", "市", "13800138001", "s1、s2", "政策咨询组，法律服务组", "是"},
		{"d2", "", "村", "12345", "", "", "也许"},
	}
	_, err := roster.ParseDeputies(rows)
	msg := err.Error()
	for _, w := range []string{"第3行「姓名」：必填", "第3行「层级」", "第3行「手机」", "第3行「编组站点」", "第3行「在任」"} {
		if !strings.Contains(msg, w) {
			t.Errorf("%q not in\n%s", w, msg)
		}
	}
	ok, err := roster.ParseDeputies(rows[:2])
	if err != nil {
		t.Fatal(err)
	}
	d := ok[0]
	if d.Level != mashang.LevelCity || strings.Join(d.Stations, "|") != "s1|s2" || strings.Join(d.Groups, "|") != "政策咨询组|法律服务组" || !d.InOffice {
		t.Fatalf("parsed %+v", d)
	}
}

// The values a column takes are written once, in its description: the
// parser accepts each of them, and a refusal names them all, as before.
func TestAllowedValuesAreTheColumnsOwn(t *testing.T) {
	valid := map[string]map[string]string{ // one good record of each roster, by header
		"stations": {"编码": "s1", "名称": "八大关联络站", "类型": "代表联络站", "市": "青岛市"},
		"deputies": {"编码": "d1", "姓名": "王海燕", "层级": "市", "编组站点": "s1"},
		"groups":   {"站点编码": "s1", "小组名称": "综合组"},
	}
	parse := map[string]func([][]string) error{
		"stations": func(rows [][]string) error { _, err := roster.ParseStations(rows); return err },
		"deputies": func(rows [][]string) error { _, err := roster.ParseDeputies(rows); return err },
		"groups":   func(rows [][]string) error { _, err := roster.ParseGroups(rows); return err },
	}
	refusals := map[string]string{
		"类型":  "第2行「类型」：「也许」应为 代表之家、代表联络站 或 代表联络点",
		"层级":  "第2行「层级」：「也许」应为 全国、省、市、区（市、县） 或 镇（街道）",
		"状态":  "第2行「状态」：「也许」应为 开放 或 关闭",
		"在任":  "第2行「在任」：「也许」应为 是 或 否",
		"值班组": "第2行「值班组」：「也许」应为 是 或 否",
	}
	seen := 0
	for _, l := range roster.Layouts {
		for _, col := range l.Columns {
			if col.Allowed == nil {
				continue
			}
			seen++
			record := func(v string) [][]string {
				row := make([]string, len(l.Columns))
				for i, c := range l.Columns {
					row[i] = valid[l.Kind][c.Header]
				}
				row[slices.Index(l.Headers(), col.Header)] = v
				return [][]string{l.Headers(), row}
			}
			for _, v := range col.Allowed {
				if err := parse[l.Kind](record(v)); err != nil {
					t.Errorf("%s「%s」= %s refused: %v", l.Kind, col.Header, v, err)
				}
			}
			err := parse[l.Kind](record("也许"))
			if err == nil || !strings.Contains(err.Error(), refusals[col.Header]) {
				t.Errorf("%s「%s」: got %v, want %q", l.Kind, col.Header, err, refusals[col.Header])
			}
		}
	}
	if seen != len(refusals) {
		t.Errorf("%d columns with allowed values, %d refusals checked", seen, len(refusals))
	}
}

// Every column is described once: a header or an alias names one column of
// its roster, and the export writes back exactly the columns the import reads.
func TestLayoutsNameEachColumnOnce(t *testing.T) {
	for _, l := range roster.Layouts {
		names := map[string]string{}
		for _, c := range l.Columns {
			for _, n := range append([]string{c.Header}, c.Aliases...) {
				if other, dup := names[n]; dup {
					t.Errorf("%s: 「%s」 names both %s and %s", l.Kind, n, other, c.Header)
				}
				names[n] = c.Header
			}
		}
		if got, ok := roster.Lookup(l.Kind); !ok || got.Label != l.Label {
			t.Errorf("%s not found by its kind", l.Kind)
		}
	}
	rows := roster.DeputyRows([]roster.DeputyRecord{{Code: "d1", Name: "王海燕", Level: mashang.LevelCity, Phone: "13800138001",
		Stations: []string{"s1", "s2"}, Groups: []string{"综合组"}, InOffice: true}})
	back, err := roster.ParseDeputies(rows)
	if err != nil || len(back) != 1 || back[0].Phone != "13800138001" || strings.Join(back[0].Stations, "|") != "s1|s2" || !back[0].InOffice {
		t.Fatalf("a deputy written and read back: %+v %v", back, err)
	}
	if key := roster.Groups.Key([]string{"s1", "综合组", "", "", "否"}); key != "s1/综合组" {
		t.Errorf("a group's key: %q", key)
	}
}
