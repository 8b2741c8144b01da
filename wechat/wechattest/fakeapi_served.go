package wechattest

import (
	"bytes"
	"encoding/json"
	"image/jpeg"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"strings"

	goqrcode "github.com/skip2/go-qrcode"
)

// showQRCode is GET https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=…:
// the picture of a code qrcode/create made, found by its ticket alone (no
// token), as a JPEG. An unknown or expired ticket is an HTTP 404 with an
// error picture at WeChat; the fake answers 404 and no picture.
func (f *Fake) showQRCode(r *apiRequest) apiReply {
	u, ok := f.qrByTicket[r.query.Get("ticket")]
	if expires, temporary := f.qrExpiry[u]; !ok || temporary && !r.now.Before(expires) {
		return apiReply{raw: &rawReply{contentType: "text/html", status: 404}}
	}
	code, err := goqrcode.New(u, goqrcode.Medium)
	if err != nil {
		return replyError(-1)
	}
	var picture bytes.Buffer
	if err := jpeg.Encode(&picture, code.Image(430), &jpeg.Options{Quality: 90}); err != nil {
		return replyError(-1)
	}
	return apiReply{raw: &rawReply{contentType: "image/jpeg", data: picture.Bytes()}}
}

// uploadMediaTypes are media/upload's types and the file types WeChat takes.
var uploadMediaTypes = map[string][]string{
	"image": {"image/jpeg", "image/png", "image/gif", "image/bmp"},
	"voice": {"audio/amr", "audio/mpeg", "audio/mp3"},
	"video": {"video/mp4"},
	"thumb": {"image/jpeg"},
}

// uploadMedia is POST /cgi-bin/media/upload?type=…: a multipart form with
// the file in "media"; the media is kept 3 days, like a user's.
func (f *Fake) uploadMedia(r *apiRequest) apiReply {
	kind := r.query.Get("type")
	types, ok := uploadMediaTypes[kind]
	if !ok {
		return replyError(40004) // invalid media type
	}
	_, params, err := mime.ParseMediaType(r.r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return replyError(41005) // media data missing
	}
	mr := multipart.NewReader(bytes.NewReader(r.body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			return replyError(41005)
		}
		if part.FormName() != "media" {
			continue
		}
		data, err := io.ReadAll(part)
		if err != nil || len(data) == 0 {
			return replyError(41005)
		}
		ct := part.Header.Get("Content-Type")
		if ct == "" || ct == "application/octet-stream" {
			ct = mime.TypeByExtension(strings.ToLower(extOf(part.FileName())))
		}
		if !contains(types, ct) {
			return replyError(40005) // invalid file type
		}
		f.lastMedia++
		id := "upload_" + strconv.FormatInt(f.lastMedia, 10) + "_" + randomString(16)
		f.media[id] = storedMedia{contentType: ct, data: data, expiresAt: r.now.Add(mediaLifetime)}
		return replyJSON(map[string]any{"type": kind, "media_id": id, "created_at": r.now.Unix()})
	}
}

func extOf(name string) string {
	if i := strings.LastIndex(name, "."); i >= 0 {
		return name[i:]
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.HasPrefix(s, v) {
			return true
		}
	}
	return false
}

// createMenu is POST /cgi-bin/menu/create: at most 3 buttons of at most 5
// sub-buttons each, as WeChat allows.
func (f *Fake) createMenu(r *apiRequest) apiReply {
	var in struct {
		Button []struct {
			Name      string            `json:"name"`
			SubButton []json.RawMessage `json:"sub_button"`
		} `json:"button"`
	}
	if !decodeJSON(r, &in) {
		return replyError(47001)
	}
	if len(in.Button) == 0 || len(in.Button) > 3 {
		return replyError(40016) // invalid button size
	}
	for _, b := range in.Button {
		if b.Name == "" {
			return replyError(40017) // invalid button type / name
		}
		if len(b.SubButton) > 5 {
			return replyError(40023) // invalid sub button size
		}
	}
	f.menus[r.appid] = append([]byte(nil), r.body...)
	return replyOK(nil)
}

// getMenu is GET /cgi-bin/menu/get: 46003 when there is no menu.
func (f *Fake) getMenu(r *apiRequest) apiReply {
	m, ok := f.menus[r.appid]
	if !ok {
		return replyError(46003)
	}
	return replyJSON(map[string]any{"menu": json.RawMessage(m)})
}

// deleteMenu is GET /cgi-bin/menu/delete.
func (f *Fake) deleteMenu(r *apiRequest) apiReply {
	delete(f.menus, r.appid)
	return replyOK(nil)
}
