#!/usr/bin/env bash
# Instructions per inspection under callgrind, for each workload of
# src/bin/callgrind.rs. The counts repeat exactly from run to run (unlike
# times on a shared 2-core machine), so they compare engine versions.
#
#     benches/callgrind.sh [MODE...]     # default: every mode, typical pool
#
# PROFILE=worst or PROFILE=clean changes the pool. Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --quiet --bin callgrind
passes=5
pool=200
modes=("$@")
[ ${#modes[@]} -eq 0 ] && modes=(floor evaluate from-json end-to-end rego-vm zen)
echo "| workload (${PROFILE:-typical} pool) | instructions per inspection |"
echo "|---|--:|"
for m in "${modes[@]}"; do
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
        --toggle-collect='*measured_pass*' \
        target/release/callgrind "$m" "$passes" "${PROFILE:-typical}" >/dev/null 2>&1
    ir=$(grep -m1 '^summary:' "$out" | awk '{print $2}')
    rm -f "$out"
    echo "| $m | $((ir / (pool * passes))) |"
done
