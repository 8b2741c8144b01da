package mashang

import (
	"context"
	"fmt"
	"strings"
)

// Merge closes a duplicate (合并重复问题) into the main case that answers
// for it: the same problem raised by another citizen, or twice. The
// duplicate's citizen keeps their own number, which leads to the main case's
// progress, and every later answer to the main case reaches them too; they
// never see the other citizen's messages.
func (s *Supervision) Merge(ctx context.Context, duplicate, main, staff string) error {
	main = strings.TrimSpace(main)
	switch {
	case strings.TrimSpace(staff) == "":
		return Errorf(EINVALID, "请说明操作人")
	case main == "":
		return Errorf(EINVALID, "请填写主问题的编号")
	case main == duplicate:
		return Errorf(EINVALID, "不能把问题 %s 合并到它自己", duplicate)
	}
	now := s.now()
	return s.Store.UpdateHandover(ctx, func(tx HandoverTx) error {
		dup, err := tx.CaseForReply(ctx, duplicate)
		if err != nil {
			return err
		}
		into, err := tx.CaseForReply(ctx, main)
		if ErrorCode(err) == ENOTFOUND {
			return Errorf(EINVALID, "没有编号为 %s 的问题，请核对主问题的编号", main)
		} else if err != nil {
			return err
		}
		switch {
		case dup.Status == CaseMerged:
			return Errorf(ECONFLICT, "问题 %s 已并入 %s", dup.Number, dup.MergedInto)
		case dup.Status == CaseClosed:
			return Errorf(ECONFLICT, "问题 %s 已经办结，不需要合并", dup.Number)
		case into.Status == CaseMerged:
			return Errorf(EINVALID, "问题 %s 本身已并入 %s，请合并到 %s", into.Number, into.MergedInto, into.MergedInto)
		case into.Status == CaseHeld:
			return Errorf(EINVALID, "问题 %s 还在审核中，不能作为主问题", into.Number)
		}
		if err := tx.MergeCase(ctx, dup.ID, into.ID, now); err != nil {
			return err
		}
		if err := tx.AddCaseEvent(ctx, dup.ID, now, EventMerged, staff,
			fmt.Sprintf("与其他群众反映的同一问题合并办理，并入问题 %s；办理进展和答复以 %s 为准，也会发给您。", into.Number, into.Number)); err != nil {
			return err
		}
		return tx.AddCaseEvent(ctx, into.ID, now, EventMergedIn, staff,
			fmt.Sprintf("并入重复问题 %s（%s）；今后的答复也会发给该问题的群众。", dup.Number, dup.StationName))
	})
}
