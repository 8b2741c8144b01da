package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"mashang"
)

// acceptedStatuses are the suggestions the figures count: accepted (立案)
// and on from there.
const acceptedStatuses = `g.status IN ('accepted', 'handed', 'answered', 'evaluated', 'redo', 'closed')`

// SuggestionFacts reads what the figures count of the accepted suggestions
// within reach in scope: a session's, or those received in the period.
// The scope's session name is filled in (ENOTFOUND: no such session).
func (db *DB) SuggestionFacts(ctx context.Context, r mashang.Reach, scope *mashang.SuggestionScope) ([]mashang.SuggestionFacts, error) {
	where, args := suggestionReach(r)
	q := db.heavy(ctx) // the suggestions' figures and Excel files
	if scope.SessionID != 0 {
		err := q.QueryRowContext(ctx, `SELECT name FROM congress_sessions WHERE id = ?`, scope.SessionID).Scan(&scope.Session)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, mashang.NotFound("这次会议")
		}
		if err != nil {
			return nil, fmt.Errorf("read the session: %w", err)
		}
		where += " AND g.session_id = ?"
		args = append(args, scope.SessionID)
	} else {
		where += " AND g.received_at >= ? AND g.received_at < ?"
		args = append(args, scope.From.UTC(), scope.To.UTC())
	}
	list, err := scanAll(ctx, q, scanSuggestion, `SELECT `+suggestionColumns+`
		WHERE `+where+` AND `+acceptedStatuses+` ORDER BY g.number, g.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list the suggestions counted: %w", err)
	}
	if err := withBodies(ctx, q, list); err != nil {
		return nil, err
	}
	solved := map[string]bool{}
	cats, err := scanAll(ctx, q, func(row scanner) (string, error) {
		var code string
		return code, row.Scan(&code)
	}, `SELECT code FROM answer_categories WHERE solved = 1`)
	if err != nil {
		return nil, fmt.Errorf("read the answer categories: %w", err)
	}
	for _, c := range cats {
		solved[c] = true
	}
	out := make([]mashang.SuggestionFacts, len(list))
	at := map[int64]int{}
	for i, g := range list {
		out[i] = mashang.SuggestionFacts{Suggestion: g, Contacts: map[int64]int{}, Solved: solved}
		at[g.ID] = i
	}
	for start := 0; start < len(list); start += 500 {
		ids := make([]any, 0, 500)
		for _, g := range list[start:min(start+500, len(list))] {
			ids = append(ids, g.ID)
		}
		if err := readFacts(ctx, q, ids, out, at); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readFacts fills in the answers, evaluations and contacts of the
// suggestions ids.
func readFacts(ctx context.Context, q sqlQuerier, ids []any, out []mashang.SuggestionFacts, at map[int64]int) error {
	in := "(?" + strings.Repeat(", ?", len(ids)-1) + ")"
	type answer struct {
		id int64
		mashang.Answer
	}
	answers, err := scanAll(ctx, q, func(row scanner) (answer, error) {
		var a answer
		var promised sql.NullTime
		err := row.Scan(&a.id, &a.ID, &a.DepartmentID, &a.Round, &a.Category, &a.Text, &promised, &a.At)
		a.PromisedOn, a.Lead = promised.Time, true
		return a, err
	}, `SELECT suggestion_id, id, department_id, round, category, text, promised_on, created_at FROM suggestion_answers
		WHERE suggestion_id IN `+in+` AND lead = 1 ORDER BY suggestion_id, id`, ids...)
	if err != nil {
		return fmt.Errorf("read the answers: %w", err)
	}
	spread(answers, func(a answer) int64 { return a.id }, out, at, func(f *mashang.SuggestionFacts, a answer) { f.Answers = append(f.Answers, a.Answer) })
	type evaluation struct {
		id int64
		mashang.Evaluation
	}
	evaluations, err := scanAll(ctx, q, func(row scanner) (evaluation, error) {
		var e evaluation
		return e, row.Scan(&e.id, &e.DeputyID, &e.Round, &e.AnswerVerdict, &e.ContactVerdict, &e.At)
	}, `SELECT suggestion_id, deputy_id, round, answer_verdict, contact_verdict, created_at FROM suggestion_evaluations
		WHERE suggestion_id IN `+in+` ORDER BY suggestion_id, round`, ids...)
	if err != nil {
		return fmt.Errorf("read the evaluations: %w", err)
	}
	spread(evaluations, func(e evaluation) int64 { return e.id }, out, at, func(f *mashang.SuggestionFacts, e evaluation) {
		f.Evaluations = append(f.Evaluations, e.Evaluation)
	})
	contacts, err := scanAll(ctx, q, func(row scanner) ([3]int64, error) {
		var c [3]int64
		return c, row.Scan(&c[0], &c[1], &c[2])
	}, `SELECT suggestion_id, department_id, COUNT(*) FROM suggestion_contacts WHERE suggestion_id IN `+in+`
		GROUP BY suggestion_id, department_id`, ids...)
	if err != nil {
		return fmt.Errorf("count the contacts: %w", err)
	}
	for _, c := range contacts {
		out[at[c[0]]].Contacts[c[1]] = int(c[2])
	}
	return nil
}

// HandledSuggestions are the closed suggestions within reach, newest first,
// for the public page: their facts (answers for the summary and
// category), at most limit.
func (db *DB) HandledSuggestions(ctx context.Context, r mashang.Reach, since time.Time, limit int) ([]mashang.SuggestionFacts, error) {
	where, args := suggestionReach(r)
	list, err := scanAll(ctx, db.db, scanSuggestion, `SELECT `+suggestionColumns+`
		WHERE `+where+` AND g.status = 'closed' AND g.closed_at >= ?
		ORDER BY g.closed_at DESC, g.id DESC LIMIT ?`, append(args, since.UTC(), limit)...)
	if err != nil {
		return nil, fmt.Errorf("list the handled suggestions: %w", err)
	}
	if err := withBodies(ctx, db.db, list); err != nil {
		return nil, err
	}
	out := make([]mashang.SuggestionFacts, len(list))
	at := map[int64]int{}
	ids := make([]any, len(list))
	for i, g := range list {
		out[i] = mashang.SuggestionFacts{Suggestion: g, Contacts: map[int64]int{}}
		at[g.ID], ids[i] = i, g.ID
	}
	if len(ids) == 0 {
		return out, nil
	}
	return out, readFacts(ctx, db.db, ids, out, at)
}

// spread gives each row to the facts of its suggestion (id), by put.
func spread[T any](rows []T, id func(T) int64, out []mashang.SuggestionFacts, at map[int64]int, put func(*mashang.SuggestionFacts, T)) {
	for _, r := range rows {
		put(&out[at[id(r)]], r)
	}
}
