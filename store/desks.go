package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"mashang"
)

// UpdateDesks runs fn in one write transaction.
func (db *DB) UpdateDesks(ctx context.Context, fn func(mashang.DeskTx) error) error {
	return db.update(ctx, func(tx *Tx) error { return fn(tx) })
}

// AddDesk records a pop-up desk and its deputies, and sets its ID.
func (tx *Tx) AddDesk(ctx context.Context, d *mashang.Desk) error {
	res, err := tx.tx.ExecContext(ctx, `
		INSERT INTO desks (scene, station_id, place, starts_at, ends_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		d.Scene().String(), d.StationID, d.Place, d.Start.UTC(), d.End.UTC(), d.CreatedBy, time.Now().UTC())
	if err != nil {
		return fmt.Errorf("add desk: %w", err)
	}
	if d.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("add desk: %w", err)
	}
	for _, dep := range d.Deputies {
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO desk_deputies (desk_id, deputy_id) VALUES (?, ?)`, d.ID, dep.ID); err != nil {
			return fmt.Errorf("put a deputy at the desk: %w", err)
		}
	}
	return nil
}

// DeputyServes says whether the deputy is listed at the station.
func (tx *Tx) DeputyServes(ctx context.Context, deputyID, stationID int64) (bool, error) {
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM deputy_stations WHERE deputy_id = ? AND station_id = ?`,
		deputyID, stationID).Scan(&n); err != nil {
		return false, fmt.Errorf("read the deputy's stations: %w", err)
	}
	return n > 0, nil
}

// KeepDeskCode records the temporary code WeChat issued for a desk.
func (tx *Tx) KeepDeskCode(ctx context.Context, deskID int64, ticket, url string, expiresAt time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE desks SET code_ticket = ?, code_url = ?, code_expires_at = ? WHERE id = ?`,
		ticket, url, expiresAt.UTC(), deskID); err != nil {
		return fmt.Errorf("keep the desk's code: %w", err)
	}
	return nil
}

// deskColumns are a desk's, with its station and how many cases were
// raised at its code.
const deskColumns = `k.id, k.scene, k.station_id, s.code, s.name, k.place, k.starts_at, k.ends_at, k.created_by,
	k.code_ticket, k.code_url, k.code_expires_at, (SELECT COUNT(*) FROM cases c WHERE c.scene = k.scene)
	FROM desks k JOIN stations s ON s.id = k.station_id`

func scanDesk(row scanner) (mashang.Desk, error) {
	var d mashang.Desk
	var scene string
	var expires sql.NullTime
	err := row.Scan(&d.ID, &scene, &d.StationID, &d.StationCode, &d.StationName, &d.Place, &d.Start, &d.End, &d.CreatedBy,
		&d.CodeTicket, &d.CodeURL, &expires, &d.Collected)
	d.Token, d.CodeExpiresAt = strings.TrimPrefix(scene, mashang.ScenePrefixDesk), expires.Time
	return d, err
}

// desksWhere lists the desks matching where, newest first, each with its
// deputies.
func desksWhere(ctx context.Context, q sqlQuerier, limit int, where string, args ...any) ([]mashang.Desk, error) {
	desks, err := scanAll(ctx, q, scanDesk, `SELECT `+deskColumns+` WHERE `+where+` ORDER BY k.starts_at DESC, k.id DESC LIMIT ?`,
		append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list desks: %w", err)
	}
	for i := range desks {
		desks[i].Deputies, err = scanAll(ctx, q, func(row scanner) (mashang.Deputy, error) {
			var d mashang.Deputy
			return d, row.Scan(&d.ID, &d.Code, &d.Name, &d.Level, &d.StationCode, &d.StationName, &d.InOffice)
		}, `
			SELECT d.id, d.code, d.name, d.level, s.code, s.name, d.in_office
			FROM desk_deputies kd JOIN deputies d ON d.id = kd.deputy_id JOIN stations s ON s.id = d.station_id
			WHERE kd.desk_id = ? ORDER BY d.code`, desks[i].ID)
		if err != nil {
			return nil, fmt.Errorf("list the desk's deputies: %w", err)
		}
	}
	return desks, nil
}

func oneDesk(desks []mashang.Desk, err error) (mashang.Desk, error) {
	if err != nil {
		return mashang.Desk{}, err
	}
	if len(desks) == 0 {
		return mashang.Desk{}, mashang.NotFound("流动办公桌")
	}
	return desks[0], nil
}

// DeskByToken finds a desk by its code's token (mashang.IntakeTx).
func (tx *Tx) DeskByToken(ctx context.Context, token string) (mashang.Desk, error) {
	return oneDesk(desksWhere(ctx, tx.tx, 1, `k.scene = ?`, mashang.ScenePrefixDesk+token))
}

// deskWithin is the SQL that keeps desks (k, their station s) to those
// within reach: a desk is its station's.
func deskWithin(r mashang.Reach) (string, []any) {
	where, args := reachCondition(r)
	if r.DepartmentID != 0 {
		return "1 = 0", nil // a department reaches cases, not stations
	}
	return strings.ReplaceAll(where, "c.station_id", "k.station_id"), args
}

// DesksWithin lists the desks within reach, newest first.
func (db *DB) DesksWithin(ctx context.Context, r mashang.Reach, limit int) ([]mashang.Desk, error) {
	where, args := deskWithin(r)
	return desksWhere(ctx, db.db, limit, where, args...)
}

// DeskWithin reads a desk within reach; one beyond it is not found.
func (db *DB) DeskWithin(ctx context.Context, r mashang.Reach, id int64) (mashang.Desk, error) {
	where, args := deskWithin(r)
	return oneDesk(desksWhere(ctx, db.db, 1, `k.id = ? AND `+where, append([]any{id}, args...)...))
}

// DeskRecipients are the deputies present at a desk of the station, in
// office, with a bound WeChat; atDesk is false when the desk is not the
// station's (mashang.IntakeTx).
func (tx *Tx) DeskRecipients(ctx context.Context, token string, stationID int64) ([]mashang.Recipient, bool, error) {
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM desks WHERE scene = ? AND station_id = ?`,
		mashang.ScenePrefixDesk+token, stationID).Scan(&n); err != nil {
		return nil, false, fmt.Errorf("find the desk: %w", err)
	}
	if n == 0 {
		return nil, false, nil
	}
	out, err := tx.recipients(ctx, `
		SELECT d.id, d.name, d.openid
		FROM desk_deputies kd JOIN desks k ON k.id = kd.desk_id JOIN deputies d ON d.id = kd.deputy_id
		WHERE k.scene = ? AND d.in_office = ? AND d.openid IS NOT NULL
		ORDER BY d.id`, mashang.ScenePrefixDesk+token, true)
	return out, true, err
}

// recipients reads deputies to notify: id, name and openid.
func (tx *Tx) recipients(ctx context.Context, query string, args ...any) ([]mashang.Recipient, error) {
	out, err := scanAll(ctx, tx.tx, func(row scanner) (mashang.Recipient, error) {
		var r mashang.Recipient
		return r, row.Scan(&r.DeputyID, &r.Name, &r.OpenID)
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list the deputies to notify: %w", err)
	}
	return out, nil
}
