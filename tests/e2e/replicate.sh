#!/usr/bin/env bash
# Three partners in a line on 127.0.0.1 -- slaughterhouse <- processor <-
# kitchen -- as a user sets them up: init with one network key, peer add,
# node. Checks: the three converge to identical heads; the kitchen, connected
# only to the processor, gets the slaughterhouse's feed and verifies its
# signatures itself (relay); an event recorded by another process while the
# nodes run reaches the far end quickly; private entries and --sealed peers
# travel sealed and `show` says so; status and peer list/remove; a node not
# on the peer list and a node of another chain are refused, and the chain
# keeps working.
set -eu
. "$(dirname "$0")/nodelib.bash"
DOC="$(dirname "$0")/../../demo/meat-chain.jsonld"
S=$T/s P=$T/p K=$T/k

# -- set up the chain as the README tells a user to
expect 0 --home "$S" init --name Slachthuis
contains "$T/out" "network "
expect 0 --home "$S" network
grep -qxE '[0-9a-f]{64}' "$T/out" || fail "network key is not 64 lowercase hex"; ok
NET=$(cat "$T/out")
mkhome "$P" Verwerker "$NET"
mkhome "$K" Keuken "$NET"
expect 2 --home "$T/bad" init --name X --network 1234       # a short key is a usage error
S_ID=$(id_of "$S") P_ID=$(id_of "$P") K_ID=$(id_of "$K")
SPORT=$(free_port) PPORT=$(free_port)
expect 0 --home "$P" peer add "$S_ID" "127.0.0.1:$SPORT" --name slachthuis
expect 0 --home "$S" peer add "$P_ID" --name verwerker
contains "$T/out" "connects in"
expect 0 --home "$K" peer add "$P_ID" "127.0.0.1:$PPORT" --name verwerker
expect 0 --home "$P" peer add "$K_ID" --name keuken
expect 3 --home "$P" peer add "$K_ID" "127.0.0.1:99999"          # bad port: bad input
expect 2 --home "$P" peer add nothex                             # bad ID
expect 0 --home "$P" peer list --json
contains "$T/out" "\"address\":\"127.0.0.1:$SPORT\""

# -- events before the nodes run, and at every partner
expect 0 --home "$S" record "$DOC"
expect 0 --home "$P" record --type ObjectEvent --action OBSERVE --biz-step receiving \
    --epc urn:epc:id:sscc:5412345.0000000001 --event-time 2025-11-29T14:00:00Z
start_node "$S" "$SPORT"
start_node "$P" "$PPORT"
start_node "$K"
WHY="three nodes converge" wait_until 20 same_heads "$S" "$P" "$K"
[ "$(heads "$K" | wc -l)" = 2 ] || fail "kitchen should hold 2 feeds: $(heads "$K")"; ok
expect 0 --home "$K" verify                                      # S's signatures, checked at K
contains "$T/out" "verified"
expect 0 --home "$K" log
contains "$T/out" "${S_ID:0:8}:5"

# -- live: recorded by another process while the nodes run
expect 0 --home "$K" record --type ObjectEvent --action OBSERVE --biz-step receiving \
    --epc urn:epc:id:sgtin:5412345.000001.1001 --event-time 2025-11-30T09:00:00Z
expect 0 --home "$S" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc urn:epc:id:sgtin:5412345.000001.1001 --event-time 2025-11-30T08:00:00Z
t0=$(date +%s%N)
# poll with the cheapest command that sees it (no python): keten show S:6
end=$((SECONDS + 10))
until "$KETEN" --home "$K" show "${S_ID}:6" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || fail "the slaughterhouse's new event did not reach the kitchen in 10 s"
done
live_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "live: S -> P -> K in $live_ms ms (two hops, from the end of keten record)"
# the issue asks for 1 s per partner; allow a loaded CI machine twice that for two hops
[ "$live_ms" -lt 2000 ] || fail "a live event took $live_ms ms over two hops"; ok
WHY="all converge again" wait_until 10 same_heads "$S" "$P" "$K"

# -- checkpoints travel with the entries: K keeps S's signed checkpoint of
# all 6 entries, relayed by P, byte for byte as S signed it, and verifies it
"$KETEN" --home "$S" checkpoint >"$T/s.cp" || fail "keten checkpoint at S"
[ "$(sed -n 2p "$T/s.cp")" = 6 ] || fail "S's checkpoint is not of its 6 entries: $(cat "$T/s.cp")"; ok
# (the first five lines: the checkpoint and S's own signature; cosignature
# lines of the witnesses follow, docs/protocol.md "Witnessing")
head -n 5 "$T/s.cp" >"$T/s5.cp"
same_checkpoint() { "$KETEN" --home "$K" checkpoint "$S_ID" 2>/dev/null | head -n 5 | cmp -s - "$T/s5.cp"; }
WHY="S's checkpoint reaches K through P" wait_until 10 same_checkpoint
expect 0 --home "$P" checkpoint "$S_ID"
head -n 5 "$T/out" | cmp -s - "$T/s5.cp" || fail "P's copy of S's checkpoint differs from S's"; ok
expect 0 --home "$K" verify
contains "$T/out" "verified"

# -- status
expect 0 --home "$K" status --json
python3 - "$T/out" "$S_ID" "$P_ID" <<'PY' || fail "status --json lacks fields"
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) >= {"id", "name", "feeds", "peers"}, d.keys()
for f in d["feeds"]:
    assert set(f) >= {"feed", "name", "seq", "head", "forked"}, f
    assert f["forked"] is False
s = next(f for f in d["feeds"] if f["feed"] == sys.argv[2])
assert s["seq"] == 6 and s["name"].lower() == "slachthuis", s
p = d["peers"][0]
assert set(p) >= {"id", "name", "address", "state", "lastSync", "behind"}, p
assert p["id"] == sys.argv[3] and p["state"] == "connected" and p["behind"] == 0, p
assert p["lastSync"], p
PY
ok
expect 0 --home "$K" status
contains "$T/out" "connected"

# -- private entries travel sealed; show says sealed and by whom
expect 0 --home "$S" record --private --type ObjectEvent --action OBSERVE --biz-step inspecting \
    --epc urn:epc:id:sgtin:5412345.000001.1001 --event-time 2025-11-30T10:00:00Z
WHY="the private entry reaches the kitchen" wait_until 10 seq_is "$K" "$S_ID" 7
expect 0 --home "$K" show "${S_ID}:7"
contains "$T/out" "sealed"
contains "$T/out" "lachthuis"
expect 0 --home "$S" show "${S_ID}:7"                              # at home: the whole event
contains "$T/out" "inspecting"
expect 0 --home "$K" verify

# -- a --sealed peer gets this node's own entries sealed
expect 0 --home "$S" peer add "$P_ID" --name verwerker --sealed
contains "$T/out" "updated"
sleep 1.2                                                         # the node reloads its peer list
expect 0 --home "$S" record --type ObjectEvent --action OBSERVE --biz-step storing \
    --epc urn:epc:id:sgtin:5412345.000001.1002 --event-time 2025-11-30T11:00:00Z
WHY="the sealed entry reaches the processor" wait_until 10 seq_is "$P" "$S_ID" 8
expect 0 --home "$P" show "${S_ID}:8"
contains "$T/out" "sealed"
expect 0 --home "$P" verify

# -- a node that is not on the peer list is refused
X=$T/x
mkhome "$X" Stranger "$NET"
expect 0 --home "$X" peer add "$S_ID" "127.0.0.1:$SPORT" --name slachthuis
start_node "$X"
WHY="the slaughterhouse refuses the stranger" wait_until 10 log_has "$S" "not on the peer list"
expect 0 --home "$X" status --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert not d["feeds"], d' "$T/out" \
    || fail "the stranger received feeds"; ok
kill "$PID_x"

# -- a node of another chain (another network key) is refused
Y=$T/y
mkhome "$Y" OtherChain
Y_ID=$(id_of "$Y")
expect 0 --home "$S" peer add "$Y_ID" --name other
expect 0 --home "$Y" peer add "$S_ID" "127.0.0.1:$SPORT"
start_node "$Y"
WHY="the other chain's node fails the handshake" wait_until 10 log_has "$S" "network key"
expect 0 --home "$Y" status --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert not d["feeds"], d' "$T/out" \
    || fail "a node of another chain received feeds"; ok
kill "$PID_y"

# -- removing a peer drops its session; the rest keeps working
expect 0 --home "$P" peer remove "$K_ID"
WHY="the processor drops the kitchen" wait_until 10 log_has "$P" "removed from the peer list"
expect 1 --home "$P" peer remove "$K_ID"
contains "$T/err" "not on the peer list"
expect 0 --home "$S" record --type ObjectEvent --action OBSERVE --biz-step storing \
    --epc urn:epc:id:sgtin:5412345.000001.1003 --event-time 2025-11-30T12:00:00Z
WHY="the processor still syncs" wait_until 10 seq_is "$P" "$S_ID" 9
sleep 1
seq_is "$K" "$S_ID" 8 || fail "the kitchen got entries after it was removed"; ok

# -- SIGTERM stops a node cleanly
kill -TERM "$PID_s"
wait "$PID_s" || fail "node exited non-zero after SIGTERM"; ok
contains "$S.log" "stopped"
done_checks
