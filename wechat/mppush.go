package wechat

import (
	"encoding/json"
	"fmt"

	"mashang"
)

// OpenJSON checks a Mini Program message push in JSON safe mode (数据格式
// JSON, 安全模式) — both signatures in constant time, the timestamp, the
// AppID inside the ciphertext — and returns the decrypted JSON. The Mini
// Program's push has its own token and EncodingAESKey: build this Inbound
// with those and the Mini Program's AppID.
func (in *Inbound) OpenJSON(q Query, body []byte) ([]byte, error) {
	if err := in.checkSignature(q); err != nil {
		return nil, err
	}
	if q.EncryptType != "aes" {
		// Plaintext pushes are not signed over their body (see Open).
		return nil, ErrPlaintext
	}
	var env struct {
		ToUserName string `json:"ToUserName"`
		Encrypt    string `json:"Encrypt"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Encrypt == "" {
		return nil, fmt.Errorf("%w: not a JSON envelope with Encrypt", ErrMalformed)
	}
	if !equalHex(q.MsgSignature, signature(in.cfg.Token, q.Timestamp, q.Nonce, env.Encrypt)) {
		return nil, ErrBadSignature
	}
	plain, _, err := in.decrypt(env.Encrypt)
	return plain, err
}

// mpEvent is the part of a decrypted Mini Program push that says what it is.
type mpEvent struct {
	MsgType string `json:"MsgType"`
	Event   string `json:"Event"`
	AppID   string `json:"appid"`
	TraceID string `json:"trace_id"`
	ErrCode int    `json:"errcode"`
	Result  struct {
		Suggest string `json:"suggest"`
		Label   int    `json:"label"`
	} `json:"result"`
}

// EventMediaCheck is the push carrying the verdict of an asynchronous media check.
const EventMediaCheck = "wxa_media_check"

// ParseMPEvent reads a decrypted Mini Program push: its event name, and for
// wxa_media_check the verdict.
func ParseMPEvent(plain []byte) (string, mashang.MediaCheckResult, error) {
	var e mpEvent
	if err := json.Unmarshal(plain, &e); err != nil {
		return "", mashang.MediaCheckResult{}, fmt.Errorf("%w: push is not JSON: %v", ErrMalformed, err)
	}
	if e.MsgType != "event" || e.Event != EventMediaCheck {
		return e.Event, mashang.MediaCheckResult{}, nil
	}
	if e.TraceID == "" {
		return e.Event, mashang.MediaCheckResult{}, fmt.Errorf("%w: wxa_media_check without trace_id", ErrMalformed)
	}
	switch e.Result.Suggest {
	case "pass", "review", "risky":
	default:
		if e.ErrCode == 0 {
			return e.Event, mashang.MediaCheckResult{}, fmt.Errorf("%w: unknown suggest %q", ErrMalformed, e.Result.Suggest)
		}
	}
	return e.Event, mashang.MediaCheckResult{TraceID: e.TraceID, AppID: e.AppID, ErrCode: e.ErrCode,
		Verdict: mashang.SecurityVerdict{Suggest: e.Result.Suggest, Label: e.Result.Label, TraceID: e.TraceID}}, nil
}
