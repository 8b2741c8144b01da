package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
)

// ReplyService answers citizens (implemented by *mashang.Replies).
type ReplyService interface {
	Reply(ctx context.Context, number, staff, text string) error
}

// signedIn admits requests whose bearer token is a staff member's API
// token (made by `mashang staff token`): the API acts as that person,
// within their reach, as the console does.
func (s *staffAPI) signedIn(c *gin.Context) {
	token, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	session, err := s.deps.Accounts.APISession(c.Request.Context(), token)
	if err != nil {
		s.fail(c, "staff API token", err)
		c.Abort()
		return
	}
	reach, err := s.deps.Console.ReachOf(c.Request.Context(), session.User)
	if err != nil {
		s.fail(c, "staff API reach", err)
		c.Abort()
		return
	}
	c.Set(staffKey, session)
	c.Set(reachKey, reach)
	c.Next()
}

type staffAPI struct{ deps StaffAPIDeps }

// fail is how the staff API answers an error; the log names what failed.
func (s *staffAPI) fail(c *gin.Context, what string, err error) {
	failJSON(c, s.deps.Log.With("action", what), err)
}

// act runs an API action on a case within the caller's reach (else 404),
// as the caller, with its audit line in the action's transaction.
func (s *staffAPI) act(c *gin.Context, action, detail string, run func(ctx context.Context, number, staff string) error) bool {
	reach := c.MustGet(reachKey).(mashang.Reach)
	session := c.MustGet(staffKey).(mashang.StaffSession)
	k, _, _, err := s.deps.Console.ConsoleCase(c.Request.Context(), reach, c.Param("number"))
	if err == nil {
		e := mashang.StaffAudit(session.User, action, k.Number, detail, c.ClientIP())
		err = audited(c.Request.Context(), s.deps.Audit, s.deps.Log, e, func(ctx context.Context) error {
			return run(ctx, k.Number, session.User.Name)
		})
	}
	if err != nil {
		s.fail(c, action, err)
		return false
	}
	return true
}

// reply answers POST /api/cases/:number/replies {"text": "…"}: the answer
// goes on the timeline and to the citizen through the outbox.
func (s *staffAPI) reply(c *gin.Context) {
	var req struct {
		Text string `json:"text"`
	}
	if err := decodeJSON(c, &req, 16<<10); err != nil {
		s.fail(c, "reply", err)
		return
	}
	if s.act(c, "reply", req.Text, func(ctx context.Context, number, staff string) error {
		return s.deps.Replies.Reply(ctx, number, staff, req.Text)
	}) {
		c.JSON(http.StatusAccepted, gin.H{"status": "queued", "message": "答复已记录，正在通过公众号发送"})
	}
}

// RerouteService hands cases to another group, or moves them to another
// station or up a level (*mashang.Rerouting).
type RerouteService interface {
	Reroute(ctx context.Context, number, group, category, staff, reason string) (mashang.Case, error)
	Move(ctx context.Context, number string, to mashang.MoveTarget, staff, reason string) (mashang.Case, error)
	// MoveChoices are where a case at the station may be moved.
	MoveChoices(ctx context.Context, stationID int64) (mashang.MoveChoices, error)
	// RequestMove is a deputy asking staff to move a case.
	RequestMove(ctx context.Context, number string, d mashang.Deputy, up bool, reason string) error
}

// reroute answers POST /api/cases/:number/route {"group": "生活保障组",
// "category": "道路照明" (optional), "reason": "…"}: the case goes to that
// group of its station, whose deputies are told; a case held by the
// content check is released this way.
func (s *staffAPI) reroute(c *gin.Context) {
	var req struct {
		Group    string `json:"group"`
		Category string `json:"category"`
		Reason   string `json:"reason"`
	}
	if err := decodeJSON(c, &req, 8<<10); err != nil {
		s.fail(c, "reroute", err)
		return
	}
	var k mashang.Case
	if s.act(c, "reroute", req.Group+"："+req.Reason, func(ctx context.Context, number, staff string) error {
		var err error
		k, err = s.deps.Rerouting.Reroute(ctx, number, req.Group, req.Category, staff, req.Reason)
		return err
	}) {
		c.JSON(http.StatusOK, gin.H{"number": k.Number, "group": k.GroupName, "category": k.Category, "status": k.Status})
	}
}

// move answers POST /api/cases/:number/move {"station": "demo-xhw"} or
// {"up": true}, with "reason": the case goes to that station of the same
// city, or to the congress one level up, where routing runs again. The
// response names where it went.
func (s *staffAPI) move(c *gin.Context) {
	var req struct {
		Station string `json:"station"`
		Up      bool   `json:"up"`
		Reason  string `json:"reason"`
	}
	if err := decodeJSON(c, &req, 8<<10); err != nil {
		s.fail(c, mashang.ActMove, err)
		return
	}
	var k mashang.Case
	if s.act(c, mashang.ActMove, moveDetail(req.Station, req.Up, req.Reason), func(ctx context.Context, number, staff string) error {
		var err error
		k, err = s.deps.Rerouting.Move(ctx, number, mashang.MoveTarget{StationCode: req.Station, Up: req.Up}, staff, req.Reason)
		return err
	}) {
		c.JSON(http.StatusOK, gin.H{"number": k.Number, "station": k.StationName, "group": k.GroupName, "category": k.Category, "status": k.Status})
	}
}

// moveDetail is what the audit log says of a move.
func moveDetail(station string, up bool, reason string) string {
	if up {
		station = "上级人大"
	}
	return "转至" + station + "：" + reason
}

// SupervisionService hands cases to departments and closes them
// (*mashang.Supervision).
type SupervisionService interface {
	HandOver(ctx context.Context, number, department string, co []string, days int, staff, note string) (time.Time, error)
	// Acknowledge is a department's handler acknowledging a case handed
	// to their department (签收).
	Acknowledge(ctx context.Context, number string, u mashang.StaffUser) error
	// RecordResult is a department's handler recording its result.
	RecordResult(ctx context.Context, number string, u mashang.StaffUser, text string, files []mashang.ResultFile) error
	Close(ctx context.Context, number, staff, result string) error
	Accept(ctx context.Context, number, staff string) error
	SetCategory(ctx context.Context, number, category, staff string) error
	Reopen(ctx context.Context, number, staff, reason string) error
	Merge(ctx context.Context, duplicate, main, staff string) error
	Draft(ctx context.Context, number string, d mashang.Deputy, text string) error
	AcceptAsDeputy(ctx context.Context, number string, d mashang.Deputy) error
	ReportSolved(ctx context.Context, number string, d mashang.Deputy, result string) error
}

// handOver answers POST /api/cases/:number/handover {"department":
// "市南区城市管理局" (or its path; the lead, 主办), "co_departments":
// ["…"] (optional, 协办), "days": 10, "note": "…"}: the deadline is that
// many working days on, holidays and make-up days counted.
func (s *staffAPI) handOver(c *gin.Context) {
	var req struct {
		Department    string   `json:"department"`
		CoDepartments []string `json:"co_departments"`
		Days          int      `json:"days"`
		Note          string   `json:"note"`
	}
	if err := decodeJSON(c, &req, 8<<10); err != nil {
		s.fail(c, "hand over", err)
		return
	}
	var due time.Time
	if s.act(c, "handover", handOverDetail(req.Department, req.CoDepartments, strconv.Itoa(req.Days)), func(ctx context.Context, number, staff string) error {
		var err error
		due, err = s.deps.Supervision.HandOver(ctx, number, req.Department, req.CoDepartments, req.Days, staff, req.Note)
		return err
	}) {
		c.JSON(http.StatusOK, gin.H{"number": c.Param("number"), "status": mashang.CaseHanded, "deadline": due.UTC().Format(time.RFC3339)})
	}
}

// closeCase answers POST /api/cases/:number/close {"result": "…"}.
func (s *staffAPI) closeCase(c *gin.Context) {
	var req struct {
		Result string `json:"result"`
	}
	if err := decodeJSON(c, &req, 8<<10); err != nil {
		s.fail(c, "close", err)
		return
	}
	if s.act(c, "close", req.Result, func(ctx context.Context, number, staff string) error {
		return s.deps.Supervision.Close(ctx, number, staff, req.Result)
	}) {
		c.JSON(http.StatusOK, gin.H{"number": c.Param("number"), "status": mashang.CaseClosed})
	}
}

// handOverDetail is a hand-over as the audit log reads it.
func handOverDetail(lead string, co []string, days string) string {
	detail := lead
	if len(co) > 0 {
		detail += "（主办），" + strings.Join(co, "、") + "（协办）"
	}
	return detail + " " + days + "个工作日"
}
