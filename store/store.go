// Package store keeps Mashang's data in SQL: MySQL (or MariaDB, TiDB) for a
// city, SQLite as the embedded default. The same SQL serves both wherever it
// can; what differs lives in dialect.go. Each file holds the statements of one
// kind of thing, written out in full.
package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "modernc.org/sqlite" // registers "sqlite"

	"mashang"
)

// Drivers Mashang speaks.
const (
	DriverSQLite = "sqlite"
	DriverMySQL  = "mysql"
)

// ErrClosed is returned by a store that was closed.
var ErrClosed = errors.New("store is closed")

// DB is an open store.
type DB struct {
	dialect dialect
	db      *sql.DB      // all reads, and every write on MySQL
	reads   *readPool    // MySQL only, optional: the replica the heavy reads go to
	writer  *writer      // SQLite only: the one connection that writes, committing in groups
	intake  *groupWriter // MySQL only: the callback's writes, committed in groups
	stmts   stmtCache
	// numbers (MySQL only) hands out case numbers, each in one statement
	// committed at once, on connections of its own: a transaction waiting
	// for its number never waits for a free connection of the pool its
	// fellow transactions fill.
	numbers *sql.DB
	// lanes (MySQL only) are the callback's group writer's connections,
	// with its statements prepared on them (laneStmts): the pages that
	// read much (a province's secretaries at their morning sitting) fill
	// the shared pool, and a push waiting for one of its connections
	// waited behind them — WeChat gives up after 5 s; a page's reader
	// waits on.
	lanes     *sql.DB
	laneStmts stmtCache
	// signInsPruned is the latest minute whose sign-ins cleared the counts
	// of minutes gone by (CountSignIn): once a minute, not at every
	// address's first attempt.
	signInsPruned atomic.Int64
}

// Open connects to the database, checks that it answers, and brings its
// schema up to date. The error says which part failed, without the password.
func Open(ctx context.Context, driver, dsn string) (*DB, error) {
	switch driver {
	case DriverSQLite:
		return openSQLite(ctx, dsn)
	case DriverMySQL:
		return openMySQL(ctx, dsn)
	}
	return nil, fmt.Errorf("unknown database driver %q: use sqlite or mysql", driver)
}

// Driver names the driver in use.
func (db *DB) Driver() string { return db.dialect.name() }

// Close stops the writer and closes the connections.
func (db *DB) Close() error {
	if db.writer != nil {
		db.writer.close() // closes its statements with its connection
	} else {
		if db.intake != nil {
			db.intake.close()
		}
		if db.lanes != nil {
			db.laneStmts.close()
			db.lanes.Close()
		}
		db.stmts.close()
	}
	if db.reads != nil {
		db.reads.db.Close()
	}
	if db.numbers != nil {
		db.numbers.Close()
	}
	return db.db.Close()
}

// Ping checks that the database answers (and, on a Galera cluster, that
// this node takes writes).
func (db *DB) Ping(ctx context.Context) error {
	if err := db.db.PingContext(ctx); err != nil {
		return err
	}
	return db.clusterReady(ctx)
}

func openSQLite(ctx context.Context, dsn string) (*DB, error) {
	full, walPath, err := sqliteDSN(dsn)
	if err != nil {
		return nil, err
	}
	readers := openSQLitePool(full)
	readers.SetMaxOpenConns(4)
	readers.SetConnMaxIdleTime(time.Minute)
	// The writer's statement journal stays in memory: a group's multi-row
	// INSERT (batch.go) can fail midway on a retry's key, so SQLite keeps
	// the pages it changes to undo it, and past 64 KiB — a group of some
	// thirty pushes — wrote them to a temporary file of its own, created
	// and removed for every group. The readers keep the default: their
	// sorts may be large.
	writeConn := openSQLitePool(full + "&_pragma=temp_store(memory)")
	// SQLite has one writer at a time; one connection that writes in groups
	// beats many that queue on the file lock.
	writeConn.SetMaxOpenConns(1)
	writeConn.SetMaxIdleConns(1)
	writeConn.SetConnMaxLifetime(0)
	if err := writeConn.PingContext(ctx); err != nil {
		readers.Close()
		writeConn.Close()
		path, _, _ := strings.Cut(dsn, "?")
		return nil, fmt.Errorf("open SQLite %s: %w", path, err)
	}
	db := &DB{dialect: sqliteDialect{}, db: readers}
	if err := migrate(ctx, writeConn, db.dialect); err != nil {
		readers.Close()
		writeConn.Close()
		return nil, err
	}
	stmts, err := prepareHot(ctx, writeConn, db.dialect)
	if err != nil {
		readers.Close()
		writeConn.Close()
		return nil, err
	}
	db.stmts = stmts
	db.writer = newWriter(writeConn, db.dialect, stmts, walPath)
	return db, nil
}

// sqliteDSN is dsn with the options every connection of the store needs,
// and the path of the database's write-ahead log ("" for one in memory).
// It makes the folder the file goes in.
func sqliteDSN(dsn string) (full, walPath string, err error) {
	if dsn == "" {
		return "", "", errors.New("no SQLite file given")
	}
	path, query, _ := strings.Cut(dsn, "?")
	if file := strings.TrimPrefix(path, "file:"); file != ":memory:" && file != "" {
		if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
			return "", "", fmt.Errorf("create the folder for %s: %w", file, err)
		}
		walPath = file + "-wal"
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return "", "", fmt.Errorf("read the SQLite options in %q: %w", dsn, err)
	}
	// WAL lets reads go on while the writer commits. synchronous=NORMAL
	// leaves the WAL fsync to the writer, which makes each commit durable
	// before answering anyone (see writer.go); these two are not negotiable.
	params.Set("_journal_mode", "WAL")
	params.Set("_synchronous", "NORMAL")
	defaults := map[string]string{
		"_busy_timeout": "10000",
		"_foreign_keys": "1",
		"_txlock":       "immediate",
		"_time_format":  "sqlite",
		"_timezone":     "UTC",
	}
	for k, v := range defaults {
		if !params.Has(k) {
			params.Set(k, v)
		}
	}
	return path + "?" + params.Encode(), walPath, nil
}

func openMySQL(ctx context.Context, dsn string) (*DB, error) {
	sqlDB, err := mysqlPool(ctx, dsn, 0)
	if err != nil {
		if sqlDB != nil {
			sqlDB.Close()
		}
		return nil, err
	}
	// Reads and the writes other than the callback's, whose lanes have
	// connections of their own (DB.lanes).
	sqlDB.SetMaxOpenConns(16)
	sqlDB.SetMaxIdleConns(16)
	cluster, err := detectGalera(ctx, sqlDB)
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	db := &DB{dialect: mysqlDialect{cluster: cluster}, db: sqlDB}
	if err := migrate(ctx, sqlDB, db.dialect); err != nil {
		sqlDB.Close()
		return nil, err
	}
	if db.stmts, err = prepareHot(ctx, sqlDB, db.dialect); err != nil {
		sqlDB.Close()
		return nil, err
	}
	if db.numbers, err = mysqlPool(ctx, dsn, 0); err != nil {
		if db.numbers != nil {
			db.numbers.Close()
		}
		db.stmts.close()
		sqlDB.Close()
		return nil, err
	}
	db.numbers.SetMaxOpenConns(4)
	db.numbers.SetMaxIdleConns(4)
	// The callback's lanes (lanes.go), maxLanes at most, each hold a
	// connection while their group runs.
	if db.lanes, err = mysqlPool(ctx, dsn, 0); err == nil {
		db.lanes.SetMaxOpenConns(maxLanes)
		db.lanes.SetMaxIdleConns(maxLanes)
		db.laneStmts, err = prepareHot(ctx, db.lanes, db.dialect)
	}
	if err != nil {
		if db.lanes != nil {
			db.lanes.Close()
		}
		db.numbers.Close()
		db.stmts.close()
		sqlDB.Close()
		return nil, err
	}
	db.intake = newGroupWriter(db.lanes, db.dialect, db.laneStmts, db.numbers, mysqlLanes)
	return db, nil
}

// Tx is one write transaction. Its methods implement the domain's *Tx
// interfaces, so the domain decides what happens and Tx only says it in SQL.
type Tx struct {
	tx      sqlTx
	dialect dialect
	stmts   stmtCache
	// conversation is what AwaitingReason read of the follower, for the
	// ConversationScene that follows it; nil once used or changed.
	conversation *conversationRead
	// recent is the conversation's latest open case, for the RecentCase
	// that follows ConversationScene; nil once used or changed.
	recent *recentRead
	// endsGroup: the job took a lock other new cases wait for (the day's
	// case count where it is a row, a deputy's notices), so its group
	// commits now, holding it while waiting for no other lock: groups then
	// never wait for each other in a circle over it, nor for the rest of a
	// group.
	endsGroup bool
	numbers   *sql.DB // DB.numbers
	// claimedFor is the citizen whose push this job claimed, while its
	// writes are held back in the group's batch (batch.go).
	claimedFor string
}

// update runs fn in a write transaction: on SQLite through the group-commit
// writer, on MySQL in a transaction of its own, retried on deadlock. The
// audit line the action's context carries (mashang.Audited) is written in
// the same transaction: if it fails, the action is undone.
func (db *DB) update(ctx context.Context, fn func(*Tx) error) error {
	pending := mashang.AuditPending(ctx)
	if pending == nil {
		return db.write(ctx, fn)
	}
	err := db.write(ctx, func(tx *Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return tx.audit(ctx, pending.Entry)
	})
	if err == nil {
		pending.MarkWritten()
	}
	return err
}

func (db *DB) write(ctx context.Context, fn func(*Tx) error) error {
	if db.writer != nil {
		return db.writer.do(ctx, fn)
	}
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err = db.updateOnce(ctx, fn)
		if !db.dialect.retryable(err) {
			return err
		}
	}
	return err
}

func (db *DB) updateOnce(ctx context.Context, fn func(*Tx) error) error {
	// READ COMMITTED, each connection's own level (mysqlPool).
	open, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&Tx{tx: sqlTx{Tx: open}, dialect: db.dialect, stmts: db.stmts, numbers: db.numbers}); err != nil {
		_ = open.Rollback()
		return err
	}
	if err := open.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// mysqlPool opens and pings a pool on a MySQL server as Mashang speaks to
// it: UTC, parsed times, matched rows counted. dial (0: 5 s) bounds
// connecting when the DSN does not say. A server that does not answer the
// ping is an error, with the pool (the caller's to close or keep).
func mysqlPool(ctx context.Context, dsn string, dial time.Duration) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("read the MySQL DSN: %w", err)
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.ClientFoundRows = true // "rows affected" then counts matched rows, as SQLite does
	// The driver escapes the bound values itself and sends one statement:
	// one round trip instead of prepare, execute and close for every
	// statement that is not prepared once. Safe with utf8mb4.
	cfg.InterpolateParams = true
	// Times go to the server with six decimals at most. The driver writes
	// Go's nine (time.Now's nanoseconds), which MariaDB takes for an
	// incorrect datetime ("Truncated incorrect datetime value", note
	// 1292) and then cannot use in an index's range: `ack_due <= now`
	// read every unacknowledged hand-over of a province on every console
	// page, `next_at <= now` every pending notice. MariaDB cut the same
	// digits when it compared, so no answer changes; DATETIME(3) columns
	// keep milliseconds either way. A DSN that sets timeTruncate keeps it.
	if !strings.Contains(dsn, "timeTruncate=") {
		if err := cfg.Apply(mysql.TimeTruncate(time.Microsecond)); err != nil {
			return nil, fmt.Errorf("read the MySQL DSN: %w", err)
		}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = cmp.Or(dial, 5*time.Second)
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	// A row lock is waited for 3 seconds, not MySQL's 50: a push is
	// answered within 4 (WeChat's 5, less a margin), and a statement whose
	// caller has gone goes on waiting on the server, holding the rows it
	// locked before, until that timeout; at a province's morning peak such
	// waits chained groups of pushes behind one another for 20 seconds and
	// more. A write that times out is run again (dialect.retryable). A DSN
	// that sets the variable keeps its own value.
	if _, set := cfg.Params["innodb_lock_wait_timeout"]; !set {
		cfg.Params["innodb_lock_wait_timeout"] = "3"
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("read the MySQL DSN: %w", err)
	}
	sqlDB := sql.OpenDB(connector)
	pingCtx, cancel := context.WithTimeout(ctx, cfg.Timeout+time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		return sqlDB, fmt.Errorf("cannot reach MySQL at %s (database %q, user %q): %w", cfg.Addr, cfg.DBName, cfg.User, err)
	}
	// Every write transaction runs READ COMMITTED (a statement that waited
	// for another transaction's row then sees that row, and inserts take no
	// gap locks). Made each connection's own level when it connects, the
	// transactions need no SET TRANSACTION before them: one round trip a
	// transaction fewer. MySQL 8 and MariaDB 11.1+ call the variable
	// transaction_isolation, MariaDB 10 only tx_isolation.
	variable := "transaction_isolation"
	var level string
	if err := sqlDB.QueryRowContext(pingCtx, `SELECT @@SESSION.transaction_isolation`).Scan(&level); err != nil {
		variable = "tx_isolation"
	}
	sqlDB.Close()
	cfg.Params[variable] = "'READ-COMMITTED'"
	if connector, err = mysql.NewConnector(cfg); err != nil {
		return nil, fmt.Errorf("read the MySQL DSN: %w", err)
	}
	sqlDB = sql.OpenDB(connector)
	sqlDB.SetMaxOpenConns(32)
	sqlDB.SetMaxIdleConns(32)
	sqlDB.SetConnMaxLifetime(30 * time.Minute)
	if err := sqlDB.PingContext(pingCtx); err != nil {
		return sqlDB, fmt.Errorf("cannot reach MySQL at %s (database %q, user %q): %w", cfg.Addr, cfg.DBName, cfg.User, err)
	}
	return sqlDB, nil
}
