package mashang

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Rating verdicts (满意度测评), as the API spells them.
const (
	RatingSatisfied     = "satisfied"
	RatingBasically     = "basically_satisfied"
	RatingDissatisfied  = "dissatisfied"
	MaxRatingCommentLen = 500 // runes
)

// RatingWindow is how long after closing a citizen's reply on the Official
// Account rates the answer (回复 1、2、3): after it their messages are new
// matters again, and a case nobody rated counts as not rated, never as
// satisfied.
const RatingWindow = 7 * 24 * time.Hour

// ReasonWindow is how long after a bare 不满意 the citizen's next text is
// taken as their reason.
const ReasonWindow = 24 * time.Hour

// DefaultRedoDays is how many working days a department has to handle a
// case again after its citizen was dissatisfied (二次交办,
// MASHANG_REDO_DAYS).
const DefaultRedoDays = 10

// DefaultRatingReminder is how long after closing a citizen who has not
// rated is reminded, once (MASHANG_RATING_REMINDER).
const DefaultRatingReminder = 3 * 24 * time.Hour

var ratingLabels = map[string]string{RatingSatisfied: "满意", RatingBasically: "基本满意", RatingDissatisfied: "不满意"}

// RatingLabel is how a verdict reads in Chinese ("" for none).
func RatingLabel(verdict string) string { return ratingLabels[verdict] }

// ParseVerdict accepts a verdict as the API spells it or in Chinese.
func ParseVerdict(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if _, ok := ratingLabels[s]; ok {
		return s, true
	}
	for v, label := range ratingLabels {
		if label == s {
			return v, true
		}
	}
	return "", false
}

// Rating is a citizen's verdict on the latest answer to their case.
type Rating struct {
	Verdict string
	Comment string
	At      time.Time
	// ReplyEventID is the answer rated (the latest answer sent, or the
	// closing with its result): each answer is rated once.
	ReplyEventID int64
}

// RatingAsk is a closed case of a citizen's and where its latest answer
// stands: rated or not, reminded or not.
type RatingAsk struct {
	Case     Case
	AnswerID int64
	ClosedAt time.Time
	Rated    bool
}

// RatingTx is what rating needs from storage, in one transaction.
type RatingTx interface {
	groupNotifier
	departmentNotifier
	progressQueuer
	// CaseByNumber finds openid's case by its number (ENOTFOUND: none of theirs).
	CaseByNumber(ctx context.Context, openid, number string) (Case, error)
	// LatestReply is the ID of the case's latest answer: the answer staff
	// sent, or its closing with the result (ENOTFOUND: none yet).
	LatestReply(ctx context.Context, caseID int64) (int64, error)
	// AddRating records r against its answer (ECONFLICT: that answer was
	// rated already) and keeps the case's latest verdict and count of poor
	// ones; dissatisfied reopens the case.
	AddRating(ctx context.Context, caseID int64, r Rating) (poorRatings int, err error)
	DutyRecorder
	// HandedTo lists the departments the case is handed to, the lead
	// first (none: it never was).
	HandedTo(ctx context.Context, caseID int64) ([]CaseDepartment, error)
	// Rehand gives a closed case handed over before a new deadline and
	// opens it again with its department (二次交办); the hand-over keeps
	// its day, so the department's figures count it once, as re-handled.
	Rehand(ctx context.Context, caseID int64, days int, due time.Time) error
	AssignDepartments(ctx context.Context, caseID, lead int64, co []int64, at, ackDue time.Time) error
	// SetConsent records the citizen's word on showing the case,
	// anonymised, on the results wall.
	SetConsent(ctx context.Context, caseID int64, consent bool) error
	// ClosedToRate is openid's case closed latest, at since or after
	// (ENOTFOUND: none).
	ClosedToRate(ctx context.Context, openid string, since time.Time) (RatingAsk, error)
	// AwaitingReason is openid's case whose latest rating, at since or
	// after, is 不满意 without a reason (ENOTFOUND: none).
	AwaitingReason(ctx context.Context, openid string, since time.Time) (Case, error)
	// AddRatingReason gives the case's latest rating, a 不满意 without
	// one, its reason.
	AddRatingReason(ctx context.Context, caseID int64, reason string) error
	// ToRemind lists the cases closed from from up to to whose citizen was
	// not yet reminded to rate their latest answer.
	ToRemind(ctx context.Context, from, to time.Time) ([]RatingAsk, error)
	// MarkReminded notes that the answer's citizen was reminded: false
	// when another sweep did first.
	MarkReminded(ctx context.Context, caseID, answerID int64) (bool, error)
}

// RatingStore runs fn in one write transaction.
type RatingStore interface {
	UpdateRating(ctx context.Context, fn func(RatingTx) error) error
}

// Ratings takes citizens' verdicts on the answers they got, from the Mini
// Program, the case page or a reply on the Official Account, and their word
// on the results wall. A dissatisfied one sends the case back (二次交办) to
// the departments it was handed to, with a new deadline, who are told as
// on a hand-over; a case never handed over goes back to its group, whose
// deputies are told, as a new case's are.
type Ratings struct {
	Store  RatingStore
	Notify NotifyConfig
	Now    func() time.Time
	// Queued, if set, is called after a rating queued notifications.
	Queued func()
	// Supervision gives the working-day calendar, the departments'
	// notices and the citizen's progress notices; nil: dissatisfied goes
	// back to the group, and the citizen is not reminded.
	Supervision *Supervision
	// RedoDays is the new deadline of a case handed back (0:
	// DefaultRedoDays); RemindAfter when after closing a citizen who has
	// not rated is reminded (0: DefaultRatingReminder).
	RedoDays    int
	RemindAfter time.Duration
}

func (rs *Ratings) now() time.Time {
	if rs.Now != nil {
		return rs.Now()
	}
	return time.Now()
}

func (rs *Ratings) redoDays() int {
	if rs.RedoDays > 0 {
		return rs.RedoDays
	}
	return DefaultRedoDays
}

func (rs *Ratings) remindAfter() time.Duration {
	if rs.RemindAfter > 0 {
		return rs.RemindAfter
	}
	return DefaultRatingReminder
}

func (rs *Ratings) queued(err error, queued bool) error {
	if err == nil && queued && rs.Queued != nil {
		rs.Queued()
	}
	return err
}

// Rate records openid's verdict on the latest answer to their case number.
func (rs *Ratings) Rate(ctx context.Context, openid, number, verdict, comment string) (Rating, error) {
	return rs.RateWith(ctx, openid, number, verdict, comment, nil)
}

// RateWith is Rate with the citizen's word on the results wall (nil: not
// asked).
func (rs *Ratings) RateWith(ctx context.Context, openid, number, verdict, comment string, consent *bool) (Rating, error) {
	v, ok := ParseVerdict(verdict)
	if !ok {
		return Rating{}, Errorf(EINVALID, "评价（verdict）应为 满意、基本满意 或 不满意（satisfied / basically_satisfied / dissatisfied）")
	}
	comment, err := ratingComment(comment)
	switch {
	case err != nil:
		return Rating{}, err
	case v == RatingDissatisfied && comment == "":
		return Rating{}, Errorf(EINVALID, "请在意见（comment）中说明哪里不满意，便于重新办理")
	}
	r := Rating{Verdict: v, Comment: comment, At: rs.now()}
	err = rs.Store.UpdateRating(ctx, func(tx RatingTx) error {
		c, err := tx.CaseByNumber(ctx, openid, number)
		if err != nil {
			return err
		}
		r, err = rs.rate(ctx, tx, c, r, consent)
		return err
	})
	if err != nil {
		return Rating{}, err
	}
	return r, rs.queued(nil, v == RatingDissatisfied)
}

// ratingComment checks a citizen's words on their answer.
func ratingComment(comment string) (string, error) {
	comment = strings.TrimSpace(comment)
	switch {
	case !utf8.ValidString(comment):
		return "", Errorf(EINVALID, "意见（comment）含有无法识别的字符")
	case utf8.RuneCountInString(comment) > MaxRatingCommentLen:
		return "", Errorf(EINVALID, "意见（comment）不能超过%d个字", MaxRatingCommentLen)
	}
	return comment, nil
}

// rate records r on case c's latest answer in tx, with the citizen's word
// on the results wall if given; 不满意 sends the case back.
func (rs *Ratings) rate(ctx context.Context, tx RatingTx, c Case, r Rating, consent *bool) (Rating, error) {
	var err error
	if r.ReplyEventID, err = tx.LatestReply(ctx, c.ID); err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return r, Errorf(ECONFLICT, "问题 %s 还没有答复，收到答复后再评价", c.Number)
		}
		return r, err
	}
	poor, err := tx.AddRating(ctx, c.ID, r)
	if err != nil {
		return r, err
	}
	detail := "群众评价：" + RatingLabel(r.Verdict)
	if r.Comment != "" {
		detail += "。意见：" + r.Comment
	}
	if consent != nil {
		if err := tx.SetConsent(ctx, c.ID, *consent); err != nil {
			return r, err
		}
		detail += "。" + consentLine(*consent)
	}
	if err := tx.AddCaseEvent(ctx, c.ID, r.At, EventRated, "群众", detail); err != nil {
		return r, err
	}
	if r.Verdict != RatingDissatisfied {
		return r, recordCaseDuty(ctx, tx, c, DutySatisfied, r.At)
	}
	return r, rs.reopen(ctx, tx, c, poor, r)
}

func consentLine(consent bool) string {
	if consent {
		return "同意隐去个人信息后在代表回音壁公开"
	}
	return "不同意在代表回音壁公开"
}

// redo is where a closed case its citizen is dissatisfied with goes back:
// the departments it was handed to (none: its group) and their new
// deadline. A case still open (an answer rated before closing) keeps its
// deadline and goes to its group, as before.
func (rs *Ratings) redo(ctx context.Context, tx RatingTx, c Case, at time.Time) ([]CaseDepartment, time.Time, error) {
	if rs.Supervision == nil || c.Status != CaseClosed {
		return nil, time.Time{}, nil
	}
	depts, err := tx.HandedTo(ctx, c.ID)
	if err != nil || len(depts) == 0 {
		return nil, time.Time{}, err
	}
	return depts, rs.Supervision.Calendar.AddWorkingDays(at, rs.redoDays()), nil
}

// reopen sends a case its citizen was dissatisfied with back: to the
// departments it was handed to, lead and co-handling, each to acknowledge
// it again, with a new deadline (二次交办); else to its group's deputies.
func (rs *Ratings) reopen(ctx context.Context, tx RatingTx, c Case, poor int, r Rating) error {
	depts, due, err := rs.redo(ctx, tx, c, r.At)
	if err != nil {
		return err
	}
	if len(depts) == 0 {
		reopened := fmt.Sprintf("群众不满意，问题重新交办（第%d次不满意）", poor)
		if err := tx.AddCaseEvent(ctx, c.ID, r.At, EventReopened, "系统", reopened); err != nil {
			return err
		}
		if rs.Supervision != nil {
			if err := rs.Supervision.Progress.tell(ctx, tx, c, CaseReopened, "您对办理结果不满意，问题已重新交办，将再次办理", r.At); err != nil {
				return err
			}
		}
		c.Summary = "群众不满意：" + r.Comment
		return notifyGroup(ctx, tx, rs.Notify, c, r.At, "群众不满意，请重新办理", fmt.Sprintf("reopen-%s-%d", c.Number, r.ReplyEventID))
	}
	s, days, lead := rs.Supervision, rs.redoDays(), depts[0]
	co := make([]int64, 0, len(depts)-1)
	names := make([]string, 0, len(depts))
	for _, d := range depts {
		names = append(names, "「"+d.Name+"」")
		if d.DepartmentID != lead.DepartmentID {
			co = append(co, d.DepartmentID)
		}
	}
	if err := tx.Rehand(ctx, c.ID, days, due); err != nil {
		return err
	}
	if err := tx.AssignDepartments(ctx, c.ID, lead.DepartmentID, co, r.At, s.Calendar.AddWorkingDays(r.At, ackWithin)); err != nil {
		return err
	}
	detail := fmt.Sprintf("群众不满意（第%d次），二次交办%s重新办理，期限%d个工作日，至%s", poor, strings.Join(names, "、"), days, due.In(China).Format("2006年1月2日"))
	if err := s.Calendar.Uncovered(r.At, due); err != nil {
		detail += "（" + err.Error() + "）"
	}
	if err := tx.AddCaseEvent(ctx, c.ID, r.At, EventReopened, "系统", detail); err != nil {
		return err
	}
	if err := tx.AddStaffAlert(ctx, c.StationID, c.ID, fmt.Sprintf("问题 %s 群众不满意，已二次交办%s。", c.Number, strings.Join(names, "、")), r.At); err != nil {
		return err
	}
	for _, d := range depts {
		if _, err := s.notifyDepartment(ctx, tx, c.ID, c.Number, c.StationName, d.Name, d.DepartmentID,
			"二次交办："+d.Role()+"，群众不满意请重办", due, r.At); err != nil {
			return err
		}
	}
	return s.Progress.tell(ctx, tx, c, CaseReopened,
		fmt.Sprintf("您对办理结果不满意，已重新交「%s」办理，答复期限至%s", lead.Name, due.In(China).Format("2006年1月2日")), r.At)
}

// RatingReply is what a citizen's text on the Official Account says about
// the answer they got: a verdict, their word on the results wall, and what
// they wrote after them.
type RatingReply struct {
	Verdict string // "": only their word on the wall
	Consent *bool
	Comment string
}

var replyVerdicts = []struct {
	prefix, verdict string
	digit           bool
}{
	{"基本满意", RatingBasically, false}, {"不满意", RatingDissatisfied, false}, {"满意", RatingSatisfied, false},
	{"1", RatingSatisfied, true}, {"2", RatingBasically, true}, {"3", RatingDissatisfied, true},
	{"１", RatingSatisfied, true}, {"２", RatingBasically, true}, {"３", RatingDissatisfied, true},
}

var consentWords = []struct {
	prefix string
	yes    bool
}{
	{"不同意公开", false}, {"不同意", false}, {"不公开", false},
	{"同意公开", true}, {"可以公开", true}, {"同意", true},
}

const replySeparators = " \t\r\n,，.。、:：;；!！"

// ParseRatingReply reads a text as a reply to the closing notice: `1`, `2`
// or `3` (or 满意, 基本满意, 不满意), optionally followed by 同意 or 不同意
// (publishing on the results wall) and their words (`3 路灯还是不亮`); or
// 同意公开 / 不同意公开 alone. A digit must stand alone or before a
// separator or those words: "1号楼电梯坏了" is a new matter, not a rating.
func ParseRatingReply(text string) (RatingReply, bool) {
	s := strings.TrimSpace(text)
	var r RatingReply
	for _, v := range replyVerdicts {
		rest, ok := strings.CutPrefix(s, v.prefix)
		if !ok {
			continue
		}
		if next, _ := utf8.DecodeRuneInString(rest); v.digit && rest != "" && !strings.ContainsRune(replySeparators, next) && !startsWithConsent(rest) {
			return RatingReply{}, false
		}
		r.Verdict, s = v.verdict, rest
		break
	}
	s = strings.Trim(s, replySeparators)
	for _, c := range consentWords {
		if rest, ok := strings.CutPrefix(s, c.prefix); ok {
			yes := c.yes
			r.Consent, s = &yes, strings.Trim(rest, replySeparators)
			break
		}
	}
	if r.Verdict == "" && (r.Consent == nil || s != "") {
		return RatingReply{}, false
	}
	r.Comment = s
	return r, true
}

func startsWithConsent(s string) bool {
	for _, c := range consentWords {
		if strings.HasPrefix(s, c.prefix) {
			return true
		}
	}
	return false
}

// RatingQuestion is what the closing notice and the reminder ask: plainly,
// for someone who has never rated anything by message.
const RatingQuestion = "请您评价办理结果，直接回复一个数字：\n" +
	"1 满意\n2 基本满意\n3 不满意（可接着写原因，如“3 路灯还是不亮”）\n" +
	"能否隐去姓名、电话后，把这件事登在“代表回音壁”上？同意请在数字后加“同意”，如“1同意”；不同意请加“不同意”。\n" +
	"7天内回复有效，也可以打开下面的链接评价。"

// What a citizen reads back after replying.
const (
	replyRatedFormat        = "感谢您的评价！问题 %s：%s。"
	replyRedoFormat         = "已记录您的评价：不满意。问题 %s 已重新交「%s」办理，答复期限至%s，进展会通过本公众号告诉您。"
	replyRedoGroupFormat    = "已记录您的评价：不满意。问题 %s 已重新交办，进展会通过本公众号告诉您。"
	replyAskReason          = "\n请直接回复哪里不满意（例如：路灯还是不亮），我们会转告办理单位。"
	replyAlreadyRatedFormat = "问题 %s 的这次办理结果您已评价过，谢谢！如有新的问题，请扫码后直接发送。"
	replyConsentFormat      = "已记录：问题 %s %s。"
	replyReasonFormat       = "已收到您说的原因，已转告问题 %s 的办理单位。办理进展会通过本公众号告诉您。"
	replyConsentAsk         = "如同意隐去姓名、电话后在“代表回音壁”公开，请回复“同意公开”。"
)

// ratingMessage is a citizen's text the Official Account takes as their
// rating, their word on the results wall, or the reason for a 不满意.
type ratingMessage struct {
	ask    RatingAsk
	reply  RatingReply
	reason string // the reason a bare 不满意 asked for
}

// decide says whether openid's text at at answers for a case of theirs: the
// reason a 不满意 within ReasonWindow asked for, else a reply to a closing
// within RatingWindow whose answer is not yet rated. It only reads; the
// reply it decides is what the citizen is told (apply does the rest).
func (rs *Ratings) decide(ctx context.Context, tx RatingTx, openid, text string, at time.Time) (*ratingMessage, string, error) {
	c, err := tx.AwaitingReason(ctx, openid, at.Add(-ReasonWindow))
	switch {
	case err == nil:
		reason := clipRunes(strings.TrimSpace(text), MaxRatingCommentLen)
		return &ratingMessage{ask: RatingAsk{Case: c}, reason: reason}, fmt.Sprintf(replyReasonFormat, c.Number), nil
	case ErrorCode(err) != ENOTFOUND:
		return nil, "", err
	}
	reply, ok := ParseRatingReply(text)
	if !ok {
		return nil, "", nil
	}
	ask, err := tx.ClosedToRate(ctx, openid, at.Add(-RatingWindow))
	switch {
	case ErrorCode(err) == ENOTFOUND:
		return nil, "", nil
	case err != nil:
		return nil, "", err
	case reply.Verdict == "":
		return &ratingMessage{ask: ask, reply: reply}, fmt.Sprintf(replyConsentFormat, ask.Case.Number, consentLine(*reply.Consent)), nil
	case ask.Rated && reply.Comment == "":
		return nil, fmt.Sprintf(replyAlreadyRatedFormat, ask.Case.Number), nil
	case ask.Rated:
		return nil, "", nil // words after a digit, once rated: a new matter
	}
	m := &ratingMessage{ask: ask, reply: reply}
	if reply.Verdict != RatingDissatisfied {
		text := fmt.Sprintf(replyRatedFormat, ask.Case.Number, RatingLabel(reply.Verdict))
		switch {
		case reply.Consent != nil && *reply.Consent:
			text += "您同意隐去个人信息后在“代表回音壁”公开，工作人员审核后才会公开。"
		case reply.Consent != nil:
			text += "这件事不会在“代表回音壁”公开。"
		case !ask.Case.PublicConsent:
			text += replyConsentAsk
		}
		return m, text, nil
	}
	depts, due, err := rs.redo(ctx, tx, ask.Case, at)
	if err != nil {
		return nil, "", err
	}
	text = fmt.Sprintf(replyRedoGroupFormat, ask.Case.Number)
	if len(depts) > 0 {
		text = fmt.Sprintf(replyRedoFormat, ask.Case.Number, depts[0].Name, due.In(China).Format("2006年1月2日"))
	}
	if reply.Comment == "" {
		text += replyAskReason
	}
	return m, text, nil
}

// apply records what decide found the text to be, at at.
func (rs *Ratings) apply(ctx context.Context, tx RatingTx, m ratingMessage, at time.Time) error {
	c := m.ask.Case
	switch {
	case m.reason != "":
		if err := tx.AddRatingReason(ctx, c.ID, m.reason); err != nil {
			return err
		}
		if err := tx.AddCaseEvent(ctx, c.ID, at, EventRated, "群众", "不满意的原因："+m.reason); err != nil {
			return err
		}
		return tx.AddStaffAlert(ctx, c.StationID, c.ID, fmt.Sprintf("问题 %s 群众说明了不满意的原因：%s", c.Number, m.reason), at)
	case m.reply.Verdict == "":
		if err := tx.SetConsent(ctx, c.ID, *m.reply.Consent); err != nil {
			return err
		}
		return tx.AddCaseEvent(ctx, c.ID, at, EventRated, "群众", consentLine(*m.reply.Consent))
	}
	// A message is what the citizen said: kept, cut to what a comment holds.
	comment := clipRunes(strings.ToValidUTF8(m.reply.Comment, ""), MaxRatingCommentLen)
	_, err := rs.rate(ctx, tx, c, Rating{Verdict: m.reply.Verdict, Comment: comment, At: at}, m.reply.Consent)
	return err
}

// clipRunes cuts s to at most n characters.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// Remind asks, once, each citizen whose case was closed RemindAfter ago and
// who has not rated it yet; after RatingWindow nobody is asked again and
// the case counts as not rated.
func (rs *Ratings) Remind(ctx context.Context) (int, error) {
	if rs.Supervision == nil {
		return 0, nil
	}
	now := rs.now()
	sent := 0
	err := rs.Store.UpdateRating(ctx, func(tx RatingTx) error {
		sent = 0
		asks, err := tx.ToRemind(ctx, now.Add(-RatingWindow), now.Add(-rs.remindAfter()))
		if err != nil {
			return err
		}
		for _, a := range asks {
			if a.Rated {
				continue
			}
			won, err := tx.MarkReminded(ctx, a.Case.ID, a.AnswerID)
			if err != nil {
				return err
			}
			if !won {
				continue
			}
			n, err := rs.Supervision.Progress.remind(ctx, tx, a, now)
			if err != nil {
				return err
			}
			sent += n
		}
		return nil
	})
	return sent, rs.queued(err, sent > 0)
}
