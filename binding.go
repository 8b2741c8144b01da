package mashang

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"
)

// A deputy binds their WeChat by scanning a one-time code staff make for
// them; from then on their openid is on their record and notifications can
// reach them.

// BindState is what is known of a binding token.
type BindState struct {
	DeputyID   int64
	DeputyName string
	ExpiresAt  time.Time
	UsedAt     *time.Time
	UsedBy     string // the openid that used it
}

// BindCode is a one-time code for a deputy.
type BindCode struct {
	Scene     Scene
	URL       string // what the code encodes: WeChat's temporary code, if the service has credentials
	ExpiresAt time.Time
}

// TemporaryCodeIssuer asks WeChat for a temporary parametric code.
type TemporaryCodeIssuer interface {
	TemporaryCode(ctx context.Context, scene string, ttl time.Duration) (ticket, url string, err error)
}

// BindingStore keeps binding tokens and says who is bound.
type BindingStore interface {
	CreateBindToken(ctx context.Context, deputyCode, token string, expiresAt time.Time) error
	DeputyBindings(ctx context.Context) ([]DeputyBinding, error)
}

// DeputyBinding says whether a deputy's WeChat is bound (never which
// openid: staff need the fact, not the identifier).
type DeputyBinding struct {
	Code, Name, StationName string
	InOffice                bool
	Bound                   bool
}

// BoundWeChatUser is a deputy or a staff member whose WeChat is bound.
type BoundWeChatUser struct {
	OpenID, Name string
	Where        string // the deputy's station, the handler's department or the staff member's station
	Deputy       bool
}

// Binding makes binding codes.
type Binding struct {
	Store  BindingStore
	Issuer TemporaryCodeIssuer // nil without WeChat credentials
	TTL    time.Duration       // 0 = 10 minutes
	Now    func() time.Time
}

// DefaultBindTTL is how long a binding code works.
const DefaultBindTTL = 10 * time.Minute

// NewCode makes a one-time binding code for the deputy.
func (b *Binding) NewCode(ctx context.Context, deputyCode string) (BindCode, error) {
	return newBindCode(ctx, SceneBind, b.TTL, b.Now, b.Issuer, func(token string, expires time.Time) error {
		return b.Store.CreateBindToken(ctx, deputyCode, token, expires)
	})
}

// newBindCode makes a one-time code of kind: a random token, saved by save,
// and WeChat's temporary code for it when there is an issuer.
func newBindCode(ctx context.Context, kind SceneKind, ttl time.Duration, clock func() time.Time,
	issuer TemporaryCodeIssuer, save func(token string, expires time.Time) error) (BindCode, error) {
	if ttl <= 0 {
		ttl = DefaultBindTTL
	}
	now := time.Now
	if clock != nil {
		now = clock
	}
	token := rand.Text()[:16] // 80 bits, letters and digits only: it must fit a scene
	scene := Scene{Kind: kind, Code: token}
	code := BindCode{Scene: scene, ExpiresAt: now().Add(ttl)}
	if err := save(token, code.ExpiresAt); err != nil {
		return BindCode{}, err
	}
	if issuer != nil {
		_, url, err := issuer.TemporaryCode(ctx, scene.String(), ttl)
		if err != nil {
			return BindCode{}, fmt.Errorf("ask WeChat for the binding code: %w", err)
		}
		code.URL = url
	}
	return code, nil
}

const (
	replyBound       = "绑定成功！%s代表，您的微信已与代表身份绑定，今后群众反映给您的问题会通过本公众号通知您。"
	replyBindAlready = "您的微信已经绑定为%s代表，无需重复扫码。"
	replyBindUsed    = "这个绑定二维码已经被使用过了。如需重新绑定，请联系工作人员重新生成。"
	replyBindExpired = "这个绑定二维码已过期。请联系工作人员重新生成（有效期为10分钟）。"
	replyBindUnknown = "未能识别这个绑定二维码，请联系工作人员重新生成。"
	replyBindOther   = "您的微信已绑定为%s代表，不能再绑定为%s代表。如有错误，请联系工作人员。"
)
