#!/usr/bin/env bash
# seed-flow.sh: the seed's backup flow, the cron'd bash script gravedancer
# replaces (headstack/gravedancer gravedancer.sh, described in the seed's
# README), with its logging left out and every step timed. The fleet
# benchmark (bench_test.go) runs it against the same servers as gravedancer.
#
# What it does, as the seed does it:
#   1. every region at once: mariadb-dump -x -A > mdb_bkp_<REG>-<date>.sql
#   2. then one region after another:
#      stats     du -shm and md5sum -b of the dump
#      control   cat | grep '^-- MariaDB' and '^-- Dump completed'
#      restore   mariadb < dump, into the test server
#      verify    SELECT * FROM each table of the seed's DATABASES list, then
#                SELECT * … | wc -l > 0 for its TABLES list
#      ship      the seed sends the raw .sql with bpbackup; here it is copied
#                to SEED_SHIP_DIR, as gravedancer's dir target does
#      gzip      gzip -9 the dump
# Unlike the seed it drops the restored user databases after each restore
# (step "drop"), so that every restore starts from a clean test server and
# leaves it clean.
#
# Environment (credentials only ever in option files):
#   SEED_WORKDIR        where dumps go (required)
#   SEED_REGIONS        "NAME=OPTION_FILE ..." per region, each a [client]
#                       file with host, port, user, password (required)
#   SEED_TEST_DEFAULTS  the test server's [client] option file (required)
#   SEED_CHECK_EXIST    db.table list for the existence check (the seed's
#                       DATABASES); default: none
#   SEED_CHECK_ROWS     db.table list for the non-empty check (its TABLES)
#   SEED_SHIP_DIR       copy target; empty skips the ship step
#   SEED_GZIP_LEVEL     default 9
#   SEED_DUMP_TOOL      default mariadb-dump
#   SEED_CLIENT         default mariadb
#
# Output on stdout, machine-readable, seconds with microseconds:
#   step NAME SECONDS                 summed over regions; "total" is the wall
#   region NAME STEP SECONDS          the same, per region
#   bytes NAME raw|gz|shipped BYTES
#   excluded NAME REASON
# Human-readable progress goes to stderr. Exit status: 0 when every region
# passed, 1 when one was excluded, 2 on a usage error.
set -uo pipefail

die() { printf 'seed-flow: %s\n' "$*" >&2; exit 2; }
note() { printf 'seed-flow: %s\n' "$*" >&2; }

: "${SEED_WORKDIR:?set SEED_WORKDIR to a directory for the dumps}"
: "${SEED_REGIONS:?set SEED_REGIONS to NAME=OPTION_FILE pairs}"
: "${SEED_TEST_DEFAULTS:?set SEED_TEST_DEFAULTS to the test server option file}"
CHECK_EXIST=${SEED_CHECK_EXIST:-}
CHECK_ROWS=${SEED_CHECK_ROWS:-}
SHIP_DIR=${SEED_SHIP_DIR:-}
GZIP_LEVEL=${SEED_GZIP_LEVEL:-9}
DUMP=${SEED_DUMP_TOOL:-mariadb-dump}
CLIENT=${SEED_CLIENT:-mariadb}

command -v "$DUMP" >/dev/null || die "dump tool $DUMP not found"
command -v "$CLIENT" >/dev/null || die "client $CLIENT not found"
[[ -r $SEED_TEST_DEFAULTS ]] || die "cannot read SEED_TEST_DEFAULTS $SEED_TEST_DEFAULTS"
[[ -z $SHIP_DIR || -d $SHIP_DIR ]] || die "SEED_SHIP_DIR $SHIP_DIR is not a directory"
[[ $GZIP_LEVEL =~ ^[1-9]$ ]] || die "SEED_GZIP_LEVEL must be 1-9, got $GZIP_LEVEL"

REG=() CNF=()
for pair in $SEED_REGIONS; do
  name=${pair%%=*} cnf=${pair#*=}
  [[ $pair == *=* && $name =~ ^[A-Za-z0-9_-]+$ ]] || die "SEED_REGIONS entry '$pair' is not NAME=OPTION_FILE"
  [[ -r $cnf ]] || die "cannot read option file $cnf of region $name"
  REG+=("$name") CNF+=("$cnf")
done
((${#REG[@]})) || die "SEED_REGIONS names no region"

# Microseconds since the epoch; bash 5 has the clock built in, so timing
# costs no process.
us() { local t=${EPOCHREALTIME/[.,]/}; echo "$((10#$t))"; }
secs() { printf '%d.%06d' "$(($1 / 1000000))" "$(($1 % 1000000))"; }

declare -A STEP=()
STEPS=(dump stats control restore verify drop ship gzip)
for s in "${STEPS[@]}"; do STEP[$s]=0; done
# timed STEP REGION CMD...: runs CMD, adds its wall time to STEP, prints
# the region's line, and returns CMD's status.
timed() {
  local step=$1 region=$2 t0 rc
  shift 2
  t0=$(us)
  "$@"
  rc=$?
  local d=$(($(us) - t0))
  STEP[$step]=$((STEP[$step] + d))
  echo "region $region $step $(secs "$d")"
  return $rc
}

DIRDATE=$(date +%Y%m%d)
FILEDATE=$(date +%Y%m%d_%H%M%S)
DIR=$SEED_WORKDIR/dump/$DIRDATE
LOGDIR=$SEED_WORKDIR/log/$DIRDATE
mkdir -p "$DIR" "$LOGDIR" || die "cannot create $DIR and $LOGDIR"

total0=$(us)

# 1. All regions at once, as the seed's background loop does.
t0=$(us)
PIDS=()
for i in "${!REG[@]}"; do
  "$DUMP" --defaults-extra-file="${CNF[$i]}" -x -A \
    >"$DIR/mdb_bkp_${REG[$i]}-$FILEDATE.sql" 2>"$LOGDIR/${REG[$i]}.dump.err" &
  PIDS+=($!)
done
STATUS=()
for pid in "${PIDS[@]}"; do
  wait "$pid"
  STATUS+=($?)
done
STEP[dump]=$(($(us) - t0))

drop_user_databases() {
  local dbs sql="" d
  dbs=$("$CLIENT" --defaults-extra-file="$SEED_TEST_DEFAULTS" -N -B -e \
    "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN ('mysql','information_schema','performance_schema','sys')") || return 1
  for d in $dbs; do sql+="DROP DATABASE \`${d//\`/\`\`}\`;"; done
  [[ -z $sql ]] || "$CLIENT" --defaults-extra-file="$SEED_TEST_DEFAULTS" -e "$sql"
}

restore() { "$CLIENT" --defaults-extra-file="$SEED_TEST_DEFAULTS" <"$1" 2>>"$LOGDIR/$2.restore.err"; }

# verify FILE REGION: the seed's two loops over its DATABASES and TABLES.
# The reason for a failure is left in WHY.
verify() {
  local t count
  for t in $CHECK_EXIST; do
    "$CLIENT" --defaults-extra-file="$SEED_TEST_DEFAULTS" -e "SELECT * FROM $t" >/dev/null 2>>"$LOGDIR/$2.verify.err" ||
      { WHY="table $t does not exist"; return 1; }
  done
  for t in $CHECK_ROWS; do
    count=$("$CLIENT" --defaults-extra-file="$SEED_TEST_DEFAULTS" -e "SELECT * FROM $t" 2>>"$LOGDIR/$2.verify.err" | wc -l)
    ((count > 0)) || { WHY="table $t is empty"; return 1; }
  done
}

stats() {
  FILESIZEMIB=$(du -shm "$1" | awk '{ print $1 }')
  MD5SUM=$(md5sum -b "$1" | awk '{ print $1 }')
}

control() {
  STARTDUMP=$(cat "$1" | grep ^'-- MariaDB' | awk '{ print $2 }')
  ENDDUMP=$(cat "$1" | grep ^'-- Dump completed' | awk '{ print $3 }')
  [[ $STARTDUMP == MariaDB && $ENDDUMP == completed ]]
}

EXCLUDED=0
exclude() {
  echo "excluded $1 $2"
  note "region $1 excluded: $2"
  EXCLUDED=$((EXCLUDED + 1))
}

# 2. One region after another, as the seed's main loop does.
for i in "${!REG[@]}"; do
  r=${REG[$i]}
  f=$DIR/mdb_bkp_$r-$FILEDATE.sql
  if ((STATUS[i] != 0)); then
    exclude "$r" "dump exited ${STATUS[$i]}: $(tail -n 1 "$LOGDIR/$r.dump.err")"
    continue
  fi
  timed stats "$r" stats "$f"
  echo "bytes $r raw $(stat -c %s "$f")"
  if ((FILESIZEMIB <= 0)); then
    exclude "$r" "dump is empty"
    continue
  fi
  note "$r: $FILESIZEMIB MiB, md5 $MD5SUM"
  if ! timed control "$r" control "$f"; then
    exclude "$r" "control lines missing (start '$STARTDUMP', end '$ENDDUMP')"
    continue
  fi
  if ! timed restore "$r" restore "$f" "$r"; then
    exclude "$r" "restore failed: $(tail -n 1 "$LOGDIR/$r.restore.err")"
    timed drop "$r" drop_user_databases
    continue
  fi
  if ! timed verify "$r" verify "$f" "$r"; then
    exclude "$r" "check failed: $WHY"
    timed drop "$r" drop_user_databases
    continue
  fi
  timed drop "$r" drop_user_databases || { exclude "$r" "dropping the restored databases failed"; continue; }
  if [[ -n $SHIP_DIR ]]; then
    timed ship "$r" cp "$f" "$SHIP_DIR/" || { exclude "$r" "ship copy failed"; continue; }
    echo "bytes $r shipped $(stat -c %s "$SHIP_DIR/${f##*/}")"
  fi
  timed gzip "$r" gzip "-$GZIP_LEVEL" "$f" || { exclude "$r" "gzip failed"; continue; }
  echo "bytes $r gz $(stat -c %s "$f.gz")"
done

for s in "${STEPS[@]}"; do echo "step $s $(secs "${STEP[$s]}")"; done
echo "step total $(secs "$(($(us) - total0))")"
((EXCLUDED == 0)) || exit 1
exit 0
