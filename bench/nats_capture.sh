#!/usr/bin/env bash
# bench/nats_capture.sh KETEN [MESSAGES] [EVENTS] -- capture from NATS
# JetStream (issue 19, docs/stream.md "Capture"): a figure, not a test.
# MESSAGES documents (default 100) of EVENTS events each (default 500) are
# published first to a fresh local nats-server -js (file storage) by the
# Go client (tests/tools/natsread -publish); then `keten node
# --capture-from` starts on an empty home and the time until its own feed
# holds them all is taken: events/s and messages/s recorded (each message
# checked, signed and committed durably before it is acked).
set -eu
keten=$(realpath "$1")
msgs=${2:-100}
per=${3:-500}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/keten-natscap.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
reader=$work/natsread
(cd "$root/tests/tools/natsread" && GO111MODULE=off GOPATH=/usr/share/gocode \
    GOCACHE="$work/gocache" GOFLAGS= go build -o "$reader" .)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=nats://127.0.0.1:$port
python3 - "$work/m" "$msgs" "$per" <<'PY'
import json, os, sys
d, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(d)
for m in range(n):
    ev = [{"type": "ObjectEvent", "eventTime": "2025-12-01T09:00:00.000Z",
           "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "shipping",
           "readPoint": {"id": "urn:epc:id:sgln:5412345.00001.0"},
           "epcList": ["urn:epc:id:sgtin:5412345.000012.C%d-%d" % (m, i)]} for i in range(k)]
    json.dump({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
               "type": "EPCISDocument", "schemaVersion": "2.0",
               "creationDate": "2025-12-01T09:00:00Z", "epcisBody": {"eventList": ev}},
              open("%s/m%06d.json" % (d, m), "w"))
PY
nats-server -js -a 127.0.0.1 -p "$port" -sd "$work/js" >"$work/nats.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
    sleep 0.1
done
"$reader" -server "$url" -stream MES -mkstream 'mes.>' >/dev/null
"$reader" -server "$url" -publish mes.events "$work"/m/m*.json >/dev/null
"$keten" --home "$work/h" init --name Bench >/dev/null
feed=$("$keten" --home "$work/h" id)
total=$((msgs * per))
echo "nats_capture: $msgs messages of $per events ($total events) waiting on mes.events"
start=$(date +%s.%N)
"$keten" --home "$work/h" node --capture-from "$url/mes.events" 2>"$work/node.log" &
pids+=($!)
while :; do
    seq=$("$keten" --home "$work/h" status --json | python3 -c '
import json, sys
f = [x for x in json.load(sys.stdin)["feeds"] if x["feed"] == sys.argv[1]]
print(f[0]["seq"] if f else 0)' "$feed")
    [ "$seq" -ge "$total" ] && break
    sleep 0.05
done
end=$(date +%s.%N)
python3 -c "
s = $end - $start
print('nats_capture: %d events in %.2f s (node start included): %.0f events/s, %.0f messages/s'
      % ($total, s, $total / s, $msgs / s))"
