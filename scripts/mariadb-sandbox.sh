#!/usr/bin/env bash
# mariadb-sandbox.sh: private MariaDB servers for the demo (and by hand).
#
#   mariadb-sandbox.sh start NAME DIR   initialise (first time) and start a
#                                       private mariadbd in DIR/NAME on a free
#                                       127.0.0.1 port; waits until it answers
#   mariadb-sandbox.sh stop DIR         stop every instance under DIR
#                                       (SIGTERM, wait, SIGKILL fallback)
#   mariadb-sandbox.sh status DIR       list the instances under DIR
#
# DIR/NAME holds:
#   data/           the data directory (mariadb-install-db on first start)
#   run/            mysqld.sock, mariadbd.err (error log), mariadbd.pid
#   port, pid       the TCP port and mariadbd's pid
#   root.cnf        client options for root over the unix socket, for
#                   `mariadb --defaults-extra-file=DIR/NAME/root.cnf`
#   mariadbd.out    mariadbd's stdout/stderr, install.log
#
# root@localhost and root@127.0.0.1 have an empty password (auth method
# "normal"). The server settings match internal/testenv (serverSettings);
# keep the two in step. When run as root, mariadbd runs as the mysql user,
# so DIR and DIR/NAME are made world-readable (755) and every parent of DIR
# must be searchable by mysql.
set -euo pipefail

readonly READY_TIMEOUT=60 # seconds to wait for a new server
readonly STOP_TIMEOUT=30  # seconds between SIGTERM and SIGKILL
readonly START_ATTEMPTS=4 # new ports to try if the chosen one got taken

server_settings=(
  --bind-address=127.0.0.1
  --skip-name-resolve
  --innodb-buffer-pool-size=32M
  --innodb-log-file-size=16M
  --skip-log-bin
  --performance-schema=OFF
  --max-allowed-packet=64M
  --character-set-server=utf8mb4
  --collation-server=utf8mb4_general_ci
)
# --force skips install-db's hostname lookup (no DNS needed).
install_settings=(
  --auth-root-authentication-method=normal
  --skip-test-db
  --force
  --innodb-buffer-pool-size=32M
  --innodb-log-file-size=16M
)

prog=${0##*/}
log() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$prog" "$*" >&2; exit 1; }
usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
  exit 2
}

# find_bin NAME: absolute path of NAME from PATH or the sbin dirs.
find_bin() {
  local d
  if command -v "$1" >/dev/null 2>&1; then
    command -v "$1"
    return 0
  fi
  for d in /usr/sbin /usr/local/sbin /sbin; do
    if [[ -x "$d/$1" ]]; then
      printf '%s\n' "$d/$1"
      return 0
    fi
  done
  return 1
}

# free_port: a TCP port on 127.0.0.1 that is free right now.
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
    return
  fi
  # Fallback: probe random high ports with bash's /dev/tcp.
  local i p
  for i in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      printf '%s\n' "$p"
      return
    fi
  done
  die "could not find a free port"
}

# alive PID: the process exists and is not a zombie.
alive() {
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ -n "$st" && "$st" != Z* ]]
}

# is_our_mariadbd PID INST: PID is a mariadbd serving INST/data (so a pid
# reused by another process, or the system's own server, is never signalled).
is_our_mariadbd() {
  local pid=$1 inst=$2
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == mariadbd ]] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" | grep -Fqx -- "--datadir=$inst/data"
}

abs_dir() { (cd "$1" && pwd -P); }

cmd_start() {
  (($# == 2)) || usage
  local name=$1 dir=$2
  [[ "$name" =~ ^[A-Za-z0-9_-]+$ ]] || die "NAME must match [A-Za-z0-9_-]+: $name"

  local mariadbd install_db admin client
  mariadbd=$(find_bin mariadbd) || die "mariadbd not found (run scripts/ensure-deps.sh)"
  install_db=$(find_bin mariadb-install-db) || die "mariadb-install-db not found (run scripts/ensure-deps.sh)"
  admin=$(find_bin mariadb-admin) || die "mariadb-admin not found (run scripts/ensure-deps.sh)"
  client=$(find_bin mariadb) || die "mariadb client not found (run scripts/ensure-deps.sh)"

  mkdir -p "$dir"
  dir=$(abs_dir "$dir")
  local inst=$dir/$name
  mkdir -p "$inst/run"
  chmod 755 "$dir" "$inst"

  if [[ -f "$inst/pid" ]]; then
    local old
    old=$(cat "$inst/pid")
    if alive "$old" && is_our_mariadbd "$old" "$inst"; then
      die "$name is already running (pid $old, port $(cat "$inst/port" 2>/dev/null))"
    fi
    rm -f "$inst/pid"
  fi

  local user_opt=()
  if [[ $(id -u) -eq 0 ]]; then
    id mysql >/dev/null 2>&1 || die "running as root but there is no mysql user (install mariadb-server)"
    user_opt=(--user=mysql)
    chown mysql:mysql "$inst/run"
    if command -v runuser >/dev/null 2>&1 && ! runuser -u mysql -- test -x "$inst/run"; then
      die "the mysql user cannot reach $inst (make every parent dir searchable: chmod o+x), or use another DIR"
    fi
  fi

  if [[ ! -d "$inst/data/mysql" ]]; then
    rm -rf "$inst/data"
    if ! "$install_db" --no-defaults --datadir="$inst/data" "${user_opt[@]}" \
      "${install_settings[@]}" >"$inst/install.log" 2>&1; then
      tail -n 30 "$inst/install.log" >&2
      die "mariadb-install-db failed for $name (log: $inst/install.log)"
    fi
  fi

  local sock=$inst/run/mysqld.sock errlog=$inst/run/mariadbd.err
  local attempt port pid offset ready
  for ((attempt = 1; attempt <= START_ATTEMPTS; attempt++)); do
    port=$(free_port)
    offset=$(stat -c %s "$errlog" 2>/dev/null || echo 0)
    # setsid: own session and process group, so a terminal's Ctrl-C does
    # not reach it and `stop` can signal exactly this server.
    setsid "$mariadbd" --no-defaults \
      --datadir="$inst/data" --socket="$sock" --port="$port" \
      --log-error="$errlog" --pid-file="$inst/run/mariadbd.pid" \
      "${user_opt[@]}" "${server_settings[@]}" \
      </dev/null >>"$inst/mariadbd.out" 2>&1 &
    pid=$!
    printf '%s\n' "$pid" >"$inst/pid"
    printf '%s\n' "$port" >"$inst/port"

    ready=0
    local deadline=$((SECONDS + READY_TIMEOUT))
    while ((SECONDS < deadline)); do
      if ! alive "$pid"; then
        break
      fi
      if "$admin" --no-defaults --protocol=tcp --host=127.0.0.1 --port="$port" \
        --user=root --connect-timeout=2 ping >/dev/null 2>&1; then
        ready=1
        break
      fi
      sleep 0.1
    done
    ((ready)) && break

    if alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    rm -f "$inst/pid"
    if tail -c +$((offset + 1)) "$errlog" 2>/dev/null | grep -q "Address already in use"; then
      log "port $port was taken meanwhile; retrying"
      continue
    fi
    tail -n 30 "$errlog" >&2 2>/dev/null || true
    die "mariadbd for $name did not become ready within ${READY_TIMEOUT}s (error log: $errlog)"
  done
  ((ready)) || die "mariadbd for $name: no free port after $START_ATTEMPTS attempts"

  # mariadbd's own pid file is authoritative if setsid had to fork.
  if [[ -s "$inst/run/mariadbd.pid" ]]; then
    pid=$(cat "$inst/run/mariadbd.pid")
    printf '%s\n' "$pid" >"$inst/pid"
  fi

  umask 077
  printf '[client]\nuser=root\nsocket=%s\nprotocol=socket\ndefault-character-set=utf8mb4\n' \
    "$sock" >"$inst/root.cnf"
  # install-db normally creates root@127.0.0.1 already; make sure of it so
  # TCP clients (seen as 127.0.0.1 under --skip-name-resolve) get in.
  if ! "$client" --defaults-extra-file="$inst/root.cnf" --batch <<'SQL'; then
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
SQL
    die "could not set up root@127.0.0.1 on $name"
  fi

  printf '%s ready on 127.0.0.1:%s (pid %s, socket %s)\n' "$name" "$port" "$pid" "$sock"
}

# stop_one INST: stop the instance in INST if it runs. Returns 1 if it
# would not die.
stop_one() {
  local inst=$1 name=${1##*/} pid i
  [[ -f "$inst/pid" ]] || return 0
  pid=$(cat "$inst/pid")
  if ! [[ "$pid" =~ ^[0-9]+$ ]] || ! alive "$pid" || ! is_our_mariadbd "$pid" "$inst"; then
    rm -f "$inst/pid"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    log "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
  fi
  if alive "$pid"; then
    log "$name (pid $pid) is still alive"
    return 1
  fi
  rm -f "$inst/pid"
  log "stopped $name (pid $pid)"
}

cmd_stop() {
  (($# == 1)) || usage
  [[ -d "$1" ]] || return 0
  local dir inst rc=0
  dir=$(abs_dir "$1")
  for inst in "$dir"/*/; do
    inst=${inst%/}
    [[ -f "$inst/pid" ]] || continue
    stop_one "$inst" || rc=1
  done
  return "$rc"
}

cmd_status() {
  (($# == 1)) || usage
  [[ -d "$1" ]] || return 0
  local dir inst pid state
  dir=$(abs_dir "$1")
  for inst in "$dir"/*/; do
    inst=${inst%/}
    [[ -d "$inst/data" ]] || continue
    pid=$(cat "$inst/pid" 2>/dev/null || true)
    state=stopped
    if [[ -n "$pid" ]] && alive "$pid" && is_our_mariadbd "$pid" "$inst"; then
      state="running pid $pid"
    fi
    printf '%s\t127.0.0.1:%s\t%s\n' "${inst##*/}" "$(cat "$inst/port" 2>/dev/null || echo '?')" "$state"
  done
}

(($# >= 1)) || usage
sub=$1
shift
case "$sub" in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
status) cmd_status "$@" ;;
-h | --help | help) usage ;;
*) usage ;;
esac
