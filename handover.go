package mashang

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Department is a government department cases are handed to (承办单位), at
// some level of the jurisdiction tree.
type Department struct {
	ID   int64
	Name string
	Path string // its jurisdiction, e.g. 青岛市/市南区
}

// Deadline is where a handed-over case stands against its time.
type Deadline struct {
	CaseID      int64
	Number      string
	StationID   int64
	StationName string
	Department  string
	HandedAt    time.Time
	Days        int
	Due         time.Time
	ClosedAt    *time.Time
	PoorRatings int
	Colour      string // as last recorded
	Overdue     bool   // as last recorded: open and past Due
}

// HandoverTx is what handing a case over and closing it need from storage.
type HandoverTx interface {
	CaseForReply(ctx context.Context, number string) (Case, error)
	// DepartmentsFor lists the departments a case may go to: those of its
	// station's jurisdiction and of every level above (分级办理).
	DepartmentsFor(ctx context.Context, caseID int64) ([]Department, error)
	HandOver(ctx context.Context, caseID, departmentID int64, at time.Time, days int, due time.Time) error
	CloseCase(ctx context.Context, caseID int64, at time.Time, colour string) error
	AddCaseEvent(ctx context.Context, caseID int64, at time.Time, kind, actor, detail string) error
	AddStaffAlert(ctx context.Context, stationID, caseID int64, message string, at time.Time) error
	// Deadlines lists the cases whose colour may change: open, and handed
	// over or poorly rated.
	Deadlines(ctx context.Context) ([]Deadline, error)
	// DueOf is the case's deadline (zero: never handed over).
	DueOf(ctx context.Context, caseID int64) (time.Time, error)
	// SetColour changes a case's colour from one to another, if it is still
	// the one: false when another sweep changed it first.
	SetColour(ctx context.Context, caseID int64, from, to string) (bool, error)
	// SetOverdue records whether an open case is past its deadline; the
	// figures count it late from then on.
	SetOverdue(ctx context.Context, caseID int64, overdue bool) error
	// SupervisionRecipients are the bound staff a colour at a station
	// notifies: its secretaries for yellow, the chairs of its level for red.
	SupervisionRecipients(ctx context.Context, stationID int64, colour string) ([]StaffRecipient, error)
	Enqueue(ctx context.Context, item OutboxItem, at time.Time) error
	// MergeCase closes the duplicate as merged into main.
	MergeCase(ctx context.Context, duplicateID, mainID int64, at time.Time) error
	// SetHandlerDeputy records the deputy who took a case; their duty
	// record counts it.
	SetHandlerDeputy(ctx context.Context, caseID, deputyID int64) error
	DutyRecorder
	// SetCaseState sets status and category; leaving "closed" clears the
	// closing time.
	SetCaseState(ctx context.Context, caseID int64, status, category string) error
}

// HandoverStore runs fn in one write transaction.
type HandoverStore interface {
	UpdateHandover(ctx context.Context, fn func(HandoverTx) error) error
}

// Supervision hands cases to departments with a deadline in working days and
// keeps their three colours (三色督办): green on time; yellow near the
// deadline or rated poorly; red overdue or rated poorly twice.
type Supervision struct {
	Store    HandoverStore
	Calendar *WorkCalendar
	NearDays int // working days before the deadline that turn a case yellow
	Now      func() time.Time
	// Notify, with a template, sends yellow to the station's secretaries
	// and red to the chairs of its level, through the outbox; Queued wakes
	// the outbox after a sweep queued any.
	Notify SupervisionNotify
	Queued func()
}

// MaxHandoverDays bounds a deadline: a quarter of a year of working days.
const MaxHandoverDays = 60

func (s *Supervision) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// HandOver gives the case to a department (交办) to answer within days
// working days, and says when that is.
func (s *Supervision) HandOver(ctx context.Context, number, department string, days int, staff, note string) (time.Time, error) {
	department, staff, note = strings.TrimSpace(department), strings.TrimSpace(staff), strings.TrimSpace(note)
	switch {
	case department == "":
		return time.Time{}, Errorf(EINVALID, "请指定承办单位（department）")
	case days < 1 || days > MaxHandoverDays:
		return time.Time{}, Errorf(EINVALID, "办理期限（days）应为 1 到 %d 个工作日", MaxHandoverDays)
	case staff == "":
		return time.Time{}, Errorf(EINVALID, "请说明交办人（staff）")
	case utf8.RuneCountInString(note) > 500:
		return time.Time{}, Errorf(EINVALID, "交办意见（note）不超过500字")
	}
	now := s.now()
	due := s.Calendar.AddWorkingDays(now, days)
	err := s.Store.UpdateHandover(ctx, func(tx HandoverTx) error {
		c, err := tx.CaseForReply(ctx, number)
		if err != nil {
			return err
		}
		if c.Status == CaseClosed || c.Status == CaseHeld {
			return Errorf(ECONFLICT, "问题 %s %s，不能交办", c.Number, map[string]string{CaseClosed: "已办结", CaseHeld: "尚在审核"}[c.Status])
		}
		depts, err := tx.DepartmentsFor(ctx, c.ID)
		if err != nil {
			return err
		}
		var chosen []Department
		names := make([]string, len(depts))
		for i, d := range depts {
			names[i] = d.Path + "/" + d.Name
			if d.Name == department || d.Path+"/"+d.Name == department {
				chosen = append(chosen, d)
			}
		}
		switch {
		case len(chosen) == 0 && len(depts) == 0:
			return Errorf(EINVALID, "「%s」所在辖区还没有承办单位；请先导入承办单位名册", c.StationName)
		case len(chosen) == 0:
			return Errorf(EINVALID, "没有「%s」这个承办单位；可选：%s", department, strings.Join(names, "、"))
		case len(chosen) > 1:
			return Errorf(EINVALID, "「%s」不止一个，请写全路径，如 %s/%s", department, chosen[0].Path, chosen[0].Name)
		}
		d := chosen[0]
		if err := tx.HandOver(ctx, c.ID, d.ID, now, days, due); err != nil {
			return err
		}
		detail := fmt.Sprintf("交「%s」办理，期限%d个工作日，至%s", d.Path+"/"+d.Name, days, due.In(china).Format("2006年1月2日"))
		if err := s.Calendar.Uncovered(now, due); err != nil {
			detail += "（" + err.Error() + "）"
		}
		if note != "" {
			detail += "。交办意见：" + note
		}
		return tx.AddCaseEvent(ctx, c.ID, now, "handed", staff, detail)
	})
	return due, err
}

// Close records a case as handled (办结) with what was done; its colour is
// fixed from then on, by whether it was in time.
func (s *Supervision) Close(ctx context.Context, number, staff, result string) error {
	staff, result = strings.TrimSpace(staff), strings.TrimSpace(result)
	switch {
	case staff == "":
		return Errorf(EINVALID, "请说明办结人（staff）")
	case result == "" || utf8.RuneCountInString(result) > 1000:
		return Errorf(EINVALID, "请写明办理结果（result），不超过1000字")
	}
	now := s.now()
	return s.Store.UpdateHandover(ctx, func(tx HandoverTx) error {
		c, err := tx.CaseForReply(ctx, number)
		if err != nil {
			return err
		}
		if c.Status == CaseClosed {
			return Errorf(ECONFLICT, "问题 %s 已经办结", c.Number)
		}
		due, err := tx.DueOf(ctx, c.ID)
		if err != nil {
			return err
		}
		colour := s.Calendar.Colour(due, now, &now, s.NearDays, c.PoorRatings)
		if err := tx.CloseCase(ctx, c.ID, now, colour); err != nil {
			return err
		}
		if err := recordCaseDuty(ctx, tx, c, DutyClose, now); err != nil {
			return err
		}
		return tx.AddCaseEvent(ctx, c.ID, now, "closed", staff, "办结："+result)
	})
}

// Sweep recolours the cases whose time or ratings moved them, notes each
// change on the timeline and alerts the station's staff: yellow for the
// station secretary to chase, red for the chair of that level.
func (s *Supervision) Sweep(ctx context.Context) (int, error) {
	now := s.now()
	changed, queued := 0, 0
	err := s.Store.UpdateHandover(ctx, func(tx HandoverTx) error {
		changed, queued = 0, 0
		deadlines, err := tx.Deadlines(ctx)
		if err != nil {
			return err
		}
		for _, d := range deadlines {
			if overdue := !d.Due.IsZero() && now.After(d.Due); overdue != d.Overdue {
				if err := tx.SetOverdue(ctx, d.CaseID, overdue); err != nil {
					return err
				}
			}
			colour := s.Calendar.Colour(d.Due, now, d.ClosedAt, s.NearDays, d.PoorRatings)
			if colour == d.Colour {
				continue
			}
			// Another instance may be sweeping at the same time: only the
			// one that changes the colour notes it and tells anyone.
			won, err := tx.SetColour(ctx, d.CaseID, d.Colour, colour)
			if err != nil {
				return err
			}
			if !won {
				continue
			}
			msg := colourNotice(d, colour, now)
			if err := tx.AddCaseEvent(ctx, d.CaseID, now, "colour", "系统", msg); err != nil {
				return err
			}
			if colour != ColourGreen {
				if err := tx.AddStaffAlert(ctx, d.StationID, d.CaseID, msg, now); err != nil {
					return err
				}
				n, err := s.notifyColour(ctx, tx, d, colour, now)
				if err != nil {
					return err
				}
				queued += n
			}
			changed++
		}
		return nil
	})
	if err == nil && queued > 0 && s.Queued != nil {
		s.Queued()
	}
	return changed, err
}

// notifyColour queues the template messages a new colour sends, and notes
// on the timeline who was told (or that nobody could be).
func (s *Supervision) notifyColour(ctx context.Context, tx HandoverTx, d Deadline, colour string, now time.Time) (int, error) {
	if s.Notify.TemplateID == "" {
		return 0, nil
	}
	to, err := tx.SupervisionRecipients(ctx, d.StationID, colour)
	if err != nil {
		return 0, err
	}
	who := map[string]string{ColourYellow: "联络站秘书", ColourRed: "本级人大负责同志"}[colour]
	if len(to) == 0 {
		return 0, tx.AddCaseEvent(ctx, d.CaseID, now, "notify", "系统", fmt.Sprintf("没有已绑定微信的%s，督办提醒未能发出，请在工作台查看。", who))
	}
	names := make([]string, 0, len(to))
	for _, r := range to {
		if err := tx.Enqueue(ctx, s.Notify.notice(d, colour, colourWhy(d, colour, now), r, now), now); err != nil {
			return 0, err
		}
		names = append(names, r.Name)
	}
	return len(to), tx.AddCaseEvent(ctx, d.CaseID, now, "notify", "系统", fmt.Sprintf("督办提醒已发给%s：%s", who, strings.Join(names, "、")))
}

func colourNotice(d Deadline, colour string, now time.Time) string {
	due := ""
	if !d.Due.IsZero() {
		due = fmt.Sprintf("（承办单位「%s」，期限%s）", d.Department, d.Due.In(china).Format("1月2日"))
	}
	switch colour {
	case ColourRed:
		return fmt.Sprintf("问题 %s 亮红灯：%s%s，请本级人大负责同志督办。", d.Number, colourWhy(d, colour, now), due)
	case ColourYellow:
		return fmt.Sprintf("问题 %s 亮黄灯：%s%s，请联络站秘书跟进。", d.Number, colourWhy(d, colour, now), due)
	}
	return fmt.Sprintf("问题 %s 恢复绿灯%s。", d.Number, due)
}

// colourWhy is the reason for a yellow or red light, in a few words.
func colourWhy(d Deadline, colour string, now time.Time) string {
	if colour == ColourRed {
		if d.Due.IsZero() || now.Before(d.Due) {
			return "群众两次不满意"
		}
		return "已超期"
	}
	if d.PoorRatings > 0 && (d.Due.IsZero() || d.ClosedAt != nil) {
		return "群众不满意"
	}
	return "临近期限"
}

// Accept records that staff took a case in hand (受理/定单).
func (s *Supervision) Accept(ctx context.Context, number, staff string) error {
	return s.change(ctx, number, staff, func(c Case) (string, string, string, error) {
		if c.Status != CaseOpen && c.Status != CaseReopened {
			return "", "", "", Errorf(ECONFLICT, "问题 %s 当前「%s」，不需要再受理", c.Number, c.StatusLabel())
		}
		return CaseAccepted, c.Category, "已受理，开始办理", nil
	})
}

// AcceptAsDeputy is a deputy taking a case (定单) from their phone: it is
// theirs to follow from then on, and their duty record says so.
func (s *Supervision) AcceptAsDeputy(ctx context.Context, number string, d Deputy) error {
	now := s.now()
	return s.Store.UpdateHandover(ctx, func(tx HandoverTx) error {
		c, err := tx.CaseForReply(ctx, number)
		if err != nil {
			return err
		}
		if c.Status != CaseOpen && c.Status != CaseReopened {
			return Errorf(ECONFLICT, "问题 %s 当前「%s」，不需要再接单", c.Number, c.StatusLabel())
		}
		if err := tx.SetCaseState(ctx, c.ID, CaseAccepted, c.Category); err != nil {
			return err
		}
		if err := tx.SetHandlerDeputy(ctx, c.ID, d.ID); err != nil {
			return err
		}
		c.ResponsibleDeputyID = d.ID
		if err := recordCaseDuty(ctx, tx, c, DutyAccept, now); err != nil {
			return err
		}
		return tx.AddCaseEvent(ctx, c.ID, now, "accepted", DeputyActor(d), "代表接单，由"+DeputyActor(d)+"跟进办理")
	})
}

// SetCategory files a case under another category.
func (s *Supervision) SetCategory(ctx context.Context, number, category, staff string) error {
	category = strings.TrimSpace(category)
	if category == "" || utf8.RuneCountInString(category) > 64 {
		return Errorf(EINVALID, "请填写分类（category），不超过64字")
	}
	return s.change(ctx, number, staff, func(c Case) (string, string, string, error) {
		if c.Category == category {
			return "", "", "", Errorf(ECONFLICT, "问题 %s 已经是「%s」类", c.Number, category)
		}
		return c.Status, category, fmt.Sprintf("分类由「%s」改为「%s」", orNone(c.Category, "未分类"), category), nil
	})
}

// Reopen takes a closed case back into handling.
func (s *Supervision) Reopen(ctx context.Context, number, staff, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Errorf(EINVALID, "请说明重新办理的原因（reason）")
	}
	return s.change(ctx, number, staff, func(c Case) (string, string, string, error) {
		if c.Status != CaseClosed {
			return "", "", "", Errorf(ECONFLICT, "问题 %s 尚未办结，无需重新打开", c.Number)
		}
		return CaseReopened, c.Category, "重新办理：" + reason, nil
	})
}

// change applies decide's new status and category to the case, with its
// line on the timeline.
func (s *Supervision) change(ctx context.Context, number, staff string, decide func(Case) (status, category, detail string, err error)) error {
	staff = strings.TrimSpace(staff)
	if staff == "" {
		return Errorf(EINVALID, "请说明操作人（staff）")
	}
	now := s.now()
	return s.Store.UpdateHandover(ctx, func(tx HandoverTx) error {
		c, err := tx.CaseForReply(ctx, number)
		if err != nil {
			return err
		}
		status, category, detail, err := decide(c)
		if err != nil {
			return err
		}
		if err := tx.SetCaseState(ctx, c.ID, status, category); err != nil {
			return err
		}
		kind := map[string]string{CaseAccepted: "accepted", CaseReopened: "reopened"}[status]
		if kind == "" || status == c.Status {
			kind = "categorised"
		}
		return tx.AddCaseEvent(ctx, c.ID, now, kind, staff, detail)
	})
}
