package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"mashang"
)

// figures answers GET /console/figures: collected, answered, closed, on
// time and satisfied, for the account's reach and a period, by station,
// group, category and month, with bars; the departments' figures over the
// cases handed to them in the period; and the month's ranking of stations
// (month=YYYY-MM, the period's last month when left out).
func (con *console) figures(c *gin.Context) {
	now := time.Now()
	from, to, err := mashang.ParsePeriod(c.Query("from"), c.Query("to"), now)
	if err != nil {
		con.fail(c, err)
		return
	}
	monthFrom, monthTo, err := parseMonth(c.Query("month"), to.Add(-time.Nanosecond))
	if err != nil {
		con.fail(c, err)
		return
	}
	ctx, reach := c.Request.Context(), c.MustGet(reachKey).(mashang.Reach)
	groups, err := con.deps.Console.FigureGroups(ctx, reach, from, to, now)
	if err != nil {
		con.fail(c, err)
		return
	}
	departments, err := con.deps.Console.DepartmentFigures(ctx, reach, from, to, now)
	if err != nil {
		con.fail(c, err)
		return
	}
	month, err := con.deps.Console.FigureGroups(ctx, reach, monthFrom, monthTo, now)
	if err != nil {
		con.fail(c, err)
		return
	}
	f := mashang.RollUp(groups)
	con.page(c, http.StatusOK, "console_figures.html", gin.H{"Title": "工作统计", "Figures": f,
		"From": from.Format("2006-01-02"), "To": to.AddDate(0, 0, -1).Format("2006-01-02"),
		"Sections": []gin.H{{"Name": "按站点", "Rows": f.ByStation}, {"Name": "按代表小组", "Rows": f.ByGroup},
			{"Name": "按问题分类", "Rows": f.ByCategory}, {"Name": "按月份", "Rows": f.ByMonth}},
		"Departments": departments,
		"Month":       monthFrom.Format("2006-01"), "Ranking": ranked(mashang.RankStations(mashang.RollUp(month).ByStation)),
		"Chart": monthChart(f.ByMonth)})
}

// rankedStation is one line of the monthly ranking.
type rankedStation struct {
	Place int
	mashang.Tally
}

func ranked(stations []mashang.Tally) []rankedStation {
	out := make([]rankedStation, len(stations))
	for i, t := range stations {
		out[i] = rankedStation{i + 1, t}
	}
	return out
}

// parseMonth reads month=YYYY-MM as [its first day, the next month's
// first day); empty, the month of day.
func parseMonth(text string, day time.Time) (from, to time.Time, err error) {
	day = day.In(mashang.China)
	from = time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, mashang.China)
	if text != "" {
		if from, err = mashang.ParseDay("排名月份（month）", text+"-01"); err != nil {
			return from, to, mashang.Errorf(mashang.EINVALID, "排名月份（month）应写成 2026-01 这样，且在%s至%s之间",
				mashang.FirstDay.Format("2006-01"), mashang.LastDay.Format("2006-01"))
		}
	}
	return from, from.AddDate(0, 1, 0), nil
}

// chartBar is one month of the figures page's chart, in SVG units.
type chartBar struct {
	Label                  string
	Collected, Closed      int
	X, ClosedX, LabelX     int
	CollectedY, CollectedH int
	ClosedY, ClosedH       int
	SatisfiedRate          mashang.Rate
	SatisfiedY             int
	SatisfiedDot           bool // only months with ratings have a rate
}

// chartHeight and chartSlot are the chart's plot height and the width each
// month takes, in SVG units.
const chartHeight, chartSlot = 160, 56

// monthChart lays out collected and closed as bars per month, scaled to the
// busiest month, with the satisfied rate as a point on a 0–100% scale.
func monthChart(months []mashang.Tally) gin.H {
	busiest := 1
	for _, m := range months {
		busiest = max(busiest, m.Collected)
	}
	bars := make([]chartBar, len(months))
	for i, m := range months {
		x := 40 + i*chartSlot
		hc, hd := m.Collected*chartHeight/busiest, m.Closed*chartHeight/busiest
		bars[i] = chartBar{Label: m.Key, Collected: m.Collected, Closed: m.Closed, X: x + 6, ClosedX: x + 26,
			CollectedY: 10 + chartHeight - hc, CollectedH: hc, ClosedY: 10 + chartHeight - hd, ClosedH: hd, LabelX: x + 26,
			SatisfiedRate: m.SatisfiedRate(), SatisfiedY: 10 + chartHeight - int(m.SatisfiedRate().Percent()*chartHeight/100),
			SatisfiedDot: m.Rated > 0}
	}
	return gin.H{"Bars": bars, "Width": 60 + len(months)*chartSlot, "Busiest": busiest, "Base": 10 + chartHeight}
}

// problemList answers GET /console/problems.xlsx: the problem list
// (问题建议清单) within the account's reach, as Excel with Chinese headers —
// of one department (?department=, its name or path as the console's
// forms write it), of every department (no filter), or of the inbox's
// filter (its own query). A department no one has is an error, never an
// empty sheet.
func (con *console) problemList(c *gin.Context) {
	f, err := con.caseFilter(c)
	if err != nil {
		con.fail(c, err)
		return
	}
	reach := c.MustGet(reachKey).(mashang.Reach)
	problems, err := con.deps.Console.ProblemList(c.Request.Context(), reach, f)
	if err != nil {
		con.fail(c, err)
		return
	}
	book := excelize.NewFile()
	defer book.Close()
	const sheet = "问题建议清单"
	_ = book.SetSheetName("Sheet1", sheet)
	headers := []any{"序号", "编号", "站点", "代表小组", "分类", "问题内容", "反映时间（北京时间）", "承办单位", "办理期限", "状态", "灯色", "办结时间", "群众评价"}
	if err := book.SetSheetRow(sheet, "A1", &headers); err != nil {
		con.fail(c, fmt.Errorf("problem list: %w", err))
		return
	}
	colours := map[string]string{mashang.ColourGreen: "绿", mashang.ColourYellow: "黄", mashang.ColourRed: "红"}
	for i, p := range problems {
		deadline, closed := "", ""
		if !p.Deadline.IsZero() {
			deadline = p.Deadline.In(mashang.China).Format("2006-01-02")
		}
		if p.ClosedAt != nil {
			closed = p.ClosedAt.In(mashang.China).Format("2006-01-02")
		}
		row := []any{i + 1, p.Number, p.StationName, p.GroupName, p.Category, p.Summary, p.CreatedAt.In(mashang.China).Format("2006-01-02 15:04"),
			p.Department, deadline, p.StatusLabel(), colours[p.Colour], closed, mashang.RatingLabel(p.Rating)}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := book.SetSheetRow(sheet, cell, &row); err != nil {
			con.fail(c, fmt.Errorf("problem list: %w", err))
			return
		}
	}
	_ = book.SetColWidth(sheet, "F", "F", 50)
	_ = book.SetColWidth(sheet, "B", "E", 16)
	department := f.Department
	if department == "" {
		// Named after what the list holds, as its file is.
		department = "全部承办单位"
	}
	if err := con.audited(c, "export", department, fmt.Sprintf("%d条（%s）", len(problems), problemScope(c)), wroteNothing); err != nil {
		con.fail(c, err)
		return
	}
	name := department + "问题建议清单.xlsx"
	c.Header("Content-Disposition", `attachment; filename="problems.xlsx"; filename*=UTF-8''`+url.PathEscape(name))
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Status(http.StatusOK)
	if err := book.Write(c.Writer); err != nil {
		con.deps.Log.Error("problem list", "err", err)
	}
}

// board answers GET /console/board: open cases by station and colour, each
// count a link into the inbox (三色督办).
func (con *console) board(c *gin.Context) {
	rows, err := con.deps.Console.SupervisionBoard(c.Request.Context(), c.MustGet(reachKey).(mashang.Reach))
	if err != nil {
		con.fail(c, err)
		return
	}
	var total mashang.BoardRow
	for _, r := range rows {
		total.Green, total.Yellow, total.Red, total.Untaken = total.Green+r.Green, total.Yellow+r.Yellow, total.Red+r.Red, total.Untaken+r.Untaken
	}
	// The suggestions beside the cases, for those who read them.
	var suggestions *mashang.SuggestionBoardRow
	if mashang.Allowed(c.MustGet(staffKey).(mashang.StaffSession).User.Role, mashang.ActSuggestions) {
		row, err := con.deps.SuggestionFigures.SuggestionBoard(c.Request.Context(), c.MustGet(reachKey).(mashang.Reach))
		if err != nil {
			con.fail(c, err)
			return
		}
		suggestions = &row
	}
	con.page(c, http.StatusOK, "console_board.html", gin.H{"Title": "三色督办", "Rows": rows, "Total": total, "Suggestions": suggestions})
}

// problemScope is the filter a problem list was drawn with, as the audit
// log shows it.
func problemScope(c *gin.Context) string {
	if q, err := url.QueryUnescape(c.Request.URL.RawQuery); err == nil && q != "" {
		return "筛选 " + q
	}
	return "不限筛选"
}
