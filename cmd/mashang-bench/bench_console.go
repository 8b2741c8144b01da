package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"mashang"
	"mashang/store"
)

// benchConsole times the console's queries on a database of generated
// cases: the inbox's first and 500th page, a filtered search and the
// dashboard, and the to-do list with its header count, for a city-wide
// staff account. Target: each under 200 ms with
// 100,000 cases on SQLite and 1,000,000 on MySQL.
func benchConsole(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench console", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sqliteCases := fs.Int("cases", 100_000, "cases to generate on SQLite")
	mysqlDSN := fs.String("mysql", "", "also on MySQL: a DSN whose user may create a database")
	mysqlCases := fs.Int("mysql-cases", 1_000_000, "cases to generate on MySQL")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	dir, err := os.MkdirTemp("", "mashang-bench-console-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	type target struct {
		name, driver, dsn string
		cases             int
	}
	targets := []target{{"SQLite", store.DriverSQLite, filepath.Join(dir, "console.db"), *sqliteCases}}
	if *mysqlDSN != "" {
		dsn, drop, err := benchDatabase(*mysqlDSN)
		if err != nil {
			return err
		}
		defer drop()
		targets = append(targets, target{"MySQL", store.DriverMySQL, dsn, *mysqlCases})
	}
	fmt.Fprintf(stdout, "\nconsole benchmark, %s: a city-wide staff account; median of 5 runs per query\n\n", time.Now().Format("2006-01-02"))
	fmt.Fprintf(stdout, "%-8s %10s %12s %12s %12s %12s %12s\n", "database", "cases", "first page", "page 500", "search", "dashboard", "to-do")
	for _, t := range targets {
		db, err := store.Open(ctx, t.driver, t.dsn)
		if err != nil {
			return err
		}
		if err := db.SeedDemo(ctx); err != nil {
			db.Close()
			return err
		}
		fmt.Fprintf(stderr, "bench console: generating %d cases on %s…\n", t.cases, t.name)
		began := time.Now()
		if err := db.GenerateCases(ctx, t.cases, time.Now()); err != nil {
			db.Close()
			return err
		}
		fmt.Fprintf(stderr, "bench console: generated in %s\n", time.Since(began).Round(time.Second))
		began = time.Now()
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
		search := timeIt(func() error {
			_, err := db.ConsoleCases(ctx, reach, mashang.CaseFilter{Limit: 50, Status: mashang.CaseHanded, Colour: mashang.ColourRed, Text: "电梯"})
			return err
		})
		now := time.Now()
		// The figures page: the year's tallies, the departments' lines and
		// the month's ranking of stations.
		dashboard := timeIt(func() error {
			groups, err := db.FigureGroups(ctx, reach, now.AddDate(-1, 0, 0), now, now)
			if err != nil {
				return err
			}
			_ = mashang.RollUp(groups)
			if _, err := db.DepartmentFigures(ctx, reach, now.AddDate(-1, 0, 0), now, now); err != nil {
				return err
			}
			month, err := db.FigureGroups(ctx, reach, now.AddDate(0, -1, 0), now, now)
			_ = mashang.RankStations(mashang.RollUp(month).ByStation)
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
		for _, r := range []timed{first, deep, search, dashboard, todo} {
			if r.err != nil {
				return r.err
			}
		}
		for _, q := range []struct {
			name string
			d    time.Duration
		}{{"inbox, first page", first.d}, {"inbox, page 500", deep.d}, {"inbox, search", search.d}, {"dashboard (a year)", dashboard.d}, {"to-do list and count", todo.d}} {
			addBenchRow(benchRow{fmt.Sprintf("console %s %dk", t.name, t.cases/1000), q.name, q.d.Round(10 * time.Microsecond).String(),
				"-", "", "< 200ms: " + metOrNot(q.d < 200*time.Millisecond)})
		}
		fmt.Fprintf(stdout, "%-8s %10d %12s %12s %12s %12s %12s\n", t.name, t.cases, first.d.Round(time.Microsecond*10),
			deep.d.Round(time.Microsecond*10), search.d.Round(time.Microsecond*10), dashboard.d.Round(time.Microsecond*10), todo.d.Round(time.Microsecond*10))
	}
	fmt.Fprintln(stdout, "\ntarget: each under 200 ms")
	return nil
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
