#!/usr/bin/env bash
# Bad partners, and a key that equivocates. A node S serves an honest partner
# P while a misbehaving partner E (tests/tools/evil_peer.c: a real handshake,
# then one bad thing) sends random bytes, a frame over the 1 MiB limit, a
# tampered frame, a forged entry, or subscribes to everything and stops
# reading. Each time S cuts E off with a log line naming it, keeps its memory
# bounded, and goes on serving P. E's key signs a checkpoint of another
# history of its own feed: S keeps it as evidence, marks the feed forked and
# shows both checkpoints in status. Then a fork: a copy of a home appends
# different events than the original, both reach a third node C, which keeps
# both entries as evidence, marks the feed forked and accepts nothing more of it.
set -eu
. "$(dirname "$0")/nodelib.bash"
EVIL="$KETEN_BUILD/tools/evil_peer"
[ -x "$EVIL" ] || fail "no $EVIL (make builds it)"
S=$T/s P=$T/p E=$T/e
mkhome "$S" Slachthuis
NET=$("$KETEN" --home "$S" network)
mkhome "$P" Verwerker "$NET"
mkhome "$E" Evil "$NET"
S_ID=$(id_of "$S") P_ID=$(id_of "$P") E_ID=$(id_of "$E")
SPORT=$(free_port)
"$KETEN" --home "$S" peer add "$P_ID" --name verwerker >/dev/null
"$KETEN" --home "$S" peer add "$E_ID" --name evil >/dev/null
"$KETEN" --home "$P" peer add "$S_ID" "127.0.0.1:$SPORT" --name slachthuis >/dev/null
# a feed big enough that sending it takes more than the 4 MiB send queue
python3 "$(dirname "$0")/../tools/gen_events.py" "$T/big.jsonld" 30000
expect 0 --home "$S" record --quiet "$T/big.jsonld"
expect 0 --home "$P" record --type ObjectEvent --action OBSERVE --biz-step receiving \
    --epc urn:epc:id:sgtin:5412345.000001.1 --event-time 2025-11-30T09:00:00Z
start_node "$S" "$SPORT"
start_node "$P"
WHY="S and P converge" wait_until 60 same_heads "$S" "$P"

p_seq=1
honest_still_served() { # P records; S must get it
    p_seq=$((p_seq + 1))
    "$KETEN" --home "$P" record --type ObjectEvent --action OBSERVE --biz-step storing \
        --epc "urn:epc:id:sgtin:5412345.000001.$p_seq" --event-time 2025-11-30T10:00:00Z >/dev/null 2>&1
    WHY="S still receives P's entry $p_seq" wait_until 10 seq_is "$S" "$P_ID" "$p_seq"
}

for mode in garbage oversize tamper forged; do
    before=$(wc -l < "$S.log")
    set +e
    ASAN_OPTIONS=detect_leaks=0 timeout 30 "$EVIL" "$E" "127.0.0.1:$SPORT" "$S_ID" "$mode" "$P_ID" 10 >"$T/evil.out" 2>&1
    rc=$?
    set -e
    [ $rc = 0 ] || { cat "$T/evil.out"; tail -5 "$S.log"; fail "S did not cut off a peer sending $mode (rc $rc)"; }
    ok
    tail -n +"$((before + 1))" "$S.log" >"$T/new.log"
    case $mode in
    garbage) contains "$T/new.log" "handshake with" ;;
    *) contains "$T/new.log" "evil" ;;
    esac
    [ $mode = forged ] && contains "$T/new.log" "signature"
    kill -0 "$PID_s" || fail "S died after $mode"; ok
    honest_still_served
done
seq_is "$S" "$P_ID" "$p_seq" || fail "the forged entry was stored"; ok

# -- a key that signs a checkpoint of another history: E's own feed, which S
# holds, comes back with a checkpoint signed by E's key whose root is not
# the root of E's entries. S keeps it as evidence next to the checkpoint it
# has, marks E's feed forked, cuts E off, and goes on serving P.
for i in 1 2 3; do
    expect 0 --home "$E" record --type ObjectEvent --action ADD --biz-step commissioning \
        --epc "urn:epc:id:sgtin:5412345.000007.$i" --event-time 2025-11-30T08:00:00Z
done
"$KETEN" --home "$E" peer add "$S_ID" "127.0.0.1:$SPORT" --name slachthuis >/dev/null
start_node "$E"
WHY="S gets E's feed and its checkpoint" wait_until 20 seq_is "$S" "$E_ID" 3
signed_to() { "$KETEN" --home "$1" status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); f=[f for f in d["feeds"] if f["feed"]==sys.argv[1]]; sys.exit(0 if f and f[0].get("checkpointSize")==int(sys.argv[2]) else 1)' "$2" "$3"; }
WHY="S keeps E's checkpoint of 3" wait_until 20 signed_to "$S" "$E_ID" 3
kill "$PID_e"; wait "$PID_e" 2>/dev/null || true
before=$(wc -l < "$S.log")
set +e
ASAN_OPTIONS=detect_leaks=0 timeout 30 "$EVIL" "$E" "127.0.0.1:$SPORT" "$S_ID" equivocate "$E_ID" 10 >"$T/evil.out" 2>&1
rc=$?
set -e
[ $rc = 0 ] || { cat "$T/evil.out"; tail -5 "$S.log"; fail "S did not cut off a key signing another history (rc $rc)"; }
ok
tail -n +"$((before + 1))" "$S.log" >"$T/new.log"
contains "$T/new.log" "FORK: feed $E_ID"
contains "$T/new.log" "checkpoint of another history"
# the evidence is stored with the node's next group commit
feed_forked() { "$KETEN" --home "$1" status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if any(f["feed"]==sys.argv[1] and f["forked"] for f in d["feeds"]) else 1)' "$2"; }
WHY="S marks E's feed forked" wait_until 10 feed_forked "$S" "$E_ID"
expect 0 --home "$S" status --json
python3 - "$T/out" "$E_ID" <<'PY' || fail "status does not show E's feed forked with both checkpoints"
import json, sys
d = json.load(open(sys.argv[1]))
f = next(f for f in d["feeds"] if f["feed"] == sys.argv[2])
assert f["forked"] is True and f["seq"] == 3 and f["checkpointSize"] == 3, f
kept, other = f["checkpoint"].split("\n"), f["forkCheckpoint"].split("\n")
origin = "keten/" + sys.argv[2]
assert kept[0] == other[0] == origin and kept[1] == other[1] == "3", (kept, other)
assert kept[2] != other[2], "the two roots must differ"
PY
ok
expect 0 --home "$S" status
contains "$T/out" "evidence: its key signed this checkpoint of another history"
kill -0 "$PID_s" || fail "S died after a fork by checkpoint"; ok
honest_still_served

# -- a peer that stops reading: S's memory stays bounded
rss() { awk '/VmRSS/ {print $2}' "/proc/$PID_s/status"; }
r0=$(rss)
ASAN_OPTIONS=detect_leaks=0 timeout 30 "$EVIL" "$E" "127.0.0.1:$SPORT" "$S_ID" slow x 6 >"$T/evil.out" 2>&1 &
slow=$!
sleep 2
honest_still_served
r1=$(rss)
wait $slow || true
echo "S's RSS: $((r0 / 1024)) MB before, $((r1 / 1024)) MB while a peer would not read 30,000 entries"
[ $((r1 - r0)) -lt 65536 ] || fail "S's memory grew by $(((r1 - r0) / 1024)) MB for a peer that does not read"; ok

# -- a fork: A and a copy of A's home (same key) append different entries
A=$T/a A2=$T/a2 C=$T/c
mkhome "$A" Boerderij "$NET"
mkhome "$C" Keuken "$NET"
A_ID=$(id_of "$A") C_ID=$(id_of "$C")
CPORT=$(free_port)
"$KETEN" --home "$C" peer add "$A_ID" --name boerderij >/dev/null
"$KETEN" --home "$A" peer add "$C_ID" "127.0.0.1:$CPORT" --name keuken >/dev/null
for i in 1 2 3; do
    "$KETEN" --home "$A" record --type ObjectEvent --action ADD --biz-step commissioning \
        --epc "urn:epc:id:sgtin:5412345.000009.$i" --event-time 2025-11-01T08:00:00Z >/dev/null 2>&1
done
cp -a "$A" "$A2"
for i in 4 5; do
    "$KETEN" --home "$A" record --type ObjectEvent --action OBSERVE --biz-step shipping \
        --epc "urn:epc:id:sgtin:5412345.000009.$i" --event-time 2025-11-02T08:00:00Z >/dev/null 2>&1
    "$KETEN" --home "$A2" record --type ObjectEvent --action OBSERVE --biz-step destroying \
        --epc "urn:epc:id:sgtin:5412345.000009.$i" --event-time 2025-11-02T09:00:00Z >/dev/null 2>&1
done
"$KETEN" --home "$A2" record --type ObjectEvent --action OBSERVE --biz-step destroying \
    --epc urn:epc:id:sgtin:5412345.000009.6 --event-time 2025-11-02T09:00:00Z >/dev/null 2>&1
start_node "$C" "$CPORT"
start_node "$A"
WHY="C gets A's feed" wait_until 20 seq_is "$C" "$A_ID" 5
kill "$PID_a"; wait "$PID_a" 2>/dev/null || true
start_node "$A2"
is_forked() { "$KETEN" --home "$1" status --json | grep '"forked":true' >/dev/null; }
WHY="C detects the fork" wait_until 20 is_forked "$C"
contains "$C.log" "FORK"
expect 0 --home "$C" status --json
python3 - "$T/out" "$A_ID" <<'PY' || fail "status does not show the feed forked"
import json, sys
d = json.load(open(sys.argv[1]))
f = next(f for f in d["feeds"] if f["feed"] == sys.argv[2])
assert f["forked"] is True and f["seq"] == 5, f
PY
ok
expect 0 --home "$C" status
contains "$T/out" "FORKED"
expect 0 --home "$C" verify                   # the evidence is stored and checks out
# A2 learned from C that its own key signed two chains: it refuses to sign more
expect 1 --home "$A2" record --type ObjectEvent --action OBSERVE --biz-step destroying \
    --epc urn:epc:id:sgtin:5412345.000009.7 --event-time 2025-11-02T10:00:00Z
contains "$T/err" "forked"
# the original A appends more: C accepts nothing more of the forked feed
kill "$PID_a2"; wait "$PID_a2" 2>/dev/null || true
expect 0 --home "$A" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc urn:epc:id:sgtin:5412345.000009.8 --event-time 2025-11-02T11:00:00Z
start_node "$A"
WHY="A reconnects to C" wait_until 20 log_has "$A" "connected to"
sleep 1.5
seq_is "$C" "$A_ID" 5 || fail "C accepted entries of a forked feed"; ok
done_checks
