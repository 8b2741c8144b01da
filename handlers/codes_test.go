package handlers_test

import (
	"archive/zip"
	"bytes"
	"context"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"

	"mashang"
	"mashang/store"
	"mashang/wechat/wechattest"
)

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func scan(t *testing.T, data []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		// The finder-pattern search misses some codes now and then; ours
		// are drawn alone on a quiet zone, which the pure reading takes.
		res, err = gozxingqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_PURE_BARCODE: true})
	}
	if err != nil {
		t.Fatalf("does not scan: %v", err)
	}
	return res.GetText()
}

func TestOneCodeAsPNG(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	resp, body := get(t, e.srv.URL+"/codes/st:demo-bdg.png?size=300")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cfg, _ := png.DecodeConfig(bytes.NewReader(body))
	if cfg.Width != 300 {
		t.Errorf("width %d", cfg.Width)
	}
	if got := scan(t, body); got != e.srv.URL+"/s/st:demo-bdg" { // the public URL
		t.Errorf("scans as %q", got)
	}
	for path, status := range map[string]int{
		"/codes/st:demo-bdg.png?size=5000":  http.StatusBadRequest,
		"/codes/st:nope.png":                http.StatusNotFound,
		"/codes/dp:demo-d01.png?channel=oa": http.StatusNotFound, // none made: the sandbox makes no WeChat codes
		"/codes/xx.png":                     http.StatusNotFound,
		"/codes/st:demo-bdg.gif":            http.StatusNotFound,
	} {
		if resp, body := get(t, e.srv.URL+path); resp.StatusCode != status {
			t.Errorf("%s answered %d %q, want %d", path, resp.StatusCode, body, status)
		}
	}
}

// signedInAdmin is a console browser signed in as an administrator.
func (e *env) signedInAdmin(t *testing.T) *staffBrowser {
	t.Helper()
	e.addStaff(t, mashang.StaffUser{Username: "codesadmin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
	b := e.browser(t)
	if status := b.login("codesadmin", staffPassword); status != http.StatusSeeOther {
		t.Fatalf("login: %d", status)
	}
	return b
}

func TestExportZIPByJurisdiction(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	admin := e.signedInAdmin(t)
	resp, body := admin.fetch("/console/codes/export.zip?under=青岛市/崂山区&size=256")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "filename*=UTF-8''") {
		t.Fatalf("answered %d %v", resp.StatusCode, resp.Header)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	want := "青岛市/崂山区/沙子口街道/崂山区沙子口街道人大代表联络点/站点二维码.png\n" +
		"青岛市/崂山区/沙子口街道/崂山区沙子口街道人大代表联络点/陈秀兰.png\n" +
		"青岛市/崂山区/沙子口街道/崂山区沙子口街道人大代表联络点/赵卫东.png"
	if strings.Join(names, "\n") != want {
		t.Fatalf("files:\n%s", strings.Join(names, "\n"))
	}
	rc, _ := zr.File[1].Open()
	data, _ := io.ReadAll(rc)
	rc.Close()
	if got := scan(t, data); got != e.srv.URL+"/s/dp:demo-d05" {
		t.Errorf("scans as %q", got)
	}
	if resp, _ := admin.fetch("/console/codes/export.zip?under=上海市"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown jurisdiction answered %d", resp.StatusCode)
	}
}

func TestPrintSheetAndScenePage(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	resp, body := e.signedInAdmin(t).fetch("/console/codes/sheet?under=青岛市/西海岸新区")
	page := string(body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "@page { size: A4") {
		t.Fatalf("answered %d", resp.StatusCode)
	}
	for _, want := range []string{"西海岸新区薛家岛街道代表之家", "张晓梅", "刘志强", `src="/codes/dp:demo-d03.png?size=480"`, "共 3 个二维码"} {
		if !strings.Contains(page, want) {
			t.Errorf("sheet lacks %q", want)
		}
	}
	resp, body = get(t, e.srv.URL+"/s/dp:demo-d03")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "张晓梅 代表") {
		t.Errorf("scene page %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, e.srv.URL+"/s/dp:nobody")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "未能识别这个二维码") {
		t.Errorf("unknown scene page %d", resp.StatusCode)
	}
}

// WeChat draws Mini Program codes as JPEGs; what is served under a .png
// name, alone or in the ZIP, is a PNG.
func TestMiniProgramCodesArePNG(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	ctx := context.Background()
	codes := &mashang.Codes{Store: e.db, MP: e.clients, Backoff: time.Millisecond}
	owners, err := codes.Owners(ctx, []string{"青岛市", "崂山区"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := codes.Ensure(ctx, owners); err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, e.srv.URL+"/codes/dp:demo-d05.png?channel=mp")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if got := scan(t, body); got != "wxacode:dp:demo-d05" {
		t.Errorf("scans as %q", got)
	}
	resp, body = e.signedInAdmin(t).fetch("/console/codes/export.zip?under=青岛市/崂山区&channel=mp")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export answered %d", resp.StatusCode)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil || len(zr.File) != 3 {
		t.Fatalf("export: %v", err)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if !strings.HasSuffix(f.Name, ".png") || !strings.HasPrefix(scan(t, data), "wxacode:") {
			t.Errorf("%s is not a Mini Program code as a PNG", f.Name)
		}
	}
}
