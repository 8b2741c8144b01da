package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"mashang"
)

// AddDepartmentResult records a department's result and its attachments
// (mashang.HandoverTx).
func (tx *Tx) AddDepartmentResult(ctx context.Context, caseID, departmentID int64, text, author string, at time.Time, files []mashang.ResultAttachment) error {
	res, err := tx.tx.ExecContext(ctx, `
		INSERT INTO department_results (case_id, department_id, text, author, created_at) VALUES (?, ?, ?, ?, ?)`,
		caseID, departmentID, text, truncateRunes(author, 128), at.UTC())
	if err != nil {
		return fmt.Errorf("record result: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("record result: %w", err)
	}
	for _, f := range files {
		if _, err := tx.tx.ExecContext(ctx, `
			INSERT INTO result_attachments (id, result_id, case_id, path, content_type, size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			f.ID, id, caseID, f.Path, f.ContentType, f.Size, at.UTC()); err != nil {
			return fmt.Errorf("record attachment: %w", err)
		}
	}
	return nil
}

// CaseResults lists the results the case's departments recorded, oldest
// first, each with its attachments.
func (db *DB) CaseResults(ctx context.Context, caseID int64) ([]mashang.DepartmentResult, error) {
	out, err := scanAll(ctx, db.db, func(row scanner) (mashang.DepartmentResult, error) {
		var r mashang.DepartmentResult
		return r, row.Scan(&r.ID, &r.Department, &r.Text, &r.Author, &r.At)
	}, `SELECT r.id, dp.name, r.text, r.author, r.created_at FROM department_results r JOIN departments dp ON dp.id = r.department_id
		WHERE r.case_id = ? ORDER BY r.id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("list results: %w", err)
	}
	files, err := scanAll(ctx, db.db, func(row scanner) (struct {
		result int64
		a      mashang.ResultAttachment
	}, error) {
		var f struct {
			result int64
			a      mashang.ResultAttachment
		}
		return f, row.Scan(&f.result, &f.a.ID, &f.a.Path, &f.a.ContentType, &f.a.Size)
	}, `SELECT result_id, id, path, content_type, size FROM result_attachments WHERE case_id = ? ORDER BY created_at, id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("list attachments: %w", err)
	}
	for _, f := range files {
		for i := range out {
			if out[i].ID == f.result {
				out[i].Attachments = append(out[i].Attachments, f.a)
			}
		}
	}
	return out, nil
}

// ResultAttachment finds an attachment of the case's results (ENOTFOUND:
// none of this case has that ID).
func (db *DB) ResultAttachment(ctx context.Context, caseID int64, id string) (mashang.ResultAttachment, error) {
	var a mashang.ResultAttachment
	err := db.db.QueryRowContext(ctx, `SELECT id, path, content_type, size FROM result_attachments WHERE id = ? AND case_id = ?`, id, caseID).
		Scan(&a.ID, &a.Path, &a.ContentType, &a.Size)
	if errors.Is(err, sql.ErrNoRows) {
		return a, mashang.NotFound("附件")
	}
	if err != nil {
		return a, fmt.Errorf("read attachment: %w", err)
	}
	return a, nil
}
