package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"mashang"
)

// todoSource is one source of the to-do list: its columns (case ID,
// number, station, ref, who, text, since), what it reads from (FROM …
// WHERE …, with the reach's condition at %[1]s) and its order. Each is one
// query on an index that holds only what waits (or, for drafts and
// results, only drafts and results), the tables joined in the written
// order (MySQL's STRAIGHT_JOIN, SQLite's CROSS JOIN): left to choose, both
// walk every case station by station.
type todoSource struct {
	kind    mashang.TodoKind
	columns string
	body    string
	order   string
	// now: the body takes the current time as its first argument.
	now bool
}

// dismissed is the condition that no one dismissed the item since it
// began waiting (since) — the kind is one of the constants, never input.
func dismissed(kind mashang.TodoKind, ref, since string) string {
	return `NOT EXISTS (SELECT 1 FROM todo_dismissals x WHERE x.kind = '` + string(kind) + `' AND x.case_id = c.id AND x.ref = ` + ref +
		` AND x.dismissed_at >= ` + since + `)`
}

// stillOpen: the case is still being handled (not closed, not merged away).
const stillOpen = `c.closed_at IS NULL AND c.status <> 'merged'`

var todoSources = []todoSource{
	{kind: mashang.TodoAlert,
		columns: `COALESCE(c.id, 0), COALESCE(c.number, ''), COALESCE(s.name, ''), a.id, '', a.message, a.created_at`,
		// An alert about a case since closed asks for nothing any more.
		body: `FROM staff_alerts a LEFT JOIN cases c ON c.id = a.case_id LEFT JOIN stations s ON s.id = COALESCE(a.station_id, c.station_id)
			WHERE a.seen_at IS NULL AND (c.id IS NULL OR c.status NOT IN ('closed', 'merged')) AND %[1]s`,
		order: `a.id DESC`},
	{kind: mashang.TodoDissatisfied,
		columns: `c.id, c.number, ` + stationName + `, 0, '', COALESCE((SELECT cr.comment FROM case_ratings cr WHERE cr.case_id = c.id ORDER BY cr.id DESC LIMIT 1), ''),
			COALESCE((SELECT MAX(cr.rated_at) FROM case_ratings cr WHERE cr.case_id = c.id), c.last_message_at)`,
		body: `FROM cases c
			WHERE c.rating = 'dissatisfied' AND c.status = 'reopened' AND %[1]s
			AND ` + dismissed(mashang.TodoDissatisfied, "0", `COALESCE((SELECT MAX(cr.rated_at) FROM case_ratings cr WHERE cr.case_id = c.id), c.last_message_at)`),
		order: `c.id`},
	{kind: mashang.TodoHandover, now: true,
		columns: `c.id, c.number, ` + stationName + `, cd.department_id, d.name, '', cd.ack_due`,
		// From when the hand-over turns the case yellow: a department has a
		// working day to acknowledge it.
		body: `FROM case_departments cd CROSS JOIN cases c ON c.id = cd.case_id JOIN departments d ON d.id = cd.department_id
			WHERE cd.acknowledged_at IS NULL AND cd.ack_due IS NOT NULL AND cd.ack_due <= ? AND ` + stillOpen + ` AND %[1]s
			AND ` + dismissed(mashang.TodoHandover, "cd.department_id", "cd.handed_at"),
		order: `cd.ack_due`},
	{kind: mashang.TodoResult,
		columns: `c.id, c.number, ` + stationName + `, dr.id, d.name, dr.text, dr.created_at`,
		body: `FROM department_results dr CROSS JOIN cases c ON c.id = dr.case_id JOIN departments d ON d.id = dr.department_id
			WHERE ` + stillOpen + ` AND %[1]s
			AND NOT EXISTS (SELECT 1 FROM case_events r WHERE r.case_id = dr.case_id AND r.kind = 'reply' AND r.at >= dr.created_at)
			AND ` + dismissed(mashang.TodoResult, "dr.id", "dr.created_at"),
		order: `dr.id`},
	{kind: mashang.TodoDraft,
		columns: `c.id, c.number, ` + stationName + `, 0, e.actor, COALESCE(e.detail, ''), e.at`,
		// The latest draft, with no answer sent after it (mashang.PendingDraft).
		body: `FROM case_events e CROSS JOIN cases c ON c.id = e.case_id
			WHERE e.kind = 'draft' AND ` + stillOpen + ` AND %[1]s
			AND NOT EXISTS (SELECT 1 FROM case_events r WHERE r.case_id = e.case_id AND r.kind IN ('draft', 'reply') AND r.id > e.id)
			AND ` + dismissed(mashang.TodoDraft, "0", "e.at"),
		order: `e.id`},
	{kind: mashang.TodoPhone,
		columns: `c.id, c.number, ` + stationName + `, 0, '', c.summary, ` + answeredAt,
		// Answered or closed, and neither linked to a WeChat nor phoned yet.
		body: `FROM case_walkins w CROSS JOIN cases c ON c.id = w.case_id
			WHERE w.phone_sealed <> '' AND w.phoned_at IS NULL AND c.openid = '' AND c.status <> 'merged' AND %[1]s
			AND ` + answeredAt + ` IS NOT NULL
			AND ` + dismissed(mashang.TodoPhone, "0", answeredAt),
		order: `c.id`},
	{kind: mashang.TodoWall,
		columns: `c.id, c.number, ` + stationName + `, 0, '', c.summary, q.since`,
		body: `FROM wall_waiting q CROSS JOIN cases c ON c.id = q.case_id
			WHERE c.status = 'closed' AND c.public_consent = 1 AND %[1]s
			AND ` + dismissed(mashang.TodoWall, "0", "q.since"),
		order: `q.since`},
}

// answeredAt is when the case's latest answer was sent or it was closed
// (NULL: neither yet): from then on a citizen without WeChat is to be phoned.
const answeredAt = `(SELECT MAX(r.at) FROM case_events r WHERE r.case_id = c.id AND r.kind IN ('reply', 'closed'))`

// stationName is the case's station's name, read by the case's row: a join
// on the three or so stations makes MariaDB buffer the join and sort every
// row before the limit.
const stationName = `(SELECT st.name FROM stations st WHERE st.id = c.station_id)`

// todoReach is the reach's condition for a source, on the case alone (see
// stationName); an alert is within reach by its station, joined as s.
func todoReach(kind mashang.TodoKind, r mashang.Reach) (string, []any) {
	switch {
	case r.All:
		return "1 = 1", nil
	case r.DepartmentID != 0:
		return "1 = 0", nil // a department's handler has no to-do list here
	case kind == mashang.TodoAlert && r.StationID != 0:
		// By the alert's own station (every alert has one, migration
		// 00056): the open alerts' index then reads the station's alone,
		// where s.id read every open alert of the database.
		return "a.station_id = ?", []any{r.StationID}
	case kind == mashang.TodoAlert:
		return reachCondition(r)
	}
	return caseReach(r)
}

// caseReach is reachCondition on the case's columns alone.
func caseReach(r mashang.Reach) (string, []any) {
	if len(r.JurisdictionIDs) > 0 && !r.All && r.StationID == 0 && r.DepartmentID == 0 {
		args := make([]any, len(r.JurisdictionIDs))
		for i, id := range r.JurisdictionIDs {
			args[i] = id
		}
		return "c.station_id IN (SELECT st.id FROM stations st WHERE st.jurisdiction_id IN (?" + strings.Repeat(", ?", len(args)-1) + "))", args
	}
	return reachCondition(r)
}

func (src todoSource) args(r mashang.Reach, now time.Time) (string, []any) {
	where, args := todoReach(src.kind, r)
	if src.now {
		args = append([]any{now.UTC()}, args...)
	}
	return fmt.Sprintf(src.body, where), args
}

// TodoItems lists what waits on staff within reach, up to
// mashang.TodoPerSource of each source; more says a source had more.
func (db *DB) TodoItems(ctx context.Context, r mashang.Reach, now time.Time) (items []mashang.TodoItem, more bool, err error) {
	for _, src := range todoSources {
		body, args := src.args(r, now)
		got, err := scanAll(ctx, db.db, func(row scanner) (mashang.TodoItem, error) {
			t := mashang.TodoItem{Kind: src.kind}
			var who, text string
			err := row.Scan(&t.CaseID, &t.CaseNumber, &t.StationName, &t.Ref, &who, &text, (*looseTime)(&t.Since))
			t.Text = todoText(src.kind, who, text)
			return t, err
		}, `SELECT `+db.dialect.casesFirst()+src.columns+` `+body+` ORDER BY `+src.order+` LIMIT ?`, append(args, mashang.TodoPerSource+1)...)
		if err != nil {
			return nil, false, fmt.Errorf("read the to-do list (%s): %w", src.kind, err)
		}
		if len(got) > mashang.TodoPerSource {
			got, more = got[:mashang.TodoPerSource], true
		}
		items = append(items, got...)
	}
	return items, more, nil
}

// todoText says what an item asks, from what its source read.
func todoText(kind mashang.TodoKind, who, text string) string {
	text = truncateRunes(strings.TrimSpace(text), 120)
	switch kind {
	case mashang.TodoHandover:
		return who + " 过了签收期限仍未签收"
	case mashang.TodoResult:
		return who + " 的办理结果：" + text
	case mashang.TodoDraft:
		return who + " 拟的答复：" + text
	case mashang.TodoDissatisfied:
		return "群众意见：" + text
	case mashang.TodoPhone:
		return "群众未关联微信，请电话告知答复：" + text
	}
	return text
}

// TodoCount counts what waits on staff within reach, each source up to
// mashang.TodoPerSource (Over: one had more): the console's header shows
// it on every page. The sources' counts are one statement (UNION ALL), a
// round trip for the page instead of one a source.
func (db *DB) TodoCount(ctx context.Context, r mashang.Reach, now time.Time) (mashang.TodoCount, error) {
	var out mashang.TodoCount
	counts := make([]string, len(todoSources))
	var args []any
	for i, src := range todoSources {
		body, srcArgs := src.args(r, now)
		counts[i] = fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT %s1 AS one %s LIMIT ?) t%d`, db.dialect.casesFirst(), body, i)
		args = append(append(args, srcArgs...), mashang.TodoPerSource+1)
	}
	ns, err := scanAll(ctx, db.db, func(row scanner) (int, error) {
		var n int
		return n, row.Scan(&n)
	}, strings.Join(counts, "\nUNION ALL\n"), args...)
	if err != nil {
		return out, fmt.Errorf("count the to-do list: %w", err)
	}
	for _, n := range ns {
		if n > mashang.TodoPerSource {
			n, out.Over = mashang.TodoPerSource, true
		}
		out.N += n
	}
	return out, nil
}

// TodoDone marks an alert done, or dismisses a waiting item until it
// changes, recording who and when; an item beyond reach is not found.
func (db *DB) TodoDone(ctx context.Context, r mashang.Reach, kind mashang.TodoKind, number string, ref int64, who string, at time.Time) error {
	at = at.UTC().Truncate(time.Millisecond)
	return db.update(ctx, func(tx *Tx) error {
		if kind == mashang.TodoAlert {
			where, args := todoReach(kind, r)
			var id int64
			err := tx.tx.QueryRowContext(ctx, `SELECT a.id FROM staff_alerts a LEFT JOIN cases c ON c.id = a.case_id
				LEFT JOIN stations s ON s.id = COALESCE(a.station_id, c.station_id) WHERE a.id = ? AND `+where, append([]any{ref}, args...)...).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return mashang.NotFound("提醒")
			} else if err != nil {
				return fmt.Errorf("find the alert: %w", err)
			}
			res, err := tx.exec(ctx, `UPDATE staff_alerts SET seen_at = ?, done_by = ? WHERE id = ? AND seen_at IS NULL`, at, who, id)
			if err != nil {
				return fmt.Errorf("mark the alert done: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return mashang.Errorf(mashang.ECONFLICT, "这条提醒已经有人处理过了")
			}
			return nil
		}
		where, args := reachCondition(r)
		var caseID int64
		err := tx.tx.QueryRowContext(ctx, `SELECT c.id FROM cases c JOIN stations s ON s.id = c.station_id WHERE c.number = ? AND `+where,
			append([]any{number}, args...)...).Scan(&caseID)
		if errors.Is(err, sql.ErrNoRows) {
			return mashang.NotFound("问题")
		} else if err != nil {
			return fmt.Errorf("find the case: %w", err)
		}
		res, err := tx.exec(ctx, `UPDATE todo_dismissals SET dismissed_at = ?, dismissed_by = ? WHERE kind = ? AND case_id = ? AND ref = ?`,
			at, who, string(kind), caseID, ref)
		if err != nil {
			return fmt.Errorf("dismiss the to-do item: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.exec(ctx, `INSERT INTO todo_dismissals (kind, case_id, ref, dismissed_at, dismissed_by) VALUES (?, ?, ?, ?, ?)`,
				string(kind), caseID, ref, at, who); err != nil {
				return fmt.Errorf("dismiss the to-do item: %w", err)
			}
		}
		return nil
	})
}

// looseTime scans a time that SQLite gives as text when it comes from an
// expression (a subquery, COALESCE) rather than a DATETIME column.
type looseTime time.Time

func (l *looseTime) Scan(v any) error {
	switch v := v.(type) {
	case time.Time:
		*l = looseTime(v)
		return nil
	case nil:
		*l = looseTime(time.Time{})
		return nil
	case []byte:
		return l.Scan(string(v))
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999"} {
			if t, err := time.Parse(layout, v); err == nil {
				*l = looseTime(t)
				return nil
			}
		}
	}
	return fmt.Errorf("read a time from %T %v", v, v)
}
