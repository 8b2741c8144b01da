package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"mashang"
)

// onWall is the condition that a wall entry w of case c is on the wall:
// published since the case was last closed, the case still closed and its
// citizen still agreeing. A case reopened after publication leaves the wall
// until it is published again.
const onWall = `w.published = 1 AND c.status = 'closed' AND c.public_consent = 1 AND w.decided_at >= c.closed_at`

// closedWith is how a case was closed: the latest "closed" line's detail.
const closedWith = `(SELECT e.detail FROM case_events e WHERE e.case_id = c.id AND e.kind = 'closed' ORDER BY e.id DESC LIMIT 1)`

// WallCases lists the cases within reach on the results wall, latest
// published first, with the texts as published. Here and below the wall's
// own tables lead the join (casesFirst, CROSS JOIN): the planners would
// otherwise walk every case of the reach's stations.
func (db *DB) WallCases(ctx context.Context, r mashang.Reach, limit int) ([]mashang.WallCase, error) {
	where, args := caseReach(r)
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.WallCase, error) {
		var w mashang.WallCase
		err := row.Scan(&w.StationName, &w.Category, &w.Summary, &w.Rating, &w.ClosedAt, &w.Result)
		return w, err
	}, `
		SELECT `+db.dialect.casesFirst()+stationName+`, c.category, w.problem, c.rating, c.closed_at, w.result
		FROM wall_entries w CROSS JOIN cases c ON c.id = w.case_id
		WHERE `+onWall+` AND `+where+`
		ORDER BY w.decided_at DESC, c.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("read the results wall: %w", err)
	}
	return out, nil
}

func scanWallReview(row scanner) (mashang.WallReview, error) {
	var w mashang.WallReview
	var result, problem, published, by sql.NullString
	var decided sql.NullTime
	err := row.Scan(&w.Number, &w.StationName, &w.Category, &w.ClosedAt, &w.Summary, &result, &problem, &published, &decided, &by)
	w.Result, w.PublishedProblem, w.PublishedResult, w.DecidedBy = result.String, problem.String, published.String, by.String
	w.Published, w.DecidedAt = problem.Valid, decided.Time
	return w, err
}

// WallReviews lists, within reach, the consented closed cases waiting for
// a staff member's decision (oldest first) and the cases on the wall
// (latest published first), up to limit each.
func (db *DB) WallReviews(ctx context.Context, r mashang.Reach, limit int) (waiting, published []mashang.WallReview, err error) {
	where, args := caseReach(r)
	waiting, err = scanAll(ctx, db.db, scanWallReview, `
		SELECT `+db.dialect.casesFirst()+`c.number, `+stationName+`, c.category, c.closed_at, c.summary, `+closedWith+`, NULL, NULL, NULL, NULL
		FROM wall_waiting q CROSS JOIN cases c ON c.id = q.case_id
		WHERE c.status = 'closed' AND c.public_consent = 1 AND `+where+`
		ORDER BY q.since, q.case_id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, nil, fmt.Errorf("read the cases waiting for the wall: %w", err)
	}
	published, err = scanAll(ctx, db.db, scanWallReview, `
		SELECT `+db.dialect.casesFirst()+`c.number, `+stationName+`, c.category, c.closed_at, c.summary, `+closedWith+`, w.problem, w.result, w.decided_at, w.decided_by
		FROM wall_entries w CROSS JOIN cases c ON c.id = w.case_id
		WHERE `+onWall+` AND `+where+`
		ORDER BY w.decided_at DESC, c.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, nil, fmt.Errorf("read the cases on the wall: %w", err)
	}
	return waiting, published, nil
}

// UpdateWall runs a publishing decision in a write transaction.
func (db *DB) UpdateWall(ctx context.Context, fn func(mashang.WallTx) error) error {
	return db.update(ctx, func(tx *Tx) error { return fn(tx) })
}

// WallEntryOf reads the case's latest wall decision and whether the case
// is on the wall now.
func (tx *Tx) WallEntryOf(ctx context.Context, caseID int64) (mashang.WallDecision, bool, error) {
	var d mashang.WallDecision
	var on bool
	err := tx.tx.QueryRowContext(ctx, `
		SELECT w.published, w.problem, w.result, w.decided_by, w.reason, w.decided_at, CASE WHEN `+onWall+` THEN 1 ELSE 0 END
		FROM wall_entries w JOIN cases c ON c.id = w.case_id WHERE w.case_id = ?`, caseID).
		Scan(&d.Published, &d.Problem, &d.Result, &d.By, &d.Reason, &d.At, &on)
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.WallDecision{}, false, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("read the wall entry: %w", err)
	}
	return d, on, nil
}

// SetWallEntry records a decision on the case's wall entry; the case no
// longer waits for one (until it is closed again).
func (tx *Tx) SetWallEntry(ctx context.Context, caseID int64, d mashang.WallDecision) error {
	at := d.At.UTC().Truncate(time.Millisecond)
	res, err := tx.exec(ctx, `UPDATE wall_entries SET problem = ?, result = ?, published = ?, decided_at = ?, decided_by = ?, reason = ? WHERE case_id = ?`,
		d.Problem, d.Result, d.Published, at, d.By, d.Reason, caseID)
	if err != nil {
		return fmt.Errorf("record the wall decision: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		if _, err := tx.exec(ctx, `INSERT INTO wall_entries (case_id, problem, result, published, decided_at, decided_by, reason) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			caseID, d.Problem, d.Result, d.Published, at, d.By, d.Reason); err != nil {
			return fmt.Errorf("record the wall decision: %w", err)
		}
	}
	if _, err := tx.exec(ctx, `DELETE FROM wall_waiting WHERE case_id = ?`, caseID); err != nil {
		return fmt.Errorf("take the case off the wall's queue: %w", err)
	}
	return nil
}
