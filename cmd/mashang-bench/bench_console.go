package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/go-sql-driver/mysql"

	"mashang"
	"mashang/store"
)

// benchConsole times the console's queries on a database of generated
// cases: the inbox's first and 500th page, a text search (the full-text
// index beside the summary LIKE it replaced), the dashboard for a year,
// the figures by department, and the to-do list with its header count,
// for a city-wide staff account. Target (issue 20): each under 200 ms with
// 1,000,000 cases on SQLite and 5,000,000 on MySQL. A generated database is
// kept (a file under --dir, a database of its own on MySQL) and measured
// again as it is when its generator version and size match, continued
// when the same version wrote fewer cases (an interrupted run).
func benchConsole(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench console", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sqliteCases := fs.Int("cases", 1_000_000, "cases to generate on SQLite (0: MySQL only)")
	mysqlDSN := fs.String("mysql", "", "also on MySQL: a DSN whose user may create a database")
	mysqlCases := fs.Int("mysql-cases", 5_000_000, "cases to generate on MySQL")
	dir := fs.String("dir", filepath.Join(os.TempDir(), "mashang-bench-console"), "where the generated SQLite database is kept")
	mysqlName := fs.String("mysql-db", "mashang_bench_console", "the MySQL database the generated cases are kept in")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	type target struct {
		name, driver, dsn string
		cases             int
		fresh             func() (string, error) // an empty database's DSN
	}
	sqlitePath := filepath.Join(*dir, "console.db")
	var targets []target
	if *sqliteCases > 0 {
		targets = append(targets, target{"SQLite", store.DriverSQLite, sqlitePath, *sqliteCases, func() (string, error) {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if err := os.Remove(sqlitePath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
					return "", err
				}
			}
			return sqlitePath, nil
		}})
	}
	if *mysqlDSN != "" {
		name := *mysqlName
		dsn, err := keptDatabase(*mysqlDSN, name, false)
		if err != nil {
			return err
		}
		targets = append(targets, target{"MySQL", store.DriverMySQL, dsn, *mysqlCases, func() (string, error) {
			return keptDatabase(*mysqlDSN, name, true)
		}})
	}
	fmt.Fprintf(stdout, "\nconsole benchmark, %s: a city-wide staff account; median of 5 runs per query\n\n", time.Now().Format("2006-01-02"))
	fmt.Fprintf(stdout, "%-8s %10s %11s %11s %11s %13s %11s %11s %11s\n", "database", "cases", "first page", "page 500",
		"search", "search LIKE", "dashboard", "by dept.", "to-do")
	for _, t := range targets {
		db, err := openGenerated(ctx, t.driver, t.dsn, t.cases, t.fresh, stderr)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		began := time.Now()
		if err := db.Settle(ctx, 5*time.Minute); err != nil {
			db.Close()
			return err
		}
		fmt.Fprintf(stderr, "bench console: the database wrote the load back in %s\n", time.Since(began).Round(time.Second))
		city, err := db.JurisdictionByPath(ctx, "青岛市")
		if err != nil {
			db.Close()
			return err
		}
		reach, err := db.ReachOf(ctx, mashang.StaffUser{Role: mashang.RoleStaff, JurisdictionID: city})
		if err != nil {
			db.Close()
			return err
		}
		var page500Before int64
		first := timeIt(func() error {
			_, err := db.ConsoleCases(ctx, reach, mashang.CaseFilter{Limit: 50})
			return err
		})
		// Walk to page 500 the way the console does (each page's last ID), once.
		f := mashang.CaseFilter{Limit: 50}
		for range 499 {
			page, err := db.ConsoleCases(ctx, reach, f)
			if err != nil || len(page) == 0 {
				break
			}
			f.Before = page[len(page)-1].ID
		}
		page500Before = f.Before
		deep := timeIt(func() error {
			_, err := db.ConsoleCases(ctx, reach, mashang.CaseFilter{Limit: 50, Before: page500Before})
			return err
		})
		// One building of one estate: as rare as a real search for a place
		// (one case in 36,000), which the LIKE scan reads every case for.
		const rare = "金茂湾12号楼"
		var found int
		search := timeIt(func() error {
			cases, err := db.ConsoleCases(ctx, reach, mashang.CaseFilter{Limit: 50, Text: rare})
			found = len(cases)
			return err
		})
		var likeFound int
		likeSearch := timeIt(func() error {
			n, err := db.ConsoleCasesBySummaryLike(ctx, reach, mashang.CaseFilter{Text: rare})
			likeFound = n
			return err
		})
		// A common word with filters, as the inbox's search was timed before.
		common := timeIt(func() error {
			_, err := db.ConsoleCases(ctx, reach, mashang.CaseFilter{Limit: 50, Status: mashang.CaseHanded, Colour: mashang.ColourRed, Text: "电梯"})
			return err
		})
		now := time.Now()
		// The figures page: the year's tallies and the month's ranking of stations.
		dashboard := timeIt(func() error {
			groups, err := db.FigureGroups(ctx, reach, now.AddDate(-1, 0, 0), now, now)
			if err != nil {
				return err
			}
			_ = mashang.RollUp(groups)
			month, err := db.FigureGroups(ctx, reach, now.AddDate(0, -1, 0), now, now)
			_ = mashang.RankStations(mashang.RollUp(month).ByStation)
			return err
		})
		// The departments' lines for the year.
		departments := timeIt(func() error {
			_, err := db.DepartmentFigures(ctx, reach, now.AddDate(-1, 0, 0), now, now)
			return err
		})
		// The to-do list page: its items and the header's count, which every
		// console page reads.
		todo := timeIt(func() error {
			if _, _, err := db.TodoItems(ctx, reach, now); err != nil {
				return err
			}
			_, err := db.TodoCount(ctx, reach, now)
			return err
		})
		db.Close()
		for _, r := range []timed{first, deep, search, likeSearch, common, dashboard, departments, todo} {
			if r.err != nil {
				return r.err
			}
		}
		if found != likeFound && likeFound < 50 {
			// The index searches messages and answers too: it finds at least
			// what the summary LIKE finds.
			fmt.Fprintf(stderr, "bench console: the search found %d cases, the summary LIKE %d\n", found, likeFound)
		}
		for _, q := range []struct {
			name string
			d    time.Duration
			peer string
		}{{"inbox, first page", first.d, "-"}, {"inbox, page 500", deep.d, "-"},
			{"inbox, search " + rare, search.d, "LIKE " + likeSearch.d.Round(10*time.Microsecond).String()},
			{"inbox, search 电梯 + filters", common.d, "-"},
			{"dashboard (a year)", dashboard.d, "-"}, {"departments (a year)", departments.d, "-"}, {"to-do list and count", todo.d, "-"}} {
			addBenchRow(benchRow{fmt.Sprintf("console %s %dk", t.name, t.cases/1000), q.name, q.d.Round(10 * time.Microsecond).String(),
				q.peer, "", "< 200ms: " + metOrNot(q.d < 200*time.Millisecond)})
		}
		round := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
		fmt.Fprintf(stdout, "%-8s %10d %11s %11s %11s %13s %11s %11s %11s\n", t.name, t.cases, round(first.d), round(deep.d),
			round(search.d), round(likeSearch.d), round(dashboard.d), round(departments.d), round(todo.d))
		fmt.Fprintf(stdout, "%-8s %10s search %q: %d cases on the first page (the summary LIKE: %d); \"电梯\" + status + colour: %s\n",
			"", "", rare, found, likeFound, round(common.d))
	}
	fmt.Fprintln(stdout, "\ntarget: each under 200 ms")
	return nil
}

// openGenerated opens the database at dsn holding n generated cases: as it
// is when the same generator version wrote n cases into it, continued when
// it wrote fewer, else emptied (fresh), seeded with the demo and generated.
func openGenerated(ctx context.Context, driver, dsn string, n int, fresh func() (string, error), stderr io.Writer) (*store.DB, error) {
	db, err := store.Open(ctx, driver, dsn)
	if err != nil {
		return nil, err
	}
	version, cases, err := db.GeneratedCases(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	switch {
	case version == store.GeneratorVersion && cases == n:
		fmt.Fprintf(stderr, "bench console: %s holds %d generated cases (generator %d): measured as it is\n", driver, n, version)
		return db, nil
	case version == store.GeneratorVersion && cases < n:
		fmt.Fprintf(stderr, "bench console: %s holds %d of %d generated cases: continuing\n", driver, cases, n)
	default:
		db.Close()
		if dsn, err = fresh(); err != nil {
			return nil, err
		}
		if db, err = store.Open(ctx, driver, dsn); err != nil {
			return nil, err
		}
		if err := db.SeedDemo(ctx); err != nil {
			db.Close()
			return nil, err
		}
		cases = 0
	}
	fmt.Fprintf(stderr, "bench console: generating %d cases on %s…\n", n-cases, driver)
	began := time.Now()
	if err := db.GenerateCases(ctx, n, time.Now()); err != nil {
		db.Close()
		return nil, err
	}
	took := time.Since(began)
	fmt.Fprintf(stderr, "bench console: generated in %s (%.0f cases/s)\n", took.Round(time.Second), float64(n-cases)/took.Seconds())
	return db, nil
}

// keptDatabase is the DSN of the MySQL database name on the server of dsn,
// created if missing and, with empty, dropped and created again first; it
// is kept after the run, for the next one to measure again.
func keptDatabase(dsn, name string, empty bool) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("--mysql: %w", err)
	}
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	if empty {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
			return "", fmt.Errorf("--mysql: drop %s: %w", name, err)
		}
	}
	if _, err := admin.Exec("CREATE DATABASE IF NOT EXISTS " + name + " CHARACTER SET utf8mb4"); err != nil {
		return "", fmt.Errorf("--mysql: create a database: %w", err)
	}
	cfg.DBName = name
	return cfg.FormatDSN(), nil
}

// timed is a query's median duration, or what stopped it.
type timed struct {
	d   time.Duration
	err error
}

// timeIt runs work five times and gives the median duration.
func timeIt(work func() error) timed {
	var ds []time.Duration
	for range 5 {
		began := time.Now()
		if err := work(); err != nil {
			return timed{err: err}
		}
		ds = append(ds, time.Since(began))
	}
	slices.Sort(ds)
	return timed{d: ds[len(ds)/2]}
}
