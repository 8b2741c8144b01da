package handlers

import (
	"context"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
	"mashang/qrcode"
)

// ActivityService dispatches activities and takes answers (*mashang.Activities).
type ActivityService interface {
	Dispatch(ctx context.Context, a mashang.Activity, names []string, allowed func(stationCode string) bool) (mashang.Activity, error)
	Respond(ctx context.Context, activityID int64, d mashang.Deputy, accept bool) error
	CheckInCode(ctx context.Context, a mashang.Activity) (mashang.BindCode, error)
}

// ActivityReader lists activities and invitations (*store.DB): a deputy's
// own, or those within a staff account's reach (an activity whose invitees
// are all within it; any other is not found).
type ActivityReader interface {
	Activities(ctx context.Context, deputyID int64, limit int) ([]mashang.Activity, error)
	ActivitiesWithin(ctx context.Context, r mashang.Reach, limit int) ([]mashang.Activity, error)
	ActivityWithin(ctx context.Context, r mashang.Reach, id int64) (mashang.Activity, error)
	Invitations(ctx context.Context, activityID, deputyID int64) ([]mashang.Invitation, error)
}

// nameSeparators split the invitation list as people type it.
var nameSeparators = regexp.MustCompile(`[\s,，、;；]+`)

func (con *console) activitiesPage(c *gin.Context) {
	list, err := con.deps.ActivityReader.ActivitiesWithin(c.Request.Context(), c.MustGet(reachKey).(mashang.Reach), 100)
	if err != nil {
		con.fail(c, err)
		return
	}
	con.page(c, http.StatusOK, "console_activities.html", gin.H{"Title": "代表活动", "Activities": list})
}

// dispatchActivity answers the dispatch form (发单): times in China time,
// invitees by deputy code or 站点编码/小组名称, each within the account's reach.
func (con *console) dispatchActivity(c *gin.Context) {
	s := c.MustGet(staffKey).(mashang.StaffSession)
	within, err := con.stationsWithin(c)
	if err != nil {
		con.fail(c, err)
		return
	}
	a := mashang.Activity{Title: c.PostForm("title"), Place: c.PostForm("place"), CreatedBy: s.User.Username}
	a.Start, a.End = formWindow(c)
	// The activity's number is known only once it is saved: the audit
	// line names it by its title.
	detail := fmt.Sprintf("%s %s %s", a.Title, c.PostForm("start"), c.PostForm("invitees"))
	err = con.audited(c, "dispatch_activity", a.Title, detail, func(ctx context.Context) error {
		var err error
		a, err = con.deps.Activities.Dispatch(ctx, a, nameSeparators.Split(strings.TrimSpace(c.PostForm("invitees")), -1), within)
		return err
	})
	target := "/console/activities"
	if err == nil {
		target = "/console/activities/" + strconv.FormatInt(a.ID, 10)
	}
	con.said(c, target, outcome(c, con.deps.Log, fmt.Sprintf("已发出活动「%s」，邀请%d位代表", a.Title, a.Invited), err))
}

// activityPage shows an activity: who was invited, who answered, who is
// checked in, and the code to show at the venue.
func (con *console) activityPage(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		con.fail(c, mashang.NotFound("活动"))
		return
	}
	a, err := con.deps.ActivityReader.ActivityWithin(c.Request.Context(), c.MustGet(reachKey).(mashang.Reach), id)
	if err != nil {
		con.fail(c, err)
		return
	}
	invitations, err := con.deps.ActivityReader.Invitations(c.Request.Context(), id, 0)
	if err != nil {
		con.fail(c, err)
		return
	}
	data := gin.H{"Title": a.Title, "Activity": a, "Invitations": invitations}
	if time.Now().Before(a.End) {
		code, err := con.deps.Activities.CheckInCode(c.Request.Context(), a)
		if err != nil {
			con.deps.Log.Warn("check-in code", "err", err)
			data["Error"] = "暂时无法向微信申请签到二维码，请稍后刷新。"
		}
		data["Scene"] = code.Scene.String()
		data["QR"] = codeDataURL(code.URL, 320)
	}
	con.page(c, http.StatusOK, "console_activity.html", data)
}

// deputyActivities answers GET /d/activities: a deputy's invitations.
func (d *deputyDesk) activities(c *gin.Context) {
	dep := c.MustGet(deputyKey).(mashang.Deputy)
	invitations, err := d.deps.ActivityReader.Invitations(c.Request.Context(), 0, dep.ID)
	if err != nil {
		d.fail(c, err)
		return
	}
	list, err := d.deps.ActivityReader.Activities(c.Request.Context(), dep.ID, 100)
	if err != nil {
		d.fail(c, err)
		return
	}
	byID := map[int64]mashang.Invitation{}
	for _, inv := range invitations {
		byID[inv.ActivityID] = inv
	}
	rows := make([]gin.H, len(list))
	now := time.Now()
	for i, a := range list {
		rows[i] = gin.H{"Activity": a, "Invitation": byID[a.ID], "Open": now.Before(a.End)}
	}
	d.page(c, http.StatusOK, "deputy_activities.html", gin.H{"Title": "我的活动", "Rows": rows})
}

// respond answers an invitation: 接单 or 不参加.
func (d *deputyDesk) respond(c *gin.Context) {
	dep := c.MustGet(deputyKey).(mashang.Deputy)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		d.fail(c, mashang.NotFound("活动"))
		return
	}
	accept := c.PostForm("answer") == "accept"
	err = d.audited(c, dep, "deputy_respond", c.Param("id"), c.PostForm("answer"), func(ctx context.Context) error {
		return d.deps.Activities.Respond(ctx, id, dep, accept)
	})
	if mashang.ErrorCode(err) == mashang.ENOTFOUND {
		d.fail(c, mashang.Errorf(mashang.EFORBIDDEN, "您不在这项活动的邀请名单中"))
		return
	}
	d.said(c, "/d/activities", outcome(c, d.deps.Log, map[bool]string{true: "已接单，请按时参加", false: "已告知工作人员您不参加"}[accept], err))
}

// codeDataURL draws what a code encodes as a PNG inline in a page, size
// pixels wide ("" when there is nothing to draw).
func codeDataURL(content string, size int) template.URL {
	if content == "" {
		return ""
	}
	png, err := qrcode.PNG(content, size)
	if err != nil {
		return ""
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
}
