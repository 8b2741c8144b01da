package mashang

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// A case is handed to one lead department (主办) and any co-handling ones
// (协办). Each department's handlers see it, acknowledge it (签收) from the
// console, and are told through the Official Account, once each, when it
// is handed to them, one working day before its deadline and when it is
// overdue. A hand-over not acknowledged within one working day turns the
// case yellow, as a near deadline does.

// CaseDepartment is one department a case is handed to, as it stands.
type CaseDepartment struct {
	DepartmentID   int64
	Name           string
	Lead           bool
	HandedAt       time.Time
	AckDue         time.Time // zero: handed before acknowledging existed
	AcknowledgedAt *time.Time
	AcknowledgedBy string // who, as the timeline names them
}

// Role is 主办 or 协办.
func (d CaseDepartment) Role() string {
	if d.Lead {
		return "主办"
	}
	return "协办"
}

// DepartmentCase is a case as a department's handler lists and opens it on
// their phone pages (/h/): the case, when its answer is due, and the
// department's own part in it (lead or co-handling, acknowledged or not).
type DepartmentCase struct {
	Case
	Due  time.Time // the answer's deadline (zero: none)
	Part CaseDepartment
}

// Open says whether the case still waits for its department.
func (d DepartmentCase) Open() bool { return d.Status != CaseClosed && d.Status != CaseMerged }

// ToAcknowledge says whether the department has yet to acknowledge it.
func (d DepartmentCase) ToAcknowledge() bool { return d.Open() && d.Part.AcknowledgedAt == nil }

// DepartmentDuty is one department's part in an open case, for the sweep's
// timed notices.
type DepartmentDuty struct {
	CaseID        int64
	Number        string
	StationName   string
	DepartmentID  int64
	Department    string
	Lead          bool
	HandedAt, Due time.Time
	NearNoticed   bool
	OverdueNotice bool
	AckDue        time.Time // zero: none asked
	Acknowledged  bool
}

// The timed notices a department gets, by the names their marks have.
const (
	DutyNoticeNear    = "near"
	DutyNoticeOverdue = "overdue"
)

// ackWithin is how many working days a department has to acknowledge.
const ackWithin = 1

// departmentNotifier is what telling a department's handlers needs from
// storage.
type departmentNotifier interface {
	// DepartmentRecipients are a department's enabled handlers with their
	// WeChat bound.
	DepartmentRecipients(ctx context.Context, departmentID int64) ([]StaffRecipient, error)
	Enqueue(ctx context.Context, item OutboxItem, at time.Time) error
	AddCaseEvent(ctx context.Context, caseID int64, at time.Time, kind EventKind, actor, detail string) error
}

// notifyDepartment queues what says to each bound handler of a department
// and notes on the timeline who was told, or that nobody could be.
func (s *Supervision) notifyDepartment(ctx context.Context, tx departmentNotifier, caseID int64, number, station, department string, departmentID int64, what string, due, now time.Time) (int, error) {
	return s.Notify.tellDepartment(ctx, tx, caseID, number, station, department, departmentID, what, due, now)
}

// tellDepartment is notifyDepartment through this template (none: nobody
// is told).
func (n SupervisionNotify) tellDepartment(ctx context.Context, tx departmentNotifier, caseID int64, number, station, department string, departmentID int64, what string, due, now time.Time) (int, error) {
	if n.TemplateID == "" {
		return 0, nil
	}
	to, err := tx.DepartmentRecipients(ctx, departmentID)
	if err != nil {
		return 0, err
	}
	if len(to) == 0 {
		return 0, tx.AddCaseEvent(ctx, caseID, now, EventNotify, "系统",
			fmt.Sprintf("「%s」没有已绑定微信的经办人，提醒（%s）未能发出，请电话告知。", department, what))
	}
	names := make([]string, 0, len(to))
	for i, r := range to {
		if err := tx.Enqueue(ctx, n.departmentNotice(caseID, number, station, what, due, r, now, i), now); err != nil {
			return 0, err
		}
		names = append(names, r.Name)
	}
	return len(to), tx.AddCaseEvent(ctx, caseID, now, EventNotify, "系统",
		fmt.Sprintf("提醒（%s）已发给「%s」经办人：%s", what, department, strings.Join(names, "、")))
}

// departmentNotice is the supervision template carrying what a department
// is asked: its light field says what happened instead of a colour.
func (n SupervisionNotify) departmentNotice(caseID int64, number, station, what string, due time.Time, r StaffRecipient, at time.Time, i int) OutboxItem {
	url, page := "", n.DepartmentCaseURL
	if page == nil {
		page = n.CaseURL
	}
	if page != nil {
		url = page(number)
	}
	return n.item(number, station, what, due, url, caseID, r, fmt.Sprintf("dept-%s-u%d-%d-%d", number, r.UserID, at.UnixNano(), i))
}

// item is the supervision template to one staff member: the number, the
// station, the light field (a colour and why, or what is asked) and the
// deadline (zero: "未交办"). Cases' and suggestions' notices alike.
func (n SupervisionNotify) item(number, station, light string, due time.Time, url string, caseID int64, r StaffRecipient, clientMsgID string) OutboxItem {
	data := map[string]string{}
	set := func(key, value string) {
		if key != "" {
			data[key] = fitField(key, value)
		}
	}
	set(n.NumberField, number)
	set(n.StationField, station)
	set(n.ColourField, light)
	deadline := "未交办"
	if !due.IsZero() {
		deadline = due.In(China).Format("2006-01-02 15:04")
	}
	set(n.DeadlineField, deadline)
	return OutboxItem{Kind: "template", CaseID: caseID, ToUser: r.OpenID, TemplateID: n.TemplateID, URL: url, Data: data, ClientMsgID: clientMsgID}
}

// sweepDepartments sends each department's timed notices once: one working
// day before the deadline, and when it has passed. The mark is set first,
// compare-and-set, so of two sweeps only one sends.
func (s *Supervision) sweepDepartments(ctx context.Context, tx HandoverTx, duties []DepartmentDuty, now time.Time) (int, error) {
	queued := 0
	for _, d := range duties {
		// The deadline field says when: the next working day, or today
		// when the sweep could not run the day before.
		kind := dueNotice(s.Calendar, d.HandedAt, d.Due, d.NearNoticed, d.OverdueNotice, 1, now)
		what := map[string]string{DutyNoticeOverdue: "已超期：" + d.Role() + "，请尽快办理并填报结果",
			DutyNoticeNear: "即将到期：" + d.Role() + "，请抓紧办理"}[kind]
		if kind == "" {
			continue
		}
		won, err := tx.MarkDepartmentNotice(ctx, d.CaseID, d.DepartmentID, kind, now)
		if err != nil {
			return 0, err
		}
		if !won {
			continue
		}
		n, err := s.notifyDepartment(ctx, tx, d.CaseID, d.Number, d.StationName, d.Department, d.DepartmentID, what, d.Due, now)
		if err != nil {
			return 0, err
		}
		queued += n
	}
	return queued, nil
}

// ackDues is, by case, the earliest time a department not yet
// acknowledging should have.
func ackDues(duties []DepartmentDuty) map[int64]time.Time {
	out := map[int64]time.Time{}
	for _, d := range duties {
		if d.Acknowledged || d.AckDue.IsZero() {
			continue
		}
		if at, ok := out[d.CaseID]; !ok || d.AckDue.Before(at) {
			out[d.CaseID] = d.AckDue
		}
	}
	return out
}

// Role is 主办 or 协办.
func (d DepartmentDuty) Role() string {
	return CaseDepartment{Lead: d.Lead}.Role()
}

// Acknowledge records that a department's handler received the case
// (签收): once per hand-over; the case shows who and when.
func (s *Supervision) Acknowledge(ctx context.Context, number string, u StaffUser) error {
	if u.Role != RoleHandler || u.DepartmentID == 0 {
		return Refusal(u.Role, ActAcknowledge)
	}
	now := s.now()
	return s.Store.UpdateHandover(ctx, func(tx HandoverTx) error {
		c, err := tx.CaseForReply(ctx, number)
		if err != nil {
			return err
		}
		if c.Status == CaseClosed || c.Status == CaseMerged {
			return Errorf(ECONFLICT, "问题 %s 已经办结，无需签收", c.Number)
		}
		d, err := tx.CaseDepartment(ctx, c.ID, u.DepartmentID)
		if err != nil {
			return err
		}
		if d.AcknowledgedAt != nil {
			return Errorf(ECONFLICT, "本单位已于%s由%s签收，无需重复签收", d.AcknowledgedAt.In(China).Format("1月2日15:04"), d.AcknowledgedBy)
		}
		actor := u.Name + "（" + d.Name + "）"
		won, err := tx.AcknowledgeCase(ctx, c.ID, u.DepartmentID, actor, now)
		if err != nil {
			return err
		}
		if !won {
			return Errorf(ECONFLICT, "本单位刚刚已由他人签收，请刷新页面查看")
		}
		detail := fmt.Sprintf("「%s」签收（%s）", d.Name, d.Role())
		if !d.AckDue.IsZero() && now.After(d.AckDue) {
			detail += "，已超过签收时限"
		}
		return tx.AddCaseEvent(ctx, c.ID, now, EventAcknowledged, actor, detail)
	})
}
