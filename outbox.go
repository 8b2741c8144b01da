package mashang

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// OutboxStore hands out due notifications and records what became of them.
type OutboxStore interface {
	// ClaimOutbox leases up to limit due notifications to this sender until
	// now+lease; another instance does not see them meanwhile.
	ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OutboxItem, error)
	MarkOutboxSent(ctx context.Context, item OutboxItem, msgID int64, at time.Time) error
	MarkOutboxRetry(ctx context.Context, item OutboxItem, next time.Time, errcode int, reason string) error
	MarkOutboxFailed(ctx context.Context, item OutboxItem, errcode int, reason string, at time.Time) error
}

// TemplateSender sends a template message through WeChat.
type TemplateSender interface {
	SendTemplate(ctx context.Context, item OutboxItem) (msgID int64, err error)
}

// WeChatCoded is implemented by errors that carry WeChat's errcode.
type WeChatCoded interface{ WeChatCode() int }

// permanentCodes will not get better by trying again: the recipient does
// not follow (43004) or blocked us (43019), the openid or template is wrong,
// the data breaks WeChat's rules (47003), the account may not (48001).
var permanentCodes = map[int]bool{40003: true, 40037: true, 43004: true, 43019: true, 43101: true, 47003: true, 48001: true}

// Outbox sends what the intake queued, after the callback was answered.
// Every notification is sent with its client_msg_id, so a send repeated
// after a crash or a lost answer reaches the person once.
type Outbox struct {
	Store  OutboxStore
	Sender TemplateSender
	Log    *slog.Logger
	Now    func() time.Time

	Batch       int           // per claim; 0 = 50
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
		for _, item := range items {
			if err := ctx.Err(); err != nil {
				return total, err
			}
			switch o.send(ctx, item) {
			case outcomeSent:
				total.Sent++
			case outcomeRetry:
				total.Retried++
			case outcomeFailed:
				total.Failed++
			}
		}
	}
}

// Run drains the outbox until ctx ends; wake makes it look at once (the
// intake queued something).
func (o *Outbox) Run(ctx context.Context, wake <-chan struct{}) {
	poll := o.Poll
	if poll <= 0 {
		poll = time.Second
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-wake:
		}
		if _, err := o.Drain(ctx); err != nil && ctx.Err() == nil {
			o.log().Error("outbox", "err", err)
		}
		timer.Reset(poll)
	}
}

type outcome int

const (
	outcomeSent outcome = iota
	outcomeRetry
	outcomeFailed
)

func (o *Outbox) send(ctx context.Context, item OutboxItem) outcome {
	msgID, err := o.Sender.SendTemplate(ctx, item)
	now := o.now()
	if err == nil {
		if err := o.Store.MarkOutboxSent(ctx, item, msgID, now); err != nil {
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
		if err := o.Store.MarkOutboxFailed(ctx, item, code, err.Error(), now); err != nil {
			o.log().Error("record a failed notification", "id", item.ID, "err", err)
		}
		return outcomeFailed
	}
	delay := o.backoff() << min(attempts-1, 10)
	if err := o.Store.MarkOutboxRetry(ctx, item, now.Add(min(delay, time.Hour)), code, err.Error()); err != nil {
		o.log().Error("record a notification to retry", "id", item.ID, "err", err)
	}
	return outcomeRetry
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
