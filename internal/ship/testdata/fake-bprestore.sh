#!/bin/bash
# fake-bprestore.sh: a strict stand-in for NetBackup's bprestore in tests,
# the restore side of fake-bpbackup.sh.
#
# It accepts exactly
#     -L LOGFILE -R RENAMEFILE -S SERVER -p POLICY -w 0 FILE...
# in that order (LOGFILE, RENAMEFILE and each FILE absolute) and exits 2
# with a message on stderr for anything else. RENAMEFILE must hold exactly
# one line "change FILE to DEST" for each FILE and nothing else, DEST an
# absolute path in an existing directory. Like bprestore it appends to
# LOGFILE. Each FILE is "restored" from $BPFAKE_VAULT/FILE (where
# fake-bpbackup.sh put it) to its DEST; when one is not in the vault
# nothing is restored and it exits 227, NetBackup's "no entity was found".
#
# Environment:
#   BPFAKE_VAULT            required: where backed-up files are
#   BPFAKE_RECORD           optional: each invocation's arguments are appended
#                           to it, one line, separated by tabs, followed by
#                           the rename file's lines
#   BPFAKE_EXPECT_POLICY    optional: POLICY must equal it (likewise
#   BPFAKE_EXPECT_SERVER    SERVER)
#   BPFAKE_FAIL             non-empty: log "EXIT STATUS 25: cannot connect on
#                           socket" and exit 25
#   BPFAKE_HANG             non-empty: write the pid of a child "sleep" to the
#                           file it names and wait until killed
set -uo pipefail

die() {
	echo "fake-bprestore: $*" >&2
	echo "usage: bprestore -L LOGFILE -R RENAMEFILE -S SERVER -p POLICY -w 0 FILE..." >&2
	exit 2
}

[ "$#" -ge 11 ] || die "want at least 11 arguments, got $#: $*"
[ "$1" = "-L" ] || die "argument 1 must be -L, got '$1'"
[ "$3" = "-R" ] || die "argument 3 must be -R, got '$3'"
[ "$5" = "-S" ] || die "argument 5 must be -S, got '$5'"
[ "$7" = "-p" ] || die "argument 7 must be -p, got '$7'"
[ "$9" = "-w" ] || die "argument 9 must be -w, got '$9'"
[ "${10}" = "0" ] || die "argument 10 must be 0 (-w 0), got '${10}'"
log=$2 rename=$4 server=$6 policy=$8
all=("$@")
files=("${all[@]:10}")
for v in "$log" "$rename" "$server" "$policy" "${files[@]}"; do
	case "$v" in
	"" | -*) die "empty value or an option where a value belongs: '$v'" ;;
	esac
done
[ -z "${BPFAKE_EXPECT_POLICY:-}" ] || [ "$policy" = "$BPFAKE_EXPECT_POLICY" ] || die "policy '$policy', want '$BPFAKE_EXPECT_POLICY'"
[ -z "${BPFAKE_EXPECT_SERVER:-}" ] || [ "$server" = "$BPFAKE_EXPECT_SERVER" ] || die "server '$server', want '$BPFAKE_EXPECT_SERVER'"
case "$log" in /*) ;; *) die "LOGFILE must be an absolute path: '$log'" ;; esac
case "$rename" in /*) ;; *) die "RENAMEFILE must be an absolute path: '$rename'" ;; esac
[ -f "$rename" ] || die "RENAMEFILE does not exist: '$rename'"
[ -n "${BPFAKE_VAULT:-}" ] || die "BPFAKE_VAULT is not set"

# Every FILE needs exactly one "change FILE to DEST" line; no other lines.
declare -A dest=()
for f in "${files[@]}"; do
	case "$f" in /*) ;; *) die "FILE must be an absolute path: '$f'" ;; esac
	[ -z "${dest[$f]+set}" ] || die "FILE listed twice: '$f'"
	dest[$f]=
done
n=0
while IFS= read -r line || [ -n "$line" ]; do
	n=$((n + 1))
	case "$line" in
	"change "*" to "*) ;;
	*) die "rename file line $n is not 'change FROM to TO': '$line'" ;;
	esac
	rest=${line#change }
	from=${rest%% to *}
	to=${rest#* to }
	[ -n "${dest[$from]+set}" ] || die "rename file line $n renames '$from', which is not a FILE argument"
	[ -z "${dest[$from]}" ] || die "rename file renames '$from' twice"
	case "$to" in /*) ;; *) die "rename file line $n: destination must be absolute: '$to'" ;; esac
	[ -d "$(dirname -- "$to")" ] || die "rename file line $n: no directory for '$to'"
	dest[$from]=$to
done <"$rename"
for f in "${files[@]}"; do
	[ -n "${dest[$f]}" ] || die "rename file has no line for '$f'"
done

if [ -n "${BPFAKE_RECORD:-}" ]; then
	{
		(IFS=$'\t'; echo "$*")
		cat -- "$rename"
	} >>"$BPFAKE_RECORD"
fi

ts() { date '+%H:%M:%S'; }
{
	echo "Restore started $(date '+%m/%d/%Y %H:%M:%S')"
	echo
	echo "$(ts) Restore job id 42 will require 1 image."
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

for f in "${files[@]}"; do
	if [ ! -f "$BPFAKE_VAULT$f" ]; then
		{
			echo "$(ts) ERR - No files found for $f with policy $policy"
			echo "EXIT STATUS 227: no entity was found"
			echo
		} >>"$log"
		echo "EXIT STATUS 227: no entity was found" >&2
		exit 227
	fi
done
for f in "${files[@]}"; do
	echo "$(ts) INF - Restoring $f to ${dest[$f]}" >>"$log"
	cp -- "$BPFAKE_VAULT$f" "${dest[$f]}" || exit 1
done
{
	echo "$(ts) INF - Status = the requested operation was successfully completed."
	echo "EXIT STATUS 0: the requested operation was successfully completed"
	echo
} >>"$log"
exit 0
