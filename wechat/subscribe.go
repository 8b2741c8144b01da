package wechat

import (
	"context"
	"errors"

	"github.com/silenceper/wechat/v2/miniprogram/subscribe"

	"mashang"
)

// SendSubscribe sends a Mini Program subscribe message (订阅消息) the citizen
// agreed to receive (mashang.SubscribeSender). Each "accept" in the Mini
// Program grants one message; without one WeChat answers 43101.
func (c *Clients) SendSubscribe(_ context.Context, item mashang.OutboxItem) error {
	if c.MP == nil {
		return &APIError{Op: "message/subscribe/send", err: errors.New("no Mini Program is configured (MASHANG_MP_APPID)")}
	}
	data := make(map[string]*subscribe.DataItem, len(item.Data))
	for k, v := range item.Data {
		data[k] = &subscribe.DataItem{Value: v} // strings only: WeChat checks each value's type
	}
	// The SDK sends page, miniprogram_state and lang even when empty; set them.
	err := c.withToken(miniProgram, func() error {
		return c.MP.GetSubscribe().Send(&subscribe.Message{ToUser: item.ToUser, TemplateID: item.TemplateID,
			Page: item.URL, Data: data, MiniprogramState: "formal", Lang: "zh_CN"})
	})
	if err != nil {
		return apiError("message/subscribe/send", err)
	}
	return nil
}
