#!/usr/bin/env bash
# demo-sealed.sh (make demo-sealed)
#
# The encrypted, off-site path end to end, on private servers it starts and
# stops itself: two regions with the sample schema (one with a "canary" row
# value), a test server, a restore target and an S3 server (versitygw) on
# loopback. It makes an ops and an escrow age key, runs `gravedancer backup`
# sealed to both and shipped to the bucket, lists the catalog and the
# bucket, checks the canary appears in neither the spool nor the bucket,
# deletes the local copies and restores REG1 from the bucket with the
# escrow key. Nothing is kept.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
sandbox=$here/mariadb-sandbox.sh
cd "$repo"
say() { printf '\n==> %s\n' "$*"; }

say "checking dependencies (mariadb, age, versitygw)"
bash "$here/ensure-deps.sh" age >/dev/null
bash "$here/ensure-versitygw.sh"
gobin=$(go env GOBIN); [[ -n "$gobin" ]] || { gp=$(go env GOPATH); gobin="${gp%%:*}/bin"; }
versitygw=$(command -v versitygw || echo "$gobin/versitygw")
mkdir -p bin && go build -o bin/gravedancer ./cmd/gravedancer

work=$(mktemp -d); chmod 755 "$work"
dbs=$work/db
s3pid=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  say "cleaning up"
  [[ -n "$s3pid" ]] && kill "$s3pid" 2>/dev/null && wait "$s3pid" 2>/dev/null
  bash "$sandbox" stop "$dbs" >/dev/null || rc=1
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

say "starting MariaDB servers region1, region2, testdb, target"
for name in region1 region2 testdb target; do bash "$sandbox" start "$name" "$dbs" >/dev/null; done
port() { cat "$dbs/$1/port"; }
root_sql() { mariadb --defaults-extra-file="$dbs/$1/root.cnf" --batch "${@:2}"; }
sed 's/@@REGION@@/REG1/g' demo/sample.sql | root_sql region1
sed 's/@@REGION@@/REG2/g' demo/sample.sql | root_sql region2
canary="canary-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
root_sql region1 -e "CREATE TABLE keystone.secrets (id INT PRIMARY KEY, v VARCHAR(64)); INSERT INTO keystone.secrets VALUES (1, '$canary');"

pw() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
umask 077
pwfile=$work/pw; pw >"$pwfile"
pass=$(cat "$pwfile")
for name in region1 region2 testdb target; do
  root_sql "$name" <<SQL
CREATE OR REPLACE USER 'gd'@'127.0.0.1' IDENTIFIED BY '$pass';
GRANT ALL PRIVILEGES ON *.* TO 'gd'@'127.0.0.1';
SQL
done
unset pass

say "age keys: an ops key and an escrow key; dump workers get only the public halves"
age-keygen -o "$work/ops.key" 2>/dev/null
age-keygen -o "$work/escrow.key" 2>/dev/null
{ age-keygen -y "$work/ops.key"; age-keygen -y "$work/escrow.key"; } >"$work/recipients.txt"
cat "$work/recipients.txt"

say "starting an S3 server (versitygw) on loopback"
mkdir -p "$work/s3/backups"
s3port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pw >"$work/s3.secret"
ROOT_ACCESS_KEY=demo ROOT_SECRET_KEY=$(cat "$work/s3.secret") "$versitygw" --port "127.0.0.1:$s3port" --quiet posix "$work/s3" >"$work/s3.log" 2>&1 &
s3pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$s3port") 2>/dev/null && break; sleep 0.1; done
umask 022

gd() {
  env GD_REGIONS="REG1=127.0.0.1:$(port region1),REG2=127.0.0.1:$(port region2)" \
    GD_SOURCE_USER=gd GD_SOURCE_PASSWORD_FILE="$pwfile" \
    GD_TEST_SERVERS="127.0.0.1:$(port testdb)" GD_RESTORE_USER=gd GD_RESTORE_PASSWORD_FILE="$pwfile" \
    GD_TARGET_USER=gd GD_TARGET_PASSWORD_FILE="$pwfile" \
    GD_VERIFY_ROWS=all GD_COMPRESS=zstd \
    GD_SHIP=s3 GD_S3_ENDPOINT="http://127.0.0.1:$s3port" GD_S3_BUCKET=backups GD_S3_PREFIX=demo GD_S3_PATH_STYLE=true \
    GD_S3_ACCESS_KEY=demo GD_S3_SECRET_KEY_FILE="$work/s3.secret" \
    GD_ENCRYPT_RECIPIENTS_FILE="$work/recipients.txt" GD_DECRYPT_IDENTITY_FILE="$work/ops.key" \
    GD_SPOOL_DIR="$work/spool" GD_STATE_DIR="$work/state" GD_LOG_FORMAT=text \
    "$@"
}

say "bin/gravedancer backup (sealed to both keys, shipped to s3://backups/demo/)"
gd bin/gravedancer backup
say "bin/gravedancer backups"
gd bin/gravedancer backups
say "the bucket"
(cd "$work/s3/backups" && find . -type f -printf '%s\t%P\n' | sort -k2)
say "looking for the canary row value ($canary) in the spool and the bucket"
if grep -rqa "$canary" "$work/spool" "$work/s3"; then echo "FOUND: plaintext leaked"; exit 1; else echo "absent: no plaintext in the spool or the bucket"; fi
say "pruning the local copies, then restoring REG1 from the bucket with the escrow key"
find "$work/spool" -name 'mdb_bkp_*' -delete
gd env GD_DECRYPT_IDENTITY_FILE="$work/escrow.key" bin/gravedancer restore --region REG1 --to "127.0.0.1:$(port target)"
say "the canary on the target"
root_sql target -e "SELECT v FROM keystone.secrets"
