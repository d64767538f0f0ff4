#!/usr/bin/env bash
# Peers by host name (docs/operations.md, "Addresses"): `peer add` refuses
# at once (exit 3, bad input) an address no node can dial; a partner added as
# localhost:PORT is resolved without blocking the node and replicates; a
# name that does not resolve is logged, and the node keeps trying.
set -eu
. "$(dirname "$0")/nodelib.bash"
S=$T/s P=$T/p
mkhome "$S" Slachthuis
NET=$("$KETEN" --home "$S" network)
mkhome "$P" Verwerker "$NET"
S_ID=$(id_of "$S") P_ID=$(id_of "$P")

# -- addresses no node can use are refused at once, nothing stored
for bad in 999.1.1.1:7401 10.0.0.5 10.0.0.5: :7401 localhost:0 localhost:65536 \
    localhost:-1 localhost:74x1 '[::1]' '[::1' '[fe80::zz]:7401' '::1:7401' \
    'bad host:7401' 'x-.example:7401' 'a..b:7401' '1.2.3:7401' '256.0.0.1:7401'; do
    expect 3 --home "$P" peer add "$S_ID" "$bad" --name slachthuis
    contains "$T/err" "$bad"
done
expect 0 --home "$P" peer list
contains "$T/out" "no peers yet"
# ... and what a node can use is taken
for good in 10.0.0.5:7401 '[2001:db8::5]:7401' localhost:7401 keten.example.org:7401 \
    slachthuis-01:65535; do
    expect 0 --home "$P" peer add "$S_ID" "$good" --name slachthuis
done
# a bad --listen is bad input too
expect 3 --home "$S" node --listen 999.1.1.1:7401
contains "$T/err" "999.1.1.1"

# -- P dials S by name: localhost:PORT
SPORT=$(free_port)
expect 0 --home "$P" peer add "$S_ID" "localhost:$SPORT" --name slachthuis
expect 0 --home "$S" peer add "$P_ID" --name verwerker
expect 0 --home "$S" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc urn:epc:id:sgtin:5412345.000001.1 --event-time 2025-11-30T09:00:00Z
expect 0 --home "$P" record --type ObjectEvent --action OBSERVE --biz-step receiving \
    --epc urn:epc:id:sgtin:5412345.000001.1 --event-time 2025-11-30T10:00:00Z
start_node "$S" "$SPORT"
start_node "$P"
WHY="P reaches S by localhost:$SPORT" wait_until 20 log_has "$P" "connected to"
WHY="S and P converge" wait_until 20 same_heads "$S" "$P"
seq_is "$P" "$S_ID" 1 || fail "P lacks S's entry"; ok
# live traffic after the first sync
expect 0 --home "$S" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc urn:epc:id:sgtin:5412345.000001.2 --event-time 2025-11-30T11:00:00Z
WHY="P receives S's second entry" wait_until 10 seq_is "$P" "$S_ID" 2

# -- the name is resolved again at each reconnect: S restarts, P comes back
kill "$PID_s"; wait "$PID_s" 2>/dev/null || true
: >"$P.log"
start_node "$S" "$SPORT"
WHY="P reconnects to S by name" wait_until 20 log_has "$P" "connected to"

# -- a name that does not resolve: logged by the node, which keeps running
Q=$T/q
mkhome "$Q" Keuken "$NET"
expect 0 --home "$P" peer add "$(id_of "$Q")" no-such-host.invalid:7401 --name keuken
WHY="P logs that the name does not resolve" wait_until 15 log_has "$P" "cannot resolve no-such-host.invalid"
status_says() { "$KETEN" --home "$1" status | grep -F -- "$2" >/dev/null; }
WHY="P's status says why" wait_until 5 status_says "$P" "cannot resolve no-such-host.invalid"
kill -0 "$PID_p" || fail "P died"; ok
expect 0 --home "$S" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc urn:epc:id:sgtin:5412345.000001.3 --event-time 2025-11-30T12:00:00Z
WHY="P still receives S's entries" wait_until 10 seq_is "$P" "$S_ID" 3
done_checks
