#!/usr/bin/env bash
# The keten CLI as a user meets it: init, id, record (file, stdin, options),
# log, show, verify, export, KETEN_HOME, a sealed key, duplicates, help, and
# exit codes; bad input gets exit 3, a message naming the event and field,
# and leaves the store exactly as it was.
set -eu
. "$(dirname "$0")/lib.bash"
H="$T/home"
CH="$KETEN_SHARED/conformance"
DOC="$(dirname "$0")/../../demo/meat-chain.jsonld"

# -- init and id
expect 0 --home "$H" init --name "Vleesverwerker Test" --gln 5412345000006
contains "$T/out" "id "
expect 4 --home "$H" init --name "Again"            # never overwrites a home
contains "$T/err" "already exists"
expect 0 --home "$H" id
grep -qxE '[0-9a-f]{64}' "$T/out" || fail "id is not 64 lowercase hex: $(cat "$T/out")"; ok
ID=$(cat "$T/out")
expect 0 --home "$H" id --json
contains "$T/out" "\"name\":\"Vleesverwerker Test\""
expect 2 --home "$T/x" init                          # no name
expect 4 --home "$T/nohome" log                      # no home
contains "$T/err" "init --name"
expect 2 --home "$H" frobnicate
expect 3 --home "$H" init --gln 5412345000007 --name X    # bad check digit (home exists anyway)

# -- record a document, then log/show/verify
expect 0 --home "$H" record "$DOC"
contains "$T/out" "recorded ${ID:0:8}:1 ni:///sha-256;"
[ "$(wc -l < "$T/out")" = 5 ] || fail "expected 5 recorded lines"; ok
KETEN_HOME="$H" expect 0 log --json
[ "$(wc -l < "$T/out")" = 5 ] || fail "log --json should print 5 lines"; ok
for k in '"feed":' '"seq":' '"eventID":' '"eventHash":' '"type":"TransformationEvent"' '"eventTime":' '"bizStep":"packing"'; do
    contains "$T/out" "$k"
done
EID=$(sed -n 2p "$T/out" | sed 's/.*"eventID":"\([^"]*\)".*/\1/')
expect 0 --home "$H" show "$EID" --json
for k in '"eventHash":' '"entry":' '"signature":' '"hash":' '"inputQuantityList"' '"meat:cuttingPlantApproval":"BE 5678"'; do
    contains "$T/out" "$k"
done
expect 0 --home "$H" show "${ID:0:8}:2"
contains "$T/out" "TransformationEvent"
expect 1 --home "$H" show "ni:///sha-256;0000000000000000000000000000000000000000000000000000000000000000?ver=CBV2.0"
contains "$T/err" "no event"
expect 1 --home "$H" show "${ID}:99"
expect 0 --home "$H" verify
contains "$T/out" "ok: 5 entries"

# -- record from options and from stdin
expect 0 --home "$H" record --type ObjectEvent --action ADD --epc urn:epc:id:sgtin:5412345.000001.1001 \
    --biz-step commissioning --disposition active --read-point urn:epc:id:sgln:5412345.00000.0
contains "$T/out" ":6 "
expect 3 --home "$H" record --type ObjectEvent --epc urn:epc:id:sgtin:5412345.000001 --biz-step shipping
contains "$T/err" "epcList"
echo '{"type":"ObjectEvent","action":"OBSERVE","eventTime":"2025-12-01T10:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["https://id.gs1.org/01/05412345000013/21/1001"]}' > "$T/one.json"
"$KETEN" --home "$H" record - < "$T/one.json" > "$T/out" 2>"$T/err" || fail "record - failed: $(cat "$T/err")"; ok
contains "$T/out" ":7 "

# -- duplicates: refused as a whole, or skipped
expect 3 --home "$H" record "$DOC"
contains "$T/err" "already recorded"
expect 0 --home "$H" record --skip-duplicates "$DOC" "$T/one.json"
contains "$T/out" "skipped"
expect 0 --home "$H" log --json
[ "$(wc -l < "$T/out")" = 7 ] || fail "duplicates were stored"; ok
# the same new event twice in one document: refused as a whole
E2='{"type":"ObjectEvent","action":"OBSERVE","eventTime":"2025-12-02T10:00:00Z","eventTimeZoneOffset":"+00:00","epcList":[]}'
printf '[%s,%s]' "$E2" "$E2" > "$T/twice.json"
expect 3 --home "$H" record "$T/twice.json"
contains "$T/err" "event 1: eventID"

# -- bad input: exit 3, a precise message, nothing stored
before=$(nlines "$H")
[ "$before" -gt 0 ] || fail "the store should hold events before the bad input"; ok
bad() { # name expected-text json
    printf '%s' "$3" > "$T/bad-$1.json"
    expect 3 --home "$H" record "$T/bad-$1.json"
    contains "$T/err" "$2"
}
E='"eventTime":"2025-12-01T10:00:00Z","eventTimeZoneOffset":"+00:00"'
bad json "line" '{"type":"ObjectEvent",'
bad type "event 0" "{\"type\":\"ThingEvent\",\"action\":\"ADD\",$E}"
bad time "eventTime" '{"type":"ObjectEvent","action":"ADD","eventTimeZoneOffset":"+00:00","epcList":[]}'
bad action "action" "{\"type\":\"ObjectEvent\",$E,\"epcList\":[]}"
bad urn "epcList[1]" "{\"type\":\"ObjectEvent\",\"action\":\"ADD\",$E,\"epcList\":[\"urn:epc:id:sgtin:5412345.000001.1\",\"urn:epc:id:sgtin:54123.45\"]}"
bad dl "check digit" "{\"type\":\"ObjectEvent\",\"action\":\"ADD\",$E,\"epcList\":[\"https://id.gs1.org/01/05412345000014/21/1\"]}"
bad qty "quantity" "{\"type\":\"ObjectEvent\",\"action\":\"ADD\",$E,\"quantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:5412345.000001.L1\",\"quantity\":\"12\"}]}"
printf '{"type":"ObjectEvent","action":"ADD",%s,"epcList":[],"x:note":"caf\xe9"}' "$E" > "$T/bad-utf8.json"
expect 3 --home "$H" record "$T/bad-utf8.json"
contains "$T/err" "UTF-8"
python3 - "$T/bad-big.json" <<'PY'
import json, sys
ev = {"type": "ObjectEvent", "action": "ADD", "eventTime": "2025-12-01T10:00:00Z",
      "eventTimeZoneOffset": "+00:00", "epcList": [], "ilmd": {"x:blob": "a" * (1100 * 1024)}}
json.dump(ev, open(sys.argv[1], "w"))
PY
expect 3 --home "$H" record "$T/bad-big.json"
contains "$T/err" "1 MiB"
python3 - "$T/bad-100k.json" <<'PY'
import json, sys
evs = []
for i in range(100000):
    evs.append({"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
                "eventTime": "2025-12-01T10:%02d:%02d.%03dZ" % (i // 60000 % 60, i // 1000 % 60, i % 1000),
                "eventTimeZoneOffset": "+00:00",
                "epcList": ["urn:epc:id:sgtin:5412345.000001.%d" % i]})
evs[50000]["epcList"][0] = "urn:epc:id:sgtin:5412345.000001"
json.dump({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
           "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-12-01T10:00:00Z",
           "epcisBody": {"eventList": evs}}, open(sys.argv[1], "w"))
PY
expect 3 --home "$H" record "$T/bad-100k.json"
contains "$T/err" "event 50000"
after=$(nlines "$H")
[ "$before" = "$after" ] || fail "bad input changed the store: $before -> $after entries"; ok
expect 0 --home "$H" verify

# -- export round trip into a second home: the same event hashes
expect 0 --home "$H" export --out "$T/export.jsonld"
expect 0 --home "$T/h2" init --name Copy
expect 0 --home "$T/h2" record "$T/export.jsonld"
"$KETEN" --home "$H" log --json | sed 's/.*"eventHash":"\([^"]*\)".*/\1/' | sort > "$T/a"
"$KETEN" --home "$T/h2" log --json | sed 's/.*"eventHash":"\([^"]*\)".*/\1/' | sort > "$T/b"
nonempty "$T/a" "the event hashes of log --json"
cmp -s "$T/a" "$T/b" || { diff "$T/a" "$T/b" | head; fail "export/import changed event hashes"; }; ok

# -- a sealed key
printf 'correct horse battery staple\n' > "$T/pass"
printf 'wrong\n' > "$T/wrong"
expect 0 --home "$T/sealed" init --name Sealed --passphrase-file "$T/pass"
grep -q "correct horse" "$T/sealed/key" && fail "passphrase or key in the clear"; ok
[ "$(stat -c %a "$T/sealed/key")" = 600 ] || fail "key file mode is not 0600"; ok
expect 4 --home "$T/sealed" record "$DOC"
contains "$T/err" "--passphrase-file"
expect 4 --home "$T/sealed" --passphrase-file "$T/wrong" record "$DOC"
contains "$T/err" "wrong passphrase"
KETEN_PASSPHRASE_FILE="$T/pass" expect 0 --home "$T/sealed" record "$DOC"
expect 0 --home "$T/sealed" log                      # reading needs no passphrase

# -- an empty document records nothing and leaves no empty feed behind
expect 0 --home "$T/empty" init --name Empty
echo '[]' > "$T/empty.json"
expect 0 --home "$T/empty" record "$T/empty.json"
expect 0 --home "$T/empty" verify
contains "$T/out" "0 entries in 0 feeds"

# -- help for every command, with an example
for c in init id record log show verify export; do
    expect 0 help "$c"
    contains "$T/out" "usage: keten"
done
expect 0 record --help
contains "$T/out" "Example"
done_checks
