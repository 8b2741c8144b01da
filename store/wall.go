package store

import (
	"context"
	"database/sql"
	"fmt"

	"mashang"
)

// WallCases lists the handled cases within reach whose citizens agreed to
// publication, latest closed first, with how each was closed; the wall
// anonymises them before anyone sees them.
func (db *DB) WallCases(ctx context.Context, r mashang.Reach, limit int) ([]mashang.WallCase, error) {
	where, args := reachCondition(r)
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.WallCase, error) {
		var w mashang.WallCase
		var result sql.NullString
		err := row.Scan(&w.StationName, &w.Category, &w.Summary, &w.Rating, &w.ClosedAt, &result)
		w.Result = result.String
		return w, err
	}, `
		SELECT s.name, c.category, c.summary, c.rating, c.closed_at,
		       (SELECT e.detail FROM case_events e WHERE e.case_id = c.id AND e.kind = ? ORDER BY e.id DESC LIMIT 1)
		FROM cases c JOIN stations s ON s.id = c.station_id
		WHERE c.status = 'closed' AND c.public_consent = ? AND `+where+`
		ORDER BY c.closed_at DESC, c.id DESC LIMIT ?`, append(append([]any{mashang.EventClosed, true}, args...), limit)...)
	if err != nil {
		return nil, fmt.Errorf("read the results wall: %w", err)
	}
	return out, nil
}
