package wechattest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// App is an Official Account or Mini Program the fake knows. WeChat keeps
// everything per app: a token works only on its own kind of API (48001
// otherwise), and followers, service windows, templates and pages belong to
// one app.
type App struct {
	AppID, Secret string
	// MiniProgram marks a Mini Program: its token is refused (48001) on the
	// Official Account's APIs, and an Official Account's on its own.
	MiniProgram bool
	// Templates are the template ids the account has added (公众号 template
	// messages, or a Mini Program's subscribe templates): WeChat answers
	// 40037 for any other id.
	Templates []string
	// Pages are a Mini Program's published pages ("pages/case/case"):
	// getwxacodeunlimit with check_path answers 41030 for any other page.
	Pages []string
}

// Config sets up a fake WeChat.
type Config struct {
	Apps []App
	Now  func() time.Time // nil = time.Now; tests pass a clock they control
}

// Fake answers WeChat's server API (https://api.weixin.qq.com) the way WeChat
// documents it, error codes included, and records what it was sent. It is a
// real http.Handler and safe for concurrent use. It is production code too:
// `mashang serve --sandbox` runs it in-process, so it must not depend on the
// testing packages.
type Fake struct {
	now  func() time.Time
	apps map[string]App // read-only after New, so it needs no lock

	// One lock for everything: the fake is not a hot path, and a single lock
	// makes every answer consistent with the state the test set up.
	mu sync.Mutex

	tokens   map[string]*accessToken // token value → its state, both kinds
	stableOf map[string]*accessToken // appid → its newest stable token
	forced   map[string][]time.Time  // appid → its force_refresh times

	followers map[string]bool   // appKey(appid, openid) → follows now
	known     map[string]bool   // appKey(appid, openid) → the app has seen this openid
	unionIDs  map[string]string // OA openid → unionid (both apps under one Open Platform account)

	mpVisits   map[string]time.Time // appid + openid → last code2session: content checks need a visit within 2 h
	riskyWords map[string]SecurityHit
	mediaJudge func([]byte) (SecurityHit, bool)
	mpPush     map[string]PushTarget // Mini Program appid → its message push
	mpPushes   []MPPush
	windows    map[string]*serviceWindow // appKey(appid, openid) → customer-service window
	grants     map[string]int            // subscribeKey(openid, template) → sends allowed

	media      map[string]storedMedia
	loginCodes map[string]*oneTimeCode
	oauthCodes map[string]*oneTimeCode
	oauthHost  map[string]string    // appid → 网页授权域名 (host[:port]); "" = any
	chooser    func() []BrowserUser // the sandbox's "who are you" on the authorize page; nil = WeChat's own browser only
	phoneCodes map[string]*oneTimeCode

	lastMsgID  int64
	clientMsgs map[string]sentTemplate // touser + client_msg_id → first send

	qrcodes    map[string]map[string]qrTicket // appid → permanent scene → ticket
	permUsed   map[string]int                 // appid → permanent codes created
	sceneByURL map[string]string
	qrExpiry   map[string]time.Time // a temporary code's URL → when it expires
	qrByTicket map[string]string    // ticket → the code's URL, for showqrcode
	menus      map[string][]byte    // appid → its custom menu as created
	lastMedia  int64

	calls     []*Call
	delivered []Delivery

	failNext   map[string][]int
	stalls     map[string][]time.Duration
	loseAnswer map[string]int // path → calls to act on and never answer
	randomFail map[string]randomFailure
	rng        *mathrand.Rand
}

// Call is one request the fake received, in the order they arrived.
type Call struct {
	Method, Path string
	Query        url.Values
	Body         []byte
	At           time.Time
	ErrCode      int // what it answered; 0 while a stalled call is still waiting

	// Duplicate marks a template send WeChat recognised by its client_msg_id
	// and did not deliver again, though it answered success.
	Duplicate bool
	// Abandoned marks a stalled call whose client gave up before the answer.
	Abandoned bool
	// AnswerLost marks a call WeChat acted on whose answer never reached the
	// client (LoseAnswerNext).
	AnswerLost bool
}

// Delivery is a message that actually reached a person.
type Delivery struct {
	Kind       string // DeliveryTemplate, DeliveryCustom or DeliverySubscribe
	OpenID     string
	TemplateID string            // template and subscribe messages
	Data       map[string]string // template and subscribe fields: key → value
	URL        string            // a template message's url
	Page       string            // the Mini Program page: template miniprogram.pagepath, subscribe page
	MsgType    string            // custom messages: text, image, …
	Text       string            // a custom text message's content
	MediaID    string            // a custom image, voice or video message's media
	MsgID      int64             // template messages: the msgid WeChat answered
	At         time.Time
}

// The kinds of Delivery.
const (
	DeliveryTemplate  = "template"
	DeliveryCustom    = "custom"
	DeliverySubscribe = "subscribe"
)

// apiErrmsgs holds WeChat's own wording for every errcode the fake answers,
// so injected failures read exactly like real ones.
var apiErrmsgs = map[int]string{
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40002: "invalid grant_type",
	40003: "invalid openid",
	40004: "invalid media type",
	40005: "invalid file type",
	40007: "invalid media_id",
	40008: "invalid message type",
	40013: "invalid appid",
	40016: "invalid button size",
	40017: "invalid button type",
	40023: "invalid sub button size",
	40029: "invalid code",
	40037: "invalid template_id",
	40053: "invalid action info",
	40125: "invalid appsecret",
	40163: "code been used",
	40169: "invalid length for scene, or the data is not json string",
	41001: "access_token missing",
	41005: "media data missing",
	41008: "missing code",
	41030: "invalid page",
	42001: "access_token expired",
	43002: "require POST method",
	43004: "require subscribe",
	43101: "user refuse to accept the msg",
	43104: "this appid does not have permission to this openid",
	44004: "empty content",
	45008: "article size out of limit",
	45009: "reach max api daily quota limit",
	45015: "response out of time limit or subscription is canceled",
	45047: "out of response count limit",
	46003: "menu no exist",
	47001: "data format error",
	47003: "argument invalid!",
	48001: "api unauthorized",
	61010: "user access expired",
}

func apiErrmsg(code int) string {
	if m, ok := apiErrmsgs[code]; ok {
		return m
	}
	return "injected error"
}

// apiRoute is one path of the API.
type apiRoute struct {
	post      bool    // WeChat answers a GET to a POST-only API with 43002
	needToken bool    // the access_token in the query must be valid
	kind      appKind // which kind of app's token may call it (48001 otherwise)
	handle    func(f *Fake, r *apiRequest) apiReply
}

type appKind int

const (
	anyApp appKind = iota
	officialAccount
	miniProgram
)

// apiRoutes is every path the fake answers; anything else gets 48001, as
// WeChat answers a cgi path an account may not call.
var apiRoutes = map[string]apiRoute{
	"/cgi-bin/token":                   {handle: (*Fake).issueToken},
	"/cgi-bin/stable_token":            {handle: (*Fake).issueStableToken}, // checks POST itself: WeChat answers 47001 there
	"/cgi-bin/message/template/send":   {post: true, needToken: true, kind: officialAccount, handle: (*Fake).sendTemplate},
	"/cgi-bin/message/custom/send":     {post: true, needToken: true, handle: (*Fake).sendCustom}, // both kinds have 客服消息
	"/cgi-bin/message/subscribe/send":  {post: true, needToken: true, kind: miniProgram, handle: (*Fake).sendSubscribe},
	"/cgi-bin/qrcode/create":           {post: true, needToken: true, kind: officialAccount, handle: (*Fake).createQRCode},
	"/cgi-bin/showqrcode":              {handle: (*Fake).showQRCode}, // mp.weixin.qq.com: the ticket is the key, no token
	"/cgi-bin/media/get":               {needToken: true, handle: (*Fake).getMedia},
	"/cgi-bin/media/upload":            {post: true, needToken: true, handle: (*Fake).uploadMedia},
	"/cgi-bin/menu/create":             {post: true, needToken: true, kind: officialAccount, handle: (*Fake).createMenu},
	"/cgi-bin/menu/get":                {needToken: true, kind: officialAccount, handle: (*Fake).getMenu},
	"/cgi-bin/menu/delete":             {needToken: true, kind: officialAccount, handle: (*Fake).deleteMenu},
	"/cgi-bin/user/info":               {needToken: true, kind: officialAccount, handle: (*Fake).userInfo},
	"/sns/jscode2session":              {handle: (*Fake).code2Session},
	"/sns/oauth2/access_token":         {handle: (*Fake).oauthAccessToken},
	"/wxa/getwxacodeunlimit":           {post: true, needToken: true, kind: miniProgram, handle: (*Fake).wxaCodeUnlimit},
	"/wxa/msg_sec_check":               {post: true, needToken: true, kind: miniProgram, handle: (*Fake).msgSecCheck},
	"/wxa/media_check_async":           {post: true, needToken: true, kind: miniProgram, handle: (*Fake).mediaCheckAsync},
	"/wxa/business/getuserphonenumber": {post: true, needToken: true, kind: miniProgram, handle: (*Fake).phoneNumber},
}

// videoRoute serves, under videoPath, the video_url that /cgi-bin/media/get
// answers for a video; on WeChat that is a CDN, not the API host.
var videoRoute = apiRoute{handle: (*Fake).getVideo}

// apiRequest is a call being answered; handlers run under f.mu.
type apiRequest struct {
	r     *http.Request
	query url.Values
	body  []byte
	appid string // the access token's app, for routes that need a token
	now   time.Time
	call  *Call
}

// apiReply is a handler's answer: an errcode, a JSON value or raw bytes.
type apiReply struct {
	errcode int
	errmsg  string // "" = apiErrmsg(errcode)
	json    any
	raw     *rawReply
}

type rawReply struct {
	status      int // 0 = 200
	contentType string
	header      map[string]string // set verbatim: WeChat's own header spelling
	data        []byte
}

func replyJSON(v any) apiReply     { return apiReply{json: v} }
func replyError(code int) apiReply { return apiReply{errcode: code} }

// replyInvalid is WeChat's 47003 naming the argument it refused.
func replyInvalid(what string) apiReply {
	return apiReply{errcode: 47003, errmsg: "argument invalid! " + what + " invalid"}
}

// replyOK is the {"errcode":0,"errmsg":"ok"} many APIs answer, plus extras.
func replyOK(extra map[string]any) apiReply {
	body := map[string]any{"errcode": 0, "errmsg": "ok"}
	for k, v := range extra {
		body[k] = v
	}
	return replyJSON(body)
}

// New makes a fake WeChat that knows the given apps.
func New(cfg Config) *Fake {
	f := &Fake{now: cfg.Now, apps: map[string]App{}}
	if f.now == nil {
		f.now = time.Now
	}
	for _, a := range cfg.Apps {
		f.apps[a.AppID] = a
	}
	f.tokens, f.stableOf, f.forced = map[string]*accessToken{}, map[string]*accessToken{}, map[string][]time.Time{}
	f.followers, f.known, f.windows, f.grants = map[string]bool{}, map[string]bool{}, map[string]*serviceWindow{}, map[string]int{}
	f.unionIDs = map[string]string{}
	f.mpVisits, f.mpPush = map[string]time.Time{}, map[string]PushTarget{}
	f.media, f.loginCodes, f.phoneCodes = map[string]storedMedia{}, map[string]*oneTimeCode{}, map[string]*oneTimeCode{}
	f.oauthCodes, f.oauthHost = map[string]*oneTimeCode{}, map[string]string{}
	f.clientMsgs = map[string]sentTemplate{}
	f.qrcodes, f.permUsed, f.sceneByURL = map[string]map[string]qrTicket{}, map[string]int{}, map[string]string{}
	f.qrExpiry, f.qrByTicket, f.menus = map[string]time.Time{}, map[string]string{}, map[string][]byte{}
	f.resetRecords()
	return f
}

// Start runs a fake on a free port of 127.0.0.1 and returns its base URL.
// Close or Shutdown the server to stop it.
func Start(cfg Config) (*Fake, *http.Server, string, error) {
	f := New(cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, "", fmt.Errorf("fake wechat: listen: %w", err)
	}
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return f, srv, "http://" + l.Addr().String(), nil
}

// maxBody bounds what one call may send: WeChat's JSON APIs take far less,
// and the sandbox should not be made to hold an unbounded body.
const maxBody = 4 << 20

// maxRecords bounds the calls and deliveries kept, so a sandbox running for
// days does not grow without end: when full, the older half is dropped (at
// once, so appending stays cheap).
const maxRecords = 100_000

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == AuthorizePath {
		f.authorize(w, r) // open.weixin.qq.com: a page for the browser, not the API
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))

	f.mu.Lock()
	call := &Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body, At: f.now()}
	f.calls = appendBounded(f.calls, call)
	stall := f.takeStall(r.URL.Path)
	f.mu.Unlock()

	if stall > 0 {
		t := time.NewTimer(stall)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			f.mu.Lock()
			call.Abandoned = true
			f.mu.Unlock()
			return
		}
	}

	f.mu.Lock()
	rep := f.answer(r, call)
	call.ErrCode = rep.errcode
	lose := f.loseAnswer[r.URL.Path] > 0
	if lose {
		f.loseAnswer[r.URL.Path]--
		call.AnswerLost = true
	}
	f.mu.Unlock()

	if lose {
		// Done at WeChat, but the answer is lost on the way: the client
		// times out and cannot know.
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		return
	}
	writeReply(w, rep)
}

// answer runs under f.mu: routing, injected failures, the token, the handler.
func (f *Fake) answer(r *http.Request, call *Call) apiReply {
	rt, ok := apiRoutes[r.URL.Path]
	if !ok && strings.HasPrefix(r.URL.Path, videoPath) {
		rt, ok = videoRoute, true
	}
	if !ok {
		return replyError(48001)
	}
	if code := f.takeInjected(r.URL.Path); code != 0 {
		return replyError(code)
	}
	if rt.post && r.Method != http.MethodPost {
		return replyError(43002)
	}
	// Judge by the time of answering, not of arrival: a stalled call may
	// find its token expired meanwhile, as it would at WeChat.
	req := &apiRequest{r: r, query: call.Query, body: call.Body, now: f.now(), call: call}
	if rt.needToken {
		appid, code := f.checkToken(call.Query.Get("access_token"), req.now)
		if code != 0 {
			return replyError(code)
		}
		req.appid = appid
		if rt.kind != anyApp && f.kindOf(appid) != rt.kind {
			return replyError(48001) // tokens are per app: an Official Account's is no Mini Program's
		}
	}
	return rt.handle(f, req)
}

func writeReply(w http.ResponseWriter, rep apiReply) {
	if rep.errcode == 0 && rep.raw != nil {
		for k, v := range rep.raw.header {
			w.Header()[k] = []string{v}
		}
		w.Header().Set("Content-Type", rep.raw.contentType)
		if rep.raw.status != 0 {
			w.WriteHeader(rep.raw.status)
		}
		_, _ = w.Write(rep.raw.data)
		return
	}
	body := rep.json
	if rep.errcode != 0 {
		msg := rep.errmsg
		if msg == "" {
			msg = apiErrmsg(rep.errcode)
		}
		body = map[string]any{"errcode": rep.errcode, "errmsg": msg}
	}
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	_, _ = w.Write(jsonBody(body))
}

// jsonBody is body as WeChat writes it: URLs with & as is, and no newline
// at the end (json.Encoder adds one; clients such as co-wechat-api that
// check the body's shape refuse it).
func jsonBody(body any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func (f *Fake) kindOf(appid string) appKind {
	if f.apps[appid].MiniProgram {
		return miniProgram
	}
	return officialAccount
}

// appKey keys what WeChat keeps per app and user: openids are per app.
func appKey(appid, openid string) string { return appid + "\x00" + openid }

// officialAccounts are the apps a convenience such as Follow acts for.
func (f *Fake) officialAccounts() []string {
	var out []string
	for id, a := range f.apps {
		if !a.MiniProgram {
			out = append(out, id)
		}
	}
	return out
}

func (f *Fake) hasTemplate(appid, id string) bool {
	return id != "" && slices.Contains(f.apps[appid].Templates, id)
}

// decodeJSON reads a POST body; WeChat answers 47001 to one it cannot parse.
func decodeJSON(r *apiRequest, v any) bool {
	return json.Unmarshal(r.body, v) == nil
}

func appendBounded[T any](s []T, v T) []T {
	if len(s) >= maxRecords {
		s = append(s[:0:0], s[len(s)/2:]...)
	}
	return append(s, v)
}

// randomString is n characters of [A-Za-z0-9_-], like WeChat's tokens and codes.
func randomString(n int) string {
	b := make([]byte, (n*6+7)/8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
