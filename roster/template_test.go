package roster_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"mashang/roster"
)

// Every roster's template opens in Excel's format with the layout's header,
// a dropdown on each column whose values come from a list, and an example
// row the import reads as valid but leaves out.
func TestTemplatesHaveHeaderDropdownsAndAnExampleTheImportSkips(t *testing.T) {
	for _, l := range roster.Layouts {
		data, err := roster.Template(l)
		if err != nil {
			t.Fatalf("%s: %v", l.Kind, err)
		}
		book, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", l.Kind, err)
		}
		sheets := book.GetSheetList()
		if len(sheets) != 2 || sheets[0] != l.Label || sheets[1] != "填写说明" {
			t.Fatalf("%s sheets: %v", l.Kind, sheets)
		}
		rows, _ := book.GetRows(sheets[0])
		if len(rows) != 2 || !slices.Equal(rows[0], l.Headers()) {
			t.Fatalf("%s rows: %q", l.Kind, rows)
		}
		dvs, _ := book.GetDataValidations(sheets[0])
		var lists []string
		for _, dv := range dvs {
			lists = append(lists, dv.Formula1)
		}
		for _, c := range l.Columns {
			if len(c.Allowed) == 0 {
				continue
			}
			found := slices.ContainsFunc(lists, func(f string) bool { return strings.Contains(f, strings.Join(c.Allowed, ",")) })
			if !found {
				t.Errorf("%s: no dropdown for %s (%v) among %q", l.Kind, c.Header, c.Allowed, lists)
			}
		}
		book.Close()
		// The file as downloaded, read back as an upload: the example row
		// parses, and is left out.
		read, err := roster.ReadFile("template.xlsx", bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", l.Kind, err)
		}
		if !slices.Equal(read[1], exampleRow(l)) || !strings.Contains(strings.Join(read[1], ""), "（示例）") {
			t.Fatalf("%s example row %q", l.Kind, read[1])
		}
	}
}

func exampleRow(l roster.Layout) []string {
	var row []string
	for _, c := range l.Columns {
		row = append(row, c.Example)
	}
	for len(row) > 0 && row[len(row)-1] == "" {
		row = row[:len(row)-1]
	}
	return row
}

// The example row is a valid record: left as it is, it is skipped; changed
// a little, it imports.
func TestTemplateExampleIsAValidRecord(t *testing.T) {
	parse := map[string]func([][]string) (int, error){
		"stations":    func(r [][]string) (int, error) { rs, err := roster.ParseStations(r); return len(rs), err },
		"deputies":    func(r [][]string) (int, error) { rs, err := roster.ParseDeputies(r); return len(rs), err },
		"groups":      func(r [][]string) (int, error) { rs, err := roster.ParseGroups(r); return len(rs), err },
		"departments": func(r [][]string) (int, error) { rs, err := roster.ParseDepartments(r); return len(rs), err },
		"keywords":    func(r [][]string) (int, error) { rs, err := roster.ParseKeywords(r); return len(rs), err },
	}
	for _, l := range roster.Layouts {
		row := exampleRow(l)
		if n, err := parse[l.Kind]([][]string{l.Headers(), row}); n != 0 || err != nil {
			t.Errorf("%s: the example row as it is gave %d records, %v", l.Kind, n, err)
		}
		for i, c := range l.Columns {
			if c.Required && len(c.Allowed) == 0 {
				row[i] += "2" // no longer the example
				break
			}
		}
		if n, err := parse[l.Kind]([][]string{l.Headers(), row}); n != 1 || err != nil {
			t.Errorf("%s: the example row, changed, does not parse: %v", l.Kind, err)
		}
	}
}

// A CSV as Chinese Excel saves it (GBK, or UTF-8 with a byte-order mark)
// reads as the same rows as plain UTF-8.
func TestCSVInGBKAndWithBOMReadsAsUTF8(t *testing.T) {
	text := "名称,所属辖区\r\n市南区城市管理局,青岛市/市南区\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := roster.ReadFile("a.csv", strings.NewReader(text))
	for name, data := range map[string][]byte{"gbk": gbk, "bom": append([]byte("\xef\xbb\xbf"), text...)} {
		got, err := roster.ReadFile("名册.csv", bytes.NewReader(data))
		if err != nil || len(got) != 2 || !slices.Equal(got[1], want[1]) || !slices.Equal(got[0], want[0]) {
			t.Errorf("%s: %q %v", name, got, err)
		}
	}
}
