#!/usr/bin/env bash
# keten checkpoint and keten proof through the real binary, checked by code
# that is not keten's: Go's golang.org/x/mod/sumdb/note opens the signed
# checkpoints with the verifier key `checkpoint --vkey` prints, and
# sumdb/tlog checks the inclusion proof of an event against the signed root
# and the consistency proof between a checkpoint saved early and a later
# one; Python, with the independent CBOR decoder of verify_entries.py,
# checks that the proof's entry and header are the event's.  Then the
# errors: an entry past the head, sizes out of range, an unknown feed.
set -eu -o pipefail
. "$(dirname "$0")/lib.bash"
src=$(cd "$(dirname "$0")/../.." && pwd)
export GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$T/gocache" GOFLAGS=
go build -o "$T/tlogcheck" "$src/tests/tools/tlogcheck.go"
H="$T/maker"
expect 0 --home "$H" init --name "Workwear maker"
F=$("$KETEN" --home "$H" id)
event() {
    printf '{"type":"ObjectEvent","eventTime":"2026-03-0%dT08:00:00Z","eventTimeZoneOffset":"+00:00","action":"ADD","bizStep":"commissioning","epcList":["urn:epc:id:sgtin:5412345.000001.%d"]}\n' "$1" "$1"
}
for i in 1 2 3; do event "$i" >"$T/e$i.json"; expect 0 --home "$H" record "$T/e$i.json"; done

# the checkpoint after 3 events, kept by the buyer
expect 0 --home "$H" checkpoint
cp "$T/out" "$T/cp3"
contains "$T/cp3" "keten/$F"
expect 0 --home "$H" checkpoint --vkey
cp "$T/out" "$T/vkey"
contains "$T/vkey" "keten/$F+"
[ "$(sed -n 2p "$T/cp3")" = 3 ] || fail "the checkpoint after 3 events is not of size 3"
ok

for i in 4 5 6 7 8 9; do event "$i" >"$T/e$i.json"; done
expect 0 --home "$H" record "$T/e4.json" "$T/e5.json" "$T/e6.json"
expect 0 --home "$H" record "$T/e7.json"
expect 0 --home "$H" record "$T/e8.json" "$T/e9.json"
expect 0 --home "$H" checkpoint
cp "$T/out" "$T/cp9"
[ "$(sed -n 2p "$T/cp9")" = 9 ] || fail "the checkpoint after 9 events is not of size 9"
ok

# an event's inclusion, by its eventID, checked by Go against the signed root
EV=$("$KETEN" --home "$H" show "$F:5" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["eventID"])')
expect 0 --home "$H" proof inclusion "$EV" --json
cp "$T/out" "$T/incl.json"
"$T/tlogcheck" inclusion "$(cat "$T/vkey")" "$T/cp9" "$T/incl.json" >"$T/go.out"
contains "$T/go.out" "seq 5 is in the signed tree of 9 of keten/$F: ok"
python3 - "$src/tests/tools" "$T/incl.json" "$F" <<'PY'
import base64, hashlib, json, sys
sys.path.insert(0, sys.argv[1])
from verify_entries import cbor
p = json.load(open(sys.argv[2]))
entry = base64.b64decode(p["entry"])
(hb, sig, payload), _ = cbor(entry)
assert hb == base64.b64decode(p["header"]), "the header is not the entry's"
h, _ = cbor(hb)
version, feed, seq, prev, rtime, ptype, plen, phash = h
assert feed.hex() == sys.argv[3] and seq == p["seq"] == 5, "another entry"
assert hashlib.sha256(payload).digest() == phash and len(payload) == plen, "payload"
assert base64.b64decode(p["leafHash"]) == hashlib.sha256(b"\0" + hb).digest(), "leaf hash"
print("python: entry, header and leaf of seq 5: ok")
PY
ok
# the JSON's own checkpoint is the kept one of that size
python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); assert p["checkpoint"] == open(sys.argv[2]).read()' "$T/incl.json" "$T/cp9" ||
    fail "proof inclusion --json does not carry the checkpoint of its size"
ok

# a changed proof: Go refuses it
python3 - "$T/incl.json" "$T/bad.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
h = p["hashes"][0]
p["hashes"][0] = ("A" if h[0] != "A" else "B") + h[1:]
json.dump(p, open(sys.argv[2], "w"))
PY
if "$T/tlogcheck" inclusion "$(cat "$T/vkey")" "$T/cp9" "$T/bad.json" >/dev/null 2>"$T/go.err"; then
    fail "Go accepted a changed inclusion proof"
fi
contains "$T/go.err" "tlog.CheckRecord"

# the tree of 3 the buyer kept is a prefix of the tree of 9
expect 0 --home "$H" proof consistency "$F" 3 9 --json
cp "$T/out" "$T/cons.json"
"$T/tlogcheck" consistency "$(cat "$T/vkey")" "$T/cp3" "$T/cp9" "$T/cons.json" >"$T/go.out"
contains "$T/go.out" "the signed tree of 3 is a prefix of the signed tree of 9: ok"
# ... and a checkpoint of another history is not
sed '3s/^.\{4\}/AAAA/' "$T/cp3" >"$T/cp3-other"
if "$T/tlogcheck" consistency "$(cat "$T/vkey")" "$T/cp3-other" "$T/cp9" "$T/cons.json" >/dev/null 2>"$T/go.err"; then
    fail "Go accepted a changed checkpoint"
fi
contains "$T/go.err" "note.Open"

# text forms
expect 0 --home "$H" proof inclusion "$F:2" --size 7
contains "$T/out" "seq        2 (leaf index 1)"
contains "$T/out" "checkpoint (none of size 7 is kept)"
expect 0 --home "$H" proof consistency "${F:0:8}" 7 0
contains "$T/out" "new        9 leaves"

# errors
expect 1 --home "$H" proof inclusion "$F:10"
contains "$T/err" "no entry $F:10"
expect 2 --home "$H" proof inclusion "$F:2" --size 10
contains "$T/err" "tree size 10 is past the 9 entries"
expect 2 --home "$H" proof inclusion "$F:2" --size 0
expect 2 --home "$H" proof consistency "$F" 9 3
contains "$T/err" "OLD 9 is past NEW 3"
expect 2 --home "$H" proof consistency "$F" 0 3
expect 2 --home "$H" proof sideways
expect 1 --home "$H" checkpoint 0000000000000000000000000000000000000000000000000000000000000000
contains "$T/err" "no feed 0000000000000000000000000000000000000000000000000000000000000000"
expect 1 --home "$H" checkpoint 00000000
contains "$T/err" "no feed starting with 00000000"

done_checks
