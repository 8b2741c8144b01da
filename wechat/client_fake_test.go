package wechat_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/silenceper/wechat/v2/miniprogram/qrcode"
	"github.com/silenceper/wechat/v2/officialaccount/basic"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"mashang"
	"mashang/wechat"
	"mashang/wechat/wechattest"
)

// The SDK, wired as the service wires it, reaches the fake through the API
// base, wxacode included (the SDK's own URL modifier misses that call), and
// uses the stable token so instances never invalidate each other's.
func TestSDKReachesTheFakeThroughTheAPIBase(t *testing.T) {
	fake, srv, base, err := wechattest.Start(wechattest.Config{Apps: []wechattest.App{
		{AppID: "wxoa1", Secret: "oa-secret", Templates: []string{"TPL"}}, {AppID: "wxmp1", Secret: "mp-secret", MiniProgram: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	clients, err := wechat.NewClients(wechat.ClientConfig{APIBase: base,
		AppID: "wxoa1", Secret: "oa-secret", MPAppID: "wxmp1", MPSecret: "mp-secret"})
	if err != nil {
		t.Fatal(err)
	}

	fake.Follow("oDeputy")
	msgID, err := clients.OA.GetTemplate().Send(&message.TemplateMessage{ToUser: "oDeputy", TemplateID: "TPL",
		Data: map[string]*message.TemplateDataItem{"thing1": {Value: "新的群众诉求"}}})
	if err != nil || msgID == 0 {
		t.Fatalf("template send: %d %v", msgID, err)
	}
	if got := fake.Delivered("oDeputy"); len(got) != 1 || got[0].Data["thing1"] != "新的群众诉求" {
		t.Fatalf("delivered %+v", got)
	}

	ticket, err := clients.OA.GetBasic().GetQRTicket(basic.NewLimitQrRequest("st:demo-bdg"))
	if err != nil {
		t.Fatalf("qr ticket: %v", err)
	}
	if scene, ok := fake.SceneForURL(ticket.URL); !ok || scene != "st:demo-bdg" {
		t.Fatalf("ticket URL %q leads to %q", ticket.URL, scene)
	}

	jpeg, err := clients.MP.GetQRCode().GetWXACodeUnlimit(qrcode.QRCoder{Scene: "st:demo-bdg"})
	if err != nil || !bytes.HasPrefix(jpeg, []byte("\xff\xd8\xff")) {
		t.Fatalf("wxacode: %v", err)
	}

	session, err := clients.MP.GetAuth().Code2Session(fake.IssueLoginCode("wxmp1", "oCitizen", ""))
	if err != nil || session.OpenID != "oCitizen" {
		t.Fatalf("code2session: %+v %v", session, err)
	}

	if n := len(fake.Calls("/cgi-bin/token")); n != 0 {
		t.Errorf("the invalidating /cgi-bin/token was called %d times", n)
	}
	if n := len(fake.Calls("/cgi-bin/stable_token")); n == 0 {
		t.Error("the stable token was never fetched")
	}

	fake.FailNext("/cgi-bin/message/template/send", 43004, 1)
	_, err = clients.OA.GetTemplate().Send(&message.TemplateMessage{ToUser: "oDeputy", TemplateID: "TPL",
		Data: map[string]*message.TemplateDataItem{"thing1": {Value: "x"}}})
	if wechat.ErrCode(err) != 43004 {
		t.Fatalf("error %v read as %d", err, wechat.ErrCode(err))
	}
}

// Two instances share the Official Account. Each fetches the stable token
// on its own and gets the same one; when another system force-refreshes it,
// each instance's next call is answered 40001, drops its cached token,
// fetches the new one and succeeds on its one retry, without forcing a
// refresh that would kill the other's. A token that stays dead is retried
// once, not forever.
func TestDeadTokenIsRefreshedOnceAndRetriedOnce(t *testing.T) {
	fake, srv, base, err := wechattest.Start(wechattest.Config{Apps: []wechattest.App{{AppID: "wxoa2", Secret: "oa-secret", Templates: []string{"TPL"}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var invalidations []int
	newInstance := func() *wechat.Clients {
		c, err := wechat.NewClients(wechat.ClientConfig{APIBase: base, AppID: "wxoa2", Secret: "oa-secret",
			DeadToken: func(code int) { invalidations = append(invalidations, code) }})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := newInstance(), newInstance()
	fake.Follow("oDeputy")
	send := func(c *wechat.Clients, clientMsgID string) error {
		_, err := c.SendTemplate(t.Context(), mashang.OutboxItem{ToUser: "oDeputy", TemplateID: "TPL", ClientMsgID: clientMsgID,
			Data: map[string]string{"thing1": "新的群众诉求"}})
		return err
	}
	for i, c := range []*wechat.Clients{a, b, a, b} {
		if err := send(c, fmt.Sprintf("warm-%d", i)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if len(invalidations) != 0 {
		t.Fatalf("two instances invalidated each other: %v", invalidations)
	}

	fake.InvalidateTokens("wxoa2") // another system used force_refresh
	for i, c := range []*wechat.Clients{a, b} {
		if err := send(c, fmt.Sprintf("after-%d", i)); err != nil {
			t.Fatalf("instance %d after the token died: %v", i, err)
		}
	}
	if len(invalidations) != 2 || invalidations[0] != 40001 {
		t.Fatalf("each instance should drop its token once: %v", invalidations)
	}
	if got := len(fake.Delivered("oDeputy")); got != 6 {
		t.Fatalf("delivered %d, want 6", got)
	}
	for _, call := range fake.Calls("/cgi-bin/stable_token") {
		if bytes.Contains(call.Body, []byte(`"force_refresh":true`)) {
			t.Fatalf("a forced refresh: %s", call.Body)
		}
	}
	if n := len(fake.Calls("/cgi-bin/token")); n != 0 {
		t.Fatalf("the invalidating /cgi-bin/token was called %d times", n)
	}

	// A token WeChat keeps refusing: one retry, then the error.
	before := len(fake.Calls("/cgi-bin/message/template/send"))
	fake.FailNext("/cgi-bin/message/template/send", 42001, 2)
	if err := send(a, "stays-dead"); wechat.ErrCode(err) != 42001 {
		t.Fatalf("a token that stays dead: %v", err)
	}
	if n := len(fake.Calls("/cgi-bin/message/template/send")) - before; n != 2 {
		t.Fatalf("%d sends for a dead token, want 2 (one retry)", n)
	}
}
