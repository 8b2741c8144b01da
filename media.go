package mashang

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"strings"
	"time"
)

// MediaTTL is how long WeChat keeps what citizens send.
const MediaTTL = 72 * time.Hour

// PendingMedia is a photo, voice or video not fetched yet.
type PendingMedia struct {
	ID         int64 // the inbound message
	DedupKey   string
	MsgType    string
	MediaID    string
	CreateTime time.Time
	Attempts   int
}

// MediaStore lists media to fetch and records where it went.
type MediaStore interface {
	PendingMedia(ctx context.Context, since time.Time, maxAttempts, limit int) ([]PendingMedia, error)
	MediaFetched(ctx context.Context, m PendingMedia, path string) error
	MediaFailed(ctx context.Context, m PendingMedia, reason string) error
}

// MediaFetcher downloads media from WeChat (media/get).
type MediaFetcher interface {
	FetchMedia(ctx context.Context, mediaID string) (data []byte, contentType string, err error)
}

// Media fetches what citizens send while WeChat still holds it, into
// Files, after the callback was answered.
type Media struct {
	Store   MediaStore
	Fetcher MediaFetcher
	Files   MediaFiles
	Log     *slog.Logger
	Now     func() time.Time
}

// errKeep marks a fetch that WeChat answered but that could not be kept:
// the fault is ours (the object store or the disk), not the media's.
type errKeep struct{ err error }

func (e errKeep) Error() string { return "keep media: " + e.err.Error() }
func (e errKeep) Unwrap() error { return e.err }

const mediaMaxAttempts = 5

// Fetch downloads every pending media once; it returns how many it kept.
func (md *Media) Fetch(ctx context.Context) (int, error) {
	now := time.Now()
	if md.Now != nil {
		now = md.Now()
	}
	pending, err := md.Store.PendingMedia(ctx, now.Add(-MediaTTL), mediaMaxAttempts, 100)
	if err != nil {
		return 0, err
	}
	kept := 0
	for _, p := range pending {
		if ctx.Err() != nil {
			return kept, ctx.Err()
		}
		path, err := md.fetchOne(ctx, p)
		var keep errKeep
		if errors.As(err, &keep) {
			// Where media is kept is down: every other file would fail
			// too. Nothing is counted against the message (WeChat holds it
			// for three days); the next pass tries again.
			return kept, err
		}
		if err != nil {
			if ferr := md.Store.MediaFailed(ctx, p, err.Error()); ferr != nil {
				return kept, ferr
			}
			md.log().Warn("media not fetched", "message", p.ID, "attempt", p.Attempts+1, "err", err)
			continue
		}
		if err := md.Store.MediaFetched(ctx, p, path); err != nil {
			return kept, err
		}
		kept++
	}
	return kept, nil
}

// Run fetches until ctx ends, woken by the intake or every poll.
func (md *Media) Run(ctx context.Context, wake <-chan struct{}, poll time.Duration) {
	runLoop(ctx, wake, poll, func() {
		if _, err := md.Fetch(ctx); err != nil && ctx.Err() == nil {
			md.log().Error("media", "err", err)
		}
	})
}

// fetchOne downloads one media file to YYYY/MM/DD/<message id>.<ext>.
// The name is ours, never WeChat's or the citizen's: nothing they send can
// steer where it is written.
func (md *Media) fetchOne(ctx context.Context, p PendingMedia) (string, error) {
	data, contentType, err := md.Fetcher.FetchMedia(ctx, p.MediaID)
	if err != nil {
		return "", err
	}
	if len(data) == 0 {
		return "", errors.New("empty media")
	}
	ext := extensionFor(contentType, p.MsgType)
	key := p.CreateTime.In(China).Format("2006/01/02") + "/" + fmt.Sprintf("%d%s", p.ID, ext)
	if err := putMedia(ctx, md.Files, key, data, contentType); err != nil {
		return "", errKeep{err}
	}
	return key, nil
}

func extensionFor(contentType, msgType string) string {
	mediaType, _, _ := mime.ParseMediaType(contentType)
	switch mediaType {
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/gif":
		return ".gif"
	case "audio/amr":
		return ".amr"
	case "audio/mpeg", "audio/mp3":
		return ".mp3"
	case "video/mp4":
		return ".mp4"
	}
	if strings.HasPrefix(msgType, "voice") {
		return ".amr"
	}
	return ".bin"
}

func (md *Media) log() *slog.Logger {
	if md.Log != nil {
		return md.Log
	}
	return slog.Default()
}
