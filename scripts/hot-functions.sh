#!/usr/bin/env bash
# hot-functions.sh - lists the functions the release monitor runs while it shows the process
# list, for build.rs to put first in .text (BENCHMARKS.md, "Resident code").
#
#   scripts/hot-functions.sh [SECONDS] [BINARY] > assets/hot-functions.txt
#
# Runs BINARY (default ./target/release/threadtop) --no-config --interval 250ms under valgrind's
# callgrind in a 200x50 tmux pane for SECONDS (default 120: enough refreshes at valgrind's pace
# for what happens every few dozen, such as the rewind ring's keyframes), quits it with q, and
# prints every function of the binary that executed (mangled, as the linker knows them), sorted.
# Run it with the benchmark's population up (`workload --procs 200 --threads 20` of
# ../shared/bench). Needs valgrind and tmux. Rerun it after a toolchain update (other hashes) or a
# change of what the list does; a name the binary no longer has is skipped by the linker.
set -euo pipefail
SECS=${1:-120}
BIN=$(readlink -f "${2:-./target/release/threadtop}")
OUT=$(mktemp)
SESSION=tt-hot-$$
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -f "$OUT"' EXIT
tmux new-session -d -s "$SESSION" -x 200 -y 50 \
  "valgrind --tool=callgrind --demangle=no --compress-strings=no --compress-pos=no --callgrind-out-file=$OUT $BIN --no-config --interval 250ms"
sleep "$SECS"
tmux send-keys -t "$SESSION" q
for _ in $(seq 100); do
  tmux has-session -t "$SESSION" 2>/dev/null || break
  sleep 0.2
done
[ -s "$OUT" ] || { echo "hot-functions: callgrind wrote nothing" >&2; exit 1; }
# fn= names a function that ran; cfn= one it called (its object is cob=, else the caller's).
awk -v bin="$BIN" '
  /^ob=/ { ob = substr($0, 4); next }
  /^cob=/ { cob = substr($0, 5); next }
  /^fn=/ { if (ob == bin) hot[substr($0, 4)] = 1; next }
  /^cfn=/ { o = (cob != "" ? cob : ob); if (o == bin) hot[substr($0, 5)] = 1; cob = ""; next }
  END { for (f in hot) if (f !~ /^\(/ && f !~ /^0x/) print f }
' "$OUT" | LC_ALL=C sort
