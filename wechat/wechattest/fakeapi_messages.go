package wechattest

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	// clientMsgWindow is how long WeChat remembers a template send's
	// client_msg_id to drop a repeat of it.
	clientMsgWindow = 10 * time.Minute
	// serviceWindowLength and serviceWindowQuota are the customer-service
	// rules: after a citizen writes, 5 messages within 48 hours; after a
	// scan, a follow or a menu click, 3 within a minute.
	serviceWindowLength = 48 * time.Hour
	serviceWindowQuota  = 5
	eventWindowLength   = time.Minute
	eventWindowQuota    = 3
)

type sentTemplate struct {
	msgID int64
	at    time.Time
}

type dataValue struct {
	Value string `json:"value"`
}

// fieldRule is the limit on a template field's value, by the field's type.
type fieldRule struct {
	maxLen    int  // 0 = any length
	inBytes   bool // character_string and the like count characters, not runes
	asciiOnly bool
}

// fieldRules follow WeChat's table of template keyword types; a key's type
// is its name without the trailing number (thing1 → thing). Keys of no known
// type, such as the classic first/keyword1/remark, only need a value.
var fieldRules = map[string]fieldRule{
	"thing":            {maxLen: 20},
	"character_string": {maxLen: 32, inBytes: true, asciiOnly: true},
	"phrase":           {maxLen: 5},
	"name":             {maxLen: 10},
	"phone_number":     {maxLen: 17, inBytes: true},
	"number":           {maxLen: 32, inBytes: true},
	"letter":           {maxLen: 32, inBytes: true},
	"symbol":           {maxLen: 5},
	"car_number":       {maxLen: 8},
	"time":             {},
	"date":             {},
	"amount":           {},
}

var trailingDigits = regexp.MustCompile(`\d+$`)

// checkData applies WeChat's value rules and answers 47003 naming the first
// bad key (in key order, so the answer does not depend on map order).
func checkData(data map[string]dataValue) apiReply {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !validValue(k, data[k].Value) {
			return replyInvalid("data." + k + ".value")
		}
	}
	return apiReply{}
}

func validValue(key, v string) bool {
	// "thing1.DATA" is the placeholder as it appears in the template's text;
	// sending it as a key is a common mistake WeChat refuses.
	if v == "" || strings.HasSuffix(key, ".DATA") || strings.ContainsAny(v, "\r\n") {
		return false
	}
	rule := fieldRules[trailingDigits.ReplaceAllString(key, "")]
	n := utf8.RuneCountInString(v)
	if rule.inBytes {
		n = len(v)
	}
	if rule.maxLen > 0 && n > rule.maxLen {
		return false
	}
	// character_string is meant for order numbers and the like: WeChat
	// refuses Chinese (indeed anything outside ASCII) in it.
	if rule.asciiOnly {
		for _, r := range v {
			if r > unicode.MaxASCII {
				return false
			}
		}
	}
	return true
}

func flatData(data map[string]dataValue) map[string]string {
	out := make(map[string]string, len(data))
	for k, v := range data {
		out[k] = v.Value
	}
	return out
}

// sendTemplate is POST /cgi-bin/message/template/send.
func (f *Fake) sendTemplate(r *apiRequest) apiReply {
	var in struct {
		ToUser      string `json:"touser"`
		TemplateID  string `json:"template_id"`
		URL         string `json:"url"`
		MiniProgram struct {
			PagePath string `json:"pagepath"`
		} `json:"miniprogram"`
		Data        map[string]dataValue `json:"data"`
		ClientMsgID string               `json:"client_msg_id"`
	}
	if !decodeJSON(r, &in) {
		return replyError(47001)
	}
	// A repeat within the window is answered as the first one was, and is
	// not delivered again: that is what client_msg_id is for.
	dedupKey := in.ToUser + "\x00" + in.ClientMsgID
	if in.ClientMsgID != "" {
		if first, ok := f.clientMsgs[dedupKey]; ok && r.now.Sub(first.at) < clientMsgWindow {
			r.call.Duplicate = true
			return replyOK(map[string]any{"msgid": first.msgID})
		}
	}
	switch {
	case in.ToUser == "":
		return replyError(40003)
	case !f.hasTemplate(r.appid, in.TemplateID):
		return replyError(40037)
	case !f.followers[appKey(r.appid, in.ToUser)]:
		return replyError(43004)
	}
	if rep := checkData(in.Data); rep.errcode != 0 {
		return rep
	}
	f.lastMsgID++
	id := f.lastMsgID
	if in.ClientMsgID != "" {
		f.clientMsgs[dedupKey] = sentTemplate{msgID: id, at: r.now}
		for k, s := range f.clientMsgs { // forget what can no longer match
			if r.now.Sub(s.at) >= clientMsgWindow {
				delete(f.clientMsgs, k)
			}
		}
	}
	f.deliver(Delivery{Kind: DeliveryTemplate, OpenID: in.ToUser, TemplateID: in.TemplateID,
		Data: flatData(in.Data), URL: in.URL, Page: in.MiniProgram.PagePath, MsgID: id, At: r.now})
	return replyOK(map[string]any{"msgid": id})
}

// customMsgTypes are the msgtypes customer-service messages may have.
var customMsgTypes = map[string]bool{
	"text": true, "image": true, "voice": true, "video": true, "music": true, "news": true,
	"mpnews": true, "mpnewsarticle": true, "msgmenu": true, "wxcard": true, "miniprogrampage": true,
}

// sendCustom is POST /cgi-bin/message/custom/send: allowed only to a
// follower who wrote within 48 hours, at most 5 times per message of theirs.
func (f *Fake) sendCustom(r *apiRequest) apiReply {
	type media struct {
		MediaID string `json:"media_id"`
	}
	var in struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
		Image media `json:"image"`
		Voice media `json:"voice"`
		Video media `json:"video"`
		News  struct {
			Articles []json.RawMessage `json:"articles"`
		} `json:"news"`
	}
	if !decodeJSON(r, &in) {
		return replyError(47001)
	}
	if in.ToUser == "" {
		return replyError(40003)
	}
	if !customMsgTypes[in.MsgType] {
		return replyError(40008)
	}
	d := Delivery{Kind: DeliveryCustom, OpenID: in.ToUser, MsgType: in.MsgType, At: r.now}
	switch in.MsgType {
	case "text":
		if in.Text.Content == "" {
			return replyError(44004)
		}
		d.Text = in.Text.Content
	case "image", "voice", "video":
		d.MediaID = map[string]string{"image": in.Image.MediaID, "voice": in.Voice.MediaID, "video": in.Video.MediaID}[in.MsgType]
		if _, ok := f.liveMedia(d.MediaID, r.now); !ok {
			return replyError(40007) // never issued (media/upload or a user's message), or past its 3 days
		}
	case "news":
		// One external-link article since 2018-10-12; more is 45008.
		if n := len(in.News.Articles); n != 1 {
			return replyError(map[bool]int{true: 45008, false: 44004}[n > 1])
		}
	}
	w := f.windows[appKey(r.appid, in.ToUser)]
	if !f.followers[appKey(r.appid, in.ToUser)] && f.kindOf(r.appid) == officialAccount || w == nil {
		return replyError(45015)
	}
	written := !w.openedAt.IsZero() && r.now.Sub(w.openedAt) < serviceWindowLength
	clicked := !w.eventAt.IsZero() && r.now.Sub(w.eventAt) < eventWindowLength
	switch {
	case written && w.sent < serviceWindowQuota:
		w.sent++
	case clicked && w.eventSent < eventWindowQuota:
		w.eventSent++
	case written || clicked:
		return replyError(45047)
	default:
		return replyError(45015)
	}
	f.deliver(d)
	return replyOK(nil)
}

// sendSubscribe is POST /cgi-bin/message/subscribe/send, the Mini Program's
// subscribe message: each send uses up one accept of that template.
func (f *Fake) sendSubscribe(r *apiRequest) apiReply {
	var in struct {
		ToUser           string               `json:"touser"`
		TemplateID       string               `json:"template_id"`
		Page             string               `json:"page"`
		Data             map[string]dataValue `json:"data"`
		MiniprogramState string               `json:"miniprogram_state"`
		Lang             string               `json:"lang"`
	}
	if !decodeJSON(r, &in) {
		return replyError(47001)
	}
	switch in.MiniprogramState {
	case "", "developer", "trial", "formal":
	default:
		return replyInvalid("miniprogram_state")
	}
	switch in.Lang {
	case "", "zh_CN", "en_US", "zh_HK", "zh_TW":
	default:
		return replyInvalid("lang")
	}
	switch {
	case in.ToUser == "":
		return replyError(40003)
	case !f.hasTemplate(r.appid, in.TemplateID):
		return replyError(40037)
	}
	if rep := checkData(in.Data); rep.errcode != 0 {
		return rep
	}
	key := subscribeKey(in.ToUser, in.TemplateID)
	if f.grants[key] <= 0 {
		return replyError(43101)
	}
	f.grants[key]--
	f.deliver(Delivery{Kind: DeliverySubscribe, OpenID: in.ToUser, TemplateID: in.TemplateID,
		Data: flatData(in.Data), Page: in.Page, At: r.now})
	return replyOK(nil)
}
