#!/usr/bin/env bash
# Instruction counts under callgrind for each workload of
# src/bin/callgrind.rs, on the latest construction ruleset by default. The counts
# repeat exactly from run to run (unlike times on a shared 2-core machine),
# so they compare engine versions.
#
#     benches/callgrind.sh [MODE...]     # default: every mode, typical pool
#
# Modes: evaluate from-json end-to-end batch floor floor-line compile
# rego-vm zen. Every mode but `compile` is counted per inspection (the
# measured instructions over POOL inspections times PASSES); `compile`
# loads and compiles the ruleset once per pass, so it is counted per load
# (divided by PASSES only). PROFILE=worst or PROFILE=clean changes the
# pool, PASSES the number of passes (default 5), RULESET=forest-fire the
# ruleset (default construction; the peers exist for construction only),
# VERSION=2022 its version (default: the latest shipped). Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")"
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed" >&2; exit 2; }
cargo build --release --locked --quiet --bin callgrind
passes=${PASSES:-5}
pool=200 # POOL in src/bin/callgrind.rs
profile=${PROFILE:-typical}
modes=("$@")
[ ${#modes[@]} -eq 0 ] && modes=(evaluate from-json end-to-end batch floor floor-line compile rego-vm zen)
echo "${RULESET:-construction} ${VERSION:-(latest shipped)}, $profile pool of $pool inspections, $passes passes; $(valgrind --version)."
echo
echo "| workload | instructions | per |"
echo "|---|--:|---|"
for m in "${modes[@]}"; do
    out=$(mktemp)
    if ! valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
        --toggle-collect='*measured_pass*' \
        target/release/callgrind "$m" "$passes" "$profile" >/dev/null 2>"$out.err"; then
        echo "callgrind.sh: mode $m failed:" >&2
        cat "$out.err" >&2
        rm -f "$out" "$out.err"
        exit 1
    fi
    ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$out")
    rm -f "$out" "$out.err"
    if [ -z "$ir" ] || [ "$ir" -eq 0 ]; then
        echo "callgrind.sh: mode $m counted nothing (unknown mode, or no floor or peer for it)" >&2
        exit 1
    fi
    if [ "$m" = compile ]; then
        echo "| $m | $((ir / passes)) | load and compile |"
    else
        echo "| $m | $((ir / (pool * passes))) | inspection |"
    fi
done
