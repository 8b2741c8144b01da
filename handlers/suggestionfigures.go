package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"mashang"
)

// SuggestionFigureReader reads suggestions for supervision and figures
// (*store.DB).
type SuggestionFigureReader interface {
	// SuggestionFacts are the accepted suggestions within reach in scope,
	// with what the figures count (fills in the session's name).
	SuggestionFacts(ctx context.Context, r mashang.Reach, scope *mashang.SuggestionScope) ([]mashang.SuggestionFacts, error)
	// HandledSuggestions are the closed ones since a time, newest first.
	HandledSuggestions(ctx context.Context, r mashang.Reach, since time.Time, limit int) ([]mashang.SuggestionFacts, error)
	SuggestionBoard(ctx context.Context, r mashang.Reach) (mashang.SuggestionBoardRow, error)
	mashang.KeySupervisionStore
}

// markKey answers POST /console/suggestions/:id/key: staff mark a
// suggestion within reach for key supervision (重点督办) with the leading
// official and the plan, audited (suggestionAct).
func (con *console) markKey(c *gin.Context, sg mashang.Suggestion, staff string) (string, string, func(context.Context) error) {
	official, plan := c.PostForm("official"), c.PostForm("plan")
	return official + "：" + plan, "已列为重点督办", func(ctx context.Context) error {
		return mashang.MarkKey(ctx, con.deps.SuggestionFigures, c.MustGet(reachKey).(mashang.Reach), sg.ID, official, plan, staff, time.Now())
	}
}

// suggestionScope reads ?session=ID, or the period ?from=&to= (this year
// so far when neither is given).
func suggestionScope(c *gin.Context, now time.Time) (mashang.SuggestionScope, error) {
	if text := strings.TrimSpace(c.Query("session")); text != "" {
		id, err := strconv.ParseInt(text, 10, 64)
		if err != nil || id < 1 {
			return mashang.SuggestionScope{}, mashang.Errorf(mashang.EINVALID, "会议（session）应为会议的序号，请从列表中选择")
		}
		return mashang.SuggestionScope{SessionID: id}, nil
	}
	from, to, err := mashang.ParsePeriod(c.Query("from"), c.Query("to"), now)
	return mashang.SuggestionScope{From: from, To: to}, err
}

// suggestionFacts reads the scope's facts within the account's reach.
func (con *console) suggestionFacts(c *gin.Context, now time.Time) (mashang.SuggestionScope, []mashang.SuggestionFacts, bool) {
	scope, err := suggestionScope(c, now)
	if err != nil {
		con.fail(c, err)
		return scope, nil, false
	}
	facts, err := con.deps.SuggestionFigures.SuggestionFacts(c.Request.Context(), c.MustGet(reachKey).(mashang.Reach), &scope)
	if err != nil {
		con.fail(c, err)
		return scope, nil, false
	}
	return scope, facts, true
}

// suggestionFigures answers GET /console/suggestion-figures: the handling
// statistics of the suggestions within reach, by body and by deputy, for a
// session or a period, with how each figure is counted and the two Excel
// files.
func (con *console) suggestionFigures(c *gin.Context) {
	now := time.Now()
	scope, facts, ok := con.suggestionFacts(c, now)
	if !ok {
		return
	}
	f := mashang.CountSuggestions(facts, now)
	q := c.Request.URL.Query()
	con.page(c, http.StatusOK, "console_suggestion_figures.html", gin.H{"Title": "建议办理统计", "Scope": scope.Label(), "Figures": f,
		"Categories": categoryCodes(f), "Query": q.Encode(), "From": c.Query("from"), "To": c.Query("to"), "Session": c.Query("session")})
}

// categoryCodes are the answer categories the figures met, in order.
func categoryCodes(f mashang.SuggestionFigures) []string {
	var codes []string
	for code := range f.Total.Categories {
		codes = append(codes, code)
	}
	for _, code := range []string{"A", "B", "C"} {
		if !slices.Contains(codes, code) {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	return codes
}

// suggestionColours are the lights as a spreadsheet cell says them.
var suggestionColours = map[string]string{mashang.ColourGreen: "绿", mashang.ColourYellow: "黄", mashang.ColourRed: "红"}

func day(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(mashang.China).Format("2006-01-02")
}

// suggestionListExcel answers GET /console/suggestions.xlsx: the
// suggestion list (建议汇总表) of a session or a period, within reach,
// audited.
func (con *console) suggestionListExcel(c *gin.Context) {
	scope, facts, ok := con.suggestionFacts(c, time.Now())
	if !ok {
		return
	}
	headers := []any{"序号", "建议编号", "会议", "标题", "分类", "领衔代表", "联名代表", "站点", "状态", "主办单位", "协办单位",
		"交办时间", "答复期限", "答复时间", "答复类别", "是否落实", "代表评价", "灯色", "重点督办"}
	rows := make([][]any, len(facts))
	for i, f := range facts {
		var signers, co []string
		for _, g := range f.Signers {
			signers = append(signers, g.Name)
		}
		lead := ""
		for _, b := range f.Bodies {
			if b.Lead {
				lead = b.Name
			} else {
				co = append(co, b.Name)
			}
		}
		category := ""
		if a, ok := f.Final(); ok {
			category = a.Category
		}
		session := ""
		if f.Session != nil {
			session = f.Session.Name
		}
		due := f.Due
		key := ""
		if f.Key() {
			key = "是（" + f.KeyOfficial + "）"
		}
		rows[i] = []any{i + 1, f.Number, session, f.Title, f.Category, f.DeputyName, strings.Join(signers, "、"), f.StationName,
			f.Status.Label(), lead, strings.Join(co, "、"), day(f.HandedAt), day(&due), day(f.AnsweredAt), category,
			map[bool]string{true: "是", false: ""}[f.Implemented()], mashang.VerdictNames[f.Verdict()], suggestionColours[f.Colour], key}
	}
	con.sendBook(c, "suggestion_list", scope.Label()+"建议汇总表", fmt.Sprintf("%d件", len(facts)), []sheetRows{{"建议汇总表", headers, rows}})
}

// suggestionStatsExcel answers GET /console/suggestion-stats.xlsx: the
// handling statistics (办理情况统计表) of a session or a period within
// reach — a sheet by body, a sheet by deputy — audited.
func (con *console) suggestionStatsExcel(c *gin.Context) {
	now := time.Now()
	scope, facts, ok := con.suggestionFacts(c, now)
	if !ok {
		return
	}
	f := mashang.CountSuggestions(facts, now)
	codes := categoryCodes(f)
	headers := []any{"承办单位", "交办件数", "其中主办", "按时签收率", "按期答复率", "已联系代表（件）", "联系次数", "已答复"}
	for _, code := range codes {
		headers = append(headers, code+"类")
	}
	headers = append(headers, "代表评价件数", "满意率", "落实件数", "落实率", "二次交办")
	line := func(t mashang.SuggestionBodyTally) []any {
		row := []any{t.Department, t.Received, t.Lead, t.AckRate().String(), t.OnTimeRate().String(), t.Contacted, t.Contacts, t.Answered}
		for _, code := range codes {
			row = append(row, t.Category(code))
		}
		return append(row, t.Evaluated, t.SatisfiedRate().String(), t.Implemented, t.ImplementedRate().String(), t.Rehandled)
	}
	var bodies [][]any
	for _, t := range f.Bodies {
		bodies = append(bodies, line(t))
	}
	bodies = append(bodies, line(f.Total))
	var deputies [][]any
	for _, d := range f.Deputies {
		deputies = append(deputies, []any{d.Deputy, d.Raised, d.Led, d.Cosigned, d.Satisfied, d.Basic, d.Dissatisfied, d.Implemented})
	}
	con.sendBook(c, "suggestion_stats", scope.Label()+"建议办理情况统计表", fmt.Sprintf("%d件", len(facts)), []sheetRows{
		{"按承办单位", headers, bodies},
		{"按代表", []any{"代表", "提出件数", "领衔", "联名", "满意", "基本满意", "不满意", "已落实"}, deputies},
		{"统计口径", []any{"指标", "口径"}, suggestionHow()},
	})
}

// suggestionHow says how each figure is counted, on the page, in the file
// and on the public page alike.
func suggestionHow() [][]any {
	return [][]any{
		{"统计范围", "所选会议期间提出的建议，或所选期间收到的建议，经审核立案的（退回、不予立案、归并、撤回的不计）"},
		{"交办件数", "交给该单位办理的件数，主办、协办各计；合计行每件只计一次"},
		{"按时签收率", "在签收期限（交办后一个工作日）内签收的件数 ÷（已签收 + 逾期仍未签收）"},
		{"按期答复率", "主办单位在答复期限内首次书面答复的件数 ÷（已答复 + 已过期限未答复），期限按工作日日历顺延"},
		{"已联系代表", "该单位记录了与代表联系沟通（电话、走访、座谈）的件数"},
		{"答复类别", "主办单位最后一次答复的类别：A 已解决或基本解决，B 列入计划逐步解决，C 因条件限制暂时难以解决"},
		{"满意率", "代表最后一次对答复的评价为“满意”或“基本满意”的件数 ÷ 作出评价的件数（背靠背评价，未评价的不计入）"},
		{"落实率", "答复为 A 类，或答复为 B 类且在承诺日期当天结束前改答 A 类的件数 ÷ 已答复件数；承诺日期过后才解决的不计为落实"},
		{"二次交办", "代表不满意、交回原单位重新办理的件数"},
		{"代表提出件数", "领衔和联名（含归并署名）各计一次"},
	}
}

// sheetRows is one sheet of a workbook: its name, headers and rows.
type sheetRows struct {
	name    string
	headers []any
	rows    [][]any
}

// sendBook writes the sheets as an Excel file named name, audited as
// action with detail.
func (con *console) sendBook(c *gin.Context, action, name, detail string, sheets []sheetRows) {
	book := excelize.NewFile()
	defer book.Close()
	for i, s := range sheets {
		if i == 0 {
			_ = book.SetSheetName("Sheet1", s.name)
		} else if _, err := book.NewSheet(s.name); err != nil {
			con.fail(c, fmt.Errorf("%s: %w", action, err))
			return
		}
		for r, row := range append([][]any{s.headers}, s.rows...) {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := book.SetSheetRow(s.name, cell, &row); err != nil {
				con.fail(c, fmt.Errorf("%s: %w", action, err))
				return
			}
		}
		_ = book.SetColWidth(s.name, "A", "A", 24)
	}
	if err := con.audited(c, "export_"+action, name, detail, wroteNothing); err != nil {
		con.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(action, "_", "-")+`.xlsx"; filename*=UTF-8''`+url.PathEscape(name+".xlsx"))
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Status(http.StatusOK)
	if err := book.Write(c.Writer); err != nil {
		con.deps.Log.Error(action, "err", err)
	}
}

// publicSuggestion is one handled suggestion as the public page shows it.
type publicSuggestion struct {
	Number, Title, Deputy, Lead, Co, Category, Summary, Closed string
}

// summary is the answer's first lines, as the press reads them.
func summary(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	return string([]rune(text)[:n]) + "…"
}

// suggestions answers GET /suggestions: the suggestions handled this year
// (closed by the office) with their bodies, category and the answer's
// summary, the deputies named only where the congress publishes them; and
// the year's figures, each saying how it is counted, a rate shown only
// when it measures the minimum count.
func (p *public) suggestions(c *gin.Context) {
	ctx, reach := c.Request.Context(), mashang.Reach{All: true}
	from, to := thisYear(time.Now())
	handled, err := p.deps.Suggestions.HandledSuggestions(ctx, reach, from, 100)
	if err != nil {
		p.fail(c, err)
		return
	}
	list := make([]publicSuggestion, 0, len(handled))
	for _, f := range handled {
		s := publicSuggestion{Number: f.Number, Title: f.Title, Closed: day(f.ClosedAt)}
		if p.deps.SuggestionNames {
			s.Deputy = f.DeputyName + "代表"
			if n := len(f.Signers); n > 0 {
				s.Deputy += fmt.Sprintf("等%d位代表", n+1)
			}
		}
		var co []string
		for _, b := range f.Bodies {
			if b.Lead {
				s.Lead = b.Name
			} else {
				co = append(co, b.Name)
			}
		}
		s.Co = strings.Join(co, "、")
		if a, ok := f.Final(); ok {
			s.Category, s.Summary = a.Category, summary(a.Text, 120)
		}
		list = append(list, s)
	}
	scope := mashang.SuggestionScope{From: from, To: to}
	facts, err := p.deps.Suggestions.SuggestionFacts(ctx, reach, &scope)
	if err != nil {
		p.fail(c, err)
		return
	}
	t, least := mashang.CountSuggestions(facts, to).Total, p.minCount()
	figures := []publicFigure{
		{strconv.Itoa(len(facts)), "立案建议", fmt.Sprintf("%d年1月1日以来收到并经审核立案的代表建议件数", from.Year())},
		{strconv.Itoa(t.Answered), "已答复", "其中承办单位已书面答复的件数"},
		{t.OnTimeRate().Public(least), "按期答复率", "在答复期限内首次答复的件数 ÷（已答复 + 已过期限未答复）"},
		{t.SatisfiedRate().Public(least), "代表满意率", "代表评价“满意”或“基本满意”的件数 ÷ 作出评价的件数"},
		{t.ImplementedRate().Public(least), "落实率", "答复为A类（已解决或基本解决），或B类在承诺日期前解决的件数 ÷ 已答复件数"},
	}
	p.page(c, http.StatusOK, "public_suggestions.html", gin.H{"Title": "代表建议办理情况", "Suggestions": list, "Figures": figures,
		"MinCount": least, "Year": from.Year(), "Names": p.deps.SuggestionNames})
}
