package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// A job that fails in a group rolls back alone: the jobs before it in the
// same transaction run once and commit, the failed job leaves nothing.
func TestFailedJobRollsBackAlone(t *testing.T) {
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
	first, failing, last := job("first", false), job("failing", true), job("last", false)
	var open *sql.Tx
	var group []*writeJob
	for _, j := range []*writeJob{first, failing, last} {
		open, group = w.add(open, group, j)
	}
	if err := <-failing.result; err == nil || err.Error() != "refused" {
		t.Fatalf("the failing job was told %v", err)
	}
	if len(group) != 2 || open == nil {
		t.Fatalf("group of %d jobs", len(group))
	}
	if err := open.Commit(); err != nil {
		t.Fatal(err)
	}
	if runs["first"] != 1 || runs["last"] != 1 {
		t.Fatalf("jobs ran %v times", runs)
	}
	var kept []string
	rows, err := conn.Query(`SELECT v FROM notes ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		_ = rows.Scan(&v)
		kept = append(kept, v)
	}
	if len(kept) != 2 || kept[0] != "first" || kept[1] != "last" {
		t.Fatalf("committed %v", kept)
	}
}
