package wechat

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/miniprogram"
	mpConfig "github.com/silenceper/wechat/v2/miniprogram/config"
	"github.com/silenceper/wechat/v2/officialaccount"
	oaConfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/util"
	"github.com/sirupsen/logrus"
)

// ClientConfig says how to reach WeChat's API.
type ClientConfig struct {
	// APIBase stands for https://api.weixin.qq.com: the fake in tests and the
	// sandbox, or an egress proxy in a government network.
	APIBase  string
	Timeout  time.Duration // per call; 0 = 10 s
	AppID    string        // Official Account
	Secret   string
	MPAppID  string // Mini Program, optional
	MPSecret string
	// Observe, when set, hears of every call to WeChat's API: its path and
	// HTTP status (0: no answer). DeadToken hears of each call answered with
	// a dead access token (40001, 40014, 42001), retried once.
	Observe   func(path string, status int)
	DeadToken func(errcode int)
}

// Clients are the SDK's Official Account and (when configured) Mini Program.
type Clients struct {
	OA      *officialaccount.OfficialAccount
	MP      *miniprogram.MiniProgram
	mpAppID string

	// The SDK keeps each app's token in a cache of ours under these keys,
	// so that a token WeChat calls dead can be dropped.
	oaTokens, mpTokens cache.Cache
	oaKey, mpKey       string
	deadToken          func(errcode int)
}

var installOnce sync.Mutex

// NewClients installs the one HTTP client the SDK uses and builds its
// clients. The SDK keeps its HTTP client in a package global with no timeout
// (util.DefaultHTTPClient = http.DefaultClient) and rewrites hosts only in
// some calls (not wxacode), so the rewrite lives in our RoundTripper and is
// installed here, in one place. Its root package's init() turns logrus to
// Debug and logs raw citizen XML; we never import it, and quiet logrus too.
func NewClients(cfg ClientConfig) (*Clients, error) {
	base, err := url.Parse(cfg.APIBase)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("API base %q is not a URL", cfg.APIBase)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	installOnce.Lock()
	defer installOnce.Unlock()
	logrus.SetLevel(logrus.ErrorLevel)
	logrus.SetOutput(io.Discard)
	client := NewHTTPClient(base, cfg.Timeout)
	if cfg.Observe != nil {
		client.Transport = observed{next: client.Transport, observe: cfg.Observe}
	}
	util.DefaultHTTPClient = client

	oaTokens := cache.NewMemory()
	oa := officialaccount.NewOfficialAccount(&oaConfig.Config{
		AppID:     cfg.AppID,
		AppSecret: cfg.Secret,
		Cache:     oaTokens,
		// The stable token never invalidates another instance's token.
		UseStableAK: true,
	})
	// The SDK's getters initialise lazily without a lock; touch them now,
	// before any request can race on them.
	oa.GetTemplate()
	oa.GetCustomerMessageManager()
	oa.GetBasic()
	oa.GetUser()
	oa.GetSubscribe()
	oa.GetMaterial()
	clients := &Clients{OA: oa, oaTokens: oaTokens, deadToken: cfg.DeadToken,
		oaKey: stableTokenKey(credential.CacheKeyOfficialAccountPrefix, cfg.AppID)}
	if cfg.MPAppID != "" {
		clients.mpTokens = cache.NewMemory()
		clients.mpKey = stableTokenKey(credential.CacheKeyMiniProgramPrefix, cfg.MPAppID)
		clients.MP = miniprogram.NewMiniProgram(&mpConfig.Config{
			AppID:       cfg.MPAppID,
			AppSecret:   cfg.MPSecret,
			Cache:       clients.mpTokens,
			UseStableAK: true,
		})
		clients.MP.GetAuth() // initialised now, not lazily under concurrent requests
		clients.MP.GetQRCode()
		clients.MP.GetBusiness()
		clients.mpAppID = cfg.MPAppID
	}
	return clients, nil
}

// NewHTTPClient returns a client with timeouts whose requests for WeChat's
// API hosts go to base instead.
func NewHTTPClient(base *url.URL, timeout time.Duration) *http.Client {
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{Timeout: timeout, Transport: rewriteHost{base: base, next: transport}}
}

type rewriteHost struct {
	base *url.URL
	next http.RoundTripper
}

func (rt rewriteHost) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == "api.weixin.qq.com" && (rt.base.Host != req.URL.Host || rt.base.Scheme != req.URL.Scheme) {
		req = req.Clone(req.Context())
		req.URL.Scheme = rt.base.Scheme
		req.URL.Host = rt.base.Host
		req.Host = rt.base.Host
	}
	return rt.next.RoundTrip(req)
}

var (
	errcodePattern = regexp.MustCompile(`errcode=(-?\d+)`)
	secretPattern  = regexp.MustCompile(`((?:secret|access_token|js_code|appsecret)=)[^&\s"]+`)
)

// ErrCode reads WeChat's errcode from an SDK error: some calls return
// *util.CommonError, others a plain string with "errcode=N". 0 if none.
func ErrCode(err error) int {
	if err == nil {
		return 0
	}
	var common *util.CommonError
	if errors.As(err, &common) {
		return int(common.ErrCode)
	}
	if m := errcodePattern.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// Redact returns an SDK error's text with the AppSecret, access token and
// login codes it may carry (in URLs) masked, fit for a log.
func Redact(err error) string {
	if err == nil {
		return ""
	}
	return secretPattern.ReplaceAllString(err.Error(), "${1}****")
}

// stableTokenKey is where the SDK's stable-token handle caches an app's
// token (credential.StableAccessToken.GetAccessTokenContext).
func stableTokenKey(prefix, appID string) string {
	return fmt.Sprintf("%s_stable_access_token_%s", prefix, appID)
}

// deadTokenCodes mean the cached access token is no longer WeChat's: it was
// replaced elsewhere (40001), is not valid (40014) or expired early (42001).
var deadTokenCodes = map[int]bool{40001: true, 40014: true, 42001: true}

type app int

const (
	officialAccount app = iota
	miniProgram
)

// withToken makes a call that uses an access token. When WeChat answers
// that the token is dead, the cached one is dropped, a fresh one fetched
// (stable_token in normal mode, which gives every instance the same token
// and never invalidates another's) and the call made once more; never a
// loop, never a forced refresh. A call that failed for a dead token did
// nothing at WeChat, so repeating it is safe.
func (c *Clients) withToken(a app, call func() error) error {
	err := call()
	code := ErrCode(err)
	if !deadTokenCodes[code] {
		return err
	}
	tokens, key := c.oaTokens, c.oaKey
	if a == miniProgram {
		tokens, key = c.mpTokens, c.mpKey
	}
	if tokens != nil {
		_ = tokens.Delete(key)
	}
	if c.deadToken != nil {
		c.deadToken(code)
	}
	return call()
}

// observed tells of each call to WeChat's API.
type observed struct {
	next    http.RoundTripper
	observe func(path string, status int)
}

func (o observed) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := o.next.RoundTrip(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	path := req.URL.Path
	if req.URL.Host != "api.weixin.qq.com" {
		path = "other" // a video's download link: any path, not a label
	}
	o.observe(path, status)
	return resp, err
}
