#!/usr/bin/env bash
# The node as a systemd service (docs/operations.md, "Running it as a
# service"): the unit files in dist/systemd pass `systemd-analyze verify`
# with nothing to say; under the sd_notify protocol (played by
# tests/tools/sd_notify_listen.py on a real $NOTIFY_SOCKET) the node says
# READY=1 only once it listens, pings the watchdog at half its interval
# from the loop, answers SIGHUP (RELOADING=1, the peer list read again,
# READY=1) without dropping its partner's session, says STOPPING=1 on
# SIGTERM; with stderr on the journal ($JOURNAL_STREAM) its log lines carry
# no timestamps of their own.
set -eu
. "$(dirname "$0")/nodelib.bash"
here=$(cd "$(dirname "$0")/../.." && pwd)
bindir=$(cd "$(dirname "$KETEN")" && pwd)

# -- the units
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (Debian package systemd)"
mkdir -p "$T/units"
for u in keten-node.service keten-scan@.service; do
    sed "s|@BINDIR@|$bindir|g" "$here/dist/systemd/$u" >"$T/units/$u"
    grep -q "@BINDIR@" "$T/units/$u" && fail "$u: @BINDIR@ left"
done
cp "$T/units/keten-scan@.service" "$T/units/keten-scan@tunnel1.service"
for u in keten-node.service keten-scan@tunnel1.service; do
    systemd-analyze verify "$T/units/$u" >"$T/verify.out" 2>&1 ||
        { cat "$T/verify.out"; fail "systemd-analyze verify $u failed"; }
    [ ! -s "$T/verify.out" ] || { cat "$T/verify.out"; fail "systemd-analyze verify $u warns"; }
    ok
done
# a broken unit is caught by the same check (the check can fail)
sed 's/^Type=notify/Type=notifyy/' "$T/units/keten-node.service" >"$T/units/broken.service"
systemd-analyze verify "$T/units/broken.service" >"$T/verify.out" 2>&1 || true
[ -s "$T/verify.out" ] || fail "systemd-analyze verify says nothing about a bad Type="; ok
for k in Type=notify WatchdogSec= User=keten ProtectSystem=strict ReadWritePaths=/var/lib/keten \
    NoNewPrivileges=yes PrivateTmp=yes ExecReload=; do
    contains "$T/units/keten-node.service" "$k"
done

# -- readiness, watchdog, reload, stop under sd_notify
S=$T/s P=$T/p
partners "$P" Keuken "$S" Slachthuis
SPORT=$LISTEN_PORT
python3 "$here/tests/tools/sd_notify_listen.py" "$T/notify" "$T/notes" "$SPORT" &
NODE_PIDS+=($!)
WHY="the notify socket is bound" wait_until 10 test -S "$T/notify"
NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=1000000 \
    "$KETEN" --home "$S" node --listen "127.0.0.1:$SPORT" 2>>"$S.log" &
SPID=$!
NODE_PIDS+=($SPID)
start_node "$P"
WHY="the node says READY=1" wait_until 15 grep -q " READY=1" "$T/notes"
WHY="the ready check ran" wait_until 5 grep -q "connect-at-ready" "$T/notes"
contains "$T/notes" "connect-at-ready ok"
contains "$T/notes" "STATUS=up, listening on 127.0.0.1:$SPORT"
WHY="P connects to S" wait_until 15 log_has "$P" "connected to"
sleep 2.2
pings=$(grep -c " WATCHDOG=1" "$T/notes" || true)
[ "$pings" -ge 3 ] || fail "$pings watchdog pings in 2.2 s at WATCHDOG_USEC=1000000 (expected one each 0.5 s)"
ok

# SIGHUP: the peer list read again at once, the session kept
connects_before=$(grep -c "connected to" "$P.log" || true)
kill -HUP "$SPID"
WHY="the node logs the reload" wait_until 10 log_has "$S" "SIGHUP: peer list read again: 1 peers"
WHY="RELOADING=1 then READY=1" wait_until 5 sh -c "grep -A1 ' RELOADING=1' '$T/notes' | grep -q ' READY=1'"
"$KETEN" --home "$S" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc urn:epc:id:sgtin:5412345.000001.1 --event-time 2025-11-30T09:00:00Z 2>/dev/null ||
    fail "record on S"
WHY="P still receives S's entries" wait_until 15 seq_is "$P" "$(id_of "$S")" 1
[ "$(grep -c "connected to" "$P.log" || true)" = "$connects_before" ] ||
    fail "the session was dropped and made again by the SIGHUP"
ok
kill -0 "$SPID" || fail "the node died on SIGHUP"; ok

# SIGTERM: STOPPING=1 and a clean stop
kill -TERM "$SPID"
wait "$SPID" 2>/dev/null || fail "the node exited non-zero on SIGTERM"
contains "$T/notes" "STOPPING=1"

# -- the journal: no timestamps of our own when stderr is the journal
: >"$T/journal.log"
(
    exec 2>>"$T/journal.log"
    JOURNAL_STREAM=$(stat -c '%d:%i' "$T/journal.log") exec "$KETEN" --home "$S" node \
        --listen "127.0.0.1:$SPORT"
) &
JPID=$!
NODE_PIDS+=($JPID)
WHY="the node logs to the journal" wait_until 15 grep -q "up, listening" "$T/journal.log"
grep -q "^keten node: " "$T/journal.log" || { cat "$T/journal.log"; fail "no bare log line"; }
ok
grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T" "$T/journal.log" &&
    { cat "$T/journal.log"; fail "timestamps doubled on the journal"; }
ok
kill -TERM "$JPID"
wait "$JPID" 2>/dev/null || true
# not the journal (the variable names another file): timestamps as always
grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z keten node: .* up" "$S.log" ||
    fail "the ordinary log lost its timestamps"
ok
done_checks
