package mashang

import (
	"context"
	"fmt"
	"slices"
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
	// FirstResponseDue is when someone must have taken the case (zero:
	// none); Taken says whether a deputy or staff member has (MarkTaken).
	FirstResponseDue time.Time
	Taken            bool
	// AckDue is the earliest time by which a department not yet
	// acknowledging should have (zero: every one has, or none must).
	AckDue time.Time
	// AckLate: the case is yellow only because a department let AckDue
	// pass without acknowledging (set by the sweep).
	AckLate bool
}

// HandoverTx is what handing a case over and closing it need from storage.
type HandoverTx interface {
	CaseForReply(ctx context.Context, number string) (Case, error)
	// WalkinByNumber reads how a case entered for a citizen came
	// (ENOTFOUND: it came through WeChat).
	WalkinByNumber(ctx context.Context, number string) (Case, WalkinRecord, error)
	// DepartmentsFor lists the departments a case may go to: those of its
	// station's jurisdiction and of every level above (分级办理).
	DepartmentsFor(ctx context.Context, caseID int64) ([]Department, error)
	HandOver(ctx context.Context, caseID, departmentID int64, at time.Time, days int, due time.Time) error
	// AssignDepartments replaces the departments a case is handed to: the
	// lead and the co-handling ones, each to acknowledge by ackDue.
	AssignDepartments(ctx context.Context, caseID, lead int64, co []int64, at, ackDue time.Time) error
	// CaseDepartment is one department's part in a case (ENOTFOUND: it
	// has none).
	CaseDepartment(ctx context.Context, caseID, departmentID int64) (CaseDepartment, error)
	// AcknowledgeCase records the department's acknowledgement if none is
	// yet: false when another got there first.
	AcknowledgeCase(ctx context.Context, caseID, departmentID int64, by string, at time.Time) (bool, error)
	// DepartmentRecipients are a department's enabled handlers with their
	// WeChat bound.
	DepartmentRecipients(ctx context.Context, departmentID int64) ([]StaffRecipient, error)
	// DepartmentDuties lists the departments' parts in open handed-over
	// cases, with the timed notices each has had.
	DepartmentDuties(ctx context.Context) ([]DepartmentDuty, error)
	// MarkDepartmentNotice sets a timed notice's mark if not yet set:
	// false when another sweep set it first.
	MarkDepartmentNotice(ctx context.Context, caseID, departmentID int64, kind string, at time.Time) (bool, error)
	// AddDepartmentResult records a department's result and its attachments.
	AddDepartmentResult(ctx context.Context, caseID, departmentID int64, text, author string, at time.Time, files []ResultAttachment) error
	CloseCase(ctx context.Context, caseID int64, at time.Time, colour string) error
	// The suggestions are supervised in the same sweep.
	SuggestionWatchTx
	AddCaseEvent(ctx context.Context, caseID int64, at time.Time, kind EventKind, actor, detail string) error
	AddStaffAlert(ctx context.Context, stationID, caseID int64, message string, at time.Time) error
	// Deadlines lists the cases whose colour may change: open, and handed
	// over, poorly rated, not yet taken with a first-response deadline, or
	// not green.
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
	progressQueuer
	// MergeCase closes the duplicate as merged into main.
	MergeCase(ctx context.Context, duplicateID, mainID int64, at time.Time) error
	// MarkTaken records that a deputy or staff member took the case in
	// hand at at, unless one already had: its first-response deadline no
	// longer counts.
	MarkTaken(ctx context.Context, caseID int64, at time.Time) error
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

// Calendar counts China's working days (*workday.Calendar): deadlines of
// handed-over cases are set in them.
type Calendar interface {
	// AddWorkingDays is the deadline of a case handed over at from with n
	// working days to answer: the end of the n-th working day after it.
	AddWorkingDays(from time.Time, n int) time.Time
	// WorkingDaysBetween counts the working days after a's date up to and
	// including b's date, negative when b is before a.
	WorkingDaysBetween(a, b time.Time) int
	// Uncovered says, in a sentence for staff, which years between a and b
	// the calendar has no holiday table for, or nil.
	Uncovered(a, b time.Time) error
}

// Supervision hands cases to departments with a deadline in working days and
// keeps their three colours (三色督办): green on time; yellow near the
// deadline or rated poorly; red overdue or rated poorly twice.
type Supervision struct {
	Store    HandoverStore
	Calendar Calendar
	NearDays int // working days before the deadline that turn a case yellow
	// FirstResponseDays is the first-response deadline's length (Intake
	// sets the deadline): a case nobody took turns red that many working
	// days after it. 0: DefaultFirstResponseDays.
	FirstResponseDays int
	Now               func() time.Time
	// Notify, with a template, sends yellow to the station's secretaries
	// and red to the chairs of its level, through the outbox; Queued wakes
	// the outbox after a sweep queued any.
	Notify SupervisionNotify
	Queued func()
	// Files keeps the attachments of departments' results.
	Files MediaFiles
	// Progress tells the citizen each step that matters to them: taken,
	// handed over, closed, reopened.
	Progress ProgressConfig
}

// queued wakes the outbox after a step that told the citizen.
func (s *Supervision) queued(err error) error {
	if err == nil && s.Queued != nil {
		s.Queued()
	}
	return err
}

// The three colours of chasing (三色督办).
const (
	ColourGreen  = "green"  // on time
	ColourYellow = "yellow" // near the deadline, or rated poorly once: the station secretary chases
	ColourRed    = "red"    // overdue, or rated poorly twice: the chair of that level chases
)

// Colour is a handed-over case's colour at now:
//   - red when it is past its deadline (closed after it, or still open at
//     now), or when it has been rated poorly twice or more;
//   - yellow when it is open and no more than NearDays working days are left
//     after today (WorkingDaysBetween(now, deadline) <= NearDays; with 0,
//     only on the deadline's own day; negative never), or when it has been
//     rated poorly once;
//   - green otherwise.
//
// closedAt is when it was closed, nil while open: a case closed on or before
// its deadline stays green as time passes, a case closed late stays red.
// Poor ratings count whether or not it is closed: they are part of the
// record. A zero deadline (not handed over yet) leaves only the ratings.
func (s *Supervision) Colour(deadline, now time.Time, closedAt *time.Time, poorRatings int) string {
	colour := ColourGreen
	switch {
	case deadline.IsZero():
	case closedAt != nil:
		if closedAt.After(deadline) {
			colour = ColourRed
		}
	case now.After(deadline):
		colour = ColourRed
	case s.Calendar.WorkingDaysBetween(now, deadline) <= s.NearDays:
		colour = ColourYellow
	}
	switch {
	case poorRatings >= 2:
		return ColourRed
	case poorRatings == 1 && colour == ColourGreen:
		return ColourYellow
	}
	return colour
}

// DefaultFirstResponseDays is how many working days a new case may wait
// for a deputy or staff member to take it (MASHANG_FIRST_RESPONSE_DAYS).
const DefaultFirstResponseDays = 2

// colourOf is a case's colour at now, as the sweep sets it: its hand-over
// colour (Colour), or, while nobody has taken it, the worse of that and its
// first-response colour: yellow once its first-response deadline has
// passed, red once as many working days again have passed. Taking a case
// (accepting, handing over, answering, closing) ends the first-response
// deadline, so the colours keep their meaning after hand-over.
func (s *Supervision) colourOf(d Deadline, now time.Time) string {
	colour := s.Colour(d.Due, now, d.ClosedAt, d.PoorRatings)
	if d.Taken || d.FirstResponseDue.IsZero() || d.ClosedAt != nil {
		return colour
	}
	n := s.FirstResponseDays
	if n < 1 {
		n = DefaultFirstResponseDays
	}
	switch {
	case now.After(s.Calendar.AddWorkingDays(d.FirstResponseDue, n)):
		return ColourRed
	case now.After(d.FirstResponseDue) && colour == ColourGreen:
		return ColourYellow
	}
	return colour
}

// untaken says whether d's colour is that of a case nobody took in time.
func untaken(d Deadline, now time.Time) bool {
	return !d.Taken && !d.FirstResponseDue.IsZero() && d.ClosedAt == nil && now.After(d.FirstResponseDue)
}

// MaxHandoverDays bounds a deadline: a quarter of a year of working days.
const MaxHandoverDays = 60

func (s *Supervision) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// HandOver gives the case to a lead department (主办) and any co-handling
// ones (协办) to answer within days working days, tells each department's
// bound handlers, and says when the deadline is.
func (s *Supervision) HandOver(ctx context.Context, number, department string, co []string, days int, staff, note string) (time.Time, error) {
	department, staff, note = strings.TrimSpace(department), strings.TrimSpace(staff), strings.TrimSpace(note)
	switch {
	case department == "":
		return time.Time{}, Errorf(EINVALID, "请指定主办单位（department）")
	case days < 1 || days > MaxHandoverDays:
		return time.Time{}, Errorf(EINVALID, "办理期限（days）应为 1 到 %d 个工作日", MaxHandoverDays)
	case staff == "":
		return time.Time{}, Errorf(EINVALID, "请说明交办人（staff）")
	case utf8.RuneCountInString(note) > 500:
		return time.Time{}, Errorf(EINVALID, "交办意见（note）不超过500字")
	case len(co) > 10:
		return time.Time{}, Errorf(EINVALID, "协办单位不超过10个")
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
		d, err := ChooseDepartment(depts, department, c.StationName)
		if err != nil {
			return err
		}
		chosen := []Department{d}
		var coIDs []int64
		for _, name := range co {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			o, err := ChooseDepartment(depts, name, c.StationName)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(chosen, func(x Department) bool { return x.ID == o.ID }) {
				return Errorf(EINVALID, "「%s」重复：主办和协办单位各只写一次", o.Name)
			}
			chosen, coIDs = append(chosen, o), append(coIDs, o.ID)
		}
		if err := tx.HandOver(ctx, c.ID, d.ID, now, days, due); err != nil {
			return err
		}
		if err := tx.MarkTaken(ctx, c.ID, now); err != nil {
			return err
		}
		if err := tx.AssignDepartments(ctx, c.ID, d.ID, coIDs, now, s.Calendar.AddWorkingDays(now, ackWithin)); err != nil {
			return err
		}
		detail := fmt.Sprintf("交「%s」办理", d.Path+"/"+d.Name)
		if len(chosen) > 1 {
			names := make([]string, 0, len(chosen)-1)
			for _, o := range chosen[1:] {
				names = append(names, "「"+o.Path+"/"+o.Name+"」")
			}
			detail = fmt.Sprintf("交「%s」主办，%s协办", d.Path+"/"+d.Name, strings.Join(names, "、"))
		}
		detail += fmt.Sprintf("，期限%d个工作日，至%s", days, due.In(China).Format("2006年1月2日"))
		if err := s.Calendar.Uncovered(now, due); err != nil {
			detail += "（" + err.Error() + "）"
		}
		if note != "" {
			detail += "。交办意见：" + note
		}
		if err := tx.AddCaseEvent(ctx, c.ID, now, EventHanded, staff, detail); err != nil {
			return err
		}
		for i, o := range chosen {
			if _, err := s.notifyDepartment(ctx, tx, c.ID, c.Number, c.StationName, o.Name, o.ID,
				"新交办："+CaseDepartment{Lead: i == 0}.Role()+"，请点开签收", due, now); err != nil {
				return err
			}
		}
		return s.Progress.tell(ctx, tx, c, CaseHanded,
			fmt.Sprintf("已交「%s」办理，答复期限至%s", d.Name, due.In(China).Format("2006年1月2日")), now)
	})
	return due, s.queued(err)
}

// ChooseDepartment finds the one department of depts that name (its name,
// or its full path) means, or says why none: the one way a department is
// named, in a hand-over, the inbox's filter and the problem list. where
// names what depts are the departments of, for the message when there
// are none.
func ChooseDepartment(depts []Department, name, where string) (Department, error) {
	var chosen []Department
	names := make([]string, len(depts))
	for i, d := range depts {
		names[i] = d.Path + "/" + d.Name
		if d.Name == name || d.Path+"/"+d.Name == name {
			chosen = append(chosen, d)
		}
	}
	switch {
	case len(chosen) == 0 && len(depts) == 0:
		return Department{}, Errorf(EINVALID, "「%s」所在辖区还没有承办单位；请先导入承办单位名册", where)
	case len(chosen) == 0:
		return Department{}, Errorf(EINVALID, "没有「%s」这个承办单位；可选：%s", name, strings.Join(names, "、"))
	case len(chosen) > 1:
		return Department{}, Errorf(EINVALID, "「%s」不止一个，请写全路径，如 %s/%s", name, chosen[0].Path, chosen[0].Name)
	}
	return chosen[0], nil
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
	return s.queued(s.Store.UpdateHandover(ctx, func(tx HandoverTx) error {
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
		colour := s.Colour(due, now, &now, c.PoorRatings)
		if err := tx.CloseCase(ctx, c.ID, now, colour); err != nil {
			return err
		}
		if err := tx.MarkTaken(ctx, c.ID, now); err != nil {
			return err
		}
		if err := recordCaseDuty(ctx, tx, c, DutyClose, now); err != nil {
			return err
		}
		if err := tx.AddCaseEvent(ctx, c.ID, now, EventClosed, staff, "办结："+result); err != nil {
			return err
		}
		return s.Progress.tellAsking(ctx, tx, c, CaseClosed, "已办结。办理结果："+result, RatingQuestion, now)
	}))
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
		duties, err := tx.DepartmentDuties(ctx)
		if err != nil {
			return err
		}
		unacknowledged := ackDues(duties)
		for _, d := range deadlines {
			d.AckDue = unacknowledged[d.CaseID]
			if overdue := !d.Due.IsZero() && now.After(d.Due); overdue != d.Overdue {
				if err := tx.SetOverdue(ctx, d.CaseID, overdue); err != nil {
					return err
				}
			}
			colour := s.colourOf(d, now)
			// A department that lets a working day pass without
			// acknowledging turns the case yellow: the secretary chases.
			if colour == ColourGreen && !d.AckDue.IsZero() && now.After(d.AckDue) {
				colour, d.AckLate = ColourYellow, true
			}
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
			if err := tx.AddCaseEvent(ctx, d.CaseID, now, EventColour, "系统", msg); err != nil {
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
		n, err := s.sweepDepartments(ctx, tx, duties, now)
		queued += n
		if err != nil {
			return err
		}
		recoloured, n, err := s.sweepSuggestions(ctx, tx, now)
		changed, queued = changed+recoloured, queued+n
		return err
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
		return 0, tx.AddCaseEvent(ctx, d.CaseID, now, EventNotify, "系统", fmt.Sprintf("没有已绑定微信的%s，督办提醒未能发出，请在工作台查看。", who))
	}
	names := make([]string, 0, len(to))
	for _, r := range to {
		if err := tx.Enqueue(ctx, s.Notify.notice(d, colour, colourWhy(d, colour, now), r, now), now); err != nil {
			return 0, err
		}
		names = append(names, r.Name)
	}
	return len(to), tx.AddCaseEvent(ctx, d.CaseID, now, EventNotify, "系统", fmt.Sprintf("督办提醒已发给%s：%s", who, strings.Join(names, "、")))
}

func colourNotice(d Deadline, colour string, now time.Time) string {
	due := ""
	switch {
	case !d.Due.IsZero():
		due = fmt.Sprintf("（承办单位「%s」，期限%s）", d.Department, d.Due.In(China).Format("1月2日"))
	case untaken(d, now):
		due = fmt.Sprintf("（首次响应期限%s）", d.FirstResponseDue.In(China).Format("1月2日"))
	case d.Taken && !d.FirstResponseDue.IsZero() && colour == ColourGreen: // green again: taken at last
		due = "（已有代表或工作人员接手）"
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
	if untaken(d, now) && d.PoorRatings == 0 && (d.Due.IsZero() || now.Before(d.Due)) {
		if colour == ColourRed {
			return "超过首次响应期限许久仍无人接手"
		}
		return "超过首次响应期限仍无人接手"
	}
	if colour == ColourRed {
		if d.Due.IsZero() || now.Before(d.Due) {
			return "群众两次不满意"
		}
		return "已超期"
	}
	if d.AckLate {
		return "承办单位逾期未签收"
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
	return s.queued(s.Store.UpdateHandover(ctx, func(tx HandoverTx) error {
		c, err := tx.CaseForReply(ctx, number)
		if err != nil {
			return err
		}
		if c.Status != CaseOpen && c.Status != CaseReopened {
			return Errorf(ECONFLICT, "问题 %s 当前「%s」，不需要再接单", c.Number, c.StatusLabel())
		}
		if relayer, err := relayedBy(ctx, tx, c); err != nil {
			return err
		} else if relayer == d.ID && c.Status == CaseOpen {
			return Errorf(ECONFLICT, "问题 %s 是您转来的，请等工作人员受理：受理后计入您的履职积分，您再跟进办理。", c.Number)
		}
		if err := tx.SetCaseState(ctx, c.ID, CaseAccepted, c.Category); err != nil {
			return err
		}
		if err := tx.SetHandlerDeputy(ctx, c.ID, d.ID); err != nil {
			return err
		}
		if err := tx.MarkTaken(ctx, c.ID, now); err != nil {
			return err
		}
		c.ResponsibleDeputyID = d.ID
		if err := recordCaseDuty(ctx, tx, c, DutyAccept, now); err != nil {
			return err
		}
		if err := tx.AddCaseEvent(ctx, c.ID, now, EventAccepted, DeputyActor(d), "代表接单，由"+DeputyActor(d)+"跟进办理"); err != nil {
			return err
		}
		return s.Progress.tell(ctx, tx, c, CaseAccepted, DeputyActor(d)+"已接单，将跟进办理", now)
	}))
}

// relayedBy is the deputy who passed the case on (代表转来), or 0.
func relayedBy(ctx context.Context, tx HandoverTx, c Case) (int64, error) {
	_, w, err := tx.WalkinByNumber(ctx, c.Number)
	if ErrorCode(err) == ENOTFOUND {
		return 0, nil
	} else if err != nil || w.Channel != ChannelDeputy {
		return 0, err
	}
	var id int64
	if _, err := fmt.Sscanf(w.EnteredBy, "deputy:%d", &id); err != nil {
		return 0, nil // entered by staff for a deputy: nobody relayed it
	}
	return id, nil
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
	return s.queued(s.Store.UpdateHandover(ctx, func(tx HandoverTx) error {
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
		if status == CaseAccepted {
			if err := tx.MarkTaken(ctx, c.ID, now); err != nil {
				return err
			}
			// A deputy's passed-on matter earns them points once staff
			// have judged it a case worth taking.
			if relayer, err := relayedBy(ctx, tx, c); err != nil {
				return err
			} else if relayer != 0 {
				if err := recordDuty(ctx, tx, DutyEntry{DeputyID: relayer, Action: DutyRelay, CaseID: c.ID, At: now,
					Detail: fmt.Sprintf("转来问题 %s（%s），经工作人员受理", c.Number, c.StationName)}); err != nil {
					return err
				}
			}
		}
		kind := map[string]EventKind{CaseAccepted: EventAccepted, CaseReopened: EventReopened}[status]
		if kind == "" || status == c.Status {
			kind = EventCategorised
		}
		if err := tx.AddCaseEvent(ctx, c.ID, now, kind, staff, detail); err != nil {
			return err
		}
		// The citizen hears that it was taken or reopened, not a category.
		if step := map[EventKind]string{EventAccepted: "已受理，正在办理", EventReopened: detail}[kind]; step != "" {
			return s.Progress.tell(ctx, tx, c, status, step, now)
		}
		return nil
	}))
}

// BoardRow is one station's open cases by colour, on the supervision board.
type BoardRow struct {
	StationCode, StationName string
	Green, Yellow, Red       int
	// Untaken counts the yellow and red ones that are so because no deputy
	// or staff member took them by their first-response deadline.
	Untaken int
}

// StaffRecipient is a staff member a supervision notice goes to.
type StaffRecipient struct {
	UserID int64
	Name   string
	OpenID string
}

// SupervisionNotify says which template message carries a yellow or red
// light and which of its fields (the template's own keys) take what.
type SupervisionNotify struct {
	TemplateID    string
	NumberField   string
	StationField  string
	ColourField   string // e.g. "黄灯：临近期限"
	DeadlineField string
	CaseURL       func(number string) string
	// DepartmentCaseURL is the page a department's handler opens from a
	// notice to their department: their phone page of the case (/h/),
	// signed in silently by WeChat (nil: CaseURL).
	DepartmentCaseURL func(number string) string
	// SuggestionURL is a suggestion's console page, for staff's lights;
	// BodySuggestionURL a body's handler's page of it (/h/). Nil: no link.
	SuggestionURL, BodySuggestionURL func(id int64) string
}

// notice builds the template message for one staff member.
func (n SupervisionNotify) notice(d Deadline, colour, why string, r StaffRecipient, at time.Time) OutboxItem {
	light := map[string]string{ColourYellow: "黄灯", ColourRed: "红灯"}[colour]
	due := d.Due
	if due.IsZero() && untaken(d, at) {
		due = d.FirstResponseDue // the first response's
	}
	url := ""
	if n.CaseURL != nil {
		url = n.CaseURL(d.Number)
	}
	return n.item(d.Number, d.StationName, light+"："+why, due, url, d.CaseID, r, fmt.Sprintf("colour-%s-%s-u%d-%d", d.Number, colour, r.UserID, at.Unix()))
}

// Merge closes a duplicate (合并重复问题) into the main case that answers
// for it: the same problem raised by another citizen, or twice. The
// duplicate's citizen keeps their own number, which leads to the main case's
// progress, and every later answer to the main case reaches them too; they
// never see the other citizen's messages.
func (s *Supervision) Merge(ctx context.Context, duplicate, main, staff string) error {
	main = strings.TrimSpace(main)
	switch {
	case strings.TrimSpace(staff) == "":
		return Errorf(EINVALID, "请说明操作人")
	case main == "":
		return Errorf(EINVALID, "请填写主问题的编号")
	case main == duplicate:
		return Errorf(EINVALID, "不能把问题 %s 合并到它自己", duplicate)
	}
	now := s.now()
	return s.Store.UpdateHandover(ctx, func(tx HandoverTx) error {
		dup, err := tx.CaseForReply(ctx, duplicate)
		if err != nil {
			return err
		}
		into, err := tx.CaseForReply(ctx, main)
		if ErrorCode(err) == ENOTFOUND {
			return Errorf(EINVALID, "没有编号为 %s 的问题，请核对主问题的编号", main)
		} else if err != nil {
			return err
		}
		switch {
		case dup.Status == CaseMerged:
			return Errorf(ECONFLICT, "问题 %s 已并入 %s", dup.Number, dup.MergedInto)
		case dup.Status == CaseClosed:
			return Errorf(ECONFLICT, "问题 %s 已经办结，不需要合并", dup.Number)
		case into.Status == CaseMerged:
			return Errorf(EINVALID, "问题 %s 本身已并入 %s，请合并到 %s", into.Number, into.MergedInto, into.MergedInto)
		case into.Status == CaseHeld:
			return Errorf(EINVALID, "问题 %s 还在审核中，不能作为主问题", into.Number)
		}
		if err := tx.MergeCase(ctx, dup.ID, into.ID, now); err != nil {
			return err
		}
		if err := tx.MarkTaken(ctx, dup.ID, now); err != nil {
			return err
		}
		if err := tx.AddCaseEvent(ctx, dup.ID, now, EventMerged, staff,
			fmt.Sprintf("与其他群众反映的同一问题合并办理，并入问题 %s；办理进展和答复以 %s 为准，也会发给您。", into.Number, into.Number)); err != nil {
			return err
		}
		return tx.AddCaseEvent(ctx, into.ID, now, EventMergedIn, staff,
			fmt.Sprintf("并入重复问题 %s（%s）；今后的答复也会发给该问题的群众。", dup.Number, dup.StationName))
	})
}

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
	return s.onOpenCase(ctx, number, func(tx HandoverTx, c Case, now time.Time) error {
		if err := tx.AddCaseEvent(ctx, c.ID, now, EventDraft, actor, text); err != nil {
			return err
		}
		if err := recordDuty(ctx, tx, DutyEntry{DeputyID: d.ID, Action: DutyReply, CaseID: c.ID, At: now,
			Detail: fmt.Sprintf("为问题 %s 拟写答复", c.Number)}); err != nil {
			return err
		}
		return tx.AddStaffAlert(ctx, c.StationID, c.ID, fmt.Sprintf("%s为问题 %s 拟写了答复，请审核后发给群众。", actor, c.Number), now)
	})
}

// ReportSolved records a deputy's word that a case is solved, with what was
// done, and asks the station's staff to confirm it. A deputy does not close
// a case on their own word: staff close it (Close), and only then does
// closing count in the deputy's duty record.
func (s *Supervision) ReportSolved(ctx context.Context, number string, d Deputy, result string) error {
	actor := DeputyActor(d)
	result = strings.TrimSpace(result)
	if result == "" || utf8.RuneCountInString(result) > 1000 {
		return Errorf(EINVALID, "请写明办理结果，不超过1000字")
	}
	return s.onOpenCase(ctx, number, func(tx HandoverTx, c Case, now time.Time) error {
		if err := tx.AddCaseEvent(ctx, c.ID, now, EventSolvedReport, actor, "报告已办结："+result); err != nil {
			return err
		}
		return tx.AddStaffAlert(ctx, c.StationID, c.ID, fmt.Sprintf("%s报告问题 %s 已办结：%s。请核实后在工作台办结。", actor, c.Number, result), now)
	})
}

// onOpenCase runs a deputy's act on a case not yet closed, in one
// transaction.
func (s *Supervision) onOpenCase(ctx context.Context, number string, act func(tx HandoverTx, c Case, now time.Time) error) error {
	now := s.now()
	return s.Store.UpdateHandover(ctx, func(tx HandoverTx) error {
		c, err := tx.CaseForReply(ctx, number)
		if err != nil {
			return err
		}
		if c.Status == CaseClosed || c.Status == CaseMerged {
			return Errorf(ECONFLICT, "问题 %s 已经办结", c.Number)
		}
		return act(tx, c, now)
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
