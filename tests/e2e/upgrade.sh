#!/usr/bin/env bash
# A store of format 4 (before the Merkle tree; tests/tools/store_downgrade)
# is upgraded when keten first opens it for writing: the log is read once,
# the indexes and every feed's tree are rebuilt, in one transaction. The
# user sees it start and end on stderr (and the count on a terminal). An
# upgrade killed with -9 half way leaves the old store as it was; the next
# command runs it again, and the store then verifies and proves entries.
set -eu
. "$(dirname "$0")/nodelib.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)
DOWN="$KETEN_BUILD/tools/store_downgrade"
[ -x "$DOWN" ] || fail "no $DOWN (make builds it)"
H=$T/h
expect 0 --home "$H" init --name Wasserij
python3 "$root/tests/tools/gen_events.py" "$T/doc.jsonld" 60000
expect 0 --home "$H" record --quiet "$T/doc.jsonld"
expect 0 --home "$H" proof inclusion "$(id_of "$H"):60000" --json
cp "$T/out" "$T/proof.before"

"$DOWN" "$H"
expect 0 --home "$H" verify
contains "$T/err" "upgrading the store to the current format: 60000 entries to read"
contains "$T/err" "upgrade done: 60000 entries read"
expect 0 --home "$H" proof inclusion "$(id_of "$H"):60000" --json
cmp -s "$T/out" "$T/proof.before" || fail "the rebuilt tree proves entry 60000 differently"; ok

# killed half way: nothing of it is kept, and it runs again
"$DOWN" "$H"
"$KETEN" --home "$H" verify >/dev/null 2>"$T/killed.err" &
pid=$!
started() { grep -q "upgrading the store" "$T/killed.err"; }
WHY="the upgrade starts" wait_until 20 started
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
grep -q "upgrade done" "$T/killed.err" && echo "note: the upgrade finished before the kill"
expect 0 --home "$H" verify
if ! grep -q "upgrade done" "$T/killed.err"; then
    contains "$T/err" "upgrading the store to the current format: 60000 entries to read"
fi
contains "$T/out" "60000 entries in 1 feed verified"
expect 0 --home "$H" proof inclusion "$(id_of "$H"):60000" --json
cmp -s "$T/out" "$T/proof.before" || fail "after an interrupted upgrade, entry 60000 proves differently"; ok
done_checks
