package store

import (
	"context"
	"fmt"
	"strings"
)

// The search index is written by the indexer, not by the writes that
// change the texts (migration 00050): a trigger only notes the changed
// text in case_search_pending, and IndexSearch writes the index rows of
// the noted texts a batch at a time and removes the notes. A write on the
// WeChat callback's path thus costs one small insert instead of FTS5's
// flush at every savepoint (SQLite) or a loop over every character in a
// stored function and a FULLTEXT insert (MySQL). Until a note is indexed,
// the search reads the noted case as a candidate (store/search.go), so
// nothing written is ever missed. SQLite's index is FTS5's, a row a text;
// MySQL's is postings of character pairs, per case (searchpostings.go).

// searchBatch is how many noted texts one transaction indexes: enough for
// the index to take them in one go, small enough that the transaction
// (on SQLite, a job among the callback's in the writer) stays short.
const searchBatch = 500

// searchText is one text to index: its doc (the index row's ID, the source
// row's ID times 4 plus its kind), its case and what it says.
type searchText struct {
	doc, caseID int64
	body        string
}

// IndexSearch indexes the texts noted since it last ran, a batch per
// transaction, until none is left (or another instance holds the rest);
// it returns how many it indexed. The service runs it every second; a
// bulk load runs it before it is measured (Settle).
func (db *DB) IndexSearch(ctx context.Context) (int, error) {
	total := 0
	for {
		// A read first: with nothing noted, no write transaction (on
		// SQLite, no job in the writer and no fsync) every second.
		var noted bool
		if err := db.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM case_search_pending)`).Scan(&noted); err != nil {
			return total, fmt.Errorf("search index: read the notes: %w", err)
		}
		if !noted {
			return total, nil
		}
		var n int
		err := db.write(ctx, func(tx *Tx) (err error) {
			n, err = tx.indexSearch(ctx)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("search index: %w", err)
		}
		total += n
		if n < searchBatch {
			return total, nil
		}
	}
}

// indexSearch indexes up to searchBatch noted texts: claims their notes (on
// MySQL locking them, passing over those another instance holds; a case's
// notes together, as MySQL's index recomputes a whole case), reads
// the texts as they are now, writes or removes their index rows and
// removes the notes, all in tx. A write that changes a claimed text waits
// for tx on its note and notes it again after, so the newest text is
// always indexed, or noted.
func (tx *Tx) indexSearch(ctx context.Context) (int, error) {
	notes, err := scanAll(ctx, tx.tx, func(row scanner) (searchNote, error) {
		var n searchNote
		return n, row.Scan(&n.doc, &n.caseID, &n.grows)
	}, `SELECT doc, case_id, `+tx.dialect.noteGrows()+` FROM case_search_pending ORDER BY case_id, doc LIMIT ?`+tx.dialect.skipLocked(), searchBatch)
	if err != nil || len(notes) == 0 {
		return 0, err
	}
	if err := tx.dialect.indexNotes(ctx, tx, notes); err != nil {
		return 0, err
	}
	return len(notes), nil
}

// searchNote is a claimed note: the doc whose text changed, its case, and
// whether the text was only inserted since it was last indexed.
type searchNote struct {
	doc, caseID int64
	grows       bool
}

// indexNotes, on SQLite: the texts of the noted docs are read and their
// rows of the FTS5 index written again.
func (sqliteDialect) indexNotes(ctx context.Context, tx *Tx, notes []searchNote) error {
	docs := make([]any, len(notes))
	var sources [3][]any // source IDs: of cases, of messages, of answers
	for i, n := range notes {
		docs[i] = n.doc
		sources[n.doc%4] = append(sources[n.doc%4], n.doc/4)
	}
	var texts []searchText
	for kind, query := range [3]string{
		`SELECT id * 4, id, COALESCE(summary, ''), '' FROM cases WHERE id IN `,
		`SELECT id * 4 + 1, case_id, COALESCE(content, ''), COALESCE(recognition, '') FROM inbound_messages
			WHERE case_id IS NOT NULL AND id IN `,
		`SELECT id * 4 + 2, case_id, COALESCE(detail, ''), '' FROM case_events
			WHERE kind IN ` + answerEventKinds + ` AND id IN `,
	} {
		if len(sources[kind]) == 0 {
			continue
		}
		found, err := scanAll(ctx, tx.tx, func(row scanner) (searchText, error) {
			var t searchText
			var recognition string
			err := row.Scan(&t.doc, &t.caseID, &t.body, &recognition)
			if kind == 1 {
				// A message's text and its recognition, as 00045 indexed them.
				t.body += " " + recognition
			}
			return t, err
		}, query+inList(searchBatch), padded(sources[kind])...)
		if err != nil {
			return fmt.Errorf("read the texts: %w", err)
		}
		texts = append(texts, found...)
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM case_search WHERE rowid IN `+inList(searchBatch), padded(docs)...); err != nil {
		return fmt.Errorf("write the index: %w", err)
	}
	for _, t := range texts {
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO case_search (rowid, body, case_id) VALUES (?, ?, ?)`, t.doc, t.body, t.caseID); err != nil {
			return fmt.Errorf("write the index: %w", err)
		}
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM case_search_pending WHERE doc IN `+inList(searchBatch), padded(docs)...); err != nil {
		return fmt.Errorf("write the index: %w", err)
	}
	return nil
}

// inList is "(?, ?, …)" for n values.
func inList(n int) string {
	return "(?" + strings.Repeat(", ?", n-1) + ")"
}

// padded is values (at least one) with the first repeated up to
// searchBatch, for "IN " + inList(searchBatch): every batch then runs the
// same statements, which SQLite's writer keeps compiled (sqlitestmts.go),
// rather than a new one for each length that would push the callback's
// out of the writer's statements kept.
func padded(values []any) []any {
	out := make([]any, searchBatch)
	copy(out, values)
	for i := len(values); i < searchBatch; i++ {
		out[i] = values[0]
	}
	return out
}

// docTable is a derived table d of n docs, to delete the rows of by key.
// MariaDB deletes "WHERE doc IN (…)" from a small table by reading every
// row, and a DELETE waits for each row it reads that another transaction
// holds: a note another instance's indexer claimed, or one a write just
// added (which may then wait for this indexer's notes: a deadlock). Joined
// from d, each row is found by its key and no other is read.
func docTable(n int) string {
	return "(SELECT ? AS doc" + strings.Repeat(" UNION ALL SELECT ?", n-1) + ") d"
}
