#!/usr/bin/env bash
# bench/lifecycle.sh KETEN [GARMENTS [WASHES [DIR]]] -- lifecycle at laundry
# size (issue 18 item 4): builds a store of GARMENTS garments (default
# 1,000,000) washed WASHES times each (default 100) in carts of 200
# (bench/lifecycle_gen.py; `keten record` of documents of 10,000 events),
# then prints: the record time and peak RSS, one garment's `lifecycle`
# (whole process, 200 garments spread over the store) p50/p99, `lifecycle
# --due --location LAUNDRY` (the laundry holds every garment but 1 in 50)
# and its --csv, and `lifecycle --missing --days 30`, each with its time
# and peak RSS; then the same in one process (build/bench/lifecycle, from
# `make` of bench/lifecycle.c, found next to KETEN). The store goes under DIR (default /work/lbench) and is
# deleted at the end (KEEP=1 keeps it). Not a test: it prints figures.
set -eu
keten=$1 n=${2:-1000000} washes=${3:-100} dir=${4:-/work/lbench}
L=urn:epc:id:sgln:5412345.00006.0
mkdir -p "$dir"
work=$(mktemp -d "$dir/lifecycle.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
t=$(date +%s%N)
events=$(python3 "$(dirname "$0")/lifecycle_gen.py" "$work" "$n" "$washes")
echo "bench/lifecycle: $n garments x $washes washes in carts of 200: $events events, $(( events * 200 / 1000000 )).$(( events * 200 % 1000000 / 100000 ))M garment reads (generated in $(ms "$t") ms, $(du -sm "$work" | cut -f1) MB of JSON-LD)"
"$keten" --home "$work/home" init --name Wasserij >/dev/null
rss=0 t=$(date +%s%N)
for d in "$work"/doc-*.jsonld; do
    /usr/bin/time -f '%M' -o "$work/rss" "$keten" --home "$work/home" record --quiet "$d" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
    r=$(tail -1 "$work/rss"); [ "$r" -gt "$rss" ] && rss=$r
    rm -f "$d"
done
echo "  record: $(ms "$t") ms, peak RSS $(( rss / 1024 )) MB per document; store $(du -sm "$work/home" | cut -f1) MB"
# one garment's lifecycle, whole process, 200 garments over the store
: >"$work/lat"
for k in $(seq 0 199); do
    g=urn:epc:id:sgtin:5412345.000020.$(( (k * 7919 + 13) % n ))
    t=$(date +%s%N)
    "$keten" --home "$work/home" lifecycle "$g" >/dev/null
    echo $(( ($(date +%s%N) - t) / 1000 )) >>"$work/lat"
done
sort -n "$work/lat" >"$work/lat.s"
echo "  lifecycle ID (whole process): p50 $(sed -n 100p "$work/lat.s") us, p99 $(sed -n 198p "$work/lat.s") us, max $(tail -1 "$work/lat.s") us  (goal p99 < 5 ms)"
run() { # NAME ARGS...
    local name=$1; shift
    t=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$work/rss" "$keten" --home "$work/home" "$@" >"$work/out" 2>"$work/err" || { cat "$work/err"; exit 1; }
    echo "  $name: $(ms "$t") ms, peak RSS $(( $(tail -1 "$work/rss") / 1024 )) MB, $(wc -l <"$work/out") lines"
}
asof=$(python3 -c "import datetime as d; print((d.datetime(2024,1,1)+d.timedelta(days=7*($washes+1)+40)).strftime('%Y-%m-%dT00:00:00Z'))")
run "lifecycle --due --all --location LAUNDRY" lifecycle --due --all --location "$L"
run "lifecycle --due --all --location LAUNDRY --csv" lifecycle --due --all --location "$L" --csv
run "lifecycle --missing --days 30 --location LAUNDRY" lifecycle --missing --days 30 --as-of "$asof" --location "$L" --csv
bin=$(dirname "$keten")/bench/lifecycle
[ -x "$bin" ] && "$bin" "$work/home" "$n" "$L" "$asof" 200
echo "  goals (issue 18): --due for a laundry holding 200,000 garments < 2 s, memory bounded"
echo "  reproduce: bench/lifecycle.sh $keten $n $washes $dir"
