package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"mashang"
)

// BoundDeputy finds the deputy whose WeChat is bound to openid
// (ENOTFOUND: nobody's).
func (db *DB) BoundDeputy(ctx context.Context, openid string) (mashang.Deputy, error) {
	var code string
	err := db.db.QueryRowContext(ctx, `SELECT code FROM deputies WHERE openid = ?`, openid).Scan(&code)
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.Deputy{}, mashang.NotFound("代表")
	}
	if err != nil {
		return mashang.Deputy{}, fmt.Errorf("find deputy by openid: %w", err)
	}
	return deputyByCode(ctx, db.db, code)
}

// deputyReach is the cases a deputy answers for: raised at their own code,
// routed to a group they belong to, or raised at a pop-up desk they were
// present at and still at the desk's station (a case moved away leaves
// them). It takes the deputy's ID three times.
const deputyReach = `(c.deputy_id = ? OR c.group_id IN (SELECT group_id FROM group_members WHERE deputy_id = ?)
	OR c.scene IN (SELECT k.scene FROM desk_deputies kd JOIN desks k ON k.id = kd.desk_id
		WHERE kd.deputy_id = ? AND k.station_id = c.station_id))`

// DeputyCases lists the cases a deputy answers for, newest first.
func (db *DB) DeputyCases(ctx context.Context, deputyID int64, limit int) ([]mashang.Case, error) {
	return collectCases(db.db.QueryContext(ctx, `SELECT `+caseColumns+caseFrom+`
		WHERE `+deputyReach+` ORDER BY c.id DESC LIMIT ?`, deputyID, deputyID, deputyID, limit))
}

// DeputyCase reads a case the deputy answers for, with its timeline; one
// that exists but is another group's is EFORBIDDEN.
func (db *DB) DeputyCase(ctx context.Context, deputyID int64, number string) (mashang.Case, []CaseEvent, error) {
	var theirs bool
	c, err := scanCase(db.db.QueryRowContext(ctx, `SELECT `+caseColumns+`, CASE WHEN `+deputyReach+` THEN 1 ELSE 0 END`+caseFrom+` WHERE c.number = ?`,
		deputyID, deputyID, deputyID, number), &theirs)
	if errors.Is(err, sql.ErrNoRows) {
		return mashang.Case{}, nil, mashang.NotFound("问题")
	}
	if err != nil {
		return mashang.Case{}, nil, fmt.Errorf("find case: %w", err)
	}
	if !theirs {
		return mashang.Case{}, nil, mashang.Errorf(mashang.EFORBIDDEN, "问题 %s 不是您所在小组的问题", number)
	}
	events, err := db.CaseEvents(ctx, c.ID)
	return c, events, err
}
