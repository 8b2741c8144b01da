package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"mashang"
)

// FigureGroups counts the cases within reach created in [from, to) by
// station, group, category and China-time month. It adds up the daily
// tallies the triggers of migration 00019 keep, so a city's million cases
// are never read one by one; a department handler's reach (the cases
// handed to one department, a few) is counted from the cases themselves.
// A case is on time when closed by its deadline (or without one), late
// when closed after it or still open past it (as of the last sweep).
func (db *DB) FigureGroups(ctx context.Context, r mashang.Reach, from, to, now time.Time) ([]mashang.FigureGroup, error) {
	if r.DepartmentID != 0 {
		return db.RecountFigureGroups(ctx, r, from, to, now)
	}
	query, args := figuresFromTallies(r, from, to)
	return db.figureGroups(ctx, query, args)
}

// RecountFigureGroups is FigureGroups counted from the cases themselves,
// with "open past the deadline" judged at now: exact, and slow on a city's
// whole history; it is how the tallies are checked.
func (db *DB) RecountFigureGroups(ctx context.Context, r mashang.Reach, from, to, now time.Time) ([]mashang.FigureGroup, error) {
	query, args := db.figuresFromCases(r, from, to, now)
	return db.figureGroups(ctx, query, args)
}

func (db *DB) figureGroups(ctx context.Context, query string, args []any) ([]mashang.FigureGroup, error) {
	// Counted by IDs, named afterwards: a join per row costs more than the count.
	stationNames, err := db.names(ctx, `SELECT id, name FROM stations`)
	if err != nil {
		return nil, err
	}
	groupNames, err := db.names(ctx, `SELECT id, name FROM deputy_groups`)
	if err != nil {
		return nil, err
	}
	out, err := scanAll(ctx, db.heavy(ctx), func(row scanner) (mashang.FigureGroup, error) {
		var g mashang.FigureGroup
		var station, group int64
		err := row.Scan(&station, &group, &g.Category, &g.Month, &g.Collected, &g.Answered, &g.Closed, &g.OnTime, &g.Late, &g.Rated, &g.Satisfied)
		g.Station, g.Group = stationNames[station], groupNames[group]
		return g, err
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("count figures: %w", err)
	}
	return out, nil
}

// chinaDay is the China-time date a tally row is kept under.
func chinaDay(t time.Time) string {
	return t.In(mashang.China).Format(time.DateOnly)
}

// The month of a row is worked out by the database from its day, in one
// expression whatever the period: one term per month made a query of the
// years 0001–9999 a hundred thousand terms long.

// talliesWithin is the condition on a tally t (joined to its station s)
// that keeps it within reach and [from, to), with its arguments. to is
// exclusive: a period that ends at midnight ends the day before, one that
// ends now includes today.
func talliesWithin(r mashang.Reach, from, to time.Time) (string, []any) {
	where, args := "1 = 1", []any(nil)
	if r.StationID != 0 {
		where, args = "t.station_id = ?", []any{r.StationID}
	} else if !r.All {
		where, args = reachCondition(r)
	}
	return where + " AND t.day >= ? AND t.day <= ?", append(args, chinaDay(from), chinaDay(to.Add(-time.Nanosecond)))
}

func figuresFromTallies(r mashang.Reach, from, to time.Time) (string, []any) {
	where, args := talliesWithin(r, from, to)
	// day is YYYY-MM-DD (SQLite's TEXT, MySQL's DATE read as text): its
	// first seven characters are the month.
	return `
		SELECT t.station_id, t.group_id, t.category, SUBSTR(t.day, 1, 7) AS month,
		       SUM(t.collected), SUM(t.answered), SUM(t.closed), SUM(t.on_time), SUM(t.late), SUM(t.rated), SUM(t.satisfied)
		FROM case_tallies t JOIN stations s ON s.id = t.station_id
		WHERE ` + where + `
		GROUP BY t.station_id, t.group_id, t.category, month
		HAVING SUM(t.collected) > 0`, args
}

func (db *DB) figuresFromCases(r mashang.Reach, from, to, now time.Time) (string, []any) {
	where, reachArgs := reachCondition(r)
	args := append(append([]any{now.UTC()}, reachArgs...), from.UTC(), to.UTC())
	month := db.dialect.chinaMonth("c.created_at")
	return `
		SELECT c.station_id, COALESCE(c.group_id, 0), c.category, ` + month + ` AS month,
		       COUNT(*),
		       SUM(CASE WHEN c.answered_at IS NOT NULL THEN 1 ELSE 0 END),
		       SUM(CASE WHEN c.closed_at IS NOT NULL THEN 1 ELSE 0 END),
		       SUM(CASE WHEN c.closed_at IS NOT NULL AND (c.deadline IS NULL OR c.closed_at <= c.deadline) THEN 1 ELSE 0 END),
		       SUM(CASE WHEN (c.closed_at IS NOT NULL AND c.closed_at > c.deadline) OR (c.closed_at IS NULL AND c.deadline < ?) THEN 1 ELSE 0 END),
		       SUM(CASE WHEN c.rating <> '' THEN 1 ELSE 0 END),
		       SUM(CASE WHEN c.rating IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END)
		FROM cases c JOIN stations s ON s.id = c.station_id
		WHERE ` + where + ` AND c.created_at >= ? AND c.created_at < ?
		GROUP BY c.station_id, COALESCE(c.group_id, 0), c.category, ` + month, args
}

// DepartmentFigures counts, per department, the cases within reach handed
// over in [from, to): on time and late as FigureGroups counts them, rated
// and satisfied, and re-handled (reopened after the hand-over). It adds up
// the daily tallies the triggers of migration 00035 keep; a department
// handler's reach is counted from the cases themselves, as FigureGroups does.
func (db *DB) DepartmentFigures(ctx context.Context, r mashang.Reach, from, to, now time.Time) ([]mashang.DepartmentTally, error) {
	if r.DepartmentID != 0 {
		return db.RecountDepartmentFigures(ctx, r, from, to, now)
	}
	where, args := talliesWithin(r, from, to)
	return db.departmentFigures(ctx, `
		SELECT dp.id, dp.name, SUM(t.handed), SUM(t.on_time), SUM(t.late), SUM(t.rated), SUM(t.satisfied), SUM(t.rehandled)
		FROM department_tallies t JOIN stations s ON s.id = t.station_id JOIN departments dp ON dp.id = t.department_id
		WHERE `+where+`
		GROUP BY dp.id, dp.name
		HAVING SUM(t.handed) > 0
		ORDER BY SUM(t.handed) DESC, dp.name`, args, r, from, to, now)
}

// RecountDepartmentFigures is DepartmentFigures counted from the cases
// themselves, "open past the deadline" judged at now: exact, slow on a
// city's whole history; it is how the tallies are checked.
func (db *DB) RecountDepartmentFigures(ctx context.Context, r mashang.Reach, from, to, now time.Time) ([]mashang.DepartmentTally, error) {
	where, reachArgs := reachCondition(r)
	args := append(append([]any{now.UTC()}, reachArgs...), from.UTC(), to.UTC())
	return db.departmentFigures(ctx, `
		SELECT dp.id, dp.name, COUNT(*),
		       SUM(CASE WHEN c.closed_at IS NOT NULL AND (c.deadline IS NULL OR c.closed_at <= c.deadline) THEN 1 ELSE 0 END),
		       SUM(CASE WHEN (c.closed_at IS NOT NULL AND c.closed_at > c.deadline) OR (c.closed_at IS NULL AND c.deadline < ?) THEN 1 ELSE 0 END),
		       SUM(CASE WHEN c.rating <> '' THEN 1 ELSE 0 END),
		       SUM(CASE WHEN c.rating IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END),
		       SUM(c.rehandled)
		FROM cases c JOIN stations s ON s.id = c.station_id JOIN departments dp ON dp.id = c.department_id
		WHERE `+where+` AND c.handed_at >= ? AND c.handed_at < ?
		GROUP BY dp.id, dp.name
		ORDER BY COUNT(*) DESC, dp.name`, args, r, from, to, now)
}

// departmentFigures reads the lead departments' figures by query, then adds
// each department's acknowledgements (acknowledgements).
func (db *DB) departmentFigures(ctx context.Context, query string, args []any, r mashang.Reach, from, to, now time.Time) ([]mashang.DepartmentTally, error) {
	out, err := scanAll(ctx, db.heavy(ctx), func(row scanner) (mashang.DepartmentTally, error) {
		var d mashang.DepartmentTally
		return d, row.Scan(&d.DepartmentID, &d.Department, &d.Handed, &d.OnTime, &d.Late, &d.Rated, &d.Satisfied, &d.Reopened)
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("count department figures: %w", err)
	}
	return db.acknowledgements(ctx, r, from, to, now, out)
}

// acknowledgements adds to the lead departments' figures how each
// department acknowledged (签收) what was handed to it in [from, to), as
// lead and as co-handler, counted from the hand-overs themselves
// (case_departments: one row a department and hand-over, far fewer than
// the cases); a department that only co-handled gets a line of its own,
// after the lead ones. On time is acknowledged by ack_due; measured is
// acknowledged, or past ack_due at now.
func (db *DB) acknowledgements(ctx context.Context, r mashang.Reach, from, to, now time.Time, lead []mashang.DepartmentTally) ([]mashang.DepartmentTally, error) {
	type acks struct {
		id                     int64
		name                   string
		lead                   bool
		handed, onTime, judged int
	}
	where, reachArgs := reachCondition(r)
	args := append(append([]any{now.UTC()}, reachArgs...), from.UTC(), to.UTC())
	rows, err := scanAll(ctx, db.heavy(ctx), func(row scanner) (acks, error) {
		var a acks
		return a, row.Scan(&a.id, &a.name, &a.lead, &a.handed, &a.onTime, &a.judged)
	}, `
		SELECT dp.id, dp.name, cd.lead, COUNT(*),
		       SUM(CASE WHEN cd.ack_due IS NOT NULL AND cd.acknowledged_at IS NOT NULL AND cd.acknowledged_at <= cd.ack_due THEN 1 ELSE 0 END),
		       SUM(CASE WHEN cd.ack_due IS NOT NULL AND (cd.acknowledged_at IS NOT NULL OR cd.ack_due < ?) THEN 1 ELSE 0 END)
		FROM case_departments cd JOIN cases c ON c.id = cd.case_id JOIN stations s ON s.id = c.station_id
		JOIN departments dp ON dp.id = cd.department_id
		WHERE `+where+` AND cd.handed_at >= ? AND cd.handed_at < ?
		GROUP BY dp.id, dp.name, cd.lead
		ORDER BY cd.lead DESC, COUNT(*) DESC, dp.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("count acknowledgements: %w", err)
	}
	at := make(map[int64]int, len(lead))
	for i, d := range lead {
		at[d.DepartmentID] = i
	}
	for _, a := range rows {
		i, ok := at[a.id]
		if !ok {
			lead = append(lead, mashang.DepartmentTally{DepartmentID: a.id, Department: a.name})
			i = len(lead) - 1
			at[a.id] = i
		}
		d := &lead[i]
		if a.lead {
			d.AckOnTime, d.AckDue = a.onTime, a.judged
		} else {
			d.CoHanded, d.CoAckOnTime, d.CoAckDue = a.handed, a.onTime, a.judged
		}
	}
	return lead, nil
}

// ProblemList is the problem list (问题建议清单): the cases within reach
// that match f and were handed to a department (f.DepartmentID: that one
// as lead), oldest first, with deadline and the lead department's name.
func (db *DB) ProblemList(ctx context.Context, r mashang.Reach, f mashang.CaseFilter) ([]mashang.Problem, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	where, args := filterCondition(db.dialect, r, f)
	out, err := scanAll(ctx, db.heavy(ctx), func(row scanner) (mashang.Problem, error) {
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
		WHERE `+where+` ORDER BY c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read problem list: %w", err)
	}
	return out, nil
}

// Departments are every department (承办单位) with its jurisdiction's
// path, for naming one as the console's forms do.
func (db *DB) Departments(ctx context.Context) ([]mashang.Department, error) {
	paths, err := db.jurisdictionPaths(ctx)
	if err != nil {
		return nil, err
	}
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.Department, error) {
		var d mashang.Department
		var jurisdiction sql.NullInt64
		err := row.Scan(&d.ID, &d.Name, &jurisdiction)
		d.Path = strings.Join(paths[jurisdiction.Int64], "/")
		return d, err
	}, `SELECT id, name, jurisdiction_id FROM departments ORDER BY jurisdiction_id, name`)
	if err != nil {
		return nil, fmt.Errorf("read departments: %w", err)
	}
	return out, nil
}

// names reads an id → name table.
func (db *DB) names(ctx context.Context, query string) (map[int64]string, error) {
	type pair struct {
		id   int64
		name string
	}
	pairs, err := scanAll(ctx, db.heavy(ctx), func(row scanner) (pair, error) {
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
