package store

import (
	"context"
	"fmt"

	"mashang"
)

// StationPage reads a station's public page.
func (db *DB) StationPage(ctx context.Context, code string) (mashang.StationPage, error) {
	st, err := stationByCode(ctx, db.db, code)
	if err != nil {
		return mashang.StationPage{}, err
	}
	page := mashang.StationPage{Station: st}
	rows, err := db.db.QueryContext(ctx, `
		SELECT d.code, d.name, d.level, COALESCE(d.profile, ''), d.in_office
		FROM deputy_stations ds JOIN deputies d ON d.id = ds.deputy_id
		WHERE ds.station_id = ? AND d.in_office = ?
		ORDER BY d.code`, st.ID, true)
	if err != nil {
		return mashang.StationPage{}, fmt.Errorf("list station's deputies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d mashang.PublicDeputy
		if err := rows.Scan(&d.Code, &d.Name, &d.Level, &d.Profile, &d.InOffice); err != nil {
			return mashang.StationPage{}, fmt.Errorf("read deputy: %w", err)
		}
		page.Deputies = append(page.Deputies, d)
	}
	if err := rows.Err(); err != nil {
		return mashang.StationPage{}, err
	}
	groups, err := db.db.QueryContext(ctx, `
		SELECT g.id, g.name, g.is_duty, COALESCE(l.name, ''), COALESCE(c.name, '')
		FROM deputy_groups g
		LEFT JOIN deputies l ON l.id = g.leader_deputy_id
		LEFT JOIN group_categories gc ON gc.group_id = g.id
		LEFT JOIN categories c ON c.id = gc.category_id
		WHERE g.station_id = ?
		ORDER BY g.id, c.name`, st.ID)
	if err != nil {
		return mashang.StationPage{}, fmt.Errorf("list station's groups: %w", err)
	}
	defer groups.Close()
	var last int64
	for groups.Next() {
		var id int64
		var g mashang.PublicGroup
		var category string
		if err := groups.Scan(&id, &g.Name, &g.Duty, &g.Leader, &category); err != nil {
			return mashang.StationPage{}, fmt.Errorf("read group: %w", err)
		}
		if id != last {
			page.Groups = append(page.Groups, g)
			last = id
		}
		if category != "" {
			n := len(page.Groups) - 1
			page.Groups[n].Categories = append(page.Groups[n].Categories, category)
		}
	}
	return page, groups.Err()
}

// DeputyPage reads a deputy's public page.
func (db *DB) DeputyPage(ctx context.Context, code string) (mashang.DeputyPage, error) {
	d, err := deputyByCode(ctx, db.db, code)
	if err != nil {
		return mashang.DeputyPage{}, err
	}
	page := mashang.DeputyPage{PublicDeputy: mashang.PublicDeputy{Code: d.Code, Name: d.Name, Level: mashang.DeputyLevel(d.Level), InOffice: d.InOffice}}
	if err := db.db.QueryRowContext(ctx, `SELECT COALESCE(profile, '') FROM deputies WHERE id = ?`, d.ID).Scan(&page.Profile); err != nil {
		return mashang.DeputyPage{}, fmt.Errorf("read profile: %w", err)
	}
	page.Stations, err = listStations(ctx, db.db, `
		SELECT s.id, s.code, s.name, s.address, s.open, s.latitude, s.longitude, s.reception_days, COALESCE(s.reception_plan, ''), s.kind
		FROM deputy_stations ds JOIN stations s ON s.id = ds.station_id
		WHERE ds.deputy_id = ? ORDER BY s.code`, d.ID)
	return page, err
}
