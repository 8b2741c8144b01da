package wechattest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// An independent client, node-webot's co-wechat-api (interop/check.js),
// gets WeChat's answers from the fake over HTTP: a body it can parse (no
// trailing newline), 40037 for a template the account has not added, 40003
// for an openid it never saw, 48001 for another app's token, 40007 for a
// never-issued media id, 45008 for two news articles, a default temporary
// QR of 60 s, and showqrcode, media/upload and menu/* served.
func TestIndependentClientGetsWeChatsAnswers(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the independent client (co-wechat-api) cannot run; install Node.js to run this test")
	}
	dir, err := filepath.Abs("interop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "co-wechat-api")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Fatal("interop/node_modules is missing and npm is not installed: run `npm ci` in wechat/wechattest/interop")
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}

	f, srv, base, err := Start(Config{Apps: testApps()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	const follower = "oFollower0001"
	f.Follow(follower)
	f.UserMessaged(follower)

	cmd := exec.Command(node, "check.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FAKE_BASE="+base, "OA_APPID="+oaID, "OA_SECRET="+oaSecret,
		"MP_APPID="+mpID, "MP_SECRET="+mpSecret, "FOLLOWER="+follower, "TEMPLATE=TPL")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node check.js: %v\n%s", err, stderr.String())
	}
	type result struct {
		Step    string         `json:"step"`
		OK      bool           `json:"ok"`
		Got     map[string]any `json:"got"`
		Code    int            `json:"code"`
		Message string         `json:"message"`
	}
	results := map[string]result{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("check.js printed %q: %v", sc.Text(), err)
		}
		results[r.Step] = r
	}

	succeeds := func(step string) map[string]any {
		t.Helper()
		r, ran := results[step]
		if !ran || !r.OK {
			t.Errorf("%s: the client got %d %q, want success", step, r.Code, r.Message)
		}
		return r.Got
	}
	refused := func(step string, code int) {
		t.Helper()
		if r := results[step]; r.OK || r.Code != code {
			t.Errorf("%s: the client got ok=%v %d %q, want errcode %d", step, r.OK, r.Code, r.Message, code)
		}
	}
	if got := succeeds("token"); got["token"] != true {
		t.Errorf("token: %v", got)
	}
	succeeds("template known")
	refused("template unknown id", 40037)
	if got := succeeds("user follower"); got["subscribe"] != float64(1) {
		t.Errorf("user follower: %v", got)
	}
	refused("user unknown openid", 40003)
	refused("template with the Mini Program token", 48001)
	if got := succeeds("temporary QR default expiry"); got["expire_seconds"] != float64(60) {
		t.Errorf("temporary QR without expire_seconds: %v, want WeChat's default 60", got)
	}
	if got := succeeds("showqrcode"); got["status"] != float64(200) || got["type"] != "image/jpeg" {
		t.Errorf("showqrcode: %v", got)
	}
	succeeds("menu create")
	if got := succeeds("menu get"); got["menu"] == nil {
		t.Errorf("menu get: %v", got)
	}
	if got := succeeds("media upload"); got["media_id"] == nil || got["type"] != "image" {
		t.Errorf("media upload: %v", got)
	}
	succeeds("custom image uploaded")
	refused("custom image never issued", 40007)
	refused("custom news of two articles", 45008)
	if len(results) != 14 {
		t.Errorf("check.js ran %d steps, want 14:\n%s", len(results), out)
	}
}
