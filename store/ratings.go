package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"mashang"
)

// UpdateRating runs fn in one write transaction.
func (db *DB) UpdateRating(ctx context.Context, fn func(mashang.RatingTx) error) error {
	return db.update(ctx, func(tx *Tx) error { return fn(tx) })
}

// answerKinds are the timeline's answers a citizen rates: what staff sent
// them, and the closing with its result.
const answerKinds = `('` + string(mashang.EventReply) + `', '` + string(mashang.EventClosed) + `')`

// latestAnswer is the ID of case c's latest answer (0: none), in a query
// over cases c.
const latestAnswer = `COALESCE((SELECT MAX(e.id) FROM case_events e WHERE e.case_id = c.id AND e.kind IN ` + answerKinds + `), 0)`

// LatestReply is the ID of the case's latest answer to the citizen: the
// answer staff sent, or the closing with its result.
func (tx *Tx) LatestReply(ctx context.Context, caseID int64) (int64, error) {
	var id int64
	err := tx.tx.QueryRowContext(ctx, `
		SELECT id FROM case_events WHERE case_id = ? AND kind IN `+answerKinds+` ORDER BY id DESC LIMIT 1`, caseID).Scan(&id)
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

// HandedTo lists the departments the case is handed to, the lead first.
func (tx *Tx) HandedTo(ctx context.Context, caseID int64) ([]mashang.CaseDepartment, error) {
	return caseDepartments(ctx, tx.tx, caseID)
}

// Rehand opens a closed case again with the department it was handed to,
// with a new deadline; handed_at stays, so the department's tallies count
// the hand-over once, on its day, and the timeline's "reopened" marks it
// re-handled.
func (tx *Tx) Rehand(ctx context.Context, caseID int64, days int, due time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `
		UPDATE cases SET status = ?, deadline_days = ?, deadline = ?, closed_at = NULL, overdue = 0
		WHERE id = ?`, mashang.CaseReopened, days, due.UTC(), caseID); err != nil {
		return fmt.Errorf("hand the case back: %w", err)
	}
	return nil
}

// SetConsent records the citizen's word on the results wall.
func (tx *Tx) SetConsent(ctx context.Context, caseID int64, consent bool) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE cases SET public_consent = ? WHERE id = ?`, consent, caseID); err != nil {
		return fmt.Errorf("record consent: %w", err)
	}
	return nil
}

// ratingAsks reads closed cases with their latest answer and whether it
// is rated; where filters cases c.
func (tx *Tx) ratingAsks(ctx context.Context, where string, args ...any) ([]mashang.RatingAsk, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT `+caseColumns+`, c.closed_at, `+latestAnswer+caseFrom+` WHERE c.status = ? AND `+where,
		append([]any{mashang.CaseClosed}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("find closed cases to rate: %w", err)
	}
	var out []mashang.RatingAsk
	for rows.Next() {
		var a mashang.RatingAsk
		if a.Case, err = scanCase(rows, &a.ClosedAt, &a.AnswerID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read a closed case to rate: %w", err)
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find closed cases to rate: %w", err)
	}
	for i, a := range out {
		var n int
		if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM case_ratings WHERE case_id = ? AND reply_event_id = ?`,
			a.Case.ID, a.AnswerID).Scan(&n); err != nil {
			return nil, fmt.Errorf("read whether an answer is rated: %w", err)
		}
		out[i].Rated = n > 0 || a.AnswerID == 0
	}
	return out, nil
}

// ClosedToRate is openid's case closed latest, at since or after.
func (tx *Tx) ClosedToRate(ctx context.Context, openid string, since time.Time) (mashang.RatingAsk, error) {
	asks, err := tx.ratingAsks(ctx, `c.openid = ? AND c.closed_at >= ? ORDER BY c.closed_at DESC, c.id DESC LIMIT 1`, openid, since.UTC())
	if err != nil {
		return mashang.RatingAsk{}, err
	}
	if len(asks) == 0 {
		return mashang.RatingAsk{}, mashang.NotFound("待评价的问题")
	}
	return asks[0], nil
}

// ToRemind lists the cases closed from from up to to whose citizen was not
// yet reminded to rate their latest answer.
func (tx *Tx) ToRemind(ctx context.Context, from, to time.Time) ([]mashang.RatingAsk, error) {
	return tx.ratingAsks(ctx, `c.closed_at >= ? AND c.closed_at <= ? AND c.openid <> ''
		AND COALESCE(c.rating_reminded, 0) <> `+latestAnswer+` ORDER BY c.closed_at, c.id`, from.UTC(), to.UTC())
}

// MarkReminded notes that the answer's citizen was reminded, unless that
// was noted already.
func (tx *Tx) MarkReminded(ctx context.Context, caseID, answerID int64) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE cases SET rating_reminded = ? WHERE id = ? AND COALESCE(rating_reminded, 0) <> ?`,
		answerID, caseID, answerID)
	if err != nil {
		return false, fmt.Errorf("mark the rating reminder: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark the rating reminder: %w", err)
	}
	return n == 1, nil
}

// selectAwaitingReason is the number of a citizen's case whose latest
// rating, since a time, is 不满意 without a reason. Every text a citizen
// sends asks it (is this the reason they were asked for?), so it is
// prepared once (hotQueries) and starts from the citizen's own cases, whose
// latest verdict (cases.rating) rules out nearly all of them at once;
// reading the whole case with its joins on every message doubled the
// callback's CPU per push.
const selectAwaitingReason = `SELECT c.number FROM cases c JOIN case_ratings r ON r.case_id = c.id
	WHERE c.openid = ? AND c.rating = ? AND r.comment = '' AND r.rated_at >= ?
	  AND r.id = (SELECT MAX(r2.id) FROM case_ratings r2 WHERE r2.case_id = c.id)
	ORDER BY r.id DESC LIMIT 1`

// selectConversationAwaiting asks, in one round trip, what every citizen's
// text needs to know first: the rating awaiting its reason (as
// selectAwaitingReason) and the citizen's conversation (as
// selectConversation, and locked as it locks it). A text that is not a
// reason goes on to ConversationScene, which finds the row already read.
//
// It also reads the citizen's latest case from that conversation's scene
// that is neither closed nor merged, for the RecentCase that follows
// (whether the text joins it): one statement a text fewer on either
// database. On MySQL its row is locked with the citizen's, which the text
// joining it would do a moment later anyway.
const selectConversationAwaiting = `SELECT f.last_scene, f.last_scene_at, (` + selectAwaitingReason + `),
	rc.id, rc.number, rc.station_id, rc.category, rc.last_message_at
	FROM followers f LEFT JOIN cases rc ON rc.id = (SELECT lc.id FROM cases lc
		WHERE lc.openid = f.openid AND lc.scene = f.last_scene AND lc.status NOT IN ('closed', 'merged')
		ORDER BY lc.last_message_at DESC LIMIT 1)
	WHERE f.openid = ?`

// conversationRead is a follower's conversation, read with the rating
// awaiting its reason, for the ConversationScene that follows in the same
// transaction, and the latest open case from its scene (recent) for the
// RecentCase after that.
type conversationRead struct {
	openid string
	scene  sql.NullString
	at     sql.NullTime
	found  bool
	recent recentRead
}

// recentRead is the latest case, neither closed nor merged, of one
// citizen from one scene, as selectConversationAwaiting read it: RecentCase
// takes it instead of asking again.
type recentRead struct {
	openid, scene string
	id            sql.NullInt64
	number        sql.NullString
	stationID     sql.NullInt64
	category      sql.NullString
	lastMessageAt sql.NullTime
}

// noReasonAwaited is AwaitingReason's answer for nearly every citizen's
// text, made once: building it (two wrapped errors) was a tenth of the
// call on SQLite's one writer.
var noReasonAwaited = mashang.NotFound("待说明原因的评价")

// AwaitingReason is openid's case whose latest rating, at since or after,
// is 不满意 without a reason.
func (tx *Tx) AwaitingReason(ctx context.Context, openid string, since time.Time) (mashang.Case, error) {
	var number sql.NullString
	read := &conversationRead{openid: openid, found: true}
	// The conversation's lock must hold across a Galera cluster too.
	if err := tx.lockWritten(ctx, "followers", openid); err != nil {
		return mashang.Case{}, err
	}
	recent := &read.recent
	var err error
	if ahead, ok := tx.tx.takeAhead(openid, since); ok {
		// Read (and locked) with the rest of its group.
		*read, number = ahead.conversation, ahead.awaiting
	} else {
		query := selectConversationAwaiting + tx.dialect.forUpdate()
		err = tx.tx.readOwn(ctx, openid, tx.stmts[query], query, openid, mashang.RatingDissatisfied, since.UTC(), openid).
			Scan(&read.scene, &read.at, &number, &recent.id, &recent.number, &recent.stationID, &recent.category, &recent.lastMessageAt)
		recent.openid, recent.scene = openid, read.scene.String
	}
	if errors.Is(err, sql.ErrNoRows) {
		// Not a follower we know: no conversation, but perhaps a case.
		read.found = false
		err = tx.queryRow(ctx, selectAwaitingReason, openid, mashang.RatingDissatisfied, since.UTC()).Scan(&number)
		if errors.Is(err, sql.ErrNoRows) {
			err = nil
		}
	}
	if err != nil {
		return mashang.Case{}, fmt.Errorf("find a rating awaiting its reason: %w", err)
	}
	tx.conversation = read
	if !number.Valid {
		return mashang.Case{}, noReasonAwaited
	}
	return tx.CaseByNumber(ctx, openid, number.String)
}

// AddRatingReason gives the case's latest rating its reason, if it has none.
func (tx *Tx) AddRatingReason(ctx context.Context, caseID int64, reason string) error {
	var id int64
	if err := tx.tx.QueryRowContext(ctx, `SELECT MAX(id) FROM case_ratings WHERE case_id = ?`, caseID).Scan(&id); err != nil {
		return fmt.Errorf("find the rating: %w", err)
	}
	if _, err := tx.tx.ExecContext(ctx, `UPDATE case_ratings SET comment = ? WHERE id = ? AND comment = ''`, reason, id); err != nil {
		return fmt.Errorf("record the rating's reason: %w", err)
	}
	return nil
}

// CaseRating says where the case's latest answer stands for its page: its
// rating if rated (false: not yet, or no answer).
func (db *DB) CaseRating(ctx context.Context, caseID int64) (answered bool, r mashang.Rating, rated bool, err error) {
	var answer int64
	if err := db.db.QueryRowContext(ctx, `SELECT `+latestAnswer+` FROM cases c WHERE c.id = ?`, caseID).Scan(&answer); err != nil {
		return false, r, false, fmt.Errorf("find the latest answer: %w", err)
	}
	if answer == 0 {
		return false, r, false, nil
	}
	err = db.db.QueryRowContext(ctx, `SELECT verdict, comment, rated_at, reply_event_id FROM case_ratings WHERE case_id = ? AND reply_event_id = ?`,
		caseID, answer).Scan(&r.Verdict, &r.Comment, &r.At, &r.ReplyEventID)
	if errors.Is(err, sql.ErrNoRows) {
		return true, r, false, nil
	}
	if err != nil {
		return true, r, false, fmt.Errorf("read the rating: %w", err)
	}
	return true, r, true, nil
}
