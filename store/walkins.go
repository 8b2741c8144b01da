package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"mashang"
)

// Walk-ins: how a case entered for a citizen came, and its claim by the
// citizen's WeChat (mashang.WalkinTx).

const walkinColumns = `w.case_id, w.channel, w.entered_by, w.entered_name, w.request_id, w.text_key, w.citizen_name,
	w.phone_sealed, w.claim_hash, w.claim_failures, w.claimed_at, w.phoned_at, w.created_at`

// walkinCase reads a case found by a query on case_walkins w.
func (tx *Tx) walkinCase(ctx context.Context, where string, args ...any) (mashang.Case, error) {
	c, err := scanCase(tx.tx.QueryRowContext(ctx, `SELECT `+caseColumns+caseFrom+` JOIN case_walkins w ON w.case_id = c.id WHERE `+where+`
		ORDER BY w.created_at DESC LIMIT 1`, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.Case{}, mashang.NotFound("登记的问题")
	}
	if err != nil {
		return mashang.Case{}, fmt.Errorf("find walk-in: %w", err)
	}
	return c, nil
}

// WalkinByRequest finds the case enteredBy entered under requestID.
func (tx *Tx) WalkinByRequest(ctx context.Context, enteredBy, requestID string) (mashang.Case, error) {
	return tx.walkinCase(ctx, `w.entered_by = ? AND w.request_id = ?`, enteredBy, requestID)
}

// RecentWalkin finds enteredBy's latest case with the same text since then.
func (tx *Tx) RecentWalkin(ctx context.Context, enteredBy, textKey string, since time.Time) (mashang.Case, error) {
	return tx.walkinCase(ctx, `w.entered_by = ? AND w.text_key = ? AND w.created_at >= ?`, enteredBy, textKey, since.UTC())
}

// AddWalkin records how a case came in. Two forms sent at once under one
// request id meet at the unique index: the later transaction is retried,
// and then finds the case the first made.
func (tx *Tx) AddWalkin(ctx context.Context, w mashang.WalkinRecord) error {
	_, err := tx.exec(ctx, `
		INSERT INTO case_walkins (case_id, channel, entered_by, entered_name, request_id, text_key, citizen_name, phone_sealed, claim_hash, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.CaseID, w.Channel, w.EnteredBy, truncateRunes(w.EnteredName, 64), w.RequestID, w.TextKey, w.CitizenName, w.PhoneSealed, w.ClaimHash, w.CreatedAt.UTC())
	if tx.dialect.isUniqueViolation(err) {
		return errConflictRetry
	}
	if err != nil {
		return fmt.Errorf("record walk-in: %w", err)
	}
	return nil
}

// WalkinByNumber reads a walk-in case and how it came, by the case's number.
func (tx *Tx) WalkinByNumber(ctx context.Context, number string) (mashang.Case, mashang.WalkinRecord, error) {
	var w mashang.WalkinRecord
	var claimed, phoned sql.NullTime
	row := tx.tx.QueryRowContext(ctx, `SELECT `+caseColumns+`, `+walkinColumns+caseFrom+` JOIN case_walkins w ON w.case_id = c.id WHERE c.number = ?`, number)
	c, err := scanCase(row, &w.CaseID, &w.Channel, &w.EnteredBy, &w.EnteredName, &w.RequestID, &w.TextKey, &w.CitizenName,
		&w.PhoneSealed, &w.ClaimHash, &w.Failures, &claimed, &phoned, &w.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.Case{}, w, mashang.NotFound("登记的问题")
	}
	if err != nil {
		return mashang.Case{}, w, fmt.Errorf("find walk-in %s: %w", number, err)
	}
	if claimed.Valid {
		w.ClaimedAt = &claimed.Time
	}
	if phoned.Valid {
		w.PhonedAt = &phoned.Time
	}
	return c, w, nil
}

// ClaimWalkin gives an unclaimed case to openid.
func (tx *Tx) ClaimWalkin(ctx context.Context, caseID int64, openid string, at time.Time) error {
	res, err := tx.exec(ctx, `UPDATE cases SET openid = ? WHERE id = ? AND openid = ''`, openid, caseID)
	if err != nil {
		return fmt.Errorf("claim case: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return mashang.Errorf(mashang.ECONFLICT, "这个问题刚刚已由其他微信领取")
	}
	if _, err := tx.exec(ctx, `UPDATE case_walkins SET claimed_at = ? WHERE case_id = ?`, at.UTC(), caseID); err != nil {
		return fmt.Errorf("claim case: %w", err)
	}
	return nil
}

// FailWalkinClaim counts a wrong code against the case.
func (tx *Tx) FailWalkinClaim(ctx context.Context, caseID int64) error {
	if _, err := tx.exec(ctx, `UPDATE case_walkins SET claim_failures = claim_failures + 1 WHERE case_id = ?`, caseID); err != nil {
		return fmt.Errorf("count a wrong claim code: %w", err)
	}
	return nil
}

// SetClaimHash gives the case a new claim code and clears its failures.
func (tx *Tx) SetClaimHash(ctx context.Context, caseID int64, hash string) error {
	if _, err := tx.exec(ctx, `UPDATE case_walkins SET claim_hash = ?, claim_failures = 0 WHERE case_id = ?`, hash, caseID); err != nil {
		return fmt.Errorf("new claim code: %w", err)
	}
	return nil
}

// CaseWalkin reads how a case came in without WeChat (ENOTFOUND: it came
// through WeChat).
func (db *DB) CaseWalkin(ctx context.Context, caseID int64) (mashang.WalkinRecord, error) {
	var w mashang.WalkinRecord
	var claimed, phoned sql.NullTime
	err := db.db.QueryRowContext(ctx, `SELECT `+walkinColumns+` FROM case_walkins w WHERE w.case_id = ?`, caseID).Scan(
		&w.CaseID, &w.Channel, &w.EnteredBy, &w.EnteredName, &w.RequestID, &w.TextKey, &w.CitizenName,
		&w.PhoneSealed, &w.ClaimHash, &w.Failures, &claimed, &phoned, &w.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return w, mashang.NotFound("登记记录")
	}
	if err != nil {
		return w, fmt.Errorf("read walk-in of case %d: %w", caseID, err)
	}
	if claimed.Valid {
		w.ClaimedAt = &claimed.Time
	}
	if phoned.Valid {
		w.PhonedAt = &phoned.Time
	}
	return w, nil
}

// MarkPhoned records that staff told the case's citizen its answer by
// phone; the audit line on ctx goes in the same transaction.
func (db *DB) MarkPhoned(ctx context.Context, caseID int64, staff string, at time.Time) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE case_walkins SET phoned_at = ? WHERE case_id = ?`, at.UTC(), caseID); err != nil {
			return fmt.Errorf("mark phoned: %w", err)
		}
		return tx.AddCaseEvent(ctx, caseID, at, mashang.EventPhoned, staff, "已电话告知群众办理情况")
	})
}

// CasesToPhone lists, within reach, the walk-in cases whose citizen gave a
// phone and never linked a WeChat, answered or closed and not yet phoned:
// the answer is due to be phoned to them. Oldest first.
func (db *DB) CasesToPhone(ctx context.Context, r mashang.Reach, limit int) ([]mashang.Case, error) {
	cond, args := reachCondition(r)
	return collectCases(db.db.QueryContext(ctx, `SELECT `+caseColumns+caseFrom+` JOIN case_walkins w ON w.case_id = c.id
		WHERE `+cond+` AND c.openid = '' AND w.phone_sealed <> '' AND w.phoned_at IS NULL
		AND (c.status = 'closed' OR EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.kind = 'reply'))
		ORDER BY c.id LIMIT ?`, append(args, limit)...))
}
