package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
	"mashang/qrcode"
	"mashang/web"
)

// Exports (the codes' ZIP and print sheet, the problem list, the points
// report) are for signed-in staff, of what is within their reach. Each
// takes a good share of the machine, so each account runs one at a time
// and a few a minute, and the code ZIP, which draws every code on every
// core, is drawn for one account at a time. A ZIP is drawn into a
// temporary file and the drawing slot freed before it is sent: a slow or
// stalled reader holds nothing anyone else waits for.
const (
	exportsPerMinute = 6
	exportWindow     = time.Minute
	// exportHold bounds how long a running export holds its account's
	// slot should its instance die mid-way: longer than any export runs
	// (the query timeout, the drawing).
	exportHold = 5 * time.Minute
)

// exportLimiter counts each account's exports across every instance
// (SharedLimits). The code ZIP's drawing slot is this instance's: it
// guards this machine's cores, which another instance does not share.
type exportLimiter struct {
	limits  SharedLimits
	drawing chan struct{} // one code ZIP drawn at a time
}

func newExportLimiter(limits SharedLimits) *exportLimiter {
	return &exportLimiter{limits: limits, drawing: make(chan struct{}, 1)}
}

func exportKey(user int64) string { return "export:" + strconv.FormatInt(user, 10) }

// start takes an export for the account, or says why not.
func (l *exportLimiter) start(ctx context.Context, user int64, now time.Time) error {
	held, err := l.limits.Hold(ctx, exportKey(user)+":running", exportHold, now)
	if err != nil {
		return err
	}
	if !held {
		return mashang.Errorf(eRateLimited, "您的上一个导出还没有完成，请等它下载完再导出。")
	}
	wait, err := l.limits.Count(ctx, exportKey(user), exportsPerMinute, exportWindow, now)
	if err == nil && wait > 0 {
		err = mashang.Errorf(eRateLimited, "每个账号每分钟最多导出%d次，请一分钟后再试。", exportsPerMinute)
	}
	if err != nil {
		l.done(ctx, user)
	}
	return err
}

// done frees the account's slot, even when the request's context is gone.
func (l *exportLimiter) done(ctx context.Context, user int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = l.limits.Release(ctx, exportKey(user)+":running") // else it ends with exportHold
}

// export admits an export within the account's limits (else 429).
func (con *console) export(c *gin.Context) {
	user := c.MustGet(staffKey).(mashang.StaffSession).User.ID
	if err := con.exports.start(c.Request.Context(), user, time.Now()); err != nil {
		c.Header("Retry-After", "60")
		con.fail(c, err)
		c.Abort()
		return
	}
	defer con.exports.done(c.Request.Context(), user)
	c.Next()
}

// stationsWithin is the filter of what the account reaches: a station's
// code, and through it the station's deputies.
func (con *console) stationsWithin(c *gin.Context) (func(stationCode string) bool, error) {
	reach := c.MustGet(reachKey).(mashang.Reach)
	if reach.All {
		return nil, nil
	}
	stations, err := con.deps.Console.StationsWithin(c.Request.Context(), reach)
	if err != nil {
		return nil, err
	}
	within := map[string]bool{}
	for _, st := range stations {
		within[st.Code] = true
	}
	return func(code string) bool { return within[code] }, nil
}

// stationFilter narrows what the account reaches to one station, when
// the query names one (?station=CODE): a station's codes, its own and
// its deputies'.
func stationFilter(c *gin.Context, allowed func(string) bool) func(string) bool {
	station := c.Query("station")
	if station == "" {
		return allowed
	}
	return func(code string) bool { return code == station && (allowed == nil || allowed(code)) }
}

// codeLinks are the print sheet and ZIP of one jurisdiction or station.
type codeLinks struct {
	Label, Sub  string
	Stations    int
	Sheet, ZIP  string
	StationCode string
}

// codesPage answers GET /console/codes: each jurisdiction and each station
// within reach, with its print sheet and ZIP of codes, so staff find them
// where they look rather than by typing a query.
func (con *console) codesPage(c *gin.Context) {
	allowed, err := con.stationsWithin(c)
	if err != nil {
		con.fail(c, err)
		return
	}
	owners, err := con.deps.Codes.Owners(c.Request.Context(), nil, allowed)
	if err != nil {
		con.fail(c, err)
		return
	}
	var jurisdictions, stations []codeLinks
	at := map[string]int{}
	for _, o := range owners {
		if o.Scene.Kind != mashang.SceneStation {
			continue
		}
		for i := range o.Jurisdiction {
			path := strings.Join(o.Jurisdiction[:i+1], "/")
			if n, ok := at[path]; ok {
				jurisdictions[n].Stations++
				continue
			}
			at[path] = len(jurisdictions)
			q := "?under=" + url.QueryEscape(path)
			jurisdictions = append(jurisdictions, codeLinks{Label: path, Stations: 1, Sheet: "/console/codes/sheet" + q, ZIP: "/console/codes/export.zip" + q})
		}
		q := "?station=" + url.QueryEscape(o.StationCode)
		stations = append(stations, codeLinks{Label: o.Name, Sub: strings.Join(o.Jurisdiction, "/"), StationCode: o.StationCode,
			Sheet: "/console/codes/sheet" + q, ZIP: "/console/codes/export.zip" + q})
	}
	slices.SortFunc(jurisdictions, func(a, b codeLinks) int { return strings.Compare(a.Label, b.Label) })
	con.page(c, http.StatusOK, "console_codes.html", gin.H{"Title": "二维码", "Jurisdictions": jurisdictions, "Stations": stations})
}

// codesZIP answers GET /console/codes/export.zip?under=青岛市/市南区: every
// code under the jurisdiction and within reach, named jurisdiction /
// station / name.
func (con *console) codesZIP(c *gin.Context) {
	size, err := sizeParam(c, 512)
	if err != nil {
		con.fail(c, err)
		return
	}
	allowed, err := con.stationsWithin(c)
	if err != nil {
		con.fail(c, err)
		return
	}
	under := mashang.JurisdictionPath(c.Query("under"))
	files, err := con.deps.Codes.ExportFiles(c.Request.Context(), under, mashang.CodeChannel(c.Query("channel")), stationFilter(c, allowed))
	if err != nil {
		con.fail(c, err)
		return
	}
	if err := con.audited(c, mashang.ActExportCodes, strings.Join(under, "/"), fmt.Sprintf("%d个二维码", len(files)), wroteNothing); err != nil {
		con.fail(c, err)
		return
	}
	zip, err := con.drawZIP(c.Request.Context(), files, size)
	if err != nil {
		con.fail(c, err)
		return
	}
	defer os.Remove(zip.Name())
	defer zip.Close()
	name := "二维码.zip"
	if len(under) > 0 {
		name = under[len(under)-1] + "二维码.zip"
	}
	c.Header("Content-Disposition", `attachment; filename="codes.zip"; filename*=UTF-8''`+url.PathEscape(name))
	c.Header("Content-Type", "application/zip")
	http.ServeContent(c.Writer, c.Request, "", time.Time{}, zip)
}

// drawZIP draws the codes into a temporary file, holding the drawing slot
// only while drawing; the file is the caller's to close and remove.
func (con *console) drawZIP(ctx context.Context, files []mashang.CodeFile, size int) (*os.File, error) {
	select {
	case con.exports.drawing <- struct{}{}:
		defer func() { <-con.exports.drawing }()
	default:
		return nil, mashang.Errorf(eRateLimited, "另一个二维码导出正在生成，请稍后再试。")
	}
	items := make([]qrcode.Item, len(files))
	for i, f := range files {
		items[i] = qrcode.Item{Path: f.Path, Content: f.Content, PNG: f.PNG}
	}
	tmp, err := os.CreateTemp("", "mashang-codes-*.zip")
	if err != nil {
		return nil, fmt.Errorf("code export: %w", err)
	}
	if _, err = qrcode.ExportZIP(ctx, tmp, items, size); err == nil {
		_, err = tmp.Seek(0, 0)
	}
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("code export: %w", err)
	}
	return tmp, nil
}

type sheetCard struct {
	Name, Station, Image string
}

// codesSheet answers GET /console/codes/sheet?under=…: an A4 page of cards,
// one code each with the name under it, for printing from a browser; the
// codes of what is within reach.
func (con *console) codesSheet(c *gin.Context) {
	allowed, err := con.stationsWithin(c)
	if err != nil {
		con.fail(c, err)
		return
	}
	under := mashang.JurisdictionPath(c.Query("under"))
	owners, err := con.deps.Codes.Owners(c.Request.Context(), under, stationFilter(c, allowed))
	if err != nil {
		con.fail(c, err)
		return
	}
	if err := con.audited(c, mashang.ActExportCodes, strings.Join(under, "/")+c.Query("station"), fmt.Sprintf("打印版 %d个二维码", len(owners)), wroteNothing); err != nil {
		con.fail(c, err)
		return
	}
	channel := c.Query("channel")
	cards := make([]sheetCard, len(owners))
	for i, o := range owners {
		img := "/codes/" + url.PathEscape(o.Scene.String()) + ".png?size=480"
		if channel != "" {
			img += "&channel=" + url.QueryEscape(channel)
		}
		station := o.StationName
		if o.Scene.Kind == mashang.SceneStation {
			station = "站点二维码"
		} else {
			station += " · 人大代表"
		}
		cards[i] = sheetCard{Name: o.Name, Station: station, Image: img}
	}
	title := "全部站点和代表"
	switch {
	case c.Query("station") != "" && len(owners) > 0:
		title = owners[0].StationName
	case len(under) > 0:
		title = strings.Join(under, " / ")
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := web.Templates.ExecuteTemplate(c.Writer, "sheet.html", map[string]any{"Title": title, "Cards": cards}); err != nil {
		con.deps.Log.Error("render print sheet", "err", err)
	}
}

// movedToConsole sends the old addresses of the bulk exports to the
// console's, where staff sign in.
func movedToConsole(c *gin.Context) {
	to := "/console" + c.Request.URL.Path
	if q := c.Request.URL.RawQuery; q != "" {
		to += "?" + q
	}
	c.Redirect(http.StatusMovedPermanently, to)
}
