package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"mashang"
	"mashang/media"
	"mashang/media/mediatest"
	"mashang/store"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// s3Env is the object store's settings as an operator gives them: the
// keys from files.
func s3Env(t *testing.T, weed *mediatest.Server, place mediatest.Place) map[string]string {
	t.Helper()
	dir := t.TempDir()
	access, secret := filepath.Join(dir, "access"), filepath.Join(dir, "secret")
	if err := os.WriteFile(access, []byte(mediatest.AccessKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte(mediatest.SecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"MASHANG_MEDIA_S3_ENDPOINT": weed.Endpoint(), "MASHANG_MEDIA_S3_BUCKET": place.Bucket,
		"MASHANG_MEDIA_S3_PREFIX":          place.Prefix,
		"MASHANG_MEDIA_S3_ACCESS_KEY_FILE": access, "MASHANG_MEDIA_S3_SECRET_KEY_FILE": secret}
}

// `mashang media migrate` copies a city's media folder into the bucket; a
// second run copies nothing again; --verify reads every copy back and puts
// right one damaged in the store.
func TestMediaMigrateCopiesResumesAndVerifies(t *testing.T) {
	weed := mediatest.Shared(t)
	place := weed.Place(t)
	env := s3Env(t, weed, place)
	dir := t.TempDir()
	folder := media.NewDir(dir)
	ctx := context.Background()
	want := map[string]string{}
	for i := range 5 {
		key := fmt.Sprintf("uploads/2026/03/0%d/%032x.jpg", i+1, i)
		want[key] = strings.Repeat(fmt.Sprint(i), 2000)
		if err := folder.Put(ctx, mashang.MediaObject{Key: key, Size: 2000}, strings.NewReader(want[key])); err != nil {
			t.Fatal(err)
		}
	}
	migrate := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(ctx, append([]string{"media", "migrate", "--from", dir}, args...), &out, &errOut, envFrom(env))
		return code, out.String() + errOut.String()
	}
	if code, out := migrate(); code != 0 || !strings.Contains(out, "复制了 5 个文件") {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	if code, out := migrate(); code != 0 || !strings.Contains(out, "复制了 0 个文件") || !strings.Contains(out, "已有相同的 5 个") {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	damaged := "uploads/2026/03/03/" + fmt.Sprintf("%032x", 2) + ".jpg"
	o, err := weed.Files(t, place).Stat(ctx, damaged)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := weed.Raw().PutObject(ctx, place.Bucket, place.Prefix+damaged, strings.NewReader(strings.Repeat("x", 2000)), 2000,
		minio.PutObjectOptions{UserMetadata: map[string]string{"Sha256": o.SHA256}}); err != nil {
		t.Fatal(err)
	}
	if code, out := migrate("--verify"); code != 0 || !strings.Contains(out, "一致 4 个，重新复制后一致 1 个，不一致 0 个") {
		t.Fatalf("--verify: exit %d\n%s", code, out)
	}
	for key, data := range want {
		r, _, err := weed.Files(t, place).Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		_, _ = got.ReadFrom(r)
		r.Close()
		if got.String() != data {
			t.Fatalf("%s holds %d bytes, not the folder's", key, got.Len())
		}
	}

	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"media", "check"}, &out, &errOut, envFrom(env)); code != 0 || !strings.Contains(out.String(), "可用") {
		t.Fatalf("check: exit %d %s %s", code, out.String(), errOut.String())
	}
	wrong := map[string]string{}
	for k, v := range env {
		wrong[k] = v
	}
	delete(wrong, "MASHANG_MEDIA_S3_SECRET_KEY_FILE")
	wrong["MASHANG_MEDIA_S3_SECRET_KEY"] = "not-the-key"
	out.Reset()
	errOut.Reset()
	if code := run(ctx, []string{"media", "check"}, &out, &errOut, envFrom(wrong)); code != 1 || !strings.Contains(errOut.String(), "对象存储无法使用") {
		t.Fatalf("check with a wrong key: exit %d %s %s", code, out.String(), errOut.String())
	}
	errOut.Reset()
	if code := run(ctx, []string{"media", "migrate"}, &out, &errOut, envFrom(nil)); code != 1 || !strings.Contains(errOut.String(), "MASHANG_MEDIA_S3_ENDPOINT") {
		t.Fatalf("migrate with no store: exit %d %s", code, errOut.String())
	}
}

// The object store stops, at once, in the middle of a load of photos and
// voice on two instances: every push is still stored and acknowledged
// (the callback never waits on media), readiness stays up, and the
// fetchers keep the media waiting at WeChat; once the store is back every
// file arrives in it, none lost, none counted as a failed fetch.
func TestObjectStoreStoppedMidLoad(t *testing.T) {
	weed := mediatest.Start(t)
	place := weed.Place(t)
	dsn := storetest.DSN(t, store.DriverSQLite)
	r := newRig(t, store.DriverSQLite, dsn)
	var env []string
	for k, v := range s3Env(t, weed, place) {
		env = append(env, k+"="+v)
	}
	a, b := r.serve("a", env...), r.serve("b", env...)
	instances := []*proc{a, b}

	const citizens, photos = 30, 3
	all, _, setup := r.prepare(instances, citizens, 0)
	want := map[string]bool{} // the files' contents, each once
	now := time.Now()
	for c := range citizens {
		openid := fmt.Sprintf("oFaultCitizen%015d", c)
		for k := range photos {
			id := fmt.Sprintf("m-%d-%d", c, k)
			data := fmt.Sprintf("\xff\xd8\xff photo %d of citizen %d", k, c)
			kind := "image/jpeg"
			push := wechattest.Image(faultAccount, openid, int64(2_000_000+c*100+k), id, now)
			if k == photos-1 {
				data, kind = "#!AMR voice of citizen "+fmt.Sprint(c), "audio/amr"
				push = wechattest.Voice(faultAccount, openid, int64(2_000_000+c*100+k), id, "", now)
			}
			r.fake.AddMedia(id, kind, []byte(data))
			want[data] = true
			all = append(all, push)
		}
	}
	var load []int
	for i := setup; i < len(all); i++ {
		load = append(load, i)
	}
	var notReady atomic.Int64
	stopped := make(chan struct{})
	acked, unavailable := r.deliver(instances, all, load, 6, len(load)/3, func() {
		weed.Stop()
		close(stopped)
		go func() {
			for _, p := range instances {
				if resp, err := http.Get("http://" + p.addr + "/readyz"); err == nil {
					if resp.StatusCode != http.StatusOK {
						notReady.Add(1)
					}
					resp.Body.Close()
				}
			}
		}()
	})
	<-stopped
	if unavailable != 0 {
		t.Fatalf("%d pushes answered 5xx while the object store was down: the callback must not wait on media", unavailable)
	}
	r.retryUntilStored(instances, all, acked) // a push that timed out on a loaded machine, not refused
	if n := notReady.Load(); n != 0 {
		t.Fatalf("readiness failed on %d instances while only the object store was down", n)
	}

	ctx := context.Background()
	db, err := store.Open(ctx, store.DriverSQLite, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	paths, err := db.MediaPaths(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of %d media kept before and as the store stopped", len(paths), len(want))
	if len(paths) == len(want) {
		t.Fatal("every file was kept before the store stopped: the test proved nothing")
	}
	// Let the fetchers meet the dead store (every push woke them): a
	// failure to keep must not count against the message, which WeChat
	// holds for three days, or a long outage would use up its tries.
	time.Sleep(3 * time.Second)
	pending, err := db.PendingMedia(ctx, time.Now().Add(-time.Hour), 1000, 1000)
	if err != nil || len(pending) == 0 {
		t.Fatalf("%d media pending while the store is down (%v)", len(pending), err)
	}
	for _, p := range pending {
		if p.Attempts != 0 {
			t.Fatalf("message %d: %d failed fetches counted while only the store was down", p.ID, p.Attempts)
		}
	}
	weed.Restart()

	deadline := time.Now().Add(90 * time.Second) // the fetchers' poll is 30 s
	for {
		if paths, err = db.MediaPaths(ctx); err != nil {
			t.Fatal(err)
		}
		if len(paths) == len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d media kept 90 s after the store came back", len(paths), len(want))
		}
		time.Sleep(500 * time.Millisecond)
	}
	files := weed.Files(t, place)
	got := map[string]bool{}
	for _, key := range paths {
		rd, _, err := files.Open(ctx, key)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(rd)
		rd.Close()
		if !want[buf.String()] || got[buf.String()] {
			t.Fatalf("%s holds %q: not what WeChat held, or twice", key, buf.String())
		}
		got[buf.String()] = true
	}
	if n, err := db.CountInbound(ctx); err != nil || n != len(all) {
		t.Fatalf("stored %d pushes (%v), want %d", n, err, len(all))
	}
}
