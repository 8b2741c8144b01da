package wechat

import (
	"context"
	"errors"
	"fmt"

	"github.com/silenceper/wechat/v2/miniprogram/business"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"mashang"
)

// SendTemplate sends a template message with its client_msg_id, so a
// repeat within ten minutes reaches the person once (mashang.TemplateSender).
func (c *Clients) SendTemplate(_ context.Context, item mashang.OutboxItem) (int64, error) {
	data := make(map[string]*message.TemplateDataItem, len(item.Data))
	for k, v := range item.Data {
		data[k] = &message.TemplateDataItem{Value: v}
	}
	var msgID int64
	err := c.withToken(officialAccount, func() (err error) {
		msgID, err = c.OA.GetTemplate().Send(&message.TemplateMessage{
			ToUser: item.ToUser, TemplateID: item.TemplateID, URL: item.URL, Data: data, ClientMsgID: item.ClientMsgID,
		})
		return err
	})
	if err != nil {
		return 0, apiError("message/template/send", err)
	}
	return msgID, nil
}

// SendText sends a customer-service text message (mashang.TemplateSender).
func (c *Clients) SendText(_ context.Context, openid, text string) error {
	if err := c.withToken(officialAccount, func() error {
		return c.OA.GetCustomerMessageManager().Send(message.NewCustomerTextMessage(openid, text))
	}); err != nil {
		return apiError("message/custom/send", err)
	}
	return nil
}

// Code2Session exchanges a wx.login code (mashang.CodeExchanger).
func (c *Clients) Code2Session(ctx context.Context, code string) (string, string, error) {
	if c.MP == nil {
		return "", "", &APIError{Op: "sns/jscode2session", err: errors.New("no Mini Program is configured (MASHANG_MP_APPID)")}
	}
	res, err := c.MP.GetAuth().Code2SessionContext(ctx, code)
	if err != nil {
		return "", "", apiError("sns/jscode2session", err)
	}
	if res.ErrCode != 0 {
		return "", "", &APIError{Op: "sns/jscode2session", Code: int(res.ErrCode), err: fmt.Errorf("errcode=%d errmsg=%s", res.ErrCode, res.ErrMsg)}
	}
	return res.OpenID, res.UnionID, nil
}

// PhoneNumber exchanges a getPhoneNumber code (mashang.PhoneFetcher). The
// answer's watermark must name our Mini Program.
func (c *Clients) PhoneNumber(ctx context.Context, code string) (string, error) {
	if c.MP == nil {
		return "", &APIError{Op: "wxa/business/getuserphonenumber", err: errors.New("no Mini Program is configured (MASHANG_MP_APPID)")}
	}
	var info business.PhoneInfo
	err := c.withToken(miniProgram, func() (err error) {
		info, err = c.MP.GetBusiness().GetPhoneNumberWithContext(ctx, &business.GetPhoneNumberRequest{Code: code})
		return err
	})
	if err != nil {
		return "", apiError("wxa/business/getuserphonenumber", err)
	}
	if info.Watermark.AppID != c.mpAppID {
		return "", &APIError{Op: "wxa/business/getuserphonenumber", err: fmt.Errorf("watermark names another app")}
	}
	return info.PurePhoneNumber, nil
}
