package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// benchRow is one line of the suite's table: what was measured, our
// figure, the peer's from the same run, and the target.
type benchRow struct {
	bench, measure, ours, peer, ratio, target string
}

// suite collects the rows while `bench all` runs; nil otherwise, and then
// the benchmarks print only their own reports.
var suite *[]benchRow

func addBenchRow(r benchRow) {
	if suite != nil {
		*suite = append(*suite, r)
	}
}

// benchAll runs every benchmark — the callback against the bare SDK
// server, the code export against go-qrcode, the outbox drain, the
// console's queries — and prints their figures in one table.
func benchAll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench all", flag.ContinueOnError)
	fs.SetOutput(stderr)
	peer := fs.String("peer", "bin/sdkpeer", "the bare SDK server binary")
	self := fs.String("self", "bin/mashang", "the mashang binary to benchmark")
	mysqlDSN := fs.String("mysql", "", "also on MySQL: a DSN whose user may create a database")
	rounds := fs.String("rounds", "3", "callback rounds per server")
	consoleArgs := fs.String("console", "", `flags for the console's benchmark, e.g. "--cases 100000 --mysql-cases 500000" (default: 1,000,000 cases on SQLite and 5,000,000 on MySQL)`)
	provinceArgs := fs.String("province", "", `with --mysql: flags for the province's day, e.g. "--compress 240 --scale 0.25" (default: the whole day, 20× compressed, 72 minutes)`)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	rows := []benchRow{}
	suite = &rows
	defer func() { suite = nil }()
	withMySQL := func(args ...string) []string {
		if *mysqlDSN != "" {
			args = append(args, "--mysql", *mysqlDSN)
		}
		return args
	}
	var failed []error
	began := time.Now()
	for _, run := range []struct {
		name string
		fn   func() error
	}{
		{"callback", func() error {
			return bench(ctx, withMySQL("callback", "--peer", *peer, "--self", *self, "--rounds", *rounds), stdout, stderr)
		}},
		{"codes", func() error { return benchCodes(ctx, nil, stdout, stderr) }},
		{"outbox", func() error { return benchOutbox(ctx, nil, stdout, stderr) }},
		{"console", func() error { return benchConsole(ctx, withMySQL(strings.Fields(*consoleArgs)...), stdout, stderr) }},
		{"province", func() error {
			if *mysqlDSN == "" {
				return nil // a province runs on MySQL only
			}
			return benchProvince(ctx, withMySQL(append([]string{"--self", *self}, strings.Fields(*provinceArgs)...)...), stdout, stderr)
		}},
	} {
		if err := run.fn(); err != nil {
			failed = append(failed, fmt.Errorf("bench %s: %w", run.name, err))
			fmt.Fprintf(stderr, "bench %s: %v\n", run.name, err)
		}
	}

	fmt.Fprintf(stdout, "\n\nMashang benchmark suite, %s, %s/%s, %d CPU (%s), took %s\n\n", time.Now().Format("2006-01-02"),
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), time.Since(began).Round(time.Second))
	head := benchRow{"benchmark", "measure", "mashang", "peer (same run)", "ratio", "target"}
	widths := []int{22, 26, 14, 26, 8, 0}
	for _, r := range append([]benchRow{head}, rows...) {
		cells := []string{r.bench, r.measure, r.ours, r.peer, r.ratio, r.target}
		var b strings.Builder
		for i, c := range cells {
			b.WriteString(c)
			if pad := widths[i] - len([]rune(c)); i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", max(pad, 1)))
			}
		}
		fmt.Fprintln(stdout, strings.TrimRight(b.String(), " "))
	}
	return errors.Join(failed...)
}

// cpuModel names the machine's processor, for the README's figures.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
