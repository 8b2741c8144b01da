package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"mashang"
)

// AuditReader reads the audit log back for administrators (*store.DB).
type AuditReader interface {
	AuditLines(ctx context.Context, f mashang.AuditFilter) ([]mashang.AuditEntry, error)
}

// auditFilter reads the audit page's filter from the query.
func auditFilter(c *gin.Context) mashang.AuditFilter {
	before, _ := strconv.ParseInt(c.Query("before"), 10, 64)
	return mashang.AuditFilter{Username: c.Query("user"), Target: c.Query("target"), From: c.Query("from"), To: c.Query("to"),
		Before: before, Limit: consolePageLen}
}

// auditLogPage answers GET /console/audit (administrators): the audit log,
// newest first, by person, target (a case's number) and days, a page at a
// time.
func (con *console) auditLogPage(c *gin.Context) {
	f := auditFilter(c)
	lines, err := con.deps.AuditLog.AuditLines(c.Request.Context(), f)
	if err != nil {
		con.fail(c, err)
		return
	}
	next := ""
	if len(lines) == consolePageLen {
		next = nextPage(c, "/console/audit", lines[len(lines)-1].ID)
	}
	q := c.Request.URL.Query()
	q.Del("before")
	con.page(c, http.StatusOK, "console_audit.html", gin.H{"Title": "审计日志", "Lines": auditRows(lines), "Filter": f,
		"Next": next, "Export": "/console/audit.xlsx?" + q.Encode(), "MaxExport": mashang.MaxAuditExportRows})
}

// auditRow is one line as the page and the export show it.
func auditRow(e mashang.AuditEntry) []string {
	return []string{e.At.In(mashang.China).Format("2006-01-02 15:04:05"), e.Username, mashang.ActionLabel(e.Action), e.Target, e.Detail, e.IP}
}

func auditRows(lines []mashang.AuditEntry) [][]string {
	out := make([][]string, len(lines))
	for i, e := range lines {
		out[i] = auditRow(e)
	}
	return out
}

// auditLogExcel answers GET /console/audit.xlsx: the lines the page's
// filter selects, all of them up to MaxAuditExportRows, newest first.
func (con *console) auditLogExcel(c *gin.Context) {
	f := auditFilter(c)
	f.Before, f.Limit = 0, mashang.MaxAuditExportRows+1
	lines, err := con.deps.AuditLog.AuditLines(c.Request.Context(), f)
	if err != nil {
		con.fail(c, err)
		return
	}
	more := len(lines) > mashang.MaxAuditExportRows
	if more {
		lines = lines[:mashang.MaxAuditExportRows]
	}
	book := excelize.NewFile()
	defer book.Close()
	const sheet = "审计日志"
	_ = book.SetSheetName("Sheet1", sheet)
	w, err := book.NewStreamWriter(sheet)
	if err != nil {
		con.fail(c, fmt.Errorf("audit export: %w", err))
		return
	}
	write := func(n int, cells []string) error {
		row := make([]any, len(cells))
		for i, s := range cells {
			row[i] = s
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return w.SetRow(cell, row)
	}
	rows := append([][]string{{"时间（北京时间）", "用户名", "操作", "对象", "详情", "IP"}}, auditRows(lines)...)
	if more {
		rows = append(rows, []string{fmt.Sprintf("只导出了最新的%d条；更早的请缩小日期范围后再导出。", mashang.MaxAuditExportRows)})
	}
	for i, r := range rows {
		if err := write(i+1, r); err != nil {
			con.fail(c, fmt.Errorf("audit export: %w", err))
			return
		}
	}
	if err := w.Flush(); err != nil {
		con.fail(c, fmt.Errorf("audit export: %w", err))
		return
	}
	what := strings.Join(strings.Fields(strings.Join([]string{f.Username, f.Target, f.From, f.To}, " ")), " ")
	if err := con.audited(c, "export_audit_log", f.Target, fmt.Sprintf("%d条（%s）", len(lines), orAll(what)), wroteNothing); err != nil {
		con.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="audit.xlsx"; filename*=UTF-8''`+url.PathEscape("审计日志.xlsx"))
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Status(http.StatusOK)
	if err := book.Write(c.Writer); err != nil {
		con.deps.Log.Error("audit export", "err", err)
	}
}

func orAll(s string) string {
	if s == "" {
		return "全部"
	}
	return s
}
