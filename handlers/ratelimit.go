package handlers

import (
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"mashang"
)

// RateLimit is how many Mini Program requests one citizen may make: a
// steady rate per second and a burst on top. Zero disables the limit.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// citizenLimiter keeps a token bucket per citizen (their openid once signed
// in, their address before). Buckets idle long enough to be full again are
// dropped, so the map holds the citizens active in the last minutes, not
// every citizen ever seen. Per instance: behind N instances a citizen gets
// up to N times the rate, which is still a limit.
type citizenLimiter struct {
	limit RateLimit
	mu    sync.Mutex
	seen  map[string]*bucket
	swept time.Time
}

type bucket struct {
	limiter *rate.Limiter
	last    time.Time
}

func newCitizenLimiter(l RateLimit) *citizenLimiter {
	return &citizenLimiter{limit: l, seen: map[string]*bucket{}}
}

// allow takes one request from key's bucket, or says how long to wait.
func (cl *citizenLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	refill := time.Duration(float64(cl.limit.Burst) / cl.limit.PerSecond * float64(time.Second))
	if now.Sub(cl.swept) > refill {
		for k, b := range cl.seen {
			if now.Sub(b.last) > refill {
				delete(cl.seen, k)
			}
		}
		cl.swept = now
	}
	b, ok := cl.seen[key]
	if !ok {
		b = &bucket{limiter: rate.NewLimiter(rate.Limit(cl.limit.PerSecond), cl.limit.Burst)}
		cl.seen[key] = b
	}
	b.last = now
	r := b.limiter.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now) // a refused request takes nothing
		return false, delay
	}
	return true, 0
}

// limitCitizens answers 429 with Retry-After to a citizen over their rate.
func limitCitizens(cl *citizenLimiter, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		key := "ip:" + c.ClientIP()
		if s, ok := c.Get(sessionKey); ok {
			key = "openid:" + s.(mashang.MPSession).OpenID
		}
		ok, wait := cl.allow(key, time.Now())
		if !ok {
			seconds := int(math.Ceil(wait.Seconds()))
			c.Header("Retry-After", strconv.Itoa(seconds))
			failJSON(c, log, mashang.Errorf(eRateLimited, "操作太频繁，请%d秒后再试", seconds))
			return
		}
		c.Next()
	}
}
