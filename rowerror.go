package mashang

import (
	"fmt"
	"strings"
)

// RowError is one problem in a file staff keep by hand (a roster, the
// holiday table): the row or line it is on (1 = the first), the column when
// one is at fault, and what is wrong, in Chinese.
type RowError struct {
	Row    int
	Column string // the header, when one column is at fault
	Reason string
}

func (e RowError) String() string {
	if e.Column != "" {
		return fmt.Sprintf("第%d行「%s」：%s", e.Row, e.Column, e.Reason)
	}
	return fmt.Sprintf("第%d行：%s", e.Row, e.Reason)
}

// FileError refuses a whole file and lists every problem in it, so staff
// can fix the file in one pass. It unwraps to an EINVALID *Error carrying
// the same text.
type FileError struct {
	File    string // what the file is, e.g. 名册
	Refusal string // what refusing it means, e.g. 未导入任何数据
	Errors  []RowError
}

func (e *FileError) Error() string {
	return fmt.Sprintf("%s有%d处错误，%s：\n%s", e.File, len(e.Errors), e.Refusal, strings.Join(e.Lines(), "\n"))
}

// Lines is each problem as one line, as the command line prints them and
// the console lists them: the same words wherever staff read them.
func (e *FileError) Lines() []string {
	lines := make([]string, len(e.Errors))
	for i, re := range e.Errors {
		lines[i] = re.String()
	}
	return lines
}

func (e *FileError) Unwrap() error { return &Error{Code: EINVALID, Message: e.Error()} }
