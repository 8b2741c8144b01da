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

// UpdateActivities runs fn in one write transaction.
func (db *DB) UpdateActivities(ctx context.Context, fn func(mashang.ActivityTx) error) error {
	return db.update(ctx, func(tx *Tx) error { return fn(tx) })
}

// AddActivity records a dispatched activity and sets its ID.
func (tx *Tx) AddActivity(ctx context.Context, a *mashang.Activity) error {
	res, err := tx.tx.ExecContext(ctx, `
		INSERT INTO activities (title, place, starts_at, ends_at, token, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		a.Title, a.Place, a.Start.UTC(), a.End.UTC(), a.Token, a.CreatedBy, time.Now().UTC())
	if err != nil {
		return fmt.Errorf("add activity: %w", err)
	}
	a.ID, err = res.LastInsertId()
	return err
}

// Invitees resolves deputy codes and 站点编码/小组名称 groups to the deputies
// in office they name, each once.
func (tx *Tx) Invitees(ctx context.Context, names []string) ([]mashang.Deputy, error) {
	var out []mashang.Deputy
	seen := map[int64]bool{}
	add := func(d mashang.Deputy) {
		if d.InOffice && !seen[d.ID] {
			seen[d.ID] = true
			out = append(out, d)
		}
	}
	for _, name := range names {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		station, group, isGroup := strings.Cut(name, "/")
		if !isGroup {
			d, err := deputyByCode(ctx, txQueryer{tx}, name)
			if mashang.ErrorCode(err) == mashang.ENOTFOUND {
				return nil, mashang.Errorf(mashang.EINVALID, "没有编码为 %s 的代表", name)
			} else if err != nil {
				return nil, err
			}
			add(d)
			continue
		}
		codes, err := scanAll(ctx, tx.tx, func(row scanner) (string, error) {
			var code string
			return code, row.Scan(&code)
		}, `
			SELECT d.code FROM group_members m JOIN deputy_groups g ON g.id = m.group_id
			JOIN stations s ON s.id = g.station_id JOIN deputies d ON d.id = m.deputy_id
			WHERE s.code = ? AND g.name = ? ORDER BY d.code`, station, group)
		if err != nil {
			return nil, fmt.Errorf("read group members: %w", err)
		}
		if len(codes) == 0 {
			return nil, mashang.Errorf(mashang.EINVALID, "站点 %s 没有名为「%s」的小组，或小组没有代表", station, group)
		}
		for _, code := range codes {
			d, err := deputyByCode(ctx, txQueryer{tx}, code)
			if err != nil {
				return nil, err
			}
			add(d)
		}
	}
	if len(out) == 0 {
		return nil, mashang.Errorf(mashang.EINVALID, "邀请名单中没有在任的代表")
	}
	return out, nil
}

// Invite records an invitation and gives the deputy's bound openid.
func (tx *Tx) Invite(ctx context.Context, activityID, deputyID int64) (string, error) {
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO activity_invitations (activity_id, deputy_id) VALUES (?, ?)`,
		activityID, deputyID); err != nil {
		return "", fmt.Errorf("invite: %w", err)
	}
	var openid sql.NullString
	if err := tx.tx.QueryRowContext(ctx, `SELECT openid FROM deputies WHERE id = ?`, deputyID).Scan(&openid); err != nil {
		return "", fmt.Errorf("read the deputy's binding: %w", err)
	}
	return openid.String, nil
}

const activityColumns = `a.id, a.title, a.place, a.starts_at, a.ends_at, a.token, a.created_by,
	a.checkin_ticket, a.checkin_url, a.checkin_expires_at`

func scanActivity(row scanner, extra ...any) (mashang.Activity, error) {
	var a mashang.Activity
	var expires sql.NullTime
	err := row.Scan(append([]any{&a.ID, &a.Title, &a.Place, &a.Start, &a.End, &a.Token, &a.CreatedBy,
		&a.CheckInTicket, &a.CheckInURL, &expires}, extra...)...)
	a.CheckInExpiresAt = expires.Time
	return a, err
}

// activityWithin is the SQL that keeps activities (a) to those within
// reach: an activity is within it when every deputy it invites is at a
// station within it, as dispatching demands; a department reaches cases,
// not deputies, and no activity.
func activityWithin(r mashang.Reach) (string, []any) {
	switch {
	case r.All:
		return "1 = 1", nil
	case r.DepartmentID != 0:
		return "1 = 0", nil
	}
	where, args := reachCondition(r)
	return `NOT EXISTS (SELECT 1 FROM activity_invitations ri JOIN deputies rd ON rd.id = ri.deputy_id
		LEFT JOIN stations s ON s.id = rd.station_id
		WHERE ri.activity_id = a.id AND (s.id IS NULL OR NOT (` + strings.ReplaceAll(where, "c.station_id", "s.id") + `)))`, args
}

func activityBy(ctx context.Context, q queryer, where string, args ...any) (mashang.Activity, error) {
	a, err := scanActivity(q.QueryRowContext(ctx, `SELECT `+activityColumns+` FROM activities a WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return a, mashang.NotFound("活动")
	}
	if err != nil {
		return a, fmt.Errorf("read activity: %w", err)
	}
	return a, nil
}

// ActivityByID reads an activity (mashang.ActivityTx).
func (tx *Tx) ActivityByID(ctx context.Context, id int64) (mashang.Activity, error) {
	return activityBy(ctx, txQueryer{tx}, `a.id = ?`, id)
}

// ActivityByToken finds the activity of a check-in code (mashang.IntakeTx).
func (tx *Tx) ActivityByToken(ctx context.Context, token string) (mashang.Activity, error) {
	return activityBy(ctx, txQueryer{tx}, `a.token = ?`, token)
}

// ActivityWithin reads an activity within reach; one beyond it is not
// found, as if it did not exist.
func (db *DB) ActivityWithin(ctx context.Context, r mashang.Reach, id int64) (mashang.Activity, error) {
	within, args := activityWithin(r)
	return activityBy(ctx, db.db, `a.id = ? AND `+within, append([]any{id}, args...)...)
}

// KeepCheckInCode records the check-in code WeChat issued for an activity
// (mashang.ActivityTx).
func (tx *Tx) KeepCheckInCode(ctx context.Context, activityID int64, ticket, url string, expiresAt time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `
		UPDATE activities SET checkin_ticket = ?, checkin_url = ?, checkin_expires_at = ? WHERE id = ?`,
		ticket, url, expiresAt.UTC(), activityID); err != nil {
		return fmt.Errorf("keep the check-in code: %w", err)
	}
	return nil
}

// Respond records a deputy's answer to their invitation (ENOTFOUND: they
// were not invited).
func (tx *Tx) Respond(ctx context.Context, activityID, deputyID int64, response string, at time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `
		UPDATE activity_invitations SET response = ?, responded_at = ? WHERE activity_id = ? AND deputy_id = ?`,
		response, at.UTC(), activityID, deputyID)
	if err != nil {
		return fmt.Errorf("answer invitation: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return mashang.NotFound("邀请")
	}
	return nil
}

// Invitation reads a deputy's invitation (mashang.IntakeTx).
func (tx *Tx) Invitation(ctx context.Context, activityID, deputyID int64) (mashang.Invitation, error) {
	inv := mashang.Invitation{ActivityID: activityID}
	var responded, checked sql.NullTime
	err := tx.tx.QueryRowContext(ctx, `
		SELECT response, responded_at, checked_in_at FROM activity_invitations WHERE activity_id = ? AND deputy_id = ?`,
		activityID, deputyID).Scan(&inv.Response, &responded, &checked)
	if errors.Is(err, sql.ErrNoRows) {
		return inv, mashang.NotFound("邀请")
	}
	if err != nil {
		return inv, fmt.Errorf("read invitation: %w", err)
	}
	inv.RespondedAt, inv.CheckedInAt = timePtr(responded), timePtr(checked)
	return inv, nil
}

// CheckIn records a deputy at an activity; a second scan changes nothing.
func (tx *Tx) CheckIn(ctx context.Context, activityID, deputyID int64, at time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `
		UPDATE activity_invitations SET checked_in_at = ? WHERE activity_id = ? AND deputy_id = ? AND checked_in_at IS NULL`,
		at.UTC(), activityID, deputyID); err != nil {
		return fmt.Errorf("check in: %w", err)
	}
	return nil
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

// Activities lists a deputy's activities newest first, with how many were
// invited and checked in.
func (db *DB) Activities(ctx context.Context, deputyID int64, limit int) ([]mashang.Activity, error) {
	return db.listActivities(ctx, "a.id IN (SELECT activity_id FROM activity_invitations WHERE deputy_id = ?)", []any{deputyID}, limit)
}

// ActivitiesWithin lists the activities within reach newest first, with
// how many were invited and checked in.
func (db *DB) ActivitiesWithin(ctx context.Context, r mashang.Reach, limit int) ([]mashang.Activity, error) {
	where, args := activityWithin(r)
	return db.listActivities(ctx, where, args, limit)
}

func (db *DB) listActivities(ctx context.Context, where string, args []any, limit int) ([]mashang.Activity, error) {
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.Activity, error) {
		var invited, checked int
		a, err := scanActivity(row, &invited, &checked)
		a.Invited, a.CheckedIn = invited, checked
		return a, err
	}, `SELECT `+activityColumns+`,
		       (SELECT COUNT(*) FROM activity_invitations i WHERE i.activity_id = a.id),
		       (SELECT COUNT(*) FROM activity_invitations i WHERE i.activity_id = a.id AND i.checked_in_at IS NOT NULL)
		FROM activities a WHERE `+where+` ORDER BY a.starts_at DESC, a.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list activities: %w", err)
	}
	return out, nil
}

// Invitations lists an activity's invitations, or (deputyID ≠ 0) one
// deputy's invitations to every activity.
func (db *DB) Invitations(ctx context.Context, activityID, deputyID int64) ([]mashang.Invitation, error) {
	where, arg := "i.activity_id = ?", activityID
	if deputyID != 0 {
		where, arg = "i.deputy_id = ?", deputyID
	}
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.Invitation, error) {
		var inv mashang.Invitation
		var responded, checked sql.NullTime
		err := row.Scan(&inv.ActivityID, &inv.Deputy.ID, &inv.Deputy.Code, &inv.Deputy.Name, &inv.Deputy.StationName, &inv.Bound,
			&inv.Response, &responded, &checked)
		inv.RespondedAt, inv.CheckedInAt = timePtr(responded), timePtr(checked)
		return inv, err
	}, `
		SELECT i.activity_id, d.id, d.code, d.name, s.name, d.openid IS NOT NULL, i.response, i.responded_at, i.checked_in_at
		FROM activity_invitations i JOIN deputies d ON d.id = i.deputy_id JOIN stations s ON s.id = d.station_id
		WHERE `+where+` ORDER BY i.activity_id DESC, d.code`, arg)
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	return out, nil
}
