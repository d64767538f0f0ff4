#!/usr/bin/env bash
# Identifiers in every form everywhere (issue 12, item 6): every command that
# takes an identifier (trace, recall, lifecycle, bundle create, show) takes
# every form `keten decode` takes -- EPC URN, Digital Link on any domain, EPC
# hex from a UHF tag, element strings with or without parentheses -- and a
# bad identifier is bad input (exit 3) with decode's message. `record --epc`
# converts a hex EPC or an element string.
set -eu -o pipefail
. "$(dirname "$0")/lib.bash"
H=$T/home
expect 0 --home "$H" init --name Wasserij
# SGTIN 8712345.012345.1001 is hex 303613C2640C0E40000003E9 (SGTIN-96,
# filter 1, partition 5: a 7-digit company prefix)
HEX=303613C2640C0E40000003E9
URN=urn:epc:id:sgtin:8712345.012345.1001
DL=https://id.gs1.org/01/08712345123451/21/1001
ELEM='(01)08712345123451(21)1001'
RAWELEM='010871234512345121'1001
expect 0 --home "$H" record --type ObjectEvent --action ADD --epc "$URN" \
    --biz-step commissioning --disposition active --read-point urn:epc:id:sgln:8712345.00000.0 \
    --event-time 2026-01-05T08:00:00.000+01:00 \
    --ilmd '{"cbvmda:lotNumber": "L7", "https://keten.dev/ns/garment#maxWashCycles": 50}'
expect 0 --home "$H" record --type ObjectEvent --action OBSERVE --epc "$DL" \
    --biz-step shipping --read-point urn:epc:id:sgln:8712345.00000.0 \
    --event-time 2026-01-06T08:00:00.000+01:00

for form in "$URN" "$DL" "$HEX" "$ELEM" "$RAWELEM" "https://example.com/shop/01/08712345123451/21/1001"; do
    expect 0 --home "$H" trace "$form"
    [ -s "$T/out" ] || fail "trace $form printed nothing"
    contains "$T/out" "commissioning ObjectEvent ADD"
    contains "$T/out" "shipping ObjectEvent OBSERVE"
    expect 0 --home "$H" lifecycle "$form"
    [ -s "$T/out" ] || fail "lifecycle $form printed nothing"
    expect 0 --home "$H" bundle create "$form" --out "$T/b.keten"
    expect 0 bundle verify "$T/b.keten"
    contains "$T/out" "shipping"
    expect 0 --home "$H" show "$form"
    contains "$T/out" "commissioning"
    contains "$T/out" "shipping"
done
# the lot, as a class URN, a Digital Link and an element string
for lot in urn:epc:class:lgtin:8712345.012345.L7 https://id.gs1.org/01/08712345123451/10/L7 \
    '(01)08712345123451(10)L7'; do
    expect 0 --home "$H" recall "$lot"
    contains "$T/out" "recall of"
done

# bad identifiers: exit 3 with decode's own message, in every command
BAD=https://id.gs1.org/01/08712345123458/21/1001   # check digit 8, expected 1
expect 3 decode "$BAD"
msg=$(sed 's/^keten decode: //' "$T/err")
[ -n "$msg" ] || fail "decode printed no message"
for cmd in trace lifecycle show recall; do
    expect 3 --home "$H" $cmd "$BAD"
    contains "$T/err" "$msg"
done
expect 3 --home "$H" bundle create "$BAD" --out "$T/x.keten"
contains "$T/err" "$msg"
[ ! -e "$T/x.keten" ] || fail "a bundle was written for a bad identifier"; ok
expect 3 --home "$H" trace 30361
expect 3 --home "$H" trace '(01)0871234512345'

# record --epc converts a hex EPC and an element string to the EPC URN / Digital Link
expect 0 --home "$H" record --type ObjectEvent --action OBSERVE --epc "$HEX" \
    --biz-step receiving --read-point urn:epc:id:sgln:8712345.00000.0 \
    --event-time 2026-01-07T08:00:00.000+01:00 --json
contains "$T/out" '"eventID"'
expect 0 --home "$H" --json trace "$URN"
python3 - "$T/out" <<'EOF' || fail "the hex --epc should be stored as its EPC URN"
import json, sys
g = json.load(open(sys.argv[1]))
steps = [n.get("bizStep") for n in g["nodes"] if n["kind"] == "event"]
assert "receiving" in steps, steps
EOF
ok
expect 0 --home "$H" log --json
contains "$T/out" "receiving"
expect 0 --home "$H" export
contains "$T/out" "$URN"
expect 3 --home "$H" record --type ObjectEvent --epc 303613C2640C0E40000003 --biz-step receiving
done_checks
