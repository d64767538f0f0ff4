#!/usr/bin/env bash
# bench/ingest.sh BUILD [N] [BATCH] [DIR] -- ingest (issues 2 and 14): keten's
# bench/ingest (N events, default 1,000,000, BATCH per durable commit,
# default 1,000) and, in the same run, Hypercore 11's batched append of the
# same count, BATCH entries per append(), each entry as big as keten's mean
# event (compact JSON). Prints both and the ratio. Hypercore signs once per
# append() and never fsyncs; keten signs every entry, checks and indexes
# it, and commits durably. A benchmark, not a test: it prints figures.
# DIR (default: a temporary directory) keeps keten's home for bench/query.
set -eu
build=${1:-build}
n=${2:-1000000} batch=${3:-1000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/keten-ingest.XXXXXX")
trap 'rm -rf "$work"' EXIT
home=${4:-$work/home}
"$build/bench/ingest" "$home" "$n" "$batch" | tee "$work/keten.out"
"$here/hypercore/ensure.sh" || exit 0
size=$(awk '/event size/ {print $(NF-1)}' "$work/keten.out")
node "$here/hypercore/append.mjs" "$work/hc" "$n" "$size" "$batch" >"$work/hc.out"
python3 - "$work/hc.out" "$work/keten.out" "$n" <<'PY'
import json, re, sys
h = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
k = open(sys.argv[2]).read()
rate = float(re.search(r"append \(.*\): (\d+) events/s", k).group(1))
n = int(sys.argv[3])
print(f"  hypercore 11.37.1, append() of the same count: {h['entriesPerSec']} entries/s "
      f"({h['ms']} ms; CPU {h['cpuMs']} ms; peak RSS {h['maxRssMB']} MB; "
      f"{h['bytesOnDisk'] / n:.0f} bytes on disk per entry)")
print(f"  ratio keten / hypercore: {rate / max(h['entriesPerSec'], 1):.2f}x   (goal, issue 14: >= 1.2x)")
PY
echo "  reproduce: bench/ingest.sh $build $n $batch"
