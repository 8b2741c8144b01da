package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"mashang"
)

// UpdateIntake runs fn in one write transaction (mashang.IntakeStore).
// On MySQL the push's transaction is committed in a group with the pushes
// that arrive with it (groupwriter.go).
func (db *DB) UpdateIntake(ctx context.Context, fn func(mashang.IntakeTx) error) error {
	if db.intake != nil && mashang.AuditPending(ctx) == nil {
		return db.intake.do(ctx, func(tx *Tx) error { return fn(tx) })
	}
	return db.update(ctx, func(tx *Tx) error { return fn(tx) })
}

const insertInbound = `
	INSERT INTO inbound_messages (
		dedup_key, account, openid, msg_type, msg_id, event, event_key, ticket,
		content, media_id, pic_url, format, recognition, thumb_media_id,
		location_x, location_y, scale, label, latitude, longitude, ` + "`precision`" + `,
		title, description, url, raw, created_at, received_at, reply, case_id
	) VALUES ` + insertInboundRow

// insertInboundRow is one row's values of insertInbound; a group's batch
// writes several (batch.go).
const insertInboundRow = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const selectEarlierReply = `SELECT reply FROM inbound_messages WHERE dedup_key = ?`

// ClaimInbound records m, its reply and the case it joins (0: none) under
// its dedup key, or finds the reply given when it was first recorded.
func (tx *Tx) ClaimInbound(ctx context.Context, m *mashang.Inbound, reply mashang.Reply, caseID int64) (bool, mashang.Reply, error) {
	var locX, locY, lat, lng, precision sql.NullFloat64
	var scale sql.NullInt64
	if m.MsgType == mashang.MsgLocation {
		locX, locY = sql.NullFloat64{Float64: m.LocationX, Valid: true}, sql.NullFloat64{Float64: m.LocationY, Valid: true}
		scale = sql.NullInt64{Int64: int64(m.Scale), Valid: true}
	}
	if m.MsgType == mashang.MsgForm && (m.LocationX != 0 || m.LocationY != 0) { // a form's place is optional
		locX, locY = sql.NullFloat64{Float64: m.LocationX, Valid: true}, sql.NullFloat64{Float64: m.LocationY, Valid: true}
	}
	if m.Event == mashang.EventLocation {
		lat, lng = sql.NullFloat64{Float64: m.Latitude, Valid: true}, sql.NullFloat64{Float64: m.Longitude, Valid: true}
		precision = sql.NullFloat64{Float64: m.Precision, Valid: true}
	}
	key := m.DedupKey()
	args := []any{key, m.Account, m.OpenID, m.MsgType, m.MsgID, m.Event, m.EventKey, m.Ticket,
		m.Content, m.MediaID, m.PicURL, m.Format, m.Recognition, m.ThumbMediaID,
		locX, locY, scale, m.Label, lat, lng, precision,
		m.Title, m.Description, m.URL, string(m.Raw), m.CreateTime.UTC(), m.ReceivedAt.UTC(), reply.Text, nullID(caseID)}
	if b := tx.tx.batch; b != nil {
		// Written with the group's others; a retry of an earlier push is
		// found then, and the group runs again unbatched (batch.go).
		b.holdInbound(m.OpenID, args)
		tx.claimedFor = m.OpenID
		return true, reply, nil
	}
	_, err := tx.exec(ctx, insertInbound, args...)
	if err == nil {
		return true, reply, nil
	}
	if !tx.dialect.isUniqueViolation(err) {
		return false, mashang.Reply{}, fmt.Errorf("insert inbound message: %w", err)
	}
	var earlier string
	if err := tx.queryRow(ctx, selectEarlierReply, key).Scan(&earlier); err != nil {
		return false, mashang.Reply{}, fmt.Errorf("read earlier reply: %w", err)
	}
	return false, mashang.Reply{Text: earlier}, nil
}

// InboundMessage is a stored push, as staff and tests read it back.
type InboundMessage struct {
	DedupKey    string
	OpenID      string
	MsgType     string
	Event       string
	EventKey    string
	Content     string
	MediaID     string
	Recognition string
	LocationX   sql.NullFloat64
	LocationY   sql.NullFloat64
	Label       string
	Raw         string
	CreateTime  time.Time
	ReceivedAt  time.Time
	Reply       string
}

// InboundMessages lists stored pushes, oldest first.
func (db *DB) InboundMessages(ctx context.Context) ([]InboundMessage, error) {
	rows, err := db.db.QueryContext(ctx, `
		SELECT dedup_key, openid, msg_type, event, event_key, content, media_id, recognition,
		       location_x, location_y, label, raw, created_at, received_at, reply
		FROM inbound_messages
		ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list inbound messages: %w", err)
	}
	defer rows.Close()
	var out []InboundMessage
	for rows.Next() {
		var m InboundMessage
		if err := rows.Scan(&m.DedupKey, &m.OpenID, &m.MsgType, &m.Event, &m.EventKey, &m.Content, &m.MediaID,
			&m.Recognition, &m.LocationX, &m.LocationY, &m.Label, &m.Raw, &m.CreateTime, &m.ReceivedAt, &m.Reply); err != nil {
			return nil, fmt.Errorf("read inbound message: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// CountInbound counts stored pushes.
func (db *DB) CountInbound(ctx context.Context) (int, error) {
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbound_messages`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count inbound messages: %w", err)
	}
	return n, nil
}

// Follower is what we keep of a citizen who follows the Official Account.
type Follower struct {
	OpenID         string
	Subscribed     bool
	StateChangedAt time.Time
	LastScene      sql.NullString // the last station or deputy code scanned
	LastSceneAt    sql.NullTime
}

// FollowerByOpenID reads one follower record.
func (db *DB) FollowerByOpenID(ctx context.Context, openid string) (Follower, error) {
	f := Follower{OpenID: openid}
	err := db.db.QueryRowContext(ctx, selectFollower, openid).
		Scan(&f.Subscribed, &f.StateChangedAt, &f.LastScene, &f.LastSceneAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Follower{}, mashang.NotFound("关注者")
	}
	if err != nil {
		return Follower{}, fmt.Errorf("read follower: %w", err)
	}
	return f, nil
}

const selectFollower = `
	SELECT subscribed, state_changed_at, last_scene, last_scene_at
	FROM followers WHERE openid = ?`

// RecordFollow marks openid as following since at.
func (tx *Tx) RecordFollow(ctx context.Context, openid string, at time.Time) error {
	return tx.changeFollower(ctx, openid, at, func(f *Follower) {
		f.Subscribed = true
		f.StateChangedAt = at
	})
}

// RecordUnfollow marks openid as gone and drops what we knew of them: WeChat
// asks that a user's information be deleted when they unfollow. What they
// raised stays, as the congress's record.
func (tx *Tx) RecordUnfollow(ctx context.Context, openid string, at time.Time) error {
	err := tx.changeFollower(ctx, openid, at, func(f *Follower) {
		f.Subscribed = false
		f.StateChangedAt = at
		f.LastScene = sql.NullString{}
		f.LastSceneAt = sql.NullTime{}
	})
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM follower_unions WHERE openid = ?`, openid); err != nil {
		return fmt.Errorf("forget follower's unionid: %w", err)
	}
	if _, err := tx.exec(ctx, `DELETE FROM follower_unions_due WHERE openid = ?`, openid); err != nil {
		return fmt.Errorf("forget follower's unionid: %w", err)
	}
	return nil
}

// RecordScan notes the station or deputy code openid scanned. Only
// followers can scan into a conversation, so it also marks them following
// (their subscribe may predate this service).
func (tx *Tx) RecordScan(ctx context.Context, openid string, at time.Time, scene mashang.Scene) error {
	return tx.changeFollower(ctx, openid, at, func(f *Follower) {
		if !f.Subscribed {
			f.Subscribed = true
			f.StateChangedAt = at
		}
		f.LastScene = sql.NullString{String: scene.String(), Valid: true}
		f.LastSceneAt = sql.NullTime{Time: at, Valid: true}
	})
}

// changeFollower reads the follower, applies change and writes it back,
// unless what is recorded happened after at: WeChat can deliver a retry of
// an older push after a newer one.
func (tx *Tx) changeFollower(ctx context.Context, openid string, at time.Time, change func(*Follower)) error {
	at = at.UTC()
	tx.conversation, tx.recent = nil, nil
	f := Follower{OpenID: openid}
	err := tx.queryRow(ctx, selectFollower+tx.dialect.forUpdate(), openid).
		Scan(&f.Subscribed, &f.StateChangedAt, &f.LastScene, &f.LastSceneAt)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read follower: %w", err)
	}
	if exists && at.Before(f.StateChangedAt) {
		return nil
	}
	wasFollowing := exists && f.Subscribed
	change(&f)
	if f.Subscribed && !wasFollowing {
		if err := tx.queueFollowerUnion(ctx, openid, at); err != nil {
			return err
		}
	}
	if exists {
		_, err = tx.exec(ctx, `
			UPDATE followers SET subscribed = ?, state_changed_at = ?, last_scene = ?, last_scene_at = ?
			WHERE openid = ?`,
			f.Subscribed, f.StateChangedAt.UTC(), f.LastScene, nullTimeUTC(f.LastSceneAt), openid)
		if err != nil {
			return fmt.Errorf("update follower: %w", err)
		}
		return nil
	}
	_, err = tx.exec(ctx, `
		INSERT INTO followers (openid, subscribed, state_changed_at, last_scene, last_scene_at)
		VALUES (?, ?, ?, ?, ?)`,
		openid, f.Subscribed, f.StateChangedAt.UTC(), f.LastScene, nullTimeUTC(f.LastSceneAt))
	if tx.dialect.isUniqueViolation(err) {
		return errConflictRetry // a concurrent push from the same citizen inserted first
	}
	if err != nil {
		return fmt.Errorf("insert follower: %w", err)
	}
	return nil
}

func nullTimeUTC(t sql.NullTime) sql.NullTime {
	if t.Valid {
		t.Time = t.Time.UTC()
	}
	return t
}
