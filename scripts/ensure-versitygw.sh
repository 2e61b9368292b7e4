#!/usr/bin/env bash
# ensure-versitygw.sh
#
# Makes sure the S3 server the tests start (versitygw, an S3 gateway over a
# plain directory; see internal/testenv/s3.go) is installed at the pinned
# version, in the Go bin directory (GOBIN, else the first GOPATH entry's
# bin), where the tests look for it besides PATH. Idempotent: it builds
# only when the binary is missing or was built from another version
# (`go version -m` tells). A build takes about a minute on two cores and
# makes an ~80 MB binary.
#
# Exit status: 0 when the pinned versitygw is there afterwards.
set -euo pipefail

module=github.com/versity/versitygw
version=${VERSITYGW_VERSION:-v1.8.0}

log() { printf 'ensure-versitygw: %s\n' "$*"; }
die() { printf 'ensure-versitygw: ERROR: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "the go toolchain is not on PATH"
bindir=$(go env GOBIN)
if [[ -z "$bindir" ]]; then
  gopath=$(go env GOPATH)
  bindir="${gopath%%:*}/bin"
fi
bin="$bindir/versitygw"

if [[ -x "$bin" ]] && go version -m "$bin" 2>/dev/null |
  awk -v m="$module" -v v="$version" '$1 == "mod" && $2 == m && $3 == v { found = 1 } END { exit !found }'; then
  log "present: $bin ($version)"
  exit 0
fi

log "building $module $version into $bindir"
start=$SECONDS
GOFLAGS= go install "$module/cmd/versitygw@$version" || die "go install $module/cmd/versitygw@$version failed"
[[ -x "$bin" ]] || die "go install succeeded but $bin is missing"
log "installed $bin ($version) in $((SECONDS - start))s, $(du -h "$bin" | cut -f1)"
