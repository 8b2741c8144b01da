package workday

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/configs"
)

// calTime reads "2006-01-02" or "2006-01-02 15:04:05" as China time.
func calTime(t *testing.T, s string) time.Time {
	t.Helper()
	layout := "2006-01-02"
	if len(s) > len(layout) {
		layout = "2006-01-02 15:04:05"
	}
	v, err := time.ParseInLocation(layout, s, mashang.China)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// isWorkingDay and dayOf read the calendar on t's date in China.
func isWorkingDay(c *Calendar, t time.Time) bool { return c.working(civilDay(t)) }

func dayOf(c *Calendar, t time.Time) (dayKind, string) {
	d := c.lookup(civilDay(t))
	return d.kind, d.name
}

// nationalCalendar is the table shipped in configs/holidays/cn.csv.
func nationalCalendar(t *testing.T) *Calendar {
	t.Helper()
	cal, err := Parse(configs.Holidays())
	if err != nil {
		t.Fatalf("the national table does not load: %v", err)
	}
	return cal
}

// The shipped table says what the State Council's notices say, day by day
// where it matters.
func TestNationalTableFollowsTheNotices(t *testing.T) {
	cal := nationalCalendar(t)
	if !cal.covered(2025) || !cal.covered(2026) || cal.covered(2024) || cal.covered(2027) {
		t.Errorf("covers %v, want 2025 and 2026", cal.covers)
	}
	days := []struct {
		date    string
		working bool
		kind    dayKind
		name    string
	}{
		// 2025 (published 2024-11-12): 除夕 and 5月2日 are holidays from this year.
		{"2025-01-01", false, holiday, "元旦"},
		{"2025-01-02", true, "", ""},
		{"2025-01-26", true, makeUp, "春节调休"}, // Sunday
		{"2025-01-27", true, "", ""},
		{"2025-01-28", false, holiday, "春节"}, // 除夕, Tuesday
		{"2025-02-04", false, holiday, "春节"},
		{"2025-02-05", true, "", ""},
		{"2025-02-08", true, makeUp, "春节调休"}, // Saturday
		{"2025-02-09", false, "", ""},
		{"2025-04-04", false, holiday, "清明节"},
		{"2025-04-27", true, makeUp, "劳动节调休"},
		{"2025-05-02", false, holiday, "劳动节"},
		{"2025-05-05", false, holiday, "劳动节"},
		{"2025-05-06", true, "", ""},
		{"2025-05-31", false, holiday, "端午节"},
		{"2025-06-02", false, holiday, "端午节"},
		{"2025-09-28", true, makeUp, "国庆节、中秋节调休"}, // Sunday
		{"2025-10-06", false, holiday, "国庆节、中秋节"},
		{"2025-10-08", false, holiday, "国庆节、中秋节"},
		{"2025-10-09", true, "", ""},
		{"2025-10-11", true, makeUp, "国庆节、中秋节调休"}, // Saturday
		{"2025-10-12", false, "", ""},
		// 2026 (published 2025-11-04).
		{"2026-01-03", false, holiday, "元旦"}, // Saturday
		{"2026-01-04", true, makeUp, "元旦调休"}, // Sunday
		{"2026-02-14", true, makeUp, "春节调休"}, // Saturday
		{"2026-02-15", false, holiday, "春节"},
		{"2026-02-23", false, holiday, "春节"}, // Monday
		{"2026-02-24", true, "", ""},
		{"2026-02-28", true, makeUp, "春节调休"},
		{"2026-04-06", false, holiday, "清明节"},
		{"2026-05-05", false, holiday, "劳动节"},
		{"2026-05-09", true, makeUp, "劳动节调休"},
		{"2026-06-19", false, holiday, "端午节"},
		{"2026-09-20", true, makeUp, "国庆节调休"},
		{"2026-09-25", false, holiday, "中秋节"},
		{"2026-10-07", false, holiday, "国庆节"},
		{"2026-10-08", true, "", ""},
		{"2026-10-10", true, makeUp, "国庆节调休"},
	}
	for _, d := range days {
		day := calTime(t, d.date)
		if got := isWorkingDay(cal, day); got != d.working {
			t.Errorf("%s (%s): working %v, want %v", d.date, day.Weekday(), got, d.working)
		}
		if kind, name := dayOf(cal, day); kind != d.kind || name != d.name {
			t.Errorf("%s: %q %q, want %q %q", d.date, kind, name, d.kind, d.name)
		}
	}
	// Both years have 261 weekdays; 13 statutory holidays (11 before 2025 +
	// 除夕 + 5月2日) net of make-up days leave 248 working days.
	for _, year := range []int{2025, 2026} {
		from := time.Date(year-1, 12, 31, 12, 0, 0, 0, mashang.China)
		to := time.Date(year, 12, 31, 12, 0, 0, 0, mashang.China)
		if n := cal.WorkingDaysBetween(from, to); n != 248 {
			t.Errorf("%d has %d working days, want 248", year, n)
		}
	}
}

func TestDeadlinesCountWorkingDays(t *testing.T) {
	cal := nationalCalendar(t)
	cases := []struct {
		name    string
		handed  time.Time
		days    int
		want    string
		missing []int // years the computation ran through uncovered
	}{
		{"just before 国庆/中秋 2025: after the holiday, counting make-up Saturday 11 October",
			calTime(t, "2025-09-30 10:00:00"), 5, "2025-10-14", nil},
		{"handed over on the last evening before it: the same",
			calTime(t, "2025-09-30 23:59:00"), 5, "2025-10-14", nil},
		{"Saturday before 国庆: make-up Sunday 28 September is the first day",
			calTime(t, "2025-09-27 09:00:00"), 1, "2025-09-28", nil},
		{"春节 2026: make-up Saturday 14 February counts",
			calTime(t, "2026-02-13 09:00:00"), 1, "2026-02-14", nil},
		{"春节 2026: then nine days off",
			calTime(t, "2026-02-13 09:00:00"), 2, "2026-02-24", nil},
		{"春节 2026: ten days, make-up Saturday 28 February among them",
			calTime(t, "2026-02-13 09:00:00"), 10, "2026-03-05", nil},
		{"across the new year into 元旦 2026 and its make-up Sunday",
			calTime(t, "2025-12-31 16:00:00"), 3, "2026-01-06", nil},
		{"the hour of handing over does not matter",
			calTime(t, "2026-03-02 00:00:00"), 1, "2026-03-03", nil},
		{"zero days: the end of the same day",
			calTime(t, "2026-03-07 11:00:00"), 0, "2026-03-07", nil},
		{"the date is China's: Thursday 16:30 UTC is Friday in China",
			time.Date(2026, 1, 8, 16, 30, 0, 0, time.UTC), 1, "2026-01-12", nil},
		{"the same instant read in UTC would be Thursday: still Friday",
			time.Date(2026, 1, 8, 15, 59, 0, 0, time.UTC), 1, "2026-01-09", nil},
		{"into 2027, not loaded: plain weeks, and said so",
			calTime(t, "2026-12-30 10:00:00"), 5, "2027-01-06", []int{2027}},
		{"from 2024, not loaded",
			calTime(t, "2024-12-30 10:00:00"), 2, "2025-01-02", []int{2024}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := cal.AddWorkingDays(c.handed, c.days)
			want := calTime(t, c.want+" 23:59:59")
			if !got.Equal(want) {
				t.Errorf("deadline %s, want %s", got.In(mashang.China), want)
			}
			if n := cal.WorkingDaysBetween(c.handed, got); n != c.days {
				t.Errorf("%d working days between, want %d", n, c.days)
			}
			err := cal.Uncovered(c.handed, got)
			var ue *uncoveredError
			switch {
			case c.missing == nil && err != nil:
				t.Errorf("uncovered: %v", err)
			case c.missing != nil && !errors.As(err, &ue):
				t.Errorf("got %v, want an uncoveredError for %v", err, c.missing)
			case c.missing != nil && !slices.Equal(ue.Years, c.missing):
				t.Errorf("uncovered %v, want %v", ue.Years, c.missing)
			}
		})
	}
}

func TestUncoveredReadsForStaff(t *testing.T) {
	cal := nationalCalendar(t)
	err := cal.Uncovered(calTime(t, "2026-12-30"), calTime(t, "2028-01-05"))
	if err == nil || err.Error() != "2027、2028年的节假日安排尚未载入，期限暂按普通周末推算；请按国务院办公厅的放假通知补充节假日表。" {
		t.Errorf("got %v", err)
	}
}

// Every deadline over the two loaded years lands on a working day, at
// 23:59:59 China time, exactly n working days on.
func TestDeadlinesAgreeWithCounting(t *testing.T) {
	cal := nationalCalendar(t)
	start := calTime(t, "2025-01-01 08:30:00")
	for d := 0; d < 730; d++ {
		from := start.AddDate(0, 0, d)
		for n := 0; n <= 20; n++ {
			due := cal.AddWorkingDays(from, n)
			if h, m, s := due.In(mashang.China).Clock(); h != 23 || m != 59 || s != 59 || due.Nanosecond() != 0 {
				t.Fatalf("%s + %d: %s is not the end of a day", from, n, due)
			}
			if n > 0 && !isWorkingDay(cal, due) {
				t.Fatalf("%s + %d: due on %s, not a working day", from, n, due)
			}
			if got := cal.WorkingDaysBetween(from, due); got != n {
				t.Fatalf("%s + %d: %d working days between", from, n, got)
			}
			if got := cal.WorkingDaysBetween(due, from); got != -n {
				t.Fatalf("%s + %d: %d working days back", from, n, got)
			}
		}
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	cases := []struct {
		name, table string
		want        []string
	}{
		{"bad date", "2026-02-30,,休,春节", []string{"第1行「开始日期」：「2026-02-30」不是有效的日期"}},
		{"bad end date", "2026-02-15,2026-02-3x,休,春节", []string{"第1行「结束日期」：「2026-02-3x」不是有效的日期"}},
		{"unknown kind", "2026-02-15,2026-02-23,放羊,春节", []string{"第1行「类别」：「放羊」应为 休（放假）或 班（调休上班）"}},
		{"make-up day on a weekday", "2026-02-16,,班,春节调休", []string{"第1行：2026-02-16 是星期一：调休上班日只能是周六或周日"}},
		{"make-up range reaching a weekday", "2026-02-14,2026-02-16,班,春节调休", []string{"第1行：2026-02-16 是星期一"}},
		{"contradiction", "2026-02-15,2026-02-23,休,春节\n2026-02-21,,班,春节调休",
			[]string{"第2行「类别」：2026-02-21 与第1行矛盾：那里是「休」，这里是「班」"}},
		{"end before start", "2026-02-23,2026-02-15,休,春节", []string{"第1行「结束日期」：2026-02-15 早于开始日期 2026-02-23"}},
		{"a range too long to be meant", "2026-02-15,2026-03-23,休,春节", []string{"第1行「结束日期」：从 2026-02-15 到 2026-03-23 共37天，超过15天"}},
		{"holiday without a name", "2026-02-15,2026-02-23,休,", []string{"第1行「名称」：放假的日子要写节日名称"}},
		{"wrong separator", "2026-02-15;2026-02-23;休;春节", []string{"第1行：应为 开始日期,结束日期,类别,名称 四列"}},
		{"comma in the name", "2026-10-01,2026-10-07,休,国庆节,中秋节", []string{"第1行：多于四列"}},
		{"a mistyped year", "2206-02-15,,休,春节", []string{"第1行「开始日期」：2206年不在2000至2099年之间"}},
		{"every problem, by line, comments counted", "# 2026\n\n2026-02-30,,休,春节\n2026-02-16,,班,春节调休\n2026-02-15,2026-02-23,休,春节",
			[]string{"节假日表有2处错误，未载入", "第3行「开始日期」", "第4行：2026-02-16 是星期一"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.table))
			var fe *mashang.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a FileError", err)
			}
			if mashang.ErrorCode(err) != mashang.EINVALID || mashang.ErrorMessage(err) != err.Error() {
				t.Errorf("not readable at the edge: %s %q", mashang.ErrorCode(err), mashang.ErrorMessage(err))
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("does not say %q:\n%s", w, err)
				}
			}
		})
	}
}

// What a spreadsheet or a Chinese keyboard makes of the table still reads.
func TestParseIsForgiving(t *testing.T) {
	table := "\ufeff开始日期,结束日期,类别,名称,,\r\n" +
		"2025/10/1，2025/10/8，放假，国庆节\r\n" +
		"2025-10-06,,休,中秋节,,\r\n" + // 国庆节 and 中秋节 may share a day
		"\"2025-10-11\",,上班,国庆节、中秋节调休\r\n" +
		"2025-09-28,,班,\r\n" // a make-up day needs no name
	cal, err := Parse([]byte(table))
	if err != nil {
		t.Fatal(err)
	}
	if kind, name := dayOf(cal, calTime(t, "2025-10-06")); kind != holiday || name != "国庆节、中秋节" {
		t.Errorf("6 October: %q %q", kind, name)
	}
	if kind, _ := dayOf(cal, calTime(t, "2025-10-11")); kind != makeUp {
		t.Errorf("11 October: %q", kind)
	}
	if !isWorkingDay(cal, calTime(t, "2025-09-28")) || isWorkingDay(cal, calTime(t, "2025-10-08")) {
		t.Error("make-up Sunday or the last day off misread")
	}
}

// Without a table (or without a calendar at all) weeks are plain, and no
// year is covered.
func TestEmptyCalendarIsPlainWeeks(t *testing.T) {
	empty, err := newCalendar(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, cal := range []*Calendar{empty, nil} {
		friday := calTime(t, "2025-09-26 17:00:00")
		if got := cal.AddWorkingDays(friday, 1); !got.Equal(calTime(t, "2025-09-29 23:59:59")) {
			t.Errorf("Friday + 1 = %s", got)
		}
		if isWorkingDay(cal, calTime(t, "2025-09-28")) || !isWorkingDay(cal, calTime(t, "2025-10-01")) {
			t.Error("not plain weeks")
		}
		if cal.covered(2025) || cal.Uncovered(friday, friday) == nil {
			t.Error("an empty calendar claims a year")
		}
	}
}

func TestHolidayTableIsACopy(t *testing.T) {
	b := configs.Holidays()
	clear(b)
	nationalCalendar(t)
}
