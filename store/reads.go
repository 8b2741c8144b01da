package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// The console's heavy reads (the inbox and its search, the figures, the
// exports) may go to a replica (MASHANG_DB_READ_DSN): a MariaDB/MySQL
// replica of the primary, or another Galera node. Everything else, every
// write and every read a write depends on, stays on the primary. The domain
// does not know: the store chooses the pool for each heavy read.
//
// A replica lags. Whoever just acted must see what they did, so a request
// marked OnPrimary (the handlers mark the pages a person opens shortly after
// acting) reads the primary. Others may read a page a second or two old.
//
// A replica that cannot be reached is not waited for: the read runs on the
// primary, the log says so once, and the replica is tried again after
// replicaRetry.

// replicaRetry is how long a replica that failed is left alone.
const replicaRetry = 10 * time.Second

// readPool is the replica's pool and whether it is to be used.
type readPool struct {
	db  *sql.DB
	log *slog.Logger

	mu        sync.Mutex
	downUntil time.Time // zero: in use
}

// OpenReads sends the heavy reads to the replica at dsn. A replica that
// does not answer now is not a reason to stay down: it is logged and left
// alone for a while, as one that fails later is. Only MySQL has replicas;
// a DSN that cannot be read is an error.
func (db *DB) OpenReads(ctx context.Context, dsn string, log *slog.Logger) error {
	if db.dialect.name() != DriverMySQL {
		return errors.New("a read replica (MASHANG_DB_READ_DSN) needs MySQL or MariaDB (MASHANG_DB_DRIVER=mysql)")
	}
	// A replica that does not answer within a second is taken for down:
	// the primary answers meanwhile.
	pool, err := mysqlPool(ctx, dsn, time.Second)
	if pool == nil {
		return fmt.Errorf("read replica: %w", err)
	}
	if db.reads != nil {
		db.reads.db.Close()
	}
	db.reads = &readPool{db: pool, log: log}
	if err != nil {
		db.reads.failed(err)
	}
	return nil
}

type primaryKey struct{}

// OnPrimary marks ctx's reads for the primary: the reads of someone who has
// just acted, who must see what they did whatever the replica's lag.
func OnPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, primaryKey{}, true)
}

func onPrimary(ctx context.Context) bool {
	v, _ := ctx.Value(primaryKey{}).(bool)
	return v
}

// heavy is where a heavy read of ctx goes: the replica when there is one,
// it is up, and ctx is not marked OnPrimary; else the primary.
func (db *DB) heavy(ctx context.Context) sqlQuerier {
	if db.reads == nil || onPrimary(ctx) || !db.reads.usable(time.Now()) {
		return db.db
	}
	return routed{replica: db.reads, primary: db.db}
}

func (p *readPool) usable(now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.downUntil.IsZero() {
		return true
	}
	if now.Before(p.downUntil) {
		return false
	}
	p.downUntil = time.Time{}
	p.log.Info("trying the read replica again (MASHANG_DB_READ_DSN)")
	return true
}

// failed notes that the replica did not answer, and says so once.
func (p *readPool) failed(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.downUntil.IsZero() {
		return
	}
	p.downUntil = time.Now().Add(replicaRetry)
	p.log.Warn("the read replica (MASHANG_DB_READ_DSN) failed; the console reads from the primary for now",
		"err", err, "retry_in", replicaRetry.String())
}

// routed reads from the replica and, when the replica fails, from the
// primary: a page is never lost to a replica that went away.
type routed struct {
	replica *readPool
	primary *sql.DB
}

func (r routed) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := r.replica.db.QueryContext(ctx, query, args...)
	if err == nil || ctx.Err() != nil || !replicaFault(err) {
		return rows, err
	}
	r.replica.failed(err)
	return r.primary.QueryContext(ctx, query, args...)
}

// QueryRowContext cannot retry (its error comes with Scan): it reads the
// replica while the replica is in use, and QueryContext's failures or the
// next page move it to the primary.
func (r routed) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return r.replica.db.QueryRowContext(ctx, query, args...)
}

// replicaFault says whether err is the replica's, not the query's: a
// connection that failed, or a server that refuses (a table not yet there
// on a replica behind on migrations, a replica read-only or shutting down).
// The primary then runs the same query; if the query itself was wrong it
// fails there too, with the primary's error.
func replicaFault(err error) bool {
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return my.Number != 1064 // a syntax error is the query's own
	}
	return true
}
