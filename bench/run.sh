#!/usr/bin/env bash
# bench/run.sh BUILD -- runs the benchmarks (make bench). Not tests: they
# print figures next to the goals in DESIGN.md and the issues.
# BENCH_N sets the ledger size (default 1,000,000).
set -eu
build=${1:-build}
n=${BENCH_N:-1000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/keten-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
command -v /usr/bin/time >/dev/null || { echo "bench: needs /usr/bin/time (apt-get install time)"; exit 1; }
"$build/bench/ingest" "$work/home" "$n" 1000
"$build/bench/query" "$work/home" 100000
bench/import.sh "$build/keten" "$n"
