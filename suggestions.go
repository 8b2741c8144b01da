package mashang

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Deputies' suggestions (代表建议，批评和意见): what a deputy formally raises
// with the congress, alone or jointly (联名: the lead deputy, 领衔代表, and
// co-signers who confirm), one matter each (一事一议), often from citizens'
// cases they took (linked both ways). The congress's working office reviews
// it (审核准入: accept, return for revision, merge, refuse as not a
// suggestion), hands it to a lead body (主办) and any co-handling bodies
// (协办) — the bodies are the departments roster, their handlers the
// department handler accounts — with a deadline of three months (six with a
// reason) ending on a working day. Each body contacts the deputy before the
// lead answers in writing with a category (A/B/C by default); the deputy
// evaluates the answer and the contact (背靠背: the bodies read the verdict
// only once the office closes it); dissatisfied once, the same bodies
// handle it again within a month (a setting); then the office closes it.

// SuggestionStatus is where a suggestion stands.
type SuggestionStatus string

const (
	SuggestionDraft     SuggestionStatus = "draft"     // the deputy writes it; co-signers confirm
	SuggestionSubmitted SuggestionStatus = "submitted" // waits for the office's review
	SuggestionReturned  SuggestionStatus = "returned"  // returned for revision, with the reasons (Reason)
	SuggestionAccepted  SuggestionStatus = "accepted"  // accepted (立案), waits to be handed over
	SuggestionRefused   SuggestionStatus = "refused"   // not a suggestion, with the legal reason (Reason)
	SuggestionMerged    SuggestionStatus = "merged"    // merged into another (MergedInto); its deputies credited there
	SuggestionWithdrawn SuggestionStatus = "withdrawn" // withdrawn by the deputy, with the reason (Reason)
	SuggestionHanded    SuggestionStatus = "handed"    // with the bodies, to contact and answer by Due
	SuggestionAnswered  SuggestionStatus = "answered"  // answered: waits for the deputy's evaluation
	SuggestionEvaluated SuggestionStatus = "evaluated" // evaluated: waits for the office to close it
	SuggestionRedo      SuggestionStatus = "redo"      // the deputy was dissatisfied: handled again by RedoDue
	SuggestionClosed    SuggestionStatus = "closed"    // closed by the office, with a note
)

// suggestionStatusNames are the statuses as deputies, staff and bodies read them.
var suggestionStatusNames = map[SuggestionStatus]string{
	SuggestionDraft: "草稿", SuggestionSubmitted: "待审核", SuggestionReturned: "退回修改",
	SuggestionAccepted: "已立案待交办", SuggestionRefused: "不予立案", SuggestionMerged: "已归并",
	SuggestionWithdrawn: "已撤回", SuggestionHanded: "办理中", SuggestionAnswered: "已答复待评价",
	SuggestionEvaluated: "已评价待办结", SuggestionRedo: "重新办理", SuggestionClosed: "已办结",
}

// Label is the status in Chinese.
func (s SuggestionStatus) Label() string {
	if l, ok := suggestionStatusNames[s]; ok {
		return l
	}
	return string(s)
}

// Editable says whether the lead deputy may still change the text:
// while a draft or returned for revision.
func (s SuggestionStatus) Editable() bool { return s == SuggestionDraft || s == SuggestionReturned }

// WithBodies says whether the bodies are working on it (handed or again).
func (s SuggestionStatus) WithBodies() bool { return s == SuggestionHanded || s == SuggestionRedo }

// Suggestion is one deputy's (or a joint) suggestion as it stands.
type Suggestion struct {
	ID          int64
	Number      string // given on acceptance (立案号), e.g. 2025-0007
	DeputyID    int64  // the lead deputy (领衔代表)
	DeputyName  string
	StationID   int64 // the lead deputy's station when raised: staff's and secretaries' reach
	StationName string
	Session     *CongressSession // nil: raised between sessions
	Title       string
	Matter      string // 案由、情况
	Proposal    string // 建议
	Category    string // one of SuggestionCategories
	Status      SuggestionStatus
	// Reason is the last return, refusal or withdrawal reason, as the
	// deputy reads it.
	Reason     string
	Paper      bool   // entered by staff from paper (its scan among Files)
	EnteredBy  string // the staff member who entered a paper suggestion
	MergedInto int64  // the suggestion it was merged into (归并)

	CreatedAt, UpdatedAt time.Time
	ReceivedAt           *time.Time // first submitted: the five-working-day rule counts from it
	SubmittedAt          *time.Time // last submitted
	HandoverDue          time.Time  // between sessions: five working days after receipt (zero: none)
	AcceptedAt           *time.Time
	HandedAt             *time.Time
	Due                  time.Time // the answer's deadline (zero: not handed over)
	Extended             bool      // six months instead of three, for ExtendReason
	ExtendReason         string
	Round                int       // 1; 2 once handled again after 不满意
	RedoDue              time.Time // the second answer's deadline (zero: none)
	AnsweredAt           *time.Time
	PromisedOn           time.Time // B: when the lead body will have done it (zero: none)
	ClosedAt             *time.Time
	CloseNote            string

	Signers []Signer   // co-signers, invited, confirmed or declined, and deputies merged in
	Cases   []CaseLink // the citizens' cases it was raised from
	Bodies  []SuggestionBody

	// Supervision (督): the colour the sweep last set, and key supervision
	// (重点督办) as staff marked it (KeyMarkedAt nil: not a key one).
	Colour      string
	KeyOfficial string // the leading official (领导督办)
	KeyPlan     string // the supervision plan (督办方案)
	KeyMarkedAt *time.Time
	KeyMarkedBy string
}

// Joint says whether it has confirmed co-signers (联名).
func (s Suggestion) Joint() bool {
	for _, g := range s.Signers {
		if g.Confirmed() {
			return true
		}
	}
	return false
}

// Signer is a co-signer of a joint suggestion (联名), or a deputy whose
// suggestion was merged into it (Merged): both are credited.
type Signer struct {
	DeputyID    int64
	Code        string // the deputy's code, as the lead deputy invites them
	Name        string
	InvitedAt   time.Time
	ConfirmedAt *time.Time
	DeclinedAt  *time.Time
	Merged      bool
}

// Confirmed says whether the deputy signed it.
func (g Signer) Confirmed() bool { return g.ConfirmedAt != nil }

// Pending says whether the deputy has yet to answer the invitation.
func (g Signer) Pending() bool { return g.ConfirmedAt == nil && g.DeclinedAt == nil }

// CaseLink is a citizen's case a suggestion was raised from, as either
// side lists the other.
type CaseLink struct {
	SuggestionID int64
	CaseID       int64
	Number       string // the case's number
	Title        string // the suggestion's title, on the case's pages
	Status       SuggestionStatus
}

// SuggestionBody is a body (a department on the roster) a suggestion is
// handed to, as it stands: lead (主办) or co-handling (协办).
type SuggestionBody struct {
	DepartmentID   int64
	Name           string
	Lead           bool
	HandedAt       time.Time
	AckDue         time.Time
	AcknowledgedAt *time.Time
	AcknowledgedBy string
	// NearNoticed and OverdueNoticed: the sweep reminded it before the
	// deadline, and when it passed.
	NearNoticed, OverdueNoticed bool
}

// Role is 主办 or 协办.
func (b SuggestionBody) Role() string { return CaseDepartment{Lead: b.Lead}.Role() }

// CongressSession is a session of the congress (届次、第几次会议): a
// suggestion submitted between its start and end carries it.
type CongressSession struct {
	ID               int64
	Name             string // 第十七届人民代表大会第三次会议
	Term, Meeting    int
	StartsAt, EndsAt time.Time
}

// Contact is a body's recorded contact with the deputy (联系沟通): the law
// wants one before the answer.
type Contact struct {
	ID           int64
	DepartmentID int64
	Department   string
	Round        int
	On           time.Time // the day, China time
	How          string    // one of ContactWays' keys
	Note         string
	Author       string
	At           time.Time
}

// ContactWays are how a body contacts the deputy.
var ContactWays = map[string]string{"phone": "电话", "visit": "走访", "meeting": "座谈"}

// ContactWayOrder lists ContactWays' keys as forms offer them.
var ContactWayOrder = []string{"phone", "visit", "meeting"}

// Answer is the lead body's written answer (答复, Lead) with its category,
// or a co-handling body's opinion to the lead (协办意见, not Lead).
type Answer struct {
	ID           int64
	DepartmentID int64
	Department   string
	Lead         bool
	Round        int
	Category     string // an AnswerCategory's code (answers only)
	Text         string
	PromisedOn   time.Time // category with Promise (B): when it will be done
	Author       string
	At           time.Time
	Files        []SuggestionFile // the answer letter (答复函)
}

// AnswerCategory is a category staff configure for answers: by default A
// 已解决或基本解决, B 列入计划逐步解决 (Promise: the body says by when, and is
// asked again then), C 因条件限制暂时难以解决. Solved counts toward 落实率.
type AnswerCategory struct {
	Code    string
	Label   string
	Promise bool
	Solved  bool
	Sort    int
}

// Check trims an answer category as staff set it and refuses one no
// answer could carry: a code of one to four capital letters or digits, a
// label of at most 30 characters.
func (c *AnswerCategory) Check() error {
	c.Code, c.Label = strings.ToUpper(strings.TrimSpace(c.Code)), strings.TrimSpace(c.Label)
	ok := c.Code != "" && len(c.Code) <= 4
	for _, r := range c.Code {
		ok = ok && (r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}
	switch {
	case !ok:
		return Errorf(EINVALID, "答复类别的代码应为1到4个大写字母或数字，如 A、B、C")
	case c.Label == "" || utf8.RuneCountInString(c.Label) > 30:
		return Errorf(EINVALID, "请填写答复类别的名称（不超过30字）")
	}
	return nil
}

// SuggestionFile is a kept file: a paper suggestion's scan or an answer
// letter, under a random name in the media directory, its kind read from
// its content as result attachments' are.
type SuggestionFile struct {
	ID          string // random, 32 hex digits
	AnswerID    int64  // 0: the paper suggestion's scan
	Path        string
	ContentType string
	Size        int64
}

// Verdicts of an evaluation.
const (
	VerdictSatisfied    = "satisfied"
	VerdictBasic        = "basic"
	VerdictDissatisfied = "dissatisfied"
)

// VerdictNames are the verdicts in Chinese.
var VerdictNames = map[string]string{VerdictSatisfied: "满意", VerdictBasic: "基本满意", VerdictDissatisfied: "不满意"}

// VerdictOrder lists the verdicts as forms offer them.
var VerdictOrder = []string{VerdictSatisfied, VerdictBasic, VerdictDissatisfied}

// Evaluation is the deputy's evaluation of one round's answer and contact
// (背靠背): the office reads it at once, the bodies only once the
// suggestion is closed.
type Evaluation struct {
	ID             int64
	AnswerID       int64
	DeputyID       int64
	Round          int
	AnswerVerdict  string
	ContactVerdict string
	Comment        string
	At             time.Time
}

// Dissatisfied says whether the deputy was dissatisfied with the answer.
func (e Evaluation) Dissatisfied() bool { return e.AnswerVerdict == VerdictDissatisfied }

// SuggestionCategories are the fields a suggestion is filed under.
var SuggestionCategories = []string{"经济发展", "城乡建设", "交通运输", "生态环境", "教育科技", "医疗卫生", "社会保障", "农业农村", "政法民政", "文化旅游", "其他"}

// RefusalReasons are the legal reasons a submission is not a suggestion
// (代表法 and the local regulations): staff pick one.
var RefusalReasons = []string{
	"不属于本行政区域内有关机关和组织职权范围的事项",
	"涉及代表本人及其亲属个人的事项",
	"代转来信的",
	"学术探讨、产品推介或广告性质的",
	"没有具体内容、不提出具体问题和意见的",
}

// Suggestion deadlines.
const (
	// SuggestionMonths is how long a body has to answer after hand-over;
	// SuggestionLongMonths with a reason (complex matters).
	SuggestionMonths     = 3
	SuggestionLongMonths = 6
	// HandoverWorkingDays is how soon the office hands over a suggestion
	// received between sessions.
	HandoverWorkingDays = 5
	// DefaultRedoMonths is how long the bodies have to answer again after
	// 不满意 (MASHANG_SUGGESTION_REDO_MONTHS).
	DefaultRedoMonths = 1
)

// MonthsDeadline is the deadline months after from: the end of the same
// day of the month that many months later (the last day of a shorter
// month), moved to the first working day on or after it when it falls on
// a holiday or weekend, as legal time limits are.
func MonthsDeadline(cal Calendar, from time.Time, months int) time.Time {
	f := from.In(China)
	y, m, d := f.Date()
	target := time.Date(y, m+time.Month(months), 1, 12, 0, 0, 0, China)
	if last := daysIn(target); d > last {
		d = last
	}
	target = time.Date(target.Year(), target.Month(), d, 12, 0, 0, 0, China)
	// AddWorkingDays(day before, 1) is the end of the first working day
	// after the day before: the target itself when worked.
	return cal.AddWorkingDays(target.AddDate(0, 0, -1), 1)
}

func daysIn(t time.Time) int {
	return time.Date(t.Year(), t.Month()+1, 0, 12, 0, 0, 0, t.Location()).Day()
}
