#!/usr/bin/env bash
# `keten stream replay --from FEED:SEQ` (cli/cli_stream.c, docs/stream.md
# "Replay") against Debian's real nats-server -js, read back by the
# independent Go client tests/tools/natsread.
#   - refused while the node runs (names `keten stop`);
#   - replay from seq 2 within JetStream's duplicate window: the node
#     publishes 2..5 again and the stream still holds each entry once;
#   - the stream lost (the server's store wiped): a restarted node alone
#     publishes nothing (its positions say all is acknowledged); after
#     replay --from own:1 the stream holds every entry once, in order;
#   - bad input: a SEQ past the acknowledged position, a malformed --from,
#     a feed the store does not hold: clear errors, nothing changed.
set -eu
. "$(dirname "$0")/nodelib.bash"
A=$T/a

. "$(dirname "$0")/natslib.bash"
start_a() {
    : >"$A.log"
    "$KETEN" --home "$A" node 2>>"$A.log" & # "stream" in keten.json
    A_PID=$!
    NODE_PIDS+=($A_PID)
    WHY="A connects to the stream" wait_until 10 log_has "$A" "stream: connected to $URL"
}
stop_a() { kill "$A_PID"; wait "$A_PID" 2>/dev/null || true; }

# stream_ok N: exactly N messages, seq 1..N of A's feed once each, in order
stream_ok() {
    "$NATSREAD" -server "$URL" -stream KETEN -timeout 10s >"$T/msgs" 2>"$T/msgs.err" || return 1
    python3 - "$T/msgs" "$1" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
assert lines and lines[-1] == "END %s" % sys.argv[2], lines[-1:]
last = {}
for l in lines[:-1]:
    sseq, subj, feed, seq, mid, evh, size = l.split(" ")
    assert mid == "%s:%s" % (feed, seq), l
    assert int(seq) == last.get(feed, 0) + 1, "out of order or twice: " + l
    last[feed] = int(seq)
PY
}
published_at_least() {
    "$KETEN" --home "$A" status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)["stream"]
sys.exit(0 if s["state"] == "connected" and s["lag"] == 0 and s["published"] >= int(sys.argv[1]) else 1)' "$1"
}

mkhome "$A" Slachthuis
for i in 1 2 3 4 5; do
    expect 0 --home "$A" record --epc "urn:epc:id:sgtin:5412345.000012.R$i" --biz-step shipping
done
FA=$(id_of "$A")
python3 - "$A/keten.json" "$URL" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["stream"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"))
PY
start_nats
start_a
WHY="the stream holds A's five entries" wait_until 20 stream_ok 5

# ---- refused while the node runs ------------------------------------------------
expect 4 --home "$A" stream replay --from own:1
contains "$T/err" "stop it first (keten stop)"
stop_a

# ---- bad input: nothing changes ------------------------------------------------
expect 3 --home "$A" stream replay --from own:7
contains "$T/err" "acknowledged feed $FA up to seq 5 only"
expect 2 --home "$A" stream replay --from "$FA"
contains "$T/err" "FEED:SEQ"
expect 2 --home "$A" stream replay --from own:0
expect 2 --home "$A" stream replay --from own:x
expect 3 --home "$A" stream replay --from "$(printf 'ab%.0s' $(seq 32)):1"
contains "$T/err" "holds no feed abab"
expect 2 --home "$A" stream rewind --from own:1
contains "$T/err" "unknown subcommand rewind"

# ---- replay within the duplicate window: still once each -------------------------
expect 0 --home "$A" stream replay --from "$FA:2"
contains "$T/out" "published again from seq 2 (4 entries, head 5)"
"$KETEN" --home "$A" status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)["stream"]
assert s["lag"] == 4 and s["feeds"][0]["acked"] == 1, s' || fail "status: acked 1 after replay"
ok
start_a
WHY="A publishes 2..5 again" wait_until 20 published_at_least 4
stream_ok 5 || { cat "$T/msgs"; fail "the republished entries are in the stream twice"; }
ok
stop_a

# ---- the stream lost: replay rebuilds it ---------------------------------------
stop_nats
rm -rf "$T/js"
start_nats
start_a
WHY="A made the stream again" wait_until 10 stream_ok 0
sleep 1
stream_ok 0 || fail "without replay, a restarted node publishes nothing again"
ok
stop_a
# as docs/operations.md does it: every feed the stopped node's status lists
"$KETEN" --home "$A" status --json | python3 -c 'import json,sys; [print(f["feed"]) for f in json.load(sys.stdin)["stream"]["feeds"]]' >"$T/feeds"
[ "$(cat "$T/feeds")" = "$FA" ] || fail "status lists the feeds $(cat "$T/feeds")"; ok
while read -r FEED; do "$KETEN" --home "$A" stream replay --from "$FEED:1" >>"$T/out"; done <"$T/feeds"
contains "$T/out" "published again from seq 1 (5 entries, head 5)"
for i in 6 7; do
    expect 0 --home "$A" record --epc "urn:epc:id:sgtin:5412345.000012.R$i" --biz-step shipping
done
start_a
WHY="the rebuilt stream holds all seven entries once each" wait_until 20 stream_ok 7
stop_a
done_checks
