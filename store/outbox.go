package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"mashang"
)

// ClaimOutbox leases due notifications to the caller (mashang.OutboxStore).
func (db *DB) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]mashang.OutboxItem, error) {
	var items []mashang.OutboxItem
	err := db.update(ctx, func(tx *Tx) error {
		items = nil
		rows, err := tx.tx.QueryContext(ctx, `
			SELECT id, kind, COALESCE(case_id, 0), to_user, template_id, url, COALESCE(data, ''), client_msg_id, attempts
			FROM outbox
			WHERE status = 'pending' AND next_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
			ORDER BY id
			LIMIT ?`+tx.dialect.skipLocked(), now.UTC(), now.UTC(), limit)
		if err != nil {
			return fmt.Errorf("find due notifications: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var it mashang.OutboxItem
			var data string
			if err := rows.Scan(&it.ID, &it.Kind, &it.CaseID, &it.ToUser, &it.TemplateID, &it.URL, &data, &it.ClientMsgID, &it.Attempts); err != nil {
				return fmt.Errorf("read notification: %w", err)
			}
			if err := json.Unmarshal([]byte(data), &it.Data); err != nil {
				return fmt.Errorf("notification %d: data: %w", it.ID, err)
			}
			items = append(items, it)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		if len(items) == 0 {
			return nil
		}
		// Whole seconds, so that the value read back to hand a lease over
		// compares equal on either database.
		until := now.Add(lease).UTC().Truncate(time.Second)
		args := []any{until}
		marks := make([]string, len(items))
		for i, it := range items {
			marks[i] = "?"
			args = append(args, it.ID)
			items[i].LeaseUntil = until
		}
		// Placeholders only: the list is as long as the batch, the values are bound.
		_, err = tx.tx.ExecContext(ctx, `UPDATE outbox SET claimed_until = ? WHERE id IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return fmt.Errorf("lease notifications: %w", err)
		}
		return nil
	})
	return items, err
}

// ReleaseOutbox hands back notifications claimed but not sent, so that
// another instance (or this one, started again) sends them at once rather
// than when the lease runs out. A lease another sender took since is left
// alone.
func (db *DB) ReleaseOutbox(ctx context.Context, items []mashang.OutboxItem) error {
	for _, it := range items {
		if _, err := db.db.ExecContext(ctx, `
			UPDATE outbox SET claimed_until = NULL
			WHERE id = ? AND status = 'pending' AND claimed_until = ?`, it.ID, it.LeaseUntil.UTC()); err != nil {
			return fmt.Errorf("hand back notification %d: %w", it.ID, err)
		}
	}
	return nil
}

// MarkOutboxSent records a delivered notification, on its case's timeline too.
func (db *DB) MarkOutboxSent(ctx context.Context, item mashang.OutboxItem, msgID int64, at time.Time, detail string) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `
			UPDATE outbox SET status = 'sent', msg_id = ?, sent_at = ?, attempts = attempts + 1, claimed_until = NULL
			WHERE id = ?`, msgID, at.UTC(), item.ID); err != nil {
			return fmt.Errorf("record sent notification: %w", err)
		}
		return tx.outboxEvent(ctx, item, at, mashang.DeliveryEvent(item.Kind, true), detail+" "+tx.recipient(ctx, item.ToUser))
	})
}

// MarkOutboxRetry records a failed try and when to try again.
func (db *DB) MarkOutboxRetry(ctx context.Context, item mashang.OutboxItem, next time.Time, errcode int, reason string) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `
			UPDATE outbox SET attempts = attempts + 1, next_at = ?, errcode = ?, last_error = ?, claimed_until = NULL
			WHERE id = ?`, next.UTC(), errcode, truncateRunes(reason, 500), item.ID)
		if err != nil {
			return fmt.Errorf("record notification to retry: %w", err)
		}
		return nil
	})
}

// MarkOutboxFailed records a notification given up on, with WeChat's code.
func (db *DB) MarkOutboxFailed(ctx context.Context, item mashang.OutboxItem, errcode int, reason string, at time.Time) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `
			UPDATE outbox SET status = 'failed', attempts = attempts + 1, errcode = ?, last_error = ?, claimed_until = NULL
			WHERE id = ?`, errcode, truncateRunes(reason, 500), item.ID); err != nil {
			return fmt.Errorf("record failed notification: %w", err)
		}
		what := map[string]string{"reply": "答复群众", mashang.KindProgress: "告知群众办理进展"}[item.Kind]
		if what == "" {
			what = "通知代表"
		}
		return tx.outboxEvent(ctx, item, at, mashang.DeliveryEvent(item.Kind, false),
			fmt.Sprintf("%s %s 失败（%s）", what, tx.recipient(ctx, item.ToUser), mashang.WeChatFailure(errcode)))
	})
}

func (tx *Tx) outboxEvent(ctx context.Context, item mashang.OutboxItem, at time.Time, kind mashang.EventKind, detail string) error {
	if item.CaseID == 0 {
		return nil
	}
	return tx.AddCaseEvent(ctx, item.CaseID, at, kind, "系统", detail)
}

// recipient names who a message went to as staff know them: a bound
// deputy or staff member by name, anyone else (a citizen) by a masked
// openid. A lookup that fails costs only the name.
func (tx *Tx) recipient(ctx context.Context, openid string) string {
	var name string
	err := tx.tx.QueryRowContext(ctx, `SELECT name FROM deputies WHERE openid = ?
		UNION ALL SELECT name FROM staff_users WHERE openid = ? LIMIT 1`, openid, openid).Scan(&name)
	if err != nil || name == "" {
		return maskOpenID(openid)
	}
	return name
}

// maskOpenID keeps enough of an openid to tell two apart on a timeline.
func maskOpenID(openid string) string {
	if len(openid) <= 8 {
		return "****"
	}
	return openid[:4] + "****" + openid[len(openid)-2:]
}

// OutboxRow is a notification as tests and the console read it.
type OutboxRow struct {
	ID          int64
	CaseID      int64
	ToUser      string
	Status      string
	Attempts    int
	ErrCode     int
	ClientMsgID string
	Data        string
}

// OutboxRows lists the outbox, oldest first.
func (db *DB) OutboxRows(ctx context.Context) ([]OutboxRow, error) {
	rows, err := db.db.QueryContext(ctx, `
		SELECT id, COALESCE(case_id, 0), to_user, status, attempts, errcode, client_msg_id, COALESCE(data, '') FROM outbox ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxRow
	for rows.Next() {
		var r OutboxRow
		if err := rows.Scan(&r.ID, &r.CaseID, &r.ToUser, &r.Status, &r.Attempts, &r.ErrCode, &r.ClientMsgID, &r.Data); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UpdateReply runs fn in one write transaction (mashang.ReplyStore).
func (db *DB) UpdateReply(ctx context.Context, fn func(mashang.ReplyTx) error) error {
	return db.update(ctx, func(tx *Tx) error { return fn(tx) })
}

// CaseForReply finds a case by number for staff.
// MergedCases lists the duplicates merged into a case (mashang.ReplyTx).
func (tx *Tx) MergedCases(ctx context.Context, caseID int64) ([]mashang.Case, error) {
	return collectCases(tx.tx.QueryContext(ctx, `SELECT `+caseColumns+caseFrom+` WHERE c.merged_into = ? ORDER BY c.id`, caseID))
}

func (tx *Tx) CaseForReply(ctx context.Context, number string) (mashang.Case, error) {
	c, err := scanCase(tx.queryRow(ctx, `SELECT `+caseColumns+caseFrom+` WHERE c.number = ?`, number))
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.Case{}, mashang.NotFound("问题")
	}
	if err != nil {
		return mashang.Case{}, fmt.Errorf("find case %s: %w", number, err)
	}
	return c, nil
}

// EnqueueAll writes notifications into the outbox in one transaction (for
// bulk sends and the benchmark).
func (db *DB) EnqueueAll(ctx context.Context, items []mashang.OutboxItem, at time.Time) error {
	return db.update(ctx, func(tx *Tx) error {
		for _, it := range items {
			if err := tx.Enqueue(ctx, it, at); err != nil {
				return err
			}
		}
		return nil
	})
}

// OutboxStats counts the notifications waiting and refused for good, and
// tells when the oldest waiting one was queued (zero when none waits).
func (db *DB) OutboxStats(ctx context.Context) (pending, failed int, oldest time.Time, err error) {
	rows, err := db.db.QueryContext(ctx, `
		SELECT status, COUNT(*) FROM outbox WHERE status IN ('pending', 'failed') GROUP BY status`)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("count the outbox: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return 0, 0, time.Time{}, fmt.Errorf("count the outbox: %w", err)
		}
		if status == "pending" {
			pending = n
		} else {
			failed = n
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("count the outbox: %w", err)
	}
	if pending > 0 {
		err := db.db.QueryRowContext(ctx, `
			SELECT created_at FROM outbox WHERE status = 'pending' ORDER BY id LIMIT 1`).Scan(&oldest)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, 0, time.Time{}, fmt.Errorf("the outbox's oldest: %w", err)
		}
	}
	return pending, failed, oldest, nil
}

// NoticeWindow reads the notifications to openid due after since whose
// client_msg_id starts with one of prefixes: the latest, and when the nth
// latest is due (found by the outbox_recipient index, however large nth).
// The deputy's row is locked first (MySQL): two cases notifying one deputy
// at once then count that deputy's notices one after the other.
func (tx *Tx) NoticeWindow(ctx context.Context, deputyID int64, openid string, since time.Time, prefixes []string, nth int) (mashang.NoticeWindow, error) {
	var w mashang.NoticeWindow
	if lock := tx.dialect.forUpdate(); lock != "" {
		var id int64
		if err := tx.tx.QueryRowContext(ctx, `SELECT id FROM deputies WHERE id = ?`+lock, deputyID).Scan(&id); err != nil {
			return w, fmt.Errorf("lock deputy for notices: %w", err)
		}
		// Every case that notifies this deputy waits for the lock until
		// this transaction commits: a group of the callback's writes
		// commits after this job rather than run more jobs first.
		tx.endsGroup = true
	}
	args := []any{openid, since.UTC()}
	like := make([]string, len(prefixes))
	for i, p := range prefixes {
		like[i] = "client_msg_id LIKE ?"
		args = append(args, p+"%")
	}
	from := ` FROM outbox WHERE to_user = ? AND next_at > ? AND (` + strings.Join(like, " OR ") + `) ORDER BY next_at DESC LIMIT 1`
	var data string
	it := &w.Latest
	err := tx.tx.QueryRowContext(ctx, `
		SELECT id, kind, COALESCE(case_id, 0), to_user, template_id, url, COALESCE(data, ''), client_msg_id, attempts,
			status = 'pending' AND claimed_until IS NULL`+from, args...).
		Scan(&it.ID, &it.Kind, &it.CaseID, &it.ToUser, &it.TemplateID, &it.URL, &data, &it.ClientMsgID, &it.Attempts, &w.LatestWaiting)
	if errors.Is(err, sql.ErrNoRows) {
		return w, nil
	}
	if err != nil {
		return w, fmt.Errorf("read the latest notice to a deputy: %w", err)
	}
	if err := json.Unmarshal([]byte(data), &it.Data); err != nil {
		return w, fmt.Errorf("notification %d: data: %w", it.ID, err)
	}
	err = tx.tx.QueryRowContext(ctx, `SELECT next_at`+from+` OFFSET ?`, append(args, nth-1)...).Scan(&w.NthDue)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return w, fmt.Errorf("read a deputy's notices of the last minute: %w", err)
	}
	return w, nil
}

// WaitingProgress is the case's progress notice that no sender has claimed
// by now (mashang.progressQueuer): later steps join it.
func (tx *Tx) WaitingProgress(ctx context.Context, caseID int64, now time.Time) (mashang.OutboxItem, bool, error) {
	var it mashang.OutboxItem
	var data string
	err := tx.tx.QueryRowContext(ctx, `
		SELECT id, kind, COALESCE(case_id, 0), to_user, template_id, url, COALESCE(data, ''), client_msg_id, attempts
		FROM outbox
		WHERE case_id = ? AND kind IN (?, ?) AND client_msg_id LIKE 'progress-%' AND status = 'pending' AND attempts = 0
			AND (claimed_until IS NULL OR claimed_until <= ?)
		ORDER BY id DESC LIMIT 1`+tx.dialect.forUpdate(), caseID, mashang.KindProgress, mashang.KindSubscribe, now.UTC()).
		Scan(&it.ID, &it.Kind, &it.CaseID, &it.ToUser, &it.TemplateID, &it.URL, &data, &it.ClientMsgID, &it.Attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return it, false, nil
	}
	if err != nil {
		return it, false, fmt.Errorf("find the case's waiting progress notice: %w", err)
	}
	if err := json.Unmarshal([]byte(data), &it.Data); err != nil {
		return it, false, fmt.Errorf("notification %d: data: %w", it.ID, err)
	}
	return it, true, nil
}

// MiniProgramCitizen says whether openid signed in to the Mini Program: its
// openids are the Mini Program's, which the Official Account cannot reach.
func (tx *Tx) MiniProgramCitizen(ctx context.Context, openid string) (bool, error) {
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM mp_users WHERE openid = ?`, openid).Scan(&n); err != nil {
		return false, fmt.Errorf("is %s the Mini Program's: %w", maskOpenID(openid), err)
	}
	return n > 0, nil
}

// TakeProgressGrant uses one subscribe send the case's citizen accepted
// (mashang.progressQueuer): the template, or "" when none is left.
func (tx *Tx) TakeProgressGrant(ctx context.Context, caseID int64) (string, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE cases SET progress_grants = progress_grants - 1 WHERE id = ? AND progress_grants > 0`, caseID)
	if err != nil {
		return "", fmt.Errorf("use a progress subscribe send: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return "", err
	}
	var template string
	if err := tx.tx.QueryRowContext(ctx, `SELECT progress_subscribe FROM cases WHERE id = ?`, caseID).Scan(&template); err != nil {
		return "", fmt.Errorf("read the progress subscribe template: %w", err)
	}
	return template, nil
}

// UpdateWaiting rewrites a notification no sender has claimed by now.
func (tx *Tx) UpdateWaiting(ctx context.Context, item mashang.OutboxItem, now time.Time) (bool, error) {
	data, err := json.Marshal(item.Data)
	if err != nil {
		return false, fmt.Errorf("encode notification: %w", err)
	}
	res, err := tx.tx.ExecContext(ctx, `
		UPDATE outbox SET data = ?, url = ?, case_id = ?
		WHERE id = ? AND status = 'pending' AND (claimed_until IS NULL OR claimed_until <= ?)`,
		string(data), item.URL, nullID(item.CaseID), item.ID, now.UTC())
	if err != nil {
		return false, fmt.Errorf("update a waiting notice: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
