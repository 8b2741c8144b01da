package mashang

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// A deputy works their cases from their phone: they open the template
// message's link, WeChat's web authorisation names them by their bound
// openid, and they take a case (定单), draft the answer for staff to send,
// or mark it solved inside their group. What they may touch is what was
// raised at their own code or routed to a group they belong to.

// DeputyActor is how a deputy appears on a timeline and in the audit log.
func DeputyActor(d Deputy) string { return d.Name + "代表" }

// Draft records a deputy's answer for staff to check and send: it goes on
// the timeline and to the station's staff; the citizen hears it only when
// staff send it.
func (s *Supervision) Draft(ctx context.Context, number string, d Deputy, text string) error {
	actor := DeputyActor(d)
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return Errorf(EINVALID, "请写下答复的内容")
	case utf8.RuneCountInString(text) > MaxReplyRunes:
		return Errorf(EINVALID, "答复不能超过%d个字，请精简", MaxReplyRunes)
	}
	now := s.now()
	return s.Store.UpdateHandover(ctx, func(tx HandoverTx) error {
		c, err := tx.CaseForReply(ctx, number)
		if err != nil {
			return err
		}
		if c.Status == CaseClosed || c.Status == CaseMerged {
			return Errorf(ECONFLICT, "问题 %s 已经办结", c.Number)
		}
		if err := tx.AddCaseEvent(ctx, c.ID, now, EventDraft, actor, text); err != nil {
			return err
		}
		if err := tx.RecordDuty(ctx, DutyEntry{DeputyID: d.ID, Action: DutyReply, CaseID: c.ID, At: now,
			Detail: fmt.Sprintf("为问题 %s 拟写答复", c.Number)}); err != nil {
			return err
		}
		return tx.AddStaffAlert(ctx, c.StationID, c.ID, fmt.Sprintf("%s为问题 %s 拟写了答复，请审核后发给群众。", actor, c.Number), now)
	})
}

// PendingDraft is the latest answer a deputy drafted that staff have not
// yet answered past: the console offers it as the reply, to check and send.
// events are oldest first, as on the timeline.
func PendingDraft(events []CaseEvent) (CaseEvent, bool) {
	for i := len(events) - 1; i >= 0; i-- {
		switch events[i].Kind {
		case EventReply:
			return CaseEvent{}, false
		case EventDraft:
			return events[i], true
		}
	}
	return CaseEvent{}, false
}
