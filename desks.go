package mashang

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"
)

// A pop-up desk (流动办公桌, "人大代表+流动办公桌") is a station's deputies
// meeting citizens for a few hours somewhere else: a market, a square, a
// village. Staff set it up in the console — a place, a time window, the
// deputies present — and print its code, WeChat's temporary code for the
// scene "pd:" + its token. A citizen who scans it within the window
// reaches those deputies: the case is routed to them, each is told as for
// their own code, and the matter counts in their duty record as desk work.
// Before or after the window the same code leads to the station the desk
// belongs to, and the reply says so.

// Desk is one pop-up desk.
type Desk struct {
	ID          int64
	Token       string // its scene is "pd:" + Token
	StationID   int64
	StationCode string
	StationName string
	Place       string
	Start, End  time.Time
	CreatedBy   string
	Deputies    []Deputy // present at the desk
	Collected   int      // the cases raised at its code, when listed
	// The temporary code WeChat issued for it (empty: none asked for yet).
	CodeTicket, CodeURL string
	CodeExpiresAt       time.Time
}

// Scene is the desk's code's scene.
func (d Desk) Scene() Scene { return Scene{Kind: SceneDesk, Code: d.Token} }

// OpenAt says whether the desk is receiving citizens at t.
func (d Desk) OpenAt(t time.Time) bool { return !t.Before(d.Start) && t.Before(d.End) }

// DeputyNames lists the deputies present as people read them: 王海燕、李建国.
func (d Desk) DeputyNames() string {
	names := make([]string, len(d.Deputies))
	for i, dep := range d.Deputies {
		names[i] = dep.Name
	}
	return strings.Join(names, "、")
}

// Window is the desk's time as citizens read it: 12月6日09:00至11:30.
func (d Desk) Window() string {
	end := d.End.In(China).Format("15:04")
	if d.End.In(China).Format("0102") != d.Start.In(China).Format("0102") {
		end = d.End.In(China).Format("1月2日15:04")
	}
	return d.Start.In(China).Format("1月2日15:04") + "至" + end
}

// DeskCodeLifetime is how long a desk's code lives: the longest WeChat
// gives a temporary code, so that a code printed for the desk still leads
// to its station for as long as it can after the desk has gone.
const DeskCodeLifetime = 30 * 24 * time.Hour

// DeskTx is what setting up a desk needs, in one transaction.
type DeskTx interface {
	StationByCode(ctx context.Context, code string) (Station, error)
	// Invitees resolves deputy codes and 站点编码/小组名称 groups to
	// deputies in office (as for an activity).
	Invitees(ctx context.Context, names []string) ([]Deputy, error)
	// DeputyServes says whether the deputy serves at the station (their
	// home station or another they are listed at).
	DeputyServes(ctx context.Context, deputyID, stationID int64) (bool, error)
	// AddDesk records the desk and its deputies and sets its ID.
	AddDesk(ctx context.Context, d *Desk) error
	// KeepDeskCode records the code WeChat issued for a desk.
	KeepDeskCode(ctx context.Context, deskID int64, ticket, url string, expiresAt time.Time) error
}

// DeskStore runs fn in one write transaction.
type DeskStore interface {
	UpdateDesks(ctx context.Context, fn func(DeskTx) error) error
}

// Desks sets up pop-up desks and makes their codes.
type Desks struct {
	Store  DeskStore
	Issuer TemporaryCodeIssuer // nil without WeChat credentials: the code is the H5 link's scene only
	Now    func() time.Time
}

func (s *Desks) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Create sets up a desk at the station named by its code, with the
// deputies named (codes, or 站点编码/小组名称). allowed says whether a
// station is within the staff member's reach: the desk's station must be,
// and each deputy either serves at it or belongs to a station within reach.
func (s *Desks) Create(ctx context.Context, d Desk, stationCode string, names []string, allowed func(stationCode string) bool) (Desk, error) {
	d.Place = strings.TrimSpace(d.Place)
	now := s.now()
	if err := checkVisit("流动办公桌", d.Place, d.Start, d.End, now); err != nil {
		return d, err
	}
	switch {
	case strings.TrimSpace(stationCode) == "":
		return d, Errorf(EINVALID, "请选择流动办公桌所属的站点")
	case d.End.After(now.Add(DeskCodeLifetime - time.Hour)):
		return d, Errorf(EINVALID, "流动办公桌的结束时间不能晚于29天后：微信临时二维码最长有效30天，请临近时再设立")
	case len(names) == 0:
		return d, Errorf(EINVALID, "请填写在场的代表（代表编码，或 站点编码/小组名称）")
	}
	if allowed != nil && !allowed(stationCode) {
		return d, Errorf(ENOTFOUND, "没有编码为 %s 的站点，或它不在您的工作范围内", stationCode)
	}
	d.Token = strings.ToLower(rand.Text()[:16])
	err := s.Store.UpdateDesks(ctx, func(tx DeskTx) error {
		st, err := tx.StationByCode(ctx, stationCode)
		if ErrorCode(err) == ENOTFOUND {
			return Errorf(ENOTFOUND, "没有编码为 %s 的站点，或它不在您的工作范围内", stationCode)
		} else if err != nil {
			return err
		}
		if !st.Open {
			return Errorf(EINVALID, "「%s」已停止使用，不能设立流动办公桌", st.Name)
		}
		d.StationID, d.StationCode, d.StationName = st.ID, st.Code, st.Name
		if d.Deputies, err = tx.Invitees(ctx, names); err != nil {
			return err
		}
		for _, dep := range d.Deputies {
			serves, err := tx.DeputyServes(ctx, dep.ID, st.ID)
			if err != nil {
				return err
			}
			if !serves && (allowed != nil && !allowed(dep.StationCode)) {
				return Errorf(EFORBIDDEN, "%s代表不在您的工作范围内，不能安排到流动办公桌", dep.Name)
			}
		}
		return tx.AddDesk(ctx, &d)
	})
	return d, err
}

// Code is the desk's code for printing: WeChat's temporary code for its
// scene, asked for once and kept for DeskCodeLifetime. It is not asked
// for again once the desk has ended: a new code would not be the one
// printed.
func (s *Desks) Code(ctx context.Context, d Desk) (BindCode, error) {
	code := BindCode{Scene: d.Scene(), ExpiresAt: d.CodeExpiresAt}
	now := s.now()
	switch {
	case d.CodeURL != "" && now.Before(d.CodeExpiresAt):
		code.URL = d.CodeURL
		return code, nil
	case d.CodeURL != "" || s.Issuer == nil || !now.Before(d.End):
		return code, nil
	}
	ticket, url, err := s.Issuer.TemporaryCode(ctx, code.Scene.String(), DeskCodeLifetime)
	if err != nil {
		return code, fmt.Errorf("ask WeChat for the desk's code: %w", err)
	}
	code.ExpiresAt = now.Add(DeskCodeLifetime)
	if err := s.Store.UpdateDesks(ctx, func(tx DeskTx) error {
		return tx.KeepDeskCode(ctx, d.ID, ticket, url, code.ExpiresAt)
	}); err != nil {
		return code, err
	}
	code.URL = url
	return code, nil
}

// What a citizen scanning a desk's code reads.
const (
	replyDeskFormat = "您好，您已扫码来到「%s」人大代表流动办公桌（%s）。\n在场的代表：%s。\n" +
		"请直接发送文字、图片、语音或位置，说明您要反映的问题，在场代表会尽快处理并答复您。"
	replyDeskEndedFormat = "「%s」流动办公桌已于%s结束。\n您的问题将转交「%s」：请直接发送文字、图片、语音或位置，站里的代表会尽快处理并答复您。"
	replyDeskEarlyFormat = "「%s」流动办公桌将于%s开始，届时%s代表在现场接待。\n现在反映的问题将转交「%s」：请直接发送文字、图片、语音或位置，站里的代表会尽快处理并答复您。"
	// A message sent after the desk closed, though scanned while open.
	replyDeskClosedNote = "流动办公桌已经结束，您的问题已转交「%s」。\n"
)

// deskTarget is where scanning a desk's code at leads: its deputies within
// the window, its station outside it, saying so.
func deskTarget(ctx context.Context, tx IntakeTx, token string, at time.Time) (scanTarget, error) {
	d, err := tx.DeskByToken(ctx, token)
	if ErrorCode(err) == ENOTFOUND {
		return scanTarget{reply: replyUnknownCode}, nil
	} else if err != nil {
		return scanTarget{}, err
	}
	station := Scene{Kind: SceneStation, Code: d.StationCode}
	switch {
	case d.OpenAt(at):
		return scanTarget{reply: fmt.Sprintf(replyDeskFormat, d.Place, d.StationName, d.DeputyNames()), scene: d.Scene()}, nil
	case at.Before(d.Start):
		return scanTarget{reply: fmt.Sprintf(replyDeskEarlyFormat, d.Place, d.Start.In(China).Format("1月2日15:04"), d.DeputyNames(), d.StationName),
			scene: station}, nil
	}
	return scanTarget{reply: fmt.Sprintf(replyDeskEndedFormat, d.Place, d.End.In(China).Format("1月2日15:04"), d.StationName), scene: station}, nil
}

// routeDesk routes a case raised at a desk to the deputies present; its
// category comes from the station's keyword rules, or the citizen's choice.
func routeDesk(d Desk, text string, rules []KeywordRule) Routing {
	rule, _ := classify(text, rules)
	return Routing{Category: rule.Category,
		Reason: fmt.Sprintf("群众在「%s」流动办公桌（%s，%s）扫码反映，由在场的%s代表处理", d.Place, d.Window(), d.StationName, d.DeputyNames())}
}

// recordDeskDuty counts a case raised at a desk in the duty record of each
// deputy present (recordDuty decides who earns).
func recordDeskDuty(ctx context.Context, tx DutyRecorder, d Desk, c Case, at time.Time) error {
	for _, dep := range d.Deputies {
		if err := recordDuty(ctx, tx, DutyEntry{DeputyID: dep.ID, Action: DutyDesk, CaseID: c.ID, At: at,
			Detail: fmt.Sprintf("在「%s」流动办公桌接待群众，问题 %s（%s）", d.Place, c.Number, c.StationName)}); err != nil {
			return err
		}
	}
	return nil
}

// deskGrace is how long after a desk closes a citizen who scanned it while
// open may still be writing to its deputies.
const deskGrace = 30 * time.Minute

// takesAt says whether a message written at t still goes to the deputies
// present.
func (d Desk) takesAt(t time.Time) bool { return !t.Before(d.Start) && t.Before(d.End.Add(deskGrace)) }
