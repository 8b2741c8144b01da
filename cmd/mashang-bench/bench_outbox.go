package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"mashang"
	"mashang/store"
	"mashang/wechat"
	"mashang/wechat/wechattest"
)

// benchOutbox drains 10,000 template notifications against the fake WeChat
// over loopback, through the SDK, as the service sends them.
func benchOutbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench outbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 10_000, "notifications")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	dir, err := os.MkdirTemp("", "mashang-outbox-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fake, srv, base, err := wechattest.Start(wechattest.Config{Apps: []wechattest.App{{AppID: "wxbench", Secret: "s", Templates: []string{"TPL"}}}})
	if err != nil {
		return err
	}
	defer srv.Close()
	clients, err := wechat.NewClients(wechat.ClientConfig{APIBase: base, AppID: "wxbench", Secret: "s"})
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, store.DriverSQLite, filepath.Join(dir, "outbox.db"))
	if err != nil {
		return err
	}
	defer db.Close()

	items := make([]mashang.OutboxItem, *n)
	for i := range items {
		openid := fmt.Sprintf("oDeputy%05d", i%500)
		fake.Follow(openid)
		items[i] = mashang.OutboxItem{Kind: "template", ToUser: openid, TemplateID: "TPL",
			Data:        map[string]string{"character_string1": fmt.Sprintf("261123-%04d", i%10000), "thing2": "八大关街道人大代表联络站"},
			ClientMsgID: fmt.Sprintf("bench-%d", i)}
	}
	if err := db.EnqueueAll(ctx, items, time.Now()); err != nil {
		return err
	}
	outbox := &mashang.Outbox{Store: db, Sender: clients, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Batch: 200}
	start := time.Now()
	res, err := outbox.Drain(ctx)
	if err != nil {
		return err
	}
	took := time.Since(start)
	delivered := len(fake.Delivered(""))
	fmt.Fprintf(stdout, "\noutbox benchmark, %s, %s/%s, %d CPU: %d template messages, SQLite, fake WeChat on loopback\n\n",
		time.Now().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), *n)
	fmt.Fprintf(stdout, "sent %d, retried %d, failed %d, delivered (by the fake) %d in %s: %.0f notifications/s\n",
		res.Sent, res.Retried, res.Failed, delivered, took.Round(time.Millisecond), float64(res.Sent)/took.Seconds())
	addBenchRow(benchRow{"outbox drain", fmt.Sprintf("%d notices, per s", *n), fmt.Sprintf("%.0f", float64(res.Sent)/took.Seconds()),
		"-", "", fmt.Sprintf("all delivered once: %s", metOrNot(delivered == *n))})
	if delivered != *n {
		return fmt.Errorf("the fake received %d of %d", delivered, *n)
	}
	return nil
}
