package limits

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis keeps the limits in Redis (MASHANG_REDIS_URL), under keys that
// start with a prefix of their own. Each step is one script or one command,
// atomic in Redis, so every instance counts against the same figure. Keys
// expire when they limit nothing any more: Redis may keep nothing on disk.
type Redis struct {
	client *redis.Client
	prefix string
}

// OpenRedis connects to the Redis at url (redis://[:password@]host:port/db)
// and checks that it answers. prefix leads every key (e.g. "mashang:").
func OpenRedis(ctx context.Context, url, prefix string) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("read the Redis URL: %w", err)
	}
	if opt.DialTimeout == 0 {
		opt.DialTimeout = 2 * time.Second
	}
	client := redis.NewClient(opt)
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("cannot reach Redis at %s: %w", opt.Addr, err)
	}
	return &Redis{client: client, prefix: prefix}, nil
}

// Close closes the connections.
func (r *Redis) Close() error { return r.client.Close() }

// Ping checks that Redis answers.
func (r *Redis) Ping(ctx context.Context) error { return r.client.Ping(ctx).Err() }

// throttle is GCRA in Redis: KEYS[1] holds the time (ms) the bucket is full
// again; ARGV: now, interval, tau (ms). It answers the wait in ms (0: let
// through).
var throttle = redis.NewScript(`
local now, interval, tau = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if tat - now > tau then return tat - now - tau end
redis.call('SET', KEYS[1], tat + interval, 'PX', tat + interval - now)
return 0`)

// Throttle takes one request from key's bucket: 0, or how long to wait.
func (r *Redis) Throttle(ctx context.Context, key string, interval time.Duration, burst int, now time.Time) (time.Duration, error) {
	wait, err := throttle.Run(ctx, r.client, []string{r.prefix + key},
		now.UnixMilli(), interval.Milliseconds(), interval.Milliseconds()*int64(burst-1)).Int64()
	if err != nil {
		return 0, fmt.Errorf("redis: throttle: %w", err)
	}
	return time.Duration(wait) * time.Millisecond, nil
}

// count counts one in KEYS[1] (the key of one window) unless ARGV[1] are
// counted already; ARGV[2] is the window's rest (ms), after which it goes.
var count = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], n + 1, 'PX', ARGV[2])
return 1`)

// Count counts one in key's window: 0, or how long until the window ends.
func (r *Redis) Count(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (time.Duration, error) {
	start := now.Truncate(window)
	rest := start.Add(window).Sub(now)
	ok, err := count.Run(ctx, r.client, []string{fmt.Sprintf("%s%s:%d", r.prefix, key, start.UnixMilli())},
		limit, max(rest.Milliseconds(), 1)).Int()
	if err != nil {
		return 0, fmt.Errorf("redis: count: %w", err)
	}
	if ok == 1 {
		return 0, nil
	}
	return rest, nil
}

// Hold takes key for ttl unless someone holds it.
func (r *Redis) Hold(ctx context.Context, key string, ttl time.Duration, _ time.Time) (bool, error) {
	ok, err := r.client.SetNX(ctx, r.prefix+key, 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("redis: hold: %w", err)
	}
	return ok, nil
}

// Release frees what Hold took.
func (r *Redis) Release(ctx context.Context, key string) error {
	if err := r.client.Del(ctx, r.prefix+key).Err(); err != nil {
		return fmt.Errorf("redis: release: %w", err)
	}
	return nil
}
