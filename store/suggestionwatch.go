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

// suggestionReach is the reach condition on suggestions g (joined with
// their station s): the lead deputy's station for staff and secretaries,
// what was handed to the body for a department's handler.
func suggestionReach(r mashang.Reach) (string, []any) {
	if r.DepartmentID != 0 {
		return "g.id IN (SELECT b.suggestion_id FROM suggestion_bodies b WHERE b.department_id = ?)", []any{r.DepartmentID}
	}
	where, args := reachCondition(r)
	return strings.ReplaceAll(where, "c.station_id", "g.station_id"), args
}

// suggestionTimes are the columns the sweep, the figures and the public
// page read of a suggestion, in scanSuggestionTimes' order.
const suggestionTimes = `g.id, g.number, g.title, g.category, g.status, g.deputy_id, d.name, g.station_id, st.name,
	g.received_at, g.handover_due, g.handed_at, g.due, g.round, g.redo_due, g.answered_at, g.closed_at, g.colour,
	g.key_official, g.key_plan, g.key_marked_at, g.key_marked_by, COALESCE(cs.name, '')`

const suggestionJoins = ` FROM suggestions g JOIN deputies d ON d.id = g.deputy_id JOIN stations st ON st.id = g.station_id
	LEFT JOIN congress_sessions cs ON cs.id = g.session_id`

func scanSuggestionTimes(row scanner) (mashang.Suggestion, error) {
	var g mashang.Suggestion
	var received, handoverDue, handed, due, redoDue, answered, closed, keyAt sql.NullTime
	var session string
	err := row.Scan(&g.ID, &g.Number, &g.Title, &g.Category, &g.Status, &g.DeputyID, &g.DeputyName, &g.StationID, &g.StationName,
		&received, &handoverDue, &handed, &due, &g.Round, &redoDue, &answered, &closed, &g.Colour,
		&g.KeyOfficial, &g.KeyPlan, &keyAt, &g.KeyMarkedBy, &session)
	g.HandoverDue, g.Due, g.RedoDue = handoverDue.Time, due.Time, redoDue.Time
	for _, t := range []struct {
		from sql.NullTime
		to   **time.Time
	}{{received, &g.ReceivedAt}, {handed, &g.HandedAt}, {answered, &g.AnsweredAt}, {closed, &g.ClosedAt}, {keyAt, &g.KeyMarkedAt}} {
		if t.from.Valid {
			at := t.from.Time
			*t.to = &at
		}
	}
	if session != "" {
		g.Session = &mashang.CongressSession{Name: session}
	}
	return g, err
}

// suggestionBodies reads the bodies of the suggestions ids, by suggestion.
func suggestionBodies(ctx context.Context, q sqlQuerier, ids []int64) (map[int64][]mashang.SuggestionBody, error) {
	out := map[int64][]mashang.SuggestionBody{}
	if len(ids) == 0 {
		return out, nil
	}
	type body struct {
		suggestion int64
		mashang.SuggestionBody
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	bodies, err := scanAll(ctx, q, func(row scanner) (body, error) {
		var b body
		var acked sql.NullTime
		err := row.Scan(&b.suggestion, &b.DepartmentID, &b.Name, &b.Lead, &b.HandedAt, &b.AckDue, &acked, &b.AcknowledgedBy,
			&b.NearNoticed, &b.OverdueNoticed)
		if acked.Valid {
			b.AcknowledgedAt = &acked.Time
		}
		return b, err
	}, `SELECT b.suggestion_id, b.department_id, dp.name, b.lead, b.handed_at, b.ack_due, b.acknowledged_at, b.acknowledged_by,
		       b.near_noticed_at IS NOT NULL, b.overdue_noticed_at IS NOT NULL
		FROM suggestion_bodies b JOIN departments dp ON dp.id = b.department_id
		WHERE b.suggestion_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) ORDER BY b.suggestion_id, b.lead DESC, dp.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("read the suggestions' bodies: %w", err)
	}
	for _, b := range bodies {
		out[b.suggestion] = append(out[b.suggestion], b.SuggestionBody)
	}
	return out, nil
}

// withBodies fills in each suggestion's bodies, a chunk of ids at a time.
func withBodies(ctx context.Context, q sqlQuerier, list []mashang.Suggestion) error {
	for start := 0; start < len(list); start += 500 {
		chunk := list[start:min(start+500, len(list))]
		ids := make([]int64, len(chunk))
		for i, g := range chunk {
			ids[i] = g.ID
		}
		bodies, err := suggestionBodies(ctx, q, ids)
		if err != nil {
			return err
		}
		for i := range chunk {
			chunk[i].Bodies = bodies[chunk[i].ID]
		}
	}
	return nil
}

// SuggestionsWatched lists the suggestions whose colour may change, with
// their bodies (mashang.SuggestionWatchTx).
func (tx *Tx) SuggestionsWatched(ctx context.Context) ([]mashang.Suggestion, error) {
	list, err := scanAll(ctx, tx.tx, scanSuggestionTimes, `SELECT `+suggestionTimes+suggestionJoins+`
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

// AddSuggestionEvent adds a line to a suggestion's history.
func (tx *Tx) AddSuggestionEvent(ctx context.Context, id int64, at time.Time, kind mashang.EventKind, actor, detail string) error {
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO suggestion_events (suggestion_id, at, kind, actor, detail) VALUES (?, ?, ?, ?, ?)`,
		id, at.UTC(), kind, actor, detail); err != nil {
		return fmt.Errorf("add to the suggestion's history: %w", err)
	}
	return nil
}

// MarkKeySuggestion marks a suggestion within reach for key supervision,
// in one transaction with its history line and the audit line
// (mashang.KeySupervisionStore).
func (db *DB) MarkKeySuggestion(ctx context.Context, r mashang.Reach, id int64, fn func(mashang.Suggestion) (string, string, string, error), by string, at time.Time) error {
	return db.update(ctx, func(tx *Tx) error {
		where, args := suggestionReach(r)
		g, err := scanSuggestionTimes(tx.tx.QueryRowContext(ctx, `SELECT `+suggestionTimes+suggestionJoins+`
			LEFT JOIN stations s ON s.id = g.station_id WHERE g.id = ? AND `+where, append([]any{id}, args...)...))
		if errors.Is(err, sql.ErrNoRows) {
			return mashang.NotFound("建议")
		}
		if err != nil {
			return fmt.Errorf("read the suggestion: %w", err)
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
		FROM suggestions g JOIN stations s ON s.id = g.station_id
		WHERE `+where+` AND g.closed_at IS NULL AND g.status IN ('submitted', 'accepted', 'handed', 'answered', 'evaluated', 'redo')`,
		args...).Scan(&green, &yellow, &red, &key)
	if err != nil {
		return row, fmt.Errorf("suggestions on the board: %w", err)
	}
	row.Green, row.Yellow, row.Red, row.Key = int(green.Int64), int(yellow.Int64), int(red.Int64), int(key.Int64)
	return row, nil
}
