package mashang

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"image"
	"strings"
	"time"
	"unicode/utf8"
)

// A department records its result (办理结果): a text for the case's staff
// to review and send to the citizen as the answer, and attachments (the
// formal reply letter, photos of the work done) for staff alone.

// Result attachments' limits.
const (
	MaxResultFiles     = 5
	MaxResultFileBytes = 10 << 20
)

// ResultFile is an attachment as uploaded: its bytes, whatever its name says.
type ResultFile struct{ Data []byte }

// ResultAttachment is an attachment as kept: under a random name in the
// media directory, its kind read from its content.
type ResultAttachment struct {
	ID          string // random, 32 hex digits
	Path        string // under the media directory
	ContentType string
	Size        int64
}

// DepartmentResult is one result a department recorded.
type DepartmentResult struct {
	ID          int64
	Department  string
	Text        string
	Author      string
	At          time.Time
	Attachments []ResultAttachment
}

// resultKind reads what an attachment is from its content: a PDF, a JPEG
// or a PNG (whole enough to read its header), else a sentence saying why not.
func resultKind(data []byte) (contentType, ext string, err error) {
	switch {
	case len(data) == 0:
		return "", "", Errorf(EINVALID, "附件是空文件，请重新选择")
	case len(data) > MaxResultFileBytes:
		return "", "", Errorf(EINVALID, "每个附件不能超过%dMB，请压缩后再传", MaxResultFileBytes>>20)
	case bytes.HasPrefix(data, []byte("%PDF-")):
		// A PDF ends with its trailer; one cut short does not.
		if !bytes.Contains(data[max(0, len(data)-1024):], []byte("%%EOF")) {
			return "", "", Errorf(EINVALID, "PDF 附件不完整（文件末尾缺失），请重新导出后再传")
		}
		return "application/pdf", ".pdf", nil
	}
	_, format, err := image.DecodeConfig(bytes.NewReader(data))
	switch {
	case err == nil && format == "jpeg":
		return "image/jpeg", ".jpg", nil
	case err == nil && format == "png":
		return "image/png", ".png", nil
	}
	return "", "", Errorf(EINVALID, "附件只能是 PDF、JPG 或 PNG 文件（按文件内容判断，不看扩展名）")
}

// RecordResult keeps a department's result: its handler's text and
// attachments, on the timeline and in the staff's alerts for review. The
// department must have acknowledged the case first.
func (s *Supervision) RecordResult(ctx context.Context, number string, u StaffUser, text string, files []ResultFile) error {
	if u.Role != RoleHandler || u.DepartmentID == 0 {
		return Refusal(u.Role, ActResult)
	}
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return Errorf(EINVALID, "请写明办理结果")
	case utf8.RuneCountInString(text) > MaxReplyRunes:
		return Errorf(EINVALID, "办理结果不超过%d个字（工作人员会把它作为答复发给群众）；正式答复函请作为 PDF 附件上传", MaxReplyRunes)
	case len(files) > MaxResultFiles:
		return Errorf(EINVALID, "附件最多%d个", MaxResultFiles)
	case s.Files == nil:
		return fmt.Errorf("record result: nowhere to keep media")
	}
	now := s.now()
	kept, err := keepAttachments(ctx, s.Files, "results", now, files)
	defer func() { dropAttachments(ctx, s.Files, kept) }()
	if err != nil {
		return err
	}
	err = s.Store.UpdateHandover(ctx, func(tx HandoverTx) error {
		c, err := tx.CaseForReply(ctx, number)
		if err != nil {
			return err
		}
		if c.Status == CaseClosed || c.Status == CaseMerged {
			return Errorf(ECONFLICT, "问题 %s 已经办结，不能再填报办理结果", c.Number)
		}
		d, err := tx.CaseDepartment(ctx, c.ID, u.DepartmentID)
		if err != nil {
			return err
		}
		if d.AcknowledgedAt == nil {
			return Errorf(ECONFLICT, "请先签收本问题，再填报办理结果")
		}
		actor := u.Name + "（" + d.Name + "）"
		if err := tx.AddDepartmentResult(ctx, c.ID, u.DepartmentID, text, actor, now, kept); err != nil {
			return err
		}
		detail := fmt.Sprintf("「%s」办理结果（%s）：%s", d.Name, d.Role(), text)
		if len(kept) > 0 {
			detail += fmt.Sprintf("（附件%d个）", len(kept))
		}
		if err := tx.AddCaseEvent(ctx, c.ID, now, EventResult, actor, detail); err != nil {
			return err
		}
		return tx.AddStaffAlert(ctx, c.StationID, c.ID, fmt.Sprintf("「%s」填报了问题 %s 的办理结果，请审核后答复群众。", d.Name, c.Number), now)
	})
	if err == nil {
		kept = nil
	}
	return err
}

// keepAttachments checks each file (resultKind) and keeps it under dir in
// files, by day, under a random name. Whatever it kept before an error is
// removed; the caller removes the rest (dropAttachments) unless it recorded
// them.
func keepAttachments(ctx context.Context, files MediaFiles, dir string, now time.Time, in []ResultFile) ([]ResultAttachment, error) {
	kept := make([]ResultAttachment, 0, len(in))
	for _, f := range in {
		contentType, ext, err := resultKind(f.Data)
		if err == nil {
			var raw [16]byte
			if _, err = rand.Read(raw[:]); err != nil {
				err = fmt.Errorf("attachment id: %w", err)
			} else {
				a := ResultAttachment{ID: hex.EncodeToString(raw[:]), ContentType: contentType, Size: int64(len(f.Data))}
				a.Path = dir + "/" + now.In(China).Format("2006/01/02") + "/" + a.ID + ext
				if err = putMedia(ctx, files, a.Path, f.Data, contentType); err != nil {
					err = fmt.Errorf("keep attachment: %w", err)
				} else {
					kept = append(kept, a)
				}
			}
		}
		if err != nil {
			dropAttachments(ctx, files, kept)
			return nil, err
		}
	}
	return kept, nil
}

// dropAttachments removes kept files no record names: they would never be
// found or cleaned. It runs even when the request was cancelled.
func dropAttachments(ctx context.Context, files MediaFiles, kept []ResultAttachment) {
	ctx = context.WithoutCancel(ctx)
	for _, a := range kept {
		_ = files.Delete(ctx, a.Path)
	}
}
