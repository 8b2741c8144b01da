package handlers

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"mashang"
)

// ReplyService answers citizens (implemented by *mashang.Replies).
type ReplyService interface {
	Reply(ctx context.Context, number, staff, text string) error
}

// staffOnly admits requests that carry the staff API token. It stands in
// for the console's accounts (issue 6), compared in constant time.
func staffOnly(token string, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		if token == "" { // the setting is for the log: the caller is not known
			failJSON(c, log, fmt.Errorf("MASHANG_STAFF_API_TOKEN is not set: %w", mashang.Errorf(eDisabled, "员工接口未启用")))
			return
		}
		got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			failJSON(c, log, mashang.Errorf(mashang.EUNAUTHORIZED, "缺少或错误的员工接口令牌（Authorization: Bearer …）"))
			return
		}
		c.Next()
	}
}

type staffAPI struct{ deps StaffAPIDeps }

// fail is how the staff API answers an error; the log names what failed.
func (s *staffAPI) fail(c *gin.Context, what string, err error) {
	failJSON(c, s.deps.Log.With("action", what), err)
}

type replyRequest struct {
	Text  string `json:"text"`
	Staff string `json:"staff"`
}

// reply answers POST /api/cases/:number/replies {"text": "…", "staff": "…"}:
// the answer goes on the timeline and to the citizen through the outbox.
func (s *staffAPI) reply(c *gin.Context) {
	var req replyRequest
	if err := decodeJSON(c, &req, 16<<10); err != nil {
		s.fail(c, "reply", err)
		return
	}
	if err := s.deps.Replies.Reply(c.Request.Context(), c.Param("number"), req.Staff, req.Text); err != nil {
		s.fail(c, "reply", err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"status": "queued", "message": "答复已记录，正在通过公众号发送"})
}

// RerouteService hands cases to another group (*mashang.Rerouting).
type RerouteService interface {
	Reroute(ctx context.Context, number, group, category, staff, reason string) (mashang.Case, error)
}

// reroute answers POST /api/cases/:number/route {"group": "生活保障组",
// "category": "道路照明" (optional), "staff": "…", "reason": "…"}: the case
// goes to that group of its station, whose deputies are told; a case held
// by the content check is released this way.
func (s *staffAPI) reroute(c *gin.Context) {
	var req struct {
		Group    string `json:"group"`
		Category string `json:"category"`
		Staff    string `json:"staff"`
		Reason   string `json:"reason"`
	}
	if err := decodeJSON(c, &req, 8<<10); err != nil {
		s.fail(c, "reroute", err)
		return
	}
	k, err := s.deps.Rerouting.Reroute(c.Request.Context(), c.Param("number"), req.Group, req.Category, req.Staff, req.Reason)
	if err != nil {
		s.fail(c, "reroute", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"number": k.Number, "group": k.GroupName, "category": k.Category, "status": k.Status})
}

// SupervisionService hands cases to departments and closes them
// (*mashang.Supervision).
type SupervisionService interface {
	HandOver(ctx context.Context, number, department string, days int, staff, note string) (time.Time, error)
	Close(ctx context.Context, number, staff, result string) error
	Accept(ctx context.Context, number, staff string) error
	SetCategory(ctx context.Context, number, category, staff string) error
	Reopen(ctx context.Context, number, staff, reason string) error
	Merge(ctx context.Context, duplicate, main, staff string) error
	Draft(ctx context.Context, number string, d mashang.Deputy, text string) error
	AcceptAsDeputy(ctx context.Context, number string, d mashang.Deputy) error
}

// handOver answers POST /api/cases/:number/handover {"department":
// "市南区城市管理局" (or its path), "days": 10, "staff": "…", "note": "…"}:
// the deadline is that many working days on, holidays and make-up days counted.
func (s *staffAPI) handOver(c *gin.Context) {
	var req struct {
		Department string `json:"department"`
		Days       int    `json:"days"`
		Staff      string `json:"staff"`
		Note       string `json:"note"`
	}
	if err := decodeJSON(c, &req, 8<<10); err != nil {
		s.fail(c, "hand over", err)
		return
	}
	due, err := s.deps.Supervision.HandOver(c.Request.Context(), c.Param("number"), req.Department, req.Days, req.Staff, req.Note)
	if err != nil {
		s.fail(c, "hand over", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"number": c.Param("number"), "status": mashang.CaseHanded, "deadline": due.UTC().Format(time.RFC3339)})
}

// closeCase answers POST /api/cases/:number/close {"staff": "…", "result": "…"}.
func (s *staffAPI) closeCase(c *gin.Context) {
	var req struct {
		Staff  string `json:"staff"`
		Result string `json:"result"`
	}
	if err := decodeJSON(c, &req, 8<<10); err != nil {
		s.fail(c, "close", err)
		return
	}
	if err := s.deps.Supervision.Close(c.Request.Context(), c.Param("number"), req.Staff, req.Result); err != nil {
		s.fail(c, "close", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"number": c.Param("number"), "status": mashang.CaseClosed})
}
