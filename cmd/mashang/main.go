// Command mashang is the whole service in one binary:
//
//	mashang serve [--sandbox] [--config file]   run the service
//	mashang migrate [--config file]             bring the database schema up to date
//	mashang import stations|deputies FILE       apply a roster (.xlsx or .csv)
//	mashang simulate [flags]                    play WeChat against a running server
//	mashang media migrate|check                 media into object storage
//	mashang help                                this list
//
// The parts are wired together in package app; the benchmarks are a
// command of their own (cmd/mashang-bench).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const usage = `mashang — 码上: people's-congress deputy liaison through WeChat

Usage:
  mashang serve [--sandbox] [--config FILE]   run the service (--sandbox: fake WeChat, SQLite, demo data)
  mashang migrate [--config FILE]             apply database migrations and print the schema version
  mashang import ROSTER FILE                  apply a roster (.xlsx or .csv): stations|deputies|groups|departments|keywords
  mashang codes create|export [--under 青岛市/市南区] [--out codes.zip]
                                              make the codes once (WeChat), export them as a ZIP
  mashang deputies bind-code CODE | status    a one-time code a deputy scans to bind their WeChat; who is bound
  mashang staff create-admin USER | add USER  console accounts (password from standard input)
  mashang staff token USER                    a new staff API token for the account (printed once)
  mashang staff unlock USER                   lifts the account's sign-in lock-outs (audited)
  mashang staff bind-code USER                a one-time code a staff member or handler scans to bind their WeChat
  mashang media migrate [--from DIR] [--verify] copy the media folder into the object store (MASHANG_MEDIA_S3_*);
                                              run again to resume; --verify reads every copy back
  mashang media check                         whether the object store answers and its bucket is there
  mashang simulate [flags]                    play a citizen's WeChat against a running server
                                              (--url defaults to MASHANG_HTTP_ADDR, as serve listens)
  mashang simulate mp login [OPENID]          sandbox: a Mini Program login code and session token
  mashang help                                this list
  mashang bench                               not here: the benchmarks are mashang-bench (make bench)

Settings come from the --config file and MASHANG_* environment variables
(see configs/mashang.example.yaml). Run "mashang COMMAND -h" for its flags.
Commands other than serve and migrate use an existing SQLite file only: the one
MASHANG_DB_DSN (or db.dsn) names, relative to the current directory; they stop
and say where they looked rather than start an empty database.
`

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stdout, stderr, getenv)
	case "migrate":
		err = migrateCmd(ctx, args[1:], stdout, stderr, getenv)
	case "import":
		err = importCmd(ctx, args[1:], stdout, stderr, getenv)
	case "codes":
		err = codesCmd(ctx, args[1:], stdout, stderr, getenv)
	case "deputies":
		err = deputiesCmd(ctx, args[1:], stdout, stderr, getenv)
	case "staff":
		err = staffCmd(ctx, args[1:], stdout, stderr, getenv)
	case "media":
		err = mediaCmd(ctx, args[1:], stdout, stderr, getenv)
	case "simulate":
		err = simulate(ctx, args[1:], stdout, stderr, getenv)
	case "bench":
		// The benchmarks stay out of the production binary; whoever types
		// this is looking for them.
		fmt.Fprint(stderr, benchUsage)
		return 2
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "mashang: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, errUsage) {
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "mashang %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

const benchUsage = `mashang bench: the benchmarks are not part of this binary.
They are a command of their own, cmd/mashang-bench:

  make bench                                  build everything and run the whole suite
  bin/mashang-bench all|callback|codes|outbox|console [flags]
                                              one part (make build makes bin/mashang-bench)

See the README's Speed section for what each measures.
`

// errUsage means the flag package already printed what was wrong.
var errUsage = errors.New("usage")

// parseInterspersed parses flags wherever they stand among the positional
// arguments (mashang deputies bind-code D01 --out bind.png), and returns
// the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
