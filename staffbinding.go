package mashang

import (
	"context"
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
	Role      string
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

const (
	replyStaffBound       = "绑定成功！%s，今后您负责的问题亮黄灯、红灯时，督办提醒会通过本公众号发给您。"
	replyHandlerBound     = "绑定成功！%s，今后有问题交办给本单位、到期前一个工作日和超期时，提醒会通过本公众号发给您，点开即可在手机上签收和填报办理结果。"
	replyStaffBindAlready = "您的微信已经绑定为工作人员%s，无需重复扫码。"
	replyStaffBindExpired = "这个绑定二维码已过期。请在工作台「绑定微信」页重新生成（有效期为10分钟）。"
)
