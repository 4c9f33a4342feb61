#!/usr/bin/env bash
# troupe's one entry point: installs what a fresh Debian machine lacks,
# builds, and runs the demo, the tests or the benchmarks.
#   ./troupe.sh demo [NAME]   build and run a demo (default: the main demo)
#   ./troupe.sh test          build and run every test
#   ./troupe.sh test-sanitize build with ASan+UBSan and run every test
#   ./troupe.sh test-tsan     the runtime's concurrent parts under TSan
#   ./troupe.sh bench         run the benchmark suite (bench/run.sh)
#   ./troupe.sh install PREFIX [--library-only]
#                             build the library, troupe::actors and the
#                             troupe tool (no tests, demos or benchmarks)
#                             and install them with the headers and the
#                             CMake package into PREFIX (--library-only:
#                             without the tool)
#   ./troupe.sh package       build the .deb packages troupe-node and
#                             libtroupe-dev into build-package/
#   ./troupe.sh fuzz [SECONDS] build the libFuzzer targets (clang), run each
#                             SECONDS (default 30) on its seed corpus
#   ./troupe.sh setup         only install the Debian packages
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JOBS="$(nproc 2>/dev/null || echo 2)"
PACKAGES=(build-essential cmake ccache libcaf-dev catch2 libssl-dev libcli11-dev zlib1g-dev libjemalloc-dev
          libcpp-httplib-dev nlohmann-json3-dev prometheus chromium python3-yaml
          libc-ares-dev dnsmasq-base)
# Only the fuzz command needs clang and its libFuzzer and sanitizer runtimes.
FUZZ_PACKAGES=(clang libclang-rt-14-dev)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# setup [EXTRA_PACKAGES...]
setup() {
  local missing=()
  for p in "${PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then return; fi
  say "installing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build DIR [cmake args...]
build() {
  local dir="$1"; shift
  say "configuring $dir"
  cmake -S "$ROOT" -B "$ROOT/$dir" "$@" >/dev/null
  say "building $dir with $JOBS jobs (first build takes a few minutes: CAF's headers are heavy)"
  local start=$SECONDS status
  # Progress: one line per compiled file; the full output goes to build.log.
  set +e
  cmake --build "$ROOT/$dir" -j "$JOBS" 2>&1 | tee "$ROOT/$dir/build.log" \
    | grep --line-buffered -E "error|warning|^\[ *[0-9]+%\] (Building|Linking)"
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -ne 0 ]; then
    echo "error: the build in $dir failed (full log: $dir/build.log); the first errors:" >&2
    grep -m 20 -E "error" "$ROOT/$dir/build.log" >&2 || true
    exit 1
  fi
  say "built $dir in $((SECONDS - start)) s"
}

run_tests() {
  local dir="$1"
  say "running tests in $dir"
  (cd "$ROOT/$dir" && ctest --output-on-failure -j "$JOBS" --timeout 300)
}

# fuzz SECONDS: builds fuzz/ with clang in build-fuzz/ and runs every target
# listed by its CMakeLists on fuzz/corpus/<target>/ (new inputs go to
# build-fuzz/corpus/<target>/, crashes to build-fuzz/crashes/<target>/).
run_fuzz() {
  local seconds="$1" dir="$ROOT/build-fuzz"
  say "configuring build-fuzz (clang, libFuzzer, ASan+UBSan)"
  CC=clang CXX=clang++ cmake -S "$ROOT/fuzz" -B "$dir" >/dev/null
  say "building build-fuzz with $JOBS jobs"
  if ! cmake --build "$dir" -j "$JOBS" >"$dir/build.log" 2>&1; then
    echo "error: the fuzz build failed (full log: build-fuzz/build.log); the first errors:" >&2
    grep -m 20 -E "error" "$dir/build.log" >&2 || true
    exit 1
  fi
  local failed=() target log execs
  while IFS= read -r target; do
    [ -n "$target" ] || continue
    mkdir -p "$dir/corpus/$target" "$dir/crashes/$target" "$dir/logs"
    log="$dir/logs/$target.log"
    say "fuzzing $target for $seconds s"
    set +e
    "$dir/bin/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 \
      -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$dir/crashes/$target/" \
      "$dir/corpus/$target" "$ROOT/fuzz/corpus/$target" >"$log" 2>&1
    local status=$?
    set -e
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
    if [ "$status" -ne 0 ]; then
      echo "error: fuzz_$target failed (exit $status, log: build-fuzz/logs/$target.log):" >&2
      grep -m 5 -E "ERROR|runtime error|Test unit written" "$log" >&2 || tail -5 "$log" >&2
      failed+=("$target")
    fi
    printf '%-16s %10s executions in %s s%s\n' "$target" "${execs:-?}" "$seconds" \
      "$([ "$status" -ne 0 ] && echo "  FAILED")"
  done <"$dir/fuzz-targets.txt"
  if [ ${#failed[@]} -ne 0 ]; then
    echo "error: fuzz targets failed: ${failed[*]} (inputs in build-fuzz/crashes/)" >&2
    exit 1
  fi
  say "every fuzz target ran $seconds s without a crash"
}

cmd="${1:-help}"
[ $# -gt 0 ] && shift
case "$cmd" in
  setup)
    setup ;;
  demo)
    setup
    build build -DCMAKE_BUILD_TYPE=Release -DTROUPE_BUILD_BENCH=OFF
    name="${1:-jobs}"
    [ $# -gt 0 ] && shift
    say "running demo '$name' (troupe demo --list shows all)"
    exec "$ROOT/build/bin/troupe" demo "$name" "$@" ;;
  test)
    setup
    build build -DCMAKE_BUILD_TYPE=Release -DTROUPE_BUILD_BENCH=OFF
    run_tests build ;;
  test-sanitize)
    setup
    build build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
      -DTROUPE_SANITIZE=address,undefined -DTROUPE_BUILD_BENCH=OFF
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$ROOT/cmake/ubsan.supp" \
      run_tests build-asan ;;
  test-tsan)
    # The runtime's concurrent parts (stable-name table, forwarders,
    # supervisors) under ThreadSanitizer. CAF itself is not instrumented.
    setup
    build build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
      -DTROUPE_SANITIZE=thread -DTROUPE_BUILD_BENCH=OFF -DTROUPE_BUILD_EXAMPLES=OFF -DTROUPE_BUILD_TOOLS=OFF
    say "running the supervision and core tests under TSan"
    (cd "$ROOT/build-tsan" && TSAN_OPTIONS="halt_on_error=1:suppressions=$ROOT/cmake/tsan.supp" \
      ctest --output-on-failure -j "$JOBS" -R "test_core|test_supervision|test_transport") ;;
  install)
    prefix="${1:-}"
    [ -n "$prefix" ] || { echo "error: ./troupe.sh install PREFIX [--library-only], e.g. ./troupe.sh install \$HOME/troupe" >&2; exit 2; }
    [ $# -gt 0 ] && shift
    tool=ON
    case "${1:-}" in
      '') ;;
      --library-only) tool=OFF ;;
      *) echo "error: ./troupe.sh install PREFIX [--library-only], got '$1'" >&2; exit 2 ;;
    esac
    prefix="$(mkdir -p "$prefix" && cd "$prefix" && pwd)"
    setup
    build build-install -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
      -DTROUPE_BUILD_TESTS=OFF -DTROUPE_BUILD_EXAMPLES=OFF -DTROUPE_BUILD_BENCH=OFF \
      -DTROUPE_BUILD_TOOLS="$tool"
    say "installing into $prefix"
    cmake --install "$ROOT/build-install" >/dev/null
    say "installed; in your project: find_package(troupe REQUIRED), configured with -DCMAKE_PREFIX_PATH=$prefix" ;;
  package)
    setup
    build build-package -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
      -DTROUPE_BUILD_TESTS=OFF -DTROUPE_BUILD_EXAMPLES=OFF -DTROUPE_BUILD_BENCH=OFF
    say "packaging (cpack -G DEB)"
    rm -f "$ROOT"/build-package/*.deb
    if ! (cd "$ROOT/build-package" && cpack -G DEB >cpack.log 2>&1); then
      echo "error: cpack failed (full log: build-package/cpack.log):" >&2
      tail -20 "$ROOT/build-package/cpack.log" >&2
      exit 1
    fi
    for deb in "$ROOT"/build-package/*.deb; do echo "$deb"; done
    say "built; install with: dpkg -i build-package/*.deb (apt-get -f install for missing dependencies)" ;;
  bench)
    setup
    exec "$ROOT/bench/run.sh" "$@" ;;
  fuzz)
    seconds="${1:-30}"
    case "$seconds" in ''|*[!0-9]*) echo "error: ./troupe.sh fuzz [SECONDS], got '$seconds'" >&2; exit 2 ;; esac
    setup "${FUZZ_PACKAGES[@]}"
    run_fuzz "$seconds" ;;
  help|-h|--help)
    sed -n '2,/^set -e/{/^#/p}' "$0" | sed 's/^# \{0,1\}//' ;;
  *)
    echo "error: unknown command '$cmd'; run ./troupe.sh help" >&2; exit 2 ;;
esac
