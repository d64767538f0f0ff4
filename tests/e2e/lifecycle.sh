#!/usr/bin/env bash
# lifecycle through the real binary on a workwear chain as a user records it
# (tests/e2e/lifecycle_chain.py): a maker commissions 20 garments (rated for
# 30 washes) and ships them in 4 SSCC cartons to a laundry; the laundry
# unpacks, issues them to two customers and records every wash cycle as its
# RFID tunnels do (soiled-in receiving, clean-out shipping), sends one to a
# repairer and two worn-out ones to a recycler, which recycles one and
# collects the other. Three homes, merged by real nodes on 127.0.0.1.
# Checks wash counts, statuses, washEvents' locations (table and --json),
# the due lists, lifecycle of a non-garment, and that bad garment ILMD and
# negative quantities are refused (exit 3, nothing stored).
set -eu
. "$(dirname "$0")/nodelib.bash"
M=$T/maker L=$T/laundry Y=$T/recycler
mkhome "$L" Wasserij
"$KETEN" --home "$L" network >"$T/net"
NET=$(cat "$T/net")
mkhome "$M" Werkkledij "$NET"
mkhome "$Y" Recycler "$NET"
MPORT=$(free_port) YPORT=$(free_port)
expect 0 --home "$L" peer add "$(id_of "$M")" "127.0.0.1:$MPORT" --name Werkkledij
expect 0 --home "$L" peer add "$(id_of "$Y")" "127.0.0.1:$YPORT" --name Recycler
expect 0 --home "$M" peer add "$(id_of "$L")" --name Wasserij
expect 0 --home "$Y" peer add "$(id_of "$L")" --name Wasserij
python3 "$(dirname "$0")/lifecycle_chain.py" "$T" || fail "generator"
expect 0 --home "$M" record "$T/maker.jsonld"
expect 0 --home "$L" record "$T/laundry.jsonld"
expect 0 --home "$Y" record "$T/recycler.jsonld"
start_node "$M" "$MPORT"
start_node "$Y" "$YPORT"
start_node "$L"
WHY="maker, laundry and recycler converge" wait_until 60 same_heads "$L" "$M"
WHY="laundry has the recycler's feed" wait_until 60 same_heads "$L" "$Y"
kill -TERM "${NODE_PIDS[@]}" 2>/dev/null || true
wait 2>/dev/null || true

LAUNDRY=urn:epc:id:sgln:5412345.00006.0
C1=urn:epc:id:sgln:5412345.00007.0
G=urn:epc:id:sgtin:5412345.000020.G

# every garment, --json: washes as the generator made them, each washEvent
# at the laundry (not at the customer it went back to)
for i in $(seq -w 1 20); do
    expect 0 --home "$L" --json lifecycle "$G$i"
    python3 - "$T/out" "$T/expect.json" "$G$i" "$LAUNDRY" <<'EOF' || fail "lifecycle --json $G$i"
import json, sys
r, x, g, laundry = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4]
assert r["washes"] == x["washes"][g], (g, r["washes"], x["washes"][g])
assert len(r["washEvents"]) == r["washes"], r["washEvents"]
for w in r["washEvents"]:
    assert w["location"] == laundry and w["laundry"] == laundry, w
assert r["maxWashCycles"] == 30, r
EOF
    ok
done

st() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["status"], r.get("overMaximum"), r["washesLeft"])' "$T/out"; }
check_status() { # GARMENT "status overMaximum washesLeft"
    expect 0 --home "$L" --json lifecycle "$1"
    [ "$(st)" = "$2" ] || fail "$1: status $(st), expected $2"
    ok
}
check_status "${G}01" "at_maximum False 0"
check_status "${G}02" "ok False 4"
check_status "${G}03" "ok False 30"
check_status "${G}04" "retired True 0"
check_status "${G}05" "due False 3"
check_status "${G}06" "over True 0"
check_status "${G}20" "retired False 0"

# washEvents of a customer's garment: received from C1 at the laundry,
# closed by the shipping back to C1
expect 0 --home "$L" --json lifecycle "${G}01"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); w=r["washEvents"][0]; assert w["destination"]==sys.argv[2] and w["bizStep"]=="shipping" and w["receivedUTC"]<w["eventTimeUTC"], w' "$T/out" "$C1" || fail "washEvents of G01"; ok

# the table says the same
expect 0 --home "$L" lifecycle "${G}01"
contains "$T/out" "washes       30 of 30 (at its maximum)"
contains "$T/out" "status       at its rated maximum of wash cycles"
contains "$T/out" "materials    cotton 35%, polyester 65%"
grep -q "within 10%" "$T/out" && fail "30 of 30 is not within 10%"; ok
expect 0 --home "$L" lifecycle "${G}02"
contains "$T/out" "washes       26 of 30 (4 left)"
contains "$T/out" "status       ok"
grep -q WARNING "$T/out" && fail "26 of 30 is not due"; ok
expect 0 --home "$L" lifecycle "${G}03"
contains "$T/out" "washes       0 of 30 (30 left)"
expect 0 --home "$L" lifecycle "${G}04"
contains "$T/out" "washes       32 of 30 (2 past the maximum)"
contains "$T/out" "status       retired, past its rated maximum of wash cycles"
contains "$T/out" "end of life  "
contains "$T/out" "became https://id.gs1.org/01/05412345000990/10/FIBRE1"
grep -q -- "-2 left" "$T/out" && fail "negative washes left"; ok
expect 0 --home "$L" lifecycle "${G}05"
contains "$T/out" "washes       27 of 30 (3 left)"
contains "$T/out" "WARNING: within 10% of its rated maximum"
expect 0 --home "$L" lifecycle "${G}06"
contains "$T/out" "washes       31 of 30 (1 past the maximum)"
contains "$T/out" "WARNING: past its rated maximum"
expect 0 --home "$L" lifecycle "${G}07"
contains "$T/out" "washes       10 of 30 (20 left)"
contains "$T/out" "repairs      1"
expect 0 --home "$L" lifecycle "${G}19"
contains "$T/out" "materials    not recorded"
expect 0 --home "$L" lifecycle "${G}20"
contains "$T/out" "status       retired, at its rated maximum of wash cycles"

# the due lists: garments only, never the cartons they came in
expect 0 --home "$L" --json lifecycle --due --all --location "$LAUNDRY"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); g=sorted(x["garment"][-3:] for x in r["garments"]); assert g==["G05","G06"], g' "$T/out" || fail "due --all at the laundry"; ok
expect 0 --home "$L" lifecycle --due --all --location "$LAUNDRY"
contains "$T/out" "garments last seen at $LAUNDRY: 2"
grep -q sscc "$T/out" && fail "a carton listed as a garment"; ok
expect 0 --home "$L" --json lifecycle --due --location "$C1"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); g=sorted((x["garment"][-3:], x["status"]) for x in r["garments"]); assert g==[("G01","at_maximum")], g' "$T/out" || fail "due at C1"; ok
expect 0 --home "$L" lifecycle --due --location "$C1"
contains "$T/out" "30/30    washes  at_maximum"
expect 0 --home "$L" --json lifecycle --due --location urn:epc:id:sgln:5412345.00008.0
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); g=sorted(x["garment"][-3:] for x in r["garments"]); assert g==[], g' "$T/out" || fail "due at C2"; ok

# --missing: checked out to a customer and not back within N days (as of
# a time given, as the generator's data is of 2024); the expected set is
# the generator's, from the last shipping of each garment
missing() { # LOCATION AS-OF DAYS
    expect 0 --home "$L" --json lifecycle --missing --days "$3" --as-of "$2" --location "$1"
    python3 - "$T/out" "$T/expect.json" "$1" "$2" "$3" "$LAUNDRY" <<'EOF' || fail "--missing at $1 as of $2, $3 days"
import datetime, json, sys
r, x = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
loc, days, laundry = sys.argv[3], int(sys.argv[5]), sys.argv[6]
p = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
asof = p(sys.argv[4])
# the list names garments by their index key (a Digital Link): by serial
want = sorted(g[-3:] for g, t in x["lastOut"].items()
              if asof - p(t) >= datetime.timedelta(days=days)
              and (loc == laundry or x["customer"][g] == loc))
got = sorted(y["garment"][-3:] for y in r["garments"])
assert got == want, (got, want)
assert r["days"] == days and r["asOfUTC"].startswith(sys.argv[4][:16]), r
for y in r["garments"]:
    assert y["checkedOutFrom"] == laundry and y["holder"]["bizStep"] == "shipping", y
    out = [t for g, t in x["lastOut"].items() if g[-3:] == y["garment"][-3:]][0]
    assert y["daysOut"] == (asof - p(out)).days, y
    assert y["status"] != "retired", y
EOF
    ok
}
missing "$C1" 2024-02-17T08:00:00Z 5
missing "$LAUNDRY" 2024-02-17T08:00:00Z 5
missing urn:epc:id:sgln:5412345.00008.0 2024-02-17T08:00:00Z 5
missing "$C1" 2024-06-01T00:00:00Z 30
missing "$C1" 2024-01-10T00:00:00Z 30
expect 0 --home "$L" lifecycle --missing --days 5 --as-of 2024-02-17T08:00:00Z --location "$C1"
contains "$T/out" "and not back within 5 days (as of 2024-02-17T08:00"
contains "$T/out" "out 29 days, to $C1"
expect 0 --home "$L" lifecycle --missing --days 5 --as-of 2024-02-17T08:00:00Z --location "$C1" --csv
head -1 "$T/out" | grep -qx 'garment,washes,maxWashCycles,status,repairs,location,since,bizStep,checkedOutFrom,daysOut' || fail "--missing --csv header: $(head -1 "$T/out")"
grep -q "^https://id.gs1.org/01/05412345000204/21/G09,4,30,ok,0,$C1,2024-01-18T16:09:00.000Z,shipping,$LAUNDRY,29\$" "$T/out" || fail "--missing --csv row of G09: $(cat "$T/out")"
ok
expect 2 --home "$L" lifecycle --missing --location "$C1"
contains "$T/err" "--missing needs --days N"
expect 2 --home "$L" lifecycle --missing --days 0 --location "$C1"
contains "$T/err" "--days 0: expected a whole number"
expect 2 --home "$L" lifecycle --missing --days 5x --location "$C1"
expect 2 --home "$L" lifecycle --missing --days 5 --as-of yesterday --location "$C1"
contains "$T/err" "--as-of yesterday"
expect 2 --home "$L" lifecycle --due --days 5 --location "$C1"
contains "$T/err" "--days goes with --missing"
expect 2 --home "$L" --json lifecycle --due --csv --location "$C1"
contains "$T/err" "--json or --csv, not both"
expect 2 --home "$L" lifecycle "${G}01" --csv

# --due --csv: the billing list, one row per garment, same as --json
expect 0 --home "$L" --json lifecycle --due --all --location "$LAUNDRY"
cp "$T/out" "$T/due.json"
expect 0 --home "$L" lifecycle --due --all --location "$LAUNDRY" --csv
python3 - "$T/out" "$T/due.json" <<'EOF' || fail "--due --csv differs from --json"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
j = json.load(open(sys.argv[2]))["garments"]
assert list(rows[0].keys()) == ["garment", "washes", "maxWashCycles", "status", "repairs", "location", "since", "bizStep"], rows[0]
assert len(rows) == len(j) == 2, (rows, j)
for r, g in zip(rows, j):
    assert r["garment"] == g["garment"] and int(r["washes"]) == g["washes"], (r, g)
    assert int(r["maxWashCycles"]) == g["maxWashCycles"] and r["status"] == g["status"], (r, g)
    assert r["location"] == g["holder"]["location"] and r["since"] == g["holder"]["eventTimeUTC"], (r, g)
    assert r["bizStep"] == "receiving" and int(r["repairs"]) == g["repairs"], (r, g)
EOF
ok

# not garments: a carton, a meat pack
expect 1 --home "$L" lifecycle urn:epc:id:sscc:5412345.0000000001
contains "$T/err" "urn:epc:id:sscc:5412345.0000000001 is not a garment"
expect 1 --home "$L" lifecycle urn:epc:id:sgtin:5412345.000002.PACK1
contains "$T/err" "is not a garment"

# keten's garment ILMD is checked when recorded: exit 3, event and field
# named, nothing stored
bad() { # NAME ILMD-JSON MESSAGE
    python3 - "$T/bad.jsonld" "$2" <<'EOF'
import json, sys
ev = {"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
      "eventTime": "2024-06-01T08:00:00.000Z", "eventTimeZoneOffset": "+00:00",
      "epcList": ["urn:epc:id:sgtin:5412345.000020.BAD1"], "ilmd": json.loads(sys.argv[2])}
ok = dict(ev, epcList=["urn:epc:id:sgtin:5412345.000020.OK1"],
          ilmd={"garment:maxWashCycles": 30})
json.dump({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                        {"garment": "https://keten.dev/ns/garment#", "g2": "https://keten.dev/ns/garment#"}],
           "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-06-01T00:00:00.000Z",
           "epcisBody": {"eventList": [ok, ev]}}, open(sys.argv[1], "w"))
EOF
    expect 3 --home "$L" record "$T/bad.jsonld"
    contains "$T/err" "event 1"
    contains "$T/err" "$3"
    expect 1 --home "$L" lifecycle urn:epc:id:sgtin:5412345.000020.OK1
    contains "$T/err" "no event names"
}
bad string '{"garment:maxWashCycles": "30"}' 'ilmd.garment:maxWashCycles: "30" is a string'
bad fraction '{"garment:maxWashCycles": 30.5}' 'ilmd.garment:maxWashCycles'
bad negative '{"garment:maxWashCycles": -1}' 'ilmd.garment:maxWashCycles'
bad zero '{"garment:maxWashCycles": 0}' 'ilmd.garment:maxWashCycles'
bad prefixed '{"g2:maxWashCycles": "30"}' 'ilmd.g2:maxWashCycles'
bad iri '{"https://keten.dev/ns/garment#maxWashCycles": 0}' 'maxWashCycles'
bad sum '{"garment:maxWashCycles": 30, "garment:fibreComposition": {"cotton": 80, "polyester": 35}}' 'ilmd.garment:fibreComposition: adds up to 115%'
bad text '{"garment:maxWashCycles": 30, "garment:fibreComposition": "80% cotton, 35% polyester"}' 'ilmd.garment:fibreComposition: adds up to 115%'
bad fibre '{"garment:fibreComposition": {"cotton": "100"}}' 'ilmd.garment:fibreComposition.cotton'
bad recycled '{"garment:recycledContent": 120}' 'ilmd.garment:recycledContent'
bad type '{"garment:fibreComposition": 100}' 'ilmd.garment:fibreComposition'

# a quantity below zero, in any quantity list
negq() { # MEMBER-JSON PATH
    python3 - "$T/bad.jsonld" "$1" <<'EOF'
import json, sys
ev = {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
      "eventTime": "2024-06-01T08:00:00.000Z", "eventTimeZoneOffset": "+00:00"}
ev.update(json.loads(sys.argv[2]))
if ev["type"] == "TransformationEvent":
    del ev["action"]
json.dump([ev], open(sys.argv[1], "w"))
EOF
    expect 3 --home "$L" record "$T/bad.jsonld"
    contains "$T/err" "event 0"
    contains "$T/err" "$2"
}
Q='[{"epcClass": "urn:epc:class:lgtin:5412345.000099.FIBRE1", "quantity": -2, "uom": "KGM"}]'
negq "{\"quantityList\": $Q}" "quantityList[0].quantity: -2 is below zero"
negq "{\"type\": \"TransformationEvent\", \"inputQuantityList\": $Q, \"outputEPCList\": [\"urn:epc:id:sgtin:5412345.000020.G01\"]}" "inputQuantityList[0].quantity"
negq "{\"type\": \"TransformationEvent\", \"outputQuantityList\": $Q, \"inputEPCList\": [\"urn:epc:id:sgtin:5412345.000020.G01\"]}" "outputQuantityList[0].quantity"
negq "{\"type\": \"AggregationEvent\", \"action\": \"ADD\", \"parentID\": \"urn:epc:id:sscc:5412345.0000000009\", \"childQuantityList\": $Q}" "childQuantityList[0].quantity"
negq "{\"type\": \"TransactionEvent\", \"action\": \"ADD\", \"bizTransactionList\": [{\"type\": \"po\", \"bizTransaction\": \"urn:epcglobal:cbv:bt:5412345000013:PO1\"}], \"quantityList\": $Q}" "quantityList[0].quantity"
# a correction: the laundry declares G02's third clean-out shipping
# erroneous (errorDeclaration, same eventID). The two stays it separated
# become one (the second soiled-in read is a read twice on the way in), so
# G02 has one wash less: 25, in the lifecycle, its washEvents, the due list
# and its CSV alike.
python3 - "$T/decl.jsonld" <<'EOF'
import json, sys
t = "2024-01-16T08:02:00.000Z"   # day 8, minute 480 + 2: G02's third wash
json.dump([{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
            "eventID": "urn:uuid:00000000-0000-4000-8000-000000000202",
            "eventTime": t, "eventTimeZoneOffset": "+00:00",
            "epcList": ["urn:epc:id:sgtin:5412345.000020.G02"],
            "bizLocation": {"id": "urn:epc:id:sgln:5412345.00006.0"},
            "readPoint": {"id": "urn:epc:id:sgln:5412345.00006.0"},
            "sourceList": [{"type": "location", "source": "urn:epc:id:sgln:5412345.00006.0"}],
            "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5412345.00008.0"}],
            "errorDeclaration": {"declarationTime": "2024-03-01T00:00:00.000Z", "reason": "incorrect_data"}}],
          open(sys.argv[1], "w"))
EOF
expect 0 --home "$L" record "$T/decl.jsonld"
expect 0 --home "$L" --json lifecycle "${G}02"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["washes"]==25 and len(r["washEvents"])==25 and r["washesLeft"]==5, (r["washes"], len(r["washEvents"]))' "$T/out" || fail "G02 after the correction"; ok
expect 0 --home "$L" lifecycle --due --all --location urn:epc:id:sgln:5412345.00008.0 --csv
grep -q "G02,25,30,ok," "$T/out" || fail "G02 in --due --csv after the correction: $(cat "$T/out")"; ok
done_checks
