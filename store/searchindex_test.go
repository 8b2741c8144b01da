package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mashang"
	"mashang/store"
	"mashang/store/storetest"

	"golang.org/x/text/width"
)

// MySQL's postings of a case are every pair of neighbouring characters in
// each of its texts — the summary, the citizen's messages and their
// recognition, the answers — lower-cased, full-width Latin as ASCII; and
// each pair's count is the number of cases that have it.
func TestSearchPostingsHoldEveryPairOfACase(t *testing.T) {
	if !slices.Contains(storetest.Drivers(t), store.DriverMySQL) {
		t.Skip("needs MySQL: set MASHANG_TEST_MYSQL_DSN")
	}
	ctx := context.Background()
	db, raw, _ := openSeeded(t, store.DriverMySQL)
	intake := &mashang.Intake{Store: db, Now: func() time.Time { return t0 }}
	for _, in := range []mashang.Inbound{event("oPairsA", "SCAN", "st:demo-bdg", t0),
		text("oPairsA", 1, "小区ＷｉＦｉ信号差ABC😀"), text("oPairsA", 2, "井盖丢失100%_满意'\"!"),
		event("oPairsB", "SCAN", "st:demo-xhw", t0), text("oPairsB", 3, "路灯不亮")} {
		if _, err := intake.Receive(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	var caseID int64
	if err := raw.QueryRowContext(ctx, `SELECT case_id FROM inbound_messages WHERE content LIKE '小区%'`).Scan(&caseID); err != nil {
		t.Fatal(err)
	}
	err := db.UpdateHandover(ctx, func(tx mashang.HandoverTx) error {
		return tx.AddCaseEvent(ctx, caseID, t0, mashang.EventReply, "staff", "已联系运营商")
	})
	if err != nil {
		t.Fatal(err)
	}
	indexPending(t, db, raw, true)
	checkPostings(t, raw)
	got, _ := casePairs(t, raw, caseID)
	for _, pair := range []string{"wi", "fi", "ab", "信号", "0%", "%_", "运营", "\"!"} {
		r := []rune(pair)
		if !slices.Contains(got, uint64(r[0])<<21|uint64(r[1])) {
			t.Errorf("the pair %q is not among the case's postings", pair)
		}
	}
	for _, q := range []string{"wifi信号", "ａｂｃ", "运营商"} {
		ids, err := db.IndexedCases(ctx, q)
		if err != nil || !slices.Equal(ids, []int64{caseID}) {
			t.Errorf("the index finds %q in %v (%v), want case %d", q, ids, err, caseID)
		}
	}
}

// checkPostings checks every case's postings against the pairs of its
// texts, and every pair's count against its postings.
func checkPostings(t *testing.T, raw *sql.DB) {
	t.Helper()
	ctx := context.Background()
	for _, id := range readIDs(t, raw, `SELECT id FROM cases UNION SELECT case_id FROM case_postings`) {
		if got, want := casePairs(t, raw, id); !slices.Equal(got, want) {
			t.Errorf("case %d: postings %v, want the pairs of its texts %v", id, got, want)
		}
	}
	var wrong int
	if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_gram_counts g
		WHERE g.cases <> (SELECT COUNT(*) FROM case_postings p WHERE p.gram = g.gram)`).Scan(&wrong); err != nil || wrong != 0 {
		t.Errorf("%d pairs counted wrong (%v)", wrong, err)
	}
	if err := raw.QueryRowContext(ctx, `SELECT COUNT(DISTINCT p.gram) FROM case_postings p
		LEFT JOIN case_gram_counts g ON g.gram = p.gram WHERE g.gram IS NULL`).Scan(&wrong); err != nil || wrong != 0 {
		t.Errorf("%d pairs with postings and no count (%v)", wrong, err)
	}
}

// casePairs reads a case's postings and cuts the pairs of its texts here,
// sorted, to compare.
func casePairs(t *testing.T, raw *sql.DB, caseID int64) (got, want []uint64) {
	t.Helper()
	ctx := context.Background()
	read := func(query string) []string {
		rows, err := raw.QueryContext(ctx, query, caseID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s sql.NullString
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s.String)
		}
		return out
	}
	set := map[uint64]bool{}
	for _, query := range []string{`SELECT summary FROM cases WHERE id = ?`,
		`SELECT content FROM inbound_messages WHERE case_id = ?`, `SELECT recognition FROM inbound_messages WHERE case_id = ?`,
		`SELECT detail FROM case_events WHERE kind IN ('reply', 'result', 'closed') AND case_id = ?`} {
		for _, text := range read(query) {
			r := []rune(strings.ToLower(width.Fold.String(text)))
			for i := 0; i+1 < len(r); i++ {
				set[uint64(r[i])<<21|uint64(r[i+1])] = true
			}
		}
	}
	for g := range set {
		want = append(want, g)
	}
	slices.Sort(want)
	for _, g := range readIDs(t, raw, `SELECT gram FROM case_postings WHERE case_id = ? ORDER BY gram`, caseID) {
		got = append(got, uint64(g))
	}
	return got, want
}

// readIDs reads a query's one integer column.
func readIDs(t *testing.T, raw *sql.DB, query string, args ...any) []int64 {
	t.Helper()
	rows, err := raw.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A text changed after it was indexed is found by what it says now and
// not by what it said; a text no longer on a case or an answer leaves the
// index; a deleted case leaves neither index rows nor pending ones (on
// SQLite indexed or not, on MySQL once indexed); a write rolled back
// leaves nothing pending.
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
		index := map[string]string{store.DriverSQLite: "case_search", store.DriverMySQL: "case_postings"}[driver]
		var rows int
		if err := raw.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM `+index+` WHERE case_id IN `+generated+`)
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
			if driver == store.DriverMySQL && !indexed {
				// MySQL's postings are per case: a deleted text leaves a
				// note for its case, and the indexer takes the postings off.
				continue
			}
			if pending := indexPending(t, db, raw, indexed); pending != 0 {
				t.Errorf("indexed %v: %d texts pending after the cases were deleted", indexed, pending)
			}
			var left int
			if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+index+` WHERE case_id <> ?`, caseID).Scan(&left); err != nil || left != 0 {
				t.Errorf("indexed %v: %d index rows of the deleted cases left (%v)", indexed, left, err)
			}
			if driver == store.DriverMySQL && indexed {
				if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_grams WHERE case_id <> ?`, caseID).Scan(&left); err != nil || left != 0 {
					t.Errorf("%d sets of pairs of the deleted cases left (%v)", left, err)
				}
				checkPostings(t, raw)
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
		ids := readIDs(t, raw, `SELECT id FROM cases ORDER BY id`)
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
		if driver == store.DriverMySQL {
			checkPostings(t, raw)
			return
		}
		rows, err := raw.QueryContext(ctx, `SELECT c.id, c.summary, COALESCE(cs.body, '') FROM cases c LEFT JOIN case_search cs ON cs.rowid = c.id * 4`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var summary, indexed string
			if err := rows.Scan(&id, &summary, &indexed); err != nil {
				t.Fatal(err)
			}
			if indexed != summary {
				t.Errorf("case %d, summary %q: the index holds %.60q", id, summary, indexed)
			}
		}
	})
}

// A text added to a case notes that it grows the case (migration 00055):
// the indexer then adds the pairs of the added texts to the case's without
// reading its other texts; any other change — a text changed after it was
// added, an older text changed — clears that, and the case is read whole
// again. Either way the postings end as the pairs of the case's texts.
func TestSearchNotesOfAddedTextsGrowTheCase(t *testing.T) {
	if !slices.Contains(storetest.Drivers(t), store.DriverMySQL) {
		t.Skip("needs MySQL: set MASHANG_TEST_MYSQL_DSN")
	}
	ctx := context.Background()
	db, raw, _ := openSeeded(t, store.DriverMySQL)
	intake := &mashang.Intake{Store: db, Now: func() time.Time { return t0 }}
	receive := func(in ...mashang.Inbound) {
		t.Helper()
		for _, m := range in {
			if _, err := intake.Receive(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	notes := func() string {
		t.Helper()
		rows, err := raw.QueryContext(ctx, `SELECT doc % 4, grows FROM case_search_pending ORDER BY doc`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var kind int
			var grows bool
			if err := rows.Scan(&kind, &grows); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s:%v", []string{"case", "message", "answer"}[kind], grows))
		}
		return strings.Join(out, " ")
	}
	receive(event("oGrowA", "SCAN", "st:demo-bdg", t0), text("oGrowA", 1, "小区东门的路灯坏了"))
	indexPending(t, db, raw, true)
	var caseID int64
	if err := raw.QueryRowContext(ctx, `SELECT id FROM cases`).Scan(&caseID); err != nil {
		t.Fatal(err)
	}

	receive(text("oGrowA", 2, "已经三天没有修"), text("oGrowA", 3, "晚上很不安全"))
	if err := db.UpdateHandover(ctx, func(tx mashang.HandoverTx) error {
		return tx.AddCaseEvent(ctx, caseID, t0, mashang.EventReply, "staff", "已联系供电所")
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := notes(), "message:true message:true answer:true"; got != want {
		t.Errorf("notes of added texts: %s, want %s", got, want)
	}
	indexPending(t, db, raw, true)
	checkPostings(t, raw)
	for _, q := range []string{"三天没有", "很不安全", "供电所", "东门的路灯"} {
		if ids, err := db.IndexedCases(ctx, q); err != nil || !slices.Equal(ids, []int64{caseID}) {
			t.Errorf("after added texts the index finds %q in %v (%v), want case %d", q, ids, err, caseID)
		}
	}

	// A text added and corrected before the indexer ran, and an older text
	// corrected: the case is read whole, the old words leave.
	receive(text("oGrowA", 4, "路面也有坑洼"))
	for _, update := range []string{
		`UPDATE inbound_messages SET content = '路面积水严重' WHERE content = '路面也有坑洼'`,
		`UPDATE inbound_messages SET content = '小区西门的井盖丢了' WHERE content = '小区东门的路灯坏了'`,
	} {
		if _, err := raw.ExecContext(ctx, update); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := notes(), "message:false message:false"; got != want {
		t.Errorf("notes of changed texts: %s, want %s", got, want)
	}
	indexPending(t, db, raw, true)
	checkPostings(t, raw)
	for q, want := range map[string]bool{"也有坑洼": false, "西门的井盖": true, "积水严重": true, "很不安全": true} {
		ids, err := db.IndexedCases(ctx, q)
		if err != nil || slices.Equal(ids, []int64{caseID}) != want {
			t.Errorf("after the corrections the index finds %q in %v (%v), want the case %v", q, ids, err, want)
		}
	}
}
