package wechattest

import (
	"net/http"
	"time"

	"mashang"
)

const (
	tokenLifetime = 7200 * time.Second
	// tokenGrace is how long WeChat keeps honouring the previous token after
	// a new one is issued, and how early the stable API starts minting the
	// next one.
	tokenGrace = 5 * time.Minute
	// forceRefreshPerDay and forceRefreshGap are stable_token's limits on
	// force_refresh=true; past them WeChat answers 45009.
	forceRefreshPerDay = 20
	forceRefreshGap    = 30 * time.Second
	tokenLength        = 136 // WeChat's tokens are 130-odd characters
)

type accessToken struct {
	appid     string
	value     string
	stable    bool
	expiresAt time.Time // past it: 42001
	diesAt    time.Time // zero, or when it stops being "latest": 40001
}

func (t *accessToken) live(now time.Time) bool {
	return now.Before(t.expiresAt) && (t.diesAt.IsZero() || now.Before(t.diesAt))
}

// kill makes t answer 40001 from at on, unless it already dies earlier.
func (t *accessToken) kill(at time.Time) {
	if t.diesAt.IsZero() || at.Before(t.diesAt) {
		t.diesAt = at
	}
}

func (f *Fake) mintToken(appid string, stable bool, now time.Time) *accessToken {
	t := &accessToken{appid: appid, value: randomString(tokenLength), stable: stable, expiresAt: now.Add(tokenLifetime)}
	f.tokens[t.value] = t
	// Forget tokens long dead so a sandbox running for weeks stays small;
	// WeChat does not remember them either (they read as unknown: 40001).
	for v, old := range f.tokens {
		if now.Sub(old.expiresAt) > 24*time.Hour {
			delete(f.tokens, v)
		}
	}
	return t
}

// checkApp is WeChat's check of an appid and secret pair.
func (f *Fake) checkApp(appid, secret string) int {
	app, ok := f.apps[appid]
	switch {
	case appid == "" || !ok:
		return 40013
	case secret != app.Secret:
		return 40125
	}
	return 0
}

func tokenReply(t *accessToken, now time.Time) apiReply {
	return replyJSON(map[string]any{"access_token": t.value, "expires_in": int(t.expiresAt.Sub(now) / time.Second)})
}

// issueToken is GET /cgi-bin/token: every call mints a new token, and the
// ones before it keep working only tokenGrace longer. That is why several
// servers sharing an appid must not each call it.
func (f *Fake) issueToken(r *apiRequest) apiReply {
	q := r.query
	if q.Get("grant_type") != "client_credential" {
		return replyError(40002)
	}
	appid := q.Get("appid")
	if code := f.checkApp(appid, q.Get("secret")); code != 0 {
		return replyError(code)
	}
	for _, t := range f.tokens {
		if t.appid == appid && !t.stable {
			t.kill(r.now.Add(tokenGrace))
		}
	}
	return tokenReply(f.mintToken(appid, false, r.now), r.now)
}

// issueStableToken is POST /cgi-bin/stable_token, isolated from
// /cgi-bin/token: it answers the same token while it has more than
// tokenGrace left, then a new one while the old lives out its time;
// force_refresh mints one at once and kills the old, within limits.
func (f *Fake) issueStableToken(r *apiRequest) apiReply {
	var in struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if r.r.Method != http.MethodPost || !decodeJSON(r, &in) {
		return replyError(47001)
	}
	if in.GrantType != "client_credential" {
		return replyError(40002)
	}
	if code := f.checkApp(in.AppID, in.Secret); code != 0 {
		return replyError(code)
	}
	cur := f.stableOf[in.AppID]
	if in.ForceRefresh {
		if !f.allowForceRefresh(in.AppID, r.now) {
			return replyError(45009)
		}
		for _, t := range f.tokens {
			if t.appid == in.AppID && t.stable {
				t.kill(r.now)
			}
		}
	} else if cur != nil && cur.live(r.now) && cur.expiresAt.Sub(r.now) > tokenGrace {
		return tokenReply(cur, r.now)
	}
	// The token being replaced in normal mode lives out its time untouched.
	t := f.mintToken(in.AppID, true, r.now)
	f.stableOf[in.AppID] = t
	return tokenReply(t, r.now)
}

// allowForceRefresh counts a force_refresh against its daily quota (reset at
// midnight Beijing time) and minimum gap, and says whether it may go ahead.
func (f *Fake) allowForceRefresh(appid string, now time.Time) bool {
	today := now.In(mashang.China).Format(time.DateOnly)
	var kept []time.Time
	for _, at := range f.forced[appid] {
		if at.In(mashang.China).Format(time.DateOnly) == today {
			kept = append(kept, at)
		}
	}
	f.forced[appid] = kept
	if len(kept) >= forceRefreshPerDay || (len(kept) > 0 && now.Sub(kept[len(kept)-1]) < forceRefreshGap) {
		return false
	}
	f.forced[appid] = append(kept, now)
	return true
}

// checkToken answers which app a token belongs to, or WeChat's errcode.
func (f *Fake) checkToken(value string, now time.Time) (string, int) {
	if value == "" {
		return "", 41001
	}
	t, ok := f.tokens[value]
	switch {
	case !ok:
		return "", 40001
	case !t.diesAt.IsZero() && !now.Before(t.diesAt):
		return "", 40001
	case !now.Before(t.expiresAt):
		return "", 42001
	}
	return t.appid, 0
}

// InvalidateTokens acts as if another system force-refreshed appid's tokens:
// every current one, of either kind, answers 40001 from now on.
func (f *Fake) InvalidateTokens(appid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	for _, t := range f.tokens {
		if t.appid == appid {
			t.kill(now)
		}
	}
}

// ExpireTokens makes every current token expired (42001), as if two hours
// had passed for them; the next token request mints new ones.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	for _, t := range f.tokens {
		if now.Before(t.expiresAt) {
			t.expiresAt = now
		}
	}
}
