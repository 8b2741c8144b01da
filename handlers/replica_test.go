package handlers_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/configs"
	"mashang/store"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// With MASHANG_DB_READ_DSN the console's inbox reads a real MariaDB
// replica (a private primary with binary logs, a replica following it by
// GTID). While the replica lags (its SQL thread stopped) the person who
// acted sees what they did, and someone else's inbox may show the case as
// it was; once it catches up, everyone sees it; with the replica's server
// down the console still answers, from the primary.
func TestConsoleReadsFromAReplica(t *testing.T) {
	if os.Getenv("MASHANG_TEST_MYSQL_DSN") == "" {
		if os.Getenv("MASHANG_TEST_REQUIRE_MYSQL") != "" {
			t.Fatal("MASHANG_TEST_MYSQL_DSN is required")
		}
		t.Skip("needs MySQL: set MASHANG_TEST_MYSQL_DSN")
	}
	rep := storetest.StartReplication(t)
	primary, replica := rep.Databases(t)
	e := newEnv(t, store.DriverMySQL, wechattest.ModeSafe, options{configure: func(cfg *configs.Config) {
		cfg.DB.DSN, cfg.DB.ReadDSN, cfg.DB.ReadPrimaryFor = primary, replica, time.Minute
	}})
	now := time.Now()
	e.say(t, wechattest.SubscribeByScan(account, "oReplica", "st:demo-bdg", now))
	c, _ := e.caseOf(t, e.say(t, wechattest.Text(account, "oReplica", 801, "小区门口的路灯坏了", now)))
	number := c.Number
	for _, name := range []string{"actor", "other"} {
		e.addStaff(t, mashang.StaffUser{Username: name, Name: name, Role: mashang.RoleAdmin}, "", "")
	}
	actor, other := e.browser(t), e.browser(t)
	for name, b := range map[string]*staffBrowser{"actor": actor, "other": other} {
		if status := b.login(name, staffPassword); status != http.StatusSeeOther {
			t.Fatalf("login: %d", status)
		}
	}
	rep.CatchUp(t)
	listedOpen := func(b *staffBrowser) bool {
		t.Helper()
		status, body := b.get("/console/?status=open")
		if status != http.StatusOK {
			t.Fatalf("inbox: %d", status)
		}
		return strings.Contains(body, "/console/cases/"+number)
	}
	if !listedOpen(actor) || !listedOpen(other) {
		t.Fatal("the new case is not in the inbox of open cases")
	}

	// The replica stops applying; the actor takes the case.
	rep.Pause(t)
	actor.get("/console/cases/" + number)
	if status, loc := actor.post("/console/cases/"+number+"/do/accept", url.Values{"csrf": {actor.csrf}}); status != http.StatusSeeOther || !strings.Contains(loc, "done: ") {
		t.Fatalf("accept: %d %s", status, loc)
	}
	if listedOpen(actor) {
		t.Fatal("the person who took the case still sees it open: their page read the lagging replica")
	}
	if !listedOpen(other) {
		t.Fatal("the other person's inbox did not read the replica (it shows what only the primary has)")
	}
	rep.Resume(t)
	rep.CatchUp(t)
	if listedOpen(other) {
		t.Fatal("the replica caught up, and the other person's inbox still shows the case open")
	}

	// The replica's server goes down: the inbox answers from the primary.
	rep.StopReplica(t)
	defer rep.StartReplica(t)
	e.say(t, wechattest.Text(account, "oReplica", 802, "另一件事：楼道里堆满杂物", now.Add(time.Hour)))
	status, body := other.get("/console/?q=" + url.QueryEscape("楼道里堆满杂物"))
	if status != http.StatusOK || !strings.Contains(body, "楼道里堆满杂物") {
		t.Fatalf("inbox with the replica down: %d, want 200 with the new case", status)
	}
	// The log says the primary answers instead, once.
	var log bytes.Buffer
	db, err := store.Open(context.Background(), store.DriverMySQL, primary)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.OpenReads(context.Background(), replica, slog.New(slog.NewTextHandler(&log, nil))); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if cases, err := db.ConsoleCases(context.Background(), mashang.Reach{All: true}, mashang.CaseFilter{}); err != nil || len(cases) != 2 {
			t.Fatalf("the inbox's read with the replica down: %d cases, %v", len(cases), err)
		}
	}
	if got := strings.Count(log.String(), "reads from the primary"); got != 1 {
		t.Fatalf("the log says %d times that the primary answers, want once:\n%s", got, log.String())
	}
}
