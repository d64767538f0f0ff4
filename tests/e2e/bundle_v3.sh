#!/usr/bin/env bash
# Bundle version 3 (docs/bundle.md, "Version 3": the partners' identity
# statements and endorsements, the cosignatures of their checkpoints) read
# by the two independent verifiers: the browser's web/keten-verify.js (under
# Node 20 through tests/tools/bundle_verify_cli.mjs, and in headless
# Chromium on the node's drop page) and tests/tools/bundle_verify.py.
#
# Three partners on 127.0.0.1 (A and C dial B), each with its identity
# statement; B and C endorse A, C endorses B with a name that does not match
# B's statement. A and B record steps of one product; C, holding both feeds
# and the cosignatures of their checkpoints by the two other partners,
# makes the bundle: version 3 by default (the store holds statements and
# cosignatures), version 2 with --version 2.
#   - keten, JS and Python tell the same story (JS: the whole JSON object;
#     Python: partners, feeds with identity, endorsedBy and witnesses, and
#     the statements);
#   - a flipped byte in a statement's payload, in a statement's header, in a
#     cosignature, a cosignature line repeated: all three fail with the same
#     claim, naming the statement or the witness;
#   - statements made here with B's key and the bundle re-signed with C's
#     (so that only the statement checks catch them): an endorsement of B by
#     B, a GLN with a wrong check digit, a domain with a capital letter, an
#     identity naming another feed, a statement with 8 items: all three
#     fail alike; a newer identity statement of B is B's stated identity in
#     all three stories;
#   - bit flips at every 37th byte of the statements and of the checkpoints:
#     keten and JS give the same verdict and claim, Python the same verdict;
#   - the drop page in Chromium (when /usr/bin/chromium is installed) shows
#     each partner's stated name, "endorsed by ...", "witnessed by ..." and
#     a flipped statement as failed with keten's claim.
set -eu
. "$(dirname "$0")/nodelib.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
JSV=$ROOT/tests/tools/bundle_verify_cli.mjs
PYV=$ROOT/tests/tools/bundle_verify.py
PY=$(python3 -c 'import sys; print(sys.executable)')
EPC=urn:epc:id:sgtin:5412345.000001.1001
HAVE_NODE=1
command -v node >/dev/null 2>&1 || { HAVE_NODE=0; echo "SKIP: the JS verifier (node is not installed)"; }

# three verifiers, outputs in $T/out (keten), $T/jout (JS), $T/pout (Python)
jsv() {
    set +e
    node "$JSV" "$@" >"$T/jout" 2>"$T/jerr"
    echo $? >"$T/jrc"
    set -e
}
pyv() {
    set +e
    "$PY" "$PYV" --json "$@" >"$T/pout" 2>"$T/perr"
    echo $? >"$T/prc"
    set -e
}

# same_story FILE: all three accept FILE and tell the same story
same_story() {
    expect 0 bundle verify "$1" --json
    pyv "$1"
    [ "$(cat "$T/prc")" = 0 ] || { cat "$T/perr"; fail "python rejects $1"; }
    if [ $HAVE_NODE = 1 ]; then
        jsv "$1"
        [ "$(cat "$T/jrc")" = 0 ] || { cat "$T/jout"; fail "the JS verifier rejects $1"; }
    else
        cp "$T/out" "$T/jout"
    fi
    "$PY" - "$T/out" "$T/jout" "$T/pout" <<'PY' || fail "the verifiers tell different stories of $1"
import json, sys
k, j, p = (json.load(open(f)) for f in sys.argv[1:4])
if k != j:
    for key in sorted(set(k) | set(j)):
        if k.get(key) != j.get(key):
            print(key, "keten:", json.dumps(k.get(key))[:3000], "\njs:", json.dumps(j.get(key))[:3000], file=sys.stderr)
    sys.exit(1)
for key in ("bundle", "partners", "feeds", "statements", "creator", "subject"):
    if k.get(key) != p.get(key):
        print(key, "keten:", json.dumps(k.get(key))[:3000], "\npython:", json.dumps(p.get(key))[:3000], file=sys.stderr)
        sys.exit(1)
PY
    ok
}

# all_reject FILE TEXT: all three fail (exit 1), keten and JS with the same
# claim, Python with the same claim or that claim followed by a detail;
# TEXT is in it
all_reject() {
    local f=$1 text=$2 k p j
    expect 1 bundle verify "$f"
    contains "$T/err" "$text"
    k=$(head -1 "$T/err")
    k=${k#"keten: bundle $f does not verify: "}
    pyv "$f"
    [ "$(cat "$T/prc")" = 1 ] || fail "python: $f exit $(cat "$T/prc"), expected 1"
    p=$(head -1 "$T/perr")
    p=${p#"bundle_verify: bundle $f does not verify: "}
    if [ "$k" != "$p" ] && [ "${p#"$k: "}" = "$p" ]; then
        fail "claims differ for $f: keten \"$k\", python \"$p\""
    fi
    ok
    if [ $HAVE_NODE = 1 ]; then
        jsv "$f"
        [ "$(cat "$T/jrc")" = 1 ] || fail "JS: $f exit $(cat "$T/jrc"), expected 1"
        j=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"])' "$T/jout")
        [ "$j" = "$k" ] || fail "claims differ for $f: keten \"$k\", JS \"$j\""
        ok
    fi
}

# ---- three partners, identities, endorsements, witnesses -------------------
A=$T/a B=$T/b C=$T/c
mkhome "$B" Slachthuis
NET=$("$KETEN" --home "$B" network)
mkhome "$A" Boerderij "$NET"
mkhome "$C" Keuken "$NET"
A_ID=$(id_of "$A") B_ID=$(id_of "$B") C_ID=$(id_of "$C")
BPORT=$(free_port) HPORT=$(free_port)
"$KETEN" --home "$A" peer add "$B_ID" "127.0.0.1:$BPORT" --name boerderij-peer >/dev/null
"$KETEN" --home "$B" peer add "$A_ID" --name boerderij >/dev/null
"$KETEN" --home "$B" peer add "$C_ID" --name keuken >/dev/null
"$KETEN" --home "$C" peer add "$B_ID" "127.0.0.1:$BPORT" --name slachthuis >/dev/null
"$KETEN" --home "$A" record --type ObjectEvent --action ADD --biz-step commissioning \
    --epc "$EPC" --event-time 2025-11-30T08:00:00Z >/dev/null
"$KETEN" --home "$B" record --type ObjectEvent --action OBSERVE --biz-step receiving \
    --epc "$EPC" --event-time 2025-11-30T12:00:00Z >/dev/null
expect 0 --home "$A" identity set --name "Boerderij De Hoeve" --gln 5412345000006 --gcp 5412345 \
    --domain hoeve.example
expect 0 --home "$B" identity set --name "Slachthuis Demo" --gln 5412345000013
expect 0 --home "$C" identity set --name "Keuken Ziekenhuis" --gcp 5412345
expect 0 --home "$B" peer endorse "$A_ID" --name "Boerderij De Hoeve" --gln 5412345000006
expect 0 --home "$C" peer endorse "$A_ID" --name "Boerderij De Hoeve" --gcp 5412345
expect 0 --home "$C" peer endorse "$B_ID" --name "Slachthuis Anders" --gln 5412345000013
start_node "$B" "$BPORT"
start_node "$A"
"$KETEN" --home "$C" node --http "127.0.0.1:$HPORT" 2>>"$C.log" &
NODE_PIDS+=($!)
WHY="all three converge" wait_until 30 same_heads "$A" "$B" "$C"
witnessed_by() { "$KETEN" --home "$1" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
f = next(f for f in d["feeds"] if f["feed"] == sys.argv[1])
assert {w["witness"] for w in f.get("witnesses", [])} >= set(sys.argv[2:])' "$2" "${@:3}"; }
WHY="C holds B's and C's cosignatures of A's checkpoint" wait_until 30 witnessed_by "$C" "$A_ID" "$B_ID" "$C_ID"
WHY="C holds C's cosignature of B's checkpoint" wait_until 30 witnessed_by "$C" "$B_ID" "$C_ID"

# ---- the default is version 3; --version 2 the old one -----------------------
expect 0 --home "$C" bundle create "$EPC" --out "$T/p.keten"
expect 0 bundle verify "$T/p.keten" --json
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["bundle"] == 3 and d["statements"], d["bundle"]' "$T/out" ||
    fail "bundle create does not write version 3 by default"; ok
expect 0 --home "$C" bundle create "$EPC" --out "$T/p3.keten" --identities
cmp -s "$T/p.keten" "$T/p3.keten" || {
    expect 0 bundle verify "$T/p3.keten" --json
    "$PY" -c 'import json,sys; assert json.load(open(sys.argv[1]))["bundle"] == 3' "$T/out" || fail "--identities"
}
ok
expect 0 --home "$C" bundle create "$EPC" --out "$T/p2.keten" --version 2
expect 0 bundle verify "$T/p2.keten" --json
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["bundle"] == 2 and "statements" not in d, d["bundle"]' "$T/out" ||
    fail "--version 2 does not write version 2"; ok
expect 2 --home "$C" bundle create "$EPC" --out "$T/px.keten" --version 4
contains "$T/err" "--version"
[ ! -e "$T/px.keten" ] || fail "a refused bundle was written"; ok
echo "bundle of 2 steps: version 2 $(wc -c <"$T/p2.keten") bytes, version 3 $(wc -c <"$T/p.keten") bytes"

# ---- the same story in all three --------------------------------------------
same_story "$T/p2.keten"
same_story "$T/p.keten"
"$PY" - "$T/jout" "$A_ID" "$B_ID" "$C_ID" <<'PY' || fail "the JS story lacks identities, endorsements or witnesses"
import json, sys
d = json.load(open(sys.argv[1])); a, b, c = sys.argv[2:]
assert d["bundle"] == 3, d["bundle"]
fa = next(f for f in d["feeds"] if f["feed"] == a)
fb = next(f for f in d["feeds"] if f["feed"] == b)
assert fa["identity"]["name"] == "Boerderij De Hoeve" and fa["identity"]["domain"] == "hoeve.example", fa
assert sorted((e["feed"], e["agrees"]) for e in fa["endorsedBy"]) == sorted([(b, True), (c, True)]), fa["endorsedBy"]
assert [(e["feed"], e["agrees"], e["name"]) for e in fb["endorsedBy"]] == [(c, False, "Keuken Ziekenhuis")], fb["endorsedBy"]
assert {w["witness"] for w in fa["witnesses"]} >= {b, c}, fa["witnesses"]
assert c in {w["witness"] for w in fb["witnesses"]}, fb["witnesses"]
assert all(w["timeText"].endswith("Z") and w["time"] > 1700000000 for w in fa["witnesses"]), fa["witnesses"]
PY
ok

# ---- what the buyer demands: --trust and --require-witnesses, keten and JS ------
printf '# keys we know\n%s Slachthuis (met them)\n%s Keuken\n' "$B_ID" "$C_ID" >"$T/trust"
printf '%s someone else\n' "$(printf '%064d' 7)" >"$T/trust-other"
demand() { # WANT-EXIT ARGS...: keten and JS exit alike and print the same JSON
    local want=$1; shift
    expect "$want" bundle verify "$T/p.keten" --json "$@"
    if [ $HAVE_NODE = 1 ]; then
        jsv "$T/p.keten" "$@"
        [ "$(cat "$T/jrc")" = "$want" ] || { cat "$T/jerr"; fail "JS $* exit $(cat "$T/jrc"), expected $want"; }
        "$PY" -c 'import json,sys; k,j=(json.load(open(f)) for f in sys.argv[1:3]); assert k == j, (k.get("demands"), j.get("demands"))' \
            "$T/out" "$T/jout" || fail "keten and JS differ on the demands $*"
        ok
    fi
}
demand 0 --trust "$T/trust" --require-witnesses 2
demand 1 --trust "$T/trust-other"
demand 1 --trust "$T/trust" --require-witnesses 3
demand 0 --require-witnesses 1
demand 1 --require-witnesses 5
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["verified"] is False and d["demands"]["failures"], d.get("demands")' "$T/jout" ||
    fail "JS: an unmet demand"; ok

# ---- flipped bytes -----------------------------------------------------------
# flip IN OUT NEEDLE DELTA: the byte DELTA after the first NEEDLE (hex) flipped
flip() {
    "$PY" - "$@" <<'PY' || fail "flip $3"
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.find(bytes.fromhex(sys.argv[3]))
assert i > 0, sys.argv[3]
b[i + int(sys.argv[4])] ^= 0x01
open(sys.argv[2], "wb").write(bytes(b))
PY
}
hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
# a byte of B's statement ("Slachthuis Demo"): its payload no longer matches
flip "$T/p.keten" "$T/f1.keten" "$(hexof "Slachthuis Demo")" 3
all_reject "$T/f1.keten" "payload SHA-256 does not match the signed header"
contains "$T/err" "(feed ${B_ID:0:8} seq "
# a byte of a statement's header (its recordTime): the signature breaks
"$PY" - "$T/p.keten" "$T/f2.keten" "$B_ID" <<'PY' || fail "header flip"
import sys
b = bytearray(open(sys.argv[1], "rb").read())
# a header [1, feed, seq, prev, recordTime, ...] starts 88 01 58 20 <feed>;
# statements come last in the body, so the last one of B is a statement
i = b.rfind(b"\x88\x01\x58\x20" + bytes.fromhex(sys.argv[3]))
assert i > 0
j = i + 4 + 32
j += 1 if b[j] < 24 else 2           # seq
j += 2 + 32                          # prev
assert b[j] == 0x1b, hex(b[j])       # recordTime, a uint64 of ms
b[j + 6] ^= 0x01
open(sys.argv[2], "wb").write(bytes(b))
PY
all_reject "$T/f2.keten" "Ed25519 signature does not verify"
contains "$T/err" "statement "
# a cosignature by B of A's checkpoint changed (base64 character 30 of it)
"$PY" - "$T/p.keten" "$T/f3.keten" "$B_ID" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
# B's cosignature line (not the first line after the blank one: B's own)
n = ("\u2014 keten/" + sys.argv[3] + " ").encode()
i = b.index(n)
while b[i - 2:i] == b"\n\n":
    i = b.index(n, i + 1)
i += len("\u2014 keten/".encode()) + 64 + 1 + 30
c = b[i:i+1]
b = b[:i] + (b"B" if c != b"B" else b"C") + b[i+1:]
open(sys.argv[2], "wb").write(b)
PY
all_reject "$T/f3.keten" "claims a cosignature by witness ${B_ID:0:16} that it does not carry"

# ---- statements made here, the bundle re-signed by its creator ----------------
cat >"$T/craft.py" <<'PY'
import hashlib, sys
sys.path.insert(0, sys.argv[1])
import hs_vectors

def dec(b, i=0):
    ib = b[i]; m, ai = ib >> 5, ib & 31; i += 1
    if m == 7 and ai == 22: return None, i
    if ai < 24: a = ai
    else:
        n = 1 << (ai - 24); a = int.from_bytes(b[i:i + n], "big"); i += n
    if m == 0: return a, i
    if m == 2: return bytes(b[i:i + a]), i + a
    if m == 3: return b[i:i + a].decode(), i + a
    if m == 4:
        out = []
        for _ in range(a):
            v, i = dec(b, i); out.append(v)
        return out, i
    raise ValueError("item %02x" % ib)

def head(m, a):
    if a < 24: return bytes([m << 5 | a])
    for ai, n in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if a < 1 << (8 * n): return bytes([m << 5 | ai]) + a.to_bytes(n, "big")

def enc(v):
    if v is None: return b"\xf6"
    if isinstance(v, int): return head(0, v)
    if isinstance(v, bytes): return head(2, len(v)) + v
    if isinstance(v, str): return head(3, len(v.encode())) + v.encode()
    return head(4, len(v)) + b"".join(enc(x) for x in v)

def seed_of(home):
    k = open(home + "/key", "rb").read()
    assert len(k) == 42 and k[:10] == b"KETENKEY\x01\x00", "not a plain key file"
    return k[10:]

def key_of(d):
    e = dec(d)[0]
    h = dec(e[0])[0]
    return (h[1], h[2])

# craft.py TOOLS IN OUT SIGNER_HOME CREATOR_HOME KIND SUBJECT NAME GLN GCP DOMAIN [EXTRA]
_, tools, src, out, signer, creator, kind, subject, name, gln, gcp, domain = sys.argv[:12]
extra = sys.argv[12:]
raw = open(src, "rb").read()
f, end = dec(raw)
body, _ = dec(f[2])
assert end == len(raw) and enc(f) == raw and enc(body) == f[2] and len(body) == 6
seed = seed_of(signer)
st = [1, int(kind), bytes.fromhex(subject), name, gln, gcp, domain] + [e for e in extra]
payload = enc(st)
feed = bytes.fromhex(open(signer + ".id").read().strip())
hdr = enc([1, feed, 1000, b"\x07" * 32, 1764633600000, 4, len(payload), hashlib.sha256(payload).digest()])
entry = enc([hdr, hs_vectors.ed25519_sign(seed, hdr), payload])
stmts = sorted(body[5] + [entry], key=key_of)
body[5] = stmts
f[2] = enc(body)
f[3] = hs_vectors.ed25519_sign(seed_of(creator), b"keten/3 bundle signature" + f[2])
open(out, "wb").write(enc(f))
PY
echo "$B_ID" >"$B.id"
craft() { "$PY" "$T/craft.py" "$ROOT/tests/tools" "$T/p.keten" "$@" || fail "craft $*"; }
craft "$T/s1.keten" "$B" "$C" 2 "$B_ID" "Slachthuis Demo" 5412345000013 "" ""
all_reject "$T/s1.keten" "an endorsement of a feed by itself (a feed cannot endorse its own key)"
contains "$T/err" "(feed ${B_ID:0:8} seq 1000): entry 1000: statement:"
craft "$T/s2.keten" "$B" "$C" 1 "$B_ID" "Slachthuis Demo" 5412345000014 "" ""
all_reject "$T/s2.keten" 'GLN "5412345000014": AI (417): check digit is 4, expected 3'
craft "$T/s3.keten" "$B" "$C" 1 "$B_ID" "Slachthuis Demo" "" 5412345 "Vlees.example"
all_reject "$T/s3.keten" "statement: domain \"Vlees.example\": 'V' at 0"
craft "$T/s4.keten" "$B" "$C" 1 "$A_ID" "Slachthuis Demo" 5412345000013 "" ""
all_reject "$T/s4.keten" "an identity statement names another feed than its own"
craft "$T/s5.keten" "$B" "$C" 1 "$B_ID" "Slachthuis Demo" 5412345000013 "" "" extra
all_reject "$T/s5.keten" "statement: an array of 8 items, not 7"
craft "$T/s6.keten" "$B" "$C" 1 "$B_ID" "Slachthuis" 5412345000013 5412346 ""
all_reject "$T/s6.keten" "does not start with the GS1 Company Prefix 5412346"
# a newer identity statement of B: B's stated identity now, in every story
craft "$T/s7.keten" "$B" "$C" 1 "$B_ID" "Slachthuis Anders" 5412345000013 "" ""
same_story "$T/s7.keten"
"$PY" - "$T/out" "$B_ID" <<'PY' || fail "B's newest identity statement is not its identity"
import json, sys
d = json.load(open(sys.argv[1]))
p = next(p for p in d["partners"] if p["feed"] == sys.argv[2])
assert p["identity"]["seq"] == 1000 and p["identity"]["name"] == "Slachthuis Anders", p
assert [e["agrees"] for e in p["endorsedBy"]] == [True], p["endorsedBy"]
PY
ok
# a cosignature line repeated (the bundle re-signed): one witness twice
"$PY" - "$T/craft.py" "$T/p.keten" "$T/s8.keten" "$C" "$A_ID" "$B_ID" "$ROOT/tests/tools" <<'PY' || fail "repeat a cosignature"
import sys
sys.path.insert(0, sys.argv[7])
exec(open(sys.argv[1]).read().split("# craft.py TOOLS")[0].replace("sys.path.insert(0, sys.argv[1])", ""), globals())
_, _, src, out, creator, a, b, _ = sys.argv
raw = open(src, "rb").read()
f, _ = dec(raw)
body, _ = dec(f[2])
item = next(x for x in body[4] if x[0] == bytes.fromhex(a))
lines = item[2].split("\n")
line = next(l for l in lines if l.startswith("\u2014 keten/" + b))
item[2] = item[2] + line + "\n"
f[2] = enc(body)
f[3] = hs_vectors.ed25519_sign(seed_of(creator), b"keten/3 bundle signature" + f[2])
open(out, "wb").write(enc(f))
PY
all_reject "$T/s8.keten" "the checkpoint carries two cosignatures by witness ${B_ID:0:16}"

# ---- bit flips over the statements and the checkpoints ------------------------
if [ $HAVE_NODE = 1 ]; then
    "$PY" - "$T/p.keten" "$T/flips" <<'PY'
import os, sys
b = open(sys.argv[1], "rb").read()
os.makedirs(sys.argv[2], exist_ok=True)
# the statements: from the first statement entry (the first 0x88 0x01 header
# after the last checkpoint's end) to the body's end; the checkpoints: the
# cosignature lines
dash = "\u2014 keten/".encode()
spots = []
i = b.find(dash)
while i >= 0:
    spots += range(i, i + 180, 37)
    i = b.find(dash, i + 1)
last = b.rfind(b"=\n")
spots += range(last + 2, len(b) - 66, 37)
for n, at in enumerate(sorted(set(spots))):
    c = bytearray(b); c[at] ^= 0x20
    open(os.path.join(sys.argv[2], "%05d.keten" % at), "wb").write(bytes(c))
PY
    flips=0
    for f in "$T"/flips/*.keten; do
        set +e
        "$KETEN" bundle verify "$f" --json >"$T/kf" 2>/dev/null; krc=$?
        node "$JSV" "$f" >"$T/jf" 2>/dev/null; jrc=$?
        "$PY" "$PYV" "$f" >/dev/null 2>&1; prc=$?
        set -e
        [ "$krc" = "$jrc" ] && [ "$krc" = "$prc" ] || fail "flip $f: keten exit $krc, JS $jrc, python $prc"
        "$PY" - "$T/kf" "$T/jf" "$f" <<'PY' || fail "flip $f: keten and JS differ"
import json, sys
k, j = (json.load(open(x)) for x in sys.argv[1:3])
if "error" in k:
    k["error"] = k["error"].replace("bundle %s does not verify: " % sys.argv[3], "", 1)
assert k == j, (k.get("error"), j.get("error"))
PY
        flips=$((flips + 1))
    done
    [ "$flips" -gt 20 ] || fail "only $flips flips"
    ok
    echo "$flips bit flips: keten, JS and Python agree"
fi

# ---- the drop page in Chromium ----------------------------------------------------
if [ $HAVE_NODE = 1 ] && [ -x /usr/bin/chromium ]; then
    mkdir -p "$T/npm"
    cp "$ROOT/tests/browser/package.json" "$ROOT/tests/browser/package-lock.json" \
        "$ROOT/tests/browser/page_check.mjs" "$T/npm/"
    (cd "$T/npm" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm ci --silent --no-audit --no-fund \
        >"$T/npm.log" 2>&1) || { tail -20 "$T/npm.log"; fail "npm ci of playwright-core (tests/browser)"; }
    expect 1 bundle verify "$T/f1.keten"
    REASON=$(head -1 "$T/err"); REASON=${REASON#"keten: bundle $T/f1.keten does not verify: "}
    "$PY" - "$T/tasks.json" "http://127.0.0.1:$HPORT/_keten/" "$T/p.keten" "$T/f1.keten" "${SHOTS:-$T}/page-v3.png" <<'PY'
import json, sys
out, url, good, bad, shot = sys.argv[1:]
json.dump([{"url": url, "file": good, "shot": shot, "height": 1400}, {"url": url, "file": bad}], open(out, "w"))
PY
    (cd "$T/npm" && timeout 120 node page_check.mjs "$T/tasks.json") >"$T/browser.out" 2>"$T/browser.err" ||
        { cat "$T/browser.out"; tail -20 "$T/browser.err"; fail "the browser run"; }
    "$PY" - "$T/browser.out" "$REASON" "$A_ID" "$B_ID" <<'PY' || { cat "$T/browser.out"; fail "what the page showed"; }
import json, sys
good, bad = [json.loads(l) for l in open(sys.argv[1])]
reason, a, b = sys.argv[2:]
for x in (good, bad):
    assert not x["errors"], x["errors"]
assert good["state"] == "verified", good
t = good["partners"]
for want in ("states: Boerderij De Hoeve, GLN 5412345000006", "states: Slachthuis Demo, GLN 5412345000013",
             "endorsed by Slachthuis Demo (" + b[:8], "endorsed by Keuken Ziekenhuis (",
             "as Slachthuis Anders, GLN 5412345000013: does not match its statement",
             "witnessed by Slachthuis Demo (" + b[:8], "witnessed by Keuken Ziekenhuis ("):
    assert want in t, (want, t)
assert bad["state"] == "failed" and reason in bad["text"], (reason, bad)
PY
    ok
else
    echo "SKIP: the page in the browser (no node or no /usr/bin/chromium)"
fi
done_checks
