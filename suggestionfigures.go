package mashang

import (
	"slices"
	"strings"
	"time"
)

// The figures of deputies' suggestions, as a congress reports them at the
// press conference on how they were handled (建议办理情况新闻发布会): by
// body and by deputy, with 满意率 and 落实率 measured separately. The store
// reads the facts of the suggestions in scope (SuggestionFacts); how each
// figure is counted is here, once, for the console, the Excel file and the
// public page alike.

// SuggestionScope is what the figures cover: a session's suggestions
// (SessionID), or those received in [From, To).
type SuggestionScope struct {
	SessionID int64
	Session   string // its name, for titles
	From, To  time.Time
}

// Label names the scope in a title: the session, or the period's days.
func (s SuggestionScope) Label() string {
	if s.SessionID != 0 {
		return s.Session
	}
	return s.From.In(China).Format("2006年1月2日") + "至" + s.To.Add(-time.Nanosecond).In(China).Format("2006年1月2日")
}

// SuggestionFacts are what the figures count of one suggestion accepted
// (立案) in scope: the suggestion with its co-signers and bodies, the lead
// body's answers and the deputy's evaluations (oldest first), and the
// contacts each body recorded.
type SuggestionFacts struct {
	Suggestion
	Answers     []Answer // the lead body's, oldest first
	Evaluations []Evaluation
	Contacts    map[int64]int // by department
	// Solved are the answer categories that count as implemented (A).
	Solved map[string]bool
}

// Key says whether staff marked it for key supervision (重点督办).
func (s Suggestion) Key() bool { return s.KeyMarkedAt != nil }

// Final is the last answer (false: none yet).
func (f SuggestionFacts) Final() (Answer, bool) {
	if len(f.Answers) == 0 {
		return Answer{}, false
	}
	return f.Answers[len(f.Answers)-1], true
}

// Verdict is the deputy's last verdict on the answer ("": none yet).
func (f SuggestionFacts) Verdict() string {
	if len(f.Evaluations) == 0 {
		return ""
	}
	return f.Evaluations[len(f.Evaluations)-1].AnswerVerdict
}

// Implemented (落实) says whether the suggestion was carried out: answered
// in a solved category (A), or answered with a promise (B) and then A by
// the day the body promised (the end of that day, China time). A B whose
// day passed without an A is not, even if an A came later: 落实率 measures
// keeping the promise.
func (f SuggestionFacts) Implemented() bool {
	var promised time.Time
	for _, a := range f.Answers {
		switch {
		case f.Solved[a.Category] && promised.IsZero():
			return true
		case f.Solved[a.Category]:
			day := promised.In(China)
			return !a.At.After(time.Date(day.Year(), day.Month(), day.Day(), 23, 59, 59, 0, China))
		case !a.PromisedOn.IsZero() && promised.IsZero():
			promised = a.PromisedOn
		}
	}
	return false
}

// AnsweredOnTime says whether the first answer came by the deadline, and
// whether that can be said yet (answered, or open past the deadline).
func (f SuggestionFacts) AnsweredOnTime(now time.Time) (onTime, measured bool) {
	if f.Due.IsZero() {
		return false, false
	}
	for _, a := range f.Answers {
		if a.Round <= 1 {
			return !a.At.After(f.Due), true
		}
	}
	return false, now.After(f.Due)
}

// SuggestionBodyTally is one body's line of the handling statistics
// (办理情况统计表).
type SuggestionBodyTally struct {
	DepartmentID int64
	Department   string
	// Received counts the suggestions handed to it, as lead (Lead) or
	// co-handling body.
	Received, Lead int
	// AckOnTime ÷ AckDue: acknowledged by the acknowledgement deadline, of
	// those acknowledged or past it.
	AckOnTime, AckDue int
	// As the lead body: answered by the deadline ÷ answered or open past it.
	OnTime, Late int
	// Contacted counts the suggestions on which it recorded a contact with
	// the deputy; Contacts the contacts.
	Contacted, Contacts int
	// The lead body's answers by category (the last answer of each).
	Answered   int
	Categories map[string]int
	// Evaluated ÷ Satisfied: the deputy's last verdict on the answer,
	// 满意 or 基本满意.
	Evaluated, Satisfied int
	// Implemented (落实) of Answered.
	Implemented int
	// Rehandled: handled again after the deputy was dissatisfied.
	Rehandled int
}

// AckRate (签收及时率).
func (t SuggestionBodyTally) AckRate() Rate { return Rate{t.AckOnTime, t.AckDue} }

// OnTimeRate (按期答复率).
func (t SuggestionBodyTally) OnTimeRate() Rate { return Rate{t.OnTime, t.OnTime + t.Late} }

// ContactRate (沟通联系率): suggestions with a contact ÷ received.
func (t SuggestionBodyTally) ContactRate() Rate { return Rate{t.Contacted, t.Received} }

// SatisfiedRate (满意率).
func (t SuggestionBodyTally) SatisfiedRate() Rate { return Rate{t.Satisfied, t.Evaluated} }

// ImplementedRate (落实率).
func (t SuggestionBodyTally) ImplementedRate() Rate { return Rate{t.Implemented, t.Answered} }

// RehandledRate (二次交办率) of the suggestions it led.
func (t SuggestionBodyTally) RehandledRate() Rate { return Rate{t.Rehandled, t.Lead} }

// Category is how many of its answers fell in a category.
func (t SuggestionBodyTally) Category(code string) int { return t.Categories[code] }

// add counts the body's part b in f.
func (t *SuggestionBodyTally) add(f SuggestionFacts, b SuggestionBody, now time.Time) {
	t.Received++
	if n := f.Contacts[b.DepartmentID]; n > 0 {
		t.Contacted++
		t.Contacts += n
	}
	switch {
	case b.AcknowledgedAt != nil && !b.AcknowledgedAt.After(b.AckDue):
		t.AckOnTime++
		t.AckDue++
	case b.AcknowledgedAt != nil || now.After(b.AckDue):
		t.AckDue++
	}
	if !b.Lead {
		return
	}
	t.Lead++
	if onTime, measured := f.AnsweredOnTime(now); measured && onTime {
		t.OnTime++
	} else if measured {
		t.Late++
	}
	if final, ok := f.Final(); ok {
		t.Answered++
		t.Categories[final.Category]++
		if f.Implemented() {
			t.Implemented++
		}
	}
	if verdict := f.Verdict(); verdict != "" {
		t.Evaluated++
		if verdict != VerdictDissatisfied {
			t.Satisfied++
		}
	}
	if f.Round > 1 {
		t.Rehandled++
	}
}

// SuggestionDeputyTally is one deputy's line: the suggestions they raised,
// led and co-signed, and the evaluations they gave.
type SuggestionDeputyTally struct {
	DeputyID         int64
	Deputy           string
	Raised           int // led or co-signed: a joint suggestion counts for each
	Led, Cosigned    int
	Satisfied, Basic int // their evaluations (the last of each suggestion they led)
	Dissatisfied     int
	Implemented      int // of those they raised
}

// Evaluated is how many they evaluated.
func (t SuggestionDeputyTally) Evaluated() int { return t.Satisfied + t.Basic + t.Dissatisfied }

// SuggestionFigures are the figures of the suggestions in a scope.
type SuggestionFigures struct {
	Total    SuggestionBodyTally // every suggestion once, as the whole
	Bodies   []SuggestionBodyTally
	Deputies []SuggestionDeputyTally
	Key      int // 重点督办
}

// CountSuggestions adds up the facts at now.
func CountSuggestions(facts []SuggestionFacts, now time.Time) SuggestionFigures {
	bodies := map[int64]*SuggestionBodyTally{}
	deputies := map[int64]*SuggestionDeputyTally{}
	deputy := func(id int64, name string) *SuggestionDeputyTally {
		d := deputies[id]
		if d == nil {
			d = &SuggestionDeputyTally{DeputyID: id, Deputy: name}
			deputies[id] = d
		}
		return d
	}
	out := SuggestionFigures{Total: SuggestionBodyTally{Department: "合计", Categories: map[string]int{}}}
	for _, f := range facts {
		if f.Key() {
			out.Key++
		}
		verdict, implemented := f.Verdict(), f.Implemented()
		lead := deputy(f.DeputyID, f.DeputyName)
		lead.Raised++
		lead.Led++
		switch verdict {
		case VerdictSatisfied:
			lead.Satisfied++
		case VerdictBasic:
			lead.Basic++
		case VerdictDissatisfied:
			lead.Dissatisfied++
		}
		if implemented {
			lead.Implemented++
		}
		for _, g := range f.Signers {
			if !g.Confirmed() && !g.Merged {
				continue
			}
			d := deputy(g.DeputyID, g.Name)
			d.Raised++
			d.Cosigned++
			if implemented {
				d.Implemented++
			}
		}
		// The whole counts each suggestion once, as its lead body does.
		for _, b := range f.Bodies {
			t := bodies[b.DepartmentID]
			if t == nil {
				t = &SuggestionBodyTally{DepartmentID: b.DepartmentID, Department: b.Name, Categories: map[string]int{}}
				bodies[b.DepartmentID] = t
			}
			t.add(f, b, now)
			if b.Lead {
				out.Total.add(f, b, now)
			}
		}
	}
	for _, t := range bodies {
		out.Bodies = append(out.Bodies, *t)
	}
	slices.SortFunc(out.Bodies, func(a, b SuggestionBodyTally) int {
		if a.Received != b.Received {
			return b.Received - a.Received
		}
		return strings.Compare(a.Department, b.Department)
	})
	for _, d := range deputies {
		out.Deputies = append(out.Deputies, *d)
	}
	slices.SortFunc(out.Deputies, func(a, b SuggestionDeputyTally) int {
		if a.Raised != b.Raised {
			return b.Raised - a.Raised
		}
		return strings.Compare(a.Deputy, b.Deputy)
	})
	return out
}
