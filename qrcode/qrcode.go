// Package qrcode renders the codes citizens scan: a station's or a deputy's
// WeChat code is the URL WeChat returns for its ticket, drawn here at the size
// a print sheet or a poster needs, so WeChat is asked once per code, not once
// per picture.
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
// correction WeChat's own codes use (a code stays readable with 15% of it
// damaged or covered).
func PNG(content string, size int) ([]byte, error) {
	if content == "" {
		return nil, fmt.Errorf("nothing to encode")
	}
	if size < MinSize || size > MaxSize {
		return nil, fmt.Errorf("size %d px is outside %d–%d", size, MinSize, MaxSize)
	}
	png, err := goqrcode.Encode(content, goqrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("render code: %w", err)
	}
	return png, nil
}
