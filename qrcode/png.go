package qrcode

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"sync"
)

// encodePNG writes a code as a 1-bit grayscale PNG. image/png reads a
// 1-bit image pixel by pixel through an interface, which was two thirds of
// the time of a bulk export; a code is made of whole-pixel modules, so each
// module row is one packed scanline repeated, written here directly.
func encodePNG(bitmap [][]bool, size, scale, offset int) ([]byte, error) {
	rowBytes := (size + 7) / 8
	white := make([]byte, 1+rowBytes) // filter byte 0 ("none"), then the pixels
	for i := 1; i < len(white); i++ {
		white[i] = 0xff
	}
	if rem := size % 8; rem != 0 {
		white[len(white)-1] = 0xff << (8 - rem) // padding bits after the last pixel
	}

	raw := rawPool.Get().(*bytes.Buffer)
	defer rawPool.Put(raw)
	raw.Reset()
	for range offset {
		raw.Write(white)
	}
	line := make([]byte, len(white))
	for _, row := range bitmap {
		copy(line, white)
		for mx, dark := range row {
			if !dark {
				continue
			}
			x0 := offset + mx*scale
			for x := x0; x < x0+scale; x++ {
				line[1+x/8] &^= 0x80 >> (x % 8) // 0 is black in grayscale
			}
		}
		for range scale {
			raw.Write(line)
		}
	}
	for range size - offset - scale*len(bitmap) {
		raw.Write(white)
	}

	var idat bytes.Buffer
	idat.Grow(raw.Len() / 8)
	// A compressor's state is large; reusing it saves clearing and
	// collecting it for every code.
	zw := zlibPool.Get().(*zlib.Writer)
	defer zlibPool.Put(zw)
	zw.Reset(&idat)
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}

	var out bytes.Buffer
	out.Grow(idat.Len() + 64)
	out.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(size))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(size))
	ihdr[8] = 1 // bit depth; colour type 0 (grayscale), deflate, no filter method, no interlace follow as zeros
	writeChunk(&out, "IHDR", ihdr[:])
	writeChunk(&out, "IDAT", idat.Bytes())
	writeChunk(&out, "IEND", nil)
	return out.Bytes(), nil
}

var (
	rawPool  = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	zlibPool = sync.Pool{New: func() any {
		zw, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed) // a valid level never fails
		return zw
	}}
)

func writeChunk(w *bytes.Buffer, kind string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	w.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(kind))
	crc.Write(data)
	w.WriteString(kind)
	w.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	w.Write(n[:])
}
