package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"mashang/configs"
	"mashang/store"
)

// migrateCmd brings the schema up to date (store.Open applies what is
// missing) and reports where it stands. Safe to run while instances serve.
func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", getenv("MASHANG_CONFIG"), "configuration file (YAML)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	db, cfg, err := openStore(ctx, *configPath, stderr, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	current, latest, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s schema at version %d (latest %d)\n", cfg.DB.Driver, current, latest)
	return nil
}

// openStore opens (and migrates) the database for a command. WeChat's
// account is used when the file or the environment gives it, and may be
// absent; such a command is never a sandbox.
func openStore(ctx context.Context, configPath string, stderr io.Writer, getenv func(string) string) (*store.DB, configs.Config, error) {
	cfg, err := configs.Load(configPath, configs.Command, getenv)
	if err != nil {
		return nil, configs.Config{}, err
	}
	slog.SetDefault(newLogger(cfg.Log, stderr))
	db, err := store.Open(ctx, cfg.DB.Driver, cfg.DB.DSN)
	if err != nil {
		return nil, configs.Config{}, &configs.SettingError{Setting: "MASHANG_DB_DSN", Problem: err.Error()}
	}
	return db, cfg, nil
}
