// Package wechattest plays WeChat for tests, the sandbox and `mashang simulate`:
// a fake of WeChat's server API (fakeapi*.go) and, here, the other direction:
// pushes to our callback URL signed and encrypted exactly as WeChat does.
//
// The encryption below is written from WeChat's published description
// (AES-256-CBC, IV = the key's first 16 bytes, PKCS#7 padding to 32 bytes,
// plaintext = random(16) ‖ len(4, big-endian) ‖ msg ‖ appid) and deliberately
// shares no code with the SDK, so a test that decrypts with the SDK proves
// the two agree rather than that the SDK agrees with itself.
package wechattest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Mode is how the Official Account is configured to push (消息加解密方式).
type Mode string

const (
	ModePlain      Mode = "plain"      // 明文模式
	ModeCompatible Mode = "compatible" // 兼容模式: plaintext fields and ciphertext side by side
	ModeSafe       Mode = "safe"       // 安全模式 (recommended)
)

// ParseMode reads a mode name as a person would type it.
func ParseMode(s string) (Mode, error) {
	switch Mode(strings.ToLower(s)) {
	case ModePlain, "plaintext":
		return ModePlain, nil
	case ModeCompatible, "compat":
		return ModeCompatible, nil
	case ModeSafe, "aes":
		return ModeSafe, nil
	}
	return "", fmt.Errorf("unknown mode %q: use plain, compatible or safe", s)
}

// CallbackSigner builds the HTTP requests WeChat sends to a callback URL.
type CallbackSigner struct {
	URL    string // e.g. http://127.0.0.1:8080/wechat/callback
	Token  string
	AESKey string // the 43-character EncodingAESKey; needed for compatible and safe mode
	AppID  string
	Mode   Mode
	Now    func() time.Time // nil = time.Now
}

func (s CallbackSigner) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Signature is WeChat's sha1 over the lexically sorted parts, in lowercase hex.
func Signature(parts ...string) string {
	sorted := append([]string(nil), parts...)
	sort.Strings(sorted)
	sum := sha1.Sum([]byte(strings.Join(sorted, "")))
	return hex.EncodeToString(sum[:])
}

// VerifyURLRequest is the GET WeChat sends when an administrator saves the server URL.
func (s CallbackSigner) VerifyURLRequest(echostr string) (*http.Request, error) {
	q := s.signedQuery()
	q.Set("echostr", echostr)
	return http.NewRequest(http.MethodGet, s.URL+"?"+q.Encode(), nil)
}

func (s CallbackSigner) signedQuery() url.Values {
	ts := strconv.FormatInt(s.now().Unix(), 10)
	nonce := randomDigits(10)
	q := url.Values{}
	q.Set("signature", Signature(s.Token, ts, nonce))
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	return q
}

// PushRequest wraps a plaintext message XML the way the configured mode sends it.
func (s CallbackSigner) PushRequest(plainXML []byte) (*http.Request, error) {
	q := s.signedQuery()
	if openid := fieldOf(plainXML, "FromUserName"); openid != "" {
		q.Set("openid", openid)
	}
	body := plainXML
	if s.Mode == ModeSafe || s.Mode == ModeCompatible {
		encrypted, err := Encrypt(s.AESKey, s.AppID, plainXML)
		if err != nil {
			return nil, err
		}
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", Signature(s.Token, q.Get("timestamp"), q.Get("nonce"), encrypted))
		toUser := fieldOf(plainXML, "ToUserName")
		if s.Mode == ModeSafe {
			body = []byte("<xml><ToUserName><![CDATA[" + toUser + "]]></ToUserName><Encrypt><![CDATA[" + encrypted + "]]></Encrypt></xml>")
		} else {
			// Compatible mode repeats the plaintext fields and adds <Encrypt>.
			body = bytes.Replace(plainXML, []byte("</xml>"), []byte("<Encrypt><![CDATA["+encrypted+"]]></Encrypt></xml>"), 1)
		}
	}
	req, err := http.NewRequest(http.MethodPost, s.URL+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	return req, nil
}

// OpenReply reads a callback's answer as the WeChat client would: "success" or
// an empty body means no reply (returned as nil); an encrypted reply is checked
// and decrypted.
func (s CallbackSigner) OpenReply(body []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || string(trimmed) == "success" {
		return nil, nil
	}
	var envelope struct {
		Encrypt      string `xml:"Encrypt"`
		MsgSignature string `xml:"MsgSignature"`
		TimeStamp    string `xml:"TimeStamp"`
		Nonce        string `xml:"Nonce"`
	}
	if err := xml.Unmarshal(trimmed, &envelope); err != nil {
		return nil, fmt.Errorf("reply is neither success nor XML: %w", err)
	}
	if envelope.Encrypt == "" {
		if s.Mode == ModeSafe {
			return nil, errors.New("safe mode expects an encrypted reply, got plaintext")
		}
		return trimmed, nil
	}
	if want := Signature(s.Token, envelope.TimeStamp, envelope.Nonce, envelope.Encrypt); want != envelope.MsgSignature {
		return nil, errors.New("reply MsgSignature does not match")
	}
	return Decrypt(s.AESKey, s.AppID, envelope.Encrypt)
}

// Encrypt produces the Base64 <Encrypt> payload for msg.
func Encrypt(encodingAESKey, appID string, msg []byte) (string, error) {
	key, err := decodeAESKey(encodingAESKey)
	if err != nil {
		return "", err
	}
	plain := make([]byte, 0, 20+len(msg)+len(appID)+32)
	random := make([]byte, 16)
	if _, err := io.ReadFull(rand.Reader, random); err != nil {
		return "", err
	}
	plain = append(plain, random...)
	plain = binary.BigEndian.AppendUint32(plain, uint32(len(msg)))
	plain = append(plain, msg...)
	plain = append(plain, appID...)
	pad := 32 - len(plain)%32 // WeChat pads to 32 bytes, not AES's 16
	plain = append(plain, bytes.Repeat([]byte{byte(pad)}, pad)...)

	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out), nil
}

// Decrypt reverses Encrypt and checks the AppID at the end.
func Decrypt(encodingAESKey, appID, encrypted string) ([]byte, error) {
	key, err := decodeAESKey(encodingAESKey)
	if err != nil {
		return nil, err
	}
	data, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, fmt.Errorf("ciphertext is not Base64: %w", err)
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, errors.New("ciphertext is not a whole number of blocks")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(plain, data)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > 32 || pad > len(plain) {
		return nil, errors.New("bad padding")
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return nil, errors.New("plaintext too short")
	}
	n := int(binary.BigEndian.Uint32(plain[16:20]))
	if n > len(plain)-20 {
		return nil, errors.New("message length exceeds plaintext")
	}
	msg, gotAppID := plain[20:20+n], string(plain[20+n:])
	if gotAppID != appID {
		return nil, fmt.Errorf("appid inside the ciphertext is %q, want %q", gotAppID, appID)
	}
	return msg, nil
}

func decodeAESKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("EncodingAESKey must be 43 characters, got %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil {
		return nil, fmt.Errorf("EncodingAESKey is not Base64: %w", err)
	}
	return key, nil
}

// NewAESKey returns a random EncodingAESKey as the admin console's "随机生成"
// does: 43 letters and digits.
func NewAESKey() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 43)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func randomDigits(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

// fieldOf pulls one top-level field out of a message XML; enough for the
// envelope fields that a real push repeats outside the ciphertext.
func fieldOf(msg []byte, name string) string {
	var m struct {
		Fields []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	}
	if xml.Unmarshal(msg, &m) != nil {
		return ""
	}
	for _, f := range m.Fields {
		if f.XMLName.Local == name {
			return f.Value
		}
	}
	return ""
}
