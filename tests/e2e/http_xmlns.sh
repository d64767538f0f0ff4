#!/usr/bin/env bash
# The REST interface's XML answers for an event whose extension prefix only
# a remote context binds (OpenEPCIS's GS1 Egypt healthcare test document,
# ../shared/interop): keten never fetches the context, so its XML answers
# cannot name the prefix's namespace until keten.json's
# http.xmlNamespaces gives it. Through the real `keten node --http`:
#   - without it: 406 naming the prefix and the setting, and the node goes
#     on answering the other events in XML;
#   - with it (read again on SIGHUP): 200, valid against GS1's query XSD,
#     the namespace declared;
#   - a bad setting: SIGHUP keeps the running settings and logs the member;
#     a node started with it exits 3 naming it.
set -eu
. "$(dirname "$0")/nodelib.bash"
QXSD="$KETEN_SHARED/conformance/epcis-schema/XSD/EPCglobal-epcis-query-2_0.xsd"
EG="$KETEN_SHARED/interop/openepcis-document-converter/gs1eg-hc-extension/GS1_Eg_EPCIS_Document_1.json"
NS=https://ref.gs1eg.org/extensions/epcis/hc/voc/
command -v xmllint >/dev/null || fail "xmllint is needed (apt-get install libxml2-utils)"
H=$T/h
mkhome "$H" Apotheek
expect 0 --home "$H" record "$EG"
expect 0 --home "$H" record --epc urn:epc:id:sgtin:5412345.000012.P1 --biz-step shipping
expect 0 --home "$H" token add erp --scope query
TOK=$(grep -o 'keten_[A-Za-z0-9_-]*' "$T/out" | head -1)
[ -n "$TOK" ] || fail "no token text"; ok
EGID=$("$KETEN" --home "$H" log --json | python3 -c '
import json, sys
print([json.loads(l)["eventID"] for l in sys.stdin][0])')
ENC=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$EGID")

PORT=$(free_port)
B="http://127.0.0.1:$PORT"
# sethttp JSON: keten.json's "http" becomes JSON
sethttp() {
    python3 - "$H/keten.json" "$1" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["http"] = json.loads(sys.argv[2])
json.dump(c, open(sys.argv[1], "w"), indent=2)
EOF
}
sethttp "{\"listen\": \"127.0.0.1:$PORT\"}"
"$KETEN" --home "$H" node 2>>"$H.log" &
NODE=$!
NODE_PIDS+=($NODE)
up() { curl -s -o /dev/null "$B/eventTypes"; }
WHY="the HTTP server answers" wait_until 10 up
get() { # NAME PATH: the XML answer in $T/NAME; prints the status
    curl -s -o "$T/$1" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
        -H 'Accept: application/xml' "$B$2"
}

[ "$(get eg.xml "/events/$ENC")" = 406 ] || { cat "$T/eg.xml"; fail "no 406 without the setting"; }
contains "$T/eg.xml" 'prefix \"gs1egypthc\"'
contains "$T/eg.xml" "http.xmlNamespaces"
[ "$(get ship.xml "/events?EQ_bizStep=shipping")" = 200 ] || fail "the other events in XML"
xmllint --noout --schema "$QXSD" "$T/ship.xml" 2>/dev/null || fail "shipping answer not valid"; ok

sethttp "{\"listen\": \"127.0.0.1:$PORT\", \"xmlNamespaces\": {\"gs1egypthc\": \"$NS\"}}"
kill -HUP "$NODE"
WHY="SIGHUP read" wait_until 10 grep -q "SIGHUP: HTTP settings read again" "$H.log"
[ "$(get eg.xml "/events/$ENC")" = 200 ] || { cat "$T/eg.xml"; fail "no 200 with the setting"; }
xmllint --noout --schema "$QXSD" "$T/eg.xml" 2>"$T/lint" || { head -5 "$T/lint"; fail "not valid"; }
ok
contains "$T/eg.xml" "xmlns:gs1egypthc=\"$NS\""
contains "$T/eg.xml" "<gs1egypthc:dosageQuantityList"

# a bad setting: the running node keeps what it had, and says why
sethttp "{\"listen\": \"127.0.0.1:$PORT\", \"xmlNamespaces\": {\"xsi\": \"$NS\"}}"
kill -HUP "$NODE"
WHY="the bad setting logged" wait_until 10 grep -q "http.xmlNamespaces" "$H.log"
[ "$(get eg2.xml "/events/$ENC")" = 200 ] || fail "the running settings were dropped"; ok
"$KETEN" --home "$H" stop >/dev/null 2>&1 || kill "$NODE"
WHY="the node stopped" wait_until 10 sh -c "! kill -0 $NODE 2>/dev/null"
set +e
timeout 20 "$KETEN" --home "$H" node >"$T/start.out" 2>"$T/start.err"
rc=$?
set -e
[ "$rc" = 3 ] || { cat "$T/start.err"; fail "a node with a bad http.xmlNamespaces exited $rc"; }
ok
contains "$T/start.err" 'http.xmlNamespaces: namespace prefix "xsi"'
done_checks
