package mashang

import (
	"strings"
	"time"
	"unicode/utf8"
)

// AuditFilter narrows the audit log administrators read in the console:
// by who (their username), by what (the target: a case's number, an
// account, a deputy's code) and by days. Before pages by the line's ID
// (keyset: the hundredth page is as fast as the first).
type AuditFilter struct {
	Username string
	Target   string
	From, To string // YYYY-MM-DD, China time, both included; empty: unbounded
	Before   int64
	Limit    int
}

// AuditPeriod is an AuditFilter's days as [From, To): zero where the
// filter leaves that side open.
type AuditPeriod struct{ From, To time.Time }

// MaxAuditExportRows bounds one Excel export of the audit log: the newest
// lines that match, and the sheet says when there were more.
const MaxAuditExportRows = 50_000

// Check trims the filter and reads its days, each between FirstDay and
// LastDay (ParseDay) and in order, as every period people ask for is.
func (f *AuditFilter) Check() (AuditPeriod, error) {
	f.Username, f.Target = strings.TrimSpace(f.Username), strings.TrimSpace(f.Target)
	if utf8.RuneCountInString(f.Username) > 32 || utf8.RuneCountInString(f.Target) > 64 {
		return AuditPeriod{}, Errorf(EINVALID, "用户名不超过32个字，对象（如问题编号）不超过64个字")
	}
	var p AuditPeriod
	if f.From != "" {
		from, err := ParseDay("起始日期（from）", f.From)
		if err != nil {
			return p, err
		}
		p.From = from
	}
	if f.To != "" {
		to, err := ParseDay("截止日期（to）", f.To)
		if err != nil {
			return p, err
		}
		p.To = to.AddDate(0, 0, 1)
	}
	if !p.From.IsZero() && !p.To.IsZero() && !p.To.After(p.From) {
		return p, Errorf(EINVALID, "截止日期应不早于起始日期")
	}
	return p, nil
}
