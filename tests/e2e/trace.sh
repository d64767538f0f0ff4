#!/usr/bin/env bash
# trace, recall, lifecycle through the real binary, across four homes merged
# by real nodes on 127.0.0.1: farm -> slaughterhouse -> processor -> kitchen
# (demo/chain, plus a private inspection at the slaughterhouse that reaches
# the kitchen sealed, a temperature excursion and an erroneous shipment
# corrected by an errorDeclaration), and a workwear chain (maker -> laundry,
# 50 wash cycles -> repair) recorded under two more homes. Checks the story,
# the JSON graph, the DOT picture, the origin, recall as table/CSV/JSON, the
# lifecycle counts and the exit codes of bad input.
set -eu
. "$(dirname "$0")/nodelib.bash"
CHAIN="$(dirname "$0")/../../demo/chain"
F=$T/farm S=$T/slachthuis P=$T/verwerker K=$T/keuken

expect 0 --home "$S" init --name Slachthuis --gln 5412345000013
"$KETEN" --home "$S" network >"$T/net"
NET=$(cat "$T/net")
mkhome "$F" Boerderij "$NET"
mkhome "$P" Vleesverwerker "$NET"
mkhome "$K" Keuken "$NET"
FID=$(id_of "$F") SID=$(id_of "$S") PID=$(id_of "$P") KID=$(id_of "$K")
FPORT=$(free_port) SPORT=$(free_port) PPORT=$(free_port)
expect 0 --home "$S" peer add "$FID" "127.0.0.1:$FPORT" --name Boerderij
expect 0 --home "$F" peer add "$SID" --name Slachthuis
expect 0 --home "$P" peer add "$SID" "127.0.0.1:$SPORT" --name Slachthuis
expect 0 --home "$S" peer add "$PID" --name Vleesverwerker
expect 0 --home "$K" peer add "$PID" "127.0.0.1:$PPORT" --name Vleesverwerker
expect 0 --home "$P" peer add "$KID" --name Keuken
# the kitchen names the farm and slaughterhouse too (it never talks to them)
expect 0 --home "$K" peer add "$SID" --name Slachthuis
expect 0 --home "$K" peer add "$FID" --name Boerderij

expect 0 --home "$F" record "$CHAIN/farm.jsonld"
expect 0 --home "$S" record "$CHAIN/slaughterhouse.jsonld"
expect 0 --home "$S" record --private --type ObjectEvent --action OBSERVE --biz-step inspecting \
    --disposition active --epc urn:epc:id:giai:5412345.BE512345678901 \
    --read-point urn:epc:id:sgln:5412345.00001.0 --event-time 2025-11-28T06:45:00.000+01:00
expect 0 --home "$P" record "$CHAIN/processor.jsonld"
# a second pallet shipped to the wrong kitchen, declared erroneous, corrected
cat >"$T/extra.jsonld" <<'EOF'
[{"type": "AggregationEvent", "action": "ADD", "bizStep": "packing",
  "eventTime": "2025-11-29T09:40:00.000+01:00", "eventTimeZoneOffset": "+01:00",
  "parentID": "urn:epc:id:sscc:5412345.0000000002",
  "childEPCs": ["urn:epc:id:sgtin:5412345.000012.P1005"]},
 {"type": "TransformationEvent", "bizStep": "commissioning",
  "eventTime": "2025-11-29T09:35:00.000+01:00", "eventTimeZoneOffset": "+01:00",
  "inputQuantityList": [{"epcClass": "urn:epc:class:lgtin:5412345.000002.CARC-2025-1128", "quantity": 1}],
  "outputEPCList": ["urn:epc:id:sgtin:5412345.000012.P1005"]},
 {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
  "eventID": "urn:uuid:6f1c0c1e-0000-4000-8000-000000000001",
  "eventTime": "2025-11-29T11:10:00.000+01:00", "eventTimeZoneOffset": "+01:00",
  "epcList": ["urn:epc:id:sscc:5412345.0000000002"],
  "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5412345.00003.0"}],
  "sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": 8.5, "uom": "CEL"}]}]}]
EOF
expect 0 --home "$P" record "$T/extra.jsonld"
cat >"$T/decl.jsonld" <<'EOF'
[{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
  "eventID": "urn:uuid:6f1c0c1e-0000-4000-8000-000000000001",
  "eventTime": "2025-11-29T11:10:00.000+01:00", "eventTimeZoneOffset": "+01:00",
  "epcList": ["urn:epc:id:sscc:5412345.0000000002"],
  "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5412345.00003.0"}],
  "sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": 8.5, "uom": "CEL"}]}],
  "errorDeclaration": {"declarationTime": "2025-11-29T12:00:00.000+01:00", "reason": "incorrect_data",
                       "correctiveEventIDs": ["urn:uuid:6f1c0c1e-0000-4000-8000-000000000002"]}},
 {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
  "eventID": "urn:uuid:6f1c0c1e-0000-4000-8000-000000000002",
  "eventTime": "2025-11-29T11:15:00.000+01:00", "eventTimeZoneOffset": "+01:00",
  "epcList": ["urn:epc:id:sscc:5412345.0000000002"],
  "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5412345.00002.0"}]}]
EOF
expect 0 --home "$P" record "$T/decl.jsonld"
expect 0 --home "$K" record "$CHAIN/kitchen.jsonld"

start_node "$F" "$FPORT"
start_node "$S" "$SPORT"
start_node "$P" "$PPORT"
start_node "$K"
WHY="four nodes converge" wait_until 30 same_heads "$F" "$S" "$P" "$K"
kill -TERM "${NODE_PIDS[@]}" 2>/dev/null || true
wait 2>/dev/null || true

# -- trace back from a pack, at the kitchen (which only talks to the processor)
expect 0 --home "$K" trace urn:epc:id:sgtin:5412345.000012.P1001 --back --oldest-first
contains "$T/out" "commissioning ObjectEvent ADD Boerderij"     # the farm's animals
contains "$T/out" "Slachthuis"
contains "$T/out" "Vleesverwerker"
contains "$T/out" "receiving ObjectEvent OBSERVE Keuken"        # the pallet at the kitchen
contains "$T/out" "[sealed] Slachthuis (${SID:0:8}:4)"          # the private inspection
contains "$T/out" "input    https://id.gs1.org/01/05412345000020/10/CARC-2025-1128"
head -2 "$T/out" | tail -1 | grep -q "^2023-04-02" || fail "oldest first should start in 2023"; ok
# newest first by default
expect 0 --home "$K" trace urn:epc:id:sgtin:5412345.000012.P1001 --back
head -2 "$T/out" | tail -1 | grep -q "^2025-11-29" || fail "newest first should start 2025-11-29"; ok
# the same product by its Digital Link
expect 0 --home "$K" trace "https://id.example.com/01/05412345000129/21/P1001" --back
contains "$T/out" "Boerderij"

# -- the JSON graph
expect 0 --home "$K" --json trace urn:epc:id:sgtin:5412345.000012.P1001 --back
python3 - "$T/out" "$FID" <<'EOF' || fail "trace --json graph"
import json, sys
g = json.load(open(sys.argv[1]))
assert g["schema"] == "keten.trace/1" and g["direction"] == "back", g["schema"]
ids = {n["id"]: n for n in g["nodes"]}
assert ids[g["start"]]["identifier"] == "https://id.gs1.org/01/05412345000129/21/P1001"
ev = [n for n in g["nodes"] if n["kind"] == "event"]
assert [e["eventTimeUTC"] for e in ev] == sorted(e["eventTimeUTC"] for e in ev)
assert any(e["feed"] == sys.argv[2] and e["bizStep"] == "commissioning" for e in ev)
assert sum(1 for n in g["nodes"] if n["kind"] == "sealed") == 1
kinds = {e["kind"] for e in g["edges"]}
assert {"transformation", "aggregation", "shipment"} <= kinds, kinds
assert g["partners"][sys.argv[2]] == "Boerderij"
for e in g["edges"]:
    assert e["from"] in ids and e["to"] in ids
EOF
ok

# -- DOT
expect 0 --home "$K" trace urn:epc:class:lgtin:5412345.000002.CARC-2025-1128 --dot
contains "$T/out" "digraph trace {"
contains "$T/out" "color=red, style=dashed"                     # the erroneous shipment
if command -v dot >/dev/null; then
    dot -Tsvg "$T/out" >"$T/trace.svg" || fail "dot refused the picture"; ok
fi

# -- forward from the lot: the erroneous shipment is marked, not followed
expect 0 --home "$K" trace urn:epc:class:lgtin:5412345.000002.CARC-2025-1128 --forward
contains "$T/out" "[ERRONEOUS"
contains "$T/out" "corrected by urn:uuid:6f1c0c1e-0000-4000-8000-000000000002"

# -- origin of the pack
expect 0 --home "$K" trace urn:epc:id:sgtin:5412345.000012.P1001 --origin
contains "$T/out" "born in        BE"
contains "$T/out" "slaughterhouse BE 1234"
contains "$T/out" "cutting plant  BE 5678"
contains "$T/out" "lot reference  CARC-2025-1128"

# -- recall
expect 0 --home "$K" recall urn:epc:class:lgtin:5412345.000002.CARC-2025-1128 --max-temp 4
contains "$T/out" "recall of urn:epc:class:lgtin:5412345.000002.CARC-2025-1128"
contains "$T/out" "[ERRONEOUS, not counted]"
contains "$T/out" "temperature above 4"
contains "$T/out" "8.5 CEL"
expect 0 --home "$K" recall urn:epc:class:lgtin:5412345.000002.CARC-2025-1128 --csv
contains "$T/out" "eventTime,partner,feed,seq,bizStep,from,to,location,quantity,eventQuantity,items,erroneous,receivedTime,receivedBy,receivedFeed,receivedSeq,receivedAt"
contains "$T/out" "Vleesverwerker"
expect 0 --home "$K" --json recall urn:epc:class:lgtin:5412345.000002.CARC-2025-1128
python3 - "$T/out" <<'EOF' || fail "recall --json"
import json, sys
r = json.load(open(sys.argv[1]))
ids = {p["id"] for p in r["products"]}
for s in ("P1001", "P1002", "P1003", "P1004", "P1005"):
    assert "https://id.gs1.org/01/05412345000129/21/" + s in ids, s
# shipping to the processor... : the lot's receiving at the processor, the
# pallet 1 shipping and receiving, pallet 2 corrected; the wrong one listed
assert sum(1 for s in r["shipments"] if s.get("erroneous")) == 1
assert r["shipmentCount"] == len(r["shipments"]) - 1
EOF
ok

# -- bad input
expect 3 --home "$K" trace urn:epc:id:sgtin:5412345.12.X
expect 1 --home "$K" trace urn:epc:id:sgtin:5412345.000012.NOTHERE
expect 2 --home "$K" trace
expect 2 --home "$K" trace a b
expect 2 --home "$K" recall
expect 2 --home "$K" recall LOT --max-temp warm
expect 2 --home "$K" lifecycle
expect 0 --home "$K" trace --help
contains "$T/out" "usage: keten trace"

# -- workwear: maker and laundry under two homes, merged through nodes
M=$T/maker L=$T/wasserij
mkhome "$M" Werkkledij "$NET"
mkhome "$L" Wasserij "$NET"
MID=$(id_of "$M") LID=$(id_of "$L") MPORT=$(free_port)
expect 0 --home "$L" peer add "$MID" "127.0.0.1:$MPORT" --name Werkkledij
expect 0 --home "$M" peer add "$LID" --name Wasserij
G=urn:epc:id:sgtin:5412345.000020.G1001
cat >"$T/make.jsonld" <<EOF
{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
              {"garment": "https://keten.dev/ns/garment#"}],
 "type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
 "eventTime": "2024-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00",
 "epcList": ["$G"], "bizLocation": {"id": "urn:epc:id:sgln:5412345.00005.0"},
 "ilmd": {"garment:fibreComposition": "65% polyester, 35% cotton",
          "garment:recycledContent": 30, "garment:maxWashCycles": 54, "garment:madeIn": "PT"}}
EOF
expect 0 --home "$M" record "$T/make.jsonld"
python3 - "$G" >"$T/wash.jsonld" <<'EOF'
import json, sys
g = sys.argv[1]
ev = []
for i in range(50):
    d, h = 1 + i // 10, 2 * (i % 10)
    base = {"type": "ObjectEvent", "action": "OBSERVE", "epcList": [g], "eventTimeZoneOffset": "+00:00",
            "bizLocation": {"id": "urn:epc:id:sgln:5412345.00006.0"}}
    ev.append(dict(base, bizStep="receiving", eventTime="2024-03-%02dT%02d:00:00Z" % (d, h)))
    ev.append(dict(base, bizStep="shipping", eventTime="2024-03-%02dT%02d:30:00Z" % (d, h),
                   destinationList=[{"type": "location", "destination": "urn:epc:id:sgln:5412345.00007.0"}]))
ev.append({"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "repairing", "epcList": [g],
           "eventTime": "2024-04-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
           "bizLocation": {"id": "urn:epc:id:sgln:5412345.00006.0"}})
ev.append({"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping", "epcList": [g],
           "eventTime": "2024-04-01T09:00:00Z", "eventTimeZoneOffset": "+00:00",
           "bizLocation": {"id": "urn:epc:id:sgln:5412345.00006.0"},
           "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5412345.00007.0"}]})
print(json.dumps(ev))
EOF
expect 0 --home "$L" record "$T/wash.jsonld"
NODE_PIDS=()
start_node "$M" "$MPORT"
start_node "$L"
WHY="maker and laundry converge" wait_until 30 same_heads "$M" "$L"
kill -TERM "${NODE_PIDS[@]}" 2>/dev/null || true
wait 2>/dev/null || true
expect 0 --home "$L" lifecycle "$G"
contains "$T/out" "washes       49 of 54 (5 left)" # the first stay is its delivery
contains "$T/out" "65% polyester, 35% cotton"
contains "$T/out" "repairs      1"
contains "$T/out" "WARNING: within 10%"
expect 0 --home "$L" --json lifecycle "$G" --laundry urn:epc:id:sgln:5412345.00006.0
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["washes"]==49 and r["status"]=="due", r' "$T/out" || fail "lifecycle --json"; ok
expect 0 --home "$L" lifecycle --due --location urn:epc:id:sgln:5412345.00007.0
contains "$T/out" "G1001"
contains "$T/out" "49/54"
expect 0 --home "$L" lifecycle --due --location urn:epc:id:sgln:5412345.00009.0
contains "$T/out" ": 0"

# a garment the laundry only ever scanned by bizLocation (no source or
# destination list), still there: found at the laundry by its URN and by
# its Digital Link alike (the loc index keys the canonical form)
G2=urn:epc:id:sgtin:5412345.000020.G2002
python3 - "$G2" >"$T/g2.jsonld" <<'EOF'
import json, sys
g = sys.argv[1]
ctx = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
       {"garment": "https://keten.dev/ns/garment#"}]
ev = [{"@context": ctx, "type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
       "eventTime": "2024-05-01T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [g],
       "ilmd": {"garment:maxWashCycles": 3}}]
for i in range(4):  # the first stay is the first issue: 3 washes
    for step, m in (("receiving", 0), ("shipping", 30)):
        ev.append({"type": "ObjectEvent", "action": "OBSERVE", "bizStep": step, "epcList": [g],
                   "eventTime": "2024-05-%02dT10:%02d:00Z" % (2 + i, m), "eventTimeZoneOffset": "+00:00",
                   "bizLocation": {"id": "https://id.gs1.org/414/5412345000068"}})
ev.append({"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "receiving", "epcList": [g],
           "eventTime": "2024-05-09T10:00:00Z", "eventTimeZoneOffset": "+00:00",
           "bizLocation": {"id": "urn:epc:id:sgln:5412345.00006.0"}})
print(json.dumps(ev))
EOF
expect 0 --home "$L" record "$T/g2.jsonld"
expect 0 --home "$L" lifecycle --due --location urn:epc:id:sgln:5412345.00006.0
contains "$T/out" "G2002"
contains "$T/out" "3/3"
expect 0 --home "$L" --json lifecycle --due --location https://id.gs1.org/414/5412345000068
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); g=[x["garment"] for x in r["garments"]]; assert any(x.endswith("G2002") for x in g) and not any(x.endswith("G1001") for x in g), r' "$T/out" || fail "due by Digital Link"; ok
done_checks
