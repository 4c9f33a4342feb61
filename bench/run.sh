#!/usr/bin/env bash
# The benchmark suite in one run: troupe, raw CAF and Erlang/OTP on the same
# machine, one after the other, then a table with ratios.
#   bench/run.sh [--quick] [--only=a,b] [--no-build] [--out FILE]
#     --quick     small sizes, one run each (a smoke test, about a minute)
#     --only=a,b  only the benchmarks whose id starts with a or b
#     --no-build  use the binaries in build-bench as they are
#     --out FILE  also write the table (markdown) to FILE
# Absolute figures on a shared machine are noisy; the ratios from one run
# are what to compare. Ratios below 1.00 mean troupe is better (faster,
# smaller, or more per second), whatever the unit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build-bench"
JOBS="$(nproc 2>/dev/null || echo 2)"
quick=""
only=""
build=1
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick="--quick" ;;
    --only=*) only="$1" ;;
    --no-build) build=0 ;;
    --out) out="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option '$1' (see bench/run.sh --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The peers come from Debian like everything else.
install_peers() {
  command -v erl >/dev/null && command -v erlc >/dev/null && return
  say "installing Erlang/OTP (erlang-base) for the Erlang peer"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends erlang-base erlang-dev >/dev/null
}

"$ROOT/troupe.sh" setup
[ "${BENCH_METRICS:-1}" = only ] || install_peers

if [ "$build" -eq 1 ]; then
  say "building the benchmarks in build-bench (Release)"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DTROUPE_BUILD_BENCH=ON \
    -DTROUPE_BUILD_TESTS=OFF -DTROUPE_BUILD_EXAMPLES=ON >/dev/null
  cmake --build "$BUILD" -j "$JOBS" 2>&1 | grep --line-buffered -E "error|warning|Linking" >&2 || true
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "error: the benchmark build failed (run cmake --build $BUILD for the log)" >&2; exit 1; }
fi

RESULTS="$(mktemp -d)"
trap 'rm -rf "$RESULTS"' EXIT

# run PEER COMMAND...: the command's RESULT lines go to $RESULTS/PEER (with
# $row_suffix appended to each benchmark id, when set); its progress
# (stderr) is shown as it runs.
failed=()
row_suffix=""
run() {
  local peer="$1"; shift
  say "$peer: $(basename "$1") $quick $only ${*:2}"
  local start=$SECONDS
  # grep finds no line when --only selects none of the program's rows:
  # that is no failure (pipefail still reports the program's own).
  if ! "$@" $quick $only | { grep --line-buffered '^RESULT ' || true; } \
      | sed -u "s/^RESULT \([^ ]*\)/RESULT \1$row_suffix/" >>"$RESULTS/$peer"; then
    echo "warning: $(basename "$1") for $peer failed; its rows are incomplete" >&2
    failed+=("$peer:$(basename "$1")")
  fi
  say "$peer: done in $((SECONDS - start)) s"
}

touch "$RESULTS/troupe" "$RESULTS/caf" "$RESULTS/erlang" "$RESULTS/floor"
if [ "${BENCH_METRICS:-1}" != only ]; then
  run floor "$BUILD/bench/bench_tcp_floor"
  run troupe "$BUILD/bench/bench_local_troupe"
  run caf "$BUILD/bench/bench_local_caf"
  run erlang "$ROOT/bench/erlang/run.sh"
  run troupe "$BUILD/bench/bench_dist_troupe" --troupe="$BUILD/bin/troupe"
  # The node transport is a troupe option (troupe.transport: basp, CAF's, or
  # native, troupe's own). The rows above use the default; when the nodes know
  # the option, the same rows again on BASP, as ID@basp, set against the same
  # peers. To run them in any case, set BENCH_BASP=1; to skip them, BENCH_BASP=0.
  basp="${BENCH_BASP:-auto}"
  if [ "$basp" = auto ]; then
    basp=0
    "$BUILD/bin/troupe" node --help 2>&1 | grep -q 'troupe\.transport' && basp=1
  fi
  if [ "$basp" = 1 ]; then
    row_suffix="@basp"
    run troupe "$BUILD/bench/bench_dist_troupe" --troupe="$BUILD/bin/troupe" --troupe.transport=basp
    row_suffix=""
  fi
  run caf "$BUILD/bench/bench_dist_caf"
fi

# Metrics overhead: local ping-pong (plain and through a stable name, which
# counts each message), counting and the cross-node round trip, each run
# twice back to back, with metrics on (ID@metrics-on) and off
# (ID@metrics-off, --troupe.metrics=off: every metric update and the
# transport's per-peer counting become no-ops); a table of their own sets
# them side by side. With --only, the overhead rows are those it selects.
# BENCH_METRICS=0 skips them; BENCH_METRICS=only runs nothing else.
overhead_rows() {
  local saved="$only" metrics
  only="${only:---only=$1}"
  for metrics in on off; do
    row_suffix="@metrics-$metrics"
    run troupe "${@:2}" --troupe.metrics=$metrics
  done
  row_suffix=""
  only="$saved"
}
if [ "${BENCH_METRICS:-1}" != 0 ]; then
  overhead_rows ping_pong,counting "$BUILD/bench/bench_local_troupe"
  overhead_rows dist_ping_pong "$BUILD/bench/bench_dist_troupe" --troupe="$BUILD/bin/troupe"
fi

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
erl_release="$(erl -noshell -eval 'io:format("~s",[erlang:system_info(otp_release)]),halt().' 2>/dev/null || echo '?')"
caf_version="$(dpkg-query -W -f='${Version}' libcaf-dev 2>/dev/null || echo '?')"

table() {
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores ($cpu), load average $(cut -d' ' -f1-3 /proc/loadavg);"
  echo "troupe $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), CAF $caf_version, Erlang/OTP $erl_release${quick:+, quick sizes}."
  echo "Ratios below 1.00: troupe is better (for per_s rows the ratio is inverted so this holds)."
  echo
  awk -v dir="$RESULTS" '
    function load(peer,   line, f) {
      f = dir "/" peer
      while ((getline line < f) > 0) {
        split(line, x, " ")
        if (x[2] ~ /@metrics-on$/) { id = x[2]; sub(/@metrics-on$/, "", id); if (!(id in munit)) { morder[++mn] = id; munit[id] = x[4] } }
        else if (peer != "floor" && x[2] !~ /@metrics-/ && !(x[2] in unit)) { order[++n] = x[2]; unit[x[2]] = x[4] }
        val[peer, x[2]] = x[3]
      }
      close(f)
    }
    # ID@variant: a variant of troupe (another transport) against the
    # peers figures of ID.
    function base(id) { sub(/@.*/, "", id); return id }
    function cell(peer, id) { return ((peer, id) in val) ? sprintf("%.4g", val[peer, id]) : "-" }
    function ratio(id, peer,   a, b) {
      if (!((("troupe", id) in val) && ((peer, base(id)) in val))) return "-"
      a = val["troupe", id]; b = val[peer, base(id)]
      if (a == 0 || b == 0) return "-"
      return sprintf("%.2f", unit[id] == "per_s" ? b / a : a / b)
    }
    # How many times the TCP floor a round trip is (above 1.00 always).
    function over_floor(peer, id, mode,   f) {
      f = "tcp_floor_" mode "_p50"
      if (!(((peer, id) in val) && (("floor", f) in val)) || val["floor", f] == 0) return "-"
      return sprintf("%.2f", val[peer, id] / val["floor", f])
    }
    BEGIN {
      load("troupe"); load("caf"); load("erlang"); load("floor")
      if (n > 0) {
        print "| benchmark | unit | troupe | raw CAF | Erlang | troupe/CAF | troupe/Erlang |"
        print "|---|---|---:|---:|---:|---:|---:|"
      }
      for (i = 1; i <= n; ++i) {
        id = order[i]
        printf "| %s | %s | %s | %s | %s | %s | %s |\n", id, unit[id],
          cell("troupe", id), cell("caf", base(id)), cell("erlang", base(id)),
          ratio(id, "caf"), ratio(id, "erlang")
      }
      if (mn > 0) {
        print ""
        print "Metrics overhead: the same rows run back to back with --troupe.metrics=on and"
        print "=off (every metric update and the per-peer transport counting a no-op);"
        print "on/off above 1.00 is what metrics cost (for per_s rows inverted so this holds)."
        print ""
        print "| benchmark | unit | metrics on | metrics off | on/off |"
        print "|---|---|---:|---:|---:|"
        for (i = 1; i <= mn; ++i) {
          id = morder[i]
          on = "troupe" SUBSEP id "@metrics-on"; off = "troupe" SUBSEP id "@metrics-off"
          r = "-"
          if ((on in val) && (off in val) && val[on] != 0 && val[off] != 0)
            r = sprintf("%.3f", munit[id] == "per_s" ? val[off] / val[on] : val[on] / val[off])
          printf "| %s | %s | %s | %s | %s |\n", id, munit[id],
            cell("troupe", id "@metrics-on"), cell("troupe", id "@metrics-off"), r
        }
      }
      if (!(("floor", "tcp_floor_blocking_p50") in val)) exit
      print ""
      print "The floor: a plain TCP ping-pong of 64-byte messages between two processes on"
      print "loopback (bench_tcp_floor), and each dist_ping_pong_p50 as a multiple of its p50."
      print ""
      print "| tcp_floor | p50 us | p99 us | troupe | troupe@basp | raw CAF | Erlang |"
      print "|---|---:|---:|---:|---:|---:|---:|"
      split("blocking busy_poll", modes, " ")
      for (m = 1; m <= 2; ++m) {
        mode = modes[m]
        printf "| %s | %s | %s | %s | %s | %s | %s |\n", mode,
          cell("floor", "tcp_floor_" mode "_p50"), cell("floor", "tcp_floor_" mode "_p99"),
          over_floor("troupe", "dist_ping_pong_p50", mode),
          over_floor("troupe", "dist_ping_pong_p50@basp", mode),
          over_floor("caf", "dist_ping_pong_p50", mode),
          over_floor("erlang", "dist_ping_pong_p50", mode)
      }
    }'
}

table | tee ${out:+"$out"}
if [ ${#failed[@]} -gt 0 ]; then
  echo "error: these programs failed: ${failed[*]}" >&2
  exit 1
fi
