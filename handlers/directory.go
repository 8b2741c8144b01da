package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"mashang"
	"mashang/roster"
)

// RosterReader reads a roster back in its import layout (*store.DB).
type RosterReader interface {
	RosterRows(ctx context.Context, kind string) ([][]string, error)
}

// rosterPage answers GET /console/manage/roster/:kind: every record, each
// editable as a one-row roster (?edit=key), and a form for a new one.
func (con *console) rosterPage(c *gin.Context) {
	con.showRoster(c, http.StatusOK, c.Param("kind"), c.Query("edit"), nil, nil)
}

// rosterRows reads an editable roster, or answers why not.
func (con *console) rosterRows(c *gin.Context, kind string) (roster.Layout, [][]string, bool) {
	layout, ok := roster.Lookup(kind)
	if !ok || !layout.Editable {
		con.fail(c, mashang.NotFound("名册"))
		return layout, nil, false
	}
	rows, err := con.deps.Roster.RosterRows(c.Request.Context(), kind)
	if err != nil {
		con.fail(c, err)
		return layout, nil, false
	}
	return layout, rows, true
}

func (con *console) showRoster(c *gin.Context, status int, kind, edit string, form []string, rowErrors []string) {
	layout, rows, ok := con.rosterRows(c, kind)
	if !ok {
		return
	}
	headers, records := rows[0], rows[1:]
	shown := make([]gin.H, len(records))
	for i, r := range records {
		cells := slices.Clone(r)
		for j, col := range layout.Columns {
			if col.Mask != nil {
				cells[j] = col.Mask(cells[j])
			}
		}
		shown[i] = gin.H{"Cells": cells, "Key": layout.Key(r)}
		if form == nil && edit != "" && layout.Key(r) == edit {
			form = slices.Clone(r)
		}
	}
	editing := form != nil
	if form == nil {
		form = make([]string, len(headers))
	}
	fields := make([]gin.H, len(headers))
	for i, col := range layout.Columns {
		f := gin.H{"Name": "c" + strconv.Itoa(i), "Label": col.Header, "Value": form[i], "Long": col.Long,
			"Allowed": col.Allowed, "Required": col.Required, "Note": col.Note}
		if col.Mask != nil {
			f["Placeholder"], f["Value"] = "不修改请留空"+maskedOr(col.Mask, form[i]), ""
		}
		fields[i] = f
	}
	var kinds []option
	for _, l := range roster.Layouts {
		if l.Editable {
			kinds = append(kinds, option{l.Kind, l.Label})
		}
	}
	con.page(c, status, "console_roster.html", gin.H{"Title": layout.Label, "Kind": kind, "Kinds": kinds,
		"Label": layout.Label, "Layout": layout, "Headers": headers, "Rows": shown, "Fields": fields, "Editing": editing,
		"RowErrors": rowErrors, "Error": errorOf(rowErrors)})
}

// maskedOr says, masked, what a personal value is now.
func maskedOr(mask func(string) string, v string) string {
	if v == "" {
		return ""
	}
	return "（现为 " + mask(v) + "）"
}

func errorOf(rowErrors []string) any {
	if len(rowErrors) == 0 {
		return nil // the page may say what the action before it did
	}
	return "未保存：请改正下面的错误"
}

// saveRosterRecord answers the record form: the record is applied as a
// one-row roster, so it passes exactly the checks an upload does and is
// saved whole or not at all.
func (con *console) saveRosterRecord(c *gin.Context) {
	kind := c.Param("kind")
	layout, rows, ok := con.rosterRows(c, kind)
	if !ok {
		return
	}
	headers := rows[0]
	record := make([]string, len(headers))
	for i := range headers {
		record[i] = strings.TrimSpace(c.PostForm("c" + strconv.Itoa(i)))
	}
	for i, col := range layout.Columns {
		if col.Mask == nil || record[i] != "" {
			continue
		}
		for _, r := range rows[1:] {
			if layout.Key(r) == layout.Key(record) {
				record[i] = r[i] // kept, never shown
			}
		}
	}
	var res roster.ImportResult
	err := con.audited(c, "edit_"+kind, layout.Key(record), "保存记录", func(ctx context.Context) error {
		var err error
		res, err = con.deps.Rosters.Apply(ctx, kind, [][]string{headers, record})
		return err
	})
	var fileErr *mashang.FileError
	if errors.As(err, &fileErr) {
		var rowErrors []string
		for _, r := range fileErr.Errors {
			rowErrors = append(rowErrors, r.String())
		}
		for i, col := range layout.Columns {
			if col.Mask != nil {
				record[i] = ""
			}
		}
		con.showRoster(c, http.StatusBadRequest, kind, "", record, rowErrors)
		return
	}
	if err != nil {
		con.fail(c, err)
		return
	}
	con.said(c, "/console/manage/roster/"+url.PathEscape(kind), flash{Done: layout.Key(record) + " 已保存：" + res.String()})
}
