package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"mashang"
)

// MySQL's search index (migration 00053) is a table of postings: for every
// pair of neighbouring characters in any text of a case, a row (pair,
// case). A search reads the postings of the query's rarest pair newest
// case first, checks the query's other pairs by key and the text itself by
// LIKE, and stops when the page is full: a common word costs a few rows,
// a rare one its few postings (tools/ftbench/REPORT.md: 0.2–31 ms at
// 5,000,000 cases, where a FULLTEXT index took 30 s for a common word).

// searchGram is a pair of characters as one number: the first's code
// point times 2^21 (every code point is below 2^21) plus the second's.
type searchGram = uint64

// foldRune is a character as the index keeps it: lower-cased, full-width
// Latin letters, digits and signs as their ASCII selves and the
// ideographic space as a space, as the case-insensitive collations of the
// texts compare them (Ｗｉ-Ｆｉ is found by wi-fi).
func foldRune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	case r == 0x3000:
		r = ' '
	}
	return unicode.ToLower(r)
}

// searchGrams adds to set the pairs of neighbouring characters of text.
func searchGrams(set map[searchGram]struct{}, text string) {
	var prev rune = -1
	for _, r := range text {
		r = foldRune(r)
		if prev >= 0 {
			set[searchGram(prev)<<21|searchGram(r)] = struct{}{}
		}
		prev = r
	}
}

// queryGrams are the distinct pairs of a query, in the order they occur;
// none for a query of one character.
func queryGrams(text string) []searchGram {
	set := map[searchGram]struct{}{}
	var out []searchGram
	var prev rune = -1
	for _, r := range text {
		r = foldRune(r)
		if prev >= 0 {
			g := searchGram(prev)<<21 | searchGram(r)
			if _, seen := set[g]; !seen {
				set[g] = struct{}{}
				out = append(out, g)
			}
		}
		prev = r
	}
	return out
}

// searchGramsChecked is how many of a query's pairs the index is asked
// for: the rarest (or the first) reads its postings, the others are each
// checked by key on those rows. More would cost more look-ups per row
// than the LIKE re-check they might spare.
const searchGramsChecked = 4

// postingsJoin is the postings of the case IDs whose texts have every
// pair of grams: the first's rows p, read by key from its newest case
// when ordered by p.case_id, each joined by key to the others' rows
// (eq_ref: a row per case at most). A join and not EXISTS: MariaDB reads
// an EXISTS of a constant pair by materializing that pair's every posting.
// It takes args, and p.gram = ? must be part of the WHERE with grams[0].
func postingsJoin(grams []searchGram) (from string, args []any) {
	grams = grams[:min(len(grams), searchGramsChecked)]
	from = `case_postings p`
	for i, g := range grams[1:] {
		q := fmt.Sprintf("q%d", i+1)
		from += ` JOIN case_postings ` + q + ` ON ` + q + `.gram = ? AND ` + q + `.case_id = p.case_id`
		args = append(args, g)
	}
	return from, args
}

// postingsQuery is the query of the case IDs whose texts have every pair
// of grams (the first read, the others checked).
func postingsQuery(grams []searchGram) (string, []any) {
	from, args := postingsJoin(grams)
	return `SELECT p.case_id FROM ` + from + ` WHERE p.gram = ?`, append(args, grams[0])
}

// rarestFirst orders the query's pairs by how many cases have them, the
// rarest first; ok is false when one is in no case, so that no indexed
// case can contain the query.
func (db *DB) rarestFirst(ctx context.Context, q sqlQuerier, grams []searchGram) (ordered []searchGram, ok bool, err error) {
	args := make([]any, len(grams))
	for i, g := range grams {
		args[i] = g
	}
	type count struct {
		gram  searchGram
		cases int64
	}
	counts, err := scanAll(ctx, q, func(row scanner) (count, error) {
		var c count
		return c, row.Scan(&c.gram, &c.cases)
	}, `SELECT gram, cases FROM case_gram_counts WHERE gram IN `+inList(len(args)), args...)
	if err != nil {
		return nil, false, fmt.Errorf("read the pairs' counts: %w", err)
	}
	if len(counts) < len(grams) {
		return nil, false, nil
	}
	slices.SortStableFunc(counts, func(a, b count) int { return cmp.Compare(a.cases, b.cases) })
	for _, c := range counts {
		if c.cases <= 0 {
			return nil, false, nil
		}
		ordered = append(ordered, c.gram)
	}
	return ordered, true, nil
}

// postingsPage is the inbox's page for a text search on MySQL: the cases
// the postings find, read newest first from the rarest pair with the rest
// of the filter and the LIKE re-check on each, and the cases with a text
// noted since the indexer last ran, checked the same way; the newest of
// both.
func (db *DB) postingsPage(ctx context.Context, q sqlQuerier, r mashang.Reach, f mashang.CaseFilter, limit int) ([]any, error) {
	text := f.Text
	f.Text = ""
	where, args := filterCondition(db.dialect, r, f)
	check, checkArgs := searchCondition(likeOnly{db.dialect}, text)
	where += " AND " + check
	args = append(args, checkArgs...)
	if f.Before > 0 {
		where += " AND c.id < ?"
		args = append(args, f.Before)
	}
	scanID := func(row scanner) (int64, error) {
		var id int64
		return id, row.Scan(&id)
	}
	// Noted cases first: few, each read by key.
	ids, err := scanAll(ctx, q, scanID, `SELECT STRAIGHT_JOIN c.id FROM (SELECT DISTINCT case_id FROM case_search_pending) n
		JOIN cases c ON c.id = n.case_id JOIN stations s ON s.id = c.station_id
		WHERE `+where+` ORDER BY c.id DESC LIMIT ?`, append(slices.Clone(args), limit)...)
	if err != nil {
		return nil, err
	}
	grams, ok, err := db.rarestFirst(ctx, q, queryGrams(text))
	if err != nil {
		return nil, err
	}
	if ok {
		// The rarest pair's postings walked by key from the newest case,
		// each case joined by key: no sort, and it stops at the page.
		from, joinArgs := postingsJoin(grams)
		found, err := scanAll(ctx, q, scanID, `SELECT STRAIGHT_JOIN c.id FROM `+from+`
			JOIN cases c ON c.id = p.case_id JOIN stations s ON s.id = c.station_id
			WHERE p.gram = ? AND `+where+` ORDER BY p.case_id DESC LIMIT ?`,
			append(append(append(joinArgs, grams[0]), args...), limit)...)
		if err != nil {
			return nil, err
		}
		ids = append(ids, found...)
	}
	slices.SortFunc(ids, func(a, b int64) int { return cmp.Compare(b, a) })
	ids = slices.Compact(ids)
	out := make([]any, 0, min(len(ids), limit))
	for _, id := range ids[:min(len(ids), limit)] {
		out = append(out, id)
	}
	return out, nil
}

// indexNotes, on MySQL: the cases of the notes are indexed again — whole,
// or, for a case whose notes all grow (migration 00055), its pairs and
// those of the noted texts alone. Each case's row in case_grams is locked first (written if new), so two
// instances' indexers never work on one case at once; then the case's
// texts are read as committed now, its pairs compared with those it had,
// the postings and counts that changed written, and the notes removed.
// Locks are taken in the order of the keys, so indexers do not deadlock
// on each other.
func (mysqlDialect) indexNotes(ctx context.Context, tx *Tx, notes []searchNote) error {
	var cases []int64
	for _, n := range notes {
		cases = append(cases, n.caseID)
	}
	slices.Sort(cases)
	cases = slices.Compact(cases)
	caseArgs := make([]any, len(cases))
	for i, id := range cases {
		caseArgs[i] = id
	}
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO case_grams (case_id, grams) VALUES (?, '')`+
		strings.Repeat(", (?, '')", len(cases)-1)+` ON DUPLICATE KEY UPDATE case_id = case_id`, caseArgs...); err != nil {
		return fmt.Errorf("lock the cases' pairs: %w", err)
	}
	old := make(map[int64][]byte, len(cases))
	rows, err := scanAll(ctx, tx.tx, func(row scanner) (struct {
		id    int64
		grams []byte
	}, error) {
		var r struct {
			id    int64
			grams []byte
		}
		return r, row.Scan(&r.id, &r.grams)
	}, `SELECT case_id, grams FROM case_grams WHERE case_id IN `+inList(len(cases)), caseArgs...)
	if err != nil {
		return fmt.Errorf("read the cases' pairs: %w", err)
	}
	for _, r := range rows {
		old[r.id] = r.grams
	}

	// A case whose every note grows only gained texts: its pairs are those
	// it had and those of the noted texts. Any other is read whole.
	growing := make(map[int64]bool, len(cases))
	for _, n := range notes {
		if was, seen := growing[n.caseID]; !seen || was {
			growing[n.caseID] = n.grows
		}
	}
	sets := make(map[int64]map[searchGram]struct{}, len(cases))
	var whole []any
	for _, id := range cases {
		if !growing[id] {
			whole = append(whole, id)
			continue
		}
		set := map[searchGram]struct{}{}
		for g := range decodeGrams(old[id]) {
			set[g] = struct{}{}
		}
		sets[id] = set
	}
	var grown [3][]any // the noted texts of growing cases: case, message, answer IDs
	for _, n := range notes {
		if growing[n.caseID] && n.doc%4 < 3 {
			grown[n.doc%4] = append(grown[n.doc%4], n.doc/4)
		}
	}
	add := func(caseID int64, texts ...string) {
		set := sets[caseID]
		if set == nil {
			set = map[searchGram]struct{}{}
			sets[caseID] = set
		}
		for _, t := range texts {
			searchGrams(set, t)
		}
	}
	const (
		summaries = `SELECT id, COALESCE(summary, ''), '' FROM cases WHERE id IN `
		messages  = `SELECT case_id, COALESCE(content, ''), COALESCE(recognition, '') FROM inbound_messages WHERE `
		answers   = `SELECT case_id, COALESCE(detail, ''), '' FROM case_events WHERE kind IN ` + answerEventKinds + ` AND `
	)
	reads := []struct {
		query       string
		args        []any
		onlyGrowing bool
	}{
		{summaries, whole, false}, {messages + `case_id IN `, whole, false}, {answers + `case_id IN `, whole, false},
		{summaries, grown[0], true}, {messages + `id IN `, grown[1], true}, {answers + `id IN `, grown[2], true},
	}
	for _, read := range reads {
		if len(read.args) == 0 {
			continue
		}
		r, err := tx.tx.QueryContext(ctx, read.query+inList(len(read.args)), read.args...)
		if err != nil {
			return fmt.Errorf("read the cases' texts: %w", err)
		}
		for r.Next() {
			var id int64
			var a, b string
			if err := r.Scan(&id, &a, &b); err != nil {
				r.Close()
				return fmt.Errorf("read the cases' texts: %w", err)
			}
			// A grown text counts for the growing case it was noted
			// for: a text on another case would have cleared grows.
			if !read.onlyGrowing || growing[id] {
				add(id, a, b)
			}
		}
		if err := r.Close(); err != nil {
			return fmt.Errorf("read the cases' texts: %w", err)
		}
		if err := r.Err(); err != nil {
			return fmt.Errorf("read the cases' texts: %w", err)
		}
	}

	type posting struct {
		gram   searchGram
		caseID int64
	}
	var added, removed []posting
	counts := map[searchGram]int64{}
	var changed []any // case_id, grams pairs for case_grams
	var emptied []any
	for _, id := range cases {
		now := encodeGrams(sets[id])
		was := old[id]
		if bytes.Equal(now, was) && len(was) > 0 {
			continue
		}
		wasSet := map[searchGram]struct{}{}
		for g := range decodeGrams(was) {
			wasSet[g] = struct{}{}
			if _, still := sets[id][g]; !still {
				removed = append(removed, posting{g, id})
				counts[g]--
			}
		}
		for g := range sets[id] {
			if _, had := wasSet[g]; !had {
				added = append(added, posting{g, id})
				counts[g]++
			}
		}
		if len(now) == 0 {
			emptied = append(emptied, id)
		} else {
			changed = append(changed, id, now)
		}
	}
	byKey := func(a, b posting) int {
		return cmp.Or(cmp.Compare(a.gram, b.gram), cmp.Compare(a.caseID, b.caseID))
	}
	slices.SortFunc(removed, byKey)
	slices.SortFunc(added, byKey)
	const perStatement = 2000
	for part := range slices.Chunk(removed, perStatement) {
		args := make([]any, 0, 2*len(part))
		for _, p := range part {
			args = append(args, p.gram, p.caseID)
		}
		if _, err := tx.tx.ExecContext(ctx, `DELETE p FROM (SELECT ? AS gram, ? AS case_id`+
			strings.Repeat(" UNION ALL SELECT ?, ?", len(part)-1)+`) d
			STRAIGHT_JOIN case_postings p ON p.gram = d.gram AND p.case_id = d.case_id`, args...); err != nil {
			return fmt.Errorf("remove postings: %w", err)
		}
	}
	for part := range slices.Chunk(added, perStatement) {
		args := make([]any, 0, 2*len(part))
		for _, p := range part {
			args = append(args, p.gram, p.caseID)
		}
		if _, err := tx.tx.ExecContext(ctx, `INSERT IGNORE INTO case_postings (gram, case_id) VALUES (?, ?)`+
			strings.Repeat(", (?, ?)", len(part)-1), args...); err != nil {
			return fmt.Errorf("write postings: %w", err)
		}
	}
	grams := make([]searchGram, 0, len(counts))
	for g, n := range counts {
		if n != 0 {
			grams = append(grams, g)
		}
	}
	slices.Sort(grams)
	for part := range slices.Chunk(grams, perStatement) {
		args := make([]any, 0, 2*len(part))
		for _, g := range part {
			args = append(args, g, counts[g])
		}
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO case_gram_counts (gram, cases) VALUES (?, ?)`+
			strings.Repeat(", (?, ?)", len(part)-1)+` ON DUPLICATE KEY UPDATE cases = cases + VALUES(cases)`, args...); err != nil {
			return fmt.Errorf("count the pairs: %w", err)
		}
	}
	for part := range slices.Chunk(changed, 2*perStatement/10) {
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO case_grams (case_id, grams) VALUES (?, ?)`+
			strings.Repeat(", (?, ?)", len(part)/2-1)+` ON DUPLICATE KEY UPDATE grams = VALUES(grams)`, part...); err != nil {
			return fmt.Errorf("keep the cases' pairs: %w", err)
		}
	}
	if len(emptied) > 0 {
		if _, err := tx.tx.ExecContext(ctx, `DELETE g FROM `+docTable(len(emptied))+` STRAIGHT_JOIN case_grams g ON g.case_id = d.doc`, emptied...); err != nil {
			return fmt.Errorf("drop the pairs of cases without text: %w", err)
		}
	}
	docs := make([]any, len(notes))
	for i, n := range notes {
		docs[i] = n.doc
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE p FROM `+docTable(len(docs))+` STRAIGHT_JOIN case_search_pending p ON p.doc = d.doc`, docs...); err != nil {
		return fmt.Errorf("remove the notes: %w", err)
	}
	return nil
}

// encodeGrams is a case's set of pairs as case_grams keeps it: sorted, six
// bytes each (a pair is below 2^42), big-endian.
func encodeGrams(set map[searchGram]struct{}) []byte {
	grams := make([]searchGram, 0, len(set))
	for g := range set {
		grams = append(grams, g)
	}
	slices.Sort(grams)
	out := make([]byte, 0, 6*len(grams))
	var buf [8]byte
	for _, g := range grams {
		binary.BigEndian.PutUint64(buf[:], g)
		out = append(out, buf[2:]...)
	}
	return out
}

// decodeGrams yields the pairs of encodeGrams' bytes.
func decodeGrams(b []byte) func(func(searchGram) bool) {
	return func(yield func(searchGram) bool) {
		var buf [8]byte
		for i := 0; i+6 <= len(b); i += 6 {
			copy(buf[2:], b[i:i+6])
			if !yield(binary.BigEndian.Uint64(buf[:])) {
				return
			}
		}
	}
}
