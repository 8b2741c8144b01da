package store

import (
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// The console's text search (issue 20) finds a text in a case's summary,
// in what the citizen sent into it (text and voice recognition) and in the
// answers on its timeline. The full-text index case_search (migration
// 00045, kept by triggers) narrows the cases to those that may contain the
// text; each is then checked with LIKE on the texts themselves, so the
// search finds exactly what a scan would, only without reading every case.

// answerEventKinds are the timeline events whose detail is an answer: the
// reply the citizen was sent, a department's result, how it was closed.
const answerEventKinds = `('reply', 'result', 'closed')`

// searchCondition is the WHERE, on cases c, of the cases whose texts
// contain text: through the index when it can serve the query, else (a
// query too short for its grams) by LIKE alone, newest case first as the
// inbox reads — fast for a common word, a scan for a rare one.
func searchCondition(d dialect, text string) (string, []any) {
	like := "%" + strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(text) + "%"
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
	return index + " AND " + check, append(indexArgs, args...)
}

// SQLite's FTS5 trigram tokenizer matches any text of three characters or
// more as a substring: the whole query is one quoted phrase, its quotes
// doubled. Fewer than three characters have no trigram to look up.
func (sqliteDialect) textIndex(text string) (string, []any) {
	if utf8.RuneCountInString(text) < 3 {
		return "", nil
	}
	return `c.id IN (SELECT case_id FROM case_search WHERE case_search MATCH ?)`,
		[]any{`"` + strings.ReplaceAll(text, `"`, `""`) + `"`}
}

// MySQL's index holds every pair of neighbouring characters of a text,
// lower-cased, as the hex of its UTF-8 bytes (case_search_grams in the
// migration): the query asks for all of its pairs. One character has no
// pair.
func (mysqlDialect) textIndex(text string) (string, []any) {
	grams := textGrams(text)
	if len(grams) == 0 {
		return "", nil
	}
	return `c.id IN (SELECT cs.case_id FROM case_search cs WHERE MATCH (cs.grams) AGAINST (? IN BOOLEAN MODE))`,
		[]any{"+" + strings.Join(grams, " +")}
}

// textGrams cuts text into its distinct pairs of neighbouring characters,
// as the migration's case_search_grams writes them: lower case, the pair's
// UTF-8 bytes in upper-case hex.
func textGrams(text string) []string {
	runes := []rune(strings.ToLower(text))
	seen := make(map[string]bool, len(runes))
	var grams []string
	for i := 0; i+1 < len(runes); i++ {
		g := strings.ToUpper(hex.EncodeToString([]byte(string(runes[i : i+2]))))
		if !seen[g] {
			seen[g] = true
			grams = append(grams, g)
		}
	}
	return grams
}
