#!/usr/bin/env bash
# The jobs demo resumes a log left by a killed run (issue 15, item 8):
# run 1 with --queue-log is SIGKILLed once jobs are in its log; run 2 on the
# same log says how many jobs it resumes, completes every one exactly once,
# exits 0 and removes its embedded cluster's log folder. Every wait is
# bounded.
#   tests/scripts/demo_jobs_resume.sh TROUPE_DEMOS_BINARY
set -euo pipefail
demos="$1"
work="$(mktemp -d)"
pid=""
cleanup() {
  [ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
  # Run 1 was killed: its cluster's logs are left, as after any crash.
  dir1="$(sed -n 's/^.*(logs in \(.*\)\/).*$/\1/p' "$work/run1.out" 2>/dev/null | head -1)"
  [ -z "$dir1" ] || rm -rf "$dir1"
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "error: $*" >&2; for f in "$work"/*.out; do echo "--- $f" >&2; tr '\r' '\n' <"$f" | tail -15 >&2; done; exit 1; }

log="$work/queue.log"
"$demos" jobs --jobs 40000 --chaos-ms 0 --timeout 120 --queue-log "$log" >"$work/run1.out" 2>&1 &
pid=$!
# Until the log holds some thousands of records (at most 60 s).
for _ in $(seq 600); do
  size="$(stat -c %s "$log" 2>/dev/null || echo 0)"
  [ "$size" -gt 300000 ] && break
  kill -0 "$pid" 2>/dev/null || fail "run 1 ended before it was killed"
  sleep 0.1
done
[ "$size" -gt 300000 ] || fail "run 1 wrote only $size bytes of log in 60 s"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
pid=""
echo "run 1 SIGKILLed with $size bytes of queue log"

set +e
timeout 150 "$demos" jobs --jobs 40000 --chaos-ms 0 --timeout 120 --queue-log "$log" >"$work/run2.out" 2>&1
code=$?
set -e
[ "$code" -eq 0 ] || fail "run 2 exited with $code"
resumed="$(sed -n 's/^resuming: \([0-9]*\) jobs an earlier run left in .*$/\1/p' "$work/run2.out")"
[ -n "$resumed" ] && [ "$resumed" -gt 0 ] || fail "run 2 did not say it resumes jobs of run 1"
grep -q "summary: $resumed jobs .* $resumed completed exactly once.* 0 lost.*OK, no job lost" "$work/run2.out" \
  || fail "run 2 did not complete the $resumed resumed jobs exactly once"
dir2="$(sed -n 's/^.*(logs in \(.*\)\/).*$/\1/p' "$work/run2.out" | head -1)"
[ -n "$dir2" ] || fail "run 2 named no log folder"
[ ! -e "$dir2" ] || fail "run 2 exited 0 but left its log folder $dir2"
[ -f "$log" ] || fail "run 2 removed the --queue-log file the user named"
echo "OK: run 2 resumed $resumed jobs left by the killed run 1, all completed once; its log folder is gone"
