package store

import (
	"context"
	"errors"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds what MySQL and SQLite say differently. Keep it small: every
// statement that can be written once is written once.
type dialect interface {
	name() string
	// isUniqueViolation reports a unique or primary key conflict.
	isUniqueViolation(err error) bool
	// retryable reports an error after which the whole transaction can run again.
	retryable(err error) bool
	// forUpdate is appended to a SELECT that reads a row it will change.
	forUpdate() string
	// casesFirst follows SELECT to make the planner walk cases in the
	// written order (by ID, newest first) rather than station by station
	// and then sort them all: MySQL's choice on a city's million cases.
	casesFirst() string
	// skipLocked is appended to a SELECT that claims work: rows another
	// transaction holds are passed over, not waited for.
	skipLocked() string
	// noteGrows is the expression of a search note saying its text was
	// only inserted since it was last indexed (MySQL's postings add its
	// pairs to the case's, migration 00055; FTS5 indexes a text alone).
	noteGrows() string
	// chinaMonth is the China-time month (YYYY-MM) of a UTC timestamp
	// column. China keeps no daylight saving time: eight hours ahead, always.
	chinaMonth(column string) string
	// textIndex is the query of the case IDs the full-text index
	// (SQLite's FTS5 case_search, migration 00045; MySQL's case_postings,
	// 00053) finds text in, a superset of the indexed cases that contain
	// it; "" when the index cannot serve a query that short.
	textIndex(text string) (string, []any)
	// indexNotes brings the index up to the texts of the claimed notes
	// and removes the notes (searchindex.go, searchpostings.go).
	indexNotes(ctx context.Context, tx *Tx, notes []searchNote) error
	// galera reports a node of a Galera cluster, whose row locks hold on
	// that node only (galera.go).
	galera() bool
}

type sqliteDialect struct{}

func (sqliteDialect) name() string { return DriverSQLite }

func (sqliteDialect) isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func (sqliteDialect) retryable(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code()&0xff == sqlite3.SQLITE_BUSY || e.Code()&0xff == sqlite3.SQLITE_LOCKED)
}

// SQLite has one writer at a time, so what it reads inside a write
// transaction cannot change under it.
func (sqliteDialect) forUpdate() string { return "" }

func (sqliteDialect) casesFirst() string { return "" } // SQLite already walks the primary key

func (sqliteDialect) skipLocked() string { return "" }

func (sqliteDialect) noteGrows() string { return "0" }

func (sqliteDialect) galera() bool { return false }

func (sqliteDialect) chinaMonth(column string) string {
	return "strftime('%Y-%m', " + column + ", '+8 hours')"
}

type mysqlDialect struct {
	cluster bool // a Galera node
}

func (d mysqlDialect) galera() bool { return d.cluster }

func (mysqlDialect) name() string { return DriverMySQL }

const (
	mysqlDuplicateEntry  = 1062
	mysqlLockWaitTimeout = 1205
	mysqlDeadlock        = 1213
)

func (mysqlDialect) isUniqueViolation(err error) bool {
	var e *mysql.MySQLError
	return errors.As(err, &e) && e.Number == mysqlDuplicateEntry
}

func (mysqlDialect) retryable(err error) bool {
	if errors.Is(err, errConflictRetry) {
		return true
	}
	var e *mysql.MySQLError
	// A Galera certification failure is a deadlock (1213) too.
	return errors.As(err, &e) && (e.Number == mysqlDeadlock || e.Number == mysqlLockWaitTimeout) || isWsrepNotReady(err)
}

func (mysqlDialect) forUpdate() string { return " FOR UPDATE" }

func (mysqlDialect) casesFirst() string { return "STRAIGHT_JOIN " }

// MySQL 8 and MariaDB 10.6 have SKIP LOCKED.
func (mysqlDialect) skipLocked() string { return " FOR UPDATE SKIP LOCKED" }

func (mysqlDialect) noteGrows() string { return "grows" }

func (mysqlDialect) chinaMonth(column string) string {
	return "DATE_FORMAT(" + column + " + INTERVAL 8 HOUR, '%Y-%m')"
}

// errConflictRetry marks a race lost to a concurrent transaction (two
// inserts of the same new row); running the transaction again resolves it.
var errConflictRetry = errors.New("lost an insert race; retry")
