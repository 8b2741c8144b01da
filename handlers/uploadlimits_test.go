package handlers_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mashang/configs"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// pngChunk is one PNG chunk with its CRC.
func pngChunk(kind string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(kind)
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(kind), data...)))
	return b.Bytes()
}

// pngHeader is a PNG's signature and header chunk for w×h RGBA pixels.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, w), h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA, deflate, no interlace
	return append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
}

// jpegWithGPS is a real JPEG carrying an EXIF segment with a position in it,
// as a phone writes one.
func jpegWithGPS(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 32, 24)), nil); err != nil {
		t.Fatal(err)
	}
	exif := []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08GPSLatitude=39.9042N GPSLongitude=116.4074E")
	app1 := append([]byte{0xFF, 0xE1, byte((len(exif) + 2) >> 8), byte(len(exif) + 2)}, exif...)
	data := b.Bytes()
	return append(append(append([]byte{}, data[:2]...), app1...), data[2:]...)
}

func TestPhotoIsDecodedWholeAndWrittenAgainWithoutItsMetadata(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		token := e.login(t, "oPhotoDecode0000000000001")

		// A PNG header, a megabyte of junk, and a PNG's end: not a photo.
		junk := make([]byte, 1<<20)
		rand.Read(junk)
		fake := append(append(pngHeader(640, 480), junk...), pngChunk("IEND", nil)...)
		if status, out := e.upload(t, token, "photo", fake); status != http.StatusBadRequest || !strings.Contains(out["message"], "JPG 或 PNG") {
			t.Errorf("header, junk and end marker: %d %v", status, out)
		}
		// A header claiming 9000 pixels across is refused before any pixel
		// is decoded.
		wide := append(pngHeader(9000, 100), pngChunk("IEND", nil)...)
		if status, out := e.upload(t, token, "photo", wide); status != http.StatusBadRequest || !strings.Contains(out["message"], "尺寸 9000×100") {
			t.Errorf("9000 pixels wide: %d %v", status, out)
		}
		// A phone's JPEG keeps its pixels and loses where it was taken.
		status, out := e.upload(t, token, "photo", jpegWithGPS(t))
		if status != http.StatusCreated || out["content_type"] != "image/jpeg" || out["width"] != "32" {
			t.Fatalf("JPEG with EXIF: %d %v", status, out)
		}
		resp, stored := getAuth(t, e.srv.URL+"/mp/photos/"+out["id"], token)
		if resp.StatusCode != http.StatusOK || bytes.Contains(stored, []byte("GPS")) || bytes.Contains(stored, []byte("Exif")) {
			t.Fatalf("the kept photo: %d, still carries its EXIF: %v", resp.StatusCode, bytes.Contains(stored, []byte("GPS")))
		}
		if img, format, err := image.Decode(bytes.NewReader(stored)); err != nil || format != "jpeg" || img.Bounds().Dx() != 32 {
			t.Fatalf("the kept photo does not decode as the JPEG sent: %v %s", err, format)
		}
	})
}

// A phone's portrait photo is stored on its side with EXIF Orientation 6;
// written again without EXIF, it is turned first.
func TestPhotoTakenUprightStaysUprightWithoutItsEXIF(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		token := e.login(t, "oPhotoOrient0000000000001")
		sideways := image.NewGray(image.Rect(0, 0, 32, 24))
		for y := range 8 {
			for x := range 8 {
				sideways.Pix[y*sideways.Stride+x] = 255 // a white corner, top left as stored
			}
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, sideways, &jpeg.Options{Quality: 95}); err != nil {
			t.Fatal(err)
		}
		exif := []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00")
		app1 := append([]byte{0xFF, 0xE1, 0, byte(len(exif) + 2)}, exif...)
		data := append(append([]byte{0xFF, 0xD8}, app1...), b.Bytes()[2:]...)
		status, out := e.upload(t, token, "photo", data)
		if status != http.StatusCreated || out["width"] != "24" || out["height"] != "32" {
			t.Fatalf("a photo to be turned a quarter: %d %v", status, out)
		}
		_, stored := getAuth(t, e.srv.URL+"/mp/photos/"+out["id"], token)
		img, err := jpeg.Decode(bytes.NewReader(stored))
		if err != nil {
			t.Fatal(err)
		}
		bright := func(x, y int) bool { r, _, _, _ := img.At(x, y).RGBA(); return r > 0x8000 }
		if img.Bounds().Dx() != 24 || !bright(20, 3) || bright(3, 3) {
			t.Fatalf("the stored photo is not upright: %v, top right bright %v, top left bright %v", img.Bounds(), bright(20, 3), bright(3, 3))
		}
	})
}

func TestCitizenCannotKeepMorePhotosOutsideCasesThanTheQuota(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{configure: func(c *configs.Config) { c.Cases.UploadsPending = 9 }})
		token := e.login(t, "oPhotoQuota00000000000001")
		other := e.login(t, "oPhotoQuota00000000000002")
		var ids []string
		for i := range 9 {
			status, out := e.upload(t, token, "photo", pngPhoto(t, uint8(i)))
			if status != http.StatusCreated {
				t.Fatalf("upload %d within the quota: %d %v", i, status, out)
			}
			ids = append(ids, out["id"])
		}
		status, out := e.upload(t, token, "photo", pngPhoto(t, 99))
		if status != http.StatusTooManyRequests || out["code"] != "rate_limited" || !strings.Contains(out["message"], "已达上限") {
			t.Fatalf("a tenth photo not in a case: %d %v", status, out)
		}
		if status, out := e.upload(t, other, "photo", pngPhoto(t, 99)); status != http.StatusCreated {
			t.Fatalf("another citizen's photo: %d %v", status, out)
		}
		// Sent with a case, the photos leave the quota.
		if status, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "quota-case-1", "scene": "st:demo-bdg", "text": "路灯坏了", "photos": ["`+strings.Join(ids, `", "`)+`"]}`); status != http.StatusCreated {
			t.Fatalf("raise with nine photos: %d %v", status, out)
		}
		if status, out := e.upload(t, token, "photo", pngPhoto(t, 99)); status != http.StatusCreated {
			t.Fatalf("a photo after the others went into a case: %d %v", status, out)
		}
	})
}

func TestPhotosNoCaseTookAreDeletedAfterADay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		e := newEnv(t, driver, wechattest.ModeSafe, options{})
		ctx := context.Background()
		token := e.login(t, "oPhotoSweep00000000000001")
		var ids []string
		for i := range 2 {
			status, out := e.upload(t, token, "photo", pngPhoto(t, uint8(i)))
			if status != http.StatusCreated {
				t.Fatalf("upload: %d %v", status, out)
			}
			ids = append(ids, out["id"])
		}
		if status, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "sweep-case-1", "scene": "st:demo-bdg", "text": "路灯坏了", "photos": ["`+ids[0]+`"]}`); status != http.StatusCreated {
			t.Fatalf("raise: %d %v", status, out)
		}
		files := func() int {
			n := 0
			filepath.WalkDir(filepath.Join(e.mediaDir, "uploads"), func(_ string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					n++
				}
				return nil
			})
			return n
		}
		if n, err := e.photos.SweepUnattached(ctx); err != nil || n != 0 || files() != 2 {
			t.Fatalf("a fresh photo swept: %d %v, %d files", n, err, files())
		}
		e.photos.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
		// Two instances sweep at once: the photo is deleted once.
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for range 2 {
			wg.Go(func() {
				n, err := e.photos.SweepUnattached(ctx)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			})
		}
		wg.Wait()
		if total != 1 || files() != 1 {
			t.Fatalf("after a day: %d deleted, %d files left", total, files())
		}
		if resp, _ := getAuth(t, e.srv.URL+"/mp/photos/"+ids[1], token); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("the swept photo: %d", resp.StatusCode)
		}
		if resp, _ := getAuth(t, e.srv.URL+"/mp/photos/"+ids[0], token); resp.StatusCode != http.StatusOK {
			t.Fatalf("the photo in a case: %d", resp.StatusCode)
		}
	})
}
