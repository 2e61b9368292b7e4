# gravedancer — the two commands a new user needs are `make demo` and `make test`.
SHELL := /bin/bash
GO    ?= go
PKG   := ./...
# Packages whose goroutines carry the pipeline: they must pass the race detector.
RACE_PKGS := ./internal/pipeline/ ./internal/app/ ./internal/dumper/ ./internal/alert/

.PHONY: all build demo demo-sealed screenshot test test-fuzz lint bench bench-deps deps clean

all: build

build:
	$(GO) build -o bin/gravedancer ./cmd/gravedancer

# Installs what is missing (Debian packages), starts three private MariaDB
# servers, runs `gravedancer backup` against them with the embedded NATS.
demo:
	bash scripts/demo.sh

# An encrypted backup shipped to a local S3 server and restored from it.
demo-sealed:
	bash scripts/demo-sealed.sh

# After `make demo`: a PNG of the status page's overview over the demo's
# backups, taken by headless Chromium (demo-output/overview.png).
screenshot:
	bash scripts/screenshot.sh

# Tests also need a real sshd (scp shipper), the real nats-server,
# systemd-analyze (unit files are verified), chromium (the status page's
# browser test), mydumper (the fleet benchmark runs once, small, in the
# tests) and versitygw (the S3 shipper's server; built with go install into
# the Go bin directory, about a minute the first time).
deps:
	bash scripts/ensure-deps.sh openssh-server openssh-client nats-server systemd chromium mydumper
	bash scripts/ensure-versitygw.sh

# The whole suite: lint, unit and integration tests against private mariadbd
# instances and embedded JetStream, then the race detector on the pipeline.
test: deps lint build
	$(GO) test -count=1 -timeout 20m $(PKG)
	$(GO) test -count=1 -race -timeout 20m $(RACE_PKGS)
	$(MAKE) --no-print-directory test-fuzz

# Bounded fuzzing of what reads untrusted bytes: the dump reader and the
# message decoders. The committed corpus (testdata/fuzz) runs in every
# `go test`; this explores beyond it for FUZZTIME executions each.
# A count, not a duration: a duration races the fuzz coordinator in Go 1.26
# (golang/go#75804) and fails with "context deadline exceeded" and no crasher.
FUZZTIME ?= 200000x
# Minimising a new input defaults to 60 s each; a count bounds it, too.
FUZZMIN  ?= 500x
# FuzzPlan checks every input against a quadratic reference: half the runs.
FUZZTIME_PLAN ?= 100000x
test-fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzScanner$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/sqldump/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeJob$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/job/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeTrigger$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) ./internal/job/
	$(GO) test -run '^$$' -fuzz '^FuzzPlan$$' -fuzztime $(FUZZTIME_PLAN) -fuzzminimizetime $(FUZZMIN) ./internal/retention/

lint:
	@out=$$(gofmt -l . | grep -v '^vendor/' || true); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKG)

# The fleet benchmark compares against mydumper/myloader too.
bench-deps: deps

# Benchmarks print ratios against a baseline measured in the same run. The
# fleet benchmark (bench/) runs gravedancer, the seed's bash flow, mariadb-dump
# and mydumper/myloader over two generated regions of BENCH_SCALE each
# (default 300MB) and writes bench/results.json.
bench: bench-deps
	$(GO) test -run '^$$' -bench . -benchtime 3x ./internal/sqldump/ ./internal/dumper/ ./internal/testenv/ ./internal/pipeline/ ./internal/restore/
	BENCH_SCALE=$(BENCH_SCALE) $(GO) test -run '^$$' -bench Fleet -benchtime 1x -timeout 60m ./bench/

clean:
	rm -rf bin demo-output
