package mashang

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // the photo formats the Mini Program sends
	_ "image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Photo limits. WeChat's image check takes files up to 10 MB; a phone photo
// is 2–5 MB, and the Mini Program compresses by default.
const (
	MaxPhotos      = 9
	MaxPhotoBytes  = 10 << 20
	maxPhotoPixels = 50_000_000 // decoding more would take the server's memory, not show more
)

// Photo checks (WeChat's asynchronous media check) as they stand.
const (
	PhotoUnchecked = "unchecked" // not yet sent to WeChat
	PhotoPending   = "pending"   // sent; WeChat's verdict not back
	PhotoPass      = "pass"
	PhotoHeld      = "held" // risky or to review: hidden until staff look
)

// Upload is a photo a citizen uploaded for a case.
type Upload struct {
	ID          string // random, unguessable: WeChat downloads it by this while checking
	OpenID      string
	Path        string // under the media directory
	ContentType string
	Size        int64
	SHA256      string
	Width       int
	Height      int
	Check       string
	Label       int
	TraceID     string
	CaseID      int64
	CreatedAt   time.Time
}

// UploadStore keeps uploads and their checks.
type UploadStore interface {
	AddUpload(ctx context.Context, u Upload) error
	// Upload finds one by ID (ENOTFOUND: none).
	Upload(ctx context.Context, id string) (Upload, error)
	// UncheckedUploads lists uploads not yet sent to the media check.
	UncheckedUploads(ctx context.Context, limit int) ([]Upload, error)
	UploadSentForCheck(ctx context.Context, id, traceID string) error
	// RecordPhotoCheck keeps WeChat's verdict on the upload checked under
	// traceID, and, for one held in a case, tells the case's staff.
	RecordPhotoCheck(ctx context.Context, traceID string, v SecurityVerdict, at time.Time) (Upload, error)
}

// MediaChecker sends a file to WeChat's asynchronous media check.
type MediaChecker interface {
	MediaCheckAsync(ctx context.Context, openid, mediaURL string, image bool) (traceID string, err error)
}

// Photos takes citizens' photos and has WeChat check them.
type Photos struct {
	Store   UploadStore
	Dir     string // the media directory
	Checker MediaChecker
	// URL is where WeChat downloads an upload to check it.
	URL func(id string) string
	Now func() time.Time
	Log *slog.Logger
	// Saved, if set, is called after an upload is kept, to wake the checker.
	Saved func()
}

var uploadID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// ValidUploadID tells whether s can be an upload's ID.
func ValidUploadID(s string) bool { return uploadID.MatchString(s) }

// Save keeps one photo for openid: a JPEG or PNG (by its content, not its
// name), within the size and pixel limits, under a name of ours.
func (p *Photos) Save(ctx context.Context, openid string, r io.Reader) (Upload, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxPhotoBytes+1))
	if err != nil {
		return Upload{}, fmt.Errorf("read photo: %w", err)
	}
	switch {
	case len(data) == 0:
		return Upload{}, Errorf(EINVALID, "照片（photo）是空的")
	case len(data) > MaxPhotoBytes:
		return Upload{}, Errorf(EINVALID, "照片（photo）不能超过%dMB", MaxPhotoBytes>>20)
	}
	// The decoder, not the name or a header, says what the file is.
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Upload{}, Errorf(EINVALID, "照片（photo）只能是 JPG 或 PNG 图片，且文件完整")
	}
	contentType, ext := map[string]string{"jpeg": "image/jpeg", "png": "image/png"}[format], map[string]string{"jpeg": ".jpg", "png": ".png"}[format]
	if ext == "" {
		return Upload{}, Errorf(EINVALID, "照片（photo）只能是 JPG 或 PNG 图片，收到的是 %s", format)
	}
	if !wholeImage(format, data) {
		return Upload{}, Errorf(EINVALID, "照片（photo）只能是 JPG 或 PNG 图片，且文件完整（这张缺了结尾）")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPhotoPixels {
		return Upload{}, Errorf(EINVALID, "照片（photo）尺寸 %d×%d 不合要求", cfg.Width, cfg.Height)
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return Upload{}, fmt.Errorf("upload id: %w", err)
	}
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	sum := sha256.Sum256(data)
	u := Upload{ID: hex.EncodeToString(raw[:]), OpenID: openid, ContentType: contentType, Size: int64(len(data)),
		SHA256: hex.EncodeToString(sum[:]), Width: cfg.Width, Height: cfg.Height, Check: PhotoUnchecked, CreatedAt: now}
	u.Path = filepath.Join("uploads", now.In(China).Format("2006/01/02"), u.ID+ext)
	if err := writeFileAtomically(filepath.Join(p.Dir, u.Path), data); err != nil {
		return Upload{}, fmt.Errorf("keep photo: %w", err)
	}
	if err := p.Store.AddUpload(ctx, u); err != nil {
		_ = os.Remove(filepath.Join(p.Dir, u.Path)) // unrecorded, it would never be found or cleaned
		return Upload{}, err
	}
	if p.Saved != nil {
		p.Saved()
	}
	return u, nil
}

// wholeImage checks that a JPEG or PNG ends as one must (EOI marker, IEND
// chunk): a cut-off upload is refused without decoding every pixel.
func wholeImage(format string, data []byte) bool {
	switch format {
	case "jpeg":
		return bytes.HasSuffix(bytes.TrimRight(data, "\x00"), []byte{0xFF, 0xD9})
	case "png":
		return bytes.HasSuffix(data, []byte{0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82})
	}
	return false
}

// Open reads an upload's file (for WeChat's checker and for staff).
func (p *Photos) Open(ctx context.Context, id string) (Upload, *os.File, error) {
	if !ValidUploadID(id) {
		return Upload{}, nil, NotFound("照片")
	}
	u, err := p.Store.Upload(ctx, id)
	if err != nil {
		return Upload{}, nil, err
	}
	f, err := os.Open(filepath.Join(p.Dir, u.Path))
	if err != nil {
		return Upload{}, nil, fmt.Errorf("open photo %s: %w", id, err)
	}
	return u, f, nil
}

// SendForCheck sends the uploads not yet checked to WeChat; one that fails
// stays unchecked for the next pass.
func (p *Photos) SendForCheck(ctx context.Context) (int, error) {
	if p.Checker == nil || p.URL == nil {
		return 0, nil
	}
	pending, err := p.Store.UncheckedUploads(ctx, 50)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, u := range pending {
		traceID, err := p.Checker.MediaCheckAsync(ctx, u.OpenID, p.URL(u.ID), true)
		if err != nil {
			if ctx.Err() != nil {
				return sent, ctx.Err()
			}
			p.log().Warn("photo check not sent; will retry", "upload", u.ID, "err", err)
			continue
		}
		if err := p.Store.UploadSentForCheck(ctx, u.ID, traceID); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// Run sends photos for checking until ctx ends, woken by uploads or every poll.
func (p *Photos) Run(ctx context.Context, wake <-chan struct{}, poll time.Duration) {
	runLoop(ctx, wake, poll, func() {
		if _, err := p.SendForCheck(ctx); err != nil && ctx.Err() == nil {
			p.log().Error("photo checks", "err", err)
		}
	})
}

// CheckResult takes WeChat's verdict on a photo (the wxa_media_check push).
func (p *Photos) CheckResult(ctx context.Context, r MediaCheckResult) error {
	if r.TraceID == "" {
		return Errorf(EINVALID, "media check result without trace_id")
	}
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	v := r.Verdict
	if r.ErrCode != 0 {
		// WeChat could not check it (e.g. could not download it): staff look.
		v = SecurityVerdict{Suggest: "review", Label: v.Label, TraceID: r.TraceID}
	}
	_, err := p.Store.RecordPhotoCheck(ctx, r.TraceID, v, now)
	return err
}

func (p *Photos) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

// writeFileAtomically writes data to path through a temporary file, so a
// crash never leaves half a file under the final name.
func writeFileAtomically(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".upload-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return errors.Join(fmt.Errorf("write %s", filepath.Base(path)), err)
	}
	return nil
}
