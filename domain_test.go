package mashang_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"mashang"
)

func TestDedupKeys(t *testing.T) {
	at := time.Unix(1763800000, 0)
	msg := mashang.Inbound{OpenID: "oA", MsgType: mashang.MsgText, MsgID: 123, CreateTime: at}
	other := msg
	other.OpenID = "oB"
	if msg.DedupKey() == other.DedupKey() {
		t.Error("two citizens' messages with one MsgId share a key")
	}
	later := msg
	later.CreateTime = at.Add(3 * time.Second) // WeChat's retry of the same message
	if msg.DedupKey() != later.DedupKey() {
		t.Error("a retry of a message got a new key")
	}
	follow := mashang.Inbound{OpenID: "oA", MsgType: mashang.MsgEvent, Event: "subscribe", CreateTime: at}
	scan := follow
	scan.Event = "SCAN"
	if follow.DedupKey() == scan.DedupKey() {
		t.Error("two events in the same second share a key")
	}
}

func TestSceneFromEvents(t *testing.T) {
	cases := []struct {
		event, key string
		scene      string
		ok         bool
	}{
		{"SCAN", "st:demo-bdg", "st:demo-bdg", true},
		{"subscribe", "qrscene_dp:d01", "dp:d01", true},
		{"subscribe", "qrscene_qrscene_x", "qrscene_x", true}, // only the prefix WeChat added goes
		{"subscribe", "", "", false},
		{"SCAN", "", "", false},
		{"CLICK", "st:demo-bdg", "", false},
	}
	for _, c := range cases {
		m := mashang.Inbound{MsgType: mashang.MsgEvent, Event: c.event, EventKey: c.key}
		scene, ok := m.Scene()
		if scene != c.scene || ok != c.ok {
			t.Errorf("%s %q: got %q %v, want %q %v", c.event, c.key, scene, ok, c.scene, c.ok)
		}
	}
}

func TestParseScene(t *testing.T) {
	cases := map[string]mashang.Scene{
		"st:demo-bdg":                   {Kind: mashang.SceneStation, Code: "demo-bdg"},
		"dp:D_01":                       {Kind: mashang.SceneDeputy, Code: "D_01"},
		"st:":                           {},
		"st:../../etc":                  {},
		"xx:demo":                       {},
		"st:" + strings.Repeat("a", 29): {Kind: mashang.SceneStation, Code: strings.Repeat("a", 29)},
		"st:" + strings.Repeat("a", 30): {}, // longer than a Mini Program scene allows
		"st:代表":                         {},
	}
	for in, want := range cases {
		if got := mashang.ParseScene(in); got != want {
			t.Errorf("ParseScene(%q) = %+v, want %+v", in, got, want)
		}
		if want.Kind != mashang.SceneUnknown && want.String() != in {
			t.Errorf("%+v renders as %q", want, want.String())
		}
	}
}

func TestErrorsReadForPeople(t *testing.T) {
	err := mashang.NotFound("联络站")
	if mashang.ErrorCode(err) != mashang.ENOTFOUND || mashang.ErrorMessage(err) != "联络站不存在" {
		t.Errorf("got %s %q", mashang.ErrorCode(err), mashang.ErrorMessage(err))
	}
	if mashang.ErrorCode(exec.ErrNotFound) != mashang.EINTERNAL || strings.Contains(mashang.ErrorMessage(exec.ErrNotFound), "executable") {
		t.Error("an internal error leaks its text")
	}
}

// The layering written in the README, checked: the domain imports nothing of
// HTTP, SQL or WeChat; store and wechat do not import the layers above them.
func TestImportRules(t *testing.T) {
	forbidden := map[string][]string{
		"mashang":          {"github.com/gin-gonic/gin", "github.com/silenceper/wechat", "database/sql", "github.com/go-sql-driver/mysql", "modernc.org/sqlite", "net/http", "mashang/"},
		"mashang/store":    {"mashang/handlers", "mashang/wechat", "github.com/gin-gonic/gin", "github.com/silenceper/wechat"},
		"mashang/wechat":   {"mashang/handlers", "mashang/store", "database/sql", "github.com/gin-gonic/gin"},
		"mashang/configs":  {"mashang/handlers", "mashang/store", "mashang/wechat"},
		"mashang/handlers": {"mashang/store", "database/sql", "github.com/go-sql-driver/mysql", "modernc.org/sqlite"},
	}
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range bad {
				if dep == b || strings.HasPrefix(dep, b+"/") || (strings.HasSuffix(b, "/") && strings.HasPrefix(dep, b)) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}
