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
)

// RosterReader reads a roster back in its import layout (*store.DB).
type RosterReader interface {
	RosterRows(ctx context.Context, kind string) ([][]string, error)
}

// editableRosters are the rosters edited one record at a time in the
// console; keyColumns says which columns name a record.
var (
	editableRosters = []string{"stations", "deputies", "groups", "departments"}
	keyColumns      = map[string]int{"stations": 1, "deputies": 1, "groups": 2, "departments": 2}
)

// rosterKey names a record by its key columns.
func rosterKey(kind string, row []string) string {
	return strings.Join(row[:keyColumns[kind]], "/")
}

// phoneColumn is where the deputies' roster keeps the phone: shown masked,
// and left as it is when the form leaves it empty.
const phoneColumn = 3

// rosterPage answers GET /console/manage/roster/:kind: every record, each
// editable as a one-row roster (?edit=key), and a form for a new one.
func (con *console) rosterPage(c *gin.Context) {
	con.showRoster(c, http.StatusOK, c.Param("kind"), c.Query("edit"), nil, nil)
}

// rosterRows reads an editable roster, or answers why not.
func (con *console) rosterRows(c *gin.Context, kind string) ([][]string, bool) {
	if !slices.Contains(editableRosters, kind) {
		con.fail(c, mashang.NotFound("名册"))
		return nil, false
	}
	rows, err := con.deps.Roster.RosterRows(c.Request.Context(), kind)
	if err != nil {
		con.fail(c, err)
		return nil, false
	}
	return rows, true
}

func (con *console) showRoster(c *gin.Context, status int, kind, edit string, form []string, rowErrors []string) {
	rows, ok := con.rosterRows(c, kind)
	if !ok {
		return
	}
	headers, records := rows[0], rows[1:]
	shown := make([]gin.H, len(records))
	for i, r := range records {
		cells := slices.Clone(r)
		if kind == "deputies" {
			cells[phoneColumn] = mashang.MaskPhone(cells[phoneColumn])
		}
		shown[i] = gin.H{"Cells": cells, "Key": rosterKey(kind, r)}
		if form == nil && edit != "" && rosterKey(kind, r) == edit {
			form = slices.Clone(r)
		}
	}
	editing := form != nil
	if form == nil {
		form = make([]string, len(headers))
	}
	fields := make([]gin.H, len(headers))
	for i, h := range headers {
		f := gin.H{"Name": "c" + strconv.Itoa(i), "Label": h, "Value": form[i], "Long": h == "接待计划" || h == "履职简介"}
		if kind == "deputies" && i == phoneColumn {
			f["Placeholder"], f["Value"] = "不修改请留空"+maskedOr(form[i]), ""
		}
		fields[i] = f
	}
	var kinds []option
	for _, k := range editableRosters {
		kinds = append(kinds, option{k, mashang.RosterKinds[k]})
	}
	con.page(c, status, "console_roster.html", gin.H{"Title": mashang.RosterKinds[kind], "Kind": kind, "Kinds": kinds,
		"Label": mashang.RosterKinds[kind], "Headers": headers, "Rows": shown, "Fields": fields, "Editing": editing,
		"RowErrors": rowErrors, "Done": c.Query("done"), "Error": errorOf(rowErrors)})
}

func maskedOr(phone string) string {
	if phone == "" {
		return ""
	}
	return "（现为 " + mashang.MaskPhone(phone) + "）"
}

func errorOf(rowErrors []string) string {
	if len(rowErrors) == 0 {
		return ""
	}
	return "未保存：请改正下面的错误"
}

// saveRosterRecord answers the record form: the record is applied as a
// one-row roster, so it passes exactly the checks an upload does and is
// saved whole or not at all.
func (con *console) saveRosterRecord(c *gin.Context) {
	kind := c.Param("kind")
	rows, ok := con.rosterRows(c, kind)
	if !ok {
		return
	}
	headers := rows[0]
	record := make([]string, len(headers))
	for i := range headers {
		record[i] = strings.TrimSpace(c.PostForm("c" + strconv.Itoa(i)))
	}
	if kind == "deputies" && record[phoneColumn] == "" {
		for _, r := range rows[1:] {
			if r[0] == record[0] {
				record[phoneColumn] = r[phoneColumn] // kept, never shown
			}
		}
	}
	var res mashang.ImportResult
	err := con.audited(c, "edit_"+kind, rosterKey(kind, record), "保存记录", func(ctx context.Context) error {
		var err error
		res, err = con.deps.Rosters.Apply(ctx, kind, [][]string{headers, record})
		return err
	})
	var rosterErr *mashang.RosterError
	if errors.As(err, &rosterErr) {
		var rowErrors []string
		for _, r := range rosterErr.Errors {
			rowErrors = append(rowErrors, r.String())
		}
		if kind == "deputies" {
			record[phoneColumn] = ""
		}
		con.showRoster(c, http.StatusBadRequest, kind, "", record, rowErrors)
		return
	}
	if err != nil {
		con.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/console/manage/roster/"+kind+"?done="+url.QueryEscape(rosterKey(kind, record)+" 已保存："+res.String()))
}
