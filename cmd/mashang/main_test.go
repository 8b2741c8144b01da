package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/app"
	"mashang/configs"
	"mashang/store"
	"mashang/wechat/wechattest"
)

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// A wrong setting stops start-up with one line that names it.
func TestBadSettingsStopStartUpWithOneLine(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args    []string
		env     map[string]string
		setting string
	}{
		{[]string{"serve"}, map[string]string{"MASHANG_WECHAT_APPID": "wx1", "MASHANG_WECHAT_TOKEN": "tok123", "MASHANG_WECHAT_AES_KEY": "short",
			"MASHANG_PUBLIC_URL": "https://mashang.example.gov.cn"}, "MASHANG_WECHAT_AES_KEY"},
		{[]string{"serve"}, map[string]string{"MASHANG_WECHAT_APPID": "wx1", "MASHANG_PUBLIC_URL": "https://mashang.example.gov.cn"}, "MASHANG_WECHAT_TOKEN"},
		// Deputies' sign-in returns only to the public URL: serve needs it
		// (asked before the listener, whose unusable address is the other
		// way this start could end).
		{[]string{"serve"}, map[string]string{"MASHANG_WECHAT_APPID": "wx1", "MASHANG_WECHAT_TOKEN": "tok123",
			"MASHANG_DB_DSN": filepath.Join(dir, "y.db"), "MASHANG_HTTP_ADDR": "256.0.0.1:99999"}, "MASHANG_PUBLIC_URL"},
		{[]string{"serve", "--sandbox"}, map[string]string{"MASHANG_DB_DRIVER": "mysql",
			"MASHANG_DB_DSN": "root:pw@tcp(127.0.0.1:1)/nothing?timeout=1s"}, "MASHANG_DB_DSN"},
		{[]string{"serve", "--sandbox"}, map[string]string{"MASHANG_DB_DSN": filepath.Join(dir, "x.db"),
			"MASHANG_HTTP_ADDR": "256.0.0.1:99999"}, "MASHANG_HTTP_ADDR"},
		// Media on object storage: an address with a path, no bucket, no keys.
		{[]string{"serve", "--sandbox"}, map[string]string{"MASHANG_DB_DSN": filepath.Join(dir, "s3a.db"),
			"MASHANG_MEDIA_S3_ENDPOINT": "https://oss.example/media"}, "MASHANG_MEDIA_S3_ENDPOINT"},
		{[]string{"serve", "--sandbox"}, map[string]string{"MASHANG_DB_DSN": filepath.Join(dir, "s3b.db"),
			"MASHANG_MEDIA_S3_ENDPOINT": "https://oss.example"}, "MASHANG_MEDIA_S3_BUCKET"},
		{[]string{"serve", "--sandbox"}, map[string]string{"MASHANG_DB_DSN": filepath.Join(dir, "s3c.db"),
			"MASHANG_MEDIA_S3_ENDPOINT": "https://oss.example", "MASHANG_MEDIA_S3_BUCKET": "media",
			"MASHANG_MEDIA_S3_ACCESS_KEY": "only-one-key"}, "MASHANG_MEDIA_S3_ACCESS_KEY"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, &stdout, &stderr, envFrom(c.env))
		if code != 1 {
			t.Errorf("%s: exit %d, want 1 (stderr %q)", c.setting, code, stderr.String())
			continue
		}
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		last := lines[len(lines)-1]
		if !strings.Contains(last, c.setting) {
			t.Errorf("%s: last line %q does not name the setting", c.setting, last)
		}
		if strings.Contains(stderr.String(), "pw@") {
			t.Errorf("%s: the password was printed: %q", c.setting, stderr.String())
		}
	}
}

// startSandbox wires the service as `serve --sandbox` does, on a real listener.
func startSandbox(t *testing.T, settings ...string) (*app.App, *httptest.Server) {
	t.Helper()
	// The media fetched from the fake WeChat go to the test's own folder,
	// not the default data/media beside the package's sources.
	env := map[string]string{"MASHANG_DB_DSN": filepath.Join(t.TempDir(), "sandbox.db"), "MASHANG_MEDIA_DIR": t.TempDir()}
	for i := 0; i+1 < len(settings); i += 2 {
		env[settings[i]] = settings[i+1]
	}
	cfg, err := configs.Load("", configs.Sandbox, envFrom(env))
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, app.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	a.Start()
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	return a, srv
}

// The sandbox answers `simulate`.
func TestSimulateAgainstTheSandbox(t *testing.T) {
	a, srv := startSandbox(t)

	for _, mode := range []string{"safe", "compatible"} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"simulate", "--url", srv.URL + "/wechat/callback", "--mode", mode,
			"--scene", "dp:demo-d05"}, &out, &errOut, envFrom(nil))
		if code != 0 {
			t.Fatalf("%s: simulate exited %d: %s", mode, code, errOut.String())
		}
		for _, want := range []string{"URL check", "陈秀兰代表", "已收到您反映的问题，编号", "已补充到您反映的问题", "sends a voice message"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: simulate output lacks %q:\n%s", mode, want, out.String())
			}
		}
	}
	n, err := a.DB.CountInbound(context.Background())
	if err != nil || n != 10 { // scan, text, photo, voice and location, twice
		t.Fatalf("the sandbox stored %d pushes (%v), want 10", n, err)
	}
}

func TestSimulateExplainsAWrongToken(t *testing.T) {
	_, srv := startSandbox(t)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"simulate", "--url", srv.URL + "/wechat/callback", "--token", "wrongtoken"},
		&out, &errOut, envFrom(nil))
	if code != 1 || !strings.Contains(errOut.String(), "MASHANG_WECHAT_TOKEN") {
		t.Fatalf("exit %d, stderr %q: want a failure that points at the token", code, errOut.String())
	}
}

func TestImportCommand(t *testing.T) {
	env := envFrom(map[string]string{"MASHANG_DB_DSN": filepath.Join(t.TempDir(), "roster.db")})
	var out, errOut bytes.Buffer
	for _, args := range [][]string{
		{"migrate"},
		{"import", "stations", "../../configs/roster/stations.example.xlsx"},
		{"import", "deputies", "../../configs/roster/deputies.example.csv"},
	} {
		out.Reset()
		if code := run(context.Background(), args, &out, &errOut, env); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
	}
	if !strings.Contains(out.String(), "代表名册导入完成：新增8条，更新0条，未变0条") {
		t.Fatalf("output %q", out.String())
	}

	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("编码,姓名,层级,编组站点\nx1,甲,市,nowhere\nx2,,村,snbdg01\n"), 0o600)
	errOut.Reset()
	code := run(context.Background(), []string{"import", "deputies", bad}, &out, &errOut, env)
	if code != 1 {
		t.Fatalf("a bad roster exited %d", code)
	}
	for _, want := range []string{"第3行「姓名」：必填", "第3行「层级」"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("refusal lacks %q:\n%s", want, errOut.String())
		}
	}
	// A file as Chinese Excel saves it (GBK) with a mistake of form and a
	// reference to no station: both listed, in the very lines the console
	// shows for it (handlers TestRosterUploadListsFormatAndReferenceErrors…).
	want, err := os.ReadFile("../../testdata/rosters/deputies-two-mistakes.want")
	if err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"import", "deputies", "../../testdata/rosters/deputies-two-mistakes-gbk.csv"}, &out, &errOut, env); code != 1 ||
		errOut.String() != "mashang import: 名册有2处错误，未导入任何数据：\n"+string(want) {
		t.Fatalf("exit %d:\n%s", code, errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"import", "deputies", "roster.xls"}, &out, &errOut, env); code != 1 {
		t.Fatalf("a missing file exited %d", code)
	}
}

// With credentials, `codes create` asks WeChat (here the fake, through the
// API base) once per station and deputy; `codes export` writes the ZIP.
func TestCodesCommands(t *testing.T) {
	fake, srv, base, err := wechattest.Start(wechattest.Config{Apps: []wechattest.App{{AppID: "wxcity", Secret: "city-secret"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	env := envFrom(map[string]string{
		"MASHANG_DB_DSN": filepath.Join(dir, "codes.db"), "MASHANG_WECHAT_APPID": "wxcity",
		"MASHANG_WECHAT_SECRET": "city-secret", "MASHANG_WECHAT_TOKEN": "citytoken", "MASHANG_WECHAT_API_BASE": base,
	})
	var out, errOut bytes.Buffer
	for _, args := range [][]string{
		{"migrate"},
		{"import", "stations", "../../configs/roster/stations.example.csv"},
		{"import", "deputies", "../../configs/roster/deputies.example.xlsx"},
		{"codes", "create"},
		{"codes", "create"},
		{"codes", "export", "--under", "青岛市/市南区", "--out", filepath.Join(dir, "shinan.zip"), "--size", "256"},
	} {
		out.Reset()
		if code := run(context.Background(), args, &out, &errOut, env); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		t.Logf("%v: %s", args, out.String())
	}
	if n := fake.PermanentQRCount("wxcity"); n != 13 {
		t.Fatalf("WeChat made %d permanent codes, want 13 (5 stations, 8 deputies)", n)
	}
	if !strings.Contains(out.String(), "已导出 5 个二维码") { // 2 stations + 3 deputies in 市南区
		t.Fatalf("export said %q", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "shinan.zip")); err != nil {
		t.Fatal(err)
	}

	// A binding code for one deputy: a temporary code from WeChat.
	out.Reset()
	if code := run(context.Background(), []string{"deputies", "bind-code", "qd-d0001", "--out", filepath.Join(dir, "bind.png")},
		&out, &errOut, env); code != 0 {
		t.Fatalf("bind-code: %s", errOut.String())
	}
	calls := fake.Calls("/cgi-bin/qrcode/create")
	if last := string(calls[len(calls)-1].Body); !strings.Contains(last, `"QR_STR_SCENE"`) || !strings.Contains(last, `"bind:`) {
		t.Fatalf("the binding code was not a temporary code: %s", last)
	}
	if _, err := os.Stat(filepath.Join(dir, "bind.png")); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run(context.Background(), []string{"deputies", "status"}, &out, &errOut, env); code != 0 ||
		!strings.Contains(out.String(), "共8位代表，已绑定微信0位，未绑定8位") || !strings.Contains(out.String(), "孙立平") {
		t.Fatalf("status: %s", out.String())
	}
}

// In the sandbox the whole loop works without WeChat: a deputy binds, a
// citizen writes, the deputy is notified and staff's answer reaches the
// citizen, all through the in-process fake.
func TestSandboxLoop(t *testing.T) {
	a, srv := startSandbox(t)
	ctx := context.Background()
	const deputy, citizen = "oSandboxDeputy00000000000000", "oSandboxCitizen0000000000000"
	bindAndWrite(t, a, srv, deputy, citizen)
	if n, err := a.DB.CountCases(ctx); err != nil || n != 1 {
		t.Fatalf("%d cases (%v)", n, err)
	}
	// The deputy's notification leaves through the outbox on its own.
	waitFor(t, func() bool { return len(a.Sandbox.Delivered(deputy)) == 1 })

	// Staff answer; it reaches the citizen as a customer-service message.
	rows, err := a.DB.OutboxRows(ctx)
	if err != nil || len(rows) == 0 {
		t.Fatalf("outbox %v %v", rows, err)
	}
	var data map[string]string
	if err := json.Unmarshal([]byte(rows[0].Data), &data); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/cases/"+data["character_string1"]+"/replies",
		strings.NewReader(`{"text": "已派人修理。"}`))
	req.Header.Set("Authorization", "Bearer "+app.SandboxAPIToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("reply answered %d", resp.StatusCode)
	}
	waitFor(t, func() bool {
		for _, d := range a.Sandbox.Delivered(citizen) {
			if d.Text == "已派人修理。" {
				return true
			}
		}
		return false
	})
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// staffCommands runs commands on a database of their own, a password on
// standard input: it answers the environment and the runner (exit code,
// standard output, standard error).
func staffCommands(t *testing.T, file string) (func(string) string, func(password string, args ...string) (int, string, string)) {
	env := envFrom(map[string]string{"MASHANG_DB_DSN": filepath.Join(t.TempDir(), file)})
	if code := run(context.Background(), []string{"migrate"}, io.Discard, io.Discard, env); code != 0 {
		t.Fatalf("migrate: exit %d", code)
	}
	return env, func(password string, args ...string) (int, string, string) {
		stdin = strings.NewReader(password + "\n")
		t.Cleanup(func() { stdin = os.Stdin })
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut, env)
		return code, out.String(), errOut.String()
	}
}

// The first admin is made by a command, with the password from standard
// input; weak passwords and unknown jurisdictions are refused plainly.
func TestStaffCommands(t *testing.T) {
	env, runWith := staffCommands(t, "staff.db")
	if code, _, errOut := runWith("short", "staff", "create-admin", "admin"); code != 1 || !strings.Contains(errOut, "密码至少12个字符") {
		t.Fatalf("weak password: %d %s", code, errOut)
	}
	if code, out, errOut := runWith("a long enough password", "staff", "create-admin", "admin", "--name", "系统管理员"); code != 0 || !strings.Contains(out, "已创建账号 admin（系统管理员，管理员）") {
		t.Fatalf("create-admin: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := runWith("a long enough password", "staff", "create-admin", "admin"); code != 1 || !strings.Contains(errOut, "已被使用") {
		t.Fatalf("the same username twice: %d %s", code, errOut)
	}
	if code, _, _ := runWith("x", "import", "stations", "../../configs/roster/stations.example.xlsx"); code != 0 {
		t.Fatal("import stations")
	}
	if code, _, errOut := runWith("a long enough password", "staff", "add", "lin", "--name", "林", "--role", "staff", "--jurisdiction", "火星市"); code != 1 || !strings.Contains(errOut, "没有辖区") {
		t.Fatalf("unknown jurisdiction: %d %s", code, errOut)
	}
	if code, out, errOut := runWith("a long enough password", "staff", "add", "lin", "--name", "林", "--role", "staff", "--jurisdiction", "青岛市/市南区"); code != 0 || !strings.Contains(out, "人大工作人员 · 青岛市/市南区") {
		t.Fatalf("add staff: %d %s %s", code, out, errOut)
	}
	// A staff API token: printed once on standard output, only its hash kept.
	code, out, errOut := runWith("", "staff", "token", "lin")
	token := strings.TrimSpace(out)
	if code != 0 || len(token) < 32 || !strings.Contains(errOut, "只显示这一次") {
		t.Fatalf("staff token: %d %q %s", code, out, errOut)
	}
	db, err := store.Open(context.Background(), store.DriverSQLite, env("MASHANG_DB_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if s, err := (&mashang.Accounts{Store: db}).APISession(context.Background(), token); err != nil || s.User.Username != "lin" {
		t.Fatalf("the token names %+v (%v)", s.User, err)
	}
	if code, _, errOut := runWith("", "staff", "token", "nobody"); code != 1 || !strings.Contains(errOut, "账号") {
		t.Fatalf("a token for nobody: %d %s", code, errOut)
	}
}

// An administrator unlocks an account at once, at every address it is
// locked out at, and the audit log says so.
func TestStaffUnlockLiftsLockOutsAndIsAudited(t *testing.T) {
	env, runWith := staffCommands(t, "unlock.db")
	if code, _, errOut := runWith("a long enough password", "staff", "create-admin", "admin"); code != 0 {
		t.Fatalf("create-admin: %d %s", code, errOut)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.DriverSQLite, env("MASHANG_DB_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	accounts := &mashang.Accounts{Store: db}
	for _, address := range []string{"203.0.113.9", "198.51.100.7"} {
		for range mashang.MaxFailedLogins {
			accounts.Login(ctx, "admin", "wrong password!!", address)
		}
	}
	if _, err := accounts.Login(ctx, "admin", "a long enough password", "198.51.100.7"); mashang.ErrorCode(err) != mashang.EFORBIDDEN {
		t.Fatalf("locked out before the unlock: %v", err)
	}
	if code, out, errOut := runWith("", "staff", "unlock", "admin"); code != 0 || !strings.Contains(out, "2个地址") {
		t.Fatalf("staff unlock: %d %q %s", code, out, errOut)
	}
	if _, err := accounts.Login(ctx, "admin", "a long enough password", "198.51.100.7"); err != nil {
		t.Fatalf("signing in after the unlock: %v", err)
	}
	log, err := db.AuditLog(ctx, 3)
	if err != nil || len(log) < 2 || log[1].Action != "unlock" || log[1].Target != "admin" {
		t.Fatalf("the audit log: %+v %v", log, err)
	}
	if code, _, errOut := runWith("", "staff", "unlock", "nobody"); code != 1 || !strings.Contains(errOut, "账号") {
		t.Fatalf("unlock nobody: %d %s", code, errOut)
	}
}

// An administrator makes a handler's binding code from the command line as
// the handler would in the console: audited, printed for the sandbox's
// simulated scan, and refused for a disabled account or an unknown name.
func TestStaffBindCodeIsAuditedAndRefusesADisabledAccount(t *testing.T) {
	env, runWith := staffCommands(t, "bind.db")
	for _, name := range []string{"admin", "zhou"} {
		if code, _, errOut := runWith("a long enough password", "staff", "create-admin", name); code != 0 {
			t.Fatalf("create-admin %s: %d %s", name, code, errOut)
		}
	}
	code, out, errOut := runWith("", "staff", "bind-code", "zhou")
	if code != 0 || !regexp.MustCompile(`模拟工作人员扫码：\n  mashang simulate --follower --scene sb:\S+`).MatchString(out) {
		t.Fatalf("staff bind-code: %d %q %s", code, out, errOut)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.DriverSQLite, env("MASHANG_DB_DSN"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log, err := db.AuditLog(ctx, 1)
	if err != nil || len(log) != 1 || log[0].Action != "wechat_bind_code" || log[0].Target != "zhou" || log[0].Username != "(命令行)" {
		t.Fatalf("the audit log: %+v %v", log, err)
	}
	accounts := &mashang.Accounts{Store: db}
	admin, err := db.StaffUserByName(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := accounts.Change(ctx, mashang.StaffSession{User: admin}, "zhou", mashang.AccountDisable, ""); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runWith("", "staff", "bind-code", "zhou"); code != 1 || !strings.Contains(errOut, "已停用") {
		t.Fatalf("a disabled account: %d %s", code, errOut)
	}
	if code, _, errOut := runWith("", "staff", "bind-code", "nobody"); code != 1 || !strings.Contains(errOut, "账号") {
		t.Fatalf("nobody: %d %s", code, errOut)
	}
}

// The sandbox has a console account, so `make run` shows the console.
func TestSandboxConsoleSignIn(t *testing.T) {
	_, srv := startSandbox(t)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page, err := client.Get(srv.URL + "/console/login") // the form carries a token of its own
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	if token == nil {
		t.Fatalf("the sign-in page has no token: %s", body)
	}
	resp, err := client.PostForm(srv.URL+"/console/login", url.Values{"username": {app.SandboxAdmin}, "password": {app.SandboxAdminPassword},
		"csrf": {string(token[1])}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "mashang_staff" {
			session = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || session == nil || !session.HttpOnly {
		t.Fatalf("sandbox sign-in: %d %v", resp.StatusCode, resp.Cookies())
	}
}

// bindAndWrite plays, with `simulate`, a deputy (demo-d02) who binds their
// WeChat and a citizen who scans a station's code and writes in.
func bindAndWrite(t *testing.T, a *app.App, srv *httptest.Server, deputy, citizen string) {
	t.Helper()
	ctx := context.Background()
	bind, err := (&mashang.Binding{Store: a.DB}).NewCode(ctx, "demo-d02")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"simulate", "--url", srv.URL + "/wechat/callback", "--openid", deputy, "--scene", bind.Scene.String()},
		{"simulate", "--url", srv.URL + "/wechat/callback", "--openid", citizen, "--scene", "st:demo-bdg"},
	} {
		var out, errOut bytes.Buffer
		if code := run(ctx, args, &out, &errOut, envFrom(nil)); code != 0 {
			t.Fatalf("%v: %s", args, errOut.String())
		}
	}
}

// A command run from another directory, its SQLite file named relative to
// where the service runs, stops and says where it looked, instead of
// starting an empty database there; from the right directory, or given
// the file by the configuration, it finds the service's database.
func TestCommandsFindTheDatabaseOrSayWhereTheyLooked(t *testing.T) {
	home, elsewhere := t.TempDir(), t.TempDir()
	env := envFrom(map[string]string{"MASHANG_DB_DSN": "data/mashang.db"})
	var out, errOut bytes.Buffer
	t.Chdir(home)
	if code := run(context.Background(), []string{"migrate"}, &out, &errOut, env); code != 0 || !strings.Contains(out.String(), "新建了 SQLite 数据库 "+filepath.Join(home, "data", "mashang.db")) {
		t.Fatalf("migrate: exit %d, %s %s", code, out.String(), errOut.String())
	}
	t.Chdir(elsewhere)
	out.Reset()
	errOut.Reset()
	code := run(context.Background(), []string{"deputies", "status"}, &out, &errOut, env)
	if code != 1 || !strings.Contains(errOut.String(), "没有找到数据库文件 "+filepath.Join(elsewhere, "data", "mashang.db")) ||
		!strings.Contains(errOut.String(), "相对于当前目录 "+elsewhere) || !strings.Contains(errOut.String(), "MASHANG_DB_DSN") {
		t.Fatalf("from another directory: exit %d, %q", code, errOut.String())
	}
	if _, err := os.Stat(filepath.Join(elsewhere, "data")); !os.IsNotExist(err) {
		t.Fatalf("the refused command left a database behind: %v", err)
	}
	// Named by the configuration, the file is found from anywhere.
	out.Reset()
	errOut.Reset()
	abs := envFrom(map[string]string{"MASHANG_DB_DSN": filepath.Join(home, "data", "mashang.db")})
	if code := run(context.Background(), []string{"deputies", "status"}, &out, &errOut, abs); code != 0 || !strings.Contains(out.String(), "共0位代表") {
		t.Fatalf("named by the configuration: exit %d, %s %s", code, out.String(), errOut.String())
	}
}

// `mashang help` lists every command the binary answers, and `mashang
// bench` alone points to where the benchmarks are.
func TestHelpListsEveryCommandAndBenchPointsToMakeBench(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"help"}, &out, &errOut, envFrom(nil)); code != 0 {
		t.Fatalf("help: exit %d", code)
	}
	for _, command := range []string{"serve", "migrate", "import", "codes", "deputies", "staff", "media", "simulate", "help", "bench"} {
		if !strings.Contains(out.String(), "mashang "+command) {
			t.Errorf("help does not list %q:\n%s", command, out.String())
		}
		// Each command listed is one run knows: never "unknown command".
		var o, e bytes.Buffer
		run(context.Background(), []string{command, "-h"}, &o, &e, envFrom(nil))
		if strings.Contains(e.String(), "unknown command") {
			t.Errorf("%q is listed but unknown", command)
		}
	}
	out.Reset()
	errOut.Reset()
	if code := run(context.Background(), []string{"bench"}, &out, &errOut, envFrom(nil)); code != 2 ||
		!strings.Contains(errOut.String(), "make bench") || !strings.Contains(errOut.String(), "mashang-bench") {
		t.Fatalf("bench: exit %d, %q", code, errOut.String())
	}
}

// simulate aims where serve listens: MASHANG_HTTP_ADDR.
func TestSimulateReadsTheListenAddressLikeServe(t *testing.T) {
	_, srv := startSandbox(t)
	addr := strings.TrimPrefix(srv.URL, "http://")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"simulate"}, &out, &errOut, envFrom(map[string]string{"MASHANG_HTTP_ADDR": addr})); code != 0 ||
		!strings.Contains(out.String(), "已收到您反映的问题") {
		t.Fatalf("simulate: exit %d: %s %s", code, out.String(), errOut.String())
	}
	if got := callbackURL("0.0.0.0:9000"); got != "http://127.0.0.1:9000/wechat/callback" {
		t.Errorf("a wildcard address: %s", got)
	}
}
