package mashang

import (
	"fmt"
	"strings"
	"time"
)

// Message types and events WeChat pushes to the callback, in WeChat's spelling.
const (
	MsgText       = "text"
	MsgImage      = "image"
	MsgVoice      = "voice"
	MsgVideo      = "video"
	MsgShortVideo = "shortvideo"
	MsgLocation   = "location"
	MsgLink       = "link"
	MsgEvent      = "event"
	// MsgForm is ours, not WeChat's: a case raised with the Mini Program's
	// form, taken through the same path as a message.
	MsgForm = "form"
	// MsgWalkin is ours too: a matter staff or a deputy entered for a
	// citizen (Intake.Enter), opened along the same path.
	MsgWalkin = "walkin"

	EventSubscribe   = "subscribe"
	EventUnsubscribe = "unsubscribe"
	EventScan        = "SCAN"
	EventLocation    = "LOCATION"
	EventClick       = "CLICK"
	EventView        = "VIEW"
)

// Inbound is one message or event a citizen's WeChat pushed to us, after the
// signature, decryption and AppID were checked.
type Inbound struct {
	Account    string    // ToUserName: our account's original id (gh_…)
	OpenID     string    // FromUserName
	CreateTime time.Time // WeChat's CreateTime, whole seconds
	MsgType    string
	MsgID      int64 // 0 for events

	Content string // text

	MediaID      string // image, voice, video
	PicURL       string
	Format       string // voice
	Recognition  string // voice: WeChat's transcript, kept when present (it is being retired)
	ThumbMediaID string

	LocationX, LocationY float64 // location message: latitude, longitude
	Scale                int
	Label                string

	Event    string
	EventKey string
	Ticket   string

	Latitude, Longitude, Precision float64 // LOCATION event

	Title, Description, URL string // link

	// Raw is the decrypted XML when it carried fields beyond those above
	// (menus' picture lists, subscription popups, fields WeChat adds later),
	// so nothing WeChat sent is lost; nil when the fields above hold it all,
	// so that the common message is not stored twice.
	Raw []byte

	// For MsgForm: the code the form was opened from, the client's request
	// id (a retried submission finds its case), and the citizen's consent
	// to the case being shown anonymised on the results wall.
	FormTarget    Scene
	RequestID     string
	PublicConsent bool
	// ProgressTemplate: the subscribe message a form's citizen accepted for
	// the progress of the case it opens.
	ProgressTemplate string
	// Photos are the form's uploads; TextCheck is WeChat's content security
	// verdict on its text (nil: not checked, with TextCheckProblem saying why).
	Photos           []string
	FormCategory     string // chosen by the citizen; "" = found by keyword rules
	TextCheck        *SecurityVerdict
	TextCheckProblem string

	// For MsgWalkin: how it came (a Channel) and who entered it (the
	// Enterer's key, which also owns its photos, and their name).
	Channel     string
	EnteredBy   string
	EnteredName string

	ReceivedAt time.Time // when we took it
}

// DedupKey identifies one push across WeChat's retries (it delivers the same
// push up to three times within ~15 s). Messages carry a MsgId; events do not,
// so WeChat documents FromUserName + CreateTime for them, and we add the event
// name because a follow and a scan can share a second. The openid is part of
// the message key as well: WxJava lost messages keying on MsgId alone when
// many citizens sent voice at once (binarywang/WxJava#333).
//
// The key leads with the number that grows with time (MsgId, or CreateTime
// for events), zero-padded, so new keys land at the end of the unique index
// instead of on a random page of it: one page written per commit, not one per
// message.
func (m Inbound) DedupKey() string {
	if m.MsgType == MsgForm {
		return "f:" + m.OpenID + ":" + m.RequestID
	}
	if m.MsgType != MsgEvent && m.MsgID != 0 {
		return fmt.Sprintf("m%020d:%s", uint64(m.MsgID), m.OpenID)
	}
	kind := m.Event
	if m.MsgType != MsgEvent {
		kind = m.MsgType
	}
	return fmt.Sprintf("e%011d:%s:%s", m.CreateTime.Unix(), m.OpenID, kind)
}

// Validate checks what every push must carry.
func (m Inbound) Validate() error {
	switch {
	case m.OpenID == "":
		return Errorf(EINVALID, "message has no FromUserName")
	case len(m.OpenID) > 64 || strings.ContainsAny(m.OpenID, " \t\r\n:"):
		return Errorf(EINVALID, "FromUserName is not an openid")
	case m.MsgType == "":
		return Errorf(EINVALID, "message has no MsgType")
	case len(m.MsgType) > 32 || len(m.Event) > 64:
		return Errorf(EINVALID, "MsgType or Event is too long")
	// Longer than the columns that keep them: MySQL would refuse the row.
	case len(m.Account) > 64 || len(m.Format) > 32:
		return Errorf(EINVALID, "ToUserName or Format is too long")
	case len(m.MediaID) > 255 || len(m.ThumbMediaID) > 255 || len(m.Ticket) > 255:
		return Errorf(EINVALID, "MediaId, ThumbMediaId or Ticket is too long")
	case m.CreateTime.Unix() <= 0:
		return Errorf(EINVALID, "message has no CreateTime")
	case m.MsgType == MsgEvent && m.Event == "":
		return Errorf(EINVALID, "event has no Event")
	}
	return nil
}

// Scene returns the scene a code scan carried, with WeChat's "qrscene_"
// prefix removed from a follow-by-scan (only there, and only once: a scene
// may itself contain the text, wechatpy#430).
func (m Inbound) Scene() (string, bool) {
	if m.MsgType != MsgEvent {
		return "", false
	}
	switch m.Event {
	case EventScan:
		return m.EventKey, m.EventKey != ""
	case EventSubscribe:
		scene, ok := strings.CutPrefix(m.EventKey, "qrscene_")
		return scene, ok && scene != ""
	}
	return "", false
}

// Reply is what we answer a push with. The zero Reply means "no reply": the
// callback then answers "success" as WeChat asks.
type Reply struct {
	Text string
	// Repeat says the push was a retried delivery: this is the answer the
	// first one got, and nothing changed.
	Repeat bool
}

// IsEmpty reports whether there is nothing to send back.
func (r Reply) IsEmpty() bool { return r.Text == "" }
