package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"mashang"
)

// FigureRows reads what the figures need of the cases within reach created
// in [from, to).
func (db *DB) FigureRows(ctx context.Context, r mashang.Reach, from, to time.Time) ([]mashang.FigureRow, error) {
	where, args := reachCondition(r)
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.FigureRow, error) {
		var f mashang.FigureRow
		var deadline, closed sql.NullTime
		err := row.Scan(&f.Station, &f.Group, &f.Category, &f.Department, &f.CreatedAt, &f.Status, &deadline, &closed, &f.Rating)
		f.Deadline = deadline.Time
		if closed.Valid {
			f.ClosedAt = &closed.Time
		}
		return f, err
	}, `
		SELECT s.name, COALESCE(g.name, ''), c.category, COALESCE(dp.name, ''), c.created_at, c.status, c.deadline, c.closed_at, c.rating
		FROM cases c JOIN stations s ON s.id = c.station_id
		LEFT JOIN deputy_groups g ON g.id = c.group_id LEFT JOIN departments dp ON dp.id = c.department_id
		WHERE `+where+` AND c.created_at >= ? AND c.created_at < ?`, append(args, from.UTC(), to.UTC())...)
	if err != nil {
		return nil, fmt.Errorf("read figures: %w", err)
	}
	return out, nil
}

// ProblemList is a department's problem list (问题建议清单): the cases within
// reach handed to it, oldest first.
func (db *DB) ProblemList(ctx context.Context, r mashang.Reach, department string) ([]mashang.Case, []mashang.FigureRow, error) {
	where, args := reachCondition(r)
	rows, err := db.db.QueryContext(ctx, `SELECT `+caseColumns+`, c.deadline, c.closed_at, COALESCE(dp.name, '')`+caseFrom+`
		JOIN departments dp ON dp.id = c.department_id
		WHERE dp.name = ? AND `+where+` ORDER BY c.id`, append([]any{department}, args...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("read problem list: %w", err)
	}
	defer rows.Close()
	var cases []mashang.Case
	var extra []mashang.FigureRow
	for rows.Next() {
		var deadline, closed sql.NullTime
		var f mashang.FigureRow
		c, err := scanCase(rows, &deadline, &closed, &f.Department)
		if err != nil {
			return nil, nil, fmt.Errorf("read problem: %w", err)
		}
		f.Deadline = deadline.Time
		if closed.Valid {
			f.ClosedAt = &closed.Time
		}
		cases, extra = append(cases, c), append(extra, f)
	}
	return cases, extra, rows.Err()
}
