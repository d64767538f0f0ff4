#!/usr/bin/env bash
# keten's JSON-LD output checked by someone else's code: ajv (ajv-cli with
# ajv-formats, npm, pinned in tests/ajv/) validates against GS1's EPCIS 2.0
# JSON Schema (conformance/epcis-schema/EPCIS-JSON-Schema.json)
#   - `keten export` of a ledger holding every GS1 example and every
#     third-party document of ../shared/interop that keten records, JSON-LD
#     and XML (1.0, 1.2, 2.0) alike;
#   - `keten convert` of every XML document keten reads;
#   - the REST interface's answers (GET /events, an EPCISQueryDocument,
#     and GET /events/{eventID} for each of its events);
# and, the other way round, every JSON document ajv finds valid is recorded
# by keten, except the one listed below with keten's reason.
# XML uses EPCIS 1.x URNs for CBV values ("urn:epcglobal:cbv:bizstep:shipping")
# where the JSON binding has the bare word ("shipping"); the schema refuses
# the URN in JSON. Needs node and npm; SKIPs with a message only when the
# npm registry cannot be reached.
set -eu
. "$(dirname "$0")/nodelib.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCHEMA=$KETEN_SHARED/conformance/epcis-schema/EPCIS-JSON-Schema.json
command -v node >/dev/null || fail "no node (apt-get install nodejs)"
command -v npm >/dev/null || fail "no npm (apt-get install npm)"

mkdir -p "$T/npm"
cp "$ROOT/tests/ajv/package.json" "$ROOT/tests/ajv/package-lock.json" "$T/npm/"
if ! (cd "$T/npm" && timeout 60 npm ping >"$T/ping.log" 2>&1); then
    echo "SKIP: ajv_schema.sh: the npm registry cannot be reached ($(tail -1 "$T/ping.log"))"
    exit 0
fi
(cd "$T/npm" && timeout 300 npm ci --silent --no-audit --no-fund >"$T/npm.log" 2>&1) ||
    { tail -20 "$T/npm.log"; fail "npm ci of ajv-cli (tests/ajv)"; }
AJV=$T/npm/node_modules/.bin/ajv
[ "$(node -p 'require(process.argv[1]).version' "$T/npm/node_modules/ajv-cli/package.json")" = 5.0.0 ] ||
    fail "not the pinned ajv-cli"; ok

# valid FILE: ajv's verdict (ajv-cli reads a file by its extension: .json)
valid() {
    cp "$1" "$T/doc.json"
    "$AJV" validate --spec=draft7 -c ajv-formats --strict=false --all-errors --errors=line \
        -s "$SCHEMA" -d "$T/doc.json" >"$T/ajv.out" 2>&1
}
must_be_valid() { # FILE WHAT
    valid "$1" || { head -c 3000 "$T/ajv.out"; echo; fail "ajv: $2 is not valid EPCIS 2.0 JSON"; }
    ok
}

# documents: GS1's examples, then the other projects' (not the master-data,
# capture-job, linkset and resolver files, which are no event documents)
find "$KETEN_SHARED/conformance/epcis-examples" "$KETEN_SHARED/interop" \
    \( -name '*.json' -o -name '*.jsonld' -o -name '*.xml' \) |
    grep -v -E '/(gs1-linkset|gs1-resolver[^/]*|CaptureJob)/|masterdata|context\.jsonld$' |
    sort >"$T/docs"
[ "$(wc -l <"$T/docs")" -ge 150 ] || fail "found only $(wc -l <"$T/docs") documents"; ok

H=$T/h
mkhome "$H" Exporter
n=0
while IFS= read -r f; do
    if "$KETEN" --home "$H" record --skip-duplicates --quiet "$f" >/dev/null 2>"$T/rec.err"; then
        n=$((n + 1))
        echo "$f" >>"$T/recorded"
        case $f in
        *.xml)
            "$KETEN" convert "$f" --out "$T/conv.json" 2>"$T/conv.err" ||
                { cat "$T/conv.err"; fail "convert of $f (record took it)"; }
            must_be_valid "$T/conv.json" "keten convert ${f#"$KETEN_SHARED"/}"
            ;;
        esac
    fi
done <"$T/docs"
[ "$n" -ge 90 ] || fail "keten recorded only $n of the documents"; ok
expect 0 --home "$H" export --out "$T/export.json"
NEV=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["epcisBody"]["eventList"]))' "$T/export.json")
[ "$NEV" -ge 100 ] || fail "the export holds only $NEV events"; ok
echo "recorded $n documents, $NEV events"
must_be_valid "$T/export.json" "keten export of every recorded document"

# the other way round: a JSON document the schema accepts is recorded
while IFS= read -r f; do
    case $f in *.json | *.jsonld) ;; *) continue ;; esac
    valid "$f" || continue
    rm -rf "$T/one"
    mkhome "$T/one" One >/dev/null
    if ! "$KETEN" --home "$T/one" record --quiet "$f" >/dev/null 2>"$T/one.err"; then
        case ${f#"$KETEN_SHARED"/} in
        # "cbv:my_own_party" is a URI to the schema; to keten a term it
        # claims in GS1's CBV namespace, which CBV 2.0 does not have
        interop/openepcis-test-resources/2.0/JSON/CurieString_document.json)
            contains "$T/one.err" 'no such term in the CBV namespace'
            continue
            ;;
        esac
        cat "$T/one.err"
        fail "keten refuses ${f#"$KETEN_SHARED"/}, which GS1's JSON Schema accepts"
    fi
    ok
done <"$T/docs"

# the REST interface: the shipping events (most from XML documents) as answered
HPORT=$(free_port)
B="http://127.0.0.1:$HPORT"
TOK=$("$KETEN" --home "$H" token add reader --scope query 2>/dev/null) || fail "token add"
"$KETEN" --home "$H" node --http "127.0.0.1:$HPORT" 2>>"$H.log" &
NODE_PIDS+=($!)
up() { curl -s -o /dev/null "$B/eventTypes"; }
WHY="the HTTP server answers" wait_until 10 up
curl -sf -H "Authorization: Bearer $TOK" -G --data-urlencode "EQ_bizStep=shipping" \
    --data-urlencode "perPage=500" "$B/events" >"$T/q.json" || fail "GET /events"
must_be_valid "$T/q.json" "the EPCISQueryDocument of GET /events?EQ_bizStep=shipping"
# each event of it alone, as GET /events/{eventID} answers it
python3 -c 'import json,sys
for e in json.load(open(sys.argv[1]))["epcisBody"]["queryResults"]["resultsBody"]["eventList"]:
    print(e["eventID"])' "$T/q.json" >"$T/ids"
[ "$(wc -l <"$T/ids")" -ge 5 ] || fail "only $(wc -l <"$T/ids") shipping events answered"; ok
while IFS= read -r id; do
    enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$id")
    curl -sf -H "Authorization: Bearer $TOK" "$B/events/$enc" >"$T/one.json" || fail "GET /events/$id"
    must_be_valid "$T/one.json" "GET /events/$id"
done <"$T/ids"
done_checks
