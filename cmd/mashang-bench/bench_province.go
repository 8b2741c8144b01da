package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"golang.org/x/crypto/bcrypt"

	"mashang"
	"mashang/roster"
	"mashang/store"
	"mashang/wechat/wechattest"
)

// A province, as issue 20 describes it: 16 cities, 10,000 stations, 80,000
// deputies, and a day of 300,000 pushes with morning and evening peaks.
const (
	provinceCities    = 16
	provinceStations  = 10_000
	provinceDeputies  = 80_000
	provincePushes    = 300_000
	provincePhotoRate = 0.05
	// A citizen's visit is one scan of a station's or deputy's code and
	// then 1 to 4 messages (2.5 on average): 3.5 pushes a visit.
	pushesPerVisit = 3.5
)

// dayShape is the share of the day's pushes in each hour (CST): little at
// night, a morning peak 09–11 when people reach the office and the
// stations open, a lull at lunch, a second, evening peak 19–21 when people
// are home and write from their phones. The peak hour carries 9%.
var dayShape = [24]float64{
	0.4, 0.2, 0.1, 0.1, 0.1, 0.3, 1.0, 2.5, 5.0, 9.0, 8.5, 6.5,
	4.0, 4.0, 5.5, 6.0, 5.5, 5.0, 5.0, 7.5, 8.5, 7.0, 4.0, 1.7,
}

// benchProvince replays a province's day against two `mashang serve`
// instances on one MySQL database, then raises the peak's rate step by
// step until the service misses its latency objective: how many such
// provinces this machine carries.
func benchProvince(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench province", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mysqlDSN := fs.String("mysql", "", "a MySQL/MariaDB DSN whose user may create a database (required), e.g. root@tcp(127.0.0.1:3306)/test")
	selfBin := fs.String("self", "bin/mashang", "the mashang binary to run twice")
	compress := fs.Float64("compress", 20, "play the 24 h day this many times faster (20: 72 minutes)")
	scale := fs.Float64("scale", 1, "share of the day's pushes and staff work to replay (the roster is always the whole province)")
	hours := fs.String("hours", "0-24", "replay only these hours of the day (CST), e.g. 7-11 for the morning's sign-ins and peak; the rest of the day is skipped, not played faster")
	steps := fs.String("headroom", "1,2,5,10,20,40,80,160", "then the peak hour at these multiples of one province's peak rate, each for --step; empty: skip")
	stepLen := fs.Duration("step", 60*time.Second, "how long each headroom step lasts")
	pushSLO := fs.Duration("push-slo", time.Second, "a step passes while the pushes' p99 stays under this (WeChat gives up at 5 s)")
	pageSLO := fs.Duration("page-slo", 2*time.Second, "and the console pages' p99 under this")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *mysqlDSN == "" {
		return errors.New("--mysql is required: the province runs on MySQL, e.g. --mysql 'root@tcp(127.0.0.1:3306)/test'")
	}
	if *compress <= 0 || *scale <= 0 || *scale > 1 {
		return errors.New("--compress must be above 0 and --scale between 0 and 1")
	}
	multiples, err := parseMultiples(*steps)
	if err != nil {
		return err
	}
	from, until, err := parseHours(*hours)
	if err != nil {
		return err
	}
	dsn, drop, err := benchDatabase(*mysqlDSN)
	if err != nil {
		return err
	}
	defer drop()
	dir, err := os.MkdirTemp("", "mashang-bench-province-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	p := &province{compress: *compress, scale: *scale, from: from, until: until, rng: rand.New(rand.NewPCG(20, 5))}
	began := time.Now()
	if err := p.seed(ctx, dsn, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "bench province: roster of %d stations and %d deputies imported in %s\n",
		provinceStations, provinceDeputies, time.Since(began).Round(time.Second))
	if err := p.start(ctx, dsn, *selfBin, dir, stderr); err != nil {
		return err
	}
	defer p.stop()
	if p.mariadb = listenerPID(*mysqlDSN); p.mariadb == 0 {
		fmt.Fprintln(stderr, "bench province: cannot find the MySQL server's process; its CPU share is left out")
	}

	day := p.day(ctx, stderr)
	var results []stepResult
	for _, m := range multiples {
		if ctx.Err() != nil {
			break
		}
		r := p.step(ctx, m, *stepLen, stderr)
		r.pass = r.pushes.errors == 0 && r.pages.errors == 0 && r.pushes.percentile(99) < *pushSLO &&
			r.pages.percentile(99) < *pageSLO && r.achieved >= 0.9
		results = append(results, r)
		if !r.pass {
			break
		}
	}
	p.stop()
	check, err := p.verify(ctx, dsn)
	if err != nil {
		return err
	}
	p.report(stdout, day, results, check, *pushSLO, *pageSLO)
	if check.missing > 0 || check.duplicates > 0 || p.pushErrors.Load() > 0 {
		return fmt.Errorf("%d acknowledged pushes not stored, %d stored twice, %d pushes not acknowledged",
			check.missing, check.duplicates, p.pushErrors.Load())
	}
	return nil
}

func parseMultiples(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		m, err := strconv.ParseFloat(f, 64)
		if err != nil || m <= 0 {
			return nil, fmt.Errorf("--headroom %q: give positive multiples separated by commas, e.g. 5,10,20", s)
		}
		out = append(out, m)
	}
	return out, nil
}

const (
	provAppID   = "wxprovince0000001"
	provToken   = "provincetoken"
	provAccount = "gh_province00001"
	provSecret  = "bench"
	// staffPassword signs every generated account in; its hash has
	// bcrypt's default cost, so each sign-in costs what a real one does.
	provPassword = "province bench password"
)

type province struct {
	compress, scale float64
	from, until     float64 // the hours of the day replayed
	rng             *rand.Rand
	rngMu           sync.Mutex

	stations  []string // codes; index = station number
	deputies  []string // codes
	deputyOf  []int    // deputy → home station
	cityOf    func(station int) int
	cityNames []string

	fake      *wechattest.Fake
	fakeClose func()
	photo     []byte
	aesKey    string
	instances []*exec.Cmd
	bases     []string
	mariadb   int

	client   *http.Client
	visitSeq atomic.Int64
	nextMsg  atomic.Int64

	// What the generator sent and WeChat would have seen acknowledged.
	mu         sync.Mutex
	ackedMsgs  []int64
	ackedScans int
	pushErrors atomic.Int64

	desks sync.Map // station → *desk
}

// seed imports the province's roster through the roster import the console
// runs (one file per city), and one secretary per station and one staff
// account per city. The accounts share one bcrypt hash of default cost:
// 10,000 hashes would take minutes and measure nothing.
func (p *province) seed(ctx context.Context, dsn string, stderr io.Writer) error {
	db, err := store.Open(ctx, store.DriverMySQL, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	perCity := provinceStations / provinceCities
	p.cityOf = func(s int) int { return s / perCity }
	for c := range provinceCities {
		p.cityNames = append(p.cityNames, fmt.Sprintf("第%02d市", c+1))
	}
	for s := range provinceStations {
		p.stations = append(p.stations, fmt.Sprintf("S%05d", s))
	}
	for d := range provinceDeputies {
		p.deputies = append(p.deputies, fmt.Sprintf("D%05d", d))
		p.deputyOf = append(p.deputyOf, d%provinceStations)
	}
	for c, city := range p.cityNames {
		fmt.Fprintf(stderr, "bench province: importing %s (%d/%d)…\n", city, c+1, provinceCities)
		var sts []roster.StationRecord
		for s := c * perCity; s < (c+1)*perCity; s++ {
			district := fmt.Sprintf("第%02d区", (s-c*perCity)/63+1)
			sts = append(sts, roster.StationRecord{Row: len(sts) + 2, Code: p.stations[s], Name: fmt.Sprintf("%s%s第%d联络站", city, district, s),
				Kind: mashang.StationLiaison, Jurisdiction: []string{city, district, fmt.Sprintf("第%d街道", s)}, Open: true})
		}
		if _, err := roster.ImportStations(ctx, db, sts); err != nil {
			return fmt.Errorf("import %s's stations: %w", city, err)
		}
		var deps []roster.DeputyRecord
		for d := range p.deputies {
			if p.cityOf(p.deputyOf[d]) != c {
				continue
			}
			deps = append(deps, roster.DeputyRecord{Row: len(deps) + 2, Code: p.deputies[d], Name: fmt.Sprintf("代表%05d", d),
				Level: mashang.LevelCounty, Stations: []string{p.stations[p.deputyOf[d]]},
				Groups: []string{fmt.Sprintf("第%d小组", d/provinceStations%4+1)}, InOffice: true})
		}
		if _, err := roster.ImportDeputies(ctx, db, deps); err != nil {
			return fmt.Errorf("import %s's deputies: %w", city, err)
		}
		if _, err := roster.ImportDepartments(ctx, db, []roster.DepartmentRecord{{Row: 2, Name: city + "城市管理局", Jurisdiction: []string{city}}}); err != nil {
			return fmt.Errorf("import %s's department: %w", city, err)
		}
	}
	fmt.Fprintln(stderr, "bench province: adding the accounts…")
	hash, err := bcrypt.GenerateFromPassword([]byte(provPassword), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	for s, code := range p.stations {
		st, err := db.StationByCode(ctx, code)
		if err != nil {
			return err
		}
		u := mashang.StaffUser{Username: fmt.Sprintf("sec%05d", s), Name: "秘书" + code, Role: mashang.RoleSecretary, StationID: st.ID, PasswordHash: string(hash)}
		if err := db.AddStaffUser(ctx, &u); err != nil {
			return err
		}
	}
	return db.Settle(ctx, time.Minute)
}

func (p *province) start(ctx context.Context, dsn, self, dir string, stderr io.Writer) error {
	fake, srv, fakeURL, err := wechattest.Start(wechattest.Config{Apps: []wechattest.App{{AppID: provAppID, Secret: provSecret, Templates: []string{"TPL-PROVINCE"}}}})
	if err != nil {
		return err
	}
	p.fake, p.fakeClose = fake, func() { srv.Close() }
	p.photo = benchPhoto()
	p.aesKey = wechattest.NewAESKey()
	p.nextMsg.Store(time.Now().UnixMicro())
	sessionSecret := wechattest.NewAESKey() // one for both instances, as in production
	for i := range 2 {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, self, "serve")
		cmd.Env = append(os.Environ(),
			"MASHANG_HTTP_ADDR="+addr, "MASHANG_DB_DRIVER="+store.DriverMySQL, "MASHANG_DB_DSN="+dsn,
			"MASHANG_WECHAT_APPID="+provAppID, "MASHANG_WECHAT_SECRET="+provSecret, "MASHANG_WECHAT_TOKEN="+provToken,
			"MASHANG_WECHAT_AES_KEY="+p.aesKey, "MASHANG_WECHAT_API_BASE="+fakeURL, "MASHANG_LOG_LEVEL=warn",
			"MASHANG_TEMPLATE_NEW_CASE=TPL-PROVINCE", "MASHANG_SESSION_SECRET="+sessionSecret,
			// The two instances share the media folder, as they would a
			// network volume behind a load balancer.
			"MASHANG_MEDIA_DIR="+filepath.Join(dir, "media"), "MASHANG_PUBLIC_URL=http://"+addr,
			// The instances sit behind a load balancer that says where
			// each request came from: each secretary signs in from their
			// own office's address, so the per-address sign-in limit holds.
			"MASHANG_TRUSTED_PROXIES=127.0.0.1/32")
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start instance %d: %w", i+1, err)
		}
		p.instances = append(p.instances, cmd)
		p.bases = append(p.bases, "http://"+addr)
		if err := waitListening(ctx, addr); err != nil {
			return fmt.Errorf("instance %d did not start: %w", i+1, err)
		}
	}
	p.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	return nil
}

func (p *province) stop() {
	for _, c := range p.instances {
		_ = c.Process.Signal(os.Interrupt)
		_ = c.Wait()
	}
	p.instances = nil
	if p.fakeClose != nil {
		p.fakeClose()
		p.fakeClose = nil
	}
}

// benchPhoto is a 320×240 JPEG of noise, 37 KB: a phone's photo as
// WeChat keeps it is larger, but the fake holds every one of the day's
// 15,000 in memory.
func benchPhoto() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	img.Set(0, 0, color.White)
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 60})
	return b.Bytes()
}

func (p *province) float() float64 {
	p.rngMu.Lock()
	defer p.rngMu.Unlock()
	return p.rng.Float64()
}

func (p *province) intn(n int) int {
	p.rngMu.Lock()
	defer p.rngMu.Unlock()
	return p.rng.IntN(n)
}

// latencies collects one kind of request's timings in one phase.
type latencies struct {
	mu     sync.Mutex
	d      []time.Duration
	errors int
}

func (l *latencies) add(d time.Duration, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.errors++
		return
	}
	l.d = append(l.d, d)
}

func (l *latencies) percentile(p int) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return loadResult{latencies: l.d}.percentile(p)
}

func (l *latencies) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.d)
}

// phase is one timed stretch: the day, or one headroom step.
type phase struct {
	pushes, pages latencies
	elapsed       time.Duration
	cpu           map[string]time.Duration
	cases, worked atomic.Int64
	// retried counts the tries not answered 200 (WeChat sends those
	// again); lost, the pushes whose three tries all failed.
	retried, lost atomic.Int64
}

// visit is a citizen at a code: a scan, then messages, some of them photos.
func (p *province) visit(ctx context.Context, ph *phase, think func() time.Duration, onCase func(station int)) {
	n := p.visitSeq.Add(1)
	openid := fmt.Sprintf("oPROV%023d", n)
	inst := int(n) % len(p.bases)
	var scene string
	var station int
	if p.float() < 0.15 { // one in seven scans a deputy's own code (一人一码)
		d := p.intn(len(p.deputies))
		scene, station = "dp:"+p.deputies[d], p.deputyOf[d]
	} else {
		station = p.intn(len(p.stations))
		scene = "st:" + p.stations[station]
	}
	p.fake.Follow(openid) // WeChat knows its followers: serve asks it for their unionid
	if !p.push(ctx, ph, inst, wechattest.SubscribeByScan(provAccount, openid, scene, time.Now()), 0) {
		return
	}
	messages := 1 + p.intn(4)
	for i := range messages {
		if !sleepCtx(ctx, think()) {
			return
		}
		id := p.nextMsg.Add(1)
		// 5% of all pushes are photos: 0.05 × 3.5 / 2.5 of the messages.
		var push wechattest.Push
		if p.float() < provincePhotoRate*pushesPerVisit/(pushesPerVisit-1) {
			media := "prov-media-" + strconv.FormatInt(id, 10)
			p.fake.AddMedia(media, "image/jpeg", p.photo)
			push = wechattest.Image(provAccount, openid, id, media, time.Now())
		} else {
			push = wechattest.Text(provAccount, openid, id, fmt.Sprintf("小区门口的路灯坏了一个多月，晚上出行很不方便，请帮忙协调修复。（%d）", id), time.Now())
		}
		if !p.push(ctx, ph, inst, push, id) {
			return
		}
		p.fake.UserMessaged(openid) // opens the 48 hours in which staff may answer them
		if i == 0 {
			ph.cases.Add(1)
			onCase(station)
		}
	}
}

// push sends one signed push as WeChat does: a push not answered 200
// within 5 s is sent again, three tries in all. Each try is timed; a push
// none of whose tries was acknowledged is lost to the citizen.
func (p *province) push(ctx context.Context, ph *phase, inst int, push wechattest.Push, msgID int64) bool {
	body := push.XML()
	for try := range 3 {
		signer := wechattest.CallbackSigner{URL: p.bases[(inst+try)%len(p.bases)] + "/wechat/callback", Token: provToken,
			AESKey: p.aesKey, AppID: provAppID, Mode: wechattest.ModeSafe}
		req, err := signer.PushRequest(body)
		if err != nil {
			break
		}
		tryCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		t0 := time.Now()
		status, _, err := fetch(tryCtx, p.client, req)
		cancel()
		if ctx.Err() != nil {
			return false
		}
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("HTTP %d", status)
		}
		ph.pushes.add(time.Since(t0), err)
		if err == nil {
			p.mu.Lock()
			if msgID == 0 {
				p.ackedScans++
			} else {
				p.ackedMsgs = append(p.ackedMsgs, msgID)
			}
			p.mu.Unlock()
			return true
		}
		ph.retried.Add(1)
	}
	p.pushErrors.Add(1)
	ph.lost.Add(1)
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// desk is one station's secretary at the console: a browser with a session.
type desk struct {
	mu      sync.Mutex
	client  *http.Client
	csrf    string
	base    string
	from    string // the office's address, as the load balancer says it
	pending int    // cases arrived since the last sitting
	worked  map[string]bool
}

var (
	caseLink  = regexp.MustCompile(`href="/console/cases/([A-Za-z0-9-]+)"`)
	csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

func (p *province) deskOf(station int) *desk {
	d, _ := p.desks.LoadOrStore(station, &desk{})
	return d.(*desk)
}

// page fetches one console page (a POST's redirect is followed, and timed,
// as the next page) and keeps the form token it carries.
func (d *desk) page(ctx context.Context, ph *phase, method, path string, form url.Values) (string, error) {
	var body io.Reader
	if form != nil {
		form.Set("csrf", d.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, d.base+path, body)
	if err != nil {
		return "", err
	}
	req.Header.Set("X-Forwarded-For", d.from)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", d.base)
	}
	t0 := time.Now()
	resp, err := d.client.Do(req)
	var page []byte
	if err == nil {
		page, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusSeeOther {
			err = fmt.Errorf("%s %s: HTTP %d", method, path, resp.StatusCode)
		}
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	ph.pages.add(time.Since(t0), err)
	if err != nil {
		return "", err
	}
	if m := csrfInput.FindSubmatch(page); m != nil {
		d.csrf = string(m[1])
	}
	if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(loc, "/console/") {
		if strings.HasPrefix(loc, "/console/login") {
			return "", fmt.Errorf("%s %s: sent to sign in", method, path)
		}
		return d.page(ctx, ph, http.MethodGet, loc, nil)
	}
	return string(page), nil
}

// sitting is a secretary at the console: sign in if not yet today, open
// the inbox of untaken cases, and work each case that arrived since the
// last sitting: open it, read it, accept it, then answer the citizen (6 in
// 10), hand it over to the city's department (3 in 10) or leave it to the
// deputies (1 in 10). Reading and typing take simulated minutes.
func (p *province) sitting(ctx context.Context, ph *phase, station int, think func() time.Duration) {
	d := p.deskOf(station)
	d.mu.Lock()
	defer d.mu.Unlock()
	want := d.pending
	d.pending = 0
	if want == 0 {
		return
	}
	if d.client == nil {
		jar, _ := cookiejar.New(nil)
		d.client = &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: p.client.Transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		d.base = p.bases[station%len(p.bases)]
		d.from = fmt.Sprintf("10.%d.%d.%d", station>>16&255, station>>8&255, station&255)
		d.worked = map[string]bool{}
		if !d.signIn(ctx, ph, station, think) {
			// The cases wait for the next sitting.
			d.client = nil
			d.pending += want
			return
		}
	}
	inbox, err := d.page(ctx, ph, http.MethodGet, "/console/?status=open", nil)
	if err != nil {
		return
	}
	city := p.cityNames[p.cityOf(station)]
	for _, m := range caseLink.FindAllStringSubmatch(inbox, -1) {
		number := m[1]
		if want == 0 || number == "new" || d.worked[number] {
			continue
		}
		d.worked[number] = true
		want--
		if _, err := d.page(ctx, ph, http.MethodGet, "/console/cases/"+number, nil); err != nil || !sleepCtx(ctx, think()) {
			return
		}
		if _, err := d.page(ctx, ph, http.MethodPost, "/console/cases/"+number+"/do/accept", url.Values{}); err != nil || !sleepCtx(ctx, think()) {
			return
		}
		switch r := p.float(); {
		case r < 0.6:
			_, err = d.page(ctx, ph, http.MethodPost, "/console/cases/"+number+"/reply", url.Values{"text": {"您反映的问题已收到，已联系社区和供电部门，三天内修复，请留意。"}})
		case r < 0.9:
			_, err = d.page(ctx, ph, http.MethodPost, "/console/cases/"+number+"/handover", url.Values{"department": {city + "城市管理局"}, "days": {"10"}})
		}
		if err != nil {
			return
		}
		ph.worked.Add(1)
	}
}

// signIn signs the desk's secretary in, as a person does: told that many
// are signing in (503), or given any page but the console's, they wait a
// moment and click again, three tries in all.
func (d *desk) signIn(ctx context.Context, ph *phase, station int, think func() time.Duration) bool {
	for try := range 3 {
		if try > 0 && !sleepCtx(ctx, think()/10) {
			return false
		}
		if _, err := d.page(ctx, ph, http.MethodGet, "/console/login", nil); err != nil {
			continue
		}
		if _, err := d.page(ctx, ph, http.MethodPost, "/console/login", url.Values{"username": {fmt.Sprintf("sec%05d", station)}, "password": {provPassword}}); err == nil {
			return true
		}
	}
	return false
}

// officeSittings are when a secretary looks at the console (CST), each
// with up to an hour's jitter either way: four sittings a working day,
// the first between 08:00 and 10:00 as people reach their offices (and
// sign in: a session lasts the working day). A case that arrives after
// the last sitting waits for tomorrow's first, outside this run.
var officeSittings = []float64{9, 11, 14.5, 16.5}

// day replays the day: visits at the day's shape, each sitting of each
// station with new cases at its hour. Everything runs compress× faster.
func (p *province) day(ctx context.Context, stderr io.Writer) *phase {
	ph := &phase{}
	dayLen := time.Duration((p.until - p.from) * float64(time.Hour) / p.compress)
	visits := int(math.Round(provincePushes * p.scale / pushesPerVisit))
	total := sumShape()
	// The visits' start times: the hour by the day's shape, the minute
	// uniform within it, sorted.
	starts := make([]float64, visits) // hours since midnight
	for i := range starts {
		r, h := p.float()*total, 0
		for ; h < 23 && r >= dayShape[h]; h++ {
			r -= dayShape[h]
		}
		starts[i] = float64(h) + p.float()
	}
	// Only the hours asked for are played: the day's visits are drawn as a
	// whole and those outside them dropped, so the hours keep their share.
	starts = slices.DeleteFunc(starts, func(h float64) bool { return h < p.from || h >= p.until })
	visits = len(starts)
	slices.Sort(starts)
	fmt.Fprintf(stderr, "bench province: replaying %s: %d visits (~%.0f pushes) in %s (%.0f× compressed)\n",
		p.hoursLabel(), visits, float64(visits)*pushesPerVisit, dayLen.Round(time.Second), p.compress)
	// Citizens read replies and type in 20 s to 2 min; staff read a case
	// and type an answer in 1 to 3 minutes. Both compressed.
	citizen := func() time.Duration {
		return time.Duration((20 + p.float()*100) * float64(time.Second) / p.compress)
	}
	clerk := func() time.Duration {
		return time.Duration((60 + p.float()*120) * float64(time.Second) / p.compress)
	}
	at := func(hours float64) time.Duration {
		return time.Duration((hours - p.from) * float64(time.Hour) / p.compress)
	}

	var wg sync.WaitGroup
	began := time.Now()
	before := p.cpu()
	// Sittings: each station's four, at jittered times, in time order.
	type sit struct {
		at      float64
		station int
	}
	var sits []sit
	for s := range p.stations {
		for _, h := range officeSittings {
			if h += 2 * (p.float() - 0.5); h >= p.from && h < p.until {
				sits = append(sits, sit{h, s})
			}
		}
	}
	slices.SortFunc(sits, func(a, b sit) int { return int(math.Copysign(1, a.at-b.at)) })
	wg.Go(func() {
		var inner sync.WaitGroup
		for _, s := range sits {
			if !sleepCtx(ctx, time.Until(began.Add(at(s.at)))) {
				break
			}
			inner.Go(func() { p.sitting(ctx, ph, s.station, clerk) })
		}
		inner.Wait()
	})
	lastReport := time.Now()
	for i, h := range starts {
		if !sleepCtx(ctx, time.Until(began.Add(at(h)))) {
			break
		}
		wg.Go(func() {
			p.visit(ctx, ph, citizen, func(station int) {
				d := p.deskOf(station)
				d.mu.Lock()
				d.pending++
				d.mu.Unlock()
			})
		})
		if time.Since(lastReport) > 30*time.Second {
			lastReport = time.Now()
			fmt.Fprintf(stderr, "bench province: %02d:%02d of the day, %d/%d visits, pushes p99 %s, pages p99 %s, %d errors\n",
				int(h), int(h*60)%60, i, visits, ph.pushes.percentile(99), ph.pages.percentile(99), ph.pushes.errors+ph.pages.errors)
		}
	}
	wg.Wait()
	ph.elapsed = time.Since(began)
	ph.cpu = p.cpuSince(before)
	return ph
}

type stepResult struct {
	multiple float64
	*phase
	achieved float64 // the visits begun on time over those drawn
	rate     float64 // pushes/s wanted
	pass     bool
}

// step runs the peak hour at m provinces' rate for d: visits arrive at
// random (Poisson) and each case is worked at the console a few seconds
// later, as in the day (the staff's share of the requests kept).
func (p *province) step(ctx context.Context, m float64, d time.Duration, stderr io.Writer) stepResult {
	peak := slices.Max(dayShape[:]) / sumShape() * provincePushes / 3600 // pushes/s of one province at its peak hour
	rate := m * peak / pushesPerVisit                                    // visits/s
	fmt.Fprintf(stderr, "bench province: headroom: %g provinces' peak, %.0f pushes/s for %s\n", m, m*peak, d)
	ph := &phase{}
	quick := func() time.Duration { return time.Duration((1 + p.float()*2) * float64(time.Second)) }
	stepCtx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	// The arrivals are drawn from a generator of the step's own: every run,
	// and every binary compared, meets the same schedule, whatever the day
	// drew before it.
	arrivals := rand.New(rand.NewPCG(uint64(m*1000), 2))
	began := time.Now()
	before := p.cpu()
	planned, onTime := 0, 0
	for next := time.Duration(0); next < d; next += time.Duration(-math.Log(1-arrivals.Float64()) / rate * float64(time.Second)) {
		if !sleepCtx(ctx, time.Until(began.Add(next))) {
			break
		}
		planned++
		if time.Since(began.Add(next)) <= time.Second {
			onTime++
		}
		wg.Go(func() {
			p.visit(stepCtx, ph, quick, func(station int) {
				d := p.deskOf(station)
				d.mu.Lock()
				d.pending++
				d.mu.Unlock()
				go p.sitting(stepCtx, ph, station, quick)
			})
		})
	}
	wg.Wait()
	ph.elapsed = time.Since(began)
	ph.cpu = p.cpuSince(before)
	// achieved: whether the generator kept up, the visits it began within
	// a second of their arrival against those drawn (their pushes may end
	// later). Against the rate instead, it measured the draw: at one
	// province's peak some 100 visits, and a Poisson count 10 % short of
	// its mean is common there (86 % once, on a run whose pushes' p99 was
	// 15 ms).
	return stepResult{multiple: m, phase: ph, rate: m * peak, achieved: float64(onTime) / float64(max(planned, 1))}
}

// cpu reads the CPU time so far of the two instances, MySQL and this
// process (the load generator and the fake WeChat).
func (p *province) cpu() map[string]time.Duration {
	out := map[string]time.Duration{"mashang serve ×2": 0, "generator + fake WeChat": processCPU(os.Getpid())}
	for _, c := range p.instances {
		out["mashang serve ×2"] += processCPU(c.Process.Pid)
	}
	if p.mariadb != 0 {
		out["MySQL server"] = processCPU(p.mariadb)
	}
	return out
}

func (p *province) cpuSince(before map[string]time.Duration) map[string]time.Duration {
	out := p.cpu()
	for k := range out {
		out[k] -= before[k]
	}
	return out
}

// listenerPID finds the process listening on the DSN's TCP port, through
// /proc: the socket's inode in /proc/net/tcp, then whose descriptor it is.
func listenerPID(dsn string) int {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return 0
	}
	_, portText, _ := strings.Cut(cfg.Addr, ":")
	port, err := strconv.Atoi(portText)
	if err != nil {
		return 0
	}
	var inodes []string
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(data), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 10 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			if _, hex, ok := strings.Cut(fields[1], ":"); ok {
				if v, err := strconv.ParseInt(hex, 16, 32); err == nil && int(v) == port {
					inodes = append(inodes, "socket:["+fields[9]+"]")
				}
			}
		}
	}
	procs, _ := os.ReadDir("/proc")
	for _, e := range procs {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		for _, fd := range fds {
			if link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && slices.Contains(inodes, link) {
				return pid
			}
		}
	}
	return 0
}

// verification is what the database holds of what was acknowledged.
type verification struct {
	stored, missing, duplicates, scansStored int
}

// verify checks the durability promise: every message WeChat had answered
// is stored exactly once, and every acknowledged scan is stored.
func (p *province) verify(ctx context.Context, dsn string) (verification, error) {
	var v verification
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return v, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT msg_id, COUNT(*) FROM inbound_messages WHERE openid LIKE 'oPROV%' AND msg_id <> 0 GROUP BY msg_id`)
	if err != nil {
		return v, err
	}
	stored := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return v, err
		}
		stored[id] = n
		if n > 1 {
			v.duplicates++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return v, err
	}
	for _, id := range p.ackedMsgs {
		if stored[id] == 0 {
			v.missing++
		}
	}
	v.stored = len(stored)
	err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbound_messages WHERE openid LIKE 'oPROV%' AND msg_id = 0`).Scan(&v.scansStored)
	if err == nil && v.scansStored < p.ackedScans {
		v.missing += p.ackedScans - v.scansStored
	}
	return v, err
}

func (p *province) report(w io.Writer, day *phase, steps []stepResult, v verification, pushSLO, pageSLO time.Duration) {
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(w, "\nprovince benchmark, %s, %s/%s, %d CPU (%s), load average at the end %s\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), strings.Join(strings.Fields(string(load))[:3], " "))
	fmt.Fprintf(w, "roster: %d cities, %d stations, %d deputies, %d secretaries; two `mashang serve` instances on one MySQL database\n",
		provinceCities, provinceStations, provinceDeputies, provinceStations)
	fmt.Fprintf(w, "day: %s of %.0f%% of a %d-push day compressed %g× (%s); %.0f%% photos; staff in four sittings a day\n\n",
		p.hoursLabel(), 100*p.scale, provincePushes, p.compress, day.elapsed.Round(time.Second), 100*provincePhotoRate)
	fmt.Fprintf(w, "%-24s %9s %7s %9s %9s %9s %8s\n", "", "answered", "failed", "p50", "p99", "max", "per s")
	row := func(name string, l *latencies, elapsed time.Duration) {
		fmt.Fprintf(w, "%-24s %9d %7d %9s %9s %9s %8.1f\n", name, l.count(), l.errors, l.percentile(50), l.percentile(99), l.percentile(100),
			float64(l.count())/elapsed.Seconds())
	}
	row("pushes (callback)", &day.pushes, day.elapsed)
	row("console pages", &day.pages, day.elapsed)
	fmt.Fprintf(w, "\npushes: %d tries answered 200, %d not (WeChat tried again, up to three tries), %d pushes lost after three tries\n",
		day.pushes.count(), day.pushes.errors, day.lost.Load())
	fmt.Fprintf(w, "cases opened %d, worked at the console %d (the rest arrived after the day's last sitting, or failed)\n", day.cases.Load(), day.worked.Load())
	p.mu.Lock()
	acked := len(p.ackedMsgs) + p.ackedScans
	p.mu.Unlock()
	fmt.Fprintf(w, "durability: %d pushes acknowledged (all phases), %d messages and %d scans stored; acknowledged but not stored %d, stored twice %d, not acknowledged %d\n",
		acked, v.stored, v.scansStored, v.missing, v.duplicates, p.pushErrors.Load())
	cpuShares(w, "CPU during the day (share of the machine's cores)", day)

	if len(steps) > 0 {
		fmt.Fprintf(w, "\nheadroom: the peak hour (%.0f%% of the day's pushes) at multiples of one province's rate, %s each; pass: push p99 < %s, page p99 < %s, no errors, ≥ 90%% of the visits begun within 1 s of their time\n\n",
			100*slices.Max(dayShape[:])/sumShape(), steps[0].elapsed.Round(time.Second), pushSLO, pageSLO)
		fmt.Fprintf(w, "%10s %9s %9s %9s %9s %9s %7s %9s %7s  %s\n", "provinces", "pushes/s", "on time", "push p50", "push p99", "page p99", "errors", "pages/s", "pass", "CPU: serve / MySQL / generator")
		best := 0.0
		for _, s := range steps {
			fmt.Fprintf(w, "%10g %9.0f %8.0f%% %9s %9s %9s %7d %9.1f %7s  %s\n", s.multiple, s.rate, 100*s.achieved, s.pushes.percentile(50), s.pushes.percentile(99),
				s.pages.percentile(99), s.pushes.errors+s.pages.errors, float64(s.pages.count())/s.elapsed.Seconds(), metOrNot(s.pass), sharesLine(s.phase))
			if s.pass {
				best = s.multiple
			}
		}
		fmt.Fprintf(w, "\nheadroom: this machine carries %g provinces' peak hour within the objective (%s)\n", best, passNote(steps))
		addBenchRow(benchRow{"province (2 serve, MySQL)", "headroom, provinces", fmt.Sprintf("%g", best), "-", "", "≥ 1: " + metOrNot(best >= 1)})
	}
	addBenchRow(benchRow{"province (2 serve, MySQL)", "push p99 (the day)", day.pushes.percentile(99).String(), "-", "", "< 5s WeChat: " + metOrNot(day.pushes.percentile(99) < 5*time.Second)})
	addBenchRow(benchRow{"province (2 serve, MySQL)", "console page p99", day.pages.percentile(99).String(), "-", "", ""})
}

func passNote(steps []stepResult) string {
	last := steps[len(steps)-1]
	if last.pass {
		return "every step passed: the machine may carry more"
	}
	return fmt.Sprintf("%g provinces missed it", last.multiple)
}

// hoursLabel names the hours replayed: "the whole day" or "hours 7–11".
func (p *province) hoursLabel() string {
	if p.from == 0 && p.until == 24 {
		return "the whole day"
	}
	return fmt.Sprintf("hours %g–%g", p.from, p.until)
}

// parseHours reads --hours: "FROM-UNTIL", whole or fractional hours of
// the day, 0 ≤ FROM < UNTIL ≤ 24.
func parseHours(s string) (from, until float64, err error) {
	a, b, ok := strings.Cut(s, "-")
	if ok {
		from, err = strconv.ParseFloat(strings.TrimSpace(a), 64)
		if err == nil {
			until, err = strconv.ParseFloat(strings.TrimSpace(b), 64)
		}
	}
	if !ok || err != nil || from < 0 || until > 24 || from >= until {
		return 0, 0, fmt.Errorf("--hours %q: give the first and the end hour of the day, e.g. 7-11 (0-24: the whole day)", s)
	}
	return from, until, nil
}

func sumShape() float64 {
	var t float64
	for _, w := range dayShape {
		t += w
	}
	return t
}

func sharesLine(ph *phase) string {
	cores := float64(ph.elapsed) * float64(runtime.NumCPU())
	mysql := "?"
	if v, ok := ph.cpu["MySQL server"]; ok {
		mysql = fmt.Sprintf("%.0f%%", 100*float64(v)/cores)
	}
	return fmt.Sprintf("%.0f%% / %s / %.0f%%", 100*float64(ph.cpu["mashang serve ×2"])/cores, mysql, 100*float64(ph.cpu["generator + fake WeChat"])/cores)
}

func cpuShares(w io.Writer, title string, ph *phase) {
	cores := float64(ph.elapsed) * float64(runtime.NumCPU())
	fmt.Fprintf(w, "%s:", title)
	for _, k := range []string{"mashang serve ×2", "MySQL server", "generator + fake WeChat"} {
		if v, ok := ph.cpu[k]; ok {
			fmt.Fprintf(w, " %s %.1f%%;", k, 100*float64(v)/cores)
		}
	}
	fmt.Fprintln(w, " (MySQL's share is the whole server's: anything else it serves counts too)")
}
