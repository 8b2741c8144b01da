package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"mashang"
)

// CopyReport says what Copy did.
type CopyReport struct {
	Copied, Skipped int   // files copied now; files the store already held, same size and digest
	Bytes           int64 // bytes copied now
	Verified        int   // files read back from the store and found the same
	// Repaired are files whose copy differed when read back (Verify) and
	// was copied again, then found the same.
	Repaired int
	// Mismatched are the keys whose copy still differs (Verify).
	Mismatched []string
}

// CopyOptions say how Copy goes.
type CopyOptions struct {
	// Verify reads every file back from the store and compares its SHA-256
	// with the source's; without it a file already there is trusted by
	// its size and the digest kept beside it.
	Verify bool
	// Progress, if set, is told of each file as it is done.
	Progress func(key, what string)
}

// Copy copies every file of from into to (`mashang media migrate`). It can
// be stopped and run again: a file the store already holds with the same
// size and digest is skipped, so a second run copies only what the first
// did not finish. Every copy carries its digest, so a later run (or
// Verify) can tell a whole copy from a damaged one.
func Copy(ctx context.Context, from, to mashang.MediaFiles, opt CopyOptions) (CopyReport, error) {
	var r CopyReport
	err := from.List(ctx, "", func(src mashang.MediaObject) error {
		sum, err := digest(ctx, from, src.Key)
		if err != nil {
			return err
		}
		src.SHA256 = sum
		have, err := to.Stat(ctx, src.Key)
		if err == nil && have.Size == src.Size && have.SHA256 == "" {
			// Written without a digest beside it (a folder keeps none; or
			// another tool): read it to know.
			if have.SHA256, err = digest(ctx, to, src.Key); err != nil {
				return err
			}
		}
		switch {
		case err == nil && have.Size == src.Size && have.SHA256 == sum:
			r.Skipped++
			opt.progress(src.Key, "skipped")
		case err == nil || errors.Is(err, fs.ErrNotExist):
			if err := copyOne(ctx, from, to, src); err != nil {
				return err
			}
			r.Copied++
			r.Bytes += src.Size
			opt.progress(src.Key, "copied")
		default:
			return err
		}
		if !opt.Verify {
			return nil
		}
		same, err := sameDigest(ctx, to, src.Key, sum)
		if err == nil && !same {
			// Damaged in the store, or changed under its digest: copy it
			// again, and check once more.
			if err := copyOne(ctx, from, to, src); err != nil {
				return err
			}
			if same, err = sameDigest(ctx, to, src.Key, sum); err == nil && same {
				r.Repaired++
				opt.progress(src.Key, "repaired")
				return nil
			}
		}
		switch {
		case err != nil:
			return err
		case !same:
			r.Mismatched = append(r.Mismatched, src.Key)
			opt.progress(src.Key, "MISMATCH")
		default:
			r.Verified++
		}
		return nil
	})
	return r, err
}

// sameDigest reads key back from files and compares its SHA-256 with sum;
// a file missing is not the same.
func sameDigest(ctx context.Context, files mashang.MediaFiles, key, sum string) (bool, error) {
	got, err := digest(ctx, files, key)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return got == sum, err
}

func (o CopyOptions) progress(key, what string) {
	if o.Progress != nil {
		o.Progress(key, what)
	}
}

func copyOne(ctx context.Context, from, to mashang.MediaFiles, o mashang.MediaObject) error {
	f, _, err := from.Open(ctx, o.Key)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := to.Put(ctx, o, f); err != nil {
		return fmt.Errorf("copy %s: %w", o.Key, err)
	}
	return nil
}

// digest reads a file through and returns its SHA-256 in hex.
func digest(ctx context.Context, files mashang.MediaFiles, key string) (string, error) {
	f, _, err := files.Open(ctx, key)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
