package wechat

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/silenceper/wechat/v2/miniprogram/qrcode"
	"github.com/silenceper/wechat/v2/officialaccount/basic"
)

// APIError is a failed WeChat call, with WeChat's errcode when it gave one.
// Its text is redacted: the SDK's errors can carry the AppSecret and tokens.
type APIError struct {
	Op   string
	Code int
	err  error
}

func (e *APIError) Error() string { return e.Op + ": " + Redact(e.err) }
func (e *APIError) Unwrap() error { return e.err }

// Temporary reports errors worth retrying: WeChat busy (-1), over a rate
// (45009), or the network timing out.
func (e *APIError) Temporary() bool {
	if e.Code == -1 || e.Code == 45009 {
		return true
	}
	var ne net.Error
	return errors.As(e.err, &ne) && ne.Timeout()
}

func apiError(op string, err error) error {
	return &APIError{Op: op, Code: ErrCode(err), err: err}
}

// PermanentCode asks WeChat for an Official Account permanent code with a
// string scene (QR_LIMIT_STR_SCENE). The SDK takes no context; the HTTP
// client's timeout bounds the call.
func (c *Clients) PermanentCode(_ context.Context, scene string) (ticket, url string, err error) {
	// A string scene: the SDK's request builder panics on int64 scenes.
	var t *basic.Ticket
	err = c.withToken(officialAccount, func() (err error) {
		t, err = c.OA.GetBasic().GetQRTicket(basic.NewLimitQrRequest(scene))
		return err
	})
	if err != nil {
		return "", "", apiError("qrcode/create", err)
	}
	return t.Ticket, t.URL, nil
}

// MiniProgramCode asks WeChat for a Mini Program code for the scene, at the
// largest width WeChat draws (1280 px), for print.
func (c *Clients) MiniProgramCode(_ context.Context, scene string) ([]byte, error) {
	var img []byte
	err := c.withToken(miniProgram, func() (err error) {
		img, err = c.MP.GetQRCode().GetWXACodeUnlimit(qrcode.QRCoder{Scene: scene, Width: 1280})
		return err
	})
	if err != nil {
		return nil, apiError("wxa/getwxacodeunlimit", err)
	}
	return img, nil
}

// TemporaryCode asks WeChat for a temporary code with a string scene
// (QR_STR_SCENE) that expires after ttl.
func (c *Clients) TemporaryCode(_ context.Context, scene string, ttl time.Duration) (ticket, url string, err error) {
	var t *basic.Ticket
	err = c.withToken(officialAccount, func() (err error) {
		t, err = c.OA.GetBasic().GetQRTicket(basic.NewTmpQrRequest(ttl, scene))
		return err
	})
	if err != nil {
		return "", "", apiError("qrcode/create", err)
	}
	return t.Ticket, t.URL, nil
}

// WeChatCode is WeChat's errcode (0 when the call failed before WeChat answered).
func (e *APIError) WeChatCode() int { return e.Code }
