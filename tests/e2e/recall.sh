#!/usr/bin/env bash
# recall through the real binary (issue 12, items 2, 4 and 5): temperatures
# compared in one unit (CEL, FAH, KEL converted; a unit keten cannot convert,
# or none, is listed as not compared), --max-temp with a unit; the quantity
# that came from the lot (not the whole event's), a receipt shown as the
# receipt of its shipment and counted once; a pack that names the lot in its
# Digital Link (/10/ in a QR label) is a member of the lot; an ILMD lot of an
# event with 300 GTINs is found for the 300th.
set -eu
. "$(dirname "$0")/lib.bash"
H=$T/verwerker
LOT=urn:epc:class:lgtin:5412345.000012.CUT-1
expect 0 --home "$H" init --name Verwerker --gln 5412345000006

pack() { # pack NAME...: the SGTIN URNs of the processor's packs, as JSON strings
    local s="" p
    for p in "$@"; do s="$s${s:+, }\"urn:epc:id:sgtin:5412345.000012.$p\""; done
    echo "$s"
}
P15=$(pack P1 P2 P3 P4 P5 Q1 Q2 Q3 Q4 Q5 Q6 Q7 Q8 Q9 Q10)
cat >"$T/chain.jsonld" <<EOF
[{"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
  "eventTime": "2026-01-05T08:00:00Z", "eventTimeZoneOffset": "+00:00",
  "epcList": [$(pack P1 P2 P3 P4 P5)], "ilmd": {"cbvmda:lotNumber": "CUT-1"}},
 {"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
  "eventTime": "2026-01-05T08:05:00Z", "eventTimeZoneOffset": "+00:00",
  "epcList": [$(pack Q1 Q2 Q3 Q4 Q5 Q6 Q7 Q8 Q9 Q10)], "ilmd": {"cbvmda:lotNumber": "CUT-2"}},
 {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
  "eventTime": "2026-01-05T09:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [$P15],
  "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5412345.00003.0"}],
  "sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": 39, "uom": "FAH"}]}]},
 {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "receiving",
  "eventTime": "2026-01-05T11:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [$P15],
  "bizLocation": {"id": "urn:epc:id:sgln:5412345.00003.0"},
  "sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": 276, "uom": "KEL"},
    {"type": "gs1:Temperature", "minValue": 35, "maxValue": 39, "meanValue": 37, "sDev": 9, "uom": "FAH"}]}]},
 {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
  "eventTime": "2026-01-05T09:30:00Z", "eventTimeZoneOffset": "+00:00",
  "epcList": ["https://id.gs1.org/01/05412345000129/10/CUT-1/21/P9"],
  "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5412345.00004.0"}],
  "sensorElementList": [{"sensorReport": [
    {"type": "Temperature", "minValue": 275, "maxValue": 280, "uom": "KEL"},
    {"type": "Temperature", "value": 41, "uom": "FAH"},
    {"type": "Temperature", "value": 3.5, "uom": "DD"},
    {"type": "Temperature", "value": 3.5}]}]}]
EOF
expect 0 --home "$H" record "$T/chain.jsonld"

# -- item 5: the pack named by a Digital Link with the lot is a member
expect 0 --home "$H" --json recall "$LOT"
cp "$T/out" "$T/recall.json"
python3 - "$T/recall.json" <<'EOF' || fail "recall --json: the Digital Link member"
import json, sys
r = json.load(open(sys.argv[1]))
ids = {p["id"] for p in r["products"]}
dl = "https://id.gs1.org/01/05412345000129/21/"
assert dl + "P9" in ids, ids
for p in ("P1", "P2", "P3", "P4", "P5"):
    assert dl + p in ids, p
assert not any(dl + "Q%d" % k in ids for k in range(1, 11)), ids
EOF
ok
expect 0 --home "$H" trace https://id.gs1.org/01/05412345000129/21/P9 --back
contains "$T/out" "lot      https://id.gs1.org/01/05412345000129/10/CUT-1"

# -- item 5: Digital Link lots of a child packed into a case, and of an input
cat >"$T/dl.jsonld" <<'EOF'
[{"type": "AggregationEvent", "action": "ADD", "bizStep": "packing",
  "eventTime": "2026-01-05T12:00:00Z", "eventTimeZoneOffset": "+00:00",
  "parentID": "urn:epc:id:sscc:5412345.0000000077",
  "childEPCs": ["https://id.gs1.org/01/05412345000129/10/CUT-3/21/P10"]},
 {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
  "eventTime": "2026-01-05T13:00:00Z", "eventTimeZoneOffset": "+00:00",
  "epcList": ["urn:epc:id:sscc:5412345.0000000077"],
  "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5412345.00005.0"}]},
 {"type": "TransformationEvent", "bizStep": "commissioning",
  "eventTime": "2026-01-05T12:30:00Z", "eventTimeZoneOffset": "+00:00",
  "inputEPCList": ["https://id.gs1.org/01/05412345000129/10/CUT-3/21/P11"],
  "outputEPCList": ["urn:epc:id:sgtin:5412345.000013.M1"]},
 {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
  "eventTime": "2026-01-05T14:00:00Z", "eventTimeZoneOffset": "+00:00",
  "epcList": ["urn:epc:id:sgtin:5412345.000013.M1"],
  "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5412345.00006.0"}]}]
EOF
expect 0 --home "$H" record "$T/dl.jsonld"
expect 0 --home "$H" --json recall urn:epc:class:lgtin:5412345.000012.CUT-3
python3 - "$T/out" <<'EOF' || fail "recall of Digital Link lots of a child and an input"
import json, sys
r = json.load(open(sys.argv[1]))
ids = {p["id"] for p in r["products"]}
for want in ("https://id.gs1.org/01/05412345000129/21/P10", "https://id.gs1.org/00/054123450000000778",
             "https://id.gs1.org/01/05412345000136/21/M1"):
    assert want in ids, (want, ids)
to = sorted(x["destinations"][0]["id"] for x in r["shipments"])
assert to == ["urn:epc:id:sgln:5412345.00005.0", "urn:epc:id:sgln:5412345.00006.0"], to
case = [x for x in r["shipments"] if x["destinations"][0]["id"].endswith("00005.0")][0]
assert case["fromLot"]["instances"] == 1 and case["fromLot"]["containers"] == 1, case["fromLot"]
EOF
ok
expect 0 --home "$H" recall urn:epc:class:lgtin:5412345.000012.CUT-3
contains "$T/out" "1 item in 1 container"

# -- item 5: no cap on the GTINs of an event whose ILMD gives the lot
python3 - "$T/big.jsonld" <<'EOF'
import json, sys
outs = ["urn:epc:id:sgtin:5412345.1%05d.1" % k for k in range(1, 301)]
ev = [{"type": "TransformationEvent", "bizStep": "commissioning",
       "eventTime": "2026-01-06T08:00:00Z", "eventTimeZoneOffset": "+00:00",
       "inputEPCList": ["urn:epc:id:sgtin:5412345.000012.P5"],
       "outputEPCList": outs, "ilmd": {"cbvmda:lotNumber": "BIG-300"}}]
json.dump(ev, open(sys.argv[1], "w"))
EOF
expect 0 --home "$H" record "$T/big.jsonld"
expect 0 --home "$H" --json recall urn:epc:class:lgtin:5412345.100300.BIG-300
python3 - "$T/out" <<'EOF' || fail "recall of the 300th GTIN's lot"
import json, sys
r = json.load(open(sys.argv[1]))
ids = {p["id"] for p in r["products"]}
assert any(i.endswith("/21/1") and "/01/" in i for i in ids if i != r["lot"]), ids
EOF
ok
expect 0 --home "$H" --json recall urn:epc:class:lgtin:5412345.100017.BIG-300
grep -q '"id": "https://id.gs1.org/01/154123450001' "$T/out" || fail "the 17th GTIN's lot"
ok

# -- item 4: what came from the lot; a receipt is its shipment's
python3 - "$T/recall.json" <<'EOF' || fail "recall --json: shipments and receipts"
import json, sys
r = json.load(open(sys.argv[1]))
s = r["shipments"]
# the shipping of 15 packs (5 of the lot) with its receipt, and P9's shipping
assert r["shipmentCount"] == 2, r["shipmentCount"]
assert len(s) == 2, [x["bizStep"] for x in s]
first = [x for x in s if x["eventTimeUTC"].startswith("2026-01-05T09:00")][0]
assert first["fromLot"]["instances"] == 5, first["fromLot"]
assert first["quantity"]["instances"] == 15, first["quantity"]
assert len(first["receipts"]) == 1, first
assert first["receipts"][0]["bizStep"] == "receiving"
assert first["receipts"][0]["fromLot"]["instances"] == 5
p9 = [x for x in s if x["eventTimeUTC"].startswith("2026-01-05T09:30")][0]
assert p9["receipts"] == [] and p9["fromLot"]["instances"] == 1
EOF
ok
expect 0 --home "$H" recall "$LOT"
contains "$T/out" "2 shipments"
grep "2026-01-05T09:00" "$T/out" | grep -q "5 items of 15" || fail "the table row says 5 items of 15"
ok
grep "2026-01-05T09:00" "$T/out" | grep -q "received 2026-01-05T11:00" ||
    fail "the shipping row shows its receipt"
ok
grep "2026-01-05T09:30" "$T/out" | grep -q "not received" || fail "P9's shipping: no receipt"
ok
if grep -q "^  2026-01-05T11:00.*receiving" "$T/out"; then fail "the receipt is a row of its own"; fi
ok
expect 0 --home "$H" recall "$LOT" --csv
python3 - "$T/out" <<'EOF' || fail "recall --csv"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 2, rows
first = [x for x in rows if x["eventTime"].startswith("2026-01-05T09:00")][0]
assert first["quantity"] == "5 items", first
assert first["eventQuantity"] == "15 items", first
assert first["receivedTime"].startswith("2026-01-05T11:00"), first
assert first["receivedAt"] == "urn:epc:id:sgln:5412345.00003.0", first
EOF
ok

# -- item 2: temperatures in one unit
expect 0 --home "$H" --json recall "$LOT" --max-temp 4
cp "$T/out" "$T/t4.json"
python3 - "$T/t4.json" <<'EOF' || fail "recall --max-temp 4 --json"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["maxTemp"] == 4
exc = sorted((x["uom"], x["value"], round(x["celsius"], 2)) for x in r["excursions"])
# 39 FAH = 3.9 C, 276 KEL = 2.85 C, maxValue 39 FAH: not above 4
assert exc == [("FAH", 41, 5.0), ("KEL", 280, 6.85)], exc
nc = sorted(str(x.get("uom")) for x in r["notCompared"])
assert nc == ["DD", "None"], nc
EOF
ok
for m in 39.2FAH 277.15KEL 4CEL; do
    expect 0 --home "$H" --json recall "$LOT" --max-temp "$m"
    python3 - "$T/out" <<'EOF' || fail "--max-temp $m"
import json, sys
r = json.load(open(sys.argv[1]))
assert abs(r["maxTemp"] - 4) < 1e-9, r["maxTemp"]
assert len(r["excursions"]) == 2, r["excursions"]
EOF
    ok
done
expect 0 --home "$H" recall "$LOT" --max-temp 4
contains "$T/out" "temperature above 4 °C"
contains "$T/out" "41 FAH (5 °C)"
contains "$T/out" "280 KEL (6.85 °C)"
contains "$T/out" "not compared (unit DD)"
contains "$T/out" "not compared (no unit)"
if grep -q "39 FAH\|276 KEL" "$T/out"; then fail "39 FAH or 276 KEL listed above 4 °C"; fi
ok
expect 0 --home "$H" recall "$LOT" --max-temp 4 --csv
expect 2 --home "$H" recall "$LOT" --max-temp 4XYZ
contains "$T/err" "4XYZ"
expect 2 --home "$H" recall "$LOT" --max-temp FAH
done_checks
