package mashang_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store"
	"mashang/store/storetest"
	"mashang/wechat"
	"mashang/wechat/wechattest"
)

// codesEnv is the code service over a real store and the fake WeChat,
// reached through the SDK as the service wires it.
func codesEnv(t *testing.T, driver string) (*mashang.Codes, *wechattest.Fake, *store.DB) {
	t.Helper()
	fake, srv, base, err := wechattest.Start(wechattest.Config{Apps: []wechattest.App{{AppID: "wxoa", Secret: "s"}, {AppID: "wxmp", Secret: "m", MiniProgram: true}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	clients, err := wechat.NewClients(wechat.ClientConfig{APIBase: base, AppID: "wxoa", Secret: "s", MPAppID: "wxmp", MPSecret: "m"})
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t, driver)
	if err := db.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &mashang.Codes{Store: db, OA: clients, MP: clients, PublicURL: "https://mashang.example", Backoff: time.Millisecond}, fake, db
}

func TestCodesAreMadeOnceAndResume(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		codes, fake, _ := codesEnv(t, driver)
		owners, err := codes.Owners(ctx, nil, nil)
		if err != nil || len(owners) != 9 {
			t.Fatalf("owners %d %v", len(owners), err)
		}
		// WeChat busy twice, then fine: retried. A bad scene answer: failed, reported.
		fake.FailNext("/cgi-bin/qrcode/create", -1, 2)
		results, err := codes.Ensure(ctx, owners)
		if err != nil {
			t.Fatal(err)
		}
		oa, mp := results[0], results[1]
		if oa.Channel != mashang.ChannelOA || oa.Created != 9 || len(oa.Failed) != 0 || mp.Created != 9 {
			t.Fatalf("first run: %v / %v", oa, mp)
		}
		if n := fake.PermanentQRCount("wxoa"); n != 9 {
			t.Fatalf("WeChat made %d permanent codes", n)
		}
		results, err = codes.Ensure(ctx, owners)
		if err != nil || results[0].Created != 0 || results[0].Existing != 9 {
			t.Fatalf("second run made codes again: %v %v", results, err)
		}
		if n := len(fake.Calls("/cgi-bin/qrcode/create")); n != 11 { // 9 + 2 busy answers
			t.Fatalf("%d calls to qrcode/create", n)
		}
		img, err := codes.Image(ctx, mashang.ParseScene("st:demo-bdg"), "")
		if err != nil || img.Channel != mashang.ChannelOA {
			t.Fatalf("image %+v %v", img, err)
		}
		if scene, ok := fake.SceneForURL(img.Content); !ok || scene != "st:demo-bdg" {
			t.Fatalf("the stored URL leads to %q", scene)
		}
		mpImg, err := codes.Image(ctx, mashang.ParseScene("dp:demo-d01"), mashang.ChannelMP)
		if err != nil || len(mpImg.PNG) == 0 {
			t.Fatalf("mini program code %v", err)
		}
	})
}

func TestCodesFailingForGoodAreReported(t *testing.T) {
	ctx := context.Background()
	codes, fake, _ := codesEnv(t, store.DriverSQLite)
	codes.MP = nil
	owners, _ := codes.Owners(ctx, []string{"青岛市", "崂山区"}, nil)
	fake.FailNext("/cgi-bin/qrcode/create", 48001, 1) // not verified: no retry helps
	results, err := codes.Ensure(ctx, owners)
	if err != nil {
		t.Fatal(err)
	}
	if r := results[0]; r.Created != len(owners)-1 || len(r.Failed) != 1 {
		t.Fatalf("result %v", r)
	}
	for _, why := range results[0].Failed {
		if !strings.Contains(why.Error(), "48001") {
			t.Errorf("failure reason %v", why)
		}
	}
	// Run again: only the missing one is asked for.
	before := len(fake.Calls("/cgi-bin/qrcode/create"))
	results, _ = codes.Ensure(ctx, owners)
	if results[0].Created != 1 || len(fake.Calls("/cgi-bin/qrcode/create")) != before+1 {
		t.Fatalf("resume: %v", results[0])
	}
}

func TestPermanentCodeQuotaIsRefusedClearly(t *testing.T) {
	ctx := context.Background()
	codes, fake, _ := codesEnv(t, store.DriverSQLite)
	codes.Quota = 1_005 // 5 usable above the reserve of 1,000
	owners, _ := codes.Owners(ctx, nil, nil)
	_, err := codes.Ensure(ctx, owners)
	var e *mashang.Error
	if !errors.As(err, &e) || e.Code != mashang.EFORBIDDEN || !strings.Contains(e.Message, "额度将用尽") {
		t.Fatalf("got %v", err)
	}
	if n := len(fake.Calls("/cgi-bin/qrcode/create")); n != 0 {
		t.Fatalf("asked WeChat %d times before refusing", n)
	}
}

func TestExportFilesAreNamedByPlace(t *testing.T) {
	ctx := context.Background()
	codes, _, _ := codesEnv(t, store.DriverSQLite)
	files, err := codes.ExportFiles(ctx, []string{"青岛市", "市南区"}, mashang.ChannelH5, nil)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
		if !strings.HasPrefix(f.Content, "https://mashang.example/s/") {
			t.Errorf("H5 content %q", f.Content)
		}
	}
	want := []string{
		"青岛市/市南区/八大关街道/市南区八大关街道人大代表联络站/站点二维码.png",
		"青岛市/市南区/八大关街道/市南区八大关街道人大代表联络站/王海燕.png",
		"青岛市/市南区/八大关街道/市南区八大关街道人大代表联络站/李建国.png",
	}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Fatalf("paths:\n%s", strings.Join(paths, "\n"))
	}
	if _, err := codes.ExportFiles(ctx, []string{"上海市"}, "", nil); mashang.ErrorCode(err) != mashang.ENOTFOUND {
		t.Fatalf("unknown jurisdiction: %v", err)
	}
}

// A Mini Program code kept as WeChat drew it (a JPEG, before codes were
// kept as PNGs) is still handed out as a PNG.
func TestStoredJPEGCodeIsServedAsPNG(t *testing.T) {
	ctx := context.Background()
	codes, _, db := codesEnv(t, store.DriverSQLite)
	var picture bytes.Buffer
	if err := jpeg.Encode(&picture, image.NewGray(image.Rect(0, 0, 40, 40)), nil); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveIssuedCode(ctx, mashang.IssuedCode{Channel: mashang.ChannelMP, Scene: "st:demo-bdg", Image: picture.Bytes(), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	img, err := codes.Image(ctx, mashang.ParseScene("st:demo-bdg"), mashang.ChannelMP)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(img.PNG)); err != nil || cfg.Width != 40 {
		t.Fatalf("not the code as a PNG: %+v %v", cfg, err)
	}
}
