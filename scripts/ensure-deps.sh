#!/usr/bin/env bash
# ensure-deps.sh [EXTRA_PACKAGE...]
#
# Makes sure this Debian machine has what gravedancer's tests and demo need:
# mariadb-server and mariadb-client, plus any Debian package names given as
# arguments (e.g. `ensure-deps.sh openssh-server nats-server`). Idempotent:
# it runs `apt-get update` once and `apt-get install` only when something is
# missing, and prints what it installed. It uses sudo only when not root.
# It also checks that the go toolchain is on PATH.
#
# Exit status: 0 when everything is present afterwards, non-zero with a
# message on stderr otherwise.
set -euo pipefail

log() { printf 'ensure-deps: %s\n' "$*"; }
die() { printf 'ensure-deps: ERROR: %s\n' "$*" >&2; exit 1; }

packages=(mariadb-server mariadb-client "$@")

# Binaries the tests and scripts call, and the package that provides them.
declare -A binary_pkg=(
  [mariadbd]=mariadb-server
  [mariadb-install-db]=mariadb-server
  [mariadb]=mariadb-client
  [mariadb-dump]=mariadb-client
  [mariadb-admin]=mariadb-client
)

# have_bin NAME: on PATH or in an sbin dir a non-root PATH may lack.
have_bin() {
  command -v "$1" >/dev/null 2>&1 && return 0
  local d
  for d in /usr/sbin /usr/local/sbin /sbin; do
    [[ -x "$d/$1" ]] && return 0
  done
  return 1
}

pkg_installed() {
  local status
  status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
  [[ "$status" == "install ok installed" ]]
}

missing_bins() {
  local b out=()
  for b in "${!binary_pkg[@]}"; do
    have_bin "$b" || out+=("$b")
  done
  printf '%s\n' "${out[@]}"
}

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${packages[@]}"; do
    pkg_installed "$p" || missing+=("$p")
  done

  if ((${#missing[@]} == 0)); then
    log "nothing to install; present: ${packages[*]}"
  else
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
      command -v sudo >/dev/null 2>&1 ||
        die "not root and sudo is not installed; as root run: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
      sudo=(sudo)
    fi
    log "missing: ${missing[*]}; running apt-get update"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
      die "apt-get update failed"
    log "installing: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -q --no-install-recommends "${missing[@]}" ||
      die "apt-get install failed for: ${missing[*]}"
    still=()
    for p in "${missing[@]}"; do
      pkg_installed "$p" || still+=("$p")
    done
    # A virtual package name installs under another name; only complain
    # about names dpkg does not know at all after the install.
    if ((${#still[@]})); then
      for p in "${still[@]}"; do
        apt-cache show "$p" >/dev/null 2>&1 || die "package $p is unknown to apt"
      done
    fi
    log "installed: ${missing[*]}"
  fi
else
  # Not Debian: we cannot install, but the binaries may be there anyway.
  if (($# > 0)); then
    die "no apt-get/dpkg here; install these yourself: $*"
  fi
  log "no apt-get/dpkg here; checking binaries only"
fi

mapfile -t absent < <(missing_bins)
if ((${#absent[@]})) && [[ -n "${absent[0]}" ]]; then
  die "still missing binaries: ${absent[*]} (packages mariadb-server, mariadb-client)"
fi

if ! command -v go >/dev/null 2>&1; then
  die "the go toolchain is not on PATH (the demo builds bin/gravedancer with it); install Go per go.mod and add its bin dir to PATH"
fi
log "ok: $(go version)"
