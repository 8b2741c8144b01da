package mashang

import (
	"slices"
	"time"
)

// FigureRow is what the figures need of one case.
type FigureRow struct {
	Station    string
	Group      string
	Category   string
	Department string
	CreatedAt  time.Time
	Status     string
	Deadline   time.Time // zero: never handed over
	ClosedAt   *time.Time
	Rating     string
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

// CountFigures tallies rows as of now.
func CountFigures(rows []FigureRow, now time.Time) Figures {
	by := map[string]map[string]*Tally{"station": {}, "group": {}, "category": {}, "month": {}}
	var f Figures
	for _, r := range rows {
		keys := map[string]string{"station": r.Station, "group": orNone(r.Group, "未分派"), "category": orNone(r.Category, "未分类"),
			"month": r.CreatedAt.In(china).Format("2006-01")}
		for dim, key := range keys {
			t := by[dim][key]
			if t == nil {
				t = &Tally{Key: key}
				by[dim][key] = t
			}
			t.add(r, now)
		}
		f.Total.add(r, now)
	}
	f.Total.Key = "合计"
	f.ByStation, f.ByGroup, f.ByCategory, f.ByMonth = sorted(by["station"], false), sorted(by["group"], false),
		sorted(by["category"], false), sorted(by["month"], true)
	return f
}

func (t *Tally) add(r FigureRow, now time.Time) {
	t.Collected++
	if r.Rating != "" {
		t.Rated++
		if r.Rating == RatingSatisfied || r.Rating == RatingBasically {
			t.Satisfied++
		}
	}
	switch {
	case r.ClosedAt != nil:
		t.Closed++
		if r.Deadline.IsZero() || !r.ClosedAt.After(r.Deadline) {
			t.OnTime++
		} else {
			t.Late++
		}
	case !r.Deadline.IsZero() && now.After(r.Deadline):
		t.Late++
	}
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
