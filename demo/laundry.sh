#!/usr/bin/env bash
# demo/laundry.sh KETEN -- a laundry's RFID tunnels in one command
# (`make demo-laundry`): a workwear maker and an industrial laundry, each
# with its own node on 127.0.0.1, and a fixed UHF reader on the laundry's
# tunnels speaking LLRP (the emulator tests/tools/llrp_emu.py, on TCP, as a
# real Impinj or Zebra reader would be reached).
#
# The maker commissions a cart of 300 garments with woven-in UHF tags
# (garment ILMD: materials, rated 50 industrial washes) and ships it to the
# laundry. The laundry runs `keten scan --reader llrp:...` with its two
# tunnel antennas mapped: antenna 1 is the soil check-in (receiving), antenna
# 2 the clean check-out (shipping). Each pass of the cart through a tunnel,
# 900 tag reads of 300 garments, becomes one ObjectEvent listing all 300
# EPCs. The first pass in and out is the delivery and the first issue (no
# wash); every cycle after it (soiled in, clean out) is one wash, and the
# wash counts rise. The maker's node receives the laundry's feed and sees
# the same counts for its garments.
#
# Everything runs in a temporary directory; every process started here is
# stopped and the directory removed at the end.
set -euo pipefail
keten=$(cd "$(dirname "${1:-build/keten}")" && pwd)/$(basename "${1:-build/keten}")
here=$(cd "$(dirname "$0")" && pwd)
emu=$here/../tests/tools/llrp_emu.py
work=$(mktemp -d "${TMPDIR:-/tmp}/keten-laundry.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${KETEN_DEMO_KEEP_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ keten %s\n' "$*"; "$keten" "$@"; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

M=$work/werkkledij L=$work/wasserij
MAKER=urn:epc:id:sgln:0614141.00001.0
LAUNDRY=urn:epc:id:sgln:0614141.00002.0
# the emulator's tags: SGTIN-96 of GTIN 80614141123458, serials 1..300
GARMENT=urn:epc:id:sgtin:0614141.812345.

step "The laundry starts a chain; the workwear maker joins it"
run --home "$L" init --name "Wasserij Demo" --gln 0614141000029
NET=$("$keten" --home "$L" network)
run --home "$M" init --name "Werkkledij Demo" --gln 0614141000012 --network "$NET" >/dev/null
MPORT=$(port)
run --home "$L" peer add "$("$keten" --home "$M" id)" "127.0.0.1:$MPORT" --name Werkkledij
run --home "$M" peer add "$("$keten" --home "$L" id)" --name Wasserij

step "Both nodes start (logs in the demo directory)"
"$keten" --home "$M" node --listen "127.0.0.1:$MPORT" 2>"$M.log" &
pids+=($!)
"$keten" --home "$L" node 2>"$L.log" &
pids+=($!)

step "The maker commissions 300 garments (rated 50 washes) and ships the cart to the laundry"
python3 - "$work/maker.jsonld" "$GARMENT" "$MAKER" "$LAUNDRY" <<'EOF'
import json, sys
out, garment, maker, laundry = sys.argv[1:]
epcs = [garment + str(i) for i in range(1, 301)]
def ev(step, t, action, **kw):
    e = {"type": "ObjectEvent", "eventTime": t, "eventTimeZoneOffset": "+01:00",
         "action": action, "bizStep": step, "epcList": epcs,
         "bizLocation": {"id": maker}, "readPoint": {"id": maker}}
    e.update(kw)
    return e
doc = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                    {"garment": "https://keten.dev/ns/garment#"}],
       "type": "EPCISDocument", "schemaVersion": "2.0",
       "creationDate": "2026-01-05T08:00:00.000+01:00",
       "epcisBody": {"eventList": [
           ev("commissioning", "2026-01-05T08:00:00.000+01:00", "ADD", disposition="active",
              ilmd={"garment:fibreComposition": {"polyester": 65, "cotton": 35},
                    "garment:maxWashCycles": 50, "garment:madeIn": "PT",
                    "garment:manufacturer": maker}),
           ev("shipping", "2026-01-06T07:00:00.000+01:00", "OBSERVE",
              sourceList=[{"type": "location", "source": maker}],
              destinationList=[{"type": "location", "destination": laundry}])]}}
json.dump(doc, open(out, "w"), indent=1)
EOF
run --home "$M" record "$work/maker.jsonld"

# tunnel PASSES: the reader serves one cart of 300 per pass (antenna 1 =
# soil check-in, 2 = clean check-out, in turn); keten scan records one
# event per pass
tunnel() {
    local carts=() ants=()
    for a in "$@"; do carts+=(300); ants+=("$a"); done
    rm -f "$work/emu.port"
    python3 "$emu" --port-file "$work/emu.port" --log "$work/emu.log" \
        --carts "$(IFS=,; echo "${carts[*]}")" --antenna "$(IFS=,; echo "${ants[*]}")" \
        --reads 3 --rate 2000 --gap 3 --same-tags 2>>"$work/emu.err" &
    local epid=$!
    pids+=($epid)
    for _ in $(seq 1 100); do [ -s "$work/emu.port" ] && break; sleep 0.05; done
    run --home "$L" scan --reader "llrp:127.0.0.1:$(cat "$work/emu.port")?antennas=1,2&session=2&population=300" \
        --window 1s --antenna "1=$LAUNDRY,receiving" --antenna "2=$LAUNDRY,shipping" \
        --count $# --timeout 60
    kill "$epid" 2>/dev/null || true
    wait "$epid" 2>/dev/null || true
}
washes() { # HOME GARMENT: the wash count lifecycle gives
    "$keten" --home "$1" --json lifecycle "$2" |
        python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["washes"], "of", r["maxWashCycles"])'
}

step "Delivery: the cart passes the soil-side tunnel (receipt) and the clean side (first issue)"
tunnel 1 2
# expect HOME GARMENT N: the demo fails when the count is not N
expect() {
    local got
    got=$(washes "$1" "$2")
    [ "$got" = "$3 of 50" ] || { echo "$2: $got washes, expected $3 (see $work)" >&2; exit 1; }
    echo "$got"
}
w1=$(expect "$L" "${GARMENT}1" 0)
echo "garment 1: $w1 washes (a delivery and a first issue are no wash)"

for cycle in 1 2 3; do
    step "Cycle $cycle: the cart comes back soiled (tunnel 1) and goes out clean (tunnel 2)"
    tunnel 1 2
    w1=$(expect "$L" "${GARMENT}1" $cycle)
    w300=$(expect "$L" "${GARMENT}300" $cycle)
    echo "garment 1: $w1 washes, garment 300: $w300"
done

step "The laundry's report: one garment's whole life"
run --home "$L" lifecycle "${GARMENT}17"

step "The maker's node holds the laundry's feed: it sees the same wash counts"
want=$("$keten" --home "$L" status --json |
    python3 -c 'import json,sys; print(sum(f["seq"] for f in json.load(sys.stdin)["feeds"]))')
for i in $(seq 1 200); do
    got=$("$keten" --home "$M" status --json |
        python3 -c 'import json,sys; print(sum(f["seq"] for f in json.load(sys.stdin)["feeds"]))')
    [ "$got" = "$want" ] && break
    sleep 0.1
done
[ "$got" = "$want" ] || { echo "the maker did not get the laundry's feed (see $M.log)" >&2; exit 1; }
w1=$(expect "$M" "${GARMENT}1" 3)
echo "garment 1 at the maker: $w1 washes"
run --home "$M" verify

step "Done: 8 tunnel passes, 7,200 tag reads, 8 events of 300 garments, 3 washes each"
