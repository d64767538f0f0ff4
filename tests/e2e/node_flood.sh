#!/usr/bin/env bash
# A node under a connection flood (docs/operations.md, "Under attack"):
# random bytes are named as such (not "network key differs"), the log is
# rate-limited per source address with a summary of what was suppressed,
# thousands of idle connections cost a bounded amount of memory, handshakes
# time out, memory is given back after the flood, and the honest partner P
# is served throughout. Connections go to 127.0.0.1 only.
set -eu
. "$(dirname "$0")/nodelib.bash"
EVIL="$KETEN_BUILD/tools/evil_peer"
[ -x "$EVIL" ] || fail "no $EVIL (make builds it)"
S=$T/s P=$T/p E=$T/e
partners "$P" Verwerker "$S" Slachthuis
SPORT=$LISTEN_PORT
mkhome "$E" Evil "$(cat "$T/partners.net")"
S_ID=$(id_of "$S") P_ID=$(id_of "$P")
start_node "$S" "$SPORT"
start_node "$P"
WHY="P connects to S" wait_until 15 log_has "$P" "connected to"
evil() { ASAN_OPTIONS=detect_leaks=0 timeout 60 "$EVIL" "$E" "127.0.0.1:$SPORT" "$S_ID" "$@"; }
p_seq=0
honest_still_served() {
    p_seq=$((p_seq + 1))
    "$KETEN" --home "$P" record --type ObjectEvent --action OBSERVE --biz-step storing \
        --epc "urn:epc:id:sgtin:5412345.000001.$p_seq" --event-time 2025-11-30T10:00:00Z >/dev/null 2>&1
    WHY="S still receives P's entry $p_seq" wait_until 15 seq_is "$S" "$P_ID" "$p_seq"
}
since() { tail -n +"$(($1 + 1))" "$S.log"; }

# -- one connection of random bytes: named as garbage
before=$(wc -l <"$S.log")
evil garbage >/dev/null || fail "S did not close a connection sending random bytes"
sleep 0.3
since "$before" >"$T/new.log"
contains "$T/new.log" "not a keten handshake"
grep -q "network key differs" "$T/new.log" && fail "random bytes reported as a network key that differs"
ok
# 64 random bytes (the size of a first message) cannot be told from another
# chain's node: the line says both
before=$(wc -l <"$S.log")
evil short >/dev/null || fail "S did not close a connection sending 64 random bytes"
sleep 0.3
since "$before" >"$T/new.log"
contains "$T/new.log" "another chain"
contains "$T/new.log" "random bytes"

# -- 300 connections of random bytes: a short log with a summary
sleep 10.5 # a fresh rate-limit window for 127.0.0.1
before=$(wc -l <"$S.log")
evil spray 300 >"$T/evil.out" || { cat "$T/evil.out"; fail "S left a garbage connection open"; }
sleep 10.5 # the window ends: the summary is written
since "$before" >"$T/new.log"
lines=$(wc -l <"$T/new.log")
echo "S's log: $lines lines for 300 garbage connections"
[ "$lines" -le 12 ] || { head -20 "$T/new.log"; fail "S logged $lines lines for 300 garbage connections"; }
ok
contains "$T/new.log" "suppressed"
contains "$T/new.log" "127.0.0.1"
honest_still_served

# -- 2,000 idle connections, then a burst of 8,000: memory stays bounded
rss() { awk '/VmRSS/ {print $2}' "/proc/$PID_s/status"; }
r0=$(rss)
evil idle 2000 8 >"$T/evil.out" &
flood=$!
sleep 3
r1=$(rss)
# while 128 idle strangers hold every handshake slot, P restarts and must
# get in again (a new connection closes the oldest handshake)
kill "$PID_p"; wait "$PID_p" 2>/dev/null || true
: >"$P.log"
start_node "$P"
WHY="P reconnects while S's handshake slots are full" wait_until 4 log_has "$P" "connected to"
honest_still_served
wait $flood || fail "evil_peer idle failed: $(cat "$T/evil.out")"
cat "$T/evil.out"
evil idle 8000 3 >"$T/evil.out" || fail "evil_peer idle failed: $(cat "$T/evil.out")"
cat "$T/evil.out"
r2=$(rss)
sleep 2 # the flood is over: memory goes back
r3=$(rss)
echo "S's RSS: $((r0 / 1024)) MB before, $((r1 / 1024)) MB with 2,000 idle connections," \
    "$((r2 / 1024)) MB after a burst of 8,000, $((r3 / 1024)) MB 2 s later"
if ldd "$KETEN" 2>/dev/null | grep libasan >/dev/null; then
    echo "(ASan build: its allocator keeps freed memory in quarantine; RSS bounds not checked)"
else
    [ $((r1 - r0)) -lt 8192 ] || fail "2,000 idle connections took $(((r1 - r0) / 1024)) MB"; ok
    [ $((r3 - r0)) -lt 4096 ] || fail "S kept $(((r3 - r0) / 1024)) MB after the flood"; ok
fi
honest_still_served
# idle handshakes time out (10 s), and the log of it all stays short
lines=$(wc -l <"$S.log")
[ "$lines" -le 60 ] || fail "S's log has $lines lines after the floods"; ok
kill -0 "$PID_s" || fail "S died"; ok
done_checks
