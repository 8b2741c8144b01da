package mashang

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// MediaFiles keeps the bytes of every piece of media: what citizens sent
// through WeChat, Mini Program photos, departments' attachments, scanned
// letters. Records in the database name a file by its key, a relative
// slash path such as "uploads/2026/03/01/<id>.jpg". Two kinds keep them
// (package media): a local folder, and S3-compatible object storage that
// several instances share.
type MediaFiles interface {
	// Put keeps r's o.Size bytes under o.Key, whole or not at all;
	// o.SHA256 (hex), when given, is kept beside them so a copy can be
	// checked later.
	Put(ctx context.Context, o MediaObject, r io.Reader) error
	// Open reads a file as it is read (nothing is held whole in memory),
	// seekable for range requests; the error wraps fs.ErrNotExist when
	// there is no such file.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, MediaObject, error)
	// Stat describes a file (fs.ErrNotExist: none).
	Stat(ctx context.Context, key string) (MediaObject, error)
	// Delete removes a file; one already gone is no error.
	Delete(ctx context.Context, key string) error
	// List calls fn for every file under prefix ("" for all).
	List(ctx context.Context, prefix string, fn func(MediaObject) error) error
}

// MediaObject describes a kept file.
type MediaObject struct {
	Key         string
	Size        int64
	ContentType string
	// SHA256 is the hex digest the writer gave, "" where none was kept.
	SHA256 string
}

// ValidMediaKey tells whether key can name a kept file: relative, clean,
// slash-separated, never climbing out of where media is kept.
func ValidMediaKey(key string) bool {
	return key != "" && !strings.HasPrefix(key, "/") && !strings.Contains(key, `\`) &&
		path.Clean(key) == key && key != "." && !strings.HasPrefix(key, "../") && key != ".."
}

// putMedia keeps data under key with its digest.
func putMedia(ctx context.Context, files MediaFiles, key string, data []byte, contentType string) error {
	sum := sha256.Sum256(data)
	return files.Put(ctx, MediaObject{Key: key, Size: int64(len(data)), ContentType: contentType,
		SHA256: hex.EncodeToString(sum[:])}, bytes.NewReader(data))
}

// MediaUnreadable says what a kept file that cannot be read means to
// whoever asked for it (what: 照片, 附件): a file gone is not found; a store
// that does not answer is unavailable for now. The cause stays in the
// chain for the log, never for the reader.
func MediaUnreadable(err error, what string) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", NotFound(what), err)
	}
	return fmt.Errorf("%w: %w", Errorf(EUNAVAILABLE, "%s暂时无法读取，请稍后再试", what), err)
}
