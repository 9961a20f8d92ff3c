#!/usr/bin/env bash
# Soak test (issue 7, scenario 8). Not part of `cargo test`: it takes SOAK_MINUTES (default 30).
#
# Runs tests/integration/torture/soak.rs (`torture::soak::soak`, an ignored test) in release mode: threadtop at 100 ms
# refresh in a pseudo-terminal for the whole time, while a helper forks and reaps 300
# processes/s and churns threads, a demo of each kind is launched by keys in turn (one every
# 30 s, 20 s each), and the view cycles every minute (list, threads view of the churning
# process, all threads, tree). threadtop's RSS is recorded every SOAK_SAMPLE_SECS (default 60)
# into a CSV, with the machine's task count. It fails if RSS grows by more than 2 MiB after the
# first 5 minutes (the lowest RSS of the last 5 minutes against the RSS at 5 minutes: a leak
# raises that floor, a burst of tasks elsewhere only a passing peak), if threadtop dies or
# panics, if a launch by keys fails, or if a demo is left behind.
#
#   scripts/soak.sh                      # 30 minutes
#   SOAK_MINUTES=5 scripts/soak.sh       # a shorter run
#
# Outputs: target/soak/rss-<time>.csv (elapsed_s, rss_kib, threads, system_tasks,
# churn_spawned, demos_launched) and the log beside it. It stops by itself: the test ends after SOAK_MINUTES,
# and `timeout` ends it 10 minutes later if it somehow does not.
set -euo pipefail
cd "$(dirname "$0")/.."

export SOAK_MINUTES="${SOAK_MINUTES:-30}"
export SOAK_SAMPLE_SECS="${SOAK_SAMPLE_SECS:-60}"
export SOAK_CSV="${SOAK_CSV:-target/soak/rss-$(date +%Y%m%d-%H%M%S).csv}"
log="${SOAK_CSV%.csv}.log"
mkdir -p "$(dirname "$SOAK_CSV")"
limit=$(awk -v m="$SOAK_MINUTES" 'BEGIN { printf "%d", m * 60 + 600 }')

cargo test --release --test integration --no-run
set +e
timeout --kill-after=30 "$limit" \
  cargo test --release --test integration -- --ignored --exact torture::soak::soak --nocapture 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

echo
echo "RSS curve ($SOAK_CSV):"
column -s, -t < "$SOAK_CSV" 2>/dev/null || cat "$SOAK_CSV"

# The test checks that its own threadtop left no demo; here, any tt-* process still alive on the
# machine is listed as a warning (another run may own it).
left=""
for d in /proc/[0-9]*; do
  c=$(cat "$d/comm" 2>/dev/null || true)
  s=$(awk '{print $3}' "$d/stat" 2>/dev/null || true)
  case "$c" in tt-*) [ "$s" = Z ] || left="$left ${d#/proc/}($c)";; esac
done
if [ -n "$left" ]; then
  echo "warning: demo processes alive on this machine:$left" >&2
fi
exit "$status"
