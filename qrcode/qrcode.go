// Package qrcode renders the codes citizens scan: a station's or a deputy's
// WeChat code is the URL WeChat returns for its ticket, drawn here at the size
// a print sheet or a poster needs, so WeChat is asked once per code, not once
// per picture; and it writes them out in bulk.
package qrcode

import (
	"fmt"

	goqrcode "github.com/skip2/go-qrcode"
)

// Size limits for a rendered code, in pixels: below 128 a phone struggles to
// read it from a poster; above 2048 nobody prints it.
const (
	MinSize = 128
	MaxSize = 2048
)

// PNG draws content as a square PNG of size pixels, with the medium error
// correction WeChat's own codes use (readable with 15% of it damaged or
// covered). Every module is a whole number of pixels, centred, so printed
// codes are crisp.
func PNG(content string, size int) ([]byte, error) {
	if content == "" {
		return nil, fmt.Errorf("nothing to encode")
	}
	if size < MinSize || size > MaxSize {
		return nil, fmt.Errorf("size %d px is outside %d–%d", size, MinSize, MaxSize)
	}
	code, err := goqrcode.New(content, goqrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("encode %d characters: %w", len(content), err)
	}
	bitmap := code.Bitmap() // includes the quiet zone
	modules := len(bitmap)
	scale := size / modules
	if scale < 1 {
		return nil, fmt.Errorf("%d px is too small for %d modules", size, modules)
	}
	offset := (size - scale*modules) / 2

	return encodePNG(bitmap, size, scale, offset)
}
