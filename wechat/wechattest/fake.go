package wechattest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"mashang/qrcode"
)

// App is an Official Account or Mini Program the fake knows.
type App struct{ AppID, Secret string }

// Config sets up a fake WeChat.
type Config struct {
	Apps []App
	Now  func() time.Time // nil = time.Now; tests pass a clock they control
}

// Fake answers WeChat's server API (api.weixin.qq.com) as WeChat documents
// it, error codes included, and records what it was sent. It is a real
// http.Handler, safe for concurrent use, and production code: the sandbox
// runs it in-process.
type Fake struct {
	now func() time.Time

	mu        sync.Mutex
	apps      map[string]App
	tokens    map[string]*token // access token → its state
	stable    map[string]*token // appid → current stable token
	forced    map[string][]time.Time
	followers map[string]bool
	windows   map[string]*window // openid → customer-service window
	media     map[string]media
	loginCode map[string]*oneTimeCode
	phoneCode map[string]*oneTimeCode
	grants    map[string]int // openid + template → subscribe sends allowed
	clientMsg map[string]sentMsg
	qrcodes   map[string]map[string]qrTicket // appid → scene → ticket
	qrByURL   map[string]string
	permUsed  map[string]int
	msgID     int64
	calls     []Call
	delivered []Delivery
	failures  map[string][]int // path → errcodes to answer next
	stalls    map[string][]time.Duration
	random    map[string]randomFailure
	rng       *mathrand.Rand
}

type token struct {
	appid     string
	value     string
	expiresAt time.Time
	revoked   bool // another refresh or a forced one: 40001 from now on
}

type window struct {
	openedAt time.Time
	sent     int
}

type media struct {
	contentType string
	data        []byte
	expiresAt   time.Time
}

type oneTimeCode struct {
	appid, openid, unionid, phone string
	expiresAt                     time.Time
	used                          bool
}

type sentMsg struct {
	msgID int64
	at    time.Time
}

type qrTicket struct{ Ticket, URL string }

type randomFailure struct {
	ratio   float64
	errcode int
}

// Call is one request the fake received and the errcode it answered.
type Call struct {
	Method, Path string
	Query        url.Values
	Body         []byte
	At           time.Time
	ErrCode      int
	Duplicate    bool // a template send repeated within client_msg_id's 10 minutes
}

// Delivery is a message that actually reached a person.
type Delivery struct {
	Kind       string // template, custom, subscribe
	OpenID     string
	TemplateID string
	Data       map[string]string // template and subscribe fields
	Text       string            // a custom text message
	MsgID      int64
	At         time.Time
}

// errmsgs are WeChat's texts for the codes the fake answers.
var errmsgs = map[int]string{
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40002: "invalid grant_type",
	40007: "invalid media_id",
	40008: "invalid message type",
	40013: "invalid appid",
	40029: "invalid code",
	40037: "invalid template_id",
	40053: "invalid action info",
	40125: "invalid appsecret",
	40163: "code been used",
	40169: "invalid length for scene, or the data is not json string",
	41001: "access_token missing",
	41030: "invalid page",
	42001: "access_token expired",
	43004: "require subscribe",
	43101: "user refuse to accept the msg",
	44004: "empty content",
	45009: "reach max api daily quota limit",
	45015: "response out of time limit or subscription is canceled",
	45047: "out of response count limit",
	47001: "data format error",
	47003: "argument invalid!",
	48001: "api unauthorized",
}

func errmsg(code int) string {
	if m, ok := errmsgs[code]; ok {
		return m
	}
	return "injected error"
}

// New makes a fake WeChat that knows the given apps.
func New(cfg Config) *Fake {
	f := &Fake{now: cfg.Now, apps: map[string]App{}, rng: mathrand.New(mathrand.NewPCG(1, 2))}
	if f.now == nil {
		f.now = time.Now
	}
	for _, a := range cfg.Apps {
		if a.AppID != "" {
			f.apps[a.AppID] = a
		}
	}
	f.resetState()
	return f
}

func (f *Fake) resetState() {
	f.tokens, f.stable, f.forced = map[string]*token{}, map[string]*token{}, map[string][]time.Time{}
	f.followers, f.windows, f.media = map[string]bool{}, map[string]*window{}, map[string]media{}
	f.loginCode, f.phoneCode, f.grants = map[string]*oneTimeCode{}, map[string]*oneTimeCode{}, map[string]int{}
	f.clientMsg, f.qrcodes, f.qrByURL, f.permUsed = map[string]sentMsg{}, map[string]map[string]qrTicket{}, map[string]string{}, map[string]int{}
	f.failures, f.stalls, f.random = map[string][]int{}, map[string][]time.Duration{}, map[string]randomFailure{}
	f.calls, f.delivered = nil, nil
}

// Start runs a fake on 127.0.0.1 on a free port and returns its base URL.
func Start(cfg Config) (*Fake, *http.Server, string, error) {
	f := New(cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, "", fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return f, srv, "http://" + l.Addr().String(), nil
}

// route is one API path: whether it needs an access token, and its handler.
type route struct {
	needsToken bool
	handle     func(f *Fake, r *request) (any, int)
}

// routes lists every path the fake answers.
var routes = map[string]route{
	"/cgi-bin/token":                   {false, (*Fake).getToken},
	"/cgi-bin/stable_token":            {false, (*Fake).getStableToken},
	"/cgi-bin/message/template/send":   {true, (*Fake).sendTemplate},
	"/cgi-bin/message/custom/send":     {true, (*Fake).sendCustom},
	"/cgi-bin/message/subscribe/send":  {true, (*Fake).sendSubscribe},
	"/cgi-bin/qrcode/create":           {true, (*Fake).createQRCode},
	"/sns/jscode2session":              {false, (*Fake).code2Session},
	"/wxa/getwxacodeunlimit":           {true, (*Fake).wxaCodeUnlimit},
	"/wxa/business/getuserphonenumber": {true, (*Fake).phoneNumber},
	"/cgi-bin/media/get":               {true, (*Fake).getMedia},
}

// request is a call being answered, under the fake's lock.
type request struct {
	*http.Request
	body  []byte
	appid string // the token's app, for calls that need one
	call  *Call
}

// raw is an answer that is not JSON (an image, a media file).
type raw struct {
	contentType string
	header      http.Header
	data        []byte
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	f.mu.Lock()
	call := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body, At: f.now()}
	stall := f.takeStall(r.URL.Path)
	f.mu.Unlock()
	if stall > 0 {
		select {
		case <-time.After(stall):
		case <-r.Context().Done():
			return
		}
	}

	f.mu.Lock()
	answer, code := f.answer(r, body, &call)
	call.ErrCode = code
	f.calls = append(f.calls, call)
	f.mu.Unlock()

	if rw, ok := answer.(raw); ok && code == 0 {
		for k, v := range rw.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", rw.contentType)
		_, _ = w.Write(rw.data)
		return
	}
	if code != 0 {
		answer = map[string]any{"errcode": code, "errmsg": errmsg(code)}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(answer)
}

func (f *Fake) answer(r *http.Request, body []byte, call *Call) (any, int) {
	rt, ok := routes[r.URL.Path]
	if !ok {
		return nil, 48001
	}
	if code := f.injected(r.URL.Path); code != 0 {
		return nil, code
	}
	req := &request{Request: r, body: body, call: call}
	if rt.needsToken {
		appid, code := f.checkToken(r.URL.Query().Get("access_token"))
		if code != 0 {
			return nil, code
		}
		req.appid = appid
	}
	return rt.handle(f, req)
}

func (f *Fake) injected(path string) int {
	if codes := f.failures[path]; len(codes) > 0 {
		f.failures[path] = codes[1:]
		return codes[0]
	}
	for _, p := range []string{path, "*"} {
		if rf, ok := f.random[p]; ok && f.rng.Float64() < rf.ratio {
			return rf.errcode
		}
	}
	return 0
}

func (f *Fake) takeStall(path string) time.Duration {
	if d := f.stalls[path]; len(d) > 0 {
		f.stalls[path] = d[1:]
		return d[0]
	}
	return 0
}

// --- failures on command and what was sent -------------------------------

// FailNext makes the next `times` calls of path answer errcode.
func (f *Fake) FailNext(path string, errcode, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range times {
		f.failures[path] = append(f.failures[path], errcode)
	}
}

// StallNext makes the next `times` calls of path wait d before answering,
// to trip a client's timeout; a caller that gives up ends the wait.
func (f *Fake) StallNext(path string, d time.Duration, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range times {
		f.stalls[path] = append(f.stalls[path], d)
	}
}

// FailRandomly makes a share of the calls of path ("*" for all) answer
// errcode; ratio 0 stops it. The sequence is seeded, so runs repeat.
func (f *Fake) FailRandomly(path string, ratio float64, errcode int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ratio <= 0 {
		delete(f.random, path)
		return
	}
	f.random[path] = randomFailure{ratio: ratio, errcode: errcode}
}

// Calls lists the calls of path ("" for all), in order.
func (f *Fake) Calls(path string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if path == "" || c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// Delivered lists the messages that reached openid ("" for everyone).
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

// Reset forgets everything but the apps.
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resetState()
}

// --- tokens ----------------------------------------------------------------

const tokenLifetime = 7200 * time.Second

func (f *Fake) mintToken(appid string) *token {
	b := make([]byte, 64)
	_, _ = rand.Read(b)
	t := &token{appid: appid, value: "FAKE_" + hex.EncodeToString(b), expiresAt: f.now().Add(tokenLifetime)}
	f.tokens[t.value] = t
	return t
}

func (f *Fake) checkApp(appid, secret string) int {
	app, ok := f.apps[appid]
	switch {
	case !ok:
		return 40013
	case app.Secret != secret:
		return 40125
	}
	return 0
}

// getToken is /cgi-bin/token: each call mints a token, and the previous
// ones keep working only five more minutes.
func (f *Fake) getToken(r *request) (any, int) {
	q := r.URL.Query()
	if q.Get("grant_type") != "client_credential" {
		return nil, 40002
	}
	if code := f.checkApp(q.Get("appid"), q.Get("secret")); code != 0 {
		return nil, code
	}
	now := f.now()
	for _, t := range f.tokens {
		if t.appid == q.Get("appid") && !f.isStable(t) && t.expiresAt.After(now.Add(5*time.Minute)) {
			t.expiresAt = now.Add(5 * time.Minute)
		}
	}
	t := f.mintToken(q.Get("appid"))
	return map[string]any{"access_token": t.value, "expires_in": int(tokenLifetime.Seconds())}, 0
}

func (f *Fake) isStable(t *token) bool {
	for _, s := range f.stable {
		if s == t {
			return true
		}
	}
	return false
}

// getStableToken is /cgi-bin/stable_token: the same token while it has more
// than five minutes left; isolated from /cgi-bin/token.
func (f *Fake) getStableToken(r *request) (any, int) {
	var in struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if r.Method != http.MethodPost || json.Unmarshal(r.body, &in) != nil {
		return nil, 47001
	}
	if in.GrantType != "client_credential" {
		return nil, 40002
	}
	if code := f.checkApp(in.AppID, in.Secret); code != 0 {
		return nil, code
	}
	now := f.now()
	current := f.stable[in.AppID]
	if in.ForceRefresh {
		recent := f.forced[in.AppID][:0]
		for _, at := range f.forced[in.AppID] {
			if now.Sub(at) < 24*time.Hour {
				recent = append(recent, at)
			}
		}
		if len(recent) >= 20 || (len(recent) > 0 && now.Sub(recent[len(recent)-1]) < 30*time.Second) {
			f.forced[in.AppID] = recent
			return nil, 45009
		}
		f.forced[in.AppID] = append(recent, now)
		if current != nil {
			current.revoked = true
		}
		current = nil
	}
	if current == nil || current.revoked || current.expiresAt.Sub(now) <= 5*time.Minute {
		// Within the last five minutes a new one is minted; the old one
		// lives out its time.
		current = f.mintToken(in.AppID)
		f.stable[in.AppID] = current
	}
	return map[string]any{"access_token": current.value, "expires_in": int(current.expiresAt.Sub(now).Seconds())}, 0
}

func (f *Fake) checkToken(value string) (string, int) {
	if value == "" {
		return "", 41001
	}
	t, ok := f.tokens[value]
	switch {
	case !ok || t.revoked:
		return "", 40001
	case !f.now().Before(t.expiresAt):
		return "", 42001
	}
	return t.appid, 0
}

// InvalidateTokens makes appid's current tokens answer 40001, as when
// another system force-refreshed.
func (f *Fake) InvalidateTokens(appid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.tokens {
		if t.appid == appid {
			t.revoked = true
		}
	}
}

// ExpireTokens makes every current token answer 42001.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.tokens {
		t.expiresAt = f.now()
	}
}

// --- people ----------------------------------------------------------------

// Follow makes openid a follower of the Official Account.
func (f *Fake) Follow(openid string) { f.set(func() { f.followers[openid] = true }) }

// Unfollow ends it.
func (f *Fake) Unfollow(openid string) { f.set(func() { delete(f.followers, openid) }) }

// UserMessaged records that openid wrote now: it opens the 48-hour window
// for customer-service messages, with a fresh quota of five.
func (f *Fake) UserMessaged(openid string) {
	f.set(func() { f.windows[openid] = &window{openedAt: f.now()} })
}

// GrantSubscribe records one "accept" of a subscribe-message template: one
// send allowed; grants add up.
func (f *Fake) GrantSubscribe(openid, templateID string) {
	f.set(func() { f.grants[openid+"\x00"+templateID]++ })
}

// AddMedia stores temporary media, which expires three days from now.
func (f *Fake) AddMedia(mediaID, contentType string, data []byte) {
	f.set(func() {
		f.media[mediaID] = media{contentType: contentType, data: data, expiresAt: f.now().Add(72 * time.Hour)}
	})
}

// IssueLoginCode returns a wx.login code for openid: single use, 5 minutes.
func (f *Fake) IssueLoginCode(appid, openid, unionid string) string {
	code := randomCode()
	f.set(func() {
		f.loginCode[code] = &oneTimeCode{appid: appid, openid: openid, unionid: unionid, expiresAt: f.now().Add(5 * time.Minute)}
	})
	return code
}

// IssuePhoneCode returns a getPhoneNumber code: single use, 5 minutes.
func (f *Fake) IssuePhoneCode(appid, phone string) string {
	code := randomCode()
	f.set(func() {
		f.phoneCode[code] = &oneTimeCode{appid: appid, phone: phone, expiresAt: f.now().Add(5 * time.Minute)}
	})
	return code
}

func (f *Fake) set(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
}

func randomCode() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// --- messages ----------------------------------------------------------------

type dataItem struct {
	Value string `json:"value"`
}

var typedKey = regexp.MustCompile(`^([a-z_]+?)\d*$`)

// checkData applies WeChat's rules for typed template fields (thing ≤ 20
// characters and so on); 47003 for a value that breaks them.
func checkData(data map[string]dataItem) int {
	for key, item := range data {
		if strings.HasSuffix(key, ".DATA") || item.Value == "" || strings.ContainsAny(item.Value, "\r\n") {
			return 47003
		}
		m := typedKey.FindStringSubmatch(key)
		if m == nil {
			continue
		}
		n := utf8.RuneCountInString(item.Value)
		limits := map[string]int{"thing": 20, "character_string": 32, "phrase": 5, "name": 10,
			"phone_number": 17, "number": 32, "letter": 32, "symbol": 5, "car_number": 8}
		if limit, ok := limits[m[1]]; ok && n > limit {
			return 47003
		}
		if m[1] == "character_string" {
			for _, r := range item.Value {
				if r > 0x7f {
					return 47003
				}
			}
		}
	}
	return 0
}

func flatten(data map[string]dataItem) map[string]string {
	out := map[string]string{}
	for k, v := range data {
		out[k] = v.Value
	}
	return out
}

func (f *Fake) nextMsgID() int64 {
	f.msgID++
	return 2_000_000_000 + f.msgID
}

// sendTemplate is /cgi-bin/message/template/send.
func (f *Fake) sendTemplate(r *request) (any, int) {
	var in struct {
		ToUser      string              `json:"touser"`
		TemplateID  string              `json:"template_id"`
		Data        map[string]dataItem `json:"data"`
		ClientMsgID string              `json:"client_msg_id"`
	}
	if json.Unmarshal(r.body, &in) != nil {
		return nil, 47001
	}
	if in.TemplateID == "" {
		return nil, 40037
	}
	if !f.followers[in.ToUser] {
		return nil, 43004
	}
	if code := checkData(in.Data); code != 0 {
		return nil, code
	}
	now := f.now()
	key := in.ToUser + "\x00" + in.ClientMsgID
	if in.ClientMsgID != "" {
		if earlier, ok := f.clientMsg[key]; ok && now.Sub(earlier.at) < 10*time.Minute {
			r.call.Duplicate = true
			return map[string]any{"errcode": 0, "errmsg": "ok", "msgid": earlier.msgID}, 0
		}
	}
	id := f.nextMsgID()
	if in.ClientMsgID != "" {
		f.clientMsg[key] = sentMsg{msgID: id, at: now}
	}
	f.delivered = append(f.delivered, Delivery{Kind: "template", OpenID: in.ToUser, TemplateID: in.TemplateID,
		Data: flatten(in.Data), MsgID: id, At: now})
	return map[string]any{"errcode": 0, "errmsg": "ok", "msgid": id}, 0
}

// sendCustom is /cgi-bin/message/custom/send: only inside the 48 hours after
// the citizen last wrote, five at most.
func (f *Fake) sendCustom(r *request) (any, int) {
	var in struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	if json.Unmarshal(r.body, &in) != nil {
		return nil, 47001
	}
	switch in.MsgType {
	case "text", "image", "voice", "video", "music", "news", "mpnews", "mpnewsarticle", "msgmenu", "wxcard", "miniprogrampage":
	default:
		return nil, 40008
	}
	win := f.windows[in.ToUser]
	if !f.followers[in.ToUser] || win == nil || f.now().Sub(win.openedAt) > 48*time.Hour {
		return nil, 45015
	}
	if win.sent >= 5 {
		return nil, 45047
	}
	if in.MsgType == "text" && in.Text.Content == "" {
		return nil, 44004
	}
	win.sent++
	f.delivered = append(f.delivered, Delivery{Kind: "custom", OpenID: in.ToUser, Text: in.Text.Content, At: f.now()})
	return map[string]any{"errcode": 0, "errmsg": "ok"}, 0
}

// sendSubscribe is the Mini Program's /cgi-bin/message/subscribe/send: one
// send per accept.
func (f *Fake) sendSubscribe(r *request) (any, int) {
	var in struct {
		ToUser           string              `json:"touser"`
		TemplateID       string              `json:"template_id"`
		Data             map[string]dataItem `json:"data"`
		MiniprogramState string              `json:"miniprogram_state"`
	}
	if json.Unmarshal(r.body, &in) != nil {
		return nil, 47001
	}
	switch in.MiniprogramState {
	case "", "developer", "trial", "formal":
	default:
		return nil, 47003
	}
	key := in.ToUser + "\x00" + in.TemplateID
	if f.grants[key] == 0 {
		return nil, 43101
	}
	if code := checkData(in.Data); code != 0 {
		return nil, code
	}
	f.grants[key]--
	id := f.nextMsgID()
	f.delivered = append(f.delivered, Delivery{Kind: "subscribe", OpenID: in.ToUser, TemplateID: in.TemplateID,
		Data: flatten(in.Data), MsgID: id, At: f.now()})
	return map[string]any{"errcode": 0, "errmsg": "ok", "msgid": id}, 0
}

// --- codes -----------------------------------------------------------------

// MaxPermanentQRCodes is WeChat's quota of permanent parametric codes.
const MaxPermanentQRCodes = 100_000

// createQRCode is /cgi-bin/qrcode/create. The same permanent scene again
// returns the same ticket and does not count again. WeChat does not document
// its answer past the permanent quota; the fake answers 45009.
func (f *Fake) createQRCode(r *request) (any, int) {
	var in struct {
		ExpireSeconds int64  `json:"expire_seconds"`
		ActionName    string `json:"action_name"`
		ActionInfo    struct {
			Scene struct {
				SceneID  int64  `json:"scene_id"`
				SceneStr string `json:"scene_str"`
			} `json:"scene"`
		} `json:"action_info"`
	}
	if json.Unmarshal(r.body, &in) != nil {
		return nil, 47001
	}
	scene := in.ActionInfo.Scene
	var key string
	permanent := false
	switch in.ActionName {
	case "QR_SCENE":
		if scene.SceneID == 0 || scene.SceneID > 1<<32-1 {
			return nil, 40053
		}
		key = strconv.FormatInt(scene.SceneID, 10)
	case "QR_STR_SCENE":
		key = scene.SceneStr
	case "QR_LIMIT_SCENE":
		if scene.SceneID < 1 || scene.SceneID > 100000 {
			return nil, 40053
		}
		key, permanent = strconv.FormatInt(scene.SceneID, 10), true
	case "QR_LIMIT_STR_SCENE":
		key, permanent = scene.SceneStr, true
	default:
		return nil, 40053
	}
	if key == "" || len(key) > 64 {
		return nil, 40053
	}
	if !permanent {
		expire := in.ExpireSeconds
		if expire <= 0 {
			expire = 30
		}
		expire = min(expire, 2_592_000)
		t := f.newTicket(key)
		return map[string]any{"ticket": t.Ticket, "expire_seconds": expire, "url": t.URL}, 0
	}
	byScene := f.qrcodes[r.appid]
	if byScene == nil {
		byScene = map[string]qrTicket{}
		f.qrcodes[r.appid] = byScene
	}
	if t, ok := byScene[key]; ok {
		return map[string]any{"ticket": t.Ticket, "url": t.URL}, 0
	}
	if f.permUsed[r.appid] >= MaxPermanentQRCodes {
		return nil, 45009
	}
	f.permUsed[r.appid]++
	t := f.newTicket(key)
	byScene[key] = t
	return map[string]any{"ticket": t.Ticket, "url": t.URL}, 0
}

func (f *Fake) newTicket(scene string) qrTicket {
	id := randomCode()
	t := qrTicket{Ticket: "gQ" + id + "==", URL: "http://weixin.qq.com/q/" + id}
	f.qrByURL[t.URL] = scene
	return t
}

// PermanentQRCount tells how many permanent codes appid has used.
func (f *Fake) PermanentQRCount(appid string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.permUsed[appid]
}

// SetPermanentQRUsed pretends appid has used n permanent codes.
func (f *Fake) SetPermanentQRUsed(appid string, n int) { f.set(func() { f.permUsed[appid] = n }) }

// SceneForURL tells which scene a code's URL leads to.
func (f *Fake) SceneForURL(u string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.qrByURL[u]
	return s, ok
}

var wxaSceneAlphabet = regexp.MustCompile(`^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$`)

// wxaCodeUnlimit is /wxa/getwxacodeunlimit: a PNG labelled image/jpeg, as
// WeChat does (and as the SDK insists on).
func (f *Fake) wxaCodeUnlimit(r *request) (any, int) {
	var in struct {
		Scene string `json:"scene"`
		Page  string `json:"page"`
		Width int    `json:"width"`
	}
	if json.Unmarshal(r.body, &in) != nil {
		return nil, 47001
	}
	if !wxaSceneAlphabet.MatchString(in.Scene) {
		return nil, 40169
	}
	if strings.HasPrefix(in.Page, "/") || strings.Contains(in.Page, "?") {
		return nil, 41030
	}
	if in.Width == 0 {
		in.Width = 430
	}
	if in.Width < 280 || in.Width > 1280 {
		return nil, 47003
	}
	png, err := qrcode.PNG("wxacode:"+in.Scene, in.Width)
	if err != nil {
		return nil, -1
	}
	return raw{contentType: "image/jpeg", data: png}, 0
}

// code2Session is /sns/jscode2session.
func (f *Fake) code2Session(r *request) (any, int) {
	q := r.URL.Query()
	if q.Get("grant_type") != "authorization_code" {
		return nil, 40002
	}
	if code := f.checkApp(q.Get("appid"), q.Get("secret")); code != 0 {
		return nil, code
	}
	c, ok := f.loginCode[q.Get("js_code")]
	switch {
	case !ok || c.appid != q.Get("appid") || !f.now().Before(c.expiresAt):
		return nil, 40029
	case c.used:
		return nil, 40163
	}
	c.used = true
	out := map[string]any{"openid": c.openid, "session_key": base64Key()}
	if c.unionid != "" {
		out["unionid"] = c.unionid
	}
	return out, 0
}

func base64Key() string {
	return strings.TrimRight(NewAESKey()[:22], "=") + "=="
}

// phoneNumber is /wxa/business/getuserphonenumber.
func (f *Fake) phoneNumber(r *request) (any, int) {
	var in struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(r.body, &in) != nil {
		return nil, 47001
	}
	c, ok := f.phoneCode[in.Code]
	if !ok || c.used || c.appid != r.appid || !f.now().Before(c.expiresAt) {
		return nil, 40029
	}
	c.used = true
	return map[string]any{"errcode": 0, "errmsg": "ok", "phone_info": map[string]any{
		"phoneNumber": c.phone, "purePhoneNumber": c.phone, "countryCode": "86",
		"watermark": map[string]any{"timestamp": f.now().Unix(), "appid": r.appid},
	}}, 0
}

// getMedia is /cgi-bin/media/get: the file, or for a video a JSON link, as
// WeChat answers.
func (f *Fake) getMedia(r *request) (any, int) {
	id := r.URL.Query().Get("media_id")
	m, ok := f.media[id]
	if !ok || !f.now().Before(m.expiresAt) {
		return nil, 40007
	}
	if m.contentType == "video/mp4" {
		return map[string]any{"video_url": "http://wxsnsdy.wxs.qq.com/sandbox/" + url.PathEscape(id) + ".mp4"}, 0
	}
	ext := map[string]string{"image/jpeg": "jpg", "image/png": "png", "audio/amr": "amr", "audio/mpeg": "mp3"}[m.contentType]
	if ext == "" {
		ext = "bin"
	}
	h := http.Header{}
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, id, ext))
	return raw{contentType: m.contentType, header: h, data: bytes.Clone(m.data)}, 0
}
