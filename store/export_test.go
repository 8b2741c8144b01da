package store

import (
	"context"
	"database/sql"
	"time"

	"mashang"
)

// SetSearchWindow sets how many of the newest cases a text search checks
// before it asks the index, for a test to exercise both; it gives the
// previous value back.
func SetSearchWindow(n int) int {
	old := searchWindow
	searchWindow = n
	return old
}

// CountInAWrite counts the rows of table twice inside one write
// transaction, running between after the first count: a test of the
// transactions' isolation level.
func (db *DB) CountInAWrite(ctx context.Context, table string, between func()) (first, second int, err error) {
	err = db.updateOnce(ctx, func(tx *Tx) error {
		if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&first); err != nil {
			return err
		}
		between()
		return tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&second)
	})
	return first, second, err
}

// IndexedCases lists the cases the full-text index alone finds text in:
// neither the pending texts nor the LIKE re-check.
func (db *DB) IndexedCases(ctx context.Context, text string) ([]int64, error) {
	index, args := db.dialect.textIndex(text)
	return scanAll(ctx, db.db, func(row scanner) (int64, error) {
		var id int64
		return id, row.Scan(&id)
	}, `SELECT DISTINCT found.case_id FROM (`+index+`) found ORDER BY 1`, args...)
}

// PausedIntake holds the pushes of a store until the test runs them as
// one group, as its lanes (MySQL) or its writer (SQLite) would when they
// arrive together.
type PausedIntake struct {
	db     *DB
	old    *groupWriter
	paused *groupWriter
	// SQLite: a job holds the writer until released, and the pushes queue
	// behind it.
	release chan struct{}
	held    chan error
}

// PauseIntake replaces db's group writer (MySQL) with one that has no
// lanes, or holds SQLite's writer with a job of its own: pushes queue
// until Run.
func (db *DB) PauseIntake() *PausedIntake {
	if db.intake == nil {
		p := &PausedIntake{db: db, release: make(chan struct{}), held: make(chan error, 1)}
		running := make(chan struct{})
		go func() {
			p.held <- db.writer.do(context.Background(), func(*Tx) error {
				close(running)
				<-p.release
				return nil
			})
		}()
		<-running
		return p
	}
	p := &PausedIntake{db: db, old: db.intake, paused: newGroupWriter(db.db, db.dialect, db.stmts, db.numbers, 0)}
	db.intake = p.paused
	return p
}

// Queued is how many pushes wait.
func (p *PausedIntake) Queued() int {
	if p.paused == nil {
		return len(p.db.writer.jobs)
	}
	return len(p.paused.jobs)
}

// Run files every push waiting as one group.
func (p *PausedIntake) Run() {
	if p.paused == nil {
		close(p.release)
		return
	}
	p.paused.group(<-p.paused.jobs)
}

// Resume gives the store its lanes back, once no push is being sent.
func (p *PausedIntake) Resume() {
	if p.paused == nil {
		if err := <-p.held; err != nil {
			panic(err)
		}
		return
	}
	p.db.intake = p.old
}

// CallbackLanes is how many lanes the MySQL group writer runs now, and how
// many it has added since the store opened.
func (db *DB) CallbackLanes() (running int, added int64) {
	return db.intake.lanes.alive(), db.intake.lanes.added.Load()
}

// alive is how many lanes run now.
func (l *laneSet) alive() (n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range l.lanes {
		if l.lanes[i].alive {
			n++
		}
	}
	return n
}

// InboxPageQuery is the statement (and its arguments) that reads the IDs
// of an inbox page for r and f, for a test to ask the database its plan.
func (db *DB) InboxPageQuery(r mashang.Reach, f mashang.CaseFilter) (string, []any) {
	return db.pageIDsQuery(db.dialect, r, f, 50)
}

// HoldSharedConnections begins transactions on the shared pool (pages'
// reads, writes other than the callback's) until it has no connection left
// to give (256 at most), and keeps them until release; it says how many it
// holds.
func (db *DB) HoldSharedConnections() (held int, release func()) {
	var txs []*sql.Tx
	release = func() {
		for _, tx := range txs {
			_ = tx.Rollback()
		}
	}
	for limit := db.db.Stats().MaxOpenConnections; len(txs) < 256 && (limit == 0 || db.db.Stats().InUse < limit); {
		tx, err := db.db.BeginTx(context.Background(), nil)
		if err != nil {
			break
		}
		txs = append(txs, tx)
	}
	return len(txs), release
}

// PendingMediaQuery is the statement (and its arguments) PendingMedia runs.
func PendingMediaQuery(since time.Time, maxAttempts, limit int) (string, []any) {
	return selectPendingMedia, []any{maxAttempts, since.UTC(), limit}
}

// Pool is the store's own connection pool (on MySQL, as mysqlPool
// configures it), for a test of what the server makes of its statements.
func (db *DB) Pool() *sql.DB { return db.db }

// HandWriter is SQLite's writer driven by the test on a connection of its
// own: the pushes its Store takes wait until the test runs them, in the
// arrivals it chooses, in one transaction, and commits it.
type HandWriter struct {
	w     *writer
	open  *groupTx
	queue chan *writeJob
}

// NewHandWriter writes to the migrated SQLite database at dsn, on a
// connection of its own opened as the store opens its writer's.
func NewHandWriter(dsn string) (*HandWriter, error) {
	full, _, err := sqliteDSN(dsn)
	if err != nil {
		return nil, err
	}
	conn := openSQLitePool(full)
	conn.SetMaxOpenConns(1)
	return &HandWriter{w: &writer{db: conn, dialect: sqliteDialect{}}, queue: make(chan *writeJob, maxGroup)}, nil
}

// Close closes its connection.
func (h *HandWriter) Close() error { return h.w.db.Close() }

// UpdateIntake queues fn and waits until the test has run and committed
// it (mashang.IntakeStore).
func (h *HandWriter) UpdateIntake(ctx context.Context, fn func(mashang.IntakeTx) error) error {
	job := &writeJob{ctx: ctx, fn: func(tx *Tx) error { return fn(tx) }, result: make(chan error, 1)}
	h.queue <- job
	return <-job.result
}

// Write queues a job that is not a push, as the search indexer's turn or
// a console's write is, which counts the messages its transaction sees
// when it runs; the count comes once the test has committed it.
func (h *HandWriter) Write(ctx context.Context) <-chan int {
	counted := make(chan int, 1)
	var n int
	job := &writeJob{ctx: ctx, result: make(chan error, 1), fn: func(tx *Tx) error {
		return tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbound_messages`).Scan(&n)
	}}
	h.queue <- job
	go func() {
		if <-job.result != nil {
			n = -1
		}
		counted <- n
	}()
	return counted
}

// Queued is how many jobs wait.
func (h *HandWriter) Queued() int { return len(h.queue) }

// Arrive runs the n pushes waiting as the writer runs the pushes it finds
// queued together.
func (h *HandWriter) Arrive(n int) {
	jobs := make([]*writeJob, n)
	for i := range jobs {
		jobs[i] = <-h.queue
	}
	h.open = h.w.addArrived(h.open, jobs)
}

// Commit writes what the group holds back, commits, and answers its
// pushes.
func (h *HandWriter) Commit() error {
	open := h.w.written(h.open)
	h.open = nil
	if open == nil {
		return nil
	}
	err := open.Commit()
	for _, job := range open.jobs {
		job.result <- err
	}
	return err
}
