#!/usr/bin/env bash
# troupe's benchmarks with each allocator of TROUPE_ALLOCATOR, in one run:
# links the program once per allocator in build-bench (only the link step
# differs), runs the copies in turn ROUNDS times (interleaved, so that a
# busy minute on a shared machine hits all of them), and prints the median
# of each row per allocator.
#   [PROGRAM=bench_local_troupe] bench/allocators.sh [ROUNDS] [options...]
#     PROGRAM  bench_local_troupe (default) or bench_dist_troupe (its nodes
#              are the program itself, so they use the same allocator)
#     ROUNDS   rounds of system, jemalloc, mimalloc (default 5)
#     e.g. bench/allocators.sh 5 --quick
#          PROGRAM=bench_dist_troupe bench/allocators.sh 3 --quick --only=dist_oneway,overload
# build-bench keeps the TROUPE_ALLOCATOR it had before.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build-bench"
program="${PROGRAM:-bench_local_troupe}"
rounds="${1:-5}"
[ $# -gt 0 ] && shift
allocators=(system jemalloc mimalloc)
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

before="$(sed -n 's/^TROUPE_ALLOCATOR:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)"
for a in "${allocators[@]}"; do
  say "linking $program with $a"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DTROUPE_BUILD_BENCH=ON \
    -DTROUPE_ALLOCATOR="$a" >/dev/null
  nice cmake --build "$BUILD" -j "$(nproc)" --target "$program" >/dev/null
  cp "$BUILD/bench/$program" "$WORK/$program.$a"
done
cmake -S "$ROOT" -B "$BUILD" -DTROUPE_ALLOCATOR="${before:-jemalloc}" >/dev/null

for r in $(seq 1 "$rounds"); do
  for a in "${allocators[@]}"; do
    say "round $r/$rounds: $a"
    "$WORK/$program.$a" "$@" 2>/dev/null | sed -n "s/^RESULT /$a /p" >>"$WORK/results"
  done
done

echo "Medians of $rounds interleaved runs of $program $*, $(date -u '+%Y-%m-%d %H:%M UTC'),"
echo "troupe $(git -C "$ROOT" rev-parse --short HEAD), load average $(cut -d' ' -f1-3 /proc/loadavg)."
echo
awk '
  { if (!($2 in unit)) { order[++n] = $2; unit[$2] = $4 }
    k = $1 SUBSEP $2; cnt[k]++; v[k, cnt[k]] = $3 }
  function med(k,   i, j, t, m, a) {
    m = cnt[k]; if (m == 0) return "-"
    for (i = 1; i <= m; ++i) a[i] = v[k, i]
    for (i = 2; i <= m; ++i) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; --j) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return sprintf("%.4g", m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2)
  }
  END {
    print "| benchmark | unit | system | jemalloc | mimalloc |"
    print "|---|---|---:|---:|---:|"
    for (i = 1; i <= n; ++i) {
      id = order[i]
      printf "| %s | %s | %s | %s | %s |\n", id, unit[id], med("system" SUBSEP id),
        med("jemalloc" SUBSEP id), med("mimalloc" SUBSEP id)
    }
  }' "$WORK/results"
