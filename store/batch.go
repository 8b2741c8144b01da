package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"mashang"
)

// writeBatch makes a group's transaction, on MySQL (groupwriter.go) and on
// SQLite (writer.go), cost a few statements for the whole group rather than
// a few for each push. MySQL spends most of a push's time on statements, not
// on rows: the parse, the round trip and the wake-ups on both sides of it;
// SQLite's one writer spent most of it on each statement's own cost in
// database/sql and the driver.
//
// It holds back the two writes nearly every push makes — its row in
// inbound_messages and the touch of the case it joins — and writes the
// group's as one multi-row INSERT and one UPDATE. And it reads, at the
// group's start, the conversations of all its citizens (readAhead) in one
// statement, locking them as each push's own read would.
//
// What is held back is written before any other statement of the
// transaction runs (sqlTx), so every statement sees what the group wrote
// before it, and before the commit. The reads that do not wait for it are
// a citizen's reads of their own conversation and cases (readOwn), when
// nothing held back is that citizen's: what is held back only writes other
// citizens' messages and cases. A conversation read ahead serves only a
// push of that citizen's before anything of theirs is written, and none
// once any other statement has run.
//
// A push's row is held back without asking whether WeChat sent it before;
// a retry is then found when the batch is written (a duplicate key), which
// spoils the group: it is rolled back and its pushes run again one
// transaction each, unbatched, where the retry is answered as before.
// Nothing is answered before its commit either way.
type writeBatch struct {
	inbound [][]any // insertInbound's arguments, a push each
	touches []caseTouch
	// citizens whose writes are held back: their conversation's read
	// must see them.
	citizens map[string]bool
	// ahead is what readAhead read of the group's citizens at its start,
	// each taken by its push's first read; dropped whole once any other
	// statement runs, since that one may have changed it.
	ahead map[string]aheadRead
	// err is the failure of a write: the transaction is spoilt (MySQL may
	// have rolled it back already), and no statement runs in it again.
	err error
	// kept: the connection keeps every statement it runs, compiled, by
	// its text (SQLite, sqlitestmts.go). The batch's statements then come
	// in a few sizes (keptSize), so that a few texts serve every group
	// rather than one for each size crowding out the others kept.
	kept bool
}

// keptSize is the size of statement a batch that is kept uses for n rows
// or citizens: the next power of two.
func keptSize(n int) int {
	size := 1
	for size < n {
		size *= 2
	}
	return size
}

// rowsAtOnce is how many of n rows held back one statement writes: all of
// them, or where statements are kept, the largest power of two that is not
// more (a group of 37: 32, 4 and 1).
func (b *writeBatch) rowsAtOnce(n int) int {
	if !b.kept {
		return n
	}
	size := keptSize(n)
	if size > n {
		size /= 2
	}
	return size
}

// aheadRead is one citizen's conversation, read ahead with the group's.
type aheadRead struct {
	since        time.Time
	conversation conversationRead
	awaiting     sql.NullString // the case number of the rating awaiting its reason
}

type caseTouch struct {
	caseID int64
	at     time.Time
}

func newWriteBatch(kept bool) *writeBatch {
	return &writeBatch{citizens: map[string]bool{}, kept: kept}
}

// sqlTx is the transaction as Tx's methods use it: *sql.Tx, except that in
// a batched group every statement first writes what the batch holds back.
type sqlTx struct {
	*sql.Tx
	batch *writeBatch // nil: nothing is held back
}

// flush writes what the batch holds back, or says why it cannot.
func (t sqlTx) flush(ctx context.Context) error {
	b := t.batch
	if b == nil {
		return nil
	}
	if b.err != nil {
		return b.err
	}
	for rows := b.inbound; len(rows) > 0; {
		n := b.rowsAtOnce(len(rows))
		var args []any
		for _, row := range rows[:n] {
			args = append(args, row...)
		}
		query := insertInbound + strings.Repeat(", "+insertInboundRow, n-1)
		if _, err := t.Tx.ExecContext(ctx, query, args...); err != nil {
			b.err = fmt.Errorf("insert the group's inbound messages: %w", err)
			return b.err
		}
		rows = rows[n:]
	}
	for touches := b.touches; len(touches) > 0; {
		n := b.rowsAtOnce(len(touches))
		// Each case's time moves forward only, as touchCase moves it.
		var when strings.Builder
		var whenArgs, ids []any
		for _, touch := range touches[:n] {
			when.WriteString(" WHEN ? THEN ?")
			whenArgs = append(whenArgs, touch.caseID, touch.at)
			ids = append(ids, touch.caseID)
		}
		newTime := "CASE id" + when.String() + " END"
		query := `UPDATE cases SET last_message_at = ` + newTime + ` WHERE id IN (?` + strings.Repeat(", ?", len(ids)-1) +
			`) AND last_message_at < ` + newTime
		args := append(append(append([]any{}, whenArgs...), ids...), whenArgs...)
		if _, err := t.Tx.ExecContext(ctx, query, args...); err != nil {
			b.err = fmt.Errorf("touch the group's cases: %w", err)
			return b.err
		}
		touches = touches[n:]
	}
	b.inbound, b.touches = b.inbound[:0], b.touches[:0]
	clear(b.citizens)
	return nil
}

// holdInbound holds back the INSERT of one push (insertInbound's
// arguments) from citizen.
func (b *writeBatch) holdInbound(citizen string, args []any) {
	b.inbound = append(b.inbound, args)
	b.citizens[citizen] = true
	delete(b.ahead, citizen) // read before this write
}

// holdTouch holds back moving a case of citizen's to at.
func (b *writeBatch) holdTouch(citizen string, caseID int64, at time.Time) {
	b.touches = append(b.touches, caseTouch{caseID: caseID, at: at})
	b.citizens[citizen] = true
	delete(b.ahead, citizen)
}

// spoilt is a context already done: a statement given it fails before it
// reaches the server. A *sql.Row cannot be made with an error otherwise.
var spoilt = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// before readies the transaction for a statement of any kind: what is
// held back is written, and what was read ahead may no longer hold.
func (t sqlTx) before(ctx context.Context) error {
	if t.batch != nil {
		t.batch.ahead = nil
	}
	return t.flush(ctx)
}

func (t sqlTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := t.before(ctx); err != nil {
		return nil, err
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t sqlTx) Exec(query string, args ...any) (sql.Result, error) {
	return t.ExecContext(context.Background(), query, args...)
}

func (t sqlTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := t.before(ctx); err != nil {
		return nil, err
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t sqlTx) Query(query string, args ...any) (*sql.Rows, error) {
	return t.QueryContext(context.Background(), query, args...)
}

func (t sqlTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if t.before(ctx) != nil {
		return t.Tx.QueryRowContext(spoilt, query, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

func (t sqlTx) QueryRow(query string, args ...any) *sql.Row {
	return t.QueryRowContext(context.Background(), query, args...)
}

// readOwn reads, for citizen, a row that only their own writes change:
// what the batch holds back for others need not be written first.
func (t sqlTx) readOwn(ctx context.Context, citizen string, stmt *sql.Stmt, query string, args ...any) *sql.Row {
	if b := t.batch; b != nil && (b.err != nil || b.citizens[citizen]) && t.flush(ctx) != nil {
		return t.Tx.QueryRowContext(spoilt, query, args...)
	}
	if stmt != nil {
		return t.Tx.StmtContext(ctx, stmt).QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

// readAhead reads the conversations of the citizens whose pushes the
// group's jobs carry (mashang.WithPush) in one statement, and on MySQL
// locks them, as each push's AwaitingReason would one by one. A citizen
// whose row another transaction holds is not waited for: readAhead names
// them (heldElsewhere), and their pushes leave the group
// (groupWriter.attempt). SQLite's writer holds the whole database: nothing
// is locked or held elsewhere there. A citizen whose writes the batch
// holds back already is not read ahead: their push reads its own, after
// those writes.
func (t sqlTx) readAhead(ctx context.Context, jobs []*writeJob, d dialect) (heldElsewhere map[string]bool, err error) {
	b := t.batch
	var citizens []mashang.PushRead
	seen := map[string]bool{}
	for _, job := range jobs {
		if p, ok := mashang.PushOf(job.ctx); ok && !seen[p.OpenID] && !b.citizens[p.OpenID] {
			seen[p.OpenID] = true
			citizens = append(citizens, p)
		}
	}
	if len(citizens) < 2 {
		return nil, nil // one push reads its own as it goes
	}
	if d.forUpdate() != "" {
		if heldElsewhere, citizens, err = t.lockAhead(ctx, citizens); err != nil || len(citizens) == 0 {
			return heldElsewhere, err
		}
	}
	since := make(map[string]time.Time, len(citizens))
	for _, p := range citizens {
		since[p.OpenID] = p.Since
	}
	if b.kept {
		// The first citizen asked again: a question's second answer
		// for the same citizen is the first one's.
		for len(citizens) < keptSize(len(citizens)) {
			citizens = append(citizens, citizens[0])
		}
	}
	args := []any{mashang.RatingDissatisfied}
	for _, p := range citizens {
		args = append(args, p.OpenID, p.Since.UTC())
	}
	for _, p := range citizens {
		args = append(args, p.OpenID)
	}
	rows, err := t.Tx.QueryContext(ctx, conversationsAhead(len(citizens), d), args...)
	if err != nil {
		b.err = fmt.Errorf("read the group's conversations: %w", err)
		return nil, b.err
	}
	defer rows.Close()
	if b.ahead == nil {
		b.ahead = make(map[string]aheadRead, len(citizens))
	}
	for rows.Next() {
		var openid string
		read := aheadRead{conversation: conversationRead{found: true}}
		recent := &read.conversation.recent
		if err := rows.Scan(&openid, &read.conversation.scene, &read.conversation.at, &read.awaiting,
			&recent.id, &recent.number, &recent.stationID, &recent.category, &recent.lastMessageAt); err != nil {
			b.err = fmt.Errorf("read the group's conversations: %w", err)
			return nil, b.err
		}
		read.since = since[openid]
		read.conversation.openid = openid
		recent.openid, recent.scene = openid, read.conversation.scene.String
		b.ahead[openid] = read
	}
	if err := rows.Err(); err != nil {
		b.err = fmt.Errorf("read the group's conversations: %w", err)
		return nil, b.err
	}
	return heldElsewhere, nil
}

// lockAhead locks the citizens' conversations on MySQL, without waiting
// for those another transaction holds: it names them (heldElsewhere) and
// gives back the citizens it locked or who have no row yet.
func (t sqlTx) lockAhead(ctx context.Context, citizens []mashang.PushRead) (heldElsewhere map[string]bool, rest []mashang.PushRead, err error) {
	b := t.batch
	// The rows are locked first, in a statement of their own: a statement
	// reads (where it does not lock) as of its first read, so one that
	// waited for a citizen's row held by another group midway would read
	// that citizen's cases as they were before that group committed — a
	// case it opened unseen, and a second one opened beside it.
	//
	// And without waiting (SKIP LOCKED): a group that waited for one
	// citizen would hold all its others meanwhile, and every group meeting
	// one of those would wait behind it, and so on. At a province's morning
	// peak (mashang-bench province) such chains grew nine seconds deep and
	// failed a third of the pushes.
	locked, err := t.openids(ctx, `SELECT openid FROM followers WHERE openid IN (?`+strings.Repeat(", ?", len(citizens)-1)+`) FOR UPDATE SKIP LOCKED`, citizens)
	if err != nil {
		b.err = fmt.Errorf("lock the group's conversations: %w", err)
		return nil, nil, b.err
	}
	if len(locked) < len(citizens) {
		// Not locked: another transaction holds the row, or there is none
		// yet (a first scan, nothing to lock: as before). A plain read,
		// which waits for nobody, tells which.
		var notLocked []mashang.PushRead
		for _, p := range citizens {
			if !locked[p.OpenID] {
				notLocked = append(notLocked, p)
			}
		}
		heldElsewhere, err = t.openids(ctx, `SELECT openid FROM followers WHERE openid IN (?`+strings.Repeat(", ?", len(notLocked)-1)+`)`, notLocked)
		if err != nil {
			b.err = fmt.Errorf("find the group's citizens held elsewhere: %w", err)
			return nil, nil, b.err
		}
		citizens = slices.DeleteFunc(citizens, func(p mashang.PushRead) bool { return heldElsewhere[p.OpenID] })
	}
	return heldElsewhere, citizens, nil
}

// openids runs query, which selects openids, with the citizens' openids as
// its arguments, and gives back the openids it found.
func (t sqlTx) openids(ctx context.Context, query string, citizens []mashang.PushRead) (map[string]bool, error) {
	args := make([]any, 0, len(citizens))
	for _, p := range citizens {
		args = append(args, p.OpenID)
	}
	rows, err := t.Tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := map[string]bool{}
	for rows.Next() {
		var openid string
		if err := rows.Scan(&openid); err != nil {
			return nil, err
		}
		found[openid] = true
	}
	return found, rows.Err()
}

// takeAhead is citizen's conversation read ahead, if it was and still
// holds for a question about since; it is taken once.
func (t sqlTx) takeAhead(citizen string, since time.Time) (aheadRead, bool) {
	b := t.batch
	if b == nil || b.err != nil {
		return aheadRead{}, false
	}
	read, ok := b.ahead[citizen]
	if !ok || !read.since.Equal(since) {
		return aheadRead{}, false
	}
	delete(b.ahead, citizen)
	return read, true
}

// conversationsAhead is selectConversationAwaiting asked for n citizens at
// once: each row starts with its citizen's openid, and each citizen's
// rating is looked for since their own time (CASE on the openid). Made from
// the one-citizen question so that the two never disagree.
func conversationsAhead(n int, d dialect) string {
	q := selectConversationAwaiting
	for _, r := range []struct{ from, to string }{
		{"SELECT f.last_scene,", "SELECT f.openid, f.last_scene,"},
		{"WHERE c.openid = ? AND c.rating = ?", "WHERE c.openid = f.openid AND c.rating = ?"},
		{"r.rated_at >= ?", "r.rated_at >= CASE f.openid" + strings.Repeat(" WHEN ? THEN ?", n) + " END"},
		{"WHERE f.openid = ?", "WHERE f.openid IN (?" + strings.Repeat(", ?", n-1) + ")"},
	} {
		if strings.Count(q, r.from) != 1 {
			panic("store: selectConversationAwaiting changed; conversationsAhead must follow: " + r.from)
		}
		q = strings.Replace(q, r.from, r.to, 1)
	}
	return q + d.forUpdate()
}
