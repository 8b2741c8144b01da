package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"mashang"
	"mashang/store"
	"mashang/wechat/wechattest"
)

// Two instances on one MySQL, every push delivered to both at once (as
// WeChat's retries can land on either): each case exists once, each
// notification is sent once.
func TestTwoInstancesOneMySQL(t *testing.T) {
	if os.Getenv("MASHANG_TEST_MYSQL_DSN") == "" {
		if os.Getenv("MASHANG_TEST_REQUIRE_MYSQL") != "" {
			t.Fatal("MASHANG_TEST_MYSQL_DSN is required")
		}
		t.Skip("needs MySQL: set MASHANG_TEST_MYSQL_DSN")
	}
	ctx := context.Background()
	fake, fakeSrv, base, err := wechattest.Start(wechattest.Config{Apps: testWeChatApps()})
	if err != nil {
		t.Fatal(err)
	}
	defer fakeSrv.Close()
	cfg := testConfig(t, store.DriverMySQL, base) // one database for both
	cfg.Notify.DeputyPerMinute = 100000           // every case's notice is counted here

	type instance struct {
		db     *store.DB
		srv    *httptest.Server
		outbox *mashang.Outbox
	}
	var instances []instance
	for range 2 {
		a := newApp(t, cfg)
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		instances = append(instances, instance{db: a.DB, srv: srv, outbox: a.Outbox})
	}
	signerFor := func(i int) wechattest.CallbackSigner {
		return wechattest.CallbackSigner{URL: instances[i].srv.URL + "/wechat/callback", Token: token, AESKey: aesKey, AppID: appID, Mode: wechattest.ModeSafe}
	}
	deliverToBoth := func(p wechattest.Push) {
		var wg sync.WaitGroup
		for i := range instances {
			wg.Go(func() {
				req, err := signerFor(i).PushRequest(p.XML())
				if err != nil {
					t.Error(err)
					return
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("instance %d answered %d", i, resp.StatusCode)
				}
			})
		}
		wg.Wait()
	}

	// A deputy of 生活保障组 at 八大关 has bound WeChat.
	now := time.Now()
	bind, err := (&mashang.Binding{Store: instances[0].db}).NewCode(ctx, "demo-d02")
	if err != nil {
		t.Fatal(err)
	}
	deliverToBoth(wechattest.SubscribeByScan(account, "oLi", bind.Scene.String(), now))
	fake.Follow("oLi")

	// 20 citizens scan and write three messages each; every push reaches
	// both instances at once, and the citizens write at the same time.
	const citizens = 20
	var wg sync.WaitGroup
	for c := range citizens {
		wg.Go(func() {
			openid := fmt.Sprintf("oBurst%02d", c)
			at := now.Add(time.Duration(c) * time.Second)
			deliverToBoth(wechattest.SubscribeByScan(account, openid, "st:demo-bdg", at))
			var inner sync.WaitGroup
			for m := range 3 {
				inner.Go(func() {
					deliverToBoth(wechattest.Text(account, openid, int64(10_000+c*10+m), fmt.Sprintf("路灯坏了（%d）", m), at.Add(time.Duration(m+1)*time.Second)))
				})
			}
			inner.Wait()
		})
	}
	wg.Wait()

	// Both instances drain the outbox at once.
	var drains sync.WaitGroup
	for _, in := range instances {
		drains.Go(func() {
			if _, err := in.outbox.Drain(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	drains.Wait()

	db := instances[0].db
	cases, err := db.CountCases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	inbound, err := db.CountInbound(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cases != citizens {
		t.Errorf("%d cases for %d citizens", cases, citizens)
	}
	if want := 1 + citizens*4; inbound != want {
		t.Errorf("%d pushes stored, want %d", inbound, want)
	}
	if got := len(fake.Delivered("oLi")); got != citizens {
		t.Errorf("the deputy got %d notifications for %d cases", got, citizens)
	}
}
