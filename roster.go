package mashang

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// StationKind is what the articles call 家、站、点.
type StationKind string

const (
	StationHome    StationKind = "home"    // 代表之家
	StationLiaison StationKind = "station" // 代表联络站
	StationPoint   StationKind = "point"   // 代表联络点
)

// DeputyLevel is the congress a deputy sits in: the five levels.
type DeputyLevel string

const (
	LevelNational   DeputyLevel = "national"   // 全国人大代表
	LevelProvincial DeputyLevel = "provincial" // 省人大代表
	LevelCity       DeputyLevel = "city"       // 市人大代表
	LevelCounty     DeputyLevel = "county"     // 县（市、区）人大代表
	LevelTown       DeputyLevel = "town"       // 乡镇人大代表
)

// JurisdictionLevel is a level of the jurisdiction tree.
type JurisdictionLevel string

const (
	JurisdictionCity     JurisdictionLevel = "city"     // 市
	JurisdictionDistrict JurisdictionLevel = "district" // 区（市、县）
	JurisdictionTown     JurisdictionLevel = "town"     // 镇（街道）
)

// labels lists what staff write in a roster for each value, the first being
// how the service writes it back.
var (
	stationKindLabels = map[StationKind][]string{
		StationHome:    {"代表之家", "人大代表之家", "家"},
		StationLiaison: {"代表联络站", "人大代表联络站", "联络站", "站"},
		StationPoint:   {"代表联络点", "人大代表联络点", "联络点", "点"},
	}
	deputyLevelLabels = map[DeputyLevel][]string{
		LevelNational:   {"全国", "全国人大代表", "全国人大"},
		LevelProvincial: {"省", "省人大代表", "省人大"},
		LevelCity:       {"市", "市人大代表", "市人大"},
		LevelCounty:     {"区（市、县）", "区", "县", "县级", "区人大代表", "县人大代表", "区(市、县)"},
		LevelTown:       {"镇（街道）", "镇", "乡", "街道", "乡镇", "镇人大代表", "乡镇人大代表", "镇(街道)"},
	}
)

func parseLabel[T ~string](labels map[T][]string, s string) (T, bool) {
	s = strings.TrimSpace(s)
	for v, names := range labels {
		if string(v) == s {
			return v, true
		}
		for _, n := range names {
			if n == s {
				return v, true
			}
		}
	}
	return "", false
}

// Label is how a person reads the kind.
func (k StationKind) Label() string { return stationKindLabels[k][0] }

// Label is how a person reads the level.
func (l DeputyLevel) Label() string { return deputyLevelLabels[l][0] }

// StationRecord is one station as a roster describes it.
type StationRecord struct {
	Row           int // the spreadsheet row it came from
	Code          string
	Name          string
	Kind          StationKind
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
	Level    DeputyLevel
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

// RowError is one problem in a roster, by spreadsheet row (1 = the header).
type RowError struct {
	Row    int
	Column string // the header, when one column is at fault
	Reason string
}

func (e RowError) String() string {
	if e.Column != "" {
		return fmt.Sprintf("第%d行「%s」：%s", e.Row, e.Column, e.Reason)
	}
	return fmt.Sprintf("第%d行：%s", e.Row, e.Reason)
}

// RosterError refuses a whole file and lists every problem in it.
type RosterError struct {
	Errors []RowError
}

func (e *RosterError) Error() string {
	lines := make([]string, len(e.Errors))
	for i, re := range e.Errors {
		lines[i] = re.String()
	}
	return fmt.Sprintf("名册有%d处错误，未导入任何数据：\n%s", len(e.Errors), strings.Join(lines, "\n"))
}

// The column layouts of the two rosters. Headers are matched by name, in any
// order; a column marked required must be present and filled in.
type rosterColumn struct {
	header   string
	aliases  []string
	required bool
}

var (
	stationColumns = []rosterColumn{
		{header: "编码", aliases: []string{"站点编码"}, required: true},
		{header: "名称", aliases: []string{"站点名称"}, required: true},
		{header: "类型", aliases: []string{"站点类型"}, required: true},
		{header: "市", required: true},
		{header: "区（市、县）", aliases: []string{"区", "区县", "区(市、县)", "县(市、区)"}},
		{header: "镇（街道）", aliases: []string{"镇", "街道", "镇街", "镇(街道)"}},
		{header: "地址"},
		{header: "纬度"},
		{header: "经度"},
		{header: "接待日"},
		{header: "接待计划"},
		{header: "状态"},
	}
	deputyColumns = []rosterColumn{
		{header: "编码", aliases: []string{"代表编码"}, required: true},
		{header: "姓名", required: true},
		{header: "层级", aliases: []string{"代表层级"}, required: true},
		{header: "手机", aliases: []string{"手机号", "联系电话"}},
		{header: "编组站点", aliases: []string{"站点编码", "所在站点"}, required: true},
		{header: "所在小组", aliases: []string{"小组"}},
		{header: "履职简介", aliases: []string{"简介"}},
		{header: "在任", aliases: []string{"是否在任"}},
	}
)

var (
	groupColumns = []rosterColumn{
		{header: "站点编码", required: true},
		{header: "小组名称", aliases: []string{"小组"}, required: true},
		{header: "受理类别", aliases: []string{"类别"}},
		{header: "组长编码", aliases: []string{"组长"}},
		{header: "值班组", aliases: []string{"是否值班组"}},
	}
	departmentColumns = []rosterColumn{
		{header: "名称", aliases: []string{"单位名称", "部门名称"}, required: true},
		{header: "所属辖区", aliases: []string{"辖区"}, required: true},
	}
)

var keywordColumns = []rosterColumn{
	{header: "站点编码"},
	{header: "类别", aliases: []string{"受理类别"}, required: true},
	{header: "关键词", required: true},
}

// KeywordHeaders is the header row of the keyword roster.
func KeywordHeaders() []string { return rosterHeaders(keywordColumns) }

// GroupHeaders and DepartmentHeaders are the header rows of those rosters.
func GroupHeaders() []string { return rosterHeaders(groupColumns) }

func DepartmentHeaders() []string { return rosterHeaders(departmentColumns) }

// StationHeaders and DeputyHeaders are the header rows of the two rosters,
// for templates and messages.
func StationHeaders() []string { return rosterHeaders(stationColumns) }

func DeputyHeaders() []string { return rosterHeaders(deputyColumns) }

func rosterHeaders(cols []rosterColumn) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.header
	}
	return out
}

// sheet reads rows by header name.
type sheet struct {
	index map[string]int // canonical header → column
	rows  [][]string
	errs  []RowError
}

func readSheet(rows [][]string, cols []rosterColumn) *sheet {
	s := &sheet{index: map[string]int{}}
	if len(rows) == 0 {
		s.errs = append(s.errs, RowError{Row: 1, Reason: "文件是空的，第一行应为表头：" + strings.Join(rosterHeaders(cols), "、")})
		return s
	}
	known := map[string]string{}
	for _, c := range cols {
		known[c.header] = c.header
		for _, a := range c.aliases {
			known[a] = c.header
		}
	}
	for i, h := range rows[0] {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) // Excel's CSV starts with a BOM
		if h == "" {
			continue
		}
		canonical, ok := known[h]
		if !ok {
			s.errs = append(s.errs, RowError{Row: 1, Column: h, Reason: "不认识这一列，可用的列为：" + strings.Join(rosterHeaders(cols), "、")})
			continue
		}
		if _, dup := s.index[canonical]; dup {
			s.errs = append(s.errs, RowError{Row: 1, Column: h, Reason: "这一列重复了"})
			continue
		}
		s.index[canonical] = i
	}
	for _, c := range cols {
		if _, ok := s.index[c.header]; c.required && !ok {
			s.errs = append(s.errs, RowError{Row: 1, Column: c.header, Reason: "缺少这一必填列"})
		}
	}
	s.rows = rows[1:]
	return s
}

func (s *sheet) cell(row []string, header string) string {
	i, ok := s.index[header]
	if !ok || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

// eachRow calls fn for every non-blank data row, with its spreadsheet row
// number and a function that records a problem in a column of that row.
func (s *sheet) eachRow(fn func(n int, row []string, bad func(col, reason string))) {
	for i, row := range s.rows {
		if blank(row) {
			continue
		}
		n := i + 2 // row 1 is the header
		fn(n, row, func(col, reason string) { s.errs = append(s.errs, RowError{Row: n, Column: col, Reason: reason}) })
	}
}

// result returns the records, or every problem found.
func result[T any](s *sheet, records []T) ([]T, error) {
	if len(s.errs) > 0 {
		return nil, &RosterError{Errors: s.errs}
	}
	return records, nil
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// ParseStations reads a station roster. Every problem is reported, not just
// the first, so staff can fix the file in one pass.
func ParseStations(rows [][]string) ([]StationRecord, error) {
	s := readSheet(rows, stationColumns)
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
		if kind, ok := parseLabel(stationKindLabels, s.cell(row, "类型")); ok {
			r.Kind = kind
		} else {
			bad("类型", fmt.Sprintf("「%s」应为 代表之家、代表联络站 或 代表联络点", s.cell(row, "类型")))
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
			bad("状态", fmt.Sprintf("「%s」应为 开放 或 关闭", st))
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
	s := readSheet(rows, deputyColumns)
	var out []DeputyRecord
	seen := map[string]int{}
	s.eachRow(func(n int, row []string, bad func(col, reason string)) {
		r := DeputyRecord{Row: n, Code: s.cell(row, "编码"), Name: s.cell(row, "姓名"), Phone: s.cell(row, "手机"),
			Profile: s.cell(row, "履职简介"), InOffice: true,
			Stations: splitList(s.cell(row, "编组站点")), Groups: splitList(s.cell(row, "所在小组"))}
		checkCode(r.Code, n, seen, bad)
		checkText(r.Name, "姓名", 30, true, bad)
		checkText(r.Profile, "履职简介", 2000, false, bad)
		if level, ok := parseLabel(deputyLevelLabels, s.cell(row, "层级")); ok {
			r.Level = level
		} else {
			bad("层级", fmt.Sprintf("「%s」应为 全国、省、市、区（市、县） 或 镇（街道）", s.cell(row, "层级")))
		}
		if r.Phone != "" && !mobile.MatchString(r.Phone) {
			bad("手机", "应为11位手机号码")
		}
		if len(r.Stations) == 0 {
			bad("编组站点", "每位代表至少编入一个站点，填站点编码")
		}
		for _, code := range r.Stations {
			if !ValidCode(code) {
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
			bad("在任", fmt.Sprintf("「%s」应为 是 或 否", v))
		}
		out = append(out, r)
	})
	return result(s, out)
}

// ParseGroups reads a group roster. A station has at most one duty group.
func ParseGroups(rows [][]string) ([]GroupRecord, error) {
	s := readSheet(rows, groupColumns)
	var out []GroupRecord
	seen := map[string]int{}
	duty := map[string]int{}
	s.eachRow(func(n int, row []string, bad func(col, reason string)) {
		r := GroupRecord{Row: n, StationCode: s.cell(row, "站点编码"), Name: s.cell(row, "小组名称"),
			Categories: splitList(s.cell(row, "受理类别")), LeaderCode: s.cell(row, "组长编码")}
		if !ValidCode(r.StationCode) {
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
		if r.LeaderCode != "" && !ValidCode(r.LeaderCode) {
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
			bad("值班组", fmt.Sprintf("「%s」应为 是 或 否", v))
		}
		out = append(out, r)
	})
	return result(s, out)
}

// ParseDepartments reads a department roster.
func ParseDepartments(rows [][]string) ([]DepartmentRecord, error) {
	s := readSheet(rows, departmentColumns)
	var out []DepartmentRecord
	seen := map[string]int{}
	s.eachRow(func(n int, row []string, bad func(col, reason string)) {
		r := DepartmentRecord{Row: n, Name: s.cell(row, "名称"), Jurisdiction: JurisdictionPath(s.cell(row, "所属辖区"))}
		checkText(r.Name, "名称", 100, true, bad)
		if len(r.Jurisdiction) == 0 || len(r.Jurisdiction) > 3 {
			bad("所属辖区", "应为 市、市/区 或 市/区/镇，如 青岛市/市南区")
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
	s := readSheet(rows, keywordColumns)
	var out []KeywordRecord
	s.eachRow(func(n int, row []string, bad func(col, reason string)) {
		r := KeywordRecord{Row: n, StationCode: s.cell(row, "站点编码"), Category: s.cell(row, "类别"),
			Keywords: splitList(s.cell(row, "关键词"))}
		if r.StationCode != "" && !ValidCode(r.StationCode) {
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
	case !ValidCode(code):
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

// ImportResult says what applying a roster changed.
type ImportResult struct {
	Created, Updated, Unchanged int
}

func (r ImportResult) String() string {
	return fmt.Sprintf("新增%d条，更新%d条，未变%d条", r.Created, r.Updated, r.Unchanged)
}

// Change is what saving one record did.
type Change int

const (
	Unchanged Change = iota
	Created
	Updated
)

func (r *ImportResult) count(c Change) {
	switch c {
	case Created:
		r.Created++
	case Updated:
		r.Updated++
	default:
		r.Unchanged++
	}
}

// RosterTx is what applying a roster needs from storage, in one transaction.
type RosterTx interface {
	SaveStationRecord(ctx context.Context, r StationRecord) (Change, error)
	StationCodes(ctx context.Context) (map[string]bool, error)
	SaveDeputyRecord(ctx context.Context, r DeputyRecord) (Change, error)
	// DeputyStationCodes maps each deputy code to the stations they are
	// grouped into.
	DeputyStationCodes(ctx context.Context) (map[string]map[string]bool, error)
	SaveGroupRecord(ctx context.Context, r GroupRecord) (Change, error)
	SaveKeywordRecord(ctx context.Context, r KeywordRecord) (Change, error)
	SaveDepartmentRecord(ctx context.Context, r DepartmentRecord) (Change, error)
}

// RosterStore runs fn in one write transaction.
type RosterStore interface {
	UpdateRoster(ctx context.Context, fn func(RosterTx) error) error
}

// applyRoster is what every import does: in one transaction, check the
// references the records make (every bad row listed, nothing written), then
// save each record and count what changed.
func applyRoster[R any](ctx context.Context, st RosterStore, records []R,
	check func(tx RosterTx) ([]RowError, error),
	save func(tx RosterTx, r R) (Change, error)) (ImportResult, error) {
	var res ImportResult
	err := st.UpdateRoster(ctx, func(tx RosterTx) error {
		res = ImportResult{} // the transaction may run again
		if check != nil {
			errs, err := check(tx)
			if err != nil {
				return err
			}
			if len(errs) > 0 {
				return &RosterError{Errors: errs}
			}
		}
		for _, r := range records {
			c, err := save(tx, r)
			if err != nil {
				return err
			}
			res.count(c)
		}
		return nil
	})
	return res, err
}

// ImportStations applies a parsed station roster in one transaction, keyed
// by station code: applying the same roster again changes nothing.
func ImportStations(ctx context.Context, st RosterStore, records []StationRecord) (ImportResult, error) {
	return applyRoster(ctx, st, records, nil, func(tx RosterTx, r StationRecord) (Change, error) {
		c, err := tx.SaveStationRecord(ctx, r)
		return c, rowErr(err, r.Row, r.Code)
	})
}

// ImportDeputies applies a parsed deputy roster in one transaction, keyed by
// deputy code. A station code that names no station refuses the whole file,
// with every such row listed.
func ImportDeputies(ctx context.Context, st RosterStore, records []DeputyRecord) (ImportResult, error) {
	check := func(tx RosterTx) ([]RowError, error) {
		known, err := tx.StationCodes(ctx)
		if err != nil {
			return nil, err
		}
		var errs []RowError
		for _, r := range records {
			for _, code := range r.Stations {
				if !known[code] {
					errs = append(errs, RowError{Row: r.Row, Column: "编组站点", Reason: fmt.Sprintf("没有编码为「%s」的站点，请先导入站点名册", code)})
				}
			}
		}
		return errs, nil
	}
	return applyRoster(ctx, st, records, check, func(tx RosterTx, r DeputyRecord) (Change, error) {
		c, err := tx.SaveDeputyRecord(ctx, r)
		return c, rowErr(err, r.Row, r.Code)
	})
}

func rowErr(err error, row int, key string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("row %d (%s): %w", row, key, err)
}

// ImportGroups applies a group roster in one transaction, keyed by station
// and group name. A group's leader must be a deputy grouped into its
// station; marking a duty group unmarks the station's previous one.
func ImportGroups(ctx context.Context, st RosterStore, records []GroupRecord) (ImportResult, error) {
	check := func(tx RosterTx) ([]RowError, error) {
		stations, err := tx.StationCodes(ctx)
		if err != nil {
			return nil, err
		}
		deputies, err := tx.DeputyStationCodes(ctx)
		if err != nil {
			return nil, err
		}
		var errs []RowError
		for _, r := range records {
			switch {
			case !stations[r.StationCode]:
				errs = append(errs, RowError{Row: r.Row, Column: "站点编码", Reason: fmt.Sprintf("没有编码为「%s」的站点", r.StationCode)})
			case r.LeaderCode != "" && deputies[r.LeaderCode] == nil:
				errs = append(errs, RowError{Row: r.Row, Column: "组长编码", Reason: fmt.Sprintf("没有编码为「%s」的代表", r.LeaderCode)})
			case r.LeaderCode != "" && !deputies[r.LeaderCode][r.StationCode]:
				errs = append(errs, RowError{Row: r.Row, Column: "组长编码", Reason: fmt.Sprintf("代表「%s」没有编入站点「%s」，不能任该站小组组长", r.LeaderCode, r.StationCode)})
			}
		}
		return errs, nil
	}
	return applyRoster(ctx, st, records, check, func(tx RosterTx, r GroupRecord) (Change, error) {
		c, err := tx.SaveGroupRecord(ctx, r)
		return c, rowErr(err, r.Row, r.StationCode+" "+r.Name)
	})
}

// ImportDepartments applies a department roster in one transaction, keyed
// by jurisdiction and name; the jurisdiction is created if it is new.
func ImportDepartments(ctx context.Context, st RosterStore, records []DepartmentRecord) (ImportResult, error) {
	return applyRoster(ctx, st, records, nil, func(tx RosterTx, r DepartmentRecord) (Change, error) {
		c, err := tx.SaveDepartmentRecord(ctx, r)
		return c, rowErr(err, r.Row, r.Name)
	})
}

// ImportKeywords applies a keyword roster in one transaction; a keyword
// already filed under the category is left as it is.
func ImportKeywords(ctx context.Context, st RosterStore, records []KeywordRecord) (ImportResult, error) {
	check := func(tx RosterTx) ([]RowError, error) {
		stations, err := tx.StationCodes(ctx)
		if err != nil {
			return nil, err
		}
		var errs []RowError
		for _, r := range records {
			if r.StationCode != "" && !stations[r.StationCode] {
				errs = append(errs, RowError{Row: r.Row, Column: "站点编码", Reason: fmt.Sprintf("没有编码为「%s」的站点", r.StationCode)})
			}
		}
		return errs, nil
	}
	return applyRoster(ctx, st, records, check, func(tx RosterTx, r KeywordRecord) (Change, error) {
		c, err := tx.SaveKeywordRecord(ctx, r)
		return c, rowErr(err, r.Row, r.Category)
	})
}

// Rosters applies roster files staff upload or import.
type Rosters struct{ Store RosterStore }

// RosterKinds names each kind of roster as staff read it.
var RosterKinds = map[string]string{"stations": "站点名册", "deputies": "代表名册", "groups": "小组名册",
	"departments": "承办单位名册", "keywords": "分类关键词"}

// Apply parses rows as a roster of that kind and applies it whole, or
// refuses it whole with every bad row (*RosterError).
func (r *Rosters) Apply(ctx context.Context, kind string, rows [][]string) (ImportResult, error) {
	switch kind {
	case "stations":
		return parseThenImport(ctx, r.Store, rows, ParseStations, ImportStations)
	case "deputies":
		return parseThenImport(ctx, r.Store, rows, ParseDeputies, ImportDeputies)
	case "groups":
		return parseThenImport(ctx, r.Store, rows, ParseGroups, ImportGroups)
	case "keywords":
		return parseThenImport(ctx, r.Store, rows, ParseKeywords, ImportKeywords)
	case "departments":
		return parseThenImport(ctx, r.Store, rows, ParseDepartments, ImportDepartments)
	}
	return ImportResult{}, Errorf(EINVALID, "名册类型应为 stations、deputies、groups、departments 或 keywords")
}

func parseThenImport[R any](ctx context.Context, st RosterStore, rows [][]string,
	parse func([][]string) ([]R, error), apply func(context.Context, RosterStore, []R) (ImportResult, error)) (ImportResult, error) {
	records, err := parse(rows)
	if err != nil {
		return ImportResult{}, err
	}
	return apply(ctx, st, records)
}
