package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"mashang"
)

// CreateBindToken records a binding token for the deputy.
func (db *DB) CreateBindToken(ctx context.Context, deputyCode, token string, expiresAt time.Time) error {
	return db.update(ctx, func(tx *Tx) error {
		d, err := deputyByCode(ctx, txQueryer{tx}, deputyCode)
		if err != nil {
			return err
		}
		_, err = tx.tx.ExecContext(ctx, `INSERT INTO bind_tokens (token, deputy_id, expires_at) VALUES (?, ?, ?)`,
			token, d.ID, expiresAt.UTC())
		if err != nil {
			return fmt.Errorf("save binding token: %w", err)
		}
		return nil
	})
}

// BindTokenState reads a binding token (mashang.IntakeTx).
func (tx *Tx) BindTokenState(ctx context.Context, token string) (mashang.BindState, error) {
	var st mashang.BindState
	var usedAt sql.NullTime
	var usedBy sql.NullString
	err := tx.tx.QueryRowContext(ctx, `
		SELECT d.id, d.name, b.expires_at, b.used_at, b.used_by
		FROM bind_tokens b JOIN deputies d ON d.id = b.deputy_id
		WHERE b.token = ?`+tx.dialect.forUpdate(), token).
		Scan(&st.DeputyID, &st.DeputyName, &st.ExpiresAt, &usedAt, &usedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.BindState{}, mashang.NotFound("绑定码")
	}
	if err != nil {
		return mashang.BindState{}, fmt.Errorf("read binding token: %w", err)
	}
	if usedAt.Valid {
		st.UsedAt, st.UsedBy = &usedAt.Time, usedBy.String
	}
	return st, nil
}

// DeputyByOpenID finds the deputy bound to openid (mashang.IntakeTx).
func (tx *Tx) DeputyByOpenID(ctx context.Context, openid string) (mashang.Deputy, error) {
	var code string
	err := tx.tx.QueryRowContext(ctx, `SELECT code FROM deputies WHERE openid = ?`, openid).Scan(&code)
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.Deputy{}, mashang.NotFound("代表")
	}
	if err != nil {
		return mashang.Deputy{}, fmt.Errorf("find deputy by openid: %w", err)
	}
	return deputyByCode(ctx, txQueryer{tx}, code)
}

// BindDeputy uses the token and binds openid to its deputy. A token used
// meanwhile by another delivery is a lost race: the transaction runs again
// and then answers "already used".
func (tx *Tx) BindDeputy(ctx context.Context, token, openid string, at time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `
		UPDATE bind_tokens SET used_at = ?, used_by = ? WHERE token = ? AND used_at IS NULL`,
		at.UTC(), openid, token)
	if err != nil {
		return fmt.Errorf("use binding token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errConflictRetry
	}
	_, err = tx.tx.ExecContext(ctx, `
		UPDATE deputies SET openid = ? WHERE id = (SELECT deputy_id FROM bind_tokens WHERE token = ?)`, openid, token)
	if tx.dialect.isUniqueViolation(err) {
		return errConflictRetry // bound to another deputy meanwhile
	}
	if err != nil {
		return fmt.Errorf("bind deputy: %w", err)
	}
	return nil
}

// DeputyBindings lists every deputy and whether their WeChat is bound.
func (db *DB) DeputyBindings(ctx context.Context) ([]mashang.DeputyBinding, error) {
	rows, err := db.db.QueryContext(ctx, `
		SELECT d.code, d.name, s.name, d.in_office, d.openid IS NOT NULL
		FROM deputies d JOIN stations s ON s.id = d.station_id
		ORDER BY d.code`)
	if err != nil {
		return nil, fmt.Errorf("list deputies: %w", err)
	}
	defer rows.Close()
	var out []mashang.DeputyBinding
	for rows.Next() {
		var b mashang.DeputyBinding
		if err := rows.Scan(&b.Code, &b.Name, &b.StationName, &b.InOffice, &b.Bound); err != nil {
			return nil, fmt.Errorf("read deputy: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BoundWeChatUsers lists who has bound their WeChat, deputies first then
// staff (department handlers among them), each named as a person reads
// it: the sandbox's authorize page offers to be one of them.
func (db *DB) BoundWeChatUsers(ctx context.Context) ([]mashang.BoundWeChatUser, error) {
	rows, err := db.db.QueryContext(ctx, `
		SELECT 1, d.openid, d.name, s.name
		FROM deputies d JOIN stations s ON s.id = d.station_id
		WHERE d.openid IS NOT NULL
		UNION ALL
		SELECT 2, u.openid, u.name, COALESCE(dp.name, st.name, '')
		FROM staff_users u LEFT JOIN departments dp ON dp.id = u.department_id LEFT JOIN stations st ON st.id = u.station_id
		WHERE u.openid IS NOT NULL
		ORDER BY 1, 3, 2`)
	if err != nil {
		return nil, fmt.Errorf("list bound WeChat users: %w", err)
	}
	defer rows.Close()
	var out []mashang.BoundWeChatUser
	for rows.Next() {
		var kind int
		var u mashang.BoundWeChatUser
		if err := rows.Scan(&kind, &u.OpenID, &u.Name, &u.Where); err != nil {
			return nil, fmt.Errorf("read bound WeChat user: %w", err)
		}
		u.Deputy = kind == 1
		out = append(out, u)
	}
	return out, rows.Err()
}
