package roster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"mashang"
)

// Column is one column of a roster, described once: the import matches
// headers by name, in any order; the export writes the columns in this
// order; the console's one-record form shows them so.
type Column struct {
	Header   string   // how the service writes it
	Aliases  []string // other headers staff write for it
	Required bool     // the column must be present (and its cells are checked)
	Allowed  []string // the values it takes, when they are few, as the service writes them
	Key      bool     // names a record, with the layout's other key columns
	// Mask, for personal data, is how the value is shown to staff; a form
	// that leaves it empty keeps the value it had.
	Mask func(string) string
	Long bool // free text: a text area in the form
	// Note explains the column to whoever fills it in (the console's column
	// list and the template's 填写说明 sheet); Example is its cell in the
	// template's example row.
	Note    string
	Example string
}

// Layout is one kind of roster: its name and its columns.
type Layout struct {
	Kind     string // as the command line and URLs name it
	Label    string // as staff read it
	Columns  []Column
	Editable bool // edited one record at a time in the console
}

// The rosters.
var (
	Stations = Layout{Kind: "stations", Label: "站点名册", Editable: true, Columns: []Column{
		{Header: "编码", Aliases: []string{"站点编码"}, Required: true, Key: true, Example: "SN-BDG",
			Note: "站点的唯一编码，只用字母、数字、- 和 _，最长29个字符（会印进二维码）；编码相同即修改该站点"},
		{Header: "名称", Aliases: []string{"站点名称"}, Required: true, Example: "某某街道人大代表联络站（示例）", Note: "站点全称，最长100字"},
		{Header: "类型", Aliases: []string{"站点类型"}, Required: true, Example: mashang.StationLiaison.Label(), Note: "从下拉列表中选",
			Allowed: labels(mashang.StationHome, mashang.StationLiaison, mashang.StationPoint)},
		{Header: "市", Required: true, Example: "青岛市", Note: "站点所在的市"},
		{Header: "区（市、县）", Aliases: []string{"区", "区县", "区(市、县)", "县(市、区)"}, Example: "市南区", Note: "所在的区（市、县）；市级站点留空"},
		{Header: "镇（街道）", Aliases: []string{"镇", "街道", "镇街", "镇(街道)"}, Example: "八大关街道", Note: "所在的镇（街道）；填了就要填所属的区（市、县）"},
		{Header: "地址", Example: "香港西路1号", Note: "群众来访的地址，最长200字"},
		{Header: "纬度", Example: "36.0530", Note: "用于“附近的站点”，如 36.0530；与经度一起填，或都不填"},
		{Header: "经度", Example: "120.3540", Note: "如 120.3540"},
		{Header: "接待日", Example: "每月10日", Note: "如 每月10日、每周三"},
		{Header: "接待计划", Long: true, Example: "每月10日上午9:00-11:30，代表轮流接待", Note: "文字说明，可留空"},
		{Header: "状态", Allowed: []string{"开放", "关闭"}, Example: "开放", Note: "留空为开放；关闭的站点不再受理"},
	}}
	Deputies = Layout{Kind: "deputies", Label: "代表名册", Editable: true, Columns: []Column{
		{Header: "编码", Aliases: []string{"代表编码"}, Required: true, Key: true, Example: "D-0001",
			Note: "代表的唯一编码，只用字母、数字、- 和 _（会印进二维码）；编码相同即修改该代表"},
		{Header: "姓名", Required: true, Example: "王某某（示例）", Note: "最长30字"},
		{Header: "层级", Aliases: []string{"代表层级"}, Required: true, Example: mashang.LevelCounty.Label(), Note: "从下拉列表中选：哪一级人大的代表",
			Allowed: labels(mashang.LevelNational, mashang.LevelProvincial, mashang.LevelCity, mashang.LevelCounty, mashang.LevelTown)},
		{Header: "手机", Aliases: []string{"手机号", "联系电话"}, Mask: mashang.MaskPhone, Example: "13800000000", Note: "11位手机号，代表绑定微信时核对；可留空"},
		{Header: "编组站点", Aliases: []string{"站点编码", "所在站点"}, Required: true, Example: "SN-BDG",
			Note: "站点编码，多个用顿号分隔，第一个为所在站点；站点须已导入"},
		{Header: "所在小组", Aliases: []string{"小组"}, Example: "政策咨询组", Note: "所在站点的小组名称，多个用顿号分隔；可留空"},
		{Header: "履职简介", Aliases: []string{"简介"}, Long: true, Example: "市南区人大代表，关注社区养老", Note: "群众在扫码页上看到，最长2000字"},
		{Header: "在任", Aliases: []string{"是否在任"}, Allowed: []string{"是", "否"}, Example: "是", Note: "留空为是；不在任的代表不再接收问题"},
	}}
	Groups = Layout{Kind: "groups", Label: "小组名册", Editable: true, Columns: []Column{
		{Header: "站点编码", Required: true, Key: true, Example: "SN-BDG", Note: "小组所在站点的编码；站点须已导入"},
		{Header: "小组名称", Aliases: []string{"小组"}, Required: true, Key: true, Example: "政策咨询组（示例）", Note: "同一站点内不重复"},
		{Header: "受理类别", Aliases: []string{"类别"}, Example: "政策咨询、社区治理", Note: "该组受理的问题类别，多个用顿号分隔"},
		{Header: "组长编码", Aliases: []string{"组长"}, Example: "D-0001", Note: "组长的代表编码；组长须编入该站点，可留空"},
		{Header: "值班组", Aliases: []string{"是否值班组"}, Allowed: []string{"是", "否"}, Example: "否",
			Note: "值班组受理其他小组类别以外的问题，每个站点至多一个；留空为否"},
	}}
	Departments = Layout{Kind: "departments", Label: "承办单位名册", Editable: true, Columns: []Column{
		{Header: "名称", Aliases: []string{"单位名称", "部门名称"}, Required: true, Key: true, Example: "某区城市管理局（示例）", Note: "承办单位全称"},
		{Header: "所属辖区", Aliases: []string{"辖区"}, Required: true, Key: true, Example: "青岛市/市南区",
			Note: "写作 市、市/区 或 市/区/镇，用 / 分隔；新的辖区会自动建立"},
	}}
	Keywords = Layout{Kind: "keywords", Label: "分类关键词", Columns: []Column{
		{Header: "站点编码", Example: "", Note: "只用于某个站点时填它的编码；留空表示所有站点"},
		{Header: "类别", Aliases: []string{"受理类别"}, Required: true, Example: "城市管理（示例）", Note: "问题类别，与小组的受理类别一致"},
		{Header: "关键词", Required: true, Example: "占道、噪音、垃圾", Note: "问题里含有其中一个词即归入该类别；多个用顿号分隔，每个最长20字"},
	}}
)

// Layouts lists every roster, in the order staff see them.
var Layouts = []Layout{Stations, Deputies, Groups, Departments, Keywords}

// Lookup finds a roster by its kind.
func Lookup(kind string) (Layout, bool) {
	for _, l := range Layouts {
		if l.Kind == kind {
			return l, true
		}
	}
	return Layout{}, false
}

// Headers is the header row, for templates and messages.
func (l Layout) Headers() []string {
	out := make([]string, len(l.Columns))
	for i, c := range l.Columns {
		out[i] = c.Header
	}
	return out
}

// Key names a record of this roster by its key columns, e.g. s1/政策咨询组.
func (l Layout) Key(row []string) string {
	var parts []string
	for i, c := range l.Columns {
		if c.Key && i < len(row) {
			parts = append(parts, row[i])
		}
	}
	return strings.Join(parts, "/")
}

func (l Layout) column(header string) Column {
	for _, c := range l.Columns {
		if c.Header == header {
			return c
		}
	}
	panic("roster: no column " + header + " in " + l.Kind)
}

// notAllowed says which values a column takes, e.g. 「村」应为 是 或 否.
func (l Layout) notAllowed(header, v string) string {
	allowed := l.column(header).Allowed
	return fmt.Sprintf("「%s」应为 %s 或 %s", v, strings.Join(allowed[:len(allowed)-1], "、"), allowed[len(allowed)-1])
}

func labels[T interface{ Label() string }](values ...T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = v.Label()
	}
	return out
}

// refused is the error that refuses a roster with problems.
func refused(errs []mashang.RowError) error {
	return &mashang.FileError{File: "名册", Refusal: "未导入任何数据", Errors: errs}
}

// sheet reads rows by header name.
type sheet struct {
	layout  Layout
	index   map[string]int // canonical header → column
	rows    [][]string
	errs    []mashang.RowError
	badRows map[int]bool // data rows with a problem, by spreadsheet row
}

func readSheet(rows [][]string, l Layout) *sheet {
	s := &sheet{layout: l, index: map[string]int{}, badRows: map[int]bool{}}
	if len(rows) == 0 {
		s.errs = append(s.errs, mashang.RowError{Row: 1, Reason: "文件是空的，第一行应为表头：" + strings.Join(l.Headers(), "、")})
		return s
	}
	known := map[string]string{}
	for _, c := range l.Columns {
		known[c.Header] = c.Header
		for _, a := range c.Aliases {
			known[a] = c.Header
		}
	}
	for i, h := range rows[0] {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) // Excel's CSV starts with a BOM
		if h == "" {
			continue
		}
		canonical, ok := known[h]
		if !ok {
			s.errs = append(s.errs, mashang.RowError{Row: 1, Column: h, Reason: "不认识这一列，可用的列为：" + strings.Join(l.Headers(), "、")})
			continue
		}
		if _, dup := s.index[canonical]; dup {
			s.errs = append(s.errs, mashang.RowError{Row: 1, Column: h, Reason: "这一列重复了"})
			continue
		}
		s.index[canonical] = i
	}
	for _, c := range l.Columns {
		if _, ok := s.index[c.Header]; c.Required && !ok {
			s.errs = append(s.errs, mashang.RowError{Row: 1, Column: c.Header, Reason: "缺少这一必填列"})
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
		if blank(row) || s.isExample(row) {
			continue
		}
		n := i + 2 // row 1 is the header
		fn(n, row, func(col, reason string) {
			s.errs = append(s.errs, mashang.RowError{Row: n, Column: col, Reason: reason})
			s.badRows[n] = true
		})
	}
}

// isExample tells the template's example row, left as it was, from a
// record: it is skipped rather than imported as a station nobody has. Each
// example names itself （示例）, so no real record is ever taken for it.
func (s *sheet) isExample(row []string) bool {
	for _, c := range s.layout.Columns {
		if s.cell(row, c.Header) != c.Example {
			return false
		}
	}
	return true
}

// record is a parsed row, known by the spreadsheet row it came from.
type record interface{ row() int }

func (r StationRecord) row() int    { return r.Row }
func (r DeputyRecord) row() int     { return r.Row }
func (r GroupRecord) row() int      { return r.Row }
func (r DepartmentRecord) row() int { return r.Row }
func (r KeywordRecord) row() int    { return r.Row }

// result returns the records, or every problem found together with the
// records of the rows that had none: the import checks those rows'
// references too, so one upload lists every problem in the file.
func result[T record](s *sheet, records []T) ([]T, error) {
	if len(s.errs) == 0 {
		return records, nil
	}
	var good []T
	for _, r := range records {
		if !s.badRows[r.row()] {
			good = append(good, r)
		}
	}
	return good, refused(s.errs)
}

// headerBroken says whether a refusal is about the header row: then the
// data rows cannot be read as meant, and checking their references would
// only add noise.
func headerBroken(errs []mashang.RowError) bool {
	for _, e := range errs {
		if e.Row == 1 {
			return true
		}
	}
	return false
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// rows writes records in the layout, header first: each record gives its
// cells by header, so no column is known by its position.
func rows[R any](l Layout, records []R, cells func(R) map[string]string) [][]string {
	out := [][]string{l.Headers()}
	for _, r := range records {
		c := cells(r)
		row := make([]string, len(l.Columns))
		for i, col := range l.Columns {
			row[i] = c[col.Header]
		}
		out = append(out, row)
	}
	return out
}

// StationRows, DeputyRows, GroupRows and DepartmentRows write records back
// in the layout they are imported in, header first, so that the console can
// show each record and edit it as a one-row roster. The deputies' rows hold
// their phones: for the server's use, never to be shown unmasked.
func StationRows(records []StationRecord) [][]string {
	return rows(Stations, records, func(r StationRecord) map[string]string {
		path := append(slices.Clone(r.Jurisdiction), "", "", "")[:3]
		return map[string]string{"编码": r.Code, "名称": r.Name, "类型": r.Kind.Label(),
			"市": path[0], "区（市、县）": path[1], "镇（街道）": path[2], "地址": r.Address,
			"纬度": coordinate(r.Latitude), "经度": coordinate(r.Longitude),
			"接待日": r.ReceptionDays, "接待计划": r.ReceptionPlan, "状态": yes(r.Open, "开放", "关闭")}
	})
}

func DeputyRows(records []DeputyRecord) [][]string {
	return rows(Deputies, records, func(r DeputyRecord) map[string]string {
		return map[string]string{"编码": r.Code, "姓名": r.Name, "层级": r.Level.Label(), "手机": r.Phone,
			"编组站点": strings.Join(r.Stations, "、"), "所在小组": strings.Join(r.Groups, "、"),
			"履职简介": r.Profile, "在任": yes(r.InOffice, "是", "否")}
	})
}

func GroupRows(records []GroupRecord) [][]string {
	return rows(Groups, records, func(r GroupRecord) map[string]string {
		return map[string]string{"站点编码": r.StationCode, "小组名称": r.Name, "受理类别": strings.Join(r.Categories, "、"),
			"组长编码": r.LeaderCode, "值班组": yes(r.Duty, "是", "否")}
	})
}

func DepartmentRows(records []DepartmentRecord) [][]string {
	return rows(Departments, records, func(r DepartmentRecord) map[string]string {
		return map[string]string{"名称": r.Name, "所属辖区": strings.Join(r.Jurisdiction, "/")}
	})
}

func coordinate(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func yes[T any](b bool, ifTrue, ifFalse T) T {
	if b {
		return ifTrue
	}
	return ifFalse
}
