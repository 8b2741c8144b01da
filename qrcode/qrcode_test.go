package qrcode_test

import (
	"bytes"
	"image/png"
	"testing"

	"mashang/qrcode"
)

func TestPNGIsTheSizeAsked(t *testing.T) {
	for _, size := range []int{qrcode.MinSize, 430, qrcode.MaxSize} {
		data, err := qrcode.PNG("http://weixin.qq.com/q/sandbox", size)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Errorf("asked %d px, got %dx%d", size, b.Dx(), b.Dy())
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
