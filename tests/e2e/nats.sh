#!/usr/bin/env bash
# Publishing to NATS JetStream (docs/stream.md; node/node_nats.h) against
# Debian's real nats-server -js on free 127.0.0.1 ports, read back by an
# independent client (tests/tools/natsread: Debian's Go client, not
# keten's code).  Two partners: A (Slachthuis) dials B (Verwerker) and
# publishes with --stream; B records some of its events --private.
#   - own and replicated events are in the stream once each, every feed's
#     entries 1..head in seq order, with the headers of docs/stream.md; the
#     body of every event is the line `keten export` writes for it; B's
#     private entry is published sealed (no body, no event hash);
#   - NATS stopped while events are recorded at A and at B: replication
#     goes on, status says the stream is down and counts the lag; NATS
#     started again: every event arrives, once, in order;
#   - kill -9 of A while it publishes 50,000 events: started again, nothing
#     lost, nothing twice;
#   - bad input: --stream with a non-NATS URL exits 2; a server nobody
#     listens at gets one log line naming it, a stream that exists with
#     other subjects one line naming its subjects, and replication goes on;
#     a message over the server's max payload one line naming feed:seq and
#     the limit, retried with backoff (not a line per retry), the feed's
#     lag 1 in status.
set -eu
. "$(dirname "$0")/nodelib.bash"
A=$T/a B=$T/b

. "$(dirname "$0")/natslib.bash"

# stream_ok N: the stream holds exactly N messages; per feed, seq 1..head
# once each, in seq order; headers and subjects as docs/stream.md says
stream_ok() {
    "$NATSREAD" -server "$URL" -stream KETEN -timeout 10s >"$T/msgs" 2>"$T/msgs.err" || return 1
    python3 - "$T/msgs" "$1" <<'EOF'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines and lines[-1] == "END %s" % sys.argv[2], lines[-1:]
last = {}
for l in lines[:-1]:
    sseq, subj, feed, seq, mid, evh, size = l.split(" ")
    assert re.fullmatch(r"[0-9a-f]{64}", feed), l
    assert mid == "%s:%s" % (feed, seq), l
    m = re.fullmatch(r"keten\.events\.([0-9a-f]{64})\.([A-Za-z]+)", subj)
    assert m and m.group(1) == feed, l
    if m.group(2) == "sealed":
        assert evh == "-" and size == "0", l
    else:
        assert evh.startswith("ni:///sha-256;") and int(size) > 0, l
    assert int(seq) == last.get(feed, 0) + 1, "out of order or twice: " + l
    last[feed] = int(seq)
EOF
}

partners "$A" Slachthuis "$B" Verwerker
for i in 1 2 3; do
    expect 0 --home "$A" record --epc "urn:epc:id:sgtin:5412345.000012.A$i" --biz-step shipping
done
for i in 1 2; do
    expect 0 --home "$B" record --epc "urn:epc:id:sgtin:5412345.000012.B$i" --biz-step receiving
done
expect 0 --home "$B" record --private --epc urn:epc:id:sgtin:5412345.000012.BP --biz-step packing
FA=$(id_of "$A") FB=$(id_of "$B")

# ---- bad input first: no server, a non-NATS URL --------------------------
expect 2 --home "$A" node --stream http://127.0.0.1:1
contains "$T/err" "not a NATS URL"

start_nats
start_node "$B" "$LISTEN_PORT"
"$KETEN" --home "$A" node --stream "$URL" 2>>"$A.log" &
A_PID=$!
NODE_PIDS+=($A_PID)
WHY="A holds B's three entries" wait_until 20 seq_is "$A" "$FB" 3
WHY="the stream holds the six entries" wait_until 20 stream_ok 6
log_has "$A" "stream: connected to $URL" || fail "no connected line"; ok
grep -c " keten.events.$FB.sealed $FB 3 $FB:3 - 0$" "$T/msgs" >/dev/null ||
    { cat "$T/msgs"; fail "B's private entry is not published sealed"; }; ok

# the bodies are what `keten export` writes for each event
"$NATSREAD" -server "$URL" -stream KETEN -body >"$T/bodies" || fail "natsread -body"
expect 0 --home "$A" export --out "$T/export.json"
python3 - "$T/bodies" "$T/export.json" <<'EOF' || fail "bodies differ from keten export"
import sys
lines = open(sys.argv[1]).read().splitlines()
bodies = sorted(lines[i + 1] for i in range(0, len(lines) - 1, 2) if not lines[i].endswith(" 0"))
exported = sorted(l.rstrip(",") for l in open(sys.argv[2]).read().splitlines() if l.startswith('{"type"'))
assert len(bodies) == 5 and bodies == exported, (bodies, exported)
EOF
ok
# the server holding the six does not mean the node has read its acks yet:
# status shows them in flight until it has (lag 0 within a few seconds)
stream_status_ok() {
    "$KETEN" --home "$A" status --json >"$T/st.json" &&
        python3 - "$T/st.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["stream"]
assert s["state"] == "connected" and s["lag"] == 0 and s["stream"] == "KETEN", s
EOF
}
WHY="status shows the stream connected and no lag" wait_until 10 stream_status_ok

# ---- NATS down while events are recorded ------------------------------------
stop_nats
for i in 1 2 3 4 5; do
    expect 0 --home "$A" record --epc "urn:epc:id:sgtin:5412345.000012.OA$i" --biz-step shipping
    expect 0 --home "$B" record --epc "urn:epc:id:sgtin:5412345.000012.OB$i" --biz-step receiving
done
WHY="replication goes on without NATS" wait_until 20 seq_is "$A" "$FB" 8
lag_is() {
    "$KETEN" --home "$A" status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)["stream"]
sys.exit(0 if s["state"] != "connected" and s["lag"] == int(sys.argv[1]) else 1)' "$1"
}
WHY="status shows the stream down, 10 behind" wait_until 10 lag_is 10
start_nats
WHY="every event arrives once NATS is back" wait_until 40 stream_ok 16

# ---- kill -9 while publishing ------------------------------------------------
kill -9 "$A_PID"
wait "$A_PID" 2>/dev/null || true
python3 - "$T/doc.json" 50000 <<'EOF'
import json, sys
n = int(sys.argv[2])
ev = [{"type": "ObjectEvent", "eventTime": "2025-12-01T09:00:00.000Z",
       "eventTimeZoneOffset": "+00:00", "epcList": ["urn:epc:id:sgtin:5412345.000012.K%d" % i],
       "action": "OBSERVE", "bizStep": "shipping"} for i in range(n)]
json.dump({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
           "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-12-01T09:00:00Z",
           "epcisBody": {"eventList": ev}}, open(sys.argv[1], "w"))
EOF
expect 0 --home "$A" record --quiet "$T/doc.json"
: >"$A.log"
"$KETEN" --home "$A" node --stream "$URL" 2>>"$A.log" &
A_PID=$!
NODE_PIDS+=($A_PID)
more_than() { [ "$("$NATSREAD" -server "$URL" -stream KETEN -count)" -gt "$1" ]; }
WHY="A publishes" wait_until 20 more_than 16
kill -9 "$A_PID"
wait "$A_PID" 2>/dev/null || true
"$NATSREAD" -server "$URL" -stream KETEN >"$T/msgs" || fail "natsread after kill -9"
N=$(tail -1 "$T/msgs" | cut -d' ' -f2)
[ "$N" -gt 16 ] && [ "$N" -lt 50016 ] ||
    fail "the kill -9 did not come while publishing ($N messages in the stream)"; ok
"$KETEN" --home "$A" node --stream "$URL" 2>>"$A.log" &
A_PID=$!
NODE_PIDS+=($A_PID)
WHY="all 50,016 entries once each in order after kill -9" wait_until 60 stream_ok 50016

# ---- bad input: nobody at the URL, a stream with other subjects ------------
kill "$A_PID"
wait "$A_PID" 2>/dev/null || true
DEAD=nats://127.0.0.1:$(free_port)
: >"$A.log"
"$KETEN" --home "$A" node --stream "$DEAD" 2>>"$A.log" &
A_PID=$!
NODE_PIDS+=($A_PID)
WHY="one line names the dead server" wait_until 10 log_has "$A" "stream: $DEAD: cannot connect"
expect 0 --home "$B" record --epc urn:epc:id:sgtin:5412345.000012.D1 --biz-step receiving
WHY="replication goes on with a dead stream server" wait_until 20 seq_is "$A" "$FB" 9
sleep 2 # several retries later: still the one line
[ "$(grep -c "cannot connect" "$A.log")" = 1 ] || { cat "$A.log"; fail "repeated log lines"; }; ok
kill "$A_PID"
wait "$A_PID" 2>/dev/null || true

"$NATSREAD" -server "$URL" -stream OTHER -mkstream 'other.>' >/dev/null || fail "mkstream"
python3 - "$A/keten.json" "$URL" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["stream"] = {"servers": sys.argv[2], "name": "OTHER"}
json.dump(c, open(sys.argv[1], "w"))
EOF
: >"$A.log"
"$KETEN" --home "$A" node 2>>"$A.log" &
A_PID=$!
NODE_PIDS+=($A_PID)
WHY="one line names the stream's subjects" wait_until 10 log_has "$A" \
    "stream OTHER exists with subjects [other.>], none of which is keten.events.>"
expect 0 --home "$B" record --epc urn:epc:id:sgtin:5412345.000012.D2 --biz-step receiving
WHY="replication goes on with a refused stream" wait_until 20 seq_is "$A" "$FB" 10
grep -q "$URL" "$A.log" || fail "the line does not name the server"; ok
kill "$A_PID"
wait "$A_PID" 2>/dev/null || true
stream_ok 50016 || fail "the stream changed"
ok

# ---- a message over the server's max payload: one line naming it, backoff --
C=$T/c
mkhome "$C" Wasserij
BPORT=$(free_port)
printf 'listen: 127.0.0.1:%s\nmax_payload: 700\njetstream { store_dir: "%s" }\n' "$BPORT" \
    "$T/jsbig" >"$T/big.conf"
nats-server -c "$T/big.conf" >>"$T/natsbig.log" 2>&1 &
NODE_PIDS+=($!)
expect 0 --home "$C" record --epc urn:epc:id:sgtin:5412345.000012.S1 --biz-step shipping
python3 -c '
import json; print(json.dumps({"type": "ObjectEvent", "eventTime": "2025-12-01T09:00:00Z",
    "eventTimeZoneOffset": "+00:00", "action": "OBSERVE",
    "epcList": ["urn:epc:id:sgtin:5412345.000012.Y%d" % i for i in range(30)]}))' >"$T/big.json"
expect 0 --home "$C" record "$T/big.json"
"$KETEN" --home "$C" node --stream "nats://127.0.0.1:$BPORT" 2>>"$C.log" &
C_PID=$!
NODE_PIDS+=($C_PID)
FC=$(id_of "$C")
WHY="one line names the message and the limit" wait_until 20 log_has "$C" \
    "cannot publish $FC:2: Payload"
sleep 3 # retries with backoff meanwhile: still one line
[ "$(grep -c "cannot publish" "$C.log")" = 1 ] || { cat "$C.log"; fail "repeated lines"; }; ok
[ "$(grep -c "stream: connected" "$C.log")" -le 2 ] || { cat "$C.log"; fail "reconnects logged"; }; ok
"$KETEN" --home "$C" status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)["stream"]
assert s["lag"] == 1 and s["feeds"][0]["acked"] == 1, s' || fail "status: lag 1 after seq 1"
ok

done_checks
