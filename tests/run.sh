#!/usr/bin/env bash
# tests/run.sh BUILD -- runs every test of keten against the build in BUILD
# (build/ or build/asan/): each unit test program BUILD/tests/test_*, then
# each end-to-end script tests/e2e/*.sh with KETEN=BUILD/keten. Every test
# runs in its own fresh temporary directory with a time limit, and the last
# line says "N passed, N failed". Exit 0 only when nothing failed.
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export KETEN_SHARED=${KETEN_SHARED:-$root/../shared}
export KETEN="$root/$build/keten"
export KETEN_BUILD="$root/$build"
[ -d "$KETEN_SHARED/conformance" ] || { echo "tests: no conformance data at $KETEN_SHARED (set KETEN_SHARED)"; exit 2; }
unit_timeout=${UNIT_TIMEOUT:-600}
e2e_timeout=${E2E_TIMEOUT:-900}
passed=0 failed=0 failed_names=()
logdir=$(mktemp -d "${TMPDIR:-/tmp}/keten-tests.XXXXXX")

run_one() { # name timeout command...
    local name=$1 limit=$2; shift 2
    local dir; dir=$(mktemp -d "$logdir/$name.XXXX")
    local start=$SECONDS
    if (cd "$root" && TMPDIR="$dir" timeout --kill-after=10 "$limit" "$@") >"$dir.log" 2>&1; then
        passed=$((passed + 1))
        printf 'PASS %-34s %4ds\n' "$name" $((SECONDS - start))
    else
        failed=$((failed + 1)); failed_names+=("$name")
        printf 'FAIL %-34s %4ds (log: %s.log)\n' "$name" $((SECONDS - start)) "$dir"
        tail -40 "$dir.log" | sed 's/^/     | /'
    fi
}

for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    run_one "$(basename "$t")" "$unit_timeout" "$t"
done
for t in tests/e2e/*.sh; do
    [ -f "$t" ] || continue
    run_one "e2e_$(basename "$t" .sh)" "$e2e_timeout" bash "$t"
done
echo
[ "$failed" -eq 0 ] || echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && rm -rf "$logdir"
[ "$failed" -eq 0 ]
