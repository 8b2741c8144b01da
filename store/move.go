package store

import (
	"context"
	"database/sql"
	"fmt"

	"mashang"
)

// PlacedStations lists every station with its jurisdiction's path, by code
// (mashang.RerouteStore): a city has a few hundred stations.
func (db *DB) PlacedStations(ctx context.Context) ([]mashang.PlacedStation, error) {
	return placedStations(ctx, db.db)
}

// PlacedStations is the same in a transaction (mashang.RerouteTx).
func (tx *Tx) PlacedStations(ctx context.Context) ([]mashang.PlacedStation, error) {
	return placedStations(ctx, tx.tx)
}

func placedStations(ctx context.Context, q sqlQuerier) ([]mashang.PlacedStation, error) {
	paths, err := jurisdictionPaths(ctx, q)
	if err != nil {
		return nil, err
	}
	out, err := scanAll(ctx, q, func(row scanner) (mashang.PlacedStation, error) {
		var jurisdiction sql.NullInt64
		s, err := scanStation(rowWith{row, &jurisdiction})
		return mashang.PlacedStation{Station: s, Path: paths[jurisdiction.Int64]}, err
	}, `SELECT `+stationColumns+`, jurisdiction_id FROM stations ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("list stations: %w", err)
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
