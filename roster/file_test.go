package roster_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"mashang"
	"mashang/roster"
)

// workbook builds an .xlsx whose first sheet's XML is written by sheet: a
// real workbook from excelize with its worksheet part replaced, so a file
// of any shape can be made small on disk.
func workbook(t *testing.T, sheet func(w io.Writer)) []byte {
	t.Helper()
	book := excelize.NewFile()
	_ = book.SetCellValue("Sheet1", "A1", "编码")
	var plain bytes.Buffer
	if err := book.Write(&plain); err != nil {
		t.Fatal(err)
	}
	src, err := zip.NewReader(bytes.NewReader(plain.Bytes()), int64(plain.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	z := zip.NewWriter(&out)
	for _, f := range src.File {
		w, err := z.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == "xl/worksheets/sheet1.xml" {
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
				`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
			sheet(w)
			io.WriteString(w, `</sheetData></worksheet>`)
			continue
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, r); err != nil {
			t.Fatal(err)
		}
		r.Close()
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// rowsOf writes n rows of the given cells as inline strings.
func rowsOf(n int, cells ...string) func(w io.Writer) {
	return func(w io.Writer) {
		for i := 1; i <= n; i++ {
			fmt.Fprintf(w, `<row r="%d">`, i)
			for j, v := range cells {
				col, _ := excelize.ColumnNumberToName(j + 1)
				fmt.Fprintf(w, `<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>`, col, i, v)
			}
			io.WriteString(w, `</row>`)
		}
	}
}

func refused(t *testing.T, data []byte, says string) {
	t.Helper()
	rows, err := roster.ReadFile("代表名册.xlsx", bytes.NewReader(data))
	if err == nil {
		t.Fatalf("a %d-byte workbook was read (%d rows), want a refusal", len(data), len(rows))
	}
	if mashang.ErrorCode(err) != mashang.EINVALID || !strings.Contains(mashang.ErrorMessage(err), says) {
		t.Fatalf("refused with %v, want EINVALID saying %q", err, says)
	}
}

// A zip bomb: a workbook of well under a megabyte whose sheet unpacks to
// about 60 MB is refused before excelize unpacks it.
func TestRosterWorkbookThatUnpacksToGigabytesIsRefused(t *testing.T) {
	bomb := workbook(t, rowsOf(30_000, strings.Repeat("代", 600), "x"))
	if len(bomb) > 1<<20 {
		t.Fatalf("the bomb is %d bytes; it should be small", len(bomb))
	}
	refused(t, bomb, "解压后超过50MB")
}

func TestRosterWithTooManyRowsOrColumnsIsRefused(t *testing.T) {
	refused(t, workbook(t, rowsOf(roster.MaxRows+1, "a", "b")), "超过20000行")
	wide := make([]string, roster.MaxColumns+1)
	for i := range wide {
		wide[i] = "x"
	}
	refused(t, workbook(t, rowsOf(2, wide...)), "第1行超过50列")

	csv := strings.Repeat("a,b\n", roster.MaxRows+1)
	if _, err := roster.ReadFile("名册.csv", strings.NewReader(csv)); mashang.ErrorCode(err) != mashang.EINVALID {
		t.Fatalf("a CSV of %d rows: got %v, want a refusal", roster.MaxRows+1, err)
	}
}

// Excel's formatted, empty rows after a list are no reason to refuse it,
// and are dropped as GetRows dropped them.
func TestRosterWithTrailingEmptyRowsIsRead(t *testing.T) {
	data := workbook(t, func(w io.Writer) {
		rowsOf(3, "编码", "姓名")(w)
		for i := 4; i < roster.MaxRows+100; i++ {
			fmt.Fprintf(w, `<row r="%d" ht="20" customHeight="1"/>`, i)
		}
	})
	rows, err := roster.ReadFile("名册.xlsx", bytes.NewReader(data))
	if err != nil || len(rows) != 3 || rows[2][1] != "姓名" {
		t.Fatalf("got %d rows, %v; want the 3 filled ones", len(rows), err)
	}
}
