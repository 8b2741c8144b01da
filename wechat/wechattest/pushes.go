package wechattest

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"time"
)

// Push describes one message or event as WeChat pushes it. Only the fields of
// its type are written; field names and CDATA use follow WeChat's samples.
type Push struct {
	ToUserName   string // the account's original id, gh_…
	FromUserName string // the citizen's openid
	CreateTime   time.Time
	MsgType      string
	MsgID        int64

	Content string // text

	PicURL      string // image
	MediaID     string // image, voice, video
	Format      string // voice: amr or speex
	Recognition string // voice: WeChat's transcript, often empty

	LocationX float64 // location message: latitude
	LocationY float64 // longitude
	Scale     int
	Label     string

	Event    string // for MsgType event
	EventKey string
	Ticket   string

	Latitude, Longitude, Precision float64 // LOCATION event
}

// XML renders the push body.
func (p Push) XML() []byte {
	var b bytes.Buffer
	b.WriteString("<xml>")
	cdata(&b, "ToUserName", p.ToUserName)
	cdata(&b, "FromUserName", p.FromUserName)
	plain(&b, "CreateTime", strconv.FormatInt(p.CreateTime.Unix(), 10))
	cdata(&b, "MsgType", p.MsgType)
	switch p.MsgType {
	case "text":
		cdata(&b, "Content", p.Content)
	case "image":
		cdata(&b, "PicUrl", p.PicURL)
		cdata(&b, "MediaId", p.MediaID)
	case "voice":
		cdata(&b, "MediaId", p.MediaID)
		cdata(&b, "Format", p.Format)
		cdata(&b, "Recognition", p.Recognition)
	case "location":
		plain(&b, "Location_X", strconv.FormatFloat(p.LocationX, 'f', 6, 64))
		plain(&b, "Location_Y", strconv.FormatFloat(p.LocationY, 'f', 6, 64))
		plain(&b, "Scale", strconv.Itoa(p.Scale))
		cdata(&b, "Label", p.Label)
	case "event":
		cdata(&b, "Event", p.Event)
		switch p.Event {
		case "LOCATION":
			plain(&b, "Latitude", strconv.FormatFloat(p.Latitude, 'f', 6, 64))
			plain(&b, "Longitude", strconv.FormatFloat(p.Longitude, 'f', 6, 64))
			plain(&b, "Precision", strconv.FormatFloat(p.Precision, 'f', 6, 64))
		default:
			if p.EventKey != "" || p.Event == "SCAN" || p.Event == "CLICK" || p.Event == "VIEW" {
				cdata(&b, "EventKey", p.EventKey)
			}
			if p.Ticket != "" {
				cdata(&b, "Ticket", p.Ticket)
			}
		}
	}
	if p.MsgType != "event" {
		plain(&b, "MsgId", strconv.FormatInt(p.MsgID, 10))
	}
	b.WriteString("</xml>")
	return b.Bytes()
}

func cdata(b *bytes.Buffer, name, value string) {
	// A literal "]]>" would end the section early; split it as XML allows.
	b.WriteString("<" + name + "><![CDATA[" + strings.ReplaceAll(value, "]]>", "]]]]><![CDATA[>") + "]]></" + name + ">")
}

func plain(b *bytes.Buffer, name, value string) {
	b.WriteString("<" + name + ">")
	_ = xml.EscapeText(b, []byte(value))
	b.WriteString("</" + name + ">")
}

// Text is a text message from a citizen.
func Text(account, openid string, msgID int64, content string, at time.Time) Push {
	return Push{ToUserName: account, FromUserName: openid, CreateTime: at, MsgType: "text", MsgID: msgID, Content: content}
}

// Image is a photo from a citizen.
func Image(account, openid string, msgID int64, mediaID string, at time.Time) Push {
	return Push{ToUserName: account, FromUserName: openid, CreateTime: at, MsgType: "image", MsgID: msgID,
		MediaID: mediaID, PicURL: "http://mmbiz.qpic.cn/sandbox/" + mediaID}
}

// Voice is a voice message, with WeChat's (optional) transcript.
func Voice(account, openid string, msgID int64, mediaID, recognition string, at time.Time) Push {
	return Push{ToUserName: account, FromUserName: openid, CreateTime: at, MsgType: "voice", MsgID: msgID,
		MediaID: mediaID, Format: "amr", Recognition: recognition}
}

// Location is a location a citizen chose to send.
func Location(account, openid string, msgID int64, lat, lng float64, label string, at time.Time) Push {
	return Push{ToUserName: account, FromUserName: openid, CreateTime: at, MsgType: "location", MsgID: msgID,
		LocationX: lat, LocationY: lng, Scale: 15, Label: label}
}

// Scan is what a follower's scan of a parametric code pushes.
func Scan(account, openid, scene string, at time.Time) Push {
	return Push{ToUserName: account, FromUserName: openid, CreateTime: at, MsgType: "event", Event: "SCAN",
		EventKey: scene, Ticket: "gQsandbox" + scene}
}

// SubscribeByScan is what a non-follower's scan pushes: they follow, and the
// scene arrives with WeChat's qrscene_ prefix.
func SubscribeByScan(account, openid, scene string, at time.Time) Push {
	return Push{ToUserName: account, FromUserName: openid, CreateTime: at, MsgType: "event", Event: "subscribe",
		EventKey: "qrscene_" + scene, Ticket: "gQsandbox" + scene}
}

// Event is any other event (subscribe, unsubscribe, CLICK, VIEW, …).
func Event(account, openid, event, key string, at time.Time) Push {
	return Push{ToUserName: account, FromUserName: openid, CreateTime: at, MsgType: "event", Event: event, EventKey: key}
}
