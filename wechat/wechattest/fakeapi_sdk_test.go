package wechattest

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	"github.com/silenceper/wechat/v2/officialaccount/basic"
	offConfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
)

// rewriteHost sends every request to the fake, whatever host the SDK named.
type rewriteHost struct{ to *url.URL }

func (rt rewriteHost) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = rt.to.Scheme, rt.to.Host, rt.to.Host
	return http.DefaultTransport.RoundTrip(r)
}

// The SDK the project uses must find in the fake what it finds in WeChat:
// the stable token, a template send and a permanent QR ticket. Not parallel:
// it swaps the SDK's global HTTP client.
func TestFakeAPIServesTheSDK(t *testing.T) {
	f, srv, base, err := Start(Config{Apps: testApps()[:1]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	to, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	saved := util.DefaultHTTPClient
	util.DefaultHTTPClient = &http.Client{Transport: rewriteHost{to}}
	t.Cleanup(func() { util.DefaultHTTPClient = saved })

	oa := officialaccount.NewOfficialAccount(&offConfig.Config{AppID: oaID, AppSecret: oaSecret, Token: "x",
		Cache: cache.NewMemory(), UseStableAK: true})
	f.Follow("oDeputy")

	msgID, err := oa.GetTemplate().Send(&message.TemplateMessage{ToUser: "oDeputy", TemplateID: "TPL-NEW-CASE",
		Data: map[string]*message.TemplateDataItem{"thing1": {Value: "路灯不亮"}, "time2": {Value: "2026-03-02 12:00"}}})
	if err != nil || msgID == 0 {
		t.Fatalf("template send: %d %v", msgID, err)
	}
	ticket, err := oa.GetBasic().GetQRTicket(basic.NewLimitQrRequest("st:demo"))
	if err != nil || ticket.Ticket == "" {
		t.Fatalf("qr ticket: %+v %v", ticket, err)
	}
	if scene, ok := f.SceneForURL(ticket.URL); !ok || scene != "st:demo" {
		t.Fatalf("ticket URL %q leads to %q", ticket.URL, scene)
	}

	stable := f.Calls("/cgi-bin/stable_token")
	if len(stable) != 1 || stable[0].ErrCode != 0 || len(f.Calls("/cgi-bin/token")) != 0 {
		t.Fatalf("token calls: stable %+v, plain %d", stable, len(f.Calls("/cgi-bin/token")))
	}
	tok := ""
	for _, path := range []string{"/cgi-bin/message/template/send", "/cgi-bin/qrcode/create"} {
		calls := f.Calls(path)
		if len(calls) != 1 || calls[0].ErrCode != 0 {
			t.Fatalf("%s: %+v", path, calls)
		}
		if tok == "" {
			tok = calls[0].Query.Get("access_token")
		}
		if got := calls[0].Query.Get("access_token"); got == "" || got != tok {
			t.Fatalf("%s used token %q, the other call %q", path, got, tok)
		}
	}
	f.mu.Lock()
	st := f.tokens[tok]
	isLiveStable := st != nil && st.stable && st.live(time.Now())
	f.mu.Unlock()
	if !isLiveStable {
		t.Fatalf("the SDK used %q, not a live stable token", tok)
	}
	if got := f.Delivered("oDeputy"); len(got) != 1 || got[0].MsgID != msgID || got[0].Data["thing1"] != "路灯不亮" {
		t.Fatalf("delivered %+v", got)
	}
}
