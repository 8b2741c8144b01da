package store

import (
	"context"
	"database/sql"
	"fmt"

	"mashang"
)

// CityStations lists the stations of the station's city with their
// jurisdictions' paths, by code (mashang.RerouteStore): those whose
// jurisdiction lies under the same root, or, for a station without one,
// the others without one. A province holds thousands of stations; a city
// a few hundred, read by the index on jurisdiction_id.
func (db *DB) CityStations(ctx context.Context, stationID int64) ([]mashang.PlacedStation, error) {
	return cityStations(ctx, db.db, stationID)
}

// CityStations is the same in a transaction (mashang.RerouteTx).
func (tx *Tx) CityStations(ctx context.Context, stationID int64) ([]mashang.PlacedStation, error) {
	return cityStations(ctx, tx.tx, stationID)
}

// cityJurisdictions walks up from the station's jurisdiction to its root,
// then down to every jurisdiction under it. UNION, not UNION ALL: a loop
// in the data ends the walk instead of hanging it.
const cityJurisdictions = `
	WITH RECURSIVE up (id, parent_id) AS (
		SELECT j.id, j.parent_id FROM stations s JOIN jurisdictions j ON j.id = s.jurisdiction_id WHERE s.id = ?
		UNION
		SELECT j.id, j.parent_id FROM jurisdictions j JOIN up ON j.id = up.parent_id
	), city (id, parent_id, name) AS (
		SELECT j.id, j.parent_id, j.name FROM jurisdictions j JOIN up ON j.id = up.id WHERE up.parent_id IS NULL
		UNION
		SELECT j.id, j.parent_id, j.name FROM jurisdictions j JOIN city ON j.parent_id = city.id
	)
	SELECT id, parent_id, name FROM city`

func cityStations(ctx context.Context, q sqlQuerier, stationID int64) ([]mashang.PlacedStation, error) {
	nodes, err := readJurisdictions(ctx, q, cityJurisdictions, stationID)
	if err != nil {
		return nil, err
	}
	paths := jurisdictionPathsOf(nodes)
	// The station itself is read by its id too: with a loop in its
	// jurisdictions' data it has no city, and it still stands where it is.
	where, args := `id = ? OR (jurisdiction_id IS NULL AND (SELECT h.jurisdiction_id FROM stations h WHERE h.id = ?) IS NULL)`, []any{stationID, stationID}
	if len(nodes) > 0 {
		where = `jurisdiction_id IN ` + inList(len(nodes)) + ` OR id = ?`
		args = args[:0]
		for id := range nodes {
			args = append(args, id)
		}
		args = append(args, stationID)
	}
	out, err := scanAll(ctx, q, func(row scanner) (mashang.PlacedStation, error) {
		var jurisdiction sql.NullInt64
		s, err := scanStation(rowWith{row, &jurisdiction})
		return mashang.PlacedStation{Station: s, Path: paths[jurisdiction.Int64]}, err
	}, `SELECT `+stationColumns+`, jurisdiction_id FROM stations WHERE `+where+` ORDER BY code`, args...)
	if err != nil {
		return nil, fmt.Errorf("list the city's stations: %w", err)
	}
	return out, nil
}

// rowWith scans a row's leading columns as its scanner expects and the
// last into extra.
type rowWith struct {
	row   scanner
	extra any
}

func (r rowWith) Scan(dest ...any) error { return r.row.Scan(append(dest, r.extra)...) }

// MoveCase gives a case still at station m.From to another
// (mashang.RerouteTx). On MySQL the UPDATE waits for a concurrent move's
// row lock and then reads the committed station, so of two moves one wins.
func (tx *Tx) MoveCase(ctx context.Context, m mashang.CaseMove) (bool, error) {
	due := sql.NullTime{Time: m.FirstDue.UTC(), Valid: !m.FirstDue.IsZero()}
	res, err := tx.tx.ExecContext(ctx, `
		UPDATE cases SET station_id = ?, group_id = ?, category = ?, status = ?, deputy_id = NULL, handler_deputy_id = NULL,
		       taken_at = NULL, first_response_due = ?
		WHERE id = ? AND station_id = ?`, m.To, nullID(m.GroupID), m.Category, m.Status, due, m.CaseID, m.From)
	if err != nil {
		return false, fmt.Errorf("move case: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	if _, err := tx.tx.ExecContext(ctx, `UPDATE staff_alerts SET seen_at = ? WHERE case_id = ? AND station_id = ? AND seen_at IS NULL`,
		m.At.UTC(), m.CaseID, m.From); err != nil {
		return false, fmt.Errorf("settle the case's alerts: %w", err)
	}
	return true, nil
}

// WithdrawHandovers ends a case's hand-overs (mashang.RerouteTx): its
// departments no longer see it, its deadline is gone; their results stay
// on the record.
func (tx *Tx) WithdrawHandovers(ctx context.Context, caseID int64) ([]mashang.CaseDepartment, error) {
	depts, err := caseDepartments(ctx, tx.tx, caseID)
	if err != nil {
		return nil, err
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM case_departments WHERE case_id = ?`, caseID); err != nil {
		return nil, fmt.Errorf("withdraw the hand-overs: %w", err)
	}
	if _, err := tx.tx.ExecContext(ctx, `
		UPDATE cases SET department_id = NULL, handed_at = NULL, deadline_days = 0, deadline = NULL, overdue = 0
		WHERE id = ?`, caseID); err != nil {
		return nil, fmt.Errorf("withdraw the hand-overs: %w", err)
	}
	return depts, nil
}
