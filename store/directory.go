package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"mashang"
)

// StationByCode finds a station by its code.
func (tx *Tx) StationByCode(ctx context.Context, code string) (mashang.Station, error) {
	return stationByCode(ctx, txQueryer{tx}, code)
}

// DeputyByCode finds a deputy by their code, with their station's name.
func (tx *Tx) DeputyByCode(ctx context.Context, code string) (mashang.Deputy, error) {
	return deputyByCode(ctx, txQueryer{tx}, code)
}

// txQueryer lets the shared readers use the transaction's prepared statements.
type txQueryer struct{ tx *Tx }

func (q txQueryer) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return q.tx.queryRow(ctx, query, args...)
}

// StationByCode finds a station by its code, outside any transaction.
func (db *DB) StationByCode(ctx context.Context, code string) (mashang.Station, error) {
	return stationByCode(ctx, db.db, code)
}

// Stations lists every station by code.
func (db *DB) Stations(ctx context.Context) ([]mashang.Station, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, code, name, address FROM stations ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("list stations: %w", err)
	}
	defer rows.Close()
	var out []mashang.Station
	for rows.Next() {
		var s mashang.Station
		if err := rows.Scan(&s.ID, &s.Code, &s.Name, &s.Address); err != nil {
			return nil, fmt.Errorf("read station: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Deputies lists every deputy by code, with their station.
func (db *DB) Deputies(ctx context.Context) ([]mashang.Deputy, error) {
	rows, err := db.db.QueryContext(ctx, `
		SELECT d.id, d.code, d.name, d.level, s.code, s.name
		FROM deputies d JOIN stations s ON s.id = d.station_id
		ORDER BY d.code`)
	if err != nil {
		return nil, fmt.Errorf("list deputies: %w", err)
	}
	defer rows.Close()
	var out []mashang.Deputy
	for rows.Next() {
		var d mashang.Deputy
		if err := rows.Scan(&d.ID, &d.Code, &d.Name, &d.Level, &d.StationCode, &d.StationName); err != nil {
			return nil, fmt.Errorf("read deputy: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const selectStation = `SELECT id, code, name, address FROM stations WHERE code = ?`

const selectDeputy = `
	SELECT d.id, d.code, d.name, d.level, s.code, s.name
	FROM deputies d JOIN stations s ON s.id = d.station_id
	WHERE d.code = ?`

func stationByCode(ctx context.Context, q queryer, code string) (mashang.Station, error) {
	var s mashang.Station
	err := q.QueryRowContext(ctx, selectStation, code).
		Scan(&s.ID, &s.Code, &s.Name, &s.Address)
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.Station{}, mashang.NotFound("联络站")
	}
	if err != nil {
		return mashang.Station{}, fmt.Errorf("read station %s: %w", code, err)
	}
	return s, nil
}

func deputyByCode(ctx context.Context, q queryer, code string) (mashang.Deputy, error) {
	var d mashang.Deputy
	err := q.QueryRowContext(ctx, selectDeputy, code).
		Scan(&d.ID, &d.Code, &d.Name, &d.Level, &d.StationCode, &d.StationName)
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.Deputy{}, mashang.NotFound("代表")
	}
	if err != nil {
		return mashang.Deputy{}, fmt.Errorf("read deputy %s: %w", code, err)
	}
	return d, nil
}

// SaveStation inserts a station, or updates the one with the same code.
func (tx *Tx) SaveStation(ctx context.Context, s mashang.Station) (int64, error) {
	existing, err := stationByCode(ctx, tx.tx, s.Code)
	switch {
	case err == nil:
		_, err = tx.tx.ExecContext(ctx, `UPDATE stations SET name = ?, address = ? WHERE id = ?`, s.Name, s.Address, existing.ID)
		if err != nil {
			return 0, fmt.Errorf("update station %s: %w", s.Code, err)
		}
		return existing.ID, nil
	case errors.Is(err, mashang.ErrNotFound):
		res, err := tx.tx.ExecContext(ctx, `INSERT INTO stations (code, name, address) VALUES (?, ?, ?)`, s.Code, s.Name, s.Address)
		if tx.dialect.isUniqueViolation(err) {
			return 0, errConflictRetry
		}
		if err != nil {
			return 0, fmt.Errorf("insert station %s: %w", s.Code, err)
		}
		return res.LastInsertId()
	default:
		return 0, err
	}
}

// SaveDeputy inserts a deputy, or updates the one with the same code.
func (tx *Tx) SaveDeputy(ctx context.Context, d mashang.Deputy) error {
	st, err := stationByCode(ctx, tx.tx, d.StationCode)
	if err != nil {
		return fmt.Errorf("deputy %s: %w", d.Code, err)
	}
	_, err = deputyByCode(ctx, tx.tx, d.Code)
	switch {
	case err == nil:
		_, err = tx.tx.ExecContext(ctx, `UPDATE deputies SET name = ?, level = ?, station_id = ? WHERE code = ?`,
			d.Name, d.Level, st.ID, d.Code)
	case errors.Is(err, mashang.ErrNotFound):
		_, err = tx.tx.ExecContext(ctx, `INSERT INTO deputies (code, name, level, station_id) VALUES (?, ?, ?, ?)`,
			d.Code, d.Name, d.Level, st.ID)
		if tx.dialect.isUniqueViolation(err) {
			return errConflictRetry
		}
	}
	if err != nil {
		return fmt.Errorf("save deputy %s: %w", d.Code, err)
	}
	return nil
}

// SeedDemo loads a few stations and deputies so a newcomer has codes to
// scan. Loading it again changes nothing.
func (db *DB) SeedDemo(ctx context.Context) error {
	return db.update(ctx, func(tx *Tx) error {
		for _, s := range demoStations {
			if _, err := tx.SaveStation(ctx, s); err != nil {
				return err
			}
		}
		for _, d := range demoDeputies {
			if err := tx.SaveDeputy(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
}

// The demo people and places are invented; the shape follows the articles.
var demoStations = []mashang.Station{
	{Code: "demo-bdg", Name: "市南区八大关街道人大代表联络站", Address: "青岛市市南区居庸关路10号"},
	{Code: "demo-xhw", Name: "西海岸新区薛家岛街道代表之家", Address: "青岛市黄岛区薛家岛街道漓江东路18号"},
	{Code: "demo-lsh", Name: "崂山区沙子口街道人大代表联络点", Address: "青岛市崂山区沙子口街道南九水路3号"},
}

var demoDeputies = []mashang.Deputy{
	{Code: "demo-d01", Name: "王海燕", Level: "市", StationCode: "demo-bdg"},
	{Code: "demo-d02", Name: "李建国", Level: "区", StationCode: "demo-bdg"},
	{Code: "demo-d03", Name: "张晓梅", Level: "区", StationCode: "demo-xhw"},
	{Code: "demo-d04", Name: "刘志强", Level: "镇(街道)", StationCode: "demo-xhw"},
	{Code: "demo-d05", Name: "陈秀兰", Level: "市", StationCode: "demo-lsh"},
	{Code: "demo-d06", Name: "赵卫东", Level: "区", StationCode: "demo-lsh"},
}
