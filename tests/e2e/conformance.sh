#!/usr/bin/env bash
# GS1's own EPCIS 2.0 JSON-LD examples through the real program: every
# document in conformance/epcis-examples/JSON/ is recorded, the whole ledger
# is exported, the export is recorded into a second home, and both homes must
# hold the same events (same event hashes), with extension fields intact.
set -eu
. "$(dirname "$0")/lib.bash"
EX="$KETEN_SHARED/conformance/epcis-examples/JSON"
expect 0 --home "$T/a" init --name "Conformance A"
n=0
while IFS= read -r f; do
    expect 0 --home "$T/a" record --skip-duplicates --quiet "$f"
    n=$((n + 1))
done < <(find "$EX" -name '*.jsonld' | sort)
[ "$n" -ge 47 ] || fail "found only $n example documents"; ok
expect 0 --home "$T/a" verify
expect 0 --home "$T/a" export --out "$T/export.jsonld"
expect 0 --home "$T/b" init --name "Conformance B"
expect 0 --home "$T/b" record --quiet "$T/export.jsonld"
"$KETEN" --home "$T/a" log --json | sed 's/.*"eventHash":"\([^"]*\)".*/\1/' | sort > "$T/ha"
"$KETEN" --home "$T/b" log --json | sed 's/.*"eventHash":"\([^"]*\)".*/\1/' | sort > "$T/hb"
events=$(wc -l < "$T/ha")
[ "$events" -ge "$n" ] || fail "only $events events from $n documents"; ok
grep -qvE '^ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0$' "$T/ha" && fail "a line of log --json without its eventHash"
ok
cmp -s "$T/ha" "$T/hb" || { diff "$T/ha" "$T/hb" | head; fail "event hashes changed through export"; }; ok
# an extension field of another namespace survives (Example_9.6.1 has example:myField)
grep -q '"example:myField"' "$EX/Example_9.6.1-ObjectEvent.jsonld" && contains "$T/export.jsonld" 'example:myField'
echo "$n documents, $events events: recorded, exported, re-recorded with the same event hashes"
done_checks
