#!/usr/bin/env bash
# bench/hypercore/ensure.sh -- makes Hypercore (the comparison of
# bench/ingest.sh and bench/replicate.sh) available: installs the version
# pinned in package.json into bench/hypercore/node_modules from npm when it
# is missing. Exits 0 when it is there, 1 (with the reason on stdout) when
# not: the benchmarks then skip the comparison. BENCH_HYPERCORE=0 skips it.
here=$(cd "$(dirname "$0")" && pwd)
if [ "${BENCH_HYPERCORE:-1}" = 0 ]; then echo "  hypercore: skipped (BENCH_HYPERCORE=0)"; exit 1; fi
if ! command -v node >/dev/null; then echo "  hypercore: skipped (no node.js)"; exit 1; fi
if [ ! -d "$here/node_modules/hypercore" ]; then
    (cd "$here" && npm install --no-audit --no-fund --silent >/dev/null 2>&1) ||
        { echo "  hypercore: skipped (npm install failed)"; exit 1; }
fi
exit 0
