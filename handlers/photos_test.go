package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"mashang/wechat/wechattest"
)

// pngPhoto draws a small real PNG.
func pngPhoto(t *testing.T, shade uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		img.Set(x, x%30, color.RGBA{shade, 100, 50, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload sends data as wx.uploadFile does (multipart, field name given).
func (e *env) upload(t *testing.T, token, field string, data []byte) (int, map[string]string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, _ := w.CreateFormFile(field, "../../etc/passwd.png") // a hostile name must not matter
	fw.Write(data)
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/mp/uploads", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return e.mpDo(t, req)
}

func TestRaiseACaseWithPhotos(t *testing.T) {
	eachStorage(t, func(t *testing.T, driver string, opts options) {
		e := newEnv(t, driver, wechattest.ModeSafe, opts)
		ctx := context.Background()
		token := e.login(t, "oPhotoCitizen000000000001")
		other := e.login(t, "oPhotoOther00000000000001")

		var ids []string
		for i := range 2 {
			status, out := e.upload(t, token, "photo", pngPhoto(t, uint8(i*60)))
			if status != http.StatusCreated || len(out["id"]) != 32 || out["content_type"] != "image/png" || out["width"] != "40" {
				t.Fatalf("upload %d: %d %v", i, status, out)
			}
			ids = append(ids, out["id"])
		}
		var jpg bytes.Buffer
		if err := jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 16, 16)), nil); err != nil {
			t.Fatal(err)
		}
		if status, out := e.upload(t, token, "photo", jpg.Bytes()); status != http.StatusCreated || out["content_type"] != "image/jpeg" {
			t.Fatalf("JPEG upload: %d %v", status, out)
		}
		for _, bad := range []struct {
			field string
			data  []byte
			says  string
		}{
			{"photo", []byte("<?php system($_GET['c']); ?>"), "JPG 或 PNG"},
			{"photo", append([]byte("GIF89a"), make([]byte, 64)...), "JPG 或 PNG"},
			{"photo", pngPhoto(t, 1)[:60], "JPG 或 PNG"}, // truncated
			{"file", pngPhoto(t, 1), "photo 字段"},
			{"photo", nil, "空"},
		} {
			if status, out := e.upload(t, token, bad.field, bad.data); status != http.StatusBadRequest || !strings.Contains(out["message"], bad.says) {
				t.Errorf("upload %q (%d bytes): %d %v", bad.field, len(bad.data), status, out)
			}
		}
		huge := append(pngPhoto(t, 1), make([]byte, 10<<20)...)
		if status, out := e.upload(t, token, "photo", huge); status != http.StatusRequestEntityTooLarge || out["code"] != "too_large" {
			t.Errorf("an 11 MB photo: %d %v", status, out)
		}
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/mp/uploads", strings.NewReader(`{"photo": "x"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		if status, out := e.mpDo(t, req); status != http.StatusBadRequest || !strings.Contains(out["message"], "multipart/form-data") {
			t.Errorf("JSON instead of a form: %d %v", status, out)
		}

		// Another citizen cannot use or see these photos.
		if status, out := e.mp(t, "POST", "/mp/cases", other, `{"request_id": "photo-other-1", "scene": "st:demo-bdg", "text": "路灯", "photos": ["`+ids[0]+`"]}`); status != http.StatusBadRequest || !strings.Contains(out["message"], "不是您上传的") {
			t.Fatalf("another citizen's photo: %d %v", status, out)
		}
		if n, _ := e.db.CountCases(ctx); n != 0 {
			t.Fatalf("a refused form left %d cases", n)
		}
		if resp, _ := getAuth(t, e.srv.URL+"/mp/photos/"+ids[0], other); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("another citizen viewing a photo: %d", resp.StatusCode)
		}
		for _, bad := range []string{`["nope"]`, `["` + ids[0] + `", "` + ids[0] + `"]`, `[` + strings.Repeat(`"`+ids[0]+`",`, 9) + `"` + ids[1] + `"]`} {
			if status, _ := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "photo-bad-01", "scene": "st:demo-bdg", "text": "路灯", "photos": `+bad+`}`); status != http.StatusBadRequest {
				t.Errorf("photos %s: %d", bad, status)
			}
		}

		status, out := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "photo-case-1", "scene": "st:demo-bdg", "text": "路灯坏了，附照片", "photos": ["`+ids[0]+`", "`+ids[1]+`"]}`)
		if status != http.StatusCreated {
			t.Fatalf("raise with photos: %d %v", status, out)
		}
		number := out["number"]
		// The same photo cannot go into a second case.
		if status, _ := e.mp(t, "POST", "/mp/cases", token, `{"request_id": "photo-case-2", "scene": "st:demo-bdg", "text": "再报一次", "photos": ["`+ids[0]+`"]}`); status != http.StatusBadRequest {
			t.Fatalf("photo reused: %d", status)
		}
		resp, body := getAuth(t, e.srv.URL+"/mp/cases/"+number, token)
		var page struct {
			Photos []struct{ ID, URL, Check string } `json:"photos"`
		}
		if err := json.Unmarshal(body, &page); err != nil || resp.StatusCode != http.StatusOK || len(page.Photos) != 2 {
			t.Fatalf("case page: %d %s", resp.StatusCode, body)
		}
		if !strings.Contains(string(body), "附照片2张") {
			t.Fatalf("timeline lacks the photos: %s", body)
		}
		resp, data := getAuth(t, e.srv.URL+page.Photos[0].URL, token)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(data, pngPhoto(t, 0)) && !bytes.Equal(data, pngPhoto(t, 60)) {
			t.Fatalf("own photo: %d %s %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(data))
		}
		// WeChat's checker may fetch an unchecked photo by its random ID; a
		// made-up ID is nothing.
		if resp, _ := getAuth(t, e.srv.URL+"/media/checks/"+ids[1], ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("checker download: %d", resp.StatusCode)
		}
		for _, id := range []string{strings.Repeat("0", 32), "..%2F..%2Fetc%2Fpasswd", "x"} {
			if resp, _ := getAuth(t, e.srv.URL+"/media/checks/"+id, ""); resp.StatusCode != http.StatusNotFound {
				t.Errorf("checker download of %q: %d", id, resp.StatusCode)
			}
		}
	})
}
