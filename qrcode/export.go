package qrcode

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"
)

// Item is one file of an export: a code to render from Content, or a
// picture already made (a Mini Program code comes from WeChat as an image).
type Item struct {
	Path    string // inside the ZIP, e.g. 青岛市/市南区/八大关街道人大代表联络站/王海燕.png
	Content string
	PNG     []byte
}

// ExportZIP renders items on every core and writes them, in order, into a
// ZIP. PNGs are stored, not deflated again: they are compressed already.
// It returns how many files were written.
func ExportZIP(ctx context.Context, w io.Writer, items []Item, size int) (int, error) {
	zw := zip.NewWriter(w)
	type rendered struct {
		png []byte
		err error
	}
	// One slot per item, filled by the workers; the writer takes them in
	// order, so the ZIP's layout does not depend on scheduling.
	slots := make([]chan rendered, len(items))
	for i := range slots {
		slots[i] = make(chan rendered, 1)
	}
	ctx, cancel := context.WithCancel(ctx)
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				it := items[i]
				if it.PNG != nil {
					slots[i] <- rendered{png: it.PNG}
					continue
				}
				png, err := PNG(it.Content, size)
				slots[i] <- rendered{png: png, err: err}
			}
		})
	}
	go func() {
		defer close(next)
		for i := range items {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() {
		cancel() // stop feeding the workers if we return early
		wg.Wait()
	}()

	now := time.Now()
	for i, it := range items {
		var r rendered
		select {
		case r = <-slots[i]:
		case <-ctx.Done():
			return i, ctx.Err()
		}
		if r.err != nil {
			return i, fmt.Errorf("%s: %w", it.Path, r.err)
		}
		f, err := zw.CreateHeader(&zip.FileHeader{Name: it.Path, Method: zip.Store, Modified: now})
		if err != nil {
			return i, fmt.Errorf("add %s: %w", it.Path, err)
		}
		if _, err := f.Write(r.png); err != nil {
			return i, fmt.Errorf("write %s: %w", it.Path, err)
		}
	}
	if err := zw.Close(); err != nil {
		return len(items), fmt.Errorf("finish the ZIP: %w", err)
	}
	return len(items), nil
}
