package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"mashang"
)

// The cases handed to one department, as its handlers read them on their
// phone pages (/h/): each with the department's own part in it.

// StaffUserByOpenID finds the staff account whose WeChat is openid
// (ENOTFOUND: none is bound to it).
func (db *DB) StaffUserByOpenID(ctx context.Context, openid string) (mashang.StaffUser, error) {
	u, err := scanStaffUser(db.db.QueryRowContext(ctx, `SELECT `+staffUserColumns+staffUserFrom+` WHERE u.openid = ?`, openid))
	if errors.Is(err, sql.ErrNoRows) {
		return u, mashang.NotFound("绑定这个微信的工作台账号")
	}
	if err != nil {
		return u, fmt.Errorf("find staff user by WeChat: %w", err)
	}
	return u, nil
}

const departmentCaseFrom = caseFrom + ` JOIN case_departments cd ON cd.case_id = c.id JOIN departments dp ON dp.id = cd.department_id `

func scanDepartmentCase(row scanner) (mashang.DepartmentCase, error) {
	var d mashang.DepartmentCase
	var due, ackDue, acked sql.NullTime
	var err error
	d.Case, err = scanCase(row, &due, &d.Part.DepartmentID, &d.Part.Name, &d.Part.Lead, &d.Part.HandedAt, &ackDue, &acked, &d.Part.AcknowledgedBy)
	d.Due, d.Part.AckDue = due.Time, ackDue.Time
	if acked.Valid {
		d.Part.AcknowledgedAt = &acked.Time
	}
	return d, err
}

// DepartmentCases lists the cases handed to a department, as lead or
// co-handler: the open ones first, the nearest deadline first, then the
// closed ones, newest first.
func (db *DB) DepartmentCases(ctx context.Context, departmentID int64, limit int) ([]mashang.DepartmentCase, error) {
	where, args := reachCondition(mashang.Reach{DepartmentID: departmentID})
	out, err := scanAll(ctx, db.db, scanDepartmentCase, `SELECT `+caseColumns+`, c.deadline, `+caseDepartmentColumns+departmentCaseFrom+`
		WHERE cd.department_id = ? AND `+where+`
		ORDER BY CASE WHEN c.closed_at IS NULL THEN 0 ELSE 1 END, CASE WHEN c.closed_at IS NULL THEN c.deadline END, c.id DESC
		LIMIT ?`, append(append([]any{departmentID}, args...), limit)...)
	if err != nil {
		return nil, fmt.Errorf("list the department's cases: %w", err)
	}
	return out, nil
}

// DepartmentCase reads one case handed to a department with its timeline;
// a case not handed to it is not found, as if it did not exist.
func (db *DB) DepartmentCase(ctx context.Context, departmentID int64, number string) (mashang.DepartmentCase, []CaseEvent, error) {
	where, args := reachCondition(mashang.Reach{DepartmentID: departmentID})
	d, err := scanDepartmentCase(db.db.QueryRowContext(ctx, `SELECT `+caseColumns+`, c.deadline, `+caseDepartmentColumns+departmentCaseFrom+`
		WHERE c.number = ? AND cd.department_id = ? AND `+where, append([]any{number, departmentID}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return d, nil, mashang.NotFound("问题")
	}
	if err != nil {
		return d, nil, fmt.Errorf("find the department's case: %w", err)
	}
	events, err := db.CaseEvents(ctx, d.ID)
	return d, events, err
}
