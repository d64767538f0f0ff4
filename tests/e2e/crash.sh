#!/usr/bin/env bash
# Crash safety: `keten record` is killed with SIGKILL at random moments
# while it appends large batches, ROUNDS times (default 50). Afterwards
# verify must pass, every event that was reported as recorded must be
# there, and every batch must be stored whole or not at all; the own signed
# checkpoint covers exactly the stored entries and proves the last one.
set -eu
. "$(dirname "$0")/lib.bash"
ROUNDS=${CRASH_ROUNDS:-50}
BATCH=${CRASH_BATCH:-5000}
SEED=${CRASH_SEED:-$RANDOM}
echo "crash test: $ROUNDS rounds of $BATCH events, seed $SEED"
RANDOM=$SEED
H="$T/home"
expect 0 --home "$H" init --name "Crash Test"

python3 - "$T" "$ROUNDS" "$BATCH" <<'PY'
import json, sys
out, rounds, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for r in range(rounds):
    evs = [{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "receiving",
            "disposition": "in_progress",
            "eventTime": "2025-12-01T10:%02d:%02d.%03dZ" % (r % 60, i // 1000 % 60, i % 1000),
            "eventTimeZoneOffset": "+00:00",
            "epcList": ["urn:epc:id:sgtin:5412345.000001.%d" % (r * batch + i)],
            "readPoint": {"id": "urn:epc:id:sgln:5412345.00000.0"},
            "bizLocation": {"id": "urn:epc:id:sgln:5412345.00001.0"}}
           for i in range(batch)]
    json.dump(evs, open("%s/batch%d.json" % (out, r), "w"))
PY

# how long one whole run takes here (sanitizer builds are much slower):
# the median of three runs into a scratch home
expect 0 --home "$T/calib" init --name Calibration
runs=""
for c in 0 1 2; do
    t0=$(date +%s%N)
    expect 0 --home "$T/calib" record --skip-duplicates "$T/batch$c.json"
    runs="$runs $(( ($(date +%s%N) - t0) / 1000000 ))"
done
med=$(echo $runs | tr ' ' '\n' | sort -n | sed -n 2p)
span=$(( med * 5 / 4 + 1 ))
echo "one run takes about $med ms ($runs ms); killing at random within $span ms"

killed=0 finished=0
: > "$T/reported"
for r in $(seq 0 $((ROUNDS - 1))); do
    "$KETEN" --home "$H" record "$T/batch$r.json" > "$T/out.$r" 2>/dev/null &
    pid=$!
    # kill somewhere between start-up and well past the commit
    ms=$(( (RANDOM * 32768 + RANDOM) % span ))
    sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
    if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
    wait "$pid" 2>/dev/null || true
    # a run killed while printing leaves its last line cut short: count
    # only whole lines (a whole event ID)
    grep -E '^recorded [0-9a-f]{8}:[0-9]+ ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0$' "$T/out.$r" |
        awk '{print $3}' >> "$T/reported" || true
done
[ -s "$T/reported" ] || echo "note: no round reached its commit before the kill"
finished=$(wc -l < "$T/reported")
echo "killed $killed of $ROUNDS runs; $finished events reported recorded"
[ "$killed" -ge $((ROUNDS / 5)) ] || fail "too few runs were killed ($killed of $ROUNDS): the kill came too late to test anything"; ok

expect 0 --home "$H" verify
"$KETEN" --home "$H" log --json | sed 's/.*"eventID":"\([^"]*\)".*/\1/' | sort > "$T/stored"
sort "$T/reported" > "$T/reported.sorted"
missing=$(comm -23 "$T/reported.sorted" "$T/stored" | wc -l)
[ "$missing" = 0 ] || fail "$missing events reported as recorded are missing"; ok
total=$(wc -l < "$T/stored")
[ $((total % BATCH)) = 0 ] || fail "$total stored events: a batch was stored in part"; ok
echo "stored $total events ($((total / BATCH)) whole batches)"
# log format 2: the own checkpoint is signed in the commit that stores the
# entries, so after any kill it covers exactly the stored entries, and the
# last one is proven into it
if [ "$total" -gt 0 ]; then
    expect 0 --home "$H" checkpoint
    [ "$(sed -n 2p "$T/out")" = "$total" ] || fail "the checkpoint is of $(sed -n 2p "$T/out") entries, the feed has $total"; ok
    expect 0 --home "$H" proof inclusion "$("$KETEN" --home "$H" id):$total" --json
    contains "$T/out" "\"treeSize\": $total,"
fi
done_checks
