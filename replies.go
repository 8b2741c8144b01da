package mashang

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxReplyRunes bounds a reply: WeChat's customer-service text is cut at
// about 2,048 bytes, three per Chinese character.
const MaxReplyRunes = 600

// ReplyTx is what answering a citizen needs from storage, in one transaction.
type ReplyTx interface {
	CaseForReply(ctx context.Context, number string) (Case, error)
	AddCaseEvent(ctx context.Context, caseID int64, at time.Time, kind EventKind, actor, detail string) error
	Enqueue(ctx context.Context, item OutboxItem, at time.Time) error
	// MergedCases are the duplicates merged into a case: its answers reach
	// their citizens too.
	MergedCases(ctx context.Context, caseID int64) ([]Case, error)
	// MarkTaken: an answer takes the case in hand (HandoverTx.MarkTaken).
	MarkTaken(ctx context.Context, caseID int64, at time.Time) error
}

// ReplyStore runs fn in one write transaction.
type ReplyStore interface {
	UpdateReply(ctx context.Context, fn func(ReplyTx) error) error
}

// ReplyConfig is the template message used when the citizen is outside
// WeChat's 48-hour customer-service window.
type ReplyConfig struct {
	TemplateID  string
	NumberField string
	StatusField string
	TimeField   string
	CaseURL     func(number string) string
}

// Replies lets staff answer a citizen about their case.
type Replies struct {
	Store  ReplyStore
	Config ReplyConfig
	Now    func() time.Time
	Queued func() // called once the reply is queued; must not block
}

// Reply queues staff's answer to the case's citizen: as a customer-service
// message, falling back to a template message that leads to the answer
// when WeChat says the 48-hour window is closed. It is on the timeline at
// once; its delivery follows when the outbox sends it.
func (r *Replies) Reply(ctx context.Context, number, staff, text string) error {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return Errorf(EINVALID, "答复内容不能为空")
	case !utf8.ValidString(text):
		return Errorf(EINVALID, "答复内容含有无法识别的字符")
	case utf8.RuneCountInString(text) > MaxReplyRunes:
		return Errorf(EINVALID, "答复不能超过%d个字（微信客服消息的长度限制），请精简或分两次发送", MaxReplyRunes)
	case strings.TrimSpace(staff) == "":
		return Errorf(EINVALID, "请说明答复人")
	}
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	err := r.Store.UpdateReply(ctx, func(tx ReplyTx) error {
		c, err := tx.CaseForReply(ctx, number)
		if err != nil {
			return err
		}
		if err := tx.MarkTaken(ctx, c.ID, now); err != nil {
			return err
		}
		merged, err := tx.MergedCases(ctx, c.ID)
		if err != nil {
			return err
		}
		// Each citizen gets the answer under their own number.
		for _, k := range append([]Case{c}, merged...) {
			if err := tx.AddCaseEvent(ctx, k.ID, now, EventReply, staff, text); err != nil {
				return err
			}
			if k.OpenID == "" {
				continue // a walk-in's citizen who never linked a WeChat: staff phone them (CasesToPhone)
			}
			if err := tx.Enqueue(ctx, r.answer(k, text, now), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && r.Queued != nil {
		r.Queued()
	}
	return err
}

// answer is the outbox item that carries a reply to case c's citizen.
func (r *Replies) answer(c Case, text string, now time.Time) OutboxItem {
	data := map[string]string{"text": text}
	set := func(key, value string) {
		if key != "" {
			data[key] = fitField(key, value)
		}
	}
	set(r.Config.NumberField, c.Number)
	set(r.Config.StatusField, "已答复")
	set(r.Config.TimeField, now.In(China).Format("2006-01-02 15:04"))
	url := ""
	if r.Config.CaseURL != nil {
		url = r.Config.CaseURL(c.Number)
	}
	return OutboxItem{Kind: "reply", CaseID: c.ID, ToUser: c.OpenID, TemplateID: r.Config.TemplateID,
		URL: url, Data: data, ClientMsgID: fmt.Sprintf("reply-%s-%d", c.Number, now.UnixNano())}
}
