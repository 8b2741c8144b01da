package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// A job that fails in a group leaves nothing: the group's transaction is
// rolled back, the failed job answered with its error, and the jobs before
// it (not yet answered) run again in a new transaction and commit with
// those after it; a job whose caller gave up meanwhile does not run again.
func TestFailedJobRollsBackAndTheOthersRunAgain(t *testing.T) {
	conn, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "writer.db"))
	if err != nil {
		t.Fatal(err)
	}
	conn.SetMaxOpenConns(1)
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.Exec(`CREATE TABLE notes (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	w := &writer{db: conn, dialect: sqliteDialect{}}
	runs := map[string]int{}
	job := func(v string, fail bool) *writeJob {
		return &writeJob{ctx: context.Background(), result: make(chan error, 1), fn: func(tx *Tx) error {
			runs[v]++
			if _, err := tx.tx.Exec(`INSERT INTO notes (v) VALUES (?)`, v); err != nil {
				return err
			}
			if fail {
				return errors.New("refused")
			}
			return nil
		}}
	}
	first, gone, failing, last := job("first", false), job("gone", false), job("failing", true), job("last", false)
	var open *groupTx
	open = w.add(open, first, true)
	open = w.add(open, gone, true)
	gone.abandoned = true // its caller stopped waiting before the group ended
	for _, j := range []*writeJob{failing, last} {
		open = w.add(open, j, true)
	}
	if err := <-failing.result; err == nil || err.Error() != "refused" {
		t.Fatalf("the failing job was told %v", err)
	}
	if err := <-gone.result; !errors.Is(err, context.Canceled) {
		t.Fatalf("the abandoned job was told %v", err)
	}
	if open == nil || len(open.jobs) != 2 || open.jobs[0] != first || open.jobs[1] != last {
		t.Fatalf("group %v", open)
	}
	if err := open.Commit(); err != nil {
		t.Fatal(err)
	}
	if runs["first"] != 2 || runs["gone"] != 1 || runs["failing"] != 1 || runs["last"] != 1 {
		t.Fatalf("jobs ran %v times", runs)
	}
	if kept := committed(t, conn, `SELECT v FROM notes ORDER BY rowid`); len(kept) != 2 || kept[0] != "first" || kept[1] != "last" {
		t.Fatalf("committed %v", kept)
	}
}

// On MySQL a failed job cannot roll back alone without a savepoint: the
// group's transaction is rolled back, the failed job answered with its
// error, and the others run again and commit once; a job that lost a race
// (errConflictRetry) runs again and is answered only after its commit.
func TestGroupWriterRerunsAroundAFailedJob(t *testing.T) {
	dsn := os.Getenv("MASHANG_TEST_MYSQL_DSN")
	if dsn == "" {
		if os.Getenv("MASHANG_TEST_REQUIRE_MYSQL") != "" {
			t.Fatal("MASHANG_TEST_MYSQL_DSN is required")
		}
		t.Skip("needs MySQL: set MASHANG_TEST_MYSQL_DSN")
	}
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	table := fmt.Sprintf("group_writer_%d", time.Now().UnixNano())
	if _, err := conn.Exec(`CREATE TABLE ` + table + ` (v VARCHAR(20) PRIMARY KEY) ENGINE=InnoDB`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = conn.Exec(`DROP TABLE ` + table) })
	g := newGroupWriter(conn, mysqlDialect{}, nil, nil, 0) // no lanes: the test runs the group
	runs := map[string]int{}
	job := func(v string, fail error, times int) *writeJob {
		return &writeJob{ctx: context.Background(), result: make(chan error, 1), fn: func(tx *Tx) error {
			runs[v]++
			if _, err := tx.tx.Exec(`INSERT IGNORE INTO `+table+` (v) VALUES (?)`, v); err != nil {
				return err
			}
			if runs[v] <= times {
				return fail
			}
			return nil
		}}
	}
	first, failing, racing, last := job("first", nil, 0), job("failing", errors.New("refused"), 99),
		job("racing", errConflictRetry, 1), job("last", nil, 0)
	for _, j := range []*writeJob{failing, racing, last} {
		g.jobs <- j // waiting when the group starts: they join it
	}
	g.group(first)
	if err := <-failing.result; err == nil || err.Error() != "refused" {
		t.Fatalf("the failing job was told %v", err)
	}
	for _, j := range []*writeJob{first, racing, last} {
		if err := <-j.result; err != nil {
			t.Fatalf("a job beside the failing one was told %v", err)
		}
	}
	if runs["failing"] != 1 || runs["racing"] != 2 {
		t.Fatalf("jobs ran %v times", runs)
	}
	if kept := committed(t, conn, `SELECT v FROM `+table+` ORDER BY v`); strings.Join(kept, ",") != "first,last,racing" {
		t.Fatalf("committed %v", kept)
	}
	g.close()
}

// committed reads the one text column query selects.
func committed(t *testing.T, conn *sql.DB, query string) []string {
	t.Helper()
	rows, err := conn.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var kept []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, v)
	}
	return kept
}

// Where the connection keeps its statements by their text (SQLite), a
// group's held-back rows are written in statements of a power of two rows,
// and a read ahead asks for a power of two citizens: nine texts of each
// serve every group of up to 256, rather than one for each size.
func TestAKeptBatchWritesInAFewSizes(t *testing.T) {
	kept, sent := newWriteBatch(true), newWriteBatch(false)
	for n, want := range map[int][]int{1: {1}, 2: {2}, 3: {2, 1}, 37: {32, 4, 1}, 64: {64}, 255: {128, 64, 32, 16, 8, 4, 2, 1}} {
		var got []int
		for left := n; left > 0; {
			size := kept.rowsAtOnce(left)
			got = append(got, size)
			left -= size
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%d rows kept: statements of %v, want %v", n, got, want)
		}
		if size := sent.rowsAtOnce(n); size != n {
			t.Errorf("%d rows not kept: a statement of %d, want all", n, size)
		}
	}
	for n, want := range map[int]int{2: 2, 3: 4, 5: 8, 33: 64, 256: 256} {
		if got := keptSize(n); got != want {
			t.Errorf("a read ahead of %d citizens asks for %d, want %d", n, got, want)
		}
	}
}
