package qrcode_test

import (
	"fmt"
	"io"
	"testing"

	"mashang/qrcode"
)

func BenchmarkPNG512(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		if _, err := qrcode.PNG(fmt.Sprintf("http://weixin.qq.com/q/02abcDEFghiJKLmnoPQRs%06d", i), 512); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExportZIP(b *testing.B) {
	items := make([]qrcode.Item, 1000)
	for i := range items {
		items[i] = qrcode.Item{Path: fmt.Sprintf("a/%d.png", i), Content: fmt.Sprintf("http://weixin.qq.com/q/02abcDEFghiJKLmnoPQRs%06d", i)}
	}
	for b.Loop() {
		if _, err := qrcode.ExportZIP(b.Context(), io.Discard, items, 512); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(items)*b.N)/b.Elapsed().Seconds(), "codes/s")
}
