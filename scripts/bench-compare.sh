#!/usr/bin/env bash
# bench-compare.sh - rerun one side-by-side scenario of BENCHMARKS.md and keep its raw output.
#
#   scripts/bench-compare.sh list            # the process list at 4,080 tasks (BENCHMARKS.md run 1)
#   scripts/bench-compare.sh threads         # every thread as a row (H), run 2
#   scripts/bench-compare.sh big             # 20,080 tasks, run 3
#   scripts/bench-compare.sh focus           # threads view of one 5,000-thread process, run 4
#   REPEAT=1 MONITORS="btop floor-procs" scripts/bench-compare.sh list   # a shorter run
#
# It builds the release binary, runs ../shared/bench/monitor_overhead.sh (the harness shared by
# every monitor project here; set BENCH_DIR for another checkout of it) and writes everything it
# printed, plus its TSV rows, to benches/results/<date>-<commit>-<scenario>.txt and .tsv, headed by
# the exact command and the commit. BENCHMARKS.md quotes those files.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-list}
B=${BENCH_DIR:-../shared/bench}/monitor_overhead.sh
[[ -x $B ]] || { echo "bench-compare.sh: $B not found (set BENCH_DIR)" >&2; exit 2; }
REPEAT=${REPEAT:-2}
OPTS=(--wait-idle "${WAIT_IDLE:-15}" --retry-noisy "${RETRY_NOISY:-2}" --repeat "$REPEAT")
TT=./target/release/threadtop
case $scenario in
    list) args=(--procs 200 --threads 20 ${MONITORS:-htop btop btm floor floor-procs} -- "$TT" --interval '{MS}ms') ;;
    threads) args=(--procs 200 --threads 20 --label threadtop-H ${MONITORS:-htop floor floor-procs} -- "$TT" --interval '{MS}ms' --config benches/all-threads.toml) ;;
    big) args=(--procs 1000 --threads 20 ${MONITORS:-htop btop btm floor floor-procs} -- "$TT" --interval '{MS}ms') ;;
    focus) args=(--procs 1 --threads 5000 --label threadtop-focus ${MONITORS:-floor-procs} -- ./scripts/bench-focus.sh "$TT" --interval '{MS}ms') ;;
    *) echo "bench-compare.sh: unknown scenario '$scenario' (list, threads, big, focus)" >&2; exit 2 ;;
esac
# Monitors that are not installed are left out, and the output says so.
kept=() skip=()
seen_dash=0
for a in "${args[@]}"; do
    if ((seen_dash)) || [[ $a == -* || $a =~ ^[0-9]+$ || $a == threadtop-* ]]; then
        [[ $a == -- ]] && seen_dash=1
        kept+=("$a")
        continue
    fi
    case $a in
        htop | btop) command -v "$a" >/dev/null && kept+=("$a") || skip+=("$a") ;;
        btm | btm-threads) command -v btm >/dev/null && kept+=("$a") || skip+=("$a") ;;
        *) kept+=("$a") ;;
    esac
done
cargo build --release --quiet
commit=$(git rev-parse --short HEAD)
dirty=$(git status --porcelain --untracked-files=no | grep -q . && echo "+uncommitted" || true)
mkdir -p benches/results
out=benches/results/$(date -u +%Y-%m-%d)-$commit$dirty-$scenario
{
    echo "# commit $commit$dirty, $(date -u +%FT%TZ), $(nproc) cores, $(uname -r)"
    echo "# command: $B ${OPTS[*]} ${kept[*]}"
    ((${#skip[@]})) && echo "# not installed, left out: ${skip[*]} (../shared/bench/setup.sh installs them)"
    "$B" "${OPTS[@]}" --out "$out.tsv" "${kept[@]}"
} 2>&1 | tee "$out.txt"
echo "raw output: $out.txt, $out.tsv"
