#!/usr/bin/env bash
# EPCIS 2.0 named queries (docs/http.md "Named queries"; node/node_namedq.h)
# through the real `keten node --http` on 127.0.0.1 with free ports, while
# it replicates with a partner:
#   - creating and deleting need a token of scope query, also before any
#     token exists (401); reading follows the query routes (open, then
#     scope query); a capture-only token is 403;
#   - POST /queries with an object (the openapi's QueryDefinition) and with
#     a query string: 201 + Location; 409 for a name taken; 400 for a bad
#     name, a bad body, an unknown or bad parameter, perPage in the
#     definition; 415;
#   - GET /queries, GET /queries/{name}; GET /queries/{name}/events equal
#     to GET /events with the same parameters (also the partner's
#     replicated events, to a token holder; never the private one), paged with perPage through nextPageToken; another parameter
#     there is a 400;
#   - the queries survive a restart of the node (queries.json, 0600);
#   - DELETE: 204, then 404; OPTIONS.
set -eu
. "$(dirname "$0")/nodelib.bash"
S=$T/s P=$T/p

partners "$S" Slachthuis "$P" Verwerker
S_ID=$(id_of "$S")
for i in 1 2 3 4 5; do
    expect 0 --home "$S" record --epc "urn:epc:id:sgtin:5412345.000012.Q$i" --biz-step shipping \
        --event-time "2025-12-01T10:0$i:00Z"
done
expect 0 --home "$S" record --epc urn:epc:id:sgtin:5412345.000012.Q9 --biz-step receiving \
    --event-time 2025-12-01T11:00:00Z
expect 0 --home "$S" record --private --epc urn:epc:id:sgtin:5412345.000012.QP \
    --biz-step shipping --event-time 2025-12-01T10:30:00Z
expect 0 --home "$P" record --epc urn:epc:id:sgtin:5412345.000012.Q7 --biz-step shipping \
    --event-time 2025-12-01T10:07:00Z

HPORT=$(free_port)
B="http://127.0.0.1:$HPORT"
start_node "$P" "$LISTEN_PORT"
start_s() {
    "$KETEN" --home "$S" node --http "127.0.0.1:$HPORT" 2>>"$S.log" &
    NODE_PIDS+=($!)
    S_PID=$!
}
start_s
up() { curl -s -o /dev/null "$B/eventTypes"; }
WHY="the HTTP server answers" wait_until 10 up
WHY="the partners converge" wait_until 20 same_heads "$S" "$P"

# phase 1: no token yet: reading is open, creating is not
python3 - "$B" <<'EOF' || fail "before tokens"
import sys, json, urllib.request, urllib.error
base = sys.argv[1]
def req(method, path, body=None, headers={}):
    r = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(r) as a:
            return a.status, dict(a.headers), a.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
st, h, b = req("GET", "/queries")
assert st == 200 and json.loads(b) == [], (st, b)
st, h, b = req("POST", "/queries", json.dumps({"name": "x", "query": {}}).encode(),
               {"Content-Type": "application/json"})
assert st == 401, (st, b)
assert "token add" in json.loads(b)["detail"], b
assert h.get("WWW-Authenticate", "").startswith("Bearer"), h
print("phase 1 ok")
EOF
ok

expect 0 --home "$S" token add erp --scope query
Q=$(grep -o 'keten_[A-Za-z0-9_-]*' "$T/out" | head -1)
expect 0 --home "$S" token add loader --scope capture
C=$(grep -o 'keten_[A-Za-z0-9_-]*' "$T/out" | head -1)
[ -n "$Q" ] && [ -n "$C" ] || fail "no token text"; ok

cat >"$T/check.py" <<'EOF'
import sys, json, urllib.request, urllib.error
base, Q, C, sid, phase = sys.argv[1:6]
def req(method, path, body=None, headers={}, token=None):
    headers = dict(headers)
    if token:
        headers["Authorization"] = "Bearer " + token
    r = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(r) as a:
            return a.status, dict(a.headers), a.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
def post(body, token=Q, ctype="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return req("POST", "/queries", data, {"Content-Type": ctype}, token)
def events(doc):
    return doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
def page_all(path, token=Q):
    out, pages = [], 0
    while True:
        st, h, b = req("GET", path, token=token)
        assert st == 200, (path, st, b)
        out += events(json.loads(b))
        pages += 1
        assert pages < 50
        link = h.get("Link")
        if not link:
            return out, pages
        assert link.endswith('>; rel="next"'), link
        path = link[1:link.index(">")]

if phase == "create":
    st, h, b = post({"name": "ship", "query": {"EQ_bizStep": ["shipping"]}}, token=C)
    assert st == 403, (st, b)
    st, h, b = post({"name": "ship", "query": {"EQ_bizStep": ["shipping"]}}, token="keten_nonsense")
    assert st == 401, (st, b)
    st, h, b = post({"name": "ship", "query": {"EQ_bizStep": ["shipping"]}})
    assert st == 201, (st, b)
    assert h["Location"] == "/queries/ship", h
    assert h.get("GS1-EPCIS-Version") == "2.0.0", h
    st, h, b = post({"name": "ship", "query": {"EQ_bizStep": "receiving"}})
    assert st == 409 and "ResourceAlreadyExists" in json.loads(b)["type"], (st, b)
    # the query string form; lists as commas
    st, h, b = post({"name": "q7.and-9", "query": "MATCH_epc=urn:epc:id:sgtin:5412345.000012.Q7,"
                     "urn:epc:id:sgtin:5412345.000012.Q9&orderDirection=DESC"})
    assert st == 201, (st, b)
    for bad, word in [({"name": "no/slash", "query": {}}, "name"),
                      ({"name": "", "query": {}}, "name"),
                      ({"name": "x", "query": {"EQ_nonsense": "1"}}, "EQ_nonsense"),
                      ({"name": "x", "query": {"perPage": "2"}}, "perPage"),
                      ({"name": "x", "query": {"EQ_action": "JUMP"}}, "EQ_action"),
                      ({"name": "x", "query": {"GE_eventTime": "yesterday"}}, "GE_eventTime"),
                      ({"name": "x", "query": {"EQ_bizStep": {"a": 1}}}, "EQ_bizStep"),
                      ({"name": "x", "query": 7}, "query"),
                      ([1, 2], "body")]:
        st, h, b = post(bad)
        assert st == 400, (bad, st, b)
        d = json.loads(b)["detail"]
        assert word in d or word == "body", (bad, d)
    st, h, b = post(b"{not json")
    assert st == 400, (st, b)
    st, h, b = post({"name": "x", "query": {}}, ctype="text/plain")
    assert st == 415, (st, b)
    st, h, b = req("GET", "/queries/x")
    assert st == 401, (st, b)  # tokens exist now: reading needs one
    print("create ok")

if phase in ("create", "restarted"):
    st, h, b = req("GET", "/queries", token=Q)
    assert st == 200, (st, b)
    assert json.loads(b) == [{"name": "ship", "query": {"EQ_bizStep": ["shipping"]}},
                             {"name": "q7.and-9", "query": {"MATCH_epc": [
                                 "urn:epc:id:sgtin:5412345.000012.Q7",
                                 "urn:epc:id:sgtin:5412345.000012.Q9"],
                                 "orderDirection": "DESC"}}], b
    st, h, b = req("GET", "/queries/ship", token=Q)
    d = json.loads(b)
    assert st == 200 and d["name"] == "ship" and d["createdBy"] == "erp", (st, b)
    assert d["query"] == {"EQ_bizStep": ["shipping"]}, d
    # the answer is GET /events's, also paged; the partner's event in it
    named, pages = page_all("/queries/ship/events?perPage=2")
    direct, _ = page_all("/events?EQ_bizStep=shipping")
    assert pages == 3, pages
    assert [e["eventID"] for e in named] == [e["eventID"] for e in direct], (named, direct)
    epcs = [e["epcList"][0][-2:] for e in named]
    assert epcs == ["Q1", "Q2", "Q3", "Q4", "Q5", "Q7"], epcs  # Q7 is the partner's, QP private
    named, _ = page_all("/queries/q7.and-9/events")
    assert [e["epcList"][0][-2:] for e in named] == ["Q9", "Q7"], named
    st, h, b = req("GET", "/queries/ship/events?EQ_action=ADD", token=Q)
    assert st == 400 and "EQ_action" in json.loads(b)["detail"], (st, b)
    st, h, b = req("GET", "/queries/nosuch/events", token=Q)
    assert st == 404, (st, b)
    st, h, b = req("GET", "/queries/ship/events", token=C)
    assert st == 403, (st, b)
    st, h, b = req("OPTIONS", "/queries/ship")
    assert st == 204 and "DELETE" in h["Allow"], (st, h)
    st, h, b = req("OPTIONS", "/queries")
    assert st == 204 and "POST" in h["Allow"], (st, h)
    st, h, b = req("PUT", "/queries/ship", b"{}", token=Q)
    assert st == 405, (st, b)
    print(phase, "ok")

if phase == "restarted":
    st, h, b = req("DELETE", "/queries/ship", token=C)
    assert st == 403, (st, b)
    st, h, b = req("DELETE", "/queries/ship", token=Q)
    assert st == 204, (st, b)
    st, h, b = req("GET", "/queries/ship", token=Q)
    assert st == 404 and "NoSuch" in json.loads(b)["type"], (st, b)
    st, h, b = req("DELETE", "/queries/ship", token=Q)
    assert st == 404, (st, b)
    st, h, b = req("GET", "/queries", token=Q)
    assert [q["name"] for q in json.loads(b)] == ["q7.and-9"], b
    print("delete ok")
EOF
python3 "$T/check.py" "$B" "$Q" "$C" "$S_ID" create || fail "create"
ok
[ "$(stat -c %a "$S/queries.json")" = 600 ] || fail "queries.json is not 0600"; ok

# the queries survive a restart
kill "$S_PID"
WHY="the node stopped" wait_until 10 bash -c "! kill -0 $S_PID"
start_s
WHY="the HTTP server answers again" wait_until 10 up
python3 "$T/check.py" "$B" "$Q" "$C" "$S_ID" restarted || fail "after the restart"
ok
done_checks
