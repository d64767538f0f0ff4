#!/usr/bin/env bash
# bench/run.sh BUILD -- runs the benchmarks (make bench). Not tests: they
# print figures next to the goals in DESIGN.md and the issues.
# BENCH_N sets the ledger size (default 1,000,000); BENCH_TAPS and
# BENCH_DECODE_N the NFC taps (100) and codes per form (300,000) of bench/readers.
set -eu
build=${1:-build}
n=${BENCH_N:-1000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/keten-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
command -v /usr/bin/time >/dev/null || { echo "bench: needs /usr/bin/time (apt-get install time)"; exit 1; }
# ingest (issues 2 and 14), with Hypercore's batched append of the same count in the same run
bench/ingest.sh "$build" "$n" 1000 "$work/home"
"$build/bench/query" "$work/home" 100000
bench/import.sh "$build/keten" "$n"
# readers (issue 4): decode throughput and NFC tap latency against the emulated
# PN532; BENCH_TAPS=0 skips the NFC part.
"$build/bench/readers" "$build/keten" tests/tools/pn532_emu.py "${BENCH_TAPS:-100}" "${BENCH_DECODE_N:-300000}"
# replication (issue 3): a fresh node syncs BENCH_N entries over 127.0.0.1,
# compared with two Hypercore processes (npm, into bench/hypercore/node_modules)
bench/replicate.sh "$build/keten" "$n"
# trace and recall (issue 5): a chain-shaped ledger over 5 partner feeds; BENCH_TRACE_N events (200,000), a lot with BENCH_TRACE_SHIPMENTS shipments (2,000)
"$build/bench/trace" "$work/trace" "${BENCH_TRACE_N:-200000}" "${BENCH_TRACE_SHIPMENTS:-2000}" 200
# the HTTP server (issue 15): capture, queries on a BENCH_N-event store, the bundle, idle connections, hostile clients (wrk)
HTTP_STORE="$work/home" bench/http.sh "$build/keten" "$n"   # on bench/ingest's store above
# NATS JetStream (issue 19): publish rate to a local single server and recorded-to-received latency
bench/nats_publish.sh "$build/keten" "${BENCH_NATS_N:-200000}"
