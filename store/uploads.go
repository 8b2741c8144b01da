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

const uploadColumns = `id, openid, path, content_type, size, sha256, width, height, check_status, check_label,
	COALESCE(trace_id, ''), COALESCE(case_id, 0), created_at`

func scanUpload(row scanner) (mashang.Upload, error) {
	var u mashang.Upload
	err := row.Scan(&u.ID, &u.OpenID, &u.Path, &u.ContentType, &u.Size, &u.SHA256, &u.Width, &u.Height, &u.Check, &u.Label,
		&u.TraceID, &u.CaseID, &u.CreatedAt)
	return u, err
}

// AddUpload records a kept photo, unless its citizen's uploads in no case
// would then pass the quota. The citizen's Mini Program row is locked first
// (MySQL), so two uploads at once cannot both fit in the last place.
func (db *DB) AddUpload(ctx context.Context, u mashang.Upload, quota mashang.UploadQuota) error {
	return db.update(ctx, func(tx *Tx) error {
		if quota.Count > 0 || quota.Bytes > 0 {
			if err := tx.LockCitizen(ctx, u.OpenID); err != nil {
				return err
			}
			var n int
			var size int64
			if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(size), 0) FROM uploads WHERE openid = ? AND case_id IS NULL`,
				u.OpenID).Scan(&n, &size); err != nil {
				return fmt.Errorf("count unattached uploads: %w", err)
			}
			if err := quota.Allows(n, size, u.Size); err != nil {
				return err
			}
		}
		_, err := tx.tx.ExecContext(ctx, `
			INSERT INTO uploads (id, openid, path, content_type, size, sha256, width, height, check_status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.OpenID, u.Path, u.ContentType, u.Size, u.SHA256, u.Width, u.Height, u.Check, u.CreatedAt.UTC())
		if err != nil {
			return fmt.Errorf("record upload: %w", err)
		}
		return nil
	})
}

// UnattachedUploads lists uploads in no case made before before, oldest first.
func (db *DB) UnattachedUploads(ctx context.Context, before time.Time, limit int) ([]mashang.Upload, error) {
	out, err := scanAll(ctx, db.db, scanUpload, `SELECT `+uploadColumns+` FROM uploads
		WHERE case_id IS NULL AND created_at < ? ORDER BY created_at LIMIT ?`, before.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("list unattached uploads: %w", err)
	}
	return out, nil
}

// DeleteUnattachedUpload deletes an upload's row if it is still in no case.
func (db *DB) DeleteUnattachedUpload(ctx context.Context, id string) (bool, error) {
	var deleted bool
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `DELETE FROM uploads WHERE id = ? AND case_id IS NULL`, id)
		if err != nil {
			return fmt.Errorf("delete unattached upload: %w", err)
		}
		n, err := res.RowsAffected()
		deleted = n == 1
		return err
	})
	return deleted, err
}

// Upload finds an upload by its ID.
func (db *DB) Upload(ctx context.Context, id string) (mashang.Upload, error) {
	u, err := scanUpload(db.db.QueryRowContext(ctx, `SELECT `+uploadColumns+` FROM uploads WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, mashang.NotFound("照片")
	}
	if err != nil {
		return u, fmt.Errorf("find upload: %w", err)
	}
	return u, nil
}

// UncheckedUploads lists uploads not yet sent to WeChat's check, oldest first.
func (db *DB) UncheckedUploads(ctx context.Context, limit int) ([]mashang.Upload, error) {
	out, err := scanAll(ctx, db.db, scanUpload, `SELECT `+uploadColumns+` FROM uploads
		WHERE check_status = 'unchecked' ORDER BY created_at LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list unchecked uploads: %w", err)
	}
	return out, nil
}

// UploadSentForCheck notes the trace WeChat's verdict will come back under.
func (db *DB) UploadSentForCheck(ctx context.Context, id, traceID string) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `
			UPDATE uploads SET check_status = 'pending', trace_id = ? WHERE id = ? AND check_status = 'unchecked'`, traceID, id); err != nil {
			return fmt.Errorf("note photo check: %w", err)
		}
		return nil
	})
}

// RecordPhotoCheck keeps WeChat's verdict; a photo held in a case goes on
// its timeline and to its station's staff.
func (db *DB) RecordPhotoCheck(ctx context.Context, traceID string, v mashang.SecurityVerdict, at time.Time) (mashang.Upload, error) {
	var u mashang.Upload
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		u, err = scanUpload(tx.tx.QueryRowContext(ctx, `SELECT `+uploadColumns+` FROM uploads WHERE trace_id = ?`+tx.dialect.forUpdate(), traceID))
		if errors.Is(err, sql.ErrNoRows) {
			return mashang.NotFound("待检测的照片")
		}
		if err != nil {
			return fmt.Errorf("find checked upload: %w", err)
		}
		if u.Check == mashang.PhotoPass || u.Check == mashang.PhotoHeld {
			return nil // WeChat pushes again when we were slow to answer
		}
		u.Check, u.Label = mashang.PhotoPass, v.Label
		if v.Held() {
			u.Check = mashang.PhotoHeld
		}
		if _, err := tx.tx.ExecContext(ctx, `
			UPDATE uploads SET check_status = ?, check_label = ?, checked_at = ? WHERE id = ?`, u.Check, u.Label, at.UTC(), u.ID); err != nil {
			return fmt.Errorf("record photo check: %w", err)
		}
		if u.Check == mashang.PhotoHeld && u.CaseID != 0 {
			return tx.holdPhoto(ctx, u, v, at)
		}
		return nil
	})
	return u, err
}

// holdPhoto tells a case's staff that one of its photos is hidden.
func (tx *Tx) holdPhoto(ctx context.Context, u mashang.Upload, v mashang.SecurityVerdict, at time.Time) error {
	var stationID int64
	var number string
	if err := tx.tx.QueryRowContext(ctx, `SELECT station_id, number FROM cases WHERE id = ?`, u.CaseID).Scan(&stationID, &number); err != nil {
		return fmt.Errorf("find case of held photo: %w", err)
	}
	msg := fmt.Sprintf("问题 %s 的一张照片未通过微信内容安全检测（%s），已对代表隐藏，请工作人员审核。", number, v.LabelName())
	if err := tx.AddStaffAlert(ctx, stationID, u.CaseID, msg, at); err != nil {
		return err
	}
	return tx.AddCaseEvent(ctx, u.CaseID, at, mashang.EventPhotoHeld, "系统", msg)
}

// AttachPhotos files openid's uploads into their new case. Each must be
// theirs and not in another case: the UPDATE's WHERE says so, and a photo
// it does not match fails the whole case.
func (tx *Tx) AttachPhotos(ctx context.Context, caseID int64, openid string, ids []string) ([]mashang.Upload, error) {
	for _, id := range ids {
		res, err := tx.tx.ExecContext(ctx, `UPDATE uploads SET case_id = ? WHERE id = ? AND openid = ? AND case_id IS NULL`, caseID, id, openid)
		if err != nil {
			return nil, fmt.Errorf("attach photo: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if err != nil {
				return nil, fmt.Errorf("attach photo: %w", err)
			}
			return nil, mashang.Errorf(mashang.EINVALID, "照片 %s 不存在、不是您上传的或已用于其他问题（photos）", id)
		}
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	out, err := scanAll(ctx, tx.tx, scanUpload, `SELECT `+uploadColumns+` FROM uploads WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read attached photos: %w", err)
	}
	return out, nil
}

// CasePhotos lists a case's photos in upload order.
func (db *DB) CasePhotos(ctx context.Context, caseID int64) ([]mashang.Upload, error) {
	out, err := scanAll(ctx, db.db, scanUpload, `SELECT `+uploadColumns+` FROM uploads WHERE case_id = ? ORDER BY created_at, id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("list case photos: %w", err)
	}
	return out, nil
}
