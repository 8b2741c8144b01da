package mashang

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// How a suggestion moves (提、交、办、复、评): every step one write
// transaction, with its line of history, the notices it sends through the
// outbox (the supervision template, as cases' notices to departments) and,
// through the context, the audit line of whoever did it.

// SuggestionTx is what a suggestion's step needs from storage, in one
// transaction.
type SuggestionTx interface {
	// Suggestion reads one with its signers, cases and bodies, locked
	// for the transaction (ENOTFOUND: none).
	Suggestion(ctx context.Context, id int64) (Suggestion, error)
	AddSuggestion(ctx context.Context, s *Suggestion) error
	// SaveSuggestion writes the suggestion's own columns as s holds them.
	SaveSuggestion(ctx context.Context, s Suggestion) error
	// SetSuggestionCases replaces the cases it was raised from.
	SetSuggestionCases(ctx context.Context, suggestionID int64, caseIDs []int64) error
	// AddSigner invites a co-signer, or credits a merged-in deputy as
	// confirmed (merged); a deputy already there is left as they are.
	AddSigner(ctx context.Context, suggestionID, deputyID int64, at time.Time, merged bool) error
	RemoveSigner(ctx context.Context, suggestionID, deputyID int64) error
	// AnswerInvitation records a co-signer's yes or no, once (false: it
	// was answered already).
	AnswerInvitation(ctx context.Context, suggestionID, deputyID int64, confirm bool, at time.Time) (bool, error)
	AddSuggestionBody(ctx context.Context, suggestionID int64, b SuggestionBody) error
	// AcknowledgeSuggestion marks a body's acknowledgement, once (false:
	// someone was first).
	AcknowledgeSuggestion(ctx context.Context, suggestionID, departmentID int64, actor string, at time.Time) (bool, error)
	AddContact(ctx context.Context, suggestionID int64, c Contact) error
	Contacts(ctx context.Context, suggestionID int64) ([]Contact, error)
	AddAnswer(ctx context.Context, suggestionID int64, a *Answer) error
	Answers(ctx context.Context, suggestionID int64) ([]Answer, error)
	AddSuggestionFiles(ctx context.Context, suggestionID, answerID int64, files []ResultAttachment, at time.Time) error
	AddEvaluation(ctx context.Context, suggestionID int64, e Evaluation) error
	AddSuggestionEvent(ctx context.Context, suggestionID int64, at time.Time, kind EventKind, actor, detail string) error
	// SessionAt is the congress session going on at, nil between sessions.
	SessionAt(ctx context.Context, at time.Time) (*CongressSession, error)
	AnswerCategories(ctx context.Context) ([]AnswerCategory, error)
	// DeputyByCode is a deputy, in office or not (ENOTFOUND: none).
	DeputyByCode(ctx context.Context, code string) (Deputy, error)
	// DeputyOpenID is the deputy's bound WeChat ("" none).
	DeputyOpenID(ctx context.Context, deputyID int64) (string, error)
	// TakenCases are the IDs of the cases of numbers the deputy took or
	// answers for; a number not theirs is ENOTFOUND, saying which.
	TakenCases(ctx context.Context, deputyID int64, numbers []string) ([]int64, error)
	// DepartmentsOfStation are the departments of the station's
	// jurisdiction and the levels above it, the nearest first.
	DepartmentsOfStation(ctx context.Context, stationID int64) ([]Department, error)
	// DuePromises are the suggestions answered with a promised date now
	// past whose lead body was not yet asked again.
	DuePromises(ctx context.Context, now time.Time) ([]Suggestion, error)
	// MarkPromiseAsked is the compare-and-set mark of asking (false:
	// another sweep did).
	MarkPromiseAsked(ctx context.Context, suggestionID int64, at time.Time) (bool, error)
	departmentNotifier
	// ClearSuggestionNotices forgets the bodies' timed reminders (a new
	// round, a new deadline).
	ClearSuggestionNotices(ctx context.Context, id int64) error
	// Accepted suggestions land in their deputies' duty records.
	DutyRecorder
}

// SuggestionStore runs fn in one write transaction (*store.DB).
type SuggestionStore interface {
	UpdateSuggestions(ctx context.Context, fn func(SuggestionTx) error) error
}

// Suggestions is the congress's handling of deputies' suggestions.
type Suggestions struct {
	Store    SuggestionStore
	Calendar Calendar
	// Notify is the supervision template: its number field carries the
	// suggestion's number, its station field the title, its light field
	// what happened, its deadline field the deadline. No template: nobody
	// is told.
	Notify SupervisionNotify
	// DeputyURL and BodyURL are the phone pages a notice opens: the
	// deputy's (/d/suggestions/…) and the body's handlers' (/h/…).
	DeputyURL, BodyURL func(id int64) string
	// RedoMonths is how long the bodies have to answer again after 不满意
	// (0: DefaultRedoMonths).
	RedoMonths int
	// Files keeps the scans and answer letters.
	Files  MediaFiles
	Now    func() time.Time
	Queued func()
}

func (s *Suggestions) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Suggestions) update(ctx context.Context, fn func(SuggestionTx) error) error {
	err := s.Store.UpdateSuggestions(ctx, fn)
	if err == nil && s.Queued != nil && s.Notify.TemplateID != "" {
		s.Queued()
	}
	return err
}

// SuggestionInput is what a deputy writes, or staff copy from paper.
type SuggestionInput struct {
	Title, Matter, Proposal, Category string
	CaseNumbers                       []string // cases the deputy took
	Signers                           []string // co-signers' deputy codes
}

// Limits of a suggestion's text.
const (
	MaxSuggestionTitle = 60
	MaxSuggestionText  = 5000
	MaxSuggestionCases = 20
	MaxSigners         = 30
	MaxSuggestionNote  = 500
)

func (in *SuggestionInput) check() error {
	in.Title, in.Matter, in.Proposal, in.Category = strings.TrimSpace(in.Title), strings.TrimSpace(in.Matter), strings.TrimSpace(in.Proposal), strings.TrimSpace(in.Category)
	switch {
	case in.Title == "" || utf8.RuneCountInString(in.Title) > MaxSuggestionTitle:
		return Errorf(EINVALID, "请填写建议标题（不超过%d字，一事一议）", MaxSuggestionTitle)
	case utf8.RuneCountInString(in.Matter) > MaxSuggestionText || utf8.RuneCountInString(in.Proposal) > MaxSuggestionText:
		return Errorf(EINVALID, "情况和建议各不超过%d字", MaxSuggestionText)
	case in.Category != "" && !slices.Contains(SuggestionCategories, in.Category):
		return Errorf(EINVALID, "请从列表中选择建议的类别")
	case len(in.CaseNumbers) > MaxSuggestionCases:
		return Errorf(EINVALID, "一件建议最多关联%d个群众问题", MaxSuggestionCases)
	case len(in.Signers) > MaxSigners:
		return Errorf(EINVALID, "联名代表最多%d位", MaxSigners)
	}
	return nil
}

// complete says what a suggestion still lacks to be submitted.
func (s Suggestion) complete() error {
	switch {
	case s.Matter == "":
		return Errorf(EINVALID, "请写明情况（案由），再提交")
	case s.Proposal == "":
		return Errorf(EINVALID, "请写明具体建议，再提交")
	case s.Category == "":
		return Errorf(EINVALID, "请选择建议的类别，再提交")
	}
	for _, g := range s.Signers {
		if g.Pending() {
			return Errorf(ECONFLICT, "%s代表还没有确认联名：请等其确认（或去掉）后再提交", g.Name)
		}
	}
	return nil
}

func clean(list []string) []string {
	var out []string
	for _, x := range list {
		if x = strings.TrimSpace(x); x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// Label names it for people: its number once accepted, else its title.
func (s Suggestion) Label() string {
	if s.Number != "" {
		return "建议" + s.Number
	}
	return "建议「" + s.Title + "」"
}

// Save writes a deputy's draft (id 0: a new one) or their revision of a
// returned suggestion: the text, the cases they took it from, and the
// co-signers to invite (each told on their phone; one left out is
// removed unless they confirmed already). It gives the suggestion's ID.
func (s *Suggestions) Save(ctx context.Context, dep Deputy, id int64, in SuggestionInput) (int64, error) {
	if err := in.check(); err != nil {
		return 0, err
	}
	now := s.now()
	err := s.update(ctx, func(tx SuggestionTx) error {
		var sg Suggestion
		if id == 0 {
			sg = Suggestion{DeputyID: dep.ID, Status: SuggestionDraft, CreatedAt: now, Round: 1}
		} else {
			var err error
			if sg, err = s.lead(ctx, tx, id, dep); err != nil {
				return err
			}
			if !sg.Status.Editable() {
				return Errorf(ECONFLICT, "%s%s，不能再修改", sg.Label(), sg.Status.Label())
			}
		}
		sg.Title, sg.Matter, sg.Proposal, sg.Category, sg.UpdatedAt = in.Title, in.Matter, in.Proposal, in.Category, now
		caseIDs, err := tx.TakenCases(ctx, dep.ID, clean(in.CaseNumbers))
		if err != nil {
			return err
		}
		if id == 0 {
			if err := tx.AddSuggestion(ctx, &sg); err != nil {
				return err
			}
			if err := tx.AddSuggestionEvent(ctx, sg.ID, now, EventSgCreated, dep.Name, "起草建议「"+sg.Title+"」"); err != nil {
				return err
			}
		} else if err := tx.SaveSuggestion(ctx, sg); err != nil {
			return err
		}
		id = sg.ID
		if err := tx.SetSuggestionCases(ctx, sg.ID, caseIDs); err != nil {
			return err
		}
		return s.invite(ctx, tx, sg, dep, clean(in.Signers), now)
	})
	return id, err
}

// invite brings the co-signers to codes: new ones invited and told, those
// left out removed unless they confirmed.
func (s *Suggestions) invite(ctx context.Context, tx SuggestionTx, sg Suggestion, dep Deputy, codes []string, now time.Time) error {
	var invited []string
	want := map[int64]bool{}
	for _, code := range codes {
		d, err := tx.DeputyByCode(ctx, code)
		if err == nil && !d.InOffice {
			err = Errorf(ENOTFOUND, "not in office")
		}
		if err != nil {
			if ErrorCode(err) == ENOTFOUND {
				return Errorf(EINVALID, "没有找到编码为「%s」的在任代表，请核对联名代表的编码", code)
			}
			return err
		}
		if d.ID == dep.ID {
			return Errorf(EINVALID, "领衔代表不必再联名，请去掉自己的编码")
		}
		want[d.ID] = true
		if slices.ContainsFunc(sg.Signers, func(g Signer) bool { return g.DeputyID == d.ID }) {
			continue
		}
		if err := tx.AddSigner(ctx, sg.ID, d.ID, now, false); err != nil {
			return err
		}
		invited = append(invited, d.Name)
		if err := s.tellDeputy(ctx, tx, sg, d.ID, "邀请您联名，请点开确认", "invite", now); err != nil {
			return err
		}
	}
	for _, g := range sg.Signers {
		if !want[g.DeputyID] && !g.Confirmed() && !g.Merged {
			if err := tx.RemoveSigner(ctx, sg.ID, g.DeputyID); err != nil {
				return err
			}
		}
	}
	if len(invited) == 0 {
		return nil
	}
	return tx.AddSuggestionEvent(ctx, sg.ID, now, EventSgInvited, dep.Name, "邀请联名："+strings.Join(invited, "、"))
}

// lead reads a suggestion the deputy leads (ENOTFOUND otherwise: a
// co-signer reads it but does not change it).
func (s *Suggestions) lead(ctx context.Context, tx SuggestionTx, id int64, dep Deputy) (Suggestion, error) {
	sg, err := tx.Suggestion(ctx, id)
	if err != nil {
		return sg, err
	}
	if sg.DeputyID != dep.ID {
		return sg, Errorf(ENOTFOUND, "没有找到这件建议")
	}
	return sg, nil
}

// Sign is a co-signer's answer to an invitation: confirm (联名) or decline.
func (s *Suggestions) Sign(ctx context.Context, dep Deputy, id int64, confirm bool) error {
	now := s.now()
	return s.update(ctx, func(tx SuggestionTx) error {
		sg, err := tx.Suggestion(ctx, id)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(sg.Signers, func(g Signer) bool { return g.DeputyID == dep.ID }) {
			return Errorf(ENOTFOUND, "没有找到这件建议")
		}
		if !sg.Status.Editable() {
			return Errorf(ECONFLICT, "%s已经提交，不能再更改联名", sg.Label())
		}
		won, err := tx.AnswerInvitation(ctx, sg.ID, dep.ID, confirm, now)
		if err != nil {
			return err
		}
		if !won {
			return Errorf(ECONFLICT, "您已经答复过这次联名邀请")
		}
		what := "同意联名"
		if !confirm {
			what = "不参加联名"
		}
		if err := tx.AddSuggestionEvent(ctx, sg.ID, now, EventSgSigned, dep.Name, what); err != nil {
			return err
		}
		return s.tellDeputy(ctx, tx, sg, sg.DeputyID, dep.Name+"代表"+what, "sign", now)
	})
}

// Submit hands a complete draft (or a revision) to the office. One
// submitted during a congress session carries it; between sessions it is
// due to be handed over within five working days of its first receipt.
func (s *Suggestions) Submit(ctx context.Context, dep Deputy, id int64) error {
	now := s.now()
	return s.update(ctx, func(tx SuggestionTx) error {
		sg, err := s.lead(ctx, tx, id, dep)
		if err != nil {
			return err
		}
		if !sg.Status.Editable() {
			return Errorf(ECONFLICT, "%s%s，不能再提交", sg.Label(), sg.Status.Label())
		}
		if err := sg.complete(); err != nil {
			return err
		}
		detail := "提交建议"
		if sg.Status == SuggestionReturned {
			detail = "修改后重新提交"
		}
		if err := s.receive(ctx, tx, &sg, now); err != nil {
			return err
		}
		if err := tx.SaveSuggestion(ctx, sg); err != nil {
			return err
		}
		return tx.AddSuggestionEvent(ctx, sg.ID, now, EventSgSubmitted, dep.Name, detail+s.receivedNote(sg))
	})
}

// receive marks a suggestion submitted now: its session, or between
// sessions its hand-over deadline from its first receipt.
func (s *Suggestions) receive(ctx context.Context, tx SuggestionTx, sg *Suggestion, now time.Time) error {
	sg.Status, sg.SubmittedAt, sg.UpdatedAt, sg.Reason = SuggestionSubmitted, &now, now, ""
	if sg.ReceivedAt == nil {
		sg.ReceivedAt = &now
		session, err := tx.SessionAt(ctx, now)
		if err != nil {
			return err
		}
		sg.Session = session
		if session == nil {
			sg.HandoverDue = s.Calendar.AddWorkingDays(now, HandoverWorkingDays)
		}
	}
	return nil
}

func (s *Suggestions) receivedNote(sg Suggestion) string {
	switch {
	case sg.Session != nil:
		return "（" + sg.Session.Name + "期间提出）"
	case !sg.HandoverDue.IsZero():
		return fmt.Sprintf("（闭会期间提出，应于%s前交办）", sg.HandoverDue.In(China).Format("1月2日"))
	}
	return ""
}

// Withdraw takes a suggestion back, in writing, before it is handed over.
func (s *Suggestions) Withdraw(ctx context.Context, dep Deputy, id int64, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > MaxSuggestionNote {
		return Errorf(EINVALID, "请写明撤回的理由（不超过%d字）", MaxSuggestionNote)
	}
	now := s.now()
	return s.update(ctx, func(tx SuggestionTx) error {
		sg, err := s.lead(ctx, tx, id, dep)
		if err != nil {
			return err
		}
		switch sg.Status {
		case SuggestionDraft, SuggestionSubmitted, SuggestionReturned, SuggestionAccepted:
		default:
			return Errorf(ECONFLICT, "%s%s，不能撤回", sg.Label(), sg.Status.Label())
		}
		sg.Status, sg.Reason, sg.UpdatedAt = SuggestionWithdrawn, reason, now
		if err := tx.SaveSuggestion(ctx, sg); err != nil {
			return err
		}
		return tx.AddSuggestionEvent(ctx, sg.ID, now, EventSgWithdrawn, dep.Name, "撤回建议，理由："+reason)
	})
}

// EnterPaper is staff entering a suggestion handed in on paper, for its
// lead deputy (by code), with its scan; it is submitted at once.
// allowed says whether the deputy's station is within the staff member's
// reach.
func (s *Suggestions) EnterPaper(ctx context.Context, staff, deputyCode string, in SuggestionInput, scan []ResultFile, allowed func(stationCode string) bool) (int64, error) {
	if err := in.check(); err != nil {
		return 0, err
	}
	if len(scan) == 0 {
		return 0, Errorf(EINVALID, "请上传纸质建议的扫描件（PDF、JPG 或 PNG）")
	}
	if len(scan) > MaxResultFiles {
		return 0, Errorf(EINVALID, "扫描件最多%d个文件", MaxResultFiles)
	}
	now := s.now()
	kept, err := keepAttachments(ctx, s.Files, "suggestions", now, scan)
	defer func() { dropAttachments(ctx, s.Files, kept) }()
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.update(ctx, func(tx SuggestionTx) error {
		dep, err := tx.DeputyByCode(ctx, strings.TrimSpace(deputyCode))
		if err == nil && !dep.InOffice {
			err = Errorf(ENOTFOUND, "not in office")
		}
		if ErrorCode(err) == ENOTFOUND {
			return Errorf(EINVALID, "没有找到编码为「%s」的在任代表，请核对领衔代表的编码", deputyCode)
		} else if err != nil {
			return err
		}
		if allowed != nil && !allowed(dep.StationCode) {
			return Errorf(EFORBIDDEN, "%s代表不在您的工作范围内，不能代为录入", dep.Name)
		}
		sg := Suggestion{DeputyID: dep.ID, Title: in.Title, Matter: in.Matter, Proposal: in.Proposal, Category: in.Category,
			Paper: true, EnteredBy: staff, CreatedAt: now, Round: 1}
		if err := sg.complete(); err != nil {
			return err
		}
		if err := s.receive(ctx, tx, &sg, now); err != nil {
			return err
		}
		if err := tx.AddSuggestion(ctx, &sg); err != nil {
			return err
		}
		id = sg.ID
		if err := tx.AddSuggestionFiles(ctx, sg.ID, 0, kept, now); err != nil {
			return err
		}
		for _, code := range clean(in.Signers) {
			d, err := tx.DeputyByCode(ctx, code)
			if err != nil || !d.InOffice {
				return Errorf(EINVALID, "没有找到编码为「%s」的在任代表，请核对联名代表的编码", code)
			}
			// Paper carries the co-signers' own signatures.
			if err := tx.AddSigner(ctx, sg.ID, d.ID, now, true); err != nil {
				return err
			}
		}
		return tx.AddSuggestionEvent(ctx, sg.ID, now, EventSgCreated, staff,
			fmt.Sprintf("录入%s代表的纸质建议（扫描件%d个）%s", dep.Name, len(kept), s.receivedNote(sg)))
	})
	if err == nil {
		kept = nil
	}
	return id, err
}

// Review decisions (审核准入).
const (
	ReviewAccept = "accept"
	ReviewReturn = "return"
	ReviewRefuse = "refuse"
	ReviewMerge  = "merge"
)

// Review is the office's decision on a submitted suggestion: accept it
// (立案, with its number), return it for revision with the reasons, refuse
// it as not a suggestion with one of RefusalReasons, or merge it into
// another (归并: its deputies credited there). The lead deputy is told
// each time and reads why.
func (s *Suggestions) Review(ctx context.Context, staff string, id int64, decision, reason string, into int64) error {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > MaxSuggestionNote {
		return Errorf(EINVALID, "意见不超过%d字", MaxSuggestionNote)
	}
	now := s.now()
	return s.update(ctx, func(tx SuggestionTx) error {
		sg, err := tx.Suggestion(ctx, id)
		if err != nil {
			return err
		}
		if sg.Status != SuggestionSubmitted {
			return Errorf(ECONFLICT, "%s%s，不在待审核状态", sg.Label(), sg.Status.Label())
		}
		sg.UpdatedAt = now
		// Each decision sets its own line and what the deputy is told.
		kind, detail, told := EventSgAccepted, "", ""
		switch decision {
		case ReviewAccept:
			sg.Status, sg.AcceptedAt, sg.Reason = SuggestionAccepted, &now, ""
			sg.Number = fmt.Sprintf("%d-%04d", now.In(China).Year(), sg.ID)
			kind, detail, told = EventSgAccepted, "立案，编号"+sg.Number, "已立案，编号"+sg.Number
		case ReviewReturn:
			if reason == "" {
				return Errorf(EINVALID, "请写明退回修改的理由，代表会在手机上看到")
			}
			sg.Status, sg.Reason = SuggestionReturned, reason
			kind, detail, told = EventSgReturned, "退回修改："+reason, "退回修改，请查看理由"
		case ReviewRefuse:
			if !slices.Contains(RefusalReasons, reason) {
				return Errorf(EINVALID, "请选择不作为建议处理的法定理由之一")
			}
			sg.Status, sg.Reason = SuggestionRefused, reason
			kind, detail, told = EventSgRefused, "不作为建议处理："+reason, "不作为建议处理，请查看理由"
		case ReviewMerge:
			target, err := tx.Suggestion(ctx, into)
			if err != nil || into == sg.ID {
				return Errorf(EINVALID, "请填写要并入的建议（编号或序号）")
			}
			switch target.Status {
			case SuggestionSubmitted, SuggestionAccepted, SuggestionHanded:
			default:
				return Errorf(ECONFLICT, "%s%s，不能再并入", target.Label(), target.Status.Label())
			}
			credit := []int64{sg.DeputyID}
			for _, g := range sg.Signers {
				if g.Confirmed() {
					credit = append(credit, g.DeputyID)
				}
			}
			for _, d := range credit {
				if d != target.DeputyID {
					if err := tx.AddSigner(ctx, target.ID, d, now, true); err != nil {
						return err
					}
				}
			}
			// Merged into one already accepted, its deputies are credited
			// there now; into one still waiting, when it is accepted.
			if target.Status != SuggestionSubmitted {
				if target, err = tx.Suggestion(ctx, target.ID); err != nil {
					return err
				}
				if err := RecordSuggestionDuty(ctx, tx, target, now); err != nil {
					return err
				}
			}
			sg.Status, sg.MergedInto, sg.Reason = SuggestionMerged, target.ID, reason
			if err := tx.AddSuggestionEvent(ctx, target.ID, now, EventSgMergedIn, staff,
				fmt.Sprintf("%s代表的「%s」并入本建议，其代表一并署名", sg.DeputyName, sg.Title)); err != nil {
				return err
			}
			kind, detail, told = EventSgMerged, fmt.Sprintf("归并到「%s」（%s代表领衔），您一并署名", target.Title, target.DeputyName), "已归并到同类建议，您一并署名"
			if reason != "" {
				detail += "。说明：" + reason
			}
		default:
			return Errorf(EINVALID, "请选择审核意见：立案、退回修改、归并或不作为建议处理")
		}
		if err := tx.SaveSuggestion(ctx, sg); err != nil {
			return err
		}
		if decision == ReviewAccept {
			if err := RecordSuggestionDuty(ctx, tx, sg, now); err != nil {
				return err
			}
		}
		if err := tx.AddSuggestionEvent(ctx, sg.ID, now, kind, staff, detail); err != nil {
			return err
		}
		return s.tellDeputy(ctx, tx, sg, sg.DeputyID, told, "review", now)
	})
}

// HandOver gives an accepted suggestion to a lead body and any
// co-handling bodies (departments of the lead deputy's station's
// jurisdiction or above) to answer within three months, or six with a
// reason, ending on a working day; the bodies' handlers and the deputy
// are told.
func (s *Suggestions) HandOver(ctx context.Context, staff string, id, lead int64, co []int64, long bool, reason string) (time.Time, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case lead == 0:
		return time.Time{}, Errorf(EINVALID, "请选择主办单位")
	case long && reason == "":
		return time.Time{}, Errorf(EINVALID, "办理期限延至六个月，须写明理由（情况复杂等），代表会看到")
	case utf8.RuneCountInString(reason) > MaxSuggestionNote:
		return time.Time{}, Errorf(EINVALID, "理由不超过%d字", MaxSuggestionNote)
	case len(co) > 10:
		return time.Time{}, Errorf(EINVALID, "协办单位不超过10个")
	}
	now := s.now()
	months := SuggestionMonths
	if long {
		months = SuggestionLongMonths
	}
	due := MonthsDeadline(s.Calendar, now, months)
	err := s.update(ctx, func(tx SuggestionTx) error {
		sg, err := tx.Suggestion(ctx, id)
		if err != nil {
			return err
		}
		if sg.Status != SuggestionAccepted {
			return Errorf(ECONFLICT, "%s%s：立案后才能交办", sg.Label(), sg.Status.Label())
		}
		depts, err := tx.DepartmentsOfStation(ctx, sg.StationID)
		if err != nil {
			return err
		}
		find := func(id int64) (Department, error) {
			i := slices.IndexFunc(depts, func(d Department) bool { return d.ID == id })
			if i < 0 {
				return Department{}, Errorf(EINVALID, "所选单位不在本级或上级承办单位名单中，请从列表中选择")
			}
			return depts[i], nil
		}
		ids := append([]int64{lead}, co...)
		chosen := make([]Department, 0, len(ids))
		for _, id := range ids {
			d, err := find(id)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(chosen, func(x Department) bool { return x.ID == d.ID }) {
				return Errorf(EINVALID, "「%s」重复：主办和协办单位各选一次", d.Name)
			}
			chosen = append(chosen, d)
		}
		ackDue := s.Calendar.AddWorkingDays(now, ackWithin)
		names := make([]string, 0, len(chosen)-1)
		for i, d := range chosen {
			if err := tx.AddSuggestionBody(ctx, sg.ID, SuggestionBody{DepartmentID: d.ID, Lead: i == 0, HandedAt: now, AckDue: ackDue}); err != nil {
				return err
			}
			if i > 0 {
				names = append(names, "「"+d.Name+"」")
			}
		}
		sg.Status, sg.HandedAt, sg.Due, sg.Extended, sg.ExtendReason, sg.UpdatedAt = SuggestionHanded, &now, due, long, reason, now
		if err := tx.SaveSuggestion(ctx, sg); err != nil {
			return err
		}
		detail := fmt.Sprintf("交「%s」主办", chosen[0].Name)
		if len(names) > 0 {
			detail += "，" + strings.Join(names, "、") + "协办"
		}
		detail += fmt.Sprintf("，%d个月内答复，至%s", months, due.In(China).Format("2006年1月2日"))
		if long {
			detail += "（" + reason + "）"
		}
		if !sg.HandoverDue.IsZero() && now.After(sg.HandoverDue) {
			detail += "；已超过闭会期间五个工作日的交办时限"
		}
		if err := s.Calendar.Uncovered(now, due); err != nil {
			detail += "（" + err.Error() + "）"
		}
		if err := tx.AddSuggestionEvent(ctx, sg.ID, now, EventSgHanded, staff, detail); err != nil {
			return err
		}
		for i, d := range chosen {
			if err := s.tellBody(ctx, tx, sg, d, "新交办建议："+SuggestionBody{Lead: i == 0}.Role()+"，请点开签收", due, now); err != nil {
				return err
			}
		}
		return s.tellDeputy(ctx, tx, sg, sg.DeputyID, fmt.Sprintf("已交「%s」办理", chosen[0].Name), "handed", now)
	})
	return due, err
}

// body is the handler's part in a suggestion handed to their department
// (ENOTFOUND otherwise: a body reads only what was handed to it).
func body(sg Suggestion, u StaffUser) (SuggestionBody, error) {
	if u.Role != RoleHandler || u.DepartmentID == 0 {
		return SuggestionBody{}, Refusal(u.Role, ActSuggestionHandle)
	}
	for _, b := range sg.Bodies {
		if b.DepartmentID == u.DepartmentID {
			return b, nil
		}
	}
	return SuggestionBody{}, Errorf(ENOTFOUND, "没有找到这件建议")
}

// handling reads a suggestion the handler's body works on now.
func (s *Suggestions) handling(ctx context.Context, tx SuggestionTx, id int64, u StaffUser) (Suggestion, SuggestionBody, error) {
	sg, err := tx.Suggestion(ctx, id)
	if err != nil {
		return sg, SuggestionBody{}, err
	}
	b, err := body(sg, u)
	if err != nil {
		return sg, b, err
	}
	if !sg.Status.WithBodies() {
		return sg, b, Errorf(ECONFLICT, "%s%s，现在不需要本单位办理", sg.Label(), sg.Status.Label())
	}
	return sg, b, nil
}

// AcknowledgeSuggestion records that a body received the suggestion (签收).
func (s *Suggestions) AcknowledgeSuggestion(ctx context.Context, id int64, u StaffUser) error {
	now := s.now()
	return s.update(ctx, func(tx SuggestionTx) error {
		sg, b, err := s.handling(ctx, tx, id, u)
		if err != nil {
			return err
		}
		if b.AcknowledgedAt != nil {
			return Errorf(ECONFLICT, "本单位已于%s由%s签收，无需重复签收", b.AcknowledgedAt.In(China).Format("1月2日15:04"), b.AcknowledgedBy)
		}
		actor := u.Name + "（" + b.Name + "）"
		won, err := tx.AcknowledgeSuggestion(ctx, sg.ID, b.DepartmentID, actor, now)
		if err != nil {
			return err
		}
		if !won {
			return Errorf(ECONFLICT, "本单位刚刚已由他人签收，请刷新页面查看")
		}
		detail := fmt.Sprintf("「%s」签收（%s）", b.Name, b.Role())
		if now.After(b.AckDue) {
			detail += "，已超过签收时限"
		}
		return tx.AddSuggestionEvent(ctx, sg.ID, now, EventSgAcknowledged, actor, detail)
	})
}

// RecordContact records a body's contact with the deputy (联系沟通): the
// day (not in the future), how, and a note.
func (s *Suggestions) RecordContact(ctx context.Context, id int64, u StaffUser, on time.Time, how, note string) error {
	note = strings.TrimSpace(note)
	now := s.now()
	switch {
	case ContactWays[how] == "":
		return Errorf(EINVALID, "请选择联系方式：电话、走访或座谈")
	case on.IsZero() || on.After(now):
		return Errorf(EINVALID, "请填写联系的日期（不晚于今天）")
	case note == "" || utf8.RuneCountInString(note) > MaxSuggestionNote:
		return Errorf(EINVALID, "请简要记录沟通情况（不超过%d字）", MaxSuggestionNote)
	}
	return s.update(ctx, func(tx SuggestionTx) error {
		sg, b, err := s.handling(ctx, tx, id, u)
		if err != nil {
			return err
		}
		if b.AcknowledgedAt == nil {
			return Errorf(ECONFLICT, "请先签收本建议，再记录联系情况")
		}
		actor := u.Name + "（" + b.Name + "）"
		if err := tx.AddContact(ctx, sg.ID, Contact{DepartmentID: b.DepartmentID, Round: sg.Round, On: on, How: how, Note: note, Author: actor, At: now}); err != nil {
			return err
		}
		return tx.AddSuggestionEvent(ctx, sg.ID, now, EventSgContact, actor,
			fmt.Sprintf("「%s」%s%s与代表联系：%s", b.Name, on.In(China).Format("1月2日"), ContactWays[how], note))
	})
}

// SendOpinion is a co-handling body's opinion to the lead body (协办意见).
func (s *Suggestions) SendOpinion(ctx context.Context, id int64, u StaffUser, text string) error {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > MaxSuggestionText {
		return Errorf(EINVALID, "请填写协办意见（不超过%d字）", MaxSuggestionText)
	}
	now := s.now()
	return s.update(ctx, func(tx SuggestionTx) error {
		sg, b, err := s.handling(ctx, tx, id, u)
		if err != nil {
			return err
		}
		if b.Lead {
			return Errorf(ECONFLICT, "本单位是主办单位：请直接答复代表")
		}
		if b.AcknowledgedAt == nil {
			return Errorf(ECONFLICT, "请先签收本建议，再提出协办意见")
		}
		actor := u.Name + "（" + b.Name + "）"
		if err := tx.AddAnswer(ctx, sg.ID, &Answer{DepartmentID: b.DepartmentID, Round: sg.Round, Text: text, Author: actor, At: now}); err != nil {
			return err
		}
		if err := tx.AddSuggestionEvent(ctx, sg.ID, now, EventSgOpinion, actor, fmt.Sprintf("「%s」向主办单位提出协办意见：%s", b.Name, text)); err != nil {
			return err
		}
		for _, l := range sg.Bodies {
			if l.Lead {
				return s.tellBody(ctx, tx, sg, Department{ID: l.DepartmentID, Name: l.Name}, "协办单位「"+b.Name+"」已提出协办意见", s.due(sg), now)
			}
		}
		return nil
	})
}

// due is the deadline the bodies work to now.
func (s *Suggestions) due(sg Suggestion) time.Time {
	if sg.Round > 1 && !sg.RedoDue.IsZero() {
		return sg.RedoDue
	}
	return sg.Due
}

// AnswerInput is the lead body's answer.
type AnswerInput struct {
	Category   string
	Text       string
	PromisedOn time.Time // for a category with Promise
	Letter     []ResultFile
}

// Answer is the lead body's written answer (答复): its text, its letter
// (答复函, a PDF), its category, and for B by when it will be done. The
// body must have recorded a contact with the deputy in this round first.
// The deputy is told, and reads it on their phone.
func (s *Suggestions) Answer(ctx context.Context, id int64, u StaffUser, in AnswerInput) error {
	in.Text = strings.TrimSpace(in.Text)
	now := s.now()
	switch {
	case in.Text == "" || utf8.RuneCountInString(in.Text) > MaxSuggestionText:
		return Errorf(EINVALID, "请填写答复内容（不超过%d字）", MaxSuggestionText)
	case len(in.Letter) == 0:
		return Errorf(EINVALID, "请上传盖章的答复函（PDF）")
	case len(in.Letter) > MaxResultFiles:
		return Errorf(EINVALID, "附件最多%d个", MaxResultFiles)
	}
	// The letter is a PDF; photos of the work done may come with it.
	letter := false
	for _, f := range in.Letter {
		ct, _, err := resultKind(f.Data)
		if err != nil {
			return err
		}
		letter = letter || ct == "application/pdf"
	}
	if !letter {
		return Errorf(EINVALID, "答复函请上传 PDF 文件（盖章后扫描或导出为 PDF）")
	}
	kept, err := keepAttachments(ctx, s.Files, "suggestions", now, in.Letter)
	defer func() { dropAttachments(ctx, s.Files, kept) }()
	if err != nil {
		return err
	}
	err = s.update(ctx, func(tx SuggestionTx) error {
		sg, b, err := s.handling(ctx, tx, id, u)
		if err != nil {
			return err
		}
		if !b.Lead {
			return Errorf(EFORBIDDEN, "只有主办单位答复代表；协办单位请向主办单位提出协办意见")
		}
		cats, err := tx.AnswerCategories(ctx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(cats, func(c AnswerCategory) bool { return c.Code == in.Category })
		if i < 0 {
			return Errorf(EINVALID, "请选择答复的类别")
		}
		cat := cats[i]
		if cat.Promise && (in.PromisedOn.IsZero() || !in.PromisedOn.After(now)) {
			return Errorf(EINVALID, "「%s %s」须填写计划解决的日期（晚于今天）", cat.Code, cat.Label)
		}
		if !cat.Promise {
			in.PromisedOn = time.Time{}
		}
		contacts, err := tx.Contacts(ctx, sg.ID)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(contacts, func(c Contact) bool { return c.DepartmentID == b.DepartmentID && c.Round == sg.Round }) {
			return Errorf(ECONFLICT, "答复前须先与代表联系沟通：请先记录联系情况（日期、方式、沟通内容），再答复")
		}
		actor := u.Name + "（" + b.Name + "）"
		a := Answer{DepartmentID: b.DepartmentID, Lead: true, Round: sg.Round, Category: cat.Code, Text: in.Text, PromisedOn: in.PromisedOn, Author: actor, At: now}
		if err := tx.AddAnswer(ctx, sg.ID, &a); err != nil {
			return err
		}
		if err := tx.AddSuggestionFiles(ctx, sg.ID, a.ID, kept, now); err != nil {
			return err
		}
		sg.Status, sg.AnsweredAt, sg.PromisedOn, sg.UpdatedAt = SuggestionAnswered, &now, in.PromisedOn, now
		if err := tx.SaveSuggestion(ctx, sg); err != nil {
			return err
		}
		detail := fmt.Sprintf("「%s」答复（%s类 %s）", b.Name, cat.Code, cat.Label)
		if cat.Promise {
			detail += "，计划于" + in.PromisedOn.In(China).Format("2006年1月2日") + "前解决"
		}
		if late := s.due(sg); !late.IsZero() && now.After(late) {
			detail += "，已超过答复期限"
		}
		if err := tx.AddSuggestionEvent(ctx, sg.ID, now, EventSgAnswered, actor, detail+"："+in.Text); err != nil {
			return err
		}
		return s.tellDeputy(ctx, tx, sg, sg.DeputyID, "已答复（"+cat.Code+"类），请查看并评价", "answered", now)
	})
	if err == nil {
		kept = nil
	}
	return err
}

// Evaluate is the lead deputy's evaluation of the answer and the contact
// (背靠背): for the office, and for the bodies only once closed.
// Dissatisfied with the first answer, the same bodies handle it again
// within RedoMonths; otherwise it waits for the office to close it.
func (s *Suggestions) Evaluate(ctx context.Context, dep Deputy, id int64, answer, contact, comment string) error {
	comment = strings.TrimSpace(comment)
	switch {
	case VerdictNames[answer] == "" || VerdictNames[contact] == "":
		return Errorf(EINVALID, "请对答复和联系沟通分别选择：满意、基本满意或不满意")
	case answer == VerdictDissatisfied && comment == "":
		return Errorf(EINVALID, "不满意时请写明理由，承办单位将据此重新办理")
	case utf8.RuneCountInString(comment) > MaxSuggestionNote:
		return Errorf(EINVALID, "意见不超过%d字", MaxSuggestionNote)
	}
	now := s.now()
	return s.update(ctx, func(tx SuggestionTx) error {
		sg, err := s.lead(ctx, tx, id, dep)
		if err != nil {
			return err
		}
		if sg.Status != SuggestionAnswered {
			return Errorf(ECONFLICT, "%s%s，现在不需要评价", sg.Label(), sg.Status.Label())
		}
		answers, err := tx.Answers(ctx, sg.ID)
		if err != nil {
			return err
		}
		var last Answer
		for _, a := range answers {
			if a.Lead && a.Round == sg.Round {
				last = a
			}
		}
		if err := tx.AddEvaluation(ctx, sg.ID, Evaluation{AnswerID: last.ID, DeputyID: dep.ID, Round: sg.Round,
			AnswerVerdict: answer, ContactVerdict: contact, Comment: comment, At: now}); err != nil {
			return err
		}
		detail := fmt.Sprintf("对答复%s，对联系沟通%s", VerdictNames[answer], VerdictNames[contact])
		if comment != "" {
			detail += "。意见：" + comment
		}
		if err := tx.AddSuggestionEvent(ctx, sg.ID, now, EventSgEvaluated, dep.Name, detail); err != nil {
			return err
		}
		sg.UpdatedAt = now
		if answer != VerdictDissatisfied || sg.Round > 1 {
			sg.Status = SuggestionEvaluated
			return tx.SaveSuggestion(ctx, sg)
		}
		months := s.RedoMonths
		if months < 1 {
			months = DefaultRedoMonths
		}
		sg.Status, sg.Round, sg.RedoDue, sg.AnsweredAt, sg.PromisedOn = SuggestionRedo, sg.Round+1, MonthsDeadline(s.Calendar, now, months), nil, time.Time{}
		if err := tx.SaveSuggestion(ctx, sg); err != nil {
			return err
		}
		// The second round has its own deadline: the bodies are reminded
		// of it afresh.
		if err := tx.ClearSuggestionNotices(ctx, sg.ID); err != nil {
			return err
		}
		if err := tx.AddSuggestionEvent(ctx, sg.ID, now, EventSgRedo, "系统",
			fmt.Sprintf("代表不满意，交原承办单位重新办理，%d个月内答复，至%s", months, sg.RedoDue.In(China).Format("2006年1月2日"))); err != nil {
			return err
		}
		for _, b := range sg.Bodies {
			// The body is told to handle it again and by when, not the verdict.
			if err := s.tellBody(ctx, tx, sg, Department{ID: b.DepartmentID, Name: b.Name}, "交回重新办理："+b.Role()+"，请再次联系代表后答复", sg.RedoDue, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// Close is the office closing an evaluated suggestion with its note (or
// an answered one the deputy did not evaluate, which the note then says);
// the bodies then read the deputy's evaluations, and are told, as the
// deputy is.
func (s *Suggestions) Close(ctx context.Context, staff string, id int64, note string) error {
	note = strings.TrimSpace(note)
	if note == "" || utf8.RuneCountInString(note) > MaxSuggestionNote {
		return Errorf(EINVALID, "请填写办结说明（不超过%d字）", MaxSuggestionNote)
	}
	now := s.now()
	return s.update(ctx, func(tx SuggestionTx) error {
		sg, err := tx.Suggestion(ctx, id)
		if err != nil {
			return err
		}
		switch sg.Status {
		case SuggestionEvaluated:
		case SuggestionAnswered:
			// A deputy who never evaluates does not hold the suggestion
			// open for ever: the office closes it, saying so.
			note += "（代表未评价）"
		default:
			return Errorf(ECONFLICT, "%s%s：答复后才能办结", sg.Label(), sg.Status.Label())
		}
		sg.Status, sg.ClosedAt, sg.CloseNote, sg.UpdatedAt = SuggestionClosed, &now, note, now
		if err := tx.SaveSuggestion(ctx, sg); err != nil {
			return err
		}
		if err := tx.AddSuggestionEvent(ctx, sg.ID, now, EventSgClosed, staff, "办结："+note); err != nil {
			return err
		}
		for _, b := range sg.Bodies {
			if err := s.tellBody(ctx, tx, sg, Department{ID: b.DepartmentID, Name: b.Name}, "已办结，可查看代表评价", time.Time{}, now); err != nil {
				return err
			}
		}
		return s.tellDeputy(ctx, tx, sg, sg.DeputyID, "已办结", "closed", now)
	})
}

// SweepPromises asks the lead body again, once, when the date it promised
// for a B answer has come: what has been done. It gives how many it asked.
func (s *Suggestions) SweepPromises(ctx context.Context) (int, error) {
	now := s.now()
	asked := 0
	err := s.update(ctx, func(tx SuggestionTx) error {
		due, err := tx.DuePromises(ctx, now)
		if err != nil {
			return err
		}
		for _, sg := range due {
			won, err := tx.MarkPromiseAsked(ctx, sg.ID, now)
			if err != nil {
				return err
			}
			if !won {
				continue
			}
			for _, b := range sg.Bodies {
				if !b.Lead {
					continue
				}
				if err := tx.AddSuggestionEvent(ctx, sg.ID, now, EventSgPromise, "系统",
					fmt.Sprintf("承诺的解决日期%s已到，已请「%s」报告落实情况", sg.PromisedOn.In(China).Format("2006年1月2日"), b.Name)); err != nil {
					return err
				}
				if err := s.tellBody(ctx, tx, sg, Department{ID: b.DepartmentID, Name: b.Name}, "承诺解决日期已到，请报告落实情况", sg.PromisedOn, now); err != nil {
					return err
				}
			}
			asked++
		}
		return nil
	})
	return asked, err
}

// tellDeputy tells a deputy (lead or co-signer) what happened, if their
// WeChat is bound.
func (s *Suggestions) tellDeputy(ctx context.Context, tx SuggestionTx, sg Suggestion, deputyID int64, what, step string, now time.Time) error {
	if s.Notify.TemplateID == "" {
		return nil
	}
	openid, err := tx.DeputyOpenID(ctx, deputyID)
	if err != nil || openid == "" {
		return err
	}
	url := ""
	if s.DeputyURL != nil {
		url = s.DeputyURL(sg.ID)
	}
	return tx.Enqueue(ctx, s.Notify.suggestionItem(sg, openid, url, what,
		fmt.Sprintf("sg-%d-d%d-%s-%d", sg.ID, deputyID, step, now.UnixNano()), s.due(sg)), now)
}

// tellBody tells a body's bound handlers, noting on the history who was
// told or that nobody could be.
func (s *Suggestions) tellBody(ctx context.Context, tx SuggestionTx, sg Suggestion, d Department, what string, due, now time.Time) error {
	n := s.Notify
	n.BodySuggestionURL = s.BodyURL
	_, err := n.tellBody(ctx, tx, sg, d, what, due, now)
	return err
}

// EvaluationsFor are the evaluations who may read: the bodies' handlers
// none until the office closes the suggestion (背靠背).
func EvaluationsFor(sg Suggestion, evs []Evaluation, who Audience) []Evaluation {
	switch who {
	case AudienceStaff, AudienceDeputy:
		return evs
	case AudienceHandler:
		if sg.Status == SuggestionClosed {
			return evs
		}
	}
	return nil
}

// SuggestionWork is what was done on a suggestion beyond its own record:
// contacts, answers and opinions with their letters, evaluations, and the
// scan of a paper one.
type SuggestionWork struct {
	Contacts    []Contact
	Answers     []Answer // the lead's answers and the co-handling bodies' opinions, oldest first
	Evaluations []Evaluation
	Scans       []SuggestionFile
}

// ForDeputy is the work as the deputy reads it: the answers, not the
// bodies' opinions to one another.
func (w SuggestionWork) ForDeputy() SuggestionWork {
	out := w
	out.Answers = nil
	for _, a := range w.Answers {
		if a.Lead {
			out.Answers = append(out.Answers, a)
		}
	}
	return out
}
