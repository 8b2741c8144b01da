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
// HTTP, SQL or WeChat, nor any package of ours; the subsystems beside it
// (roster, workday) import the domain and nothing of HTTP, SQL, WeChat or
// the adapters; store and wechat do not import the layers above them.
func TestImportRules(t *testing.T) {
	adapters := []string{"mashang/handlers", "mashang/store", "mashang/wechat", "mashang/app",
		"github.com/gin-gonic/gin", "github.com/silenceper/wechat",
		"database/sql", "github.com/go-sql-driver/mysql", "modernc.org/sqlite"}
	rules := []struct {
		pkg  string
		deps []string // not even indirectly
		own  []string // not in the package's own imports
	}{
		{"mashang", append([]string{"net/http", "mashang/"}, adapters...), nil},
		// excelize, which reads .xlsx rosters, imports net/http itself.
		{"mashang/roster", append([]string{"mashang/workday"}, adapters...), []string{"net/http"}},
		{"mashang/workday", append([]string{"net/http", "mashang/roster"}, adapters...), nil},
		{"mashang/store", []string{"mashang/handlers", "mashang/wechat", "github.com/gin-gonic/gin", "github.com/silenceper/wechat"}, nil},
		{"mashang/wechat", []string{"mashang/handlers", "mashang/store", "database/sql", "github.com/gin-gonic/gin"}, nil},
		{"mashang/configs", []string{"mashang/handlers", "mashang/store", "mashang/wechat"}, nil},
		{"mashang/handlers", []string{"mashang/store", "database/sql", "github.com/go-sql-driver/mysql", "modernc.org/sqlite"}, nil},
		{"mashang/limits", []string{"mashang/handlers", "mashang/store", "database/sql", "github.com/gin-gonic/gin"}, nil},
	}
	list := func(pkg string, args ...string) []string {
		out, err := exec.Command("go", append([]string{"list"}, append(args, pkg)...)...).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		return strings.Fields(string(out))
	}
	check := func(pkg, what string, found, bad []string) {
		for _, dep := range found {
			for _, b := range bad {
				if dep == b || strings.HasPrefix(dep, b+"/") || (strings.HasSuffix(b, "/") && strings.HasPrefix(dep, b)) {
					t.Errorf("%s %s %s", pkg, what, dep)
				}
			}
		}
	}
	for _, r := range rules {
		check(r.pkg, "depends on", list(r.pkg, "-deps", "-f", "{{.ImportPath}}"), r.deps)
		if r.own != nil {
			check(r.pkg, "imports", list(r.pkg, "-f", `{{join .Imports " "}}`), r.own)
		}
	}
}
