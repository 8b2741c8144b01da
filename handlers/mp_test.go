package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store"
	"mashang/wechat/wechattest"
)

func (e *env) mp(t *testing.T, method, path, token, body string) (int, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	status, raw := e.do(t, req)
	out := map[string]string{}
	_ = json.Unmarshal(raw, &out)
	return status, out
}

func TestMiniProgramLogin(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	code := e.fake.IssueLoginCode(mpAppID, "oMiniProgramCitizen0001", "uUnion0001")
	status, out := e.mp(t, "POST", "/mp/login", "", `{"code": "`+code+`"}`)
	if status != http.StatusOK || out["token"] == "" || out["expires_at"] == "" {
		t.Fatalf("login %d %v", status, out)
	}
	token := out["token"]
	if status, me := e.mp(t, "GET", "/mp/me", token, ""); status != http.StatusOK || me["openid"] != "oMin****01" {
		t.Fatalf("me %d %v", status, me)
	}
	// Any instance with the same secret accepts it: nothing is kept in memory.
	if s, err := (&mashang.Sessions{Secret: testSessions.Secret}).Verify(token); err != nil || s.UnionID != "uUnion0001" {
		t.Fatalf("another instance: %+v %v", s, err)
	}

	forged := token[:len(token)-2] + "AA"
	expired, _ := (&mashang.Sessions{Secret: testSessions.Secret, Now: func() time.Time { return time.Now().Add(-8 * 24 * time.Hour) }}).Issue("oMiniProgramCitizen0001", "")
	otherKey, _ := (&mashang.Sessions{Secret: []byte("someone else's secret, long enough")}).Issue("oMiniProgramCitizen0001", "")
	cases := []struct {
		name, method, path, token, body string
		status                          int
		says                            string
	}{
		{"code used twice", "POST", "/mp/login", "", `{"code": "` + code + `"}`, http.StatusUnauthorized, "已使用"},
		{"code not from wx.login", "POST", "/mp/login", "", `{"code": "a&b=c"}`, http.StatusBadRequest, "登录凭证"},
		{"code of the wrong type", "POST", "/mp/login", "", `{"code": 12345}`, http.StatusBadRequest, "code"},
		{"no token", "GET", "/mp/me", "", "", http.StatusUnauthorized, "请先登录"},
		{"forged token", "GET", "/mp/me", forged, "", http.StatusUnauthorized, "重新登录"},
		{"another key", "GET", "/mp/me", otherKey, "", http.StatusUnauthorized, "重新登录"},
		{"expired token", "GET", "/mp/me", expired, "", http.StatusUnauthorized, "过期"},
	}
	for _, c := range cases {
		status, out := e.mp(t, c.method, c.path, c.token, c.body)
		if status != c.status || !strings.Contains(out["message"], c.says) {
			t.Errorf("%s: %d %v, want %d saying %q", c.name, status, out, c.status, c.says)
		}
	}
}
