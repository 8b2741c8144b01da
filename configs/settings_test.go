package configs

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// exampleLeaves reads configs/mashang.example.yaml: each setting's place
// in the file, in order, with the comment beside it.
func exampleLeaves(t *testing.T) (paths []string, comments map[string]string) {
	t.Helper()
	data, err := os.ReadFile("mashang.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	comments = map[string]string{}
	var walk func(m *yaml.Node, prefix string)
	walk = func(m *yaml.Node, prefix string) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			key, value := m.Content[i], m.Content[i+1]
			if value.Kind == yaml.MappingNode {
				walk(value, prefix+key.Value+".")
				continue
			}
			paths = append(paths, prefix+key.Value)
			comments[prefix+key.Value] = key.LineComment + value.LineComment
		}
	}
	walk(doc.Content[0], "")
	return paths, comments
}

// The example file documents every setting, under its own name, beside
// its environment name, with its default, in the table's order; and
// nothing else.
func TestTheExampleFileIsTheTable(t *testing.T) {
	paths, comments := exampleLeaves(t)
	for _, p := range paths {
		if _, ok := settingAt(p); !ok {
			t.Errorf("mashang.example.yaml has %s, which is not a setting", p)
		}
	}
	inExample := strings.Join(paths, " ") + " "
	for _, s := range settings {
		if !strings.Contains(" "+inExample, " "+s.path+" ") {
			t.Errorf("%s (%s) is missing from mashang.example.yaml", s.path, s.env)
			continue
		}
		if s.env != "" && !strings.HasPrefix(comments[s.path], "# "+s.env) {
			t.Errorf("mashang.example.yaml: the comment beside %s should begin with %s, not %q", s.path, s.env, comments[s.path])
		}
	}
	var order []string
	for _, s := range settings {
		order = append(order, s.path)
	}
	if got, want := strings.Join(paths, " "), strings.Join(order, " "); got != want {
		t.Errorf("mashang.example.yaml lists the settings in another order than the table:\n file:  %s\n table: %s", got, want)
	}

	var example Config
	if err := readFile(&example, "mashang.example.yaml"); err != nil {
		t.Fatal(err)
	}
	defaults := Defaults()
	for _, s := range settings {
		if got, want := s.text(example), s.text(defaults); got != want {
			t.Errorf("mashang.example.yaml gives %s as %q; its default is %q", s.path, got, want)
		}
	}
	// The file's comments name no variable that is not a setting.
	data, _ := os.ReadFile("mashang.example.yaml")
	checkNamesAreSettings(t, "mashang.example.yaml", string(data))
}

// The README's list of settings names every one of them: by its
// environment name, or, for the template field keys only the file holds,
// by their section.
func TestTheREADMEListsEverySetting(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start := strings.Index(readme, "\n## Configuration\n")
	if start < 0 {
		t.Fatal("the README has no Configuration section")
	}
	list := readme[start+1:]
	if end := strings.Index(list, "\n## "); end >= 0 {
		list = list[:end]
	}
	missing := map[string]bool{}
	for _, s := range settings {
		name := s.env
		if name == "" {
			name = s.path[:strings.LastIndex(s.path, ".")]
		}
		if !strings.Contains(list, "`"+name+"`") && !missing[name] {
			missing[name] = true
			t.Errorf("the README's Configuration section does not list `%s`", name)
		}
	}
	checkNamesAreSettings(t, "the README's Configuration section", list)
}

// checkNamesAreSettings fails for a MASHANG_ variable in text that the
// table does not know (a secret's _FILE variant is known).
func checkNamesAreSettings(t *testing.T, where, text string) {
	t.Helper()
	known := map[string]bool{}
	for _, s := range settings {
		known[s.env] = s.env != ""
		if s.secret {
			known[s.env+"_FILE"] = true
		}
	}
	for _, name := range regexp.MustCompile(`MASHANG_[A-Z0-9_]+`).FindAllString(text, -1) {
		if !known[name] {
			t.Errorf("%s names %s, which is not a setting", where, name)
		}
	}
}

// sample is a value for the setting other than its default.
func sample(s setting) string {
	var c Config
	switch s.field(&c).(type) {
	case *bool:
		return strconv.FormatBool(s.def != "true")
	case *int, *int64:
		return "7"
	case *float64:
		return "7.5"
	case *time.Duration:
		return "7m0s"
	case *[]string:
		return "10.0.0.1,10.0.0.2"
	}
	return "sample-" + s.path
}

// only is an environment with one variable.
func only(name, value string) func(string) string {
	return func(k string) string {
		if k == name {
			return value
		}
		return ""
	}
}

// yamlAt writes value at path as a YAML document: a.b.c: v.
func yamlAt(path, value string) string {
	keys := strings.Split(path, ".")
	var b strings.Builder
	for i, k := range keys {
		b.WriteString(strings.Repeat("  ", i) + k + ":")
		if i < len(keys)-1 {
			b.WriteString("\n")
		}
	}
	if strings.Contains(value, ",") {
		return b.String() + " [" + value + "]\n"
	}
	if strings.HasPrefix(value, "sample-") {
		value = strconv.Quote(value)
	}
	return b.String() + " " + value + "\n"
}

// Each row reaches its own field, and only it, from the environment and
// from the file.
func TestEachSettingSetsItsOwnField(t *testing.T) {
	defaults := Defaults()
	for _, s := range settings {
		value := sample(s)
		var got []Config
		if s.env != "" {
			fromEnv := Defaults()
			if err := readEnv(&fromEnv, only(s.env, value)); err != nil {
				t.Fatalf("%s=%s: %v", s.env, value, err)
			}
			got = append(got, fromEnv)
		}
		fromFile := Defaults()
		path := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(path, []byte(yamlAt(s.path, value)), 0o600)
		if err := readFile(&fromFile, path); err != nil {
			t.Fatalf("%s: %v", yamlAt(s.path, value), err)
		}
		for _, c := range append(got, fromFile) {
			for _, other := range settings {
				before, after := other.text(defaults), other.text(c)
				if other.path == s.path && after != value {
					t.Errorf("setting %s to %q gave %q", s.name(), value, after)
				}
				if other.path != s.path && after != before {
					t.Errorf("setting %s also changed %s from %q to %q", s.name(), other.name(), before, after)
				}
			}
		}
	}
}

// A value of the wrong kind is refused in one line that names the
// setting, from the environment and from the file.
func TestAValueOfTheWrongKindNamesTheSetting(t *testing.T) {
	for _, s := range settings {
		var c Config
		switch s.field(&c).(type) {
		case *string, *[]string:
			continue // any text will do
		}
		_, err := Load("", Command, only(s.env, "lots"))
		var se *SettingError
		if !errors.As(err, &se) || se.Setting != s.env || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s=lots: got %v, want one line naming %s", s.env, err, s.env)
		}
		path := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(path, []byte(yamlAt(s.path, "lots")), 0o600)
		_, err = Load(path, Command, func(string) string { return "" })
		if !errors.As(err, &se) || se.Setting != s.path || !strings.Contains(err.Error(), "line ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: lots in the file: got %v, want one line naming %s and the line", s.path, err, s.path)
		}
	}
}

// The start-up dump shows every setting and no secret.
func TestTheDumpMasksEverySecret(t *testing.T) {
	c := Defaults()
	c.DB.Driver = "mysql"
	for _, s := range settings {
		if s.secret {
			if err := s.set(&c, "Secret"+strings.ReplaceAll(s.env, "_", "")); err != nil {
				t.Fatal(err)
			}
		}
	}
	c.DB.DSN = "mashang:Secret-db-password@tcp(db:3306)/mashang"
	dump := c.String()
	for _, s := range settings {
		if !strings.Contains(dump, s.path+"=") {
			t.Errorf("the dump lacks %s: %s", s.path, dump)
		}
	}
	if strings.Contains(dump, "Secret") {
		t.Fatalf("the dump shows a secret: %s", dump)
	}
	if !strings.Contains(dump, "db.dsn=mashang:****@tcp(db:3306)/mashang") {
		t.Fatalf("the dump hides where the database is: %s", dump)
	}
	c.DB.DSN = "mashang:Secret password@not a dsn"
	if dump := c.String(); strings.Contains(dump, "Secret") {
		t.Fatalf("the dump shows a DSN it cannot read: %s", dump)
	}
}

// Only --sandbox makes a sandbox (Load with Sandbox): a command that finds
// WeChat's account in the file, and none in the environment, uses it.
func TestOnlyTheFlagMakesASandbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prod.yaml")
	os.WriteFile(path, []byte("http:\n  public_url: https://mashang.city.example\nwechat:\n  appid: wxcity\n  secret: city-secret\n  token: citytoken\n"), 0o600)
	noEnv := func(string) string { return "" }
	for _, p := range []Purpose{Serve, Command} {
		cfg, err := Load(path, p, noEnv)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Sandbox || cfg.WeChat.AppID != "wxcity" || cfg.WeChat.Token != "citytoken" {
			t.Fatalf("purpose %d: sandbox %t, account %+v", p, cfg.Sandbox, cfg.WeChat)
		}
	}
	// Without WeChat's account a command still runs (import, migrate…),
	// not as a sandbox; serve says what is missing.
	if cfg, err := Load("", Command, noEnv); err != nil || cfg.Sandbox || cfg.WeChat.AppID != "" {
		t.Fatalf("a command without WeChat: %v, sandbox %t, appid %q", err, cfg.Sandbox, cfg.WeChat.AppID)
	}
	var se *SettingError
	if _, err := Load("", Serve, noEnv); !errors.As(err, &se) || se.Setting != "MASHANG_WECHAT_APPID" {
		t.Fatalf("serve without WeChat: %v", err)
	}
	if cfg, err := Load("", Sandbox, noEnv); err != nil || !cfg.Sandbox || cfg.WeChat.AppID != SandboxAppID {
		t.Fatalf("--sandbox: %v, %+v", err, cfg.WeChat)
	}

	// The setting that once chose the sandbox is refused when it asks for
	// one, and harmless when it says false (files copied from the old
	// example).
	for _, p := range []Purpose{Serve, Sandbox, Command} {
		if _, err := Load("", p, only("MASHANG_SANDBOX", "true")); !errors.As(err, &se) ||
			se.Setting != "MASHANG_SANDBOX" || !strings.Contains(err.Error(), "--sandbox") {
			t.Errorf("purpose %d, MASHANG_SANDBOX=true: %v", p, err)
		}
		os.WriteFile(path, []byte("sandbox: true\n"), 0o600)
		if _, err := Load(path, p, noEnv); !errors.As(err, &se) || se.Setting != "sandbox" || !strings.Contains(err.Error(), "--sandbox") {
			t.Errorf("purpose %d, sandbox: true in the file: %v", p, err)
		}
	}
	os.WriteFile(path, []byte("sandbox: false\n"), 0o600)
	if cfg, err := Load(path, Command, only("MASHANG_SANDBOX", "false")); err != nil || cfg.Sandbox {
		t.Fatalf("sandbox: false: %v, sandbox %t", err, cfg.Sandbox)
	}
}

// The file is read strictly, and what is wrong is said in one line with
// its line number.
func TestTheFileIsReadStrictly(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"log:\n  level: debug\nlog:\n  format: json\n", "line 3: log is given twice"},
		{"wechat:\n  tokn: x\n", "line 2: wechat.tokn is not a setting"},
		{"http: 5\n", "line 1: http holds settings, not a value"},
		{"- http\n", "line 1: the file should hold sections and settings"},
		{"http:\n  addr: [a, b]\n", "line 2: http.addr: is a list or a section where text like 127.0.0.1:8080 belongs"},
		{"cases:\n  gap: 30\n", `line 2: cases.gap: "30" is not a duration like 30m`},
	} {
		path := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(path, []byte(c.file), 0o600)
		_, err := Load(path, Command, func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: got %v, want one line with %q", c.file, err, c.want)
		}
	}
}
