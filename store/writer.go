package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"

	"mashang"
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

// groupTx is the open transaction and the group of jobs run in it. A
// group's pushes hold back their rows and their cases' new times and write
// them as one multi-row INSERT and one UPDATE before the commit (batch.go),
// as on MySQL: on the one connection every write waits for, a statement a
// push fewer is what the writer has to give.
type groupTx struct {
	sqlTx
	jobs []*writeJob
}

func (w *writer) run() {
	var (
		open    *groupTx // the transaction jobs are running in, and its jobs
		syncing bool     // the syncer has a group
	)
	jobs := w.jobs
	for jobs != nil || open != nil || syncing {
		select {
		case job, ok := <-jobs:
			if !ok {
				jobs = nil
				break
			}
			open = w.addArrived(open, w.arrived(job))
		case <-w.idle:
			syncing = false
		}
		if !syncing && open != nil {
			if open = w.written(open); open != nil {
				if err := open.Commit(); err != nil {
					for _, job := range open.jobs {
						job.result <- fmt.Errorf("commit: %w", err)
					}
				} else {
					w.synced <- open.jobs
					syncing = true
				}
			}
			open = nil
		}
	}
}

// add runs job in the open transaction (beginning one if needed, batched
// or not). A job that fails is answered with its error and the
// transaction rolled back; the jobs before it in the group, not yet
// answered, then run again in a new one, as the MySQL group writer does
// (groupwriter.go). Until 2026-12 each job ran in a savepoint of its own
// and was rolled back alone, but the SAVEPOINT and RELEASE around every
// job were two statements more a push on the one connection every write
// waits for, and a job almost never fails: a push, nearly all of the
// writer's work, fails only when the database does. When what the group
// held back fails as it is written (a retry of an earlier push among
// them, found by its key), the group and this job run again unbatched,
// where the retry is answered as before. Every job's function may run
// more than once (on MySQL a deadlock runs it again too); once its caller
// has given up it does not run again.
func (w *writer) add(open *groupTx, job *writeJob, batched bool) *groupTx {
	job.mu.Lock()
	if job.abandoned {
		job.mu.Unlock()
		job.result <- context.Canceled
		return open
	}
	if open == nil {
		var err error
		if open, err = w.begin(batched); err != nil {
			job.mu.Unlock()
			job.result <- err
			return nil
		}
	}
	err := job.fn(&Tx{tx: open.sqlTx, dialect: w.dialect, stmts: w.stmts})
	job.mu.Unlock()
	if b := open.batch; b != nil && b.err != nil {
		// The group's writes failed, not this job: whatever it answered,
		// it runs again with the group, unbatched.
		_ = open.Rollback()
		return w.again(append(open.jobs, job), false)
	}
	if err == nil {
		open.jobs = append(open.jobs, job)
		return open
	}
	job.result <- err
	// Whatever state the failure left the transaction in (SQLite rolls a
	// transaction back by itself after some errors), none of it is kept.
	_ = open.Rollback()
	return w.again(open.jobs, open.batch != nil)
}

// arrived is job and the jobs queued behind it, but those whose callers
// gave up before anything was written, which are answered.
func (w *writer) arrived(job *writeJob) []*writeJob {
	var jobs []*writeJob
	for {
		if err := job.ctx.Err(); err != nil {
			job.result <- err
		} else {
			jobs = append(jobs, job)
		}
		if len(jobs) == maxGroup {
			return jobs
		}
		var ok bool
		select {
		case job, ok = <-w.jobs:
			if !ok {
				return jobs // run() sees the queue closed on its next receive
			}
		default:
			return jobs
		}
	}
}

// addArrived runs the jobs that arrived together in the open transaction.
// Their citizens' conversations are read first in one statement (readAhead),
// which each push's own read then takes: on the one connection, a
// statement each was most of what the read cost. The pushes run before
// the other jobs (the search indexer's turn, a console's write): any other
// statement writes what the group holds back and drops what was read
// ahead. Jobs that arrive together come from callers each waiting for
// their own, so no caller's jobs change order.
func (w *writer) addArrived(open *groupTx, jobs []*writeJob) *groupTx {
	if len(jobs) > 1 {
		pushes := make([]*writeJob, 0, len(jobs))
		var others []*writeJob
		for _, job := range jobs {
			if _, ok := mashang.PushOf(job.ctx); ok {
				pushes = append(pushes, job)
			} else {
				others = append(others, job)
			}
		}
		jobs = append(pushes, others...)
		if open == nil {
			var err error
			if open, err = w.begin(true); err != nil {
				for _, job := range jobs {
					job.result <- err
				}
				return nil
			}
		}
		if open.batch != nil && open.batch.err == nil {
			if _, err := open.readAhead(context.Background(), jobs, w.dialect); err != nil {
				_ = open.Rollback()
				return w.again(append(open.jobs, jobs...), false)
			}
		}
	}
	for _, job := range jobs {
		open = w.add(open, job, true)
	}
	return open
}

func (w *writer) begin(batched bool) (*groupTx, error) {
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	open := &groupTx{sqlTx: sqlTx{Tx: tx}}
	if batched {
		open.batch = newWriteBatch(true)
	}
	return open, nil
}

// again runs jobs, not yet answered, in a new transaction.
func (w *writer) again(jobs []*writeJob, batched bool) *groupTx {
	var open *groupTx
	for _, job := range jobs {
		open = w.add(open, job, batched)
	}
	return open
}

// written writes what the group holds back, before its commit; if that
// fails, the group runs again unbatched (nil if none of it is left).
func (w *writer) written(open *groupTx) *groupTx {
	if open.flush(context.Background()) == nil {
		return open
	}
	_ = open.Rollback()
	return w.again(open.jobs, false)
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
