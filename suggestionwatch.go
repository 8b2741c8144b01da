package mashang

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Suggestions are supervised (督) as cases are, by the same Supervision: the
// same working-day calendar, the same three colours and NearDays, the same
// template to the same people, swept in the same transaction. What has a
// deadline is, in turn: the hand-over between sessions (five working days
// after receipt), then the bodies' answer (three months, or six), then,
// after 不满意, the answer again (one month). Staff may also mark a
// suggestion for key supervision (重点督办) under a leading official with a
// plan.

// SuggestionWatchTx is what supervising suggestions needs from storage,
// inside the sweep's transaction.
type SuggestionWatchTx interface {
	// SuggestionsWatched lists the suggestions whose colour may change:
	// accepted or submitted ones with a hand-over deadline, and those with
	// the bodies or answered and not yet closed, with their bodies.
	SuggestionsWatched(ctx context.Context) ([]Suggestion, error)
	// SetSuggestionColour changes the colour from one to another, if it is
	// still the one: false when another sweep changed it first.
	SetSuggestionColour(ctx context.Context, id int64, from, to string) (bool, error)
	// MarkSuggestionNotice sets a body's timed notice's mark (near or
	// overdue, of the round) if not yet set: false when another sweep set
	// it first.
	MarkSuggestionNotice(ctx context.Context, id, departmentID int64, kind string, at time.Time) (bool, error)
	AddSuggestionEvent(ctx context.Context, id int64, at time.Time, kind EventKind, actor, detail string) error
}

// SuggestionRemindDays is how many working days before a body's answer
// deadline it is reminded: two weeks ahead of a deadline months away (a
// case's department, with days to answer, is reminded one day ahead).
const SuggestionRemindDays = 10

// StageDue is the deadline the suggestion now runs against, and what it is
// for: the hand-over (between sessions, until handed), the answer, or the
// answer again after 不满意. Zero: none (during a session before hand-over,
// or not accepted yet).
func (s Suggestion) StageDue() (time.Time, string) {
	switch {
	case s.Status == SuggestionDraft || s.Status == SuggestionReturned || s.Status == SuggestionRefused ||
		s.Status == SuggestionMerged || s.Status == SuggestionWithdrawn:
		return time.Time{}, ""
	case s.HandedAt == nil && s.Status != SuggestionClosed:
		return s.HandoverDue, "交办"
	case s.Round > 1 && !s.RedoDue.IsZero():
		return s.RedoDue, "重新办理答复"
	}
	return s.Due, "答复"
}

// answeredInStage is when the stage's step was done: handed over, or
// answered (in this round), or nil while it waits.
func (s Suggestion) answeredInStage() *time.Time {
	switch {
	case s.HandedAt == nil:
		return nil
	case s.Status.WithBodies():
		return nil
	case s.AnsweredAt != nil:
		return s.AnsweredAt
	}
	return s.ClosedAt
}

// SuggestionColour is a suggestion's colour at now, by Colour's rules on
// its present stage: yellow when no more than NearDays working days are
// left, red once the deadline passed (and, for a step done late, from then
// on); yellow too when a body let a working day pass without acknowledging.
func (s *Supervision) SuggestionColour(sg Suggestion, now time.Time) string {
	due, _ := sg.StageDue()
	colour := s.Colour(due, now, sg.answeredInStage(), 0)
	if colour == ColourGreen && sg.Status.WithBodies() {
		for _, b := range sg.Bodies {
			if b.AcknowledgedAt == nil && !b.AckDue.IsZero() && now.After(b.AckDue) {
				return ColourYellow
			}
		}
	}
	return colour
}

// suggestionWhy is the reason for a light, in a few words.
func (s *Supervision) suggestionWhy(sg Suggestion, colour string, now time.Time) string {
	due, stage := sg.StageDue()
	switch {
	case colour == ColourRed && sg.answeredInStage() != nil:
		return stage + "超期完成"
	case colour == ColourRed:
		return stage + "已超期"
	case colour == ColourYellow && !due.IsZero() && s.Calendar.WorkingDaysBetween(now, due) <= s.NearDays:
		return stage + "临近期限"
	case colour == ColourYellow:
		return "承办单位逾期未签收"
	}
	return "恢复正常"
}

// sweepSuggestions recolours the suggestions whose time moved them, notes
// each change on their history, tells the staff a case's colour would
// tell, and reminds each body once before its answer deadline and once
// when it passed. It runs inside Sweep's transaction.
func (s *Supervision) sweepSuggestions(ctx context.Context, tx HandoverTx, now time.Time) (changed, queued int, err error) {
	watched, err := tx.SuggestionsWatched(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, sg := range watched {
		n, err := s.remindBodies(ctx, tx, sg, now)
		if err != nil {
			return 0, 0, err
		}
		queued += n
		colour := s.SuggestionColour(sg, now)
		if colour == sg.Colour {
			continue
		}
		won, err := tx.SetSuggestionColour(ctx, sg.ID, sg.Colour, colour)
		if err != nil {
			return 0, 0, err
		}
		if !won {
			continue
		}
		changed++
		why := s.suggestionWhy(sg, colour, now)
		due, _ := sg.StageDue()
		light := map[string]string{ColourGreen: "绿灯", ColourYellow: "黄灯", ColourRed: "红灯"}[colour]
		msg := fmt.Sprintf("建议 %s 亮%s：%s", sg.Number, light, why)
		if !due.IsZero() {
			msg += fmt.Sprintf("（期限%s）", due.In(China).Format("1月2日"))
		}
		if err := tx.AddSuggestionEvent(ctx, sg.ID, now, EventColour, "系统", msg); err != nil {
			return 0, 0, err
		}
		if colour == ColourGreen || s.Notify.TemplateID == "" {
			continue
		}
		to, err := tx.SupervisionRecipients(ctx, sg.StationID, colour)
		if err != nil {
			return 0, 0, err
		}
		who := map[string]string{ColourYellow: "联络站秘书", ColourRed: "本级人大负责同志"}[colour]
		if len(to) == 0 {
			if err := tx.AddSuggestionEvent(ctx, sg.ID, now, EventNotify, "系统", fmt.Sprintf("没有已绑定微信的%s，督办提醒未能发出，请在工作台查看。", who)); err != nil {
				return 0, 0, err
			}
			continue
		}
		names := make([]string, 0, len(to))
		for _, r := range to {
			item := s.Notify.suggestionItem(sg, r.OpenID, s.Notify.suggestionURL(sg.ID), light+"："+why,
				fmt.Sprintf("sg-colour-%d-%s-u%d-%d", sg.ID, colour, r.UserID, now.Unix()), due)
			if err := tx.Enqueue(ctx, item, now); err != nil {
				return 0, 0, err
			}
			names = append(names, r.Name)
		}
		queued += len(to)
		if err := tx.AddSuggestionEvent(ctx, sg.ID, now, EventNotify, "系统", fmt.Sprintf("督办提醒已发给%s：%s", who, strings.Join(names, "、"))); err != nil {
			return 0, 0, err
		}
	}
	return changed, queued, nil
}

// remindBodies sends each body of a suggestion with the bodies its timed
// notices once (DutyNoticeNear, DutyNoticeOverdue): SuggestionRemindDays
// working days before the answer's deadline, and when it passed; marks are
// set compare-and-set first, so of two sweeps only one sends.
func (s *Supervision) remindBodies(ctx context.Context, tx HandoverTx, sg Suggestion, now time.Time) (int, error) {
	due, stage := sg.StageDue()
	if !sg.Status.WithBodies() || due.IsZero() {
		return 0, nil
	}
	queued := 0
	for _, b := range sg.Bodies {
		kind := dueNotice(s.Calendar, b.HandedAt, due, b.NearNoticed, b.OverdueNoticed, SuggestionRemindDays, now)
		if kind == "" {
			continue
		}
		won, err := tx.MarkSuggestionNotice(ctx, sg.ID, b.DepartmentID, kind, now)
		if err != nil || !won {
			return queued, err
		}
		what := map[string]string{DutyNoticeNear: "建议即将到期：", DutyNoticeOverdue: "建议已超期："}[kind] + b.Role() + "，请" + stage
		n, err := s.Notify.tellBody(ctx, tx, sg, Department{ID: b.DepartmentID, Name: b.Name}, what, due, now)
		if err != nil {
			return queued, err
		}
		queued += n
	}
	return queued, nil
}

// dueNotice is the timed notice now calls for, if any: overdue once the
// deadline passed, near when no more than before working days are left
// (and there were more when handed, so a short deadline is not "near" at
// once).
func dueNotice(cal Calendar, handed, due time.Time, nearSent, overdueSent bool, before int, now time.Time) string {
	switch {
	case now.After(due) && !overdueSent:
		return DutyNoticeOverdue
	case !now.After(due) && !nearSent && !overdueSent &&
		cal.WorkingDaysBetween(now, due) <= before && cal.WorkingDaysBetween(handed, due) > before:
		return DutyNoticeNear
	}
	return ""
}

// suggestionNotifier is what telling about a suggestion needs from
// storage.
type suggestionNotifier interface {
	DepartmentRecipients(ctx context.Context, departmentID int64) ([]StaffRecipient, error)
	Enqueue(ctx context.Context, item OutboxItem, at time.Time) error
	AddSuggestionEvent(ctx context.Context, id int64, at time.Time, kind EventKind, actor, detail string) error
}

// tellBody queues what to each bound handler of a body and notes on the
// suggestion's history who was told, or that nobody could be.
func (n SupervisionNotify) tellBody(ctx context.Context, tx suggestionNotifier, sg Suggestion, d Department, what string, due, now time.Time) (int, error) {
	if n.TemplateID == "" {
		return 0, nil
	}
	to, err := tx.DepartmentRecipients(ctx, d.ID)
	if err != nil {
		return 0, err
	}
	if len(to) == 0 {
		return 0, tx.AddSuggestionEvent(ctx, sg.ID, now, EventNotify, "系统",
			fmt.Sprintf("「%s」没有已绑定微信的经办人，提醒（%s）未能发出，请电话告知。", d.Name, what))
	}
	url := ""
	if n.BodySuggestionURL != nil {
		url = n.BodySuggestionURL(sg.ID)
	}
	names := make([]string, 0, len(to))
	for i, r := range to {
		item := n.suggestionItem(sg, r.OpenID, url, what, fmt.Sprintf("sg-%d-u%d-%d-%d", sg.ID, r.UserID, now.UnixNano(), i), due)
		if err := tx.Enqueue(ctx, item, now); err != nil {
			return 0, err
		}
		names = append(names, r.Name)
	}
	return len(to), tx.AddSuggestionEvent(ctx, sg.ID, now, EventNotify, "系统",
		fmt.Sprintf("提醒（%s）已发给「%s」经办人：%s", what, d.Name, strings.Join(names, "、")))
}

// suggestionItem is the supervision template telling someone what
// happened to a suggestion: its number (JY and its ID before it has
// one), its title in the station field, what in the light field.
func (n SupervisionNotify) suggestionItem(sg Suggestion, openid, url, what, key string, due time.Time) OutboxItem {
	number := sg.Number
	if number == "" {
		number = fmt.Sprintf("JY%d", sg.ID)
	}
	item := n.item(number, sg.Title, what, due, url, 0, StaffRecipient{OpenID: openid}, key)
	if due.IsZero() && n.DeadlineField != "" {
		item.Data[n.DeadlineField] = "—"
	}
	return item
}

// suggestionURL is the console's page of a suggestion, for staff's notices.
func (n SupervisionNotify) suggestionURL(id int64) string {
	if n.SuggestionURL == nil {
		return ""
	}
	return n.SuggestionURL(id)
}

// KeySupervisionStore marks key suggestions in one transaction.
type KeySupervisionStore interface {
	// MarkKeySuggestion marks the suggestion within reach for key
	// supervision, or changes its official and plan, and notes it on its
	// history (ENOTFOUND beyond reach).
	MarkKeySuggestion(ctx context.Context, r Reach, id int64, fn func(sg Suggestion) (official, plan, detail string, err error), by string, at time.Time) error
}

// MarkKey marks a suggestion for key supervision (重点督办) under a leading
// official (领导督办) with a plan (督办方案); marking it again changes them.
func MarkKey(ctx context.Context, st KeySupervisionStore, r Reach, id int64, official, plan, staff string, now time.Time) error {
	official, plan = strings.TrimSpace(official), strings.TrimSpace(plan)
	switch {
	case official == "" || utf8.RuneCountInString(official) > 32:
		return Errorf(EINVALID, "请写明牵头督办的领导（姓名、职务），不超过32字")
	case plan == "" || utf8.RuneCountInString(plan) > 1000:
		return Errorf(EINVALID, "请写明督办方案（如何督、何时听取汇报），不超过1000字")
	}
	return st.MarkKeySuggestion(ctx, r, id, func(sg Suggestion) (string, string, string, error) {
		switch sg.Status {
		case SuggestionDraft, SuggestionSubmitted, SuggestionReturned, SuggestionRefused, SuggestionMerged, SuggestionWithdrawn:
			return "", "", "", Errorf(ECONFLICT, "建议「%s」%s，立案后才能列为重点督办", sg.Title, sg.Status.Label())
		case SuggestionClosed:
			return "", "", "", Errorf(ECONFLICT, "建议 %s 已办结，不再督办", sg.Number)
		}
		detail := fmt.Sprintf("列为重点督办，由%s牵头督办。督办方案：%s", official, plan)
		if sg.Key() {
			detail = fmt.Sprintf("重点督办调整：由%s牵头督办。督办方案：%s", official, plan)
		}
		return official, plan, detail, nil
	}, staff, now)
}

// SuggestionBoardRow is the open suggestions within reach by colour, on the
// supervision board beside the cases, and how many are key ones.
type SuggestionBoardRow struct {
	Green, Yellow, Red int
	Key                int
}
