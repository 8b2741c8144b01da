package mashang

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// RerouteTx is what handing a case to another group needs from storage.
type RerouteTx interface {
	groupNotifier
	CaseForReply(ctx context.Context, number string) (Case, error)
	StationGroups(ctx context.Context, stationID int64) ([]Group, error)
	// SetCaseGroup moves the case to the group, with its category and status.
	SetCaseGroup(ctx context.Context, caseID, groupID int64, category, status string) error
	progressQueuer
}

// RerouteStore runs fn in one write transaction.
type RerouteStore interface {
	UpdateReroute(ctx context.Context, fn func(RerouteTx) error) error
}

// Rerouting lets staff hand a case to another group of its station (改派),
// or release one held by the content check to a group: the group's deputies
// are told as for a new case, and the timeline says who moved it and why.
type Rerouting struct {
	Store  RerouteStore
	Notify NotifyConfig
	Now    func() time.Time
	Queued func()
	// Progress tells the citizen their case moved to another group (a case
	// released by the content check was never said to be held: no word).
	Progress ProgressConfig
}

// Reroute gives the case to the station's group named group; category,
// if not empty, replaces the case's.
func (r *Rerouting) Reroute(ctx context.Context, number, group, category, staff, reason string) (Case, error) {
	group, category, staff, reason = strings.TrimSpace(group), strings.TrimSpace(category), strings.TrimSpace(staff), strings.TrimSpace(reason)
	switch {
	case group == "":
		return Case{}, Errorf(EINVALID, "请指定改派到的代表小组（group）")
	case staff == "":
		return Case{}, Errorf(EINVALID, "请说明操作人（staff）")
	case reason == "":
		return Case{}, Errorf(EINVALID, "请说明改派原因（reason），它会记在问题的处理过程里")
	case utf8.RuneCountInString(reason) > 500 || utf8.RuneCountInString(category) > 64:
		return Case{}, Errorf(EINVALID, "原因（reason）不超过500字，分类（category）不超过64字")
	}
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	var moved Case
	err := r.Store.UpdateReroute(ctx, func(tx RerouteTx) error {
		c, err := tx.CaseForReply(ctx, number)
		if err != nil {
			return err
		}
		if c.Status == CaseClosed {
			return Errorf(ECONFLICT, "问题 %s 已办结，不能改派", c.Number)
		}
		groups, err := tx.StationGroups(ctx, c.StationID)
		if err != nil {
			return err
		}
		var target *Group
		names := make([]string, len(groups))
		for i := range groups {
			names[i] = groups[i].Name
			if groups[i].Name == group {
				target = &groups[i]
			}
		}
		if target == nil {
			return Errorf(EINVALID, "「%s」没有「%s」这个小组；可选：%s", c.StationName, group, strings.Join(names, "、"))
		}
		if target.ID == c.GroupID && c.Status != CaseHeld {
			return Errorf(ECONFLICT, "问题 %s 已经由「%s」处理", c.Number, group)
		}
		if category == "" {
			category = c.Category
		}
		status := c.Status
		what := "改派"
		if status == CaseHeld {
			status, what = CaseOpen, "审核通过并分派"
		}
		if err := tx.SetCaseGroup(ctx, c.ID, target.ID, category, status); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s至「%s」", what, target.Name)
		if c.GroupName != "" {
			detail = fmt.Sprintf("由「%s」%s", c.GroupName, detail)
		}
		if err := tx.AddCaseEvent(ctx, c.ID, now, EventRerouted, staff, detail+"。原因："+reason); err != nil {
			return err
		}
		wasHeld := c.Status == CaseHeld
		c.GroupID, c.GroupName, c.Category, c.Status = target.ID, target.Name, category, status
		moved = c
		if !wasHeld {
			if err := r.Progress.tell(ctx, tx, c, status, fmt.Sprintf("已转由「%s」的「%s」办理", c.StationName, target.Name), now); err != nil {
				return err
			}
		}
		return notifyGroup(ctx, tx, r.Notify, c, now, "新问题", fmt.Sprintf("route-%s-g%d-%d", c.Number, target.ID, now.Unix()))
	})
	if err != nil {
		return Case{}, err
	}
	if r.Queued != nil {
		r.Queued()
	}
	return moved, nil
}
