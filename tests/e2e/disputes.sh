#!/usr/bin/env bash
# Who may correct an event (issue 12, item 3). In EPCIS the party that
# captured an event corrects it. Two partners on 127.0.0.1, a workwear maker
# and a laundry, replicate each other's feeds. The laundry records an
# errorDeclaration for the maker's shipping event: that must stay a dispute
# (kept, replicated, shown with who raised it and why) and change nothing
# that trace, recall, lifecycle or a bundle conclude. The maker's own
# declaration of its own event still corrects it.
set -eu -o pipefail
. "$(dirname "$0")/nodelib.bash"
M=$T/maker L=$T/laundry
partners "$M" Kledingmaker "$L" Wasserij
MID=$(id_of "$M") LID=$(id_of "$L")

SHIP=urn:uuid:9b1c0c1e-0000-4000-8000-000000000001
SHIP2=urn:uuid:9b1c0c1e-0000-4000-8000-000000000002
LOT=urn:epc:class:lgtin:5412345.000077.LOT-7
G1=urn:epc:id:sgtin:5412345.000077.G1
G2=urn:epc:id:sgtin:5412345.000077.G2
cat >"$T/maker.jsonld" <<EOF
[{"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
  "eventTime": "2026-03-01T08:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
  "epcList": ["$G1", "$G2"], "readPoint": {"id": "urn:epc:id:sgln:5412345.00000.0"},
  "ilmd": {"cbvmda:lotNumber": "LOT-7"}},
 {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
  "eventID": "$SHIP",
  "eventTime": "2026-03-02T08:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
  "epcList": ["$G1"], "bizLocation": {"id": "urn:epc:id:sgln:5412345.00000.0"},
  "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5499999.00001.0"}]},
 {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
  "eventID": "$SHIP2",
  "eventTime": "2026-03-02T09:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
  "epcList": ["$G2"], "bizLocation": {"id": "urn:epc:id:sgln:5412345.00000.0"},
  "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5499999.00002.0"}]}]
EOF
expect 0 --home "$M" record "$T/maker.jsonld"
# the laundry says the maker's first shipping is wrong: a dispute, not a correction
cat >"$T/dispute.jsonld" <<EOF
[{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
  "eventID": "$SHIP",
  "eventTime": "2026-03-02T08:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
  "epcList": ["$G1"], "bizLocation": {"id": "urn:epc:id:sgln:5412345.00000.0"},
  "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5499999.00001.0"}],
  "errorDeclaration": {"declarationTime": "2026-03-03T12:00:00.000+01:00",
                       "reason": "incorrect_data"}}]
EOF
expect 0 --home "$L" record "$T/dispute.jsonld"
# the maker corrects its own second shipping
cat >"$T/own.jsonld" <<EOF
[{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
  "eventID": "$SHIP2",
  "eventTime": "2026-03-02T09:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
  "epcList": ["$G2"], "bizLocation": {"id": "urn:epc:id:sgln:5412345.00000.0"},
  "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5499999.00002.0"}],
  "errorDeclaration": {"declarationTime": "2026-03-03T13:00:00.000+01:00",
                       "reason": "did_not_occur"}}]
EOF
expect 0 --home "$M" record "$T/own.jsonld"

start_node "$L" "$LISTEN_PORT"
start_node "$M"
WHY="maker and laundry converge" wait_until 30 same_heads "$M" "$L"
kill -TERM "${NODE_PIDS[@]}" 2>/dev/null || true
wait 2>/dev/null || true

for H in "$M" "$L"; do
    # -- trace: the disputed shipping is followed and says who disputes it
    expect 0 --home "$H" trace "$G1"
    [ -s "$T/out" ] || fail "trace printed nothing"
    grep -F "shipping ObjectEvent OBSERVE" "$T/out" | grep -qF "[DISPUTED by Wasserij: incorrect_data]" ||
        fail "trace at $H: the laundry's declaration should show as a dispute"; ok
    if grep -F "shipping ObjectEvent OBSERVE" "$T/out" | grep -qF "ERRONEOUS"; then
        fail "trace at $H: the laundry may not declare the maker's event erroneous"
    fi
    ok
    # -- the maker's own declaration still corrects its own event
    expect 0 --home "$H" trace "$G2"
    grep -F "shipping ObjectEvent OBSERVE" "$T/out" | grep -qF "[ERRONEOUS" ||
        fail "trace at $H: the maker's own declaration should make its event erroneous"; ok

    expect 0 --home "$H" --json trace "$G1"
    python3 - "$T/out" "$LID" <<'EOF' || fail "trace --json at $H"
import json, sys
g = json.load(open(sys.argv[1]))
ship = [n for n in g["nodes"] if n["kind"] == "event" and n.get("bizStep") == "shipping"]
assert len(ship) == 1, ship
s = ship[0]
assert s["erroneous"] is False, s
d = s["disputes"]
assert len(d) == 1 and d[0]["feed"] == sys.argv[2] and d[0]["reason"] == "incorrect_data", d
assert g["partners"][d[0]["feed"]] == "Wasserij", g["partners"]
EOF
    ok

    # -- recall: the disputed shipment counts, the corrected one does not
    expect 0 --home "$H" --json recall "$LOT"
    python3 - "$T/out" "$LID" <<'EOF' || fail "recall --json at $H"
import json, sys
r = json.load(open(sys.argv[1]))
sh = {s["eventID"]: s for s in r["shipments"]}
a = sh["urn:uuid:9b1c0c1e-0000-4000-8000-000000000001"]
b = sh["urn:uuid:9b1c0c1e-0000-4000-8000-000000000002"]
assert not a.get("erroneous") and a["disputes"][0]["feed"] == sys.argv[2], a
assert b.get("erroneous") is True, b
assert r["shipmentCount"] == 1, r["shipmentCount"]
EOF
    ok
    expect 0 --home "$H" recall "$LOT"
    contains "$T/out" "[DISPUTED by Wasserij: incorrect_data]"

    # -- a bundle carries the dispute as evidence and says it is one
    expect 0 --home "$H" bundle create "$G1" --out "$T/g1.keten"
    expect 0 bundle verify "$T/g1.keten"
    contains "$T/out" "[DISPUTE by Wasserij of an event of Kledingmaker: not a correction]"
    if grep -qF "DECLARED ERRONEOUS" "$T/out"; then fail "bundle: a dispute is no correction"; fi
    ok
    expect 0 bundle verify "$T/g1.keten" --json
    python3 - "$T/out" <<'EOF' || fail "bundle verify --json at $H"
import json, sys
v = json.load(open(sys.argv[1]))
d = [s for s in v["steps"] if s.get("errorDeclaration")]
assert len(d) == 1 and d[0]["disputes"] is True, d
EOF
    ok
    expect 0 --home "$H" bundle create "$G2" --out "$T/g2.keten"
    expect 0 bundle verify "$T/g2.keten"
    contains "$T/out" "[DECLARED ERRONEOUS: errorDeclaration]"
done
done_checks
