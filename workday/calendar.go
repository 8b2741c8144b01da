// Package workday counts China's working days, which the deadlines of
// handed-over cases (交办期限) are set in.
//
// China's working days are not plain weeks. Each year the State Council
// announces the public holidays and the weekend days worked to make up for
// them (调休上班, e.g. 2025: 国庆节、中秋节 off from 1 to 8 October, Sunday 28
// September and Saturday 11 October worked). A Calendar is built from a
// table of those dated entries (configs/holidays/cn.csv), which staff extend
// each year from the notice.
package workday

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mashang"
)

// dayKind is what an entry of a holiday table makes of its days.
type dayKind string

const (
	holiday dayKind = "休" // a day off: a public holiday, or a day given off around one
	makeUp  dayKind = "班" // a Saturday or Sunday worked to make up for one (调休上班)
)

// dayKindLabels lists what staff may write for each kind, the first being how
// the service writes it back.
var dayKindLabels = map[dayKind][]string{
	holiday: {"休", "放假", "假", "休息"},
	makeUp:  {"班", "上班", "补班", "调休上班"},
}

// entry is one line of a holiday table: a date or a range of dates
// and what they are.
type entry struct {
	From time.Time // the first day (its date in China counts, not its time)
	To   time.Time // the last day, included; zero for a single day
	Kind dayKind
	Name string // the holiday, e.g. 春节; for a make-up day e.g. 春节调休
	Line int    // the line it was read from, for errors; 0 when built in code
}

// Calendar says which days are working days. Monday to Friday are, and
// Saturday and Sunday are not, except where the table says otherwise. It
// covers the years its national table has entries for; other years are
// counted as plain weeks, and Uncovered says when a computation ran through
// one. A Calendar does not change once built and is safe for concurrent
// use; a nil *Calendar is one with an empty table.
type Calendar struct {
	days   map[int64]calendarDay // by civil day number (days since 1970-01-01)
	covers map[int]bool
}

type calendarDay struct {
	kind dayKind
	name string
}

// Bounds that catch typing mistakes in a table: no break lasts longer (the
// longest national one is 9 days, 春节 2026), and no entry is dated outside
// these years.
const (
	maxCalendarSpan    = 15
	minCalendarYear    = 2000
	maxCalendarYear    = 2099
	maxCalendarNameLen = 30
)

// Parse reads a national holiday table into a calendar covering the years
// it has entries for. The table is UTF-8 text, one entry a line,
//
//	开始日期,结束日期,类别,名称
//	2026-02-15,2026-02-23,休,春节
//	2026-02-14,,班,春节调休
//
// The end date is left empty for a single day; the kind is 休 (a day off) or
// 班 (a Saturday or Sunday worked); the name is required for 休. Blank lines
// and lines starting with # are skipped, as are a header line and a UTF-8
// byte-order mark; dates may also be written 2026/2/15, and a full-width
// comma separates like a comma. A table with mistakes is refused whole, with
// every problem by line, in one *mashang.FileError.
func Parse(data []byte) (*Calendar, error) {
	entries, err := parseEntries(data)
	if err != nil {
		return nil, err
	}
	return newCalendar(entries)
}

func parseEntries(data []byte) ([]entry, error) {
	var (
		entries []entry
		errs    []mashang.RowError
	)
	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		s := strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff"))
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		fields := strings.Split(strings.ReplaceAll(s, "，", ","), ",")
		for j := range fields {
			fields[j] = strings.Trim(strings.TrimSpace(fields[j]), `"`)
		}
		for len(fields) > 4 && fields[len(fields)-1] == "" { // a spreadsheet's empty columns
			fields = fields[:len(fields)-1]
		}
		switch fields[0] {
		case "开始日期", "日期", "from", "date":
			continue // a header
		}
		if len(fields) < 3 || len(fields) > 4 {
			reason := "应为 开始日期,结束日期,类别,名称 四列，如 2026-02-15,2026-02-23,休,春节"
			if len(fields) > 4 {
				reason = "多于四列：名称里请用顿号“、”，不要用逗号"
			}
			errs = append(errs, mashang.RowError{Row: n, Reason: reason})
			continue
		}
		bad := false
		fail := func(col, reason string) {
			errs = append(errs, mashang.RowError{Row: n, Column: col, Reason: reason})
			bad = true
		}
		e := entry{Line: n}
		var ok bool
		if e.From, ok = parseCalendarDate(fields[0]); !ok {
			fail("开始日期", fmt.Sprintf("「%s」不是有效的日期，应写作 2026-02-15", fields[0]))
		}
		if fields[1] != "" {
			if e.To, ok = parseCalendarDate(fields[1]); !ok {
				fail("结束日期", fmt.Sprintf("「%s」不是有效的日期，应写作 2026-02-23，只有一天时留空", fields[1]))
			}
		}
		if e.Kind, ok = parseDayKind(fields[2]); !ok {
			fail("类别", fmt.Sprintf("「%s」应为 休（放假）或 班（调休上班）", fields[2]))
		}
		if len(fields) == 4 {
			e.Name = fields[3]
		}
		if !bad {
			entries = append(entries, e)
		}
	}
	_, more := collectCalendar(entries)
	errs = append(errs, more...)
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b mashang.RowError) int { return a.Row - b.Row })
		return nil, refused(errs)
	}
	return entries, nil
}

func parseCalendarDate(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-1-2", "2006/1/2", "2006.1.2"} {
		if t, err := time.ParseInLocation(layout, s, mashang.China); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// refused is the error that refuses a table with problems.
func refused(errs []mashang.RowError) error {
	return &mashang.FileError{File: "节假日表", Refusal: "未载入", Errors: errs}
}

// parseDayKind reads what staff write for a kind of day.
func parseDayKind(s string) (dayKind, bool) {
	s = strings.TrimSpace(s)
	for kind, names := range dayKindLabels {
		if string(kind) == s || slices.Contains(names, s) {
			return kind, true
		}
	}
	return "", false
}

// newCalendar builds the national calendar from its entries. It covers
// every year an entry falls in: each State Council notice has at least 元旦,
// so a year whose notice is entered is covered.
func newCalendar(entries []entry) (*Calendar, error) {
	days, errs := collectCalendar(entries)
	if len(errs) > 0 {
		return nil, refused(errs)
	}
	c := &Calendar{days: days, covers: map[int]bool{}}
	for d := range days {
		c.covers[civilDate(d).Year()] = true
	}
	return c, nil
}

// collectCalendar checks entries and spreads them into days. Two entries may
// share a date only if they agree on its kind (国庆节 and 中秋节 may both give
// off 6 October; the names are joined).
func collectCalendar(entries []entry) (map[int64]calendarDay, []mashang.RowError) {
	days := map[int64]calendarDay{}
	lineOf := map[int64]int{}
	var errs []mashang.RowError
	for i, e := range entries {
		line := e.Line
		if line == 0 {
			line = i + 1
		}
		bad := false
		fail := func(col, reason string) {
			errs = append(errs, mashang.RowError{Row: line, Column: col, Reason: reason})
			bad = true
		}
		if _, ok := dayKindLabels[e.Kind]; !ok {
			fail("类别", fmt.Sprintf("「%s」应为 休（放假）或 班（调休上班）", e.Kind))
		}
		name := strings.TrimSpace(e.Name)
		switch {
		case name == "" && e.Kind == holiday:
			fail("名称", "放假的日子要写节日名称，如 春节")
		case utf8.RuneCountInString(name) > maxCalendarNameLen:
			fail("名称", fmt.Sprintf("超过%d个字", maxCalendarNameLen))
		}
		if e.From.IsZero() {
			fail("开始日期", "必填")
			continue
		}
		first, last := civilDay(e.From), civilDay(e.From)
		if !e.To.IsZero() {
			last = civilDay(e.To)
		}
		for _, d := range []struct {
			col string
			day int64
		}{{"开始日期", first}, {"结束日期", last}} {
			if y := civilDate(d.day).Year(); y < minCalendarYear || y > maxCalendarYear {
				fail(d.col, fmt.Sprintf("%d年不在%d至%d年之间，请核对", y, minCalendarYear, maxCalendarYear))
			}
		}
		switch {
		case last < first:
			fail("结束日期", fmt.Sprintf("%s 早于开始日期 %s", formatCivil(last), formatCivil(first)))
		case last-first+1 > maxCalendarSpan:
			fail("结束日期", fmt.Sprintf("从 %s 到 %s 共%d天，超过%d天，请核对日期", formatCivil(first), formatCivil(last), last-first+1, maxCalendarSpan))
		}
		if bad {
			continue
		}
		if e.Kind == makeUp {
			for d := first; d <= last; d++ {
				if !isWeekend(d) {
					fail("", fmt.Sprintf("%s 是%s：调休上班日只能是周六或周日，平常的周一至周五本来就上班", formatCivil(d), weekdayNames[civilDate(d).Weekday()]))
					break
				}
			}
		}
		for d := first; d <= last && !bad; d++ {
			prev, seen := days[d]
			switch {
			case !seen:
				days[d] = calendarDay{kind: e.Kind, name: name}
				lineOf[d] = line
			case prev.kind != e.Kind:
				fail("类别", fmt.Sprintf("%s 与第%d行矛盾：那里是「%s」，这里是「%s」", formatCivil(d), lineOf[d], prev.kind, e.Kind))
			default:
				days[d] = calendarDay{kind: e.Kind, name: joinNames(prev.name, name)}
			}
		}
	}
	return days, errs
}

// joinNames names a day two entries share, e.g. 国庆节、中秋节.
func joinNames(a, b string) string {
	if b == "" || slices.Contains(strings.Split(a, "、"), b) {
		return a
	}
	if a == "" {
		return b
	}
	return a + "、" + b
}

// covered reports whether the calendar holds that year's entries.
func (c *Calendar) covered(year int) bool { return c != nil && c.covers[year] }

// AddWorkingDays returns the deadline of a case handed over at from with n
// working days to answer: the end (23:59:59 China time) of the n-th working
// day after from's date in China. The day of handing over never counts,
// whatever the hour, so a case handed over on Friday evening or on Saturday
// with 1 day is due at the end of Monday (if Monday is worked). For n <= 0
// it is the end of from's own date. The deadline is stored to the second, as
// a DATETIME keeps it; a case is overdue once now is after it.
func (c *Calendar) AddWorkingDays(from time.Time, n int) time.Time {
	d := civilDay(from)
	for n > 0 {
		d++
		if c.working(d) {
			n--
		}
	}
	return endOfCivilDay(d)
}

// WorkingDaysBetween counts the working days after a's date up to and
// including b's date (dates in China), negative when b's date is before
// a's. So WorkingDaysBetween(from, AddWorkingDays(from, n)) == n, and
// WorkingDaysBetween(now, deadline) is how many working days are left after
// today: 0 on the deadline's own day, negative once it has passed.
func (c *Calendar) WorkingDaysBetween(a, b time.Time) int {
	first, last := civilDay(a), civilDay(b)
	sign := 1
	if last < first {
		first, last, sign = last, first, -1
	}
	n := 0
	for d := first + 1; d <= last; d++ {
		if c.working(d) {
			n++
		}
	}
	return sign * n
}

// uncoveredError says that a computation ran through years the calendar has
// no entries for, which were counted as plain weeks. Its text is meant for
// staff (the console shows it next to the deadline).
type uncoveredError struct {
	Years []int
}

func (e *uncoveredError) Error() string {
	ys := make([]string, len(e.Years))
	for i, y := range e.Years {
		ys[i] = strconv.Itoa(y)
	}
	return fmt.Sprintf("%s年的节假日安排尚未载入，期限暂按普通周末推算；请按国务院办公厅的放假通知补充节假日表。", strings.Join(ys, "、"))
}

// Uncovered returns an error naming the years from a's date to
// b's date (China, either order, both included) that the calendar does not
// cover, or nil. Ask it of (handed over, deadline) and of (now, deadline).
func (c *Calendar) Uncovered(a, b time.Time) error {
	y1, y2 := civilDate(civilDay(a)).Year(), civilDate(civilDay(b)).Year()
	if y2 < y1 {
		y1, y2 = y2, y1
	}
	var missing []int
	for y := y1; y <= y2; y++ {
		if !c.covered(y) {
			missing = append(missing, y)
		}
	}
	if missing == nil {
		return nil
	}
	return &uncoveredError{Years: missing}
}

func (c *Calendar) lookup(d int64) calendarDay {
	if c == nil {
		return calendarDay{}
	}
	return c.days[d]
}

func (c *Calendar) working(d int64) bool {
	switch c.lookup(d).kind {
	case holiday:
		return false
	case makeUp:
		return true
	}
	return !isWeekend(d)
}

// Civil days: a date in China as a count of days since 1970-01-01, so that
// walking the calendar is integer arithmetic and never meets a clock.

func civilDay(t time.Time) int64 {
	y, m, d := t.In(mashang.China).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func civilDate(d int64) time.Time { return time.Unix(d*86400, 0).UTC() }

func endOfCivilDay(d int64) time.Time {
	y, m, day := civilDate(d).Date()
	return time.Date(y, m, day, 23, 59, 59, 0, mashang.China)
}

func formatCivil(d int64) string { return civilDate(d).Format("2006-01-02") }

func isWeekend(d int64) bool {
	wd := civilDate(d).Weekday()
	return wd == time.Saturday || wd == time.Sunday
}

var weekdayNames = [...]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}
