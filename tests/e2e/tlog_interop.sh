#!/usr/bin/env bash
# keten's Merkle tree, proofs and signed checkpoints (ledger_tree,
# ledger_note) checked by code that is not ours: Go's
# golang.org/x/mod/sumdb/tlog and sumdb/note from Debian
# (golang-golang-x-mod-dev), through tests/tools/tlogcheck.go.
#  - a tree of 300 leaves: Go opens keten's checkpoint note with keten's
#    verifier key, builds the same tree itself, compares the root, checks
#    ~850 inclusion and ~850 consistency proofs with tlog.CheckRecord and
#    tlog.CheckTree and compares each with tlog's own proof;
#  - the other way: keten opens a checkpoint signed by a Go key;
#  - and each side refuses the other's note once it is changed.
set -eu -o pipefail
. "$(dirname "$0")/lib.bash"
: "${KETEN_BUILD:?}"
src=$(cd "$(dirname "$0")/../.." && pwd)
V="$KETEN_BUILD/tools/tlog_vectors"
export GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$T/gocache" GOFLAGS=
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ] ||
    fail "golang-golang-x-mod-dev is not installed (make check-deps installs it)"
go build -o "$T/tlogcheck" "$src/tests/tools/tlogcheck.go"

"$V" emit 300 >"$T/v.json"
nonempty "$T/v.json"
"$T/tlogcheck" verify "$T/v.json" >"$T/out"
contains "$T/out" "300 leaves"
contains "$T/out" ": ok"

# a keten note with one character of its signature changed: Go refuses it
python3 - "$T/v.json" "$T/bad.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
sig = v["note"].rstrip("\n").rsplit(" ", 1)
s = sig[1]
sig[1] = s[:10] + ("A" if s[10] != "A" else "B") + s[11:]
v["note"] = " ".join(sig) + "\n"
json.dump(v, open(sys.argv[2], "w"))
PY
if "$T/tlogcheck" verify "$T/bad.json" >"$T/out" 2>"$T/err"; then
    fail "Go accepted a changed keten note"
fi
contains "$T/err" "note.Open"
ok

# a proof with one hash changed: Go refuses it
python3 - "$T/v.json" "$T/badp.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
p = next(p for p in v["inclusion"] if p["size"] == 37 and p["index"] == 5)
h = p["hashes"][2]
p["hashes"][2] = ("B" if h[0] != "B" else "C") + h[1:]
json.dump(v, open(sys.argv[2], "w"))
PY
if "$T/tlogcheck" verify "$T/badp.json" >"$T/out" 2>"$T/err"; then
    fail "Go accepted a changed keten proof"
fi
contains "$T/err" "inclusion of 5 in 37"
ok

# the other way: a checkpoint signed by Go, opened by keten
"$T/tlogcheck" sign 1000 >"$T/go.note"
"$V" open "$T/go.note" >"$T/out"
contains "$T/out" "checkpoint of go.example/log, 1000 leaves, signature and root: ok"
# ... with its size changed, the signature no longer checks
sed '3s/^1000$/1001/' "$T/go.note" >"$T/go-bad.note"
if "$V" open "$T/go-bad.note" >"$T/out" 2>"$T/err"; then
    fail "keten accepted a changed Go checkpoint"
fi
contains "$T/err" "does not check"

done_checks
