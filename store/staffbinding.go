package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"mashang"
)

// CreateStaffBindToken records a binding token for the staff account.
func (db *DB) CreateStaffBindToken(ctx context.Context, userID int64, token string, expiresAt time.Time) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO staff_bind_tokens (token, user_id, expires_at) VALUES (?, ?, ?)`,
			token, userID, expiresAt.UTC())
		if err != nil {
			return fmt.Errorf("save staff binding token: %w", err)
		}
		return nil
	})
}

// StaffWeChatBound says whether the staff account's WeChat is bound.
func (db *DB) StaffWeChatBound(ctx context.Context, userID int64) (bool, error) {
	var bound bool
	err := db.db.QueryRowContext(ctx, `SELECT openid IS NOT NULL FROM staff_users WHERE id = ?`, userID).Scan(&bound)
	if err != nil {
		return false, fmt.Errorf("read staff binding: %w", err)
	}
	return bound, nil
}

// StaffBindTokenState reads a staff binding token (mashang.IntakeTx).
func (tx *Tx) StaffBindTokenState(ctx context.Context, token string) (mashang.StaffBindState, error) {
	var st mashang.StaffBindState
	var usedAt sql.NullTime
	var usedBy sql.NullString
	err := tx.tx.QueryRowContext(ctx, `
		SELECT u.id, u.name, u.role, b.expires_at, b.used_at, b.used_by
		FROM staff_bind_tokens b JOIN staff_users u ON u.id = b.user_id
		WHERE b.token = ? AND u.disabled = 0`+tx.dialect.forUpdate(), token).
		Scan(&st.UserID, &st.Name, &st.Role, &st.ExpiresAt, &usedAt, &usedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.StaffBindState{}, mashang.NotFound("绑定码")
	}
	if err != nil {
		return mashang.StaffBindState{}, fmt.Errorf("read staff binding token: %w", err)
	}
	if usedAt.Valid {
		st.UsedAt, st.UsedBy = &usedAt.Time, usedBy.String
	}
	return st, nil
}

// BindStaff uses the token and binds openid to its staff account; a WeChat
// bound to another account before leaves that one, as one person's phone
// serves one account. A token used meanwhile by another delivery is a lost
// race: the transaction runs again and then answers "already used".
func (tx *Tx) BindStaff(ctx context.Context, token, openid string, at time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `
		UPDATE staff_bind_tokens SET used_at = ?, used_by = ? WHERE token = ? AND used_at IS NULL`,
		at.UTC(), openid, token)
	if err != nil {
		return fmt.Errorf("use staff binding token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errConflictRetry
	}
	if _, err := tx.tx.ExecContext(ctx, `UPDATE staff_users SET openid = NULL WHERE openid = ?`, openid); err != nil {
		return fmt.Errorf("unbind the earlier account: %w", err)
	}
	_, err = tx.tx.ExecContext(ctx, `
		UPDATE staff_users SET openid = ? WHERE id = (SELECT user_id FROM staff_bind_tokens WHERE token = ?)`, openid, token)
	if err != nil {
		return fmt.Errorf("bind staff WeChat: %w", err)
	}
	return nil
}

// SupervisionRecipients are the bound, enabled staff a colour at a station
// notifies (mashang.HandoverTx): the station's secretaries for yellow, the
// chairs of the station's jurisdiction for red.
func (tx *Tx) SupervisionRecipients(ctx context.Context, stationID int64, colour string) ([]mashang.StaffRecipient, error) {
	query := `
		SELECT u.id, u.name, u.openid FROM staff_users u
		WHERE u.role = 'secretary' AND u.station_id = ? AND u.openid IS NOT NULL AND u.disabled = 0
		ORDER BY u.id`
	if colour == mashang.ColourRed {
		query = `
			SELECT u.id, u.name, u.openid FROM staff_users u JOIN stations s ON s.jurisdiction_id = u.jurisdiction_id
			WHERE s.id = ? AND u.chair = 1 AND u.openid IS NOT NULL AND u.disabled = 0
			ORDER BY u.id`
	}
	out, err := scanAll(ctx, tx.tx, func(row scanner) (mashang.StaffRecipient, error) {
		var r mashang.StaffRecipient
		return r, row.Scan(&r.UserID, &r.Name, &r.OpenID)
	}, query, stationID)
	if err != nil {
		return nil, fmt.Errorf("find whom to notify: %w", err)
	}
	return out, nil
}
