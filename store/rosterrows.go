package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"mashang"
)

// RosterRows reads a roster back out of the database in the layout it is
// imported in (header first), so the console can show each record and edit
// it as a one-row roster: the same checks and the same saving as an upload.
// The deputies' roster holds their phones: for the server's use, never to be
// shown unmasked.
func (db *DB) RosterRows(ctx context.Context, kind string) ([][]string, error) {
	paths, err := db.jurisdictionPaths(ctx)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "stations":
		return db.stationRows(ctx, paths)
	case "deputies":
		return db.deputyRows(ctx)
	case "groups":
		return db.groupRows(ctx)
	case "departments":
		rows, err := scanAll(ctx, db.db, func(row scanner) ([]string, error) {
			var name string
			var jurisdiction sql.NullInt64
			err := row.Scan(&name, &jurisdiction)
			return []string{name, strings.Join(paths[jurisdiction.Int64], "/")}, err
		}, `SELECT name, jurisdiction_id FROM departments ORDER BY jurisdiction_id, name`)
		if err != nil {
			return nil, fmt.Errorf("read departments: %w", err)
		}
		return append([][]string{mashang.DepartmentHeaders()}, rows...), nil
	}
	return nil, mashang.Errorf(mashang.EINVALID, "名册类型应为 stations、deputies、groups 或 departments")
}

func (db *DB) stationRows(ctx context.Context, paths map[int64][]string) ([][]string, error) {
	rows, err := scanAll(ctx, db.db, func(row scanner) ([]string, error) {
		var code, name, kind, address, days, plan string
		var jurisdiction sql.NullInt64
		var lat, lng sql.NullFloat64
		var open bool
		err := row.Scan(&code, &name, &kind, &address, &jurisdiction, &lat, &lng, &days, &plan, &open)
		path := append(paths[jurisdiction.Int64], "", "", "")[:3]
		coordinate := func(v sql.NullFloat64) string {
			if !v.Valid {
				return ""
			}
			return strconv.FormatFloat(v.Float64, 'f', -1, 64)
		}
		status := map[bool]string{true: "开放", false: "关闭"}[open]
		return []string{code, name, kind, path[0], path[1], path[2], address, coordinate(lat), coordinate(lng), days, plan, status}, err
	}, `SELECT code, name, kind, address, jurisdiction_id, latitude, longitude, reception_days, COALESCE(reception_plan, ''), open
		FROM stations ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("read stations: %w", err)
	}
	return append([][]string{mashang.StationHeaders()}, rows...), nil
}

func (db *DB) deputyRows(ctx context.Context) ([][]string, error) {
	stations, err := db.listsByID(ctx, `
		SELECT ds.deputy_id, s.code FROM deputy_stations ds JOIN stations s ON s.id = ds.station_id ORDER BY ds.deputy_id, s.code`)
	if err != nil {
		return nil, err
	}
	groups, err := db.listsByID(ctx, `
		SELECT m.deputy_id, g.name FROM group_members m JOIN deputy_groups g ON g.id = m.group_id ORDER BY m.deputy_id, g.name`)
	if err != nil {
		return nil, err
	}
	rows, err := scanAll(ctx, db.db, func(row scanner) ([]string, error) {
		var id int64
		var code, name, level, phone, profile, home string
		var inOffice bool
		err := row.Scan(&id, &code, &name, &level, &phone, &profile, &home, &inOffice)
		// The home station first: the roster names it first.
		at := []string{home}
		for _, s := range stations[id] {
			if s != home {
				at = append(at, s)
			}
		}
		office := map[bool]string{true: "是", false: "否"}[inOffice]
		return []string{code, name, level, phone, strings.Join(at, "、"), strings.Join(groups[id], "、"), profile, office}, err
	}, `SELECT d.id, d.code, d.name, d.level, COALESCE(d.phone, ''), COALESCE(d.profile, ''), s.code, d.in_office
		FROM deputies d JOIN stations s ON s.id = d.station_id ORDER BY d.code`)
	if err != nil {
		return nil, fmt.Errorf("read deputies: %w", err)
	}
	return append([][]string{mashang.DeputyHeaders()}, rows...), nil
}

func (db *DB) groupRows(ctx context.Context) ([][]string, error) {
	categories, err := db.listsByID(ctx, `
		SELECT gc.group_id, c.name FROM group_categories gc JOIN categories c ON c.id = gc.category_id ORDER BY gc.group_id, c.name`)
	if err != nil {
		return nil, err
	}
	rows, err := scanAll(ctx, db.db, func(row scanner) ([]string, error) {
		var id int64
		var station, name, leader string
		var duty bool
		err := row.Scan(&id, &station, &name, &leader, &duty)
		return []string{station, name, strings.Join(categories[id], "、"), leader, map[bool]string{true: "是", false: "否"}[duty]}, err
	}, `SELECT g.id, s.code, g.name, COALESCE(d.code, ''), g.is_duty
		FROM deputy_groups g JOIN stations s ON s.id = g.station_id LEFT JOIN deputies d ON d.id = g.leader_deputy_id
		ORDER BY s.code, g.id`)
	if err != nil {
		return nil, fmt.Errorf("read groups: %w", err)
	}
	return append([][]string{mashang.GroupHeaders()}, rows...), nil
}

// listsByID reads (id, value) pairs into lists by id.
func (db *DB) listsByID(ctx context.Context, query string) (map[int64][]string, error) {
	type pair struct {
		id    int64
		value string
	}
	pairs, err := scanAll(ctx, db.db, func(row scanner) (pair, error) {
		var p pair
		return p, row.Scan(&p.id, &p.value)
	}, query)
	if err != nil {
		return nil, fmt.Errorf("read lists: %w", err)
	}
	out := map[int64][]string{}
	for _, p := range pairs {
		out[p.id] = append(out[p.id], p.value)
	}
	return out, nil
}
