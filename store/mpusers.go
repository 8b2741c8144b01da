package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"mashang"
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

// SetMPPhone keeps a citizen's sealed phone number (mashang.PhoneStore).
func (db *DB) SetMPPhone(ctx context.Context, openid, sealed string) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `UPDATE mp_users SET phone_enc = ? WHERE openid = ?`, sealed, openid)
		if err != nil {
			return fmt.Errorf("record phone: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return mashang.NotFound("登录用户")
		}
		return nil
	})
}

// MPPhone reads a citizen's sealed phone number ("" when not granted).
func (db *DB) MPPhone(ctx context.Context, openid string) (string, error) {
	var sealed string
	err := db.db.QueryRowContext(ctx, `SELECT phone_enc FROM mp_users WHERE openid = ?`, openid).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read phone: %w", err)
	}
	return sealed, nil
}
