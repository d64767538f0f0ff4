#!/usr/bin/env bash
# demo/demo.sh KETEN -- keten's main job in one command (`make demo`):
# a meat chain of four partners, each with its own node on 127.0.0.1:
#
#   farm -> slaughterhouse -> meat processor -> hospital kitchen
#
# Each partner creates its node (a key pair), joins the chain's network key
# and names the partner it talks to; the nodes connect (authenticated,
# encrypted) and keep every feed in step. Each partner records its part of
# the chain (animals born and shipped; received and slaughtered into a
# carcass lot; cut, packed and shipped under cold chain; received at the
# kitchen), and the events arrive at the others. The kitchen, connected only
# to the processor, ends up with all four feeds and verifies every partner's
# signatures itself. A private entry of the slaughterhouse arrives sealed.
# The kitchen traces the pallet back to the farm, recalls the cutting lot
# (its packs were made with the lot in ILMD) and makes a provenance
# bundle that anyone can verify offline. The kitchen's node also serves HTTP:
# the product page of a meat pack (its GS1 Digital Link), with the partners'
# feeds made public in the kitchen's keten.json; the demo prints its URL
# (KETEN_DEMO_KEEP=1 keeps the nodes running until Enter, to open it).
# Everything runs in a temporary directory; every node started here is
# stopped and the directory removed at the end.
set -euo pipefail
keten=$(cd "$(dirname "${1:-build/keten}")" && pwd)/$(basename "${1:-build/keten}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/keten-demo.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ keten %s\n' "$*"; "$keten" "$@"; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

F=$work/farm S=$work/slachthuis P=$work/verwerker K=$work/keuken
step "The slaughterhouse starts a chain: a node key pair and a new network key"
run --home "$S" init --name "Slachthuis Demo" --gln 5412345000013
NET=$("$keten" --home "$S" network)

step "The farm, the meat processor and the hospital kitchen join with that network key"
run --home "$F" init --name "Boerderij Demo" --gln 5412345000099 --network "$NET" >/dev/null
run --home "$P" init --name "Vleesverwerker Demo" --gln 5412345000006 --network "$NET" >/dev/null
run --home "$K" init --name "Ziekenhuiskeuken Demo" --gln 5412345000020 --network "$NET" >/dev/null
FID=$("$keten" --home "$F" id) SID=$("$keten" --home "$S" id)
PID=$("$keten" --home "$P" id) KID=$("$keten" --home "$K" id)
FPORT=$(port) SPORT=$(port) PPORT=$(port) HPORT=$(port)
echo "farm $FID"; echo "slaughterhouse $SID"; echo "processor $PID"; echo "kitchen $KID"

step "Each partner lists the partners it talks to (who may connect, where to dial)"
run --home "$S" peer add "$FID" "127.0.0.1:$FPORT" --name Boerderij
run --home "$F" peer add "$SID" --name Slachthuis
run --home "$P" peer add "$SID" "127.0.0.1:$SPORT" --name Slachthuis
run --home "$S" peer add "$PID" --name Vleesverwerker
run --home "$K" peer add "$PID" "127.0.0.1:$PPORT" --name Vleesverwerker
run --home "$P" peer add "$KID" --name Ziekenhuiskeuken

step "The kitchen publishes its partners' steps on its product pages (keten.json, \"http\")"
python3 - "$K/keten.json" "$FID" "$SID" "$PID" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["http"] = {"public": {"feeds": sys.argv[2:5]}}   # farm, slaughterhouse, processor
json.dump(c, open(sys.argv[1], "w"), indent=2)
print('"http": ' + json.dumps(c["http"]))
EOF

step "Four nodes start (logs in the demo directory); the kitchen's also serves HTTP"
for h in "$F:$FPORT" "$S:$SPORT" "$P:$PPORT" "$K:"; do
    home=${h%:*} p=${h##*:}
    if [ -n "$p" ]; then
        "$keten" --home "$home" node --listen "127.0.0.1:$p" 2>"$home.log" &
    else
        "$keten" --home "$home" node --http "127.0.0.1:$HPORT" 2>"$home.log" &
    fi
    pids+=($!)
    echo "$(basename "$home") node: pid $!${p:+, listening on 127.0.0.1:$p}${p:-, HTTP on 127.0.0.1:$HPORT}"
done

step "Each partner records its part of the chain, while the nodes run"
run --home "$F" record "$here/chain/farm.jsonld"
run --home "$S" record "$here/chain/slaughterhouse.jsonld"
run --home "$S" record --private --type ObjectEvent --action OBSERVE --biz-step inspecting \
    --disposition active --epc urn:epc:id:giai:5412345.BE512345678901 \
    --read-point urn:epc:id:sgln:5412345.00001.0 --event-time 2025-11-28T06:00:00.000+01:00
run --home "$P" record "$here/chain/processor.jsonld"
run --home "$K" record "$here/chain/kitchen.jsonld"

step "The events arrive at every partner (the kitchen talks only to the processor)"
want=4
for i in $(seq 1 100); do
    n=$("$keten" --home "$K" status --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["feeds"]))')
    seqs=$("$keten" --home "$K" status --json | python3 -c 'import json,sys; print(sum(f["seq"] for f in json.load(sys.stdin)["feeds"]))')
    [ "$n" = $want ] && [ "$seqs" = 10 ] && break
    sleep 0.1
done
echo "(all ten entries at the kitchen after $((i * 100)) ms or less)"
run --home "$K" status
run --home "$K" log

step "At the kitchen: the farm's event, signed by the farm, relayed by two partners"
run --home "$K" show "${FID:0:8}:1"

step "At the kitchen: the slaughterhouse's private inspection arrived sealed (no payload)"
run --home "$K" show "${SID:0:8}:4"

step "The kitchen re-checks everything it holds: every partner's signatures and chains"
run --home "$K" verify

step "At the kitchen: where did the pallet come from? One step back at a time, across partners"
run --home "$K" trace urn:epc:id:sscc:5412345.0000000001 --back

step "A recall of the cutting lot: every pack made from it, every shipment of it, where each is now"
run --home "$K" recall urn:epc:class:lgtin:5412345.000012.CUT-4711

step "A provenance bundle for a tender, checked with no home and no network"
run --home "$K" bundle create urn:epc:id:sscc:5412345.0000000001 --out "$work/pallet.keten"
run bundle verify "$work/pallet.keten"

step "The product page of a meat pack, served by the kitchen's node"
PAGE=http://127.0.0.1:$HPORT/01/05412345000129/21/P1001
printf '$ curl -H "Accept: text/html" %s     # a browser is sent to the page\n' "$PAGE"
curl -s -o /dev/null -w '%{http_code} -> %{redirect_url}\n' -H 'Accept: text/html' "$PAGE"
printf '$ curl -o pack.keten http://127.0.0.1:%s/bundle/01/05412345000129/21/P1001    # what the page verifies\n' "$HPORT"
curl -s -o "$work/pack.keten" "http://127.0.0.1:$HPORT/bundle/01/05412345000129/21/P1001"
printf '$ keten bundle verify pack.keten\n'
"$keten" bundle verify "$work/pack.keten" | sed -n '1p;/^partners/,/^$/p'
cat <<EOT

  The product page of the pack (it verifies its bundle in the browser):
    $PAGE
  Open it in a browser on this machine while the nodes run, e.g.
    chromium $PAGE
  (run the demo as KETEN_DEMO_KEEP=1 make demo to keep the nodes running
  until you press Enter).
EOT
if [ -n "${KETEN_DEMO_KEEP:-}" ] && [ -t 0 ]; then
    read -r -p "Press Enter to stop the nodes. " _
fi

step "The nodes stop (SIGTERM)"
for p in "${pids[@]}"; do kill -TERM "$p"; done
wait
pids=()
tail -n 2 "$K.log"

step "Done. Run a chain yourself:"
cat <<EOT
  export PATH=\$PWD/build:\$PATH
  keten --home /tmp/a init --name "My Company"                 # prints a new network key
  keten --home /tmp/b init --name "My Customer" --network \$(keten --home /tmp/a network)
  keten --home /tmp/b peer add \$(keten --home /tmp/a id) 127.0.0.1:7401 --name "My Company"
  keten --home /tmp/a peer add \$(keten --home /tmp/b id) --name "My Customer"
  keten --home /tmp/a node --listen 127.0.0.1:7401 &   keten --home /tmp/b node &
  keten --home /tmp/a record demo/meat-chain.jsonld;   keten --home /tmp/b status
  keten help
EOT
