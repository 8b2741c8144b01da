package handlers_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// Stopping an instance lets the send under way finish and be recorded, and
// hands back what it claimed and did not start: another instance (or the
// next start) sends it at once, not when the lease runs out, and each
// notification reaches its deputy once.
func TestShutdownHandsUnsentNotificationsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		items := e.queueNotices(t, "handback", 5)
		const send = "/cgi-bin/message/template/send"
		e.fake.StallNext(send, 300*time.Millisecond, 1)
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		// A lease of an hour: only a hand-back lets the next drain see them.
		stopping := &mashang.Outbox{Store: e.db, Sender: e.clients, Log: quiet, Concurrency: 1, Lease: time.Hour}
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { _, err := stopping.Drain(runCtx); done <- err }()
		deadline := time.Now().Add(5 * time.Second)
		for len(e.fake.Calls(send)) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the first send never started")
			}
			time.Sleep(5 * time.Millisecond)
		}
		stop() // the instance is told to stop while WeChat is still answering
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("drain: %v", err)
		}
		rows, err := e.db.OutboxRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sent := 0
		for _, r := range rows {
			if r.Status == "sent" {
				sent++
			}
		}
		if sent != 1 {
			t.Fatalf("the send under way was not recorded: %+v", rows)
		}

		next := &mashang.Outbox{Store: e.db, Sender: e.clients, Log: quiet, Lease: time.Hour}
		res, err := next.Drain(ctx)
		if err != nil || res.Sent != 4 {
			t.Fatalf("the other instance sent %+v (%v), want the 4 handed back", res, err)
		}
		for _, it := range items {
			if got := e.fake.Delivered(it.ToUser); len(got) != 1 {
				t.Errorf("%s got %d notifications", it.ToUser, len(got))
			}
		}
	})
}
