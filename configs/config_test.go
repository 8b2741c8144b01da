package configs_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mashang/configs"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

const validKey = "bWFzaGFuZy1zYW5kYm94LWFlcy1rZXktMzJieXRlcyE"

func TestEnvironmentWinsOverFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mashang.yaml")
	os.WriteFile(path, []byte(`
http:
  addr: "0.0.0.0:9000"
db:
  driver: sqlite
  dsn: from-file.db
wechat:
  appid: wxfromfile
  token: filetoken
`), 0o600)
	cfg, err := configs.Load(path, configs.Serve, env(map[string]string{
		"MASHANG_DB_DSN":       "from-env.db",
		"MASHANG_WECHAT_TOKEN": "envtoken",
		"MASHANG_PUBLIC_URL":   "https://mashang.example.gov.cn",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Addr != "0.0.0.0:9000" || cfg.WeChat.AppID != "wxfromfile" {
		t.Errorf("file values lost: %+v", cfg)
	}
	if cfg.DB.DSN != "from-env.db" || cfg.WeChat.Token != "envtoken" {
		t.Errorf("environment did not win: %+v", cfg)
	}
}

func TestTheExampleFileLoads(t *testing.T) {
	cfg, err := configs.Load("mashang.example.yaml", configs.Sandbox, env(nil))
	if err != nil {
		t.Fatalf("the documented example does not load: %v", err)
	}
	if cfg.DB.Driver != "sqlite" || cfg.WeChat.AppID != configs.SandboxAppID {
		t.Errorf("example loaded as %+v", cfg)
	}
}

func TestSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(path, []byte("s3cret-from-file\n"), 0o600)
	cfg, err := configs.Load("", configs.Serve, env(map[string]string{
		"MASHANG_WECHAT_APPID": "wx1", "MASHANG_WECHAT_TOKEN": "tok123", "MASHANG_PUBLIC_URL": "https://mashang.example.gov.cn",
		"MASHANG_WECHAT_SECRET_FILE": path,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WeChat.Secret != "s3cret-from-file" {
		t.Fatalf("secret %q", cfg.WeChat.Secret)
	}
	if strings.Contains(cfg.String(), "s3cret") {
		t.Fatalf("String() shows the secret: %s", cfg.String())
	}
}

func TestBadValuesNameTheSetting(t *testing.T) {
	base := map[string]string{"MASHANG_WECHAT_APPID": "wx1", "MASHANG_WECHAT_TOKEN": "tok123", "MASHANG_PUBLIC_URL": "https://mashang.example.gov.cn"}
	cases := []struct {
		name    string
		set     map[string]string
		setting string
	}{
		{"short AES key", map[string]string{"MASHANG_WECHAT_AES_KEY": "abc"}, "MASHANG_WECHAT_AES_KEY"},
		{"AES key with symbols", map[string]string{"MASHANG_WECHAT_AES_KEY": strings.Repeat("+", 43)}, "MASHANG_WECHAT_AES_KEY"},
		{"no token outside sandbox", map[string]string{"MASHANG_WECHAT_TOKEN": ""}, "MASHANG_WECHAT_TOKEN"},
		{"no public URL outside sandbox", map[string]string{"MASHANG_PUBLIC_URL": ""}, "MASHANG_PUBLIC_URL"},
		{"token with spaces", map[string]string{"MASHANG_WECHAT_TOKEN": "has space"}, "MASHANG_WECHAT_TOKEN"},
		{"unknown driver", map[string]string{"MASHANG_DB_DRIVER": "oracle"}, "MASHANG_DB_DRIVER"},
		{"bad MySQL DSN", map[string]string{"MASHANG_DB_DRIVER": "mysql", "MASHANG_DB_DSN": "not a dsn"}, "MASHANG_DB_DSN"},
		{"API base with a path", map[string]string{"MASHANG_WECHAT_API_BASE": "https://proxy/cgi-bin"}, "MASHANG_WECHAT_API_BASE"},
		{"Mini Program half set", map[string]string{"MASHANG_MP_APPID": "wxmp"}, "MASHANG_MP_SECRET"},
		{"sandbox not a bool", map[string]string{"MASHANG_SANDBOX": "maybe"}, "MASHANG_SANDBOX"},
		{"unreadable secret file", map[string]string{"MASHANG_WECHAT_SECRET_FILE": "/nonexistent/x"}, "MASHANG_WECHAT_SECRET_FILE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vars := map[string]string{}
			for k, v := range base {
				vars[k] = v
			}
			for k, v := range c.set {
				vars[k] = v
			}
			_, err := configs.Load("", configs.Serve, env(vars))
			var se *configs.SettingError
			if !errors.As(err, &se) || se.Setting != c.setting {
				t.Fatalf("got %v, want an error naming %s", err, c.setting)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is more than one line: %q", err)
			}
		})
	}
}

func TestSandboxNeedsNoSettings(t *testing.T) {
	cfg, err := configs.Load("", configs.Sandbox, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WeChat.Token != configs.SandboxToken || cfg.WeChat.AESKey != validKey {
		t.Fatalf("sandbox account not filled: %+v", cfg.WeChat)
	}
}

func TestMisspeltFileSettingIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mashang.yaml")
	os.WriteFile(path, []byte("wechat:\n  tokn: x\n"), 0o600)
	if _, err := configs.Load(path, configs.Serve, env(nil)); err == nil || !strings.Contains(err.Error(), "tokn") {
		t.Fatalf("misspelt setting accepted: %v", err)
	}
}
