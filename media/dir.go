// Package media keeps the bytes of media (mashang.MediaFiles) in one of
// two places: a local folder (Dir, the default, for one machine) or an
// S3-compatible object store (S3) that every instance shares. Copy moves a
// folder into a store, resumably, and checks what it copied.
package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path"
	"path/filepath"
	"strings"

	"mashang"
)

// Dir keeps media in a local folder, one file per key, as Mashang always
// has (MASHANG_MEDIA_DIR).
type Dir struct {
	root string
}

// NewDir keeps media under root.
func NewDir(root string) *Dir { return &Dir{root: root} }

// Root is the folder.
func (d *Dir) Root() string { return d.root }

// tempPrefix marks a file being written; List skips it.
const tempPrefix = ".upload-"

func (d *Dir) path(key string) (string, error) {
	if !mashang.ValidMediaKey(key) {
		return "", fmt.Errorf("media key %q: %w", key, fs.ErrNotExist)
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// Put writes through a temporary file synced before it takes the final
// name, so a crash never leaves half a file under the key.
func (d *Dir) Put(_ context.Context, o mashang.MediaObject, r io.Reader) error {
	p, err := d.path(o.Key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), tempPrefix+"*")
	if err != nil {
		return err
	}
	n, err := io.Copy(tmp, r)
	if err == nil && o.Size >= 0 && n != o.Size {
		err = fmt.Errorf("%d bytes written, %d expected", n, o.Size)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return errors.Join(fmt.Errorf("write %s", path.Base(o.Key)), err)
	}
	return nil
}

// Open opens the file itself: reads and seeks go to the disk.
func (d *Dir) Open(_ context.Context, key string) (io.ReadSeekCloser, mashang.MediaObject, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, mashang.MediaObject{}, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, mashang.MediaObject{}, err
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a file: %w", key, fs.ErrNotExist)
	}
	if err != nil {
		f.Close()
		return nil, mashang.MediaObject{}, err
	}
	return f, object(key, info.Size()), nil
}

// Stat describes the file; a folder keeps no digest, so SHA256 is "".
func (d *Dir) Stat(_ context.Context, key string) (mashang.MediaObject, error) {
	p, err := d.path(key)
	if err != nil {
		return mashang.MediaObject{}, err
	}
	info, err := os.Stat(p)
	if err != nil {
		return mashang.MediaObject{}, err
	}
	if !info.Mode().IsRegular() {
		return mashang.MediaObject{}, fmt.Errorf("%s is not a file: %w", key, fs.ErrNotExist)
	}
	return object(key, info.Size()), nil
}

// Delete removes the file.
func (d *Dir) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// List walks the folder in lexical order, skipping files being written.
func (d *Dir) List(ctx context.Context, prefix string, fn func(mashang.MediaObject) error) error {
	err := filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == d.root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll // nothing kept yet
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if e.IsDir() || !e.Type().IsRegular() || strings.HasPrefix(e.Name(), tempPrefix) {
			return nil
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) || !mashang.ValidMediaKey(key) {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		return fn(object(key, info.Size()))
	})
	return err
}

func object(key string, size int64) mashang.MediaObject {
	return mashang.MediaObject{Key: key, Size: size, ContentType: contentType(key)}
}

// contentType is what a key's extension says; media keys end in the
// extension we chose when keeping them.
func contentType(key string) string {
	switch path.Ext(key) {
	case ".amr":
		return "audio/amr" // not in Go's table
	case "":
		return "application/octet-stream"
	}
	if t := mime.TypeByExtension(path.Ext(key)); t != "" {
		return t
	}
	return "application/octet-stream"
}
