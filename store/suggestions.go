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

// Deputies' suggestions: their record, signers, linked cases, bodies,
// contacts, answers, files, evaluations and history (migration 00043).

// UpdateSuggestions runs fn in one write transaction (mashang.SuggestionStore).
func (db *DB) UpdateSuggestions(ctx context.Context, fn func(mashang.SuggestionTx) error) error {
	return db.update(ctx, func(tx *Tx) error { return fn(tx) })
}

// suggestionColumns are a suggestion's own, with its lead deputy's and
// station's names and its session.
const suggestionColumns = `g.id, g.number, g.deputy_id, d.name, g.station_id, st.name, g.session_id, COALESCE(cs.name, ''),
	COALESCE(cs.term, 0), COALESCE(cs.meeting, 0), g.title, g.matter, g.proposal, g.category, g.status, g.reason, g.paper,
	g.entered_by, COALESCE(g.merged_into, 0), g.created_at, g.updated_at, g.received_at, g.submitted_at, g.handover_due,
	g.accepted_at, g.handed_at, g.due, g.extended, g.extend_reason, g.round, g.redo_due, g.answered_at, g.promised_on,
	g.closed_at, g.close_note, g.colour, g.key_official, g.key_plan, g.key_marked_at, g.key_marked_by
	FROM suggestions g JOIN deputies d ON d.id = g.deputy_id JOIN stations st ON st.id = g.station_id
	LEFT JOIN congress_sessions cs ON cs.id = g.session_id`

func scanSuggestion(row scanner) (mashang.Suggestion, error) {
	var g mashang.Suggestion
	var session sql.NullInt64
	var sessionName, status string
	var term, meeting int
	var received, submitted, handoverDue, accepted, handed, due, redoDue, answered, promised, closed, key sql.NullTime
	err := row.Scan(&g.ID, &g.Number, &g.DeputyID, &g.DeputyName, &g.StationID, &g.StationName, &session, &sessionName,
		&term, &meeting, &g.Title, &g.Matter, &g.Proposal, &g.Category, &status, &g.Reason, &g.Paper,
		&g.EnteredBy, &g.MergedInto, &g.CreatedAt, &g.UpdatedAt, &received, &submitted, &handoverDue,
		&accepted, &handed, &due, &g.Extended, &g.ExtendReason, &g.Round, &redoDue, &answered, &promised,
		&closed, &g.CloseNote, &g.Colour, &g.KeyOfficial, &g.KeyPlan, &key, &g.KeyMarkedBy)
	if err != nil {
		return g, err
	}
	g.Status = mashang.SuggestionStatus(status)
	if session.Valid {
		g.Session = &mashang.CongressSession{ID: session.Int64, Name: sessionName, Term: term, Meeting: meeting}
	}
	g.ReceivedAt, g.SubmittedAt, g.AcceptedAt, g.HandedAt = timePtr(received), timePtr(submitted), timePtr(accepted), timePtr(handed)
	g.AnsweredAt, g.ClosedAt, g.KeyMarkedAt = timePtr(answered), timePtr(closed), timePtr(key)
	g.HandoverDue, g.Due, g.RedoDue, g.PromisedOn = handoverDue.Time, due.Time, redoDue.Time, promised.Time
	return g, nil
}

func nullTimeOf(t time.Time) sql.NullTime {
	return sql.NullTime{Time: t.UTC(), Valid: !t.IsZero()}
}

func nullTimePtr(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return nullTimeOf(*t)
}

// suggestionsWhere lists the suggestions matching where, newest first;
// with parts, each with its signers, cases and bodies (three queries
// each: for one suggestion or a few, not for a page of a list).
func suggestionsWhere(ctx context.Context, q sqlQuerier, limit int, parts bool, where string, args ...any) ([]mashang.Suggestion, error) {
	list, err := scanAll(ctx, q, scanSuggestion, `SELECT `+suggestionColumns+` WHERE `+where+` ORDER BY g.id DESC LIMIT ?`,
		append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list suggestions: %w", err)
	}
	for i := range list {
		if !parts {
			break
		}
		if err := suggestionParts(ctx, q, &list[i]); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// suggestionParts reads a suggestion's signers, cases and bodies.
func suggestionParts(ctx context.Context, q sqlQuerier, g *mashang.Suggestion) error {
	var err error
	signers, err := scanAll(ctx, q, scanSigner, `SELECT `+signerColumns+` WHERE s.suggestion_id = ? ORDER BY s.invited_at, d.id`, g.ID)
	if err != nil {
		return fmt.Errorf("list the suggestion's signers: %w", err)
	}
	g.Signers = nil
	for _, s := range signers {
		g.Signers = append(g.Signers, s.Signer)
	}
	g.Cases, err = scanAll(ctx, q, func(row scanner) (mashang.CaseLink, error) {
		l := mashang.CaseLink{SuggestionID: g.ID, Title: g.Title, Status: g.Status}
		return l, row.Scan(&l.CaseID, &l.Number)
	}, `SELECT c.id, c.number FROM suggestion_cases sc JOIN cases c ON c.id = sc.case_id WHERE sc.suggestion_id = ? ORDER BY c.id`, g.ID)
	if err != nil {
		return fmt.Errorf("list the suggestion's cases: %w", err)
	}
	bodies, err := scanAll(ctx, q, scanSuggestionBody, `SELECT `+suggestionBodyColumns+` WHERE b.suggestion_id = ? ORDER BY b.lead DESC, p.name`, g.ID)
	if err != nil {
		return fmt.Errorf("list the suggestion's bodies: %w", err)
	}
	g.Bodies = nil
	for _, b := range bodies {
		g.Bodies = append(g.Bodies, b.SuggestionBody)
	}
	return nil
}

// suggestionSigner is a signer with the suggestion it signs, so a list of
// several suggestions' signers can be read at once.
type suggestionSigner struct {
	suggestionID int64
	mashang.Signer
}

const signerColumns = `s.suggestion_id, s.deputy_id, d.name, s.invited_at, s.confirmed_at, s.declined_at, s.merged
	FROM suggestion_signers s JOIN deputies d ON d.id = s.deputy_id`

func scanSigner(row scanner) (suggestionSigner, error) {
	var s suggestionSigner
	var confirmed, declined sql.NullTime
	err := row.Scan(&s.suggestionID, &s.DeputyID, &s.Name, &s.InvitedAt, &confirmed, &declined, &s.Merged)
	s.ConfirmedAt, s.DeclinedAt = timePtr(confirmed), timePtr(declined)
	return s, err
}

// suggestionBodyRow is a body with the suggestion it is handed.
type suggestionBodyRow struct {
	suggestionID int64
	mashang.SuggestionBody
}

const suggestionBodyColumns = `b.suggestion_id, b.department_id, p.name, b.lead, b.handed_at, b.ack_due, b.acknowledged_at, b.acknowledged_by,
	b.near_noticed_at IS NOT NULL, b.overdue_noticed_at IS NOT NULL
	FROM suggestion_bodies b JOIN departments p ON p.id = b.department_id`

func scanSuggestionBody(row scanner) (suggestionBodyRow, error) {
	var b suggestionBodyRow
	var acked sql.NullTime
	err := row.Scan(&b.suggestionID, &b.DepartmentID, &b.Name, &b.Lead, &b.HandedAt, &b.AckDue, &acked, &b.AcknowledgedBy,
		&b.NearNoticed, &b.OverdueNoticed)
	b.AcknowledgedAt = timePtr(acked)
	return b, err
}

func oneSuggestion(list []mashang.Suggestion, err error) (mashang.Suggestion, error) {
	if err != nil {
		return mashang.Suggestion{}, err
	}
	if len(list) == 0 {
		return mashang.Suggestion{}, mashang.Errorf(mashang.ENOTFOUND, "没有找到这件建议")
	}
	return list[0], nil
}

// Suggestion reads one, locked for the transaction (mashang.SuggestionTx).
func (tx *Tx) Suggestion(ctx context.Context, id int64) (mashang.Suggestion, error) {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE suggestions SET id = id WHERE id = ?`, id); err != nil {
		return mashang.Suggestion{}, fmt.Errorf("lock the suggestion: %w", err)
	}
	return oneSuggestion(suggestionsWhere(ctx, tx.tx, 1, true, `g.id = ?`, id))
}

// AddSuggestion records a new suggestion for its lead deputy's station and
// sets its ID.
func (tx *Tx) AddSuggestion(ctx context.Context, g *mashang.Suggestion) error {
	if err := tx.tx.QueryRowContext(ctx, `SELECT station_id FROM deputies WHERE id = ?`, g.DeputyID).Scan(&g.StationID); err != nil {
		return fmt.Errorf("find the deputy's station: %w", err)
	}
	res, err := tx.tx.ExecContext(ctx, `
		INSERT INTO suggestions (deputy_id, station_id, title, matter, proposal, category, status, paper, entered_by, created_at, updated_at, round)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
		g.DeputyID, g.StationID, g.Title, g.Matter, g.Proposal, g.Category, string(g.Status), g.Paper, g.EnteredBy,
		g.CreatedAt.UTC(), g.CreatedAt.UTC())
	if err != nil {
		return fmt.Errorf("add suggestion: %w", err)
	}
	if g.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.SaveSuggestion(ctx, *g)
}

// SaveSuggestion writes the suggestion's own columns as g holds them.
func (tx *Tx) SaveSuggestion(ctx context.Context, g mashang.Suggestion) error {
	var session sql.NullInt64
	if g.Session != nil {
		session = nullID(g.Session.ID)
	}
	updated := g.UpdatedAt
	if updated.IsZero() {
		updated = g.CreatedAt
	}
	_, err := tx.tx.ExecContext(ctx, `
		UPDATE suggestions SET number = ?, session_id = ?, title = ?, matter = ?, proposal = ?, category = ?, status = ?,
		       reason = ?, merged_into = ?, updated_at = ?, received_at = ?, submitted_at = ?, handover_due = ?, accepted_at = ?,
		       handed_at = ?, due = ?, extended = ?, extend_reason = ?, round = ?, redo_due = ?, answered_at = ?, promised_on = ?,
		       closed_at = ?, close_note = ?
		WHERE id = ?`,
		g.Number, session, g.Title, g.Matter, g.Proposal, g.Category, string(g.Status),
		g.Reason, nullID(g.MergedInto), updated.UTC(), nullTimePtr(g.ReceivedAt), nullTimePtr(g.SubmittedAt), nullTimeOf(g.HandoverDue), nullTimePtr(g.AcceptedAt),
		nullTimePtr(g.HandedAt), nullTimeOf(g.Due), g.Extended, g.ExtendReason, g.Round, nullTimeOf(g.RedoDue), nullTimePtr(g.AnsweredAt), nullTimeOf(g.PromisedOn),
		nullTimePtr(g.ClosedAt), g.CloseNote, g.ID)
	if err != nil {
		return fmt.Errorf("save suggestion: %w", err)
	}
	return nil
}

// SetSuggestionCases replaces the cases a suggestion was raised from.
func (tx *Tx) SetSuggestionCases(ctx context.Context, suggestionID int64, caseIDs []int64) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM suggestion_cases WHERE suggestion_id = ?`, suggestionID); err != nil {
		return fmt.Errorf("unlink cases: %w", err)
	}
	for _, id := range caseIDs {
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO suggestion_cases (suggestion_id, case_id) VALUES (?, ?)`, suggestionID, id); err != nil {
			return fmt.Errorf("link case: %w", err)
		}
	}
	return nil
}

// AddSigner invites a co-signer, or credits a deputy merged in (confirmed
// at once); one already there stays as they are.
func (tx *Tx) AddSigner(ctx context.Context, suggestionID, deputyID int64, at time.Time, merged bool) error {
	var confirmed sql.NullTime
	if merged {
		confirmed = nullTimeOf(at)
	}
	_, err := tx.tx.ExecContext(ctx, `
		INSERT INTO suggestion_signers (suggestion_id, deputy_id, invited_at, confirmed_at, merged) VALUES (?, ?, ?, ?, ?)`,
		suggestionID, deputyID, at.UTC(), confirmed, merged)
	if err != nil && !tx.dialect.isUniqueViolation(err) {
		return fmt.Errorf("add signer: %w", err)
	}
	return nil
}

// RemoveSigner takes back an invitation.
func (tx *Tx) RemoveSigner(ctx context.Context, suggestionID, deputyID int64) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM suggestion_signers WHERE suggestion_id = ? AND deputy_id = ?`, suggestionID, deputyID); err != nil {
		return fmt.Errorf("remove signer: %w", err)
	}
	return nil
}

// AnswerInvitation records a co-signer's answer, once.
func (tx *Tx) AnswerInvitation(ctx context.Context, suggestionID, deputyID int64, confirm bool, at time.Time) (bool, error) {
	column := "declined_at"
	if confirm {
		column = "confirmed_at"
	}
	res, err := tx.tx.ExecContext(ctx, `UPDATE suggestion_signers SET `+column+` = ?
		WHERE suggestion_id = ? AND deputy_id = ? AND confirmed_at IS NULL AND declined_at IS NULL`, at.UTC(), suggestionID, deputyID)
	if err != nil {
		return false, fmt.Errorf("answer invitation: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AddSuggestionBody hands the suggestion to one body.
func (tx *Tx) AddSuggestionBody(ctx context.Context, suggestionID int64, b mashang.SuggestionBody) error {
	if _, err := tx.tx.ExecContext(ctx, `
		INSERT INTO suggestion_bodies (suggestion_id, department_id, lead, handed_at, ack_due) VALUES (?, ?, ?, ?, ?)`,
		suggestionID, b.DepartmentID, b.Lead, b.HandedAt.UTC(), b.AckDue.UTC()); err != nil {
		return fmt.Errorf("hand suggestion to body: %w", err)
	}
	return nil
}

// AcknowledgeSuggestion marks a body's acknowledgement, once.
func (tx *Tx) AcknowledgeSuggestion(ctx context.Context, suggestionID, departmentID int64, actor string, at time.Time) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE suggestion_bodies SET acknowledged_at = ?, acknowledged_by = ?
		WHERE suggestion_id = ? AND department_id = ? AND acknowledged_at IS NULL`, at.UTC(), actor, suggestionID, departmentID)
	if err != nil {
		return false, fmt.Errorf("acknowledge suggestion: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AddContact records a body's contact with the deputy.
func (tx *Tx) AddContact(ctx context.Context, suggestionID int64, c mashang.Contact) error {
	if _, err := tx.tx.ExecContext(ctx, `
		INSERT INTO suggestion_contacts (suggestion_id, department_id, round, contacted_on, how, note, author, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		suggestionID, c.DepartmentID, c.Round, c.On.UTC(), c.How, c.Note, c.Author, c.At.UTC()); err != nil {
		return fmt.Errorf("add contact: %w", err)
	}
	return nil
}

// Contacts lists a suggestion's contacts, oldest first.
func (tx *Tx) Contacts(ctx context.Context, suggestionID int64) ([]mashang.Contact, error) {
	return suggestionContacts(ctx, tx.tx, suggestionID)
}

func suggestionContacts(ctx context.Context, q sqlQuerier, suggestionID int64) ([]mashang.Contact, error) {
	out, err := scanAll(ctx, q, func(row scanner) (mashang.Contact, error) {
		var c mashang.Contact
		return c, row.Scan(&c.ID, &c.DepartmentID, &c.Department, &c.Round, &c.On, &c.How, &c.Note, &c.Author, &c.At)
	}, `SELECT c.id, c.department_id, p.name, c.round, c.contacted_on, c.how, c.note, c.author, c.created_at
		FROM suggestion_contacts c JOIN departments p ON p.id = c.department_id WHERE c.suggestion_id = ? ORDER BY c.id`, suggestionID)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	return out, nil
}

// AddAnswer records an answer or an opinion and sets its ID.
func (tx *Tx) AddAnswer(ctx context.Context, suggestionID int64, a *mashang.Answer) error {
	res, err := tx.tx.ExecContext(ctx, `
		INSERT INTO suggestion_answers (suggestion_id, department_id, lead, round, category, text, promised_on, author, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		suggestionID, a.DepartmentID, a.Lead, a.Round, a.Category, a.Text, nullTimeOf(a.PromisedOn), a.Author, a.At.UTC())
	if err != nil {
		return fmt.Errorf("add answer: %w", err)
	}
	if a.ID, err = res.LastInsertId(); err != nil || !a.Lead {
		return err
	}
	// A new answer's promised date is asked about afresh.
	if _, err := tx.tx.ExecContext(ctx, `UPDATE suggestions SET promise_asked_at = NULL WHERE id = ?`, suggestionID); err != nil {
		return fmt.Errorf("reset the promise's mark: %w", err)
	}
	return nil
}

// Answers lists a suggestion's answers and opinions, oldest first.
func (tx *Tx) Answers(ctx context.Context, suggestionID int64) ([]mashang.Answer, error) {
	return suggestionAnswers(ctx, tx.tx, suggestionID)
}

func suggestionAnswers(ctx context.Context, q sqlQuerier, suggestionID int64) ([]mashang.Answer, error) {
	out, err := scanAll(ctx, q, func(row scanner) (mashang.Answer, error) {
		var a mashang.Answer
		var promised sql.NullTime
		err := row.Scan(&a.ID, &a.DepartmentID, &a.Department, &a.Lead, &a.Round, &a.Category, &a.Text, &promised, &a.Author, &a.At)
		a.PromisedOn = promised.Time
		return a, err
	}, `SELECT a.id, a.department_id, p.name, a.lead, a.round, a.category, a.text, a.promised_on, a.author, a.created_at
		FROM suggestion_answers a JOIN departments p ON p.id = a.department_id WHERE a.suggestion_id = ? ORDER BY a.id`, suggestionID)
	if err != nil {
		return nil, fmt.Errorf("list answers: %w", err)
	}
	return out, nil
}

// AddSuggestionFiles records kept files: a paper suggestion's scan
// (answerID 0) or an answer's letter.
func (tx *Tx) AddSuggestionFiles(ctx context.Context, suggestionID, answerID int64, files []mashang.ResultAttachment, at time.Time) error {
	for _, f := range files {
		if _, err := tx.tx.ExecContext(ctx, `
			INSERT INTO suggestion_files (id, suggestion_id, answer_id, path, content_type, size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			f.ID, suggestionID, nullID(answerID), f.Path, f.ContentType, f.Size, at.UTC()); err != nil {
			return fmt.Errorf("add suggestion file: %w", err)
		}
	}
	return nil
}

// AddEvaluation records the deputy's evaluation of a round.
func (tx *Tx) AddEvaluation(ctx context.Context, suggestionID int64, e mashang.Evaluation) error {
	_, err := tx.tx.ExecContext(ctx, `
		INSERT INTO suggestion_evaluations (suggestion_id, answer_id, deputy_id, round, answer_verdict, contact_verdict, comment, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		suggestionID, e.AnswerID, e.DeputyID, e.Round, e.AnswerVerdict, e.ContactVerdict, e.Comment, e.At.UTC())
	if tx.dialect.isUniqueViolation(err) {
		return mashang.Errorf(mashang.ECONFLICT, "这一轮答复您已经评价过了")
	}
	if err != nil {
		return fmt.Errorf("add evaluation: %w", err)
	}
	return nil
}

// AddSuggestionEvent adds a line to a suggestion's history.
func (tx *Tx) AddSuggestionEvent(ctx context.Context, suggestionID int64, at time.Time, kind mashang.EventKind, actor, detail string) error {
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO suggestion_events (suggestion_id, at, kind, actor, detail) VALUES (?, ?, ?, ?, ?)`,
		suggestionID, at.UTC(), string(kind), actor, detail); err != nil {
		return fmt.Errorf("add suggestion event: %w", err)
	}
	return nil
}

// SessionAt is the congress session going on at, nil between sessions.
func (tx *Tx) SessionAt(ctx context.Context, at time.Time) (*mashang.CongressSession, error) {
	var s mashang.CongressSession
	err := tx.tx.QueryRowContext(ctx, `SELECT id, name, term, meeting, starts_at, ends_at FROM congress_sessions
		WHERE starts_at <= ? AND ends_at > ? ORDER BY starts_at DESC LIMIT 1`, at.UTC(), at.UTC()).
		Scan(&s.ID, &s.Name, &s.Term, &s.Meeting, &s.StartsAt, &s.EndsAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find the session: %w", err)
	}
	return &s, nil
}

// AnswerCategories are the answer categories staff configured, in order.
func (tx *Tx) AnswerCategories(ctx context.Context) ([]mashang.AnswerCategory, error) {
	return answerCategories(ctx, tx.tx)
}

// AnswerCategories are the answer categories, for the handlers' form.
func (db *DB) AnswerCategories(ctx context.Context) ([]mashang.AnswerCategory, error) {
	return answerCategories(ctx, db.db)
}

// SetAnswerCategory adds an answer category or changes one's label, its
// promise (the body says by when) and whether it counts as solved.
func (db *DB) SetAnswerCategory(ctx context.Context, c mashang.AnswerCategory) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `UPDATE answer_categories SET label = ?, promise = ?, solved = ?, sort = ? WHERE code = ?`,
			c.Label, c.Promise, c.Solved, c.Sort, c.Code)
		if err != nil {
			return fmt.Errorf("change answer category: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO answer_categories (code, label, promise, solved, sort) VALUES (?, ?, ?, ?, ?)`,
			c.Code, c.Label, c.Promise, c.Solved, c.Sort); err != nil {
			return fmt.Errorf("add answer category: %w", err)
		}
		return nil
	})
}

func answerCategories(ctx context.Context, q sqlQuerier) ([]mashang.AnswerCategory, error) {
	out, err := scanAll(ctx, q, func(row scanner) (mashang.AnswerCategory, error) {
		var c mashang.AnswerCategory
		return c, row.Scan(&c.Code, &c.Label, &c.Promise, &c.Solved, &c.Sort)
	}, `SELECT code, label, promise, solved, sort FROM answer_categories ORDER BY sort, code`)
	if err != nil {
		return nil, fmt.Errorf("list answer categories: %w", err)
	}
	return out, nil
}

// DeputyOpenID is the deputy's bound WeChat, "" when none.
func (tx *Tx) DeputyOpenID(ctx context.Context, deputyID int64) (string, error) {
	var openid sql.NullString
	if err := tx.tx.QueryRowContext(ctx, `SELECT openid FROM deputies WHERE id = ? AND in_office = ?`, deputyID, true).Scan(&openid); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("find the deputy's WeChat: %w", err)
	}
	return openid.String, nil
}

// TakenCases are the IDs of the cases of numbers the deputy answers for.
func (tx *Tx) TakenCases(ctx context.Context, deputyID int64, numbers []string) ([]int64, error) {
	out := make([]int64, 0, len(numbers))
	for _, n := range numbers {
		var id int64
		err := tx.tx.QueryRowContext(ctx, `SELECT c.id FROM cases c WHERE c.number = ? AND `+deputyReach, n, deputyID, deputyID, deputyID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, mashang.Errorf(mashang.EINVALID, "问题 %s 不是您经手的问题，不能作为建议的来源", n)
		}
		if err != nil {
			return nil, fmt.Errorf("find the case: %w", err)
		}
		out = append(out, id)
	}
	return out, nil
}

// DuePromises are the suggestions answered with a promised date now past
// whose lead body was not yet asked again.
func (tx *Tx) DuePromises(ctx context.Context, now time.Time) ([]mashang.Suggestion, error) {
	return suggestionsWhere(ctx, tx.tx, 500, true, `g.promised_on IS NOT NULL AND g.promised_on <= ? AND g.promise_asked_at IS NULL`, now.UTC())
}

// MarkPromiseAsked is the compare-and-set mark of asking.
func (tx *Tx) MarkPromiseAsked(ctx context.Context, suggestionID int64, at time.Time) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE suggestions SET promise_asked_at = ? WHERE id = ? AND promise_asked_at IS NULL`, at.UTC(), suggestionID)
	if err != nil {
		return false, fmt.Errorf("mark promise asked: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// suggestionReach is the SQL that keeps suggestions (g, their station st)
// to what r may see: by the lead deputy's station, or handed to the
// department.
func suggestionReach(r mashang.Reach) (string, []any) {
	if r.DepartmentID != 0 {
		return "g.id IN (SELECT b.suggestion_id FROM suggestion_bodies b WHERE b.department_id = ?)", []any{r.DepartmentID}
	}
	where, args := reachCondition(r)
	return strings.ReplaceAll(strings.ReplaceAll(where, "c.station_id", "g.station_id"), "s.jurisdiction_id", "st.jurisdiction_id"), args
}

// deputySuggestionCondition keeps suggestions to a deputy's own and those
// they were invited to sign (not declined) or credited on.
const deputySuggestionCondition = `(g.deputy_id = ? OR g.id IN (SELECT s.suggestion_id FROM suggestion_signers s
	WHERE s.deputy_id = ? AND s.declined_at IS NULL))`

// SuggestionsWithin lists the suggestions within reach, newest first, of
// a status ("" any).
func (db *DB) SuggestionsWithin(ctx context.Context, r mashang.Reach, status string, limit int) ([]mashang.Suggestion, error) {
	where, args := suggestionReach(r)
	if status != "" {
		where, args = where+" AND g.status = ?", append(args, status)
	} else if r.DepartmentID == 0 {
		// A draft is the deputy's own until submitted.
		where += " AND g.status <> 'draft'"
	}
	return suggestionsWhere(ctx, db.db, limit, false, where, args...)
}

// SuggestionWithin reads one within reach with its history; beyond it,
// not found. Staff do not read drafts.
func (db *DB) SuggestionWithin(ctx context.Context, r mashang.Reach, id int64) (mashang.Suggestion, []mashang.CaseEvent, error) {
	where, args := suggestionReach(r)
	g, err := oneSuggestion(suggestionsWhere(ctx, db.db, 1, true, `g.id = ? AND g.status <> 'draft' AND `+where, append([]any{id}, args...)...))
	if err != nil {
		return g, nil, err
	}
	events, err := db.SuggestionEvents(ctx, g.ID)
	return g, events, err
}

// DeputySuggestions lists a deputy's own and co-signed suggestions.
func (db *DB) DeputySuggestions(ctx context.Context, deputyID int64, limit int) ([]mashang.Suggestion, error) {
	return suggestionsWhere(ctx, db.db, limit, false, deputySuggestionCondition, deputyID, deputyID)
}

// DeputySuggestion reads one of them with its history; another's is not found.
func (db *DB) DeputySuggestion(ctx context.Context, deputyID, id int64) (mashang.Suggestion, []mashang.CaseEvent, error) {
	g, err := oneSuggestion(suggestionsWhere(ctx, db.db, 1, true, `g.id = ? AND `+deputySuggestionCondition, id, deputyID, deputyID))
	if err != nil {
		return g, nil, err
	}
	events, err := db.SuggestionEvents(ctx, g.ID)
	return g, events, err
}

// SuggestionEvents is a suggestion's history, oldest first.
func (db *DB) SuggestionEvents(ctx context.Context, suggestionID int64) ([]mashang.CaseEvent, error) {
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.CaseEvent, error) {
		var e mashang.CaseEvent
		var kind string
		err := row.Scan(&e.At, &kind, &e.Actor, &e.Detail)
		e.Kind = mashang.EventKind(kind)
		return e, err
	}, `SELECT at, kind, actor, detail FROM suggestion_events WHERE suggestion_id = ? ORDER BY id`, suggestionID)
	if err != nil {
		return nil, fmt.Errorf("read the suggestion's history: %w", err)
	}
	return out, nil
}

// SuggestionWork reads what was done on a suggestion: contacts, answers
// and opinions with their letters, evaluations, and scans.
func (db *DB) SuggestionWork(ctx context.Context, suggestionID int64) (mashang.SuggestionWork, error) {
	var w mashang.SuggestionWork
	var err error
	if w.Contacts, err = suggestionContacts(ctx, db.db, suggestionID); err != nil {
		return w, err
	}
	if w.Answers, err = suggestionAnswers(ctx, db.db, suggestionID); err != nil {
		return w, err
	}
	files, err := scanAll(ctx, db.db, func(row scanner) (mashang.SuggestionFile, error) {
		var f mashang.SuggestionFile
		var answer sql.NullInt64
		err := row.Scan(&f.ID, &answer, &f.Path, &f.ContentType, &f.Size)
		f.AnswerID = answer.Int64
		return f, err
	}, `SELECT id, answer_id, path, content_type, size FROM suggestion_files WHERE suggestion_id = ? ORDER BY created_at, id`, suggestionID)
	if err != nil {
		return w, fmt.Errorf("list suggestion files: %w", err)
	}
	for _, f := range files {
		if f.AnswerID == 0 {
			w.Scans = append(w.Scans, f)
			continue
		}
		for i := range w.Answers {
			if w.Answers[i].ID == f.AnswerID {
				w.Answers[i].Files = append(w.Answers[i].Files, f)
			}
		}
	}
	w.Evaluations, err = scanAll(ctx, db.db, func(row scanner) (mashang.Evaluation, error) {
		var e mashang.Evaluation
		return e, row.Scan(&e.ID, &e.AnswerID, &e.DeputyID, &e.Round, &e.AnswerVerdict, &e.ContactVerdict, &e.Comment, &e.At)
	}, `SELECT id, answer_id, deputy_id, round, answer_verdict, contact_verdict, comment, created_at
		FROM suggestion_evaluations WHERE suggestion_id = ? ORDER BY round`, suggestionID)
	if err != nil {
		return w, fmt.Errorf("list evaluations: %w", err)
	}
	return w, nil
}

// CaseSuggestions are the suggestions raised from a case, for its pages
// (drafts only on the deputy's own pages: staff read them once submitted).
func (db *DB) CaseSuggestions(ctx context.Context, caseID int64, drafts bool) ([]mashang.CaseLink, error) {
	where := ""
	if !drafts {
		where = " AND g.status <> 'draft'"
	}
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.CaseLink, error) {
		l := mashang.CaseLink{CaseID: caseID}
		var status string
		err := row.Scan(&l.SuggestionID, &l.Title, &status)
		l.Status = mashang.SuggestionStatus(status)
		return l, err
	}, `SELECT g.id, g.title, g.status FROM suggestion_cases sc JOIN suggestions g ON g.id = sc.suggestion_id
		WHERE sc.case_id = ?`+where+` ORDER BY g.id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("list the case's suggestions: %w", err)
	}
	return out, nil
}

// SuggestionFile reads a kept file of a suggestion.
func (db *DB) SuggestionFile(ctx context.Context, suggestionID int64, id string) (mashang.SuggestionFile, error) {
	var f mashang.SuggestionFile
	var answer sql.NullInt64
	err := db.db.QueryRowContext(ctx, `SELECT id, answer_id, path, content_type, size FROM suggestion_files WHERE suggestion_id = ? AND id = ?`,
		suggestionID, id).Scan(&f.ID, &answer, &f.Path, &f.ContentType, &f.Size)
	f.AnswerID = answer.Int64
	if errors.Is(err, sql.ErrNoRows) {
		return f, mashang.NotFound("文件")
	}
	if err != nil {
		return f, fmt.Errorf("find the suggestion's file: %w", err)
	}
	return f, nil
}

// SetSession records a congress session (届次、第几次会议); suggestions
// submitted between its start and end carry it.
func (db *DB) SetSession(ctx context.Context, s mashang.CongressSession) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO congress_sessions (name, term, meeting, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)`,
			s.Name, s.Term, s.Meeting, s.StartsAt.UTC(), s.EndsAt.UTC())
		if tx.dialect.isUniqueViolation(err) {
			return mashang.Errorf(mashang.ECONFLICT, "会议「%s」已经登记过了", s.Name)
		}
		if err != nil {
			return fmt.Errorf("add session: %w", err)
		}
		return nil
	})
}

// Sessions lists the congress sessions, the latest first.
func (db *DB) Sessions(ctx context.Context) ([]mashang.CongressSession, error) {
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.CongressSession, error) {
		var s mashang.CongressSession
		return s, row.Scan(&s.ID, &s.Name, &s.Term, &s.Meeting, &s.StartsAt, &s.EndsAt)
	}, `SELECT id, name, term, meeting, starts_at, ends_at FROM congress_sessions ORDER BY starts_at DESC LIMIT 50`)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return out, nil
}
