package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mashang"
	"mashang/store"
	"mashang/store/storetest"
)

// MySQL's index holds the same tokens of a text as when migration 00045's
// stored function cut them: the indexer's grams, cut in Go, are compared
// with the function's on texts of every kind.
func TestSearchGramsAreThoseOfTheStoredFunction(t *testing.T) {
	if !slices.Contains(storetest.Drivers(t), store.DriverMySQL) {
		t.Skip("needs MySQL: set MASHANG_TEST_MYSQL_DSN")
	}
	ctx := context.Background()
	dsn := storetest.DSN(t, store.DriverMySQL)
	db, err := store.Open(ctx, store.DriverMySQL, dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	migration, err := os.ReadFile("migrations/mysql/00045_case_search.sql")
	if err != nil {
		t.Fatal(err)
	}
	_, function, _ := strings.Cut(string(migration), "-- +goose StatementBegin\n")
	function, _, _ = strings.Cut(function, "-- +goose StatementEnd")
	raw := storetest.RawSQL(t, store.DriverMySQL, dsn)
	if _, err := raw.ExecContext(ctx, strings.TrimSuffix(strings.TrimSpace(function), ";")); err != nil {
		t.Fatalf("create 00045's function: %v", err)
	}
	for _, text := range []string{"", "路", "路灯", "ab", "小区东门的路灯坏了三天", "ABC Def 123", "摔倒了😀😀",
		"Ｗｉ-Ｆｉ信号差", `井盖丢失100%_满意'"!`, "第一行\n第二行\t", strings.Repeat("路灯", 6000)} {
		var want string
		if err := raw.QueryRowContext(ctx, `SELECT case_search_grams(?)`, text).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if got := store.SearchGrams(text); got != want {
			t.Errorf("grams of %.40q:\n got %.200s\nwant %.200s", text, got, want)
		}
	}
}

// A text changed after it was indexed is found by what it says now and
// not by what it said; a text no longer on a case or an answer leaves the
// index; a deleted case leaves neither index rows nor pending ones,
// indexed or not; a write rolled back leaves nothing pending.
func TestSearchIndexFollowsUpdatesDeletesAndRollbacks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db, raw, _ := openSeeded(t, driver)
		intake := &mashang.Intake{Store: db, Now: func() time.Time { return t0 }}
		for _, in := range []mashang.Inbound{event("oIndexA", "SCAN", "st:demo-bdg", t0), text("oIndexA", 1, "小区东门的路灯坏了三天")} {
			if _, err := intake.Receive(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		var caseID int64
		var number string
		if err := raw.QueryRowContext(ctx, `SELECT id, number FROM cases`).Scan(&caseID, &number); err != nil {
			t.Fatal(err)
		}
		err := db.UpdateHandover(ctx, func(tx mashang.HandoverTx) error {
			return tx.AddCaseEvent(ctx, caseID, t0, mashang.EventReply, "staff", "已联系供电所更换灯泡")
		})
		if err != nil {
			t.Fatal(err)
		}
		// searched checks the search and the index alone for each word:
		// the search finds the case by exactly the words it has, whatever
		// the index holds; indexed, the index holds exactly those too.
		searched := func(indexed bool, has map[string]bool) {
			t.Helper()
			if pending := indexPending(t, db, raw, indexed); indexed != (pending == 0) {
				t.Fatalf("%d texts pending with the indexer run %v", pending, indexed)
			}
			for word, want := range has {
				cases, err := db.ConsoleCases(ctx, mashang.Reach{All: true}, mashang.CaseFilter{Text: word})
				if err != nil {
					t.Fatal(err)
				}
				if found := len(cases) == 1 && cases[0].Number == number; found != want || len(cases) > 1 {
					t.Errorf("indexed %v: searching %q found %d cases, want the case %v", indexed, word, len(cases), want)
				}
				ids, err := db.IndexedCases(ctx, word)
				if err != nil {
					t.Fatal(err)
				}
				if found := slices.Equal(ids, []int64{caseID}); indexed && found != want {
					t.Errorf("the index finds %q in cases %v, want the case %v", word, ids, want)
				}
			}
		}
		searched(false, map[string]bool{"东门的路灯": true, "供电所更换": true})
		searched(true, map[string]bool{"东门的路灯": true, "供电所更换": true})

		// The citizen's message corrected and its recognition come later,
		// the summary edited, the answer rewritten.
		for _, update := range []string{
			`UPDATE inbound_messages SET content = '井盖丢失多日', recognition = '语音识别出的积水' WHERE case_id = ?`,
			`UPDATE cases SET summary = '井盖丢失多日' WHERE id = ?`,
			`UPDATE case_events SET detail = '已通知市政补装井盖' WHERE kind = 'reply' AND case_id = ?`,
		} {
			if _, err := raw.ExecContext(ctx, update, caseID); err != nil {
				t.Fatal(err)
			}
		}
		now := map[string]bool{"东门的路灯": false, "供电所更换": false, "井盖丢失多日": true, "识别出的积水": true, "市政补装井盖": true}
		searched(false, now)
		searched(true, now)

		// The answer stops being one (its kind changed), the message leaves
		// the case: their texts leave the index.
		for _, update := range []string{
			`UPDATE case_events SET kind = 'accepted' WHERE kind = 'reply' AND case_id = ?`,
			`UPDATE inbound_messages SET case_id = NULL WHERE case_id = ?`,
		} {
			if _, err := raw.ExecContext(ctx, update, caseID); err != nil {
				t.Fatal(err)
			}
		}
		now = map[string]bool{"井盖丢失多日": true, "识别出的积水": false, "市政补装井盖": false}
		searched(false, now)
		searched(true, now)

		// A write rolled back, through the store or by hand, notes nothing.
		err = db.UpdateHandover(ctx, func(tx mashang.HandoverTx) error {
			if err := tx.AddCaseEvent(ctx, caseID, t0, mashang.EventReply, "staff", "不会留下的答复"); err != nil {
				return err
			}
			return errors.New("changed my mind")
		})
		if err == nil {
			t.Fatal("the write that fails succeeded")
		}
		rolledBack(t, raw, `UPDATE cases SET summary = '彩虹桥塌了' WHERE id = ?`, caseID)
		if pending := indexPending(t, db, raw, false); pending != 0 {
			t.Errorf("%d texts pending after two writes rolled back", pending)
		}

		// Deleted cases, two indexed and two not yet, leave nothing behind.
		if err := db.GenerateCases(ctx, 2, t0); err != nil {
			t.Fatal(err)
		}
		indexPending(t, db, raw, true)
		if err := db.GenerateCases(ctx, 4, t0); err != nil {
			t.Fatal(err)
		}
		generated := `(SELECT id FROM cases WHERE number LIKE 'G%')`
		var rows int
		if err := raw.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM case_search WHERE case_id IN `+generated+`)
			+ (SELECT COUNT(*) FROM case_search_pending WHERE case_id IN `+generated+`)`).Scan(&rows); err != nil || rows < 8 {
			t.Fatalf("the generated cases have %d index and pending rows (%v), want their summaries and more", rows, err)
		}
		for _, table := range []string{"case_events", "inbound_messages", "wall_waiting", "wall_entries", "cases"} {
			column := map[string]string{"cases": "id"}[table]
			if column == "" {
				column = "case_id"
			}
			if _, err := raw.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+column+` IN (SELECT id FROM (SELECT id FROM cases WHERE number LIKE 'G%') g)`); err != nil {
				t.Fatal(err)
			}
		}
		for _, indexed := range []bool{false, true} {
			if pending := indexPending(t, db, raw, indexed); pending != 0 {
				t.Errorf("indexed %v: %d texts pending after the cases were deleted", indexed, pending)
			}
			var left int
			if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_search WHERE case_id <> ?`, caseID).Scan(&left); err != nil || left != 0 {
				t.Errorf("indexed %v: %d index rows of the deleted cases left (%v)", indexed, left, err)
			}
		}
	})
}

// Two instances' indexers at once, while texts keep changing, leave each
// text's index row as its text is at the end.
func TestSearchIndexersAtOnceEndWithTheCurrentTexts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db, raw, dsn := openSeeded(t, driver)
		if err := db.GenerateCases(ctx, 10, t0); err != nil {
			t.Fatal(err)
		}
		indexers := []*store.DB{db}
		if driver == store.DriverMySQL { // one SQLite file has one writer
			other, err := store.Open(ctx, driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { other.Close() })
			indexers = append(indexers, other)
		}
		var ids []int64
		rows, err := raw.QueryContext(ctx, `SELECT id FROM cases ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		done := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		for _, indexer := range indexers {
			wg.Go(func() {
				for {
					select {
					case <-done:
						return
					default:
					}
					if _, err := indexer.IndexSearch(ctx); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		// Writers at once, each text changed again every few milliseconds:
		// some change comes while an indexer holds the text's note.
		var writers sync.WaitGroup
		for w := range 4 {
			writers.Go(func() {
				for i := range 150 {
					id := ids[(i*7+w)%len(ids)]
					// The service reruns a write that deadlocked (MySQL
					// picks a victim when a writer and an indexer meet);
					// so does this writer.
					for try := 0; ; try++ {
						_, err := raw.ExecContext(ctx, `UPDATE cases SET summary = ? WHERE id = ?`, fmt.Sprintf("第%d位第%d次", w, i), id)
						if err == nil {
							break
						}
						if !strings.Contains(err.Error(), "Error 1213") || try == 10 {
							t.Error(err)
							return
						}
					}
				}
			})
		}
		writers.Wait()
		close(done)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		indexPending(t, db, raw, true)
		query := map[string]string{
			store.DriverSQLite: `SELECT c.id, c.summary, COALESCE(cs.body, '') FROM cases c LEFT JOIN case_search cs ON cs.rowid = c.id * 4`,
			store.DriverMySQL:  `SELECT c.id, c.summary, COALESCE(cs.grams, '') FROM cases c LEFT JOIN case_search cs ON cs.id = c.id * 4`,
		}[driver]
		rows, err = raw.QueryContext(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var summary string
			var indexed sql.RawBytes
			if err := rows.Scan(&id, &summary, &indexed); err != nil {
				t.Fatal(err)
			}
			want := summary
			if driver == store.DriverMySQL {
				want = store.SearchGrams(summary)
			}
			if string(indexed) != want {
				t.Errorf("case %d, summary %q: the index holds %.60q", id, summary, indexed)
			}
		}
	})
}
