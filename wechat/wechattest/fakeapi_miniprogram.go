package wechattest

import (
	"crypto/rand"
	"encoding/base64"
	"mime"
	"strings"
	"time"
)

const (
	codeLifetime  = 5 * time.Minute      // wx.login and getPhoneNumber codes
	mediaLifetime = 72 * time.Hour       // temporary media
	videoPath     = "/wechattest/video/" // where the fake serves the video_url it hands out
)

// --- wx.login and getPhoneNumber codes ----------------------------------------

type oneTimeCode struct {
	appid, openid, unionid string
	phone, countryCode     string
	expiresAt              time.Time
	used                   bool
}

// IssueLoginCode makes the js_code wx.login would give openid in appid's
// Mini Program: single use, valid 5 minutes. unionid may be "".
func (f *Fake) IssueLoginCode(appid, openid, unionid string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	code := randomString(32)
	f.loginCodes[code] = &oneTimeCode{appid: appid, openid: openid, unionid: unionid, expiresAt: f.now().Add(codeLifetime)}
	return code
}

// IssuePhoneCode makes the code getPhoneNumber would give for phone (like
// "13800138000", or "+852 61234567" for another country) in appid's Mini
// Program: single use, valid 5 minutes.
func (f *Fake) IssuePhoneCode(appid, phone string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	cc, pure := "86", phone
	if rest, ok := strings.CutPrefix(phone, "+"); ok {
		if c, p, ok := strings.Cut(rest, " "); ok {
			cc, pure = c, p
		}
	}
	code := randomString(64)
	f.phoneCodes[code] = &oneTimeCode{appid: appid, phone: pure, countryCode: cc, expiresAt: f.now().Add(codeLifetime)}
	return code
}

// code2Session is GET /sns/jscode2session.
func (f *Fake) code2Session(r *apiRequest) apiReply {
	c, errcode := f.redeemCode(r, f.loginCodes, "js_code")
	if errcode != 0 {
		return replyError(errcode)
	}
	appid := c.appid
	f.mpVisits[appid+"\x00"+c.openid] = r.now
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	out := map[string]any{"openid": c.openid, "session_key": base64.StdEncoding.EncodeToString(key)}
	if c.unionid != "" {
		out["unionid"] = c.unionid
	}
	return replyJSON(out)
}

// redeemCode checks an authorization_code exchange (appid, secret,
// grant_type and the code in param) and uses the code up, answering the
// errcodes WeChat does: a code works once, within its lifetime, for its app.
func (f *Fake) redeemCode(r *apiRequest, codes map[string]*oneTimeCode, param string) (*oneTimeCode, int) {
	q := r.query
	appid := q.Get("appid")
	if code := f.checkApp(appid, q.Get("secret")); code != 0 {
		return nil, code
	}
	if q.Get("grant_type") != "authorization_code" {
		return nil, 40002
	}
	given := q.Get(param)
	if given == "" {
		return nil, 41008
	}
	c, ok := codes[given]
	switch {
	case !ok || c.appid != appid:
		return nil, 40029
	case c.used:
		return nil, 40163
	case !r.now.Before(c.expiresAt):
		return nil, 40029
	}
	c.used = true
	return c, 0
}

// phoneNumber is POST /wxa/business/getuserphonenumber. WeChat documents
// only 40029 for a code it will not take, used or not.
func (f *Fake) phoneNumber(r *apiRequest) apiReply {
	var in struct {
		Code string `json:"code"`
	}
	if !decodeJSON(r, &in) {
		return replyError(47001)
	}
	c, ok := f.phoneCodes[in.Code]
	if !ok || c.used || c.appid != r.appid || !r.now.Before(c.expiresAt) {
		return replyError(40029)
	}
	c.used = true
	return replyOK(map[string]any{"phone_info": map[string]any{
		"phoneNumber":     c.phone,
		"purePhoneNumber": c.phone,
		"countryCode":     c.countryCode,
		"watermark":       map[string]any{"timestamp": r.now.Unix(), "appid": r.appid},
	}})
}

// --- temporary media ----------------------------------------------------------

type storedMedia struct {
	contentType string
	data        []byte
	expiresAt   time.Time
}

// AddMedia stores temporary media, as if a citizen had sent it: WeChat
// keeps it 3 days from now.
func (f *Fake) AddMedia(mediaID, contentType string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.media[mediaID] = storedMedia{contentType: contentType, data: append([]byte(nil), data...), expiresAt: f.now().Add(mediaLifetime)}
}

// HasMedia says whether mediaID is stored and not yet expired.
func (f *Fake) HasMedia(mediaID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.liveMedia(mediaID, f.now())
	return ok
}

func (f *Fake) liveMedia(id string, now time.Time) (storedMedia, bool) {
	m, ok := f.media[id]
	if !ok || !now.Before(m.expiresAt) {
		return storedMedia{}, false
	}
	return m, true
}

// getMedia is GET /cgi-bin/media/get: the bytes as an attachment, except a
// video, for which WeChat answers a URL to download it from.
func (f *Fake) getMedia(r *apiRequest) apiReply {
	id := r.query.Get("media_id")
	m, ok := f.liveMedia(id, r.now)
	if !ok {
		return replyError(40007)
	}
	if m.contentType == "video/mp4" {
		return replyJSON(map[string]any{"video_url": "http://" + r.r.Host + videoPath + id + ".mp4"})
	}
	return apiReply{raw: &rawReply{
		contentType: m.contentType,
		// WeChat spells the header this way; Go's client reads it either way.
		header: map[string]string{"Content-disposition": `attachment; filename="` + id + "." + mediaExt(m.contentType) + `"`},
		data:   m.data,
	}}
}

// getVideo serves the video_url getMedia hands out, as WeChat's CDN would:
// no token needed.
func (f *Fake) getVideo(r *apiRequest) apiReply {
	id := strings.TrimSuffix(strings.TrimPrefix(r.r.URL.Path, videoPath), ".mp4")
	m, ok := f.liveMedia(id, r.now)
	if !ok || m.contentType != "video/mp4" {
		return replyError(40007)
	}
	return apiReply{raw: &rawReply{contentType: m.contentType, data: m.data}}
}

func mediaExt(contentType string) string {
	switch contentType {
	case "image/jpeg":
		return "jpg"
	case "audio/amr":
		return "amr"
	case "audio/speex":
		return "speex"
	case "audio/mpeg":
		return "mp3"
	}
	if exts, _ := mime.ExtensionsByType(contentType); len(exts) > 0 {
		return strings.TrimPrefix(exts[0], ".")
	}
	return "bin"
}
