#!/usr/bin/env bash
# demo/demo.sh KETEN -- keten's main job in one command (`make demo`):
# a meat processor's node records a small but real meat chain (a slaughter
# lot with its origin, cut into portions, packed, shipped under cold chain,
# received by a hospital kitchen), shows the signed log, one event with its
# entry, verifies everything and exports it again as EPCIS 2.0.
# Everything happens in a temporary home that is removed at the end.
set -euo pipefail
keten=$(cd "$(dirname "${1:-build/keten}")" && pwd)/$(basename "${1:-build/keten}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/keten-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
export KETEN_HOME="$work/processor"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ keten %s\n' "$*"; "$keten" "$@"; }

step "A meat processor creates its node (an Ed25519 key pair is its identity)"
run init --name "Vleesverwerker Demo" --gln 5412345000006

step "It records the chain: slaughter lot with origin, cutting, packing, cold-chain shipping, receiving"
run record "$here/meat-chain.jsonld"

step "A kitchen's receipt of the pallet is recorded from the command line too"
run record --type ObjectEvent --action OBSERVE --biz-step storing --disposition in_progress \
    --epc urn:epc:id:sscc:5412345.0000000001 --read-point urn:epc:id:sgln:5412345.00002.0 \
    --event-time 2025-11-29T13:45:00.000+01:00

step "The signed log"
run log

step "One event with its signed entry (the portions cut from carcass lot CARC-2025-1128)"
id=$("$keten" log --json | sed -n 2p | sed 's/.*"eventID":"\([^"]*\)".*/\1/')
run show "$id"

step "Everything re-checked: signatures, chain links, payload hashes, event hashes, indexes"
run verify

step "Exported again as an EPCIS 2.0 document"
run export --out "$work/export.jsonld"
printf '%s bytes, %s events\n' "$(wc -c < "$work/export.jsonld")" \
    "$(grep -c '"eventID"' "$work/export.jsonld")"

step "Done. Try it yourself:"
cat <<EOT
  export PATH=\$PWD/build:\$PATH
  keten --home /tmp/a init --name "My Company"
  keten --home /tmp/a record demo/meat-chain.jsonld
  keten --home /tmp/a log --json
  keten help
EOT
