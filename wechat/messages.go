package wechat

import (
	"context"

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
	msgID, err := c.OA.GetTemplate().Send(&message.TemplateMessage{
		ToUser: item.ToUser, TemplateID: item.TemplateID, URL: item.URL, Data: data, ClientMsgID: item.ClientMsgID,
	})
	if err != nil {
		return 0, apiError("message/template/send", err)
	}
	return msgID, nil
}

// SendText sends a customer-service text message (mashang.TemplateSender).
func (c *Clients) SendText(_ context.Context, openid, text string) error {
	if err := c.OA.GetCustomerMessageManager().Send(message.NewCustomerTextMessage(openid, text)); err != nil {
		return apiError("message/custom/send", err)
	}
	return nil
}
