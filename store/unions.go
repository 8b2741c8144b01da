package store

import (
	"context"
	"fmt"
	"time"
)

// FollowersWithoutUnion lists following openids whose unionid was never
// read, those who followed first first. It reads only the queue the
// follows write (follower_unions_due), never the whole follower table.
func (db *DB) FollowersWithoutUnion(ctx context.Context, limit int) ([]string, error) {
	out, err := scanAll(ctx, db.db, func(row scanner) (string, error) {
		var openid string
		return openid, row.Scan(&openid)
	}, `SELECT openid FROM follower_unions_due ORDER BY queued_at LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list followers without unionid: %w", err)
	}
	return out, nil
}

// RecordFollowerUnion keeps what WeChat said of a follower's unionid ("" for none).
func (db *DB) RecordFollowerUnion(ctx context.Context, openid, unionid string, at time.Time) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM follower_unions_due WHERE openid = ?`, openid); err != nil {
			return fmt.Errorf("record unionid: %w", err)
		}
		res, err := tx.tx.ExecContext(ctx, `UPDATE follower_unions SET unionid = ?, checked_at = ? WHERE openid = ?`, unionid, at.UTC(), openid)
		if err != nil {
			return fmt.Errorf("record unionid: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO follower_unions (openid, unionid, checked_at) VALUES (?, ?, ?)`, openid, unionid, at.UTC()); err != nil && !tx.dialect.isUniqueViolation(err) {
			return fmt.Errorf("record unionid: %w", err)
		}
		return nil
	})
}

// citizenOpenIDs is the SQL condition for "raised by this citizen": by their
// Mini Program openid, or by an Official Account openid with the same
// unionid. It takes the openid twice.
const citizenOpenIDs = `(c.openid = ? OR c.openid IN (
	SELECT fu.openid FROM mp_users m JOIN follower_unions fu ON fu.unionid = m.unionid
	WHERE m.openid = ? AND m.unionid <> ''))`

// queueFollowerUnion notes that someone who just became a follower needs
// their unionid read. Their follower row is locked by the caller, so the
// row is absent unless a retried push already wrote it.
func (tx *Tx) queueFollowerUnion(ctx context.Context, openid string, at time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO follower_unions_due (openid, queued_at) VALUES (?, ?)`, openid, at.UTC())
	if err != nil && !tx.dialect.isUniqueViolation(err) {
		return fmt.Errorf("queue follower's unionid: %w", err)
	}
	return nil
}
