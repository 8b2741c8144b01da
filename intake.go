package mashang

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// IntakeTx is what taking a push needs from storage, inside one transaction.
type IntakeTx interface {
	// ClaimInbound records m, with the reply decided for it, under its dedup
	// key. If the key was recorded before, it records nothing and returns
	// claimed=false with the reply given then, so a retried delivery gets the
	// same answer and changes nothing.
	ClaimInbound(ctx context.Context, m *Inbound, reply Reply) (claimed bool, earlier Reply, err error)
	// RecordFollow, RecordUnfollow and RecordScan keep the follower record; a
	// change older than the one recorded is ignored, since WeChat may deliver
	// a retry after a later push. When a citizen last wrote is not kept here:
	// the inbound log has it, indexed by openid.
	RecordFollow(ctx context.Context, openid string, at time.Time) error
	RecordUnfollow(ctx context.Context, openid string, at time.Time) error
	RecordScan(ctx context.Context, openid string, at time.Time, scene Scene) error

	StationByCode(ctx context.Context, code string) (Station, error)
	DeputyByCode(ctx context.Context, code string) (Deputy, error)
}

// IntakeStore runs fn in one write transaction. fn may be run more than once
// (a store may retry a batch), so it must have no effect outside tx.
type IntakeStore interface {
	UpdateIntake(ctx context.Context, fn func(IntakeTx) error) error
}

// Intake takes every push WeChat delivers: it stores it under its dedup key,
// applies it, and decides the passive reply, all in one transaction, so that
// nothing is answered that was not stored and nothing is applied twice.
type Intake struct {
	Store IntakeStore
	Now   func() time.Time
}

// Receive stores and applies m and returns the reply to give WeChat.
func (in *Intake) Receive(ctx context.Context, m Inbound) (Reply, error) {
	if err := m.Validate(); err != nil {
		return Reply{}, err
	}
	if m.ReceivedAt.IsZero() {
		m.ReceivedAt = in.now()
	}
	var reply Reply
	err := in.Store.UpdateIntake(ctx, func(tx IntakeTx) error {
		// The reply is decided first (it only reads), so that one INSERT
		// records the push and its answer; what the push changes is applied
		// only once the claim shows it is not a retry.
		decided, err := in.decideReply(ctx, tx, m)
		if err != nil {
			return fmt.Errorf("reply to %s: %w", m.DedupKey(), err)
		}
		claimed, earlier, err := tx.ClaimInbound(ctx, &m, decided)
		if err != nil {
			return fmt.Errorf("claim %s: %w", m.DedupKey(), err)
		}
		if !claimed {
			reply = earlier
			return nil
		}
		reply = decided
		if err := in.apply(ctx, tx, m); err != nil {
			return fmt.Errorf("apply %s: %w", m.DedupKey(), err)
		}
		return nil
	})
	if err != nil {
		return Reply{}, err
	}
	return reply, nil
}

func (in *Intake) now() time.Time {
	if in.Now != nil {
		return in.Now()
	}
	return time.Now()
}

// decideReply chooses the passive reply; it reads, never writes.
func (in *Intake) decideReply(ctx context.Context, tx IntakeTx, m Inbound) (Reply, error) {
	switch m.MsgType {
	case MsgText, MsgImage, MsgVoice, MsgVideo, MsgShortVideo, MsgLocation, MsgLink:
		return Reply{Text: replyReceived}, nil
	case MsgEvent:
		if scene, ok := m.Scene(); ok {
			return in.scanReply(ctx, tx, ParseScene(scene))
		}
		if m.Event == EventSubscribe {
			return Reply{Text: replyWelcome}, nil
		}
	}
	// CLICK, VIEW, LOCATION, unsubscribe, TEMPLATESENDJOBFINISH, and types
	// WeChat adds later: stored and acknowledged with "success".
	return Reply{}, nil
}

// scanReply names whom the citizen reached by scanning and what to send.
func (in *Intake) scanReply(ctx context.Context, tx IntakeTx, scene Scene) (Reply, error) {
	switch scene.Kind {
	case SceneStation:
		st, err := tx.StationByCode(ctx, scene.Code)
		if ErrorCode(err) == ENOTFOUND {
			return Reply{Text: replyUnknownCode}, nil
		} else if err != nil {
			return Reply{}, err
		}
		return Reply{Text: fmt.Sprintf(replyStationFormat, st.Name)}, nil
	case SceneDeputy:
		d, err := tx.DeputyByCode(ctx, scene.Code)
		if ErrorCode(err) == ENOTFOUND {
			return Reply{Text: replyUnknownCode}, nil
		} else if err != nil {
			return Reply{}, err
		}
		return Reply{Text: fmt.Sprintf(replyDeputyFormat, d.Name, d.StationName)}, nil
	}
	return Reply{Text: replyUnknownCode}, nil
}

// apply makes the changes a push causes; it runs once per push.
func (in *Intake) apply(ctx context.Context, tx IntakeTx, m Inbound) error {
	if m.MsgType != MsgEvent {
		return nil
	}
	switch m.Event {
	case EventSubscribe:
		if err := tx.RecordFollow(ctx, m.OpenID, m.CreateTime); err != nil {
			return err
		}
	case EventUnsubscribe:
		return tx.RecordUnfollow(ctx, m.OpenID, m.CreateTime)
	}
	if raw, ok := m.Scene(); ok {
		if scene := ParseScene(raw); scene.Kind != SceneUnknown {
			return tx.RecordScan(ctx, m.OpenID, m.CreateTime, scene)
		}
	}
	return nil
}

// What citizens read. Kept together so the tone stays one voice.
const (
	replyWelcome = "欢迎关注！这里是人大代表联络平台“码上见、马上办”。\n" +
		"扫描代表联络站或人大代表的专属二维码，即可直接向代表反映问题、提出意见建议。"
	replyStationFormat = "您好，您已扫码进入「%s」。\n" +
		"请直接发送文字、图片、语音或位置，说明您要反映的问题，本站人大代表会尽快处理并答复您。"
	replyDeputyFormat = "您好，您正在联系%s代表（%s）。\n" +
		"请直接发送文字、图片、语音或位置，说明您要反映的问题，代表会尽快处理并答复您。"
	replyUnknownCode = "抱歉，未能识别这个二维码，它可能已经停用。\n请扫描代表联络站现场张贴的最新二维码。"
	replyReceived    = "已收到您的留言，感谢您的反映！我们会尽快转交人大代表处理。"
)

// ErrNotFound is a convenience for stores: errors.Is(err, ErrNotFound) holds
// for any ENOTFOUND *Error made with NotFound.
var ErrNotFound = errors.New("not found")

// NotFound builds the ENOTFOUND error a store returns for a missing thing.
func NotFound(what string) error {
	return fmt.Errorf("%w: %w", &Error{Code: ENOTFOUND, Message: what + "不存在"}, ErrNotFound)
}
