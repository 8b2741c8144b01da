package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// MaxFileBytes bounds a roster file: Qingdao's 6,500 deputies fit in well
// under a megabyte.
const MaxFileBytes = 16 << 20

// ReadFile reads the rows of a roster file, as staff have it: an Excel
// workbook (.xlsx, its first sheet) or a CSV file (UTF-8, with or without
// Excel's byte-order mark). The error says what to do.
func ReadFile(name string, r io.Reader) ([][]string, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("读取文件失败：%w", err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("文件超过%dMB，请拆分后再导入", MaxFileBytes>>20)
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx":
		return readXLSX(data)
	case ".csv":
		return readCSV(data)
	case ".xls":
		return nil, errors.New("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV (UTF-8)")
	}
	return nil, fmt.Errorf("不认识文件「%s」的格式，请用 .xlsx 或 .csv", filepath.Base(name))
}

func readXLSX(data []byte) ([][]string, error) {
	book, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("无法打开这个 Excel 文件（%v），请确认它是 .xlsx 格式且未加密", err)
	}
	defer book.Close()
	sheets := book.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("这个 Excel 文件里没有工作表")
	}
	rows, err := book.GetRows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("读取工作表「%s」失败：%w", sheets[0], err)
	}
	return rows, nil
}

func readCSV(data []byte) ([][]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, errors.New("CSV 文件不是 UTF-8 编码：请在 Excel 中“另存为 CSV UTF-8（逗号分隔）”")
	}
	rd := csv.NewReader(bytes.NewReader(data))
	rd.FieldsPerRecord = -1 // rows may be shorter than the header; empty cells are fine
	rows, err := rd.ReadAll()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("CSV 第%d行格式有误：%v", pe.Line, pe.Err)
		}
		return nil, fmt.Errorf("CSV 格式有误：%w", err)
	}
	return rows, nil
}
