#!/usr/bin/env bash
# bench/import.sh KETEN [N] -- `keten record` of one EPCISDocument with N
# events (default 1,000,000): events/s of the whole program (read, parse,
# check, hash, encode, sign, store, index, one durable commit).
set -eu
keten=$1 n=${2:-1000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/keten-import.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 "$(dirname "$0")/../tests/tools/gen_events.py" "$work/doc.jsonld" "$n"
"$keten" --home "$work/home" init --name Import >/dev/null
size=$(stat -c %s "$work/doc.jsonld")
t0=$(date +%s%N)
/usr/bin/time -f '%M' -o "$work/rss" "$keten" --home "$work/home" record --quiet "$work/doc.jsonld" 2>"$work/err" || { cat "$work/err"; exit 1; }
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
echo "bench/import: keten record of one EPCISDocument with $n events ($((size / 1000000)) MB)"
echo "  $(( n * 1000 / (ms > 0 ? ms : 1) )) events/s ($ms ms), peak RSS $(( $(cat "$work/rss") / 1024 )) MB"
echo "  goal (issue 14): >= 100,000 events/s, peak RSS <= 1 GB"
echo "  reproduce: make bench   or   bench/import.sh $keten $n"
