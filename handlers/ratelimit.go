package handlers

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
)

// RateLimit is how many Mini Program requests one citizen may make: a
// steady rate per second and a burst on top. Zero disables the limit.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// SharedLimits keep the limits every instance counts together, so that N
// instances behind nginx allow a citizen, or an account, what one would:
// the database (*store.DB), Redis (limits.Redis) or, for the one instance
// of an SQLite deployment, memory (limits.Memory).
type SharedLimits interface {
	// Throttle takes one from key's bucket (burst at once, one more each
	// interval): 0, or how long to wait.
	Throttle(ctx context.Context, key string, interval time.Duration, burst int, now time.Time) (time.Duration, error)
	// Count counts one in key's window of the given length, at most limit:
	// 0, or how long until the window ends.
	Count(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (time.Duration, error)
	// Hold takes key for ttl unless another holds it; Release frees it.
	Hold(ctx context.Context, key string, ttl time.Duration, now time.Time) (bool, error)
	Release(ctx context.Context, key string) error
}

// limitCitizens answers 429 with Retry-After to a citizen over their rate:
// by their openid once signed in, by their address before.
func limitCitizens(limits SharedLimits, l RateLimit, log *slog.Logger) gin.HandlerFunc {
	interval := time.Duration(float64(time.Second) / l.PerSecond)
	return func(c *gin.Context) {
		key := "rate:ip:" + c.ClientIP()
		if s, ok := c.Get(sessionKey); ok {
			key = "rate:openid:" + s.(mashang.MPSession).OpenID
		}
		wait, err := limits.Throttle(c.Request.Context(), key, interval, l.Burst, time.Now())
		if err != nil {
			// The limit's store failing is no reason to turn citizens
			// away: let the request through, and say so.
			log.Error("citizens' rate limit unavailable; request let through", "err", err)
			c.Next()
			return
		}
		if wait > 0 {
			seconds := int(math.Ceil(wait.Seconds()))
			c.Header("Retry-After", strconv.Itoa(seconds))
			failJSON(c, log, mashang.Errorf(eRateLimited, "操作太频繁，请%d秒后再试", seconds))
			return
		}
		c.Next()
	}
}
