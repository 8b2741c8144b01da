// Package wechat is the only code that imports the WeChat SDK. Inbound, it
// verifies, decrypts and parses what WeChat pushes to the callback; outbound,
// it configures the SDK's clients (API host, timeouts, tokens).
package wechat

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"mashang"
)

// Errors a push can be refused with. None of them is WeChat's fault to retry:
// the handler answers them with a 4xx and stores nothing.
var (
	ErrBadSignature  = errors.New("signature does not match")
	ErrStale         = errors.New("timestamp too far from now")
	ErrUndecryptable = errors.New("cannot decrypt the message")
	ErrWrongAppID    = errors.New("message is for another AppID")
	ErrMalformed     = errors.New("message is not a WeChat push")
	ErrPlaintext     = errors.New("plaintext push refused in safe mode")
)

// InboundConfig is what checking a push needs.
type InboundConfig struct {
	Token string
	AppID string
	// AESKey is the current EncodingAESKey; PreviousAESKey the one before a
	// rotation, tried when the current one fails, so nothing is lost while
	// WeChat switches over.
	AESKey         string
	PreviousAESKey string
	// AllowPlaintext accepts unencrypted pushes even when a key is set. The
	// plain signature does not cover the body, so a captured query could be
	// replayed with any body: keep it off in production.
	AllowPlaintext bool
	MaxClockSkew   time.Duration // 0 = 5 minutes
	Now            func() time.Time
}

// Inbound checks and opens pushes.
type Inbound struct {
	cfg  InboundConfig
	keys [][]byte // decoded AES keys, current first
}

// NewInbound validates the configuration once, so no push pays for it.
func NewInbound(cfg InboundConfig) (*Inbound, error) {
	if cfg.Token == "" {
		return nil, errors.New("token is empty")
	}
	if cfg.MaxClockSkew == 0 {
		cfg.MaxClockSkew = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	in := &Inbound{cfg: cfg}
	for _, k := range []string{cfg.AESKey, cfg.PreviousAESKey} {
		if k == "" {
			continue
		}
		key, err := DecodeAESKey(k)
		if err != nil {
			return nil, err
		}
		in.keys = append(in.keys, key)
	}
	if len(in.keys) == 0 {
		in.cfg.AllowPlaintext = true
	}
	return in, nil
}

// DecodeAESKey turns a 43-character EncodingAESKey into the 32-byte AES key.
func DecodeAESKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("an EncodingAESKey is 43 characters, this one has %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("an EncodingAESKey is 43 characters of A-Z, a-z and 0-9")
	}
	return key, nil
}

// Query is the signed part of a push's URL.
type Query struct {
	Signature    string
	Timestamp    string
	Nonce        string
	Echostr      string
	EncryptType  string
	MsgSignature string
}

// QueryFrom reads the parameters WeChat adds to the callback URL.
func QueryFrom(v url.Values) Query {
	return Query{
		Signature:    v.Get("signature"),
		Timestamp:    v.Get("timestamp"),
		Nonce:        v.Get("nonce"),
		Echostr:      v.Get("echostr"),
		EncryptType:  v.Get("encrypt_type"),
		MsgSignature: v.Get("msg_signature"),
	}
}

// VerifyURL answers WeChat's server-URL check: the echostr, if signed.
func (in *Inbound) VerifyURL(q Query) (string, error) {
	if err := in.checkSignature(q); err != nil {
		return "", err
	}
	if q.Echostr == "" {
		return "", fmt.Errorf("%w: no echostr", ErrMalformed)
	}
	return q.Echostr, nil
}

func (in *Inbound) checkSignature(q Query) error {
	if !equalHex(q.Signature, signature(in.cfg.Token, q.Timestamp, q.Nonce)) {
		return ErrBadSignature
	}
	return in.checkFresh(q.Timestamp)
}

func (in *Inbound) checkFresh(timestamp string) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q is not a number", ErrStale, timestamp)
	}
	skew := in.cfg.Now().Sub(time.Unix(ts, 0))
	if skew > in.cfg.MaxClockSkew || skew < -in.cfg.MaxClockSkew {
		return fmt.Errorf("%w: %s off", ErrStale, skew.Round(time.Second))
	}
	return nil
}

// Session remembers how a push came, so its reply goes back the same way.
type Session struct {
	in        *Inbound
	encrypted bool
	key       []byte
	nonce     string
	account   string
	openid    string
}

// envelope is the outer XML of an encrypted (or compatible-mode) push.
type envelope struct {
	ToUserName string `xml:"ToUserName"`
	Encrypt    string `xml:"Encrypt"`
}

// Open checks a push (signatures in constant time, timestamp, AppID) and
// parses it into the domain's Inbound.
func (in *Inbound) Open(q Query, body []byte) (mashang.Inbound, Session, error) {
	if err := in.checkSignature(q); err != nil {
		return mashang.Inbound{}, Session{}, err
	}
	sess := Session{in: in, nonce: q.Nonce}
	plain := body
	switch q.EncryptType {
	case "aes":
		env, err := readEnvelope(body)
		if err != nil {
			return mashang.Inbound{}, Session{}, err
		}
		if !equalHex(q.MsgSignature, signature(in.cfg.Token, q.Timestamp, q.Nonce, env.Encrypt)) {
			return mashang.Inbound{}, Session{}, ErrBadSignature
		}
		msg, key, err := in.decrypt(env.Encrypt)
		if err != nil {
			return mashang.Inbound{}, Session{}, err
		}
		plain, sess.encrypted, sess.key = msg, true, key
	case "", "raw":
		if !in.cfg.AllowPlaintext {
			return mashang.Inbound{}, Session{}, ErrPlaintext
		}
	default:
		return mashang.Inbound{}, Session{}, fmt.Errorf("%w: unknown encrypt_type %q", ErrMalformed, q.EncryptType)
	}
	m, err := parse(plain)
	if err != nil {
		return mashang.Inbound{}, Session{}, err
	}
	sess.account, sess.openid = m.Account, m.OpenID
	return m, sess, nil
}

// decrypt tries the current key, then the previous one.
func (in *Inbound) decrypt(encrypted string) ([]byte, []byte, error) {
	if len(in.keys) == 0 {
		return nil, nil, fmt.Errorf("%w: encrypted push but no EncodingAESKey is configured", ErrUndecryptable)
	}
	ciphertext, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: <Encrypt> is not Base64", ErrUndecryptable)
	}
	// AESDecryptMsg panics on a ciphertext that is not whole AES blocks;
	// it checks for WeChat's 32-byte multiple, which is stricter.
	if len(ciphertext) == 0 || len(ciphertext)%32 != 0 {
		return nil, nil, fmt.Errorf("%w: ciphertext length %d", ErrUndecryptable, len(ciphertext))
	}
	var lastErr error = ErrUndecryptable
	for _, key := range in.keys {
		_, msg, appID, err := util.AESDecryptMsg(ciphertext, key)
		if err != nil {
			lastErr = fmt.Errorf("%w: %v", ErrUndecryptable, err)
			continue
		}
		if string(appID) != in.cfg.AppID {
			// A wrong key yields garbage here too; only call it the wrong
			// AppID when the message itself decrypted into XML.
			if len(msg) > 0 && (msg[0] == '<' || msg[0] == '{') { // XML, or a Mini Program's JSON push
				lastErr = ErrWrongAppID
			} else {
				lastErr = ErrUndecryptable
			}
			continue
		}
		return msg, key, nil
	}
	return nil, nil, lastErr
}

func readEnvelope(body []byte) (envelope, error) {
	var env envelope
	if encrypted, ok := encryptedField(body); ok {
		env.Encrypt = encrypted
	} else if err := xml.Unmarshal(body, &env); err != nil {
		return envelope{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if env.Encrypt == "" {
		return envelope{}, fmt.Errorf("%w: no <Encrypt> in an encrypted push", ErrMalformed)
	}
	return env, nil
}

// parse reads a plaintext push: the common flat shape directly, anything
// else with the SDK's message type and encoding/xml, keeping the XML itself
// for the fields the message type does not have.
func parse(plain []byte) (mashang.Inbound, error) {
	m, ok := parseFlat(plain)
	if !ok {
		var err error
		if m, err = parseMixMessage(plain); err != nil {
			return mashang.Inbound{}, err
		}
		m.Raw = plain
	}
	if err := m.Validate(); err != nil {
		return mashang.Inbound{}, fmt.Errorf("%w: %s", ErrMalformed, mashang.ErrorMessage(err))
	}
	return m, nil
}

func parseMixMessage(plain []byte) (mashang.Inbound, error) {
	var mm message.MixMessage
	if err := xml.Unmarshal(plain, &mm); err != nil {
		return mashang.Inbound{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	m := mashang.Inbound{
		Account:      string(mm.ToUserName),
		OpenID:       string(mm.FromUserName),
		CreateTime:   time.Unix(mm.CreateTime, 0).UTC(),
		MsgType:      string(mm.MsgType),
		MsgID:        mm.MsgID,
		Content:      mm.Content,
		MediaID:      mm.MediaID,
		PicURL:       mm.PicURL,
		Format:       mm.Format,
		Recognition:  mm.Recognition,
		ThumbMediaID: mm.ThumbMediaID,
		LocationX:    mm.LocationX,
		LocationY:    mm.LocationY,
		Scale:        int(mm.Scale),
		Label:        mm.Label,
		Event:        string(mm.Event),
		EventKey:     mm.EventKey,
		Ticket:       mm.Ticket,
		Title:        mm.Title,
		Description:  mm.Description,
		URL:          mm.URL,
	}
	m.Latitude, _ = strconv.ParseFloat(mm.Latitude, 64)
	m.Longitude, _ = strconv.ParseFloat(mm.Longitude, 64)
	m.Precision, _ = strconv.ParseFloat(mm.Precision, 64)
	return m, nil
}

// Seal renders the answer to the push: "success" when there is nothing to
// say (in every mode: the SDK would encrypt an empty payload in safe mode,
// which WeChat does not document), else the reply, encrypted with the key
// the push came with.
func (s Session) Seal(r mashang.Reply) ([]byte, error) {
	if r.IsEmpty() {
		return []byte("success"), nil
	}
	now := s.in.cfg.Now().Unix()
	plain := textReplyXML(s.openid, s.account, now, r.Text)
	if !s.encrypted {
		return plain, nil
	}
	random := make([]byte, 16)
	if _, err := io.ReadFull(rand.Reader, random); err != nil {
		return nil, fmt.Errorf("random for reply: %w", err)
	}
	encrypted := base64.StdEncoding.EncodeToString(util.AESEncryptMsg(random, plain, s.in.cfg.AppID, s.key))
	ts := strconv.FormatInt(now, 10)
	var out bytes.Buffer
	out.WriteString("<xml><Encrypt>" + cdata(encrypted) + "</Encrypt><MsgSignature>" +
		cdata(signature(s.in.cfg.Token, ts, s.nonce, encrypted)) + "</MsgSignature><TimeStamp>" + ts +
		"</TimeStamp><Nonce>")
	// The nonce is the one WeChat sent (signed, but still escape it).
	if err := xml.EscapeText(&out, []byte(s.nonce)); err != nil {
		return nil, fmt.Errorf("render encrypted reply: %w", err)
	}
	out.WriteString("</Nonce></xml>")
	return out.Bytes(), nil
}

// textReplyXML renders WeChat's passive text reply, string fields as CDATA
// like WeChat's own samples.
func textReplyXML(toUser, fromUser string, createTime int64, content string) []byte {
	var b strings.Builder
	b.WriteString("<xml><ToUserName>" + cdata(toUser) + "</ToUserName><FromUserName>" + cdata(fromUser) +
		"</FromUserName><CreateTime>" + strconv.FormatInt(createTime, 10) + "</CreateTime><MsgType>" +
		cdata("text") + "</MsgType><Content>" + cdata(content) + "</Content></xml>")
	return []byte(b.String())
}

// cdata wraps s in a CDATA section; a "]]>" inside is split so it cannot end
// the section early.
func cdata(s string) string {
	return "<![CDATA[" + strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>") + "]]>"
}

// signature is WeChat's sha1 over the lexically sorted parts, lowercase hex.
func signature(parts ...string) string {
	sort.Strings(parts)
	h := sha1.New()
	for _, p := range parts {
		io.WriteString(h, p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// equalHex compares signatures in constant time (case-insensitively, as some
// proxies upper-case hex).
func equalHex(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(want)) == 1
}
