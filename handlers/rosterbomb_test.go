package handlers_test

import (
	"archive/zip"
	"bytes"
	"net/http"
	"strings"
	"testing"

	"mashang"
	"mashang/wechat/wechattest"
)

// A roster upload of a few hundred kilobytes that would unpack to 60 MB
// is refused before it is unpacked, and the administrator reads why.
func TestRosterUploadThatUnpacksPastTheLimitIsRefusedWithAMessage(t *testing.T) {
	e := newEnv(t, "sqlite", wechattest.ModeSafe, options{})
	e.addStaff(t, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
	admin := e.browser(t)
	admin.login("admin", staffPassword)

	var bomb bytes.Buffer
	z := zip.NewWriter(&bomb)
	w, _ := z.Create("xl/worksheets/sheet1.xml")
	row := []byte(strings.Repeat(`<row><c t="inlineStr"><is><t>代表</t></is></c></row>`, 1000))
	for written := 0; written < 60<<20; written += len(row) {
		w.Write(row)
	}
	if err := z.Close(); err != nil || bomb.Len() > 1<<20 {
		t.Fatalf("the bomb: %d bytes, %v", bomb.Len(), err)
	}
	status, _ := admin.uploadRoster("deputies", "代表名册.xlsx", bomb.Bytes())
	if status != http.StatusSeeOther || !strings.Contains(admin.said, "解压后超过50MB") {
		t.Fatalf("got %d %q, want the refusal saying the workbook unpacks past 50 MB", status, admin.said)
	}
}
