package media_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/media"
	"mashang/media/mediatest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	mediatest.StopShared()
	os.Exit(code)
}

func put(t *testing.T, files mashang.MediaFiles, key string, data []byte) {
	t.Helper()
	sum := sha256.Sum256(data)
	err := files.Put(context.Background(), mashang.MediaObject{Key: key, Size: int64(len(data)), ContentType: "image/jpeg",
		SHA256: hex.EncodeToString(sum[:])}, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func read(t *testing.T, files mashang.MediaFiles, key string) []byte {
	t.Helper()
	r, _, err := files.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return data
}

func keys(t *testing.T, files mashang.MediaFiles, prefix string) []string {
	t.Helper()
	var out []string
	if err := files.List(context.Background(), prefix, func(o mashang.MediaObject) error {
		out = append(out, o.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestFilesKeepReadListAndDelete(t *testing.T) {
	mediatest.Each(t, func(t *testing.T, files mashang.MediaFiles) {
		ctx := context.Background()
		photo := []byte("\xff\xd8\xff a photo")
		put(t, files, "uploads/2026/03/01/aa.jpg", photo)
		put(t, files, "uploads/2026/03/02/bb.jpg", []byte("another"))
		put(t, files, "2026/03/01/17.amr", []byte("#!AMR voice"))

		if got := read(t, files, "uploads/2026/03/01/aa.jpg"); !bytes.Equal(got, photo) {
			t.Fatalf("read back %q", got)
		}
		o, err := files.Stat(ctx, "uploads/2026/03/01/aa.jpg")
		if err != nil || o.Size != int64(len(photo)) {
			t.Fatalf("stat: %+v %v", o, err)
		}
		if _, isS3 := files.(*media.S3); isS3 {
			if sum := sha256.Sum256(photo); o.SHA256 != hex.EncodeToString(sum[:]) {
				t.Fatalf("the digest kept beside the object is %q", o.SHA256)
			}
		}
		if got, want := keys(t, files, "uploads/"), []string{"uploads/2026/03/01/aa.jpg", "uploads/2026/03/02/bb.jpg"}; !slices.Equal(got, want) {
			t.Fatalf("listed %v, want %v", got, want)
		}
		if got := keys(t, files, ""); len(got) != 3 {
			t.Fatalf("listed %v, want all three", got)
		}

		if err := files.Delete(ctx, "uploads/2026/03/01/aa.jpg"); err != nil {
			t.Fatal(err)
		}
		if err := files.Delete(ctx, "uploads/2026/03/01/aa.jpg"); err != nil {
			t.Fatalf("deleting twice: %v", err)
		}
		if _, _, err := files.Open(ctx, "uploads/2026/03/01/aa.jpg"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("open after delete: %v, want fs.ErrNotExist", err)
		}
		if _, err := files.Stat(ctx, "never/was.jpg"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("stat of nothing: %v, want fs.ErrNotExist", err)
		}
	})
}

func TestKeysCannotClimbOut(t *testing.T) {
	mediatest.Each(t, func(t *testing.T, files mashang.MediaFiles) {
		for _, key := range []string{"../escape.jpg", "/etc/passwd", "a/../../b", "a//b", `a\b`, "", ".", "a/./b"} {
			if err := files.Put(context.Background(), mashang.MediaObject{Key: key, Size: 1}, strings.NewReader("x")); err == nil {
				t.Errorf("kept a file under %q", key)
			}
			if _, _, err := files.Open(context.Background(), key); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("open %q: %v, want not found", key, err)
			}
		}
	})
}

// A short body is refused whole: nothing is kept under the key.
func TestAShortBodyKeepsNothing(t *testing.T) {
	mediatest.Each(t, func(t *testing.T, files mashang.MediaFiles) {
		err := files.Put(context.Background(), mashang.MediaObject{Key: "results/x.pdf", Size: 100}, strings.NewReader("only 13 bytes"))
		if err == nil {
			t.Fatal("a body shorter than its size was kept")
		}
		if _, err := files.Stat(context.Background(), "results/x.pdf"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("after a short body: %v, want nothing kept", err)
		}
		if got := keys(t, files, ""); len(got) != 0 {
			t.Fatalf("left behind: %v", got)
		}
	})
}

// A large file (a video, a scanned letter of many pages) is served in
// ranges as it is read: http.ServeContent seeks, the store answers the
// range.
func TestLargeFilesAreServedInRanges(t *testing.T) {
	mediatest.Each(t, func(t *testing.T, files mashang.MediaFiles) {
		data := make([]byte, 20<<20) // past minio-go's 16 MiB part: a multipart upload
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		put(t, files, "2026/03/01/99.mp4", data)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f, _, err := files.Open(r.Context(), "2026/03/01/99.mp4")
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			defer f.Close()
			http.ServeContent(w, r, "", time.Time{}, f)
		}))
		defer srv.Close()

		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", len(data)-1000, len(data)-1))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		part, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(part, data[len(data)-1000:]) {
			t.Fatalf("range: %d, %d bytes, want 206 and the last 1000", resp.StatusCode, len(part))
		}
		resp, err = http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		whole, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ContentLength != int64(len(data)) || !bytes.Equal(whole, data) {
			t.Fatalf("whole: length %d, %d bytes read, equal %v", resp.ContentLength, len(whole), bytes.Equal(whole, data))
		}
	})
}

// `mashang media migrate`: a copy stopped half-way is finished by the next
// run without copying again what is there, and --verify reads every file
// back, copying again one found damaged.
func TestCopyResumesAndVerifies(t *testing.T) {
	mediatest.Each(t, func(t *testing.T, to mashang.MediaFiles) {
		ctx := context.Background()
		from := media.NewDir(t.TempDir())
		want := map[string][]byte{}
		for i := range 6 {
			key := fmt.Sprintf("uploads/2026/03/0%d/%02d.jpg", i%3+1, i)
			want[key] = []byte(strings.Repeat(string(rune('a'+i)), 1000+i))
			put(t, from, key, want[key])
		}

		// Stopped after two files: the operator's Ctrl-C, a lost connection.
		stopped, stop := context.WithCancel(ctx)
		done := 0
		_, err := media.Copy(stopped, from, to, media.CopyOptions{Progress: func(string, string) {
			if done++; done == 2 {
				stop()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the stopped copy: %v", err)
		}
		r, err := media.Copy(ctx, from, to, media.CopyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Skipped != 2 || r.Copied != 4 {
			t.Fatalf("the second run: %+v, want 2 skipped, 4 copied", r)
		}
		for key, data := range want {
			if got := read(t, to, key); !bytes.Equal(got, data) {
				t.Fatalf("%s holds %q", key, got)
			}
		}

		// One copy damaged in the store under its old digest: a plain run
		// trusts the digest the store keeps; --verify reads it back, copies
		// it again and checks again. (A folder keeps no digest: any run
		// reads the copy to know it.)
		damaged := "uploads/2026/03/01/00.jpg"
		sum := sha256.Sum256(want[damaged])
		if err := to.Put(ctx, mashang.MediaObject{Key: damaged, Size: int64(len(want[damaged])), SHA256: hex.EncodeToString(sum[:])},
			bytes.NewReader(bytes.Repeat([]byte("z"), len(want[damaged])))); err != nil {
			t.Fatal(err)
		}
		if _, isS3 := to.(*media.S3); isS3 {
			if r, err := media.Copy(ctx, from, to, media.CopyOptions{}); err != nil || r.Skipped != 6 {
				t.Fatalf("a run without --verify: %+v %v", r, err)
			}
		}
		r, err = media.Copy(ctx, from, to, media.CopyOptions{Verify: true})
		if err != nil || r.Repaired+r.Copied != 1 || r.Verified+r.Repaired != 6 || len(r.Mismatched) != 0 {
			t.Fatalf("--verify: %+v %v, want the damaged file copied again and all six verified", r, err)
		}
		if got := read(t, to, damaged); !bytes.Equal(got, want[damaged]) {
			t.Fatalf("the damaged copy still holds %q", got)
		}
	})
}
