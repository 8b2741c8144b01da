package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

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
	cfg, err := configs.Load(*configPath, configs.Command, getenv)
	if err != nil {
		return err
	}
	// Migrate is the one command that may start a database: it says which
	// file, so one started in the wrong directory is seen at once.
	file, isNew := sqliteFile(cfg)
	db, cfg, err := openStore(ctx, *configPath, stderr, getenv, false)
	if err != nil {
		return err
	}
	defer db.Close()
	current, latest, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	switch {
	case file != "" && isNew:
		fmt.Fprintf(stdout, "新建了 SQLite 数据库 %s\n", file)
	case file != "":
		fmt.Fprintf(stdout, "SQLite 数据库 %s\n", file)
	}
	fmt.Fprintf(stdout, "%s schema at version %d (latest %d)\n", cfg.DB.Driver, current, latest)
	return nil
}

// openStore opens (and migrates) the database for a command. WeChat's
// account is used when the file or the environment gives it, and may be
// absent; such a command is never a sandbox. Unless it may create the
// database (migrate), a SQLite file that is not there stops the command,
// saying where it looked: opening it would silently start an empty
// database wherever the command happened to run.
func openStore(ctx context.Context, configPath string, stderr io.Writer, getenv func(string) string, mustExist bool) (*store.DB, configs.Config, error) {
	cfg, err := configs.Load(configPath, configs.Command, getenv)
	if err != nil {
		return nil, configs.Config{}, err
	}
	if file, isNew := sqliteFile(cfg); isNew && mustExist {
		from := "默认值"
		switch {
		case getenv("MASHANG_DB_DSN") != "" || getenv("MASHANG_DB_DSN_FILE") != "":
			from = "MASHANG_DB_DSN"
		case configPath != "":
			from = configPath + " 的 db.dsn"
		}
		if dir, err := os.Getwd(); err == nil && !filepath.IsAbs(strings.TrimPrefix(cfg.DB.DSN, "file:")) {
			from += "，相对于当前目录 " + dir
		}
		return nil, configs.Config{}, &configs.SettingError{Setting: "MASHANG_DB_DSN", Problem: fmt.Sprintf(
			"没有找到数据库文件 %s（来自%s）。请在服务运行的目录执行命令，或用 --config / MASHANG_DB_DSN 指明数据库文件；新部署请先运行 mashang migrate 建库", file, from)}
	}
	slog.SetDefault(newLogger(cfg.Log, stderr))
	db, err := store.Open(ctx, cfg.DB.Driver, cfg.DB.DSN)
	if err != nil {
		return nil, configs.Config{}, &configs.SettingError{Setting: "MASHANG_DB_DSN", Problem: err.Error()}
	}
	return db, cfg, nil
}

// sqliteFile is the absolute path of the configured SQLite file, and
// whether it is not there yet; "" for MySQL or an in-memory database.
func sqliteFile(cfg configs.Config) (file string, isNew bool) {
	if cfg.DB.Driver != store.DriverSQLite {
		return "", false
	}
	path, _, _ := strings.Cut(cfg.DB.DSN, "?")
	path = strings.TrimPrefix(path, "file:")
	if path == "" || path == ":memory:" {
		return "", false
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	_, err := os.Stat(path)
	return path, errors.Is(err, fs.ErrNotExist)
}
