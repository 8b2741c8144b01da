package mashang

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// IntakeTx is what taking a push needs from storage, inside one transaction.
type IntakeTx interface {
	// ClaimInbound records m, with the reply decided for it, under its dedup
	// key. If the key was recorded before, it records nothing and returns
	// claimed=false with the reply given then, so a retried delivery gets the
	// same answer and changes nothing.
	ClaimInbound(ctx context.Context, m *Inbound, reply Reply, caseID int64) (claimed bool, earlier Reply, err error)
	// RecordFollow, RecordUnfollow and RecordScan keep the follower record; a
	// change older than the one recorded is ignored, since WeChat may deliver
	// a retry after a later push. When a citizen last wrote is not kept here:
	// the inbound log has it, indexed by openid.
	RecordFollow(ctx context.Context, openid string, at time.Time) error
	RecordUnfollow(ctx context.Context, openid string, at time.Time) error
	RecordScan(ctx context.Context, openid string, at time.Time, scene Scene) error

	StationByCode(ctx context.Context, code string) (Station, error)
	DeputyByCode(ctx context.Context, code string) (Deputy, error)
	// DeskByToken finds a pop-up desk by its code's token, with the
	// deputies present (ENOTFOUND: none).
	DeskByToken(ctx context.Context, token string) (Desk, error)
	// OpenStations lists the open stations, to point a closed one's
	// visitors to the nearest.
	OpenStations(ctx context.Context) ([]Station, error)

	// FileInbound files a stored push into the case it opened, with the
	// reply decided then (which carries the case number).
	FileInbound(ctx context.Context, dedupKey string, caseID int64, r Reply) error

	// ConversationScene is the last code openid scanned and when: their
	// messages go there while that is recent (ENOTFOUND: never scanned).
	ConversationScene(ctx context.Context, openid string) (Scene, time.Time, error)
	// RecentCase is openid's latest case from scene with a message since
	// then, neither closed nor merged: its ID, Number, StationID and
	// Category (ENOTFOUND: none).
	RecentCase(ctx context.Context, openid string, scene Scene, since time.Time) (Case, error)
	// CasesOpenedSince counts the cases openid opened from since on.
	CasesOpenedSince(ctx context.Context, openid string, since time.Time) (int, error)
	// LockCitizen holds the Mini Program citizen openid until the
	// transaction ends, so that their forms sent at once are decided one
	// after the other (joined, counted) as their messages are.
	LockCitizen(ctx context.Context, openid string) error
	// AttachPhotos files openid's uploads into their new case (EINVALID:
	// one is not theirs, or is in another case).
	AttachPhotos(ctx context.Context, caseID int64, openid string, ids []string) ([]Upload, error)
	// DutyBookings lists the live bookings of the slots the deputy bound to
	// openid is on duty for, from fromDay (YYYY-MM-DD) on.
	DutyBookings(ctx context.Context, openid, fromDay string) ([]Booking, error)
	// CasesOf lists openid's latest cases, newest first.
	CasesOf(ctx context.Context, openid string, limit int) ([]Case, error)
	// CaseByNumber finds openid's case by its number (ENOTFOUND: none of theirs).
	CaseByNumber(ctx context.Context, openid, number string) (Case, error)
	// NextCaseNumber counts the day's cases (day as YYMMDD).
	NextCaseNumber(ctx context.Context, day string) (int, error)
	CreateCase(ctx context.Context, c *Case) error
	// TouchCase notes a message in the case at that time.
	TouchCase(ctx context.Context, caseID int64, at time.Time) error
	AddCaseEvent(ctx context.Context, caseID int64, at time.Time, kind EventKind, actor, detail string) error
	StationGroups(ctx context.Context, stationID int64) ([]Group, error)
	// DeputyGroupAt is the deputy's group at the station (ENOTFOUND: none).
	DeputyGroupAt(ctx context.Context, deputyID, stationID int64) (Group, error)
	// KeywordRules are the station's own rules, then those for every station.
	KeywordRules(ctx context.Context, stationID int64) ([]KeywordRule, error)
	// GroupRecipients (the group's members in office with a bound WeChat),
	// Enqueue, and what the limit on a deputy's notices reads.
	groupNotifier

	BindTokenState(ctx context.Context, token string) (BindState, error)
	DeputyByOpenID(ctx context.Context, openid string) (Deputy, error)
	// Standing is a deputy's points and rank (积分).
	PointsReader
	// ActivityByToken finds the activity of a check-in code (ENOTFOUND: none).
	ActivityByToken(ctx context.Context, token string) (Activity, error)
	// Invitation is a deputy's invitation to an activity (ENOTFOUND: none).
	Invitation(ctx context.Context, activityID, deputyID int64) (Invitation, error)
	// CheckIn records a deputy at an activity; their duty record follows.
	CheckIn(ctx context.Context, activityID, deputyID int64, at time.Time) error
	DutyRecorder
	// BindDeputy uses the token: the deputy it was made for gets openid.
	BindDeputy(ctx context.Context, token, openid string, at time.Time) error
	// StaffBindTokenState reads a staff member's binding token.
	StaffBindTokenState(ctx context.Context, token string) (StaffBindState, error)
	// BindStaff uses the token: the staff account it was made for gets openid.
	BindStaff(ctx context.Context, token, openid string, at time.Time) error
	// A citizen's reply to a closing rates the answer (Ratings).
	RatingTx
	// Walk-ins entered for citizens, and their claims (Enter, Claim).
	WalkinTx
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
	// ScanWindow is how long after a scan a citizen's messages go to the
	// station or deputy scanned; 0 = 24 hours.
	ScanWindow time.Duration
	// CaseGap joins messages (and forms) into one case when each follows
	// the last within it; 0 = 30 minutes.
	CaseGap time.Duration
	// PerDay is how many cases one citizen may open in a day (China's);
	// past it what they send is kept and answered, not opened. 0: no limit.
	PerDay int
	// FirstResponseDays is how many working days (on Calendar) a new case
	// may wait for a deputy or staff member to take it before it turns
	// yellow (Supervision.Sweep); 0 or no Calendar: no such deadline.
	FirstResponseDays int
	Calendar          Calendar
	// Notify is the template message that tells deputies of a new case;
	// without a template ID, the station's staff are alerted instead.
	Notify NotifyConfig
	// ProgressSubscribeID is the Mini Program subscribe message a form's
	// citizen may accept to hear of their case's progress ("" for none).
	ProgressSubscribeID string
	// Queued, if set, is called after a push that queued messages for the
	// outbox is stored, and MediaStored after one that carries media to
	// fetch, so the outbox and the media fetcher look at once instead of at
	// their next poll; pushes that give them nothing to do wake neither.
	// They must not block.
	Queued      func()
	MediaStored func()
	// Followed, if set, is called after a subscribe or scan is stored (a
	// follower whose unionid may be read).
	Followed func()
	// TextChecker, when set, has WeChat check a form's text before it is
	// routed: what it finds risky waits for staff instead.
	TextChecker TextChecker
	// MiniProgramAppID, when set, adds a link to the Mini Program's form to
	// the reply to a scan.
	MiniProgramAppID string
	// Ratings, when set, takes a citizen's text that answers the closing
	// notice (`1`, `3 路灯还是不亮`, 同意公开) as their rating instead of a
	// new matter.
	Ratings *Ratings
	// Vault seals the phone numbers of citizens entered as walk-ins (nil:
	// no data key configured, and no phone may be entered).
	Vault *Vault
}

// TextChecker is WeChat's content security check of text (msgSecCheck).
// It needs the Mini Program's openid of someone who used it lately, so only
// forms can be checked, not Official Account messages.
type TextChecker interface {
	MsgSecCheck(ctx context.Context, openid, content string) (SecurityVerdict, error)
}

// Menu keys: "我的问题" for citizens, "我的接待" for deputies on duty.
const (
	MenuMyCases      = "MY_CASES"
	MenuDutyBookings = "DUTY_BOOKINGS"
	MenuMyPoints     = "MY_POINTS"
)

// Receive stores and applies m and returns the reply to give WeChat.
func (in *Intake) Receive(ctx context.Context, m Inbound) (Reply, error) {
	if err := m.Validate(); err != nil {
		return Reply{}, err
	}
	if m.ReceivedAt.IsZero() {
		m.ReceivedAt = in.now()
	}
	var reply Reply
	var queued bool
	err := in.Store.UpdateIntake(WithPush(ctx, m.OpenID, m.CreateTime), func(storeTx IntakeTx) error {
		tx := &enqueueNoticer{IntakeTx: storeTx, queued: &queued}
		// The reply is decided first (it only reads), so that one INSERT
		// records the push and its answer; what the push changes is applied
		// only once the claim shows it is not a retry.
		d, err := in.decide(ctx, tx, m)
		if err != nil {
			return fmt.Errorf("reply to %s: %w", m.DedupKey(), err)
		}
		claimed, earlier, err := tx.ClaimInbound(ctx, &m, d.reply, d.joinCase)
		if err != nil {
			return fmt.Errorf("claim %s: %w", m.DedupKey(), err)
		}
		if !claimed {
			reply = earlier
			reply.Repeat = true
			return nil
		}
		reply = d.reply
		if d.rating != nil {
			return in.Ratings.apply(ctx, tx, *d.rating, m.CreateTime)
		}
		if d.claim != nil {
			return applyClaim(ctx, tx, *d.claim, m.CreateTime)
		}
		if d.joinCase != 0 {
			// Filed with the claim, its reply known before: the case's time
			// moves, and a form's text and photos join its timeline.
			if err := tx.TouchCase(ctx, d.joinCase, m.CreateTime); err != nil {
				return err
			}
			if m.MsgType == MsgForm {
				return in.joinForm(ctx, tx, d.joined, &m)
			}
			return nil
		}
		if d.caseMessage {
			var c Case
			if reply, c, err = in.openCase(ctx, tx, &m, d.scene); err != nil {
				return fmt.Errorf("open a case for %s: %w", m.DedupKey(), err)
			}
			return tx.FileInbound(ctx, m.DedupKey(), c.ID, reply)
		}
		if err := in.apply(ctx, tx, m, d); err != nil {
			return fmt.Errorf("apply %s: %w", m.DedupKey(), err)
		}
		return nil
	})
	if err != nil {
		return Reply{}, err
	}
	if queued && in.Queued != nil {
		in.Queued()
	}
	if m.MediaID != "" && in.MediaStored != nil {
		in.MediaStored()
	}
	if m.MsgType == MsgEvent && (m.Event == EventSubscribe || m.Event == EventScan) && in.Followed != nil {
		in.Followed()
	}
	return reply, nil
}

// PushRead is what a store may read ahead for a push's transaction: the
// citizen's conversation, and the rating awaiting its reason since Since
// (the AwaitingReason a text of theirs asks first). A store that files the
// pushes arriving together in one transaction asks it for all of them in
// one statement.
type PushRead struct {
	OpenID string
	Since  time.Time
}

type pushKey struct{}

// WithPush marks ctx as carrying the push of openid sent at sentAt.
func WithPush(ctx context.Context, openid string, sentAt time.Time) context.Context {
	return context.WithValue(ctx, pushKey{}, PushRead{OpenID: openid, Since: sentAt.Add(-ReasonWindow)})
}

// PushOf is the push ctx carries (WithPush), if any.
func PushOf(ctx context.Context) (PushRead, bool) {
	p, ok := ctx.Value(pushKey{}).(PushRead)
	return p, ok && p.OpenID != ""
}

// enqueueNoticer notes whether a transaction queued anything for the outbox.
type enqueueNoticer struct {
	IntakeTx
	queued *bool
}

func (t *enqueueNoticer) Enqueue(ctx context.Context, item OutboxItem, at time.Time) error {
	*t.queued = true
	return t.IntakeTx.Enqueue(ctx, item, at)
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
	reply       Reply
	scene       Scene  // after a scan, where the conversation goes; for a message, where it is filed
	bind        string // a binding token to use
	staffBind   string // a staff member's binding token to use
	checkIn     *checkIn
	caseMessage bool  // a message to file in a case (its reply carries the case number)
	joinCase    int64 // the case it joins; 0 opens a new one
	joined      Case  // that case (ID, Number, StationID), for a form's photos
	rating      *ratingMessage
	claim       *claimWrite // a walk-in's slip code sent: the case given, or the wrong code counted
}

func (in *Intake) decide(ctx context.Context, tx IntakeTx, m Inbound) (decision, error) {
	switch m.MsgType {
	case MsgForm:
		// A form opens a case at the station or deputy it names, or joins
		// the one the citizen opened there moments before, as a message
		// does, unless they chose another category. One the text check
		// flagged is not put before deputies.
		if err := tx.LockCitizen(ctx, m.OpenID); err != nil {
			return decision{}, err
		}
		if m.TextCheck == nil || !m.TextCheck.Held() {
			c, err := tx.RecentCase(ctx, m.OpenID, m.FormTarget, m.CreateTime.Add(-in.caseGap()))
			switch {
			case err == nil && m.FormCategory != "" && m.FormCategory != c.Category:
				// The citizen said it is about something else.
			case err == nil:
				return decision{caseMessage: true, scene: m.FormTarget, joinCase: c.ID, joined: c, reply: Reply{Text: c.Number}}, nil
			case ErrorCode(err) != ENOTFOUND:
				return decision{}, err
			}
		}
		return in.newCase(ctx, tx, m, m.FormTarget)
	case MsgText, MsgImage, MsgVoice, MsgVideo, MsgShortVideo, MsgLocation, MsgLink:
		return in.decideMessage(ctx, tx, m)
	case MsgEvent:
		if raw, ok := m.Scene(); ok {
			// A retired code still works: a deputy who left office leads to
			// their station, a closed station to the nearest open one.
			var target scanTarget
			var err error
			if scene := ParseScene(raw); scene.Kind == SceneBind {
				target, err = in.bindTarget(ctx, tx, scene.Code, m.OpenID, m.CreateTime)
			} else if scene.Kind == SceneStaffBind {
				target, err = in.staffBindTarget(ctx, tx, scene.Code, m.OpenID, m.CreateTime)
			} else if scene.Kind == SceneDesk {
				target, err = deskTarget(ctx, tx, scene.Code, m.CreateTime)
			} else if scene.Kind == SceneActivity {
				var ci *checkIn
				target, ci, err = in.checkInTarget(ctx, tx, scene.Code, m.OpenID, m.CreateTime)
				return decision{reply: Reply{Text: target.reply}, checkIn: ci}, err
			} else {
				target, err = in.scanTarget(ctx, tx, scene)
			}
			reply := target.reply
			// The form takes a station's or a deputy's scene, not a desk's.
			if in.MiniProgramAppID != "" && (target.scene.Kind == SceneStation || target.scene.Kind == SceneDeputy) {
				// WeChat renders this link in a text reply; it opens the form.
				reply += fmt.Sprintf("\n<a data-miniprogram-appid=\"%s\" data-miniprogram-path=\"pages/raise/index?scene=%s\">也可以点此填写表单</a>",
					in.MiniProgramAppID, target.scene.String())
			}
			return decision{reply: Reply{Text: reply}, scene: target.scene, bind: target.bind, staffBind: target.staffBind}, err
		}
		if m.Event == EventSubscribe {
			return decision{reply: Reply{Text: replyWelcome}}, nil
		}
		if m.Event == EventClick && m.EventKey == MenuMyCases {
			return in.myCases(ctx, tx, m.OpenID)
		}
		if m.Event == EventClick && m.EventKey == MenuDutyBookings {
			return in.dutyBookings(ctx, tx, m.OpenID, m.CreateTime)
		}
		if m.Event == EventClick && m.EventKey == MenuMyPoints {
			return in.myPoints(ctx, tx, m.OpenID, m.CreateTime)
		}
	}
	// CLICK, VIEW, LOCATION, unsubscribe, TEMPLATESENDJOBFINISH, and types
	// WeChat adds later: stored and acknowledged with "success".
	return decision{}, nil
}

// scanTarget is where a scan leads: the reply, and the scene the
// conversation continues with ("" for none).
type scanTarget struct {
	reply     string
	scene     Scene
	bind      string // a binding token to use
	staffBind string
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

// bindTarget decides what scanning a binding code does (reading only).
func (in *Intake) bindTarget(ctx context.Context, tx IntakeTx, token, openid string, at time.Time) (scanTarget, error) {
	st, err := tx.BindTokenState(ctx, token)
	if ErrorCode(err) == ENOTFOUND {
		return scanTarget{reply: replyBindUnknown}, nil
	} else if err != nil {
		return scanTarget{}, err
	}
	if r := spentBindCode(st.UsedAt, st.UsedBy, st.ExpiresAt, openid, at, fmt.Sprintf(replyBindAlready, st.DeputyName), replyBindExpired); r != "" {
		return scanTarget{reply: r}, nil
	}
	other, err := tx.DeputyByOpenID(ctx, openid)
	switch {
	case err == nil && other.ID != st.DeputyID:
		return scanTarget{reply: fmt.Sprintf(replyBindOther, other.Name, st.DeputyName)}, nil
	case err != nil && ErrorCode(err) != ENOTFOUND:
		return scanTarget{}, err
	}
	return scanTarget{reply: fmt.Sprintf(replyBound, st.DeputyName), bind: token}, nil
}

// staffBindTarget decides what scanning a staff binding code does (reading
// only). One WeChat may serve one staff account; rebinding an account moves
// its notices to the new WeChat.
func (in *Intake) staffBindTarget(ctx context.Context, tx IntakeTx, token, openid string, at time.Time) (scanTarget, error) {
	st, err := tx.StaffBindTokenState(ctx, token)
	if ErrorCode(err) == ENOTFOUND {
		return scanTarget{reply: replyBindUnknown}, nil
	} else if err != nil {
		return scanTarget{}, err
	}
	if r := spentBindCode(st.UsedAt, st.UsedBy, st.ExpiresAt, openid, at, fmt.Sprintf(replyStaffBindAlready, st.Name), replyStaffBindExpired); r != "" {
		return scanTarget{reply: r}, nil
	}
	bound := replyStaffBound
	if st.Role == RoleHandler {
		bound = replyHandlerBound
	}
	return scanTarget{reply: fmt.Sprintf(bound, st.Name), staffBind: token}, nil
}

// spentBindCode answers a binding code (a deputy's or a staff member's)
// that can bind no more: already used by this WeChat (already), by another
// (replyBindUsed), or expired; "" while it still can.
func spentBindCode(usedAt *time.Time, usedBy string, expires time.Time, openid string, at time.Time, already, expired string) string {
	switch {
	case usedAt != nil && usedBy == openid:
		return already
	case usedAt != nil:
		return replyBindUsed
	case !at.Before(expires):
		return expired
	}
	return ""
}

// checkInTarget decides what scanning an activity's code does (reading
// only): only an invited, bound deputy, within the activity's time, once.
func (in *Intake) checkInTarget(ctx context.Context, tx IntakeTx, token, openid string, at time.Time) (scanTarget, *checkIn, error) {
	a, err := tx.ActivityByToken(ctx, token)
	if ErrorCode(err) == ENOTFOUND {
		return scanTarget{reply: replyCheckInUnknown}, nil, nil
	} else if err != nil {
		return scanTarget{}, nil, err
	}
	d, err := tx.DeputyByOpenID(ctx, openid)
	if ErrorCode(err) == ENOTFOUND {
		return scanTarget{reply: fmt.Sprintf(replyCheckInNotDeputy, a.Title)}, nil, nil
	} else if err != nil {
		return scanTarget{}, nil, err
	}
	if !d.InOffice {
		return scanTarget{reply: ReplyDeputyOutOfOffice}, nil, nil
	}
	inv, err := tx.Invitation(ctx, a.ID, d.ID)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		return scanTarget{reply: fmt.Sprintf(replyCheckInNotInvited, d.Name, a.Title)}, nil, nil
	case err != nil:
		return scanTarget{}, nil, err
	case inv.CheckedInAt != nil:
		return scanTarget{reply: fmt.Sprintf(replyCheckInAlready, d.Name, inv.CheckedInAt.In(China).Format("15:04"), a.Title)}, nil, nil
	case at.Before(a.Start.Add(-CheckInEarly)):
		return scanTarget{reply: fmt.Sprintf(replyCheckInEarly, a.Title, a.Start.Add(-CheckInEarly).In(China).Format("1月2日15:04"))}, nil, nil
	case !at.Before(a.End):
		return scanTarget{reply: fmt.Sprintf(replyCheckInOver, a.Title)}, nil, nil
	}
	return scanTarget{reply: fmt.Sprintf(replyCheckedIn, d.Name, a.Title, a.Place)}, &checkIn{activityID: a.ID, deputyID: d.ID, title: a.Title}, nil
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
	if d.staffBind != "" {
		return tx.BindStaff(ctx, d.staffBind, m.OpenID, m.CreateTime)
	}
	if ci := d.checkIn; ci != nil {
		if err := tx.CheckIn(ctx, ci.activityID, ci.deputyID, m.CreateTime); err != nil {
			return err
		}
		return recordDuty(ctx, tx, DutyEntry{DeputyID: ci.deputyID, Action: DutyAttend, ActivityID: ci.activityID, At: m.CreateTime,
			Detail: "参加「" + ci.title + "」，扫码签到"})
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
	replyNoContext                 = "您好！请先扫描代表联络站或人大代表的专属二维码，再发送您要反映的问题，我们会转给负责的代表。"
	replyContextExpiredFormat      = "您上次扫码联系的是「%s」，已超过%s。\n如仍要向它反映问题，请重新扫码后再发送；您刚才的消息我们已记录。"
	replyNewCaseFormat             = "已收到您反映的问题，编号：%s。\n已转交%s，处理进展会通过本公众号告诉您。发送编号可随时查询。"
	replyJoinedFormat              = "已补充到您反映的问题（编号：%s）。"
	replyCaseStatusFormat          = "您的问题（编号：%s，%s）\n状态：%s\n提交时间：%s"
	replyCaseUnknownFormat         = "没有找到您编号为 %s 的问题，请核对编号。"
	replyPerDayFormat              = "您今天已反映了%d个问题，达到每人每天%d个的上限。您刚才%s已记录，但不再作为新问题转交代表；请明天再反映新的问题。发送问题编号可查询已反映问题的进展。"
)

// ErrNotFound is a convenience for stores: errors.Is(err, ErrNotFound) holds
// for any ENOTFOUND *Error made with NotFound.
var ErrNotFound = errors.New("not found")

// NotFound builds the ENOTFOUND error a store returns for a missing thing.
func NotFound(what string) error {
	return fmt.Errorf("%w: %w", &Error{Code: ENOTFOUND, Message: what + "不存在"}, ErrNotFound)
}

func (in *Intake) scanWindow() time.Duration {
	if in.ScanWindow > 0 {
		return in.ScanWindow
	}
	return 24 * time.Hour
}

func (in *Intake) caseGap() time.Duration {
	if in.CaseGap > 0 {
		return in.CaseGap
	}
	return 30 * time.Minute
}

// decideMessage decides what a citizen's message is: a question about a
// case number, a message for the station or deputy they scanned recently
// (filed into a case when applied), or a message with no context, which is
// kept and answered with how to reach someone.
func (in *Intake) decideMessage(ctx context.Context, tx IntakeTx, m Inbound) (decision, error) {
	if text := strings.TrimSpace(m.Content); m.MsgType == MsgText && (text == "积分" || text == "我的积分") {
		if _, err := tx.DeputyByOpenID(ctx, m.OpenID); err == nil {
			return in.myPoints(ctx, tx, m.OpenID, m.CreateTime)
		}
	}
	if sm := claimPattern.FindStringSubmatch(strings.TrimSpace(m.Content)); m.MsgType == MsgText && sm != nil {
		reply, _, w, err := decideClaim(ctx, tx, m.OpenID, sm[1], strings.ToUpper(sm[2]))
		return decision{reply: Reply{Text: reply}, claim: w}, err
	}
	if text := strings.TrimSpace(m.Content); m.MsgType == MsgText && caseNumberPattern.MatchString(text) {
		c, err := tx.CaseByNumber(ctx, m.OpenID, text)
		if ErrorCode(err) == ENOTFOUND {
			return decision{reply: Reply{Text: fmt.Sprintf(replyCaseUnknownFormat, text)}}, nil
		} else if err != nil {
			return decision{}, err
		}
		return decision{reply: Reply{Text: fmt.Sprintf(replyCaseStatusFormat, c.Number, c.StationName,
			c.StatusLabel(), c.CreatedAt.In(China).Format("2006-01-02 15:04"))}}, nil
	}
	if m.MsgType == MsgText && in.Ratings != nil {
		rating, reply, err := in.Ratings.decide(ctx, tx, m.OpenID, m.Content, m.CreateTime)
		if err != nil || reply != "" {
			return decision{reply: Reply{Text: reply}, rating: rating}, err
		}
	}
	scene, at, err := tx.ConversationScene(ctx, m.OpenID)
	if ErrorCode(err) == ENOTFOUND {
		return decision{reply: Reply{Text: replyNoContext}}, nil
	} else if err != nil {
		return decision{}, err
	}
	if m.CreateTime.Sub(at) > in.scanWindow() {
		name := scene.String()
		if scene.Kind == SceneStation {
			if st, err := tx.StationByCode(ctx, scene.Code); err == nil {
				name = st.Name
			}
		} else if scene.Kind == SceneDesk {
			if d, err := tx.DeskByToken(ctx, scene.Code); err == nil {
				name = d.Place + "流动办公桌"
			}
		} else if d, err := tx.DeputyByCode(ctx, scene.Code); err == nil {
			name = d.Name + "代表"
		}
		return decision{reply: Reply{Text: fmt.Sprintf(replyContextExpiredFormat, name, humanDuration(in.scanWindow()))}}, nil
	}
	// Joining the case opened moments before is decided here, so its
	// reply is stored with the claim.
	c, err := tx.RecentCase(ctx, m.OpenID, scene, m.CreateTime.Add(-in.caseGap()))
	switch {
	case err == nil:
		return decision{caseMessage: true, scene: scene, joinCase: c.ID, reply: Reply{Text: fmt.Sprintf(replyJoinedFormat, c.Number)}}, nil
	case ErrorCode(err) != ENOTFOUND:
		return decision{}, err
	}
	return in.newCase(ctx, tx, m, scene)
}

// newCase decides to open a case for m at scene, unless its citizen has
// opened PerDay cases today: then m is kept and answered, and opens none.
func (in *Intake) newCase(ctx context.Context, tx IntakeTx, m Inbound, scene Scene) (decision, error) {
	if in.PerDay > 0 {
		y, mo, d := m.CreateTime.In(China).Date()
		n, err := tx.CasesOpenedSince(ctx, m.OpenID, time.Date(y, mo, d, 0, 0, 0, 0, China))
		if err != nil {
			return decision{}, err
		}
		if n >= in.PerDay {
			what := "消息"
			if m.MsgType == MsgForm {
				what = "填写的内容"
			}
			return decision{reply: Reply{Text: fmt.Sprintf(replyPerDayFormat, n, in.PerDay, what)}}, nil
		}
	}
	return decision{caseMessage: true, scene: scene}, nil
}

func humanDuration(d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		return fmt.Sprintf("%d小时", int(d/time.Hour))
	}
	return fmt.Sprintf("%d分钟", int(d/time.Minute))
}

// openCase opens a case for a message: numbered, routed (the reason on its
// timeline), and its deputies notified through the outbox, all in the
// transaction that stores the message. The messages that join it later are
// its case_messages; the timeline keeps what was done about them.
func (in *Intake) openCase(ctx context.Context, tx IntakeTx, m *Inbound, scene Scene) (Reply, Case, error) {
	var desk Desk
	var note string // what the reply says first
	if scene.Kind == SceneDesk {
		// Scanned while the desk was open; written after it closed (and
		// the grace for one still typing), it goes to the desk's station.
		var err error
		if desk, err = tx.DeskByToken(ctx, scene.Code); err != nil {
			return Reply{}, Case{}, err
		}
		if !desk.takesAt(m.CreateTime) {
			scene, note = Scene{Kind: SceneStation, Code: desk.StationCode}, fmt.Sprintf(replyDeskClosedNote, desk.StationName)
		}
	}
	if scene.Kind == SceneDeputy {
		// A deputy who left office takes no new case: it goes to their
		// station, as a scan of their code leads there.
		if d, err := tx.DeputyByCode(ctx, scene.Code); err == nil && !d.InOffice {
			scene = Scene{Kind: SceneStation, Code: d.StationCode}
		} else if err != nil {
			return Reply{}, Case{}, err
		}
	}
	c := Case{OpenID: m.OpenID, Scene: scene, Status: CaseOpen, Summary: summarize(*m), CreatedAt: m.CreateTime,
		LastMessageAt: m.CreateTime, PublicConsent: m.PublicConsent, ProgressSubscribe: m.ProgressTemplate}
	var routing Routing
	var who string
	switch scene.Kind {
	case SceneStation:
		st, err := tx.StationByCode(ctx, scene.Code)
		if err != nil {
			return Reply{}, Case{}, err
		}
		c.StationID, c.StationName = st.ID, st.Name
		groups, err := tx.StationGroups(ctx, st.ID)
		if err != nil {
			return Reply{}, Case{}, err
		}
		rules, err := tx.KeywordRules(ctx, st.ID)
		if err != nil {
			return Reply{}, Case{}, err
		}
		if m.FormCategory != "" {
			if err := knownCategory(m.FormCategory, groups, rules); err != nil {
				return Reply{}, Case{}, err
			}
			routing = routeChosen(st.Name, m.FormCategory, groups)
		} else {
			routing = routeStation(st.Name, c.Summary, groups, rules)
		}
		who = "「" + st.Name + "」"
	case SceneDeputy:
		d, err := tx.DeputyByCode(ctx, scene.Code)
		if err != nil {
			return Reply{}, Case{}, err
		}
		st, err := tx.StationByCode(ctx, d.StationCode)
		if err != nil {
			return Reply{}, Case{}, err
		}
		c.StationID, c.StationName, c.DeputyID = st.ID, st.Name, d.ID
		var group *Group
		if g, err := tx.DeputyGroupAt(ctx, d.ID, st.ID); err == nil {
			group = &g
		} else if ErrorCode(err) != ENOTFOUND {
			return Reply{}, Case{}, err
		}
		rules, err := tx.KeywordRules(ctx, st.ID)
		if err != nil {
			return Reply{}, Case{}, err
		}
		routing = routeDeputy(d.Name, st.Name, group, c.Summary, rules)
		if m.FormCategory != "" {
			groups, err := tx.StationGroups(ctx, st.ID)
			if err != nil {
				return Reply{}, Case{}, err
			}
			if err := knownCategory(m.FormCategory, groups, rules); err != nil {
				return Reply{}, Case{}, err
			}
			routing.Category = m.FormCategory
		}
		who = d.Name + "代表"
	case SceneDesk:
		c.StationID, c.StationName = desk.StationID, desk.StationName
		rules, err := tx.KeywordRules(ctx, desk.StationID)
		if err != nil {
			return Reply{}, Case{}, err
		}
		routing = routeDesk(desk, c.Summary, rules)
		who = fmt.Sprintf("「%s」流动办公桌的%s代表", desk.Place, desk.DeputyNames())
	default:
		return Reply{}, Case{}, Errorf(EINVALID, "a case needs a station or deputy scene, got %q", scene.String())
	}
	c.Category = routing.Category
	if routing.Group != nil {
		c.GroupID, c.GroupName = routing.Group.ID, routing.Group.Name
	}
	held := m.TextCheck != nil && m.TextCheck.Held()
	if held {
		// Not routed: nobody is notified until staff have looked at it.
		c.Status, c.GroupID, c.GroupName = CaseHeld, 0, ""
		routing.Reason = fmt.Sprintf("内容安全检测提示「%s」（%s），暂不分派，由工作人员审核", m.TextCheck.LabelName(), m.TextCheck.Suggest)
	}

	n, err := tx.NextCaseNumber(ctx, m.CreateTime.In(China).Format("060102"))
	if err != nil {
		return Reply{}, Case{}, err
	}
	c.Number = CaseNumber(m.CreateTime, n)
	if in.Calendar != nil && in.FirstResponseDays > 0 {
		// Computed once, written with the case: the sweep reads it.
		c.FirstResponseDue = in.Calendar.AddWorkingDays(c.CreatedAt, in.FirstResponseDays)
	}
	if err := tx.CreateCase(ctx, &c); err != nil {
		return Reply{}, Case{}, err
	}
	opened := fmt.Sprintf("群众扫描%s的二维码后留言：%s", who, c.Summary)
	switch m.MsgType {
	case MsgForm:
		opened = fmt.Sprintf("群众通过小程序表单向%s反映：%s", who, c.Summary)
	case MsgWalkin:
		opened = fmt.Sprintf("群众向%s反映（%s）：%s", who, m.Channel, c.Summary)
	}
	if err := tx.AddCaseEvent(ctx, c.ID, m.CreateTime, EventOpened, "群众", opened); err != nil {
		return Reply{}, Case{}, err
	}
	if m.MsgType == MsgWalkin {
		entered := fmt.Sprintf("渠道：%s；由%s代为录入", m.Channel, m.EnteredName)
		if m.Channel == ChannelDeputy {
			entered = fmt.Sprintf("渠道：%s；%s转来选民当面反映的问题，工作人员受理后计入其履职积分", m.Channel, m.EnteredName)
		}
		if err := tx.AddCaseEvent(ctx, c.ID, m.CreateTime, EventEntered, m.EnteredName, entered); err != nil {
			return Reply{}, Case{}, err
		}
	}
	if scene.Kind == SceneDesk {
		channel := fmt.Sprintf("渠道：流动办公桌「%s」（%s，%s），在场代表：%s", desk.Place, desk.Window(), desk.StationName, desk.DeputyNames())
		if err := tx.AddCaseEvent(ctx, c.ID, m.CreateTime, EventDesk, "系统", channel); err != nil {
			return Reply{}, Case{}, err
		}
	}
	if c.DeputyID != 0 {
		if err := flagOwnCase(ctx, tx, c, who, m.ReceivedAt); err != nil {
			return Reply{}, Case{}, err
		}
	}
	if len(m.Photos) > 0 {
		if err := in.attachPhotos(ctx, tx, c, m); err != nil {
			return Reply{}, Case{}, err
		}
	}
	if m.MsgType == MsgForm && m.TextCheck == nil {
		if err := tx.AddCaseEvent(ctx, c.ID, m.CreateTime, EventUnchecked, "系统", "未经内容安全检测："+m.TextCheckProblem); err != nil {
			return Reply{}, Case{}, err
		}
	}
	if held {
		msg := fmt.Sprintf("问题 %s（%s）%s。", c.Number, c.StationName, routing.Reason)
		if err := tx.AddStaffAlert(ctx, c.StationID, c.ID, msg, m.ReceivedAt); err != nil {
			return Reply{}, Case{}, err
		}
		if err := tx.AddCaseEvent(ctx, c.ID, m.CreateTime, EventHeld, "系统", routing.Reason); err != nil {
			return Reply{}, Case{}, err
		}
		return Reply{Text: c.Number}, c, nil
	}
	if err := tx.AddCaseEvent(ctx, c.ID, m.CreateTime, EventRouted, "系统", routing.Reason); err != nil {
		return Reply{}, Case{}, err
	}
	if err := in.notify(ctx, tx, c, m.ReceivedAt); err != nil {
		return Reply{}, Case{}, err
	}
	if scene.Kind == SceneDesk {
		if err := recordDeskDuty(ctx, tx, desk, c, m.CreateTime); err != nil {
			return Reply{}, Case{}, err
		}
	}
	if m.MsgType == MsgForm {
		return Reply{Text: c.Number}, c, nil // what the form's caller needs; kept for its retries
	}
	return Reply{Text: note + fmt.Sprintf(replyNewCaseFormat, c.Number, who)}, c, nil
}

// flagOwnCase tells staff when the deputy whose code a case was raised at
// raised it from their own WeChat (their bound openid, or a Mini Program
// account linked to it by unionid): it earns them nothing (recordDuty), and
// staff see it on the timeline and in their alerts.
func flagOwnCase(ctx context.Context, tx IntakeTx, c Case, deputy string, at time.Time) error {
	_, own, err := tx.DutyEarner(ctx, c.DeputyID, c.ID)
	if err != nil || !own {
		return err
	}
	msg := fmt.Sprintf("问题 %s（%s）由%s本人的微信在其本人的二维码下提出：代表办理此问题不计履职积分，请工作人员核实。", c.Number, c.StationName, deputy)
	if err := tx.AddStaffAlert(ctx, c.StationID, c.ID, msg, at); err != nil {
		return err
	}
	return tx.AddCaseEvent(ctx, c.ID, c.CreatedAt, EventOwnCase, "系统", msg)
}

// joinForm puts a form that joined c on its timeline, with its photos.
func (in *Intake) joinForm(ctx context.Context, tx IntakeTx, c Case, m *Inbound) error {
	if err := tx.AddCaseEvent(ctx, c.ID, m.CreateTime, EventAdded, "群众", "群众通过小程序表单补充："+summarize(*m)); err != nil {
		return err
	}
	if m.TextCheck == nil {
		if err := tx.AddCaseEvent(ctx, c.ID, m.CreateTime, EventUnchecked, "系统", "补充内容未经内容安全检测："+m.TextCheckProblem); err != nil {
			return err
		}
	}
	if len(m.Photos) > 0 {
		return in.attachPhotos(ctx, tx, c, m)
	}
	return nil
}

// knownCategory checks a category a citizen chose against those the
// station's groups take and its keyword rules name.
func knownCategory(category string, groups []Group, rules []KeywordRule) error {
	var known []string
	add := func(c string) {
		if c != "" && !slices.Contains(known, c) {
			known = append(known, c)
		}
	}
	for _, g := range groups {
		for _, c := range g.Categories {
			add(c)
		}
	}
	for _, r := range rules {
		add(r.Category)
	}
	if !slices.Contains(known, category) {
		return Errorf(EINVALID, "分类（category）「%s」不是本站受理的类别；可选：%s，或不填由系统归类", category, strings.Join(known, "、"))
	}
	return nil
}

// attachPhotos files the form's photos into its case; one WeChat already
// found risky is hidden from the deputies and put before staff.
func (in *Intake) attachPhotos(ctx context.Context, tx IntakeTx, c Case, m *Inbound) error {
	owner := m.OpenID
	if m.MsgType == MsgWalkin {
		owner = m.EnteredBy // the staff member's or deputy's own uploads
	}
	photos, err := tx.AttachPhotos(ctx, c.ID, owner, m.Photos)
	if err != nil {
		return err
	}
	waiting := 0
	for _, p := range photos {
		switch p.Check {
		case PhotoHeld:
			msg := fmt.Sprintf("问题 %s 的一张照片未通过微信内容安全检测（%s），已对代表隐藏，请工作人员审核。",
				c.Number, SecurityVerdict{Label: p.Label}.LabelName())
			if err := tx.AddStaffAlert(ctx, c.StationID, c.ID, msg, m.ReceivedAt); err != nil {
				return err
			}
			if err := tx.AddCaseEvent(ctx, c.ID, m.CreateTime, EventPhotoHeld, "系统", msg); err != nil {
				return err
			}
		case PhotoUnchecked, PhotoPending:
			waiting++
		}
	}
	detail := fmt.Sprintf("附照片%d张", len(photos))
	if waiting > 0 {
		detail += fmt.Sprintf("（%d张正在进行内容安全检测，通过后代表可见）", waiting)
	}
	return tx.AddCaseEvent(ctx, c.ID, m.CreateTime, EventPhotos, "群众", detail)
}

// notify queues a template message for each bound deputy of the case's
// group, due from when we received the push (WeChat's CreateTime is the
// sender's clock); with nobody to tell, the station's staff get an alert.
func (in *Intake) notify(ctx context.Context, tx IntakeTx, c Case, queuedAt time.Time) error {
	return notifyGroup(ctx, tx, in.Notify, c, queuedAt, "新问题", "case-"+c.Number)
}

// groupNotifier is what telling a case's handlers needs from storage.
type groupNotifier interface {
	GroupRecipients(ctx context.Context, groupID int64) ([]Recipient, error)
	// DeskRecipients are the deputies present at a desk, in office, with a
	// bound WeChat; atDesk is false when the desk is not the station's (a
	// case raised there was moved to another station since).
	DeskRecipients(ctx context.Context, token string, stationID int64) (recipients []Recipient, atDesk bool, err error)
	Enqueue(ctx context.Context, item OutboxItem, at time.Time) error
	// NoticeWindow reads the notifications to openid due after since whose
	// client message ID starts with one of prefixes: the latest, and when
	// the nth latest is due. It first locks the deputy's row (MySQL), so
	// that two cases counting one deputy's notices count one after the other.
	NoticeWindow(ctx context.Context, deputyID int64, openid string, since time.Time, prefixes []string, nth int) (NoticeWindow, error)
	// UpdateWaiting rewrites the data, URL and case of a notification no
	// sender has claimed by now (false: one has, or it is gone).
	UpdateWaiting(ctx context.Context, item OutboxItem, now time.Time) (bool, error)
	AddStaffAlert(ctx context.Context, stationID, caseID int64, message string, at time.Time) error
	AddCaseEvent(ctx context.Context, caseID int64, at time.Time, kind EventKind, actor, detail string) error
}

// notifyGroup tells the deputies of c's group about it (what is a headline
// such as 新问题, msgKey keeps each deputy's message unique), or, with nobody
// to tell, alerts the station's staff; the timeline records which.
func notifyGroup(ctx context.Context, tx groupNotifier, n NotifyConfig, c Case, at time.Time, what, msgKey string) error {
	var recipients []Recipient
	var atDesk bool
	var err error
	switch {
	case c.GroupID == 0 && c.Scene.Kind == SceneDesk: // raised at a desk, neither re-routed to a group nor moved since
		recipients, atDesk, err = tx.DeskRecipients(ctx, c.Scene.Code, c.StationID)
	case c.GroupID != 0:
		recipients, err = tx.GroupRecipients(ctx, c.GroupID)
	}
	if err != nil {
		return err
	}
	if len(recipients) == 0 || n.TemplateID == "" {
		why := "没有可通知的代表（小组无人绑定微信）"
		switch {
		case atDesk && n.TemplateID != "":
			why = "没有可通知的代表（流动办公桌在场代表均未绑定微信）"
		case c.GroupID == 0 && !atDesk:
			why = "未分派到代表小组"
		case n.TemplateID == "":
			why = "未配置新问题通知的模板消息"
		}
		msg := fmt.Sprintf("%s %s（%s）%s，请工作人员跟进。", what, c.Number, c.StationName, why)
		if err := tx.AddStaffAlert(ctx, c.StationID, c.ID, msg, at); err != nil {
			return err
		}
		return tx.AddCaseEvent(ctx, c.ID, at, EventAlert, "系统", msg)
	}
	var told, later []string
	for _, r := range recipients {
		item := n.newCaseNotice(c, r)
		item.ClientMsgID = fmt.Sprintf("%s-d%d", msgKey, r.DeputyID)
		// Only news of a case is limited: a citizen's verdict on an answer
		// comes once per answer.
		var summarised bool
		var err error
		if what == "新问题" {
			summarised, err = n.queueNotice(ctx, tx, c, r, item, at)
		} else {
			err = tx.Enqueue(ctx, item, at)
		}
		if err != nil {
			return err
		}
		if summarised {
			later = append(later, r.Name)
		} else {
			told = append(told, r.Name)
		}
	}
	about := ""
	if what != "新问题" {
		about = "（" + what + "）"
	}
	detail := fmt.Sprintf("已通过模板消息通知%d位代表%s：%s", len(told), about, strings.Join(told, "、"))
	if len(later) > 0 {
		detail = fmt.Sprintf("%s本分钟收到的新问题通知已达%d条上限，本件稍后合并在一条汇总消息中告知", strings.Join(later, "、"), n.PerMinute)
		if len(told) > 0 {
			detail = fmt.Sprintf("已通过模板消息通知%d位代表%s：%s；%s", len(told), about, strings.Join(told, "、"), detail)
		}
	}
	return tx.AddCaseEvent(ctx, c.ID, at, EventNotified, "系统", detail)
}

// NoticeWindow is what the limit on one person's new-case notices reads
// of the outbox.
type NoticeWindow struct {
	// Latest is the notice due last (a summary waiting, if there is one);
	// its ID is 0 when there is none.
	Latest OutboxItem
	// LatestWaiting says no sender has claimed Latest: it may still change.
	LatestWaiting bool
	// NthDue is when the nth latest is due; zero when there are fewer.
	NthDue time.Time
}

// Client message IDs of what a deputy is told of new cases: a case opened
// (case-), a case routed to their group by staff (route-), and the summary
// of those past the limit (more-).
const summaryPrefix = "more-"

var newCaseNoticePrefixes = []string{"case-", "route-", summaryPrefix}

// queueNotice queues item for r, unless r has had PerMinute new-case
// notices in the minute to at: then the case goes into the one summary
// waiting for r, or a new one due when the minute has room again (a minute
// after the PerMinute-th latest notice). It says whether the case was
// summarised.
func (n NotifyConfig) queueNotice(ctx context.Context, tx groupNotifier, c Case, r Recipient, item OutboxItem, at time.Time) (bool, error) {
	if n.PerMinute <= 0 {
		return false, tx.Enqueue(ctx, item, at)
	}
	w, err := tx.NoticeWindow(ctx, r.DeputyID, r.OpenID, at.Add(-time.Minute), newCaseNoticePrefixes, n.PerMinute)
	if err != nil {
		return false, err
	}
	if w.LatestWaiting && strings.HasPrefix(w.Latest.ClientMsgID, summaryPrefix) {
		more := n.summaryNotice(c, r, heldIn(w.Latest.Data)+1)
		more.ID = w.Latest.ID
		if ok, err := tx.UpdateWaiting(ctx, more, at); err != nil || ok {
			return ok, err
		}
	}
	if w.NthDue.IsZero() {
		return false, tx.Enqueue(ctx, item, at)
	}
	due := w.NthDue.Add(time.Minute)
	more := n.summaryNotice(c, r, 1)
	more.ClientMsgID = fmt.Sprintf("%sd%d-%d", summaryPrefix, r.DeputyID, due.UnixMilli())
	return true, tx.Enqueue(ctx, more, due)
}

const summaryFormat = "另有%d件新问题，请打开代表页面查看"

// summaryNotice tells r of held new cases, c the latest of them, in the
// new-case template: its number and station, and how many wait.
func (n NotifyConfig) summaryNotice(c Case, r Recipient, held int) OutboxItem {
	item := n.newCaseNotice(c, r)
	text := fmt.Sprintf(summaryFormat, held)
	field := n.SummaryField
	if field == "" {
		field = n.CategoryField
	}
	if field != "" {
		item.Data[field] = fitField(field, text)
	}
	if n.CategoryField != "" && field != n.CategoryField {
		item.Data[n.CategoryField] = fitField(n.CategoryField, "多件新问题")
	}
	if n.DeskURL != "" {
		item.URL = n.DeskURL
	}
	return item
}

// heldIn reads how many cases a summary's data counts.
func heldIn(data map[string]string) int {
	for _, v := range data {
		var held int
		if _, err := fmt.Sscanf(v, "另有%d件", &held); err == nil {
			return held
		}
	}
	return 1
}

// myCases answers the "my cases" menu: the citizen's latest cases and where
// each stands.
func (in *Intake) myCases(ctx context.Context, tx IntakeTx, openid string) (decision, error) {
	cases, err := tx.CasesOf(ctx, openid, 5)
	if err != nil {
		return decision{}, err
	}
	if len(cases) == 0 {
		return decision{reply: Reply{Text: "您还没有反映过问题。扫描代表联络站或代表的二维码，即可向代表反映。"}}, nil
	}
	var b strings.Builder
	b.WriteString("您最近反映的问题：")
	for _, c := range cases {
		fmt.Fprintf(&b, "\n%s %s（%s）", c.Number, fitField("thing", c.Summary), c.StatusLabel())
	}
	b.WriteString("\n发送编号可查看详情。")
	return decision{reply: Reply{Text: b.String()}}, nil
}

// dutyBookings answers a deputy's "我的接待" menu: who booked the reception
// slots they are on duty for, from today on.
func (in *Intake) dutyBookings(ctx context.Context, tx IntakeTx, openid string, now time.Time) (decision, error) {
	if d, err := tx.DeputyByOpenID(ctx, openid); ErrorCode(err) == ENOTFOUND {
		return decision{reply: Reply{Text: "「我的接待」供已绑定微信的代表查看值班接待预约。代表请先扫描工作人员提供的绑定码。"}}, nil
	} else if err != nil {
		return decision{}, err
	} else if !d.InOffice {
		return decision{reply: Reply{Text: ReplyDeputyOutOfOffice}}, nil
	}
	bookings, err := tx.DutyBookings(ctx, openid, now.In(China).Format("2006-01-02"))
	if err != nil {
		return decision{}, err
	}
	if len(bookings) == 0 {
		return decision{reply: Reply{Text: "您值班的接待时段暂时没有群众预约。"}}, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "您值班的接待时段共有%d位群众预约：", len(bookings))
	var last int64
	for i, k := range bookings {
		if i == 10 {
			fmt.Fprintf(&b, "\n……另有%d位，请在工作台查看。", len(bookings)-i)
			break
		}
		if k.Slot.ID != last {
			fmt.Fprintf(&b, "\n%s %s-%s %s（%d/%d）", k.Slot.Day, k.Slot.Starts, k.Slot.Ends, k.Slot.StationName, k.Slot.Booked, k.Slot.Capacity)
			last = k.Slot.ID
		}
		fmt.Fprintf(&b, "\n· %s", fitField("thing", k.Topic))
	}
	return decision{reply: Reply{Text: b.String()}}, nil
}

// Form is a case raised with the Mini Program's form.
type Form struct {
	OpenID    string // the Mini Program's openid
	RequestID string // the client's: a retried submission finds its case
	Scene     Scene  // the station or deputy it is for
	Text      string
	Latitude  *float64
	Longitude *float64
	Place     string
	Public    bool     // consent to the results wall, anonymised
	Photos    []string // uploads (Photos.Save), at most MaxPhotos
	Category  string   // optional: one the station takes
	// ProgressTemplate is the subscribe message the citizen accepted in the
	// Mini Program for the case's progress ("" if they declined): one
	// accept, one notice.
	ProgressTemplate string
}

var requestID = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// RaiseForm opens a case from the form along the same path a scanned
// message takes: stored under its request id, routed, its deputies
// notified in the same transaction. It answers the case number.
func (in *Intake) RaiseForm(ctx context.Context, f Form) (string, error) {
	text := strings.TrimSpace(f.Text)
	switch {
	case !requestID.MatchString(f.RequestID):
		return "", Errorf(EINVALID, "request_id 应为 8 到 64 个字母、数字、- 或 _，同一次提交重试时保持不变")
	case f.Scene.Kind != SceneStation && f.Scene.Kind != SceneDeputy:
		return "", Errorf(EINVALID, "scene 应为 st:<站点编码> 或 dp:<代表编码>")
	case text == "":
		return "", Errorf(EINVALID, "请描述您要反映的问题")
	case utf8.RuneCountInString(text) > 1000:
		return "", Errorf(EINVALID, "问题描述不能超过1000字")
	case (f.Latitude == nil) != (f.Longitude == nil):
		return "", Errorf(EINVALID, "位置的纬度和经度要一起提供")
	case f.Latitude != nil && (*f.Latitude < -90 || *f.Latitude > 90 || *f.Longitude < -180 || *f.Longitude > 180):
		return "", Errorf(EINVALID, "位置的纬度或经度超出范围")
	}
	if f.ProgressTemplate != "" && f.ProgressTemplate != in.ProgressSubscribeID {
		return "", Errorf(EINVALID, "进展提醒模板（progress_template_id）不是本平台的办理进展订阅消息模板")
	}
	if len(f.Photos) > MaxPhotos {
		return "", Errorf(EINVALID, "照片（photos）最多%d张", MaxPhotos)
	}
	seen := map[string]bool{}
	for _, id := range f.Photos {
		if !ValidUploadID(id) || seen[id] {
			return "", Errorf(EINVALID, "照片（photos）中的 %q 不是有效的上传编号，或重复了", id)
		}
		seen[id] = true
	}
	now := in.now()
	m := Inbound{Account: "miniprogram", OpenID: f.OpenID, CreateTime: now.Truncate(time.Second), MsgType: MsgForm,
		Content: text, Label: f.Place, FormTarget: f.Scene, RequestID: f.RequestID, PublicConsent: f.Public, ReceivedAt: now,
		Photos: f.Photos, FormCategory: strings.TrimSpace(f.Category), ProgressTemplate: f.ProgressTemplate}
	// Checked before the transaction: WeChat is not to be waited on while
	// the database holds locks. A retried form is checked again, harmlessly.
	if in.TextChecker == nil {
		m.TextCheckProblem = "未配置"
	} else if v, err := in.TextChecker.MsgSecCheck(ctx, f.OpenID, text); err != nil {
		// Down or refusing: the citizen is not turned away; staff see it was unchecked.
		m.TextCheckProblem = "内容安全接口暂不可用"
		var coded WeChatCoded
		if errors.As(err, &coded) {
			m.TextCheckProblem = fmt.Sprintf("内容安全接口返回错误码 %d", coded.WeChatCode())
		}
		slog.Default().Warn("form text not checked", "err", err)
	} else {
		m.TextCheck = &v
	}
	if f.Latitude != nil {
		m.LocationX, m.LocationY = *f.Latitude, *f.Longitude
	}
	reply, err := in.Receive(ctx, m)
	if err != nil {
		return "", err
	}
	if !caseNumberPattern.MatchString(reply.Text) {
		// Kept, and not opened: the answer says why (a retry reads it again).
		return "", Errorf(ERATELIMITED, "%s", reply.Text)
	}
	return reply.Text, nil
}

// myPoints answers a deputy who asks for their points (积分): this
// quarter's, all time, and their rank in their group. Others are told the
// points are deputies'.
func (in *Intake) myPoints(ctx context.Context, tx IntakeTx, openid string, at time.Time) (decision, error) {
	d, err := tx.DeputyByOpenID(ctx, openid)
	if ErrorCode(err) == ENOTFOUND {
		return decision{reply: Reply{Text: replyPointsNotDeputy}}, nil
	} else if err != nil {
		return decision{}, err
	}
	if !d.InOffice {
		return decision{reply: Reply{Text: ReplyDeputyOutOfOffice}}, nil
	}
	name, from, to := Quarter(at)
	st, err := tx.Standing(ctx, d.ID, from, to)
	if err != nil {
		return decision{}, err
	}
	st.Quarter = name
	return decision{reply: Reply{Text: standingText(d, st)}}, nil
}

// ReplyDeputyOutOfOffice answers a deputy set to 在任=否 wherever they
// would act as a deputy: their pages, the deputies' menus, a check-in.
const ReplyDeputyOutOfOffice = "您已不在任，不能再使用代表页面和代表功能；如有疑问请联系人大工作人员。"

const replyPointsNotDeputy = "履职积分是人大代表的。您如果是代表，请先扫描工作人员提供的绑定二维码，绑定后再查询。"
