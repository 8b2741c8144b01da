package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"mashang"
	"mashang/store"
	"mashang/store/storetest"
)

var t0 = time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)

func text(openid string, msgID int64, content string) mashang.Inbound {
	return mashang.Inbound{Account: "gh_test", OpenID: openid, CreateTime: t0, MsgType: mashang.MsgText,
		MsgID: msgID, Content: content, Raw: []byte("<xml/>"), ReceivedAt: t0}
}

func event(openid, name, key string, at time.Time) mashang.Inbound {
	return mashang.Inbound{Account: "gh_test", OpenID: openid, CreateTime: at, MsgType: mashang.MsgEvent,
		Event: name, EventKey: key, Raw: []byte("<xml/>"), ReceivedAt: at}
}

func TestMigrationsAreIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, driver)
		for range 2 {
			db, err := store.Open(ctx, driver, dsn)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			current, latest, err := db.SchemaVersion(ctx)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			if current != latest || latest < 1 {
				t.Fatalf("schema at %d, latest %d", current, latest)
			}
		}
	})
}

func TestOpenRefusesUnreachableMySQL(t *testing.T) {
	_, err := store.Open(context.Background(), store.DriverMySQL, "root:secret@tcp(127.0.0.1:1)/nothing?timeout=1s")
	if err == nil {
		t.Fatal("opened a database that does not exist")
	}
	for _, want := range []string{"cannot reach MySQL", "127.0.0.1:1"} {
		if !contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if contains(err.Error(), "secret") {
		t.Errorf("error %q shows the password", err)
	}
}

func TestIntakeStoresOnceAndAnswersTheSame(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db := storetest.Open(t, driver)
		intake := &mashang.Intake{Store: db, Now: func() time.Time { return t0 }}

		first, err := intake.Receive(ctx, text("oCitizen1", 42, "路灯坏了"))
		if err != nil {
			t.Fatal(err)
		}
		if first.IsEmpty() {
			t.Fatal("a text got no reply")
		}
		for range 2 {
			again, err := intake.Receive(ctx, text("oCitizen1", 42, "路灯坏了"))
			if err != nil {
				t.Fatal(err)
			}
			if again.Text != first.Text || !again.Repeat || first.Repeat {
				t.Fatalf("retry answered %+v, first answer was %+v", again, first)
			}
		}
		// Another citizen's message with the same MsgId is a different message.
		if _, err := intake.Receive(ctx, text("oCitizen2", 42, "垃圾没人清")); err != nil {
			t.Fatal(err)
		}
		msgs, err := db.InboundMessages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2 {
			t.Fatalf("stored %d messages, want 2", len(msgs))
		}
		if msgs[0].Content != "路灯坏了" || msgs[0].Reply != first.Text || !msgs[0].CreateTime.Equal(t0) {
			t.Fatalf("stored %+v", msgs[0])
		}
	})
}

func TestConcurrentDeliveriesOfOnePushStoreOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db := storetest.Open(t, driver)
		intake := &mashang.Intake{Store: db}
		var wg sync.WaitGroup
		replies := make([]mashang.Reply, 20)
		errs := make([]error, 20)
		for i := range replies {
			wg.Go(func() { replies[i], errs[i] = intake.Receive(ctx, text("oSame", 7, "同一条消息")) })
		}
		wg.Wait()
		firsts := 0
		for i := range replies {
			if errs[i] != nil {
				t.Fatalf("delivery %d: %v", i, errs[i])
			}
			if replies[i].Text != replies[0].Text || replies[i].IsEmpty() {
				t.Fatalf("delivery %d answered %q, delivery 0 %q", i, replies[i].Text, replies[0].Text)
			}
			if !replies[i].Repeat {
				firsts++
			}
		}
		if firsts != 1 {
			t.Fatalf("%d deliveries were taken as the first", firsts)
		}
		if n, _ := db.CountInbound(ctx); n != 1 {
			t.Fatalf("stored %d, want 1", n)
		}
	})
}

func TestFollowerLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db := storetest.Open(t, driver)
		if err := db.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		intake := &mashang.Intake{Store: db}

		reply, err := intake.Receive(ctx, event("oF", mashang.EventSubscribe, "qrscene_st:demo-bdg", t0))
		if err != nil {
			t.Fatal(err)
		}
		if !contains(reply.Text, "市南区八大关街道人大代表联络站") {
			t.Fatalf("follow-by-scan reply %q does not name the station", reply.Text)
		}
		f, err := db.FollowerByOpenID(ctx, "oF")
		if err != nil {
			t.Fatal(err)
		}
		if !f.Subscribed || f.LastScene.String != "st:demo-bdg" || !f.LastSceneAt.Time.Equal(t0) {
			t.Fatalf("after follow-by-scan: %+v", f)
		}

		if _, err := intake.Receive(ctx, event("oF", mashang.EventUnsubscribe, "", t0.Add(time.Minute))); err != nil {
			t.Fatal(err)
		}
		f, _ = db.FollowerByOpenID(ctx, "oF")
		if f.Subscribed || f.LastScene.Valid || f.LastSceneAt.Valid {
			t.Fatalf("unfollow kept the profile: %+v", f)
		}

		// A late retry of something older than the unfollow changes nothing.
		if _, err := intake.Receive(ctx, event("oF", mashang.EventScan, "st:demo-xhw", t0.Add(30*time.Second))); err != nil {
			t.Fatal(err)
		}
		f, _ = db.FollowerByOpenID(ctx, "oF")
		if f.Subscribed || f.LastScene.Valid {
			t.Fatalf("an older push revived the follower: %+v", f)
		}
		// What they sent stays: the unsubscribe drops the profile, not the record.
		if n, _ := db.CountInbound(ctx); n != 3 {
			t.Fatalf("stored %d pushes, want 3", n)
		}
	})
}

func TestScanRepliesNameWhoWasReached(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db := storetest.Open(t, driver)
		if err := db.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.SeedDemo(ctx); err != nil { // loading twice changes nothing
			t.Fatal(err)
		}
		stations, _ := db.Stations(ctx)
		deputies, _ := db.Deputies(ctx)
		if len(stations) != 3 || len(deputies) != 6 {
			t.Fatalf("demo has %d stations and %d deputies, want 3 and 6", len(stations), len(deputies))
		}
		intake := &mashang.Intake{Store: db}
		cases := []struct {
			scene string
			want  string
		}{
			{"dp:demo-d01", "王海燕代表"},
			{"st:demo-lsh", "崂山区沙子口街道人大代表联络点"},
			{"st:nope", "未能识别"},
			{"something-else", "未能识别"},
		}
		for i, c := range cases {
			reply, err := intake.Receive(ctx, event(fmt.Sprintf("oScan%d", i), mashang.EventScan, c.scene, t0))
			if err != nil {
				t.Fatal(err)
			}
			if !contains(reply.Text, c.want) {
				t.Errorf("scan %s answered %q, want it to contain %q", c.scene, reply.Text, c.want)
			}
		}
	})
}

// One failing transaction in a group of concurrent ones fails alone.
func TestAFailingWriteFailsAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db := storetest.Open(t, driver)
		boom := errors.New("boom")
		var wg sync.WaitGroup
		errs := make([]error, 40)
		for i := range errs {
			wg.Go(func() {
				errs[i] = db.UpdateIntake(ctx, func(tx mashang.IntakeTx) error {
					m := text(fmt.Sprintf("oG%d", i), int64(i+1), "x")
					if _, _, err := tx.ClaimInbound(ctx, &m, mashang.Reply{}, 0); err != nil {
						return err
					}
					if i == 13 {
						return boom
					}
					return nil
				})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if i == 13 && !errors.Is(err, boom) {
				t.Fatalf("the failing write returned %v", err)
			}
			if i != 13 && err != nil {
				t.Fatalf("write %d failed with %v", i, err)
			}
		}
		if n, _ := db.CountInbound(ctx); n != 39 {
			t.Fatalf("stored %d, want 39", n)
		}
	})
}

func TestClosedStoreRefusesWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		db := storetest.Open(t, driver)
		db.Close()
		intake := &mashang.Intake{Store: db}
		if _, err := intake.Receive(context.Background(), text("oX", 1, "x")); err == nil {
			t.Fatal("a closed store took a write")
		}
	})
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
