package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"mashang"
)

// RecordDuty writes a duty record and the points its rule gives
// (mashang.DutyRecorder). Recorded before, it does nothing.
func (tx *Tx) RecordDuty(ctx context.Context, e mashang.DutyEntry) error {
	res, err := tx.tx.ExecContext(ctx, `
		INSERT INTO duty_records (deputy_id, action, case_id, activity_id, suggestion_id, at, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.DeputyID, e.Action, e.CaseID, e.ActivityID, e.SuggestionID, e.At.UTC(), e.Detail)
	if tx.dialect.isUniqueViolation(err) {
		return nil // done before: counted once
	}
	if err != nil {
		return fmt.Errorf("record duty: %w", err)
	}
	recordID, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("record duty: %w", err)
	}
	var points int
	var reason string
	err = tx.tx.QueryRowContext(ctx, `SELECT points, reason FROM point_rules WHERE action = ?`, e.Action).Scan(&points, &reason)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && points == 0) {
		return nil // recorded, worth no points
	}
	if err != nil {
		return fmt.Errorf("read point rule: %w", err)
	}
	if _, err := tx.tx.ExecContext(ctx, `
		INSERT INTO point_entries (deputy_id, duty_record_id, points, reason, at) VALUES (?, ?, ?, ?, ?)`,
		e.DeputyID, recordID, points, reason, e.At.UTC()); err != nil {
		return fmt.Errorf("add points: %w", err)
	}
	return nil
}

// SetHandlerDeputy records the deputy who took a case.
func (tx *Tx) SetHandlerDeputy(ctx context.Context, caseID, deputyID int64) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE cases SET handler_deputy_id = ? WHERE id = ?`, deputyID, caseID); err != nil {
		return fmt.Errorf("set the case's deputy: %w", err)
	}
	return nil
}

// PointRules are the rules in force, in the reports' order of actions.
func (db *DB) PointRules(ctx context.Context) ([]mashang.PointRule, error) {
	rules, err := scanAll(ctx, db.db, func(row scanner) (mashang.PointRule, error) {
		var r mashang.PointRule
		return r, row.Scan(&r.Action, &r.Points, &r.Reason)
	}, `SELECT action, points, reason FROM point_rules`)
	if err != nil {
		return nil, fmt.Errorf("read the point rules: %w", err)
	}
	byAction := make(map[string]mashang.PointRule, len(rules))
	for _, r := range rules {
		byAction[r.Action] = r
	}
	out := make([]mashang.PointRule, 0, len(rules))
	for _, a := range mashang.DutyActions {
		if r, ok := byAction[a]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// SetPointRule changes what an action earns from now on; the ledger keeps
// what was earned before.
func (db *DB) SetPointRule(ctx context.Context, r mashang.PointRule) error {
	if err := r.Check(); err != nil {
		return err
	}
	res, err := db.db.ExecContext(ctx, `UPDATE point_rules SET points = ?, reason = ? WHERE action = ?`, r.Points, r.Reason, r.Action)
	if err != nil {
		return fmt.Errorf("set the point rule %s: %w", r.Action, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		// MySQL counts only changed rows: an unchanged rule is not missing.
		var one int
		if err := db.db.QueryRowContext(ctx, `SELECT 1 FROM point_rules WHERE action = ?`, r.Action).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return mashang.Errorf(mashang.ENOTFOUND, "没有「%s」的计分规则", mashang.DutyLabel(r.Action))
		}
	}
	return nil
}

// AddPointCorrection adds a correcting entry to a deputy's points: the
// ledger is never edited.
func (db *DB) AddPointCorrection(ctx context.Context, deputyCode string, points int, reason, by string, at time.Time) error {
	return db.update(ctx, func(tx *Tx) error {
		d, err := deputyByCode(ctx, txQueryer{tx}, deputyCode)
		if err != nil {
			return err
		}
		if _, err := tx.tx.ExecContext(ctx, `
			INSERT INTO point_entries (deputy_id, points, reason, at, entered_by) VALUES (?, ?, ?, ?, ?)`,
			d.ID, points, reason, at.UTC(), by); err != nil {
			return fmt.Errorf("add a correction: %w", err)
		}
		return nil
	})
}

// Standing is a deputy's points in [from, to), all time, and their rank in
// the first group they belong to (mashang.PointsReader).
func (tx *Tx) Standing(ctx context.Context, deputyID int64, from, to time.Time) (mashang.Standing, error) {
	return standing(ctx, tx.tx, deputyID, from, to)
}

// rowQueryer reads rows, inside a transaction or not.
type rowQueryer interface {
	rowsQueryer
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Standing is Tx.Standing outside a transaction.
func (db *DB) Standing(ctx context.Context, deputyID int64, from, to time.Time) (mashang.Standing, error) {
	return standing(ctx, db.db, deputyID, from, to)
}

func standing(ctx context.Context, q rowQueryer, deputyID int64, from, to time.Time) (mashang.Standing, error) {
	var s mashang.Standing
	type score struct {
		deputy int64
		group  string
		points int
	}
	// The deputy's first group, and every member's points in the quarter.
	scores, err := scanAll(ctx, q, func(row scanner) (score, error) {
		var sc score
		return sc, row.Scan(&sc.deputy, &sc.group, &sc.points)
	}, `
		SELECT m.deputy_id, g.name, COALESCE((SELECT SUM(p.points) FROM point_entries p
		                                     WHERE p.deputy_id = m.deputy_id AND p.at >= ? AND p.at < ?), 0)
		FROM group_members m JOIN deputy_groups g ON g.id = m.group_id
		WHERE m.group_id = (SELECT MIN(group_id) FROM group_members WHERE deputy_id = ?)`, from.UTC(), to.UTC(), deputyID)
	if err != nil {
		return s, fmt.Errorf("read the group's points: %w", err)
	}
	slices.SortStableFunc(scores, func(a, b score) int { return b.points - a.points })
	for i, sc := range scores {
		if sc.deputy == deputyID {
			s.Group, s.Points, s.Of = sc.group, sc.points, len(scores)
			// Equal points share a rank.
			s.Rank = i + 1
			for s.Rank > 1 && scores[s.Rank-2].points == sc.points {
				s.Rank--
			}
		}
	}
	if s.Of == 0 {
		err = q.QueryRowContext(ctx, `SELECT COALESCE(SUM(points), 0) FROM point_entries WHERE deputy_id = ? AND at >= ? AND at < ?`,
			deputyID, from.UTC(), to.UTC()).Scan(&s.Points)
		if err != nil {
			return s, fmt.Errorf("read points: %w", err)
		}
	}
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(points), 0) FROM point_entries WHERE deputy_id = ?`, deputyID).Scan(&s.Total); err != nil {
		return s, fmt.Errorf("read points: %w", err)
	}
	return s, nil
}

// DutyReport is the quarter's duty of every deputy of the stations in
// reach, by station and group: counts by action, and points.
func (db *DB) DutyReport(ctx context.Context, r mashang.Reach, from, to time.Time) ([]mashang.DutyLine, error) {
	q := db.heavy(ctx) // the points report and its Excel file
	stations, err := db.StationsWithin(ctx, r)
	if err != nil {
		return nil, err
	}
	inReach := map[int64]bool{}
	for _, st := range stations {
		inReach[st.ID] = true
	}
	type member struct {
		deputy, stationID int64
		station, group    string
		code, name        string
	}
	all, err := scanAll(ctx, q, func(row scanner) (member, error) {
		var m member
		return m, row.Scan(&m.deputy, &m.stationID, &m.station, &m.group, &m.code, &m.name)
	}, `
		SELECT d.id, s.id, s.name, g.name, d.code, d.name
		FROM group_members m JOIN deputy_groups g ON g.id = m.group_id JOIN stations s ON s.id = g.station_id
		JOIN deputies d ON d.id = m.deputy_id
		ORDER BY s.code, g.id, d.code`)
	if err != nil {
		return nil, fmt.Errorf("read the report's deputies: %w", err)
	}
	var members []member
	for _, m := range all {
		if inReach[m.stationID] {
			members = append(members, m)
		}
	}
	counts := map[int64]map[string]int{}
	type count struct {
		deputy int64
		action string
		n      int
	}
	cs, err := scanAll(ctx, q, func(row scanner) (count, error) {
		var c count
		return c, row.Scan(&c.deputy, &c.action, &c.n)
	}, `SELECT deputy_id, action, COUNT(*) FROM duty_records WHERE at >= ? AND at < ? GROUP BY deputy_id, action`, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("count duty: %w", err)
	}
	for _, c := range cs {
		if counts[c.deputy] == nil {
			counts[c.deputy] = map[string]int{}
		}
		counts[c.deputy][c.action] = c.n
	}
	points, err := scanAll(ctx, q, func(row scanner) ([2]int64, error) {
		var p [2]int64
		return p, row.Scan(&p[0], &p[1])
	}, `SELECT deputy_id, SUM(points) FROM point_entries WHERE at >= ? AND at < ? GROUP BY deputy_id`, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("sum points: %w", err)
	}
	byDeputy := map[int64]int{}
	for _, p := range points {
		byDeputy[p[0]] = int(p[1])
	}
	out := make([]mashang.DutyLine, len(members))
	for i, m := range members {
		c := counts[m.deputy]
		if c == nil {
			c = map[string]int{}
		}
		out[i] = mashang.DutyLine{StationName: m.station, GroupName: m.group, DeputyCode: m.code, DeputyName: m.name,
			Counts: c, Points: byDeputy[m.deputy]}
	}
	return out, nil
}

// DutyRecord is a deputy's duty record (履职档案), newest first, with the
// points each entry earned and the corrections made to their points.
func (db *DB) DutyRecord(ctx context.Context, deputyID int64, limit int) ([]mashang.DutyRecordLine, error) {
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.DutyRecordLine, error) {
		var l mashang.DutyRecordLine
		return l, row.Scan(&l.At, &l.Action, &l.Detail, &l.Points)
	}, `
		SELECT r.at, r.action, r.detail, COALESCE(p.points, 0)
		FROM duty_records r LEFT JOIN point_entries p ON p.duty_record_id = r.id
		WHERE r.deputy_id = ?
		UNION ALL
		SELECT p.at, 'correction', p.reason, p.points FROM point_entries p
		WHERE p.deputy_id = ? AND p.duty_record_id IS NULL
		ORDER BY 1 DESC LIMIT ?`, deputyID, deputyID, limit)
	if err != nil {
		return nil, fmt.Errorf("read the duty record: %w", err)
	}
	return out, nil
}

// DutyEarner says whether the deputy is in office and whether the case (0:
// none) was raised from their own WeChat: their bound openid, or a Mini
// Program openid whose unionid is the one WeChat gave for it
// (mashang.DutyRecorder).
func (tx *Tx) DutyEarner(ctx context.Context, deputyID, caseID int64) (inOffice, ownCase bool, err error) {
	var openid sql.NullString
	err = tx.tx.QueryRowContext(ctx, `SELECT in_office, openid FROM deputies WHERE id = ?`, deputyID).Scan(&inOffice, &openid)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, mashang.NotFound("代表")
	}
	if err != nil {
		return false, false, fmt.Errorf("read deputy %d: %w", deputyID, err)
	}
	if caseID == 0 || !openid.Valid || openid.String == "" {
		return inOffice, false, nil
	}
	var n int
	err = tx.tx.QueryRowContext(ctx, `
		SELECT COUNT(*) FROM cases c
		WHERE c.id = ? AND (c.openid = ? OR c.openid IN (
			SELECT m.openid FROM follower_unions fu JOIN mp_users m ON m.unionid = fu.unionid
			WHERE fu.openid = ? AND fu.unionid <> ''))`, caseID, openid.String, openid.String).Scan(&n)
	if err != nil {
		return false, false, fmt.Errorf("who raised case %d: %w", caseID, err)
	}
	return inOffice, n > 0, nil
}
