#!/usr/bin/env bash
# EPCIS 2.0 capture over HTTP with bearer tokens (docs/http.md "Capture",
# "Tokens"; node/node_capture.h, node_token.h, node_writer.h) through the
# real `keten node --http` on 127.0.0.1 with free ports, replicating with a
# partner:
#   - keten token add/list/remove/revoke (revoke: a token refused with 401 at
#     its next request); a running node sees each change at once
#     (no restart); tokens.json holds hashes only, mode 0600;
#   - the rule: no tokens -> queries open, capture 401 (saying keten token
#     add); tokens -> /events needs scope query (401 without or with an
#     unknown token, WWW-Authenticate: Bearer; 403 without the scope),
#     /capture needs scope capture; the resolver stays public; after every
#     token is removed the queries stay closed;
#   - POST /capture -> 202 + Location -> GET /capture/{id} until done ->
#     success; the CaptureJob validated against the openapi's schema;
#     GET /events finds the events; the partner node receives them;
#   - a bad document: job failed, the error names the event, nothing stored;
#   - EPCIS XML capture (application/xml, text/xml; 1.2 and 2.0), malformed XML
#     fails its job; GET /events with Accept: application/xml answers an
#     EPCISQueryDocument in XML, valid against GS1's query XSD (xmllint);
#   - the same eventIDs again: job failed (as keten record: refused),
#     nothing stored; a body over the limit: 413; more events than
#     GS1-EPCIS-Capture-Limit: job failed (CaptureLimitExceededException);
#   - two captures at once: both stored; POST /events with one event: 201
#     once stored, Location /events/{eventID} (percent-encoded) read back by
#     the query route, 409 duplicate, 400 bad field, 413 two events, a
#     pipelined request behind it answered after it;
#     GS1-Capture-Error-Behaviour: the same mixed document (a bad event, a
#     duplicate of a stored event, one twice in it) refused whole under
#     rollback, its good events stored under proceed with an error per bad
#     one naming its index; OPTIONS announces the limits.
set -eu
. "$(dirname "$0")/nodelib.bash"
OPENAPI="$KETEN_SHARED/conformance/epcis-schema/REST-Bindings/openapi.json"
S=$T/s P=$T/p

partners "$S" Slachthuis "$P" Verwerker
S_ID=$(id_of "$S")
# a bigger body limit, to reach the event-count limit below it
python3 - "$S/keten.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["http"] = {"maxBodyBytes": 4194304}
json.dump(d, open(sys.argv[1], "w"))
EOF
expect 0 --home "$S" token list
contains "$T/out" "no tokens"
[ ! -e "$S/tokens.json" ] || fail "token list made tokens.json"; ok

HPORT=$(free_port)
B="http://127.0.0.1:$HPORT"
start_node "$P" "$LISTEN_PORT"
"$KETEN" --home "$S" node --http "127.0.0.1:$HPORT" 2>>"$S.log" &
NODE_PIDS+=($!)
up() { curl -s -o /dev/null "$B/eventTypes"; }
WHY="the HTTP server answers" wait_until 10 up

PYJ=python3
python3 -c 'import jsonschema' 2>/dev/null || PYJ=/usr/bin/python3
"$PYJ" -c 'import jsonschema' || fail "no jsonschema for $PYJ (apt-get install python3-jsonschema)"

# phase 1: no token was ever made
"$PYJ" - "$B" <<'EOF' || fail "before tokens"
import sys, urllib.request, urllib.error, json
base = sys.argv[1]
def req(method, path, body=None, headers={}):
    r = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(r) as a:
            return a.status, dict(a.headers), a.read()
    except urllib.error.HTTPError as h:
        return h.code, dict(h.headers), h.read()
st, h, b = req("GET", "/events")
assert st == 200, (st, b)                       # queries open
st, h, b = req("POST", "/capture", b'{"type":"ObjectEvent"}', {"Content-Type": "application/ld+json"})
assert st == 401, (st, b)
assert h.get("WWW-Authenticate", "").startswith("Bearer"), h
assert "keten --home HOME token add" in json.loads(b)["detail"], b
EOF
ok

# tokens made while the node runs
T_ALL=$("$KETEN" --home "$S" token add erp --scope capture,query 2>"$T/err") || fail "token add erp"
contains "$T/err" "shown this once"
T_CAP=$("$KETEN" --home "$S" token add wms --scope capture 2>/dev/null) || fail "token add wms"
T_RD=$("$KETEN" --home "$S" token add viewer --scope query 2>/dev/null) || fail "token add viewer"
[[ "$T_ALL" =~ ^keten_[A-Za-z0-9_-]{43}$ ]] || fail "token format: $T_ALL"; ok
[ "$T_ALL" != "$T_CAP" ] || fail "two tokens alike"; ok
expect 0 --home "$S" token list
contains "$T/out" "erp"
contains "$T/out" "capture,query"
contains "$T/out" "viewer"
! grep -qF "$T_ALL" "$T/out" || fail "token list shows a token"; ok
! grep -qF "$T_ALL" "$S/tokens.json" || fail "tokens.json holds a token itself"; ok
[ "$(stat -c %a "$S/tokens.json")" = 600 ] || fail "tokens.json is not 0600"; ok
expect 3 --home "$S" token add erp --scope query          # the name is taken
expect 2 --home "$S" token add x --scope delete           # no such scope
expect 0 --home "$S" token list --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [t["name"] for t in d]==["erp","wms","viewer"], d' "$T/out" || fail "token list --json"; ok

N0=$(nlines "$S")
"$PYJ" - "$B" "$T_ALL" "$T_CAP" "$T_RD" "$OPENAPI" "$S_ID" "$T" <<'EOF' || fail "capture"
import sys, json, time, threading, urllib.request, urllib.error, subprocess
import jsonschema
base, t_all, t_cap, t_rd, openapi, me, tmp = sys.argv[1:8]
api = json.load(open(openapi))
# The openapi's CaptureJob says "errors" or "errorFile" with a oneOf of two
# subschemas that only describe properties: every object matches both, so
# as written no job can validate.  What it means is that one of the two is
# present: each branch gets its "required".
branches = api["components"]["schemas"]["CaptureJob"]["allOf"][1]["oneOf"]
for br in branches:
    br["required"] = list(br["properties"])
job_schema = {"$ref": "#/components/schemas/CaptureJob", "components": api["components"]}
jobv = jsonschema.Draft7Validator(job_schema, format_checker=jsonschema.FormatChecker())

def req(method, path, body=None, token=None, ctype="application/ld+json", headers=None):
    hd = dict(headers or {})
    if token:
        hd["Authorization"] = "Bearer " + token
    if body is not None and ctype:
        hd["Content-Type"] = ctype
    r = urllib.request.Request(base + path, data=body, method=method, headers=hd)
    try:
        with urllib.request.urlopen(r, timeout=30) as a:
            return a.status, dict(a.headers), a.read()
    except urllib.error.HTTPError as h:
        return h.code, dict(h.headers), h.read()

CTX = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
def ev(serial, minute, eid=None, epc=None):
    e = {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
         "eventTime": "2025-12-01T%02d:%02d:00Z" % (10 + minute // 60 % 10, minute % 60), "eventTimeZoneOffset": "+00:00",
         "epcList": [epc or "urn:epc:id:sgtin:5412345.000012.%s" % serial]}
    if eid:
        e["eventID"] = eid
    return e
def doc(events):
    return json.dumps({"@context": CTX, "type": "EPCISDocument", "schemaVersion": "2.0",
                       "creationDate": "2025-12-01T11:00:00Z",
                       "epcisBody": {"eventList": events}}).encode()

def capture(body, token=t_cap, **kw):
    st, h, b = req("POST", "/capture", body, token, **kw)
    assert st == 202, (st, b)
    loc = h["Location"]
    assert loc.startswith("/capture/"), loc
    for n in ("GS1-EPCIS-Version", "GS1-CBV-Version"):
        assert h.get(n) == "2.0.0", h
    return loc

def wait_job(loc, token=t_cap):
    for _ in range(300):
        st, h, b = req("GET", loc, token=token)
        assert st == 200, (st, b)
        job = json.loads(b)
        errs = list(jobv.iter_errors(job))
        assert not errs, [e.message for e in errs]
        assert job["captureID"] == loc.split("/")[-1], job
        if not job["running"]:
            assert "finishedAt" in job, job
            return job
        time.sleep(0.05)
    raise AssertionError("job did not finish: " + loc)

def count():
    out = subprocess.run([sys.argv[0] if False else __import__("os").environ["KETEN"], "--home",
                          tmp + "/s", "log", "--json"], capture_output=True, text=True, check=True)
    return len(out.stdout.splitlines())

# -- the rule once tokens exist
for tok, want in ((None, 401), ("keten_nosuchtoken", 401), (t_cap, 403), (t_rd, 200), (t_all, 200)):
    st, h, b = req("GET", "/events", token=tok)
    assert st == want, (tok, st, b)
    if st == 401:
        assert h.get("WWW-Authenticate", "").startswith("Bearer"), h
        assert json.loads(b)["type"].endswith("SecurityException"), b
st, h, b = req("GET", "/eventTypes")
assert st == 401, st                              # every query route
st, h, b = req("GET", "/.well-known/gs1resolver")
assert st == 200, st                              # the resolver stays public
for tok, want in ((None, 401), ("garbage", 401), (t_rd, 403)):
    st, h, b = req("POST", "/capture", doc([ev("A0", 0)]), tok)
    assert st == want, (tok, st, b)
st, h, b = req("GET", "/capture", token=t_rd)
assert st == 403, st

# -- OPTIONS, error behaviour, content type
st, h, b = req("OPTIONS", "/capture")
assert st == 204 and "POST" in h["Allow"], (st, h)
assert h["GS1-EPCIS-Capture-Limit"] == "10000", h
assert h["GS1-EPCIS-Capture-File-Size-Limit"] == "4194304", h
assert h["GS1-Capture-Error-Behaviour"] == "all", h     # rollback and proceed
st, h, b = req("POST", "/capture", doc([ev("A0", 0)]), t_cap,
               headers={"GS1-Capture-Error-Behaviour": "greedy"})
assert st == 400 and "greedy" in json.loads(b)["detail"], (st, b)
st, h, b = req("POST", "/capture", b"a=b", t_cap, ctype="application/x-www-form-urlencoded")
assert st == 415, (st, b)

# -- a good document
n0 = count()
good = [ev("G%d" % i, i) for i in range(5)]
loc = capture(doc(good), headers={"GS1-Capture-Error-Behaviour": "rollback"})
job = wait_job(loc)
assert job["success"] is True and job["errors"] == [], job
assert job["captureErrorBehaviour"] == "rollback", job
assert job["keten:stored"] == 5, job
assert count() == n0 + 5, (count(), n0)
st, h, b = req("GET", "/events?MATCH_epc=urn:epc:id:sgtin:5412345.000012.G3", token=t_rd)
assert st == 200, (st, b)
evs = json.loads(b)["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
assert len(evs) == 1 and evs[0]["epcList"] == ["urn:epc:id:sgtin:5412345.000012.G3"], evs
st, h, b = req("GET", "/events?EQ_bizStep=shipping&perPage=100", token=t_all)
assert len(json.loads(b)["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 5, b
open(tmp + "/after_good", "w").write(str(job["keten:lastSeq"]))

# -- EPCIS XML capture: application/xml and text/xml, 1.2 and 2.0 (read by
# content); malformed XML fails the job, nothing stored; the query answers
# an EPCISQueryDocument in XML when Accept asks for it (validated below)
def xml_doc(serials, ns="urn:epcglobal:epcis:xsd:1"):
    evs = "".join("<ObjectEvent><eventTime>2025-12-01T12:%02d:00Z</eventTime>"
                  "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><epcList>"
                  "<epc>urn:epc:id:sgtin:5412345.000012.%s</epc></epcList><action>OBSERVE</action>"
                  "<bizStep>urn:epcglobal:cbv:bizstep:receiving</bizStep></ObjectEvent>" % (i, s)
                  for i, s in enumerate(serials))
    return ('<epcis:EPCISDocument xmlns:epcis="%s" schemaVersion="1.2" '
            'creationDate="2025-12-01T12:00:00Z"><EPCISBody><EventList>%s</EventList>'
            '</EPCISBody></epcis:EPCISDocument>' % (ns, evs)).encode()
nx = count()
job = wait_job(capture(xml_doc(["X1", "X2"]), ctype="application/xml"))
assert job["success"] is True and job["keten:stored"] == 2, job
job = wait_job(capture(xml_doc(["X3"], "urn:epcglobal:epcis:xsd:2"), ctype="text/xml; charset=utf-8"))
assert job["success"] is True and job["keten:stored"] == 1, job
assert count() == nx + 3, (count(), nx)
job = wait_job(capture(b"<epcis:EPCISDocument xmlns:epcis='urn:epcglobal:epcis:xsd:2'><EPCISBody>",
                       ctype="application/xml"))
assert job["success"] is False, job
assert count() == nx + 3, "malformed XML stored something"
st, h, b = req("GET", "/events?EQ_bizStep=receiving&perPage=100", token=t_rd,
               headers={"Accept": "application/xml"})
assert st == 200 and h["Content-Type"] == "application/xml", (st, h)
assert b.count(b"<ObjectEvent") == 3 and b"<epcisq:EPCISQueryDocument" in b, b[:500]
open(tmp + "/query.xml", "wb").write(b)
st, h, b = req("GET", "/events?EQ_bizStep=receiving", token=t_rd,
               headers={"Accept": "text/html, application/ld+json;q=0.9, application/xml;q=0.8"})
assert st == 200 and h["Content-Type"].startswith("application/ld+json"), (st, h)
st, h, b = req("GET", "/events?EQ_bizStep=receiving", token=t_rd,
               headers={"Accept": "application/ld+json;q=0, text/xml"})
assert st == 200 and h["Content-Type"] == "application/xml", (st, h)

# -- a bad document: event 2 has a bad EPC; nothing of it is stored
n1 = count()
bad = [ev("B0", 1), ev("B1", 2), ev("B2", 3, epc="urn:epc:id:sgtin:nonsense")]
job = wait_job(capture(doc(bad)))
assert job["success"] is False and len(job["errors"]) == 1, job
d = job["errors"][0]["detail"]
assert "event 2" in d and "epcList" in d, d
assert job["errors"][0]["type"].endswith("ValidationException"), job
assert count() == n1, "a failed capture stored something"
# not JSON at all
job = wait_job(capture(b'{"type": "EPCISDocument", '))
assert job["success"] is False and job["errors"][0]["detail"], job

# -- the same eventIDs again: refused as keten record refuses, nothing stored
ids = ["urn:uuid:6f1c0a5e-0000-4000-8000-00000000000%d" % i for i in range(3)]
job = wait_job(capture(doc([ev("D%d" % i, i, ids[i]) for i in range(3)])))
assert job["success"] is True, job
n2 = count()
again = [ev("E0", 9, "urn:uuid:6f1c0a5e-0000-4000-8000-0000000000ff"), ev("D1", 1, ids[1])]
job = wait_job(capture(doc(again)))
assert job["success"] is False, job
d = job["errors"][0]["detail"]
assert d.startswith("document: event 1: eventID " + ids[1]) and "already" in d, d
assert "--skip-duplicates" not in d, d             # no CLI hint over HTTP
assert job["errors"][0]["status"] == 409, job
assert count() == n2, "a duplicate capture stored something"

# -- GS1-Capture-Error-Behaviour: the same mixed document, rollback then proceed
fresh = "urn:uuid:6f1c0a5e-0000-4000-8000-0000000000aa"
mixed = doc([ev("P0", 40), ev("P1", 41, epc="urn:epc:id:sgtin:nonsense"), ev("P2", 42, ids[0]),
             ev("P3", 43, fresh), ev("P4", 44, fresh)])
job = wait_job(capture(mixed, headers={"GS1-Capture-Error-Behaviour": "rollback"}))
assert job["success"] is False and job["keten:stored"] == 0 and len(job["errors"]) == 1, job
assert "event 1" in job["errors"][0]["detail"] and "epcList" in job["errors"][0]["detail"], job
assert count() == n2, "rollback stored part of a bad document"
st, h, b = req("POST", "/capture", mixed, t_cap, headers={"GS1-Capture-Error-Behaviour": "proceed"})
assert st == 202 and h["GS1-Capture-Error-Behaviour"] == "proceed", (st, h)
job = wait_job(h["Location"])
assert job["captureErrorBehaviour"] == "proceed" and job["running"] is False, job
assert job["success"] is False, job          # some stored, errors occurred
assert job["keten:events"] == 5 and job["keten:stored"] == 2 and job["keten:failed"] == 3, job
errs = {e["keten:event"]: e for e in job["errors"]}
assert sorted(errs) == [1, 2, 4], job
assert errs[1]["status"] == 400 and "document: event 1: epcList" in errs[1]["detail"], errs[1]
assert errs[2]["status"] == 409 and ids[0] in errs[2]["detail"], errs[2]       # stored before
assert errs[4]["status"] == 409 and fresh in errs[4]["detail"], errs[4]        # twice in it
assert count() == n2 + 2, (count(), n2)
for serial, want in (("P0", 1), ("P1", 0), ("P3", 1)):
    st, h, b = req("GET", "/events?MATCH_epc=urn:epc:id:sgtin:5412345.000012." + serial, token=t_all)
    assert len(json.loads(b)["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == want, (serial, b)
# proceed with every event good: success, no errors; duplicates only: nothing stored
job = wait_job(capture(doc([ev("P5", 45)]), headers={"GS1-Capture-Error-Behaviour": "proceed"}))
assert job["success"] is True and job["errors"] == [] and job["keten:stored"] == 1, job
job = wait_job(capture(doc([ev("P6", 46, ids[1]), ev("P7", 47, ids[2])]),
                       headers={"GS1-Capture-Error-Behaviour": "proceed"}))
assert job["success"] is False and job["keten:stored"] == 0 and len(job["errors"]) == 2, job
assert count() == n2 + 3, (count(), n2)
n2 = count()

# -- over the body limit: 413 from the server, nothing stored
big = doc([ev("Z%d" % i, i % 60) for i in range(25000)])
assert len(big) > 4194304, len(big)
import http.client, urllib.parse
u = urllib.parse.urlparse(base)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
c.putrequest("POST", "/capture")
for k, v in (("Authorization", "Bearer " + t_cap), ("Content-Type", "application/ld+json"),
             ("Content-Length", str(len(big)))):
    c.putheader(k, v)
c.endheaders()              # the answer comes before the body is sent
r = c.getresponse()
assert r.status == 413, r.status
assert "4194304" in json.loads(r.read())["detail"]
c.close()
# -- more events than GS1-EPCIS-Capture-Limit (but under the byte limit)
many = json.dumps([{"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2025-12-01T10:00:00Z",
                    "eventTimeZoneOffset": "+00:00", "epcList": ["urn:epc:id:sgtin:5412345.000012.M"]}]
                  * 10001).encode()
assert len(many) < 4194304
job = wait_job(capture(many))
assert job["success"] is False, job
assert job["errors"][0]["type"].endswith("CaptureLimitExceededException"), job
assert "10001" in job["errors"][0]["detail"], job
assert count() == n2, "an over-limit capture stored something"

# -- two captures at once (and a third from a third thread): all stored
n3 = count()
docs = [doc([ev("C%d_%d" % (k, i), i) for i in range(200)]) for k in range(3)]
locs = [None] * 3
def go(k):
    locs[k] = capture(docs[k], token=t_all)
th = [threading.Thread(target=go, args=(k,)) for k in range(3)]
for t in th: t.start()
for t in th: t.join()
assert all(locs) and len(set(locs)) == 3, locs
for l in locs:
    job = wait_job(l)
    assert job["success"] is True and job["keten:stored"] == 200, job
assert count() == n3 + 600, (count(), n3)

# -- POST /events: one event, 201 once stored, Location: /events/{eventID}
n4 = count()
one = json.dumps(dict(ev("S1", 30), **{"@context": CTX})).encode()
st, h, b = req("POST", "/events", one, t_cap, ctype="application/json")
assert st == 201, (st, b)
assert count() == n4 + 1, "201 before the event was stored"
stored = json.loads(b)
eid = stored["eventID"]             # no eventID sent: its hash, ni:///sha-256;...?ver=CBV2.0
assert eid.startswith("ni:///sha-256;"), stored
loc = h["Location"]
assert loc == "/events/" + urllib.parse.quote(eid, safe=":"), (loc, eid)
assert h.get("GS1-EPCIS-Version") == "2.0.0", h
st, h, b = req("GET", loc, token=t_all)      # the query route reads the Location back
assert st == 200, (st, loc, b)
got = json.loads(b)                          # the one event
assert got["eventID"] == eid and got["epcList"] == stored["epcList"], got
# with its own eventID (a URN): the Location names it
mine = "urn:uuid:6f1c0a5e-0000-4000-8000-0000000000e1"
st, h, b = req("POST", "/events", json.dumps(ev("S4", 33, mine)).encode(), t_cap)
assert st == 201 and h["Location"] == "/events/" + mine, (st, h.get("Location"), b)
# the same again: 409, nothing stored
n5 = count()
st, h, b = req("POST", "/events", json.dumps(ev("S4", 33, mine)).encode(), t_cap)
assert st == 409, (st, b)
p = json.loads(b)
assert p["type"].endswith("ValidationException") and mine in p["detail"], p
# a bad event: 400 naming the field
st, h, b = req("POST", "/events", json.dumps(ev("S5", 34, epc="urn:epc:id:sgtin:nonsense")).encode(), t_cap)
assert st == 400, (st, b)
p = json.loads(b)
assert "epcList" in p["detail"] and p["type"].endswith("ValidationException"), p
# two events: over its limit of one
st, h, b = req("POST", "/events", doc([ev("S2", 31), ev("S3", 32)]), t_cap)
assert st == 413, (st, b)
assert json.loads(b)["type"].endswith("CaptureLimitExceededException"), b
assert count() == n5, "a refused POST /events stored something"
# pipelined on one connection behind a POST /events: answered in order
body = json.dumps(ev("S6", 35)).encode()
import socket
sk = socket.create_connection((u.hostname, u.port), timeout=10)
hdr = "Authorization: Bearer %s\r\nHost: x\r\n" % t_all
sk.sendall(("POST /events HTTP/1.1\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % (hdr, len(body))).encode() + body +
           ("GET /eventTypes HTTP/1.1\r\n%sConnection: close\r\n\r\n" % hdr).encode())
raw = b""
while True:
    k = sk.recv(65536)
    if not k:
        break
    raw += k
sk.close()
assert raw.startswith(b"HTTP/1.1 201 ") and raw.count(b"HTTP/1.1 200 ") == 1, raw[:300]
assert raw.index(b"HTTP/1.1 201 ") < raw.index(b"HTTP/1.1 200 "), raw[:300]
last = capture(doc([ev("L0", 36)])).split("/")[-1]
wait_job("/capture/" + last)

# -- the list of jobs, newest first
st, h, b = req("GET", "/capture", token=t_cap)
assert st == 200, st
jobs = json.loads(b)
assert len(jobs) >= 10 and jobs[0]["captureID"] == last, jobs[:2]
for j in jobs:
    assert not list(jobv.iter_errors(j)), j
st, h, b = req("GET", "/capture/cnosuchjob", token=t_cap)
assert st == 404, st
print("capture checks passed")
EOF
ok
# the XML query answer validates against GS1's query XSD
xmllint --noout --schema "$KETEN_SHARED/conformance/epcis-schema/XSD/EPCglobal-epcis-query-2_0.xsd" \
    "$T/query.xml" 2>"$T/xmllint" || { head -5 "$T/xmllint"; fail "the XML query answer is not valid"; }
ok
N1=$(nlines "$S")
[ "$N1" = $((N0 + 5 + 3 + 3 + 3 + 600 + 4)) ] || fail "stored $N1 entries, expected $((N0 + 618))"; ok

# the partner receives the captured events as it receives recorded ones
WANT=$(seq_of "$S" "$S_ID")
[ "$WANT" -ge 609 ] || fail "own seq $WANT"; ok
WHY="the partner has every captured event" wait_until 20 \
    bash -c "[ \"\$(\"$KETEN\" --home \"$P\" status --json | python3 -c 'import json,sys; print(next((f[\"seq\"] for f in json.load(sys.stdin)[\"feeds\"] if f[\"feed\"]==sys.argv[1]),0))' $S_ID)\" = $WANT ]"
expect 0 --home "$P" show "$(sed -n 's/.*"eventID":"\([^"]*\)".*/\1/p' "$T/nlines.out" | tail -1)"
contains "$T/out" "ObjectEvent"

# a capture reaches the partner promptly: from the 202 to the partner's
# store (polled with keten status) in under 2 s, three times
"$PYJ" - "$B" "$T_CAP" "$KETEN" "$P" "$S_ID" "$WANT" <<'EOF' || fail "prompt capture"
import sys, json, time, subprocess, urllib.request
base, tok, keten, p, sid, seq = sys.argv[1:7]
seq = int(seq)
for k in range(3):
    e = {"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2025-12-02T10:00:00Z",
         "eventTimeZoneOffset": "+00:00", "epcList": ["urn:epc:id:sgtin:5412345.000012.PR%d" % k]}
    t0 = time.time()
    r = urllib.request.Request(base + "/capture", data=json.dumps([e]).encode(), method="POST",
                               headers={"Authorization": "Bearer " + tok,
                                        "Content-Type": "application/json"})
    assert urllib.request.urlopen(r).status == 202
    seq += 1
    while True:
        d = json.loads(subprocess.run([keten, "--home", p, "status", "--json"],
                                      capture_output=True, text=True, check=True).stdout)
        if next((f["seq"] for f in d["feeds"] if f["feed"] == sid), 0) == seq:
            break
        assert time.time() - t0 < 2, "the capture did not reach the partner within 2 s"
        time.sleep(0.02)
    print("capture %d to the partner's store: %d ms" % (k, (time.time() - t0) * 1000))
EOF
ok

# removing tokens takes effect at once; with none left the queries stay closed
expect 0 --home "$S" token remove viewer
expect 1 --home "$S" token remove viewer
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code -H "Authorization: Bearer $T_RD" "$B/events")" = 401 ] || fail "a removed token still works"; ok
[ "$(code -H "Authorization: Bearer $T_ALL" "$B/events")" = 200 ] || fail "the other token broke"; ok
# revoke is remove by its other name: the revoked token is refused at once
[ "$(code -X POST -H "Authorization: Bearer $T_CAP" --data-binary '[]' "$B/capture")" != 401 ] ||
    fail "the capture token was refused before it was revoked"; ok
expect 0 --home "$S" token revoke wms
contains "$T/err" "revoked token wms"
[ "$(code -X POST -H "Authorization: Bearer $T_CAP" --data-binary '[]' "$B/capture")" = 401 ] ||
    fail "a revoked capture token still works"; ok
expect 1 --home "$S" token revoke wms # gone already
expect 2 --home "$S" token revoke     # no NAME
expect 2 --home "$S" token revoke erp --scope query
expect 0 --home "$S" token --help
contains "$T/out" "keten token revoke NAME"
expect 0 --home "$S" token remove erp
[ "$(code "$B/events")" = 401 ] || fail "queries opened again after the last token was removed"; ok
expect 0 --home "$S" token list
contains "$T/out" "no tokens (the query routes stay closed"
! grep -qi "$T_CAP\|$T_ALL\|$T_RD" "$S.log" || fail "a token is in the node's log"; ok
done_checks
