package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"mashang/store"
	"mashang/store/storetest"
)

// What the databases make of the store's statements: MariaDB's own count
// of the rows it read, and SQLite's plan.

// A time the service compares with an indexed DATETIME column on MySQL
// reaches the server as a datetime MariaDB can search by. Go's times carry
// nanoseconds; sent with nine decimals, MariaDB took the value for an
// incorrect datetime (note 1292) and read the whole index instead of its
// range: the to-do list's `ack_due <= now` read every unacknowledged
// hand-over of a province on every page of every secretary.
func TestTimesReachMySQLAsARange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		if driver != store.DriverMySQL {
			t.Skip("SQLite compares times as text; this is MariaDB's range")
		}
		ctx := context.Background()
		db := storetest.Open(t, driver)
		conn, err := db.Pool().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, stmt := range []string{
			`CREATE TEMPORARY TABLE due_times (id INT AUTO_INCREMENT PRIMARY KEY, due DATETIME(3) NOT NULL, KEY due_times_due (due))`,
			`INSERT INTO due_times (due) SELECT NOW(3) + INTERVAL seq MINUTE FROM seq_1_to_2000`,
			`ANALYZE TABLE due_times`,
		} {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now().Add(-time.Hour)
		if now.Nanosecond()%1000 == 0 {
			now = now.Add(123 * time.Nanosecond) // nanoseconds, as time.Now nearly always has
		}
		before := rowsRead(t, conn)
		var n int
		if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM due_times WHERE due <= ?`, now).Scan(&n); err != nil {
			t.Fatal(err)
		}
		read := rowsRead(t, conn) - before
		if n != 0 || read > 10 {
			t.Errorf("%d rows due an hour ago, %d read to find them; want 0, by the index's range", n, read)
		}
	})
}

// rowsRead is how many rows MariaDB's handlers have read on conn so far.
func rowsRead(t *testing.T, conn *sql.Conn) int64 {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), `SHOW SESSION STATUS LIKE 'Handler_read%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var total int64
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return total
}

// explainSQLite is SQLite's plan for query, a step a line.
func explainSQLite(t *testing.T, raw *sql.DB, query string, args ...any) string {
	t.Helper()
	rows, err := raw.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}
