package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"mashang"
	"mashang/roster"
)

// UpdateRoster runs fn in one write transaction (roster.Store).
func (db *DB) UpdateRoster(ctx context.Context, fn func(roster.Tx) error) error {
	return db.update(ctx, func(tx *Tx) error { return fn(tx) })
}

// jurisdictionPath finds or creates each level of path (city, district,
// town) and returns the last one's id.
func (tx *Tx) jurisdictionPath(ctx context.Context, path []string) (sql.NullInt64, error) {
	levels := []mashang.JurisdictionLevel{mashang.JurisdictionCity, mashang.JurisdictionDistrict, mashang.JurisdictionTown}
	var parent sql.NullInt64
	for i, name := range path {
		var id int64
		var err error
		if parent.Valid {
			err = tx.tx.QueryRowContext(ctx, `SELECT id FROM jurisdictions WHERE parent_id = ? AND name = ?`, parent.Int64, name).Scan(&id)
		} else {
			err = tx.tx.QueryRowContext(ctx, `SELECT id FROM jurisdictions WHERE parent_id IS NULL AND name = ?`, name).Scan(&id)
		}
		if errors.Is(err, sql.ErrNoRows) {
			res, insErr := tx.tx.ExecContext(ctx, `INSERT INTO jurisdictions (parent_id, name, level) VALUES (?, ?, ?)`,
				parent, name, string(levels[i]))
			if tx.dialect.isUniqueViolation(insErr) {
				return sql.NullInt64{}, errConflictRetry
			}
			if insErr != nil {
				return sql.NullInt64{}, fmt.Errorf("add jurisdiction %s: %w", name, insErr)
			}
			id, err = res.LastInsertId()
		}
		if err != nil {
			return sql.NullInt64{}, fmt.Errorf("find jurisdiction %s: %w", name, err)
		}
		parent = sql.NullInt64{Int64: id, Valid: true}
	}
	return parent, nil
}

// SaveStationRecord adds the station or brings it in line with r.
func (tx *Tx) SaveStationRecord(ctx context.Context, r roster.StationRecord) (roster.Change, error) {
	jurisdiction, err := tx.jurisdictionPath(ctx, r.Jurisdiction)
	if err != nil {
		return 0, err
	}
	lat, lng := nullFloat(r.Latitude), nullFloat(r.Longitude)
	var (
		id                              int64
		name, kind, address, days, plan string
		curJurisdiction                 sql.NullInt64
		curLat, curLng                  sql.NullFloat64
		open                            bool
	)
	err = tx.tx.QueryRowContext(ctx, `
		SELECT id, name, kind, address, jurisdiction_id, latitude, longitude, reception_days,
		       COALESCE(reception_plan, ''), open
		FROM stations WHERE code = ?`+tx.dialect.forUpdate(), r.Code).
		Scan(&id, &name, &kind, &address, &curJurisdiction, &curLat, &curLng, &days, &plan, &open)
	if errors.Is(err, sql.ErrNoRows) {
		_, err := tx.tx.ExecContext(ctx, `
			INSERT INTO stations (code, name, kind, address, jurisdiction_id, latitude, longitude,
			                      reception_days, reception_plan, open)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Code, r.Name, string(r.Kind), r.Address, jurisdiction, lat, lng, r.ReceptionDays, r.ReceptionPlan, r.Open)
		if tx.dialect.isUniqueViolation(err) {
			return 0, errConflictRetry
		}
		if err != nil {
			return 0, fmt.Errorf("add station: %w", err)
		}
		return roster.Created, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read station: %w", err)
	}
	if name == r.Name && kind == string(r.Kind) && address == r.Address && curJurisdiction == jurisdiction &&
		curLat == lat && curLng == lng && days == r.ReceptionDays && plan == r.ReceptionPlan && open == r.Open {
		return roster.Unchanged, nil
	}
	_, err = tx.tx.ExecContext(ctx, `
		UPDATE stations
		SET name = ?, kind = ?, address = ?, jurisdiction_id = ?, latitude = ?, longitude = ?,
		    reception_days = ?, reception_plan = ?, open = ?
		WHERE id = ?`,
		r.Name, string(r.Kind), r.Address, jurisdiction, lat, lng, r.ReceptionDays, r.ReceptionPlan, r.Open, id)
	if err != nil {
		return 0, fmt.Errorf("update station: %w", err)
	}
	return roster.Updated, nil
}

// StationCodes lists every station code.
func (tx *Tx) StationCodes(ctx context.Context) (map[string]bool, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT code FROM stations`)
	if err != nil {
		return nil, fmt.Errorf("list station codes: %w", err)
	}
	defer rows.Close()
	codes := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("read station code: %w", err)
		}
		codes[c] = true
	}
	return codes, rows.Err()
}

// SaveDeputyRecord adds the deputy or brings them in line with r: their
// fields, the stations they are grouped into, and their groups at their
// home station (the first listed).
func (tx *Tx) SaveDeputyRecord(ctx context.Context, r roster.DeputyRecord) (roster.Change, error) {
	stationIDs := make([]int64, len(r.Stations))
	for i, code := range r.Stations {
		st, err := stationByCode(ctx, txQueryer{tx}, code)
		if err != nil {
			return 0, fmt.Errorf("station %s: %w", code, err)
		}
		stationIDs[i] = st.ID
	}
	home := stationIDs[0]

	change := roster.Unchanged
	var (
		id                          int64
		name, level, phone, profile string
		curHome                     int64
		inOffice                    bool
	)
	err := tx.tx.QueryRowContext(ctx, `
		SELECT id, name, level, phone, COALESCE(profile, ''), station_id, in_office
		FROM deputies WHERE code = ?`+tx.dialect.forUpdate(), r.Code).
		Scan(&id, &name, &level, &phone, &profile, &curHome, &inOffice)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		res, err := tx.tx.ExecContext(ctx, `
			INSERT INTO deputies (code, name, level, phone, profile, station_id, in_office)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			r.Code, r.Name, string(r.Level), r.Phone, r.Profile, home, r.InOffice)
		if tx.dialect.isUniqueViolation(err) {
			return 0, errConflictRetry
		}
		if err != nil {
			return 0, fmt.Errorf("add deputy: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return 0, err
		}
		change = roster.Created
	case err != nil:
		return 0, fmt.Errorf("read deputy: %w", err)
	case name != r.Name || level != string(r.Level) || phone != r.Phone || profile != r.Profile ||
		curHome != home || inOffice != r.InOffice:
		_, err = tx.tx.ExecContext(ctx, `
			UPDATE deputies SET name = ?, level = ?, phone = ?, profile = ?, station_id = ?, in_office = ?
			WHERE id = ?`,
			r.Name, string(r.Level), r.Phone, r.Profile, home, r.InOffice, id)
		if err != nil {
			return 0, fmt.Errorf("update deputy: %w", err)
		}
		change = roster.Updated
	}

	stationsChanged, err := tx.setDeputyStations(ctx, id, stationIDs)
	if err != nil {
		return 0, err
	}
	groupsChanged, err := tx.setDeputyGroups(ctx, id, home, r.Groups)
	if err != nil {
		return 0, err
	}
	if change == roster.Unchanged && (stationsChanged || groupsChanged) {
		change = roster.Updated
	}
	return change, nil
}

func (tx *Tx) setDeputyStations(ctx context.Context, deputyID int64, want []int64) (bool, error) {
	have, err := tx.ids(ctx, `SELECT station_id FROM deputy_stations WHERE deputy_id = ?`, deputyID)
	if err != nil {
		return false, fmt.Errorf("read deputy's stations: %w", err)
	}
	if sameSet(have, want) {
		return false, nil
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM deputy_stations WHERE deputy_id = ?`, deputyID); err != nil {
		return false, fmt.Errorf("clear deputy's stations: %w", err)
	}
	for _, sid := range uniq(want) {
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO deputy_stations (deputy_id, station_id) VALUES (?, ?)`, deputyID, sid); err != nil {
			return false, fmt.Errorf("group deputy into station: %w", err)
		}
	}
	return true, nil
}

// setDeputyGroups makes the deputy a member of exactly these groups at the
// station, creating a group the first time it is named.
func (tx *Tx) setDeputyGroups(ctx context.Context, deputyID, stationID int64, names []string) (bool, error) {
	want := make([]int64, 0, len(names))
	for _, n := range names {
		var gid int64
		err := tx.tx.QueryRowContext(ctx, `SELECT id FROM deputy_groups WHERE station_id = ? AND name = ?`, stationID, n).Scan(&gid)
		if errors.Is(err, sql.ErrNoRows) {
			res, insErr := tx.tx.ExecContext(ctx, `INSERT INTO deputy_groups (station_id, name) VALUES (?, ?)`, stationID, n)
			if tx.dialect.isUniqueViolation(insErr) {
				return false, errConflictRetry
			}
			if insErr != nil {
				return false, fmt.Errorf("add group %s: %w", n, insErr)
			}
			gid, err = res.LastInsertId()
		}
		if err != nil {
			return false, fmt.Errorf("find group %s: %w", n, err)
		}
		want = append(want, gid)
	}
	have, err := tx.ids(ctx, `
		SELECT m.group_id FROM group_members m JOIN deputy_groups g ON g.id = m.group_id
		WHERE m.deputy_id = ? AND g.station_id = ?`, deputyID, stationID)
	if err != nil {
		return false, fmt.Errorf("read deputy's groups: %w", err)
	}
	if sameSet(have, want) {
		return false, nil
	}
	for _, gid := range have {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM group_members WHERE group_id = ? AND deputy_id = ?`, gid, deputyID); err != nil {
			return false, fmt.Errorf("leave group: %w", err)
		}
	}
	for _, gid := range uniq(want) {
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO group_members (group_id, deputy_id) VALUES (?, ?)`, gid, deputyID); err != nil {
			return false, fmt.Errorf("join group: %w", err)
		}
	}
	return true, nil
}

func (tx *Tx) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := tx.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func uniq(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

func sameSet(a, b []int64) bool { return slices.Equal(uniq(a), uniq(b)) }

func nullFloat(f *float64) sql.NullFloat64 {
	if f == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *f, Valid: true}
}

// RosterCounts tells how many of each roster thing are stored.
type RosterCounts struct {
	Jurisdictions, Stations, Deputies, DeputyStations, Groups, Members int
	Categories, GroupCategories, DutyGroups, Departments               int
}

// CountRoster counts the roster tables, for tests and the console.
func (db *DB) CountRoster(ctx context.Context) (RosterCounts, error) {
	var c RosterCounts
	for _, q := range []struct {
		dst   *int
		table string
	}{
		{&c.Jurisdictions, "jurisdictions"}, {&c.Stations, "stations"}, {&c.Deputies, "deputies"},
		{&c.DeputyStations, "deputy_stations"}, {&c.Groups, "deputy_groups"}, {&c.Members, "group_members"},
		{&c.Categories, "categories"}, {&c.GroupCategories, "group_categories"},
		{&c.DutyGroups, "deputy_groups WHERE is_duty = 1"}, {&c.Departments, "departments"},
	} {
		// The table names are constants above, never input.
		if err := db.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+q.table).Scan(q.dst); err != nil {
			return RosterCounts{}, fmt.Errorf("count %s: %w", q.table, err)
		}
	}
	return c, nil
}

// DeputyStationCodes maps each deputy code to the codes of the stations
// they are grouped into.
func (tx *Tx) DeputyStationCodes(ctx context.Context) (map[string]map[string]bool, error) {
	rows, err := tx.tx.QueryContext(ctx, `
		SELECT d.code, s.code
		FROM deputies d
		LEFT JOIN deputy_stations ds ON ds.deputy_id = d.id
		LEFT JOIN stations s ON s.id = ds.station_id`)
	if err != nil {
		return nil, fmt.Errorf("list deputies' stations: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]bool{}
	for rows.Next() {
		var deputy string
		var station sql.NullString
		if err := rows.Scan(&deputy, &station); err != nil {
			return nil, fmt.Errorf("read deputy's station: %w", err)
		}
		if out[deputy] == nil {
			out[deputy] = map[string]bool{}
		}
		if station.Valid {
			out[deputy][station.String] = true
		}
	}
	return out, rows.Err()
}

// SaveGroupRecord adds the group or brings it in line with r: leader, duty
// flag (one per station) and categories.
func (tx *Tx) SaveGroupRecord(ctx context.Context, r roster.GroupRecord) (roster.Change, error) {
	st, err := stationByCode(ctx, txQueryer{tx}, r.StationCode)
	if err != nil {
		return 0, err
	}
	var leader sql.NullInt64
	if r.LeaderCode != "" {
		d, err := deputyByCode(ctx, txQueryer{tx}, r.LeaderCode)
		if err != nil {
			return 0, err
		}
		leader = sql.NullInt64{Int64: d.ID, Valid: true}
	}
	change := roster.Unchanged
	var id int64
	var duty bool
	var curLeader sql.NullInt64
	err = tx.tx.QueryRowContext(ctx, `
		SELECT id, is_duty, leader_deputy_id FROM deputy_groups WHERE station_id = ? AND name = ?`+tx.dialect.forUpdate(),
		st.ID, r.Name).Scan(&id, &duty, &curLeader)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		res, err := tx.tx.ExecContext(ctx, `
			INSERT INTO deputy_groups (station_id, name, is_duty, leader_deputy_id) VALUES (?, ?, ?, ?)`,
			st.ID, r.Name, r.Duty, leader)
		if tx.dialect.isUniqueViolation(err) {
			return 0, errConflictRetry
		}
		if err != nil {
			return 0, fmt.Errorf("add group: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return 0, err
		}
		change = roster.Created
	case err != nil:
		return 0, fmt.Errorf("read group: %w", err)
	case duty != r.Duty || curLeader != leader:
		if _, err := tx.tx.ExecContext(ctx, `UPDATE deputy_groups SET is_duty = ?, leader_deputy_id = ? WHERE id = ?`,
			r.Duty, leader, id); err != nil {
			return 0, fmt.Errorf("update group: %w", err)
		}
		change = roster.Updated
	}
	if r.Duty {
		if _, err := tx.tx.ExecContext(ctx, `
			UPDATE deputy_groups SET is_duty = ? WHERE station_id = ? AND id <> ? AND is_duty = ?`,
			false, st.ID, id, true); err != nil {
			return 0, fmt.Errorf("unmark the previous duty group: %w", err)
		}
	}
	categoriesChanged, err := tx.setGroupCategories(ctx, id, r.Categories)
	if err != nil {
		return 0, err
	}
	if change == roster.Unchanged && categoriesChanged {
		change = roster.Updated
	}
	return change, nil
}

func (tx *Tx) setGroupCategories(ctx context.Context, groupID int64, names []string) (bool, error) {
	want := make([]int64, 0, len(names))
	for _, n := range names {
		var cid int64
		err := tx.tx.QueryRowContext(ctx, `SELECT id FROM categories WHERE name = ?`, n).Scan(&cid)
		if errors.Is(err, sql.ErrNoRows) {
			res, insErr := tx.tx.ExecContext(ctx, `INSERT INTO categories (name) VALUES (?)`, n)
			if tx.dialect.isUniqueViolation(insErr) {
				return false, errConflictRetry
			}
			if insErr != nil {
				return false, fmt.Errorf("add category %s: %w", n, insErr)
			}
			cid, err = res.LastInsertId()
		}
		if err != nil {
			return false, fmt.Errorf("find category %s: %w", n, err)
		}
		want = append(want, cid)
	}
	have, err := tx.ids(ctx, `SELECT category_id FROM group_categories WHERE group_id = ?`, groupID)
	if err != nil {
		return false, fmt.Errorf("read group's categories: %w", err)
	}
	if sameSet(have, want) {
		return false, nil
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM group_categories WHERE group_id = ?`, groupID); err != nil {
		return false, fmt.Errorf("clear group's categories: %w", err)
	}
	for _, cid := range uniq(want) {
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO group_categories (group_id, category_id) VALUES (?, ?)`, groupID, cid); err != nil {
			return false, fmt.Errorf("add group's category: %w", err)
		}
	}
	return true, nil
}

// SaveDepartmentRecord adds the department if it is new.
func (tx *Tx) SaveDepartmentRecord(ctx context.Context, r roster.DepartmentRecord) (roster.Change, error) {
	jurisdiction, err := tx.jurisdictionPath(ctx, r.Jurisdiction)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.tx.QueryRowContext(ctx, `SELECT id FROM departments WHERE jurisdiction_id = ? AND name = ?`, jurisdiction, r.Name).Scan(&id)
	if err == nil {
		return roster.Unchanged, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("read department: %w", err)
	}
	_, err = tx.tx.ExecContext(ctx, `INSERT INTO departments (jurisdiction_id, name) VALUES (?, ?)`, jurisdiction, r.Name)
	if tx.dialect.isUniqueViolation(err) {
		return 0, errConflictRetry
	}
	if err != nil {
		return 0, fmt.Errorf("add department: %w", err)
	}
	return roster.Created, nil
}

// SaveKeywordRecord files the keywords under the category, adding the
// category if it is new.
func (tx *Tx) SaveKeywordRecord(ctx context.Context, r roster.KeywordRecord) (roster.Change, error) {
	var station sql.NullInt64
	if r.StationCode != "" {
		st, err := stationByCode(ctx, txQueryer{tx}, r.StationCode)
		if err != nil {
			return 0, err
		}
		station = sql.NullInt64{Int64: st.ID, Valid: true}
	}
	var categoryID int64
	err := tx.tx.QueryRowContext(ctx, `SELECT id FROM categories WHERE name = ?`, r.Category).Scan(&categoryID)
	if errors.Is(err, sql.ErrNoRows) {
		res, insErr := tx.tx.ExecContext(ctx, `INSERT INTO categories (name) VALUES (?)`, r.Category)
		if tx.dialect.isUniqueViolation(insErr) {
			return 0, errConflictRetry
		}
		if insErr != nil {
			return 0, fmt.Errorf("add category: %w", insErr)
		}
		categoryID, err = res.LastInsertId()
	}
	if err != nil {
		return 0, fmt.Errorf("find category: %w", err)
	}
	change := roster.Unchanged
	for _, k := range r.Keywords {
		var n int
		if err := tx.tx.QueryRowContext(ctx, `
			SELECT COUNT(*) FROM category_keywords
			WHERE category_id = ? AND keyword = ? AND COALESCE(station_id, 0) = ?`,
			categoryID, k, station.Int64).Scan(&n); err != nil {
			return 0, fmt.Errorf("read keyword: %w", err)
		}
		if n > 0 {
			continue
		}
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO category_keywords (station_id, category_id, keyword) VALUES (?, ?, ?)`,
			station, categoryID, k)
		if tx.dialect.isUniqueViolation(err) {
			return 0, errConflictRetry
		}
		if err != nil {
			return 0, fmt.Errorf("add keyword: %w", err)
		}
		change = roster.Created
	}
	return change, nil
}
