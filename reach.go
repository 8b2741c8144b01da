package mashang

import (
	"time"
	"unicode/utf8"
)

// Reach is what a staff account may see and act on: every case, the cases
// of stations in some jurisdictions, or one station's.
type Reach struct {
	All             bool
	JurisdictionIDs []int64 // a jurisdiction and everything under it
	StationID       int64
	DepartmentID    int64 // what was handed to one department
}

// CaseFilter narrows the console's inbox; Before pages by case ID (keyset:
// as fast on the hundredth page as on the first).
type CaseFilter struct {
	Status      string
	StationCode string
	Colour      string
	Group       string
	Category    string
	Department  string
	From, To    string // YYYY-MM-DD, China time, both included
	Text        string
	Before      int64
	Limit       int
}

// MaxSearchLen bounds the inbox's text search: longer than any phrase
// anyone looks for, and far below what the databases refuse (SQLite fails
// on a LIKE pattern over 50,000 bytes).
const MaxSearchLen = 100

// Check refuses a filter no one would type. Its dates are days between
// FirstDay and LastDay, in order; how far apart is not bounded, as the
// inbox pages through what they select rather than counting it.
func (f CaseFilter) Check() error {
	if utf8.RuneCountInString(f.Text) > MaxSearchLen {
		return Errorf(EINVALID, "搜索内容不能超过%d个字，请缩短后再搜", MaxSearchLen)
	}
	var from, to time.Time
	var err error
	if f.From != "" {
		if from, err = ParseDay("起始日期", f.From); err != nil {
			return err
		}
	}
	if f.To != "" {
		if to, err = ParseDay("截止日期", f.To); err != nil {
			return err
		}
	}
	if f.From != "" && f.To != "" && to.Before(from) {
		return Errorf(EINVALID, "截止日期应不早于起始日期")
	}
	return nil
}
