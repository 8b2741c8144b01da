package wechat_test

import (
	"bytes"
	"testing"

	"github.com/silenceper/wechat/v2/miniprogram/qrcode"
	"github.com/silenceper/wechat/v2/officialaccount/basic"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"mashang/wechat"
	"mashang/wechat/wechattest"
)

// The SDK, wired as the service wires it, reaches the fake through the API
// base, wxacode included (the SDK's own URL modifier misses that call), and
// uses the stable token so instances never invalidate each other's.
func TestSDKReachesTheFakeThroughTheAPIBase(t *testing.T) {
	fake, srv, base, err := wechattest.Start(wechattest.Config{Apps: []wechattest.App{
		{AppID: "wxoa1", Secret: "oa-secret"}, {AppID: "wxmp1", Secret: "mp-secret"},
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

	png, err := clients.MP.GetQRCode().GetWXACodeUnlimit(qrcode.QRCoder{Scene: "st:demo-bdg"})
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
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
