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
	// OpenStations lists the open stations, to point a closed one's
	// visitors to the nearest.
	OpenStations(ctx context.Context) ([]Station, error)

	BindTokenState(ctx context.Context, token string) (BindState, error)
	DeputyByOpenID(ctx context.Context, openid string) (Deputy, error)
	// BindDeputy uses the token: the deputy it was made for gets openid.
	BindDeputy(ctx context.Context, token, openid string, at time.Time) error
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
		d, err := in.decide(ctx, tx, m)
		if err != nil {
			return fmt.Errorf("reply to %s: %w", m.DedupKey(), err)
		}
		claimed, earlier, err := tx.ClaimInbound(ctx, &m, d.reply)
		if err != nil {
			return fmt.Errorf("claim %s: %w", m.DedupKey(), err)
		}
		if !claimed {
			reply = earlier
			return nil
		}
		reply = d.reply
		if err := in.apply(ctx, tx, m, d); err != nil {
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

// decision is what a push will be answered and where a scan leads; it is
// made by reading only, before the push is claimed.
type decision struct {
	reply Reply
	scene Scene  // the scene the conversation continues with, after a scan
	bind  string // a binding token to use
}

func (in *Intake) decide(ctx context.Context, tx IntakeTx, m Inbound) (decision, error) {
	switch m.MsgType {
	case MsgText, MsgImage, MsgVoice, MsgVideo, MsgShortVideo, MsgLocation, MsgLink:
		return decision{reply: Reply{Text: replyReceived}}, nil
	case MsgEvent:
		if raw, ok := m.Scene(); ok {
			// A retired code still works: a deputy who left office leads to
			// their station, a closed station to the nearest open one.
			var target scanTarget
			var err error
			if scene := ParseScene(raw); scene.Kind == SceneBind {
				target, err = in.bindTarget(ctx, tx, scene.Code, m.OpenID, m.CreateTime)
			} else {
				target, err = in.scanTarget(ctx, tx, scene)
			}
			return decision{reply: Reply{Text: target.reply}, scene: target.scene, bind: target.bind}, err
		}
		if m.Event == EventSubscribe {
			return decision{reply: Reply{Text: replyWelcome}}, nil
		}
	}
	// CLICK, VIEW, LOCATION, unsubscribe, TEMPLATESENDJOBFINISH, and types
	// WeChat adds later: stored and acknowledged with "success".
	return decision{}, nil
}

// scanTarget is where a scan leads: the reply, and the scene the
// conversation continues with ("" for none).
type scanTarget struct {
	reply string
	scene Scene
	bind  string // a binding token to use
}

func (in *Intake) scanTarget(ctx context.Context, tx IntakeTx, scene Scene) (scanTarget, error) {
	switch scene.Kind {
	case SceneStation:
		st, err := tx.StationByCode(ctx, scene.Code)
		if ErrorCode(err) == ENOTFOUND {
			return scanTarget{reply: replyUnknownCode}, nil
		} else if err != nil {
			return scanTarget{}, err
		}
		if st.Open {
			return scanTarget{reply: fmt.Sprintf(replyStationFormat, st.Name), scene: scene}, nil
		}
		open, err := tx.OpenStations(ctx)
		if err != nil {
			return scanTarget{}, err
		}
		if near, km, ok := nearestOpen(st, open); ok {
			return scanTarget{
				reply: fmt.Sprintf(replyStationClosedFormat, st.Name, near.Name, near.Address, km),
				scene: Scene{Kind: SceneStation, Code: near.Code},
			}, nil
		}
		return scanTarget{reply: fmt.Sprintf(replyStationClosedNoNearFormat, st.Name)}, nil
	case SceneDeputy:
		d, err := tx.DeputyByCode(ctx, scene.Code)
		if ErrorCode(err) == ENOTFOUND {
			return scanTarget{reply: replyUnknownCode}, nil
		} else if err != nil {
			return scanTarget{}, err
		}
		if d.InOffice {
			return scanTarget{reply: fmt.Sprintf(replyDeputyFormat, d.Name, d.StationName), scene: scene}, nil
		}
		return scanTarget{
			reply: fmt.Sprintf(replyDeputyRetiredFormat, d.Name, d.StationName),
			scene: Scene{Kind: SceneStation, Code: d.StationCode},
		}, nil
	}
	return scanTarget{reply: replyUnknownCode}, nil
}

// apply makes the changes a push causes; it runs once per push.
func (in *Intake) apply(ctx context.Context, tx IntakeTx, m Inbound, d decision) error {
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
	if d.bind != "" {
		return tx.BindDeputy(ctx, d.bind, m.OpenID, m.CreateTime)
	}
	if d.scene.Kind != SceneUnknown {
		return tx.RecordScan(ctx, m.OpenID, m.CreateTime, d.scene)
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
	replyDeputyRetiredFormat       = "%s已不再担任人大代表。\n您的问题可以继续向「%s」反映：请直接发送文字、图片、语音或位置，站里的代表会尽快处理并答复您。"
	replyStationClosedFormat       = "「%s」已停止使用。\n离这里最近的开放站点是「%s」（%s，约%.1f公里）。您可以直接在这里发送要反映的问题，我们会转交该站的人大代表。"
	replyStationClosedNoNearFormat = "「%s」已停止使用。\n请扫描附近其他代表联络站的二维码反映问题。"
	replyUnknownCode               = "抱歉，未能识别这个二维码，它可能已经停用。\n请扫描代表联络站现场张贴的最新二维码。"
	replyReceived                  = "已收到您的留言，感谢您的反映！我们会尽快转交人大代表处理。"
)

// ErrNotFound is a convenience for stores: errors.Is(err, ErrNotFound) holds
// for any ENOTFOUND *Error made with NotFound.
var ErrNotFound = errors.New("not found")

// NotFound builds the ENOTFOUND error a store returns for a missing thing.
func NotFound(what string) error {
	return fmt.Errorf("%w: %w", &Error{Code: ENOTFOUND, Message: what + "不存在"}, ErrNotFound)
}
