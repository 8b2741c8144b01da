package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"
)

// On a MariaDB Galera cluster every node takes writes, and two things work
// differently from one MySQL server:
//
//   - Row locks are local to a node. SELECT … FOR UPDATE (and SKIP LOCKED)
//     keeps a second transaction on the same node waiting, but not one on
//     another node. What Galera compares between nodes, at commit, is the
//     rows each transaction wrote: of two that wrote one row the first to
//     commit wins, and the other fails certification with 1213 (deadlock),
//     or is aborted by the winner's arriving write set with the same error.
//   - A node cut off from the cluster's majority, or still joining, refuses
//     statements with 1047 (WSREP has not yet prepared node for application
//     use) until it is back.
//
// So where a transaction serialises on a row it only reads, on a cluster it
// writes the row (lockWritten). The claim of the outbox already writes the
// rows it claims, so two nodes cannot both claim one notification. Both
// errors are retried as deadlocks are (dialect.retryable): a failed
// certification committed nothing, so running the transaction again
// stores a push once and acknowledges it once.

const (
	// mysqlWsrepNotReady is ER_UNKNOWN_COM_ERROR, what a Galera node that is
	// not part of the primary component answers.
	mysqlWsrepNotReady = 1047
)

// isWsrepNotReady reports a Galera node not ready to serve.
func isWsrepNotReady(err error) bool {
	var e *mysql.MySQLError
	return errors.As(err, &e) && e.Number == mysqlWsrepNotReady
}

// detectGalera says whether the server is a node of a Galera cluster
// (wsrep on). MySQL has no wsrep_on variable: not a cluster.
func detectGalera(ctx context.Context, db *sql.DB) (bool, error) {
	var name, value string
	err := db.QueryRowContext(ctx, `SHOW VARIABLES LIKE 'wsrep_on'`).Scan(&name, &value)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ask whether MySQL is a Galera node: %w", err)
	}
	return value == "ON", nil
}

// lockWritten makes a lock the transaction takes on one row of table
// (followers or mp_users, keyed by openid) hold across a Galera cluster, by
// writing the row: see the migration 00049. Elsewhere it does nothing; the
// caller's locking read is the lock. A row that does not exist is not
// written, as a locking read of it locks nothing either.
func (tx *Tx) lockWritten(ctx context.Context, table, openid string) error {
	if !tx.dialect.galera() {
		return nil
	}
	// The table is one of two constants; the key is bound.
	if _, err := tx.tx.ExecContext(ctx, `UPDATE `+table+` SET lock_serial = lock_serial + 1 WHERE openid = ?`, openid); err != nil {
		return fmt.Errorf("lock %s row on the cluster: %w", table, err)
	}
	return nil
}

// clusterReady checks, on a Galera node, that the node is part of the
// cluster's primary component. A node cut off from the majority still
// answers a ping but refuses every statement (1047): its instance must
// fail readiness, so that the load balancer sends pushes elsewhere.
func (db *DB) clusterReady(ctx context.Context) error {
	if !db.dialect.galera() {
		return nil
	}
	var name, value string
	if err := db.db.QueryRowContext(ctx, `SHOW STATUS LIKE 'wsrep_ready'`).Scan(&name, &value); err != nil {
		return fmt.Errorf("ask the Galera node whether it is ready: %w", err)
	}
	if value != "ON" {
		return errors.New("the Galera node is not part of the cluster's primary component (wsrep_ready OFF): it refuses writes until it rejoins")
	}
	return nil
}
