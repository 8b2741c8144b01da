package mashang

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// FigureGroup is the tally of the cases of one station, group, category
// and month, as the store counts them.
type FigureGroup struct {
	Station, Group, Category, Month string
	Tally
}

// Problem is one line of a department's problem list (问题建议清单).
type Problem struct {
	Case
	Department string
	Deadline   time.Time // zero: none
	ClosedAt   *time.Time
}

// Tally is one line of the figures the articles report: collected,
// answered, closed, on time, satisfied.
type Tally struct {
	Key       string
	Collected int
	Answered  int // at least one answer sent to the citizen
	Closed    int
	// OnTime counts cases closed by their deadline (or without one);
	// Late counts those closed late and those still open past it, so
	// on-time is never flattered by what is still open and late.
	OnTime, Late int
	Rated        int
	Satisfied    int // 满意 or 基本满意
}

// OnTimeRate is closed on time ÷ (closed + open and overdue).
func (t Tally) OnTimeRate() Rate { return Rate{t.OnTime, t.OnTime + t.Late} }

// SatisfiedRate is satisfied ÷ rated.
func (t Tally) SatisfiedRate() Rate { return Rate{t.Satisfied, t.Rated} }

// ClosedRate is closed ÷ collected.
func (t Tally) ClosedRate() Rate { return Rate{t.Closed, t.Collected} }

// ReplyRate (答复率) is cases with at least one answer sent ÷ cases collected.
func (t Tally) ReplyRate() Rate { return Rate{t.Answered, t.Collected} }

// Rate is Part out of Whole. A rate with nothing to measure (Whole 0) is
// no rate at all: it shows "—", never "0.0%", which would read as failure.
type Rate struct{ Part, Whole int }

// Measured says whether there was anything to measure.
func (r Rate) Measured() bool { return r.Whole > 0 }

// Percent is the rate in percent, 0 when nothing was measured (for bars
// and ordering; what people read goes through String).
func (r Rate) Percent() float64 {
	if r.Whole == 0 {
		return 0
	}
	return float64(r.Part) * 100 / float64(r.Whole)
}

func (r Rate) String() string {
	if r.Whole == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", r.Percent())
}

// Public is the rate as a public page shows it: only when it measures at
// least min cases, since a rate of three cases says more about chance than
// about the work ("样本不足" otherwise).
func (r Rate) Public(min int) string {
	if r.Whole == 0 {
		return "—"
	}
	if r.Whole < min {
		return "样本不足"
	}
	return r.String()
}

// DepartmentTally is one department's line of figures over the cases handed
// to it in a period: handed over, answered on time (closed by the deadline
// ÷ closed and open past it, as Tally counts on time), satisfied, and
// re-handled (reopened after the hand-over: the answer did not settle it)
// as the lead department (主办); acknowledged on time (签收及时) as lead
// and, with the hand-overs themselves, as a co-handling one (协办).
type DepartmentTally struct {
	DepartmentID int64
	Department   string
	Handed       int
	OnTime, Late int
	Rated        int
	Satisfied    int
	Reopened     int
	// AckOnTime counts the hand-overs acknowledged by their acknowledgement
	// deadline (one working day on the holiday calendar, as the case turns
	// yellow after); AckDue counts those acknowledged or past that deadline
	// unacknowledged, so one still within its day is not yet measured.
	// Hand-overs made before acknowledging existed have no deadline and are
	// not counted.
	AckOnTime, AckDue int
	// The same as a co-handling department: handed over, acknowledged on
	// time out of acknowledged or past the deadline.
	CoHanded, CoAckOnTime, CoAckDue int
}

// AckRate (签收及时率) is acknowledged on time ÷ (acknowledged + past the
// acknowledgement deadline unacknowledged), as the lead department.
func (d DepartmentTally) AckRate() Rate { return Rate{d.AckOnTime, d.AckDue} }

// CoAckRate is AckRate as a co-handling department.
func (d DepartmentTally) CoAckRate() Rate { return Rate{d.CoAckOnTime, d.CoAckDue} }

// OnTimeRate is answered on time ÷ (closed + open and overdue).
func (d DepartmentTally) OnTimeRate() Rate { return Rate{d.OnTime, d.OnTime + d.Late} }

// SatisfiedRate is satisfied ÷ rated.
func (d DepartmentTally) SatisfiedRate() Rate { return Rate{d.Satisfied, d.Rated} }

// ReopenedRate is re-handled ÷ handed over.
func (d DepartmentTally) ReopenedRate() Rate { return Rate{d.Reopened, d.Handed} }

// RankStations orders a month's stations (ByStation of that month) for the
// monthly ranking: by reply rate, then on-time rate, then satisfied rate,
// then most collected; a rate with nothing to measure ranks below any
// measured one, so a station is never ranked up for having done nothing.
func RankStations(stations []Tally) []Tally {
	out := slices.Clone(stations)
	key := func(r Rate) float64 {
		if !r.Measured() {
			return -1
		}
		return r.Percent()
	}
	slices.SortStableFunc(out, func(a, b Tally) int {
		for _, rates := range [][2]Rate{{a.ReplyRate(), b.ReplyRate()}, {a.OnTimeRate(), b.OnTimeRate()}, {a.SatisfiedRate(), b.SatisfiedRate()}} {
			if x, y := key(rates[0]), key(rates[1]); x != y {
				if x > y {
					return -1
				}
				return 1
			}
		}
		if a.Collected != b.Collected {
			return b.Collected - a.Collected
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// Figures are a jurisdiction's figures for a period, whole and broken down.
type Figures struct {
	Total                                   Tally
	ByStation, ByGroup, ByCategory, ByMonth []Tally
}

// RollUp adds groups up into the whole and its four breakdowns.
func RollUp(groups []FigureGroup) Figures {
	by := map[string]map[string]*Tally{"station": {}, "group": {}, "category": {}, "month": {}}
	var f Figures
	for _, g := range groups {
		keys := map[string]string{"station": g.Station, "group": orNone(g.Group, "未分派"), "category": orNone(g.Category, "未分类"),
			"month": g.Month}
		for dim, key := range keys {
			t := by[dim][key]
			if t == nil {
				t = &Tally{Key: key}
				by[dim][key] = t
			}
			t.plus(g.Tally)
		}
		f.Total.plus(g.Tally)
	}
	f.Total.Key = "合计"
	f.ByStation, f.ByGroup, f.ByCategory, f.ByMonth = sorted(by["station"], false), sorted(by["group"], false),
		sorted(by["category"], false), sorted(by["month"], true)
	return f
}

func (t *Tally) plus(o Tally) {
	t.Collected += o.Collected
	t.Answered += o.Answered
	t.Closed += o.Closed
	t.OnTime += o.OnTime
	t.Late += o.Late
	t.Rated += o.Rated
	t.Satisfied += o.Satisfied
}

// The periods people may ask for — the figures, the inbox's dates — lie
// between FirstDay and LastDay, and figures cover at most MaxPeriodYears:
// a request for the years 0001 to 9999 once kept a core busy for 45 s and
// the process at 1.1 GB.
const MaxPeriodYears = 5

var (
	FirstDay = time.Date(2000, 1, 1, 0, 0, 0, 0, China)
	LastDay  = time.Date(2100, 12, 31, 0, 0, 0, 0, China)
)

// periodRange is the sentence every refusal of a period ends with.
var periodRange = fmt.Sprintf("日期须在%s至%s之间", FirstDay.Format(time.DateOnly), LastDay.Format(time.DateOnly))

// ParseDay reads one day of a period, YYYY-MM-DD in China time, between
// FirstDay and LastDay; what says which day it is ("起始日期（from）").
func ParseDay(what, s string) (time.Time, error) {
	day, err := time.ParseInLocation(time.DateOnly, s, China)
	if err != nil {
		return day, Errorf(EINVALID, "%s应写成 2026-01-01 这样", what)
	}
	if day.Before(FirstDay) || day.After(LastDay) {
		return day, Errorf(EINVALID, "%s「%s」超出范围：%s", what, s, periodRange)
	}
	return day, nil
}

// ParsePeriod reads a period of figures, from and to both days included
// (this year so far when left empty), and gives it as [from, to): to is the
// midnight after its last day. It is at most MaxPeriodYears long.
func ParsePeriod(fromText, toText string, now time.Time) (from, to time.Time, err error) {
	now = now.In(China)
	from, to = time.Date(now.Year(), 1, 1, 0, 0, 0, 0, China), now
	if fromText != "" {
		if from, err = ParseDay("起始日期（from）", fromText); err != nil {
			return from, to, err
		}
	}
	if toText != "" {
		if to, err = ParseDay("截止日期（to）", toText); err != nil {
			return from, to, err
		}
	}
	to = time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, China).AddDate(0, 0, 1)
	if !to.After(from) {
		return from, to, Errorf(EINVALID, "截止日期应不早于起始日期")
	}
	if to.After(from.AddDate(MaxPeriodYears, 0, 0)) {
		return from, to, Errorf(EINVALID, "统计期间最长%d年，请缩短后再查（%s）", MaxPeriodYears, periodRange)
	}
	return from, to, nil
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// sorted lists tallies by key (months in order) or by most collected.
func sorted(m map[string]*Tally, byKey bool) []Tally {
	out := make([]Tally, 0, len(m))
	for _, t := range m {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b Tally) int {
		if !byKey && a.Collected != b.Collected {
			return b.Collected - a.Collected
		}
		if a.Key < b.Key {
			return -1
		}
		if a.Key > b.Key {
			return 1
		}
		return 0
	})
	return out
}
