package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
)

// WallReader reads the handled cases citizens agreed to show (*store.DB).
type WallReader interface {
	WallCases(ctx context.Context, r mashang.Reach, limit int) ([]mashang.WallCase, error)
}

// public serves the pages anyone may open, with no sign-in: the results
// wall (代表回音壁) and each station's public page (四公开).
type public struct{ deps PublicDeps }

func (p *public) page(c *gin.Context, status int, name string, data gin.H) {
	publicPage(c, p.deps.Log, status, name, data)
}

// fail is how the public pages answer an error.
func (p *public) fail(c *gin.Context, err error) { failPublic(c, p.deps.Log, err) }

// thisYear is the period the public figures cover: this year to now.
func thisYear(now time.Time) (time.Time, time.Time) {
	n := now.In(mashang.China)
	return time.Date(n.Year(), 1, 1, 0, 0, 0, 0, mashang.China), now
}

// publicFigure is one figure as a public page shows it, with the one line
// that says how it is counted.
type publicFigure struct{ Value, Label, How string }

// figures are a year's figures for a public page: a rate only when it
// measures at least the minimum count, "—" when it measures nothing.
func (p *public) figures(t mashang.Tally, year int, collected string) []publicFigure {
	least := p.minCount()
	return []publicFigure{
		{strconv.Itoa(t.Collected), collected, fmt.Sprintf("%d年1月1日以来群众反映、已登记的问题件数", year)},
		{strconv.Itoa(t.Closed), "已办结", "其中已办结的件数"},
		{t.ReplyRate().Public(least), "答复率", "已向群众发出答复的件数 ÷ 收集件数"},
		{t.OnTimeRate().Public(least), "按期办结率", "按期办结件数 ÷（已办结件数 + 在办已超期件数）"},
		{t.SatisfiedRate().Public(least), "群众满意率", "评价“满意”或“基本满意”的件数 ÷ 作出评价的件数（未评价的不计入）"},
	}
}

// minCount is MASHANG_PUBLIC_MIN_COUNT.
func (p *public) minCount() int { return p.deps.MinCount }

// wall answers GET /wall[?area=青岛市/市南区]: the jurisdiction's handled
// cases its citizens agreed to show and staff published, and its figures.
func (p *public) wall(c *gin.Context) {
	ctx := c.Request.Context()
	reach, area := mashang.Reach{All: true}, strings.TrimSpace(c.Query("area"))
	if area != "" {
		id, err := p.deps.Staff.JurisdictionByPath(ctx, area)
		if err != nil {
			p.fail(c, mashang.NotFound("地区 "+area))
			return
		}
		if reach, err = p.deps.Console.ReachOf(ctx, mashang.StaffUser{Role: mashang.RoleStaff, JurisdictionID: id}); err != nil {
			p.fail(c, err)
			return
		}
	}
	cases, err := p.deps.Wall.WallCases(ctx, reach, 50)
	if err != nil {
		p.fail(c, err)
		return
	}
	// Staff published each text; it is anonymised once more as shown, and
	// one that still looks personal is left off (publishing refuses it).
	entries := make([]mashang.WallEntry, 0, len(cases))
	for _, w := range cases {
		if e, ok := w.Entry(); ok {
			entries = append(entries, e)
		}
	}
	from, to := thisYear(time.Now())
	groups, err := p.deps.Console.FigureGroups(ctx, reach, from, to, to)
	if err != nil {
		p.fail(c, err)
		return
	}
	p.page(c, http.StatusOK, "public_wall.html", gin.H{"Title": "代表回音壁", "Area": area, "Entries": entries,
		"Figures": p.figures(mashang.RollUp(groups).Total, from.Year(), fmt.Sprintf("%d年收集", from.Year())), "MinCount": p.minCount(), "Year": from.Year()})
}

// station answers GET /stations/:code: the station's public page (四公开) —
// its deputies, reception plan, deputies on duty, and how its work goes.
func (p *public) station(c *gin.Context) {
	ctx := c.Request.Context()
	page, err := p.deps.Public.StationPage(ctx, c.Param("code"))
	if err != nil {
		p.fail(c, err)
		return
	}
	slots, err := p.deps.Receptions.Slots(ctx, page.Station.Code)
	if err != nil {
		p.fail(c, err)
		return
	}
	from, to := thisYear(time.Now())
	groups, err := p.deps.Console.FigureGroups(ctx, mashang.Reach{StationID: page.Station.ID}, from, to, to)
	if err != nil {
		p.fail(c, err)
		return
	}
	p.page(c, http.StatusOK, "public_station.html", gin.H{"Title": page.Station.Name, "Page": page, "Slots": slots,
		"Figures": p.figures(mashang.RollUp(groups).Total, from.Year(), "收集问题"), "MinCount": p.minCount(), "Year": from.Year()})
}
