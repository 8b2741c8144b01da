package mashang

import (
	"context"
	"fmt"
	"time"
)

// A staff member binds their WeChat the way a deputy does, by scanning a
// one-time code, but makes the code themselves in the console: the yellow
// and red supervision notices (三色督办) reach the station secretary and the
// chair of the level through the Official Account.

// StaffBindState is what is known of a staff member's binding token.
type StaffBindState struct {
	UserID    int64
	Name      string
	ExpiresAt time.Time
	UsedAt    *time.Time
	UsedBy    string // the openid that used it
}

// StaffBindingStore keeps staff binding tokens.
type StaffBindingStore interface {
	CreateStaffBindToken(ctx context.Context, userID int64, token string, expiresAt time.Time) error
}

// StaffBinding makes staff binding codes.
type StaffBinding struct {
	Store  StaffBindingStore
	Issuer TemporaryCodeIssuer // nil without WeChat credentials
	TTL    time.Duration       // 0 = DefaultBindTTL
	Now    func() time.Time
}

// NewCode makes a one-time binding code for the staff account.
func (b *StaffBinding) NewCode(ctx context.Context, userID int64) (BindCode, error) {
	return newBindCode(ctx, SceneStaffBind, b.TTL, b.Now, b.Issuer, func(token string, expires time.Time) error {
		return b.Store.CreateStaffBindToken(ctx, userID, token, expires)
	})
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
	if st.UsedAt != nil {
		if st.UsedBy == openid {
			return scanTarget{reply: fmt.Sprintf(replyStaffBindAlready, st.Name)}, nil
		}
		return scanTarget{reply: replyBindUsed}, nil
	}
	if !at.Before(st.ExpiresAt) {
		return scanTarget{reply: replyStaffBindExpired}, nil
	}
	return scanTarget{reply: fmt.Sprintf(replyStaffBound, st.Name), staffBind: token}, nil
}

const (
	replyStaffBound       = "绑定成功！%s，今后您负责的问题亮黄灯、红灯时，督办提醒会通过本公众号发给您。"
	replyStaffBindAlready = "您的微信已经绑定为工作人员%s，无需重复扫码。"
	replyStaffBindExpired = "这个绑定二维码已过期。请在工作台「绑定微信」页重新生成（有效期为10分钟）。"
)

// StaffRecipient is a staff member a supervision notice goes to.
type StaffRecipient struct {
	UserID int64
	Name   string
	OpenID string
}

// SupervisionNotify says which template message carries a yellow or red
// light and which of its fields (the template's own keys) take what.
type SupervisionNotify struct {
	TemplateID    string
	NumberField   string
	StationField  string
	ColourField   string // e.g. "黄灯：临近期限"
	DeadlineField string
	CaseURL       func(number string) string
}

// notice builds the template message for one staff member.
func (n SupervisionNotify) notice(d Deadline, colour, why string, r StaffRecipient, at time.Time) OutboxItem {
	data := map[string]string{}
	set := func(key, value string) {
		if key != "" {
			data[key] = fitField(key, value)
		}
	}
	light := map[string]string{ColourYellow: "黄灯", ColourRed: "红灯"}[colour]
	set(n.NumberField, d.Number)
	set(n.StationField, d.StationName)
	set(n.ColourField, light+"："+why)
	due := "未交办"
	if !d.Due.IsZero() {
		due = d.Due.In(China).Format("2006-01-02 15:04")
	}
	set(n.DeadlineField, due)
	url := ""
	if n.CaseURL != nil {
		url = n.CaseURL(d.Number)
	}
	return OutboxItem{Kind: "template", CaseID: d.CaseID, ToUser: r.OpenID, TemplateID: n.TemplateID, URL: url, Data: data,
		ClientMsgID: fmt.Sprintf("colour-%s-%s-u%d-%d", d.Number, colour, r.UserID, at.Unix())}
}
