package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"mashang"
)

// UpdateRating runs fn in one write transaction.
func (db *DB) UpdateRating(ctx context.Context, fn func(mashang.RatingTx) error) error {
	return db.update(ctx, func(tx *Tx) error { return fn(tx) })
}

// LatestReply is the ID of the case's latest answer to the citizen.
func (tx *Tx) LatestReply(ctx context.Context, caseID int64) (int64, error) {
	var id int64
	err := tx.tx.QueryRowContext(ctx, `
		SELECT id FROM case_events WHERE case_id = ? AND kind = ? ORDER BY id DESC LIMIT 1`, caseID, mashang.EventReply).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, mashang.NotFound("答复")
	}
	if err != nil {
		return 0, fmt.Errorf("find latest reply: %w", err)
	}
	return id, nil
}

// AddRating records r against the answer it rates; the unique key on
// (case, answer) keeps a second verdict on the same answer out, even from
// two requests at once.
func (tx *Tx) AddRating(ctx context.Context, caseID int64, r mashang.Rating) (int, error) {
	_, err := tx.tx.ExecContext(ctx, `
		INSERT INTO case_ratings (case_id, reply_event_id, verdict, comment, rated_at) VALUES (?, ?, ?, ?, ?)`,
		caseID, r.ReplyEventID, r.Verdict, r.Comment, r.At.UTC())
	if tx.dialect.isUniqueViolation(err) {
		return 0, mashang.Errorf(mashang.ECONFLICT, "这次答复已经评价过了；收到新的答复后可以再评价")
	}
	if err != nil {
		return 0, fmt.Errorf("record rating: %w", err)
	}
	poor := r.Verdict == mashang.RatingDissatisfied
	if _, err := tx.tx.ExecContext(ctx, `
		UPDATE cases
		SET rating = ?,
		    poor_ratings = poor_ratings + CASE WHEN ? THEN 1 ELSE 0 END,
		    status = CASE WHEN ? THEN 'reopened' ELSE status END,
		    closed_at = CASE WHEN ? THEN NULL ELSE closed_at END
		WHERE id = ?`, r.Verdict, poor, poor, poor, caseID); err != nil {
		return 0, fmt.Errorf("keep rating on case: %w", err)
	}
	var count int
	if err := tx.tx.QueryRowContext(ctx, `SELECT poor_ratings FROM cases WHERE id = ?`, caseID).Scan(&count); err != nil {
		return 0, fmt.Errorf("read poor ratings: %w", err)
	}
	return count, nil
}
