// Package storetest opens real, isolated databases for tests: a fresh SQLite
// file always, and a fresh MySQL database when MASHANG_TEST_MYSQL_DSN names a
// server (CI sets it and MASHANG_TEST_REQUIRE_MYSQL=1, so a missing server
// fails the run instead of skipping it).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"

	"mashang/store"
)

// Drivers lists the drivers a test should run on.
func Drivers(t testing.TB) []string {
	t.Helper()
	drivers := []string{store.DriverSQLite}
	if os.Getenv("MASHANG_TEST_MYSQL_DSN") != "" {
		drivers = append(drivers, store.DriverMySQL)
	} else if os.Getenv("MASHANG_TEST_REQUIRE_MYSQL") != "" {
		t.Fatal("MASHANG_TEST_REQUIRE_MYSQL is set but MASHANG_TEST_MYSQL_DSN is empty: the MySQL tests must run")
	}
	return drivers
}

// Each runs fn as a subtest per driver, named after it.
func Each(t *testing.T, fn func(t *testing.T, driver string)) {
	for _, driver := range Drivers(t) {
		t.Run(driver, func(t *testing.T) { fn(t, driver) })
	}
}

// Open returns a migrated store on a database of its own, removed after
// the test.
func Open(t testing.TB, driver string) *store.DB {
	t.Helper()
	ctx := context.Background()
	dsn := DSN(t, driver)
	db, err := store.Open(ctx, driver, dsn)
	if err != nil {
		t.Fatalf("open %s store: %v", driver, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// OpenRaw is Open with a plain connection to the same database (RawSQL),
// for a test that also looks at or holds rows behind the store's back.
func OpenRaw(t testing.TB, driver string) (*store.DB, *sql.DB) {
	t.Helper()
	dsn := DSN(t, driver)
	db, err := store.Open(context.Background(), driver, dsn)
	if err != nil {
		t.Fatalf("open %s store: %v", driver, err)
	}
	t.Cleanup(func() { db.Close() })
	return db, RawSQL(t, driver, dsn)
}

// RawSQL opens a plain connection to the database at dsn (one DSN made),
// for a test to do what the service never does (break a table, say);
// closed after the test.
func RawSQL(t testing.TB, driver, dsn string) *sql.DB {
	t.Helper()
	if driver == store.DriverSQLite {
		// Wait for the service's writer as the service's own connections do,
		// rather than fail at once with SQLITE_BUSY.
		dsn += "?_busy_timeout=10000"
	}
	raw, err := sql.Open(map[string]string{store.DriverSQLite: "sqlite", store.DriverMySQL: "mysql"}[driver], dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// DSN creates an empty database for driver and returns its DSN.
func DSN(t testing.TB, driver string) string {
	t.Helper()
	switch driver {
	case store.DriverSQLite:
		return filepath.Join(t.TempDir(), "mashang.db")
	case store.DriverMySQL:
		return freshMySQL(t)
	}
	t.Fatalf("unknown driver %q", driver)
	return ""
}

func freshMySQL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("MASHANG_TEST_MYSQL_DSN")
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("MASHANG_TEST_MYSQL_DSN: %v", err)
	}
	admin, err := sql.Open("mysql", base)
	if err != nil {
		t.Fatalf("open MySQL: %v", err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "mashang_t_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("MySQL at %s: create a test database: %v (the user needs CREATE and DROP)", cfg.Addr, err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("mysql", base)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name)
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}
