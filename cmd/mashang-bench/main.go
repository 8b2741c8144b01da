// Command mashang-bench measures Mashang, apart from the production binary:
//
//	mashang-bench all [--peer bin/sdkpeer] [--self bin/mashang] [--mysql DSN]   the suite, one table at the end
//	mashang-bench callback [flags]   the callback against the bare SDK server (cmd/sdkpeer)
//	mashang-bench codes [flags]      the code export against go-qrcode
//	mashang-bench outbox [flags]     the outbox's drain through the SDK to the fake WeChat
//	mashang-bench console [flags]    the console's queries on a large database
//	mashang-bench province --mysql DSN [flags]   a province's day on two instances and one MySQL
//
// `make bench` builds it with bin/mashang and bin/sdkpeer and runs the suite.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `mashang-bench — measures Mashang (make bench runs the suite)

Usage:
  mashang-bench all [--peer bin/sdkpeer] [--self bin/mashang] [--mysql DSN]
                                    every benchmark, one table at the end
  mashang-bench callback [flags]    the callback against the bare SDK server (--target URL: a running server)
  mashang-bench codes [flags]       the code export against go-qrcode
  mashang-bench outbox [flags]      the outbox's drain through the SDK to a fake WeChat
  mashang-bench console [flags]     the console's queries on a generated database
  mashang-bench province --mysql DSN [--compress 20] [--scale 1]
                                    a province's day on two instances and one MySQL, and the headroom

Run "mashang-bench COMMAND -h" for its flags.
`

// run executes one benchmark and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	switch err := bench(ctx, args, stdout, stderr); {
	case err == nil:
		return 0
	case errors.Is(err, errUsage): // the flag package said what was wrong
		return 2
	default:
		fmt.Fprintf(stderr, "mashang-bench %s: %v\n", args[0], err)
		return 1
	}
}

var errUsage = errors.New("usage")
