package handlers_test

import (
	"bytes"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"mashang"
	"mashang/roster"
	"mashang/store/storetest"
	"mashang/wechat/wechattest"
)

// rowErrorLines are the bad rows a console page lists.
func rowErrorLines(page string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<li>(第[^<]*)</li>`).FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}

// rosterAdmin is an administrator signed in to a fresh console.
func rosterAdmin(t *testing.T, driver string) *staffBrowser {
	e := newEnv(t, driver, wechattest.ModeSafe, options{})
	e.addStaff(t, mashang.StaffUser{Username: "admin", Name: "管理员", Role: mashang.RoleAdmin}, "", "")
	admin := e.browser(t)
	admin.login("admin", staffPassword)
	return admin
}

// A new city's staff fill the console's templates in Excel and upload them
// as Excel saves them — .xlsx, CSV in GBK (Chinese Excel's plain CSV) or in
// UTF-8 with a byte-order mark — and read the rosters back in Chinese.
func TestRosterTemplatesAndUploadsAsExcelSavesThem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		admin := rosterAdmin(t, driver)

		// Each template downloads and opens, with its dropdowns and example row.
		_, page := admin.get("/console/manage")
		templates := map[string][]byte{}
		for _, l := range roster.Layouts {
			link := "/console/manage/template/" + l.Kind
			if !strings.Contains(page, `href="`+link+`"`) {
				t.Fatalf("the management page has no link to the %s template", l.Kind)
			}
			resp, data := admin.fetch(link)
			if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), l.Kind+".xlsx") {
				t.Fatalf("%s template: %d %v", l.Kind, resp.StatusCode, resp.Header)
			}
			book, err := excelize.OpenReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s template does not open: %v", l.Kind, err)
			}
			rows, _ := book.GetRows(l.Label)
			dvs, _ := book.GetDataValidations(l.Label)
			lists := 0
			for _, c := range l.Columns {
				if len(c.Allowed) > 0 {
					lists++
				}
			}
			if len(rows) != 2 || !slices.Equal(rows[0], l.Headers()) || rows[1][0] != l.Columns[0].Example || len(dvs) != lists {
				t.Fatalf("%s template: rows %q, %d dropdowns for %d listed columns", l.Kind, rows, len(dvs), lists)
			}
			book.Close()
			templates[l.Kind] = data
			// Every column is explained on the page.
			for _, c := range l.Columns {
				if c.Note != "" && !strings.Contains(page, c.Note) {
					t.Fatalf("the page does not explain %s's column %s", l.Kind, c.Header)
				}
			}
		}

		// A station roster saved by Chinese Excel as plain CSV: GBK.
		gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("编码,名称,类型,市,区（市、县）,状态\r\nqd-gbk1,云霄路联络站,代表联络站,青岛市,市南区,开放\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		if status, _ := admin.uploadRoster("stations", "站点.csv", gbk); status != http.StatusSeeOther || !strings.Contains(admin.said, "站点名册导入完成：新增1条") {
			t.Fatalf("GBK CSV: %d %q", status, admin.said)
		}
		// A department roster saved as “CSV UTF-8”: with a byte-order mark.
		bom := []byte("\xef\xbb\xbf名称,所属辖区\r\n市南区民政局,青岛市/市南区\r\n")
		if status, _ := admin.uploadRoster("departments", "单位.csv", bom); status != http.StatusSeeOther || !strings.Contains(admin.said, "承办单位名册导入完成：新增1条") {
			t.Fatalf("UTF-8 CSV with BOM: %d %q", status, admin.said)
		}
		// The deputy template filled in below its example row, uploaded as it is.
		book, _ := excelize.OpenReader(bytes.NewReader(templates["deputies"]))
		book.SetSheetRow(roster.Deputies.Label, "A3", &[]any{"qd-x9", "周九", "市", "13900139000", "qd-gbk1", "", "", "是"})
		var filled bytes.Buffer
		book.Write(&filled)
		book.Close()
		if status, _ := admin.uploadRoster("deputies", "代表.xlsx", filled.Bytes()); status != http.StatusSeeOther || !strings.Contains(admin.said, "代表名册导入完成：新增1条，更新0条") {
			t.Fatalf("filled template: %d %q", status, admin.said)
		}

		// What was imported reads in Chinese, not as the values stored.
		_, stations := admin.get("/console/manage/roster/stations")
		_, deputies := admin.get("/console/manage/roster/deputies")
		if !strings.Contains(stations, "<td>云霄路联络站</td><td>代表联络站</td>") || strings.Contains(deputies, "<td>city</td>") ||
			!strings.Contains(deputies, "<td>周九</td><td>市</td>") {
			t.Fatalf("the roster pages do not read in Chinese:\n%s\n%s", stations, deputies)
		}
		for _, raw := range []string{"<td>station</td>", "<td>home</td>", "<td>point</td>", "<td>county</td>", "<td>town</td>"} {
			if strings.Contains(stations+deputies, raw) {
				t.Fatalf("a roster page shows %s", raw)
			}
		}
	})
}

// A file with a mistake of form (row 2) and a reference to a station that
// does not exist (row 3) is refused with both, in one upload, in the very
// lines `mashang import` prints for it (cmd/mashang TestImportCommand reads
// the same file and the same lines).
func TestRosterUploadListsFormatAndReferenceErrorsAsTheCommandLineDoes(t *testing.T) {
	file, err := os.ReadFile("../testdata/rosters/deputies-two-mistakes-gbk.csv")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../testdata/rosters/deputies-two-mistakes.want")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, driver string) {
		admin := rosterAdmin(t, driver)
		status, page := admin.uploadRoster("deputies", "代表.csv", file)
		got := rowErrorLines(page)
		if status != http.StatusBadRequest || !slices.Equal(got, strings.Split(strings.TrimSpace(string(want)), "\n")) ||
			!strings.Contains(page, "代表名册有2处错误，未做任何修改") || !strings.Contains(page, `<option value="deputies" selected>`) {
			t.Fatalf("%d, rows %q:\n%s", status, got, page)
		}
	})
}

// No mistake in an upload is the server's: each is said on the page in
// Chinese, with what to do, never as 服务内部错误.
func TestRosterUploadMistakesNeverAnswerAnInternalError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		admin := rosterAdmin(t, driver)
		long := strings.Repeat("很长的名字", 20)
		for _, u := range []struct{ kind, name, data, says string }{
			{"stations", "站点.xls", "\xd0\xcf\x11\xe0", "不支持旧版 .xls"},
			{"stations", "站点.xlsx", "not a zip", "无法打开这个 Excel 文件"},
			{"stations", "站点.txt", "编码", "不认识文件"},
			{"stations", "站点.csv", "", "文件是空的"},
			{"stations", "站点.csv", "\xff\xfe\x16\x7f\x01\x78", "不是 CSV"},
			{"stations", "站点.csv", "\x81\x20\x81\x20", "编码既不是 UTF-8 也不是 GBK"},
			{"stations", "站点.csv", "编码,名称,\"类型\n", "格式有误"},
			{"stations", "站点.csv", "站名,地点\n甲,乙\n", "不认识这一列"},
			{"rosters", "站点.csv", "编码\nx\n", "名册类型应为"},
			{"departments", "单位.csv", "名称,所属辖区\n甲局,青岛市/" + long + "\n", "超过50个字"},
			{"groups", "小组.csv", "站点编码,小组名称,组长编码\nnowhere,综合组,nobody\n", "没有编码为「nowhere」的站点"},
		} {
			status, page := admin.uploadRoster(u.kind, u.name, []byte(u.data))
			shown := page + admin.said
			if status >= 500 || strings.Contains(shown, "服务内部错误") || !strings.Contains(shown, u.says) {
				t.Errorf("%s %q: %d, want %q:\n%s", u.kind, u.data, status, u.says, shown)
			}
		}
	})
}
