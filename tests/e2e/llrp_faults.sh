#!/usr/bin/env bash
# keten scan --reader llrp: against an LLRP reader that misbehaves
# (tests/tools/llrp_emu.py --fault ...): the connection dropped mid-cart
# (that pass is not recorded, the scan reconnects and records the next
# cart), a malformed report, an oversized message, a wrong version, an
# ERROR_MESSAGE, a reader that stops answering keepalives, a refused
# connection, no reader at all, a flood of reports, SIGTERM mid-pass.
# Each: a message naming the reader and the LLRP message type, a clean exit
# status within a bound (timeout(1) kills a hang), nothing half-recorded.
set -eu
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/llrp_lib.bash"
SGLN=urn:epc:id:sgln:0614141.00002.0
n=0
fresh() { n=$((n + 1)); H="$T/home$n"; "$KETEN" --home "$H" init --name "Wasserij $n" >/dev/null; }
MAP=(--window 500ms --antenna 1=$SGLN,receiving)

# -- the connection dropped in the middle of cart 1: not recorded; cart 2 after reconnecting is
fresh
emu drop --carts 300,100 --gap 2.5 --fault drop-mid-cart
scan 0 --home "$H" scan --reader "llrp:127.0.0.1:$PORT" "${MAP[@]}" --count 1 --timeout 30
contains "$T/err" "reader lost mid-pass: the open pass of 300 EPCs at $SGLN (receiving) was NOT recorded"
contains "$T/err" "reader 127.0.0.1:$PORT closed the connection"
contains "$T/err" "1 pass (100 EPCs) recorded"
[ "$(passes "$H")" = "100 receiving $SGLN" ] || fail "after a drop: $(passes "$H")"; ok
contains "$T/drop.log" "conn 2: recv START_ROSPEC"

# -- a report whose TagReportData runs past its message: skipped, the connection stays
fresh
emu mal --carts 50,50 --gap 2.5 --fault malformed
scan 3 --home "$H" scan --reader "llrp:127.0.0.1:$PORT" "${MAP[@]}" --timeout 7
contains "$T/err" "reader 127.0.0.1:$PORT: RO_ACCESS_REPORT (id 77): parameter length runs past its container at byte 10"
[ "$(passes "$H" | cut -d' ' -f1 | tr '\n' ' ')" = "50 50 " ] || fail "malformed: $(passes "$H")"; ok
if grep -q "conn 2" "$T/mal.log"; then fail "a malformed body must not drop the connection"; fi; ok

# -- an oversized message (2 MiB announced) and a wrong version: the stream is lost, reconnect
for f in oversized badversion; do
    fresh
    emu $f --carts 50,50 --gap 3 --fault $f
    scan 0 --home "$H" scan --reader "llrp:127.0.0.1:$PORT" "${MAP[@]}" --count 2 --timeout 30
    case $f in
    oversized) contains "$T/err" "RO_ACCESS_REPORT (id 78): message of 2097162 bytes is over keten's limit of 1048576; dropping the connection" ;;
    badversion) contains "$T/err" "RO_ACCESS_REPORT (id 79): LLRP version 2, keten speaks version 1 (LLRP 1.0.1); dropping the connection" ;;
    esac
    [ "$(passes "$H" | cut -d' ' -f1 | tr '\n' ' ')" = "50 50 " ] || fail "$f: $(passes "$H")"; ok
    contains "$T/$f.log" "conn 2: recv START_ROSPEC"
done

# -- ERROR_MESSAGE: said, the scan goes on
fresh
emu err --carts 30,30 --gap 2.5 --fault error
scan 3 --home "$H" scan --reader "llrp:127.0.0.1:$PORT" "${MAP[@]}" --timeout 7
contains "$T/err" "reader 127.0.0.1:$PORT: ERROR_MESSAGE (id 80): status 101: unsupported parameter"
[ "$(passes "$H" | cut -d' ' -f1 | tr '\n' ' ')" = "30 30 " ] || fail "error: $(passes "$H")"; ok

# -- a reader that stops answering (no KEEPALIVE for 3 x 1 s): dropped, reconnected
fresh
emu silent --carts 40,40 --gap 1 --fault silent --fault-after 0.8
scan 0 --home "$H" scan --reader "llrp:127.0.0.1:$PORT?keepalive=1" "${MAP[@]}" --count 2 --timeout 30
contains "$T/err" "no message (not even KEEPALIVE) for 3 s: the reader stopped answering"
[ "$(passes "$H" | cut -d' ' -f1 | tr '\n' ' ')" = "40 40 " ] || fail "silent: $(passes "$H")"; ok

# -- a reader that is silent mid-pass: the pass is not recorded
fresh
emu silent2 --carts 40 --reads 30 --rate 100 --fault silent --fault-after -11.5
scan 0 --home "$H" scan --reader "llrp:127.0.0.1:$PORT?keepalive=1" --window 5s --timeout 9
contains "$T/err" "reader lost mid-pass: the open pass of 40 EPCs"
[ -z "$(passes "$H")" ] || fail "a half pass was recorded: $(passes "$H")"; ok

# -- the reader refuses the connection (another client is connected)
fresh
emu refuse --carts 1 --fault refuse
scan 4 --home "$H" scan --reader "llrp:127.0.0.1:$PORT" "${MAP[@]}" --once --timeout 10
contains "$T/err" "reader 127.0.0.1:$PORT: READER_EVENT_NOTIFICATION: connection refused (ConnectionAttemptEvent status 2; is another client connected?)"

# -- no reader at all: --once fails at once; a long-running scan retries until its time-out
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
scan 4 --home "$H" scan --reader "llrp:127.0.0.1:$PORT" --once
contains "$T/err" "reader 127.0.0.1:$PORT: Connection refused (is the reader on and on the network?"
scan 0 --home "$H" scan --reader "llrp:127.0.0.1:$PORT" "${MAP[@]}" --timeout 4
[ "$(grep -c 'Connection refused' "$T/err")" = 1 ] || fail "the same error should be said once"; ok

# -- a flood: 100,000 reads as fast as the emulator sends them; memory stays bounded
fresh
emu flood --carts 5000 --reads 20 --rate 1000000 --delay 0.2
set +e
/usr/bin/time -f "%M" -o "$T/rss" timeout 60 "$KETEN" --home "$H" scan --reader "llrp:127.0.0.1:$PORT" \
    "${MAP[@]}" --timeout 15 >"$T/out" 2>"$T/err"
rc=$?
set -e
[ $rc = 0 ] || fail "flood: exit $rc: $(tail -3 "$T/err")"; ok
contains "$T/err" "1 pass (5000 EPCs) recorded"
echo "llrp_faults: flood: $(grep 'tag read' "$T/err" | head -1); peak RSS $(cat "$T/rss") KB"
limit=150000                               # KB; ASan's shadow memory and quarantine need more
grep -qa __asan_init "$KETEN" && limit=1000000
[ "$(cat "$T/rss")" -lt $limit ] || fail "flood: peak RSS $(cat "$T/rss") KB"; ok

# -- SIGTERM mid-pass: that pass is not recorded, the exit is clean
fresh
emu term --carts 300 --reads 3 --rate 100
set +e
# --foreground: a SIGTERM to timeout goes to keten once, not also to the group
# (twice, the second would end the scan at once: SA_RESETHAND, as a second Ctrl-C)
timeout --foreground 60 "$KETEN" --home "$H" scan --reader "llrp:127.0.0.1:$PORT" "${MAP[@]}" >"$T/out" 2>"$T/err" &
pid=$!
sleep 2.5
kill -TERM $pid
wait $pid
rc=$?
set -e
[ $rc = 0 ] || fail "SIGTERM: exit $rc"; ok
contains "$T/err" "stopped mid-pass: the open pass of"
[ -z "$(passes "$H")" ] || fail "SIGTERM: a half pass was recorded"; ok
contains "$T/term.log" "recv CLOSE_CONNECTION"
done_checks
