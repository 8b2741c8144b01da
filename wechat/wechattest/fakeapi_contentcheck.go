package wechattest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// WeChat's content security (内容安全) for Mini Programs: msgSecCheck and the
// asynchronous media check, whose verdict WeChat pushes to the Mini
// Program's message push URL.

// mpVisitWindow is how recently the openid must have used the Mini Program
// for WeChat to check what they sent.
const mpVisitWindow = 2 * time.Hour

// PushTarget is a Mini Program's message push configuration (消息推送):
// where WeChat pushes, with which token and key (JSON, safe mode).
type PushTarget struct {
	URL, Token, AESKey string
}

// MPPush records one push of a media check's verdict.
type MPPush struct {
	TraceID  string
	Suggest  string
	Status   int // the receiver's last HTTP status (0: unreachable)
	Attempts int
}

// SecurityHit is what the fake's checker says of a word or a file.
type SecurityHit struct {
	Suggest string // "risky" or "review"
	Label   int    // e.g. 20001 时政, 20002 色情, 20006 违法犯罪
}

// SetRiskyWords makes msgSecCheck flag texts containing any of the words.
func (f *Fake) SetRiskyWords(words map[string]SecurityHit) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.riskyWords = words
}

// SetRiskyMedia makes the media check flag the files judge picks (nil: all pass).
func (f *Fake) SetRiskyMedia(judge func(data []byte) (SecurityHit, bool)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mediaJudge = judge
}

// SetMPPush sets where the Mini Program appid's pushes go.
func (f *Fake) SetMPPush(appid string, t PushTarget) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mpPush[appid] = t
}

// MPPushes lists the media-check pushes made so far.
func (f *Fake) MPPushes() []MPPush {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]MPPush(nil), f.mpPushes...)
}

// visited checks that openid used appid's Mini Program within two hours:
// 43104 if never, 61010 if too long ago (WeChat: 用户访问记录超时).
func (f *Fake) visited(appid, openid string, now time.Time) int {
	if openid == "" {
		return 40003
	}
	at, ok := f.mpVisits[appid+"\x00"+openid]
	switch {
	case !ok:
		return 43104
	case now.Sub(at) > mpVisitWindow:
		return 61010
	}
	return 0
}

func (f *Fake) msgSecCheck(r *apiRequest) apiReply {
	var in struct {
		Version int    `json:"version"`
		OpenID  string `json:"openid"`
		Scene   int    `json:"scene"`
		Content string `json:"content"`
	}
	if !decodeJSON(r, &in) {
		return replyError(47001)
	}
	switch {
	case in.Version != 2:
		return replyInvalid("version")
	case in.Scene < 1 || in.Scene > 4:
		return replyInvalid("scene")
	case in.Content == "":
		return replyError(44004)
	case !utf8.ValidString(in.Content) || utf8.RuneCountInString(in.Content) > 2500:
		return replyInvalid("content")
	}
	if code := f.visited(r.appid, in.OpenID, r.now); code != 0 {
		return replyError(code)
	}
	suggest, label, keyword := "pass", 100, ""
	for word, hit := range f.riskyWords {
		if strings.Contains(in.Content, word) && (suggest == "pass" || hit.Suggest == "risky") {
			suggest, label, keyword = hit.Suggest, hit.Label, word
		}
	}
	detail := []map[string]any{{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label, "prob": 90}}
	if keyword != "" {
		detail = append(detail, map[string]any{"strategy": "keyword", "errcode": 0, "suggest": suggest, "label": label, "level": 90, "keyword": keyword})
	}
	return replyOK(map[string]any{"trace_id": traceID(), "result": map[string]any{"suggest": suggest, "label": label}, "detail": detail})
}

func (f *Fake) mediaCheckAsync(r *apiRequest) apiReply {
	var in struct {
		MediaURL  string `json:"media_url"`
		MediaType int    `json:"media_type"`
		Version   int    `json:"version"`
		Scene     int    `json:"scene"`
		OpenID    string `json:"openid"`
	}
	if !decodeJSON(r, &in) {
		return replyError(47001)
	}
	switch {
	case in.Version != 2:
		return replyInvalid("version")
	case in.MediaType != 1 && in.MediaType != 2:
		return replyInvalid("media_type")
	case in.Scene < 1 || in.Scene > 4:
		return replyInvalid("scene")
	case !strings.HasPrefix(in.MediaURL, "http://") && !strings.HasPrefix(in.MediaURL, "https://"):
		return replyInvalid("media_url")
	}
	if code := f.visited(r.appid, in.OpenID, r.now); code != 0 {
		return replyError(code)
	}
	id := traceID()
	target, ok := f.mpPush[r.appid]
	if ok {
		go f.checkAndPush(r.appid, in.OpenID, id, in.MediaURL, target, f.mediaJudge)
	}
	return replyOK(map[string]any{"trace_id": id})
}

// checkAndPush downloads the file as WeChat does, judges it, and pushes the
// verdict, retrying a receiver that fails as WeChat retries pushes.
func (f *Fake) checkAndPush(appid, openid, trace, mediaURL string, target PushTarget, judge func([]byte) (SecurityHit, bool)) {
	client := &http.Client{Timeout: 10 * time.Second}
	event := map[string]any{"ToUserName": "gh_fakeminiprog", "FromUserName": openid, "CreateTime": time.Now().Unix(),
		"MsgType": "event", "Event": "wxa_media_check", "appid": appid, "trace_id": trace, "version": 2,
		"errcode": 0, "errmsg": "ok"}
	suggest, label := "pass", 100
	resp, err := client.Get(mediaURL)
	var data []byte
	if err == nil {
		data, err = io.ReadAll(io.LimitReader(resp.Body, 10<<20+1))
		resp.Body.Close()
		if err == nil && (resp.StatusCode != http.StatusOK || len(data) > 10<<20) {
			err = fmt.Errorf("download: status %d, %d bytes", resp.StatusCode, len(data))
		}
	}
	if err != nil {
		event["errcode"], event["errmsg"] = -1, "system error" // WeChat could not fetch the file
	} else if judge != nil {
		if hit, risky := judge(data); risky {
			suggest, label = hit.Suggest, hit.Label
		}
	}
	event["result"] = map[string]any{"suggest": suggest, "label": label}
	event["detail"] = []map[string]any{{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label, "prob": 90}}
	plain, _ := json.Marshal(event)
	signer := CallbackSigner{URL: target.URL, Token: target.Token, AESKey: target.AESKey, AppID: appid, Mode: ModeSafe}
	record := MPPush{TraceID: trace, Suggest: suggest}
	for attempt := 1; attempt <= 3; attempt++ {
		record.Attempts = attempt
		record.Status = 0
		if req, err := signer.JSONPushRequest(plain, "gh_fakeminiprog"); err == nil {
			if resp, err := client.Do(req); err == nil {
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
				resp.Body.Close()
				record.Status = resp.StatusCode
				if resp.StatusCode == http.StatusOK && bytes.Equal(bytes.TrimSpace(body), []byte("success")) {
					break
				}
			}
		}
		time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
	}
	f.mu.Lock()
	f.mpPushes = appendBounded(f.mpPushes, record)
	f.mu.Unlock()
}

func traceID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
