package mashang

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// IntakeTx is what taking a push needs from storage, inside one transaction.
type IntakeTx interface {
	// ClaimInbound records m under its dedup key. If the key was recorded
	// before, it records nothing and returns claimed=false with the reply
	// given then, so a retried delivery gets the same answer.
	ClaimInbound(ctx context.Context, m *Inbound) (claimed bool, earlier Reply, err error)
	// SetInboundReply records the reply given to the push with that key.
	SetInboundReply(ctx context.Context, dedupKey string, r Reply) error
	// RecordFollow, RecordUnfollow and RecordInteraction keep the follower
	// record; a change older than the one recorded is ignored, since WeChat
	// may deliver a retry after a later push.
	RecordFollow(ctx context.Context, openid string, at time.Time) error
	RecordUnfollow(ctx context.Context, openid string, at time.Time) error
	RecordInteraction(ctx context.Context, openid string, at time.Time, scene string) error

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
		claimed, earlier, err := tx.ClaimInbound(ctx, &m)
		if err != nil {
			return fmt.Errorf("claim %s: %w", m.DedupKey(), err)
		}
		if !claimed {
			reply = earlier
			return nil
		}
		if reply, err = in.apply(ctx, tx, m); err != nil {
			return fmt.Errorf("apply %s: %w", m.DedupKey(), err)
		}
		if reply.IsEmpty() {
			return nil
		}
		return tx.SetInboundReply(ctx, m.DedupKey(), reply)
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

func (in *Intake) apply(ctx context.Context, tx IntakeTx, m Inbound) (Reply, error) {
	switch m.MsgType {
	case MsgEvent:
		return in.applyEvent(ctx, tx, m)
	case MsgText, MsgImage, MsgVoice, MsgVideo, MsgShortVideo, MsgLocation, MsgLink:
		if err := tx.RecordInteraction(ctx, m.OpenID, m.CreateTime, ""); err != nil {
			return Reply{}, err
		}
		return Reply{Text: replyReceived}, nil
	}
	// A type WeChat adds later: stored, acknowledged, looked at by people.
	return Reply{}, nil
}

func (in *Intake) applyEvent(ctx context.Context, tx IntakeTx, m Inbound) (Reply, error) {
	switch m.Event {
	case EventSubscribe:
		if err := tx.RecordFollow(ctx, m.OpenID, m.CreateTime); err != nil {
			return Reply{}, err
		}
		if scene, ok := m.Scene(); ok {
			return in.scanned(ctx, tx, m, scene)
		}
		return Reply{Text: replyWelcome}, nil
	case EventUnsubscribe:
		return Reply{}, tx.RecordUnfollow(ctx, m.OpenID, m.CreateTime)
	case EventScan:
		scene, _ := m.Scene()
		return in.scanned(ctx, tx, m, scene)
	}
	// CLICK, VIEW, LOCATION, TEMPLATESENDJOBFINISH and the rest: stored;
	// menus get their own answers when there are menus.
	return Reply{}, nil
}

// scanned answers a scan of a station's or a deputy's code by naming whom the
// citizen reached and what to send.
func (in *Intake) scanned(ctx context.Context, tx IntakeTx, m Inbound, raw string) (Reply, error) {
	scene := ParseScene(raw)
	switch scene.Kind {
	case SceneStation:
		st, err := tx.StationByCode(ctx, scene.Code)
		if ErrorCode(err) == ENOTFOUND {
			return Reply{Text: replyUnknownCode}, nil
		} else if err != nil {
			return Reply{}, err
		}
		if err := tx.RecordInteraction(ctx, m.OpenID, m.CreateTime, scene.String()); err != nil {
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
		if err := tx.RecordInteraction(ctx, m.OpenID, m.CreateTime, scene.String()); err != nil {
			return Reply{}, err
		}
		return Reply{Text: fmt.Sprintf(replyDeputyFormat, d.Name, d.StationName)}, nil
	}
	return Reply{Text: replyUnknownCode}, nil
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
