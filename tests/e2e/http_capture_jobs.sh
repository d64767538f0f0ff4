#!/usr/bin/env bash
# Capture jobs that outlive a restart (docs/http.md "Capture jobs";
# node/node_jobs.h) through the real `keten node --http` on 127.0.0.1:
#   - jobs of every kind (stored, rolled back, proceed with errors) give the
#     same CaptureJob from GET /capture/{id} before and after the node is
#     stopped and started again, and GET /capture lists the same;
#   - GET /capture paged with perPage through nextPageToken (Link
#     rel="next") gives every kept job once, newest first; bad perPage and
#     nextPageToken are 400;
#   - bounded: after 520 jobs the node keeps the last 256 (older ones 404),
#     and the file is rewritten rather than growing without end;
#   - a job the file shows running (the node was killed while it ran) comes
#     back finished and failed, keten:interrupted;
#   - capture-jobs.jsonl is mode 0600 and starts with its version line; a
#     file of another kind stops the node with a message naming it.
set -eu
. "$(dirname "$0")/nodelib.bash"
H=$T/h
mkhome "$H" Slachthuis
HPORT=$(free_port)
B="http://127.0.0.1:$HPORT"
start() {
    "$KETEN" --home "$H" node --http "127.0.0.1:$HPORT" 2>>"$H.log" &
    NODE_PID=$!
    NODE_PIDS+=($NODE_PID)
    WHY="the HTTP server answers" wait_until 10 up
}
up() { curl -s -o /dev/null "$B/eventTypes"; }
stop() {
    kill -TERM "$NODE_PID"
    wait "$NODE_PID" 2>/dev/null || true
}
TOK=$("$KETEN" --home "$H" token add erp --scope capture,query 2>/dev/null) || fail "token add"
start

cat > "$T/jobs.py" <<'EOF'
import json, sys, time, http.client, urllib.parse
base, tok, mode, state = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
def req(method, path, body=None, headers={}):
    hd = {"Authorization": "Bearer " + tok, "Content-Type": "application/ld+json"}
    hd.update(headers)
    conn.request(method, path, body=body, headers=hd)
    r = conn.getresponse()
    return r.status, dict(r.getheaders()), r.read()
CTX = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
def ev(serial, minute, epc=None):
    return {"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2025-12-01T10:%02d:00Z" % (minute % 60),
            "eventTimeZoneOffset": "+00:00", "epcList": [epc or "urn:epc:id:sgtin:5412345.000012." + serial]}
def doc(events):
    return json.dumps({"@context": CTX, "type": "EPCISDocument", "schemaVersion": "2.0",
                       "creationDate": "2025-12-01T11:00:00Z", "epcisBody": {"eventList": events}}).encode()
def capture(body, **h):
    for _ in range(200):
        st, hd, b = req("POST", "/capture", body, h)
        if st != 503:                  # the writer's queue is full: as Retry-After says
            break
        assert hd.get("Retry-After") == "1", hd
        time.sleep(0.05)
    assert st == 202, (st, b)
    return hd["Location"]
def wait(loc):
    for _ in range(400):
        st, h, b = req("GET", loc)
        assert st == 200, (st, loc, b)
        j = json.loads(b)
        if not j["running"]:
            return j
        time.sleep(0.02)
    raise AssertionError("never finished: " + loc)
def pages(per):
    out, path, n = [], "/capture?perPage=%d" % per, 0
    while path:
        st, h, b = req("GET", path)
        assert st == 200, (st, b)
        page = json.loads(b)
        assert len(page) <= per, (per, len(page))
        out += page
        link = h.get("Link")
        path = None
        if link:
            assert link.endswith('>; rel="next"'), link
            path = link[1:link.index(">")]
        n += 1
        assert n < 1000
    return out

if mode == "before":
    saved = {}
    saved["good"] = wait(capture(doc([ev("J0", 1), ev("J1", 2)])))
    saved["bad"] = wait(capture(doc([ev("J2", 3), ev("J3", 4, "urn:epc:id:sgtin:nonsense")])))
    saved["proceed"] = wait(capture(doc([ev("J4", 5), ev("J5", 6, "urn:epc:id:sgtin:nonsense")]),
                                    **{"GS1-Capture-Error-Behaviour": "proceed"}))
    assert saved["good"]["success"] and not saved["bad"]["success"], saved
    assert saved["proceed"]["keten:stored"] == 1 and len(saved["proceed"]["errors"]) == 1, saved
    for k in range(5):
        wait(capture(doc([ev("K%d" % k, k)])))
    every = pages(2)
    assert len(every) == 8 and len({j["captureID"] for j in every}) == 8, every
    assert every[-1] == saved["good"] and every[0]["captureID"] != saved["good"]["captureID"], every
    st, h, b = req("GET", "/capture")
    assert json.loads(b) == every and "Link" not in h, (h, b)          # 8 < 30 per page
    for bad in ("perPage=0", "perPage=x", "perPage=257", "nextPageToken=abc", "nextPageToken=-1"):
        st, h, b = req("GET", "/capture?" + bad)
        assert st == 400, (bad, st, b)
    saved["list"] = every
    json.dump(saved, open(state, "w"))
elif mode == "after":
    saved = json.load(open(state))
    for k in ("good", "bad", "proceed"):
        st, h, b = req("GET", "/capture/" + saved[k]["captureID"])
        assert st == 200, (k, st, b)
        assert json.loads(b) == saved[k], (k, json.loads(b), saved[k])
    assert pages(3) == saved["list"], "the list changed across the restart"
    # more jobs: new ones are newer than the old ones, ordinals go on
    loc = capture(doc([ev("N0", 7)]))
    assert pages(100)[0]["captureID"] == loc.split("/")[-1]
elif mode == "many":
    first = None
    for k in range(520):
        loc = capture(doc([ev("M%d" % k, k)]))
        first = first or loc
    wait(loc)
    every = pages(100)
    assert len(every) == 256, len(every)
    assert every[0]["captureID"] == loc.split("/")[-1], every[0]
    st, h, b = req("GET", first)
    assert st == 404, (st, b)
    json.dump({"kept": [j["captureID"] for j in every]}, open(state, "w"))
elif mode == "kept":
    saved = json.load(open(state))
    assert [j["captureID"] for j in pages(256)] == saved["kept"]
elif mode == "interrupted":
    st, h, b = req("GET", "/capture/cinterrupted0000000000000")
    assert st == 200, (st, b)
    j = json.loads(b)
    assert j["running"] is False and j["success"] is False and j["keten:interrupted"] is True, j
    assert "finishedAt" in j and "stopped while this capture ran" in j["errors"][0]["detail"], j
print("ok", mode)
EOF

python3 "$T/jobs.py" "$B" "$TOK" before "$T/state.json" || fail "jobs before the restart"; ok
F=$H/capture-jobs.jsonl
[ "$(stat -c %a "$F")" = 600 ] || fail "capture-jobs.jsonl is mode $(stat -c %a "$F")"; ok
[ "$(head -1 "$F")" = '{"keten":"capture-jobs","version":1}' ] || fail "version line: $(head -1 "$F")"; ok
stop
start
python3 "$T/jobs.py" "$B" "$TOK" after "$T/state.json" || fail "jobs after the restart"; ok

# bounded: the last 256 kept, the file rewritten
python3 "$T/jobs.py" "$B" "$TOK" many "$T/state.json" || fail "520 jobs"; ok
L=$(wc -l <"$F")
[ "$L" -le $((4 * 256 + 1)) ] || fail "the jobs file has $L lines: never rewritten"; ok
stop
start
python3 "$T/jobs.py" "$B" "$TOK" kept "$T/state.json" || fail "kept jobs after a restart"; ok

# a job that was running when the node was killed
stop
printf '%s\n' '{"n":999999,"job":{"captureID":"cinterrupted0000000000000","createdAt":"2026-01-01T00:00:00.000Z","running":true,"success":true,"captureErrorBehaviour":"rollback","errors":[]}}' >>"$F"
printf '{"n":1000000,"job":{"captureID":"ctorn' >>"$F"     # a torn last line
start
python3 "$T/jobs.py" "$B" "$TOK" interrupted "$T/state.json" || fail "interrupted job"; ok

# a file of another kind: the node says which and does not start
stop
echo '{"something":"else"}' >"$F"
if "$KETEN" --home "$H" node --http "127.0.0.1:$HPORT" 2>"$T/err"; then fail "started with a foreign jobs file"; fi
contains "$T/err" "capture-jobs.jsonl is not a keten capture-jobs file"
done_checks
