#!/usr/bin/env bash
# Cosignatures relayed: A and C talk only to B. B witnesses both; A and C
# witness B and get each other's checkpoints through B, cosigned. Every
# node's `keten checkpoint FEED` must then list each signer once (a note
# that arrived carrying cosignature lines, stored and shown with the rows
# of the same witnesses appended again, listed a witness twice, and a
# bundle carrying it was refused: "two cosignatures by witness ...").
set -eu
. "$(dirname "$0")/nodelib.bash"
A=$T/a B=$T/b C=$T/c
mkhome "$B" Bravo
NET=$("$KETEN" --home "$B" network)
mkhome "$A" Alfa "$NET"
mkhome "$C" Charlie "$NET"
BPORT=$(free_port)
expect 0 --home "$A" peer add "$(id_of "$B")" "127.0.0.1:$BPORT" --name b
expect 0 --home "$B" peer add "$(id_of "$A")" --name a
expect 0 --home "$B" peer add "$(id_of "$C")" --name c
expect 0 --home "$C" peer add "$(id_of "$B")" "127.0.0.1:$BPORT" --name b
for h in "$A" "$B" "$C"; do
    expect 0 --home "$h" record --epc "urn:epc:id:sgtin:5412345.000012.$(basename "$h")1" \
        --biz-step commissioning
done
start_node "$B" "$BPORT"
start_node "$A"
start_node "$C"
WHY="A and C converge through B" wait_until 30 same_heads "$A" "$C"
# three signers (the owner and two witnesses) on every feed at every node
signers() { # HOME FEEDHOME: "lines signers"
    "$KETEN" --home "$1" checkpoint "$(id_of "$2")" >"$T/ck" 2>/dev/null || return 1
    echo "$(grep -c '^—' "$T/ck") $(grep '^—' "$T/ck" | awk '{print $2}' | sort -u | wc -l)"
}
all_three() { for h in "$A" "$B" "$C"; do for f in "$A" "$B" "$C"; do
    [ "$(signers "$h" "$f" | cut -d' ' -f2)" = 3 ] || return 1; done; done; }
WHY="every checkpoint cosigned by both witnesses everywhere" wait_until 60 all_three
for h in "$A" "$B" "$C"; do
    for f in "$A" "$B" "$C"; do
        got=$(signers "$h" "$f")
        [ "$got" = "3 3" ] || fail "at $(basename "$h"), feed $(basename "$f"): $got (lines, signers): $(cat "$T/ck")"
        ok
    done
done
done_checks
