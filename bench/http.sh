#!/usr/bin/env bash
# bench/http.sh KETEN [N] -- the node's HTTP server under load (issue 15,
# item 9), with Debian's wrk on 127.0.0.1 (bench/http_*.lua) and the raw
# socket clients of bench/http_clients.py. Not a test: it prints figures
# next to the issue's goals and asserts nothing.
#
#   1. capture: wrk POSTs 1,000-event EPCISDocuments (each its own events)
#      to a node for HTTP_CAPTURE_SECONDS (10); events/s = the events the
#      node stored / the time from the first request to the last commit;
#   2. GET /events?MATCH_epc=... by EPC on an N-event store (N default
#      1,000,000, built by build/bench/ingest, 10,000 events per commit),
#      about 2,000 requests/s on 20 keep-alive connections; p50/p99;
#   3. the product page's bundle (GET /bundle/01/...): a meat pack of the
#      demo chain (demo/meat-chain.jsonld) and an item of the N-event store;
#   4. 5,000 idle keep-alive connections (maxConnections 6000, ulimit -n
#      20000): the node's RSS before and with them;
#   5. a slowloris client, a 2 GB body (Content-Length, and chunked), 64 KB
#      of headers and garbage bytes,
#      at once, while a partner node records and replicates an event every
#      0.2 s and another client asks every 50 ms: what each got, and both.
#
# HTTP_SKIP_BIG=1 skips the N-event store (2 and half of 3); HTTP_STORE=DIR
# builds it in DIR and keeps it there, or uses the one built there before;
# HTTP_ONLY_BIG=1 runs only 2 and 3b.
set -eu
keten=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
n=${2:-1000000}
build=$(dirname "$keten")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
clients="python3 $here/http_clients.py"
command -v wrk >/dev/null || { echo "bench/http: needs wrk (make check-bench-deps)"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/keten-http.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# http_conf HOME JSON: sets keten.json's "http" member
http_conf() {
    python3 - "$1/keten.json" "$2" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); c["http"] = json.loads(sys.argv[2])
json.dump(c, open(sys.argv[1], "w"), indent=2)
EOF
}
# serve HOME PORT [ARGS...]: keten node --http on PORT in the background,
# waits until it answers; $last_pid is its pid
serve() {
    local home=$1 p=$2; shift 2
    "$keten" --home "$home" node --http "127.0.0.1:$p" "$@" 2>>"$home.log" &
    last_pid=$!
    pids+=("$last_pid")
    for _ in $(seq 1 300); do
        curl -s -o /dev/null "http://127.0.0.1:$p/.well-known/gs1resolver" && return 0
        sleep 0.1
    done
    echo "bench/http: the node on $home did not answer"; tail "$home.log"; exit 1
}
own_seq() {
    "$keten" --home "$1" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin); me = sys.argv[1]
print(next((f["seq"] for f in d["feeds"] if f["feed"] == me), 0))' "$2"
}
# cpu PID: the process's user + system CPU time so far, in clock ticks
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rate() { # rate LABEL PORT PATHS CONNECTIONS DELAY_MS SECONDS PID
    local c0 c1 out
    printf '  %s\n    ' "$1"
    c0=$(cpu "$7")
    out=$(KETEN_PATHS=$3 KETEN_DELAY_MS=$5 wrk -t2 -c"$4" -d"$6"s -s "$here/http_rate.lua" \
        "http://127.0.0.1:$2" | sed -n 's/^rate-result: //p')
    c1=$(cpu "$7")
    echo "$out"
    # the node's own CPU per answer: what the load average cannot inflate
    echo "$out" | awk -v d=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" \
        '{printf "    node CPU %.2f s, %.0f us per request\n", d / hz, d / hz * 1e6 / $1}'
}
echo "bench/http: the node's HTTP server on 127.0.0.1 ($(nproc) cores; load average" \
    "$(cut -d' ' -f1-3 /proc/loadavg) at the start)"

if [ -z "${HTTP_ONLY_BIG:-}" ]; then
# ---- 1. capture ------------------------------------------------------------
C=$work/capture
"$keten" --home "$C" init --name Capture >/dev/null
http_conf "$C" '{"maxBodyBytes": 4194304}'
token=$("$keten" --home "$C" token add bench --scope capture 2>/dev/null)
$clients doc "$work/doc.jsonld" 1000
cport=$(port)
serve "$C" "$cport"
secs=${HTTP_CAPTURE_SECONDS:-10}
echo "1. capture: POST /capture, 1,000-event documents of $(stat -c %s "$work/doc.jsonld") bytes, $secs s"
for conns in 1 4; do
    before=$(own_seq "$C" "$("$keten" --home "$C" id)")
    t0=$(date +%s%N)
    out=$(KETEN_DOC=$work/doc.jsonld KETEN_TOKEN=$token KETEN_RUN=c$conns \
        wrk -t1 -c"$conns" -d"${secs}s" --timeout 30s -s "$here/http_capture.lua" "http://127.0.0.1:$cport")
    accepted=$(echo "$out" | sed -n 's/^capture-answers: 202 \([0-9]*\).*/\1/p')
    want=$((before + accepted * 1000)) last=$before
    for _ in $(seq 1 1200); do # until the writer has stored every accepted document
        last=$(own_seq "$C" "$("$keten" --home "$C" id)")
        [ "$last" -ge "$want" ] && break
        sleep 0.1
    done
    t1=$(date +%s%N)
    printf '  %d connection(s): %s; %d events stored in %.1f s = %d events/s\n' "$conns" \
        "$(echo "$out" | sed -n 's/^capture-answers: //p')" $((last - before)) \
        "$(awk "BEGIN{print ($t1 - $t0) / 1e9}")" $(((last - before) * 1000000000 / (t1 - t0)))
done
echo "  goal (issue 15): >= 50,000 events/s"
kill "$last_pid"; wait "$last_pid" 2>/dev/null || true

# ---- 3a. the bundle of a meat pack, 4. idle connections, 5. attacks --------
S=$work/s P=$work/p
"$keten" --home "$S" init --name Slachthuis >/dev/null
"$keten" --home "$P" init --name Verwerker --network "$("$keten" --home "$S" network)" >/dev/null
lport=$(port) sport=$(port)
"$keten" --home "$P" peer add "$("$keten" --home "$S" id)" "127.0.0.1:$lport" --name Slachthuis >/dev/null
"$keten" --home "$S" peer add "$("$keten" --home "$P" id)" --name Verwerker >/dev/null
"$keten" --home "$S" record "$root/demo/meat-chain.jsonld" >/dev/null 2>&1
http_conf "$S" '{"maxConnections": 6000, "idleTimeoutMs": 120000}'
ulimit -n 20000
serve "$S" "$sport" --listen "127.0.0.1:$lport"
spid=$last_pid
"$keten" --home "$P" node 2>>"$P.log" &
pids+=($!)
echo "/bundle/01/05412345000129/21/P1001" >"$work/bundle-paths"
echo "3. the product page's bundle: GET /bundle/01/05412345000129/21/P1001 (the demo's meat pack," \
    "$(curl -s "http://127.0.0.1:$sport/bundle/01/05412345000129/21/P1001" | wc -c) bytes)"
rate "200 requests/s (4 connections, 20 ms apart):" "$sport" "$work/bundle-paths" 4 20 10 "$spid"
echo "  goal (issue 15): p99 <= 20 ms"

echo "4. idle keep-alive connections (maxConnections 6000, ulimit -n 20000)"
printf '  '
(ulimit -n 20000; $clients idle "$sport" "${HTTP_IDLE:-5000}" "$spid" 5)
echo "  goal (issue 15): bounded memory"

echo "5. hostile clients at once, while the partner replicates and another client asks"
pid_p=$("$keten" --home "$P" id)
pseq0=$(own_seq "$P" "$pid_p")
(for i in $(seq 1 60); do
    "$keten" --home "$P" record --epc "urn:epc:id:sgtin:5412345.000012.B$i" --biz-step receiving \
        --event-time 2025-12-02T10:00:00Z --quiet >/dev/null 2>&1
    sleep 0.2
done) &
rec=$!
apids=()
$clients probe "$sport" /01/05412345000129/21/P1001?linkType=linkset 15 >"$work/probe" &
probe=$!
for kind in slowloris body2g body2g-chunked headers64k garbage; do
    $clients attack "$sport" "$kind" >"$work/attack-$kind" 2>&1 &
    apids+=($!)
done
wait "${apids[@]}" "$probe" "$rec" || true
for kind in slowloris body2g body2g-chunked headers64k garbage; do printf '  %s\n' "$(cat "$work/attack-$kind")"; done
printf '  meanwhile %s\n' "$(cat "$work/probe")"
pseq=$(own_seq "$P" "$pid_p")
for _ in $(seq 1 50); do
    [ "$(own_seq "$S" "$pid_p")" -ge "$pseq" ] && break
    sleep 0.1
done
echo "  meanwhile the partner recorded $((pseq - pseq0)) events; the node holds" \
    "$(($(own_seq "$S" "$pid_p") - pseq0)) of them (at most 5 s after the last)"
echo "  goal (issue 15): each hostile client gets a 4xx or a closed connection; the others go on"
kill "$spid"; wait "$spid" 2>/dev/null || true
fi

# ---- 2. and 3b. the N-event store --------------------------------------------
if [ -z "${HTTP_SKIP_BIG:-}" ]; then
    Q=${HTTP_STORE:-$work/q}
    if [ -d "$Q" ]; then # HTTP_STORE: a store built by an earlier run (kept)
        echo "2. GET /events?MATCH_epc=... on the store $Q ($n events, built by build/bench/ingest)"
    else
        echo "2. GET /events?MATCH_epc=... on a store of $n events (build/bench/ingest $Q $n 10000)"
        "$build/bench/ingest" "$Q" "$n" 10000 2>/dev/null | sed 's/^/  ingest: /' | head -3
    fi
    if [ ! -f "$Q/network" ]; then # bench/ingest makes no network key; a node needs one
        openssl rand -hex 32 >"$Q/network"
        chmod 600 "$Q/network"
    fi
    qport=$(port)
    serve "$Q" "$qport"
    qpid=$last_pid
    python3 - "$work/epc-paths" "$work/bundle-big" "$n" <<'EOF'
import random, sys
n = int(sys.argv[3]); r = random.Random(15)
with open(sys.argv[1], "w") as f:
    for _ in range(10000):  # event i names serials 3i, 3i+1, 3i+2 (bench_common.h)
        f.write("/events?MATCH_epc=urn:epc:id:sgtin:5412345.000012.%d\n" % r.randrange(3 * n))
with open(sys.argv[2], "w") as f:
    for _ in range(1000):
        f.write("/bundle/01/05412345000129/21/%d\n" % r.randrange(3 * n))
EOF
    first=$(head -1 "$work/epc-paths")
    echo "  e.g. $first: $(curl -s "http://127.0.0.1:$qport$first" | python3 -c \
        'import json,sys; print(len(json.load(sys.stdin)["epcisBody"]["queryResults"]["resultsBody"]["eventList"]), "event")')"
    rate "about 2,000 requests/s (24 connections, 10 ms apart), random EPCs:" "$qport" "$work/epc-paths" 24 10 20 "$qpid"
    echo "  goal (issue 15): p99 <= 2 ms at 2,000 requests/s"
    if command -v h2load >/dev/null; then # the most it answers: closed loop, no waits
        sed "s|^|http://127.0.0.1:$qport|" "$work/epc-paths" >"$work/epc-urls"
        printf '  as fast as it goes (h2load --h1 -n 40000 -c 10 -i URLS): %s\n' \
            "$(h2load --h1 -n 40000 -c 10 -i "$work/epc-urls" | sed -n 's/^finished in \(.*\)/\1/p; s/^status codes: \(.*\)/\1/p' | paste -sd';')"
    fi
    echo "3b. the bundle of an item of the $n-event store, e.g. $(head -1 "$work/bundle-big")" \
        "($(curl -s "http://127.0.0.1:$qport$(head -1 "$work/bundle-big")" | wc -c) bytes)"
    rate "200 requests/s (4 connections, 20 ms apart), random items:" "$qport" "$work/bundle-big" 4 20 10 "$qpid"
    echo "  goal (issue 15): p99 <= 20 ms"
fi
echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  reproduce: bench/http.sh $1 $n"
