package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"mashang"
)

// FigureGroups counts the cases within reach created in [from, to) by
// station, group, category and China-time month, in SQL: a city's million
// cases are never read one by one. A case is on time when closed by its
// deadline (or without one), late when closed after it or still open past
// it at now.
func (db *DB) FigureGroups(ctx context.Context, r mashang.Reach, from, to, now time.Time) ([]mashang.FigureGroup, error) {
	where, args := reachCondition(r)
	names, starts := mashang.Months(from, to)
	month := "CASE"
	var monthArgs []any
	for i := len(starts) - 1; i >= 0; i-- {
		month += " WHEN c.created_at >= ? THEN ?"
		monthArgs = append(monthArgs, starts[i].UTC(), names[i])
	}
	month += " ELSE '' END"
	query := `
		SELECT c.station_id, COALESCE(c.group_id, 0), c.category, ` + month + ` AS month,
		       COUNT(*),
		       SUM(CASE WHEN c.closed_at IS NOT NULL THEN 1 ELSE 0 END),
		       SUM(CASE WHEN c.closed_at IS NOT NULL AND (c.deadline IS NULL OR c.closed_at <= c.deadline) THEN 1 ELSE 0 END),
		       SUM(CASE WHEN (c.closed_at IS NOT NULL AND c.closed_at > c.deadline) OR (c.closed_at IS NULL AND c.deadline < ?) THEN 1 ELSE 0 END),
		       SUM(CASE WHEN c.rating <> '' THEN 1 ELSE 0 END),
		       SUM(CASE WHEN c.rating IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END)
		FROM cases c JOIN stations s ON s.id = c.station_id
		WHERE ` + where + ` AND c.created_at >= ? AND c.created_at < ?
		GROUP BY c.station_id, COALESCE(c.group_id, 0), c.category, month`
	all := append(append(monthArgs, now.UTC()), args...)
	all = append(all, from.UTC(), to.UTC())
	// Counted by IDs, named afterwards: a join per case costs more than the count.
	stationNames, err := db.names(ctx, `SELECT id, name FROM stations`)
	if err != nil {
		return nil, err
	}
	groupNames, err := db.names(ctx, `SELECT id, name FROM deputy_groups`)
	if err != nil {
		return nil, err
	}
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.FigureGroup, error) {
		var g mashang.FigureGroup
		var station, group int64
		err := row.Scan(&station, &group, &g.Category, &g.Month, &g.Collected, &g.Closed, &g.OnTime, &g.Late, &g.Rated, &g.Satisfied)
		g.Station, g.Group = stationNames[station], groupNames[group]
		return g, err
	}, query, all...)
	if err != nil {
		return nil, fmt.Errorf("count figures: %w", err)
	}
	return out, nil
}

// ProblemList is a department's problem list (问题建议清单): the cases within
// reach handed to it, oldest first.
func (db *DB) ProblemList(ctx context.Context, r mashang.Reach, department string) ([]mashang.Problem, error) {
	where, args := reachCondition(r)
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.Problem, error) {
		var p mashang.Problem
		var deadline, closed sql.NullTime
		var err error
		p.Case, err = scanCase(row, &deadline, &closed, &p.Department)
		p.Deadline = deadline.Time
		if closed.Valid {
			p.ClosedAt = &closed.Time
		}
		return p, err
	}, `SELECT `+caseColumns+`, c.deadline, c.closed_at, dp.name`+caseFrom+`
		JOIN departments dp ON dp.id = c.department_id
		WHERE dp.name = ? AND `+where+` ORDER BY c.id`, append([]any{department}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("read problem list: %w", err)
	}
	return out, nil
}

// names reads an id → name table.
func (db *DB) names(ctx context.Context, query string) (map[int64]string, error) {
	type pair struct {
		id   int64
		name string
	}
	pairs, err := scanAll(ctx, db.db, func(row scanner) (pair, error) {
		var p pair
		return p, row.Scan(&p.id, &p.name)
	}, query)
	if err != nil {
		return nil, fmt.Errorf("read names: %w", err)
	}
	out := make(map[int64]string, len(pairs))
	for _, p := range pairs {
		out[p.id] = p.name
	}
	return out, nil
}
