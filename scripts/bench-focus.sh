#!/usr/bin/env bash
# bench-focus.sh - start threadtop on the threads view of the process that has the most threads
# among the benchmark workload's children (those whose parent is "wl-parent"), for
# ../shared/bench/monitor_overhead.sh, which can only start a fixed command:
#
#   monitor_overhead.sh --procs 1 --threads 5000 floor-procs -- \
#       scripts/bench-focus.sh ./target/release/threadtop --interval {MS}ms
#
# It execs threadtop, so the PID the harness measures is threadtop's.
set -euo pipefail
best="" most=0
for d in /proc/[0-9]*; do
    read -r ppid n < <(awk '/^PPid:/ { p = $2 } /^Threads:/ { t = $2 } END { print p, t }' "$d/status" 2>/dev/null) || continue
    [[ -n $n && $(cat "/proc/$ppid/comm" 2>/dev/null) == wl-parent ]] || continue
    if ((n > most)); then most=$n best=${d#/proc/}; fi
done
[[ -n $best ]] || { echo "bench-focus.sh: no child of wl-parent is running" >&2; exit 1; }
exec "$@" --threads-of "$best"
