package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"mashang"
)

const staffUserColumns = `u.id, u.username, u.name, u.role, COALESCE(u.jurisdiction_id, 0), COALESCE(u.station_id, 0),
	COALESCE(u.department_id, 0), COALESCE(st.name, dp.name, ''), u.password_hash, u.disabled, u.chair,
	u.openid IS NOT NULL`

const staffUserFrom = ` FROM staff_users u LEFT JOIN stations st ON st.id = u.station_id LEFT JOIN departments dp ON dp.id = u.department_id `

func scanStaffUser(row scanner) (mashang.StaffUser, error) {
	var u mashang.StaffUser
	err := row.Scan(&u.ID, &u.Username, &u.Name, &u.Role, &u.JurisdictionID, &u.StationID, &u.DepartmentID, &u.Scope, &u.PasswordHash,
		&u.Disabled, &u.Chair, &u.WeChatBound)
	return u, err
}

// UpdateStaffUser saves what an administrator may change of an account
// (disabled, the chair mark, the password hash) and, in the same
// transaction, ends its sessions and lifts its name's lock-outs when the
// change asks for it.
func (db *DB) UpdateStaffUser(ctx context.Context, ch mashang.AccountUpdate) error {
	u := ch.User
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `
			UPDATE staff_users SET disabled = ?, chair = ?, password_hash = ? WHERE id = ?`,
			u.Disabled, u.Chair, u.PasswordHash, u.ID)
		if err != nil {
			return fmt.Errorf("update staff user: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return mashang.NotFound("账号")
		}
		if ch.EndSessions {
			if _, err := tx.tx.ExecContext(ctx, `DELETE FROM staff_sessions WHERE user_id = ?`, u.ID); err != nil {
				return fmt.Errorf("end the account's sessions: %w", err)
			}
		}
		if ch.Unlock {
			if _, err := tx.tx.ExecContext(ctx, `DELETE FROM signin_failures WHERE name_hash = ?`, mashang.SignInName(u.Username)); err != nil {
				return fmt.Errorf("lift the account's lock-outs: %w", err)
			}
		}
		return nil
	})
}

// AddStaffUser records a new account (ECONFLICT: the username is taken).
func (db *DB) AddStaffUser(ctx context.Context, u *mashang.StaffUser) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `
			INSERT INTO staff_users (username, name, role, jurisdiction_id, station_id, department_id, password_hash, chair, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.Username, u.Name, u.Role, nullID(u.JurisdictionID), nullID(u.StationID),
			nullID(u.DepartmentID), u.PasswordHash, u.Chair, time.Now().UTC())
		if tx.dialect.isUniqueViolation(err) {
			return mashang.Errorf(mashang.ECONFLICT, "用户名 %s 已被使用", u.Username)
		}
		if err != nil {
			return fmt.Errorf("add staff user: %w", err)
		}
		u.ID, err = res.LastInsertId()
		return err
	})
}

// StaffUserByName finds an account by its username.
func (db *DB) StaffUserByName(ctx context.Context, username string) (mashang.StaffUser, error) {
	u, err := scanStaffUser(db.db.QueryRowContext(ctx, `SELECT `+staffUserColumns+staffUserFrom+` WHERE u.username = ?`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return u, mashang.NotFound("账号")
	}
	if err != nil {
		return u, fmt.Errorf("find staff user: %w", err)
	}
	return u, nil
}

// CountSignIn counts an attempt to sign in from address in minute (Unix
// time / 60) and answers the attempts from there in that minute so far, at
// every instance. An address's first attempt of a minute then clears
// minutes gone by (pruneAfter), once a minute at each instance: inside the
// count's transaction, that range delete deadlocked with the sign-ins
// counted at once (each waited for the rows the other had just inserted),
// and run at every address's first attempt — every sign-in, when each
// office has its own address — the deletes took turns over the same range
// at a morning's sign-ins (a province's 10,000 secretaries).
func (db *DB) CountSignIn(ctx context.Context, address string, minute int64) (int, error) {
	var n int
	var started bool
	err := db.update(ctx, func(tx *Tx) error {
		started = false
		res, err := tx.tx.ExecContext(ctx, `UPDATE signin_attempts SET attempts = attempts + 1 WHERE address = ? AND minute = ?`, address, minute)
		if err != nil {
			return fmt.Errorf("count a sign-in: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			_, err := tx.tx.ExecContext(ctx, `INSERT INTO signin_attempts (address, minute, attempts) VALUES (?, ?, 1)`, address, minute)
			if tx.dialect.isUniqueViolation(err) {
				return errConflictRetry // another instance counted this minute's first attempt
			}
			if err != nil {
				return fmt.Errorf("count a sign-in: %w", err)
			}
			started = true
		}
		return tx.tx.QueryRowContext(ctx, `SELECT attempts FROM signin_attempts WHERE address = ? AND minute = ?`, address, minute).Scan(&n)
	})
	if pruned := db.signInsPruned.Load(); err == nil && started && pruned < minute && db.signInsPruned.CompareAndSwap(pruned, minute) {
		db.pruneAfter(ctx, `DELETE FROM signin_attempts WHERE minute < ?`, minute-1)
	}
	return n, err
}

// pruneAfter clears rows gone by, in a statement of its own after the
// caller's transaction has committed, so it never holds up or deadlocks the
// caller's rows. It is tidying, not the caller's business: it gives up
// after a second and says nothing, and the next first attempt tries again.
func (db *DB) pruneAfter(ctx context.Context, query string, args ...any) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_ = db.write(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, query, args...)
		return err
	})
}

// SignInLock answers the wrong passwords in a row at key and until when it
// is locked out (zero: none, not locked).
func (db *DB) SignInLock(ctx context.Context, key mashang.SignInKey) (int, time.Time, error) {
	var failures int
	var locked sql.NullTime
	err := db.db.QueryRowContext(ctx, `SELECT failures, locked_until FROM signin_failures WHERE name_hash = ? AND address = ?`,
		key.NameHash, key.Address).Scan(&failures, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read sign-in failures: %w", err)
	}
	return failures, locked.Time, nil
}

// CountFailedSignIn counts a wrong password at key in one statement, so
// attempts at once are each counted. locked_until is assigned first: MySQL
// evaluates assignments left to right, so it must read failures before the
// increment, as SQLite always does. A key's first failure then clears keys
// left alone for a day, after the count commits (see CountSignIn).
func (db *DB) CountFailedSignIn(ctx context.Context, key mashang.SignInKey, lockUntil time.Time) error {
	now := time.Now().UTC()
	var started bool
	err := db.update(ctx, func(tx *Tx) error {
		started = false
		res, err := tx.tx.ExecContext(ctx, `
			UPDATE signin_failures SET locked_until = CASE WHEN (failures + 1) % ? = 0 THEN ? ELSE locked_until END,
				failures = failures + 1, updated_at = ?
			WHERE name_hash = ? AND address = ?`, mashang.MaxFailedLogins, lockUntil.UTC(), now, key.NameHash, key.Address)
		if err != nil {
			return fmt.Errorf("count a failed sign-in: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		_, err = tx.tx.ExecContext(ctx, `
			INSERT INTO signin_failures (name_hash, address, failures, locked_until, updated_at) VALUES (?, ?, 1, NULL, ?)`,
			key.NameHash, key.Address, now)
		if tx.dialect.isUniqueViolation(err) {
			return errConflictRetry // a failure at once counted the first
		}
		if err != nil {
			return fmt.Errorf("count a failed sign-in: %w", err)
		}
		started = true
		return nil
	})
	if err == nil && started {
		db.pruneAfter(ctx, `DELETE FROM signin_failures WHERE updated_at < ? AND (locked_until IS NULL OR locked_until < ?)`,
			now.Add(-24*time.Hour), now)
	}
	return err
}

// ClearSignInFailures lifts a name's lock-outs at every address, and
// answers how many there were.
func (db *DB) ClearSignInFailures(ctx context.Context, nameHash string) (int, error) {
	var n int64
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `DELETE FROM signin_failures WHERE name_hash = ?`, nameHash)
		if err != nil {
			return fmt.Errorf("lift lock-outs: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// SetStaffAPIToken makes tokenHash the account's one API token.
func (db *DB) SetStaffAPIToken(ctx context.Context, userID int64, tokenHash string) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE staff_users SET api_token_hash = ? WHERE id = ?`, tokenHash, userID); err != nil {
			return fmt.Errorf("set API token: %w", err)
		}
		return nil
	})
}

// StaffUserByAPIToken finds the account whose API token hashes to tokenHash.
func (db *DB) StaffUserByAPIToken(ctx context.Context, tokenHash string) (mashang.StaffUser, error) {
	u, err := scanStaffUser(db.db.QueryRowContext(ctx, `SELECT `+staffUserColumns+staffUserFrom+` WHERE u.api_token_hash = ?`, tokenHash))
	if errors.Is(err, sql.ErrNoRows) {
		return u, mashang.NotFound("接口令牌")
	}
	if err != nil {
		return u, fmt.Errorf("find staff user by API token: %w", err)
	}
	return u, nil
}

// AddStaffSession keeps a session by its token's hash and clears the wrong
// passwords in a row at the key it was signed in with.
func (db *DB) AddStaffSession(ctx context.Context, tokenHash string, userID int64, csrf string, expires time.Time, cleared mashang.SignInKey) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM signin_failures WHERE name_hash = ? AND address = ?`, cleared.NameHash, cleared.Address); err != nil {
			return fmt.Errorf("clear failed sign-ins: %w", err)
		}
		if _, err := tx.tx.ExecContext(ctx, `
			INSERT INTO staff_sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			tokenHash, userID, csrf, time.Now().UTC(), expires.UTC()); err != nil {
			return fmt.Errorf("add staff session: %w", err)
		}
		return nil
	})
}

// StaffSession finds a live session's account and CSRF token.
func (db *DB) StaffSession(ctx context.Context, tokenHash string, now time.Time) (mashang.StaffUser, string, error) {
	var csrf string
	u, err := scanStaffUser(scannerWith{db.db.QueryRowContext(ctx, `SELECT `+staffUserColumns+`, s.csrf`+staffUserFrom+`
		JOIN staff_sessions s ON s.user_id = u.id
		WHERE s.token_hash = ? AND s.expires_at > ?`, tokenHash, now.UTC()), []any{&csrf}})
	if errors.Is(err, sql.ErrNoRows) {
		return u, "", mashang.NotFound("登录")
	}
	if err != nil {
		return u, "", fmt.Errorf("find staff session: %w", err)
	}
	return u, csrf, nil
}

// DeleteStaffSession ends a session.
func (db *DB) DeleteStaffSession(ctx context.Context, tokenHash string) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM staff_sessions WHERE token_hash = ?`, tokenHash); err != nil {
			return fmt.Errorf("end staff session: %w", err)
		}
		return nil
	})
}

// Audit writes one line of the audit log.
func (db *DB) Audit(ctx context.Context, e mashang.AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error { return tx.audit(ctx, e) })
}

// audit writes one line of the audit log in the action's transaction: if
// it fails, so does the action.
func (tx *Tx) audit(ctx context.Context, e mashang.AuditEntry) error {
	if _, err := tx.tx.ExecContext(ctx, `
		INSERT INTO audit_log (at, user_id, username, action, target, detail, ip) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.At.UTC(), nullID(e.UserID), e.Username, e.Action, truncateRunes(e.Target, 64), truncateRunes(e.Detail, 2000), e.IP); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditLog lists the latest audit lines, newest first (for tests).
func (db *DB) AuditLog(ctx context.Context, limit int) ([]mashang.AuditEntry, error) {
	return db.AuditLines(ctx, mashang.AuditFilter{Limit: limit})
}

// AuditLines lists the audit lines that match f, newest first, f.Limit of
// them (50 when unset) from before f.Before. Each filter has its index:
// (username, id), (target, id), (at).
func (db *DB) AuditLines(ctx context.Context, f mashang.AuditFilter) ([]mashang.AuditEntry, error) {
	period, err := f.Check()
	if err != nil {
		return nil, err
	}
	where, args := "1 = 1", []any{}
	for _, cond := range []struct {
		ok  bool
		sql string
		arg any
	}{{f.Username != "", " AND username = ?", f.Username}, {f.Target != "", " AND target = ?", f.Target},
		{!period.From.IsZero(), " AND at >= ?", period.From.UTC()}, {!period.To.IsZero(), " AND at < ?", period.To.UTC()},
		{f.Before > 0, " AND id < ?", f.Before}} {
		if cond.ok {
			where += cond.sql
			args = append(args, cond.arg)
		}
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.AuditEntry, error) {
		var e mashang.AuditEntry
		var user sql.NullInt64
		var detail sql.NullString
		err := row.Scan(&e.ID, &e.At, &user, &e.Username, &e.Action, &e.Target, &detail, &e.IP)
		e.UserID, e.Detail = user.Int64, detail.String
		return e, err
	}, `SELECT id, at, user_id, username, action, target, detail, ip FROM audit_log WHERE `+where+` ORDER BY id DESC LIMIT ?`,
		append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}

// JurisdictionByPath finds a jurisdiction by its path, e.g. 青岛市/市南区.
func (db *DB) JurisdictionByPath(ctx context.Context, path string) (int64, error) {
	var id sql.NullInt64
	for _, name := range strings.Split(path, "/") {
		var next int64
		var err error
		if id.Valid {
			err = db.db.QueryRowContext(ctx, `SELECT id FROM jurisdictions WHERE parent_id = ? AND name = ?`, id.Int64, name).Scan(&next)
		} else {
			err = db.db.QueryRowContext(ctx, `SELECT id FROM jurisdictions WHERE parent_id IS NULL AND name = ?`, name).Scan(&next)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return 0, mashang.Errorf(mashang.ENOTFOUND, "没有辖区 %s", path)
		}
		if err != nil {
			return 0, fmt.Errorf("find jurisdiction: %w", err)
		}
		id = sql.NullInt64{Int64: next, Valid: true}
	}
	return id.Int64, nil
}

// StaffUsers lists the console's accounts with what each covers.
func (db *DB) StaffUsers(ctx context.Context) ([]mashang.StaffUser, error) {
	out, err := scanAll(ctx, db.db, scanStaffUser, `SELECT `+staffUserColumns+staffUserFrom+` ORDER BY u.id`)
	if err != nil {
		return nil, fmt.Errorf("list staff users: %w", err)
	}
	return out, nil
}

// scannerWith reads a row's extra trailing columns into extra.
type scannerWith struct {
	row   scanner
	extra []any
}

func (s scannerWith) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }

// DepartmentByPath finds a department by its jurisdiction and name, e.g.
// 青岛市/市南区/市南区城市管理局.
func (db *DB) DepartmentByPath(ctx context.Context, path string) (int64, error) {
	at := strings.LastIndex(path, "/")
	if at < 0 {
		return 0, mashang.Errorf(mashang.EINVALID, "承办单位应写全路径，如 青岛市/市南区/市南区城市管理局")
	}
	jurisdiction, err := db.JurisdictionByPath(ctx, path[:at])
	if err != nil {
		return 0, err
	}
	var id int64
	err = db.db.QueryRowContext(ctx, `SELECT id FROM departments WHERE jurisdiction_id = ? AND name = ?`, jurisdiction, path[at+1:]).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, mashang.Errorf(mashang.ENOTFOUND, "没有承办单位 %s", path)
	}
	if err != nil {
		return 0, fmt.Errorf("find department: %w", err)
	}
	return id, nil
}
