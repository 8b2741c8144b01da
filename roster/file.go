package roster

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"mashang"
)

// MaxFileBytes bounds a roster file: Qingdao's 6,500 deputies fit in well
// under a megabyte.
const MaxFileBytes = 16 << 20

// An .xlsx file is a zip: a megabyte of it can unpack to gigabytes, and
// excelize holds what it unpacks in memory. So a workbook is refused
// before excelize opens it when its parts would unpack to more than
// MaxUnpackedBytes, and reading stops at MaxRows rows of at most
// MaxColumns filled columns — a city's roster is a few thousand rows of
// about ten columns.
const (
	MaxUnpackedBytes = 50 << 20
	MaxRows          = 20_000
	MaxColumns       = 50
)

// ReadFile reads the rows of a roster file, as staff have it: an Excel
// workbook (.xlsx, its first sheet) or a CSV file (UTF-8, with or without
// Excel's byte-order mark, or GBK/GB18030 as Chinese Excel saves it). The error (EINVALID) says what to do.
func ReadFile(name string, r io.Reader) ([][]string, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, mashang.Errorf(mashang.EINVALID, "读取文件失败，请重新上传")
	}
	if len(data) > MaxFileBytes {
		return nil, mashang.Errorf(mashang.EINVALID, "文件超过%dMB，请拆分后再导入", MaxFileBytes>>20)
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx":
		return readXLSX(data)
	case ".csv":
		return readCSV(data)
	case ".xls":
		return nil, mashang.Errorf(mashang.EINVALID, "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV (UTF-8)")
	}
	return nil, mashang.Errorf(mashang.EINVALID, "不认识文件「%s」的格式，请用 .xlsx 或 .csv", filepath.Base(name))
}

var errTooLarge = mashang.Errorf(mashang.EINVALID,
	"这个 Excel 文件解压后超过%dMB，不像是名册（可能含有大量空白格式或隐藏内容）：请只保留名册所在的工作表，另存为新文件或 CSV (UTF-8) 后再导入", MaxUnpackedBytes>>20)

// checkUnpacked refuses a workbook whose parts would unpack to more than
// MaxUnpackedBytes. The sizes are the zip's own declarations, which
// archive/zip (and so excelize) holds each part to when unpacking it.
func checkUnpacked(data []byte) error {
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return errNotXLSX
	}
	var total uint64
	for _, f := range z.File {
		total += f.UncompressedSize64
		if f.UncompressedSize64 > MaxUnpackedBytes || total > MaxUnpackedBytes {
			return errTooLarge
		}
	}
	return nil
}

var errNotXLSX = mashang.Errorf(mashang.EINVALID, "无法打开这个 Excel 文件，请确认它是 .xlsx 格式且未加密")

func readXLSX(data []byte) ([][]string, error) {
	if err := checkUnpacked(data); err != nil {
		return nil, err
	}
	book, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: MaxUnpackedBytes})
	if err != nil {
		return nil, errNotXLSX
	}
	defer book.Close()
	sheets := book.GetSheetList()
	if len(sheets) == 0 {
		return nil, mashang.Errorf(mashang.EINVALID, "这个 Excel 文件里没有工作表")
	}
	// Row by row, not GetRows: what is read is bounded as it is read.
	it, err := book.Rows(sheets[0])
	if err != nil {
		return nil, mashang.Errorf(mashang.EINVALID, "读取工作表「%s」失败，请另存为新文件后再导入", sheets[0])
	}
	defer it.Close()
	var rows rowReader
	what := "工作表「" + sheets[0] + "」"
	for it.Next() {
		cells, err := it.Columns()
		if err != nil {
			return nil, mashang.Errorf(mashang.EINVALID, "%s第%d行读不出来，请另存为新文件后再导入", what, len(rows.rows)+rows.empty+1)
		}
		for len(cells) > 0 && cells[len(cells)-1] == "" { // as GetRows: no trailing empty cells
			cells = cells[:len(cells)-1]
		}
		if err := rows.add(what, cells); err != nil {
			return nil, err
		}
	}
	if err := it.Error(); err != nil {
		return nil, mashang.Errorf(mashang.EINVALID, "读取工作表「%s」失败，请另存为新文件后再导入", sheets[0])
	}
	return rows.rows, nil // as GetRows: no trailing empty rows
}

func readCSV(data []byte) ([][]string, error) {
	data, err := decodeCSV(data)
	if err != nil {
		return nil, err
	}
	rd := csv.NewReader(bytes.NewReader(data))
	rd.FieldsPerRecord = -1 // rows may be shorter than the header; empty cells are fine
	var rows rowReader
	for {
		cells, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return rows.rows, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, mashang.Errorf(mashang.EINVALID, "CSV 第%d行格式有误（多半是引号不成对），请在 Excel 中打开后重新另存为 CSV UTF-8", pe.Line)
			}
			return nil, mashang.Errorf(mashang.EINVALID, "CSV 格式有误，请在 Excel 中打开后重新另存为 CSV UTF-8")
		}
		if err := rows.add("CSV 文件", cells); err != nil {
			return nil, err
		}
	}
}

// decodeCSV gives a CSV file's text as UTF-8. Chinese Excel's plain “CSV
// (逗号分隔)” is GBK, its “CSV UTF-8” starts with a byte-order mark. Valid
// UTF-8 is taken as it is: Chinese text in GBK is almost never valid UTF-8
// (its bytes pair up where UTF-8's come in threes), while the reverse
// guess would turn every UTF-8 file into nonsense. Anything else is read as
// GB18030, which GBK and GB2312 are subsets of.
func decodeCSV(data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		return nil, mashang.Errorf(mashang.EINVALID, "这个文件是 Excel 的“Unicode 文本”（UTF-16，以制表符分隔），不是 CSV：请另存为 .xlsx 或“CSV UTF-8（逗号分隔）”后再导入")
	}
	if utf8.Valid(data) {
		return data, nil
	}
	text, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil || !utf8.Valid(text) || bytes.ContainsRune(text, utf8.RuneError) {
		return nil, mashang.Errorf(mashang.EINVALID, "CSV 文件的编码既不是 UTF-8 也不是 GBK，读不出来：请在 Excel 中“另存为 CSV UTF-8（逗号分隔）”或 .xlsx 后再导入")
	}
	return text, nil
}

// rowReader keeps the rows read so far, refusing a file past MaxRows rows
// or MaxColumns filled columns as soon as it gets there. Empty rows are
// kept only when a row with something in it follows: Excel often writes
// thousands of formatted, empty rows after a list, and those are no reason
// to refuse it.
type rowReader struct {
	rows  [][]string
	empty int // empty rows read since the last filled one
}

func (r *rowReader) add(what string, cells []string) error {
	if len(cells) == 0 {
		r.empty++
		return nil
	}
	if len(r.rows)+r.empty >= MaxRows {
		return mashang.Errorf(mashang.EINVALID, "%s超过%d行，请拆分成几个文件分别导入", what, MaxRows)
	}
	filled := len(cells)
	for filled > 0 && cells[filled-1] == "" {
		filled--
	}
	if filled > MaxColumns {
		return mashang.Errorf(mashang.EINVALID, "%s第%d行超过%d列，名册用不到这么多列：请删去多余的列后再导入", what, len(r.rows)+r.empty+1, MaxColumns)
	}
	for ; r.empty > 0; r.empty-- {
		r.rows = append(r.rows, nil)
	}
	r.rows = append(r.rows, cells)
	return nil
}
