package handlers

import (
	"context"
	"log/slog"

	"github.com/gin-gonic/gin"

	"mashang"
)

// Auditor writes a line of the audit log on its own (*store.DB).
type Auditor interface {
	Audit(ctx context.Context, e mashang.AuditEntry) error
}

// audited runs an action with its audit line attached to its context, so
// that the store writes the line in the action's own transaction: if the
// line cannot be written, the action is undone (mashang.Audited). A refused
// action is still recorded, on its own, with why; so is an action that
// wrote nothing (an export), and then a failure to record it is the
// action's failure.
func audited(ctx context.Context, audit Auditor, log *slog.Logger, e mashang.AuditEntry, run func(context.Context) error) error {
	actx, pending := mashang.Audited(ctx, e)
	err := run(actx)
	if err == nil && pending.Written() {
		return nil
	}
	if err != nil {
		e.Detail = "失败：" + mashang.ErrorMessage(err)
	}
	if auditErr := audit.Audit(ctx, e); auditErr != nil {
		if err == nil {
			return auditErr
		}
		log.Error("audit", "err", auditErr)
	}
	return err
}

// audited runs a staff member's action in the console (see audited).
func (con *console) audited(c *gin.Context, action, target, detail string, run func(context.Context) error) error {
	s := c.MustGet(staffKey).(mashang.StaffSession)
	return audited(c.Request.Context(), con.deps.Audit, con.deps.Log, mashang.StaffAudit(s.User, action, target, detail, c.ClientIP()), run)
}

// wroteNothing is the action of an audited export: the audit line is all
// it writes.
func wroteNothing(context.Context) error { return nil }
