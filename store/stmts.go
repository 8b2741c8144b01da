package store

import (
	"context"
	"database/sql"
	"fmt"
)

// stmtCache holds the callback path's statements, prepared once. Parsing a
// 28-column INSERT on every callback cost SQLite's single writer more than
// the insert itself; on MySQL a prepared statement also saves the driver's
// prepare-execute-close round trips.
//
// They are prepared at open, outside any transaction: SQLite's writer has one
// connection, and preparing while a transaction holds it would wait for
// itself. A query not in the cache simply runs unprepared.
type stmtCache map[string]*sql.Stmt

// hotQueries lists the statements of the callback path, as this dialect
// spells them.
func hotQueries(d dialect) []string {
	return []string{insertInbound, selectEarlierReply, selectFollower + d.forUpdate(), selectStation, selectDeputy,
		fileInbound, selectConversation + d.forUpdate(), selectRecentCase, countCitizenCases, touchCase, insertCaseEvent,
		selectAwaitingReason, selectConversationAwaiting + d.forUpdate()}
}

func prepareHot(ctx context.Context, db *sql.DB, d dialect) (stmtCache, error) {
	c := stmtCache{}
	for _, q := range hotQueries(d) {
		stmt, err := db.PrepareContext(ctx, q)
		if err != nil {
			c.close()
			return nil, fmt.Errorf("prepare statement: %w", err)
		}
		c[q] = stmt
	}
	return c, nil
}

func (c stmtCache) close() {
	for _, s := range c {
		s.Close()
	}
}

func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if stmt, ok := tx.stmts[query]; ok {
		if err := tx.tx.before(ctx); err != nil {
			return nil, err
		}
		return tx.tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, query, args...)
}

func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if stmt, ok := tx.stmts[query]; ok {
		if tx.tx.before(ctx) != nil {
			return tx.tx.Tx.QueryRowContext(spoilt, query, args...)
		}
		return tx.tx.StmtContext(ctx, stmt).QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, query, args...)
}
