package store

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The search index is written by the indexer, not by the writes that
// change the texts (migration 00050): a trigger only notes the changed
// text in case_search_pending, and IndexSearch writes the index rows of
// the noted texts a batch at a time and removes the notes. A write on the
// WeChat callback's path thus costs one small insert instead of FTS5's
// flush at every savepoint (SQLite) or a loop over every character in a
// stored function and a FULLTEXT insert (MySQL). Until a note is indexed,
// the search reads the noted case as a candidate (store/search.go), so
// nothing written is ever missed.

// searchBatch is how many noted texts one transaction indexes: enough for
// the index to take them in one go, small enough that the transaction
// (on SQLite, a job among the callback's in the writer) stays short.
const searchBatch = 500

// searchIndexedChars is how much of a text MySQL's index holds, as 00045's
// function did; the LIKE re-check reads the whole text, so a word past it
// is found only through the newest-cases window or a scan.
const searchIndexedChars = 10000

// searchGramsPerStatement bounds one multi-row INSERT into MySQL's index,
// in bytes of grams, well under max_allowed_packet: a text of 10,000
// characters has some 400 KB of them.
const searchGramsPerStatement = 1 << 20

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
// MySQL locking them, passing over those another instance holds), reads
// the texts as they are now, writes or removes their index rows and
// removes the notes, all in tx. A write that changes a claimed text waits
// for tx on its note and notes it again after, so the newest text is
// always indexed, or noted.
func (tx *Tx) indexSearch(ctx context.Context) (int, error) {
	docs, err := scanAll(ctx, tx.tx, func(row scanner) (any, error) {
		var doc int64
		return doc, row.Scan(&doc)
	}, `SELECT doc FROM case_search_pending ORDER BY doc LIMIT ?`+tx.dialect.skipLocked(), searchBatch)
	if err != nil || len(docs) == 0 {
		return 0, err
	}
	var sources [3][]any // source IDs: of cases, of messages, of answers
	for _, doc := range docs {
		kind := doc.(int64) % 4
		sources[kind] = append(sources[kind], doc.(int64)/4)
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
			return 0, fmt.Errorf("read the texts: %w", err)
		}
		texts = append(texts, found...)
	}
	if err := tx.dialect.writeSearchIndex(ctx, tx, docs, texts); err != nil {
		return 0, fmt.Errorf("write the index: %w", err)
	}
	return len(docs), nil
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

// writeSearchIndex, on SQLite: the claimed docs' rows are removed, the
// texts found written again (a row a statement: in process, a statement
// costs little), and the notes removed. A doc whose text is gone (deleted,
// or no longer on a case or an answer) is left removed.
func (sqliteDialect) writeSearchIndex(ctx context.Context, tx *Tx, docs []any, texts []searchText) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM case_search WHERE rowid IN `+inList(searchBatch), padded(docs)...); err != nil {
		return err
	}
	for _, t := range texts {
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO case_search (rowid, body, case_id) VALUES (?, ?, ?)`, t.doc, t.body, t.caseID); err != nil {
			return err
		}
	}
	_, err := tx.tx.ExecContext(ctx, `DELETE FROM case_search_pending WHERE doc IN `+inList(searchBatch), padded(docs)...)
	return err
}

// writeSearchIndex, on MySQL: each text's grams, cut here, replace its
// row, in INSERTs of many rows; the rows of docs whose text is gone are
// removed, and the notes.
func (mysqlDialect) writeSearchIndex(ctx context.Context, tx *Tx, docs []any, texts []searchText) error {
	written := make(map[int64]bool, len(texts))
	for len(texts) > 0 {
		var args []any
		size := 0
		for len(texts) > 0 && (len(args) == 0 || size < searchGramsPerStatement) {
			t := texts[0]
			texts = texts[1:]
			grams := searchGrams(t.body)
			size += len(grams)
			args = append(args, t.doc, t.caseID, grams)
			written[t.doc] = true
		}
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO case_search (id, case_id, grams) VALUES (?, ?, ?)`+
			strings.Repeat(", (?, ?, ?)", len(args)/3-1)+`
			ON DUPLICATE KEY UPDATE case_id = VALUES(case_id), grams = VALUES(grams)`, args...); err != nil {
			return err
		}
	}
	var gone []any
	for _, doc := range docs {
		if !written[doc.(int64)] {
			gone = append(gone, doc)
		}
	}
	if len(gone) > 0 {
		if _, err := tx.tx.ExecContext(ctx, `DELETE cs FROM `+docTable(len(gone))+` STRAIGHT_JOIN case_search cs ON cs.id = d.doc`, gone...); err != nil {
			return err
		}
	}
	_, err := tx.tx.ExecContext(ctx, `DELETE p FROM `+docTable(len(docs))+` STRAIGHT_JOIN case_search_pending p ON p.doc = d.doc`, docs...)
	return err
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

// searchGrams is what MySQL's index holds of a text: its first
// searchIndexedChars characters lower-cased, every run of two and of three
// of them as the upper-case hex of its UTF-8 bytes, each followed by a
// space — the tokens 00045's function case_search_grams made, cut with
// the same lower-casing as the query's (mysqlDialect.textIndex).
func searchGrams(text string) string {
	runes := make([]rune, 0, min(len(text), searchIndexedChars))
	for _, r := range text {
		if len(runes) == searchIndexedChars {
			break
		}
		runes = append(runes, unicode.ToLower(r))
	}
	const digits = "0123456789ABCDEF"
	out := make([]byte, 0, len(runes)*2*(2+3)*3)
	var buf [3 * utf8.UTFMax]byte
	gram := func(rs []rune) {
		n := 0
		for _, r := range rs {
			n += utf8.EncodeRune(buf[n:], r)
		}
		for _, c := range buf[:n] {
			out = append(out, digits[c>>4], digits[c&15])
		}
		out = append(out, ' ')
	}
	for i := 0; i+1 < len(runes); i++ {
		gram(runes[i : i+2])
		if i+2 < len(runes) {
			gram(runes[i : i+3])
		}
	}
	return string(out)
}
