package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"mashang"
	"mashang/store/storetest"
	"mashang/wechat"
	"mashang/wechat/wechattest"
)

// WeChat failing a third of the sends with -1 (system busy), some calls
// timing out, and some delivered with the answer lost on the way: in the
// end every notification reaches its deputy once — the retries carry the
// same client_msg_id, which WeChat does not deliver twice — and each is
// recorded as sent.
func TestFlakyWeChatDeliversEveryNotificationOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		const n = 120
		items := e.queueNotices(t, "flaky", n)
		const send = "/cgi-bin/message/template/send"
		e.fake.FailRandomly(send, 1.0/3, -1)
		e.fake.StallNext(send, 2*time.Second, 4)
		e.fake.LoseAnswerNext(send, 4)
		// A client that gives up well before the stalls end.
		clients, err := wechat.NewClients(wechat.ClientConfig{APIBase: e.fakeURL, AppID: appID, Secret: "test-secret", Timeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		outbox := &mashang.Outbox{Store: e.db, Sender: clients, Backoff: time.Millisecond, MaxAttempts: 30,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		deadline := time.Now().Add(60 * time.Second)
		var total mashang.DrainResult
		for total.Sent < n {
			if time.Now().After(deadline) {
				t.Fatalf("gave up: %+v after a minute", total)
			}
			res, err := outbox.Drain(ctx)
			if err != nil {
				t.Fatal(err)
			}
			total.Sent, total.Retried, total.Failed = total.Sent+res.Sent, total.Retried+res.Retried, total.Failed+res.Failed
			if total.Failed > 0 {
				t.Fatalf("a notification failed for good: %+v", total)
			}
			time.Sleep(5 * time.Millisecond) // the retries' backoff
		}
		if total.Retried < n/4 {
			t.Fatalf("WeChat hardly failed (%+v): the test proves nothing", total)
		}
		lost := 0
		for _, c := range e.fake.Calls(send) {
			if c.AnswerLost {
				lost++
			}
		}
		if lost != 4 {
			t.Fatalf("%d answers lost, want 4", lost)
		}
		for _, it := range items {
			if got := e.fake.Delivered(it.ToUser); len(got) != 1 {
				t.Errorf("%s got %d notifications", it.ToUser, len(got))
			}
		}
		rows, err := e.db.OutboxRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Status != "sent" {
				t.Errorf("notification %d: %s", r.ID, r.Status)
			}
		}
	})
}

// queueNotices puts n template messages in the outbox, each to a deputy of
// its own who follows the Official Account.
func (e *env) queueNotices(t *testing.T, name string, n int) []mashang.OutboxItem {
	t.Helper()
	var items []mashang.OutboxItem
	for i := range n {
		openid := fmt.Sprintf("o%sDeputy%020d", name, i)
		e.fake.Follow(openid)
		items = append(items, mashang.OutboxItem{Kind: "template", ToUser: openid, TemplateID: "TPL-NEW-CASE",
			ClientMsgID: fmt.Sprintf("%s-%d", name, i), Data: map[string]string{"thing2": "八大关"}})
	}
	if err := e.db.EnqueueAll(context.Background(), items, time.Now()); err != nil {
		t.Fatal(err)
	}
	return items
}
