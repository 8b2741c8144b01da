package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// writer owns SQLite's single write connection and commits in groups: the
// jobs that arrive while one commit is being made durable are run together in
// the next transaction, so one fsync serves many callbacks. A job's caller is
// answered only after the commit that holds its writes.
type writer struct {
	db      *sql.DB
	dialect dialect
	jobs    chan *writeJob

	mu     sync.RWMutex // guards closed against sends on a closed channel
	closed bool
	done   chan struct{}
}

type writeJob struct {
	ctx    context.Context
	fn     func(*Tx) error
	result chan error
}

// maxGroup bounds a group so one commit's latency stays small.
const maxGroup = 256

func newWriter(db *sql.DB, d dialect) *writer {
	w := &writer{db: db, dialect: d, jobs: make(chan *writeJob, maxGroup), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *writer) do(ctx context.Context, fn func(*Tx) error) error {
	job := &writeJob{ctx: ctx, fn: fn, result: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return ErrClosed
	}
	select {
	case w.jobs <- job:
		w.mu.RUnlock()
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	// Wait for the commit even if ctx ends meanwhile: the caller must learn
	// whether its writes were stored, never guess.
	return <-job.result
}

func (w *writer) close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	close(w.jobs)
	w.mu.Unlock()
	<-w.done
	w.db.Close()
}

func (w *writer) run() {
	defer close(w.done)
	group := make([]*writeJob, 0, maxGroup)
	for first := range w.jobs {
		group = append(group[:0], first)
	gather:
		for len(group) < maxGroup {
			select {
			case job, ok := <-w.jobs:
				if !ok {
					break gather
				}
				group = append(group, job)
			default:
				break gather
			}
		}
		w.commit(group)
	}
}

// commit runs a group in one transaction. If anything in it fails, the group
// is rolled back and each job runs again alone, so one bad job fails only
// itself.
func (w *writer) commit(group []*writeJob) {
	live := group[:0:0]
	for _, job := range group {
		if err := job.ctx.Err(); err != nil {
			job.result <- err // gave up before anything was written
			continue
		}
		live = append(live, job)
	}
	if len(live) == 0 {
		return
	}
	err := w.runTx(live)
	if err == nil || len(live) == 1 {
		for _, job := range live {
			job.result <- err
		}
		return
	}
	for _, job := range live {
		job.result <- w.runTx([]*writeJob{job})
	}
}

func (w *writer) runTx(jobs []*writeJob) error {
	// The group's transaction is not tied to any one caller's context: one
	// caller giving up must not roll back the others.
	ctx := context.Background()
	sqlTx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, dialect: w.dialect}
	for _, job := range jobs {
		if err := job.fn(tx); err != nil {
			_ = sqlTx.Rollback()
			return err
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
