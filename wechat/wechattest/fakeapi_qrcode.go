package wechattest

import (
	"bytes"
	"encoding/base64"
	"image/jpeg"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	goqrcode "github.com/skip2/go-qrcode"
)

const (
	// MaxPermanentQRCodes is how many permanent QR codes an Official Account
	// may create, ever.
	MaxPermanentQRCodes = 100_000

	// tempQRDefaultSeconds is what WeChat documents for a temporary code
	// without expire_seconds ("此字段如果不填，则默认有效期为60秒",
	// Generating_a_Parametric_QR_Code); copies of the older page say 30.
	tempQRDefaultSeconds = 60
	// TemporaryQRMaxSeconds is the longest a temporary QR code lives: 30
	// days; WeChat answers a longer expire_seconds with this.
	TemporaryQRMaxSeconds = 2_592_000
	// MaxSceneStrBytes bounds scene_str. WeChat documents "长度限制为1到64";
	// the fake counts bytes, the stricter reading, so a scene with Chinese
	// characters that would pass a count of characters fails here first.
	MaxSceneStrBytes = 64
)

type qrTicket struct {
	ticket, url string
}

type qrRequest struct {
	ExpireSeconds int64  `json:"expire_seconds"`
	ActionName    string `json:"action_name"`
	ActionInfo    struct {
		Scene struct {
			SceneID  int64  `json:"scene_id"`
			SceneStr string `json:"scene_str"`
		} `json:"scene"`
	} `json:"action_info"`
}

// scene checks the scene for the action and answers it as the text WeChat
// later pushes in the scan event's EventKey, or false for 40053.
func (q *qrRequest) scene() (scene string, permanent, ok bool) {
	s := q.ActionInfo.Scene
	strOK := s.SceneStr != "" && len(s.SceneStr) <= MaxSceneStrBytes
	switch q.ActionName {
	case "QR_SCENE":
		return strconv.FormatInt(s.SceneID, 10), false, s.SceneID >= 1 && s.SceneID <= 1<<32-1
	case "QR_STR_SCENE":
		return s.SceneStr, false, strOK
	case "QR_LIMIT_SCENE":
		return strconv.FormatInt(s.SceneID, 10), true, s.SceneID >= 1 && s.SceneID <= MaxPermanentQRCodes
	case "QR_LIMIT_STR_SCENE":
		return s.SceneStr, true, strOK
	}
	return "", false, false
}

// createQRCode is POST /cgi-bin/qrcode/create.
func (f *Fake) createQRCode(r *apiRequest) apiReply {
	var in qrRequest
	if !decodeJSON(r, &in) {
		return replyError(47001)
	}
	scene, permanent, ok := in.scene()
	if !ok {
		return replyError(40053)
	}
	if !permanent {
		secs := in.ExpireSeconds
		if secs <= 0 {
			secs = tempQRDefaultSeconds
		}
		secs = min(secs, TemporaryQRMaxSeconds)
		t := f.newQRTicket(scene)
		// Past its expiry a temporary code leads nowhere: WeChat tells the
		// scanner it has expired and pushes no event.
		f.qrExpiry[t.url] = r.now.Add(time.Duration(secs) * time.Second)
		return replyJSON(map[string]any{"ticket": t.ticket, "expire_seconds": secs, "url": t.url})
	}

	// The same permanent scene again is the same code: WeChat answers the
	// ticket it gave before and does not count it again.
	codes := f.qrcodes[r.appid]
	if codes == nil {
		codes = map[string]qrTicket{}
		f.qrcodes[r.appid] = codes
	}
	key := in.ActionName + ":" + scene // id 5 and string "5" are different codes
	t, seen := codes[key]
	if !seen {
		if f.permUsed[r.appid] >= MaxPermanentQRCodes {
			// WeChat does not document what it answers past the quota;
			// 45009 is its errcode for every exhausted quota, and the
			// errmsg says which one.
			return apiReply{errcode: 45009, errmsg: "permanent qrcode reach max limit"}
		}
		f.permUsed[r.appid]++
		t = f.newQRTicket(scene)
		codes[key] = t
	}
	return replyJSON(map[string]any{"ticket": t.ticket, "url": t.url})
}

func (f *Fake) newQRTicket(scene string) qrTicket {
	u := "http://weixin.qq.com/q/" + randomString(22)
	f.sceneByURL[u] = scene
	// Real tickets are base64 with +, / and =, which a client must escape
	// in showqrcode?ticket=; the fake's are too.
	t := qrTicket{ticket: "gQ" + base64.StdEncoding.EncodeToString([]byte("\x01\x00"+randomString(9)+u)), url: u}
	f.qrByTicket[t.ticket] = u
	return t
}

// PermanentQRCount is how many permanent QR codes appid has created.
func (f *Fake) PermanentQRCount(appid string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.permUsed[appid]
}

// SetPermanentQRUsed pretends appid has already created n permanent QR
// codes, to test what happens near MaxPermanentQRCodes.
func (f *Fake) SetPermanentQRUsed(appid string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.permUsed[appid] = n
}

// SceneForURL tells which scene a QR code's URL (the "url" of
// /cgi-bin/qrcode/create) leads to, so a test that decodes a rendered code
// can check where a citizen scanning it lands. A temporary code past its
// expiry leads nowhere (false), as WeChat then pushes no scan event.
func (f *Fake) SceneForURL(url string) (scene string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if expires, temporary := f.qrExpiry[url]; temporary && !f.now().Before(expires) {
		return "", false
	}
	scene, ok = f.sceneByURL[url]
	return scene, ok
}

// QRExpiry is when a temporary QR code's URL expires (false: it is not a
// temporary code the fake made).
func (f *Fake) QRExpiry(url string) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	at, ok := f.qrExpiry[url]
	return at, ok
}

// wxaScene is what getwxacodeunlimit accepts as scene: at most 32 visible
// characters from WeChat's list.
var wxaScene = regexp.MustCompile(`^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$`)

const (
	wxaDefaultWidth = 430
	wxaMinWidth     = 280
	wxaMaxWidth     = 1280
)

// wxaCodeUnlimit is POST /wxa/getwxacodeunlimit. WeChat draws a round
// "sun code" only its app can read; the fake draws a standard QR code of
// "wxacode:<scene>" so a test can decode it and see what it leads to. Like
// WeChat's, the picture is a JPEG.
func (f *Fake) wxaCodeUnlimit(r *apiRequest) apiReply {
	var in struct {
		Scene      string `json:"scene"`
		Page       string `json:"page"`
		CheckPath  *bool  `json:"check_path"`
		EnvVersion string `json:"env_version"`
		Width      int    `json:"width"`
	}
	if !decodeJSON(r, &in) {
		return replyError(40169) // WeChat's errmsg for this code names bad JSON too
	}
	if !wxaScene.MatchString(in.Scene) {
		return replyError(40169)
	}
	if strings.HasPrefix(in.Page, "/") || strings.Contains(in.Page, "?") {
		return replyError(41030)
	}
	// check_path (default true) makes WeChat refuse a page the published
	// Mini Program does not have; "" is its home page.
	if (in.CheckPath == nil || *in.CheckPath) && in.Page != "" && !slices.Contains(f.apps[r.appid].Pages, in.Page) {
		return replyError(41030)
	}
	switch in.EnvVersion {
	case "", "release", "trial", "develop":
	default:
		return replyInvalid("env_version")
	}
	width := in.Width
	if width == 0 {
		width = wxaDefaultWidth
	}
	if width < wxaMinWidth || width > wxaMaxWidth {
		return replyInvalid("width")
	}
	code, err := goqrcode.New("wxacode:"+in.Scene, goqrcode.Medium)
	if err != nil {
		return replyError(-1)
	}
	var picture bytes.Buffer
	if err := jpeg.Encode(&picture, code.Image(width), &jpeg.Options{Quality: 90}); err != nil {
		return replyError(-1)
	}
	return apiReply{raw: &rawReply{contentType: "image/jpeg", data: picture.Bytes()}}
}
