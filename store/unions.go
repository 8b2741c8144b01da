package store

import (
	"context"
	"fmt"
	"time"
)

// FollowersWithoutUnion lists following openids whose unionid was never read.
func (db *DB) FollowersWithoutUnion(ctx context.Context, limit int) ([]string, error) {
	out, err := scanAll(ctx, db.db, func(row scanner) (string, error) {
		var openid string
		return openid, row.Scan(&openid)
	}, `
		SELECT f.openid FROM followers f LEFT JOIN follower_unions u ON u.openid = f.openid
		WHERE f.subscribed = ? AND u.openid IS NULL
		ORDER BY f.state_changed_at LIMIT ?`, true, limit)
	if err != nil {
		return nil, fmt.Errorf("list followers without unionid: %w", err)
	}
	return out, nil
}

// RecordFollowerUnion keeps what WeChat said of a follower's unionid ("" for none).
func (db *DB) RecordFollowerUnion(ctx context.Context, openid, unionid string, at time.Time) error {
	return db.update(ctx, func(tx *Tx) error {
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
