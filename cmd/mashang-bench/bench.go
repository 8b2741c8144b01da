package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"database/sql"
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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"mashang"
	"mashang/store"
	"mashang/wechat/wechattest"
)

// bench measures the callback: distinct safe-mode text pushes at a fixed
// number of connections, against the real `mashang serve` on SQLite and, in
// the same run, against the bare SDK server (cmd/sdkpeer). Both run as
// separate processes on loopback; the load comes from this process.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "all" {
		return benchAll(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "codes" {
		return benchCodes(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "console" {
		return benchConsole(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "province" {
		return benchProvince(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "outbox" {
		return benchOutbox(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "callback" {
		args = args[1:]
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 20000, "distinct callbacks per server")
	conns := fs.Int("c", 32, "concurrent connections")
	rounds := fs.Int("rounds", 5, "rounds per server, alternating; the median is reported")
	peerBin := fs.String("peer", "bin/sdkpeer", "the bare SDK server binary (go build -o bin/sdkpeer ./cmd/sdkpeer)")
	selfBin := fs.String("self", "bin/mashang", "the mashang binary to benchmark (go build -o bin/mashang ./cmd/mashang)")
	profileDir := fs.String("profile", "", "write each serve's CPU profile into this directory")
	mysqlDSN := fs.String("mysql", "", "also benchmark serve on MySQL: a DSN whose user may create a database, e.g. root@tcp(127.0.0.1:3306)/test")
	remote := addRemoteFlags(fs) // --target URL: a server already running (bench_target.go)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *remote.url != "" {
		return remote.run(ctx, *n, *conns, *rounds, stdout, stderr)
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

	// The WeChat API that serve's outbox sends to: a fake, in this process.
	fake, fakeSrv, fakeURL, err := wechattest.Start(wechattest.Config{Apps: []wechattest.App{{AppID: appID, Secret: "bench", Templates: []string{"TPL-BENCH"}}}})
	if err != nil {
		return err
	}
	defer fakeSrv.Close()
	const deputyOpenID = "oBenchDeputy0000000000000000"
	fake.Follow(deputyOpenID)
	// The citizens follow by scanning (prepareScans): WeChat knows them, and
	// answers serve's question for their unionid, as it would for real.
	for i := range benchCitizens {
		fake.Follow(benchOpenID(i))
	}

	// Each serve gets a database with the demo stations, deputies, groups
	// and keywords, and a binding code one bench deputy scans first: then
	// every new case is routed to that deputy's group and notifies them.
	serveTarget := func(name, driver, dsn string) (*benchTarget, error) {
		db, err := store.Open(ctx, driver, dsn)
		if err != nil {
			return nil, err
		}
		defer db.Close()
		if err := db.SeedDemo(ctx); err != nil {
			return nil, err
		}
		bind, err := (&mashang.Binding{Store: db}).NewCode(ctx, "demo-d02")
		if err != nil {
			return nil, err
		}
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, *selfBin, "serve")
		if *profileDir != "" {
			cmd.Args = append(cmd.Args, "--cpuprofile", filepath.Join(*profileDir, driver+".pprof"))
		}
		cmd.Env = append(os.Environ(),
			"MASHANG_HTTP_ADDR="+addr, "MASHANG_DB_DRIVER="+driver, "MASHANG_DB_DSN="+dsn,
			"MASHANG_WECHAT_APPID="+appID, "MASHANG_WECHAT_SECRET=bench", "MASHANG_WECHAT_TOKEN="+token,
			"MASHANG_WECHAT_AES_KEY="+aesKey, "MASHANG_WECHAT_API_BASE="+fakeURL, "MASHANG_LOG_LEVEL=warn",
			"MASHANG_TEMPLATE_NEW_CASE=TPL-BENCH", "MASHANG_MEDIA_DIR="+filepath.Join(dir, "media"),
			"MASHANG_PUBLIC_URL=http://"+addr,
			// Every case's notice is sent and counted, as before the
			// per-deputy limit: the bench's one bound deputy gets 997.
			"MASHANG_DEPUTY_NOTICES_PER_MINUTE=100000")
		return &benchTarget{name: name, cmd: cmd, addr: addr, driver: driver, dsn: dsn, bindScene: bind.Scene.String()}, nil
	}

	// The peers: the bare SDK server (the limit) and the durable one (the
	// same server plus one INSERT per message before the reply), on each
	// database Mashang is measured on.
	peerTarget := func(name, store, dsn string) (*benchTarget, error) {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		args := []string{"-addr", addr, "-appid", appID, "-token", token, "-aes-key", aesKey}
		if store != "" {
			args = append(args, "-store", store, "-dsn", dsn)
		}
		return &benchTarget{name: name, cmd: exec.CommandContext(ctx, *peerBin, args...), addr: addr,
			peerStore: store, driver: store, dsn: dsn}, nil
	}
	sqliteTarget, err := serveTarget("mashang serve (SQLite, routed, stored)", store.DriverSQLite, filepath.Join(dir, "bench.db"))
	if err != nil {
		return err
	}
	sqlitePeer, err := peerTarget("durable SDK server (SQLite, INSERT)", store.DriverSQLite, filepath.Join(dir, "peer.db"))
	if err != nil {
		return err
	}
	targets := []*benchTarget{sqliteTarget, sqlitePeer}
	if *mysqlDSN != "" {
		dsn, drop, err := benchDatabase(*mysqlDSN)
		if err != nil {
			return err
		}
		defer drop()
		t, err := serveTarget("mashang serve (MySQL, routed, stored)", store.DriverMySQL, dsn)
		if err != nil {
			return err
		}
		peerDSN, dropPeer, err := benchDatabase(*mysqlDSN)
		if err != nil {
			return err
		}
		defer dropPeer()
		p, err := peerTarget("durable SDK server (MySQL, INSERT)", store.DriverMySQL, peerDSN)
		if err != nil {
			return err
		}
		// The database server's CPU is counted too: it shares the cores.
		if t.dbPID, err = mysqlServerPID(*mysqlDSN); err != nil {
			fmt.Fprintf(stderr, "bench: the MySQL server's CPU will not be counted: %v\n", err)
		}
		p.dbPID = t.dbPID
		targets = append(targets, t, p)
	}
	bare, err := peerTarget("bare SDK server (README, nothing stored)", "", "")
	if err != nil {
		return err
	}
	bare.bare = true
	targets = append(targets, bare)

	for _, t := range targets {
		t.cmd.Stderr = stderr
		if err := t.cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", t.name, err)
		}
		defer func() {
			_ = t.cmd.Process.Signal(os.Interrupt)
			_ = t.cmd.Wait()
		}()
		if err := waitListening(ctx, t.addr); err != nil {
			return fmt.Errorf("%s did not start: %w", t.name, err)
		}
		t.signer = wechattest.CallbackSigner{URL: "http://" + t.addr + "/wechat/callback", Token: token,
			AESKey: aesKey, AppID: appID, Mode: wechattest.ModeSafe}
		if t.warm, err = prepareScans(t.signer, account, deputyOpenID, t.bindScene); err != nil {
			return err
		}
	}
	for _, t := range targets {
		_ = drive(ctx, t.addr, t.warm, *conns)
	}
	// Rounds alternate between the servers, so a slow minute of a shared
	// machine falls on both; the median round is reported.
	for r := range *rounds {
		for _, t := range targets {
			// Signed just before the round, not all at the start: a push
			// more than five minutes old is refused as a replay, and on a
			// busy machine the rounds together take longer than that.
			batch, err := prepare(t.signer, account, *n, int64(1_000_000*(r+1)))
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "bench: round %d/%d: %s\n", r+1, *rounds, t.name)
			before, genBefore, dbBefore := processCPU(t.cmd.Process.Pid), processCPU(os.Getpid()), processCPU(t.dbPID)
			load := drive(ctx, t.addr, batch, *conns)
			load.cpu = processCPU(t.cmd.Process.Pid) - before
			load.generatorCPU = processCPU(os.Getpid()) - genBefore
			load.dbCPU = processCPU(t.dbPID) - dbBefore
			t.rounds = append(t.rounds, load)
			fmt.Fprintf(stderr, "bench: round %d/%d: %s: %.0f req/s, p99 %s, %d errors\n", r+1, *rounds, t.name,
				load.throughput(), load.percentile(99), load.errors)
		}
	}
	for _, t := range targets {
		_ = t.cmd.Process.Signal(os.Interrupt)
		_ = t.cmd.Wait()
	}

	for _, t := range targets {
		if t.driver == "" {
			continue
		}
		if t.peerStore != "" {
			if t.stored, err = countPeerMessages(t.driver, t.dsn); err != nil {
				return err
			}
			continue
		}
		db, err := store.Open(ctx, t.driver, t.dsn)
		if err != nil {
			return fmt.Errorf("open the benchmark's database: %w", err)
		}
		stored, err := db.CountInbound(ctx)
		if err == nil {
			t.cases, err = db.CountCases(ctx)
		}
		db.Close()
		if err != nil {
			return err
		}
		t.stored = stored - len(t.warm)
	}
	delivered := len(fake.Delivered(deputyOpenID))

	fmt.Fprintf(stdout, "\ncallback benchmark, %s, %s/%s, %d CPU: %d rounds of %d distinct safe-mode text pushes, %d connections\n\n",
		time.Now().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), *rounds, *n, *conns)
	fmt.Fprintf(stdout, "%-42s %9s %9s %9s %10s %10s %10s %22s %7s %8s\n", "server", "req/s", "p50", "p99",
		"CPU µs/req", "DB µs/req", "gen µs/req", "share: server/DB/gen", "errors", "stored")
	for _, t := range targets {
		storedCol := "-"
		if t.driver != "" {
			storedCol = strconv.Itoa(t.stored)
		}
		m := t.median()
		dbCol := "-"
		if t.dbPID != 0 {
			dbCol = fmt.Sprintf("%.0f", m.dbCPUPerRequest())
		}
		share := fmt.Sprintf("%.0f%%/%.0f%%/%.0f%%", 100*m.share(m.cpu), 100*m.share(m.dbCPU), 100*m.share(m.generatorCPU))
		fmt.Fprintf(stdout, "%-42s %9.0f %9s %9s %10.0f %10s %10.0f %22s %7d %8s\n", t.name, m.throughput(),
			m.percentile(50), m.percentile(99), m.cpuPerRequest(), dbCol, m.generatorCPUPerRequest(), share, t.errors(), storedCol)
	}
	fmt.Fprintf(stdout, "(share: of the machine's %d cores during the median round; load average at the end: %s)\n", runtime.NumCPU(), loadAverage())
	peer0 := bare.median()
	fmt.Fprintln(stdout)
	for _, t := range targets {
		if t.peerStore != "" || t.bare {
			continue
		}
		var durable *benchTarget
		for _, p := range targets {
			if p.peerStore == t.driver {
				durable = p
			}
		}
		m, d := t.median(), durable.median()
		ratio, durableRatio := m.throughput()/peer0.throughput(), m.throughput()/d.throughput()
		fmt.Fprintf(stdout, "ratio %s: %.2f× the durable SDK server (%.0f req/s, p99 %s), %.2f× the bare SDK server (%.0f req/s, p99 %s); p99 %s (median of %d rounds); %d cases\n",
			t.driver, durableRatio, d.throughput(), d.percentile(99), ratio, peer0.throughput(), peer0.percentile(99), m.percentile(99), *rounds, t.cases)
		// Issue 20's targets.
		wantDurable, wantBare := 4.0, 0.8
		if t.driver == store.DriverMySQL {
			wantDurable, wantBare = 2.0, 0
		}
		addBenchRow(benchRow{"callback " + t.driver, "throughput, req/s", fmt.Sprintf("%.0f", m.throughput()),
			fmt.Sprintf("%.0f durable SDK", d.throughput()), fmt.Sprintf("%.2f×", durableRatio),
			fmt.Sprintf("≥ %.0f×: %s", wantDurable, metOrNot(durableRatio >= wantDurable))})
		target := "-"
		if wantBare > 0 {
			target = fmt.Sprintf("≥ %.1f×: %s", wantBare, metOrNot(ratio >= wantBare))
		}
		addBenchRow(benchRow{"callback " + t.driver, "throughput, req/s", fmt.Sprintf("%.0f", m.throughput()),
			fmt.Sprintf("%.0f bare SDK", peer0.throughput()), fmt.Sprintf("%.2f×", ratio), target})
		addBenchRow(benchRow{"callback " + t.driver, "p99 latency", m.percentile(99).Round(10 * time.Microsecond).String(),
			d.percentile(99).Round(10*time.Microsecond).String() + " durable SDK", "",
			"< 25ms: " + metOrNot(m.percentile(99) < 25*time.Millisecond)})
		addBenchRow(benchRow{"callback " + t.driver, "server CPU per push", fmt.Sprintf("%.0f µs", m.cpuPerRequest()),
			fmt.Sprintf("%.0f µs durable SDK", d.cpuPerRequest()), "", ""})
		if t.dbPID != 0 {
			addBenchRow(benchRow{"callback " + t.driver, "MySQL server CPU per push", fmt.Sprintf("%.0f µs", m.dbCPUPerRequest()),
				fmt.Sprintf("%.0f µs durable SDK", d.dbCPUPerRequest()), "", ""})
		}
	}
	fmt.Fprintf(stdout, "notifications delivered by serve's outbox to the bound deputy (fake WeChat): %d\n", delivered)
	for _, t := range targets {
		if want := *n * *rounds; t.driver != "" && (t.errors() > 0 || t.stored != want) {
			return fmt.Errorf("%s answered %d errors and stored %d of %d pushes", t.name, t.errors(), t.stored, want)
		}
	}
	return nil
}

func metOrNot(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// benchCitizens is how many citizens the benchmark's pushes come from.
const benchCitizens = 997

// prepareScans is the warm-up: the bench deputy binds their WeChat, and
// every bench citizen scans a station's code, so that their texts open and
// join routed cases.
func prepareScans(signer wechattest.CallbackSigner, account, deputyOpenID, bindScene string) ([]preparedPush, error) {
	now := time.Now()
	pushes := []wechattest.Push{wechattest.SubscribeByScan(account, deputyOpenID, bindScene, now)}
	for i := range benchCitizens {
		pushes = append(pushes, wechattest.SubscribeByScan(account, benchOpenID(i), "st:demo-bdg", now))
	}
	out := make([]preparedPush, len(pushes))
	for i, p := range pushes {
		req, err := signer.PushRequest(p.XML())
		if err != nil {
			return nil, err
		}
		out[i], err = serialise(req)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func benchOpenID(i int) string { return fmt.Sprintf("oBENCH%022d", i%benchCitizens) }

// benchDatabase creates a fresh database on the server dsn names, and
// returns its DSN and how to drop it.
func benchDatabase(dsn string) (string, func(), error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", nil, fmt.Errorf("--mysql: %w", err)
	}
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("mashang_bench_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("--mysql: create a database: %w", err)
	}
	cfg.DBName = name
	return cfg.FormatDSN(), func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name)
		admin.Close()
	}, nil
}

type benchTarget struct {
	name      string
	cmd       *exec.Cmd
	addr      string
	driver    string // "" for the bare peer
	peerStore string // the durable peer's database; "" for serve and the bare peer
	bare      bool
	dbPID     int // the MySQL server's process, whose CPU is counted too; 0 for none
	dsn       string
	bindScene string
	stored    int
	cases     int
	signer    wechattest.CallbackSigner
	warm      []preparedPush
	rounds    []loadResult
}

// median is the round with the median throughput.
func (t *benchTarget) median() loadResult {
	sorted := slices.Clone(t.rounds)
	slices.SortFunc(sorted, func(a, b loadResult) int { return cmp.Compare(a.throughput(), b.throughput()) })
	return sorted[len(sorted)/2]
}

func (t *benchTarget) errors() int {
	n := 0
	for _, r := range t.rounds {
		n += r.errors
	}
	return n
}

// processCPU reads a process's user+system CPU time from /proc.
func processCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start after ')'.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ is 100 on Linux
}

type loadResult struct {
	elapsed   time.Duration
	latencies []time.Duration
	errors    int
	cpu       time.Duration // the server's CPU time during the round
	// generatorCPU is this process's: the load generator (and the fake
	// WeChat the outbox sends to), which shares the machine's cores.
	generatorCPU time.Duration
	dbCPU        time.Duration // the MySQL server's, when it is on this machine
}

func (r loadResult) dbCPUPerRequest() float64 {
	return float64(r.dbCPU.Microseconds()) / float64(max(len(r.latencies), 1))
}

// share is the part of the machine's cores that cpu took during the round.
func (r loadResult) share(cpu time.Duration) float64 {
	return float64(cpu) / float64(r.elapsed*time.Duration(runtime.NumCPU()))
}

func (r loadResult) generatorCPUPerRequest() float64 {
	return float64(r.generatorCPU.Microseconds()) / float64(max(len(r.latencies), 1))
}

func (r loadResult) cpuPerRequest() float64 {
	return float64(r.cpu.Microseconds()) / float64(max(len(r.latencies), 1))
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

// preparedPush is one request, serialised before the clock starts.
type preparedPush []byte

// prepare signs and encrypts n distinct text pushes and writes each out as
// the bytes of an HTTP/1.1 request, so that sending costs the generator
// almost nothing: the generator shares the machine with the server it
// measures, and every microsecond it spends is taken from the server.
func prepare(signer wechattest.CallbackSigner, account string, n int, firstMsgID int64) ([]preparedPush, error) {
	out := make([]preparedPush, n)
	now := time.Now()
	for i := range out {
		openid := benchOpenID(i)
		push := wechattest.Text(account, openid, firstMsgID+int64(i), "路灯坏了，请尽快修复。编号"+strconv.Itoa(i), now)
		req, err := signer.PushRequest(push.XML())
		if err != nil {
			return nil, err
		}
		if out[i], err = serialise(req); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// serialise writes a request out as HTTP/1.1 bytes.
func serialise(req *http.Request) (preparedPush, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n",
		req.URL.RequestURI(), req.URL.Host, len(body))
	b.Write(body)
	return b.Bytes(), nil
}

// drive sends every push over conns keep-alive connections and records each
// latency; anything but a 200 with a body counts as an error.
func drive(ctx context.Context, addr string, pushes []preparedPush, conns int) loadResult {
	var next atomic.Int64
	var mu sync.Mutex
	res := loadResult{latencies: make([]time.Duration, 0, len(pushes))}
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			var local []time.Duration
			var errs int
			var c *benchConn
			for {
				i := int(next.Add(1) - 1)
				if i >= len(pushes) || ctx.Err() != nil {
					break
				}
				if c == nil {
					var err error
					if c, err = dialBench(addr); err != nil {
						errs++
						continue
					}
				}
				t0 := time.Now()
				if err := c.roundTrip(pushes[i]); err != nil {
					errs++
					c.close()
					c = nil
					continue
				}
				local = append(local, time.Since(t0))
			}
			if c != nil {
				c.close()
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

// benchConn is a keep-alive HTTP/1.1 connection that understands just
// enough of a response: the status line, Content-Length and the body.
type benchConn struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialBench(addr string) (*benchConn, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &benchConn{conn: conn, r: bufio.NewReaderSize(conn, 16<<10)}, nil
}

func (c *benchConn) close() { c.conn.Close() }

func (c *benchConn) roundTrip(req []byte) error {
	_ = c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.conn.Write(req); err != nil {
		return err
	}
	status, err := c.r.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status %q", bytes.TrimSpace(status))
	}
	length := -1
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		if name, value, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
			length, _ = strconv.Atoi(string(bytes.TrimSpace(value)))
		}
	}
	if length <= 0 {
		return errors.New("response without a body length")
	}
	_, err = c.r.Discard(length)
	return err
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
