package handlers_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mashang"
	"mashang/store"
	"mashang/wechat/wechattest"
)

// A station secretary works a case in a real browser (headless Chromium):
// signs in, finds the case a citizen raised through the Official Account,
// hands it to a department, answers the citizen — and the fake WeChat
// receives the answer. Screenshots of the inbox and the dashboard are left
// in $MASHANG_SCREENSHOTS (default: a temporary directory, logged).
func TestConsoleInABrowser(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
	}
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	e.addStaff(t, mashang.StaffUser{Username: "wangms", Name: "王秘书", Role: mashang.RoleSecretary}, "", "demo-bdg")
	const citizen = "oBrowserCitizen000000001"
	now := time.Now()
	e.say(t, wechattest.SubscribeByScan(account, citizen, "st:demo-bdg", now))
	number, _ := e.caseOf(t, e.say(t, wechattest.Text(account, citizen, 9101, "小区门口的路灯坏了一个多月", now.Add(time.Minute))))
	e.fake.Follow(citizen)
	e.fake.UserMessaged(citizen) // inside WeChat's 48-hour window: the answer goes as a customer-service message

	shots := os.Getenv("MASHANG_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.WindowSize(1366, 768))...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	var inboxPNG, boardPNG, figuresPNG []byte
	var inbox string
	caseURL := e.srv.URL + "/console/cases/" + number.Number
	// After each form is sent the test waits for something only the answer
	// has, then loads the next page itself: the browser is never asked about
	// a page that is being replaced.
	steps := []struct {
		name    string
		actions []chromedp.Action
	}{
		{"sign in", []chromedp.Action{chromedp.Navigate(e.srv.URL + "/console/login"),
			chromedp.WaitReady(`input[name="username"]`),
			chromedp.SendKeys(`input[name="username"]`, "wangms"),
			chromedp.SendKeys(`input[name="password"]`, staffPassword),
			chromedp.Submit(`input[name="password"]`),
			chromedp.WaitReady(`nav`)}}, // only signed-in pages have it
		{"inbox", []chromedp.Action{chromedp.Navigate(e.srv.URL + "/console/"),
			chromedp.WaitReady(`table`),
			chromedp.Text(`table`, &inbox),
			chromedp.FullScreenshot(&inboxPNG, 100)}},
		{"open the case", []chromedp.Action{chromedp.Click(`a[href="/console/cases/` + number.Number + `"]`),
			chromedp.WaitReady(`form[action$="/handover"]`)}},
		{"hand over", []chromedp.Action{chromedp.SendKeys(`form[action$="/handover"] input[name="department"]`, "市南区城市管理局"),
			chromedp.Submit(`form[action$="/handover"] input[name="department"]`),
			chromedp.WaitReady(`p.ok`)}},
		{"reply", []chromedp.Action{chromedp.Navigate(caseURL),
			chromedp.WaitReady(`form[action$="/reply"]`),
			chromedp.SendKeys(`form[action$="/reply"] textarea[name="text"]`, "已交市南区城市管理局，十个工作日内修复"),
			chromedp.Submit(`form[action$="/reply"] textarea[name="text"]`),
			chromedp.WaitReady(`p.ok`)}},
		{"board", []chromedp.Action{chromedp.Navigate(e.srv.URL + "/console/board"),
			chromedp.WaitReady(`table`),
			chromedp.FullScreenshot(&boardPNG, 100)}},
		{"figures", []chromedp.Action{chromedp.Navigate(e.srv.URL + "/console/figures"),
			chromedp.WaitReady(`table`),
			chromedp.FullScreenshot(&figuresPNG, 100)}},
	}
	for _, step := range steps {
		if err := chromedp.Run(ctx, step.actions...); err != nil {
			t.Fatalf("in the browser, %s: %v", step.name, err)
		}
	}
	if !strings.Contains(inbox, number.Number) {
		t.Fatalf("the inbox does not list %s: %q", number.Number, inbox)
	}
	for name, png := range map[string][]byte{"inbox.png": inboxPNG, "board.png": boardPNG, "figures.png": figuresPNG} {
		if len(png) < 1000 {
			t.Fatalf("%s: %d bytes", name, len(png))
		}
		if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", shots)

	c, events := e.caseOf(t, number.Number)
	if c.Status != mashang.CaseHanded || !strings.Contains(timeline(events), "handed: 交「青岛市/市南区/市南区城市管理局」办理") {
		t.Fatalf("case after the browser: %+v\n%s", c, timeline(events))
	}
	if _, err := e.outbox.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := e.fake.Delivered(citizen)
	if len(got) != 1 || got[0].Kind != wechattest.DeliveryCustom || got[0].Text != "已交市南区城市管理局，十个工作日内修复" {
		t.Fatalf("the citizen received %+v", got)
	}
}
