#!/usr/bin/env bash
# bench/nats_publish.sh KETEN [N] -- publishing to NATS JetStream (issue 19,
# docs/stream.md): a figure, not a test.
#   1. rate: a home with N events (default 200,000) recorded in one call,
#      then `keten node --stream` against a fresh local nats-server -js
#      (file storage): time until the stream holds all N, against the
#      ingest rate of the same `keten record`;
#   2. latency: with the node publishing, 20,000 events recorded with
#      --commit-every 100 (about 10,000 events/s here) while a Go consumer
#      (tests/tools/natsread -latency) takes receive time minus the entry's
#      record time (Keten-Record-Time), p50 / p99 / max.
set -eu
keten=$(realpath "$1")
n=${2:-200000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/keten-natsbench.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
reader=$work/natsread
(cd "$root/tests/tools/natsread" && GO111MODULE=off GOPATH=/usr/share/gocode \
    GOCACHE="$work/gocache" GOFLAGS= go build -o "$reader" .)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=nats://127.0.0.1:$port
doc() { # doc FILE COUNT TAG
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
n, tag = int(sys.argv[2]), sys.argv[3]
ev = [{"type": "ObjectEvent", "eventTime": "2025-12-01T09:00:00.000Z",
       "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "shipping",
       "readPoint": {"id": "urn:epc:id:sgln:5412345.00001.0"},
       "epcList": ["urn:epc:id:sgtin:5412345.000012.%s%d" % (tag, i)]} for i in range(n)]
json.dump({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
           "type": "EPCISDocument", "schemaVersion": "2.0",
           "creationDate": "2025-12-01T09:00:00Z", "epcisBody": {"eventList": ev}},
          open(sys.argv[1], "w"))
PY
}
"$keten" --home "$work/h" init --name Bench >/dev/null
doc "$work/doc.json" "$n" R
echo "nats_publish: recording $n events"
"$keten" --home "$work/h" record --quiet "$work/doc.json" 2>&1 | tail -1
nats-server -js -a 127.0.0.1 -p "$port" -sd "$work/js" >"$work/nats.log" 2>&1 &
pids+=($!)
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.5)" 2>/dev/null; do sleep 0.05; done
t0=$(date +%s.%N)
"$keten" --home "$work/h" node --stream "$url" 2>"$work/node.log" &
pids+=($!)
while [ "$("$reader" -server "$url" -count 2>/dev/null || echo 0)" -lt "$n" ]; do sleep 0.05; done
t1=$(date +%s.%N)
python3 -c "import sys; n=$n; d=$t1-$t0; print('nats_publish: %d events published and acknowledged in %.2f s: %.0f events/s (node start to last ack)' % (n, d, n/d))"

m=20000
doc "$work/lat.json" "$m" L
"$reader" -server "$url" -latency "$m" -timeout 120s >"$work/lat.out" &
rpid=$!
until grep -q READY "$work/lat.out" 2>/dev/null; do sleep 0.05; done
"$keten" --home "$work/h" record --quiet --commit-every 100 "$work/lat.json" 2>&1 | tail -1
wait "$rpid"
echo "nats_publish: $(grep latency "$work/lat.out")"
