#!/usr/bin/env bash
# bench/bundle.sh KETEN [N...] -- the size of a provenance bundle and the
# time of `keten bundle create` for an item with 2 steps, N unrelated
# events recorded in the same feed between them (default 20000 and
# 1000000), and of `keten bundle verify` on it. The figures issue 14 set:
# under 8 KB among 20,000 events, under 16 KB and create under 50 ms among
# 1,000,000 (a version 1 bundle carried every entry between the steps:
# 3.8 MB for 20,000).
set -eu
keten=$1; shift
sizes=${*:-20000 1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/keten-bundle.XXXXXX")
trap 'rm -rf "$work"' EXIT
EPC=urn:epc:id:sgtin:4012345.011111.7001
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
echo "bench/bundle: a 2-step item with N unrelated events between its steps, one feed"
for n in $sizes; do
    h=$work/home-$n
    "$keten" --home "$h" init --name Maker >/dev/null
    "$keten" --home "$h" record --type ObjectEvent --action ADD --biz-step commissioning \
        --epc "$EPC" --event-time 2026-03-01T08:00:00Z --quiet >/dev/null 2>&1
    python3 "$root/tests/tools/gen_events.py" "$work/doc.jsonld" "$n"
    "$keten" --home "$h" record --quiet --commit-every 100000 "$work/doc.jsonld" >/dev/null 2>&1
    rm -f "$work/doc.jsonld"
    "$keten" --home "$h" record --type ObjectEvent --action OBSERVE --biz-step shipping \
        --epc "$EPC" --event-time 2026-03-02T08:00:00Z --quiet >/dev/null 2>&1
    sync
    best=999999
    for run in 1 2 3; do
        t0=$(date +%s%N)
        "$keten" --home "$h" bundle create "$EPC" --out "$work/b.keten" >/dev/null
        t=$(ms "$t0"); [ "$t" -lt "$best" ] && best=$t
    done
    t0=$(date +%s%N)
    "$keten" bundle verify "$work/b.keten" >/dev/null
    tv=$(ms "$t0")
    printf '  N = %-8s bundle %6d bytes, create %4d ms (best of 3), verify %4d ms\n' \
        "$n" "$(stat -c %s "$work/b.keten")" "$best" "$tv"
    rm -rf "$h"
done
echo "  goals (issue 14): < 8 KB at N = 20,000; < 16 KB and create < 50 ms at N = 1,000,000"
echo "  reproduce: bench/bundle.sh $keten $sizes"
