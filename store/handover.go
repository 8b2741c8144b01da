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

// UpdateHandover runs fn in one write transaction.
func (db *DB) UpdateHandover(ctx context.Context, fn func(mashang.HandoverTx) error) error {
	return db.update(ctx, func(tx *Tx) error { return fn(tx) })
}

// DepartmentsFor lists the departments of the case's station's jurisdiction
// and of each level above it, the nearest level first.
func (tx *Tx) DepartmentsFor(ctx context.Context, caseID int64) ([]mashang.Department, error) {
	var at sql.NullInt64
	if err := tx.tx.QueryRowContext(ctx, `
		SELECT s.jurisdiction_id FROM cases c JOIN stations s ON s.id = c.station_id WHERE c.id = ?`, caseID).Scan(&at); err != nil {
		return nil, fmt.Errorf("find the case's jurisdiction: %w", err)
	}
	return departmentsAbove(ctx, tx.tx, at)
}

// DepartmentsOfStation lists the departments of the station's jurisdiction
// and of each level above it, the nearest level first (mashang.SuggestionTx).
func (tx *Tx) DepartmentsOfStation(ctx context.Context, stationID int64) ([]mashang.Department, error) {
	return departmentsOfStation(ctx, tx.tx, stationID)
}

// DepartmentsOfStation is the bodies a suggestion of the station's deputy
// may be handed to, for the console's form.
func (db *DB) DepartmentsOfStation(ctx context.Context, stationID int64) ([]mashang.Department, error) {
	return departmentsOfStation(ctx, db.db, stationID)
}

func departmentsOfStation(ctx context.Context, q sqlQuerier, stationID int64) ([]mashang.Department, error) {
	var at sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT jurisdiction_id FROM stations WHERE id = ?`, stationID).Scan(&at); err != nil {
		return nil, fmt.Errorf("find the station's jurisdiction: %w", err)
	}
	return departmentsAbove(ctx, q, at)
}

// departmentsAbove lists the departments of jurisdiction at and of each
// level above it, the nearest level first, each with its path.
func departmentsAbove(ctx context.Context, q sqlQuerier, at sql.NullInt64) ([]mashang.Department, error) {
	// The chain up to the root: a few levels (市 > 区 > 镇).
	type level struct {
		id   int64
		name string
	}
	var chain []level
	for at.Valid && len(chain) < 10 {
		var l level
		var parent sql.NullInt64
		if err := q.QueryRowContext(ctx, `SELECT id, name, parent_id FROM jurisdictions WHERE id = ?`, at.Int64).Scan(&l.id, &l.name, &parent); err != nil {
			return nil, fmt.Errorf("read jurisdiction: %w", err)
		}
		chain, at = append(chain, l), parent
	}
	var out []mashang.Department
	for i, l := range chain {
		names := make([]string, 0, len(chain)-i)
		for j := len(chain) - 1; j >= i; j-- {
			names = append(names, chain[j].name)
		}
		depts, err := scanAll(ctx, q, func(row scanner) (mashang.Department, error) {
			var d mashang.Department
			return d, row.Scan(&d.ID, &d.Name)
		}, `SELECT id, name FROM departments WHERE jurisdiction_id = ? ORDER BY name`, l.id)
		if err != nil {
			return nil, fmt.Errorf("list departments: %w", err)
		}
		for _, d := range depts {
			d.Path = strings.Join(names, "/")
			out = append(out, d)
		}
	}
	return out, nil
}

// HandOver records the case as handed to the department with its deadline.
func (tx *Tx) HandOver(ctx context.Context, caseID, departmentID int64, at time.Time, days int, due time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `
		UPDATE cases SET status = 'handed', department_id = ?, handed_at = ?, deadline_days = ?, deadline = ?, closed_at = NULL,
		       overdue = 0
		WHERE id = ?`, departmentID, at.UTC(), days, due.UTC(), caseID); err != nil {
		return fmt.Errorf("hand over case: %w", err)
	}
	return nil
}

// CloseCase records the case as handled, with its colour from then on.
func (tx *Tx) CloseCase(ctx context.Context, caseID int64, at time.Time, colour string) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE cases SET status = 'closed', closed_at = ?, colour = ? WHERE id = ?`,
		at.UTC(), colour, caseID); err != nil {
		return fmt.Errorf("close case: %w", err)
	}
	return nil
}

// DueOf is the case's deadline, zero if never handed over.
func (tx *Tx) DueOf(ctx context.Context, caseID int64) (time.Time, error) {
	var due sql.NullTime
	if err := tx.tx.QueryRowContext(ctx, `SELECT deadline FROM cases WHERE id = ?`, caseID).Scan(&due); err != nil {
		return time.Time{}, fmt.Errorf("read deadline: %w", err)
	}
	return due.Time, nil
}

// Deadlines lists the open cases whose colour time or ratings may move.
func (tx *Tx) Deadlines(ctx context.Context) ([]mashang.Deadline, error) {
	out, err := scanAll(ctx, tx.tx, func(row scanner) (mashang.Deadline, error) {
		var d mashang.Deadline
		var handed, due, closed, firstDue sql.NullTime
		err := row.Scan(&d.CaseID, &d.Number, &d.StationID, &d.StationName, &d.Department, &handed, &d.Days, &due, &closed, &d.PoorRatings,
			&d.Colour, &d.Overdue, &firstDue, &d.Taken)
		d.HandedAt, d.Due, d.FirstResponseDue = handed.Time, due.Time, firstDue.Time
		if closed.Valid {
			d.ClosedAt = &closed.Time
		}
		return d, err
	}, `
		SELECT c.id, c.number, c.station_id, s.name, COALESCE(dp.name, ''), c.handed_at, c.deadline_days, c.deadline,
		       c.closed_at, c.poor_ratings, c.colour, c.overdue, c.first_response_due, c.taken_at IS NOT NULL
		FROM cases c JOIN stations s ON s.id = c.station_id LEFT JOIN departments dp ON dp.id = c.department_id
		WHERE c.closed_at IS NULL AND (c.deadline IS NOT NULL OR c.poor_ratings > 0
		      OR (c.taken_at IS NULL AND c.first_response_due IS NOT NULL) OR c.colour <> 'green')
		ORDER BY c.id`)
	if err != nil {
		return nil, fmt.Errorf("list deadlines: %w", err)
	}
	return out, nil
}

// SetColour records a case's supervision colour if it is still from: on
// MySQL the UPDATE waits for a concurrent sweep's row lock and then reads
// the committed colour, so of two sweeps one changes it.
func (tx *Tx) SetColour(ctx context.Context, caseID int64, from, to string) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE cases SET colour = ? WHERE id = ? AND colour = ?`, to, caseID, from)
	if err != nil {
		return false, fmt.Errorf("set colour: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("set colour: %w", err)
	}
	return n == 1, nil
}

// MergeCase closes the duplicate as merged into main (mashang.HandoverTx).
// Closed with the time of the merge, it counts in the figures as handled
// through the main case.
func (tx *Tx) MergeCase(ctx context.Context, duplicateID, mainID int64, at time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `
		UPDATE cases SET status = 'merged', merged_into = ?, closed_at = ?, overdue = 0 WHERE id = ?`,
		mainID, at.UTC(), duplicateID); err != nil {
		return fmt.Errorf("merge case: %w", err)
	}
	return nil
}

// MarkTaken records when a deputy or staff member first took the case.
func (tx *Tx) MarkTaken(ctx context.Context, caseID int64, at time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE cases SET taken_at = ? WHERE id = ? AND taken_at IS NULL`, at.UTC(), caseID); err != nil {
		return fmt.Errorf("mark case taken: %w", err)
	}
	return nil
}

// SetOverdue records whether an open case is past its deadline.
func (tx *Tx) SetOverdue(ctx context.Context, caseID int64, overdue bool) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE cases SET overdue = ? WHERE id = ?`, overdue, caseID); err != nil {
		return fmt.Errorf("set overdue: %w", err)
	}
	return nil
}

// SetCaseState sets a case's status and category.
func (tx *Tx) SetCaseState(ctx context.Context, caseID int64, status, category string) error {
	if _, err := tx.tx.ExecContext(ctx, `
		UPDATE cases SET status = ?, category = ?, closed_at = CASE WHEN ? = 'closed' THEN closed_at ELSE NULL END
		WHERE id = ?`, status, category, status, caseID); err != nil {
		return fmt.Errorf("update case: %w", err)
	}
	return nil
}

// AssignDepartments replaces the departments the case is handed to
// (mashang.HandoverTx): a new hand-over asks each to acknowledge again and
// resets their timed notices.
func (tx *Tx) AssignDepartments(ctx context.Context, caseID, lead int64, co []int64, at, ackDue time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM case_departments WHERE case_id = ?`, caseID); err != nil {
		return fmt.Errorf("clear the case's departments: %w", err)
	}
	for i, id := range append([]int64{lead}, co...) {
		if _, err := tx.tx.ExecContext(ctx, `
			INSERT INTO case_departments (case_id, department_id, lead, handed_at, ack_due) VALUES (?, ?, ?, ?, ?)`,
			caseID, id, i == 0, at.UTC(), ackDue.UTC()); err != nil {
			return fmt.Errorf("hand the case to a department: %w", err)
		}
	}
	return nil
}

const caseDepartmentColumns = `cd.department_id, dp.name, cd.lead, cd.handed_at, cd.ack_due, cd.acknowledged_at, cd.acknowledged_by`

// caseDepartmentsOf lists a case's departments, the lead first.
const caseDepartmentsOf = `SELECT ` + caseDepartmentColumns + `
	FROM case_departments cd JOIN departments dp ON dp.id = cd.department_id
	WHERE cd.case_id = ? ORDER BY cd.lead DESC, dp.name`

func scanCaseDepartment(row scanner) (mashang.CaseDepartment, error) {
	var d mashang.CaseDepartment
	var ackDue, acked sql.NullTime
	err := row.Scan(&d.DepartmentID, &d.Name, &d.Lead, &d.HandedAt, &ackDue, &acked, &d.AcknowledgedBy)
	d.AckDue = ackDue.Time
	if acked.Valid {
		d.AcknowledgedAt = &acked.Time
	}
	return d, err
}

// CaseDepartment reads one department's part in a case (mashang.HandoverTx).
func (tx *Tx) CaseDepartment(ctx context.Context, caseID, departmentID int64) (mashang.CaseDepartment, error) {
	d, err := scanCaseDepartment(tx.tx.QueryRowContext(ctx, `SELECT `+caseDepartmentColumns+`
		FROM case_departments cd JOIN departments dp ON dp.id = cd.department_id
		WHERE cd.case_id = ? AND cd.department_id = ?`+tx.dialect.forUpdate(), caseID, departmentID))
	if errors.Is(err, sql.ErrNoRows) {
		return d, mashang.NotFound("本单位承办的这件问题")
	}
	if err != nil {
		return d, fmt.Errorf("read the department's part: %w", err)
	}
	return d, nil
}

// CaseDepartments lists the departments a case is handed to, the lead
// first, for its page.
func (db *DB) CaseDepartments(ctx context.Context, caseID int64) ([]mashang.CaseDepartment, error) {
	return caseDepartments(ctx, db.db, caseID)
}

func caseDepartments(ctx context.Context, q sqlQuerier, caseID int64) ([]mashang.CaseDepartment, error) {
	out, err := scanAll(ctx, q, scanCaseDepartment, caseDepartmentsOf, caseID)
	if err != nil {
		return nil, fmt.Errorf("list the case's departments: %w", err)
	}
	return out, nil
}

// AcknowledgeCase records a department's acknowledgement if none is yet.
func (tx *Tx) AcknowledgeCase(ctx context.Context, caseID, departmentID int64, by string, at time.Time) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `
		UPDATE case_departments SET acknowledged_at = ?, acknowledged_by = ?
		WHERE case_id = ? AND department_id = ? AND acknowledged_at IS NULL`, at.UTC(), truncateRunes(by, 128), caseID, departmentID)
	if err != nil {
		return false, fmt.Errorf("acknowledge: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DepartmentRecipients are a department's enabled, bound handlers.
func (tx *Tx) DepartmentRecipients(ctx context.Context, departmentID int64) ([]mashang.StaffRecipient, error) {
	out, err := scanAll(ctx, tx.tx, func(row scanner) (mashang.StaffRecipient, error) {
		var r mashang.StaffRecipient
		return r, row.Scan(&r.UserID, &r.Name, &r.OpenID)
	}, `SELECT id, name, openid FROM staff_users
		WHERE role = 'handler' AND department_id = ? AND openid IS NOT NULL AND disabled = 0 ORDER BY id`, departmentID)
	if err != nil {
		return nil, fmt.Errorf("find the department's handlers: %w", err)
	}
	return out, nil
}

// DepartmentDuties lists the departments' parts in open handed-over cases.
func (tx *Tx) DepartmentDuties(ctx context.Context) ([]mashang.DepartmentDuty, error) {
	out, err := scanAll(ctx, tx.tx, func(row scanner) (mashang.DepartmentDuty, error) {
		var d mashang.DepartmentDuty
		var near, overdue, ackDue, acked sql.NullTime
		err := row.Scan(&d.CaseID, &d.Number, &d.StationName, &d.DepartmentID, &d.Department, &d.Lead, &d.HandedAt, &d.Due, &near, &overdue,
			&ackDue, &acked)
		d.NearNoticed, d.OverdueNotice, d.AckDue, d.Acknowledged = near.Valid, overdue.Valid, ackDue.Time, acked.Valid
		return d, err
	}, `SELECT c.id, c.number, s.name, cd.department_id, dp.name, cd.lead, cd.handed_at, c.deadline, cd.near_noticed_at, cd.overdue_noticed_at,
		       cd.ack_due, cd.acknowledged_at
		FROM case_departments cd JOIN cases c ON c.id = cd.case_id JOIN stations s ON s.id = c.station_id
		JOIN departments dp ON dp.id = cd.department_id
		WHERE c.closed_at IS NULL AND c.deadline IS NOT NULL
		ORDER BY c.id, cd.department_id`)
	if err != nil {
		return nil, fmt.Errorf("list the departments' duties: %w", err)
	}
	return out, nil
}

// MarkDepartmentNotice sets a timed notice's mark if it is not yet set.
func (tx *Tx) MarkDepartmentNotice(ctx context.Context, caseID, departmentID int64, kind string, at time.Time) (bool, error) {
	return tx.markNotice(ctx, "case_departments", "case_id", caseID, departmentID, kind, at)
}

// markNotice sets a department's timed notice's mark, near or overdue, on
// its part in a case or a suggestion (table, keyed by key), if not yet set.
func (tx *Tx) markNotice(ctx context.Context, table, key string, id, departmentID int64, kind string, at time.Time) (bool, error) {
	column := map[string]string{mashang.DutyNoticeNear: "near_noticed_at", mashang.DutyNoticeOverdue: "overdue_noticed_at"}[kind]
	if column == "" {
		return false, fmt.Errorf("mark a department notice: unknown kind %q", kind)
	}
	res, err := tx.tx.ExecContext(ctx, `UPDATE `+table+` SET `+column+` = ?
		WHERE `+key+` = ? AND department_id = ? AND `+column+` IS NULL`, at.UTC(), id, departmentID)
	if err != nil {
		return false, fmt.Errorf("mark a department notice: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
