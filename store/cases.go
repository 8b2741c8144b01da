package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"mashang"
)

// The statements of the message path, prepared once (see stmts.go).
const (
	fileInbound        = `UPDATE inbound_messages SET case_id = ?, reply = ? WHERE dedup_key = ?`
	selectConversation = `SELECT last_scene, last_scene_at FROM followers WHERE openid = ?`
	selectRecentCase   = `
		SELECT id, number, station_id, category FROM cases
		WHERE openid = ? AND scene = ? AND last_message_at >= ? AND status NOT IN ('closed', 'merged')
		ORDER BY last_message_at DESC LIMIT 1`
	countCitizenCases = `SELECT COUNT(*) FROM cases WHERE openid = ? AND created_at >= ?`
	touchCase         = `UPDATE cases SET last_message_at = ? WHERE id = ? AND last_message_at < ?`
	insertCaseEvent   = `INSERT INTO case_events (case_id, at, kind, actor, detail) VALUES (?, ?, ?, ?, ?)`
)

// FileInbound files a stored push into the case it opened, with its reply.
func (tx *Tx) FileInbound(ctx context.Context, dedupKey string, caseID int64, r mashang.Reply) error {
	if _, err := tx.exec(ctx, fileInbound, caseID, r.Text, dedupKey); err != nil {
		return fmt.Errorf("file message in case: %w", err)
	}
	return nil
}

// ConversationScene is the last code openid scanned, and when. On MySQL it
// locks the citizen's row for the transaction: two of their messages taken
// by two instances at once are then filed one after the other, into one
// case, never into two.
func (tx *Tx) ConversationScene(ctx context.Context, openid string) (mashang.Scene, time.Time, error) {
	var scene sql.NullString
	var at sql.NullTime
	var err error
	if read := tx.conversation; read != nil && read.openid == openid {
		// Read (and locked, on a cluster written) a moment ago with the
		// rating awaiting its reason.
		tx.conversation = nil
		tx.recent = &read.recent
		scene, at = read.scene, read.at
		if !read.found {
			err = sql.ErrNoRows
		}
	} else {
		if err := tx.lockWritten(ctx, "followers", openid); err != nil {
			return mashang.Scene{}, time.Time{}, err
		}
		query := selectConversation + tx.dialect.forUpdate()
		err = tx.tx.readOwn(ctx, openid, tx.stmts[query], query, openid).Scan(&scene, &at)
	}
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (!scene.Valid || !at.Valid)) {
		return mashang.Scene{}, time.Time{}, mashang.NotFound("扫码记录")
	}
	if err != nil {
		return mashang.Scene{}, time.Time{}, fmt.Errorf("read conversation: %w", err)
	}
	return mashang.ParseScene(scene.String), at.Time, nil
}

const caseColumns = `c.id, c.number, c.openid, c.scene, c.station_id, s.name, COALESCE(c.deputy_id, 0),
	COALESCE(c.group_id, 0), COALESCE(g.name, ''), c.category, c.status, c.summary, c.created_at, c.last_message_at, c.public_consent,
	c.rating, c.poor_ratings, c.colour, COALESCE(m.number, ''), COALESCE(c.handler_deputy_id, c.deputy_id, 0),
	c.handler_deputy_id IS NOT NULL`

const caseFrom = ` FROM cases c JOIN stations s ON s.id = c.station_id LEFT JOIN deputy_groups g ON g.id = c.group_id
	LEFT JOIN cases m ON m.id = c.merged_into `

// scanCase reads caseColumns, then any extra columns a query added after them.
func scanCase(row scanner, extra ...any) (mashang.Case, error) {
	var c mashang.Case
	var scene string
	err := row.Scan(append([]any{&c.ID, &c.Number, &c.OpenID, &scene, &c.StationID, &c.StationName, &c.DeputyID,
		&c.GroupID, &c.GroupName, &c.Category, &c.Status, &c.Summary, &c.CreatedAt, &c.LastMessageAt, &c.PublicConsent,
		&c.Rating, &c.PoorRatings, &c.Colour, &c.MergedInto, &c.ResponsibleDeputyID, &c.TakenByDeputy}, extra...)...)
	c.Scene = mashang.ParseScene(scene)
	return c, err
}

// RecentCase is openid's latest case from scene with a message since then,
// not closed or merged (what comes after that is a new case):
// its ID and number, all a joining message needs.
func (tx *Tx) RecentCase(ctx context.Context, openid string, scene mashang.Scene, since time.Time) (mashang.Case, error) {
	c := mashang.Case{OpenID: openid, Scene: scene}
	if read := tx.recent; read != nil && read.openid == openid && read.scene == scene.String() {
		// Read with the conversation a moment ago: the latest such case
		// is the one sought if its last message is recent enough, and
		// otherwise none is.
		tx.recent = nil
		if !read.id.Valid || read.lastMessageAt.Time.Before(since) {
			return mashang.Case{}, mashang.NotFound("问题")
		}
		c.ID, c.Number, c.StationID, c.Category = read.id.Int64, read.number.String, read.stationID.Int64, read.category.String
		return c, nil
	}
	// Only the citizen's own cases: what a group holds back for others
	// need not be written first (batch.go).
	err := tx.tx.readOwn(ctx, openid, tx.stmts[selectRecentCase], selectRecentCase, openid, scene.String(), since.UTC()).
		Scan(&c.ID, &c.Number, &c.StationID, &c.Category)
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.Case{}, mashang.NotFound("问题")
	}
	if err != nil {
		return mashang.Case{}, fmt.Errorf("find recent case: %w", err)
	}
	return c, nil
}

// LockCitizen locks openid's Mini Program row (MySQL; SQLite has one
// writer already).
func (tx *Tx) LockCitizen(ctx context.Context, openid string) error {
	lock := tx.dialect.forUpdate()
	if lock == "" {
		return nil
	}
	if err := tx.lockWritten(ctx, "mp_users", openid); err != nil {
		return err
	}
	var locked string
	err := tx.tx.QueryRowContext(ctx, `SELECT openid FROM mp_users WHERE openid = ?`+lock, openid).Scan(&locked)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("lock citizen: %w", err)
	}
	return nil
}

// CasesOpenedSince counts the cases openid opened from since on.
func (tx *Tx) CasesOpenedSince(ctx context.Context, openid string, since time.Time) (int, error) {
	var n int
	if err := tx.queryRow(ctx, countCitizenCases, openid, since.UTC()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count citizen's cases: %w", err)
	}
	return n, nil
}

// CaseByNumber finds openid's case by its number (a Mini Program openid
// also reaches the cases its citizen raised through the Official Account).
func (tx *Tx) CaseByNumber(ctx context.Context, openid, number string) (mashang.Case, error) {
	c, err := scanCase(tx.queryRow(ctx, `SELECT `+caseColumns+caseFrom+` WHERE c.number = ? AND `+citizenOpenIDs, number, openid, openid))
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.Case{}, mashang.NotFound("问题")
	}
	if err != nil {
		return mashang.Case{}, fmt.Errorf("find case %s: %w", number, err)
	}
	return c, nil
}

// CaseByNumberAny finds a case by its number, for staff.
func (db *DB) CaseByNumberAny(ctx context.Context, number string) (mashang.Case, error) {
	c, err := scanCase(db.db.QueryRowContext(ctx, `SELECT `+caseColumns+caseFrom+` WHERE c.number = ?`, number))
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.Case{}, mashang.NotFound("问题")
	}
	if err != nil {
		return mashang.Case{}, fmt.Errorf("find case %s: %w", number, err)
	}
	return c, nil
}

// NextCaseNumber counts the day's cases.
//
// On SQLite the count is part of the case's transaction (one writer: no
// one waits on it), so the day's numbers have no gaps.
//
// On MySQL the row would stay locked until the case's transaction commits,
// and every case of the province, at either instance, queued behind it
// (30-40 transactions waiting on it in the benchmark of a province's day).
// So the number is taken in one statement committed at once, on
// connections of its own (DB.numbers): the row is locked for that
// statement only. Numbers stay unique; a case whose transaction then fails
// or is retried leaves its number unused, a gap in the day's count.
func (tx *Tx) NextCaseNumber(ctx context.Context, day string) (int, error) {
	if tx.numbers != nil {
		// LAST_INSERT_ID(x) hands back the counter as this statement left it,
		// whichever of the insert or the update ran.
		res, err := tx.numbers.ExecContext(ctx, `
			INSERT INTO case_numbers (day, last) VALUES (?, LAST_INSERT_ID(1))
			ON DUPLICATE KEY UPDATE last = LAST_INSERT_ID(last + 1)`, day)
		if err != nil {
			return 0, fmt.Errorf("count the day's cases: %w", err)
		}
		n, err := res.LastInsertId()
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("count the day's cases: no count returned (%v)", err)
		}
		return int(n), nil
	}
	// Here the row stays locked until the case's transaction commits: a
	// group of the callback's writes that took it commits now, holding it
	// while waiting for no other lock, so groups never wait for each other
	// in a circle over it.
	tx.endsGroup = true
	res, err := tx.exec(ctx, `UPDATE case_numbers SET last = last + 1 WHERE day = ?`, day)
	if err != nil {
		return 0, fmt.Errorf("count the day's cases: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		_, err := tx.exec(ctx, `INSERT INTO case_numbers (day, last) VALUES (?, 1)`, day)
		if tx.dialect.isUniqueViolation(err) {
			return 0, errConflictRetry // another transaction counted the day's first case
		}
		if err != nil {
			return 0, fmt.Errorf("start the day's count: %w", err)
		}
		return 1, nil
	}
	var last int
	if err := tx.queryRow(ctx, `SELECT last FROM case_numbers WHERE day = ?`, day).Scan(&last); err != nil {
		return 0, fmt.Errorf("read the day's count: %w", err)
	}
	return last, nil
}

// CreateCase stores a new case and sets its ID.
func (tx *Tx) CreateCase(ctx context.Context, c *mashang.Case) error {
	res, err := tx.exec(ctx, `
		INSERT INTO cases (number, openid, scene, station_id, deputy_id, group_id, category, status, summary, created_at, last_message_at,
		                   public_consent, first_response_due, progress_subscribe, progress_grants)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Number, c.OpenID, c.Scene.String(), c.StationID, nullID(c.DeputyID), nullID(c.GroupID), c.Category, c.Status,
		truncateRunes(c.Summary, 500), c.CreatedAt.UTC(), c.LastMessageAt.UTC(), c.PublicConsent,
		nullTimeUTC(sql.NullTime{Time: c.FirstResponseDue, Valid: !c.FirstResponseDue.IsZero()}),
		c.ProgressSubscribe, map[bool]int{true: 1}[c.ProgressSubscribe != ""])
	if err != nil {
		return fmt.Errorf("create case: %w", err)
	}
	c.ID, err = res.LastInsertId()
	return err
}

// TouchCase notes a message in the case at that time.
func (tx *Tx) TouchCase(ctx context.Context, caseID int64, at time.Time) error {
	if b := tx.tx.batch; b != nil && tx.claimedFor != "" {
		// The case of the push this transaction claimed: its citizen's.
		b.holdTouch(tx.claimedFor, caseID, at.UTC())
		return nil
	}
	if _, err := tx.exec(ctx, touchCase, at.UTC(), caseID, at.UTC()); err != nil {
		return fmt.Errorf("touch case: %w", err)
	}
	return nil
}

// AddCaseEvent writes one line of a case's timeline.
func (tx *Tx) AddCaseEvent(ctx context.Context, caseID int64, at time.Time, kind mashang.EventKind, actor, detail string) error {
	_, err := tx.exec(ctx, insertCaseEvent,
		caseID, at.UTC(), kind, actor, detail)
	if err != nil {
		return fmt.Errorf("add to timeline: %w", err)
	}
	return nil
}

// StationGroups lists a station's groups with the categories they take.
func (tx *Tx) StationGroups(ctx context.Context, stationID int64) ([]mashang.Group, error) {
	rows, err := tx.tx.QueryContext(ctx, `
		SELECT g.id, g.name, g.is_duty, COALESCE(c.name, '')
		FROM deputy_groups g
		LEFT JOIN group_categories gc ON gc.group_id = g.id
		LEFT JOIN categories c ON c.id = gc.category_id
		WHERE g.station_id = ?
		ORDER BY g.id, c.name`, stationID)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	defer rows.Close()
	var out []mashang.Group
	for rows.Next() {
		var g mashang.Group
		var category string
		if err := rows.Scan(&g.ID, &g.Name, &g.Duty, &category); err != nil {
			return nil, fmt.Errorf("read group: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].ID != g.ID {
			out = append(out, g)
		}
		if category != "" {
			out[len(out)-1].Categories = append(out[len(out)-1].Categories, category)
		}
	}
	return out, rows.Err()
}

// DeputyGroupAt is the deputy's group at the station (the first by id).
func (tx *Tx) DeputyGroupAt(ctx context.Context, deputyID, stationID int64) (mashang.Group, error) {
	var g mashang.Group
	err := tx.tx.QueryRowContext(ctx, `
		SELECT g.id, g.name, g.is_duty
		FROM group_members m JOIN deputy_groups g ON g.id = m.group_id
		WHERE m.deputy_id = ? AND g.station_id = ?
		ORDER BY g.id LIMIT 1`, deputyID, stationID).Scan(&g.ID, &g.Name, &g.Duty)
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.Group{}, mashang.NotFound("小组")
	}
	if err != nil {
		return mashang.Group{}, fmt.Errorf("find deputy's group: %w", err)
	}
	return g, nil
}

// KeywordRules lists the station's keyword rules first, then the rules for
// every station; longer keywords first within each, so the most specific
// match wins.
func (tx *Tx) KeywordRules(ctx context.Context, stationID int64) ([]mashang.KeywordRule, error) {
	rows, err := tx.tx.QueryContext(ctx, `
		SELECT c.name, k.keyword
		FROM category_keywords k JOIN categories c ON c.id = k.category_id
		WHERE k.station_id = ? OR k.station_id IS NULL
		ORDER BY CASE WHEN k.station_id IS NULL THEN 1 ELSE 0 END, LENGTH(k.keyword) DESC, k.id`, stationID)
	if err != nil {
		return nil, fmt.Errorf("list keyword rules: %w", err)
	}
	defer rows.Close()
	var out []mashang.KeywordRule
	for rows.Next() {
		var r mashang.KeywordRule
		if err := rows.Scan(&r.Category, &r.Keyword); err != nil {
			return nil, fmt.Errorf("read keyword rule: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// GroupRecipients lists the group's members in office who bound WeChat.
func (tx *Tx) GroupRecipients(ctx context.Context, groupID int64) ([]mashang.Recipient, error) {
	return tx.recipients(ctx, `
		SELECT d.id, d.name, d.openid
		FROM group_members m JOIN deputies d ON d.id = m.deputy_id
		WHERE m.group_id = ? AND d.in_office = ? AND d.openid IS NOT NULL
		ORDER BY d.id`, groupID, true)
}

// Enqueue writes a notification into the outbox. The client_msg_id is
// unique: queuing the same notification twice keeps one.
func (tx *Tx) Enqueue(ctx context.Context, item mashang.OutboxItem, at time.Time) error {
	data, err := json.Marshal(item.Data)
	if err != nil {
		return fmt.Errorf("encode notification: %w", err)
	}
	_, err = tx.exec(ctx, `
		INSERT INTO outbox (kind, case_id, to_user, template_id, url, data, client_msg_id, status, next_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
		item.Kind, nullID(item.CaseID), item.ToUser, item.TemplateID, item.URL, string(data), item.ClientMsgID, at.UTC(), at.UTC())
	if err != nil && !tx.dialect.isUniqueViolation(err) {
		return fmt.Errorf("queue notification: %w", err)
	}
	return nil
}

// AddStaffAlert leaves a message for the station's staff: the console's
// to-do list (待办, TodoItems) shows it until someone marks it done or its
// case is closed.
func (tx *Tx) AddStaffAlert(ctx context.Context, stationID, caseID int64, message string, at time.Time) error {
	// An alert about a case belongs to the case's station unless it
	// names one: the to-do list finds a station's alerts by station_id.
	_, err := tx.exec(ctx, `INSERT INTO staff_alerts (station_id, case_id, message, created_at)
		VALUES (COALESCE(?, (SELECT c.station_id FROM cases c WHERE c.id = ?)), ?, ?, ?)`,
		nullID(stationID), caseID, nullID(caseID), message, at.UTC())
	if err != nil {
		return fmt.Errorf("alert staff: %w", err)
	}
	return nil
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// CaseEvent is one line of a case's timeline.
type CaseEvent = mashang.CaseEvent

// CaseEvents reads a case's timeline, oldest first.
func (db *DB) CaseEvents(ctx context.Context, caseID int64) ([]CaseEvent, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT at, kind, actor, COALESCE(detail, '') FROM case_events WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("read timeline: %w", err)
	}
	defer rows.Close()
	var out []CaseEvent
	for rows.Next() {
		var e CaseEvent
		if err := rows.Scan(&e.At, &e.Kind, &e.Actor, &e.Detail); err != nil {
			return nil, fmt.Errorf("read timeline: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// CaseMessageCount counts the messages filed in a case.
func (db *DB) CaseMessageCount(ctx context.Context, caseID int64) (int, error) {
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbound_messages WHERE case_id = ?`, caseID).Scan(&n)
	return n, err
}

// StaffAlerts lists the alerts left for staff, oldest first.
func (db *DB) StaffAlerts(ctx context.Context) ([]string, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT message FROM staff_alerts ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list staff alerts: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// CasesOf lists openid's latest cases, newest first.
func (tx *Tx) CasesOf(ctx context.Context, openid string, limit int) ([]mashang.Case, error) {
	return collectCases(tx.tx.QueryContext(ctx, `SELECT `+caseColumns+caseFrom+`
		WHERE c.openid = ? ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?`, openid, limit))
}

// collectCases reads every case a query returned.
func collectCases(rows *sql.Rows, err error) ([]mashang.Case, error) {
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	defer rows.Close()
	var out []mashang.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("read case: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CountCases counts every case.
func (db *DB) CountCases(ctx context.Context) (int, error) {
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count cases: %w", err)
	}
	return n, nil
}

// CitizenCases lists the cases raised by openid, newest first.
func (db *DB) CitizenCases(ctx context.Context, openid string, limit int) ([]mashang.Case, error) {
	return collectCases(db.db.QueryContext(ctx, `SELECT `+caseColumns+caseFrom+`
		WHERE `+citizenOpenIDs+` ORDER BY c.created_at DESC, c.id DESC LIMIT ?`, openid, openid, limit))
}

// CitizenCase reads one of openid's cases with its timeline; another's is
// not found, as if it did not exist.
func (db *DB) CitizenCase(ctx context.Context, openid, number string) (mashang.Case, []CaseEvent, error) {
	c, err := scanCase(db.db.QueryRowContext(ctx, `SELECT `+caseColumns+caseFrom+` WHERE c.number = ? AND `+citizenOpenIDs, number, openid, openid))
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.Case{}, nil, mashang.NotFound("问题")
	}
	if err != nil {
		return mashang.Case{}, nil, fmt.Errorf("find case: %w", err)
	}
	events, err := db.CaseEvents(ctx, c.ID)
	return c, events, err
}

// UpdateReroute runs fn in one write transaction.
func (db *DB) UpdateReroute(ctx context.Context, fn func(mashang.RerouteTx) error) error {
	return db.update(ctx, func(tx *Tx) error { return fn(tx) })
}

// SetCaseGroup moves a case to a group.
func (tx *Tx) SetCaseGroup(ctx context.Context, caseID, groupID int64, category, status string) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE cases SET group_id = ?, category = ?, status = ? WHERE id = ?`,
		groupID, category, status, caseID); err != nil {
		return fmt.Errorf("move case: %w", err)
	}
	return nil
}
