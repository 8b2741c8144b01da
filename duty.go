package mashang

import (
	"context"
	"fmt"
	"time"
)

// A deputy's duty record (履职档案) fills itself: attending an activity,
// taking a case, closing one, a citizen satisfied with it, an answer
// drafted — each lands there when it happens, in the same transaction, and
// earns the points the rules (kept as data) give it. The points ledger is
// only ever added to; a correction is another entry.

// Duty actions, as the rules name them.
const (
	DutyAttend    = "attend"
	DutyAccept    = "accept"
	DutyClose     = "close"
	DutySatisfied = "satisfied"
	DutyReply     = "reply"
	// DutyRelay is passing on a matter a voter raised in person (代表转来),
	// earned when staff accept the case it became.
	DutyRelay = "relay"
	// DutyDesk is a matter a citizen raised at a pop-up desk the deputy
	// was present at (流动办公桌接待).
	DutyDesk = "desk"
	// DutySuggest is leading a suggestion (代表建议，领衔) staff accepted
	// (审核准入): raised alone or as the lead of a joint one; DutyCosign is
	// co-signing one (联名). A suggestion merged into another (归并) credits
	// both deputies, each for their own.
	DutySuggest = "suggest"
	DutyCosign  = "cosign"
)

// DutyActions are the actions in the order reports show them.
var DutyActions = []string{DutyAttend, DutyAccept, DutyClose, DutySatisfied, DutyReply, DutyRelay, DutyDesk, DutySuggest, DutyCosign}

var dutyLabels = map[string]string{DutyAttend: "参加活动", DutyAccept: "接单", DutyClose: "办结", DutySatisfied: "群众满意", DutyReply: "拟写答复", DutyRelay: "转来选民意见", DutyDesk: "流动办公桌接待",
	DutySuggest: "领衔提出建议", DutyCosign: "联名提出建议"}

// DutyLabel is an action as staff and deputies read it.
func DutyLabel(action string) string { return dutyLabels[action] }

// DutyEntry is one line of a deputy's duty record.
type DutyEntry struct {
	DeputyID   int64
	Action     string
	CaseID     int64 // 0: none
	ActivityID int64 // 0: none
	// SuggestionID is the deputy's suggestion (0: none).
	SuggestionID int64
	At           time.Time
	Detail       string
}

// DutyRecorder writes duty records and their points (a store transaction).
// A deputy's action on a case or activity is recorded once: doing it again
// after a reopening earns nothing twice.
type DutyRecorder interface {
	RecordDuty(ctx context.Context, e DutyEntry) error
	// DutyEarner says whether the deputy is in office, and whether the
	// case (0: none) was raised from the deputy's own WeChat: their bound
	// openid, or a Mini Program openid linked to it by unionid.
	DutyEarner(ctx context.Context, deputyID, caseID int64) (inOffice, ownCase bool, err error)
}

// recordDuty records e unless it is not earned. Points are earned, not
// taken: a deputy out of office earns nothing, and neither does a deputy
// on a case raised from their own WeChat (flagged to staff when raised).
func recordDuty(ctx context.Context, tx DutyRecorder, e DutyEntry) error {
	inOffice, own, err := tx.DutyEarner(ctx, e.DeputyID, e.CaseID)
	if err != nil || !inOffice || own {
		return err
	}
	return tx.RecordDuty(ctx, e)
}

// recordCaseDuty records action for the case's responsible deputy, if it
// has one (raised at their code, or taken by them).
func recordCaseDuty(ctx context.Context, tx DutyRecorder, c Case, action string, at time.Time) error {
	if c.ResponsibleDeputyID == 0 {
		return nil
	}
	return recordDuty(ctx, tx, DutyEntry{DeputyID: c.ResponsibleDeputyID, Action: action, CaseID: c.ID, At: at,
		Detail: fmt.Sprintf("问题 %s（%s）", c.Number, c.StationName)})
}

// Quarter is the China-time quarter t falls in: its name (2026年第4季度)
// and its bounds.
func Quarter(t time.Time) (name string, from, to time.Time) {
	t = t.In(China)
	first := time.Month((int(t.Month())-1)/3*3 + 1)
	from = time.Date(t.Year(), first, 1, 0, 0, 0, 0, China)
	return fmt.Sprintf("%d年第%d季度", t.Year(), (int(first)-1)/3+1), from, from.AddDate(0, 3, 0)
}

// ParseQuarter reads "2026Q4" (or "" for the quarter of now).
func ParseQuarter(s string, now time.Time) (name string, from, to time.Time, err error) {
	if s == "" {
		name, from, to = Quarter(now)
		return name, from, to, nil
	}
	var year, q int
	if n, _ := fmt.Sscanf(s, "%dQ%d", &year, &q); n != 2 || q < 1 || q > 4 || year < 2000 || year > 2100 {
		return "", time.Time{}, time.Time{}, Errorf(EINVALID, "季度应写成 2026Q4 这样，年份在%d至%d之间", FirstDay.Year(), LastDay.Year())
	}
	name, from, to = Quarter(time.Date(year, time.Month(q*3), 1, 0, 0, 0, 0, China))
	return name, from, to, nil
}

// Standing is a deputy's points in a quarter and their rank in their group.
type Standing struct {
	Quarter       string
	Points, Total int // this quarter's, and all time
	Group         string
	Rank, Of      int // 0 when they are in no group
}

// PointsReader tells a deputy's standing.
type PointsReader interface {
	Standing(ctx context.Context, deputyID int64, from, to time.Time) (Standing, error)
}

// DutyLine is one deputy's quarter in the report: counts by action and points.
type DutyLine struct {
	StationName, GroupName string
	DeputyCode, DeputyName string
	Counts                 map[string]int // by action
	Points                 int
}

const replyPointsFormat = "%s代表，您%s的履职积分为 %d 分（累计 %d 分）%s。\n积分来自参加活动、接单、办结、群众满意、拟写答复、流动办公桌接待和提出建议，规则由人大工作人员公布。"

func standingText(d Deputy, s Standing) string {
	rank := ""
	if s.Of > 0 {
		rank = fmt.Sprintf("，在「%s」%d位代表中排第%d", s.Group, s.Of, s.Rank)
	}
	return fmt.Sprintf(replyPointsFormat, d.Name, s.Quarter, s.Points, s.Total, rank)
}

// DutyRecordLine is one line of a deputy's duty record as they read it.
type DutyRecordLine struct {
	At     time.Time
	Action string // a duty action, or "correction"
	Detail string
	Points int
}

// Label is the line's action as people read it.
func (l DutyRecordLine) Label() string {
	if l.Action == "correction" {
		return "积分更正"
	}
	return DutyLabel(l.Action)
}

// PointRule is how many points an action earns, and the reason the ledger
// gives. Changing a rule changes what is earned from then on; points
// already earned stay as they were.
type PointRule struct {
	Action string
	Points int
	Reason string
}

// MaxRulePoints bounds a rule, so a slip of the keyboard cannot swamp a
// quarter's ranking.
const MaxRulePoints = 100

// Check says what is wrong with a rule an administrator set, in Chinese.
func (r PointRule) Check() error {
	switch {
	case DutyLabel(r.Action) == "":
		return Errorf(EINVALID, "没有「%s」这项履职行为", r.Action)
	case r.Points < 0 || r.Points > MaxRulePoints:
		return Errorf(EINVALID, "「%s」的积分应为 0 到 %d 之间的整数", DutyLabel(r.Action), MaxRulePoints)
	case r.Reason == "" || len([]rune(r.Reason)) > 60:
		return Errorf(EINVALID, "请为「%s」写明计分事由（60个字以内）", DutyLabel(r.Action))
	}
	return nil
}

// Label is the rule's action as people read it.
func (r PointRule) Label() string { return DutyLabel(r.Action) }

// RecordSuggestionDuty puts an accepted suggestion (立案) in its deputies'
// duty records: DutySuggest for the lead deputy, DutyCosign for each
// co-signer who confirmed and each deputy whose suggestion was merged into
// it (归并: both credited). Called again (a merge into it later), it
// credits only those not yet credited.
func RecordSuggestionDuty(ctx context.Context, tx DutyRecorder, sg Suggestion, at time.Time) error {
	title := fmt.Sprintf("建议 %s「%s」", sg.Number, sg.Title)
	if err := recordDuty(ctx, tx, DutyEntry{DeputyID: sg.DeputyID, Action: DutySuggest, SuggestionID: sg.ID, At: at,
		Detail: "领衔提出" + title}); err != nil {
		return err
	}
	for _, g := range sg.Signers {
		if !g.Confirmed() && !g.Merged {
			continue
		}
		if err := recordDuty(ctx, tx, DutyEntry{DeputyID: g.DeputyID, Action: DutyCosign, SuggestionID: sg.ID, At: at,
			Detail: "联名提出" + title}); err != nil {
			return err
		}
	}
	return nil
}
