package roster

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// templateRows is how far down a template's dropdowns reach: every row a
// roster file may have.
const templateRows = MaxRows

// Template writes the roster as an empty Excel workbook staff fill in: the
// header row, an example row (left as it is, it is not imported), a
// dropdown on every column whose values come from a list, every cell text
// (so Excel keeps 0 in front of a code and does not turn a phone number
// into 1.38E+10), and a second sheet, 填写说明, explaining each column. The
// columns, lists and examples are the layout's: the import reads what the
// template writes.
func Template(l Layout) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := l.Label
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return nil, err
	}
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 49,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return nil, err
	}
	required, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "C00000"}, NumFmt: 49,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return nil, err
	}
	for i, c := range l.Columns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		steps := []error{
			f.SetColStyle(sheet, col, text),
			f.SetColWidth(sheet, col, col, width(c)),
			f.SetCellStr(sheet, col+"1", c.Header),
			f.SetCellStyle(sheet, col+"1", col+"1", yes(c.Required, required, header)),
			f.SetCellStr(sheet, col+"2", c.Example),
		}
		if len(c.Allowed) > 0 {
			dv := excelize.NewDataValidation(true)
			dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, templateRows)
			if err := dv.SetDropList(c.Allowed); err != nil {
				return nil, err
			}
			dv.SetError(excelize.DataValidationErrorStyleStop, "请从列表中选择", fmt.Sprintf("「%s」应为 %s", c.Header, strings.Join(c.Allowed, "、")))
			steps = append(steps, f.AddDataValidation(sheet, dv))
		}
		for _, err := range steps {
			if err != nil {
				return nil, err
			}
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	if err := notesSheet(f, l); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// notesSheet explains the columns on a second sheet: the import reads the
// first sheet only.
func notesSheet(f *excelize.File, l Layout) error {
	const sheet = "填写说明"
	if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	rows := [][]string{
		{l.Label + "：第一个工作表的第1行是表头（红字为必填列），第2行是示例——原样留着不会导入，可照着改写或删除。整表校验：有一处错误则整表不导入，并列出每一处错误。"},
		{"列", "必填", "可填的值", "说明", "示例"},
	}
	for _, c := range l.Columns {
		rows = append(rows, []string{c.Header, yes(c.Required, "是", ""), strings.Join(c.Allowed, "、"), c.Note, c.Example})
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		cells := make([]any, len(row))
		for j, v := range row {
			cells[j] = v
		}
		if err := f.SetSheetRow(sheet, cell, &cells); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(sheet, "A", "A", 14); err != nil {
		return err
	}
	if err := f.SetColWidth(sheet, "C", "C", 24); err != nil {
		return err
	}
	return f.SetColWidth(sheet, "D", "D", 70)
}

// width fits a column to its header and example, in Excel's character
// widths (a Chinese character is about two).
func width(c Column) float64 {
	w := 0
	for _, s := range []string{c.Header, c.Example} {
		n := 0
		for _, r := range s {
			n += yes(r > 0x2E80, 2, 1)
		}
		w = max(w, n)
	}
	return float64(min(max(w+2, 10), 50))
}
