package wechat_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"mashang/wechat"
	"mashang/wechat/wechattest"
)

// startFakeWeChat runs a fake with an Official Account and a Mini Program,
// and the SDK's clients wired to it.
func startFakeWeChat(t *testing.T, clock func() time.Time) (*wechattest.Fake, *wechat.Clients) {
	t.Helper()
	fake, srv, base, err := wechattest.Start(wechattest.Config{Now: clock, Apps: []wechattest.App{
		{AppID: "wxoa1", Secret: "oa-secret"}, {AppID: "wxmp1", Secret: "mp-secret", MiniProgram: true}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	clients, err := wechat.NewClients(wechat.ClientConfig{APIBase: base, AppID: "wxoa1", Secret: "oa-secret", MPAppID: "wxmp1", MPSecret: "mp-secret"})
	if err != nil {
		t.Fatal(err)
	}
	return fake, clients
}

// signIn makes openid a Mini Program user the fake saw, as code2session does.
func signIn(t *testing.T, fake *wechattest.Fake, clients *wechat.Clients, openid string) {
	t.Helper()
	if _, _, err := clients.Code2Session(context.Background(), fake.IssueLoginCode("wxmp1", openid, "")); err != nil {
		t.Fatal(err)
	}
}

func TestMsgSecCheckThroughTheFake(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	fake, clients := startFakeWeChat(t, clock)
	ctx := context.Background()
	// One citizen used the Mini Program two hours and a minute ago.
	mu.Lock()
	now = now.Add(-2*time.Hour - time.Minute)
	mu.Unlock()
	signIn(t, fake, clients, "oVisitedLongAgo1")
	mu.Lock()
	now = now.Add(2*time.Hour + time.Minute)
	mu.Unlock()
	fake.SetRiskyWords(map[string]wechattest.SecurityHit{"赌博": {Suggest: "risky", Label: 20006}, "某领导": {Suggest: "review", Label: 20001}})

	// Never signed in to the Mini Program: WeChat will not check for them.
	var coded interface{ WeChatCode() int }
	if _, err := clients.MsgSecCheck(ctx, "oNeverSignedIn01", "你好"); !errors.As(err, &coded) || coded.WeChatCode() != 43104 {
		t.Fatalf("unknown openid: %v", err)
	}
	signIn(t, fake, clients, "oChecked00000001")
	for _, tc := range []struct {
		text, suggest string
		label         int
	}{
		{"小区路灯坏了", "pass", 100},
		{"有人聚众赌博", "risky", 20006},
		{"想反映某领导的问题", "review", 20001},
		// Longer than one check takes: the worst piece decides.
		{strings.Repeat("路", 2600) + "赌博", "risky", 20006},
	} {
		v, err := clients.MsgSecCheck(ctx, "oChecked00000001", tc.text)
		if err != nil || v.Suggest != tc.suggest || v.Label != tc.label || v.TraceID == "" || v.Held() != (tc.suggest != "pass") {
			t.Errorf("%.20s…: %+v %v", tc.text, v, err)
		}
	}
	// Two hours after their visit, WeChat no longer checks for them.
	if _, err := clients.MsgSecCheck(ctx, "oVisitedLongAgo1", "你好"); !errors.As(err, &coded) || coded.WeChatCode() != 61010 {
		t.Fatalf("after two hours: %v", err)
	}
}

func TestMediaCheckVerdictIsPushedAndOpened(t *testing.T) {
	fake, clients := startFakeWeChat(t, nil)
	const pushToken, pushKey = "mppush", "bWFzaGFuZy1taW5pcHJvZ3JhbS10ZXN0LXB1c2gta2U"
	opener, err := wechat.NewInbound(wechat.InboundConfig{Token: pushToken, AppID: "wxmp1", AESKey: pushKey})
	if err != nil {
		t.Fatal(err)
	}
	// Our side: the photo WeChat downloads, and the push URL it answers.
	photo := []byte("\x89PNG fake photo bytes")
	verdicts := make(chan string, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/photo", func(w http.ResponseWriter, r *http.Request) { w.Write(photo) })
	mux.HandleFunc("/push", func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, r.ContentLength)
		_, _ = r.Body.Read(body)
		plain, err := opener.OpenJSON(wechat.QueryFrom(r.URL.Query()), body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		event, result, err := wechat.ParseMPEvent(plain)
		if err != nil || event != wechat.EventMediaCheck {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		verdicts <- result.TraceID + " " + result.Verdict.Suggest + " " + result.Verdict.LabelName()
		w.Write([]byte("success"))
	})
	ours := httptest.NewServer(mux)
	defer ours.Close()
	fake.SetMPPush("wxmp1", wechattest.PushTarget{URL: ours.URL + "/push", Token: pushToken, AESKey: pushKey})
	fake.SetRiskyMedia(func(data []byte) (wechattest.SecurityHit, bool) {
		return wechattest.SecurityHit{Suggest: "risky", Label: 20002}, string(data) == string(photo)
	})
	signIn(t, fake, clients, "oPhotoSender0001")

	traceID, err := clients.MediaCheckAsync(context.Background(), "oPhotoSender0001", ours.URL+"/photo", true)
	if err != nil || traceID == "" {
		t.Fatalf("media check: %q %v", traceID, err)
	}
	select {
	case got := <-verdicts:
		if got != traceID+" risky 色情" {
			t.Fatalf("verdict %q", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no verdict pushed")
	}

	// A push signed with another token, or tampered, is refused.
	forged := wechattest.CallbackSigner{URL: ours.URL + "/push", Token: "other", AESKey: pushKey, AppID: "wxmp1", Mode: wechattest.ModeSafe}
	req, _ := forged.JSONPushRequest([]byte(`{"MsgType":"event","Event":"wxa_media_check","trace_id":"t","result":{"suggest":"pass","label":100}}`), "gh_x")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged push: %v %v", resp, err)
	}
	otherApp := wechattest.CallbackSigner{URL: ours.URL + "/push", Token: pushToken, AESKey: pushKey, AppID: "wxmpOTHER", Mode: wechattest.ModeSafe}
	req, _ = otherApp.JSONPushRequest([]byte(`{"MsgType":"event","Event":"wxa_media_check","trace_id":"t","result":{"suggest":"pass","label":100}}`), "gh_x")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("push for another app: %v %v", resp, err)
	}
}
