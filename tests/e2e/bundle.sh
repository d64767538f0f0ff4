#!/usr/bin/env bash
# Provenance bundles through the real binary. One home first: a product's
# events (one of them private) go into a bundle that `keten bundle verify`
# accepts with no home at all, showing the private step sealed; a changed
# byte in the payload, a changed signature byte, a truncated file and a
# file that is no bundle all fail with exit 1 and name what fails. Then two
# partners (farm -> processor) replicate with real nodes; the processor's
# bundle holds both feeds, names both partners with their keys, and with
# --only-own discloses only its own events. Bundles are version 2: a feed
# whose signed checkpoint the home holds (its own; the farm's once it has
# arrived after the entries) carries its steps only, each with an inclusion
# proof (the proof form, "tree"); tests/e2e/bundle_python.sh tampers with
# both forms.
# A 2-step item among 5,000 other events makes a bundle under 8 KB.
set -eu
. "$(dirname "$0")/nodelib.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)
EPC=urn:epc:id:sgtin:5412345.000001.1001
A=$T/a
mkhome "$A" Boerderij
expect 0 --home "$A" record --type ObjectEvent --action ADD --biz-step commissioning \
    --epc "$EPC" --event-time 2025-11-30T08:00:00Z
expect 0 --home "$A" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc urn:epc:id:sgtin:5412345.000001.2002 --event-time 2025-11-30T08:10:00Z
expect 0 --home "$A" record --private --type ObjectEvent --action OBSERVE --biz-step inspecting \
    --epc "$EPC" --event-time 2025-11-30T08:20:00Z
expect 0 --home "$A" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc "$EPC" --event-time 2025-11-30T08:30:00Z
expect 0 --home "$A" bundle create "$EPC" --out "$T/one.keten"
contains "$T/out" "3 steps (2 disclosed, 1 sealed)"
expect 2 --home "$A" bundle create "$EPC"                       # no --out
expect 1 --home "$A" bundle create urn:epc:id:sgtin:5412345.000001.9999 --out "$T/none.keten"

# verify needs no home
unset KETEN_HOME
expect 0 bundle verify "$T/one.keten"
contains "$T/out" "VERIFIED"
contains "$T/out" "commissioning"
contains "$T/out" "sealed: payload withheld"
contains "$T/out" "signed by Boerderij"
expect 0 bundle verify "$T/one.keten" --json
python3 - "$T/out" "$(id_of "$A")" <<'PY' || fail "bundle verify --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verified"] is True and d["subject"] == "urn:epc:id:sgtin:5412345.000001.1001", d
assert d["creator"] == {"feed": sys.argv[2], "name": "Boerderij"}, d["creator"]
steps = d["steps"]
assert [s["seq"] for s in steps] == [1, 3, 4], steps
assert [s["sealed"] for s in steps] == [False, True, False], steps
assert steps[0]["bizStep"] == "commissioning" and steps[2]["bizStep"] == "shipping"
# version 2: the own feed in the proof form, the steps only (seq 2, another
# product, is not in it), under the checkpoint of the whole log
assert d["bundle"] == 2, d["bundle"]
f = d["feeds"][0]
assert (f["proof"], f["from"], f["to"], f["entries"], f["sealed"], f["treeSize"]) == ("tree", 1, 4, 3, 1, 4), f
assert f["checkpoint"].startswith("keten/%s\n4\n" % sys.argv[2]), f
PY
ok

# tampering: flip one byte at a place found by its content
flip() { # IN OUT OFFSET-EXPR (python, over bytes b)
    python3 - "$1" "$2" "$3" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = eval(sys.argv[3])
b[i] ^= 0x01
open(sys.argv[2], "wb").write(b)
PY
}
flip "$T/one.keten" "$T/pay.keten" 'b.index(b"commissioning")'
expect 1 bundle verify "$T/pay.keten"
contains "$T/err" "seq 1: payload does not match its hash"
# the signature of the first entry: the 64-byte string (0x58 0x40) right
# after its 118-byte header (0x58 0x76); searching for 0x58 0x40 from the
# header's start could land inside the header's random hashes
flip "$T/one.keten" "$T/sig.keten" '(lambda h: h + 120 + 5 if b[h + 120:h + 122] == b"\x58\x40" else None)(b.index(b"\x58\x76\x88\x01"))'
expect 1 bundle verify "$T/sig.keten"
contains "$T/err" "signature does not verify"
head -c 500 "$T/one.keten" >"$T/short.keten"
expect 1 bundle verify "$T/short.keten"
contains "$T/err" "bundle is damaged"
echo '{"not": "a bundle"}' >"$T/json.keten"
expect 1 bundle verify "$T/json.keten"
contains "$T/err" "not a keten bundle"
expect 3 bundle verify "$T/missing.keten"                    # cli_read_file: bad input

# -- two partners with real nodes
F=$T/farm P=$T/proc
partners "$P" Verwerker "$F" Boerderij
F_ID=$(id_of "$F") P_ID=$(id_of "$P") FPORT=$LISTEN_PORT
expect 0 --home "$F" record --type ObjectEvent --action ADD --biz-step commissioning \
    --epc "$EPC" --event-time 2025-11-30T08:00:00Z
expect 0 --home "$F" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc urn:epc:id:sgtin:5412345.000001.3003 --event-time 2025-11-30T08:05:00Z
expect 0 --home "$F" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc "$EPC" --event-time 2025-11-30T09:00:00Z
expect 0 --home "$P" record --type ObjectEvent --action OBSERVE --biz-step receiving \
    --epc "$EPC" --event-time 2025-11-30T11:00:00Z
expect 0 --home "$P" record --type ObjectEvent --action OBSERVE --biz-step packing \
    --epc "$EPC" --event-time 2025-11-30T12:00:00Z
start_node "$F" "$FPORT"
start_node "$P"
WHY="farm and processor converge" wait_until 20 same_heads "$F" "$P"
# the farm's signed checkpoint follows its entries (CHECKPOINT message): with
# it the farm's feed takes the proof form in the processor's bundles
farm_ckpt() { [ "$("$KETEN" --home "$P" checkpoint "$F_ID" | sed -n 2p)" = 3 ]; }
WHY="the farm's checkpoint reaches the processor" wait_until 20 farm_ckpt
expect 0 --home "$P" bundle create "$EPC" --out "$T/two.keten" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["partners"]==2 and d["steps"]==4 and d["sealed"]==0 and d["entries"]==4, d' "$T/out" ||
    fail "bundle create --json: $(cat "$T/out")"; ok
expect 0 --home "$P" bundle create "$EPC" --out "$T/own.keten" --only-own
contains "$T/out" "4 steps (2 disclosed, 2 sealed)"
unset KETEN_HOME
for b in two own; do
    expect 0 bundle verify "$T/$b.keten" --json
    python3 - "$T/out" "$F_ID" "$P_ID" "$b" <<'PY' || fail "two-partner bundle $b"
import json, sys
d = json.load(open(sys.argv[1]))
farm, proc, kind = sys.argv[2], sys.argv[3], sys.argv[4]
names = {p["feed"]: p["name"] for p in d["partners"]}
assert names == {farm: "Boerderij", proc: "Verwerker"}, names
assert d["creator"]["feed"] == proc
steps = d["steps"]
got = [(s["feed"], s["seq"]) for s in steps]
want = [(farm, 1), (farm, 3), (proc, 1), (proc, 2)]
# a feed whose steps are all sealed is placed by record time (no event time)
assert (got if kind == "two" else sorted(got)) == (want if kind == "two" else sorted(want)), steps
for s in steps:
    assert s["sealed"] == (kind == "own" and s["feed"] == farm), s
if kind == "two":
    assert [s["bizStep"] for s in steps] == ["commissioning", "shipping", "receiving", "packing"]
farmfeed = next(f for f in d["feeds"] if f["feed"] == farm)
# the farm's checkpoint came with its entries (protocol 2): its feed is
# proven by inclusion proofs too, the steps only
assert farmfeed["proof"] == "tree" and farmfeed["treeSize"] == 3, farmfeed
assert farmfeed["entries"] == 2 and farmfeed["from"] == 1 and farmfeed["to"] == 3, farmfeed
PY
    ok
done
expect 0 bundle verify "$T/two.keten"
contains "$T/out" "signed by Boerderij"
contains "$T/out" "signed by Verwerker"
contains "$T/out" "proven in its signed log of 3 entries"

# issue 14: a bundle does not grow with the partner's log. 5,000 unrelated
# events between an item's two steps; version 1 carried each of them
# sealed (about 190 bytes apiece: ~950 KB); version 2 carries the 2 steps
# and 2 x 13 proof hashes
L=$T/laundry
expect 0 --home "$L" init --name Wasserij
expect 0 --home "$L" record --type ObjectEvent --action ADD --biz-step commissioning \
    --epc urn:epc:id:sgtin:4012345.011111.7001 --event-time 2026-03-01T08:00:00Z
python3 "$root/tests/tools/gen_events.py" "$T/many.jsonld" 5000
expect 0 --home "$L" record --quiet "$T/many.jsonld"
expect 0 --home "$L" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc urn:epc:id:sgtin:4012345.011111.7001 --event-time 2026-03-02T08:00:00Z
expect 0 --home "$L" bundle create urn:epc:id:sgtin:4012345.011111.7001 --out "$T/wide.keten" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["steps"]==2 and d["entries"]==2 and d["bytes"] < 8000, d' "$T/out" ||
    fail "a 2-step bundle among 5,000 events: $(cat "$T/out")"; ok
expect 0 bundle verify "$T/wide.keten"
contains "$T/out" "seq 1..5002: 2 steps, 2 disclosed, 0 sealed, proven in its signed log of 5002 entries"
done_checks
