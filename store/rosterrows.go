package store

import (
	"context"
	"database/sql"
	"fmt"

	"mashang"
	"mashang/roster"
)

// RosterRows reads a roster back out of the database in the layout it is
// imported in (header first, roster.StationRows and the like), so the
// console can show each record and edit it as a one-row roster: the same
// checks and the same saving as an upload. The deputies' roster holds their
// phones: for the server's use, never to be shown unmasked.
func (db *DB) RosterRows(ctx context.Context, kind string) ([][]string, error) {
	paths, err := db.jurisdictionPaths(ctx)
	if err != nil {
		return nil, err
	}
	switch kind {
	case roster.Stations.Kind:
		records, err := db.stationRecords(ctx, paths)
		return roster.StationRows(records), err
	case roster.Deputies.Kind:
		records, err := db.deputyRecords(ctx)
		return roster.DeputyRows(records), err
	case roster.Groups.Kind:
		records, err := db.groupRecords(ctx)
		return roster.GroupRows(records), err
	case roster.Departments.Kind:
		records, err := scanAll(ctx, db.db, func(row scanner) (roster.DepartmentRecord, error) {
			var r roster.DepartmentRecord
			var jurisdiction sql.NullInt64
			err := row.Scan(&r.Name, &jurisdiction)
			r.Jurisdiction = paths[jurisdiction.Int64]
			return r, err
		}, `SELECT name, jurisdiction_id FROM departments ORDER BY jurisdiction_id, name`)
		if err != nil {
			return nil, fmt.Errorf("read departments: %w", err)
		}
		return roster.DepartmentRows(records), nil
	}
	return nil, mashang.Errorf(mashang.EINVALID, "名册类型应为 stations、deputies、groups 或 departments")
}

func (db *DB) stationRecords(ctx context.Context, paths map[int64][]string) ([]roster.StationRecord, error) {
	records, err := scanAll(ctx, db.db, func(row scanner) (roster.StationRecord, error) {
		var r roster.StationRecord
		var jurisdiction sql.NullInt64
		var lat, lng sql.NullFloat64
		err := row.Scan(&r.Code, &r.Name, &r.Kind, &r.Address, &jurisdiction, &lat, &lng, &r.ReceptionDays, &r.ReceptionPlan, &r.Open)
		r.Jurisdiction = paths[jurisdiction.Int64]
		if lat.Valid {
			r.Latitude = &lat.Float64
		}
		if lng.Valid {
			r.Longitude = &lng.Float64
		}
		return r, err
	}, `SELECT code, name, kind, address, jurisdiction_id, latitude, longitude, reception_days, COALESCE(reception_plan, ''), open
		FROM stations ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("read stations: %w", err)
	}
	return records, nil
}

func (db *DB) deputyRecords(ctx context.Context) ([]roster.DeputyRecord, error) {
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
	records, err := scanAll(ctx, db.db, func(row scanner) (roster.DeputyRecord, error) {
		var r roster.DeputyRecord
		var id int64
		var home string
		err := row.Scan(&id, &r.Code, &r.Name, &r.Level, &r.Phone, &r.Profile, &home, &r.InOffice)
		// The home station first: the roster names it first.
		r.Stations = []string{home}
		for _, s := range stations[id] {
			if s != home {
				r.Stations = append(r.Stations, s)
			}
		}
		r.Groups = groups[id]
		return r, err
	}, `SELECT d.id, d.code, d.name, d.level, COALESCE(d.phone, ''), COALESCE(d.profile, ''), s.code, d.in_office
		FROM deputies d JOIN stations s ON s.id = d.station_id ORDER BY d.code`)
	if err != nil {
		return nil, fmt.Errorf("read deputies: %w", err)
	}
	return records, nil
}

func (db *DB) groupRecords(ctx context.Context) ([]roster.GroupRecord, error) {
	categories, err := db.listsByID(ctx, `
		SELECT gc.group_id, c.name FROM group_categories gc JOIN categories c ON c.id = gc.category_id ORDER BY gc.group_id, c.name`)
	if err != nil {
		return nil, err
	}
	records, err := scanAll(ctx, db.db, func(row scanner) (roster.GroupRecord, error) {
		var r roster.GroupRecord
		var id int64
		err := row.Scan(&id, &r.StationCode, &r.Name, &r.LeaderCode, &r.Duty)
		r.Categories = categories[id]
		return r, err
	}, `SELECT g.id, s.code, g.name, COALESCE(d.code, ''), g.is_duty
		FROM deputy_groups g JOIN stations s ON s.id = g.station_id LEFT JOIN deputies d ON d.id = g.leader_deputy_id
		ORDER BY s.code, g.id`)
	if err != nil {
		return nil, fmt.Errorf("read groups: %w", err)
	}
	return records, nil
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
