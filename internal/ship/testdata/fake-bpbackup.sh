#!/bin/bash
# fake-bpbackup.sh: a strict stand-in for NetBackup's bpbackup in tests.
#
# It accepts exactly
#     -p POLICY -s SCHEDULE -S SERVER -L LOGFILE -w 0 FILE
# in that order (FILE absolute and an existing regular file) and exits 2
# with a message on stderr for anything else. Like bpbackup it appends to
# LOGFILE. On success it copies FILE to $BPFAKE_VAULT/FILE (the full path
# below the vault, as NetBackup catalogs full paths).
#
# Environment:
#   BPFAKE_VAULT            required: where received files go
#   BPFAKE_RECORD           optional: each invocation's arguments are appended
#                           to it, one line, separated by tabs
#   BPFAKE_EXPECT_POLICY    optional: POLICY must equal it (likewise
#   BPFAKE_EXPECT_SCHEDULE  SCHEDULE, SERVER)
#   BPFAKE_EXPECT_SERVER
#   BPFAKE_FAIL             non-empty: log "EXIT STATUS 25: cannot connect on
#                           socket" and exit 25
#   BPFAKE_HANG             non-empty: write the pid of a child "sleep" to the
#                           file it names and wait until killed
set -uo pipefail

die() {
	echo "fake-bpbackup: $*" >&2
	echo "usage: bpbackup -p POLICY -s SCHEDULE -S SERVER -L LOGFILE -w 0 FILE" >&2
	exit 2
}

[ "$#" -eq 11 ] || die "want exactly 11 arguments, got $#: $*"
[ "$1" = "-p" ] || die "argument 1 must be -p, got '$1'"
[ "$3" = "-s" ] || die "argument 3 must be -s, got '$3'"
[ "$5" = "-S" ] || die "argument 5 must be -S, got '$5'"
[ "$7" = "-L" ] || die "argument 7 must be -L, got '$7'"
[ "$9" = "-w" ] || die "argument 9 must be -w, got '$9'"
[ "${10}" = "0" ] || die "argument 10 must be 0 (-w 0), got '${10}'"
policy=$2 schedule=$4 server=$6 log=$8 file=${11}
for v in "$policy" "$schedule" "$server" "$log" "$file"; do
	case "$v" in
	"" | -*) die "empty value or an option where a value belongs: '$v'" ;;
	esac
done
[ -z "${BPFAKE_EXPECT_POLICY:-}" ] || [ "$policy" = "$BPFAKE_EXPECT_POLICY" ] || die "policy '$policy', want '$BPFAKE_EXPECT_POLICY'"
[ -z "${BPFAKE_EXPECT_SCHEDULE:-}" ] || [ "$schedule" = "$BPFAKE_EXPECT_SCHEDULE" ] || die "schedule '$schedule', want '$BPFAKE_EXPECT_SCHEDULE'"
[ -z "${BPFAKE_EXPECT_SERVER:-}" ] || [ "$server" = "$BPFAKE_EXPECT_SERVER" ] || die "server '$server', want '$BPFAKE_EXPECT_SERVER'"
case "$log" in /*) ;; *) die "LOGFILE must be an absolute path: '$log'" ;; esac
case "$file" in /*) ;; *) die "FILE must be an absolute path: '$file'" ;; esac
[ -f "$file" ] || die "FILE does not exist or is not a regular file: '$file'"
[ -n "${BPFAKE_VAULT:-}" ] || die "BPFAKE_VAULT is not set"

if [ -n "${BPFAKE_RECORD:-}" ]; then
	(IFS=$'\t'; echo "$*") >>"$BPFAKE_RECORD"
fi

ts() { date '+%H:%M:%S'; }
{
	echo "Backup started $(date '+%m/%d/%Y %H:%M:%S')"
	echo
	echo "$(ts) Initiating backup"
	echo "$(ts) INF - Processing $file"
} >>"$log" || die "cannot write LOGFILE '$log'"

if [ -n "${BPFAKE_HANG:-}" ]; then
	echo "$(ts) INF - Waiting for master server $server" >>"$log"
	sleep 3600 &
	echo "$!" >"$BPFAKE_HANG"
	wait
	exit 1
fi

if [ -n "${BPFAKE_FAIL:-}" ]; then
	{
		echo "$(ts) ERR - Cannot connect to master server $server"
		echo "EXIT STATUS 25: cannot connect on socket"
		echo
	} >>"$log"
	echo "EXIT STATUS 25: cannot connect on socket" >&2
	exit 25
fi

dest="$BPFAKE_VAULT$file"
mkdir -p -- "$(dirname -- "$dest")" || exit 1
cp -- "$file" "$dest.partial" && mv -f -- "$dest.partial" "$dest" || exit 1
{
	echo "$(ts) INF - Backup by $(id -un) using policy $policy, schedule $schedule: the requested operation was successfully completed."
	echo "EXIT STATUS 0: the requested operation was successfully completed"
	echo
} >>"$log"
exit 0
