#!/usr/bin/env bash
# screenshot.sh: the body of `make screenshot`.
#
# Serves the status page over the spool that `make demo` left behind and
# saves a PNG of the overview, taken by headless Chromium. The demo's own
# NATS server is gone by then, so a private nats-server (JetStream in a
# temporary directory, loopback only) stands in: the DLQ and queues show
# empty, the regions and runs come from the demo's run reports.
#
# Environment:
#   GD_DEMO_DIR          the demo's output (default ./demo-output)
#   GD_DEMO_REGIONS      the demo's regions (default REG1,REG2)
#   GD_SCREENSHOT        the PNG to write (default $GD_DEMO_DIR/overview.png)
#   GD_SCREENSHOT_PATH   the page to take (default /)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'screenshot: %s\n' "$*" >&2; exit 1; }

demo_dir=${GD_DEMO_DIR:-./demo-output}
[[ -d "$demo_dir/backups" ]] || die "no $demo_dir/backups: run \`make demo\` first"
demo_dir=$(cd "$demo_dir" && pwd)
out=${GD_SCREENSHOT:-$demo_dir/overview.png}

say "checking dependencies"
bash "$here/ensure-deps.sh" chromium nats-server
chromium=$(command -v chromium || echo /usr/bin/chromium)
nats_server=$(command -v nats-server || echo /usr/sbin/nats-server)

say "building bin/gravedancer"
mkdir -p bin
go build -o bin/gravedancer ./cmd/gravedancer

# free_port prints a loopback port nothing listens on.
free_port() {
  local p
  for p in $(shuf -i 20000-40000 -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      printf '%s\n' "$p"
      return 0
    fi
  done
  die "no free port found"
}

work=$(mktemp -d)
pids=()
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

nats_port=$(free_port)
"$nats_server" -a 127.0.0.1 -p "$nats_port" -js -sd "$work/js" >"$work/nats.log" 2>&1 &
pids+=($!)
# gravedancer serve gives up at once when NATS does not answer: wait for it.
for _ in $(seq 1 100); do
  grep -q "Server is ready" "$work/nats.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "Server is ready" "$work/nats.log" || {
  cat "$work/nats.log" >&2
  die "nats-server did not come up"
}

web_port=$(free_port)
regions=()
IFS=, read -ra names <<<"${GD_DEMO_REGIONS:-REG1,REG2}"
for r in "${names[@]}"; do regions+=("$r=127.0.0.1:1"); done
say "serving the status page on 127.0.0.1:$web_port"
env GD_NATS_URL="nats://127.0.0.1:$nats_port" \
  GD_REGIONS="$(IFS=,; echo "${regions[*]}")" \
  GD_TEST_SERVERS=127.0.0.1:1 \
  GD_SPOOL_DIR="$demo_dir/backups" \
  GD_STATE_DIR="$work/state" \
  GD_LOG_FORMAT=text \
  bin/gravedancer serve --listen "127.0.0.1:$web_port" >"$work/serve.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$web_port/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$web_port/readyz" >/dev/null || {
  cat "$work/serve.log" "$work/nats.log" >&2
  die "the status page did not come up"
}

say "taking $out"
mkdir -p "$(dirname "$out")"
# Its own profile and TMPDIR (it leaves directories there), and no
# background connections to the outside.
mkdir -p "$work/chromium-tmp"
TMPDIR="$work/chromium-tmp" "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,720 \
  --user-data-dir="$work/chromium-profile" --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync \
  --screenshot="$out" "http://127.0.0.1:$web_port${GD_SCREENSHOT_PATH:-/}" >"$work/chromium.log" 2>&1 || {
  cat "$work/chromium.log" >&2
  die "chromium failed"
}
[[ -s "$out" ]] || die "chromium wrote no screenshot"
printf 'wrote %s\n' "$out"
