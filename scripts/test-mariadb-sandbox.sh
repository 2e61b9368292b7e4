#!/usr/bin/env bash
# test-mariadb-sandbox.sh: end-to-end check of scripts/mariadb-sandbox.sh and
# of the backup user's grants, as the demo uses them.
#
# Starts three sandbox servers, loads demo/sample.sql into two (REG1, REG2),
# creates backupuser with the demo's grants, runs
#   mariadb-dump -A --single-transaction --routines --events --triggers
# as backupuser (password only in a 0600 --defaults-extra-file), checks the
# dump, restores REG1's dump into the third server and compares row counts,
# then stops everything and checks that no mariadbd of it is left.
# Exits non-zero on any failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
sandbox=$here/mariadb-sandbox.sh

fail() { printf 'test-mariadb-sandbox: FAIL: %s\n' "$*" >&2; exit 1; }
say() { printf 'test-mariadb-sandbox: %s\n' "$*"; }

work=$(mktemp -d)
chmod 755 "$work"
dbs=$work/db
cleanup() {
  local rc=$?
  bash "$sandbox" stop "$dbs" || rc=1
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

began=$SECONDS
for name in region1 region2 testdb; do
  bash "$sandbox" start "$name" "$dbs"
done
say "three servers up in $((SECONDS - began))s"

root_sql() { mariadb --defaults-extra-file="$dbs/$1/root.cnf" --batch --skip-column-names; }

for pair in region1:REG1 region2:REG2; do
  name=${pair%%:*} region=${pair#*:}
  t0=$(date +%s%N)
  sed "s/@@REGION@@/$region/g" "$repo/demo/sample.sql" | root_sql "$name"
  say "sample loaded into $name ($region) in $((($(date +%s%N) - t0) / 1000000)) ms"
done

# The demo's grants (see scripts/demo.sh for why each one is there).
grants='SELECT, LOCK TABLES, RELOAD, SHOW VIEW, REPLICATION CLIENT, EVENT, TRIGGER, PROCESS'
password=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
for name in region1 region2; do
  root_sql "$name" <<SQL
CREATE OR REPLACE USER 'backupuser'@'127.0.0.1' IDENTIFIED BY '$password';
CREATE OR REPLACE USER 'backupuser'@'localhost' IDENTIFIED BY '$password';
GRANT $grants ON *.* TO 'backupuser'@'127.0.0.1';
GRANT $grants ON *.* TO 'backupuser'@'localhost';
SQL
done

# dump_as NAME: mariadb-dump -A as backupuser over TCP; password in a 0600 file.
dump_as() {
  local name=$1 cnf=$work/$1-backupuser.cnf
  (
    umask 077
    printf '[client]\nuser=backupuser\npassword=%s\nhost=127.0.0.1\nport=%s\nprotocol=tcp\n' \
      "$password" "$(cat "$dbs/$name/port")" >"$cnf"
  )
  mariadb-dump --defaults-extra-file="$cnf" -A --single-transaction \
    --routines --events --triggers >"$work/$name.sql" 2>"$work/$name.err" ||
    fail "mariadb-dump of $name as backupuser: $(cat "$work/$name.err")"
  [[ ! -s "$work/$name.err" ]] || fail "mariadb-dump of $name wrote to stderr: $(cat "$work/$name.err")"
}

for name in region1 region2; do
  dump_as "$name"
  f=$work/$name.sql
  # shellcheck disable=SC2016 # backquotes are literal SQL quoting
  for want in 'CREATE TABLE `instance actions`' 'TRIGGER instances_after_insert' \
    'TRIGGER instances_after_update' 'PROCEDURE `archive_deleted_rows`' \
    'FUNCTION `project_member_count`' 'EVENT `purge_old_faults`' \
    'VIEW `active_instances`' '-- Dump completed'; do
    grep -qF -- "$want" "$f" || fail "$name dump lacks: $want"
  done
  say "dump of $name as backupuser ok ($(stat -c %s "$f") bytes)"
done
grep -qF "'REG1'" "$work/region1.sql" || fail "region1 dump lacks REG1"
grep -qF "'REG2'" "$work/region2.sql" || fail "region2 dump lacks REG2"

# No process has the password on its command line (matched in bash, so the
# check itself puts it in no argv).
procs=$(ps -eo args)
if [[ "$procs" == *"$password"* ]]; then
  fail "password visible in a process command line"
fi

# Restore REG1 into testdb (as root) and compare row counts table by table.
mariadb --defaults-extra-file="$dbs/testdb/root.cnf" <"$work/region1.sql" ||
  fail "restoring the region1 dump into testdb"
count_rows() {
  local name=$1 t db tb out=""
  for t in keystone.project keystone.user keystone.role_assignment nova.instances \
    nova.block_device_mapping nova.instance_faults 'nova.instance actions' neutron.ports; do
    db=${t%%.*} tb=${t#*.}
    out+="$t=$(echo "SELECT COUNT(*) FROM \`$db\`.\`$tb\`" | root_sql "$name") "
  done
  printf '%s\n' "$out"
}
src=$(count_rows region1)
dst=$(count_rows testdb)
[[ "$src" == "$dst" ]] || fail "row counts differ after restore: $src vs $dst"
say "restore into testdb matches: $src"

# Stop, then nothing of ours may remain.
mapfile -t pids < <(cat "$dbs"/*/pid)
bash "$sandbox" stop "$dbs"
for pid in "${pids[@]}"; do
  # A zombie (exited, not yet reaped by init) counts as gone.
  st=$(ps -o stat= -p "$pid" 2>/dev/null || true)
  if [[ -n "$st" && "$st" != Z* ]]; then
    fail "mariadbd pid $pid still alive after stop (state $st)"
  fi
done
if pgrep -f -- "--datadir=$dbs/" >/dev/null; then
  fail "a mariadbd with a datadir under $dbs is still running"
fi
for name in region1 region2 testdb; do
  [[ ! -e "$dbs/$name/pid" ]] || fail "$name/pid left behind"
done
say "stopped; no mariadbd left (pids were ${pids[*]})"
say "PASS in $((SECONDS - began))s"
