package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"mashang/metrics"
)

const requestIDKey = "request_id"

// DefaultQueryTimeout is how long a console page, an export or a public
// page may take: well below the HTTP server's 30 s write timeout.
const DefaultQueryTimeout = 20 * time.Second

// deadline gives the request's context a deadline, so that every query it
// makes stops then and the request is answered (overran) rather than
// running on after the server has dropped the connection.
func deadline(d time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), d)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

// requestID tags each request with an id, taken from X-Request-Id when a
// proxy set one, so log lines of one request can be found together.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-Id")
		if id == "" || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(requestIDKey, id)
		c.Header("X-Request-Id", id)
		c.Next()
	}
}

// recoverer turns a panic into a 500 and a log line with the stack; a
// panic is a bug, never an expected failure.
func recoverer(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic serving request", "path", c.FullPath(), "panic", p, "stack", string(debug.Stack()),
					requestIDKey, c.GetString(requestIDKey))
				c.AbortWithStatus(http.StatusInternalServerError)
			}
		}()
		c.Next()
	}
}

// Keys a push handler sets for pushMetrics: what the push was and what
// became of it.
const (
	pushTypeKey    = "push_type"
	pushOutcomeKey = "push_outcome"
)

// pushMetrics times a WeChat push from arrival to answer and counts it by
// type and outcome.
func pushMetrics(m *metrics.Metrics, endpoint string) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		outcome := c.GetString(pushOutcomeKey)
		if outcome == "" {
			outcome = "status_" + strconv.Itoa(c.Writer.Status())
		}
		m.Callback(endpoint, c.GetString(pushTypeKey), outcome, time.Since(start))
	}
}

// observe counts and times every request by route, and logs it: at debug
// level when it went well, as a warning when the server failed.
func observe(m *metrics.Metrics, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		took, status := time.Since(start), c.Writer.Status()
		m.HTTP(c.Request.Method, c.FullPath(), status, took)
		level := slog.LevelDebug
		if status >= 500 {
			level = slog.LevelWarn
		}
		if log.Enabled(c.Request.Context(), level) {
			log.Log(c.Request.Context(), level, "request", "method", c.Request.Method, "route", c.FullPath(),
				"status", status, "took", took, "remote", c.ClientIP(), requestIDKey, c.GetString(requestIDKey))
		}
	}
}

// metricsAllowed lets only the listed networks read /metrics: it tells how
// busy the service is and which WeChat errors it meets, nothing a citizen
// needs. Behind a trusted proxy the client is the forwarded address.
func metricsAllowed(nets []*net.IPNet) gin.HandlerFunc {
	return func(c *gin.Context) {
		ip := net.ParseIP(c.ClientIP())
		for _, n := range nets {
			if ip != nil && n.Contains(ip) {
				c.Next()
				return
			}
		}
		c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"code": "forbidden",
			"message": "metrics are readable only from MASHANG_METRICS_ALLOW (default: this host)"})
	}
}
