package mashang

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg" // the photo formats the Mini Program sends
	"image/png"
	"io"
	"log/slog"
	"regexp"
	"sync"
	"time"
)

// Photo limits. WeChat's image check takes files up to 10 MB; a phone photo
// is 2–5 MB, and the Mini Program compresses by default.
const (
	MaxPhotos     = 9
	MaxPhotoBytes = 10 << 20
	// A photo is decoded whole before it is kept; these bound what that
	// costs (40 megapixels are 160 MB as RGBA) and are more than a phone
	// camera gives.
	maxPhotoSide   = 8192
	maxPhotoPixels = 40_000_000
	// photoQuality is the JPEG quality a photo is written again at.
	photoQuality = 85
	// UnattachedUploadTTL is how long an upload no case took is kept.
	UnattachedUploadTTL = 24 * time.Hour
)

// UploadQuota bounds what one citizen may keep uploaded and not yet in a
// case: photos are taken before the form is sent, so they cost disk before
// anyone reads them.
type UploadQuota struct {
	Count int
	Bytes int64
}

// Photo checks (WeChat's asynchronous media check) as they stand.
const (
	PhotoUnchecked = "unchecked" // not yet sent to WeChat
	PhotoPending   = "pending"   // sent; WeChat's verdict not back
	PhotoPass      = "pass"
	PhotoHeld      = "held" // risky or to review: hidden until staff look
)

// Allows says whether one more upload of size bytes fits beside n uploads
// of used bytes not yet in a case (ERATELIMITED, saying what to do, if not).
func (q UploadQuota) Allows(n int, used, size int64) error {
	if (q.Count > 0 && n+1 > q.Count) || (q.Bytes > 0 && used+size > q.Bytes) {
		return Errorf(ERATELIMITED, "您已上传%d张照片（共%.1fMB）还没有提交，已达上限（%d张、%dMB）。请先提交问题再上传；未提交的照片一天后会自动清除。",
			n, float64(used)/(1<<20), q.Count, q.Bytes>>20)
	}
	return nil
}

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
	// AddUpload records u unless its citizen's uploads not in a case would
	// then pass the quota (ERATELIMITED, saying which).
	AddUpload(ctx context.Context, u Upload, quota UploadQuota) error
	// UnattachedUploads lists uploads in no case made before before, oldest first.
	UnattachedUploads(ctx context.Context, before time.Time, limit int) ([]Upload, error)
	// DeleteUnattachedUpload deletes the row of an upload still in no case;
	// false: a case took it meanwhile, or another instance deleted it.
	DeleteUnattachedUpload(ctx context.Context, id string) (bool, error)
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
	Files   MediaFiles
	Checker MediaChecker
	// URL is where WeChat downloads an upload to check it.
	URL func(id string) string
	Now func() time.Time
	Log *slog.Logger
	// Saved, if set, is called after an upload is kept, to wake the checker.
	Saved func()
	// Quota is what one citizen may keep uploaded and not in a case.
	Quota UploadQuota
	// decoding admits a few full decodes at a time: each may take 160 MB.
	decoding chan struct{}
	once     sync.Once
}

var uploadID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// ValidUploadID tells whether s can be an upload's ID.
func ValidUploadID(s string) bool { return uploadID.MatchString(s) }

// Save keeps one photo for openid: a JPEG or PNG (by its content, not its
// name), within the size and pixel limits, decoded whole and written again
// by us (so nothing but its pixels is kept: no EXIF, no GPS position, no
// bytes hidden after them), under a name of ours, within the citizen's quota.
func (p *Photos) Save(ctx context.Context, openid string, r io.Reader) (Upload, error) {
	return p.save(ctx, openid, PhotoUnchecked, r)
}

// SaveFor keeps a photo or scanned letter that staff or a deputy took for a
// walk-in (Intake.Enter), with the same checks of its content as a
// citizen's, owned by the enterer until it is filed in the case. It is not
// sent to WeChat's check: that is for what the public sends, and it asks
// for a citizen's openid.
func (p *Photos) SaveFor(ctx context.Context, e Enterer, r io.Reader) (Upload, error) {
	return p.save(ctx, e.UploadOwner(), PhotoPass, r)
}

func (p *Photos) save(ctx context.Context, openid, check string, r io.Reader) (Upload, error) {
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
	clean, err := p.reencode(ctx, data)
	if err != nil {
		return Upload{}, err
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return Upload{}, fmt.Errorf("upload id: %w", err)
	}
	now := p.now()
	sum := sha256.Sum256(clean.data)
	u := Upload{ID: hex.EncodeToString(raw[:]), OpenID: openid, ContentType: clean.contentType, Size: int64(len(clean.data)),
		SHA256: hex.EncodeToString(sum[:]), Width: clean.width, Height: clean.height, Check: check, CreatedAt: now}
	u.Path = "uploads/" + now.In(China).Format("2006/01/02") + "/" + u.ID + clean.ext
	if err := p.Files.Put(ctx, MediaObject{Key: u.Path, Size: u.Size, ContentType: u.ContentType, SHA256: u.SHA256},
		bytes.NewReader(clean.data)); err != nil {
		// Where media is kept is down or full: the citizen can try again.
		p.log().Error("photo not kept", "err", err)
		return Upload{}, Errorf(EUNAVAILABLE, "照片暂时无法保存，请稍后再上传")
	}
	if err := p.Store.AddUpload(ctx, u, p.Quota); err != nil {
		// Unrecorded, it would never be found or cleaned.
		_ = p.Files.Delete(context.WithoutCancel(ctx), u.Path)
		return Upload{}, err
	}
	if p.Saved != nil {
		p.Saved()
	}
	return u, nil
}

// cleanPhoto is a photo as we write it.
type cleanPhoto struct {
	data             []byte
	contentType, ext string
	width, height    int
}

// reencode decodes data whole and writes its pixels again in its own
// format. The header is read first, so a file claiming more pixels than
// allowed is refused before any is decoded.
func (p *Photos) reencode(ctx context.Context, data []byte) (cleanPhoto, error) {
	// The decoder, not the name or a header, says what the file is.
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return cleanPhoto{}, Errorf(EINVALID, "照片（photo）只能是 JPG 或 PNG 图片，且文件完整")
	}
	if format != "jpeg" && format != "png" {
		return cleanPhoto{}, Errorf(EINVALID, "照片（photo）只能是 JPG 或 PNG 图片，收到的是 %s", format)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPhotoSide || cfg.Height > maxPhotoSide || cfg.Width*cfg.Height > maxPhotoPixels {
		return cleanPhoto{}, Errorf(EINVALID, "照片（photo）尺寸 %d×%d 不合要求：每边不超过%d像素、共不超过%d万像素，请缩小后再传",
			cfg.Width, cfg.Height, maxPhotoSide, maxPhotoPixels/10_000)
	}
	p.once.Do(func() { p.decoding = make(chan struct{}, 2) })
	select {
	case p.decoding <- struct{}{}:
	case <-ctx.Done():
		return cleanPhoto{}, ctx.Err()
	}
	defer func() { <-p.decoding }()
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		// Cut short, or a valid header before anything else.
		return cleanPhoto{}, Errorf(EINVALID, "照片（photo）只能是 JPG 或 PNG 图片，且文件完整（这张无法完整读出）")
	}
	out := cleanPhoto{contentType: "image/png", ext: ".png"}
	var b bytes.Buffer
	if format == "jpeg" {
		out.contentType, out.ext = "image/jpeg", ".jpg"
		img = orient(img, jpegOrientation(data))
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: photoQuality})
	} else {
		err = png.Encode(&b, img)
	}
	if err != nil {
		return cleanPhoto{}, fmt.Errorf("write photo again: %w", err)
	}
	if b.Len() > MaxPhotoBytes {
		return cleanPhoto{}, Errorf(EINVALID, "照片（photo）保存后会超过%dMB，请压缩后再传", MaxPhotoBytes>>20)
	}
	out.data, out.width, out.height = b.Bytes(), img.Bounds().Dx(), img.Bounds().Dy()
	return out, nil
}

// SweepUnattached deletes the uploads no case took within
// UnattachedUploadTTL: the row first, so a case that takes the photo at the
// same moment keeps it, then the file. Two instances sweeping at once
// delete each once. It returns how many it deleted.
func (p *Photos) SweepUnattached(ctx context.Context) (int, error) {
	deleted := 0
	for {
		stale, err := p.Store.UnattachedUploads(ctx, p.now().Add(-UnattachedUploadTTL), 100)
		if err != nil {
			return deleted, err
		}
		gone := 0
		for _, u := range stale {
			ok, err := p.Store.DeleteUnattachedUpload(ctx, u.ID)
			if err != nil {
				return deleted, err
			}
			if !ok {
				continue
			}
			gone++
			if err := p.Files.Delete(ctx, u.Path); err != nil {
				p.log().Warn("unattached photo's file not deleted", "upload", u.ID, "err", err)
			}
		}
		deleted += gone
		if len(stale) < 100 || gone == 0 {
			return deleted, nil
		}
	}
}

func (p *Photos) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Open reads an upload's file (for WeChat's checker and for staff) as it
// is sent, never whole.
func (p *Photos) Open(ctx context.Context, id string) (Upload, io.ReadSeekCloser, error) {
	if !ValidUploadID(id) {
		return Upload{}, nil, NotFound("照片")
	}
	u, err := p.Store.Upload(ctx, id)
	if err != nil {
		return Upload{}, nil, err
	}
	f, _, err := p.Files.Open(ctx, u.Path)
	if err != nil {
		return Upload{}, nil, MediaUnreadable(fmt.Errorf("open photo %s: %w", id, err), "照片")
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
	now := p.now()
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
