#!/usr/bin/env bash
# Capture from a NATS JetStream subject (node/node_capture_nats.h,
# docs/stream.md "Capture") against Debian's real nats-server -js; the
# documents are published, and the dead letters read, by the independent
# Go client tests/tools/natsread (not keten's code).
#   - good documents (an EPCISDocument of two events with eventIDs, one
#     event without, EPCIS 1.2 XML) are recorded, signed, in the own feed;
#   - the first document published again: nothing more stored (its events
#     counted as duplicates), acked, not a dead letter;
#   - a document whose event 2 has a bad EPC: nothing of it stored (not its
#     good events either); it is on keten.capture.errors with Keten-Error
#     naming event 2 and epcList, its original body and subject; one log
#     line names the subject, the seq and the cause; so is a body that is
#     no JSON; status counts recorded, refused and the last cause;
#   - kill -9 of the node while it captures 1,500 messages of 20 events,
#     then a restart: every message's events are stored exactly once, none
#     half (the own feed holds each event once, 30,000 more in all);
#   - a stopped node's consumer is durable: messages published while it is
#     down are recorded when it is back;
#   - NATS restarted under the running node: one line says so, it connects
#     again and records what is published then (duplicates skipped);
#   - a consumer that cannot be made (the durable exists with another ack
#     wait): one log line naming the server and the cause, status says so,
#     the node serves on;
#   - bad input: --capture-from without a subject or with a non-NATS URL
#     exits 2 naming it; a subject that takes the dead-letter subject
#     (keten.>) exits 3 (every dead letter would come back).
set -eu
. "$(dirname "$0")/nodelib.bash"
A=$T/a

. "$(dirname "$0")/natslib.bash"
start_nats

# ---- bad input -------------------------------------------------------------------
mkhome "$A" Wasserij
FA=$(id_of "$A")
expect 2 --home "$A" node --capture-from "$URL"
contains "$T/err" "names no subject"
expect 2 --home "$A" node --capture-from "http://127.0.0.1:1/mes.events"
contains "$T/err" "not a NATS URL"
expect 2 --home "$A" node --capture-from "$URL/mes..events"
contains "$T/err" "subject \"mes..events\""
expect 3 --home "$A" node --capture-from "$URL/keten.>"
contains "$T/err" "the subject keten.> takes the dead-letter subject keten.capture.errors"

# the producers' stream, made by them (natsread), not by keten
"$NATSREAD" -server "$URL" -stream MES -mkstream 'mes.>' >/dev/null || fail "mkstream MES"
python3 - "$A/keten.json" "$URL" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["captureFrom"] = {"url": sys.argv[2] + "/mes.events", "ackWait": 2}
json.dump(c, open(sys.argv[1], "w"))
PY
start_a() {
    : >"$A.log"
    "$KETEN" --home "$A" node 2>>"$A.log" &
    A_PID=$!
    NODE_PIDS+=($A_PID)
    WHY="A takes mes.events" wait_until 10 log_has "$A" "capture: connected to $URL, taking mes.events"
}
start_a

# ---- good, duplicate and bad documents -----------------------------------------
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
CTX = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
def ev(serial, minute, eid=None, epc=None):
    e = {"type": "ObjectEvent", "eventTime": "2025-12-01T10:%02d:00.000Z" % minute,
         "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "receiving",
         "epcList": [epc or "urn:epc:id:sgtin:5412345.000012.%s" % serial]}
    if eid:
        e["eventID"] = eid
    return e
def doc(evs):
    return {"@context": CTX, "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2025-12-01T10:00:00Z", "epcisBody": {"eventList": evs}}
json.dump(doc([ev("G1", 1, "urn:uuid:3f1c0a5e-0000-4000-8000-000000000001"),
               ev("G2", 2, "urn:uuid:3f1c0a5e-0000-4000-8000-000000000002")]),
          open(t + "/good1.json", "w"))
json.dump(ev("G3", 3), open(t + "/good2.json", "w"))
json.dump(doc([ev("B0", 4), ev("B1", 5), ev("B2", 6, epc="urn:epc:id:sgtin:nonsense")]),
          open(t + "/bad.json", "w"))
open(t + "/notjson.json", "w").write('{"type": "EPCISDocument", ')
open(t + "/doc.xml", "w").write(
    '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" schemaVersion="1.2" '
    'creationDate="2025-12-01T12:00:00Z"><EPCISBody><EventList><ObjectEvent>'
    '<eventTime>2025-12-01T12:00:00Z</eventTime><eventTimeZoneOffset>+00:00'
    '</eventTimeZoneOffset><epcList><epc>urn:epc:id:sgtin:5412345.000012.X1</epc></epcList>'
    '<action>OBSERVE</action><bizStep>urn:epcglobal:cbv:bizstep:receiving</bizStep>'
    '</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>')
PY
"$NATSREAD" -server "$URL" -publish mes.events "$T/good1.json" "$T/good2.json" "$T/good1.json" \
    "$T/bad.json" "$T/notjson.json" "$T/doc.xml" >/dev/null || fail "publish"
capture_is() { # RECORDED REFUSED: the running node's status says so
    "$KETEN" --home "$A" status --json | python3 -c '
import json, sys
c = json.load(sys.stdin).get("capture", {})
sys.exit(0 if (c.get("recorded"), c.get("refused")) == (int(sys.argv[1]), int(sys.argv[2])) else 1)' "$@"
}
WHY="4 messages recorded, 2 refused" wait_until 20 capture_is 4 2
seq_is "$A" "$FA" 4 || fail "the own feed holds $(seq_of "$A" "$FA") entries, not 4"; ok
"$KETEN" --home "$A" status --json >"$T/st.json"
python3 - "$T/st.json" <<'PY' || fail "status: capture"
import json, sys
c = json.load(open(sys.argv[1]))["capture"]
assert c["state"] == "connected" and c["events"] == 4 and c["duplicates"] == 2, c
assert c["subject"] == "mes.events" and c["deadLetter"] == "keten.capture.errors", c
assert "mes.events (seq 5)" in c["lastRefused"], c
PY
ok
"$KETEN" --home "$A" status >"$T/st.txt"
contains "$T/st.txt" "capture: keten-capture from mes.events"
contains "$T/st.txt" "4 messages recorded (4 events, 2 duplicates skipped), 2 refused"
expect 0 --home "$A" export --out "$T/export.json"
python3 - "$T/export.json" <<'PY' || fail "the own feed's events"
import json, sys
evs = json.load(open(sys.argv[1]))["epcisBody"]["eventList"]
epcs = sorted(e["epcList"][0].rsplit(".", 1)[1] for e in evs)
assert epcs == ["G1", "G2", "G3", "X1"], epcs
PY
ok
expect 0 --home "$A" verify
# the dead letters, read by the independent client
"$NATSREAD" -server "$URL" -stream KETEN_CAPTURE_ERRORS -headers -body >"$T/dead" ||
    fail "natsread the dead letters"
python3 - "$T/dead" "$T/bad.json" "$T/notjson.json" <<'PY' || { cat "$T/dead"; fail "dead letters"; }
import sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[-1] == "END 2", lines[-1]
msgs, cur = [], None
for l in lines[:-1]:
    if l.startswith(("1 keten.capture.errors ", "2 keten.capture.errors ")):
        cur = {"h": {}}; msgs.append(cur)
    elif ": " in l and not l.startswith("{") and "body" not in cur:
        k, v = l.split(": ", 1); cur["h"][k] = v
    else:
        cur["body"] = l
bad, nj = open(sys.argv[2]).read(), open(sys.argv[3]).read()
m0, m1 = msgs
assert m0["body"] == bad, m0
e = m0["h"]["Keten-Error"]
assert "event 2" in e and "epcList" in e, e
assert m0["h"]["Keten-Capture-Subject"] == "mes.events" and m0["h"]["Keten-Capture-Seq"] == "4", m0
assert m0["h"]["Keten-Capture-Stream"] == "MES", m0
assert m1["body"] == nj and m1["h"]["Keten-Capture-Seq"] == "5" and m1["h"]["Keten-Error"], m1
PY
ok
[ "$(grep -c "capture: refused a message of mes.events" "$A.log")" = 2 ] ||
    { cat "$A.log"; fail "not one log line per refused message"; }; ok
grep "capture: refused a message of mes.events (seq 4), sent to keten.capture.errors: " "$A.log" |
    grep -q "event 2" || { cat "$A.log"; fail "the refusal line does not name the event"; }; ok

# ---- the consumer is durable: published while the node is down ----------------
kill "$A_PID"
wait "$A_PID" 2>/dev/null || true
python3 -c '
import json, sys
print(json.dumps({"type": "ObjectEvent", "eventTime": "2025-12-01T11:00:00Z",
    "eventTimeZoneOffset": "+00:00", "action": "OBSERVE",
    "epcList": ["urn:epc:id:sgtin:5412345.000012.W1"]}))' >"$T/while_down.json"
"$NATSREAD" -server "$URL" -publish mes.events "$T/while_down.json" >/dev/null || fail "publish"
start_a
WHY="the message published while down is recorded" wait_until 20 seq_is "$A" "$FA" 5

# ---- kill -9 mid-capture, then a restart: each event once ----------------------
python3 - "$T/many" 1500 20 <<'PY'
import json, os, sys
d, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(d)
for m in range(n):
    evs = []
    for i in range(k):
        e = {"type": "ObjectEvent", "eventTime": "2025-12-01T13:00:00.000Z",
             "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "receiving",
             "epcList": ["urn:epc:id:sgtin:5412345.000012.K%d-%d" % (m, i)]}
        if m % 2 == 0:  # half with eventIDs, half known by their hashes
            e["eventID"] = "urn:uuid:7a1c0a5e-0000-4000-8000-%012d" % (m * 100 + i)
        evs.append(e)
    json.dump({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
               "type": "EPCISDocument", "schemaVersion": "2.0",
               "creationDate": "2025-12-01T13:00:00Z", "epcisBody": {"eventList": evs}},
              open("%s/m%04d.json" % (d, m), "w"))
PY
kill "$A_PID"
wait "$A_PID" 2>/dev/null || true
"$NATSREAD" -server "$URL" -publish mes.events "$T"/many/m*.json >/dev/null || fail "publish 1500"
start_a
more_than() { [ "$(seq_of "$A" "$FA")" -gt "$1" ]; }
WHY="A captures" wait_until 30 more_than 5
kill -9 "$A_PID"
wait "$A_PID" 2>/dev/null || true
N=$(seq_of "$A" "$FA")
[ "$N" -lt 30005 ] || fail "the kill -9 did not come while capturing ($N entries)"; ok
[ $(((N - 5) % 20)) = 0 ] || fail "a message half recorded: $N entries"; ok
start_a
WHY="every message's events once each after kill -9" wait_until 90 seq_is "$A" "$FA" 30005
sleep 3 # past the ack wait: nothing is stored twice on a redelivery
seq_is "$A" "$FA" 30005 || fail "more than 30005 entries after redeliveries"; ok
expect 0 --home "$A" export --out "$T/export.json"
python3 - "$T/export.json" <<'PY' || fail "events twice or missing"
import json, sys
evs = json.load(open(sys.argv[1]))["epcisBody"]["eventList"]
epcs = [e["epcList"][0] for e in evs]
assert len(epcs) == 30005 and len(set(epcs)) == 30005, (len(epcs), len(set(epcs)))
PY
ok
echo "killed at $N of 30005 entries" >&2

# ---- NATS restarted under a running node: it connects again and goes on -------
counts() {
    "$KETEN" --home "$A" status --json | python3 -c '
import json, sys
c = json.load(sys.stdin)["capture"]
print(c["recorded"], c["refused"], c["duplicates"])'
}
read -r R0 F0 D0 < <(counts)
kill "$NATS_PID"
wait "$NATS_PID" 2>/dev/null || true
WHY="one line says the connection is lost" wait_until 10 log_has "$A" "capture: $URL: "
sleep 1
[ "$(grep -c "connecting again" "$A.log")" = 1 ] || { cat "$A.log"; fail "not one line for the lost connection"; }; ok
start_nats
WHY="A takes mes.events again" wait_until 20 eval '[ "$(grep -c "capture: connected to" "$A.log")" = 2 ]'
"$NATSREAD" -server "$URL" -publish mes.events "$T/good2.json" "$T/while_down.json" "$T/doc.xml" \
    "$T/notjson.json" >/dev/null || fail "publish after the restart"
python3 -c '
import json
print(json.dumps({"type": "ObjectEvent", "eventTime": "2025-12-01T14:00:00Z",
    "eventTimeZoneOffset": "+00:00", "action": "OBSERVE",
    "epcList": ["urn:epc:id:sgtin:5412345.000012.N1"]}))' >"$T/new.json"
"$NATSREAD" -server "$URL" -publish mes.events "$T/new.json" >/dev/null || fail "publish new"
WHY="the new event is recorded after NATS came back" wait_until 20 seq_is "$A" "$FA" 30006
WHY="4 more recorded (3 of them duplicates), 1 more refused" wait_until 10 eval \
    '[ "$(counts)" = "$((R0 + 4)) $((F0 + 1)) $((D0 + 3))" ]'
seq_is "$A" "$FA" 30006 || fail "stored twice after NATS restarted"; ok
kill "$A_PID"
wait "$A_PID" || { tail -20 "$A.log"; fail "the node did not stop cleanly"; }
log_has "$A" "stopped" || fail "no stopped line"; ok
expect 0 --home "$A" status
contains "$T/out" "capture: keten-capture from mes.events ($URL), node not running, dead letters to keten.capture.errors"

# ---- a consumer that cannot be made: one line naming server and cause ---------
python3 - "$A/keten.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["captureFrom"]["ackWait"] = 30  # the durable exists with 2 s
json.dump(c, open(sys.argv[1], "w"))
PY
: >"$A.log"
"$KETEN" --home "$A" node 2>>"$A.log" &
A_PID=$!
NODE_PIDS+=($A_PID)
WHY="one line names the consumer and the cause" wait_until 10 log_has "$A" \
    "capture: $URL: cannot make the pull consumer keten-capture on mes.events: "
grep -q "ack wait" "$A.log" || { cat "$A.log"; fail "the line does not say why"; }; ok
expect 0 --home "$A" record --epc urn:epc:id:sgtin:5412345.000012.L1 --biz-step shipping
sleep 2 # retried with backoff meanwhile: still one line, the node serves on
[ "$(grep -c "cannot make the pull consumer" "$A.log")" = 1 ] || { cat "$A.log"; fail "repeated"; }; ok
"$KETEN" --home "$A" status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["node"]["running"] and s["capture"]["state"] != "connected", s["capture"]
assert "ack wait" in s["capture"]["error"], s["capture"]' || fail "status: the consumer's error"
ok
kill "$A_PID"
wait "$A_PID" 2>/dev/null || true
done_checks
