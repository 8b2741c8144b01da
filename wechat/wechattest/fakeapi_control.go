package wechattest

import (
	mathrand "math/rand/v2"
	"time"
)

// --- what the fake was sent --------------------------------------------------

// Calls lists the calls of path ("" for all), in the order they arrived.
func (f *Fake) Calls(path string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if path == "" || c.Path == path {
			out = append(out, *c)
		}
	}
	return out
}

// Delivered lists, in order, the messages that actually reached openid
// ("" for everyone): a duplicate or refused send is not among them.
func (f *Fake) Delivered(openid string) []Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Delivery
	for _, d := range f.delivered {
		if openid == "" || d.OpenID == openid {
			out = append(out, d)
		}
	}
	return out
}

func (f *Fake) deliver(d Delivery) { f.delivered = appendBounded(f.delivered, d) }

// Reset forgets the calls, the deliveries and every injected failure. The
// apps and the world the test built (tokens, followers, windows, grants,
// media, codes, QR codes) stay, so a client holding a token keeps working.
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resetRecords()
}

func (f *Fake) resetRecords() {
	f.calls, f.delivered = nil, nil
	f.failNext, f.stalls, f.randomFail, f.loseAnswer = map[string][]int{}, map[string][]time.Duration{}, map[string]randomFailure{}, map[string]int{}
	// A fixed seed makes a run that fails randomly repeat the same way.
	f.rng = mathrand.New(mathrand.NewPCG(20140101, 7200))
}

// --- failures on command ------------------------------------------------------

type randomFailure struct {
	ratio   float64
	errcode int
}

// FailNext makes the next `times` calls of path (e.g.
// "/cgi-bin/message/template/send") answer errcode with WeChat's errmsg for
// it. Calls queue: FailNext twice fails both counts, in order.
func (f *Fake) FailNext(path string, errcode int, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range times {
		f.failNext[path] = append(f.failNext[path], errcode)
	}
}

// StallNext makes the next `times` calls of path wait d before they are
// answered, to trip a client's timeout. A client that gives up ends the wait.
func (f *Fake) StallNext(path string, d time.Duration, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range times {
		f.stalls[path] = append(f.stalls[path], d)
	}
}

// LoseAnswerNext makes the next `times` calls of path take effect (a
// template message is delivered) but never answers them, as when the
// answer is lost on the network: the client times out not knowing.
func (f *Fake) LoseAnswerNext(path string, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loseAnswer[path] += times
}

// FailRandomly makes about ratio of the calls of path ("*" for every path)
// answer errcode; ratio 0 clears it. The draw is seeded, so it repeats.
func (f *Fake) FailRandomly(path string, ratio float64, errcode int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ratio <= 0 {
		delete(f.randomFail, path)
		return
	}
	f.randomFail[path] = randomFailure{ratio: ratio, errcode: errcode}
}

func (f *Fake) takeStall(path string) time.Duration {
	q := f.stalls[path]
	if len(q) == 0 {
		return 0
	}
	f.stalls[path] = q[1:]
	return q[0]
}

func (f *Fake) takeInjected(path string) int {
	if q := f.failNext[path]; len(q) > 0 {
		f.failNext[path] = q[1:]
		return q[0]
	}
	for _, p := range [...]string{path, "*"} {
		if rf, ok := f.randomFail[p]; ok && f.rng.Float64() < rf.ratio {
			return rf.errcode
		}
	}
	return 0
}

// --- the world a test sets up ------------------------------------------------

// serviceWindow is what WeChat allows of customer-service messages to one
// user: 5 within 48 hours after they write; 3 within a minute after a
// scan, a follow or a menu click.
type serviceWindow struct {
	openedAt  time.Time // their last message (zero: none)
	sent      int
	eventAt   time.Time // their last scan, follow or click (zero: none)
	eventSent int
}

// Follow makes openid a follower of the Official Account (of each one the
// fake knows; FollowApp names one). Followers are per app: a Mini
// Program's token cannot message them.
func (f *Fake) Follow(openid string) { f.forOfficialAccounts(openid, (*Fake).followApp) }

// FollowApp makes openid a follower of the Official Account appid.
func (f *Fake) FollowApp(appid, openid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.followApp(appid, openid)
}

func (f *Fake) followApp(appid, openid string) {
	f.followers[appKey(appid, openid)] = true
	f.known[appKey(appid, openid)] = true
}

// Unfollow makes openid stop following (the account still knows them:
// user/info answers subscribe 0, not 40003).
func (f *Fake) Unfollow(openid string) {
	f.forOfficialAccounts(openid, func(f *Fake, appid, openid string) { delete(f.followers, appKey(appid, openid)) })
}

// UserMessaged records that openid just sent the Official Account a
// message: WeChat then allows 5 customer-service messages to them in the
// next 48 hours.
func (f *Fake) UserMessaged(openid string) { f.forOfficialAccounts(openid, (*Fake).userMessaged) }

// UserMessagedApp is UserMessaged for one app (a Mini Program's 客服 too).
func (f *Fake) UserMessagedApp(appid, openid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.userMessaged(appid, openid)
}

func (f *Fake) userMessaged(appid, openid string) {
	w := f.window(appid, openid)
	w.openedAt, w.sent = f.now(), 0
}

// UserEvent records that openid just scanned a code, followed, or clicked a
// menu: WeChat then allows 3 customer-service messages within a minute.
func (f *Fake) UserEvent(openid string) {
	f.forOfficialAccounts(openid, func(f *Fake, appid, openid string) {
		w := f.window(appid, openid)
		w.eventAt, w.eventSent = f.now(), 0
	})
}

func (f *Fake) forOfficialAccounts(openid string, do func(f *Fake, appid, openid string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, appid := range f.officialAccounts() {
		do(f, appid, openid)
	}
}

func (f *Fake) window(appid, openid string) *serviceWindow {
	key := appKey(appid, openid)
	f.known[key] = true
	w := f.windows[key]
	if w == nil {
		w = &serviceWindow{}
		f.windows[key] = w
	}
	return w
}

// GrantSubscribe records that openid accepted templateID once in the Mini
// Program: each accept allows exactly one subscribe message, and they add up.
func (f *Fake) GrantSubscribe(openid, templateID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.grants[subscribeKey(openid, templateID)]++
}

func subscribeKey(openid, templateID string) string { return openid + "\x00" + templateID }
