package wechattest

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// JSONPushRequest wraps a Mini Program push's JSON as WeChat sends it with
// 数据格式 JSON in safe mode: the query signed as for the Official Account,
// the body {"ToUserName", "Encrypt"} with msg_signature over the ciphertext.
func (s CallbackSigner) JSONPushRequest(plainJSON []byte, toUser string) (*http.Request, error) {
	q := s.signedQuery()
	encrypted, err := Encrypt(s.AESKey, s.AppID, plainJSON)
	if err != nil {
		return nil, err
	}
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", Signature(s.Token, q.Get("timestamp"), q.Get("nonce"), encrypted))
	body, err := json.Marshal(map[string]string{"ToUserName": toUser, "Encrypt": encrypted})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, s.URL+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}
