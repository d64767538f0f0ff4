#!/usr/bin/env bash
# recall's "N items of M" (cli_trace.c, issue 13 c): M counts the trade item
# instances the shipment moved -- read from each identifier's canonical key
# (gs1_key_gtin: an SGTIN or a TPX), not by looking for "/21/" in its text.
# A crate named by a plain URL with /21/ in its path is no trade item; TPX
# items (UPUI, urn:epc:id:upui / .../235/...) are.
set -eu
. "$(dirname "$0")/lib.bash"
H=$T/home
LOT=urn:epc:class:lgtin:5412345.000012.CUT-1
expect 0 --home "$H" init --name Verwerker --gln 5412345000006

cat >"$T/chain.jsonld" <<'EOF'
[{"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
  "eventTime": "2026-01-05T08:00:00Z", "eventTimeZoneOffset": "+00:00",
  "epcList": ["urn:epc:id:sgtin:5412345.000012.P1", "https://example.com/01/05412345000129/21/P2",
              "urn:epc:tag:sgtin-96:1.5412345.000012.3"],
  "ilmd": {"cbvmda:lotNumber": "CUT-1"}},
 {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
  "eventTime": "2026-01-05T09:00:00Z", "eventTimeZoneOffset": "+00:00",
  "epcList": ["urn:epc:id:sgtin:5412345.000012.P1", "urn:epc:id:sgtin:5412345.000012.P2",
              "urn:epc:id:sgtin:5412345.000012.3", "https://example.com/crates/21/9"],
  "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5412345.00003.0"}]},
 {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
  "eventTime": "2026-01-05T10:00:00Z", "eventTimeZoneOffset": "+00:00",
  "epcList": ["urn:epc:id:sgtin:5412345.000012.P1", "urn:epc:id:upui:5412345.000013.TPX1",
              "https://id.gs1.org/01/05412345000136/235/TPX2"],
  "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5412345.00004.0"}]}]
EOF
expect 0 --home "$H" record "$T/chain.jsonld"
expect 0 --home "$H" recall "$LOT"
nonempty "$T/out" "recall's table"
row() { grep -m1 "^  $1" "$T/out" || fail "no row for $1"; }
# the crate's URL holds "/21/" but is no trade item: 3 items, not "3 of 4"
row "2026-01-05T09:00" | grep -q "3 items" || fail "the 09:00 row says 3 items"
ok
if row "2026-01-05T09:00" | grep -q "3 items of"; then fail "the crate counted as an item: $(row 2026-01-05T09:00)"; fi
ok
# two TPX items of another GTIN came along with P1: 1 item of 3
row "2026-01-05T10:00" | grep -q "1 item of 3" || fail "the 10:00 row says 1 item of 3: $(row 2026-01-05T10:00)"
ok
done_checks
