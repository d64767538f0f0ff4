#!/usr/bin/env bash
# keten verify proves a feed's entries by its signed checkpoint
# (docs/format.md, "Verifying a store"): one signature, the tree
# recomputed from the entries' headers. Every byte changed in a copy of the
# store -- of an entry's header or signature, of a tree row, of the kept
# checkpoint note -- still makes verify fail, naming what it found
# (tests/tools/store_poke changes the byte). The one change the default
# run cannot see is the newest entry's signature replaced together with the
# feed's head record: --signatures finds that, and the default run says
# that --signatures exists.
set -eu
. "$(dirname "$0")/nodelib.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)
POKE="$KETEN_BUILD/tools/store_poke"
[ -x "$POKE" ] || fail "no $POKE (make unit builds it)"
H=$T/h
expect 0 --home "$H" init --name Wasserij
python3 "$root/tests/tools/gen_events.py" "$T/doc.jsonld" 35
expect 0 --home "$H" record --quiet "$T/doc.jsonld"
F=$(id_of "$H")

expect 0 --home "$H" verify
contains "$T/out" "ok: 35 entries in 1 feed verified"
contains "$T/out" "35 entries under checkpoint of size 35, 1 signature"
contains "$T/out" "keten verify --signatures"
expect 0 --home "$H" verify --signatures
contains "$T/out" "every entry signature checked (35)"
expect 0 --home "$H" verify --json
contains "$T/out" '"checkpointSize":35,"signaturesChecked":0'

# try_poke WHAT... : a fresh copy of the store in $T/c with one byte
# changed (1 when store_poke refuses: an offset past the part); poke: must
try_poke() {
    rm -rf "$T/c"
    cp -r "$H" "$T/c"
    "$POKE" "$T/c" "$@" >"$T/poke.out" 2>"$T/poke.err"
}
poke() { try_poke "$@" || fail "store_poke $*: $(cat "$T/poke.err")"; }

# every byte of a header: verify fails naming the entry
at=0
while try_poke entry "$F" 10 header "$at"; do
    expect 1 --home "$T/c" verify
    contains "$T/err" "seq 10: "
    at=$((at + 1))
done
contains "$T/poke.err" "past the part"
[ "$at" -ge 100 ] || fail "the header has only $at bytes?"

# every byte of a signature under the checkpoint: the next entry's prev is
# the hash of header and signature, so the link breaks and verify checks
# the signature it had left to the checkpoint, and names it
for at in $(seq 0 63); do
    poke entry "$F" 10 sig "$at"
    expect 1 --home "$T/c" verify
    contains "$T/err" "seq 10: signature: Ed25519 signature does not verify"
done
# the newest entry's: its hash is in the feed's head record
poke entry "$F" 35 sig 9
expect 1 --home "$T/c" verify
contains "$T/err" "seq 35: signature: Ed25519 signature does not verify"

# ... unless the head record is rewritten with it: only --signatures sees it
poke entry "$F" 35 sig 9 fixhead
expect 0 --home "$T/c" verify
contains "$T/out" "35 entries under checkpoint of size 35, 1 signature"
contains "$T/out" "keten verify --signatures"
expect 1 --home "$T/c" verify --signatures
contains "$T/err" "seq 35: signature: Ed25519 signature does not verify"

# the newest entry's header changed (its record time's last byte), the head
# record and the tree rebuilt to match (store_downgrade: the next open
# rebuilds the tree from the log): only the checkpoint's root is left to
# tell, and it does
poke entry "$F" 35 header 80 fixhead
"$KETEN_BUILD/tools/store_downgrade" "$T/c"
expect 1 --home "$T/c" verify
contains "$T/err" "upgrade done"
contains "$T/err" "the checkpoint of feed $F: its root is not the root of the feed's first 35 entries, recomputed from their headers"
expect 1 --home "$T/c" verify --signatures
contains "$T/err" "seq 35: signature: Ed25519 signature does not verify"

# every byte of a tree row (leaf 7 ends subtrees of 2, 4 and 8 leaves)
for at in $(seq 0 127); do
    poke tree "$F" 7 "$at"
    expect 1 --home "$T/c" verify
    contains "$T/err" "seq 8: the feed's tree does not hold this entry's hashes"
done

# every byte of the kept checkpoint note
n=$("$KETEN" --home "$H" checkpoint | wc -c)
[ "$n" -gt 100 ] || fail "checkpoint of $n bytes?"
for at in $(seq 0 $((n - 1))); do
    poke checkpoint "$F" "$at"
    expect 1 --home "$T/c" verify
    contains "$T/err" "checkpoint of feed $F"
done
done_checks
