package mashang

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The results wall (代表回音壁) shows, to anyone, the handled cases whose
// citizens agreed to it and which a staff member published: where, what
// kind, what was done, how the citizen rated it — and nothing that says
// who: no name, phone, openid or exact address. Citizens and staff write
// freely, so the console offers each consented closed case anonymised
// (Anonymise) for a staff member within reach to review, edit what the
// redaction missed and publish; the wall shows the text as published, and
// anonymises it once more as it shows it, in case a hand typed what the
// review refused.

// WallEntry is one handled case as the public sees it.
type WallEntry struct {
	StationName string
	Category    string
	Month       string // 2026年11月: not the day, which with the place could say who
	Problem     string
	Result      string
	Rating      string // RatingLabel, or ""
}

// WallCase is what the store gives for the wall: the texts as published.
type WallCase struct {
	StationName, Category, Summary, Result, Rating string
	ClosedAt                                       time.Time
}

// Entry anonymises a published case for the wall; ok is false when its
// texts still look personal once anonymised (publishing refuses such a
// text, so only a text written into the database by hand), and the case is
// then left off the wall.
func (w WallCase) Entry() (e WallEntry, ok bool) {
	e = WallEntry{StationName: w.StationName, Category: orNone(w.Category, "其他"),
		Month: w.ClosedAt.In(China).Format("2006年1月"), Problem: Anonymise(w.Summary),
		Result: Anonymise(strings.TrimPrefix(w.Result, "办结：")), Rating: RatingLabel(w.Rating)}
	return e, !LooksPersonal(e.Problem) && !LooksPersonal(e.Result)
}

// chineseDigits are the characters people spell numbers with, 幺 and 两
// included as phone numbers are read out.
const chineseDigits = `零〇一二三四五六七八九幺两`

var anonymisers = []struct {
	pattern *regexp.Regexp
	with    string
}{
	// e-mail addresses, then WeChat IDs: wxid_…, or an ID after 微信/微信号/
	// vx/wx/v信 (6–20 letters, digits, - and _, starting with a letter)
	{regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+`), "＊＊"},
	// openids and other long identifiers
	{regexp.MustCompile(`\bo[A-Za-z0-9_-]{15,}\b`), "＊＊"},
	{regexp.MustCompile(`(?i)\bwxid_[a-z0-9_\-]+`), "＊＊"},
	{regexp.MustCompile(`(?i)(微信号?|weixin|wechat|\bv ?x|\bw ?x|\bv信|qq号?)([号码是为：:\s]*)[A-Za-z][A-Za-z0-9_\-]{5,}`), "$1$2＊＊"},
	// ID card numbers; bank card numbers (16–19 digits, often in fours);
	// phones (mobile and landline); then any other run of five or more
	// digits (a house or account number), and numbers spelled in
	// characters as long as a phone's
	{regexp.MustCompile(`\d{17}[\dXx]`), "＊＊"},
	{regexp.MustCompile(`\d{4}([- ]?\d{4}){3}([- ]?\d{1,3})?`), "＊＊"},
	{regexp.MustCompile(`(\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}`), "＊＊＊"},
	{regexp.MustCompile(`0\d{2,3}[- ]?\d{7,8}`), "＊＊＊"},
	{regexp.MustCompile(`\d{5,}`), "＊＊"},
	{regexp.MustCompile(`[` + chineseDigits + `]{7,}`), "＊＊"},
	// exact addresses: the number before 号, 号楼, 栋, 幢, 单元, 室, 层, 楼, 户
	{regexp.MustCompile(`[0-9` + chineseDigits + `十百-]+(号楼|号院|号|栋|幢|单元|室|层|楼|户)`), "＊$1"},
	// "我是王建国", "我叫李梅", "姓名：张三"
	{regexp.MustCompile(`(我是|我叫|本人|姓名[:：]?|联系人[:：]?)[\p{Han}]{1,3}`), "$1＊＊"},
}

// fold brings to their NFKC form the characters that fold to letters,
// digits, spaces and what addresses are written with (@ . - _ +): every
// width and style of a phone number or e-mail address then reads the same.
// Chinese punctuation (，：！), which NFKC would turn into ASCII, is left
// as written.
func fold(text string) string {
	var b strings.Builder
	for _, r := range text {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		n := norm.NFKC.String(string(r))
		if strings.IndexFunc(n, func(c rune) bool {
			return c >= utf8.RuneSelf || !(unicode.IsLetter(c) || unicode.IsDigit(c) || unicode.IsSpace(c) || strings.ContainsRune("@.-_+", c))
		}) >= 0 {
			n = string(r)
		}
		b.WriteString(n)
	}
	return b.String()
}

// titles are how people are addressed after their name: 王先生, 李大爷.
var titles = regexp.MustCompile(`先生|女士|小姐|大爷|大妈|大娘|大叔|大婶|大哥|大姐|阿姨|阿婆|老伯|师傅|老师|奶奶|爷爷|叔叔|婶婶|太太|夫人|老人|同志`)

// notName are characters that end a name read backwards from its title:
// "联系李先生" names 李, not 联系李.
const notName = "的是叫系给和与跟找问请位个被让对向由在了及我你他她们这那有说称为帮替访＊"

// Anonymise takes out of a text what could say who wrote it or where they
// live: identifiers, e-mail addresses and WeChat IDs, phone, ID and bank
// card numbers, house numbers, names. Full-width and other look-alike
// digits and letters (１３８…, ①) are first read as what they are.
func Anonymise(text string) string {
	text = fold(text)
	for _, a := range anonymisers {
		text = a.pattern.ReplaceAllString(text, a.with)
	}
	return redactTitledNames(text)
}

// redactTitledNames replaces the whole name before each title — up to
// four characters (欧阳娜娜), back to the first that cannot be part of it — so
// "王小明先生" becomes "＊＊先生", not "王小＊先生".
func redactTitledNames(text string) string {
	var b strings.Builder
	last := 0
	for _, m := range titles.FindAllStringIndex(text, -1) {
		start := m[0]
		for n := 0; n < 4 && start > last; n++ {
			r, size := utf8.DecodeLastRuneInString(text[last:start])
			if !unicode.Is(unicode.Han, r) || strings.ContainsRune(notName, r) {
				break
			}
			start -= size
		}
		b.WriteString(text[last:start])
		if start < m[0] {
			b.WriteString("＊＊")
		}
		b.WriteString(text[m[0]:m[1]])
		last = m[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

// stillPersonal is what an anonymised text must not hold to be shown: digits
// that together could be a phone or card number however they are spaced,
// an @, or a contact word followed by something that was not redacted
// ("加我微信吧", "电话是：一 三 九…").
var stillPersonal = []*regexp.Regexp{
	regexp.MustCompile(`\d(?:[^\p{Han}\d]{0,2}\d){6,}`),
	regexp.MustCompile(`@`),
	regexp.MustCompile(`(?i)(微信|weixin|wechat|\bvx\b|\bwx\b|v信|qq|邮箱|e-?mail|身份证|银行卡|卡号)[号码是为：:\s]*[^号码是为：:＊\s，。,.；;！!？?）)]`),
	regexp.MustCompile(`(电话|手机|联系方式)[号码]*[是为：:]\s*[^是为：:＊\s，。,.；;！!？?）)]`),
}

// identifier is a run of letters, digits, - and _ long enough to be an
// account name; with both letters and digits in it, it looks like one.
var identifier = regexp.MustCompile(`[A-Za-z0-9_\-]{6,}`)

// LooksPersonal reports whether an anonymised text still looks as if it
// says who someone is or how to reach them.
func LooksPersonal(anonymised string) bool { return len(PersonalParts(anonymised)) > 0 }

// PersonalParts are the parts of an anonymised text that still look as if
// they say who someone is or how to reach them, for the reviewer to fix.
func PersonalParts(anonymised string) []string {
	var out []string
	for _, p := range stillPersonal {
		out = append(out, p.FindAllString(anonymised, -1)...)
	}
	for _, id := range identifier.FindAllString(anonymised, -1) {
		if strings.ContainsAny(id, "0123456789") && strings.IndexFunc(id, unicode.IsLetter) >= 0 {
			out = append(out, id)
		}
	}
	return out
}

// Publishing on the wall is a staff decision: a staff member within reach
// reviews the anonymised text of a consented closed case, edits what the
// redaction missed, and publishes it; they can take it down with a reason.

// MaxWallTextLen bounds each published text: a wall entry is read at a glance.
const MaxWallTextLen = 500

// WallDecision is a staff member's decision on a case's wall entry.
type WallDecision struct {
	Published       bool
	Problem, Result string // as published (kept when taken down, for the record)
	By, Reason      string // Reason: why it was taken down
	At              time.Time
}

// WallReview is one case as the console's wall page shows it: waiting for
// a decision, or on the wall.
type WallReview struct {
	Number, StationName, Category string
	ClosedAt                      time.Time
	Summary, Result               string // as written: the citizen's, and how it was closed
	Published                     bool
	PublishedProblem              string
	PublishedResult               string
	DecidedAt                     time.Time
	DecidedBy                     string
}

// DraftProblem and DraftResult are the texts the review form offers: the
// published ones when the case is on the wall, else the written ones
// anonymised.
func (w WallReview) DraftProblem() string {
	if w.Published {
		return w.PublishedProblem
	}
	return Anonymise(w.Summary)
}

func (w WallReview) DraftResult() string {
	if w.Published {
		return w.PublishedResult
	}
	return Anonymise(strings.TrimPrefix(w.Result, "办结："))
}

// Flagged is what still looks personal in the offered texts, for the
// reviewer to fix before publishing.
func (w WallReview) Flagged() []string {
	return append(PersonalParts(w.DraftProblem()), PersonalParts(w.DraftResult())...)
}

// WallTx is what publishing needs of a transaction.
type WallTx interface {
	CaseForReply(ctx context.Context, number string) (Case, error)
	// WallEntryOf is the case's latest decision, and whether the case is
	// on the wall now (published since it was last closed).
	WallEntryOf(ctx context.Context, caseID int64) (d WallDecision, onWall bool, err error)
	SetWallEntry(ctx context.Context, caseID int64, d WallDecision) error
	AddCaseEvent(ctx context.Context, caseID int64, at time.Time, kind EventKind, actor, detail string) error
}

// WallStore runs publishing's transactions (*store.DB).
type WallStore interface {
	UpdateWall(ctx context.Context, fn func(WallTx) error) error
}

// Publishing decides what the wall shows.
type Publishing struct {
	Store WallStore
	Now   func() time.Time
}

func (p *Publishing) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Publish puts the case on the wall with the texts the staff member
// reviewed: the case must be closed, its citizen must have agreed, and
// nothing in the texts may still look personal.
func (p *Publishing) Publish(ctx context.Context, number, staff, problem, result string) error {
	problem, result = strings.TrimSpace(problem), strings.TrimSpace(result)
	switch {
	case problem == "" || result == "":
		return Errorf(EINVALID, "请填写公开的问题和办理结果，两项都不能为空")
	case utf8.RuneCountInString(problem) > MaxWallTextLen || utf8.RuneCountInString(result) > MaxWallTextLen:
		return Errorf(EINVALID, "公开的问题和办理结果各不能超过%d个字，请精简后再发布", MaxWallTextLen)
	}
	if parts := append(PersonalParts(problem), PersonalParts(result)...); len(parts) > 0 {
		return Errorf(EINVALID, "公开内容仍像含有个人信息：“%s”。请删去或改写这些内容后再发布", strings.Join(parts, "”“"))
	}
	now := p.now()
	return p.Store.UpdateWall(ctx, func(tx WallTx) error {
		c, err := tx.CaseForReply(ctx, number)
		if err != nil {
			return err
		}
		switch {
		case c.Status != CaseClosed:
			return Errorf(ECONFLICT, "问题 %s 尚未办结，办结后才能发布到代表回音壁", c.Number)
		case !c.PublicConsent:
			return Errorf(ECONFLICT, "问题 %s 的群众没有同意公开，不能发布到代表回音壁", c.Number)
		}
		if err := tx.SetWallEntry(ctx, c.ID, WallDecision{Published: true, Problem: problem, Result: result, By: staff, At: now}); err != nil {
			return err
		}
		return tx.AddCaseEvent(ctx, c.ID, now, EventPublished, staff, "发布到代表回音壁："+problem+" / "+result)
	})
}

// Unpublish takes the case off the wall, saying why.
func (p *Publishing) Unpublish(ctx context.Context, number, staff, reason string) error {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return Errorf(EINVALID, "请说明撤下的原因")
	case utf8.RuneCountInString(reason) > MaxWallTextLen:
		return Errorf(EINVALID, "撤下的原因不能超过%d个字", MaxWallTextLen)
	}
	now := p.now()
	return p.Store.UpdateWall(ctx, func(tx WallTx) error {
		c, err := tx.CaseForReply(ctx, number)
		if err != nil {
			return err
		}
		d, onWall, err := tx.WallEntryOf(ctx, c.ID)
		if err != nil {
			return err
		}
		if !onWall {
			return Errorf(ECONFLICT, "问题 %s 不在代表回音壁上，无需撤下", c.Number)
		}
		d.Published, d.By, d.Reason, d.At = false, staff, reason, now
		if err := tx.SetWallEntry(ctx, c.ID, d); err != nil {
			return err
		}
		return tx.AddCaseEvent(ctx, c.ID, now, EventUnpublished, staff, "从代表回音壁撤下："+reason)
	})
}
