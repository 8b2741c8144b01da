package mashang

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Activities are what staff dispatch to deputies (发单): a reception day, an
// inspection, a meeting. The invited deputies are told by template message
// and answer (接单); at the venue staff show the activity's code, and each
// invited deputy who scans it is checked in (结单), which their duty record
// counts.

// Activity is one dispatched activity.
type Activity struct {
	ID         int64
	Title      string
	Place      string
	Start, End time.Time
	Token      string // the check-in code's scene is "ac:" + Token
	CreatedBy  string
	Invited    int // how many deputies, when listed
	CheckedIn  int
	// The check-in code WeChat issued for the activity, kept until it
	// expires (zero: none asked for yet).
	CheckInTicket, CheckInURL string
	CheckInExpiresAt          time.Time
}

// Invitation is one deputy invited to an activity, and how they answered.
type Invitation struct {
	ActivityID  int64
	Deputy      Deputy
	Bound       bool   // their WeChat is bound: they were told
	Response    string // "", InvitationAccepted or InvitationDeclined
	RespondedAt *time.Time
	CheckedInAt *time.Time
}

// Answers to an invitation.
const (
	InvitationAccepted = "accepted"
	InvitationDeclined = "declined"
)

// CheckInEarly is how long before an activity its code starts checking in.
const CheckInEarly = 30 * time.Minute

// ActivityTx is what dispatching and answering need, in one transaction.
type ActivityTx interface {
	AddActivity(ctx context.Context, a *Activity) error
	// Invitees resolves deputy codes and "站点编码/小组名称" groups to
	// deputies in office, with their stations' codes; an unknown name is
	// EINVALID saying which.
	Invitees(ctx context.Context, names []string) ([]Deputy, error)
	// Invite records an invitation; it returns the deputy's bound openid
	// ("" for none).
	Invite(ctx context.Context, activityID, deputyID int64) (openid string, err error)
	ActivityByID(ctx context.Context, id int64) (Activity, error)
	Respond(ctx context.Context, activityID, deputyID int64, response string, at time.Time) error
	Enqueue(ctx context.Context, item OutboxItem, at time.Time) error
	// KeepCheckInCode records the check-in code WeChat issued.
	KeepCheckInCode(ctx context.Context, activityID int64, ticket, url string, expiresAt time.Time) error
}

// ActivityStore runs fn in one write transaction.
type ActivityStore interface {
	UpdateActivities(ctx context.Context, fn func(ActivityTx) error) error
}

// ActivityNotify is the template message that invites a deputy.
type ActivityNotify struct {
	TemplateID                        string
	TitleField, TimeField, PlaceField string
	URL                               func(activityID int64) string
}

// Activities dispatches activities and takes deputies' answers.
type Activities struct {
	Store  ActivityStore
	Notify ActivityNotify
	Issuer TemporaryCodeIssuer // the check-in code; nil without WeChat credentials
	Now    func() time.Time
	Queued func()
}

func (s *Activities) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Dispatch records an activity, invites the deputies named (codes, or
// 站点编码/小组名称 for a whole group) and tells each bound one by template
// message. allowed says whether a station is within the staff member's
// reach: they invite no deputy beyond it.
func (s *Activities) Dispatch(ctx context.Context, a Activity, names []string, allowed func(stationCode string) bool) (Activity, error) {
	a.Title, a.Place = strings.TrimSpace(a.Title), strings.TrimSpace(a.Place)
	now := s.now()
	if a.Title == "" || utf8.RuneCountInString(a.Title) > 50 {
		return a, Errorf(EINVALID, "请填写活动名称（不超过50字）")
	}
	if err := checkVisit("活动", a.Place, a.Start, a.End, now); err != nil {
		return a, err
	}
	if len(names) == 0 {
		return a, Errorf(EINVALID, "请填写邀请的代表（代表编码，或 站点编码/小组名称）")
	}
	a.Token = strings.ToLower(rand.Text()[:16])
	queued := false
	err := s.Store.UpdateActivities(ctx, func(tx ActivityTx) error {
		deputies, err := tx.Invitees(ctx, names)
		if err != nil {
			return err
		}
		for _, d := range deputies {
			if allowed != nil && !allowed(d.StationCode) {
				return Errorf(EFORBIDDEN, "%s代表不在您的工作范围内，不能邀请", d.Name)
			}
		}
		if err := tx.AddActivity(ctx, &a); err != nil {
			return err
		}
		a.Invited = len(deputies)
		for _, d := range deputies {
			openid, err := tx.Invite(ctx, a.ID, d.ID)
			if err != nil {
				return err
			}
			if openid == "" || s.Notify.TemplateID == "" {
				continue
			}
			if err := tx.Enqueue(ctx, s.Notify.invitation(a, d, openid), now); err != nil {
				return err
			}
			queued = true
		}
		return nil
	})
	if err == nil && queued && s.Queued != nil {
		s.Queued()
	}
	return a, err
}

// checkVisit checks the place and time window staff entered for what (an
// activity, a pop-up desk): a place, an end after the start and after now,
// and at most a week.
func checkVisit(what, place string, start, end, now time.Time) error {
	switch {
	case place == "" || utf8.RuneCountInString(place) > 100:
		return Errorf(EINVALID, "请填写%s地点（不超过100字）", what)
	case start.IsZero() || end.IsZero() || !end.After(start):
		return Errorf(EINVALID, "请填写开始和结束时间，结束要晚于开始")
	case !end.After(now):
		return Errorf(EINVALID, "%s的结束时间已经过去", what)
	case end.Sub(start) > 7*24*time.Hour:
		return Errorf(EINVALID, "一次%s不能超过7天", what)
	}
	return nil
}

func (n ActivityNotify) invitation(a Activity, d Deputy, openid string) OutboxItem {
	data := map[string]string{}
	set := func(key, value string) {
		if key != "" {
			data[key] = fitField(key, value)
		}
	}
	set(n.TitleField, a.Title)
	set(n.TimeField, a.Start.In(China).Format("2006-01-02 15:04"))
	set(n.PlaceField, a.Place)
	url := ""
	if n.URL != nil {
		url = n.URL(a.ID)
	}
	return OutboxItem{Kind: "template", ToUser: openid, TemplateID: n.TemplateID, URL: url, Data: data,
		ClientMsgID: fmt.Sprintf("activity-%d-d%d", a.ID, d.ID)}
}

// Respond takes a deputy's answer to an invitation, until the activity ends.
func (s *Activities) Respond(ctx context.Context, activityID int64, d Deputy, accept bool) error {
	response := InvitationDeclined
	if accept {
		response = InvitationAccepted
	}
	now := s.now()
	return s.Store.UpdateActivities(ctx, func(tx ActivityTx) error {
		a, err := tx.ActivityByID(ctx, activityID)
		if err != nil {
			return err
		}
		if !now.Before(a.End) {
			return Errorf(ECONFLICT, "活动「%s」已经结束", a.Title)
		}
		return tx.Respond(ctx, activityID, d.ID, response, now)
	})
}

// CheckInCode is the code staff show at the venue: WeChat's temporary code
// for the activity's scene, alive until the activity ends (WeChat allows at
// most 30 days). It is asked for once and kept: each page view asked WeChat
// again, spending the account's daily quota of codes. A kept code is asked
// for again only a minute before it expires.
func (s *Activities) CheckInCode(ctx context.Context, a Activity) (BindCode, error) {
	scene := Scene{Kind: SceneActivity, Code: a.Token}
	code := BindCode{Scene: scene, ExpiresAt: a.End}
	if s.Issuer == nil {
		return code, nil
	}
	now := s.now()
	if a.CheckInURL != "" && now.Add(time.Minute).Before(a.CheckInExpiresAt) {
		code.URL = a.CheckInURL
		return code, nil
	}
	ttl := min(max(a.End.Sub(now), time.Minute), 30*24*time.Hour)
	ticket, url, err := s.Issuer.TemporaryCode(ctx, scene.String(), ttl)
	if err != nil {
		return code, fmt.Errorf("ask WeChat for the check-in code: %w", err)
	}
	if err := s.Store.UpdateActivities(ctx, func(tx ActivityTx) error {
		return tx.KeepCheckInCode(ctx, a.ID, ticket, url, now.Add(ttl))
	}); err != nil {
		return code, err
	}
	code.URL = url
	return code, nil
}

// checkIn is what the intake needs to check a deputy in.
type checkIn struct {
	activityID, deputyID int64
	title                string
}

const (
	replyCheckedIn         = "签到成功！%s代表，欢迎参加「%s」（%s）。本次签到已记入您的履职档案。"
	replyCheckInAlready    = "%s代表，您已于%s签到「%s」，无需重复扫码。"
	replyCheckInEarly      = "「%s」尚未开始签到，请于%s以后再扫码。"
	replyCheckInOver       = "「%s」已经结束，不能再签到。"
	replyCheckInNotInvited = "%s代表，您不在「%s」的邀请名单中。如需参加，请联系工作人员。"
	replyCheckInNotDeputy  = "这是「%s」的代表签到码，只有受邀并已绑定微信的人大代表可以签到。"
	replyCheckInUnknown    = "未能识别这个签到码，请向现场工作人员确认。"
)
