package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// migrate applies the embedded migrations of the dialect that are not yet
// applied. On MySQL a lock table keeps two instances starting at once from
// running the same migration twice.
func migrate(ctx context.Context, db *sql.DB, d dialect) error {
	provider, err := newMigrator(db, d)
	if err != nil {
		return err
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	// One line for the whole upgrade (a new database applies every
	// migration: fifty lines at each start of every test), each
	// migration at debug level.
	var took time.Duration
	for _, r := range results {
		took += r.Duration
		slog.Debug("migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	if len(results) > 0 {
		slog.Info("migrations applied", "count", len(results), "from", results[0].Source.Version,
			"to", results[len(results)-1].Source.Version, "took", took.Round(time.Millisecond))
	}
	return nil
}

func newMigrator(db *sql.DB, d dialect) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations/"+d.name())
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", d.name(), err)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	gooseDialect := goose.DialectSQLite3
	if d.name() == DriverMySQL {
		gooseDialect = goose.DialectMySQL
		locker, err := lock.NewMySQLTableLocker()
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithLocker(locker))
	}
	provider, err := goose.NewProvider(gooseDialect, db, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	return provider, nil
}

// SchemaVersion reports the highest migration applied and the highest known.
func (db *DB) SchemaVersion(ctx context.Context) (current, latest int64, err error) {
	provider, err := newMigrator(db.db, db.dialect)
	if err != nil {
		return 0, 0, err
	}
	current, err = provider.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read schema version: %w", err)
	}
	sources := provider.ListSources()
	if n := len(sources); n > 0 {
		latest = sources[n-1].Version
	}
	return current, latest, nil
}
