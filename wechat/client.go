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
}

// Clients are the SDK's Official Account and (when configured) Mini Program.
type Clients struct {
	OA      *officialaccount.OfficialAccount
	MP      *miniprogram.MiniProgram
	mpAppID string
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
	util.DefaultHTTPClient = NewHTTPClient(base, cfg.Timeout)

	oa := officialaccount.NewOfficialAccount(&oaConfig.Config{
		AppID:     cfg.AppID,
		AppSecret: cfg.Secret,
		Cache:     cache.NewMemory(),
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
	clients := &Clients{OA: oa}
	if cfg.MPAppID != "" {
		clients.MP = miniprogram.NewMiniProgram(&mpConfig.Config{
			AppID:       cfg.MPAppID,
			AppSecret:   cfg.MPSecret,
			Cache:       cache.NewMemory(),
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
