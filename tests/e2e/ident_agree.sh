#!/usr/bin/env bash
# One set of GS1 rules (issue 13, items 1 and 2): the key `keten record`
# indexes an identifier by is the key `keten decode` prints, whatever form
# the event names it in, so `trace` finds the event by every other form; and
# what decode refuses, record refuses too, with decode's message.
set -eu -o pipefail
. "$(dirname "$0")/lib.bash"
H=$T/home
expect 0 --home "$H" init --name Wasserij

# event: one document, one event, naming EPC (an identifier in any form)
event() {
    cat >"$T/ev.jsonld" <<EOF
{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
 "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-05T08:00:00.000Z",
 "epcisBody": {"eventList": [{"type": "ObjectEvent", "action": "OBSERVE",
   "eventTime": "$2", "eventTimeZoneOffset": "+01:00", "bizStep": "$3",
   "epcList": ["$1"]}]}}
EOF
}

# decode_key CODE: the key decode prints
decode_key() {
    expect 0 --json decode "$1"
    python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["key"])' "$T/out"
}

# trace_finds STEP FORM...: trace by every form finds the event of bizStep STEP
trace_finds() {
    local step=$1; shift
    for form in "$@"; do
        expect 0 --home "$H" trace "$form"
        nonempty "$T/out" "trace $form"
        contains "$T/out" "$step"
    done
}

# -- a UHF tag recorded by its tag URN: found by its pure URN, Digital Link,
# hex and element string (the index used to key the tag URN as written)
TAG=urn:epc:tag:sgtin-96:1.8712345.012345.1001
event "$TAG" 2026-01-05T08:00:00.000+01:00 receiving
expect 0 --home "$H" record "$T/ev.jsonld"
K=$(decode_key "$TAG")
[ "$K" = https://id.gs1.org/01/08712345123451/21/1001 ] || fail "decode key of $TAG: $K"
trace_finds receiving "$TAG" urn:epc:id:sgtin:8712345.012345.1001 "$K" 303613C2640C0E40000003E9 \
    '(01)08712345123451(21)1001' https://example.com/shop/01/08712345123451/21/1001

# -- an SSCC's Digital Link on another domain, under a path prefix
SSCC_DL=https://example.com/shop/00/106141412345678908
event "$SSCC_DL" 2026-01-06T08:00:00.000+01:00 shipping
expect 0 --home "$H" record "$T/ev.jsonld"
[ "$(decode_key "$SSCC_DL")" = https://id.gs1.org/00/106141412345678908 ] || fail "SSCC key"
trace_finds shipping urn:epc:id:sscc:0614141.1234567890 https://id.gs1.org/00/106141412345678908 \
    '(00)106141412345678908' "$SSCC_DL"

# -- query attributes are read by both, with the same rules
ATTR='https://id.gs1.org/01/08712345123451/10/L7?17=261231'
event "$ATTR" 2026-01-07T08:00:00.000+01:00 packing
expect 0 --home "$H" record "$T/ev.jsonld"
trace_finds packing urn:epc:class:lgtin:8712345.012345.L7 '(01)08712345123451(10)L7'
n=$(nlines "$H")
for bad in 'https://id.gs1.org/01/08712345123451/10/L7?17=991399' \
    https://id.gs1.org/01/08712345123458/21/1001; do
    expect 3 decode "$bad"
    msg=$(sed 's/^keten decode: [^ ]*: //' "$T/err")
    nonempty "$T/err" "decode $bad"
    event "$bad" 2026-01-08T08:00:00.000+01:00 shipping
    expect 3 --home "$H" record "$T/ev.jsonld"
    contains "$T/err" "$msg"
    expect 3 --home "$H" trace "$bad"
    contains "$T/err" "$msg"
done
[ "$(nlines "$H")" = "$n" ] || fail "a refused event was stored"
ok
done_checks
