package app

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"strings"
	"time"

	"mashang"
	"mashang/store"
	"mashang/wechat/wechattest"
)

// The sandbox's own pages: a citizen's Mini Program played in the browser
// (/sandbox/mp) and the login codes it needs from the fake WeChat. They are
// served in front of the service's routes only by `serve --sandbox`, so
// they do not exist anywhere else (TestSandboxRoutesOnlyInTheSandbox).
//
//go:embed sandboxweb
var sandboxWeb embed.FS

// SandboxPrefix is where the sandbox's own pages are.
const SandboxPrefix = "/sandbox/"

func sandboxRoutes(next http.Handler, fake *wechattest.Fake, mpAppID string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, SandboxPrefix) {
			next.ServeHTTP(w, r)
			return
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/sandbox/mp":
			serveSandboxFile(w, "sandboxweb/mp.html", "text/html; charset=utf-8")
		case r.Method == http.MethodGet && r.URL.Path == "/sandbox/mp.js":
			serveSandboxFile(w, "sandboxweb/mp.js", "text/javascript; charset=utf-8")
		case r.Method == http.MethodPost && r.URL.Path == "/sandbox/mp/code":
			// What wx.login gives the Mini Program of the citizen openid:
			// a js_code for POST /mp/login, once, within 5 minutes.
			openid := sandboxOpenID(r)
			if openid == "" {
				openid = "oSANDBOXMP" + fmt.Sprintf("%018d", time.Now().UnixNano()%1e18)
			}
			if len(openid) > 64 {
				sandboxJSON(w, http.StatusBadRequest, map[string]string{"code": "invalid", "message": "openid 太长：请用不超过64个字符的 openid"})
				return
			}
			sandboxJSON(w, http.StatusOK, map[string]string{"openid": openid, "code": fake.IssueLoginCode(mpAppID, openid, "")})
		case r.Method == http.MethodPost && r.URL.Path == "/sandbox/mp/phone-code":
			// What getPhoneNumber gives, for POST /mp/phone.
			phone := strings.TrimSpace(r.FormValue("phone"))
			if phone == "" {
				phone = "13800138000"
			}
			sandboxJSON(w, http.StatusOK, map[string]string{"phone": phone, "code": fake.IssuePhoneCode(mpAppID, phone)})
		default:
			sandboxJSON(w, http.StatusNotFound, map[string]string{"code": "not_found",
				"message": "沙盒页面只有 GET /sandbox/mp、POST /sandbox/mp/code 和 POST /sandbox/mp/phone-code"})
		}
	})
}

// sandboxOpenID reads the openid of a form or of a JSON body.
func sandboxOpenID(r *http.Request) string {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var in struct {
			OpenID string `json:"openid"`
		}
		_ = json.NewDecoder(http.MaxBytesReader(nil, r.Body, 4096)).Decode(&in)
		return strings.TrimSpace(in.OpenID)
	}
	return strings.TrimSpace(r.FormValue("openid"))
}

func serveSandboxFile(w http.ResponseWriter, name, contentType string) {
	data, err := sandboxWeb.ReadFile(name)
	if err != nil {
		http.Error(w, "沙盒页面缺失", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(data)
}

func sandboxJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// sandboxBrowserUsers is who the fake's authorize page offers to be: the
// deputies and staff who bound their WeChat, named as people read them.
func sandboxBrowserUsers(db *store.DB) func() []wechattest.BrowserUser {
	return func() []wechattest.BrowserUser {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		bound, err := db.BoundWeChatUsers(ctx)
		if err != nil {
			return nil // the page still takes a typed openid
		}
		out := make([]wechattest.BrowserUser, 0, len(bound))
		for _, u := range bound {
			who := "工作人员"
			if u.Deputy {
				who = "代表"
			}
			label := who + " " + u.Name
			if u.Where != "" {
				label += "（" + u.Where + "）"
			}
			out = append(out, wechattest.BrowserUser{OpenID: u.OpenID, Label: label})
		}
		return out
	}
}

// sandboxMedia is what a citizen's photo, voice or video is in the sandbox:
// real bytes of the kind, which the fake then serves as WeChat serves
// temporary media, so the case page shows them.
func sandboxMedia(msgType string) (contentType string, data []byte) {
	switch msgType {
	case mashang.MsgVoice:
		// AMR-NB: the magic, then 12.2 kbit/s frames of silence (1 s).
		b := []byte("#!AMR\n")
		for range 50 {
			b = append(b, 0x3C)
			b = append(b, make([]byte, 31)...)
		}
		return "audio/amr", b
	case mashang.MsgVideo, mashang.MsgShortVideo:
		// An MP4's file-type box: enough for the media to be stored and
		// offered for download; the sandbox has no camera to film with.
		return "video/mp4", append([]byte{0, 0, 0, 24}, []byte("ftypmp42\x00\x00\x00\x00mp42isom")...)
	}
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			img.Set(x, y, color.RGBA{R: uint8(x * 255 / 320), G: uint8(y * 255 / 240), B: 160, A: 255})
		}
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
	return "image/jpeg", buf.Bytes()
}
