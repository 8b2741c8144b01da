package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"mashang"
	"mashang/store"
	"mashang/store/storetest"
)

// minuteAfterT0 is the given minute after t0.
func minuteAfterT0(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

// textAt is openid's text msgID, sent at the given minute after t0.
func textAt(openid string, msgID int64, minutes int) mashang.Inbound {
	m := text(openid, msgID, fmt.Sprintf("路灯坏了，第%d条", msgID))
	m.CreateTime, m.ReceivedAt = minuteAfterT0(minutes), minuteAfterT0(minutes)
	return m
}

// The pushes that arrive together are filed in one transaction: their
// conversations read in one statement, their messages and case touches
// written in one each (batch.go), on MySQL by a lane, on SQLite by the
// writer. Each push must still be filed as it would be alone: a citizen's
// second push in the group joins the case their first touched, a new case
// among them is opened as ever, and a retry of a push — already stored, or
// earlier in the same group — spoils the batch, whose pushes then run
// again one by one: every push stored once, the retry answered as the
// first time.
func TestAGroupOfPushesIsFiledAsEachAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db, _, _ := openSeeded(t, driver)
		// With ratings, every text first asks for a rating awaiting its
		// reason: the question a group asks for all its citizens at once.
		intake := &mashang.Intake{Store: db, Ratings: &mashang.Ratings{Store: db}}
		at, say := minuteAfterT0, textAt
		receive := func(m mashang.Inbound) mashang.Reply {
			t.Helper()
			reply, err := intake.Receive(ctx, m)
			if err != nil {
				t.Fatalf("push %s: %v", m.DedupKey(), err)
			}
			return reply
		}
		for _, openid := range []string{"oA", "oB", "oC", "oD"} {
			receive(event(openid, mashang.EventScan, "st:demo-bdg", at(0)))
		}
		opened := map[string]string{} // citizen: their case's number
		for i, openid := range []string{"oA", "oD"} {
			reply := receive(say(openid, int64(i+1), 1))
			opened[openid] = caseNumberIn(t, reply.Text)
		}

		// group sends the pushes into one group, queued in this order, and
		// gives their replies.
		group := func(pushes ...mashang.Inbound) []mashang.Reply {
			t.Helper()
			paused := db.PauseIntake()
			defer paused.Resume()
			replies := make([]mashang.Reply, len(pushes))
			errs := make([]error, len(pushes))
			var wg sync.WaitGroup
			for i, m := range pushes {
				wg.Go(func() { replies[i], errs[i] = intake.Receive(ctx, m) })
				for paused.Queued() < i+1 {
					time.Sleep(time.Millisecond)
				}
			}
			paused.Run()
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("push %d of the group: %v", i, err)
				}
			}
			return replies
		}

		// oA's text comes 44 minutes after their first, 25 after the
		// location before it in the group: it joins the case only if it
		// sees that location's touch (a case takes messages for 30
		// minutes), though the group read oA's conversation before it (a
		// location does not ask for a rating's reason, so it leaves that
		// read unused).
		place := say("oA", 10, 20)
		place.MsgType, place.Content, place.LocationX, place.LocationY, place.Scale, place.Label = mashang.MsgLocation, "", 36.07, 120.38, 15, "路口"
		replies := group(place, say("oD", 11, 2), say("oA", 12, 45), say("oB", 13, 2), say("oC", 14, 2), say("oD", 15, 3))
		for i, want := range []string{opened["oA"], opened["oD"], opened["oA"], "", "", opened["oD"]} {
			if want != "" && replies[i].Text != fmt.Sprintf("已补充到您反映的问题（编号：%s）。", want) {
				t.Errorf("push %d of the group was answered %q, want it joined to %s", i, replies[i].Text, want)
			}
		}
		for i, openid := range map[int]string{3: "oB", 4: "oC"} {
			if !strings.HasPrefix(replies[i].Text, "已收到您反映的问题") {
				t.Fatalf("%s's first text was answered %q, want a new case", openid, replies[i].Text)
			}
			opened[openid] = caseNumberIn(t, replies[i].Text)
		}

		lastMessages := func(when string, want map[string]time.Time) {
			t.Helper()
			for openid, last := range want {
				c, err := db.CaseByNumberAny(ctx, opened[openid])
				if err != nil {
					t.Fatal(err)
				}
				if !c.LastMessageAt.Equal(last) {
					t.Errorf("%s: %s's case %s has its last message at %s, want %s", when, openid, c.Number,
						c.LastMessageAt.Format(time.TimeOnly), last.Format(time.TimeOnly))
				}
			}
		}
		lastMessages("after the first group", map[string]time.Time{"oA": at(45), "oD": at(3), "oB": at(2), "oC": at(2)})

		// A retry of a push stored before, and one of a push in the same
		// group, among new pushes.
		retried := group(say("oA", 16, 46), say("oA", 10, 20), say("oD", 17, 4), say("oD", 17, 4))
		if !retried[1].Repeat || retried[1].Text != replies[0].Text {
			t.Errorf("the retry of a stored push was answered %+v, want %q again", retried[1], replies[0].Text)
		}
		if retried[2].Text != retried[3].Text || retried[2].Repeat == retried[3].Repeat {
			t.Errorf("a push and its retry in one group were answered %+v and %+v", retried[2], retried[3])
		}

		// Stored once each: 4 scans, 2 first texts, 6 and 2 new pushes.
		if n, err := db.CountInbound(ctx); err != nil || n != 14 {
			t.Fatalf("stored %d pushes (%v), want 14", n, err)
		}
		lastMessages("after the second group", map[string]time.Time{"oA": at(46), "oD": at(4)})
		for openid, want := range map[string]int{"oA": 4, "oD": 4, "oB": 1, "oC": 1} {
			c, err := db.CaseByNumberAny(ctx, opened[openid])
			if err != nil {
				t.Fatal(err)
			}
			if n, err := db.CaseMessageCount(ctx, c.ID); err != nil || n != want {
				t.Errorf("%s's case %s has %d messages (%v), want %d", openid, c.Number, n, err, want)
			}
		}
	})
}

// A group whose citizen is held by another transaction waits for it, and
// then sees what it committed: the citizen's second text joins the case
// their first opened meanwhile, rather than opening another (a statement
// reads, where it does not lock, as of its first read: reading the
// group's conversations in the statement that waited for one of them saw
// that citizen's cases as they were before).
func TestAGroupWaitingForACitizenSeesTheCaseOpenedMeanwhile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		if driver != store.DriverMySQL {
			t.Skip("pushes are filed in groups of statements on MySQL; SQLite has one writer")
		}
		ctx := context.Background()
		// oA sorts before oX: the group reads oA before it waits for oX.
		db, raw, intake := scannedAtTheStation(t, driver, "oA", "oB", "oX")
		// The first group: oX's first text, which opens their case, and
		// oB's; it stops before making oX's case.
		slow := &pausingStore{DB: db, paused: make(chan struct{}), release: make(chan struct{})}
		slowIntake := &mashang.Intake{Store: slow}
		holding := db.PauseIntake()
		defer holding.Resume()
		var first mashang.Reply
		var firstErrs [2]error
		var holders sync.WaitGroup
		holders.Go(func() { first, firstErrs[0] = slowIntake.Receive(ctx, say("oX", 1)) })
		for holding.Queued() < 1 {
			time.Sleep(time.Millisecond)
		}
		holders.Go(func() { _, firstErrs[1] = slowIntake.Receive(ctx, say("oB", 4)) })
		for holding.Queued() < 2 {
			time.Sleep(time.Millisecond)
		}
		holders.Go(holding.Run)
		<-slow.paused // oX's conversation is locked; their case not yet made

		// The second group: oA's text and oX's second.
		paused := db.PauseIntake()
		defer paused.Resume()
		pushes := []mashang.Inbound{say("oA", 2), say("oX", 3)}
		replies := make([]mashang.Reply, len(pushes))
		errs := make([]error, len(pushes))
		var wg sync.WaitGroup
		for i, m := range pushes {
			wg.Go(func() { replies[i], errs[i] = intake.Receive(ctx, m) })
			for paused.Queued() < i+1 {
				time.Sleep(time.Millisecond)
			}
		}
		wg.Go(paused.Run)
		waitForLockedConversations(t, raw, 1) // oX's, held by the first group
		close(slow.release)
		holders.Wait()
		wg.Wait()
		if firstErrs[0] != nil || firstErrs[1] != nil || errs[0] != nil || errs[1] != nil {
			t.Fatalf("pushes failed: %v, %v", firstErrs, errs)
		}
		number := caseNumberIn(t, first.Text)
		if want := fmt.Sprintf("已补充到您反映的问题（编号：%s）。", number); replies[1].Text != want {
			t.Fatalf("oX's second text was answered %q, want it joined to the case their first opened: %q", replies[1].Text, want)
		}
	})
}

// Two groups each waiting for a citizen another transaction holds (an
// instance's group, a slow case) do not hold the other citizens' pushes
// behind them: the writer adds a lane while its steady ones stall, and the
// added lane leaves once they move again. The held citizens' pushes are
// filed once the lock is let go, each once.
func TestStalledGroupsDoNotHoldOtherCitizensPushes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		if driver != store.DriverMySQL {
			t.Skip("the callback's lanes are MySQL's; SQLite has one writer")
		}
		ctx := context.Background()
		db, raw, intake := scannedAtTheStation(t, driver, "oA", "oB", "oC")
		holder := holdRows(t, raw, `SELECT openid FROM followers WHERE openid IN ('oA', 'oB') FOR UPDATE`)
		var held sync.WaitGroup
		heldErrs := make([]error, 2)
		for i, openid := range []string{"oA", "oB"} {
			held.Go(func() { _, heldErrs[i] = intake.Receive(ctx, say(openid, int64(910010+i))) })
			waitForLockedConversations(t, raw, i+1) // each push in a group, a lane, of its own
		}
		if running, _ := db.CallbackLanes(); running != 2 {
			t.Fatalf("%d lanes before the third push, want the 2 steady ones", running)
		}

		free, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		reply, err := intake.Receive(free, say("oC", 910020))
		if err != nil {
			t.Fatalf("oC's push, while both steady lanes wait for other citizens: %v; want it filed by an added lane", err)
		}
		if !strings.Contains(reply.Text, "编号：") {
			t.Fatalf("oC's push was answered %q, want their case's number", reply.Text)
		}
		if _, added := db.CallbackLanes(); added < 1 {
			t.Fatal("oC's push filed with no lane added")
		}

		if err := holder.Commit(); err != nil {
			t.Fatal(err)
		}
		held.Wait()
		if heldErrs[0] != nil || heldErrs[1] != nil {
			t.Fatalf("the held citizens' pushes, once let go: %v", heldErrs)
		}
		stored := storedPushes(t, raw, 910010, 910011, 910020)
		if stored != 3 {
			t.Fatalf("%d of the 3 pushes stored, want each once", stored)
		}
		for waited := 0; ; waited++ {
			running, _ := db.CallbackLanes()
			if running == 2 {
				break
			}
			if waited > 200 {
				t.Fatalf("%d lanes running once the groups moved again, want the 2 steady ones", running)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// A group does not wait for a citizen another transaction holds: it files
// its other citizens' pushes and leaves that citizen's to wait on their
// own, holding nobody else. At a province's morning peak groups that waited
// for one citizen held all their others, and the groups meeting those
// waited behind them, chains nine seconds deep (README, the province's
// day). Here oB is held: oA's and oC's pushes, in the same group, are
// filed while it is; oB's once it is let go.
func TestAGroupDoesNotWaitForACitizenHeldElsewhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		if driver != store.DriverMySQL {
			t.Skip("pushes are filed in groups of statements on MySQL; SQLite has one writer")
		}
		ctx := context.Background()
		db, raw, intake := scannedAtTheStation(t, driver, "oA", "oB", "oC")
		holder := holdRows(t, raw, `SELECT openid FROM followers WHERE openid = 'oB' FOR UPDATE`)
		paused := db.PauseIntake()
		patience, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		answers := make([]chan error, 3)
		for i, m := range []mashang.Inbound{say("oA", 930001), say("oB", 930002), say("oC", 930003)} {
			answers[i] = make(chan error, 1)
			go func() { _, err := intake.Receive(patience, m); answers[i] <- err }()
			for paused.Queued() < i+1 {
				time.Sleep(time.Millisecond)
			}
		}
		var group sync.WaitGroup
		group.Go(paused.Run)
		for _, i := range []int{0, 2} {
			select {
			case err := <-answers[i]:
				if err != nil {
					t.Fatalf("push %d while oB is held: %v, want it filed", i, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("push %d not answered in 5 s while oB is held: its group waits for oB", i)
			}
		}
		select {
		case err := <-answers[1]:
			t.Fatalf("oB's push answered (%v) while another transaction holds oB", err)
		default:
		}
		if err := holder.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-answers[1]; err != nil {
			t.Fatalf("oB's push once oB was let go: %v, want it filed", err)
		}
		group.Wait()
		paused.Resume()
		stored := storedPushes(t, raw, 930001, 930002, 930003)
		if stored != 3 {
			t.Fatalf("%d of the 3 pushes stored, want each once", stored)
		}
	})
}

// A group whose callers have all stopped waiting lets go of the citizens
// it locked while it waited for a row another transaction holds: a group
// is answered within its pushes' time or not at all, and at a province's
// morning peak groups whose callers were long gone waited on for 20 s and
// more (the group's own bound; MySQL's lock wait, 50 s) while every group
// meeting one of their citizens queued behind them. Here the group locks
// oA and oB, then waits to read oB's case, which another transaction
// holds; once its callers have given up, oA's next push is filed while
// oB's case is still held.
func TestAGroupWhoseCallersLeftLetsGoOfItsCitizens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		if driver != store.DriverMySQL {
			t.Skip("pushes are filed in groups of statements on MySQL; SQLite has one writer")
		}
		ctx := context.Background()
		db, raw, intake := scannedAtTheStation(t, driver, "oA", "oB")
		for i, openid := range []string{"oA", "oB"} { // each opens a case the group's pushes then join
			if _, err := intake.Receive(ctx, say(openid, int64(920101+i))); err != nil {
				t.Fatal(err)
			}
		}
		holder := holdRows(t, raw, `SELECT id FROM cases WHERE openid = 'oB' FOR UPDATE`)
		paused := db.PauseIntake()
		gaveUp, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, m := range []mashang.Inbound{say("oA", 920001), say("oB", 920002)} {
			// Later than the cases' first messages, so that each case's
			// time moves (a touch that would not move it waits for nobody).
			m.CreateTime, m.ReceivedAt = m.CreateTime.Add(time.Minute), m.ReceivedAt.Add(time.Minute)
			wg.Go(func() { _, errs[i] = intake.Receive(gaveUp, m) })
			for paused.Queued() < i+1 {
				time.Sleep(time.Millisecond)
			}
		}
		var group sync.WaitGroup
		group.Go(paused.Run)
		// oA and oB locked, their conversations' read waiting for oB's case
		waitForStatement(t, raw, "SELECT f.openid, f.last_scene, %")
		wg.Wait()
		if errs[0] == nil || errs[1] == nil {
			t.Fatalf("pushes answered %v while their group waited for a held case, want both told it was not stored", errs)
		}
		paused.Resume()

		next, cancelNext := context.WithTimeout(ctx, 8*time.Second)
		defer cancelNext()
		if _, err := intake.Receive(next, say("oA", 920003)); err != nil {
			t.Fatalf("oA's next push while oB's case is still held: %v; want it filed, the abandoned group having let oA go", err)
		}
		if err := holder.Commit(); err != nil {
			t.Fatal(err)
		}
		group.Wait()
		stored := storedPushes(t, raw, 920001, 920002, 920003)
		if stored != 1 {
			t.Fatalf("%d of the pushes stored, want only the one answered", stored)
		}
	})
}

// The callback's lanes have connections of their own: with every
// connection of the shared pool taken (a province's secretaries' pages at
// their morning sitting), a push is still filed within WeChat's time. On one
// pool it waited for a connection until its caller gave up.
func TestPushesDoNotWaitForThePagesConnections(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		if driver != store.DriverMySQL {
			t.Skip("the callback's lanes are MySQL's; SQLite has one writer")
		}
		ctx := context.Background()
		db, raw, intake := scannedAtTheStation(t, driver, "oA")
		held, release := db.HoldSharedConnections()
		defer release()
		if held == 0 {
			t.Fatal("no connection of the shared pool could be taken")
		}
		t.Logf("the pages hold %d connections", held)
		wechatsTime, cancel := context.WithTimeout(ctx, 4*time.Second)
		defer cancel()
		if _, err := intake.Receive(wechatsTime, say("oA", 940001)); err != nil {
			t.Fatalf("a push while the pages hold every shared connection: %v, want it filed", err)
		}
		release()
		stored := storedPushes(t, raw, 940001)
		if stored != 1 {
			t.Fatalf("the push stored %d times, want once", stored)
		}
	})
}

// storedPushes counts the rows inbound_messages holds of these MsgIds.
func storedPushes(t *testing.T, raw *sql.DB, msgIDs ...int64) int {
	t.Helper()
	args := make([]any, len(msgIDs))
	for i, id := range msgIDs {
		args[i] = id
	}
	var stored int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM inbound_messages WHERE msg_id IN (?`+strings.Repeat(", ?", len(msgIDs)-1)+`)`, args...).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	return stored
}

// holdRows locks the rows query selects (FOR UPDATE) in a transaction of
// its own, READ COMMITTED as the store's own (the rows alone, no gaps),
// until the test commits it or ends.
func holdRows(t *testing.T, raw *sql.DB, query string) *sql.Tx {
	t.Helper()
	holder, err := raw.BeginTx(context.Background(), &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holder.Rollback() })
	if _, err := holder.Exec(query); err != nil {
		t.Fatal(err)
	}
	return holder
}

// waitForStatement waits until a statement like pattern (LIKE) runs on
// another connection of this database.
func waitForStatement(t *testing.T, raw *sql.DB, pattern string) {
	t.Helper()
	for waited := 0; ; waited++ {
		var running int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM information_schema.processlist
			WHERE db = DATABASE() AND id <> CONNECTION_ID() AND command IN ('Query', 'Execute') AND info LIKE ?`, pattern).Scan(&running); err != nil {
			t.Fatal(err)
		}
		if running > 0 {
			return
		}
		if waited > 1000 {
			var running []string
			rows, err := raw.Query(`SELECT LEFT(info, 120) FROM information_schema.processlist
				WHERE db = DATABASE() AND id <> CONNECTION_ID() AND info IS NOT NULL`)
			if err == nil {
				for rows.Next() {
					var info string
					_ = rows.Scan(&info)
					running = append(running, info)
				}
				rows.Close()
			}
			t.Fatalf("no statement like %q after 10 s; running: %q", pattern, running)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitForLockedConversations waits until want groups wait for citizens'
// conversations another transaction holds: their statement locking them
// runs (sent prepared, or as text with its arguments in it). The
// processlist, not InnoDB's own list of lock waits: that list showed one of
// two such statements here, and none of a group's locking its citizens.
func waitForLockedConversations(t *testing.T, raw *sql.DB, want int) {
	t.Helper()
	for waited := 0; ; waited++ {
		var waiting int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM information_schema.processlist
			WHERE db = DATABASE() AND id <> CONNECTION_ID() AND command IN ('Query', 'Execute')
			AND info LIKE '%FROM followers WHERE openid%FOR UPDATE'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= want {
			return
		}
		if waited > 1000 {
			t.Fatalf("%d groups waiting for the held citizens after 10 s, want %d", waiting, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// scannedAtTheStation opens a seeded store whose citizens have scanned the
// demo station's code, ready to say what is wrong (say).
func scannedAtTheStation(t *testing.T, driver string, citizens ...string) (*store.DB, *sql.DB, *mashang.Intake) {
	t.Helper()
	db, raw, _ := openSeeded(t, driver)
	intake := &mashang.Intake{Store: db}
	for _, openid := range citizens {
		if _, err := intake.Receive(context.Background(), event(openid, mashang.EventScan, "st:demo-bdg", t0)); err != nil {
			t.Fatal(err)
		}
	}
	return db, raw, intake
}

// say is a citizen's text a minute after they scanned the code.
func say(openid string, msgID int64) mashang.Inbound {
	m := text(openid, msgID, "路灯坏了")
	m.CreateTime, m.ReceivedAt = t0.Add(time.Minute), t0.Add(time.Minute)
	return m
}

// caseNumberIn is the case number a reply names (编号：…).
func caseNumberIn(t *testing.T, reply string) string {
	t.Helper()
	_, after, ok := strings.Cut(reply, "编号：")
	if !ok {
		t.Fatalf("no case number in %q", reply)
	}
	return strings.FieldsFunc(after, func(r rune) bool { return r == '。' || r == '）' || r == '\n' })[0]
}

// SQLite's writer reads ahead the conversations of the pushes it finds
// queued together, into a transaction that may already hold back the
// writes of pushes run before them (while the syncer was busy). A citizen
// whose writes are held back is not read ahead: their push reads its own
// conversation after those writes are written, or it would be filed by the
// conversation as it was before them.
func TestAReadAheadLeavesOutCitizensWithWritesHeldBack(t *testing.T) {
	ctx := context.Background()
	db, _, dsn := openSeeded(t, store.DriverSQLite)
	intake := &mashang.Intake{Store: db, Ratings: &mashang.Ratings{Store: db}}
	at, say := minuteAfterT0, textAt
	for _, openid := range []string{"oA", "oB", "oC", "oE"} {
		if _, err := intake.Receive(ctx, event(openid, mashang.EventScan, "st:demo-bdg", at(0))); err != nil {
			t.Fatal(err)
		}
	}
	first, err := intake.Receive(ctx, say("oA", 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	opened := caseNumberIn(t, first.Text)

	hand, err := store.NewHandWriter(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hand.Close() })
	byHand := &mashang.Intake{Store: hand, Ratings: &mashang.Ratings{Store: db}}
	// oA's location at minute 20 runs first: its message and its case's
	// new time are held back.
	place := say("oA", 2, 20)
	place.MsgType, place.Content, place.LocationX, place.LocationY, place.Scale, place.Label = mashang.MsgLocation, "", 36.07, 120.38, 15, "路口"
	placed := queueByHand(t, hand, byHand, place)
	hand.Arrive(1)
	// Then four texts arrive together, oA's at minute 45: 44 minutes after
	// their first text, 25 after the location (a case takes messages for
	// 30 minutes). The other three citizens are read ahead (asked as four).
	texts := queueByHand(t, hand, byHand, say("oA", 3, 45), say("oB", 4, 2), say("oC", 5, 2), say("oE", 6, 2))
	hand.Arrive(4)
	if err := hand.Commit(); err != nil {
		t.Fatal(err)
	}
	replies := append(placed(), texts()...)
	if want := fmt.Sprintf("已补充到您反映的问题（编号：%s）。", opened); replies[1].Text != want {
		t.Errorf("oA's text after the location was answered %q, want it joined to %s", replies[1].Text, opened)
	}
	for i, openid := range map[int]string{2: "oB", 3: "oC", 4: "oE"} {
		if !strings.HasPrefix(replies[i].Text, "已收到您反映的问题") {
			t.Errorf("%s's first text was answered %q, want a new case", openid, replies[i].Text)
		}
	}
	c, err := db.CaseByNumberAny(ctx, opened)
	if err != nil {
		t.Fatal(err)
	}
	if !c.LastMessageAt.Equal(at(45)) {
		t.Errorf("oA's case has its last message at %s, want %s", c.LastMessageAt.Format(time.TimeOnly), at(45).Format(time.TimeOnly))
	}
	if n, err := db.CountInbound(ctx); err != nil || n != 10 {
		t.Fatalf("stored %d pushes (%v), want 10", n, err)
	}
}

// Jobs that are not pushes (the search indexer's turn, a console's write)
// run after the pushes SQLite's writer takes with them: any other
// statement writes what the group holds back and drops what was read
// ahead for the pushes after it.
func TestTheWritersPushesRunBeforeTheJobsThatCameWithThem(t *testing.T) {
	ctx := context.Background()
	db, _, dsn := openSeeded(t, store.DriverSQLite)
	intake := &mashang.Intake{Store: db, Ratings: &mashang.Ratings{Store: db}}
	for _, openid := range []string{"oB", "oC"} {
		if _, err := intake.Receive(ctx, event(openid, mashang.EventScan, "st:demo-bdg", minuteAfterT0(0))); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := db.CountInbound(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hand, err := store.NewHandWriter(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hand.Close() })
	byHand := &mashang.Intake{Store: hand, Ratings: &mashang.Ratings{Store: db}}
	counted := hand.Write(ctx) // queued first
	pushed := queueByHand(t, hand, byHand, textAt("oB", 1, 2), textAt("oC", 2, 2))
	hand.Arrive(3)
	if err := hand.Commit(); err != nil {
		t.Fatal(err)
	}
	pushed()
	if seen := <-counted; seen != stored+2 {
		t.Errorf("the job queued before two pushes saw %d messages, want %d: the pushes first", seen, stored+2)
	}
}

// queueByHand sends the pushes through intake to hand, each queued (behind
// the jobs already there) before the next is sent, and gives a function
// that waits for their replies once the test has run and committed them.
func queueByHand(t *testing.T, hand *store.HandWriter, intake *mashang.Intake, pushes ...mashang.Inbound) (replies func() []mashang.Reply) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	answers := make([]mashang.Reply, len(pushes))
	errs := make([]error, len(pushes))
	queued := hand.Queued()
	for i, m := range pushes {
		wg.Go(func() { answers[i], errs[i] = intake.Receive(ctx, m) })
		for hand.Queued() < queued+i+1 {
			time.Sleep(time.Millisecond)
		}
	}
	return func() []mashang.Reply {
		t.Helper()
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("push %s: %v", pushes[i].DedupKey(), err)
			}
		}
		return answers
	}
}
