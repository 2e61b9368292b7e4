#!/usr/bin/env bash
# demo.sh: the body of `make demo`.
#
# Builds bin/gravedancer, starts three private MariaDB servers (regions REG1
# and REG2 with the demo sample loaded, and an empty test server to restore
# into), creates the backup user on each region, runs
# `bin/gravedancer backup` against them and shows the backups it wrote.
# Everything but the backups is removed on exit. Exits with the binary's
# exit code.
#
# Environment:
#   GD_DEMO_DIR      where the backups go (default ./demo-output); the spool
#                    is $GD_DEMO_DIR/backups and is kept after the demo.
#   GD_DEMO_TIMEOUT  limit for `gravedancer backup` (default 15m, a
#                    timeout(1) duration); past it the binary gets SIGTERM,
#                    then SIGKILL 30s later, and the demo exits 124.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
sandbox=$here/mariadb-sandbox.sh
cd "$repo"

say() { printf '\n==> %s\n' "$*"; }

say "checking dependencies"
bash "$here/ensure-deps.sh"

say "building bin/gravedancer"
mkdir -p bin
go build -o bin/gravedancer ./cmd/gravedancer

demo_dir=${GD_DEMO_DIR:-./demo-output}
mkdir -p "$demo_dir/backups" "$demo_dir/shipped"
demo_dir=$(cd "$demo_dir" && pwd)
backups=$demo_dir/backups

work=$(mktemp -d)
chmod 755 "$work" # mariadbd runs as mysql and must reach its files
dbs=$work/db
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  say "cleaning up"
  bash "$sandbox" stop "$dbs" || rc=1
  rm -rf "$work"
  printf 'backups kept in %s\n' "$backups"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "starting MariaDB servers region1, region2, testdb"
for name in region1 region2 testdb; do
  bash "$sandbox" start "$name" "$dbs"
done
port() { cat "$dbs/$1/port"; }
root_sql() { mariadb --defaults-extra-file="$dbs/$1/root.cnf" --batch; }

say "loading the sample schema (demo/sample.sql)"
sed 's/@@REGION@@/REG1/g' demo/sample.sql | root_sql region1
sed 's/@@REGION@@/REG2/g' demo/sample.sql | root_sql region2

# The backup user's grants. What `mariadb-dump -A --single-transaction
# --routines --events --triggers` needs on MariaDB 10.11 (checked by
# scripts/test-mariadb-sandbox.sh and internal/testenv's tests):
#   SELECT              read every table, mysql.proc for --routines
#   SHOW VIEW           SHOW CREATE VIEW (also mysql.user, a view in 10.4+)
#   EVENT               --events (SHOW EVENTS fails without it)
#   TRIGGER             --triggers: without it the dump still succeeds but
#                       silently leaves every trigger out
# Kept from the original grant set although this dump does not need them:
#   LOCK TABLES         needed when --single-transaction is not used
#   RELOAD              FLUSH TABLES WITH READ LOCK for --master-data/--gtid
#   REPLICATION CLIENT  (BINLOG MONITOR) binlog position for --master-data
#   PROCESS             MySQL 8's mysqldump needs it for tablespace info
grants='SELECT, LOCK TABLES, RELOAD, SHOW VIEW, REPLICATION CLIENT, EVENT, TRIGGER, PROCESS'

say "creating backupuser on the regions"
password_file=$work/backupuser.password
password=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
(
  umask 077
  printf '%s' "$password" >"$password_file"
)
for name in region1 region2; do
  # SQL (with the password) goes through stdin, never argv.
  root_sql "$name" <<SQL
CREATE OR REPLACE USER 'backupuser'@'127.0.0.1' IDENTIFIED BY '$password';
CREATE OR REPLACE USER 'backupuser'@'localhost' IDENTIFIED BY '$password';
GRANT $grants ON *.* TO 'backupuser'@'127.0.0.1';
GRANT $grants ON *.* TO 'backupuser'@'localhost';
SQL
done
unset password

# A dedicated restore user on the test server, as the old script's
# restoreuser: it may create, load and drop databases, nothing on the
# server's own accounts is touched by a restore.
restore_password_file=$work/restoreuser.password
restore_password=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
(
  umask 077
  printf '%s' "$restore_password" >"$restore_password_file"
)
root_sql testdb <<SQL
CREATE OR REPLACE USER 'restoreuser'@'127.0.0.1' IDENTIFIED BY '$restore_password';
GRANT ALL PRIVILEGES ON *.* TO 'restoreuser'@'127.0.0.1';
SQL
unset restore_password

limit=()
if command -v timeout >/dev/null 2>&1; then
  # --foreground: the binary still gets the terminal's Ctrl-C.
  limit=(timeout --foreground --kill-after=30s "${GD_DEMO_TIMEOUT:-15m}")
fi
# gd runs bin/gravedancer with the demo's configuration.
gd() {
  "${limit[@]}" env \
    GD_REGIONS="REG1=127.0.0.1:$(port region1),REG2=127.0.0.1:$(port region2)" \
    GD_SOURCE_USER=backupuser \
    GD_SOURCE_PASSWORD_FILE="$password_file" \
    GD_TEST_SERVERS="127.0.0.1:$(port testdb)" \
    GD_RESTORE_USER=restoreuser \
    GD_RESTORE_PASSWORD_FILE="$restore_password_file" \
    GD_TARGET_USER=restoreuser \
    GD_TARGET_PASSWORD_FILE="$restore_password_file" \
    GD_CHECK_DATABASES=keystone,nova,neutron \
    GD_CHECK_TABLES=keystone.project,nova.instances,neutron.ports \
    GD_SHIP=dir \
    GD_SHIP_DIR="$demo_dir/shipped" \
    GD_RETENTION_DAYS=3 \
    GD_ENCRYPT=off \
    GD_SPOOL_DIR="$backups" \
    GD_STATE_DIR="$work/state" \
    GD_LOG_FORMAT="${GD_LOG_FORMAT:-text}" \
    bin/gravedancer "$@"
}
backup() { gd backup; }

# age_backups moves today's backups back N days, as if they had been taken
# then, so the second run has history to prune.
age_backups() {
  local days=$1 today old f base stamp new
  today=$(date +%Y-%m-%d)
  old=$(date -d "$days days ago" +%Y-%m-%d)
  mkdir -p "$backups/$old"
  for f in "$backups/$today"/mdb_bkp_*; do
    [ -e "$f" ] || continue
    base=$(basename "$f")
    stamp=$(sed -E 's/^mdb_bkp_[A-Za-z0-9_-]+-([0-9]{8})_.*/\1/' <<<"$base")
    new=${base/$stamp/$(date -d "$days days ago" +%Y%m%d)}
    mv "$f" "$backups/$old/$new"
  done
  find "$backups/$today" -maxdepth 1 -name 'run-*.json' -exec mv {} "$backups/$old/" \;
}

rc=0
say "run 1: bin/gravedancer backup"
backup || rc=$?
printf 'bin/gravedancer backup exited with %s\n' "$rc"
if ((rc == 0)); then
  say "pretending run 1 happened 5 days ago (GD_RETENTION_DAYS=3)"
  age_backups 5
  say "run 2: bin/gravedancer backup (prunes what is older than 3 days, keeps the newest verified)"
  backup || rc=$?
  printf 'bin/gravedancer backup exited with %s\n' "$rc"
fi
if ((rc == 0)); then
  say "the catalog: bin/gravedancer backups"
  gd backups || rc=$?
  say "getting data back: bin/gravedancer restore --region REG1 --databases nova --into-database nova_restored --to the test server"
  gd restore --region REG1 --databases nova --into-database nova_restored --to "127.0.0.1:$(port testdb)" || rc=$?
  printf 'bin/gravedancer restore exited with %s\n' "$rc"
fi
if ((rc == 124 && ${#limit[@]})); then
  printf 'it did not finish within %s (GD_DEMO_TIMEOUT)\n' "${GD_DEMO_TIMEOUT:-15m}"
fi

say "backups in $backups, shipped copies in $demo_dir/shipped"
find "$backups" -type f | sort
echo
find "$backups" -type f -printf '%s\t%P\n' | sort -k2 |
  awk -F'\t' '{ printf "%12d  %s\n", $1, $2; total += $1 } END { printf "%12d  total (%d files)\n", total, NR }'

exit "$rc"
