package mashang

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// OutboxStore hands out due notifications and records what became of them.
type OutboxStore interface {
	// ClaimOutbox leases up to limit due notifications to this sender until
	// now+lease; another instance does not see them meanwhile.
	ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OutboxItem, error)
	MarkOutboxSent(ctx context.Context, item OutboxItem, msgID int64, at time.Time, detail string) error
	MarkOutboxRetry(ctx context.Context, item OutboxItem, next time.Time, errcode int, reason string) error
	MarkOutboxFailed(ctx context.Context, item OutboxItem, errcode int, reason string, at time.Time) error
	// ReleaseOutbox hands back claimed notifications that were not sent.
	ReleaseOutbox(ctx context.Context, items []OutboxItem) error
}

// TemplateSender sends through WeChat: template messages, customer-service
// text inside the 48-hour window, and the Mini Program's subscribe messages.
type TemplateSender interface {
	SendTemplate(ctx context.Context, item OutboxItem) (msgID int64, err error)
	SendText(ctx context.Context, openid, text string) error
	SendSubscribe(ctx context.Context, item OutboxItem) error
}

// windowClosed are WeChat's answers to a customer-service message outside
// what it allows: the 48 hours since the citizen last wrote have passed
// (45015), or the five messages they allow are used (45047).
var windowClosed = map[int]bool{45015: true, 45047: true}

// WeChatCoded is implemented by errors that carry WeChat's errcode.
type WeChatCoded interface{ WeChatCode() int }

// permanentCodes will not get better by trying again: the recipient does
// not follow (43004) or blocked us (43019), the openid or template is wrong,
// the data breaks WeChat's rules (47003), the account may not (48001).
var permanentCodes = map[int]bool{40003: true, 40037: true, 43004: true, 43019: true, 43101: true, 47003: true, 48001: true}

// WeChatFailure says in Chinese why WeChat refused a message, for the
// timelines staff read: WeChat's code is for the log and the metrics.
func WeChatFailure(errcode int) string {
	switch errcode {
	case 43004:
		return "对方没有关注公众号"
	case 43019:
		return "对方已将公众号拉黑"
	case 43101:
		return "对方没有同意接收这条订阅消息"
	case 45015, 45047:
		return "已超出微信允许的客服消息时间或条数"
	case 40003:
		return "对方不是本公众号的用户"
	case 40037:
		return "消息模板未在公众号后台添加"
	case 47003:
		return "消息内容不符合微信的格式要求"
	case 48001:
		return "公众号没有这项接口权限"
	case -2:
		return "微信没有应答"
	}
	return "微信拒绝了这条消息，多次重试仍未成功"
}

// Outbox sends what the intake queued, after the callback was answered.
// Every notification is sent with its client_msg_id, so a send repeated
// after a crash or a lost answer reaches the person once.
type Outbox struct {
	Store  OutboxStore
	Sender TemplateSender
	Log    *slog.Logger
	Now    func() time.Time
	// Observe, when set, hears of each send: its kind, outcome ("sent",
	// "retry", "failed") and WeChat's errcode (0: none).
	Observe func(kind, outcome string, errcode int)

	Batch       int           // per claim; 0 = 50
	Concurrency int           // sends in flight; 0 = 8
	Lease       time.Duration // 0 = 1 minute
	MaxAttempts int           // 0 = 8
	Backoff     time.Duration // first retry delay, doubling; 0 = 5 s
	Poll        time.Duration // between empty claims; 0 = 1 s
}

// DrainResult counts one pass.
type DrainResult struct{ Sent, Retried, Failed int }

// Drain sends every notification due now, in batches, and returns when
// none is left (or ctx ends).
func (o *Outbox) Drain(ctx context.Context) (DrainResult, error) {
	var total DrainResult
	for {
		items, err := o.Store.ClaimOutbox(ctx, o.now(), o.lease(), o.batch())
		if err != nil {
			return total, fmt.Errorf("claim notifications: %w", err)
		}
		if len(items) == 0 {
			return total, nil
		}
		// A few sends in flight: WeChat answers in parallel, and the
		// records of what happened share their commits.
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, defaultInt(o.Concurrency, 8))
		// A send under way finishes and is recorded even when ctx ends
		// (shutdown): WeChat may already have it. What has not started is
		// handed back.
		sendCtx := context.WithoutCancel(ctx)
		var unsent []OutboxItem
		for i, item := range items {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				unsent = items[i:]
				break
			}
			wg.Go(func() {
				defer func() { <-sem }()
				result := o.send(sendCtx, item)
				mu.Lock()
				defer mu.Unlock()
				switch result {
				case outcomeSent:
					total.Sent++
				case outcomeRetry:
					total.Retried++
				case outcomeFailed:
					total.Failed++
				}
			})
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			if len(unsent) > 0 {
				handCtx, cancel := context.WithTimeout(sendCtx, 5*time.Second)
				if err := o.Store.ReleaseOutbox(handCtx, unsent); err != nil {
					o.log().Error("hand back unsent notifications", "n", len(unsent), "err", err)
				} else {
					o.log().Info("unsent notifications handed back", "n", len(unsent))
				}
				cancel()
			}
			return total, err
		}
	}
}

// Run drains the outbox until ctx ends; wake makes it look at once (the
// intake queued something).
func (o *Outbox) Run(ctx context.Context, wake <-chan struct{}) {
	runLoop(ctx, wake, defaultDuration(o.Poll, time.Second), func() {
		if _, err := o.Drain(ctx); err != nil && ctx.Err() == nil {
			o.log().Error("outbox", "err", err)
		}
	})
}

// runLoop calls work at once, then whenever woken or every poll, until ctx
// ends.
func runLoop(ctx context.Context, wake <-chan struct{}, poll time.Duration, work func()) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-wake:
		}
		work()
		timer.Reset(poll)
	}
}

// deliver sends one item and says how it went, for the case's timeline.
func (o *Outbox) deliver(ctx context.Context, item OutboxItem) (int64, string, error) {
	if item.Kind == KindSubscribe {
		item.Data = fieldsOnly(item.Data)
		return 0, "订阅消息已送达", o.Sender.SendSubscribe(ctx, item)
	}
	if item.Kind != "reply" && item.Kind != KindProgress {
		msgID, err := o.Sender.SendTemplate(ctx, item)
		return msgID, "通知已送达代表", err
	}
	// An answer or a step of progress: one path to the citizen.
	what := map[string]string{"reply": "答复", KindProgress: "办理进展"}[item.Kind]
	err := o.Sender.SendText(ctx, item.ToUser, item.Data["text"])
	if err == nil {
		return 0, what + "已通过客服消息送达群众", nil
	}
	var coded WeChatCoded
	if !errors.As(err, &coded) || !windowClosed[coded.WeChatCode()] || item.TemplateID == "" {
		return 0, "", err
	}
	// Outside the window, or its count used up: a template message leads
	// the citizen to their case page.
	fallback := item
	fallback.Data = fieldsOnly(item.Data)
	msgID, err := o.Sender.SendTemplate(ctx, fallback)
	return msgID, fmt.Sprintf("超出微信客服消息时限（错误码 %d），%s已改用模板消息通知群众查看", coded.WeChatCode(), what), err
}

type outcome int

const (
	outcomeSent outcome = iota
	outcomeRetry
	outcomeFailed
)

func (o *Outbox) send(ctx context.Context, item OutboxItem) outcome {
	msgID, detail, err := o.deliver(ctx, item)
	now := o.now()
	if err == nil {
		o.log().Info("notification sent", "kind", item.Kind, "case", item.CaseID, "how", detail)
		o.observe(item.Kind, "sent", 0)
		if err := o.Store.MarkOutboxSent(ctx, item, msgID, now, detail); err != nil {
			// Sent but not recorded: the lease runs out and it is sent again
			// with the same client_msg_id, which WeChat drops.
			o.log().Error("record a sent notification", "id", item.ID, "err", err)
		}
		return outcomeSent
	}
	code := 0
	var coded WeChatCoded
	if errors.As(err, &coded) {
		code = coded.WeChatCode()
	}
	attempts := item.Attempts + 1
	if permanentCodes[code] || attempts >= o.maxAttempts() {
		o.observe(item.Kind, "failed", code)
		if err := o.Store.MarkOutboxFailed(ctx, item, code, err.Error(), now); err != nil {
			o.log().Error("record a failed notification", "id", item.ID, "err", err)
		}
		return outcomeFailed
	}
	o.observe(item.Kind, "retry", code)
	delay := o.backoff() << min(attempts-1, 10)
	if err := o.Store.MarkOutboxRetry(ctx, item, now.Add(min(delay, time.Hour)), code, err.Error()); err != nil {
		o.log().Error("record a notification to retry", "id", item.ID, "err", err)
	}
	return outcomeRetry
}

func (o *Outbox) observe(kind, outcome string, errcode int) {
	if o.Observe != nil {
		o.Observe(kind, outcome, errcode)
	}
}

func (o *Outbox) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Outbox) log() *slog.Logger {
	if o.Log != nil {
		return o.Log
	}
	return slog.Default()
}

func (o *Outbox) batch() int           { return defaultInt(o.Batch, 50) }
func (o *Outbox) maxAttempts() int     { return defaultInt(o.MaxAttempts, 8) }
func (o *Outbox) lease() time.Duration { return defaultDuration(o.Lease, time.Minute) }
func (o *Outbox) backoff() time.Duration {
	return defaultDuration(o.Backoff, 5*time.Second)
}

func defaultInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func defaultDuration(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}
