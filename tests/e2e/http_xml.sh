#!/usr/bin/env bash
# EPCIS XML on the REST query side beyond GET /events (docs/http.md "EPCIS
# XML"; node/node_query_xml.c, node_subs.c) through the real `keten node
# --http` on 127.0.0.1 with a free port; every XML answer is validated
# against GS1's query XSD (EPCglobal-epcis-query-2_0.xsd) by xmllint:
#   - GET /events/{eventID} with Accept: application/xml or text/xml: the
#     EPCISQueryDocument enclosing the one event (GS1's openapi.yaml,
#     200EPCISQueryDocumentSinglePage), by ni:/// ID and by bare hash;
#     without Accept the event as JSON-LD, as before; an unknown ID 404;
#   - the resource paths (/bizSteps/{s}/events, /epcs/{epc}/events,
#     /eventTypes/{t}/events) and a named query's /queries/{name}/events;
#   - a live subscription whose WebSocket opening says Accept:
#     application/xml: a raw client (python3 sockets) gets the backlog of
#     initialRecordTime as one XML EPCISQueryDocument with the query's
#     queryName and the subscriptionID of the GS1-Query-Subscription-ID
#     header; an opening without Accept still gets JSON-LD;
#   - the third-party client (tests/ws/subscribe.mjs, npm ws) subscribed
#     for XML receives events captured by POST /capture, each message an
#     XML document valid against the XSD (KETEN_NO_NPM=1: SKIP line).
set -eu
. "$(dirname "$0")/nodelib.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
QXSD="$KETEN_SHARED/conformance/epcis-schema/XSD/EPCglobal-epcis-query-2_0.xsd"
command -v curl >/dev/null || fail "curl is needed"
command -v xmllint >/dev/null || fail "xmllint is needed (apt-get install libxml2-utils)"
H=$T/h
mkhome "$H" Brouwerij
for i in 1 2 3; do
    expect 0 --home "$H" record --epc "urn:epc:id:sgtin:5412345.000012.X$i" --biz-step shipping \
        --event-time "2025-12-01T0$i:00:00Z"
done
expect 0 --home "$H" record --epc urn:epc:id:sgtin:5412345.000012.R1 --biz-step receiving \
    --event-time 2025-12-01T05:00:00Z
expect 0 --home "$H" token add erp --scope query,capture
TOK=$(grep -o 'keten_[A-Za-z0-9_-]*' "$T/out" | head -1)
[ -n "$TOK" ] || fail "no token text"; ok

PORT=$(free_port)
B="http://127.0.0.1:$PORT"
"$KETEN" --home "$H" node --http "127.0.0.1:$PORT" 2>>"$H.log" &
NODE_PIDS+=($!)
up() { curl -s -o /dev/null "$B/eventTypes"; }
WHY="the HTTP server answers" wait_until 10 up

# get NAME ACCEPT PATH: the answer in $T/NAME (headers $T/NAME.h); prints the status
get() {
    local a=()
    [ -n "$2" ] && a=(-H "Accept: $2")
    curl -s -o "$T/$1" -D "$T/$1.h" -w '%{http_code}' -H "Authorization: Bearer $TOK" "${a[@]}" "$B$3"
}
# valid NAME: $T/NAME is XML of the query XSD, served as application/xml
valid() {
    grep -qi '^content-type: application/xml' "$T/$1.h" ||
        fail "$1: served as $(grep -i '^content-type' "$T/$1.h")"
    xmllint --noout --schema "$QXSD" "$T/$1" 2>"$T/$1.lint" ||
        { head -5 "$T/$1.lint"; fail "$1: not valid against the query XSD"; }
}
nev() { grep -o '<ObjectEvent[ >]' "$T/$1" | wc -l; }

[ "$(get all.json '' '/events?EQ_bizStep=shipping')" = 200 ] || fail "GET /events"
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["epcisBody"]["queryResults"]["resultsBody"]["eventList"][1]["eventID"])' "$T/all.json")
ENC=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$ID")
HASH=$(printf %s "$ID" | sed -n 's|^ni:///sha-256;\([0-9a-f]*\)?ver=CBV2.0$|\1|p')
[ -n "$HASH" ] || fail "event ID $ID is not a ni:/// hash"; ok

# ---- GET /events/{eventID} ----
for acc in application/xml text/xml 'text/xml, application/json'; do
    [ "$(get one.xml "$acc" "/events/$ENC")" = 200 ] || { cat "$T/one.xml"; fail "XML event ($acc)"; }
    valid one.xml
    grep -q '<epcisq:EPCISQueryDocument' "$T/one.xml" || fail "not an EPCISQueryDocument"
    [ "$(nev one.xml)" = 1 ] || fail "$(nev one.xml) events in the XML answer"
    grep -qF "<eventID>$ID</eventID>" "$T/one.xml" || fail "the XML answer is not event $ID"; ok
done
[ "$(get bare.xml application/xml "/events/$HASH")" = 200 ] || fail "XML event by bare hash"
valid bare.xml
grep -qF "<eventID>$ID</eventID>" "$T/bare.xml" || fail "bare hash: another event"; ok
[ "$(get one.json '' "/events/$ENC")" = 200 ] || fail "JSON event"
grep -qi '^content-type: application/ld+json' "$T/one.json.h" || fail "default is not JSON-LD"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["eventID"]==sys.argv[2] and d["type"]=="ObjectEvent", d' \
    "$T/one.json" "$ID" || fail "JSON-LD event"; ok
[ "$(get none.xml application/xml "/events/$(printf 'ab%.0s' $(seq 32))")" = 404 ] || fail "unknown ID not 404"; ok

# ---- resource paths and a named query ----
[ "$(get bs.xml application/xml /bizSteps/shipping/events)" = 200 ] && valid bs.xml &&
    [ "$(nev bs.xml)" = 3 ] || fail "/bizSteps/shipping/events: $(nev bs.xml) events"; ok
[ "$(get epc.xml application/xml /epcs/urn:epc:id:sgtin:5412345.000012.R1/events)" = 200 ] &&
    valid epc.xml && [ "$(nev epc.xml)" = 1 ] || fail "/epcs/{epc}/events"; ok
[ "$(get et.xml text/xml /eventTypes/ObjectEvent/events)" = 200 ] && valid et.xml &&
    [ "$(nev et.xml)" = 4 ] || fail "/eventTypes/ObjectEvent/events: $(nev et.xml)"; ok
got=$(curl -s -o "$T/made" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
    -H 'Content-Type: application/json' \
    --data-binary '{"name":"outgoing","query":{"EQ_bizStep":["shipping"]}}' "$B/queries")
[ "$got" = 201 ] || { cat "$T/made"; fail "POST /queries: $got"; }
[ "$(get nq.xml application/xml /queries/outgoing/events)" = 200 ] && valid nq.xml &&
    [ "$(nev nq.xml)" = 3 ] || fail "/queries/outgoing/events in XML"; ok

# ---- a subscription that asks for XML: the raw client ----
python3 - "$PORT" "$TOK" "$T" <<'EOF' || fail "raw XML subscription"
import base64, os, socket, struct, sys
port, token, t = sys.argv[1:4]

def frame(s):
    def n(k):
        b = b""
        while len(b) < k:
            c = s.recv(k - len(b))
            assert c, "closed"
            b += c
        return b
    h = n(2)
    op, ln = h[0] & 0x0F, h[1] & 0x7F
    if ln == 126:
        ln = struct.unpack(">H", n(2))[0]
    elif ln == 127:
        ln = struct.unpack(">Q", n(8))[0]
    return op, n(ln)

def subscribe(accept):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    acc = "Accept: %s\r\n" % accept if accept else ""
    s.sendall(("GET /queries/outgoing/events?stream=true&initialRecordTime=2000-01-01T00:00:00Z "
               "HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "Authorization: Bearer %s\r\n%s\r\n" % (key, token, acc)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        c = s.recv(1)
        assert c, "closed in the handshake"
        head += c
    lines = head.decode().split("\r\n")
    assert lines[0].startswith("HTTP/1.1 101"), lines[0]
    sid = [l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("gs1-query-subscription-id:")]
    assert sid, lines
    op, body = frame(s)
    assert op == 1, op
    s.close()
    return sid[0], body.decode()

sid, text = subscribe("application/xml")
assert text.startswith("<?xml") and "<epcisq:EPCISQueryDocument" in text, text[:300]
assert "<queryName>outgoing</queryName>" in text, text[:600]
assert "<subscriptionID>%s</subscriptionID>" % sid in text, (sid, text[:600])
assert text.count("<ObjectEvent") == 3, text.count("<ObjectEvent")
open(t + "/sub.xml", "w").write(text)
sid, text = subscribe(None)
import json
d = json.loads(text)
assert d["type"] == "EPCISQueryDocument" and d["epcisBody"]["queryResults"]["subscriptionID"] == sid, text[:300]
print("raw XML subscription: backlog of 3 events as XML; JSON-LD without Accept")
EOF
ok
xmllint --noout --schema "$QXSD" "$T/sub.xml" 2>"$T/sub.lint" ||
    { head -5 "$T/sub.lint"; fail "the subscription's XML message is not valid"; }; ok

# ---- the third-party client subscribed for XML ----
if [ -n "${KETEN_NO_NPM:-}" ] || ! command -v npm >/dev/null; then
    echo "SKIP: the ws client (KETEN_NO_NPM or no npm)"
else
    mkdir -p "$T/npm" "$T/frames"
    cp "$ROOT/tests/ws/package.json" "$ROOT/tests/ws/package-lock.json" "$ROOT/tests/ws/subscribe.mjs" \
        "$T/npm/"
    (cd "$T/npm" && timeout 300 npm ci --silent --no-audit --no-fund >"$T/npm.log" 2>&1) ||
        { tail -20 "$T/npm.log"; fail "npm ci of ws (tests/ws)"; }
    python3 - "$B" "$TOK" >"$T/tasks.json" <<'EOF'
import json, sys
b, tok = sys.argv[1:3]
def doc(epc, step):
    return {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-12-01T11:00:00Z",
            "epcisBody": {"eventList": [{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": step,
                                         "eventTime": "2025-12-01T10:00:00Z",
                                         "eventTimeZoneOffset": "+00:00", "epcList": [epc]}]}}
t = []
for i, (step, want) in enumerate([("shipping", True), ("receiving", False), ("shipping", True)]):
    e = "urn:epc:id:sgtin:5412345.000012.WX%d" % i
    t.append({"post": b + "/capture", "token": tok, "body": doc(e, step), "epc": e, "expect": want})
print(json.dumps(t))
EOF
    (cd "$T/npm" && timeout 120 node subscribe.mjs "ws://127.0.0.1:$PORT/queries/outgoing/events?stream=true" \
        "$TOK" "$T/tasks.json" "$T/frames") >"$T/ws.out" 2>"$T/ws.err" ||
        { cat "$T/ws.out" "$T/ws.err"; fail "ws client subscribed for XML"; }
    cat "$T/ws.out"
    n=0
    for f in "$T"/frames/frame-*.xml; do
        xmllint --noout --schema "$QXSD" "$f" 2>"$T/f.lint" || { head -5 "$T/f.lint"; fail "$f not valid"; }
        n=$((n + 1))
    done
    [ "$n" -ge 1 ] || fail "no XML frames"
    echo "ws client: $n XML messages, each valid against the query XSD"; ok
fi
done_checks
