package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"mashang/store"
	"mashang/wechat/wechattest"
)

// bench measures the callback: distinct safe-mode text pushes at a fixed
// number of connections, against the real `mashang serve` on SQLite and, in
// the same run, against the bare SDK server (cmd/sdkpeer). Both run as
// separate processes on loopback; the load comes from this process.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 20000, "distinct callbacks per server")
	conns := fs.Int("c", 32, "concurrent connections")
	peerBin := fs.String("peer", "bin/sdkpeer", "the bare SDK server binary (go build -o bin/sdkpeer ./cmd/sdkpeer)")
	selfBin := fs.String("self", "", "the mashang binary to benchmark (default: this one)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *selfBin == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		*selfBin = exe
	}
	dir, err := os.MkdirTemp("", "mashang-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	const (
		appID   = "wxbench0000000001"
		token   = "benchtoken"
		account = "gh_bench00000001"
	)
	aesKey := wechattest.NewAESKey()
	dbPath := filepath.Join(dir, "bench.db")

	selfAddr, err := freeAddr()
	if err != nil {
		return err
	}
	self := exec.CommandContext(ctx, *selfBin, "serve")
	self.Env = append(os.Environ(),
		"MASHANG_HTTP_ADDR="+selfAddr, "MASHANG_DB_DRIVER=sqlite", "MASHANG_DB_DSN="+dbPath,
		"MASHANG_WECHAT_APPID="+appID, "MASHANG_WECHAT_SECRET=bench", "MASHANG_WECHAT_TOKEN="+token,
		"MASHANG_WECHAT_AES_KEY="+aesKey, "MASHANG_WECHAT_API_BASE=http://127.0.0.1:9", "MASHANG_LOG_LEVEL=warn",
		"MASHANG_SANDBOX=false")
	peerAddr, err := freeAddr()
	if err != nil {
		return err
	}
	peer := exec.CommandContext(ctx, *peerBin, "-addr", peerAddr, "-appid", appID, "-token", token, "-aes-key", aesKey)

	type result struct {
		name string
		load loadResult
	}
	var results []result
	for _, target := range []struct {
		name string
		cmd  *exec.Cmd
		addr string
	}{
		{"mashang serve (SQLite, stored)", self, selfAddr},
		{"bare SDK server (README, nothing stored)", peer, peerAddr},
	} {
		target.cmd.Stderr = stderr
		if err := target.cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", target.name, err)
		}
		url := "http://" + target.addr + "/wechat/callback"
		if err := waitListening(ctx, target.addr); err != nil {
			_ = target.cmd.Process.Kill()
			return fmt.Errorf("%s did not start: %w", target.name, err)
		}
		signer := wechattest.CallbackSigner{URL: url, Token: token, AESKey: aesKey, AppID: appID, Mode: wechattest.ModeSafe}
		fmt.Fprintf(stderr, "bench: %s: preparing %d pushes…\n", target.name, *n)
		warm, err := prepare(signer, account, 1_000, 1)
		if err != nil {
			return err
		}
		reqs, err := prepare(signer, account, *n, 1_000_000)
		if err != nil {
			return err
		}
		_ = drive(ctx, warm, *conns)
		fmt.Fprintf(stderr, "bench: %s: driving…\n", target.name)
		load := drive(ctx, reqs, *conns)
		_ = target.cmd.Process.Signal(os.Interrupt)
		_ = target.cmd.Wait()
		results = append(results, result{target.name, load})
	}

	db, err := store.Open(ctx, store.DriverSQLite, dbPath)
	if err != nil {
		return fmt.Errorf("open the benchmark's database: %w", err)
	}
	stored, err := db.CountInbound(ctx)
	db.Close()
	if err != nil {
		return err
	}
	stored -= 1_000 // the warm-up

	fmt.Fprintf(stdout, "\ncallback benchmark, %s, %s/%s, %d CPU, %d distinct safe-mode text pushes, %d connections\n\n",
		time.Now().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), *n, *conns)
	fmt.Fprintf(stdout, "%-42s %10s %9s %9s %8s %8s\n", "server", "req/s", "p50", "p99", "errors", "stored")
	for i, r := range results {
		storedCol := "-"
		if i == 0 {
			storedCol = strconv.Itoa(stored)
		}
		fmt.Fprintf(stdout, "%-42s %10.0f %9s %9s %8d %8s\n", r.name, r.load.throughput(),
			r.load.percentile(50), r.load.percentile(99), r.load.errors, storedCol)
	}
	ratio := results[0].load.throughput() / results[1].load.throughput()
	fmt.Fprintf(stdout, "\nratio (mashang / bare SDK): %.2f× throughput; p99 %s vs %s\n",
		ratio, results[0].load.percentile(99), results[1].load.percentile(99))
	if results[0].load.errors > 0 || stored != *n {
		return fmt.Errorf("mashang answered %d errors and stored %d of %d pushes", results[0].load.errors, stored, *n)
	}
	return nil
}

type loadResult struct {
	elapsed   time.Duration
	latencies []time.Duration
	errors    int
}

func (r loadResult) throughput() float64 {
	return float64(len(r.latencies)) / r.elapsed.Seconds()
}

func (r loadResult) percentile(p int) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	sorted := slices.Clone(r.latencies)
	slices.Sort(sorted)
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)].Round(10 * time.Microsecond)
}

type preparedPush struct {
	url  string
	body []byte
}

// prepare signs and encrypts n distinct text pushes before the clock starts.
func prepare(signer wechattest.CallbackSigner, account string, n int, firstMsgID int64) ([]preparedPush, error) {
	out := make([]preparedPush, n)
	now := time.Now()
	for i := range out {
		openid := fmt.Sprintf("oBENCH%022d", i%997)
		push := wechattest.Text(account, openid, firstMsgID+int64(i), "路灯坏了，请尽快修复。编号"+strconv.Itoa(i), now)
		req, err := signer.PushRequest(push.XML())
		if err != nil {
			return nil, err
		}
		body, _ := io.ReadAll(req.Body)
		out[i] = preparedPush{url: req.URL.String(), body: body}
	}
	return out, nil
}

// drive sends every push over conns keep-alive connections and records each
// latency; anything but a 200 with a body counts as an error.
func drive(ctx context.Context, pushes []preparedPush, conns int) loadResult {
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns},
	}
	var next atomic.Int64
	var mu sync.Mutex
	res := loadResult{latencies: make([]time.Duration, 0, len(pushes))}
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			var local []time.Duration
			var errs int
			for {
				i := int(next.Add(1) - 1)
				if i >= len(pushes) || ctx.Err() != nil {
					break
				}
				t0 := time.Now()
				ok := post(client, pushes[i])
				if !ok {
					errs++
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			res.latencies = append(res.latencies, local...)
			res.errors += errs
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

func post(client *http.Client, p preparedPush) bool {
	resp, err := client.Post(p.url, "text/xml", bytes.NewReader(p.body))
	if err != nil {
		return false
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK && len(body) > 0
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitListening(ctx context.Context, addr string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return errors.New("not listening after 30 s")
}
