#!/usr/bin/env bash
# bench/replicate.sh KETEN [N] [SIZE] -- replication throughput (issue 3):
# node A holds N entries (default 1,000,000) of ~300-byte event payloads; a
# fresh node B syncs them all over 127.0.0.1 (handshake, encrypted stream,
# a SHA-256 link per entry and a signature per batch checked, indexed,
# durably committed). Prints entries/s, wall time, CPU time and peak RSS of
# both nodes. Then the same number of SIZE-byte entries between two
# Hypercore 11.37.1 processes over TCP on 127.0.0.1 (npm, installed into
# bench/hypercore/node_modules, git-ignored; a comparison, not a dependency),
# and the ratio. A benchmark, not a test: it prints figures.
set -eu
keten=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
n=${2:-1000000} size=${3:-300}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/keten-replicate.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# cpu_ms PID: user+system CPU time of a running process
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"; }
peak_mb() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$1/status"; }

echo "bench/replicate: $n entries of ~$size-byte payloads, node A -> fresh node B over 127.0.0.1"
python3 "$here/../tests/tools/gen_events.py" "$work/doc.jsonld" "$n" 0 small
"$keten" --home "$work/a" init --name A >/dev/null
net=$("$keten" --home "$work/a" network)
"$keten" --home "$work/b" init --name B --network "$net" >/dev/null
t0=$(now_ms)
"$keten" --home "$work/a" record --quiet "$work/doc.jsonld" 2>/dev/null
echo "  (A recorded them in $(( $(now_ms) - t0 )) ms; payload bytes: $("$keten" --home "$work/a" show "$("$keten" --home "$work/a" id | cut -c1-8):1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["entry"]["payloadLength"])'))"
a_id=$("$keten" --home "$work/a" id) b_id=$("$keten" --home "$work/b" id)
pa=$(port)
"$keten" --home "$work/a" peer add "$b_id" >/dev/null
"$keten" --home "$work/b" peer add "$a_id" "127.0.0.1:$pa" >/dev/null
"$keten" --home "$work/a" node --listen "127.0.0.1:$pa" 2>"$work/a.log" & pids+=($!); apid=$!
sleep 0.5
a_cpu0=$(cpu_ms $apid)
t0=$(now_ms)
"$keten" --home "$work/b" node 2>"$work/b.log" & pids+=($!); bpid=$!
seq_b() { "$keten" --home "$work/b" status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(f["seq"] for f in d["feeds"]))'; }
while [ "$(seq_b)" != "$n" ]; do
    sleep 0.2
    kill -0 $bpid 2>/dev/null || { cat "$work/b.log"; echo "node B died"; exit 1; }
done
ms=$(( $(now_ms) - t0 ))
a_cpu=$(( $(cpu_ms $apid) - a_cpu0 )) b_cpu=$(cpu_ms $bpid)
a_rss=$(peak_mb $apid) b_rss=$(peak_mb $bpid)
kill -TERM $apid $bpid; wait $apid $bpid 2>/dev/null || true
keten_rate=$(( n * 1000 / (ms > 0 ? ms : 1) ))
echo "  keten: $keten_rate entries/s verified and durably stored ($ms ms wall)"
echo "         CPU: A (sender) $a_cpu ms, B (receiver) $b_cpu ms; peak RSS: A $a_rss MB, B $b_rss MB"
echo "         B's store: $(du -sm "$work/b/db" | cut -f1) MB"

# -- the same between two Hypercore processes (BENCH_HYPERCORE=0 skips it)
"$here/hypercore/ensure.sh" || exit 0
mkdir -p "$work/hc"
node "$here/hypercore/replicate.mjs" writer "$work/hc/w" "$n" "$size" "$work/hc/port.json" >"$work/hc/writer.out" 2>&1 &
pids+=($!); wpid=$!
while [ ! -s "$work/hc/port.json" ]; do
    kill -0 $wpid 2>/dev/null || { cat "$work/hc/writer.out"; echo "hypercore writer died"; exit 1; }
    sleep 0.5
done
key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$work/hc/port.json")
hport=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$work/hc/port.json")
node "$here/hypercore/replicate.mjs" reader "$work/hc/r" "$key" "$hport" "$n" >"$work/hc/reader.out"
kill -TERM $wpid; wait $wpid 2>/dev/null || true
python3 - "$work/hc/reader.out" "$work/hc/writer.out" "$keten_rate" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
w = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
k = int(sys.argv[3])
print(f"  hypercore 11.37.1: {r['entriesPerSec']} entries/s ({r['ms']} ms wall, {r['entries']} entries)")
print(f"         CPU: writer {w['replCpuMs']} ms, reader {r['cpuMs']} ms; peak RSS: writer {w['maxRssMB']} MB, reader {r['maxRssMB']} MB")
print(f"  ratio keten / hypercore: {k / max(r['entriesPerSec'], 1):.1f}x   (goal, issue 3: >= 20x and >= 100,000 entries/s)")
PY
echo "  reproduce: make bench   or   bench/replicate.sh $keten $n"
