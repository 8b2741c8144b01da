package mashang

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// EUNAUTHORIZED: the caller is not signed in, or their session ran out.
const EUNAUTHORIZED = "unauthorized"

// MPSession is a citizen signed in to the Mini Program.
type MPSession struct {
	OpenID    string
	UnionID   string
	ExpiresAt time.Time
}

// Sessions issues and checks the Mini Program's session tokens: the
// session is in the token, signed with HMAC-SHA256, so any instance accepts
// it and no server keeps it.
type Sessions struct {
	Secret []byte
	TTL    time.Duration // 0 = 7 days
	Now    func() time.Time
	// Purpose keeps tokens of one use from passing for another's (a
	// deputy's page session is no Mini Program session); "" is the Mini
	// Program's.
	Purpose string
}

type sessionClaims struct {
	OpenID  string `json:"o"`
	UnionID string `json:"u,omitempty"`
	Expires int64  `json:"e"`
}

var b64 = base64.RawURLEncoding

func (s *Sessions) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Issue signs a session for the citizen.
func (s *Sessions) Issue(openid, unionid string) (string, time.Time) {
	ttl := s.TTL
	if ttl <= 0 {
		ttl = 7 * 24 * time.Hour
	}
	expires := s.now().Add(ttl).Truncate(time.Second)
	payload, _ := json.Marshal(sessionClaims{OpenID: openid, UnionID: unionid, Expires: expires.Unix()}) // plain struct: cannot fail
	body := b64.EncodeToString(payload)
	return body + "." + b64.EncodeToString(s.mac(body)), expires
}

// Verify checks a token's signature (in constant time) and expiry.
func (s *Sessions) Verify(token string) (MPSession, error) {
	body, sig, ok := strings.Cut(token, ".")
	if !ok {
		return MPSession{}, Errorf(EUNAUTHORIZED, "登录信息无效，请重新登录")
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(body)) {
		return MPSession{}, Errorf(EUNAUTHORIZED, "登录信息无效，请重新登录")
	}
	payload, err := b64.DecodeString(body)
	var c sessionClaims
	if err != nil || json.Unmarshal(payload, &c) != nil || c.OpenID == "" {
		return MPSession{}, Errorf(EUNAUTHORIZED, "登录信息无效，请重新登录")
	}
	expires := time.Unix(c.Expires, 0)
	if !s.now().Before(expires) {
		return MPSession{}, Errorf(EUNAUTHORIZED, "登录已过期，请重新登录")
	}
	return MPSession{OpenID: c.OpenID, UnionID: c.UnionID, ExpiresAt: expires}, nil
}

func (s *Sessions) mac(body string) []byte {
	purpose := s.Purpose
	if purpose == "" {
		purpose = "mashang-mp-session"
	}
	return s.macFor(purpose, body)
}

func (s *Sessions) macFor(purpose, body string) []byte {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte(purpose + "\x00")) // a token for nothing else
	m.Write([]byte(body))
	return m.Sum(nil)
}

// Sign signs value for use (e.g. where a sign-in returns to) with the
// sessions' secret: only this service can make the signature, and it
// passes for nothing else, a session least of all.
func (s *Sessions) Sign(use, value string) string {
	return b64.EncodeToString(s.macFor(s.Purpose+"\x00sign\x00"+use, value))
}

// Signed checks, in constant time, that sig is Sign(use, value).
func (s *Sessions) Signed(use, value, sig string) bool {
	got, err := b64.DecodeString(sig)
	return err == nil && hmac.Equal(got, s.macFor(s.Purpose+"\x00sign\x00"+use, value))
}

// CodeExchanger turns a wx.login code into the citizen's identity
// (jscode2session).
type CodeExchanger interface {
	Code2Session(ctx context.Context, code string) (openid, unionid string, err error)
}

// MPUsers remembers who signed in.
type MPUsers interface {
	RecordMPLogin(ctx context.Context, openid, unionid string, at time.Time) error
}

// Login signs a citizen in to the Mini Program.
type Login struct {
	WeChat   CodeExchanger
	Users    MPUsers
	Sessions *Sessions
}

// loginCode is what wx.login codes look like; the SDK puts the code into
// the URL unescaped, so anything else is refused before WeChat is asked.
var loginCode = regexp.MustCompile(`^[A-Za-z0-9_\-]{8,128}$`)

// Login exchanges the code and answers with a session token.
func (l *Login) Login(ctx context.Context, code string) (token string, expires time.Time, err error) {
	if !loginCode.MatchString(code) {
		return "", time.Time{}, Errorf(EINVALID, "code 应为 wx.login 返回的登录凭证")
	}
	openid, unionid, err := l.WeChat.Code2Session(ctx, code)
	if err != nil {
		var coded WeChatCoded
		if errors.As(err, &coded) {
			switch coded.WeChatCode() {
			case 40029, 40163:
				return "", time.Time{}, Errorf(EUNAUTHORIZED, "登录凭证无效或已使用，请重新调用 wx.login")
			case 45011:
				return "", time.Time{}, Errorf(EUNAVAILABLE, "登录过于频繁，请稍后再试")
			case 40226:
				return "", time.Time{}, Errorf(EFORBIDDEN, "微信判定该账号存在风险，暂不能登录")
			}
		}
		return "", time.Time{}, fmt.Errorf("code2session: %w", err)
	}
	now := l.Sessions.now()
	if err := l.Users.RecordMPLogin(ctx, openid, unionid, now); err != nil {
		return "", time.Time{}, err
	}
	token, expires = l.Sessions.Issue(openid, unionid)
	return token, expires, nil
}
