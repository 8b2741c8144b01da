package store_test

import (
	"context"
	"testing"

	"mashang/store"
	"mashang/store/storetest"
)

// Every write transaction on MySQL is READ COMMITTED — set on each
// connection once rather than before every transaction: a row another
// transaction commits meanwhile is seen by the next statement (under
// MySQL's default REPEATABLE READ the second count would still be 0).
func TestMySQLWritesReadCommittedRows(t *testing.T) {
	if len(storetest.Drivers(t)) < 2 {
		t.Skip("MySQL only: SQLite has one writer")
	}
	ctx := context.Background()
	dsn := storetest.DSN(t, store.DriverMySQL)
	db, err := store.Open(ctx, store.DriverMySQL, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw := storetest.RawSQL(t, store.DriverMySQL, dsn)
	first, second, err := db.CountInAWrite(ctx, "departments", func() {
		if _, err := raw.ExecContext(ctx, `INSERT INTO departments (name) VALUES ('区住建局')`); err != nil {
			t.Error(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if first != 0 || second != 1 {
		t.Fatalf("counts in one write transaction: %d then %d, want 0 then 1 (READ COMMITTED)", first, second)
	}
}
