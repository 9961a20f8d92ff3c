#!/usr/bin/env bash
# gil-sampler-cost.sh - CPU cost of threadtop's py-spy sampler (the tt-pyspy helper process,
# threadtop-pyspy) on a Python process with N busy threads (default 8), over SECONDS (default
# 20), at the configured rate (python_sample_hz, default 100/s).
#
#   scripts/gil-sampler-cost.sh [PYTHON] [THREADS] [SECONDS] [BINARY]
#
# Starts PYTHON with THREADS threads spinning in pure Python, then `threadtop threads PID --json
# --interval SECONDS` (whose py-spy sampler runs for the whole interval), and reads utime+stime
# of threadtop's tt-pyspy child from /proc/HPID/stat once it has found the interpreter and
# again just before the interval ends: Δticks / ticks per second / Δwall is the share of one
# core the helper used (all its threads). Also prints its peak RSS and the GIL% sum the run
# reported.
set -euo pipefail
PY=${1:-python3}
N=${2:-8}
SECS=${3:-20}
BIN=${4:-./target/release/threadtop}
HZ=$(getconf CLK_TCK)

"$PY" -c '
import sys, threading, time
def spin_worker():
    x = 1
    while True:
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
for i in range(int(sys.argv[1])):
    threading.Thread(target=spin_worker, daemon=True).start()
time.sleep(float(sys.argv[2]))
' "$N" $((SECS + 30)) &
PYPID=$!
trap 'kill $PYPID 2>/dev/null || true' EXIT
sleep 1

OUT=$(mktemp)
"$BIN" threads "$PYPID" --json --interval "${SECS}s" >"$OUT" &
TT=$!
hpid=""
for _ in $(seq 100); do
  for p in /proc/[0-9]*; do
    if [ "$(cat "$p/comm" 2>/dev/null)" = tt-pyspy ] && [ "$(awk '{ sub(/.*\) /, ""); print $2 }' "$p/stat" 2>/dev/null)" = "$TT" ]; then
      hpid=${p##*/}
    fi
  done
  [ -n "$hpid" ] && break
  sleep 0.05
done
[ -n "$hpid" ] || { echo "no tt-pyspy helper under threadtop $TT" >&2; exit 1; }
# Past py-spy's start-up (it reads the interpreter's symbols once): the steady state.
sleep 1
ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$hpid/stat"; }
t0=$(date +%s.%N); c0=$(ticks)
sleep $((SECS - 3))
t1=$(date +%s.%N); c1=$(ticks)
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$hpid/status")
wait $TT
awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$HZ" -v n="$N" 'BEGIN {
  printf "tt-pyspy on %d busy Python threads: %.2f%% of one core (%d ticks over %.1f s)\n", n, (c1 - c0) / hz / (t1 - t0) * 100, c1 - c0, t1 - t0 }'
echo "tt-pyspy peak RSS: $hwm KiB"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = d["python"]
g = sum(t["gil_percent"] or 0 for t in d["threads"])
print("python %s: %d samples (%d failed) at %d/s; GIL%% summed over threads %.1f" % (p["version"], p["samples"], p["failed"], p["rate_hz"], g))
' "$OUT"
rm -f "$OUT"
