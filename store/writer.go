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

// add runs job in the open transaction (beginning one if needed). A job
// that fails is answered with its error and the transaction rolled back;
// the jobs before it in the group, not yet answered, then run again in a
// new one, as the MySQL group writer does (groupwriter.go). Until
// 2026-12 each job ran in a savepoint of its own and was rolled back
// alone, but the SAVEPOINT and RELEASE around every job were two
// statements more a push on the one connection every write waits for,
// and a job almost never fails: a push, nearly all of the writer's work,
// fails only when the database does. Every job's function may run more
// than once (on MySQL a deadlock runs it again too); once its caller has
// given up it does not run again.
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
	err = job.fn(&Tx{tx: sqlTx{Tx: open}, dialect: w.dialect, stmts: w.stmts})
	job.mu.Unlock()
	if err == nil {
		return open, append(group, job)
	}
	job.result <- err
	// Whatever state the failure left the transaction in (SQLite rolls a
	// transaction back by itself after some errors), none of it is kept.
	_ = open.Rollback()
	var again []*writeJob
	open = nil
	for _, earlier := range group {
		open, again = w.add(open, again, earlier)
	}
	return open, again
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
