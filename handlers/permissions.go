package handlers

import (
	"context"
	"log/slog"

	"github.com/gin-gonic/gin"

	"mashang"
)

// refused says why the signed-in account's role may not do action
// (mashang.Allowed), having written the refusal to the audit log; nil when
// it may. The answer depends on the role alone, before any case is looked
// up: a 403 tells nothing about what exists. A role that may act, asking
// about a case beyond its reach, is answered 404, as if it did not exist.
func refused(c *gin.Context, audit Auditor, log *slog.Logger, action string) error {
	s := c.MustGet(staffKey).(mashang.StaffSession)
	if mashang.Allowed(s.User.Role, action) {
		return nil
	}
	err := mashang.Refusal(s.User.Role, action)
	target := c.Param("number")
	if target == "" {
		target = c.Param("code")
	}
	e := mashang.StaffAudit(s.User, action, target, "", c.ClientIP())
	return audited(c.Request.Context(), audit, log, e, func(context.Context) error { return err })
}

// may admits to a console page or form only the roles that may do action;
// the others get a page saying why (403).
func (con *console) may(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := refused(c, con.deps.Audit, con.deps.Log, action); err != nil {
			con.fail(c, err)
			c.Abort()
			return
		}
		c.Next()
	}
}

// may admits to a staff API call only the roles that may do action; the
// others get a JSON 403.
func (s *staffAPI) may(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := refused(c, s.deps.Audit, s.deps.Log, action); err != nil {
			s.fail(c, action, err)
			c.Abort()
			return
		}
		c.Next()
	}
}
