package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mashang/wechat/wechattest"
)

// The commands read WeChat's account from the --config file as they read
// it from the environment: the sandbox is chosen by --sandbox only, never
// guessed from an empty environment variable (which once made `codes
// create --config prod.yaml` make no codes and say it was a sandbox).
func TestCommandsTakeWeChatFromTheConfigFile(t *testing.T) {
	fake, srv, base, err := wechattest.Start(wechattest.Config{Apps: []wechattest.App{{AppID: "wxcity", Secret: "city-secret"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	prod := filepath.Join(dir, "prod.yaml")
	os.WriteFile(prod, []byte(`
db:
  dsn: "`+filepath.Join(dir, "prod.db")+`"
wechat:
  appid: wxcity
  secret: city-secret
  token: citytoken
  api_base: "`+base+`"
`), 0o600)
	noEnv := envFrom(nil)
	var out, errOut bytes.Buffer
	for _, args := range [][]string{
		{"migrate", "--config", prod},
		{"import", "--config", prod, "stations", "../../configs/roster/stations.example.csv"},
		{"import", "--config", prod, "deputies", "../../configs/roster/deputies.example.xlsx"},
		{"codes", "create", "--config", prod},
		{"deputies", "bind-code", "qd-d0001", "--config", prod, "--out", filepath.Join(dir, "bind.png")},
	} {
		out.Reset()
		if code := run(context.Background(), args, &out, &errOut, noEnv); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		if strings.Contains(out.String(), "沙盒") {
			t.Errorf("%v ran as the sandbox: %s", args, out.String())
		}
	}
	if n := fake.PermanentQRCount("wxcity"); n != 13 {
		t.Fatalf("WeChat made %d permanent codes, want 13 (5 stations, 8 deputies)", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "bind.png")); err != nil {
		t.Fatalf("no binding code from WeChat: %v", err)
	}
}
