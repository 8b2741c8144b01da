# The documented ways to run, test and measure Mashang.
SHELL := /bin/bash
GOTESTFLAGS ?=

.PHONY: run test bench build lint fuzz

## run: the whole service on embedded defaults (SQLite, sandbox WeChat, demo data)
run:
	go run ./cmd/mashang serve --sandbox

## test: every test. The MySQL suite runs against MASHANG_TEST_MYSQL_DSN, or
## against a local MySQL/MariaDB on 127.0.0.1:3306 (root, database test) if one answers.
## The handlers' suite (every route on both databases, under the race detector) outlasts
## go test's default 10 minutes on a shared two-core machine: 30 minutes.
test:
	@if [ -z "$$MASHANG_TEST_MYSQL_DSN" ] && (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; then \
		export MASHANG_TEST_MYSQL_DSN='root@tcp(127.0.0.1:3306)/test'; \
		echo "make test: using the local MySQL at 127.0.0.1:3306"; \
	fi; \
	[ -n "$$MASHANG_TEST_MYSQL_DSN" ] || echo "make test: no MySQL found; running the SQLite suites only (set MASHANG_TEST_MYSQL_DSN)"; \
	go vet ./... && go test -race -count=1 -timeout 30m $(GOTESTFLAGS) ./...

## bench: one suite — the callback against the bare SDK server, the code export against
## go-qrcode, the outbox drain and the console's queries — printed as one table at the end
## (with MASHANG_TEST_MYSQL_DSN set, the callback and the console are also measured on MySQL, and
## a province's day is replayed on two instances, 72 minutes; PROVINCE='--compress 240' shortens it;
## CONSOLE='--cases 100000 --mysql-cases 500000' sizes the console's generated cases)
bench: build
	bin/mashang-bench all --self bin/mashang --peer bin/sdkpeer $(if $(MASHANG_TEST_MYSQL_DSN),--mysql '$(MASHANG_TEST_MYSQL_DSN)') $(if $(PROVINCE),--province '$(PROVINCE)') $(if $(CONSOLE),--console '$(CONSOLE)')

## fuzz: every fuzz target for a number of inputs each (about 10 s here), one `go test -fuzz`
## per target (it takes one per package run); the seed corpora are testdata/fuzz/<FuzzName>/
## beside each package, and an input that fails is written there too, to be kept as a
## regression. A count, not a duration: with a duration, Go 1.26's fuzz coordinator can fail a
## target with a bare "context deadline exceeded" as the time runs out, no input at fault and
## none written (golang/go#75804, fixed in Go 1.27; seen here on a loaded machine).
## FUZZTIME=30s (or 1000000x) runs each target for that instead.
FUZZTIME ?=
fuzzfor = $(if $(FUZZTIME),$(FUZZTIME),$(1))
fuzz:
	go test ./wechat -run '^$$' -fuzz '^FuzzFlatParseAgreesWithEncodingXML$$' -fuzztime $(call fuzzfor,300000x)
	go test ./wechat -run '^$$' -fuzz '^FuzzInboundOpen$$' -fuzztime $(call fuzzfor,100000x)
	go test . -run '^$$' -fuzz '^FuzzParseScene$$' -fuzztime $(call fuzzfor,80000x)
	go test ./handlers -run '^$$' -fuzz '^FuzzMiniProgramBodies$$' -fuzztime $(call fuzzfor,40000x)

## build: the service (bin/mashang), and for make bench the benchmarks and the bare SDK server
build:
	go build -o bin/mashang ./cmd/mashang
	go build -o bin/mashang-bench ./cmd/mashang-bench
	go build -o bin/sdkpeer ./cmd/sdkpeer

lint:
	test -z "$$(gofmt -l .)"
	go vet ./...
