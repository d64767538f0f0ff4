#!/usr/bin/env bash
# The node's HTTP server and GS1 Digital Link resolver (docs/http.md),
# through the real `keten node --http` on 127.0.0.1 with free ports, while
# it replicates with a partner:
#   - every resolver case: 307 to the default link, the RFC 9264 linkset by
#     Accept and by ?linkType=linkset (structure checked with python3),
#     ?linkType=gs1:traceability / gs1:pip (the page) / the full URI -> 307, an unknown
#     linkType -> 404, no events -> 404 problem, a bad Digital Link -> 400
#     naming what is wrong, the key forms /01 (+/10, +/21, GTIN-13,
#     convenience alphas), /00, /8004, /414, /8003, HEAD, OPTIONS, POST 405,
#     /.well-known/gs1resolver, the trace JSON (own events only: the
#     partner's events and private ones are not shown), a path prefix from
#     keten.json;
#   - gs1:epcis in every linkset (MATCH_anyEPC for an EPC, MATCH_epcClass for
#     a lot, EQ_bizLocation and EQ_readPoint for a place), followed to the
#     EPCIS query, which answers the item's events; ?linkType=gs1:epcis 307;
#   - gs1:certificationInfo: one link per distinct certificate of the events
#     (an event with two, another repeating one; not the partner's), its
#     307, none (and 404) for an item whose events carry none;
#   - the server: keep-alive (two URLs on one curl connection), 64 KB of
#     headers -> 431, a too-large body -> 413, a slow client (a byte a
#     second) -> 408 and closed, too many connections -> 503 and closed,
#     garbage bytes -> 400 and closed; meanwhile replication goes on and
#     other clients are served;
#   - a non-loopback address is refused without --http-expose;
#   - third party: the Digital Link URLs requested are built and validated
#     by digital-link.js (npm) when npm can install it.
set -eu
. "$(dirname "$0")/nodelib.bash"
DOC="$(dirname "$0")/../../demo/meat-chain.jsonld"
command -v curl >/dev/null || fail "curl is needed"
S=$T/s P=$T/p

partners "$S" Slachthuis "$P" Verwerker # S dials P at 127.0.0.1:$LISTEN_PORT
S_ID=$(id_of "$S") P_ID=$(id_of "$P")
expect 0 --home "$S" record "$DOC"
expect 0 --home "$S" record --epc urn:epc:id:giai:5412345.TL-77 --biz-step inspecting \
    --event-time 2025-11-30T07:00:00Z
expect 0 --home "$S" record --epc urn:epc:id:sgln:5412345.00003.0 --biz-step inspecting \
    --event-time 2025-11-30T07:10:00Z
expect 0 --home "$S" record --epc urn:epc:id:grai:5412345.00001.RT1 --biz-step shipping \
    --event-time 2025-11-30T08:00:00Z
expect 0 --home "$S" record --private --epc urn:epc:id:sgtin:5412345.000012.PRIV1 \
    --biz-step commissioning --event-time 2025-11-30T08:30:00Z
expect 0 --home "$P" record --epc urn:epc:id:sgtin:5412345.000012.ONLYP --biz-step receiving \
    --event-time 2025-11-30T09:00:00Z
# an item whose events carry certificationInfo: two certificates on one
# event, one of them again (as a string) on the next
cat >"$T/cert.jsonld" <<'EOF'
{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
 "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-11-30T12:00:00Z",
 "epcisBody": {"eventList": [
  {"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
   "eventTime": "2025-11-30T11:00:00Z", "eventTimeZoneOffset": "+00:00",
   "epcList": ["urn:epc:id:sgtin:5412345.000012.CERT1"],
   "certificationInfo": ["https://cert.example.org/organic/BE-BIO-01.4711",
                         "https://cert.example.org/halal/HQC-2025-17"]},
  {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
   "eventTime": "2025-11-30T11:30:00Z", "eventTimeZoneOffset": "+00:00",
   "epcList": ["urn:epc:id:sgtin:5412345.000012.CERT1"],
   "certificationInfo": "https://cert.example.org/organic/BE-BIO-01.4711"}]}}
EOF
expect 0 --home "$S" record "$T/cert.jsonld"
# the partner's event of it, with a certificate of its own: not shown here, not linked
sed -e 's|"certificationInfo": \[|"certificationInfo": ["https://cert.example.org/partner/NOT-SHOWN", |' \
    -e 's|2025-11-30T11:|2025-11-30T13:|' "$T/cert.jsonld" >"$T/cert-p.jsonld"
grep -q NOT-SHOWN "$T/cert-p.jsonld" || fail "the partner's document"
expect 0 --home "$P" record "$T/cert-p.jsonld"

HPORT=$(free_port)
B="http://127.0.0.1:$HPORT"

# -- refused: a non-loopback address without --http-expose; a bad keten.json
expect 3 --home "$S" node --http "0.0.0.0:$HPORT"
contains "$T/err" "--http-expose"
cp "$S/keten.json" "$T/keten.json.orig"
python3 - "$S/keten.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); c["http"] = {"listen": "127.0.0.1:1", "maxConnections": "x"}
json.dump(c, open(sys.argv[1], "w"))
EOF
expect 3 --home "$S" node
contains "$T/err" "http.maxConnections"

# -- the limits small enough to test in seconds (keten.json), the address by --http
python3 - "$S/keten.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["http"] = {"requestTimeoutMs": 2000, "maxConnections": 8, "maxBodyBytes": 65536}
json.dump(c, open(sys.argv[1], "w"))
EOF
start_node_http() { # HOME: keten node --http, log in HOME.log
    "$KETEN" --home "$1" node --http "127.0.0.1:$HPORT" 2>>"$1.log" &
    NODE_PIDS+=($!)
}
start_node "$P" "$LISTEN_PORT"
start_node_http "$S"
up() { curl -s -o /dev/null "$B/.well-known/gs1resolver"; }
WHY="the HTTP server answers" wait_until 10 up
WHY="the partners converge" wait_until 20 same_heads "$S" "$P"
log_has "$S" "HTTP on http://127.0.0.1:$HPORT" || fail "no HTTP in the log line"; ok

# -- the Digital Links to ask for, built by a third party when npm has it
GTIN=05412345000129
DL_SER="$B/01/$GTIN/21/P1001"
if [ -z "${KETEN_NO_NPM:-}" ] && command -v npm >/dev/null &&
    (cd "$T" && timeout 120 npm install --silent --no-audit --no-fund --prefix "$T/npm" \
        digital-link.js@1.4.3 >/dev/null 2>&1); then
    NODE_PATH="$T/npm/node_modules" node - "$B" >"$T/dl.txt" <<'EOF' || fail "digital-link.js"
const { DigitalLink } = require("digital-link.js");
const b = process.argv[2];
// digital-link.js 1.4.3 calls this GIAI invalid although its grammar trace
// matches the whole value (giai-value); keten and the GS1 syntax engine accept it
const mk = (id, q, lax) => { const d = DigitalLink({ domain: b, identifier: id, keyQualifiers: q || {} });
  if (!lax && !d.isValid()) throw new Error("digital-link.js says invalid: " + d.toWebUriString());
  return d.toWebUriString(); };
console.log(mk({ "01": "05412345000129" }, { "21": "P1001" }));
console.log(mk({ "01": "05412345000112" }, { "10": "CUT-4711" }));
console.log(mk({ "00": "054123450000000013" }));
console.log(mk({ "8004": "5412345TL-77" }, {}, true));
console.log(mk({ "414": "5412345000037" }));
console.log(mk({ "8003": "05412345000013RT1" }));
EOF
    echo "Digital Links built by digital-link.js 1.4.3"
    THIRD=1
else
    printf '%s\n' "$B/01/$GTIN/21/P1001" "$B/01/05412345000112/10/CUT-4711" \
        "$B/00/054123450000000013" "$B/8004/5412345TL-77" "$B/414/5412345000037" \
        "$B/8003/05412345000013RT1" >"$T/dl.txt"
    echo "SKIP third party: npm could not install digital-link.js; hand-written links"
    THIRD=0
fi
[ "$(sed -n 1p "$T/dl.txt")" = "$DL_SER" ] || fail "digital-link.js built $(sed -n 1p "$T/dl.txt")"; ok

# linkset_ok FILE ANCHOR: an RFC 9264 linkset with gs1:pip and gs1:traceability
linkset_ok() {
    python3 - "$1" "$2" "$B" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
anchor, base = sys.argv[2], sys.argv[3]
assert list(d) == ["linkset"] and isinstance(d["linkset"], list) and d["linkset"], d
ctx = d["linkset"][0]
assert ctx["anchor"] == anchor, (ctx["anchor"], anchor)
for rel, targets in ctx.items():
    if rel == "anchor":
        continue
    # RFC 9264 4.2.2: a relation type is a registered name or an absolute URI,
    # its value an array of target objects, each with an href
    assert rel.startswith("https://") or rel.isalpha(), rel
    assert isinstance(targets, list) and targets, rel
    for t in targets:
        assert isinstance(t, dict) and isinstance(t["href"], str), t
        for k, v in t.items():
            assert k == "href" or isinstance(v, (str, list)), (k, v)
for rel, route in (("https://gs1.org/voc/pip", "/page/"), ("https://gs1.org/voc/traceability", "/trace/"),
                   ("https://gs1.org/voc/epcis", "/events?")):
    assert rel in ctx, rel
    h = ctx[rel][0]["href"]
    assert h.startswith(base + route), h
for t in ctx["https://gs1.org/voc/epcis"]:
    assert t["type"] == "application/ld+json" and t["title"], t
EOF
}
# epcis_of FILE: the gs1:epcis hrefs of the linkset in FILE, one a line
epcis_of() {
    python3 -c 'import json,sys
for t in json.load(open(sys.argv[1]))["linkset"][0]["https://gs1.org/voc/epcis"]: print(t["href"])' "$1"
}
# certs_of FILE: the gs1:certificationInfo hrefs, one a line (none: nothing)
certs_of() {
    python3 -c 'import json,sys
for t in json.load(open(sys.argv[1]))["linkset"][0].get("https://gs1.org/voc/certificationInfo", []):
    assert t["title"] == "Certification information of the item\x27s events (EPCIS certificationInfo)", t
    print(t["href"])' "$1"
}
# query_names FILE WHAT...: an EPCISQueryDocument with events, each naming
# one of WHAT; prints their number
query_names() {
    python3 - "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["type"] == "EPCISQueryDocument", d
ev = d["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
assert ev, "no events"
for e in ev:
    assert any(w in json.dumps(e) for w in sys.argv[2:]), e
print(len(ev))
EOF
}

# -- the resolver: default link, linkset by Accept and by linkType
status_is 307 r1 "$DL_SER"
[ "$(header_of r1 location)" = "$B/trace/01/$GTIN/21/P1001" ] || fail "Location: $(header_of r1 location)"; ok
header_of r1 link | grep -qF "<$DL_SER?linkType=linkset>; rel=\"linkset\"" || fail "no Link rel=linkset"; ok
status_is 200 r2 -H 'Accept: application/linkset+json' "$DL_SER"
[ "$(header_of r2 content-type)" = application/linkset+json ] || fail "linkset content type"; ok
linkset_ok "$T/r2.b" "$DL_SER" || fail "linkset by Accept"; ok
status_is 200 r3 "$DL_SER?linkType=linkset"
cmp -s "$T/r2.b" "$T/r3.b" || fail "linkType=linkset differs from Accept"; ok
status_is 200 r3a "$DL_SER?linkType=all"
for lt in gs1:traceability https://gs1.org/voc/traceability gs1:defaultLink; do
    status_is 307 r4 "$DL_SER?linkType=$lt"
    [ "$(header_of r4 location)" = "$B/trace/01/$GTIN/21/P1001" ] || fail "$lt -> $(header_of r4 location)"; ok
done
status_is 307 r4 "$DL_SER?linkType=gs1:pip" # the product page (tests/e2e/page.sh)
[ "$(header_of r4 location)" = "$B/page/01/$GTIN/21/P1001" ] || fail "gs1:pip -> $(header_of r4 location)"; ok
status_is 404 r5 "$DL_SER?linkType=gs1:recipeInfo"
contains "$T/r5.b" "gs1:recipeInfo"
# HEAD, OPTIONS, POST
status_is 307 r6 -I "$DL_SER"
status_is 204 r7 -X OPTIONS "$DL_SER"
header_of r7 allow | grep -q "GET, HEAD, OPTIONS" || fail "OPTIONS Allow"; ok
status_is 405 r8 -X POST --data x "$DL_SER"

# -- the item's events: what gs1:traceability leads to
status_is 200 t1 -L "$DL_SER?linkType=gs1:traceability"
python3 - "$T/t1.b" "$S_ID" <<'EOF' || fail "trace JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "keten.resolve.events/1" and d["identifier"].endswith("/01/05412345000129/21/P1001")
ev = d["events"]
assert ev and all(e["feed"] == sys.argv[2] for e in ev), ev
assert all(e["event"]["type"] for e in ev)
assert any("05412345000129" in json.dumps(e["event"]) or "5412345.000012.P1001" in json.dumps(e["event"]) for e in ev)
assert not any("PRIV1" in json.dumps(e["event"]) or "ONLYP" in json.dumps(e["event"]) for e in ev)
EOF
ok
# the same events as keten trace finds of the own feed
"$KETEN" --home "$S" trace "urn:epc:id:sgtin:5412345.000012.P1001" --json >"$T/kt.json" || fail "keten trace"
python3 - "$T/kt.json" "$T/t1.b" "$S_ID" <<'EOF' || fail "HTTP trace differs from keten trace"
import json, sys
kt, ht, me = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
want = sorted(n.get("eventHash") for n in kt["nodes"] if n.get("kind") == "event" and n.get("feed") == me)
got = sorted(e["eventHash"] for e in ht["events"])
assert want and want == got, (want, got)
EOF
ok
status_is 200 t2 -I "$B/trace/01/$GTIN/21/P1001"
! grep -q '"schema"' "$T/t2.b" || fail "HEAD sent a body"; ok # curl -I writes headers there
[ "$(header_of t2 content-length)" = "$(wc -c <"$T/t1.b")" ] || fail "HEAD Content-Length"; ok

# -- other key forms (each has events of S)
i=0
while read -r url; do
    i=$((i + 1))
    status_is 200 k$i -H 'Accept: application/linkset+json' "$url"
    linkset_ok "$T/k$i.b" "$url" || fail "linkset of $url"; ok
    status_is 200 kt$i -L "$url?linkType=gs1:traceability"
done <"$T/dl.txt"
# a GLN no event names as an identifier: the events that happened there
status_is 200 loc1 -H 'Accept: application/linkset+json' "$B/414/5412345000013"
linkset_ok "$T/loc1.b" "$B/414/5412345000013" || fail "location linkset"; ok
status_is 200 loc2 -L "$B/414/5412345000013?linkType=gs1:traceability"
python3 - "$T/loc2.b" "$S_ID" <<'EOF' || fail "the events at a location"
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["events"]
assert len(ev) == 1 and ev[0]["feed"] == sys.argv[2], ev  # the slaughter (the other events are elsewhere)
assert ev[0]["event"]["bizLocation"]["id"] == "urn:epc:id:sgln:5412345.00001.0", ev[0]
assert ev[0]["eventHash"].startswith("ni:///sha-256;") and ev[0]["erroneous"] is False
EOF
ok
status_is 404 loc3 "$B/414/5412345000044" # a GLN with no events at all
status_is 200 k7 -H 'Accept: application/linkset+json' "$B/01/5412345000129/21/P1001" # GTIN-13
linkset_ok "$T/k7.b" "$DL_SER" || fail "GTIN-13 anchor is not the canonical path"; ok
status_is 200 k8 -H 'Accept: application/linkset+json' "$B/gtin/$GTIN/ser/P1001" # alphas
status_is 200 k9 -H 'Accept: application/linkset+json' "$B/01/$GTIN/10/LOT9/21/P1001?17=271231"
linkset_ok "$T/k9.b" "$B/01/$GTIN/10/LOT9/21/P1001" || fail "lot and serial anchor"; ok
status_is 400 k10 "$B/01/$GTIN/21/P1001?17=2712" # a bad data attribute

# -- no events, not shown, bad links
status_is 404 n1 "$B/01/05412345000136/21/NOSUCH"
[ "$(header_of n1 content-type)" = application/problem+json ] || fail "404 is not a problem"; ok
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"]==404 and d["detail"]' "$T/n1.b" || fail "404 body"; ok
status_is 404 n2 "$B/01/$GTIN/21/ONLYP" # the partner's event: not the operator's to show
contains "$T/n2.b" "own events only"
status_is 404 n3 "$B/01/$GTIN/21/PRIV1" # recorded private
status_is 400 b1 "$B/01/05412345000128/21/P1001"
contains "$T/b1.b" "check digit is 8, expected 9"
status_is 400 b2 "$B/01/0541234500012X"
status_is 400 b3 "$B/00/12345"
status_is 404 b4 "$B/not/a/digital/link"

# -- the resolver description
status_is 200 w1 "$B/.well-known/gs1resolver"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["resolverRoot"] == sys.argv[2] and d["supportedPrimaryKeys"] == ["all"]
assert d["supportedLinkType"][0]["prefix"] == "gs1:"' "$T/w1.b" "$B" || fail "description"; ok

# -- gs1:epcis: the EPCIS 2.0 query of the item's events
PCT=https%3A%2F%2Fid.gs1.org
[ "$(epcis_of "$T/r2.b")" = "$B/events?MATCH_anyEPC=$PCT%2F01%2F$GTIN%2F21%2FP1001" ] ||
    fail "gs1:epcis of the pack: $(epcis_of "$T/r2.b")"; ok
status_is 307 e1 "$DL_SER?linkType=gs1:epcis"
[ "$(header_of e1 location)" = "$B/events?MATCH_anyEPC=$PCT%2F01%2F$GTIN%2F21%2FP1001" ] ||
    fail "gs1:epcis -> $(header_of e1 location)"; ok
status_is 307 e1a "$DL_SER?linkType=https://gs1.org/voc/epcis"
status_is 200 e2 -L "$DL_SER?linkType=gs1:epcis"
[ "$(header_of e2 content-type)" = application/ld+json ] || fail "the query's type: $(header_of e2 content-type)"; ok
n_link=$(query_names "$T/e2.b" "5412345.000012.P1001" "/01/$GTIN/21/P1001") || fail "gs1:epcis query answer"
# the same events as the query by the EPC URN
status_is 200 e3 "$B/events?MATCH_anyEPC=urn:epc:id:sgtin:5412345.000012.P1001"
[ "$n_link" = "$(query_names "$T/e3.b" P1001)" ] || fail "gs1:epcis gives other events than MATCH_anyEPC"; ok
# every key form: the parameter its events are indexed by, and the query answers events
while read -r url; do
    k=$(curl -s -H 'Accept: application/linkset+json' "$url" | python3 -c 'import json,sys
print(json.load(sys.stdin)["linkset"][0]["https://gs1.org/voc/epcis"][0]["href"])') || fail "gs1:epcis of $url"
    case "$url" in
    */10/CUT-4711) want=MATCH_epcClass ;; # a lot: the epcClass of the quantity lists
    *) want=MATCH_anyEPC ;;
    esac
    case "$k" in "$B/events?$want=$PCT%2F"*) ;; *) fail "gs1:epcis of $url: $k (expected $want)" ;; esac
    ok
    status_is 200 eq -L "$url?linkType=gs1:epcis"
    query_names "$T/eq.b" "" >/dev/null || fail "the gs1:epcis query of $url answered no events"; ok
done <"$T/dl.txt"
# a place: the events there as bizLocation and as readPoint, two targets
[ "$(epcis_of "$T/loc1.b")" = "$B/events?EQ_bizLocation=$PCT%2F414%2F5412345000013
$B/events?EQ_readPoint=$PCT%2F414%2F5412345000013" ] || fail "gs1:epcis of a place: $(epcis_of "$T/loc1.b")"; ok
status_is 200 e4 -L "$B/414/5412345000013?linkType=gs1:epcis"
[ "$(query_names "$T/e4.b" "sgln:5412345.00001.0" "/414/5412345000013")" = 1 ] || fail "the events at the place"; ok

# -- gs1:certificationInfo: one link per distinct certificate, in the events' order
status_is 200 c1 "$B/01/$GTIN/21/CERT1?linkType=linkset"
[ "$(certs_of "$T/c1.b")" = "https://cert.example.org/organic/BE-BIO-01.4711
https://cert.example.org/halal/HQC-2025-17" ] || fail "gs1:certificationInfo: $(certs_of "$T/c1.b")"; ok
linkset_ok "$T/c1.b" "$B/01/$GTIN/21/CERT1" || fail "the certified item's linkset"; ok
status_is 307 c2 "$B/01/$GTIN/21/CERT1?linkType=gs1:certificationInfo"
[ "$(header_of c2 location)" = https://cert.example.org/organic/BE-BIO-01.4711 ] ||
    fail "gs1:certificationInfo -> $(header_of c2 location)"; ok
# an item whose events carry none: no such link, and its linkType is a 404
[ -z "$(certs_of "$T/r2.b")" ] || fail "certificationInfo without certificates"; ok
! grep -q certificationInfo "$T/loc1.b" || fail "certificationInfo at the place"; ok
status_is 404 c3 "$DL_SER?linkType=gs1:certificationInfo"
contains "$T/c3.b" "none of the events it shows carries certificationInfo"
# the description names both
python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["keten:linkTypes"]
assert "gs1:epcis" in l and "gs1:certificationInfo" in l, l' "$T/w1.b" || fail "description link types"; ok

# -- keep-alive: two URLs, one connection
curl -sv -o /dev/null -o /dev/null "$DL_SER" "$B/.well-known/gs1resolver" 2>"$T/ka.err" || fail "curl keep-alive"
grep -Eqi "re-?using existing connection" "$T/ka.err" || { cat "$T/ka.err"; fail "the connection was not kept alive"; }; ok

# -- the limits (raw sockets: python3)
cat >"$T/raw.py" <<'EOF'
import socket, sys, time
port, what = int(sys.argv[1]), sys.argv[2]
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s
def answer(s):
    data = b""
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            break
        if not b:
            break
        data += b
    return data
def status(data):
    return data.split(b"\r\n", 1)[0].decode() if data else "(closed)"
if what == "bigheader":
    s = conn()
    s.sendall(b"GET /.well-known/gs1resolver HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n")
    print(status(answer(s)))
elif what == "garbage":
    s = conn()
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")
    print(status(answer(s)))
elif what == "slow":
    s = conn()
    t0 = time.time()
    req = b"GET /.well-known/gs1resolver HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"b" * 100
    got = b""
    for i in range(len(req)):
        try:
            s.sendall(req[i:i + 1])
        except (BrokenPipeError, ConnectionResetError):
            break
        s.settimeout(1.0)
        try:
            b = s.recv(65536)
            if b:
                got += b
                got += answer(s)
                break
            else:
                break
        except socket.timeout:
            pass
    print(status(got), "after %.1f s" % (time.time() - t0))
elif what == "many":
    n = int(sys.argv[3])
    held = [conn() for _ in range(n)]
    time.sleep(0.3)
    s = conn()
    print(status(answer(s)))
    for h in held:
        h.close()
EOF
raw() { python3 "$T/raw.py" "$HPORT" "$@"; }

got=$(raw bigheader); [ "$got" = "HTTP/1.1 431 Request Header Fields Too Large" ] || fail "64 KB header: $got"; ok
got=$(raw garbage); [ "$got" = "HTTP/1.1 400 Bad Request" ] || fail "garbage: $got"; ok
head -c 200000 /dev/zero >"$T/big.bin"
status_is 413 l1 -H 'Content-Type: application/octet-stream' --data-binary @"$T/big.bin" "$DL_SER"
header_of l1 connection | grep -qi close || fail "413 did not close"; ok

# slow client and idle connections held while the node replicates and serves
raw slow >"$T/slow.out" &
SLOW=$!
sleep 0.3
raw many 7 >"$T/many.out" & # with the slow one, 8: the next one is one too many
MANY=$!
sleep 0.5
expect 0 --home "$P" record --epc urn:epc:id:sgtin:5412345.000012.LIVE1 --biz-step receiving \
    --event-time 2025-11-30T10:00:00Z
WHY="replication goes on under the HTTP load" wait_until 10 same_heads "$S" "$P"
wait "$MANY" || fail "raw many"
got=$(cat "$T/many.out"); [ "$got" = "HTTP/1.1 503 Service Unavailable" ] || fail "9th connection: $got"; ok
wait "$SLOW" || fail "raw slow"
grep -q "^HTTP/1.1 408 Request Timeout after [0-4]\." "$T/slow.out" || fail "slow client: $(cat "$T/slow.out")"; ok
status_is 200 after -H 'Accept: application/linkset+json' "$DL_SER" # still serving
# refusals are logged, rate-limited per address like the partner port's
log_has "$S" "http: 431 Request Header Fields Too Large to 127.0.0.1:" || fail "431 not logged"; ok
# the node kept its partner: the session is still up (no reconnect logged)
expect 0 --home "$S" status --json
contains "$T/out" '"state":"connected"'

# -- a path prefix from keten.json
"$KETEN" --home "$S" stop >/dev/null || fail "stop S"
python3 - "$S/keten.json" "$HPORT" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); c["http"] = {"listen": "127.0.0.1:" + sys.argv[2], "prefix": "/dl"}
json.dump(c, open(sys.argv[1], "w"))
EOF
"$KETEN" --home "$S" node 2>>"$S.log" &
NODE_PIDS+=($!)
WHY="the HTTP server answers again" wait_until 10 up
status_is 200 p1 -H 'Accept: application/linkset+json' "$B/dl/01/$GTIN/21/P1001"
linkset_ok "$T/p1.b" "$B/dl/01/$GTIN/21/P1001" || fail "prefixed linkset"; ok
status_is 307 p2 "$B/dl/00/054123450000000013?linkType=gs1:traceability"
status_is 404 p3 "$DL_SER" # outside the prefix: no route
status_is 200 p4 "$B/.well-known/gs1resolver"
contains "$T/p4.b" "\"resolverRoot\":\"$B/dl\""
[ "$THIRD" = 1 ] && echo "third party: digital-link.js built the 6 key forms"
done_checks
