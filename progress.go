package mashang

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// KindProgress is an outbox item telling a citizen how their case moved:
// taken, handed to a department, moved, closed, reopened. It goes the way an
// answer goes (a customer-service message inside WeChat's window, else a
// template message leading to their case page).
const KindProgress = "progress"

// ProgressDelay is how long a progress notice waits before it is sent:
// what else happens to the case meanwhile joins it, so that a case taken
// and handed over in the same minutes is one message, not two.
const ProgressDelay = 3 * time.Minute

// progressLineRunes bounds one step in a notice; the whole text stays within
// what a customer-service message carries (MaxReplyRunes).
const progressLineRunes = 150

// ProgressConfig is the template message that tells a citizen of progress
// outside WeChat's 48-hour window, which of its fields take what, and the
// citizen's own case page every notice links to.
type ProgressConfig struct {
	TemplateID  string
	NumberField string
	StatusField string
	TimeField   string
	CaseURL     func(number string) string
	Delay       time.Duration // 0: ProgressDelay
	// Subscribe is the Mini Program's subscribe message for its citizens,
	// sent when they accepted it.
	Subscribe ProgressSubscribe
}

// ProgressSubscribe says which fields of the Mini Program's progress
// subscribe message take what, and the page it opens.
type ProgressSubscribe struct {
	NumberField string // character_string
	StatusField string // phrase
	StepField   string // thing: the latest step, in 20 characters
	TimeField   string // time
	Page        func(number string) string
}

// progressQueuer is what telling a citizen needs from the transaction that
// moved their case.
type progressQueuer interface {
	Enqueue(ctx context.Context, item OutboxItem, at time.Time) error
	// WaitingProgress is the case's progress notice not yet claimed by a
	// sender (false: none).
	WaitingProgress(ctx context.Context, caseID int64, now time.Time) (OutboxItem, bool, error)
	UpdateWaiting(ctx context.Context, item OutboxItem, now time.Time) (bool, error)
	// MiniProgramCitizen says whether openid is the Mini Program's: the
	// Official Account cannot message it.
	MiniProgramCitizen(ctx context.Context, openid string) (bool, error)
	// TakeProgressGrant uses one of the subscribe sends the case's citizen
	// accepted: the template, or "" when none is left.
	TakeProgressGrant(ctx context.Context, caseID int64) (string, error)
}

// tell queues step for case c's citizen, in the transaction that made it:
// into the notice still waiting for the case if there is one, else a new
// notice due after the delay. status is the case's status after the step.
// A case merged into another hears through the case it went into. A
// citizen of the Mini Program reads the steps there, and is not messaged.
func (p ProgressConfig) tell(ctx context.Context, tx progressQueuer, c Case, status, step string, now time.Time) error {
	return p.tellAsking(ctx, tx, c, status, step, "", now)
}

// tellAsking is tell with a question after the steps (the closing asks the
// citizen to rate, RatingQuestion); a later step that leaves the status
// closed drops it.
func (p ProgressConfig) tellAsking(ctx context.Context, tx progressQueuer, c Case, status, step, ask string, now time.Time) error {
	if c.OpenID == "" || c.Status == CaseMerged {
		return nil
	}
	mp, err := tx.MiniProgramCitizen(ctx, c.OpenID)
	if err != nil {
		return err
	}
	step = strings.Join(strings.Fields(step), " ")
	if utf8.RuneCountInString(step) > progressLineRunes {
		step = string([]rune(step)[:progressLineRunes-1]) + "…"
	}
	label := progressLabels[status]
	item, found, err := tx.WaitingProgress(ctx, c.ID, now)
	if err != nil {
		return err
	}
	if found {
		item.Data["steps"] += "\n· " + step
		if ask != "" || status != CaseClosed {
			item.Data["ask"] = ask
		}
		p.fill(&item, c, label, step, now)
		ok, err := tx.UpdateWaiting(ctx, item, now)
		if err != nil || ok {
			return err
		}
		// A sender claimed it meanwhile: this step goes in a notice of its own.
	}
	item = OutboxItem{Kind: KindProgress, CaseID: c.ID, ToUser: c.OpenID, TemplateID: p.TemplateID,
		Data: map[string]string{"steps": "· " + step, "ask": ask}, ClientMsgID: fmt.Sprintf("progress-%s-%d", c.Number, now.UnixNano())}
	if p.CaseURL != nil {
		item.URL = p.CaseURL(c.Number)
	}
	if mp {
		// One accept, one message: without one left, the citizen reads the
		// steps in the Mini Program.
		template, err := tx.TakeProgressGrant(ctx, c.ID)
		if err != nil || template == "" {
			return err
		}
		item.Kind, item.TemplateID, item.URL = KindSubscribe, template, ""
		if p.Subscribe.Page != nil {
			item.URL = p.Subscribe.Page(c.Number)
		}
	}
	p.fill(&item, c, label, step, now)
	delay := p.Delay
	if delay <= 0 {
		delay = ProgressDelay
	}
	return tx.Enqueue(ctx, item, now.Add(delay))
}

// fill sets the notice's text (the customer-service message) and the
// template's fields from its steps so far; a subscribe message has only
// its fields, the latest step among them.
func (p ProgressConfig) fill(item *OutboxItem, c Case, label, step string, now time.Time) {
	if item.Kind == KindSubscribe {
		s := p.Subscribe
		item.Data = map[string]string{"steps": item.Data["steps"]}
		for key, value := range map[string]string{s.NumberField: c.Number, s.StatusField: label, s.StepField: step,
			s.TimeField: now.In(China).Format("2006-01-02 15:04")} {
			if key != "" {
				item.Data[key] = fitField(key, value)
			}
		}
		return
	}
	text := fmt.Sprintf("您反映的问题（编号：%s）有新进展：\n%s", c.Number, item.Data["steps"])
	if ask := item.Data["ask"]; ask != "" {
		text += "\n\n" + ask
	}
	if item.URL != "" {
		text += "\n查看详情：" + item.URL
	}
	item.Data["text"] = text
	set := func(key, value string) {
		if key != "" {
			item.Data[key] = fitField(key, value)
		}
	}
	set(p.NumberField, c.Number)
	set(p.StatusField, label)
	set(p.TimeField, now.In(China).Format("2006-01-02 15:04"))
}

// progressLabels are the statuses in a few words: the template's status
// field is a phrase (at most five characters).
var progressLabels = map[string]string{CaseOpen: "已受理", CaseAccepted: "办理中", CaseHanded: "已交办",
	CaseClosed: "已办结", CaseReopened: "重新办理"}

// textOnly are the keys of an item's data that carry the customer-service
// message, not template fields.
var textOnly = map[string]bool{"text": true, "steps": true, "ask": true}

// fieldsOnly is an item's data without what only the customer-service
// message carries: what a template or subscribe message sends.
func fieldsOnly(data map[string]string) map[string]string {
	out := make(map[string]string, len(data))
	for k, v := range data {
		if !textOnly[k] {
			out[k] = v
		}
	}
	return out
}

// remind queues the one reminder to rate a closed case, due now: the
// question again, as a customer-service message inside WeChat's window,
// else a template message leading to the case page and its form. A Mini
// Program citizen rates there and is not messaged. It says how many it
// queued.
func (p ProgressConfig) remind(ctx context.Context, tx progressQueuer, a RatingAsk, now time.Time) (int, error) {
	c := a.Case
	if c.OpenID == "" {
		return 0, nil
	}
	if mp, err := tx.MiniProgramCitizen(ctx, c.OpenID); err != nil || mp {
		return 0, err
	}
	item := OutboxItem{Kind: KindProgress, CaseID: c.ID, ToUser: c.OpenID, TemplateID: p.TemplateID,
		ClientMsgID: fmt.Sprintf("rating-reminder-%s-%d", c.Number, a.AnswerID)}
	text := fmt.Sprintf("您反映的问题（编号：%s）已于%s办结，还没有收到您的评价。\n%s", c.Number,
		a.ClosedAt.In(China).Format("1月2日"), RatingQuestion)
	if p.CaseURL != nil {
		item.URL = p.CaseURL(c.Number)
		text += "\n评价：" + item.URL
	}
	item.Data = map[string]string{"text": text}
	for key, value := range map[string]string{p.NumberField: c.Number, p.StatusField: "请您评价",
		p.TimeField: now.In(China).Format("2006-01-02 15:04")} {
		if key != "" {
			item.Data[key] = fitField(key, value)
		}
	}
	return 1, tx.Enqueue(ctx, item, now)
}
