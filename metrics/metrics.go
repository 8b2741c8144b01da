// Package metrics is what the people on call read at /metrics: callbacks
// by type and outcome, HTTP by route, the outbox's depth, age and WeChat's
// error codes, WeChat's API calls and token refreshes. It adapts the
// Prometheus client to the rest of the service, which sees only plain
// methods on *Metrics.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Latency buckets around WeChat's 5-second answer limit: most callbacks take
// a few milliseconds, and what nears 5 s is what matters.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 4, 5, 10}

// OutboxReader tells the outbox's state when Prometheus scrapes.
type OutboxReader func(ctx context.Context, now time.Time) (OutboxStats, error)

// OutboxStats is the outbox at one moment.
type OutboxStats struct {
	Pending, Failed int
	OldestPending   time.Duration // 0 when nothing is pending
}

// Metrics holds every series the service exports. A nil *Metrics records
// nothing, so tests and tools need not build one.
type Metrics struct {
	registry        *prometheus.Registry
	callbacks       *prometheus.CounterVec
	callbackSeconds *prometheus.HistogramVec
	httpRequests    *prometheus.CounterVec
	httpSeconds     *prometheus.HistogramVec
	outboxSends     *prometheus.CounterVec
	wechatCalls     *prometheus.CounterVec
	tokenFetches    *prometheus.CounterVec
	tokenRetries    *prometheus.CounterVec
}

// New registers the series; outbox (may be nil) is read at each scrape.
func New(outbox OutboxReader, log *slog.Logger) *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	m.callbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mashang_callbacks_total",
		Help: "WeChat pushes by endpoint (oa, mp), message type and outcome (stored, repeat, refused_*, store_failed, reply_failed).",
	}, []string{"endpoint", "type", "outcome"})
	m.callbackSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "mashang_callback_duration_seconds",
		Help:    "Time from a push's arrival to its answer, by endpoint and outcome. WeChat gives up at 5 s.",
		Buckets: latencyBuckets,
	}, []string{"endpoint", "outcome"})
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mashang_http_requests_total",
		Help: "HTTP requests by method, route (the router's pattern, not the path) and status code.",
	}, []string{"method", "route", "code"})
	m.httpSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "mashang_http_request_duration_seconds",
		Help:    "HTTP request latency by method and route.",
		Buckets: latencyBuckets,
	}, []string{"method", "route"})
	m.outboxSends = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mashang_outbox_sends_total",
		Help: "Notification send attempts by kind, outcome (sent, retry, failed) and WeChat's errcode (0: none; -2: no answer).",
	}, []string{"kind", "outcome", "errcode"})
	m.wechatCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mashang_wechat_api_calls_total",
		Help: "Calls to WeChat's API by path and HTTP status (error: no answer).",
	}, []string{"path", "status"})
	m.tokenFetches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mashang_wechat_token_refreshes_total",
		Help: "access_token fetches from WeChat by API (stable_token, token).",
	}, []string{"api"})
	m.tokenRetries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mashang_wechat_token_invalidations_total",
		Help: "Calls WeChat answered 40001, 40014 or 42001: the cached token was dropped and the call retried once.",
	}, []string{"errcode"})
	m.registry.MustRegister(m.callbacks, m.callbackSeconds, m.httpRequests, m.httpSeconds,
		m.outboxSends, m.wechatCalls, m.tokenFetches, m.tokenRetries)
	if outbox != nil {
		m.registry.MustRegister(&outboxCollector{reader: outbox, log: log})
	}
	return m
}

// Register adds collectors of the process (the Go runtime's, the
// process's), which the binary chooses: their package also brings
// database/sql, which the handlers that use this one must not depend on.
func (m *Metrics) Register(cs ...prometheus.Collector) {
	m.registry.MustRegister(cs...)
}

// Handler serves the exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Callback records one push and how long its answer took.
func (m *Metrics) Callback(endpoint, msgType, outcome string, took time.Duration) {
	if m == nil {
		return
	}
	if msgType == "" {
		msgType = "unknown"
	}
	m.callbacks.WithLabelValues(endpoint, msgType, outcome).Inc()
	m.callbackSeconds.WithLabelValues(endpoint, outcome).Observe(took.Seconds())
}

// HTTP records one request; route is the router's pattern ("" when no
// route matched, recorded as "unmatched" so scanners cannot mint series).
func (m *Metrics) HTTP(method, route string, status int, took time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.httpRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.httpSeconds.WithLabelValues(method, route).Observe(took.Seconds())
}

// OutboxSend records one send attempt.
func (m *Metrics) OutboxSend(kind, outcome string, errcode int) {
	if m == nil {
		return
	}
	m.outboxSends.WithLabelValues(kind, outcome, strconv.Itoa(errcode)).Inc()
}

// WeChatCall records one call to WeChat's API; status 0 means no answer.
func (m *Metrics) WeChatCall(path string, status int) {
	if m == nil {
		return
	}
	s := "error"
	if status != 0 {
		s = strconv.Itoa(status)
	}
	m.wechatCalls.WithLabelValues(path, s).Inc()
	switch path {
	case "/cgi-bin/stable_token":
		m.tokenFetches.WithLabelValues("stable_token").Inc()
	case "/cgi-bin/token":
		m.tokenFetches.WithLabelValues("token").Inc()
	}
}

// TokenInvalidated records a call answered with a dead token.
func (m *Metrics) TokenInvalidated(errcode int) {
	if m == nil {
		return
	}
	m.tokenRetries.WithLabelValues(strconv.Itoa(errcode)).Inc()
}

// outboxCollector reads the outbox when Prometheus scrapes, so the depth
// is the database's, whichever instance queued or sent.
type outboxCollector struct {
	reader OutboxReader
	log    *slog.Logger
}

var (
	outboxPendingDesc = prometheus.NewDesc("mashang_outbox_pending", "Notifications waiting to be sent (all instances).", nil, nil)
	outboxFailedDesc  = prometheus.NewDesc("mashang_outbox_failed", "Notifications WeChat refused for good (all instances).", nil, nil)
	outboxAgeDesc     = prometheus.NewDesc("mashang_outbox_oldest_pending_seconds", "Age of the oldest notification waiting (0: none).", nil, nil)
	outboxUpDesc      = prometheus.NewDesc("mashang_outbox_stats_up", "1 when the outbox could be read at this scrape.", nil, nil)
)

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxPendingDesc
	ch <- outboxFailedDesc
	ch <- outboxAgeDesc
	ch <- outboxUpDesc
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := c.reader(ctx, time.Now())
	if err != nil {
		if c.log != nil {
			c.log.Warn("metrics: outbox not read", "err", err)
		}
		ch <- prometheus.MustNewConstMetric(outboxUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(outboxUpDesc, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(outboxPendingDesc, prometheus.GaugeValue, float64(s.Pending))
	ch <- prometheus.MustNewConstMetric(outboxFailedDesc, prometheus.GaugeValue, float64(s.Failed))
	ch <- prometheus.MustNewConstMetric(outboxAgeDesc, prometheus.GaugeValue, s.OldestPending.Seconds())
}
