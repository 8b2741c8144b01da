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

// ReachOf works out what a staff account may see: for a jurisdiction's
// staff, that jurisdiction and every one under it.
func (db *DB) ReachOf(ctx context.Context, u mashang.StaffUser) (mashang.Reach, error) {
	switch u.Role {
	case mashang.RoleAdmin:
		return mashang.Reach{All: true}, nil
	case mashang.RoleSecretary:
		return mashang.Reach{StationID: u.StationID}, nil
	case mashang.RoleHandler:
		return mashang.Reach{DepartmentID: u.DepartmentID}, nil
	case mashang.RoleStaff:
		ids, frontier := []int64{u.JurisdictionID}, []int64{u.JurisdictionID}
		for len(frontier) > 0 && len(ids) < 100_000 {
			args := make([]any, len(frontier))
			for i, id := range frontier {
				args[i] = id
			}
			children, err := scanAll(ctx, db.db, func(row scanner) (int64, error) {
				var id int64
				return id, row.Scan(&id)
			}, `SELECT id FROM jurisdictions WHERE parent_id IN (?`+strings.Repeat(", ?", len(frontier)-1)+`)`, args...)
			if err != nil {
				return mashang.Reach{}, fmt.Errorf("read jurisdictions: %w", err)
			}
			ids, frontier = append(ids, children...), children
		}
		return mashang.Reach{JurisdictionIDs: ids}, nil
	}
	return mashang.Reach{}, mashang.Errorf(mashang.EFORBIDDEN, "role %q reaches nothing", u.Role)
}

// reachCondition is the SQL that keeps a query to what r may see, with its
// arguments; it names the cases table c and the stations table s.
func reachCondition(r mashang.Reach) (string, []any) {
	switch {
	case r.All:
		return "1 = 1", nil
	case r.StationID != 0:
		return "c.station_id = ?", []any{r.StationID}
	case r.DepartmentID != 0:
		// The lead and the co-handling departments alike.
		return "c.id IN (SELECT cd.case_id FROM case_departments cd WHERE cd.department_id = ?)", []any{r.DepartmentID}
	case len(r.JurisdictionIDs) > 0:
		args := make([]any, len(r.JurisdictionIDs))
		for i, id := range r.JurisdictionIDs {
			args[i] = id
		}
		// The unary + keeps SQLite from starting at the stations of the
		// reach (their index, 00054) and then sorting every case of a city
		// for a page of 50: 180 ms a page at a million cases, against
		// 0.3 ms walking the cases newest first (SQLite documents + as the
		// way to keep a term off an index). MySQL's parser drops it; its
		// order is set by casesFirst.
		return "+s.jurisdiction_id IN (?" + strings.Repeat(", ?", len(args)-1) + ")", args
	}
	return "1 = 0", nil
}

// filterCondition is the WHERE of the cases within reach that match f
// (all but its paging), over cases c joined to stations s: the inbox and
// the problem list select alike.
func filterCondition(d dialect, r mashang.Reach, f mashang.CaseFilter) (string, []any) {
	where, args := reachCondition(r)
	if f.Status != "" {
		where += " AND c.status = ?"
		args = append(args, f.Status)
	}
	if f.StationCode != "" {
		where += " AND s.code = ?"
		args = append(args, f.StationCode)
	}
	for _, cond := range []struct {
		value, sql string
	}{{f.Colour, "c.colour = ?"}, {f.Group, "c.group_id IN (SELECT id FROM deputy_groups WHERE name = ?)"},
		{f.Category, "c.category = ?"}} {
		if cond.value != "" {
			where += " AND " + cond.sql
			args = append(args, cond.value)
		}
	}
	if day, err := time.ParseInLocation("2006-01-02", f.From, mashang.China); err == nil {
		where += " AND c.created_at >= ?"
		args = append(args, day.UTC())
	}
	if day, err := time.ParseInLocation("2006-01-02", f.To, mashang.China); err == nil {
		where += " AND c.created_at < ?"
		args = append(args, day.AddDate(0, 0, 1).UTC())
	}
	if f.Text != "" {
		cond, condArgs := searchCondition(d, f.Text)
		where += " AND " + cond
		args = append(args, condArgs...)
	}
	if f.Untaken {
		where += " AND " + untakenCase
	}
	if f.DepartmentID != 0 {
		where += " AND c.department_id = ?"
		args = append(args, f.DepartmentID)
	}
	return where, args
}

// ConsoleCases lists the cases within reach that match f, newest first.
func (db *DB) ConsoleCases(ctx context.Context, r mashang.Reach, f mashang.CaseFilter) ([]mashang.Case, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := db.heavy(ctx) // the inbox and its search: a replica's, if there is one
	ids, err := db.searchPage(ctx, q, r, f, limit)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	return collectCases(q.QueryContext(ctx, `SELECT `+caseColumns+caseFrom+`
		WHERE c.id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) ORDER BY c.id DESC`, ids...))
}

// consolePageIDs reads the IDs of a page of the cases within reach that
// match f, newest first, by a narrow query — MySQL, asked for every column
// at once, joins station by station and sorts a million rows; the caller
// reads their rows. d decides how a text is searched; with the text
// index the planner is left to start from the cases the index found.
func (db *DB) consolePageIDs(ctx context.Context, q sqlQuerier, d dialect, r mashang.Reach, f mashang.CaseFilter, limit int) ([]any, error) {
	query, args := db.pageIDsQuery(d, r, f, limit)
	return scanAll(ctx, q, func(row scanner) (any, error) {
		var id int64
		return id, row.Scan(&id)
	}, query, args...)
}

// pageIDsQuery is consolePageIDs' statement and its arguments.
func (db *DB) pageIDsQuery(d dialect, r mashang.Reach, f mashang.CaseFilter, limit int) (string, []any) {
	where, args := filterCondition(d, r, f)
	first := db.dialect.casesFirst()
	if index, _ := d.textIndex(f.Text); f.Text != "" && index != "" {
		first = ""
	}
	if f.Before > 0 {
		where += " AND c.id < ?"
		args = append(args, f.Before)
	}
	return `SELECT ` + first + `c.id FROM cases c JOIN stations s ON s.id = c.station_id
		WHERE ` + where + ` ORDER BY c.id DESC LIMIT ?`, append(args, limit)
}

// ConsoleCase reads one case within reach with its timeline and photos;
// one outside it is not found, as if it did not exist.
func (db *DB) ConsoleCase(ctx context.Context, r mashang.Reach, number string) (mashang.Case, []CaseEvent, []mashang.Upload, error) {
	where, args := reachCondition(r)
	c, err := scanCase(db.db.QueryRowContext(ctx, `SELECT `+caseColumns+caseFrom+` WHERE c.number = ? AND `+where,
		append([]any{number}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil, nil, mashang.NotFound("问题")
	}
	if err != nil {
		return c, nil, nil, fmt.Errorf("find case: %w", err)
	}
	events, err := db.CaseEvents(ctx, c.ID)
	if err != nil {
		return c, nil, nil, err
	}
	photos, err := db.CasePhotos(ctx, c.ID)
	return c, events, photos, err
}

// StationsWithin lists the stations within reach, for the inbox's filter.
func (db *DB) StationsWithin(ctx context.Context, r mashang.Reach) ([]mashang.Station, error) {
	where, args := reachCondition(r)
	within := `SELECT s.id FROM stations s WHERE ` + strings.ReplaceAll(where, "c.station_id", "s.id")
	if r.DepartmentID != 0 { // a department reaches cases, not stations: those its cases came from
		within = `SELECT c.station_id FROM cases c JOIN stations s ON s.id = c.station_id WHERE ` + where
	}
	return listStations(ctx, db.db, `SELECT `+stationColumns+` FROM stations WHERE id IN (`+within+`) ORDER BY code`, args...)
}

// StationGroupNames lists a station's groups, for re-routing.
func (db *DB) StationGroupNames(ctx context.Context, stationID int64) ([]string, error) {
	out, err := scanAll(ctx, db.db, func(row scanner) (string, error) {
		var name string
		return name, row.Scan(&name)
	}, `SELECT name FROM deputy_groups WHERE station_id = ? ORDER BY id`, stationID)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return out, nil
}

// untakenCase is an open case coloured because nobody took it by its
// first-response deadline (the sweep colours it; taking it sets taken_at).
const untakenCase = `(c.closed_at IS NULL AND c.taken_at IS NULL AND c.first_response_due IS NOT NULL AND c.colour <> 'green')`

// SupervisionBoard counts the open cases within reach by station and
// colour, and those of them nobody took in time.
func (db *DB) SupervisionBoard(ctx context.Context, r mashang.Reach) ([]mashang.BoardRow, error) {
	where, args := reachCondition(r)
	type count struct {
		code, name, colour string
		n, untaken         int
	}
	counts, err := scanAll(ctx, db.db, func(row scanner) (count, error) {
		var c count
		return c, row.Scan(&c.code, &c.name, &c.colour, &c.n, &c.untaken)
	}, `SELECT s.code, s.name, c.colour, COUNT(*), SUM(CASE WHEN `+untakenCase+` THEN 1 ELSE 0 END)
		FROM cases c JOIN stations s ON s.id = c.station_id
		WHERE `+where+` AND c.closed_at IS NULL GROUP BY s.code, s.name, c.colour ORDER BY s.code`, args...)
	if err != nil {
		return nil, fmt.Errorf("supervision board: %w", err)
	}
	var out []mashang.BoardRow
	for _, c := range counts {
		if len(out) == 0 || out[len(out)-1].StationCode != c.code {
			out = append(out, mashang.BoardRow{StationCode: c.code, StationName: c.name})
		}
		row := &out[len(out)-1]
		row.Untaken += c.untaken
		switch c.colour {
		case mashang.ColourRed:
			row.Red += c.n
		case mashang.ColourYellow:
			row.Yellow += c.n
		default:
			row.Green += c.n
		}
	}
	return out, nil
}

// CaseMessages lists what the citizen sent into a case through the
// Official Account, oldest first.
func (db *DB) CaseMessages(ctx context.Context, caseID int64) ([]mashang.CaseMessage, error) {
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.CaseMessage, error) {
		var m mashang.CaseMessage
		var lat, lng sql.NullFloat64
		err := row.Scan(&m.ID, &m.Type, &m.Text, &m.Recognition, &m.MediaPath, &m.MediaError, &lat, &lng, &m.Label, &m.At)
		if lat.Valid && lng.Valid {
			m.Latitude, m.Longitude = &lat.Float64, &lng.Float64
		}
		return m, err
	}, `SELECT id, msg_type, content, recognition, media_path, media_error, location_x, location_y, label, created_at
		FROM inbound_messages WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("read the case's messages: %w", err)
	}
	return out, nil
}
