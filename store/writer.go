package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
)

// writer owns SQLite's single write connection and commits in groups.
//
// Durability is pipelined. The connection commits with synchronous=NORMAL,
// which writes the WAL frames but does not wait for the disk; a second
// goroutine (the syncer) then fsyncs the WAL file, and a group's callers are
// answered only after that fsync. So nothing is acknowledged before it is on
// disk, as with synchronous=FULL. A checkpoint in NORMAL mode syncs the WAL
// before copying it, so frames never reach the database file unsynced.
//
// While the syncer works, jobs keep running in the next open transaction;
// the moment the syncer is free, that transaction commits and is handed over. A group
// is therefore everything that arrived during one fsync: one commit and one
// fsync per group, and under no load a job commits at once.
type writer struct {
	jobQueue
	db      *sql.DB
	dialect dialect
	stmts   stmtCache
	synced  chan []*writeJob // a committed group, for the syncer
	idle    chan struct{}    // the syncer finished a group
	walPath string           // "" for a database without a file
	done    chan struct{}
}

// jobQueue hands write jobs to the goroutines that run them in groups
// (writer on SQLite, groupWriter on MySQL) and waits for their answer.
type jobQueue struct {
	jobs   chan *writeJob
	mu     sync.RWMutex // guards closed against sends on a closed channel
	closed bool
}

type writeJob struct {
	ctx    context.Context
	fn     func(*Tx) error
	result chan error

	// mu is held while fn runs; a caller that gives up takes it to set
	// abandoned, after which fn never runs: fn writes to the caller's
	// variables.
	mu        sync.Mutex
	abandoned bool
}

// maxGroup bounds a group so one commit's latency stays small.
const maxGroup = 256

func newWriter(db *sql.DB, d dialect, stmts stmtCache, walPath string) *writer {
	w := &writer{
		db: db, dialect: d, stmts: stmts, walPath: walPath,
		jobQueue: jobQueue{jobs: make(chan *writeJob, maxGroup)},
		synced:   make(chan []*writeJob, 1),
		idle:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	syncerDone := make(chan struct{})
	go w.syncLoop(syncerDone)
	go func() {
		w.run()
		close(w.synced)
		<-syncerDone
		close(w.done)
	}()
	return w
}

func (q *jobQueue) do(ctx context.Context, fn func(*Tx) error) error {
	job := &writeJob{ctx: ctx, fn: fn, result: make(chan error, 1)}
	q.mu.RLock()
	if q.closed {
		q.mu.RUnlock()
		return ErrClosed
	}
	select {
	case q.jobs <- job:
		q.mu.RUnlock()
	case <-ctx.Done():
		q.mu.RUnlock()
		return ctx.Err()
	}
	// A caller that stops waiting is told so, and treats it as "not stored"
	// (the callback answers 5xx). What the job wrote may still commit; that
	// is safe, since the caller's retry then finds it.
	select {
	case err := <-job.result:
		return err
	case <-ctx.Done():
	}
	job.mu.Lock()
	job.abandoned = true
	job.mu.Unlock()
	return fmt.Errorf("waiting for the write: %w", ctx.Err())
}

// shut closes the queue; false if it was closed already.
func (q *jobQueue) shut() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.closed = true
	close(q.jobs)
	return true
}

func (w *writer) close() {
	if !w.shut() {
		return
	}
	<-w.done
	w.stmts.close()
	w.db.Close()
}

func (w *writer) run() {
	var (
		open    *sql.Tx     // the transaction jobs are running in
		group   []*writeJob // the jobs in it
		syncing bool        // the syncer has a group
	)
	jobs := w.jobs
	for jobs != nil || len(group) > 0 || syncing {
		select {
		case job, ok := <-jobs:
			if !ok {
				jobs = nil
				break
			}
			if err := job.ctx.Err(); err != nil {
				job.result <- err // gave up before anything was written
				break
			}
			open, group = w.add(open, group, job)
		case <-w.idle:
			syncing = false
		}
		if !syncing && len(group) > 0 {
			if err := open.Commit(); err != nil {
				for _, job := range group {
					job.result <- fmt.Errorf("commit: %w", err)
				}
			} else {
				w.synced <- group
				syncing = true
			}
			open, group = nil, nil
		}
	}
	if open != nil {
		_ = open.Rollback()
	}
}

// add runs job in the open transaction (beginning one if needed), inside a
// savepoint of its own: a job that fails is rolled back alone and answered,
// and the jobs before it stay in the group, run once. Should rolling back
// to the savepoint fail, SQLite has lost the transaction, and the whole
// group is answered with that error.
func (w *writer) add(open *sql.Tx, group []*writeJob, job *writeJob) (*sql.Tx, []*writeJob) {
	job.mu.Lock()
	if job.abandoned {
		job.mu.Unlock()
		job.result <- context.Canceled
		return open, group
	}
	var err error
	if open == nil {
		if open, err = w.db.BeginTx(context.Background(), nil); err != nil {
			job.mu.Unlock()
			job.result <- fmt.Errorf("begin: %w", err)
			return nil, group
		}
	}
	err = w.runInSavepoint(open, job)
	job.mu.Unlock()
	if err == nil {
		return open, append(group, job)
	}
	job.result <- err
	if len(group) == 0 {
		// Nothing else in the transaction: end it rather than keep
		// SQLite's write lock while no job is waiting.
		_ = open.Rollback()
		return nil, nil
	}
	_, lost := open.Exec(`ROLLBACK TO job`)
	if lost == nil {
		if _, lost = open.Exec(`RELEASE job`); lost == nil {
			return open, group
		}
	}
	_ = open.Rollback()
	for _, earlier := range group {
		earlier.result <- fmt.Errorf("the transaction was lost: %w", lost)
	}
	return nil, nil
}

// runInSavepoint runs a job's function in a savepoint that is released
// when it succeeds and left open (for ROLLBACK TO) when it fails.
func (w *writer) runInSavepoint(open *sql.Tx, job *writeJob) error {
	if _, err := open.Exec(`SAVEPOINT job`); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := job.fn(&Tx{tx: sqlTx{Tx: open}, dialect: w.dialect, stmts: w.stmts}); err != nil {
		return err
	}
	if _, err := open.Exec(`RELEASE job`); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// syncLoop makes each committed group durable and answers its callers.
func (w *writer) syncLoop(done chan<- struct{}) {
	defer close(done)
	var wal *os.File
	defer func() {
		if wal != nil {
			wal.Close()
		}
	}()
	for group := range w.synced {
		var err error
		wal, err = w.syncWAL(wal)
		if err != nil {
			// Committed but perhaps not on disk: say so, so the callback
			// answers 5xx; WeChat's retry finds the row and answers it.
			err = fmt.Errorf("sync the write-ahead log: %w", err)
		}
		for _, job := range group {
			job.result <- err
		}
		w.idle <- struct{}{}
	}
}

// syncWAL makes the WAL file's contents durable, reopening it if SQLite
// replaced it.
func (w *writer) syncWAL(wal *os.File) (*os.File, error) {
	if w.walPath == "" {
		return nil, nil
	}
	if wal != nil {
		if same, err := sameFile(wal, w.walPath); err != nil || !same {
			wal.Close()
			wal = nil
		}
	}
	if wal == nil {
		f, err := os.Open(w.walPath)
		if err != nil {
			return nil, err
		}
		wal = f
	}
	return wal, fdatasync(wal)
}

func sameFile(f *os.File, path string) (bool, error) {
	open, err := f.Stat()
	if err != nil {
		return false, err
	}
	named, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	return os.SameFile(open, named), nil
}
