package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// groupWriter runs the callback's transactions on MySQL in groups, as the
// SQLite writer does: the pushes that arrive together run one after the
// other in one transaction on one connection, with one commit, and each is
// answered only after that commit. A commit costs MySQL a redo-log flush
// and the callback two round trips (BEGIN, COMMIT); in a group they are
// paid once for all.
//
// Several lanes run groups side by side, each on a connection of the
// pool. What a push locks (its citizen's follower row, FOR UPDATE) is held
// until its group commits, so a citizen's pushes are still filed one after
// the other, in this instance or another; two lanes that wait for each
// other's locks are a deadlock, which MySQL breaks by rolling one group
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
	lanes   sync.WaitGroup
}

const (
	// mysqlLanes is how many groups run at once, each on a connection.
	// A group's jobs run one after the other, a round trip per
	// statement, so fewer lanes make bigger groups but leave the other
	// callbacks waiting: on a loaded machine a round trip costs
	// milliseconds, and 4, 8 and 16 lanes were all slower than 32 (as
	// many as the pool had connections before). With 32, groups form
	// when more pushes arrive than lanes are free.
	mysqlLanes = 32
	// groupTimeout bounds one group's transaction: a lock held by a
	// stuck transaction elsewhere must not hold the group's callers
	// until MySQL's own lock wait timeout (50 s by default).
	groupTimeout = 20 * time.Second
	// groupRetries is how often a group runs again after a deadlock or
	// a lost insert race before the job that met it is answered with it.
	groupRetries = 4
)

func newGroupWriter(db *sql.DB, d dialect, stmts stmtCache, lanes int) *groupWriter {
	g := &groupWriter{db: db, dialect: d, stmts: stmts, jobQueue: jobQueue{jobs: make(chan *writeJob, maxGroup)}}
	for range lanes {
		g.lanes.Go(func() {
			for job := range g.jobs {
				g.group(job)
			}
		})
	}
	return g
}

// close stops taking jobs and waits for the groups running to finish.
func (g *groupWriter) close() {
	if g.shut() {
		g.lanes.Wait()
	}
}

// group runs first, and whatever arrives while it runs, in transactions of
// maxGroup jobs at most, until all of them are answered.
func (g *groupWriter) group(first *writeJob) {
	pending := []*writeJob{first}
	retries := 0
	for len(pending) > 0 {
		var failed int
		var err error
		pending, failed, err = g.attempt(pending)
		if failed < 0 {
			continue // a commit answered its jobs; pending is empty
		}
		if !g.dialect.retryable(err) || retries >= groupRetries {
			pending[failed].result <- err
			pending = append(pending[:failed], pending[failed+1:]...)
			continue
		}
		// A deadlock or a lost race: everything runs again, in the same
		// order (a citizen's pushes are filed in the order they came),
		// after a pause that lets the other transaction finish.
		retries++
		time.Sleep(time.Duration(retries*retries) * 5 * time.Millisecond)
	}
}

// attempt runs the pending jobs in one transaction, then the jobs waiting
// in the queue, and commits. When a job fails, the transaction is rolled
// back and attempt returns the jobs to run again in their order, that job
// among them at failed, and its error; failed is -1 when none did. Jobs that
// could not be run at all (no connection, a failed commit) are answered
// with the error here.
func (g *groupWriter) attempt(pending []*writeJob) (rest []*writeJob, failed int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	// READ COMMITTED: a statement that waited for another transaction's row
	// then sees that row, and inserts take no gap locks.
	tx, err := g.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		for _, job := range pending {
			job.result <- fmt.Errorf("begin: %w", err)
		}
		return nil, -1, nil
	}
	ran := make([]*writeJob, 0, len(pending))
	for i := 0; ; i++ {
		if i == len(pending) {
			pending = g.waiting(pending)
			if i == len(pending) {
				break
			}
		}
		job := pending[i]
		ok, err := job.run(&Tx{tx: tx, dialect: g.dialect, stmts: g.stmts})
		if !ok {
			continue // its caller gave up before it ran
		}
		if err != nil {
			_ = tx.Rollback()
			return append(ran, pending[i:]...), len(ran), err
		}
		ran = append(ran, job)
	}
	if len(ran) == 0 {
		_ = tx.Rollback()
		return nil, -1, nil
	}
	if err := tx.Commit(); err != nil {
		// Perhaps committed, perhaps not: not acknowledged either way, and
		// WeChat's retry finds the row if it was.
		for _, job := range ran {
			job.result <- fmt.Errorf("commit: %w", err)
		}
		return nil, -1, nil
	}
	for _, job := range ran {
		job.result <- nil
	}
	return nil, -1, nil
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
