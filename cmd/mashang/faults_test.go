package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"mashang"
	"mashang/media/mediatest"
	"mashang/store"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// The faults a city's service meets, played against the real `mashang
// serve` binary in processes of its own, with the fake WeChat in this one.

const (
	faultAppID   = "wxfault000000001"
	faultToken   = "faulttoken"
	faultAccount = "gh_fault00000001"
	faultDeputy  = "oFaultDeputy0000000000000000"
)

var (
	buildOnce  sync.Once
	builtServe string
	buildErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	mediatest.StopShared()
	if galeraCluster != nil {
		galeraCluster.Stop()
	}
	if builtServe != "" {
		os.RemoveAll(filepath.Dir(builtServe))
	}
	os.Exit(code)
}

// serveBinary builds cmd/mashang once per test run.
func serveBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mashang-faults-")
		if err != nil {
			buildErr = err
			return
		}
		builtServe = filepath.Join(dir, "mashang")
		out, err := exec.Command("go", "build", "-o", builtServe, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtServe
}

// rig is one database with the demo roster, a bound deputy, the fake
// WeChat, and the serve processes started on them.
type rig struct {
	t               *testing.T
	bin, dir        string
	driver, dsn     string
	aesKey, fakeURL string
	fake            *wechattest.Fake
	bindScene       string
}

func newRig(t *testing.T, driver, dsn string) *rig {
	t.Helper()
	r := &rig{t: t, bin: serveBinary(t), dir: t.TempDir(), driver: driver, dsn: dsn, aesKey: wechattest.NewAESKey()}
	ctx := context.Background()
	db, err := store.Open(ctx, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	bind, err := (&mashang.Binding{Store: db}).NewCode(ctx, "demo-d02")
	if err != nil {
		t.Fatal(err)
	}
	r.bindScene = bind.Scene.String()
	fake, srv, url, err := wechattest.Start(wechattest.Config{Apps: []wechattest.App{{AppID: faultAppID, Secret: "fault", Templates: []string{"TPL-FAULT"}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r.fake, r.fakeURL = fake, url
	fake.Follow(faultDeputy)
	return r
}

// proc is one running `mashang serve`.
type proc struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

// serve starts an instance; a short outbox lease lets a survivor take over
// a dead instance's notifications within the test's patience.
func (r *rig) serve(name string, env ...string) *proc {
	r.t.Helper()
	addr := loopbackAddr(r.t)
	logFile, err := os.Create(filepath.Join(r.dir, name+".log"))
	if err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.Command(r.bin, "serve")
	cmd.Env = append(os.Environ(),
		"MASHANG_HTTP_ADDR="+addr, "MASHANG_PUBLIC_URL=http://"+addr, "MASHANG_DB_DRIVER="+r.driver, "MASHANG_DB_DSN="+r.dsn,
		"MASHANG_WECHAT_APPID="+faultAppID, "MASHANG_WECHAT_SECRET=fault", "MASHANG_WECHAT_TOKEN="+faultToken,
		"MASHANG_WECHAT_AES_KEY="+r.aesKey, "MASHANG_WECHAT_API_BASE="+r.fakeURL, "MASHANG_LOG_LEVEL=info",
		"MASHANG_TEMPLATE_NEW_CASE=TPL-FAULT", "MASHANG_MEDIA_DIR="+filepath.Join(r.dir, "media"),
		"MASHANG_WECHAT_TIMEOUT=1s", "MASHANG_OUTBOX_LEASE=3s",
		// Every case's notice is counted here, so none is folded into a
		// summary (the limit has tests of its own).
		"MASHANG_DEPUTY_NOTICES_PER_MINUTE=100000")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	p := &proc{cmd: cmd, addr: addr, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logFile.Close(); close(p.done) }()
	// After the kill below (cleanups run last first): a failed test shows
	// what troubled each instance last, since its folder goes with it.
	r.t.Cleanup(func() {
		if r.t.Failed() {
			r.t.Logf("%s's last warnings and errors:\n%s", name, logTroubles(logFile.Name(), 40))
		}
	})
	r.t.Cleanup(func() { p.kill() })
	if err := waitAnswering(addr); err != nil {
		log, _ := os.ReadFile(logFile.Name())
		r.t.Fatalf("%s did not start: %v\n%s", name, err, log)
	}
	return p
}

// logTroubles is the last lines of a log file at level WARN or ERROR
// (the notifications sent fill the rest).
func logTroubles(path string, lines int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	var troubles []string
	for line := range strings.Lines(string(data)) {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			troubles = append(troubles, strings.TrimRight(line, "\n"))
		}
	}
	return strings.Join(troubles[max(0, len(troubles)-lines):], "\n")
}

// loopbackAddr is a port on 127.0.0.1 that nobody listens on just now.
func loopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitAnswering waits, 30 s at most, until the instance at addr answers
// /healthz.
func waitAnswering(addr string) error {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return errors.New("not answering after 30 s")
}

// kill is kill -9: no shutdown, nothing flushed, leases left held.
func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (r *rig) signer(p *proc) wechattest.CallbackSigner {
	return wechattest.CallbackSigner{URL: "http://" + p.addr + "/wechat/callback", Token: faultToken,
		AESKey: r.aesKey, AppID: faultAppID, Mode: wechattest.ModeSafe}
}

// deliver sends pushes from conns connections, as WeChat does, spreading
// them over the instances in turn, and reports which were acknowledged
// (200 within WeChat's 5 seconds). after, when set, runs once acked pushes
// reach its count.
func (r *rig) deliver(instances []*proc, pushes []wechattest.Push, which []int, conns int, after int, then func()) (acked []bool, unavailable int) {
	r.t.Helper()
	acked = make([]bool, len(pushes))
	client := &http.Client{Timeout: 5 * time.Second}
	var next, ackCount, fivexx atomic.Int64
	var once sync.Once
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= len(which) {
					return
				}
				i := which[k]
				req, err := r.signer(instances[k%len(instances)]).PushRequest(pushes[i].XML())
				if err != nil {
					r.t.Error(err)
					return
				}
				resp, err := client.Do(req)
				if err != nil {
					continue // the connection died with the instance: WeChat will retry
				}
				resp.Body.Close()
				switch {
				case resp.StatusCode == http.StatusOK:
					acked[i] = true
					if ackCount.Add(1) == int64(after) && then != nil {
						once.Do(then)
					}
				case resp.StatusCode >= 500:
					fivexx.Add(1)
				default:
					r.t.Errorf("push %d answered %d", i, resp.StatusCode)
				}
			}
		})
	}
	wg.Wait()
	return acked, int(fivexx.Load())
}

// retryUntilStored is WeChat retrying what was not acknowledged, until all is.
func (r *rig) retryUntilStored(instances []*proc, pushes []wechattest.Push, acked []bool) {
	r.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var todo []int
		for i, ok := range acked {
			if !ok {
				todo = append(todo, i)
			}
		}
		if len(todo) == 0 {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d pushes still not acknowledged after a minute of retries", len(todo))
		}
		again, _ := r.deliver(instances, pushes, todo, 4, 0, nil)
		for _, i := range todo {
			acked[i] = again[i]
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// citizenLoad is citizens who scan a station's code, then write several
// texts each (one case per citizen: the texts fall within the case gap).
func citizenLoad(citizens, texts int) (scans, messages []wechattest.Push) {
	now := time.Now()
	for c := range citizens {
		openid := fmt.Sprintf("oFaultCitizen%015d", c)
		scans = append(scans, wechattest.SubscribeByScan(faultAccount, openid, "st:demo-bdg", now))
		for k := range texts {
			messages = append(messages, wechattest.Text(faultAccount, openid, int64(1_000_000+c*100+k),
				fmt.Sprintf("路灯坏了，第%d次反映。", k+1), now))
		}
	}
	return scans, messages
}

// prepare binds the deputy and has every citizen scan the station's code,
// through instances, all acknowledged; it returns every push (binding,
// scans, texts), the indices of the texts, still to be sent, and how many
// pushes came before them.
func (r *rig) prepare(instances []*proc, citizens, texts int) (all []wechattest.Push, load []int, setup int) {
	r.t.Helper()
	scans, messages := citizenLoad(citizens, texts)
	bind := wechattest.SubscribeByScan(faultAccount, faultDeputy, r.bindScene, time.Now())
	all = append(append([]wechattest.Push{bind}, scans...), messages...)
	if acked, _ := r.deliver(instances, all, []int{0}, 1, 0, nil); !acked[0] {
		r.t.Fatal("the deputy's binding was not acknowledged")
	}
	scanning := make([]int, len(scans))
	for i := range scanning {
		scanning[i] = 1 + i
	}
	if acked, _ := r.deliver(instances, all, scanning, 8, 0, nil); count(acked) != len(scans) {
		r.t.Fatal("the scans were not all acknowledged")
	}
	setup = 1 + len(scans)
	for i := range messages {
		load = append(load, setup+i)
	}
	return all, load, setup
}

// check opens the store and proves the loop's promises: every push
// acknowledged is stored once, one case per citizen, and the deputy got
// one notification per case, each recorded as sent.
func (r *rig) check(pushes int, citizens int) {
	r.t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, r.driver, r.dsn)
	if err != nil {
		r.t.Fatal(err)
	}
	defer db.Close()
	// Wait for the outbox: a dead instance's leases run out after 3 s.
	r.waitOutbox(db, 30*time.Second)
	if n, err := db.CountInbound(ctx); err != nil || n != pushes {
		r.t.Fatalf("stored %d pushes (%v), want %d", n, err, pushes)
	}
	if n, err := db.CountCases(ctx); err != nil || n != citizens {
		r.t.Fatalf("%d cases (%v), want one per citizen: %d", n, err, citizens)
	}
	delivered := r.fake.Delivered(faultDeputy)
	seen := map[string]bool{}
	for _, d := range delivered {
		key := fmt.Sprint(d.Data)
		if seen[key] {
			r.t.Fatalf("the deputy got one notification twice: %v", d.Data)
		}
		seen[key] = true
	}
	if len(delivered) != citizens {
		r.t.Fatalf("the deputy got %d notifications, want one per case: %d", len(delivered), citizens)
	}
}

// waitOutbox waits until no notification is pending, none failed.
func (r *rig) waitOutbox(db *store.DB, patience time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(patience)
	for {
		pending, failed, _, err := db.OutboxStats(context.Background())
		if err != nil {
			r.t.Fatal(err)
		}
		if failed > 0 {
			r.t.Fatalf("%d notifications failed", failed)
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d notifications still pending after %s", pending, patience)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill -9 in the middle of a callback load, then a restart: every
// acknowledged message is stored, no case exists twice, and every
// notification owed is sent once.
func TestKilledMidLoadLosesNothingAcknowledged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		r := newRig(t, driver, storetest.DSN(t, driver))
		first := r.serve("first")
		const citizens, texts = 150, 4
		all, load, setup := r.prepare([]*proc{first}, citizens, texts)
		messages := load
		acked, _ := r.deliver([]*proc{first}, all, load, 16, len(messages)/3, first.kill)
		for i := range setup {
			acked[i] = true
		}
		ackedBeforeKill := count(acked) - setup
		if ackedBeforeKill < len(messages)/3 || ackedBeforeKill == len(messages) {
			t.Fatalf("the kill did not fall mid-load: %d of %d acknowledged", ackedBeforeKill, len(messages))
		}
		t.Logf("%d of %d texts acknowledged before kill -9", ackedBeforeKill, len(messages))
		// Every acknowledged push is in the store, before any retry.
		ctx := context.Background()
		db, err := store.Open(ctx, driver, r.dsn)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := db.InboundMessages(ctx)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		for _, m := range stored {
			keys[m.DedupKey] = true
		}
		for i, ok := range acked {
			if key := pushKey(all[i]); ok && !keys[key] {
				t.Fatalf("push %s was acknowledged before the kill but is not stored", key)
			}
		}

		second := r.serve("second")
		r.retryUntilStored([]*proc{second}, all, acked)
		r.check(len(all), citizens)
	})
}

// Two instances on one MySQL, one killed under load: the other takes
// WeChat's retries and finishes the outbox, the dead one's claimed
// notifications included once their lease runs out.
func TestSurvivorFinishesTheOutbox(t *testing.T) {
	if os.Getenv("MASHANG_TEST_MYSQL_DSN") == "" {
		if os.Getenv("MASHANG_TEST_REQUIRE_MYSQL") != "" {
			t.Fatal("MASHANG_TEST_MYSQL_DSN is required")
		}
		t.Skip("needs MySQL: set MASHANG_TEST_MYSQL_DSN")
	}
	r := newRig(t, store.DriverMySQL, storetest.DSN(t, store.DriverMySQL))
	a, b := r.serve("a"), r.serve("b")
	// The deputy's notifications are slow to leave: the victim dies holding some.
	r.fake.StallNext("/cgi-bin/message/template/send", 400*time.Millisecond, 40)
	const citizens, texts = 120, 3
	all, load, setup := r.prepare([]*proc{a, b}, citizens, texts)
	messages := load
	got, _ := r.deliver([]*proc{a, b}, all, load, 16, len(load)/2, b.kill)
	for i := range setup {
		got[i] = true
	}
	if n := count(got); n == len(all) {
		t.Fatal("the kill did not fall mid-load")
	}
	t.Logf("%d of %d texts acknowledged around the kill", count(got)-setup, len(messages))
	r.retryUntilStored([]*proc{a}, all, got)
	r.check(len(all), citizens)
}

// pushKey is the key a text is stored under (the tests check texts only).
func pushKey(p wechattest.Push) string {
	return mashang.Inbound{OpenID: p.FromUserName, MsgType: p.MsgType, MsgID: p.MsgID,
		CreateTime: p.CreateTime.Truncate(time.Second), Event: p.Event}.DedupKey()
}

func count(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// dbProxy stands between serve and MySQL, so that the database can be
// "stopped" for one instance without stopping the server other tests use:
// stopped, it cuts every connection and refuses new ones.
type dbProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func startDBProxy(t *testing.T, target string) *dbProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dbProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.stop() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
	return p
}

func (p *dbProxy) pipe(c net.Conn) {
	p.mu.Lock()
	down := p.down
	p.mu.Unlock()
	if down {
		c.Close()
		return
	}
	upstream, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[upstream] = true, true
	p.mu.Unlock()
	go func() { _, _ = io.Copy(upstream, c); upstream.Close() }()
	_, _ = io.Copy(c, upstream)
	c.Close()
}

func (p *dbProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *dbProxy) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// The database stops in the middle of a load and starts again: meanwhile
// callbacks are answered 5xx, so WeChat retries, and readiness fails; once
// it is back the same process serves again — no restart — and nothing
// acknowledged is lost, no case doubled, no notification sent twice.
func TestDatabaseStoppedMidLoad(t *testing.T) {
	if os.Getenv("MASHANG_TEST_MYSQL_DSN") == "" {
		if os.Getenv("MASHANG_TEST_REQUIRE_MYSQL") != "" {
			t.Fatal("MASHANG_TEST_MYSQL_DSN is required")
		}
		t.Skip("needs MySQL: set MASHANG_TEST_MYSQL_DSN")
	}
	dsn := storetest.DSN(t, store.DriverMySQL)
	r := newRig(t, store.DriverMySQL, dsn)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startDBProxy(t, cfg.Addr)
	cfg.Addr = proxy.ln.Addr().String()
	cfg.Timeout = time.Second
	p := r.serve("only", "MASHANG_DB_DSN="+cfg.FormatDSN())

	const citizens, texts = 120, 4
	all, load, setup := r.prepare([]*proc{p}, citizens, texts)
	messages := load
	readyz := func() int {
		resp, err := http.Get("http://" + p.addr + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var notReady atomic.Bool
	outage := make(chan struct{})
	acked, unavailable := r.deliver([]*proc{p}, all, load, 8, len(load)/3, func() {
		proxy.stop()
		go func() {
			defer close(outage)
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) && !notReady.Load() {
				notReady.Store(readyz() == http.StatusServiceUnavailable)
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(time.Second)
			proxy.start()
		}()
	})
	<-outage
	for i := range setup {
		acked[i] = true
	}
	t.Logf("%d of %d texts acknowledged through the outage, %d answered 5xx", count(acked)-setup, len(messages), unavailable)
	if unavailable == 0 {
		t.Fatal("no callback was answered 5xx while the database was down")
	}
	if !notReady.Load() {
		t.Fatal("readiness never failed while the database was down")
	}
	r.retryUntilStored([]*proc{p}, all, acked)
	if got := readyz(); got != http.StatusOK {
		t.Fatalf("readiness after the database came back: %d", got)
	}
	r.check(len(all), citizens)
	select {
	case <-p.done:
		t.Fatal("the process died")
	default:
	}
}
