// Package roster reads and writes the rosters staff keep in spreadsheets:
// stations, deputies, groups, departments and the keywords that file cases.
// Each roster's columns are described once (Layout), for the import, the
// export and the console's one-record forms.
package roster

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"mashang"
)

// StationRecord is one station as a roster describes it.
type StationRecord struct {
	Row           int // the spreadsheet row it came from
	Code          string
	Name          string
	Kind          mashang.StationKind
	Jurisdiction  []string // city, district, town: as far as given
	Address       string
	Latitude      *float64
	Longitude     *float64
	ReceptionDays string // e.g. 每月10日
	ReceptionPlan string
	Open          bool
}

// DeputyRecord is one deputy as a roster describes them.
type DeputyRecord struct {
	Row      int
	Code     string
	Name     string
	Level    mashang.DeputyLevel
	Phone    string
	Stations []string // station codes; the first is their home station
	Groups   []string // groups at their home station
	Profile  string
	InOffice bool
}

// GroupRecord is one deputy group of a station (代表小组): the categories of
// cases it takes, its leader, and whether it is the station's duty group
// (值班组), which takes what no other group's categories catch.
type GroupRecord struct {
	Row         int
	StationCode string
	Name        string
	Categories  []string
	LeaderCode  string
	Duty        bool
}

// DepartmentRecord is a government department cases are handed to (承办单位).
type DepartmentRecord struct {
	Row          int
	Name         string
	Jurisdiction []string // the level it belongs to, e.g. 青岛市/市南区
}

// KeywordRecord files cases whose text holds one of Keywords under
// Category, at one station or (no station) at every station.
type KeywordRecord struct {
	Row         int
	StationCode string // "" for every station
	Category    string
	Keywords    []string
}

// ParseStations reads a station roster. Every problem is reported, not just
// the first, so staff can fix the file in one pass.
func ParseStations(rows [][]string) ([]StationRecord, error) {
	s := readSheet(rows, Stations)
	var out []StationRecord
	seen := map[string]int{}
	s.eachRow(func(n int, row []string, bad func(col, reason string)) {
		r := StationRecord{Row: n, Code: s.cell(row, "编码"), Name: s.cell(row, "名称"), Address: s.cell(row, "地址"),
			ReceptionDays: s.cell(row, "接待日"), ReceptionPlan: s.cell(row, "接待计划"), Open: true}
		checkCode(r.Code, n, seen, bad)
		checkText(r.Name, "名称", 100, true, bad)
		checkText(r.Address, "地址", 200, false, bad)
		checkText(r.ReceptionDays, "接待日", 100, false, bad)
		checkText(r.ReceptionPlan, "接待计划", 2000, false, bad)
		if kind, ok := mashang.ParseStationKind(s.cell(row, "类型")); ok {
			r.Kind = kind
		} else {
			bad("类型", Stations.notAllowed("类型", s.cell(row, "类型")))
		}
		city, district, town := s.cell(row, "市"), s.cell(row, "区（市、县）"), s.cell(row, "镇（街道）")
		switch {
		case city == "":
			bad("市", "必填")
		case town != "" && district == "":
			bad("区（市、县）", "填了镇（街道）就要填所属的区（市、县）")
		}
		checkText(city, "市", 50, false, bad)
		checkText(district, "区（市、县）", 50, false, bad)
		checkText(town, "镇（街道）", 50, false, bad)
		for _, part := range []string{city, district, town} {
			if part == "" {
				break
			}
			r.Jurisdiction = append(r.Jurisdiction, part)
		}
		lat, latOK := parseCoordinate(s.cell(row, "纬度"), -90, 90)
		lng, lngOK := parseCoordinate(s.cell(row, "经度"), -180, 180)
		switch {
		case !latOK:
			bad("纬度", "应为 -90 到 90 之间的数，如 36.0671")
		case !lngOK:
			bad("经度", "应为 -180 到 180 之间的数，如 120.3826")
		case (lat == nil) != (lng == nil):
			bad("经度", "纬度和经度要一起填")
		default:
			r.Latitude, r.Longitude = lat, lng
		}
		switch st := s.cell(row, "状态"); st {
		case "", "开放", "正常", "启用":
		case "关闭", "停用", "撤销":
			r.Open = false
		default:
			bad("状态", Stations.notAllowed("状态", st))
		}
		out = append(out, r)
	})
	return result(s, out)
}

var mobile = regexp.MustCompile(`^1[3-9]\d{9}$`)

// listSeparators are the ways people separate several values in one cell.
var listSeparators = regexp.MustCompile(`[、，,；;\s/]+`)

func splitList(s string) []string {
	var out []string
	for _, p := range listSeparators.Split(strings.TrimSpace(s), -1) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseDeputies reads a deputy roster. Station codes are checked against the
// stations known when the roster is applied.
func ParseDeputies(rows [][]string) ([]DeputyRecord, error) {
	s := readSheet(rows, Deputies)
	var out []DeputyRecord
	seen := map[string]int{}
	s.eachRow(func(n int, row []string, bad func(col, reason string)) {
		r := DeputyRecord{Row: n, Code: s.cell(row, "编码"), Name: s.cell(row, "姓名"), Phone: s.cell(row, "手机"),
			Profile: s.cell(row, "履职简介"), InOffice: true,
			Stations: splitList(s.cell(row, "编组站点")), Groups: splitList(s.cell(row, "所在小组"))}
		checkCode(r.Code, n, seen, bad)
		checkText(r.Name, "姓名", 30, true, bad)
		checkText(r.Profile, "履职简介", 2000, false, bad)
		if level, ok := mashang.ParseDeputyLevel(s.cell(row, "层级")); ok {
			r.Level = level
		} else {
			bad("层级", Deputies.notAllowed("层级", s.cell(row, "层级")))
		}
		if r.Phone != "" && !mobile.MatchString(r.Phone) {
			bad("手机", "应为11位手机号码")
		}
		if len(r.Stations) == 0 {
			bad("编组站点", "每位代表至少编入一个站点，填站点编码")
		}
		for _, code := range r.Stations {
			if !mashang.ValidCode(code) {
				bad("编组站点", fmt.Sprintf("「%s」不是站点编码", code))
			}
		}
		for _, g := range r.Groups {
			checkText(g, "所在小组", 100, false, bad)
		}
		switch v := s.cell(row, "在任"); v {
		case "", "是", "在任":
		case "否", "离任", "不在任":
			r.InOffice = false
		default:
			bad("在任", Deputies.notAllowed("在任", v))
		}
		out = append(out, r)
	})
	return result(s, out)
}

// ParseGroups reads a group roster. A station has at most one duty group.
func ParseGroups(rows [][]string) ([]GroupRecord, error) {
	s := readSheet(rows, Groups)
	var out []GroupRecord
	seen := map[string]int{}
	duty := map[string]int{}
	s.eachRow(func(n int, row []string, bad func(col, reason string)) {
		r := GroupRecord{Row: n, StationCode: s.cell(row, "站点编码"), Name: s.cell(row, "小组名称"),
			Categories: splitList(s.cell(row, "受理类别")), LeaderCode: s.cell(row, "组长编码")}
		if !mashang.ValidCode(r.StationCode) {
			bad("站点编码", fmt.Sprintf("「%s」不是站点编码", r.StationCode))
		}
		checkText(r.Name, "小组名称", 100, true, bad)
		key := r.StationCode + "\x00" + r.Name
		if first, dup := seen[key]; dup {
			bad("小组名称", fmt.Sprintf("与第%d行是同一个站点的同一个小组", first))
		} else {
			seen[key] = n
		}
		for _, c := range r.Categories {
			checkText(c, "受理类别", 30, false, bad)
		}
		if r.LeaderCode != "" && !mashang.ValidCode(r.LeaderCode) {
			bad("组长编码", fmt.Sprintf("「%s」不是代表编码", r.LeaderCode))
		}
		switch v := s.cell(row, "值班组"); v {
		case "", "否":
		case "是":
			r.Duty = true
			if first, dup := duty[r.StationCode]; dup {
				bad("值班组", fmt.Sprintf("一个站点只能有一个值班组，第%d行已是该站的值班组", first))
			} else {
				duty[r.StationCode] = n
			}
		default:
			bad("值班组", Groups.notAllowed("值班组", v))
		}
		out = append(out, r)
	})
	return result(s, out)
}

// ParseDepartments reads a department roster.
func ParseDepartments(rows [][]string) ([]DepartmentRecord, error) {
	s := readSheet(rows, Departments)
	var out []DepartmentRecord
	seen := map[string]int{}
	s.eachRow(func(n int, row []string, bad func(col, reason string)) {
		r := DepartmentRecord{Row: n, Name: s.cell(row, "名称"), Jurisdiction: mashang.JurisdictionPath(s.cell(row, "所属辖区"))}
		checkText(r.Name, "名称", 100, true, bad)
		if len(r.Jurisdiction) == 0 || len(r.Jurisdiction) > 3 {
			bad("所属辖区", "应为 市、市/区 或 市/区/镇，如 青岛市/市南区")
		}
		for _, part := range r.Jurisdiction {
			checkText(part, "所属辖区", 50, false, bad)
		}
		key := strings.Join(r.Jurisdiction, "/") + "\x00" + r.Name
		if first, dup := seen[key]; dup {
			bad("名称", fmt.Sprintf("与第%d行重复", first))
		} else {
			seen[key] = n
		}
		out = append(out, r)
	})
	return result(s, out)
}

// ParseKeywords reads a keyword roster.
func ParseKeywords(rows [][]string) ([]KeywordRecord, error) {
	s := readSheet(rows, Keywords)
	var out []KeywordRecord
	s.eachRow(func(n int, row []string, bad func(col, reason string)) {
		r := KeywordRecord{Row: n, StationCode: s.cell(row, "站点编码"), Category: s.cell(row, "类别"),
			Keywords: splitList(s.cell(row, "关键词"))}
		if r.StationCode != "" && !mashang.ValidCode(r.StationCode) {
			bad("站点编码", fmt.Sprintf("「%s」不是站点编码（留空表示所有站点）", r.StationCode))
		}
		checkText(r.Category, "类别", 30, true, bad)
		if len(r.Keywords) == 0 {
			bad("关键词", "至少填一个关键词，多个用顿号分隔")
		}
		for _, k := range r.Keywords {
			checkText(k, "关键词", 20, false, bad)
		}
		out = append(out, r)
	})
	return result(s, out)
}

func checkCode(code string, row int, seen map[string]int, bad func(col, reason string)) {
	switch {
	case code == "":
		bad("编码", "必填")
	case !mashang.ValidCode(code):
		bad("编码", fmt.Sprintf("「%s」只能用字母、数字、- 和 _，最长29个字符（它会印进二维码）", code))
	case seen[code] != 0:
		bad("编码", fmt.Sprintf("与第%d行重复", seen[code]))
	default:
		seen[code] = row
	}
}

func checkText(v, col string, max int, required bool, bad func(col, reason string)) {
	switch {
	case required && v == "":
		bad(col, "必填")
	case !utf8.ValidString(v):
		bad(col, "含有无法识别的字符，请另存为 UTF-8 编码")
	case utf8.RuneCountInString(v) > max:
		bad(col, fmt.Sprintf("超过%d个字", max))
	}
}

func parseCoordinate(s string, lo, hi float64) (*float64, bool) {
	if s == "" {
		return nil, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < lo || f > hi {
		return nil, false
	}
	return &f, true
}
