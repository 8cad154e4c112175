#!/usr/bin/env bash
# Keeps the fuzz targets from rotting: builds every target (with the stable toolchain, as
# cargo fuzz needs nightly flags: RUSTC_BOOTSTRAP) and runs each for a few seconds from the seed
# corpus; a crash fails the run. The long runs are in docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
SECONDS_PER_TARGET="${FUZZ_SECONDS:-10}"

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --version 0.13.2
cargo fmt --check
python3 seed_corpus.py
cargo fuzz build -O
for target in $(cargo fuzz list); do
    echo "fuzz: $target for ${SECONDS_PER_TARGET}s"
    cargo fuzz run -O "$target" "corpus/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 2>&1 |
        grep -E "^(#|stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|thread|panicked)" | tail -4
    test "${PIPESTATUS[0]}" -eq 0
done
