package store

import (
	"context"
	"fmt"
	"time"
)

// RecordMPLogin remembers a Mini Program sign-in (mashang.MPUsers).
func (db *DB) RecordMPLogin(ctx context.Context, openid, unionid string, at time.Time) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `UPDATE mp_users SET unionid = ?, last_login_at = ? WHERE openid = ?`, unionid, at.UTC(), openid)
		if err != nil {
			return fmt.Errorf("record sign-in: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		_, err = tx.tx.ExecContext(ctx, `INSERT INTO mp_users (openid, unionid, created_at, last_login_at) VALUES (?, ?, ?, ?)`,
			openid, unionid, at.UTC(), at.UTC())
		if tx.dialect.isUniqueViolation(err) {
			return errConflictRetry // signed in twice at once: the other insert won
		}
		if err != nil {
			return fmt.Errorf("record first sign-in: %w", err)
		}
		return nil
	})
}
