package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	goqrcode "github.com/skip2/go-qrcode"

	"mashang/qrcode"
)

// benchCodes measures exporting a city's codes: Qingdao's roster (628
// stations, 6,500 deputies) as PNGs into one ZIP, against go-qrcode's own
// Encode on one core, in the same run.
func benchCodes(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench codes", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stations := fs.Int("stations", 628, "stations")
	deputies := fs.Int("deputies", 6500, "deputies")
	size := fs.Int("size", 512, "code size in pixels")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	items := make([]qrcode.Item, 0, *stations+*deputies)
	for i := range *stations {
		items = append(items, qrcode.Item{
			Path:    fmt.Sprintf("青岛市/区%02d/站点%03d/站点二维码.png", i%10, i),
			Content: ticketURL(),
		})
	}
	for i := range *deputies {
		st := i % *stations
		items = append(items, qrcode.Item{
			Path:    fmt.Sprintf("青岛市/区%02d/站点%03d/代表%04d.png", st%10, st, i),
			Content: ticketURL(),
		})
	}
	out, err := os.CreateTemp("", "mashang-codes-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()

	start := time.Now()
	n, err := qrcode.ExportZIP(ctx, out, items, *size)
	if err != nil {
		return err
	}
	ours := time.Since(start)
	info, _ := out.Stat()

	// The peer: go-qrcode's Encode, as its README shows it, on one core.
	peerN := 300
	start = time.Now()
	for i := range peerN {
		if _, err := goqrcode.Encode(items[i].Content, goqrcode.Medium, *size); err != nil {
			return err
		}
	}
	peer := time.Since(start)

	oursRate := float64(n) / ours.Seconds()
	peerRate := float64(peerN) / peer.Seconds()
	fmt.Fprintf(stdout, "\ncode export benchmark, %s, %s/%s, %d CPU: %d codes at %d px into one ZIP\n\n",
		time.Now().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), n, *size)
	fmt.Fprintf(stdout, "%-46s %12s %10s\n", "renderer", "codes/s", "time")
	fmt.Fprintf(stdout, "%-46s %12.0f %10s   (%.1f MB ZIP)\n", "mashang qrcode.ExportZIP (all cores)", oursRate,
		ours.Round(time.Millisecond), float64(info.Size())/1e6)
	fmt.Fprintf(stdout, "%-46s %12.0f %10s   (%d codes)\n", "go-qrcode Encode (one core, as documented)", peerRate,
		peer.Round(time.Millisecond), peerN)
	addBenchRow(benchRow{"code export", "codes/s into one ZIP", fmt.Sprintf("%.0f", oursRate), fmt.Sprintf("%.0f go-qrcode", peerRate),
		fmt.Sprintf("%.1f×", oursRate/peerRate), "≥ 1,000 codes/s: " + metOrNot(oursRate >= 1000)})
	fmt.Fprintf(stdout, "\nratio: %.1f× go-qrcode; target 1,000 codes/s: %s\n", oursRate/peerRate, map[bool]string{true: "met", false: "NOT met"}[oursRate >= 1000])
	return nil
}

// ticketURL looks like the URL WeChat returns for a permanent code's ticket.
func ticketURL() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := make([]byte, 22)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "http://weixin.qq.com/q/02" + string(b)
}
