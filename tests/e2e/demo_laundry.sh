#!/usr/bin/env bash
# `make demo-laundry` (demo/laundry.sh) through the real binary: it must end
# with 0 and every garment's wash count as the passes made it (the demo
# itself fails when a count is off; this checks its output too).
set -eu
. "$(dirname "$0")/lib.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
set +e
TMPDIR=$T timeout 180 bash "$ROOT/demo/laundry.sh" "$KETEN" >"$T/out" 2>"$T/err"
rc=$?
set -e
[ $rc = 0 ] || { tail -30 "$T/out" "$T/err"; fail "demo/laundry.sh exited $rc"; }
ok
contains "$T/out" "garment 1: 0 of 50 washes (a delivery and a first issue are no wash)"
contains "$T/out" "garment 1: 3 of 50 washes, garment 300: 3 of 50"
contains "$T/out" "garment 1 at the maker: 3 of 50 washes"
[ "$(grep -c 'recorded pass of 300 EPCs' "$T/out")" = 8 ] || fail "8 passes of 300 expected"; ok
contains "$T/out" "washes       3 of 50 (47 left)"
# the demo removed its directory and stopped what it started
[ -z "$(ls -d "$T"/keten-laundry.* 2>/dev/null)" ] || fail "demo left its directory"; ok
done_checks
