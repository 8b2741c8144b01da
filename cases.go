package mashang

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Case is what a citizen raised (意见建议 / 诉求): opened by their first
// message after scanning a code, joined by the messages that follow soon.
type Case struct {
	ID            int64
	Number        string // e.g. 261122-0007: the day and that day's count, easy to read out
	OpenID        string
	Scene         Scene // the code that opened it
	StationID     int64
	StationName   string
	DeputyID      int64 // 0 unless opened from a deputy's code
	GroupID       int64 // 0: the jurisdiction's staff queue
	GroupName     string
	Category      string
	Status        string
	Summary       string
	CreatedAt     time.Time
	LastMessageAt time.Time
	PublicConsent bool   // may be shown, anonymised, on the results wall
	Rating        string // the latest verdict on its answer ("" before one)
	PoorRatings   int    // dissatisfied verdicts so far: each sent it back
	Colour        string // supervision: green, yellow or red
	MergedInto    string // the number of the case it was merged into ("" for none)
	// ResponsibleDeputyID is the deputy the case counts for in the duty
	// record: the one who took it, else the one whose code it was raised at.
	ResponsibleDeputyID int64
	// TakenByDeputy says a deputy took the case (接单) from their phone;
	// otherwise staff accepted it, and its status says so.
	TakenByDeputy bool
	// FirstResponseDue is when a deputy or staff member must have taken
	// the case (zero: none was set, as for cases raised before there was one).
	FirstResponseDue time.Time
	// ProgressSubscribe is the Mini Program subscribe message its citizen
	// accepted when raising it ("" for none): one notice of progress.
	ProgressSubscribe string
}

// Case statuses.
const (
	CaseOpen     = "open"
	CaseAccepted = "accepted"
	CaseHanded   = "handed"
	CaseClosed   = "closed"
	CaseReopened = "reopened" // rated dissatisfied: back with its handlers
	CaseHeld     = "held"     // content security flagged it: staff look before anyone is told
	CaseMerged   = "merged"   // a duplicate: answered through the case it was merged into
)

var caseStatusLabels = map[string]string{
	CaseOpen: "已受理，等待代表处理", CaseAccepted: "已受理，正在办理", CaseHanded: "已转交承办单位办理", CaseClosed: "已办结",
	CaseReopened: "群众不满意，重新办理中", CaseHeld: "已收到，正在审核", CaseMerged: "已与其他群众反映的同一问题合并办理",
}

// StatusLabel is how a citizen reads a case's status; an accepted case
// names who took it only where a deputy did (staff accept as 受理).
func (c Case) StatusLabel() string {
	if c.Status == CaseMerged && c.MergedInto != "" {
		return "已并入问题 " + c.MergedInto + " 一并办理"
	}
	if c.Status == CaseAccepted && c.TakenByDeputy {
		return "代表已接单，正在跟进办理"
	}
	return caseStatusLabels[c.Status]
}

// caseNumberPattern is how citizens send a number back to ask about it.
var caseNumberPattern = regexp.MustCompile(`^\d{6}-\d{4}$`)

// China is the one time zone of the service: case numbers, dates in
// messages, working days, the console's clock. A fixed zone: the machine may
// carry no time zone database, and China has no DST.
var China = time.FixedZone("CST", 8*3600)

// CaseNumber formats the n-th case of a day.
func CaseNumber(day time.Time, n int) string {
	return fmt.Sprintf("%s-%04d", day.In(China).Format("060102"), n)
}

// Group is a deputy group of a station, as routing needs it.
type Group struct {
	ID         int64
	Name       string
	Duty       bool
	Categories []string
}

// KeywordRule files a case under Category when its text contains Keyword.
type KeywordRule struct {
	Category string
	Keyword  string
}

// Routing is where a new case goes and why.
type Routing struct {
	Category string
	Group    *Group // nil: the jurisdiction's staff queue
	Reason   string // for the timeline, in Chinese
}

// classify finds the category of a text by keyword; rules come ordered
// (the station's own first), and the first keyword found wins.
func classify(text string, rules []KeywordRule) (KeywordRule, bool) {
	for _, r := range rules {
		if r.Keyword != "" && strings.Contains(text, r.Keyword) {
			return r, true
		}
	}
	return KeywordRule{}, false
}

// routeStation routes a case raised at a station's code: by category to the
// group that takes it, else to the station's duty group, else to staff.
func routeStation(station string, text string, groups []Group, rules []KeywordRule) Routing {
	rule, found := classify(text, rules)
	if !found {
		return routeByCategory(station, "", "未匹配到类别", groups)
	}
	return routeByCategory(station, rule.Category, fmt.Sprintf("内容含“%s”，归为「%s」类", rule.Keyword, rule.Category), groups)
}

// routeChosen routes a case whose citizen chose its category on the form.
func routeChosen(station, category string, groups []Group) Routing {
	return routeByCategory(station, category, fmt.Sprintf("群众选择「%s」类", category), groups)
}

// routeByCategory gives a case of category (why: how it got it) to the
// station's group taking that category, else to its duty group, else to
// the jurisdiction's staff.
func routeByCategory(station, category, why string, groups []Group) Routing {
	if category != "" {
		for i, g := range groups {
			if slices.Contains(g.Categories, category) {
				return Routing{Category: category, Group: &groups[i],
					Reason: fmt.Sprintf("%s，由「%s」的「%s」处理", why, station, g.Name)}
			}
		}
		why += "，但本站没有受理该类的小组"
	}
	for i, g := range groups {
		if g.Duty {
			return Routing{Category: category, Group: &groups[i],
				Reason: fmt.Sprintf("%s，由「%s」的值班组「%s」处理", why, station, g.Name)}
		}
	}
	return Routing{Category: category, Reason: fmt.Sprintf("「%s」没有可受理的小组，转所在辖区工作人员分派", station)}
}

// routeDeputy routes a case raised at a deputy's code: to that deputy and
// their group at the station.
func routeDeputy(deputy, station string, group *Group, text string, rules []KeywordRule) Routing {
	rule, _ := classify(text, rules)
	if group == nil {
		return Routing{Category: rule.Category,
			Reason: fmt.Sprintf("群众找的是%s代表，由%s代表处理（未编入「%s」的小组）", deputy, deputy, station)}
	}
	return Routing{Category: rule.Category, Group: group,
		Reason: fmt.Sprintf("群众找的是%s代表，由%s代表及其所在的「%s」处理", deputy, deputy, group.Name)}
}

// Recipient is a deputy a notification goes to.
type Recipient struct {
	DeputyID int64
	Name     string
	OpenID   string
}

// NotifyConfig says which template message tells deputies of a new case and
// which of its fields take what. Field keys are the template's own
// (thing2, character_string1, …): WeChat's limits follow from their type.
type NotifyConfig struct {
	TemplateID  string
	NumberField string
	StationField,
	CategoryField,
	SummaryField,
	TimeField string
	// CaseURL is the page a deputy opens from the message.
	CaseURL func(number string) string
	// PerMinute is how many new-case notices one deputy gets in a minute;
	// the rest are told in one summary when the minute allows. 0: no limit.
	PerMinute int
	// DeskURL is the deputy's list of cases, which a summary opens.
	DeskURL string
}

// OutboxItem is one notification waiting to be sent, written in the same
// transaction as what caused it.
type OutboxItem struct {
	ID          int64
	Kind        string // "template", "reply" or KindSubscribe
	CaseID      int64
	ToUser      string
	TemplateID  string
	URL         string
	Data        map[string]string
	ClientMsgID string // WeChat drops a repeat within 10 minutes: a retry after a lost answer is not a second message
	Attempts    int
	LeaseUntil  time.Time // set by the claim: the lease this sender holds, to hand back unsent
}

// newCaseNotice builds the template message for one deputy.
func (n NotifyConfig) newCaseNotice(c Case, r Recipient) OutboxItem {
	data := map[string]string{}
	set := func(key, value string) {
		if key != "" {
			data[key] = fitField(key, value)
		}
	}
	category := c.Category
	if category == "" {
		category = "待分类"
	}
	set(n.NumberField, c.Number)
	set(n.StationField, c.StationName)
	set(n.CategoryField, category)
	set(n.SummaryField, c.Summary)
	set(n.TimeField, c.CreatedAt.In(China).Format("2006-01-02 15:04"))
	url := ""
	if n.CaseURL != nil {
		url = n.CaseURL(c.Number)
	}
	return OutboxItem{Kind: "template", CaseID: c.ID, ToUser: r.OpenID, TemplateID: n.TemplateID, URL: url, Data: data,
		ClientMsgID: fmt.Sprintf("case-%s-d%d", c.Number, r.DeputyID)}
}

// fieldLimits are WeChat's limits per template field type (2023 rules);
// a value past them is refused with 47003, so it is cut here.
var fieldLimits = map[string]int{"thing": 20, "character_string": 32, "phrase": 5, "name": 10, "number": 32, "letter": 32, "symbol": 5}

var fieldType = regexp.MustCompile(`^([a-z_]+?)\d*$`)

// fitField cuts a value to what its field type allows, on one line.
func fitField(key, value string) string {
	value = strings.Join(strings.Fields(value), " ") // no line breaks, no runs of spaces
	m := fieldType.FindStringSubmatch(key)
	if m == nil {
		return value
	}
	limit, ok := fieldLimits[m[1]]
	if !ok || utf8.RuneCountInString(value) <= limit {
		return value
	}
	runes := []rune(value)
	if limit > 1 {
		return string(runes[:limit-1]) + "…"
	}
	return string(runes[:limit])
}

// summarize is the first line of what a citizen wrote, or what they sent.
func summarize(m Inbound) string {
	switch m.MsgType {
	case MsgText, MsgForm, MsgWalkin:
		return strings.TrimSpace(m.Content)
	case MsgVoice:
		if m.Recognition != "" {
			return "[语音] " + m.Recognition
		}
		return "[语音]"
	case MsgImage:
		return "[图片]"
	case MsgLocation:
		return "[位置] " + m.Label
	case MsgVideo, MsgShortVideo:
		return "[视频]"
	case MsgLink:
		return "[链接] " + m.Title
	}
	return "[" + m.MsgType + "]"
}

// CaseMessage is one thing a citizen sent into a case through the Official
// Account: text, a photo or a voice message (with WeChat's recognition of
// it), a location.
type CaseMessage struct {
	ID          int64
	Type        string // text, image, voice, video, shortvideo, location, link
	Text        string
	Recognition string // voice: what WeChat heard
	MediaPath   string // where the fetched photo or voice is kept ("" until fetched)
	MediaError  string // why fetching failed so far
	Latitude    *float64
	Longitude   *float64
	Label       string // location: the place's name
	At          time.Time
}
