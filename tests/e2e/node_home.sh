#!/usr/bin/env bash
# A node owns its home (docs/operations.md, "One node per home"): a second
# `keten node` on the same home refuses (exit 4) naming the running one's
# pid, `keten stop` stops the node of a home cleanly (0; 1 when none runs),
# and a node killed with SIGKILL leaves no lock that blocks the next start.
# Partner P keeps replicating with S throughout.
set -eu
. "$(dirname "$0")/nodelib.bash"
S=$T/s P=$T/p
partners "$P" Verwerker "$S" Slachthuis
SPORT=$LISTEN_PORT
S_ID=$(id_of "$S")
start_node "$S" "$SPORT"
start_node "$P"
WHY="P connects to S" wait_until 15 log_has "$P" "connected to"

# -- a second node on S's home, on another port, must refuse at once
OTHER=$(free_port)
set +e
timeout 10 "$KETEN" --home "$S" node --listen "127.0.0.1:$OTHER" >"$T/out" 2>"$T/err"
rc=$?
set -e
[ $rc = 4 ] || { cat "$T/err"; fail "a second node on one home exited $rc, expected 4"; }
ok
contains "$T/err" "already runs"
contains "$T/err" "pid $PID_s"
kill -0 "$PID_s" || fail "the first node died"; ok
# also without --listen
set +e
timeout 10 "$KETEN" --home "$S" node >"$T/out" 2>"$T/err"
rc=$?
set -e
[ $rc = 4 ] || fail "a second dial-only node on one home exited $rc, expected 4"; ok
contains "$T/err" "pid $PID_s"
# the refused second node neither took over the peer nor disturbed the session
sleep 1.5
log_has "$S" "replaced by a newer connection" && fail "S's session with P was replaced"
ok
# status still says which node runs
expect 0 --home "$S" status --json
contains "$T/out" "\"pid\":$PID_s"

# -- recording from another process still works while the node runs
expect 0 --home "$S" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc urn:epc:id:sgtin:5412345.000001.1 --event-time 2025-11-30T09:00:00Z
WHY="P receives S's entry" wait_until 10 seq_is "$P" "$S_ID" 1

# -- keten stop: SIGTERM to the running node, wait for it to exit
expect 0 --home "$S" stop
contains "$T/out" "stopped"
kill -0 "$PID_s" 2>/dev/null && fail "the node still runs after keten stop"
ok
log_has "$S" "stopping (SIGTERM)" || fail "the node did not stop cleanly"; ok
expect 1 --home "$S" stop
contains "$T/err" "no node"
expect 2 --home "$S" stop extra

# -- a node killed with SIGKILL leaves a stale lock file: a new node starts
start_node "$S" "$SPORT"
WHY="S is up again" wait_until 15 log_has "$P" "connected to"
kill -9 "$PID_s"; wait "$PID_s" 2>/dev/null || true
[ -e "$S/node.lock" ] || fail "no lock file in the home"; ok
: >"$S.log"
start_node "$S" "$SPORT"
WHY="S restarts after a SIGKILL" wait_until 15 log_has "$S" " up, listening on"
kill -0 "$PID_s" || fail "the restarted node exited"; ok
expect 0 --home "$S" stop
kill -0 "$PID_s" 2>/dev/null && fail "the node still runs after keten stop"
ok
done_checks
