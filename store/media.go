package store

import (
	"context"
	"fmt"
	"time"

	"mashang"
)

// selectPendingMedia lists media not fetched yet: on SQLite by the partial
// index of migration 00005 (messages with a media ID), on MySQL by the
// range of an empty path, a media type and fewer attempts than the limit
// (00057) — never by reading every text.
const selectPendingMedia = `
		SELECT id, dedup_key, msg_type, media_id, created_at, media_attempts
		FROM inbound_messages
		WHERE media_id <> '' AND media_path = '' AND media_attempts < ? AND created_at >= ?
		  AND msg_type IN ('image', 'voice', 'video', 'shortvideo')
		ORDER BY id
		LIMIT ?`

// PendingMedia lists media not fetched yet, still held by WeChat.
func (db *DB) PendingMedia(ctx context.Context, since time.Time, maxAttempts, limit int) ([]mashang.PendingMedia, error) {
	rows, err := db.db.QueryContext(ctx, selectPendingMedia, maxAttempts, since.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("list pending media: %w", err)
	}
	defer rows.Close()
	var out []mashang.PendingMedia
	for rows.Next() {
		var p mashang.PendingMedia
		if err := rows.Scan(&p.ID, &p.DedupKey, &p.MsgType, &p.MediaID, &p.CreateTime, &p.Attempts); err != nil {
			return nil, fmt.Errorf("read pending media: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// MediaFetched records where a media file was kept.
func (db *DB) MediaFetched(ctx context.Context, m mashang.PendingMedia, path string) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE inbound_messages SET media_path = ?, media_error = '' WHERE id = ?`, path, m.ID); err != nil {
			return fmt.Errorf("record media: %w", err)
		}
		return nil
	})
}

// MediaFailed counts a failed fetch.
func (db *DB) MediaFailed(ctx context.Context, m mashang.PendingMedia, reason string) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `
			UPDATE inbound_messages SET media_attempts = media_attempts + 1, media_error = ? WHERE id = ?`,
			truncateRunes(reason, 500), m.ID)
		if err != nil {
			return fmt.Errorf("record media failure: %w", err)
		}
		return nil
	})
}

// MediaPaths maps each stored message's dedup key to its media file.
func (db *DB) MediaPaths(ctx context.Context) (map[string]string, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT dedup_key, media_path FROM inbound_messages WHERE media_path <> ''`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, p string
		if err := rows.Scan(&k, &p); err != nil {
			return nil, err
		}
		out[k] = p
	}
	return out, rows.Err()
}
