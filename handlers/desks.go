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

// DeskService sets up pop-up desks and makes their codes (*mashang.Desks).
type DeskService interface {
	Create(ctx context.Context, d mashang.Desk, stationCode string, names []string, allowed func(stationCode string) bool) (mashang.Desk, error)
	Code(ctx context.Context, d mashang.Desk) (mashang.BindCode, error)
}

// DeskReader lists the pop-up desks within a staff account's reach
// (*store.DB): a desk is its station's; one beyond reach is not found.
type DeskReader interface {
	DesksWithin(ctx context.Context, r mashang.Reach, limit int) ([]mashang.Desk, error)
	DeskWithin(ctx context.Context, r mashang.Reach, id int64) (mashang.Desk, error)
}

// desksPage lists the desks within reach, with their windows and how many
// matters each collected, and the form to set one up.
func (con *console) desksPage(c *gin.Context) {
	reach := c.MustGet(reachKey).(mashang.Reach)
	list, err := con.deps.DeskReader.DesksWithin(c.Request.Context(), reach, 100)
	if err != nil {
		con.fail(c, err)
		return
	}
	stations, err := con.deps.Console.StationsWithin(c.Request.Context(), reach)
	if err != nil {
		con.fail(c, err)
		return
	}
	con.page(c, http.StatusOK, "console_desks.html", gin.H{"Title": "流动办公桌", "Desks": list, "Stations": stations, "Now": time.Now()})
}

// createDesk answers the form that sets up a desk: its station and every
// deputy within the account's reach (a deputy of the desk's own station
// always is), times in China time.
func (con *console) createDesk(c *gin.Context) {
	s := c.MustGet(staffKey).(mashang.StaffSession)
	within, err := con.stationsWithin(c)
	if err != nil {
		con.fail(c, err)
		return
	}
	d := mashang.Desk{Place: c.PostForm("place"), CreatedBy: s.User.Username}
	d.Start, d.End = formWindow(c)
	station := strings.TrimSpace(c.PostForm("station"))
	// The desk's number is known only once it is saved: the audit line
	// names it by its station and place.
	detail := fmt.Sprintf("%s %s 至 %s 在场代表：%s", d.Place, c.PostForm("start"), c.PostForm("end"), c.PostForm("deputies"))
	err = con.audited(c, "create_desk", station, detail, func(ctx context.Context) error {
		var err error
		d, err = con.deps.Desks.Create(ctx, d, station, nameSeparators.Split(strings.TrimSpace(c.PostForm("deputies")), -1), within)
		return err
	})
	target := "/console/desks"
	if err == nil {
		target = "/console/desks/" + strconv.FormatInt(d.ID, 10)
	}
	con.said(c, target, outcome(c, con.deps.Log, fmt.Sprintf("已设立「%s」流动办公桌，在场代表%d位；请打印本页二维码带到现场", d.Place, len(d.Deputies)), err))
}

// deskPage shows a desk and its code, large, for printing.
func (con *console) deskPage(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		con.fail(c, mashang.NotFound("流动办公桌"))
		return
	}
	d, err := con.deps.DeskReader.DeskWithin(c.Request.Context(), c.MustGet(reachKey).(mashang.Reach), id)
	if err != nil {
		con.fail(c, err)
		return
	}
	data := gin.H{"Title": "流动办公桌：" + d.Place, "Desk": d, "Open": d.OpenAt(time.Now()), "Ended": !time.Now().Before(d.End)}
	code, err := con.deps.Desks.Code(c.Request.Context(), d)
	if err != nil {
		con.deps.Log.Warn("desk code", "err", err)
		data["Error"] = "暂时无法向微信申请流动办公桌的二维码，请稍后刷新。"
	}
	data["Scene"], data["CodeExpires"] = code.Scene.String(), code.ExpiresAt
	data["QR"] = codeDataURL(code.URL, 480)
	con.page(c, http.StatusOK, "console_desk.html", data)
}

// formWindow reads a form's start and end (datetime-local, China time);
// either unreadable leaves both zero, which the domain refuses by name.
func formWindow(c *gin.Context) (start, end time.Time) {
	start, errStart := time.ParseInLocation("2006-01-02T15:04", c.PostForm("start"), mashang.China)
	end, errEnd := time.ParseInLocation("2006-01-02T15:04", c.PostForm("end"), mashang.China)
	if errStart != nil || errEnd != nil {
		return time.Time{}, time.Time{}
	}
	return start, end
}
