#!/usr/bin/env bash
# Publishing to a three-server JetStream cluster (docs/operations.md, "A
# JetStream cluster"): three Debian nats-server -js on free 127.0.0.1
# ports, routed to each other; the stream made beforehand with 3 replicas
# by an independent client (tests/tools/natsread, Debian's Go client); the
# node given all three URLs publishes 30,000 events and the server it is
# connected to is killed (kill -9) while it publishes.  Nothing is lost,
# nothing is there twice, every entry in seq order, read from a survivor.
set -eu
. "$(dirname "$0")/nodelib.bash"
A=$T/a
N=30000

. "$(dirname "$0")/natslib.bash"
CP=() RP=() NP=()
for i in 0 1 2; do CP[$i]=$(free_port); RP[$i]=$(free_port); done
for i in 0 1 2; do
    routes=""
    for j in 0 1 2; do
        [ "$j" = "$i" ] || routes="$routes${routes:+,}nats://127.0.0.1:${RP[$j]}"
    done
    nats-server -js -a 127.0.0.1 -p "${CP[$i]}" --server_name "n$i" --cluster_name keten \
        --cluster "nats://127.0.0.1:${RP[$i]}" --routes "$routes" -sd "$T/js$i" \
        >>"$T/nats$i.log" 2>&1 &
    NP[$i]=$!
    NODE_PIDS+=($!)
done
URLS="nats://127.0.0.1:${CP[0]},nats://127.0.0.1:${CP[1]},nats://127.0.0.1:${CP[2]}"
# the cluster has a JetStream leader once a replicated stream can be made
mk() { "$NATSREAD" -server "$URLS" -stream KETEN -mkstream 'keten.events.>' -replicas 3; }
WHY="the cluster makes a stream of 3 replicas" wait_until 30 mk

mkhome "$A" Slachthuis
python3 - "$T/doc.json" "$N" <<'EOF'
import json, sys
n = int(sys.argv[2])
ev = [{"type": "ObjectEvent", "eventTime": "2025-12-01T09:00:00.000Z",
       "eventTimeZoneOffset": "+00:00", "epcList": ["urn:epc:id:sgtin:5412345.000012.C%d" % i],
       "action": "OBSERVE", "bizStep": "shipping"} for i in range(n)]
json.dump({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
           "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-12-01T09:00:00Z",
           "epcisBody": {"eventList": ev}}, open(sys.argv[1], "w"))
EOF
expect 0 --home "$A" record --quiet "$T/doc.json"
"$KETEN" --home "$A" node --stream "$URLS" 2>>"$A.log" &
NODE_PIDS+=($!)
WHY="A connects" wait_until 20 log_has "$A" "stream: connected to"
more_than() { [ "$("$NATSREAD" -server "$URLS" -stream KETEN -count)" -gt "$1" ]; }
WHY="A publishes" wait_until 30 more_than 0
# kill the server A is connected to
CUR=$(sed -n 's/.*stream: connected to nats:\/\/127.0.0.1:\([0-9]*\),.*/\1/p' "$A.log" | tail -1)
K=""
for i in 0 1 2; do [ "${CP[$i]}" = "$CUR" ] && K=$i; done
[ -n "$K" ] || fail "which server is A connected to? ($CUR)"
kill -9 "${NP[$K]}"
SURV=""
for i in 0 1 2; do [ "$i" = "$K" ] || SURV="$SURV${SURV:+,}nats://127.0.0.1:${CP[$i]}"; done
N0=$("$NATSREAD" -server "$SURV" -stream KETEN -count 2>/dev/null || echo "?") # "?": mid election
WHY="A connects to another server" wait_until 30 sh -c "[ \$(grep -c 'stream: connected to' '$A.log') -ge 2 ]"

stream_ok() {
    "$NATSREAD" -server "$SURV" -stream KETEN -timeout 20s >"$T/msgs" 2>"$T/msgs.err" || return 1
    python3 - "$T/msgs" "$1" <<'EOF'
import sys
lines = open(sys.argv[1]).read().splitlines()
assert lines and lines[-1] == "END %s" % sys.argv[2], lines[-1:]
want = 1
for l in lines[:-1]:
    seq = int(l.split(" ")[3])
    assert seq == want, "out of order or twice: " + l
    want += 1
EOF
}
WHY="all $N entries once each in order on the survivors" wait_until 90 stream_ok "$N"
echo "killed n$K with $N0 of $N in the stream" >&2
ok

done_checks
