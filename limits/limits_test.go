package limits_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"mashang/limits"
	"mashang/store/storetest"
)

// kept is what each place that keeps the limits does.
type kept interface {
	Throttle(ctx context.Context, key string, interval time.Duration, burst int, now time.Time) (time.Duration, error)
	Count(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (time.Duration, error)
	Hold(ctx context.Context, key string, ttl time.Duration, now time.Time) (bool, error)
	Release(ctx context.Context, key string) error
}

// The same steps give the same answers in memory, in Redis and in each
// database.
func TestEveryPlaceKeepsTheSameLimits(t *testing.T) {
	places := map[string]func(t *testing.T) kept{
		"memory": func(*testing.T) kept { return limits.NewMemory() },
		"redis": func(t *testing.T) kept {
			url := os.Getenv("MASHANG_TEST_REDIS_URL")
			if url == "" {
				url = "redis://127.0.0.1:6379/0"
			}
			var b [6]byte
			_, _ = rand.Read(b[:])
			r, err := limits.OpenRedis(context.Background(), url, "mashang-test-"+hex.EncodeToString(b[:])+":")
			if err != nil {
				if os.Getenv("MASHANG_TEST_REQUIRE_MYSQL") != "" {
					t.Fatal(err)
				}
				t.Skip(err)
			}
			t.Cleanup(func() { r.Close() }) // every key it made expires within the test's windows
			return r
		},
	}
	for _, driver := range storetest.Drivers(t) {
		places[driver] = func(t *testing.T) kept { return storetest.Open(t, driver) }
	}
	ctx := context.Background()
	for name, open := range places {
		t.Run(name, func(t *testing.T) {
			l := open(t)
			now := time.UnixMilli(time.Now().UnixMilli())
			// A bucket of 3, one more every 10 s.
			for i := range 3 {
				if wait, err := l.Throttle(ctx, "t", 10*time.Second, 3, now); err != nil || wait != 0 {
					t.Fatalf("request %d: wait %s, %v", i+1, wait, err)
				}
			}
			if wait, err := l.Throttle(ctx, "t", 10*time.Second, 3, now); err != nil || wait != 10*time.Second {
				t.Fatalf("the fourth at once: wait %s, %v; want 10s", wait, err)
			}
			if wait, err := l.Throttle(ctx, "t", 10*time.Second, 3, now.Add(10*time.Second)); err != nil || wait != 0 {
				t.Fatalf("10 s later: wait %s, %v", wait, err)
			}
			// Two a minute, the window from the minute's start.
			start := now.Truncate(time.Minute)
			for i := range 2 {
				if wait, err := l.Count(ctx, "c", 2, time.Minute, start.Add(time.Second)); err != nil || wait != 0 {
					t.Fatalf("count %d: wait %s, %v", i+1, wait, err)
				}
			}
			if wait, err := l.Count(ctx, "c", 2, time.Minute, start.Add(20*time.Second)); err != nil || wait != 40*time.Second {
				t.Fatalf("a third in the minute: wait %s, %v; want 40s", wait, err)
			}
			if wait, err := l.Count(ctx, "c", 2, time.Minute, start.Add(time.Minute)); err != nil || wait != 0 {
				t.Fatalf("the next minute: wait %s, %v", wait, err)
			}
			// One holder at a time; released, or after its ttl, another.
			if ok, err := l.Hold(ctx, "h", time.Minute, now); err != nil || !ok {
				t.Fatalf("hold: %v %v", ok, err)
			}
			if ok, err := l.Hold(ctx, "h", time.Minute, now); err != nil || ok {
				t.Fatalf("held twice: %v %v", ok, err)
			}
			if err := l.Release(ctx, "h"); err != nil {
				t.Fatal(err)
			}
			if ok, err := l.Hold(ctx, "h", time.Minute, now); err != nil || !ok {
				t.Fatalf("hold after release: %v %v", ok, err)
			}
		})
	}
}

// What a Mini Program request pays for its citizen's rate limit, by where
// the limit is kept: memory (one instance, the peer), Redis, SQLite and
// MySQL (one conditional UPDATE). Keys spread over 1,000 citizens.
func BenchmarkThrottle(b *testing.B) {
	places := map[string]func(b *testing.B) kept{
		"memory": func(*testing.B) kept { return limits.NewMemory() },
		"redis": func(b *testing.B) kept {
			var r [6]byte
			_, _ = rand.Read(r[:])
			l, err := limits.OpenRedis(context.Background(), "redis://127.0.0.1:6379/0", "mashang-bench-"+hex.EncodeToString(r[:])+":")
			if err != nil {
				b.Skip(err)
			}
			b.Cleanup(func() { l.Close() })
			return l
		},
	}
	for _, driver := range storetest.Drivers(b) {
		places[driver] = func(b *testing.B) kept { return storetest.Open(b, driver) }
	}
	ctx := context.Background()
	for _, name := range []string{"memory", "redis", "sqlite", "mysql"} {
		open, ok := places[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			l := open(b)
			keys := make([]string, 1000)
			for i := range keys {
				keys[i] = "rate:openid:o" + hex.EncodeToString([]byte{byte(i >> 8), byte(i)})
			}
			b.ResetTimer()
			i := 0
			for b.Loop() {
				if _, err := l.Throttle(ctx, keys[i%len(keys)], 500*time.Millisecond, 30, time.Now()); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
