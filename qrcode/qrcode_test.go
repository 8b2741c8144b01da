package qrcode_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"

	"mashang/qrcode"
)

// decode reads a code back, as a phone would.
func decode(t *testing.T, data []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the code does not scan: %v", err)
	}
	return res.GetText()
}

func TestPNGScansAndIsTheSizeAsked(t *testing.T) {
	for _, size := range []int{qrcode.MinSize, 430, 512, 1000, qrcode.MaxSize} {
		content := fmt.Sprintf("http://weixin.qq.com/q/02abcDEFghiJKL%04dmno", size)
		data, err := qrcode.PNG(content, size)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width != size || cfg.Height != size {
			t.Fatalf("asked %d px, got %+v %v", size, cfg, err)
		}
		if got := decode(t, data); got != content {
			t.Errorf("%d px scans as %q", size, got)
		}
	}
}

func TestPNGRefusesWhatCannotBePrinted(t *testing.T) {
	for _, c := range []struct {
		content string
		size    int
	}{{"", 430}, {"x", 64}, {"x", 4096}} {
		if _, err := qrcode.PNG(c.content, c.size); err == nil {
			t.Errorf("PNG(%q, %d) did not refuse", c.content, c.size)
		}
	}
}

func TestExportZIPKeepsOrderAndEveryCodeScans(t *testing.T) {
	var items []qrcode.Item
	for i := range 40 {
		items = append(items, qrcode.Item{Path: fmt.Sprintf("青岛市/市南区/站%02d.png", i), Content: fmt.Sprintf("https://mashang.example/s/st:s%02d", i)})
	}
	ready, _ := qrcode.PNG("already made", 256)
	items = append(items, qrcode.Item{Path: "青岛市/小程序码.png", PNG: ready})

	var buf bytes.Buffer
	n, err := qrcode.ExportZIP(context.Background(), &buf, items, 512)
	if err != nil || n != len(items) {
		t.Fatalf("wrote %d: %v", n, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != len(items) {
		t.Fatalf("%d files in the ZIP", len(zr.File))
	}
	for i, f := range zr.File {
		if f.Name != items[i].Path {
			t.Fatalf("file %d is %s, want %s", i, f.Name, items[i].Path)
		}
		if i%10 != 0 && i != len(items)-1 {
			continue // scan a sample
		}
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		want := items[i].Content
		if items[i].PNG != nil {
			want = "already made"
		}
		if got := decode(t, data); got != want {
			t.Errorf("%s scans as %q, want %q", f.Name, got, want)
		}
	}
}

func TestExportStopsAtTheFirstBadItem(t *testing.T) {
	items := []qrcode.Item{{Path: "a.png", Content: "ok"}, {Path: "b.png", Content: ""}, {Path: "c.png", Content: "ok"}}
	n, err := qrcode.ExportZIP(context.Background(), io.Discard, items, 256)
	if err == nil || n != 1 {
		t.Fatalf("wrote %d, err %v", n, err)
	}
}
