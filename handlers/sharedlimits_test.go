package handlers_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"mashang"
	"mashang/configs"
	"mashang/handlers"
	"mashang/store"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// testRedis is the Redis this machine runs (MASHANG_TEST_REDIS_URL, else
// 127.0.0.1:6379 database 0), where each test keeps its keys under a
// prefix of its own, removed afterwards; nothing else is touched.
func testRedis(t *testing.T) (url, prefix string) {
	t.Helper()
	url = os.Getenv("MASHANG_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opt)
	if err := client.Ping(context.Background()).Err(); err != nil {
		client.Close()
		if os.Getenv("MASHANG_TEST_REQUIRE_MYSQL") != "" {
			t.Fatalf("Redis at %s: %v", opt.Addr, err)
		}
		t.Skipf("needs Redis at %s: %v", opt.Addr, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix = "mashang-test-" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		defer client.Close()
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
	})
	return url, prefix
}

// Two instances on one database: a citizen's rate and an account's exports
// are counted once for both, whether kept in the database or in Redis.
// Kept per instance, each would allow as much again.
func TestLimitsHoldAcrossInstances(t *testing.T) {
	if os.Getenv("MASHANG_TEST_MYSQL_DSN") == "" {
		if os.Getenv("MASHANG_TEST_REQUIRE_MYSQL") != "" {
			t.Fatal("MASHANG_TEST_MYSQL_DSN is required")
		}
		t.Skip("needs MySQL: set MASHANG_TEST_MYSQL_DSN")
	}
	for _, where := range []string{"database", "redis"} {
		t.Run(where, func(t *testing.T) {
			dsn := storetest.DSN(t, store.DriverMySQL)
			var redisURL, prefix string
			if where == "redis" {
				redisURL, prefix = testRedis(t)
			}
			opts := options{citizenLimit: handlers.RateLimit{PerSecond: 0.001, Burst: 4}, configure: func(cfg *configs.Config) {
				cfg.DB.DSN, cfg.RedisURL, cfg.RedisPrefix = dsn, redisURL, prefix
			}}
			one := newEnv(t, store.DriverMySQL, wechattest.ModeSafe, opts)
			// A citizen signed in (at the first) asks both in turn: four in
			// all, not four at each.
			token := one.login(t, "oSharedLimit0000000000001")
			two := newEnv(t, store.DriverMySQL, wechattest.ModeSafe, opts)
			instances := []*env{one, two}
			for i := range 4 {
				if status, out := instances[i%2].mp(t, "GET", "/mp/me", token, ""); status != http.StatusOK {
					t.Fatalf("request %d of the citizen: %d %v", i+1, status, out)
				}
			}
			for i, in := range instances {
				if status, out := in.mp(t, "GET", "/mp/me", token, ""); status != http.StatusTooManyRequests {
					t.Fatalf("past the burst at instance %d: %d %v, want 429", i+1, status, out)
				}
			}

			// An account exports at both in turn: six a minute in all. A
			// minute about to turn would start the count again mid-way.
			if s := time.Now().Second(); s > 50 {
				time.Sleep(time.Duration(61-s) * time.Second)
			}
			one.addStaff(t, mashang.StaffUser{Username: "exporter", Name: "导出员", Role: mashang.RoleAdmin}, "", "")
			var browsers []*staffBrowser
			for _, in := range instances {
				b := in.browser(t)
				if status := b.login("exporter", staffPassword); status != http.StatusSeeOther {
					t.Fatalf("login: %d", status)
				}
				browsers = append(browsers, b)
			}
			const problems = "/console/problems.xlsx?department=%E5%B8%82%E5%8D%97%E5%8C%BA%E5%9F%8E%E5%B8%82%E7%AE%A1%E7%90%86%E5%B1%80"
			for i := range 6 {
				if resp, body := browsers[i%2].fetch(problems); resp.StatusCode != http.StatusOK {
					t.Fatalf("export %d: %d %s", i+1, resp.StatusCode, body)
				}
			}
			for i, b := range browsers {
				if resp, _ := b.fetch(problems); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
					t.Fatalf("a seventh export at instance %d: %d, want 429 with Retry-After", i+1, resp.StatusCode)
				}
			}
		})
	}
}

// The per-deputy notice limit (issue 10) holds across instances: sixteen
// citizens' cases reach a deputy through two instances at once, and the
// deputy is told of two of them one by one, of the rest in a summary.
func TestDeputyNoticeLimitHoldsAcrossInstances(t *testing.T) {
	if os.Getenv("MASHANG_TEST_MYSQL_DSN") == "" {
		if os.Getenv("MASHANG_TEST_REQUIRE_MYSQL") != "" {
			t.Fatal("MASHANG_TEST_MYSQL_DSN is required")
		}
		t.Skip("needs MySQL: set MASHANG_TEST_MYSQL_DSN")
	}
	dsn := storetest.DSN(t, store.DriverMySQL)
	opts := options{configure: func(cfg *configs.Config) { cfg.DB.DSN, cfg.Notify.DeputyPerMinute = dsn, 2 }}
	one := newEnv(t, store.DriverMySQL, wechattest.ModeSafe, opts)
	two := newEnv(t, store.DriverMySQL, wechattest.ModeSafe, opts)
	ctx := context.Background()
	now := time.Now()
	bind, err := (&mashang.Binding{Store: one.db}).NewCode(ctx, "demo-d02")
	if err != nil {
		t.Fatal(err)
	}
	one.say(t, wechattest.SubscribeByScan(account, "oNoticeDeputy", bind.Scene.String(), now))
	const citizens = 16
	for c := range citizens {
		[]*env{one, two}[c%2].push(t, wechattest.SubscribeByScan(account, fmt.Sprintf("oNoticeLimit%02d", c), "st:demo-bdg", now))
	}
	// Every case at once, half through each instance.
	start := make(chan struct{})
	var wg sync.WaitGroup
	for c := range citizens {
		in := []*env{one, two}[c%2]
		wg.Go(func() {
			<-start
			// Sent again on a failure, as WeChat does (a busy machine may
			// answer 5xx past the callback's timeout).
			push := wechattest.Text(account, fmt.Sprintf("oNoticeLimit%02d", c), int64(20_000+c), "楼道的灯坏了", now.Add(time.Second))
			for try := 1; ; try++ {
				status, _ := in.push(t, push)
				if status == http.StatusOK {
					return
				}
				if try == 3 {
					t.Errorf("citizen %d's case: answered %d three times", c, status)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if n, _ := one.db.CountCases(ctx); n != citizens {
		t.Fatalf("%d cases for %d citizens", n, citizens)
	}
	raw := storetest.RawSQL(t, store.DriverMySQL, dsn)
	var single, summaries int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM outbox WHERE to_user = 'oNoticeDeputy' AND client_msg_id LIKE 'case-%'`).Scan(&single); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT COUNT(*) FROM outbox WHERE to_user = 'oNoticeDeputy' AND client_msg_id LIKE 'more-%'`).Scan(&summaries); err != nil {
		t.Fatal(err)
	}
	if single != 2 || summaries != 1 {
		t.Fatalf("the deputy is told of %d cases one by one and in %d summaries; want 2 and 1", single, summaries)
	}
}
