package handlers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
)

// PhotoService keeps citizens' photos (*mashang.Photos).
type PhotoService interface {
	Save(ctx context.Context, openid string, r io.Reader) (mashang.Upload, error)
	// SaveFor keeps a photo or scanned letter staff or a deputy took for a walk-in.
	SaveFor(ctx context.Context, e mashang.Enterer, r io.Reader) (mashang.Upload, error)
	// Open reads an upload's file as it is sent, never whole.
	Open(ctx context.Context, id string) (mashang.Upload, io.ReadSeekCloser, error)
	CheckResult(ctx context.Context, r mashang.MediaCheckResult) error
}

// MediaReader reads kept media (mashang.MediaFiles): departments'
// attachments, scans and letters, and what citizens sent through WeChat.
type MediaReader interface {
	Open(ctx context.Context, key string) (io.ReadSeekCloser, mashang.MediaObject, error)
}

// uploadPhoto answers POST /mp/uploads, a multipart form with one file in
// the field "photo" (what wx.uploadFile sends with name: "photo"). The ID it
// answers goes in the form's "photos".
func (h *mpAPI) uploadPhoto(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, mashang.MaxPhotoBytes+64<<10)
	mediaType, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mediaType != "multipart/form-data" {
		h.fail(c, mashang.Errorf(mashang.EINVALID, "请以 multipart/form-data 上传，文件放在 photo 字段（wx.uploadFile 的 name: \"photo\"）"))
		return
	}
	reader, err := c.Request.MultipartReader()
	if err != nil { // the Content-Type has no boundary
		h.fail(c, mashang.Errorf(mashang.EINVALID, "上传的表单缺少分隔符（Content-Type 中的 boundary）"))
		return
	}
	part, err := photoPart(reader)
	var data []byte
	if err == nil {
		// Read here, so that what goes wrong reading is the client's (400,
		// 413) and what goes wrong keeping it is ours.
		data, err = io.ReadAll(part)
	}
	if err == nil && len(data) > mashang.MaxPhotoBytes {
		err = &http.MaxBytesError{Limit: mashang.MaxPhotoBytes}
	}
	if err != nil {
		h.unreadable(c, err)
		return
	}
	s := c.MustGet(sessionKey).(mashang.MPSession)
	u, err := h.deps.Photos.Save(c.Request.Context(), s.OpenID, bytes.NewReader(data))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"id": u.ID, "content_type": u.ContentType, "size": u.Size, "width": u.Width,
		"height": u.Height, "check": u.Check})
}

// photoPart finds the "photo" file among the form's parts.
func photoPart(r *multipart.Reader) (*multipart.Part, error) {
	for {
		part, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, mashang.Errorf(mashang.EINVALID, "表单中没有 photo 字段的文件")
		}
		if err != nil {
			return nil, err
		}
		if part.FormName() == "photo" {
			return part, nil
		}
	}
}

// unreadable answers an upload that could not be read to its end.
func (h *mpAPI) unreadable(c *gin.Context, err error) {
	var tooLarge *http.MaxBytesError
	var invalid *mashang.Error
	switch {
	case errors.As(err, &tooLarge):
		err = mashang.Errorf(eTooLarge, "照片（photo）不能超过%dMB", mashang.MaxPhotoBytes>>20)
	case !errors.As(err, &invalid): // cut short or garbled on the way
		err = mashang.Errorf(mashang.EINVALID, "上传的表单不完整或已损坏，请重新上传")
	}
	h.fail(c, err)
}

// photo answers GET /mp/photos/:id: one of the citizen's own photos.
func (h *mpAPI) photo(c *gin.Context) {
	u, f, err := h.deps.Photos.Open(c.Request.Context(), c.Param("id"))
	if err == nil && u.OpenID != c.MustGet(sessionKey).(mashang.MPSession).OpenID {
		f.Close()
		err = mashang.NotFound("照片")
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	defer f.Close()
	servePhoto(c, u, f)
}

// checkedPhoto answers GET /media/checks/:id, where WeChat's media check
// downloads a photo. The ID is 128 random bits; once WeChat has given its
// verdict the photo is no longer served here.
func (h *mpAPI) checkedPhoto(c *gin.Context) {
	u, f, err := h.deps.Photos.Open(c.Request.Context(), c.Param("id"))
	if err == nil && u.Check != mashang.PhotoPending && u.Check != mashang.PhotoUnchecked {
		f.Close()
		err = mashang.NotFound("照片")
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	defer f.Close()
	servePhoto(c, u, f)
}

func servePhoto(c *gin.Context, u mashang.Upload, f io.ReadSeeker) {
	c.Header("Content-Type", u.ContentType)
	c.Header("Cache-Control", "private, max-age=300")
	c.Header("X-Content-Type-Options", "nosniff")
	http.ServeContent(c.Writer, c.Request, "", time.Time{}, f)
}
