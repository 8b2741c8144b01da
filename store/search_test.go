package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store"
	"mashang/store/storetest"
)

// The console's text search finds words of one, two and three or more
// Chinese characters in a case's summary, the citizen's messages and the
// answers; follows updates, new messages and rollbacks; keeps to the reach;
// and answers odd input cleanly, on both databases: through the index
// before the indexer has run (the texts noted as pending) and after it ran
// before every search (the texts in the index, none pending).
func TestSearchFindsSummaryMessagesAndAnswersWithinReach(t *testing.T) {
	for _, window := range []int{1, 2000} {
		for _, indexed := range []bool{false, true} {
			t.Run(fmt.Sprintf("window %d indexed %v", window, indexed), func(t *testing.T) {
				old := store.SetSearchWindow(window)
				t.Cleanup(func() { store.SetSearchWindow(old) })
				testSearch(t, indexed)
			})
		}
	}
}

// testSearch runs the search's checks; with a window of one case they go
// through the index, with a window of 2000 through LIKE alone. Indexed,
// the indexer runs before each search; else never.
func testSearch(t *testing.T, indexed bool) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db, raw, _ := openSeeded(t, driver)
		now := t0
		intake := &mashang.Intake{Store: db, Now: func() time.Time { return now }}
		say := func(in mashang.Inbound) {
			t.Helper()
			if _, err := intake.Receive(ctx, in); err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Minute)
		}
		say(event("oSearchCitizenA", "SCAN", "st:demo-bdg", now))
		say(text("oSearchCitizenA", 1, "小区东门的路灯坏了三天"))
		say(text("oSearchCitizenA", 2, "晚上一片漆黑，老人摔倒了😀"))
		say(event("oSearchCitizenB", "SCAN", "st:demo-xhw", now))
		say(text("oSearchCitizenB", 3, "社区医院挂号难"))

		all := mashang.Reach{All: true}
		numbers := func(r mashang.Reach, q string) []string {
			t.Helper()
			if pending := indexPending(t, db, raw, indexed); indexed != (pending == 0) {
				t.Fatalf("%d texts pending with the indexer run %v", pending, indexed)
			}
			cases, err := db.ConsoleCases(ctx, r, mashang.CaseFilter{Text: q})
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			var out []string
			for _, c := range cases {
				out = append(out, c.Number)
			}
			return out
		}
		listed := numbers(all, "")
		if len(listed) != 2 {
			t.Fatalf("want the two cases raised, got %v", listed)
		}
		b, a := listed[0], listed[1]
		expect := func(r mashang.Reach, q string, want ...string) {
			t.Helper()
			if got := numbers(r, q); !slices.Equal(got, want) {
				t.Errorf("search %q in %+v found %v, want %v", q, r, got, want)
			}
		}
		// A deputy's answer and a department's result on case A.
		err := db.UpdateHandover(ctx, func(tx mashang.HandoverTx) error {
			c, err := tx.CaseForReply(ctx, a)
			if err != nil {
				return err
			}
			if err := tx.AddCaseEvent(ctx, c.ID, now, mashang.EventReply, "staff", "已联系供电所更换灯泡"); err != nil {
				return err
			}
			return tx.AddCaseEvent(ctx, c.ID, now, mashang.EventAccepted, "staff", "城管局受理")
		})
		if err != nil {
			t.Fatal(err)
		}

		expect(all, "灯", a)     // one character: summary and answer
		expect(all, "路灯", a)    // two, in the summary
		expect(all, "东门的路灯", a) // more, in the summary
		expect(all, "漆黑", a)    // two, in a later message
		expect(all, "老人摔倒", a)  // more, in a later message
		expect(all, "灯泡", a)    // two, in the answer
		expect(all, "供电所更换", a) // more, in the answer
		expect(all, "城管局")      // an event that is not an answer is not searched
		expect(all, "挂号", b)    // the other station's case
		expect(all, "医院挂号难", b)
		expect(all, "难", b)
		expect(all, "路灯坏了三天晚上") // not across two texts
		expect(all, "没有这个词")
		expect(all, "摔倒了😀", a) // emoji
		expect(all, "😀", a)

		// A secretary of station B never sees station A's case, and the
		// other way round.
		stations, err := db.StationsWithin(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		byCode := map[string]int64{}
		for _, s := range stations {
			byCode[s.Code] = s.ID
		}
		bdg, xhw := mashang.Reach{StationID: byCode["demo-bdg"]}, mashang.Reach{StationID: byCode["demo-xhw"]}
		expect(xhw, "路灯")
		expect(xhw, "灯")
		expect(xhw, "供电所更换")
		expect(xhw, "挂号", b)
		expect(bdg, "挂号")
		expect(bdg, "东门的路灯", a)

		// Updates on any path are found, what they replaced is not; a
		// rolled-back change leaves nothing behind.
		for _, summary := range []string{"下水道堵塞", "井盖丢失100%_满意'\"!"} {
			if _, err := raw.ExecContext(ctx, `UPDATE cases SET summary = ? WHERE number = ?`, summary, a); err != nil {
				t.Fatal(err)
			}
		}
		expect(all, "井盖", a)
		expect(all, "井盖丢失", a)
		expect(all, "下水道")
		expect(all, "水道")
		expect(all, "东门的路灯", a) // still in the citizen's first message
		rolledBack(t, raw, `UPDATE cases SET summary = '彩虹桥塌了' WHERE number = ?`, b)
		expect(all, "彩虹桥")
		expect(all, "医院挂号难", b)
		say(text("oSearchCitizenA", 4, "井盖旁边还有积水"))
		expect(all, "积水", a)
		expect(all, "旁边还有积水", a)

		// Odd input: LIKE's wildcards and escape, quotes, FTS5 and boolean
		// syntax are plain text; too long is refused in words.
		expect(all, "%", a)
		expect(all, "_", a)
		expect(all, "0%_", a)
		expect(all, "!", a)
		expect(all, "'", a)
		expect(all, `'"!`, a)
		expect(all, `"`, a)
		expect(all, "%%%")
		expect(all, "__")
		expect(all, `" OR 1=1 --`)
		expect(all, "+井盖 -丢失")
		expect(all, "井盖*")
		expect(all, "NEAR(井盖 丢失)")
		expect(all, "   ")
		expect(all, "😀😀😀")
		expect(all, "\xff\xfe路灯")
		expect(all, strings.Repeat("路", mashang.MaxSearchLen))
		_, err = db.ConsoleCases(ctx, all, mashang.CaseFilter{Text: strings.Repeat("路", mashang.MaxSearchLen+1)})
		if mashang.ErrorCode(err) != mashang.EINVALID {
			t.Errorf("a search too long: %v, want it refused as invalid", err)
		}
	})
}

// indexPending runs the indexer when index is set, and says how many texts
// are left pending.
func indexPending(t *testing.T, db *store.DB, raw *sql.DB, index bool) int {
	t.Helper()
	ctx := context.Background()
	if index {
		if _, err := db.IndexSearch(ctx); err != nil {
			t.Fatalf("index: %v", err)
		}
	}
	var n int
	if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_search_pending`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// openSeeded opens a store on a database of its own with the demo data,
// and a plain connection to it; and gives the database's DSN.
func openSeeded(t *testing.T, driver string) (*store.DB, *sql.DB, string) {
	t.Helper()
	ctx := context.Background()
	dsn := storetest.DSN(t, driver)
	db, err := store.Open(ctx, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	return db, storetest.RawSQL(t, driver, dsn), dsn
}

// rolledBack runs a statement in a transaction that it rolls back.
func rolledBack(t *testing.T, raw *sql.DB, query string, args ...any) {
	t.Helper()
	ctx := context.Background()
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, query, args...); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
}
