package mashang

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
)

// Vault encrypts personal data kept at rest (a citizen's phone number) with
// AES-256-GCM; the key comes from configuration, never from the database.
type Vault struct {
	aead cipher.AEAD
}

// NewVault takes a 32-byte key.
func NewVault(key []byte) (*Vault, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("the data key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Vault{aead: aead}, nil
}

// Seal encrypts a value; what it returns is safe to store.
func (v *Vault) Seal(plain string) string {
	nonce := make([]byte, v.aead.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand does not fail on supported systems
	return base64.RawStdEncoding.EncodeToString(v.aead.Seal(nonce, nonce, []byte(plain), []byte("mashang-v1")))
}

// Open decrypts what Seal made.
func (v *Vault) Open(sealed string) (string, error) {
	data, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(data) < v.aead.NonceSize() {
		return "", errors.New("not a sealed value")
	}
	n := v.aead.NonceSize()
	plain, err := v.aead.Open(nil, data[:n], data[n:], []byte("mashang-v1"))
	if err != nil {
		return "", errors.New("sealed value does not open with this key")
	}
	return string(plain), nil
}

// MaskPhone shows a phone number as 138****8000, as everyone but staff who
// need it sees it.
func MaskPhone(phone string) string {
	if len(phone) < 7 {
		return "****"
	}
	return phone[:3] + "****" + phone[len(phone)-4:]
}

// PhoneFetcher exchanges a getPhoneNumber code for the citizen's number
// (wxa/business/getuserphonenumber, the code flow).
type PhoneFetcher interface {
	PhoneNumber(ctx context.Context, code string) (string, error)
}

// PhoneStore keeps a citizen's sealed phone number.
type PhoneStore interface {
	SetMPPhone(ctx context.Context, openid, sealed string) error
	MPPhone(ctx context.Context, openid string) (string, error)
}

// Phones records the numbers citizens grant.
type Phones struct {
	WeChat PhoneFetcher
	Store  PhoneStore
	Vault  *Vault
}

var phoneCode = regexp.MustCompile(`^[A-Za-z0-9_\-]{8,256}$`)

// Bind fetches the number behind code and keeps it sealed; it answers
// with the masked number.
func (p *Phones) Bind(ctx context.Context, openid, code string) (string, error) {
	if !phoneCode.MatchString(code) {
		return "", Errorf(EINVALID, "code 应为 getPhoneNumber 返回的凭证")
	}
	phone, err := p.WeChat.PhoneNumber(ctx, code)
	if err != nil {
		var coded WeChatCoded
		if errors.As(err, &coded) && coded.WeChatCode() == 40029 {
			return "", Errorf(EINVALID, "手机号凭证无效或已使用，请重新授权")
		}
		return "", fmt.Errorf("get phone number: %w", err)
	}
	if err := p.Store.SetMPPhone(ctx, openid, p.Vault.Seal(phone)); err != nil {
		return "", err
	}
	return MaskPhone(phone), nil
}

// Masked is the citizen's number as they see it ("" when not granted).
func (p *Phones) Masked(ctx context.Context, openid string) (string, error) {
	sealed, err := p.Store.MPPhone(ctx, openid)
	if err != nil || sealed == "" {
		return "", err
	}
	phone, err := p.Vault.Open(sealed)
	if err != nil {
		return "", fmt.Errorf("open phone: %w", err)
	}
	return MaskPhone(phone), nil
}
