package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"mashang"
)

// groupWriter runs the callback's transactions on MySQL in groups, as the
// SQLite writer does: the pushes that arrive together run one after the
// other in one transaction on one connection, with one commit, and each is
// answered only after that commit. A commit costs MySQL a redo-log flush
// and the callback two round trips (BEGIN, COMMIT); in a group they are
// paid once for all.
//
// Several lanes run groups side by side, each on a connection of their
// own pool (DB.lanes): a few always, and more for as long as groups stall
// (lanes.go). What a push locks (its citizen's follower row, FOR UPDATE) is
// held until its group commits, so a citizen's pushes are still filed one
// after the other, in this instance or another. A group does not wait for
// a citizen another transaction holds: that citizen's pushes leave it and
// wait alone (batch.go, setAside). Two lanes that wait for each other's
// other locks are a deadlock, which MySQL breaks by rolling one group
// back, and that group runs again.
//
// A job that fails cannot be undone alone without a savepoint (two more
// round trips for every job), so instead the transaction is rolled back,
// that job answered with its error, and the group's other jobs run again in
// a new one: they are functions of the transaction, already written to run
// again after a deadlock. Nothing is answered before its commit, so a job
// run twice is stored once.
type groupWriter struct {
	jobQueue
	db      *sql.DB
	dialect dialect
	stmts   stmtCache
	numbers *sql.DB // DB.numbers: case numbers, each committed at once
	lanes   laneSet
	// aside runs the pushes a group left to wait for their citizen
	// (setAside).
	aside sync.WaitGroup
}

const (
	// mysqlLanes is how many groups run at once, each on a connection.
	// A group costs a few statements however many pushes it holds
	// (batch.go), so fewer lanes make bigger groups and fewer statements
	// a push. Measured with the callback bench's 32 connections
	// (2026-12-06, after the batch): 1 lane 4,211 pushes/s (p99 16 ms),
	// 2 lanes 4,056–4,608 (p99 18–27 ms) and the best first round (the
	// one that opens the 997 cases, whose jobs run statement by
	// statement), 4 lanes 3,777–3,870, 8 lanes 3,052, 32 lanes 1,791.
	// Two, so that one slow group does not hold every push of the
	// instance behind it, and more while groups stall (lanes.go).
	mysqlLanes = 2
	// groupTimeout bounds one group's transaction: a lock held by a
	// stuck transaction elsewhere must not hold the group's callers
	// until MySQL's own lock wait timeout (50 s by default).
	groupTimeout = 20 * time.Second
	// groupRetries is how often a job runs again after a deadlock or a
	// lost insert race before it is answered with it.
	groupRetries = 4
)

// errBatchSpoilt: the writes a group held back failed (batch.go).
var errBatchSpoilt = errors.New("the group's batched writes failed")

// newGroupWriter starts lanes lanes, and with any, the watch that adds
// lanes while groups stall (none: the jobs wait, as a test wants them).
func newGroupWriter(db *sql.DB, d dialect, stmts stmtCache, numbers *sql.DB, lanes int) *groupWriter {
	g := &groupWriter{db: db, dialect: d, stmts: stmts, numbers: numbers, jobQueue: jobQueue{jobs: make(chan *writeJob, maxGroup)}}
	g.lanes.start(lanes, g.jobs, g.group)
	return g
}

// close stops taking jobs and waits for the groups running to finish.
func (g *groupWriter) close() {
	if g.shut() {
		g.lanes.wait()
		g.aside.Wait()
	}
}

// group runs first, and whatever arrives while it runs, in transactions of
// maxGroup jobs at most, until all of them are answered.
func (g *groupWriter) group(first *writeJob) {
	pending := []*writeJob{first}
	for len(pending) > 0 {
		var failed int
		var err error
		pending, failed, err = g.attempt(pending, true)
		switch {
		case failed < 0:
			// A commit answered its jobs; pending holds those after a
			// job that ended the group.
		case g.dialect.retryable(err) || errors.Is(err, errBatchSpoilt):
			// A deadlock or a lost race: a group holds its citizens' rows
			// until it commits, so groups meeting each other's citizens
			// (in another lane or instance) can wait for one another.
			// Its jobs run again one transaction each, in their order,
			// as they did before groups. So do a group's whose batched
			// writes failed (batch.go): a retry of an earlier push
			// among them, perhaps.
			for _, job := range pending {
				g.alone(job)
			}
			return
		default:
			pending[failed].result <- err
			pending = append(pending[:failed], pending[failed+1:]...)
		}
	}
}

// alone runs one job in a transaction of its own, again after a deadlock
// or a lost race, and answers it.
func (g *groupWriter) alone(job *writeJob) {
	for retries := 0; ; retries++ {
		_, failed, err := g.attempt([]*writeJob{job}, false)
		if failed < 0 {
			return
		}
		if !g.dialect.retryable(err) || retries >= groupRetries || job.ctx.Err() != nil {
			job.result <- err
			return
		}
		time.Sleep(time.Duration((retries+1)*(retries+1)) * 5 * time.Millisecond)
	}
}

// attempt runs the pending jobs in one transaction, then (with more) the
// jobs waiting in the queue, and commits. When a job fails, the transaction is rolled
// back and attempt returns the jobs to run again in their order, that job
// among them at failed, and its error; failed is -1 when none did, and the
// jobs returned then are those after a job that ended the group. Jobs that
// could not be run at all (no connection, a failed commit) are answered
// with the error here.
func (g *groupWriter) attempt(pending []*writeJob, more bool) (rest []*writeJob, failed int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	// READ COMMITTED, each connection's own level (mysqlPool).
	tx, err := g.db.BeginTx(ctx, nil)
	if err != nil {
		for _, job := range pending {
			job.result <- fmt.Errorf("begin: %w", err)
		}
		return nil, -1, nil
	}
	// A group's pushes write their messages and touches together (batch.go);
	// one run alone writes as it goes, and finds a retry of an earlier
	// push by its key at once. Galera's row locks are writes of their own.
	sqlTx := sqlTx{Tx: tx}
	if more && !g.dialect.galera() {
		sqlTx.batch = newWriteBatch(false)
	}
	if sqlTx.batch != nil {
		// The group's citizens' conversations, read in one statement;
		// not those whose callers have given up already: they would only
		// be locked.
		pending = slices.DeleteFunc(g.waiting(pending), (*writeJob).gone)
		if len(pending) == 0 {
			_ = tx.Rollback()
			return nil, -1, nil
		}
		// The group's own statements (the read ahead, the held-back writes)
		// end when the last of its callers stops waiting: past that
		// nobody is answered, and a group still waiting for a citizen's
		// row holds the rows it locked before from every group behind it.
		var cancelOwn context.CancelFunc
		ctx, cancelOwn = context.WithDeadline(ctx, callersDeadline(pending))
		defer cancelOwn()
		heldElsewhere, err := sqlTx.readAhead(ctx, pending, g.dialect)
		if err != nil {
			_ = tx.Rollback()
			return pending, 0, fmt.Errorf("%w: %w", errBatchSpoilt, err)
		}
		// The pushes of citizens another transaction holds leave the
		// group and wait for them without holding anyone else.
		pending = g.setAside(pending, heldElsewhere)
	}
	ran := make([]*writeJob, 0, len(pending))
	var after []*writeJob // not run: they come after a job that ends the group
	for i := 0; ; i++ {
		if i == len(pending) && more && sqlTx.batch == nil {
			// Unbatched (Galera), the pushes that came meanwhile join
			// this commit. Batched, they would each read their own
			// conversation, a round trip apiece: they make the next
			// group instead, read ahead together.
			pending = g.waiting(pending)
		}
		if i == len(pending) {
			break
		}
		job := pending[i]
		jobTx := &Tx{tx: sqlTx, dialect: g.dialect, stmts: g.stmts, numbers: g.numbers}
		ok, err := job.run(jobTx)
		if !ok {
			continue // its caller gave up before it ran
		}
		if b := sqlTx.batch; b != nil && b.err != nil {
			// The group's writes failed, not this job: whatever it
			// answered, the group runs again unbatched.
			_ = tx.Rollback()
			return append(ran, pending[i:]...), 0, fmt.Errorf("%w: %w", errBatchSpoilt, b.err)
		}
		if err != nil {
			_ = tx.Rollback()
			return append(ran, pending[i:]...), len(ran), err
		}
		ran = append(ran, job)
		if jobTx.endsGroup {
			after = pending[i+1:]
			break
		}
	}
	if len(ran) == 0 {
		_ = tx.Rollback()
		return after, -1, nil
	}
	if err := sqlTx.flush(ctx); err != nil {
		_ = tx.Rollback()
		return append(ran, after...), 0, fmt.Errorf("%w: %w", errBatchSpoilt, err)
	}
	if err := tx.Commit(); err != nil {
		// Perhaps committed, perhaps not: not acknowledged either way, and
		// WeChat's retry finds the row if it was.
		for _, job := range ran {
			job.result <- fmt.Errorf("commit: %w", err)
		}
		return after, -1, nil
	}
	for _, job := range ran {
		job.result <- nil
	}
	return after, -1, nil
}

// setAside takes out of pending the jobs of the citizens held elsewhere
// and runs them, each citizen's in their order, in transactions of their
// own, each waiting only for its own citizen (alone). A caller that gave
// up meanwhile is answered as ever.
func (g *groupWriter) setAside(pending []*writeJob, heldElsewhere map[string]bool) []*writeJob {
	if len(heldElsewhere) == 0 {
		return pending
	}
	var order []string
	aside := map[string][]*writeJob{}
	kept := pending[:0:0]
	for _, job := range pending {
		p, ok := mashang.PushOf(job.ctx)
		if !ok || !heldElsewhere[p.OpenID] {
			kept = append(kept, job)
			continue
		}
		if aside[p.OpenID] == nil {
			order = append(order, p.OpenID)
		}
		aside[p.OpenID] = append(aside[p.OpenID], job)
	}
	for _, citizen := range order {
		g.aside.Go(func() {
			for _, job := range aside[citizen] {
				g.alone(job)
			}
		})
	}
	return kept
}

// callersDeadline is when the last of the jobs' callers stops waiting,
// at most groupTimeout from now.
func callersDeadline(jobs []*writeJob) time.Time {
	limit := time.Now().Add(groupTimeout)
	var latest time.Time
	for _, job := range jobs {
		d, ok := job.ctx.Deadline()
		if !ok {
			return limit
		}
		if d.After(latest) {
			latest = d
		}
	}
	if latest.IsZero() || latest.After(limit) {
		return limit
	}
	return latest
}

// waiting adds to pending the jobs already queued, while the group has
// room for them: they join this transaction rather than wait for the next.
func (g *groupWriter) waiting(pending []*writeJob) []*writeJob {
	for len(pending) < maxGroup {
		select {
		case job, ok := <-g.jobs:
			if !ok {
				return pending
			}
			pending = append(pending, job)
		default:
			return pending
		}
	}
	return pending
}

// gone answers the job if its caller gave up waiting, as run would.
func (job *writeJob) gone() bool {
	job.mu.Lock()
	defer job.mu.Unlock()
	if job.abandoned || job.ctx.Err() != nil {
		job.result <- context.Canceled
		return true
	}
	return false
}

// run runs the job's function in tx, unless its caller gave up waiting
// (false): the function writes to the caller's variables. A caller that
// gives up while it runs waits for it to end.
func (job *writeJob) run(tx *Tx) (bool, error) {
	job.mu.Lock()
	defer job.mu.Unlock()
	if job.abandoned || job.ctx.Err() != nil {
		job.result <- context.Canceled
		return false, nil
	}
	return true, job.fn(tx)
}
