#!/usr/bin/env bash
# The EPCIS 2.0 REST query routes (docs/http.md, node/node_query.h) through
# the real `keten node --http` on 127.0.0.1 with free ports, while it
# replicates with a partner:
#   - every query parameter, alone and combined, each answer paged through
#     with perPage=2 and the Link rel="next" nextPageToken to the end, and
#     compared with the same filter applied by python to `keten export` +
#     `keten log --json` (the events the node shows: its own, not private);
#   - orderBy eventTime|recordTime, orderDirection ASC|DESC;
#   - an EPC and a location in URN and in Digital Link form, a CBV value in
#     short and full form: the same answers;
#   - the resource paths (/epcs/{epc}/events, /bizSteps/{s}/events, ...),
#     /events/{eventID} (ni:/// URL-encoded and bare hash), /eventTypes,
#     /bizSteps, /dispositions, /readPoints, /bizLocations,
#     OPTIONS, the GS1-EPCIS-* headers;
#   - unknown parameters and bad values: 400 QueryParameterException naming
#     the parameter;
#   - Accept: application/xml: the same events as an EPCIS 2.0 XML
#     EPCISQueryDocument, valid against GS1's query XSD (xmllint);
#   - third party: every query answer is validated against GS1's EPCIS 2.0
#     JSON schema (EPCIS-JSON-Schema.json) by python3-jsonschema.
set -eu
. "$(dirname "$0")/nodelib.bash"
DOC="$(dirname "$0")/../../demo/meat-chain.jsonld"
SCHEMA="$KETEN_SHARED/conformance/epcis-schema/EPCIS-JSON-Schema.json"
command -v curl >/dev/null || fail "curl is needed"
S=$T/s P=$T/p

partners "$S" Slachthuis "$P" Verwerker
S_ID=$(id_of "$S")
expect 0 --home "$S" record "$DOC"
# enough events for pages: twelve inspections of three crates at two places
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
    crate=$(( i % 3 )) loc=$(( i % 2 + 1 ))
    expect 0 --home "$S" record --epc "urn:epc:id:grai:5412345.00001.C$crate" \
        --biz-step inspecting --disposition in_progress --action OBSERVE \
        --read-point "urn:epc:id:sgln:5412345.0000$loc.0" \
        --event-time "2025-12-01T0$(( i % 10 )):$(printf %02d $i):00Z"
done
expect 0 --home "$S" record --private --epc urn:epc:id:sgtin:5412345.000012.PRIV1 \
    --biz-step commissioning --event-time 2025-11-30T08:30:00Z
PRIV=$(awk '{print $3}' "$T/out" | head -1)
[ -n "$PRIV" ] || PRIV=$(grep -o 'ni:///[^ ]*' "$T/err" | head -1)
[ -n "$PRIV" ] || fail "no event ID of the private event"; ok
expect 0 --home "$P" record --epc urn:epc:id:grai:5412345.00001.C1 --biz-step receiving \
    --event-time 2025-12-01T09:00:00Z

HPORT=$(free_port)
B="http://127.0.0.1:$HPORT"
start_node "$P" "$LISTEN_PORT"
"$KETEN" --home "$S" node --http "127.0.0.1:$HPORT" 2>>"$S.log" &
NODE_PIDS+=($!)
up() { curl -s -o /dev/null "$B/eventTypes"; }
WHY="the HTTP server answers" wait_until 10 up
WHY="the partners converge" wait_until 20 same_heads "$S" "$P"

"$KETEN" --home "$S" export >"$T/export.json" || fail "keten export"
"$KETEN" --home "$S" log --json >"$T/log.json" || fail "keten log --json"
[ "$(grep -c "\"feed\":\"$S_ID\"" "$T/log.json")" -ge 18 ] || fail "own events missing"; ok
grep -q -v "\"feed\":\"$S_ID\"" "$T/log.json" || fail "the partner's event did not arrive"; ok

# the Python that has jsonschema: the one on PATH, else Debian's (the
# python3-jsonschema package, which make check-deps installs)
PYJ=python3
python3 -c 'import jsonschema' 2>/dev/null || PYJ=/usr/bin/python3
"$PYJ" -c 'import jsonschema' || fail "no jsonschema for $PYJ (apt-get install python3-jsonschema)"
"$PYJ" - "$B" "$T/export.json" "$T/log.json" "$S_ID" "$PRIV" "$SCHEMA" <<'EOF' || fail "queries"
import json, sys, re, urllib.request, urllib.parse, urllib.error
from datetime import datetime
import jsonschema

base, export, logf, me, priv, schemaf = sys.argv[1:7]
schema = json.load(open(schemaf))
validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
events = json.load(open(export))["epcisBody"]["eventList"]
log = [json.loads(l) for l in open(logf)]
# the events the node shows: its own, not the private one; local order = log order
pos = {}
for i, l in enumerate(log):
    if l["feed"] == me and l.get("eventID") != priv and not l.get("sealed"):
        pos[l["eventID"]] = (i, l)
shown = [e for e in events if e["eventID"] in pos]
assert len(shown) == 17, len(shown)
checks = 0

def t(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()

def short(v):
    if v is None:
        return None
    for pre in ("https://ref.gs1.org/cbv/BizStep-", "https://ref.gs1.org/cbv/Disp-",
                "urn:epcglobal:cbv:bizstep:", "urn:epcglobal:cbv:disp:"):
        if v.startswith(pre):
            return v[len(pre):]
    return v

def ids(e, roles):
    out = []
    for r in roles:
        v = e.get(r)
        if r == "parentID" and v:
            out.append(v)
        elif isinstance(v, list):
            out += [x["epcClass"] if isinstance(x, dict) else x for x in v]
    return out

ROLES = {"MATCH_epc": ["epcList", "childEPCs"],
         "MATCH_anyEPC": ["epcList", "childEPCs", "parentID", "inputEPCList", "outputEPCList"],
         "MATCH_parentID": ["parentID"], "MATCH_inputEPC": ["inputEPCList"],
         "MATCH_outputEPC": ["outputEPCList"],
         "MATCH_epcClass": ["quantityList", "childQuantityList", "inputQuantityList",
                            "outputQuantityList"]}

def want(params):
    """The filter, applied here to keten export's events."""
    out = []
    for e in shown:
        i, l = pos[e["eventID"]]
        ok = True
        for k, v in params.items():
            vs = v.split(",")
            if k == "eventType": ok &= e["type"] in vs
            elif k == "EQ_action": ok &= e.get("action") in vs
            elif k == "EQ_bizStep": ok &= short(e.get("bizStep")) in map(short, vs)
            elif k == "EQ_disposition": ok &= short(e.get("disposition")) in map(short, vs)
            elif k == "EQ_readPoint": ok &= e.get("readPoint", {}).get("id") in vs
            elif k == "EQ_bizLocation": ok &= e.get("bizLocation", {}).get("id") in vs
            elif k in ROLES: ok &= any(x in vs for x in ids(e, ROLES[k]))
            elif k == "EQ_eventID": ok &= e["eventID"] in vs
            elif k == "GE_eventTime": ok &= t(e["eventTime"]) >= t(v)
            elif k == "LT_eventTime": ok &= t(e["eventTime"]) < t(v)
            elif k == "GE_recordTime": ok &= t(l["recordTime"]) >= t(v)
            elif k == "LT_recordTime": ok &= t(l["recordTime"]) < t(v)
        if ok:
            key = t(l["recordTime"]) if params.get("orderBy") == "recordTime" else t(e["eventTime"])
            out.append((key, i, e["eventID"]))
    out.sort(reverse=params.get("orderDirection") == "DESC")
    return [x[2] for x in out]

def get(url):
    try:
        r = urllib.request.urlopen(url)
        return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as h:
        return h.code, dict(h.headers), h.read()

def query(path, params, per=2):
    """Every page of path?params (perPage=per), following Link rel=next."""
    global checks
    q = dict(params, perPage=str(per))
    url = base + path + "?" + urllib.parse.urlencode(q)
    got, pages = [], 0
    while url:
        st, h, body = get(url)
        assert st == 200, (url, st, body[:300])
        for n in ("GS1-EPCIS-Version", "GS1-CBV-Version", "GS1-EPCIS-Min", "GS1-EPCIS-Max"):
            assert h.get(n) == "2.0.0", (n, h)
        assert h["Content-Type"] == "application/ld+json", h
        d = json.loads(body)
        errs = list(validator.iter_errors(d))
        assert not errs, (url, [e.message[:200] for e in errs[:3]])
        assert d["type"] == "EPCISQueryDocument", d
        evs = d["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert len(evs) <= per, len(evs)
        got += [e["eventID"] for e in evs]
        pages += 1
        link = h.get("Link")
        if link:
            m = re.fullmatch(r'<([^>]+)>; rel="next"', link)
            assert m, link
            assert len(evs) == per
            url = base + m.group(1)
        else:
            url = None
        assert pages < 50
    checks += 1
    return got, pages

def same(params, path="/events", per=2):
    w = want(params)
    got, pages = query(path, params, per)
    assert got == w, (path, params, got, w)
    return w, pages

recs = sorted(pos.values())
mid_rt = recs[len(recs) // 2][1]["recordTime"]
every = [
    {},
    {"eventType": "ObjectEvent"},
    {"eventType": "AggregationEvent,TransformationEvent"},
    {"EQ_action": "OBSERVE"}, {"EQ_action": "ADD"},
    {"EQ_bizStep": "inspecting"}, {"EQ_bizStep": "shipping,receiving"},
    {"EQ_disposition": "in_progress"},
    {"EQ_readPoint": "urn:epc:id:sgln:5412345.00001.0"},
    {"EQ_readPoint": "urn:epc:id:sgln:5412345.00002.0,urn:epc:id:sgln:5412345.00000.0"},
    {"EQ_bizLocation": "urn:epc:id:sgln:5412345.00001.0"},
    {"MATCH_epc": "urn:epc:id:grai:5412345.00001.C1"},
    {"MATCH_epc": "urn:epc:id:sgtin:5412345.000012.P1001"},
    {"MATCH_anyEPC": "urn:epc:id:sgtin:5412345.000012.P1001"},
    {"MATCH_anyEPC": "urn:epc:id:sscc:5412345.0000000001"},
    {"MATCH_parentID": "urn:epc:id:sscc:5412345.0000000001"},
    {"MATCH_outputEPC": "urn:epc:id:sgtin:5412345.000012.P1002"},
    {"MATCH_epcClass": "urn:epc:class:lgtin:5412345.000002.CARC-2025-1128"},
    {"EQ_eventID": shown[3]["eventID"]},
    {"EQ_eventID": shown[3]["eventID"] + "," + shown[7]["eventID"]},
    {"GE_eventTime": "2025-12-01T03:00:00Z"},
    {"LT_eventTime": "2025-12-01T03:00:00Z"},
    {"GE_eventTime": "2025-11-29T00:00:00+01:00", "LT_eventTime": "2025-12-01T05:00:00Z"},
    {"GE_recordTime": mid_rt}, {"LT_recordTime": mid_rt},
    {"orderBy": "recordTime"}, {"orderBy": "eventTime", "orderDirection": "DESC"},
    {"orderBy": "recordTime", "orderDirection": "DESC"},
    {"MATCH_epc": "urn:epc:id:grai:5412345.00001.C2", "EQ_readPoint": "urn:epc:id:sgln:5412345.00002.0",
     "GE_eventTime": "2025-12-01T02:00:00Z", "orderDirection": "DESC"},
    {"EQ_bizStep": "inspecting", "EQ_action": "OBSERVE", "eventType": "ObjectEvent",
     "EQ_disposition": "in_progress", "LT_eventTime": "2025-12-01T08:00:00Z"},
]
empty = 0
for p in every:
    w, _ = same(p)
    empty += not w
assert empty <= 1, empty  # the filters select something (a test that cannot fail is no test)
# paging: all 17 in 9 pages of 2, in 4 pages of 5, in one page by default
w, pages = same({}, per=2); assert len(w) == 17 and pages == 9, pages
w, pages = same({}, per=5); assert pages == 4, pages
got, pages = query("/events", {}, per=1000); assert pages == 1 and len(got) == 17
st, h, body = get(base + "/events"); assert "Link" not in h and len(json.loads(body)["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 17

# the other forms of the same identifiers and values: the same answers
def eq(a, b, path_b="/events"):
    x, _ = query("/events", a); y, _ = query(path_b, b)
    assert x == y and x, (a, b, x, y)
eq({"MATCH_epc": "urn:epc:id:sgtin:5412345.000012.P1001"},
   {"MATCH_epc": "https://id.gs1.org/01/05412345000129/21/P1001"})
eq({"MATCH_anyEPC": "urn:epc:id:sscc:5412345.0000000001"},
   {"MATCH_anyEPC": "https://id.gs1.org/00/054123450000000013"})
eq({"MATCH_epc": "urn:epc:id:grai:5412345.00001.C1"},
   {"MATCH_epc": "https://example.com/8003/05412345000013C1"})
eq({"EQ_readPoint": "urn:epc:id:sgln:5412345.00001.0"},
   {"EQ_readPoint": "https://id.gs1.org/414/5412345000013"})
eq({"EQ_bizStep": "shipping"}, {"EQ_bizStep": "https://ref.gs1.org/cbv/BizStep-shipping"})
eq({"EQ_bizStep": "shipping"}, {"EQ_bizStep": "urn:epcglobal:cbv:bizstep:shipping"})
eq({"EQ_disposition": "in_transit"}, {"EQ_disposition": "cbv:Disp-in_transit"})

# the resource paths
enc = lambda s: urllib.parse.quote(s, safe="")
eq({"MATCH_anyEPC": "urn:epc:id:sscc:5412345.0000000001"}, {}, "/epcs/" + enc("urn:epc:id:sscc:5412345.0000000001") + "/events")
eq({"MATCH_anyEPC": "urn:epc:id:sscc:5412345.0000000001"}, {}, "/epcs/" + enc("https://id.gs1.org/00/054123450000000013") + "/events")
eq({"eventType": "AggregationEvent"}, {}, "/eventTypes/AggregationEvent/events")
eq({"EQ_bizStep": "inspecting"}, {}, "/bizSteps/inspecting/events")
eq({"EQ_disposition": "in_transit"}, {}, "/dispositions/in_transit/events")
eq({"EQ_bizLocation": "urn:epc:id:sgln:5412345.00002.0"}, {}, "/bizLocations/" + enc("urn:epc:id:sgln:5412345.00002.0") + "/events")
eq({"EQ_readPoint": "urn:epc:id:sgln:5412345.00001.0", "GE_eventTime": "2025-12-01T04:00:00Z"},
   {"GE_eventTime": "2025-12-01T04:00:00Z"}, "/readPoints/" + enc("urn:epc:id:sgln:5412345.00001.0") + "/events")

# one event
eid = shown[2]["eventID"]
for u in (base + "/events/" + enc(eid), base + "/events/" + re.search(r";([0-9a-f]{64})", eid).group(1)):
    st, h, body = get(u)
    e = json.loads(body)
    assert st == 200 and e["eventID"] == eid and e["type"] == shown[2]["type"], (u, st, body[:200])
    checks += 1
for u in ("/events/" + enc(priv), "/events/" + "0" * 64):
    st, h, body = get(base + u); assert st == 404, (u, st); checks += 1
st, h, body = get(base + "/eventTypes")
assert st == 200 and "ObjectEvent" in json.loads(body) and len(json.loads(body)) == 5
# discovery: the values the shown events use, once each, sorted
for path, f in (("/bizSteps", lambda e: e.get("bizStep")), ("/dispositions", lambda e: e.get("disposition")),
                ("/readPoints", lambda e: e.get("readPoint", {}).get("id")),
                ("/bizLocations", lambda e: e.get("bizLocation", {}).get("id"))):
    st, h, body = get(base + path)
    w = sorted({f(e) for e in shown if f(e)})
    assert st == 200 and json.loads(body) == w and len(w) >= 2, (path, body, w)
    assert h.get("GS1-EPCIS-Version") == "2.0.0"
    checks += 1

# never shown: the private event, the partner's
allq, _ = query("/events", {}, 1000)
assert priv not in allq and not any(l["eventID"] in allq for l in log if l["feed"] != me)
got, _ = query("/events", {"MATCH_epc": "urn:epc:id:sgtin:5412345.000012.PRIV1"})
assert got == [], got

# bad parameters: 400, QueryParameterException naming the parameter
bad = [("foo=1", "foo"), ("eventType=Foo", "eventType"), ("EQ_action=MOVE", "EQ_action"),
       ("EQ_bizStep=packng", "EQ_bizStep"), ("EQ_disposition=cbv:BizStep-shipping", "EQ_disposition"),
       ("GE_eventTime=yesterday", "GE_eventTime"), ("LT_recordTime=2025-12-01", "LT_recordTime"),
       ("orderBy=bizStep", "orderBy"), ("orderDirection=UP", "orderDirection"),
       ("perPage=0", "perPage"), ("perPage=1001", "perPage"), ("perPage=x", "perPage"),
       ("nextPageToken=abc", "nextPageToken"), ("nextPageToken=ea1.2&orderDirection=DESC", "nextPageToken"),
       ("MATCH_epc=urn:epc:id:sgtin:5412345.000012.*", "MATCH_epc"),
       ("MATCH_epc=urn:epc:id:sgtin:54123.1", "MATCH_epc"),
       ("eventType=ObjectEvent&eventType=ObjectEvent", "eventType"), ("EQ_action=", "EQ_action"),
       ("MATCH_anyEPC=x", "MATCH_anyEPC")]
for qs, name in bad:
    st, h, body = get(base + "/events?" + qs)
    d = json.loads(body) if st == 400 else {}
    assert st == 400 and h["Content-Type"] == "application/problem+json" and \
        d["type"].endswith("#QueryParameterException") and d["detail"].startswith(name + ":"), (qs, st, body[:300])
    checks += 1
st, h, body = get(base + "/bizSteps/inspecting/events?EQ_bizStep=shipping"); assert st == 400, st
print(checks, "query checks passed")
EOF
ok
# OPTIONS and a method not served
got=$(curl -s -o /dev/null -D "$T/opt.h" -w '%{http_code}' -X OPTIONS "$B/events")
[ "$got" = 204 ] && grep -qi "^allow: GET, HEAD, OPTIONS" "$T/opt.h" && grep -qi "^GS1-EPCIS-Max: 2.0.0" "$T/opt.h" || fail "OPTIONS /events: $got"; ok
got=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$B/events")
[ "$got" = 405 ] || fail "DELETE /events: $got"; ok
got=$(curl -s -o /dev/null -w '%{http_code}' -I "$B/events?EQ_bizStep=inspecting")
[ "$got" = 200 ] || fail "HEAD /events: $got"; ok
# the resolver still answers next to the query routes
got=$(curl -s -o /dev/null -w '%{http_code}' "$B/01/05412345000129/21/P1001")
[ "$got" = 307 ] || fail "resolver: $got"; ok
# EPCIS XML when Accept asks for it: the same events as the JSON-LD answer,
# valid against GS1's query XSD; JSON-LD stays the default
QXSD="$KETEN_SHARED/conformance/epcis-schema/XSD/EPCglobal-epcis-query-2_0.xsd"
curl -s -D "$T/x.h" -H 'Accept: application/xml' "$B/events?EQ_bizStep=inspecting&perPage=100" >"$T/q.xml"
grep -qi '^content-type: application/xml' "$T/x.h" || fail "Accept: application/xml got $(grep -i content-type "$T/x.h")"; ok
xmllint --noout --schema "$QXSD" "$T/q.xml" 2>"$T/xmllint" || { head -5 "$T/xmllint"; fail "XML answer not valid"; }; ok
curl -s "$B/events?EQ_bizStep=inspecting&perPage=100" >"$T/q.json"
nj=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["epcisBody"]["queryResults"]["resultsBody"]["eventList"]))' "$T/q.json")
nx=$(grep -o '<ObjectEvent' "$T/q.xml" | wc -l)
[ "$nj" -ge 12 ] && [ "$nj" = "$nx" ] || fail "XML answer has $nx events, JSON-LD $nj"; ok
curl -s -D "$T/x.h" -o /dev/null -H 'Accept: */*' "$B/events?EQ_bizStep=inspecting"
grep -qi '^content-type: application/ld+json' "$T/x.h" || fail "Accept: */* is not JSON-LD"; ok
echo "third party: every answer validated against GS1's EPCIS-JSON-Schema.json by python3-jsonschema"
done_checks
