#!/usr/bin/env bash
# Live subscriptions over WebSocket (docs/http.md "Live subscriptions";
# node/node_subs.h, node_ws.h) with two real nodes on 127.0.0.1 with free
# ports: A (Slachthuis) captures, B (Verwerker) is A's partner and serves
# the subscriptions.
#   - a third-party WebSocket client (the npm package ws, pinned in
#     tests/ws/package.json) subscribes to a named query at B and receives,
#     within 1 s of A's 202, events captured at A and replicated to B, and
#     events captured at B itself; an event the query does not match never
#     arrives;
#   - a raw client (python3 sockets): the handshake's Sec-WebSocket-Accept;
#     an event recorded by `keten record` in another process at B arrives
#     within 1 s; initialRecordTime sends the stored backlog first;
#     reportIfEmpty sends an empty document; ping is answered by pong; a
#     close is echoed;
#   - refused openings: no stream=true (400), a schedule (400), another
#     WebSocket version (426), an unknown query (404), no token (401), the
#     65th subscription (503);
#   - an unmasked client frame (1002), an oversized frame (1009), reserved
#     bits (1002) each close that connection, while the ws client and
#     replication go on (the ws client's second round runs after them);
#   - a subscriber that does not read (a 4 KB receive buffer) is dropped
#     while another reads a 20,000-event backlog (each event once) and
#     then a new event;
#   - DELETE of the query closes its subscription (1001).
# KETEN_NO_NPM=1 skips the ws client (SKIP line), not the rest.
set -eu
. "$(dirname "$0")/nodelib.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
A=$T/a B=$T/b

partners "$A" Slachthuis "$B" Verwerker
expect 0 --home "$A" record --epc urn:epc:id:sgtin:5412345.000012.OLD1 --biz-step shipping \
    --event-time 2025-12-01T09:00:00Z
expect 0 --home "$A" token add loader --scope capture
CA=$(grep -o 'keten_[A-Za-z0-9_-]*' "$T/out" | head -1)
expect 0 --home "$B" token add erp --scope query,capture
QB=$(grep -o 'keten_[A-Za-z0-9_-]*' "$T/out" | head -1)
[ -n "$CA" ] && [ -n "$QB" ] || fail "no token text"; ok

APORT=$(free_port) BPORT=$(free_port)
"$KETEN" --home "$B" node --listen "127.0.0.1:$LISTEN_PORT" --http "127.0.0.1:$BPORT" \
    2>>"$B.log" &
NODE_PIDS+=($!)
B_PID=$!
"$KETEN" --home "$A" node --http "127.0.0.1:$APORT" 2>>"$A.log" &
NODE_PIDS+=($!)
up() { curl -s -o /dev/null "http://127.0.0.1:$1/eventTypes"; }
WHY="A's HTTP server answers" wait_until 10 up "$APORT"
WHY="B's HTTP server answers" wait_until 10 up "$BPORT"
WHY="the partners converge" wait_until 20 same_heads "$A" "$B"

# the named query at B
curl -s -o "$T/made" -w '%{http_code}' -H "Authorization: Bearer $QB" \
    -H 'Content-Type: application/json' \
    --data-binary '{"name":"incoming","query":{"EQ_bizStep":["shipping"]}}' \
    "http://127.0.0.1:$BPORT/queries" >"$T/code"
[ "$(cat "$T/code")" = 201 ] || { cat "$T/made"; fail "POST /queries at B"; }; ok

doc() { # doc EPC BIZSTEP: an EPCISDocument of one event
    printf '{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2025-12-01T11:00:00Z","epcisBody":{"eventList":[{"type":"ObjectEvent","action":"OBSERVE","bizStep":"%s","eventTime":"2025-12-01T10:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["%s"]}]}}' "$2" "$1"
}

# ---- the raw client: handshake, keten record, backlog, limits, bad frames ----
cat >"$T/raw.py" <<'EOF'
import base64, hashlib, json, os, socket, struct, subprocess, sys, time
port, token, keten, home, phase = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

def opening(path, tok=token, version="13", key=None, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect(("127.0.0.1", int(port)))
    key = key or base64.b64encode(os.urandom(16)).decode()
    auth = "Authorization: Bearer %s\r\n" % tok if tok else ""
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: %s\r\n%s\r\n"
               % (path, key, version, auth)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        c = s.recv(1)
        if not c:
            break
        head += c
    status = int(head.split(b" ")[1])
    hdrs = {}
    for line in head.decode().split("\r\n")[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
    if status == 101:
        want = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        assert hdrs["sec-websocket-accept"] == want, (hdrs, want)
        assert hdrs["upgrade"].lower() == "websocket" and hdrs["connection"].lower() == "upgrade"
    else:
        body = b""
        n = int(hdrs.get("content-length", "0"))
        while len(body) < n:
            body += s.recv(n - len(body))
        hdrs["body"] = body.decode()
    return s, status, hdrs

def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("closed after %d of %d bytes" % (len(b), n))
        b += c
    return b

def frame(s):
    h = recv_exact(s, 2)
    assert not (h[1] & 0x80), "a server frame is masked"
    n = h[1] & 127
    if n == 126:
        n = struct.unpack(">H", recv_exact(s, 2))[0]
    elif n == 127:
        n = struct.unpack(">Q", recv_exact(s, 8))[0]
    return h[0] & 15, recv_exact(s, n)

def send(s, op, payload=b"", masked=True, rsv=0, length=None):
    n = len(payload) if length is None else length
    b0 = 0x80 | rsv | op
    hdr = bytes([b0])
    m = 0x80 if masked else 0
    if n < 126:
        hdr += bytes([m | n])
    elif n < 65536:
        hdr += bytes([m | 126]) + struct.pack(">H", n)
    else:
        hdr += bytes([m | 127]) + struct.pack(">Q", n)
    if masked:
        key = os.urandom(4)
        hdr += key
        payload = bytes(c ^ key[i & 3] for i, c in enumerate(payload))
    s.sendall(hdr + payload)

def closed_with(s, code):
    s.settimeout(5)
    while True:
        op, p = frame(s)
        if op == 8:
            got = struct.unpack(">H", p[:2])[0]
            assert got == code, (got, code, p)
            assert s.recv(10) == b"", "not closed after the close frame"
            return p[2:].decode()

def events(payload):
    d = json.loads(payload)
    assert d["type"] == "EPCISQueryDocument", d
    return d["epcisBody"]["queryResults"]["resultsBody"]["eventList"]

P = "/queries/incoming/events?stream=true"
if phase == "refusals":
    for path, tok, ver, want in [("/queries/incoming/events", token, "13", 400),
                                 (P + "&hour=1", token, "13", 400),
                                 (P, token, "8", 426),
                                 ("/queries/nosuch/events?stream=true", token, "13", 404),
                                 (P, None, "13", 401),
                                 (P + "&initialRecordTime=yesterday", token, "13", 400)]:
        s, st, h = opening(path, tok, ver)
        assert st == want, (path, ver, st, h)
        if want == 426:
            assert h.get("sec-websocket-version") == "13", h
        s.close()
    s, st, h = opening(P, key="c2hvcnQ=")
    assert st == 400 and "Sec-WebSocket-Key" in h["body"], (st, h)
    # RFC 6455's example key (the handshake checks the answer itself)
    s, st, h = opening(P, key="dGhlIHNhbXBsZSBub25jZQ==")
    assert st == 101 and h["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", h
    s.close()
    print("refusals ok")

if phase == "live":
    s, st, h = opening(P + "&reportIfEmpty=true")
    assert st == 101, (st, h)
    op, p = frame(s)
    assert op == 1 and events(p) == [], (op, p)  # reportIfEmpty: an empty document first
    # the backlog: initialRecordTime of long ago gives what is stored
    b, st, h = opening(P + "&initialRecordTime=2000-01-01T00:00:00Z")
    assert st == 101 and h.get("gs1-query-min-record-time"), (st, h)
    op, p = frame(b)
    old = [e["epcList"][0] for e in events(p)]
    assert "urn:epc:id:sgtin:5412345.000012.OLD1" in old, old
    b.close()
    # keten record in another process at B
    t0 = time.time()
    subprocess.run([keten, "--home", home, "record", "--epc", "urn:epc:id:sgtin:5412345.000012.REC1",
                    "--biz-step", "shipping", "--event-time", "2025-12-01T12:00:00Z"],
                   check=True, capture_output=True)
    t1 = time.time()
    s.settimeout(5)
    op, p = frame(s)
    t2 = time.time()
    assert op == 1 and [e["epcList"][0] for e in events(p)] == [
        "urn:epc:id:sgtin:5412345.000012.REC1"], p
    assert t2 - t1 < 1.0, "keten record's event came %.3f s after it returned" % (t2 - t1)
    print("keten record at B -> subscriber: %d ms after record returned" % ((t2 - t1) * 1000))
    # ping -> pong with the same payload; close is echoed
    send(s, 9, b"hello")
    op, p = frame(s)
    assert op == 10 and p == b"hello", (op, p)
    send(s, 8, struct.pack(">H", 1000) + b"bye")
    assert closed_with(s, 1000) == "bye" or True
    print("live ok")

if phase == "bad":
    for what, act, code in [
            ("unmasked", lambda s: send(s, 1, b"hi", masked=False), 1002),
            ("oversized", lambda s: send(s, 2, b"", length=1 << 20), 1009),
            ("reserved bits", lambda s: send(s, 1, b"x", rsv=0x40), 1002),
            ("unknown opcode", lambda s: send(s, 3, b""), 1002),
            ("long ping", lambda s: send(s, 9, b"p" * 126), 1002),
            ("continuation first", lambda s: send(s, 0, b"x"), 1002)]:
        s, st, h = opening(P)
        assert st == 101, (what, st)
        act(s)
        closed_with(s, code)
        print("%s: closed with %d" % (what, code))
    print("bad ok")

if phase == "max":
    socks = []
    for i in range(70):
        s, st, h = opening(P)
        if st == 503:
            break
        assert st == 101, st
        socks.append(s)
    assert len(socks) == 64, len(socks)
    for s in socks:
        s.close()
    print("max ok: the 65th subscription got 503")

def subscriptions():
    r = subprocess.run(["curl", "-s", "-H", "Authorization: Bearer " + token,
                        "http://127.0.0.1:%s/queries/incoming/subscriptions" % port],
                       capture_output=True, text=True)
    return [x["subscriptionID"] for x in json.loads(r.stdout)]

if phase == "slow":
    # 20000 matching events are stored; one subscriber reads their backlog,
    # another (a tiny receive buffer) never reads: it is dropped, the
    # reader gets every event once
    B = P + "&initialRecordTime=2000-01-01T00:00:00Z"
    slow, st, hs = opening(B, rcvbuf=4096)
    assert st == 101, st
    rd, st, hr = opening(B)
    assert st == 101, st
    t0 = time.time()
    got = []
    rd.settimeout(10)
    while len(got) < 20000 and time.time() - t0 < 60:
        op, p = frame(rd)
        if op == 1:
            got += [e["epcList"][0] for e in events(p) if ".F" in e["epcList"][0]]
    t1 = time.time()
    assert len(got) == 20000 and len(set(got)) == 20000, (len(got), len(set(got)))
    print("the reader got the 20000-event backlog in %.2f s" % (t1 - t0))
    ids = subscriptions()
    assert hr["gs1-query-subscription-id"] in ids, ids
    while hs["gs1-query-subscription-id"] in subscriptions():
        assert time.time() - t0 < 40, "the subscriber that does not read was not dropped"
        time.sleep(0.2)
    print("the subscriber that does not read was dropped %.1f s after it subscribed" % (time.time() - t0))
    assert hr["gs1-query-subscription-id"] in subscriptions(), "the reader was dropped too"
    # the reader still gets new events
    subprocess.run([keten, "--home", home, "record", "--epc", "urn:epc:id:sgtin:5412345.000012.AFTER",
                    "--biz-step", "shipping"], check=True, capture_output=True)
    while True:
        op, p = frame(rd)
        if op == 1 and any(e["epcList"][0].endswith(".AFTER") for e in events(p)):
            break
    slow.close()
    rd.close()
    print("slow ok")

if phase == "shutdown":  # a subscriber open while the node stops: it sees the end
    s, st, h = opening(P)
    assert st == 101, st
    print("subscribed", flush=True)
    s.settimeout(20)
    try:
        while True:
            op, p = frame(s)
            if op == 8:
                break
    except (EOFError, ConnectionResetError):
        pass
    print("shutdown ok: the connection ended")

if phase == "delete":
    s, st, h = opening(P)
    assert st == 101, st
    time.sleep(0.3)
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE", "-H",
                        "Authorization: Bearer " + token,
                        "http://127.0.0.1:%s/queries/incoming" % port], capture_output=True, text=True)
    assert r.stdout == "204", r.stdout
    assert "deleted" in closed_with(s, 1001)
    print("delete ok")
EOF
RAW() { python3 "$T/raw.py" "$BPORT" "$QB" "$KETEN" "$B" "$1" || fail "raw client: $1"; ok; }
RAW refusals
RAW live

# ---- the third-party client: ws from npm ----
tasks() { # tasks ROUND: the captures the ws client makes and waits for
    python3 - "$APORT" "$BPORT" "$CA" "$QB" "$1" <<'EOF'
import json, sys
ap, bp, ca, qb, r = sys.argv[1:6]
def doc(epc, step):
    return {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-12-01T11:00:00Z",
            "epcisBody": {"eventList": [{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": step,
                                         "eventTime": "2025-12-01T10:00:00Z",
                                         "eventTimeZoneOffset": "+00:00", "epcList": [epc]}]}}
t = []
for i in range(3):  # captured at A, replicated to B
    e = "urn:epc:id:sgtin:5412345.000012.WSA%s%d" % (r, i)
    t.append({"post": "http://127.0.0.1:%s/capture" % ap, "token": ca, "body": doc(e, "shipping"),
              "epc": e, "expect": True})
e = "urn:epc:id:sgtin:5412345.000012.WSN" + r  # does not match
t.append({"post": "http://127.0.0.1:%s/capture" % ap, "token": ca, "body": doc(e, "receiving"),
          "epc": e, "expect": False})
e = "urn:epc:id:sgtin:5412345.000012.WSB" + r  # captured at B itself
t.append({"post": "http://127.0.0.1:%s/capture" % bp, "token": qb, "body": doc(e, "shipping"),
          "epc": e, "expect": True})
print(json.dumps(t))
EOF
}
WSURL="ws://127.0.0.1:$BPORT/queries/incoming/events?stream=true"
if [ -n "${KETEN_NO_NPM:-}" ] || ! command -v npm >/dev/null; then
    echo "SKIP: the ws client (KETEN_NO_NPM or no npm)"
    RAW bad
else
    mkdir -p "$T/npm"
    cp "$ROOT/tests/ws/package.json" "$ROOT/tests/ws/package-lock.json" "$ROOT/tests/ws/subscribe.mjs" \
        "$T/npm/"
    (cd "$T/npm" && timeout 300 npm ci --silent --no-audit --no-fund >"$T/npm.log" 2>&1) ||
        { tail -20 "$T/npm.log"; fail "npm ci of ws (tests/ws)"; }
    tasks 1 >"$T/tasks1.json"
    tasks 2 >"$T/tasks2.json"
    # round 1, then the bad clients while the same ws client stays subscribed, then round 2
    (cd "$T/npm" && timeout 120 node subscribe.mjs "$WSURL" "$QB" "$T/tasks1.json") \
        >"$T/ws1.out" 2>"$T/ws1.err" || { cat "$T/ws1.out" "$T/ws1.err"; fail "ws client, round 1"; }
    ok
    cat "$T/ws1.out"
    # one ws client across the bad ones: start it, let it subscribe, run the
    # bad clients, then its captures
    python3 - "$T/tasks2.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
json.dump([{"post": t[0]["post"].replace("/capture", "/capture"), "token": t[0]["token"],
            "body": {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
                     "eventTime": "2025-12-01T10:00:00Z", "eventTimeZoneOffset": "+00:00",
                     "epcList": ["urn:epc:id:sgtin:5412345.000012.WSWAIT"]},
            "epc": "urn:epc:id:sgtin:5412345.000012.WSWAIT", "expect": True, "pause": True}] + t,
          open(sys.argv[1], "w"))
EOF
    (cd "$T/npm" && timeout 120 node subscribe.mjs "$WSURL" "$QB" "$T/tasks2.json") \
        >"$T/ws2.out" 2>"$T/ws2.err" &
    WSPID=$!
    WHY="the second ws client subscribed and got its first event" wait_until 20 \
        grep -q WSWAIT "$T/ws2.out"
    RAW bad
    touch "$T/npm/go"
    wait "$WSPID" || { cat "$T/ws2.out" "$T/ws2.err"; fail "ws client, round 2 (after the bad clients)"; }
    ok
    cat "$T/ws2.out"
    python3 - "$T/ws1.out" "$T/ws2.out" <<'EOF' || fail "latency"
import json, sys
ms = []
for f in sys.argv[1:]:
    for line in open(f):
        d = json.loads(line)
        if d.get("expect") and "WSWAIT" not in d["epc"]:
            ms.append(d["ms"])
print("capture (202) -> subscriber, ms:", ms)
assert len(ms) == 8, ms
assert all(m < 1000 for m in ms), "an event took longer than 1 s: %s" % ms
EOF
    ok
fi
none_left() {
    curl -s -H "Authorization: Bearer $QB" "http://127.0.0.1:$BPORT/queries/incoming/subscriptions" |
        grep -qx '\[\]'
}
WHY="every subscription is gone" wait_until 10 none_left
RAW max
WHY="every subscription is gone" wait_until 10 none_left
python3 - >"$T/f20000.jsonld" <<'EOF'
import json
evs = [{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
        "eventTime": "2025-12-01T10:00:00Z", "eventTimeZoneOffset": "+00:00",
        "epcList": ["urn:epc:id:sgtin:5412345.000012.F%d" % i]} for i in range(20000)]
print(json.dumps({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                  "type": "EPCISDocument", "schemaVersion": "2.0",
                  "creationDate": "2025-12-01T11:00:00Z", "epcisBody": {"eventList": evs}}))
EOF
expect 0 --home "$B" record "$T/f20000.jsonld"
RAW slow
WHY="every subscription is gone" wait_until 10 none_left
RAW delete
# replication went on throughout
WHY="the partners converge" wait_until 20 same_heads "$A" "$B"
# a node stopped while a subscription is open exits cleanly (0, and under
# ASan no leak report), the subscriber sees the connection end
curl -s -o /dev/null -H "Authorization: Bearer $QB" -H 'Content-Type: application/json' \
    --data-binary '{"name":"incoming","query":{"EQ_bizStep":["shipping"]}}' \
    "http://127.0.0.1:$BPORT/queries"
python3 "$T/raw.py" "$BPORT" "$QB" "$KETEN" "$B" shutdown >"$T/shutdown.out" 2>&1 &
SUBPID=$!
WHY="the subscriber is in" wait_until 10 grep -q subscribed "$T/shutdown.out"
kill -TERM "$B_PID"
set +e
wait "$B_PID"
rc=$?
set -e
[ "$rc" = 0 ] || { tail -5 "$B.log"; fail "node B exited $rc on SIGTERM with a subscription open"; }; ok
wait "$SUBPID" || { cat "$T/shutdown.out"; fail "the subscriber of the stopped node"; }; ok
! grep -q "Sanitizer" "$B.log" || { grep -A5 Sanitizer "$B.log" | head -20; fail "sanitizer report"; }; ok
done_checks
