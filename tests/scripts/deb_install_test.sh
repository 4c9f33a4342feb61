#!/usr/bin/env bash
# The .deb packages as a user gets them (issue 17, item 4): installs
# build-package/*.deb with dpkg -i, then, from the installed files only:
# `troupe node --help`; a 2-node cluster of /usr/bin/troupe nodes started
# from config files as /etc/troupe/NAME.conf holds them, with a cluster
# secret, checked with `troupe status`; the systemd unit (verified with
# systemd-analyze where systemd is installed); and find_package(troupe) from
# a CMake project with no prefix given. Removes the packages at the end,
# also after a failure. Every wait is bounded.
#   tests/scripts/deb_install_test.sh [build-package]
set -euo pipefail
dir="${1:-build-package}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
shopt -s nullglob
debs=("$dir"/troupe-node_*.deb "$dir"/libtroupe-dev_*.deb)
[ ${#debs[@]} -eq 2 ] || { echo "error: expected troupe-node and libtroupe-dev .deb files in $dir (run ./troupe.sh package); found: ${debs[*]:-none}" >&2; exit 1; }
work="$(mktemp -d)"
pids=()
fail() { echo "error: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do timeout 10 tail --pid="$p" -f /dev/null || kill -KILL "$p" 2>/dev/null || true; done
  $sudo dpkg -r troupe-node libtroupe-dev >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> dpkg -i ${debs[*]}"
$sudo dpkg -i "${debs[@]}" >"$work/dpkg.log" 2>&1 || fail "dpkg -i failed (missing dependencies? apt-get -f install)"
dpkg-query -W troupe-node libtroupe-dev

echo "==> the installed tool"
[ "$(command -v troupe)" = /usr/bin/troupe ] || fail "troupe is not /usr/bin/troupe but '$(command -v troupe || true)'"
/usr/bin/troupe node --help >"$work/help.txt" || fail "troupe node --help failed"
grep -q -- "--troupe.seeds" "$work/help.txt" || fail "troupe node --help does not name --troupe.seeds"

echo "==> a 2-node cluster of the installed troupe node"
umask 077
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$work/cluster.cookie"
start_node() { # NAME SEEDS: starts it, waits for its address
  local name="$1" seeds="$2"
  { echo 'troupe {'
    echo '  listen = "127.0.0.1:0"'
    [ -z "$seeds" ] || echo "  seeds = \"$seeds\""
    echo '}'; } >"$work/$name.conf"
  /usr/bin/troupe node --config-file "$work/$name.conf" --troupe.node-name="$name" \
    --troupe.cookie-file="$work/cluster.cookie" >"$work/$name.out" 2>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 200); do # at most 20 s
    addr="$(sed -n 's/^.*listening on \([^ ,;]*\).*$/\1/p' "$work/$name.out" | head -1)"
    [ -n "$addr" ] && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || fail "node $name exited at start"
    sleep 0.1
  done
  fail "node $name printed no address within 20 s"
}
start_node p1 ""
first="$addr"
start_node p2 "$first"
for _ in $(seq 100); do # at most 20 s (each status waits at most 2 s)
  if /usr/bin/troupe status --seed "$first" --cookie-file "$work/cluster.cookie" --timeout 2 \
       >"$work/status.txt" 2>>"$work/status.log" \
     && [ "$(grep -cE '^p[12] .* up ' "$work/status.txt")" -eq 2 ]; then
    break
  fi
  sleep 0.2
done
cat "$work/status.txt"
[ "$(grep -cE '^p[12] .* up ' "$work/status.txt")" -eq 2 ] || fail "the two installed nodes did not both become up members"

echo "==> the systemd unit"
unit=/usr/lib/systemd/system/troupe-node@.service
[ -f "$unit" ] || unit=/lib/systemd/system/troupe-node@.service
[ -f "$unit" ] || fail "the package installs no troupe-node@.service"
grep -q "^ExecStart=/usr/bin/troupe node --config-file /etc/troupe/%i.conf" "$unit" || fail "$unit does not start /usr/bin/troupe node"
if command -v systemd-analyze >/dev/null; then
  # A template verifies as an instance of it.
  cp "$unit" "$work/troupe-node@check.service"
  systemd-analyze verify "$work/troupe-node@check.service" || fail "systemd-analyze verify $unit failed"
else
  echo "skipped: systemd-analyze verify (systemd is not installed here)"
fi

echo "==> find_package(troupe) from the installed libtroupe-dev"
mkdir -p "$work/consumer"
cat >"$work/consumer/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.19)
project(consumer LANGUAGES CXX)
find_package(troupe REQUIRED)
message(STATUS "troupe ${troupe_VERSION} found in ${troupe_DIR}")
CMAKE
cmake -S "$work/consumer" -B "$work/consumer/build" >"$work/cmake.log" 2>&1 || fail "find_package(troupe) failed"
grep "troupe .* found in" "$work/cmake.log"
echo "OK: the packages install, run a cluster and are found by CMake"
