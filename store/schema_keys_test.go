package store_test

import (
	"context"
	"testing"

	"mashang/store"
	"mashang/store/storetest"
)

// Every table has a primary key and, on MySQL, is InnoDB: Galera replicates
// only InnoDB tables, and a row of a table without a primary key is found
// on the other nodes by a scan of the whole table, for each row changed,
// and cannot be told apart from its twin (deleting one may delete another).
func TestEveryTableHasAPrimaryKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, driver)
		db, err := store.Open(ctx, driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		query := map[string]string{
			store.DriverMySQL: `
				SELECT t.table_name, COALESCE(t.engine, '') FROM information_schema.tables t
				LEFT JOIN information_schema.table_constraints c ON c.table_schema = t.table_schema
					AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY'
				WHERE t.table_schema = DATABASE() AND t.table_type = 'BASE TABLE'
					AND (c.constraint_name IS NULL OR t.engine <> 'InnoDB')`,
			store.DriverSQLite: `
				SELECT m.name, 'sqlite' FROM sqlite_master m
				WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
					-- a full-text index (FTS5) is a virtual table: its rows live in
					-- shadow tables, which are keyed and checked here themselves
					AND m.sql NOT LIKE 'CREATE VIRTUAL TABLE%'
					AND NOT EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE pk > 0)`,
		}[driver]
		rows, err := storetest.RawSQL(t, driver, dsn).QueryContext(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var name, engine string
			if err := rows.Scan(&name, &engine); err != nil {
				t.Fatal(err)
			}
			t.Errorf("table %s (%s) has no primary key or is not InnoDB", name, engine)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		// The query can find a table: one made without a key is reported.
		raw := storetest.RawSQL(t, driver, dsn)
		if _, err := raw.ExecContext(ctx, `CREATE TABLE keyless (v INT)`); err != nil {
			t.Fatal(err)
		}
		var found string
		if err := raw.QueryRowContext(ctx, query).Scan(&found, new(string)); err != nil || found != "keyless" {
			t.Fatalf("a table without a primary key went unreported: %q (%v)", found, err)
		}
	})
}
