#!/usr/bin/env bash
# The long runs of docs/fuzzing.md: each target (or those named in TARGETS) for SECONDS_EACH
# seconds (default 720), PARALLEL at a time (default 2), at the lowest CPU priority so the
# machine's other work goes first, continuing from the corpus of earlier runs. Each run's log,
# with libFuzzer's final stats and /usr/bin/time's CPU seconds, goes to LOGS (default logs/).
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
SECONDS_EACH="${SECONDS_EACH:-720}"
PARALLEL="${PARALLEL:-2}"
LOGS="${LOGS:-logs}"
mkdir -p "$LOGS"
python3 seed_corpus.py >/dev/null
cargo fuzz build -O
run() {
    nice -n 19 /usr/bin/time -v cargo fuzz run -O "$1" "corpus/$1" -- \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        >"$LOGS/$1.log" 2>&1 || echo "$1: FOUND SOMETHING (see $LOGS/$1.log and artifacts/$1)"
}
export -f run
export SECONDS_EACH LOGS
echo "${TARGETS:-$(cargo fuzz list)}" | tr ' ' '\n' | xargs -P "$PARALLEL" -I{} bash -c 'run {}'
for log in "$LOGS"/*.log; do
    target=$(basename "$log" .log)
    cpu=$(awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{printf "%.0f", u+s}' "$log")
    execs=$(awk -F': *' '/stat::number_of_executed_units/{print $2}' "$log")
    cov=$(grep -E "^#[0-9]+" "$log" | tail -1 | grep -oE "cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+")
    echo "$target: cpu ${cpu}s, execs ${execs}, ${cov}"
done
