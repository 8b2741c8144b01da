package wechat

import (
	"bytes"
	"encoding/xml"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"mashang"
	"mashang/wechat/wechattest"
)

// The callback's whole inbound path, through its public entry points
// (Inbound.Open, Inbound.VerifyURL, Session.Seal), against WeChat's algorithm
// as wechattest implements it independently of the SDK.
const (
	fuzzToken = "fuzztoken0123"
	fuzzAppID = "wxfuzz0000000001"
	// Fixed keys, so that a failure found replays the same way.
	fuzzKey      = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	fuzzOtherKey = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
)

var fuzzNow = time.Unix(1763800000, 0)

// fuzzInbounds are the configurations a push meets: safe mode (plaintext
// refused), safe mode during a key rotation (the key the test encrypts with
// is the previous one), and plaintext mode (no key).
type fuzzInbounds struct{ safe, rotated, plain *Inbound }

func newFuzzInbounds(tb testing.TB) fuzzInbounds {
	tb.Helper()
	now := func() time.Time { return fuzzNow }
	var ins fuzzInbounds
	var err error
	if ins.safe, err = NewInbound(InboundConfig{Token: fuzzToken, AppID: fuzzAppID, AESKey: fuzzKey, Now: now}); err != nil {
		tb.Fatal(err)
	}
	if ins.rotated, err = NewInbound(InboundConfig{Token: fuzzToken, AppID: fuzzAppID, AESKey: fuzzOtherKey, PreviousAESKey: fuzzKey, Now: now}); err != nil {
		tb.Fatal(err)
	}
	if ins.plain, err = NewInbound(InboundConfig{Token: fuzzToken, AppID: fuzzAppID, Now: now}); err != nil {
		tb.Fatal(err)
	}
	return ins
}

// How a fuzzed input is sent (how % fuzzModes).
const (
	modeAsSent     = iota // the query and body exactly as fuzzed
	modeSigned            // body is the plaintext; the test signs and encrypts it as WeChat does
	modeCompatible        // body is the outer XML of a compatible-mode push around a fixed, signed message
	modeTampered          // a correctly signed push with one signed part changed afterwards
	fuzzModes
)

// FuzzInboundOpen sends arbitrary pushes to the callback's checks. Whatever
// arrives, nothing panics and every refusal is one of the package's errors
// (the handler's 4xx). Beyond that:
//
//   - as sent: nothing is accepted unless its signature (and in safe mode its
//     msg_signature over the <Encrypt> encoding/xml reads) is right and its
//     timestamp within five minutes; a URL check echoes only when signed;
//   - signed: a push the test encrypted opens exactly as its plaintext does in
//     plaintext mode (decryption is transparent), also with the key as the
//     previous one during a rotation; stale timestamps are refused, as are the
//     same plaintext unencrypted in safe mode and the ciphertext made for
//     another AppID or with another key; an accepted push's reply opens with
//     the test's own decryption and carries the text back;
//   - compatible: the fields outside <Encrypt> never change the message;
//   - tampered: any change to a signed part is refused as a bad signature,
//     and a second <Encrypt> never smuggles in another message.
func FuzzInboundOpen(f *testing.F) {
	at := fuzzNow.Add(-time.Minute)
	ts := strconv.FormatInt(fuzzNow.Unix(), 10)
	hostile := [][]byte{
		[]byte(`<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><ToUserName>gh_a</ToUserName><FromUserName>oA</FromUserName><CreateTime>1763800000</CreateTime><MsgType>text</MsgType><Content>&c;</Content><MsgId>1</MsgId></xml>`),
		[]byte(`<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><ToUserName>gh_a</ToUserName><FromUserName>oA</FromUserName><CreateTime>1763800000</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>`),
		[]byte("<xml>" + strings.Repeat("<a>", 2000) + strings.Repeat("</a>", 2000) + "<FromUserName>oA</FromUserName></xml>"),
		[]byte("<xml><ToUserName>gh_a</ToUserName><FromUserName>oA</FromUserName><CreateTime>1763800000</CreateTime><MsgType>text</MsgType><Content>\xff\xfe\x00</Content><MsgId>1</MsgId></xml>"),
		[]byte("<xml><ToUserName><![CDATA[gh_a]]></ToUserName><FromUserName><![CDATA[o'; DROP TABLE cases; --]]></FromUserName><CreateTime>1763800000</CreateTime><MsgType>text</MsgType><Content><![CDATA[\" OR 1=1 -- \\]]></Content><MsgId>1</MsgId></xml>"),
		[]byte("<xml><Encrypt><![CDATA[not base64]]></Encrypt></xml>"),
		[]byte("<xml><Encrypt>AAAA</Encrypt><Encrypt>BBBB</Encrypt></xml>"),
		{},
	}
	docs := append(pushCorpus(), wechattest.Text("gh_a", "oA", 9, "签名之后", at).XML())
	for how := range uint8(fuzzModes) {
		for _, doc := range append(docs, hostile...) {
			f.Add(how, "", ts, "1234567890", "aes", "", int64(0), doc)
		}
	}
	f.Add(uint8(modeSigned), "", "", "nonce<&>\"]]>", "", "", int64(301), docs[0])
	f.Add(uint8(modeSigned), "", "", "", "", "", int64(-300), docs[0])
	f.Add(uint8(modeTampered), "", "", "1", "", "", int64(5<<3|4), docs[0])
	f.Add(uint8(modeAsSent), "da39a3ee5e6b4b0d3255bfef95601890afd80709", ts, "1", "", "", int64(0), []byte("echo"))

	ins := newFuzzInbounds(f)
	f.Fuzz(func(t *testing.T, how uint8, signature, timestamp, nonce, encryptType, msgSignature string, skew int64, body []byte) {
		switch how % fuzzModes {
		case modeAsSent:
			checkAsSent(t, ins, Query{Signature: signature, Timestamp: timestamp, Nonce: nonce, Echostr: string(body),
				EncryptType: encryptType, MsgSignature: msgSignature}, body)
		case modeSigned:
			checkSigned(t, ins, nonce, skew, body)
		case modeCompatible:
			checkCompatible(t, ins, nonce, body)
		case modeTampered:
			checkTampered(t, ins, nonce, uint64(skew), body)
		}
	})
}

// known reports whether err is one of the refusals the handler maps to a 4xx
// with a reason.
func known(err error) bool {
	for _, want := range []error{ErrBadSignature, ErrStale, ErrUndecryptable, ErrWrongAppID, ErrMalformed, ErrPlaintext} {
		if errors.Is(err, want) {
			return true
		}
	}
	return false
}

func fresh(timestamp string) bool {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	skew := fuzzNow.Sub(time.Unix(ts, 0))
	return skew >= -5*time.Minute && skew <= 5*time.Minute
}

func checkAsSent(t *testing.T, ins fuzzInbounds, q Query, body []byte) {
	signed := strings.ToLower(q.Signature) == wechattest.Signature(fuzzToken, q.Timestamp, q.Nonce)
	if echo, err := ins.safe.VerifyURL(q); err == nil {
		if !signed || !fresh(q.Timestamp) || echo != q.Echostr || echo == "" {
			t.Fatalf("URL check answered %q to %+v", echo, q)
		}
	} else if !known(err) {
		t.Fatalf("URL check refused with an unclassified error: %v", err)
	}
	for name, in := range map[string]*Inbound{"safe": ins.safe, "rotated": ins.rotated, "plain": ins.plain} {
		m, _, err := in.Open(q, body)
		if err != nil {
			if !known(err) {
				t.Fatalf("%s: refused with an unclassified error: %v", name, err)
			}
			continue
		}
		if !signed || !fresh(q.Timestamp) {
			t.Fatalf("%s: accepted a push not correctly signed or stale: %+v", name, q)
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("%s: accepted a push that does not validate: %v", name, err)
		}
		if name == "plain" {
			continue
		}
		if q.EncryptType != "aes" {
			t.Fatalf("%s: accepted a plaintext push in safe mode", name)
		}
		var env struct {
			Encrypt string `xml:"Encrypt"`
		}
		if err := xml.Unmarshal(body, &env); err != nil || env.Encrypt == "" {
			t.Fatalf("%s: accepted an envelope encoding/xml cannot read (%v): %q", name, err, body)
		}
		if strings.ToLower(q.MsgSignature) != wechattest.Signature(fuzzToken, q.Timestamp, q.Nonce, env.Encrypt) {
			t.Fatalf("%s: accepted a ciphertext msg_signature does not cover", name)
		}
		_, errKey := wechattest.Decrypt(fuzzKey, fuzzAppID, env.Encrypt)
		_, errOther := wechattest.Decrypt(fuzzOtherKey, fuzzAppID, env.Encrypt)
		if errKey != nil && (name == "safe" || errOther != nil) {
			t.Fatalf("%s: accepted what the reference decryption refuses: %v", name, errKey)
		}
	}
}

// signedPush is a safe-mode push as WeChat builds it.
type signedPush struct {
	q         Query
	body      []byte
	encrypted string
}

func signPush(t *testing.T, key, appID, timestamp, nonce string, plain []byte) signedPush {
	t.Helper()
	encrypted, err := wechattest.Encrypt(key, appID, plain)
	if err != nil {
		t.Fatal(err)
	}
	return signedPush{
		q: Query{Signature: wechattest.Signature(fuzzToken, timestamp, nonce), Timestamp: timestamp, Nonce: nonce,
			EncryptType: "aes", MsgSignature: wechattest.Signature(fuzzToken, timestamp, nonce, encrypted)},
		body:      []byte("<xml><ToUserName><![CDATA[gh_a]]></ToUserName><Encrypt><![CDATA[" + encrypted + "]]></Encrypt></xml>"),
		encrypted: encrypted,
	}
}

func plainQuery(timestamp, nonce string) Query {
	return Query{Signature: wechattest.Signature(fuzzToken, timestamp, nonce), Timestamp: timestamp, Nonce: nonce}
}

func checkSigned(t *testing.T, ins fuzzInbounds, nonce string, skew int64, plain []byte) {
	skew = max(min(skew, 1e12), -1e12)
	timestamp := strconv.FormatInt(fuzzNow.Unix()+skew, 10)
	push := signPush(t, fuzzKey, fuzzAppID, timestamp, nonce, plain)
	got, sess, err := ins.safe.Open(push.q, push.body)
	if skew < -300 || skew > 300 {
		if !errors.Is(err, ErrStale) {
			t.Fatalf("timestamp %d s off: %v, want ErrStale", skew, err)
		}
		return
	}
	want, _, wantErr := ins.plain.Open(plainQuery(timestamp, nonce), plain)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("encrypted and plaintext disagree on %q: %v / %v", plain, err, wantErr)
	}
	if err != nil {
		if !errors.Is(err, ErrMalformed) || !errors.Is(wantErr, ErrMalformed) {
			t.Fatalf("a correctly encrypted push refused other than as malformed: %v / %v", err, wantErr)
		}
	} else if !reflect.DeepEqual(got, want) {
		t.Fatalf("decryption changed the message:\nencrypted %+v\nplaintext %+v", got, want)
	}
	rotated, _, rotErr := ins.rotated.Open(push.q, push.body)
	if (rotErr == nil) != (err == nil) || !reflect.DeepEqual(rotated, got) {
		t.Fatalf("with the previous key: %+v %v, with the current one: %+v %v", rotated, rotErr, got, err)
	}
	if _, _, err := ins.safe.Open(plainQuery(timestamp, nonce), plain); !errors.Is(err, ErrPlaintext) {
		t.Fatalf("safe mode took a signed plaintext push: %v", err)
	}
	for _, other := range []signedPush{
		signPush(t, fuzzKey, "wxsomeoneelse0001", timestamp, nonce, plain),
		signPush(t, fuzzOtherKey, fuzzAppID, timestamp, nonce, plain),
	} {
		if _, _, err := ins.safe.Open(other.q, other.body); !errors.Is(err, ErrWrongAppID) && !errors.Is(err, ErrUndecryptable) {
			t.Fatalf("a push for another AppID or key: %v", err)
		}
	}
	if err != nil {
		return
	}
	checkReply(t, sess, got, nonce)
}

// checkReply seals a text reply and opens it as WeChat would.
func checkReply(t *testing.T, sess Session, m mashang.Inbound, nonce string) {
	text := m.Content + "收到]]>"
	out, err := sess.Seal(mashang.Reply{Text: text})
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	if !xmlText(nonce) {
		// The nonce is echoed in the reply's XML; characters XML cannot
		// carry come back replaced, so the reply's signature could not be
		// checked. WeChat's nonces are digits.
		return
	}
	signer := wechattest.CallbackSigner{Token: fuzzToken, AESKey: fuzzKey, AppID: fuzzAppID, Mode: wechattest.ModeSafe}
	plain, err := signer.OpenReply(out)
	if err != nil {
		t.Fatalf("reply does not open (%v): %q", err, out)
	}
	var r struct{ ToUserName, FromUserName, MsgType, Content string }
	if err := xml.Unmarshal(plain, &r); err != nil {
		t.Fatalf("reply is not XML (%v): %q", err, plain)
	}
	if r.ToUserName != m.OpenID || r.FromUserName != m.Account || r.MsgType != "text" || r.Content != text {
		t.Fatalf("reply %+v to %+v", r, m)
	}
}

// xmlText reports whether s survives XML: valid UTF-8 of XML characters,
// without carriage returns (which XML turns into line feeds).
func xmlText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n':
		case r < 0x20, r == '\r', r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			return false
		}
	}
	return true
}

var compatibleInner = wechattest.Text("gh_a", "oInner", 42, "加密的那一份", fuzzNow).XML()

func checkCompatible(t *testing.T, ins fuzzInbounds, nonce string, outer []byte) {
	end := bytes.LastIndex(outer, []byte("</xml>"))
	if end < 0 {
		return
	}
	timestamp := strconv.FormatInt(fuzzNow.Unix(), 10)
	push := signPush(t, fuzzKey, fuzzAppID, timestamp, nonce, compatibleInner)
	body := append(append(append([]byte{}, outer[:end]...), "<Encrypt><![CDATA["+push.encrypted+"]]></Encrypt>"...), outer[end:]...)
	got, _, err := ins.safe.Open(push.q, body)
	if err != nil {
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) {
			t.Fatalf("compatible push refused with %v", err)
		}
		return
	}
	want, _, wantErr := ins.plain.Open(plainQuery(timestamp, nonce), compatibleInner)
	if wantErr != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("the outer fields changed the message:\ngot  %+v\nwant %+v (%v)\nbody %q", got, want, wantErr, body)
	}
}

func checkTampered(t *testing.T, ins fuzzInbounds, nonce string, choice uint64, plain []byte) {
	timestamp := strconv.FormatInt(fuzzNow.Unix(), 10)
	push := signPush(t, fuzzKey, fuzzAppID, timestamp, nonce, plain)
	pos := int(choice >> 3)
	q, body := push.q, push.body
	// flip changes the byte at pos so that the value differs even to a
	// case-insensitive comparison.
	flip := func(s string) string {
		if s == "" {
			return "0"
		}
		b := []byte(s)
		i := pos % len(b)
		for _, c := range []byte("0123456789abcdefghijklmnopqrstuvwxyz+/=") {
			if c != b[i]|0x20 && c != b[i] {
				b[i] = c
				break
			}
		}
		return string(b)
	}
	switch choice % 6 {
	case 0:
		q.Signature = flip(q.Signature)
	case 1:
		q.MsgSignature = flip(q.MsgSignature)
	case 2:
		q.Timestamp = strconv.FormatInt(fuzzNow.Unix()+int64(1+pos%300), 10) // still fresh, but not what was signed
	case 3:
		q.Nonce = nonce + "0"
	case 4:
		body = bytes.Replace(body, []byte(push.encrypted), []byte(flip(push.encrypted)), 1)
	case 5:
		// Another message's ciphertext, validly encrypted but not signed,
		// beside the signed one.
		other := signPush(t, fuzzKey, fuzzAppID, timestamp, nonce, wechattest.Text("gh_a", "oSmuggled", 7, "偷梁换柱", fuzzNow).XML())
		for _, at := range []int{bytes.Index(body, []byte("<Encrypt>")), bytes.LastIndex(body, []byte("</xml>"))} {
			smuggled := append(append(append([]byte{}, body[:at]...), "<Encrypt><![CDATA["+other.encrypted+"]]></Encrypt>"...), body[at:]...)
			got, _, err := ins.safe.Open(q, smuggled)
			if err != nil {
				if !known(err) {
					t.Fatalf("refused with an unclassified error: %v", err)
				}
				continue
			}
			if want, _, _ := ins.plain.Open(plainQuery(timestamp, nonce), plain); !reflect.DeepEqual(got, want) {
				t.Fatalf("a second <Encrypt> replaced the message: %+v", got)
			}
		}
		return
	}
	if _, _, err := ins.safe.Open(q, body); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered push (%d): %v, want ErrBadSignature", choice%6, err)
	}
}
