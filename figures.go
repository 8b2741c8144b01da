package mashang

import (
	"slices"
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

// Tally is one line of the figures the articles report: collected, closed,
// on time, satisfied.
type Tally struct {
	Key       string
	Collected int
	Closed    int
	// OnTime counts cases closed by their deadline (or without one);
	// Late counts those closed late and those still open past it, so
	// on-time is never flattered by what is still open and late.
	OnTime, Late int
	Rated        int
	Satisfied    int // 满意 or 基本满意
}

// OnTimeRate is closed on time ÷ (closed + open and overdue), in percent.
func (t Tally) OnTimeRate() float64 { return percent(t.OnTime, t.OnTime+t.Late) }

// SatisfiedRate is satisfied ÷ rated, in percent.
func (t Tally) SatisfiedRate() float64 { return percent(t.Satisfied, t.Rated) }

// ClosedRate is closed ÷ collected, in percent.
func (t Tally) ClosedRate() float64 { return percent(t.Closed, t.Collected) }

func percent(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) * 100 / float64(b)
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
	t.Closed += o.Closed
	t.OnTime += o.OnTime
	t.Late += o.Late
	t.Rated += o.Rated
	t.Satisfied += o.Satisfied
}

// Months lists the China-time months of [from, to) with where each starts,
// so the store can name a case's month without dialect-specific SQL.
func Months(from, to time.Time) (names []string, starts []time.Time) {
	m := time.Date(from.In(China).Year(), from.In(China).Month(), 1, 0, 0, 0, 0, China)
	for ; m.Before(to); m = m.AddDate(0, 1, 0) {
		names, starts = append(names, m.Format("2006-01")), append(starts, m)
	}
	return names, starts
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
