#!/usr/bin/env bash
# A cosignature that arrives before its witness's feed does. A and C talk
# only to B. B holds C's cosignature of A's checkpoint while A was away;
# when A comes back, B sends A its own checkpoint with that line before A
# holds C's feed, so A drops it (a witness whose feed it does not hold);
# C, meeting B, may get A's checkpoint with B's line before it holds B's
# feed, likewise. Once the peer holds the witness's feed, B must send the
# note again: every copy then lists all three signers, though the
# checkpoint itself never changed. (It was never sent again: the relay
# test, witness_relay.sh, failed now and then on that race.)
set -eu
. "$(dirname "$0")/nodelib.bash"
A=$T/a B=$T/b C=$T/c
mkhome "$B" Bravo
NET=$("$KETEN" --home "$B" network)
mkhome "$A" Alfa "$NET"
mkhome "$C" Charlie "$NET"
BPORT=$(free_port)
expect 0 --home "$A" peer add "$(id_of "$B")" "127.0.0.1:$BPORT" --name b
expect 0 --home "$B" peer add "$(id_of "$A")" --name a
expect 0 --home "$B" peer add "$(id_of "$C")" --name c
expect 0 --home "$C" peer add "$(id_of "$B")" "127.0.0.1:$BPORT" --name b
for h in "$A" "$B" "$C"; do
    expect 0 --home "$h" record --epc "urn:epc:id:sgtin:5412345.000012.$(basename "$h")1" \
        --biz-step commissioning
done
FA=$(id_of "$A") FC=$(id_of "$C")
# signers HOME FEED: the names of the signature lines of FEED's checkpoint at HOME
signers() {
    "$KETEN" --home "$1" checkpoint "$2" 2>/dev/null | grep '^—' | awk '{print $2}' | sort -u |
        wc -l
}
has_signers() { [ "$(signers "$1" "$2")" = "$3" ]; }
stop_one() { # HOME PID
    "$KETEN" --home "$1" stop >/dev/null 2>&1 || kill "$2"
    WHY="$(basename "$1") stopped" wait_until 20 sh -c "! kill -0 $2 2>/dev/null"
}

# 1. A and B: B holds A's feed and has cosigned its checkpoint; A goes away
start_node "$B" "$BPORT"
start_node "$A"
WHY="B holds A's entry" wait_until 30 seq_is "$B" "$FA" 1
WHY="B witnessed A's checkpoint" wait_until 30 has_signers "$B" "$FA" 2
stop_one "$A" "$PID_a"
# 2. C and B: C cosigns A's checkpoint, B keeps that; C goes away
start_node "$C"
WHY="B holds C's entry" wait_until 30 seq_is "$B" "$FC" 1
WHY="C's cosignature of A's checkpoint reached B" wait_until 30 has_signers "$B" "$FA" 3
# C got A's checkpoint from B with B's line, maybe before it held B's feed
WHY="C's copy of A's checkpoint lists B's cosignature too" wait_until 20 has_signers "$C" "$FA" 3
stop_one "$C" "$PID_c"
seq_is "$A" "$FC" 0 || fail "A holds C's feed already: the race is not set up"; ok
# 3. A comes back: B sends it C's entries and A's own checkpoint with C's line
start_node "$A"
WHY="A holds C's entry" wait_until 30 seq_is "$A" "$FC" 1
WHY="A's own checkpoint lists B and C as its witnesses (3 signers)" \
    wait_until 20 has_signers "$A" "$FA" 3
"$KETEN" --home "$A" checkpoint >"$T/ck"
[ "$(grep -c '^—' "$T/ck")" = 3 ] || { cat "$T/ck"; fail "each signer once"; }; ok
done_checks
