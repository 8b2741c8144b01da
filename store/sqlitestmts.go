package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"

	"modernc.org/sqlite"
)

// SQLite compiles every statement it is given: a statement that fires
// triggers compiles their programs too. database/sql prepares afresh for
// every call that is not a *sql.Stmt, so on the single writer, which does
// every write of the service one after another, compiling was a tenth of
// its time (a new case's INSERT compiles the tallies, wall and search
// triggers each time). Each SQLite connection therefore keeps the
// statements it has run, prepared, and runs them again with new values.
// stmtCache (stmts.go) stays for MySQL's callback path; here every
// statement is kept, up to maxKeptStatements a connection.

const maxKeptStatements = 512

// openSQLitePool is sql.Open("sqlite", dsn) with connections that keep
// their statements.
func openSQLitePool(dsn string) *sql.DB {
	return sql.OpenDB(keepingConnector{dsn: dsn})
}

type keepingConnector struct{ dsn string }

func (c keepingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := (&sqlite.Driver{}).Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &keepingConn{conn: conn, kept: map[string]*keptStmt{}}, nil
}

func (c keepingConnector) Driver() driver.Driver { return &sqlite.Driver{} }

// keepingConn is a SQLite connection with its statements kept. database/sql
// uses a connection from one goroutine at a time, so it needs no lock; a
// statement still being read (its rows open) is not run again meanwhile:
// that call prepares a statement of its own, as without keeping.
type keepingConn struct {
	conn driver.Conn
	kept map[string]*keptStmt
}

type keptStmt struct {
	stmt driver.Stmt
	busy bool
}

// keepable: one statement that reads or changes rows (the driver runs a
// script of several statements differently), nothing that changes the
// schema or a transaction's state.
func keepable(query string) bool {
	q := strings.TrimSpace(query)
	q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
	if strings.Contains(q, ";") {
		return false
	}
	head, _, _ := strings.Cut(q, " ")
	switch strings.ToUpper(head) {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "REPLACE":
		return true
	}
	return false
}

// statement is the kept statement for query, prepared now if new; nil when
// it cannot be kept or is in use.
func (c *keepingConn) statement(ctx context.Context, query string) (*keptStmt, error) {
	if k, ok := c.kept[query]; ok {
		if k.busy {
			return nil, nil
		}
		return k, nil
	}
	if !keepable(query) {
		return nil, nil
	}
	stmt, err := c.conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if len(c.kept) >= maxKeptStatements {
		for q, k := range c.kept { // any one: Go's map order is random
			if !k.busy {
				_ = k.stmt.Close()
				delete(c.kept, q)
				break
			}
		}
	}
	k := &keptStmt{stmt: stmt}
	c.kept[query] = k
	return k, nil
}

func (c *keepingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	k, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return c.conn.(driver.ExecerContext).ExecContext(ctx, query, args)
	}
	k.busy = true
	defer func() { k.busy = false }()
	return k.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *keepingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	k, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return c.conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	}
	rows, err := k.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	k.busy = true
	return &keptRows{Rows: rows, stmt: k}, nil
}

// keptRows frees its statement for the next call once read.
type keptRows struct {
	driver.Rows
	stmt *keptStmt
}

func (r *keptRows) Close() error {
	r.stmt.busy = false
	return r.Rows.Close()
}

func (c *keepingConn) Prepare(query string) (driver.Stmt, error) { return c.conn.Prepare(query) }

func (c *keepingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *keepingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *keepingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *keepingConn) Ping(ctx context.Context) error { return c.conn.(driver.Pinger).Ping(ctx) }

func (c *keepingConn) ResetSession(ctx context.Context) error {
	return c.conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *keepingConn) IsValid() bool { return c.conn.(driver.Validator).IsValid() }

func (c *keepingConn) Close() error {
	for q, k := range c.kept {
		_ = k.stmt.Close()
		delete(c.kept, q)
	}
	return c.conn.Close()
}
