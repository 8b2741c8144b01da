package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"mashang"
)

// withBodies fills in each suggestion's bodies, and its signers, a chunk
// of suggestions at a time (a query each, not three per suggestion).
func withBodies(ctx context.Context, q sqlQuerier, list []mashang.Suggestion) error {
	for start := 0; start < len(list); start += 500 {
		chunk := list[start:min(start+500, len(list))]
		at := map[int64]*mashang.Suggestion{}
		args := make([]any, len(chunk))
		for i := range chunk {
			at[chunk[i].ID], args[i] = &chunk[i], chunk[i].ID
		}
		in := "(?" + strings.Repeat(", ?", len(args)-1) + ")"
		bodies, err := scanAll(ctx, q, scanSuggestionBody, `SELECT `+suggestionBodyColumns+` WHERE b.suggestion_id IN `+in+`
			ORDER BY b.suggestion_id, b.lead DESC, p.name`, args...)
		if err != nil {
			return fmt.Errorf("read the suggestions' bodies: %w", err)
		}
		for _, b := range bodies {
			at[b.suggestionID].Bodies = append(at[b.suggestionID].Bodies, b.SuggestionBody)
		}
		signers, err := scanAll(ctx, q, scanSigner, `SELECT `+signerColumns+` WHERE s.suggestion_id IN `+in+`
			ORDER BY s.suggestion_id, s.invited_at, d.id`, args...)
		if err != nil {
			return fmt.Errorf("read the suggestions' signers: %w", err)
		}
		for _, g := range signers {
			at[g.suggestionID].Signers = append(at[g.suggestionID].Signers, g.Signer)
		}
	}
	return nil
}

// SuggestionsWatched lists the suggestions whose colour may change, with
// their bodies (mashang.SuggestionWatchTx).
func (tx *Tx) SuggestionsWatched(ctx context.Context) ([]mashang.Suggestion, error) {
	list, err := scanAll(ctx, tx.tx, scanSuggestion, `SELECT `+suggestionColumns+`
		WHERE g.closed_at IS NULL AND (g.handed_at IS NOT NULL OR (g.handover_due IS NOT NULL AND g.status IN ('submitted', 'accepted'))
		      OR g.colour <> 'green')
		  AND g.status NOT IN ('refused', 'merged', 'withdrawn', 'draft', 'returned')
		ORDER BY g.id`)
	if err != nil {
		return nil, fmt.Errorf("list the suggestions to watch: %w", err)
	}
	return list, withBodies(ctx, tx.tx, list)
}

// SetSuggestionColour records a suggestion's colour if it is still from.
func (tx *Tx) SetSuggestionColour(ctx context.Context, id int64, from, to string) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE suggestions SET colour = ? WHERE id = ? AND colour = ?`, to, id, from)
	if err != nil {
		return false, fmt.Errorf("set the suggestion's colour: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// MarkSuggestionNotice sets a body's timed notice's mark if not yet set.
func (tx *Tx) MarkSuggestionNotice(ctx context.Context, id, departmentID int64, kind string, at time.Time) (bool, error) {
	return tx.markNotice(ctx, "suggestion_bodies", "suggestion_id", id, departmentID, kind, at)
}

// ClearSuggestionNotices forgets the bodies' timed reminders of a
// suggestion handled again (mashang.SuggestionTx).
func (tx *Tx) ClearSuggestionNotices(ctx context.Context, id int64) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE suggestion_bodies SET near_noticed_at = NULL, overdue_noticed_at = NULL WHERE suggestion_id = ?`, id); err != nil {
		return fmt.Errorf("clear the bodies' reminders: %w", err)
	}
	return nil
}

// MarkKeySuggestion marks a suggestion within reach for key supervision,
// in one transaction with its history line and the audit line
// (mashang.KeySupervisionStore).
func (db *DB) MarkKeySuggestion(ctx context.Context, r mashang.Reach, id int64, fn func(mashang.Suggestion) (string, string, string, error), by string, at time.Time) error {
	return db.update(ctx, func(tx *Tx) error {
		where, args := suggestionReach(r)
		g, err := oneSuggestion(suggestionsWhere(ctx, tx.tx, 1, true, `g.id = ? AND g.status <> 'draft' AND `+where, append([]any{id}, args...)...))
		if err != nil {
			return err
		}
		official, plan, detail, err := fn(g)
		if err != nil {
			return err
		}
		if _, err := tx.tx.ExecContext(ctx, `UPDATE suggestions SET key_official = ?, key_plan = ?, key_marked_at = ?, key_marked_by = ? WHERE id = ?`,
			official, plan, at.UTC(), by, id); err != nil {
			return fmt.Errorf("mark the suggestion key: %w", err)
		}
		return tx.AddSuggestionEvent(ctx, id, at, mashang.EventSgKey, by, detail)
	})
}

// SuggestionBoard counts the open suggestions within reach by colour: what
// has a deadline (to hand over, to answer, to answer again), for the
// supervision board beside the cases; Key counts the key ones among them.
func (db *DB) SuggestionBoard(ctx context.Context, r mashang.Reach) (mashang.SuggestionBoardRow, error) {
	where, args := suggestionReach(r)
	var row mashang.SuggestionBoardRow
	var green, yellow, red, key sql.NullInt64
	err := db.db.QueryRowContext(ctx, `
		SELECT SUM(CASE WHEN g.colour = 'green' THEN 1 ELSE 0 END), SUM(CASE WHEN g.colour = 'yellow' THEN 1 ELSE 0 END),
		       SUM(CASE WHEN g.colour = 'red' THEN 1 ELSE 0 END), SUM(CASE WHEN g.key_marked_at IS NOT NULL THEN 1 ELSE 0 END)
		FROM suggestions g JOIN stations st ON st.id = g.station_id
		WHERE `+where+` AND g.closed_at IS NULL AND g.status IN ('submitted', 'accepted', 'handed', 'answered', 'evaluated', 'redo')`,
		args...).Scan(&green, &yellow, &red, &key)
	if err != nil {
		return row, fmt.Errorf("suggestions on the board: %w", err)
	}
	row.Green, row.Yellow, row.Red, row.Key = int(green.Int64), int(yellow.Int64), int(red.Int64), int(key.Int64)
	return row, nil
}
