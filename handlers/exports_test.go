package handlers_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mashang"
	"mashang/store"
	"mashang/wechat/wechattest"
)

// The bulk exports of codes need a console session: without one, the
// console's sign-in; their old public addresses lead to the console.
func TestCodeExportsNeedAConsoleSession(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	anon := e.browser(t)
	for _, path := range []string{"/codes/export.zip?under=青岛市/崂山区", "/codes/sheet"} {
		resp, body := anon.fetch(path)
		if to, _ := url.PathUnescape(resp.Header.Get("Location")); resp.StatusCode != http.StatusMovedPermanently || to != "/console"+path {
			t.Errorf("GET %s without a session: %d %q (%d bytes), want a move to the console", path, resp.StatusCode, resp.Header.Get("Location"), len(body))
		}
		resp, body = anon.fetch("/console" + path)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/login" {
			t.Errorf("GET /console%s without a session: %d %q (%d bytes), want the sign-in", path, resp.StatusCode, resp.Header.Get("Location"), len(body))
		}
	}
	// Each code on its own stays public: it hangs on a wall.
	if resp, _ := anon.fetch("/codes/st:demo-bdg.png"); resp.StatusCode != http.StatusOK {
		t.Errorf("one code: %d", resp.StatusCode)
	}
}

// A secretary exports the codes of their station and its deputies, a
// jurisdiction's staff those under it, and nothing beyond (404, as if it
// did not exist); a department's handler has no codes to export (403).
func TestCodeExportsHoldOnlyWhatIsWithinReach(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	e.addStaff(t, mashang.StaffUser{Username: "xhwsec", Name: "薛家岛秘书", Role: mashang.RoleSecretary}, "", "demo-xhw")
	e.addStaff(t, mashang.StaffUser{Username: "laoshan", Name: "崂山区人大", Role: mashang.RoleStaff}, "青岛市/崂山区", "")
	e.addStaff(t, mashang.StaffUser{Username: "dept", Name: "城管局经办人", Role: mashang.RoleHandler, DepartmentID: 1}, "", "")
	signIn := func(user string) *staffBrowser {
		b := e.browser(t)
		if status := b.login(user, staffPassword); status != http.StatusSeeOther {
			t.Fatalf("%s login: %d", user, status)
		}
		return b
	}
	zipNames := func(b *staffBrowser, path string) string {
		resp, body := b.fetch(path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		return strings.Join(names, "\n")
	}

	sec := signIn("xhwsec")
	names := zipNames(sec, "/console/codes/export.zip?size=128")
	if want := "青岛市/西海岸新区/薛家岛街道/西海岸新区薛家岛街道代表之家/"; strings.Count(names, want) != strings.Count(names, "\n")+1 || !strings.Contains(names, "张晓梅.png") {
		t.Errorf("the secretary's export holds more than their station:\n%s", names)
	}
	if _, page := sec.get("/console/codes/sheet"); !strings.Contains(page, "张晓梅") || strings.Contains(page, "陈秀兰") {
		t.Errorf("the secretary's print sheet:\n%s", page)
	}
	if resp, _ := sec.fetch("/console/codes/export.zip?under=青岛市/崂山区"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the secretary's export of another district: %d, want 404", resp.StatusCode)
	}

	laoshan := signIn("laoshan")
	if names := zipNames(laoshan, "/console/codes/export.zip?size=128"); strings.Contains(names, "西海岸新区") || !strings.Contains(names, "陈秀兰.png") {
		t.Errorf("崂山区's export:\n%s", names)
	}
	if resp, _ := laoshan.fetch("/console/codes/sheet?under=青岛市/市南区"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("崂山区's print sheet of 市南区: %d, want 404", resp.StatusCode)
	}

	dept := signIn("dept")
	for _, path := range []string{"/console/codes/export.zip", "/console/codes/sheet"} {
		if resp, _ := dept.fetch(path); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a handler's %s: %d, want 403", path, resp.StatusCode)
		}
	}
}

// A loop of exports from one account is stopped after a few a minute
// (429, saying when to try again); another account is not held up.
func TestExportsAreLimitedPerAccount(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	admin := e.signedInAdmin(t)
	var statuses []int
	for range 8 {
		resp, _ := admin.fetch("/console/codes/export.zip?under=青岛市/崂山区&size=128")
		statuses = append(statuses, resp.StatusCode)
	}
	if statuses[0] != http.StatusOK || statuses[len(statuses)-1] != http.StatusTooManyRequests {
		t.Fatalf("eight exports in a row: %v", statuses)
	}
	resp, body := admin.fetch("/console/problems.xlsx?department=市南区城市管理局")
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "每分钟最多导出") || resp.Header.Get("Retry-After") == "" {
		t.Errorf("another export past the limit: %d %s", resp.StatusCode, body)
	}
	e.addStaff(t, mashang.StaffUser{Username: "other", Name: "另一位管理员", Role: mashang.RoleAdmin}, "", "")
	other := e.browser(t)
	other.login("other", staffPassword)
	if resp, _ := other.fetch("/console/codes/export.zip?under=青岛市/崂山区&size=128"); resp.StatusCode != http.StatusOK {
		t.Errorf("another account's export: %d", resp.StatusCode)
	}
}

// A reader that stops reading an export holds nothing anyone else waits
// for: the ZIP is drawn into a file and the drawing slot freed before the
// answer starts, so once its first bytes are out, another account's export
// is drawn at once, however slowly the first is read. (Drawn while sent,
// as before, the second export was refused while the first was still being
// written to its reader.)
func TestStalledReaderHoldsNoExportSlot(t *testing.T) {
	e := newEnv(t, store.DriverSQLite, wechattest.ModeSafe, options{})
	admin := e.signedInAdmin(t)
	// Enough deputies that sending the export takes a while (about 11 KB a
	// code at 2048 pixels).
	var roster strings.Builder
	roster.WriteString("编码,姓名,层级,编组站点\n")
	for i := range 60 {
		fmt.Fprintf(&roster, "slow-%04d,代表%04d,区（市、县）,demo-lsh\n", i, i)
	}
	if status, loc := admin.uploadRoster("deputies", "deputies.csv", []byte(roster.String())); status != http.StatusSeeOther || !strings.Contains(loc, "done: ") {
		t.Fatalf("import: %d %s", status, loc)
	}

	e.addStaff(t, mashang.StaffUser{Username: "other", Name: "另一位管理员", Role: mashang.RoleAdmin}, "", "")
	other := e.browser(t)
	other.login("other", staffPassword)

	// The stalled reader: asks, reads the answer's first bytes, stops.
	base, _ := url.Parse(e.srv.URL)
	var cookies []string
	for _, c := range admin.client.Jar.Cookies(&url.URL{Scheme: "http", Host: base.Host, Path: "/console/"}) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	conn, err := net.Dial("tcp", base.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /console/codes/export.zip?size=2048&under=%s HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\n\r\n",
		url.QueryEscape("青岛市/崂山区"), base.Host, strings.Join(cookies, "; "))
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
	first := make([]byte, 12)
	if _, err := io.ReadFull(conn, first); err != nil || string(first) != "HTTP/1.1 200" {
		t.Fatalf("the stalled export: %q %v", first, err)
	}

	done := make(chan int, 1)
	go func() {
		resp, _ := other.fetch("/console/codes/export.zip?under=" + url.QueryEscape("青岛市/市南区") + "&size=128")
		done <- resp.StatusCode
	}()
	select {
	case status := <-done:
		if status != http.StatusOK {
			t.Fatalf("another account's export while one reader stalls: %d", status)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("another account's export waits for a stalled reader")
	}
}
