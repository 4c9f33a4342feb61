#!/usr/bin/env bash
# The Erlang/OTP peer of the benchmark suite: compiles the modules next to
# this script into a temporary directory, runs the local benchmarks in one
# VM (bench_local.erl), then the distributed ones on real erl nodes on
# loopback (bench_dist.erl). Prints only RESULT lines on stdout (the
# contract of bench/harness/report.hpp); progress goes to stderr.
#   bench/erlang/run.sh [--quick] [--only=a,b]
#     --quick     small sizes, one run each
#     --only=a,b  only the benchmarks whose id starts with a or b
# Node names carry this shell's PID, so two runs do not collide; epmd is
# the one on the default port (erl starts it if it is not running).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
args=()
for a in "$@"; do
  case "$a" in
    --quick|--only=*) args+=("$a") ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option '$a' (see $0 --help)" >&2; exit 2 ;;
  esac
done

for tool in erl erlc; do
  if ! command -v "$tool" >/dev/null; then
    echo "error: '$tool' not found: install erlang-base (apt-get install erlang-base)" >&2
    exit 1
  fi
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-erlang.XXXXXX")"
PIDFILE="$WORK/node-pids"
SUFFIX="$$"
: >"$PIDFILE"

# On any exit: SIGKILL every node the driver launched that is still ours
# (the pid is alive and its command line carries this run's suffix), then
# the driver VMs themselves.
cleanup() {
  local pid
  while read -r pid; do
    [ -n "$pid" ] || continue
    if { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q "_${SUFFIX}@127.0.0.1"; then
      kill -9 "$pid" 2>/dev/null
    fi
  done <"$PIDFILE"
  [ -n "${vm:-}" ] && kill -9 "$vm" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

erlc -o "$WORK" "$HERE"/*.erl || { echo "error: erlc failed" >&2; exit 1; }

# Logger output to stderr (OTP's default handler writes to stdout).
LOGGER='[{handler,default,logger_std_h,#{config=>#{type=>standard_error}}}]'
status=0

# run_vm ERL_ARGS...: runs one VM in the background (so the trap can kill
# it); its RESULT lines go to stdout, anything else it prints to stderr.
run_vm() {
  erl -noinput -pa "$WORK" -kernel logger "$LOGGER" "$@" -extra "${args[@]}" \
    > >(awk '/^RESULT /{print; fflush(); next} {print > "/dev/stderr"}') &
  vm=$!
  wait "$vm" || status=1
  vm=""
}

# Local: default scheduler settings; +P so that a million processes fit.
run_vm +P 2000000 -eval 'bench_local:main(init:get_plain_arguments())'

# Distributed: this VM is the driver node; it launches the others.
BENCH_SUFFIX="$SUFFIX" BENCH_PIDFILE="$PIDFILE" run_vm \
  -name "bench_drv_${SUFFIX}@127.0.0.1" -setcookie "bench_${SUFFIX}_${RANDOM}${RANDOM}" \
  -eval 'bench_dist:main(init:get_plain_arguments())'

wait # the output filters
exit $status
