package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"mashang"
)

// DutyReports reads deputies' duty and points (*store.DB).
type DutyReports interface {
	DutyReport(ctx context.Context, r mashang.Reach, from, to time.Time) ([]mashang.DutyLine, error)
	AddPointCorrection(ctx context.Context, deputyCode string, points int, reason, by string, at time.Time) error
	PointRules(ctx context.Context) ([]mashang.PointRule, error)
	SetPointRule(ctx context.Context, r mashang.PointRule) error
}

// dutyReport reads the quarter (?quarter=2026Q4, default this one) for the
// account's reach.
func (con *console) dutyReport(c *gin.Context) (string, []mashang.DutyLine, bool) {
	name, from, to, err := mashang.ParseQuarter(c.Query("quarter"), time.Now())
	if err != nil {
		con.fail(c, err)
		return "", nil, false
	}
	lines, err := con.deps.Duty.DutyReport(c.Request.Context(), c.MustGet(reachKey).(mashang.Reach), from, to)
	if err != nil {
		con.fail(c, err)
		return "", nil, false
	}
	return name, lines, true
}

// points answers GET /console/points: each deputy's quarter by station and
// group — activities attended, cases taken and closed, citizens satisfied,
// answers drafted, points.
func (con *console) points(c *gin.Context) {
	name, lines, ok := con.dutyReport(c)
	if !ok {
		return
	}
	var labels []string
	for _, a := range mashang.DutyActions {
		labels = append(labels, mashang.DutyLabel(a))
	}
	rows := make([]gin.H, len(lines))
	for i, l := range lines {
		var counts []int
		for _, a := range mashang.DutyActions {
			counts = append(counts, l.Counts[a])
		}
		rows[i] = gin.H{"Line": l, "Counts": counts}
	}
	rules, err := con.deps.Duty.PointRules(c.Request.Context())
	if err != nil {
		con.fail(c, err)
		return
	}
	con.page(c, http.StatusOK, "console_points.html", gin.H{"Title": "履职积分", "Quarter": name, "QuarterParam": c.Query("quarter"),
		"Labels": labels, "Rows": rows, "Rules": rules, "MaxRulePoints": mashang.MaxRulePoints})
}

// pointsExcel answers GET /console/points.xlsx: the same report as Excel.
func (con *console) pointsExcel(c *gin.Context) {
	name, lines, ok := con.dutyReport(c)
	if !ok {
		return
	}
	book := excelize.NewFile()
	defer book.Close()
	const sheet = "履职积分"
	_ = book.SetSheetName("Sheet1", sheet)
	headers := []any{"站点", "代表小组", "代表编码", "代表"}
	for _, a := range mashang.DutyActions {
		headers = append(headers, mashang.DutyLabel(a))
	}
	headers = append(headers, "积分")
	if err := book.SetSheetRow(sheet, "A1", &headers); err != nil {
		con.fail(c, fmt.Errorf("points report: %w", err))
		return
	}
	for i, l := range lines {
		row := []any{l.StationName, l.GroupName, l.DeputyCode, l.DeputyName}
		for _, a := range mashang.DutyActions {
			row = append(row, l.Counts[a])
		}
		row = append(row, l.Points)
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := book.SetSheetRow(sheet, cell, &row); err != nil {
			con.fail(c, fmt.Errorf("points report: %w", err))
			return
		}
	}
	if err := con.audited(c, "export_points", name, fmt.Sprintf("%d位代表", len(lines)), wroteNothing); err != nil {
		con.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="points.xlsx"; filename*=UTF-8''`+url.PathEscape(name+"履职积分.xlsx"))
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Status(http.StatusOK)
	if err := book.Write(c.Writer); err != nil {
		con.deps.Log.Error("points report", "err", err)
	}
}

// correctPoints answers the administrator's correction form: an entry that
// adds or takes away points, with its reason; nothing is ever edited.
func (con *console) correctPoints(c *gin.Context) {
	s := c.MustGet(staffKey).(mashang.StaffSession)
	code, reason := strings.TrimSpace(c.PostForm("deputy")), strings.TrimSpace(c.PostForm("reason"))
	points, err := strconv.Atoi(strings.TrimSpace(c.PostForm("points")))
	err = con.audited(c, "correct_points", code, fmt.Sprintf("%s %+d %s", code, points, reason), func(ctx context.Context) error {
		switch {
		case err != nil || points == 0 || points < -100 || points > 100:
			return mashang.Errorf(mashang.EINVALID, "积分调整应为 -100 到 100 之间、不为 0 的整数")
		case reason == "":
			return mashang.Errorf(mashang.EINVALID, "请写明调整的原因")
		}
		return con.deps.Duty.AddPointCorrection(ctx, code, points, "更正："+reason, s.User.Username, time.Now())
	})
	con.said(c, "/console/points", outcome(c, con.deps.Log, fmt.Sprintf("已为代表 %s 记入 %+d 分", code, points), err))
}

// setPointRule answers POST /console/points/rules (administrators): what
// one action earns from now on. Points already earned stay as they were.
func (con *console) setPointRule(c *gin.Context) {
	rule := mashang.PointRule{Action: c.PostForm("action"), Reason: strings.TrimSpace(c.PostForm("reason"))}
	points, err := strconv.Atoi(strings.TrimSpace(c.PostForm("points")))
	rule.Points = points
	err = con.audited(c, "set_point_rule", rule.Action, fmt.Sprintf("%s %d %s", rule.Action, rule.Points, rule.Reason), func(ctx context.Context) error {
		if err != nil {
			return mashang.Errorf(mashang.EINVALID, "积分应为 0 到 %d 之间的整数", mashang.MaxRulePoints)
		}
		return con.deps.Duty.SetPointRule(ctx, rule)
	})
	con.said(c, "/console/points", outcome(c, con.deps.Log, fmt.Sprintf("「%s」此后每次记 %d 分", mashang.DutyLabel(rule.Action), rule.Points), err))
}
