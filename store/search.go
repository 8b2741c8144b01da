package store

import (
	"context"
	"strings"

	"mashang"
)

// The console's text search (issue 20) finds a text in a case's summary,
// in what the citizen sent into it (text and voice recognition) and in the
// answers on its timeline. The full-text index case_search (migration
// 00045, written by the indexer, searchindex.go) narrows the cases to
// those that may contain the text, and the cases with a text written
// since the indexer last ran (noted in case_search_pending by triggers,
// migration 00050) are candidates too; each is then checked with LIKE on
// the texts themselves, so the search finds exactly what a scan would,
// a text committed a moment ago included, only without reading every case.

// answerEventKinds are the timeline events whose detail is an answer: the
// reply the citizen was sent, a department's result, how it was closed.
const answerEventKinds = `('reply', 'result', 'closed')`

// searchCondition is the WHERE, on cases c, of the cases whose texts
// contain text: through the index when it can serve the query, else (a
// query too short for its grams) by LIKE alone, newest case first as the
// inbox reads — fast for a common word, a scan for a rare one.
func searchCondition(d dialect, text string) (string, []any) {
	like := likePattern(text)
	check := `(c.summary LIKE ? ESCAPE '!'
		OR EXISTS (SELECT 1 FROM inbound_messages m WHERE m.case_id = c.id
			AND (m.content LIKE ? ESCAPE '!' OR m.recognition LIKE ? ESCAPE '!'))
		OR EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.kind IN ` + answerEventKinds + `
			AND e.detail LIKE ? ESCAPE '!'))`
	args := []any{like, like, like, like}
	index, indexArgs := d.textIndex(text)
	if index == "" {
		return check, args
	}
	// One IN over a derived table: MariaDB then still starts from the
	// candidates and reads their cases by key (a semi-join), where an OR
	// of two INs, or an IN over a UNION, made it scan every case.
	return `c.id IN (SELECT found.case_id FROM (` + index + `
		UNION ALL SELECT p.case_id FROM case_search_pending p) found) AND ` + check, append(indexArgs, args...)
}

// SQLite's FTS5 trigram tokenizer matches a quoted string of three
// characters or more as a substring. The query asks for the runs of three
// of the text (coveringRuns), each quoted (its quotes doubled), all
// of them: FTS5 reads each one's list of rows. Fewer than three characters
// have no trigram to look up.
func (sqliteDialect) textIndex(text string) (string, []any) {
	runs := coveringRuns(text)
	if len(runs) == 0 {
		return "", nil
	}
	for i, r := range runs {
		runs[i] = `"` + strings.ReplaceAll(r, `"`, `""`) + `"`
	}
	return `SELECT case_id FROM case_search WHERE case_search MATCH ?`, []any{strings.Join(runs, " AND ")}
}

// MySQL's index holds postings of character pairs (searchpostings.go):
// the query asks for the cases with the text's first pairs; one character
// has no pair to look up. The inbox's page reads the rarest pair first
// instead (postingsPage); this form serves the lists that read every
// match (the problem list).
func (mysqlDialect) textIndex(text string) (string, []any) {
	grams := queryGrams(text)
	if len(grams) == 0 {
		return "", nil
	}
	return postingsQuery(grams)
}

// coveringRuns cuts text into runs of three characters, every third one
// from the start; the one or two characters left over are left to the LIKE
// re-check. An index reads each run's whole list of rows, so fewer runs
// answer sooner than all of them, and the re-check makes the result exact.
func coveringRuns(text string) []string {
	runes := []rune(text)
	var runs []string
	for i := 0; i+3 <= len(runes); i += 3 {
		runs = append(runs, string(runes[i:i+3]))
	}
	return runs
}

// searchWindow is how many of the newest cases matching the rest of a
// filter a text search reads by LIKE before it asks the index: a common
// word ("电梯", in one case of twelve) fills its page from them at once,
// where the index would hand over every case that has it to be sorted.
// A variable so that a test can make the index answer.
var searchWindow = 2000

// searchPage reads the IDs of a page of the inbox for f, newest first.
// Without a text it is the inbox's narrow query. With one, it first
// checks the newest searchWindow cases that match the rest of the filter:
// the page is complete if it fills from them, or if there were no more
// cases to check; otherwise the index finds the rest, so a rare word costs
// an index lookup rather than a scan of every case.
func (db *DB) searchPage(ctx context.Context, q sqlQuerier, r mashang.Reach, f mashang.CaseFilter, limit int) ([]any, error) {
	if f.Text == "" {
		return db.consolePageIDs(ctx, q, db.dialect, r, f, limit)
	}
	if index, _ := db.dialect.textIndex(f.Text); index == "" {
		return db.consolePageIDs(ctx, q, db.dialect, r, f, limit)
	}
	if db.dialect.name() == DriverMySQL {
		// The postings stop at the page from the newest case on: no
		// window of LIKE first.
		return db.postingsPage(ctx, q, r, f, limit)
	}
	text := f.Text
	f.Text = ""
	window, err := db.consolePageIDs(ctx, q, db.dialect, r, f, searchWindow)
	if err != nil || len(window) == 0 {
		return nil, err
	}
	check, args := searchCondition(likeOnly{db.dialect}, text)
	ids, err := scanAll(ctx, q, func(row scanner) (any, error) {
		var id int64
		return id, row.Scan(&id)
	}, `SELECT c.id FROM cases c WHERE c.id IN (?`+strings.Repeat(", ?", len(window)-1)+`) AND `+check+`
		ORDER BY c.id DESC LIMIT ?`, append(append(window, args...), limit)...)
	if err != nil || len(ids) == limit || len(window) < searchWindow {
		return ids, err
	}
	f.Text = text
	return db.consolePageIDs(ctx, q, db.dialect, r, f, limit)
}

// likeOnly is a dialect whose text search reads no index: LIKE alone.
type likeOnly struct{ dialect }

func (likeOnly) textIndex(string) (string, []any) { return "", nil }

// ConsoleCasesBySummaryLike is the inbox's text search as it was before
// the index, a LIKE on the summary alone, for the benchmark to compare
// against; the console never calls it.
func (db *DB) ConsoleCasesBySummaryLike(ctx context.Context, r mashang.Reach, f mashang.CaseFilter) (int, error) {
	text := f.Text
	f.Text = ""
	where, args := filterCondition(db.dialect, r, f)
	ids, err := scanAll(ctx, db.db, func(row scanner) (int64, error) {
		var id int64
		return id, row.Scan(&id)
	}, `SELECT `+db.dialect.casesFirst()+`c.id FROM cases c JOIN stations s ON s.id = c.station_id
		WHERE `+where+` AND c.summary LIKE ? ESCAPE '!' ORDER BY c.id DESC LIMIT 50`, append(args, likePattern(text))...)
	return len(ids), err
}

// likePattern is a LIKE pattern (ESCAPE '!') for text anywhere.
func likePattern(text string) string {
	return "%" + strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(text) + "%"
}
