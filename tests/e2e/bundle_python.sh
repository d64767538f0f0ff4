#!/usr/bin/env bash
# Provenance bundles checked by "a buyer's own tool": tests/tools/bundle_verify.py
# (Python standard library only, written from docs/bundle.md, docs/format.md
# and the C2SP / RFC 9162 texts: its own CBOR reader, SHA-256 from hashlib,
# Ed25519 from RFC 8032, its own signed-note reader and inclusion-proof
# check) against bundles made by the real keten binary, versions 1 and 2.
#
# The test vectors of docs/bundle.md verify (the version 1 vector; every
# other "N bytes, hex" vector there, e.g. the version 2 one, is picked up
# too) and the documented tamperings give the documented claims. One home
# records a product's history (one step private): its bundle (version 2,
# the own feed in the proof form) and the same bundle rewritten by its
# creator in the chain form (form 1 in version 2, entries from a second
# bundle). Two homes (farm with a private step -> processor) replicate with
# real nodes; the farm's checkpoint reaches the processor (protocol v2,
# CHECKPOINT), so both feeds of the processor's bundles are in the proof
# form; a mixed bundle (the farm's feed in the chain form) is made by
# rewriting, as no CLI path gives a store a partner's entries without its
# checkpoint. For each bundle, Python accepts it and tells the same story as
# `keten bundle verify --json` (version, partners, feeds with their proof
# form, tree size, root and checkpoint, counts, every step's seq, sealing,
# record time, payload hash, event hash), and Python's Ed25519 over
# "keten/<version> bundle signature" || body, made with the home's key, is
# keten's signature byte for byte. Each tampering is rejected by both with
# exit 1 and the same claim: in both forms a payload byte, an entry
# signature byte, the creator's signature, a version, a truncation; in the
# chain form a removed step or link (also re-signed by the creator); in the
# proof form a proof hash byte, one hash too many or too few, a checkpoint
# signature byte, one partner's checkpoint in another's feed item, a step's
# entry swapped for another seq of the feed under the same proof, a
# checkpoint of another origin or of a smaller tree signed by the feed's key,
# an unknown form (the rewritten ones re-signed by the creator, so that only
# the entry checks catch them); a file that is no bundle is such a claim too
# ("not a keten bundle", exit 1); a file that cannot be read exits 3.
set -eu
. "$(dirname "$0")/nodelib.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)
PYV=$root/tests/tools/bundle_verify.py
# the interpreter python3 runs (once through a version manager's shim, which
# can take most of a second per start)
PY=$(python3 -c 'import sys; print(sys.executable)')
EPC=urn:epc:id:sgtin:5412345.000001.1001

# pyv CODE ARGS...: runs the Python verifier, output in $T/pout and $T/perr
pyv() {
    local want=$1; shift
    set +e
    "$PY" "$PYV" "$@" >"$T/pout" 2>"$T/perr"
    local got=$?
    set -e
    if [ "$got" != "$want" ]; then
        echo "--- stdout"; head -20 "$T/pout"; echo "--- stderr"; head -20 "$T/perr"
        fail "bundle_verify.py $* exited $got, expected $want"
    fi
    ok
}

# both_reject FILE TEXT: keten and Python exit 1, both name TEXT, and the
# claim after "bundle FILE does not verify: " is the same text in both
# (Python's may go on with the detail of a damaged part)
both_reject() {
    local f=$1 text=$2 k p
    expect 1 bundle verify "$f"
    pyv 1 "$f"
    contains "$T/err" "$text"
    contains "$T/perr" "$text"
    k=$(head -1 "$T/err") p=$(head -1 "$T/perr")
    k=${k#"keten: bundle $f does not verify: "}
    p=${p#"bundle_verify: bundle $f does not verify: "}
    # Python may add what it found after the claim ("...: CBOR at byte 15: ...")
    if [ -z "$k" ] || { [ "$k" != "$p" ] && [ "${p#"$k: "}" = "$p" ]; }; then
        fail "claims differ for $f: keten \"$k\", python \"$p\""
    fi
    ok
}

# same_story FILE: both accept FILE and tell the same story; prints
# "steps N disclosed N sealed N entries N" (Python's counts) and then
# "FEEDHEX PROOF" per feed to $T/counts
same_story() {
    expect 0 bundle verify "$1" --json
    pyv 0 "$1" --json
    "$PY" - "$T/out" "$T/pout" >"$T/counts" <<'PY' || fail "keten and python disagree on $1"
import json, sys
k, p = (json.load(open(f)) for f in sys.argv[1:3])
assert k["verified"] is True and p["verified"] is True
for key in ("bundle", "subject", "createdMs", "created", "creator", "partners", "feeds"):
    assert k[key] == p[key], (key, k[key], p[key])
for f in k["feeds"]:
    assert f["proof"] in ("tree", "chain"), f
    assert ("checkpoint" in f) == (f["proof"] == "tree") == ("treeSize" in f), f
fields = ("feed", "name", "seq", "sealed", "recordTimeMs", "payloadType", "payloadLength",
          "payloadHash", "eventHash", "eventID", "type", "eventTime")
proj = lambda steps: sorted((tuple(s.get(f) for f in fields) for s in steps), key=lambda t: (t[0], t[2]))
assert proj(k["steps"]) == proj(p["steps"]), (proj(k["steps"]), proj(p["steps"]))
ks = len(k["steps"]); kseal = sum(1 for s in k["steps"] if s["sealed"])
c = p["counts"]
assert (c["steps"], c["sealed"], c["disclosed"]) == (ks, kseal, ks - kseal), c
assert c["entries"] == sum(f["entries"] for f in k["feeds"]), c
print("steps %d disclosed %d sealed %d entries %d" % (c["steps"], c["disclosed"], c["sealed"], c["entries"]))
for f in k["feeds"]:
    print(f["feed"], f["proof"], f.get("treeSize", "-"))
PY
    ok
}

# The tampering tool: its own small CBOR decoder and deterministic encoder
# (arrays, uints, byte and text strings, null: all a bundle's frame uses),
# checked to give back the very bytes it read before it changes anything.
# It knows both feed item forms: chain [feed, (1,) steps, entries] and
# proof [feed, 2, checkpoint, [[entry, [hash...]]...]].
cat >"$T/tamper.py" <<'PY'
import base64, hashlib, sys
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
    for ai, n in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if a < 24: return bytes([m << 5 | a])
        if a < 1 << (8 * n): return bytes([m << 5 | ai]) + a.to_bytes(n, "big")

def enc(v):
    if v is None: return b"\xf6"
    if isinstance(v, int): return head(0, v)
    if isinstance(v, bytes): return head(2, len(v)) + v
    if isinstance(v, str): return head(3, len(v.encode())) + v.encode()
    return head(4, len(v)) + b"".join(enc(x) for x in v)

def load(path):
    raw = open(path, "rb").read()
    f, end = dec(raw)
    body, _ = dec(f[2])
    assert end == len(raw) and enc(f) == raw and enc(body) == f[2], "re-encoding differs"
    return f, body

def seq_of(entry):
    return dec(dec(entry)[0][0])[0][2]

def sealed(entry):
    e = dec(entry)[0]
    return enc([e[0], e[1], None])

def seed_of(home):
    k = open(home + "/key", "rb").read()
    assert len(k) == 42 and k[:10] == b"KETENKEY\x01\x00", "not a plain key file"
    return k[10:]

def save(path, f, body, home=None):
    f[2] = enc(body)
    if home:
        ctx = b"keten/%d bundle signature" % f[1]
        f[3] = hs_vectors.ed25519_sign(seed_of(home), ctx + f[2])
    open(path, "wb").write(enc(f))

def item_of(f, body, feed):
    item = next(x for x in body[4] if x[0] == feed)
    form = 1 if f[1] == 1 else item[1]
    return item, form

def chain_lists(f, item):
    """(index of steps, index of entries) of a chain item"""
    return (1, 2) if f[1] == 1 else (2, 3)

def proof_step(item, seq):
    return next(s for s in item[3] if seq_of(s[0]) == seq)

def entries_of(path):
    """seq -> entry bytes of every entry of every feed in a bundle"""
    g, b = load(path)
    out = {}
    for it in b[4]:
        form = 1 if g[1] == 1 else it[1]
        if form == 1:
            for e in it[chain_lists(g, it)[1]]:
                out[(it[0], seq_of(e))] = e
        else:
            for e, _ in it[3]:
                out[(it[0], seq_of(e))] = e
    return out

def note_sign(seed, pub, text):
    name = ("keten/" + pub.hex()).encode()
    kid = hashlib.sha256(name + b"\n\x01" + pub).digest()[:4]
    sig = hs_vectors.ed25519_sign(seed, text)
    return (text + b"\n\xe2\x80\x94 " + name + b" " + base64.b64encode(kid + sig) + b"\n").decode()

op, src, dst = sys.argv[2:5]
a = sys.argv[5:]
f, body = load(src)
if op == "flip":            # flip one bit at the offset of a Python expression over b
    b = bytearray(open(src, "rb").read())
    b[eval(a[0])] ^= 0x01
    open(dst, "wb").write(b)
elif op == "resign":        # HOME: sign the unchanged body with the home's key
    save(dst, f, body, a[0])
elif op == "version":       # N
    f[1] = int(a[0]); open(dst, "wb").write(enc(f))
elif op in ("drop", "dropstep"):  # FEEDHEX SEQ [HOME]: remove the entry (and the step)
    feed, seq = bytes.fromhex(a[0]), int(a[1])
    item, form = item_of(f, body, feed)
    if form == 1:
        si, ei = chain_lists(f, item)
        n = len(item[ei])
        item[ei] = [e for e in item[ei] if seq_of(e) != seq]
        assert len(item[ei]) == n - 1, "no entry seq %d" % seq
        if op == "dropstep":
            item[si] = [s for s in item[si] if s != seq]
    else:
        assert op == "dropstep", "the proof form has no entries but steps"
        n = len(item[3])
        item[3] = [s for s in item[3] if seq_of(s[0]) != seq]
        assert len(item[3]) == n - 1, "no step seq %d" % seq
    save(dst, f, body, a[2] if len(a) > 2 else None)
elif op in ("proofhash", "addhash", "cuthash"):  # FEEDHEX SEQ: a proof's hashes changed
    item, form = item_of(f, body, bytes.fromhex(a[0]))
    assert form == 2
    st = proof_step(item, int(a[1]))
    if op == "proofhash":
        h = bytearray(st[1][0]); h[7] ^= 0x10; st[1][0] = bytes(h)
    elif op == "addhash":
        st[1].append(hashlib.sha256(b"one hash too many").digest())
    else:
        st[1].pop()
    save(dst, f, body)
elif op == "ckptsig":       # FEEDHEX: one byte of the checkpoint's signature changed
    item, form = item_of(f, body, bytes.fromhex(a[0]))
    note = item[2].encode()
    i = note.rindex(b" ") + 1
    blob = bytearray(base64.b64decode(note[i:-1]))
    blob[4 + 20] ^= 0x01    # past the key ID (4 bytes): the signature
    item[2] = (note[:i] + base64.b64encode(bytes(blob)) + b"\n").decode()
    save(dst, f, body)
elif op == "ckptswap":      # FEEDHEX OTHERFEEDHEX: the other feed's checkpoint in this item
    item, _ = item_of(f, body, bytes.fromhex(a[0]))
    other, _ = item_of(f, body, bytes.fromhex(a[1]))
    item[2] = other[2]
    save(dst, f, body)
elif op == "ckptnote":      # FEEDHEX FEEDHOME SIZE ORIGIN CREATORHOME: a new checkpoint
    feed = bytes.fromhex(a[0])   # (same root) signed by the feed's key, then the bundle
    item, _ = item_of(f, body, feed)
    root = item[2].split("\n")[2]
    text = ("%s\n%d\n%s\n" % (a[3] or "keten/" + feed.hex(), int(a[2]), root)).encode()
    item[2] = note_sign(seed_of(a[1]), feed, text)
    save(dst, f, body, a[4])
elif op == "swapentry":     # FEEDHEX SEQ OTHERBUNDLE OTHERSEQ HOME: step SEQ's entry is
    feed = bytes.fromhex(a[0])   # the other's, its proof stays; re-signed
    item, _ = item_of(f, body, feed)
    proof_step(item, int(a[1]))[0] = entries_of(a[2])[(feed, int(a[3]))]
    save(dst, f, body, a[4])
elif op == "form":          # FEEDHEX N: the item's form number
    item, _ = item_of(f, body, bytes.fromhex(a[0]))
    item[1] = int(a[1])
    save(dst, f, body)
elif op == "tochain":       # FEEDHEX HOME OTHERBUNDLE...: the proof item rewritten in the
    feed = bytes.fromhex(a[0])   # chain form, the entries between steps (sealed) taken
    item, form = item_of(f, body, feed)  # from the other bundles; re-signed by HOME
    assert f[1] == 2 and form == 2
    have = {}
    for o in a[2:]:
        have.update(entries_of(o))
    steps = [seq_of(e) for e, _ in item[3]]
    stepent = {seq_of(e): e for e, _ in item[3]}
    ents = [stepent[s] if s in stepent else sealed(have[(feed, s)])
            for s in range(steps[0], steps[-1] + 1)]
    item[:] = [feed, 1, steps, ents]
    save(dst, f, body, a[1])
elif op == "note":          # FEEDHEX FEEDHOME EXPR CREATORHOME: the checkpoint becomes the
    feed = bytes.fromhex(a[0])   # str of EXPR over n (the note), t (its signed text) and
    item, _ = item_of(f, body, feed)  # sign(text) (a note of text by the feed's key)
    n = item[2]
    t = n[: n.rindex("\n\n") + 1]
    sign = lambda text: note_sign(seed_of(a[1]), feed, text.encode())
    item[2] = eval(a[2])
    save(dst, f, body, a[3])
elif op == "hashes":        # FEEDHEX SEQ N: the step's proof is N copies of its first hash
    item, _ = item_of(f, body, bytes.fromhex(a[0]))
    st = proof_step(item, int(a[1]))
    st[1] = [st[1][0]] * int(a[2])
    save(dst, f, body)
else:
    raise SystemExit("tamper: unknown op " + op)
PY
tamper() { "$PY" "$T/tamper.py" "$root/tests/tools" "$@" || fail "tamper $*"; }

# -- the test vectors of docs/bundle.md: every hex code block of a bundle
# after a line with "N bytes, hex" (the version 1 vector, 1,658 bytes, must
# be there). HOOK for the version 2 vector: given the same way (caption
# "N bytes, hex", then the hex block), it is checked by this loop: same
# story in both, and, when its creator is the vector key (seed 00 01 .. 1f),
# Python's signature over its version's context and body is the documented
# one. The v1-only tamperings below stay on the v1 vector.
"$PY" - "$root/docs/bundle.md" "$T" >"$T/vectors" <<'PY' || fail "no test vector in docs/bundle.md"
import re, sys
s = open(sys.argv[1]).read()
n = 0
for m in re.finditer(r"([0-9][0-9,]*) bytes, hex", s):
    want = int(m.group(1).replace(",", ""))
    i = s.index("```", m.end()) + 3
    i = s.index("\n", i) + 1  # past a language tag, if any
    try:
        b = bytes.fromhex("".join(s[i:s.index("```", i)].split()))
    except ValueError:
        continue  # "N bytes, hex" in other prose: not a bundle's hex block
    if b[:14] != b"\x84\x6cketen-bundle":
        continue
    assert len(b) == want, (m.group(0), len(b))
    n += 1
    name = "%s/vector%d.keten" % (sys.argv[2], n)
    open(name, "wb").write(b)
    print(name, b[14])  # [array 4, "keten-bundle" (13 bytes), version]
assert n >= 1
PY
grep -q " 1$" "$T/vectors" || fail "docs/bundle.md has no version 1 vector"
pyv 0 --selftest
unset KETEN_HOME
VF=03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8
# the vector's key (seed 00 01 .. 1f) in a plain key file
mkdir "$T/vf"
"$PY" -c 'import sys; open(sys.argv[1], "wb").write(b"KETENKEY\x01\x00" + bytes(range(32)))' "$T/vf/key"
while read -r vec ver; do
    same_story "$vec"
    if [ "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["creator"]["feed"])' "$T/pout")" = $VF ]; then
        tamper resign "$vec" "$vec.resigned" "$T/vf"
        cmp -s "$vec" "$vec.resigned" || fail "python's signature of $vec (version $ver) differs from docs/bundle.md"
        ok
    fi
    [ "$ver" = 1 ] && V1=$vec
done <"$T/vectors"
same_story "$V1"
contains "$T/counts" "steps 2 disclosed 2 sealed 0 entries 3"
contains "$T/counts" "$VF chain -"
pyv 0 "$V1"
contains "$T/pout" "Vector Farm"
tamper flip "$V1" "$T/v-pay.keten" 'b.index(b"commissioning")'
both_reject "$T/v-pay.keten" "feed 03a107bf (Vector Farm) seq 1: payload does not match its hash"
tamper drop "$V1" "$T/v-drop.keten" $VF 2
both_reject "$T/v-drop.keten" \
    "step removed: feed 03a107bf (Vector Farm): seq 2 is missing between seq 1 and seq 3"
# a version 1 body is not read as version 2 (nor, below, the other way round)
tamper version "$V1" "$T/v-as2.keten" 2
both_reject "$T/v-as2.keten" "bundle is damaged: a feed item is not an array of 4"

# -- one home: steps 1, 3 (private) and 4; seq 2 (another product)
A=$T/a
mkhome "$A" Boerderij
A_ID=$(id_of "$A")
AL="feed ${A_ID:0:8} (Boerderij)"
expect 0 --home "$A" record --type ObjectEvent --action ADD --biz-step commissioning \
    --epc "$EPC" --event-time 2025-11-30T08:00:00Z
expect 0 --home "$A" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc urn:epc:id:sgtin:5412345.000001.2002 --event-time 2025-11-30T08:10:00Z
expect 0 --home "$A" record --private --type ObjectEvent --action OBSERVE --biz-step inspecting \
    --epc "$EPC" --event-time 2025-11-30T08:20:00Z
expect 0 --home "$A" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc "$EPC" --event-time 2025-11-30T08:30:00Z
expect 0 --home "$A" bundle create "$EPC" --out "$T/one.keten"
expect 0 --home "$A" bundle create urn:epc:id:sgtin:5412345.000001.2002 --out "$T/other.keten"
unset KETEN_HOME
# version 2, the own feed in the proof form: the steps only, under the
# checkpoint of the whole log (4 entries)
same_story "$T/one.keten"
contains "$T/counts" "steps 3 disclosed 2 sealed 1 entries 3"
contains "$T/counts" "$A_ID tree 4"
"$PY" -c 'import json,sys; assert json.load(open(sys.argv[1]))["bundle"] == 2' "$T/pout" || fail "one.keten is not version 2"
ok
pyv 0 "$T/one.keten"
contains "$T/pout" "VERIFIED"
contains "$T/pout" "Boerderij"
contains "$T/pout" "$A_ID  seq 1..4: 3 steps (2 disclosed, 1 sealed), 3 entries"
contains "$T/pout" "proven in its signed log of 4 entries"
same_story "$T/other.keten"
contains "$T/counts" "steps 1 disclosed 1 sealed 0 entries 1"
# the creator's signature: Python's Ed25519 over "keten/2 bundle signature"
# and the body, with the home's key, is keten's signature byte for byte
tamper resign "$T/one.keten" "$T/one-resigned.keten" "$A"
cmp -s "$T/one.keten" "$T/one-resigned.keten" || fail "python's bundle signature differs from keten's"
ok
# the same bundle, its creator writing the feed in the chain form (form 1
# in version 2: seq 2 from the other bundle, sealed): both accept it
tamper tochain "$T/one.keten" "$T/chain.keten" "$A_ID" "$A" "$T/other.keten"
same_story "$T/chain.keten"
contains "$T/counts" "steps 3 disclosed 2 sealed 1 entries 4"
contains "$T/counts" "$A_ID chain -"
pyv 0 "$T/chain.keten"
contains "$T/pout" "$A_ID  seq 1..4: 3 steps (2 disclosed, 1 sealed), 4 entries"
contains "$T/pout" "linked entries"

# tampering, both forms: each rejected by both with the same claim
for b in one chain; do
    tamper flip "$T/$b.keten" "$T/$b-pay.keten" 'b.index(b"commissioning")'
    both_reject "$T/$b-pay.keten" "$AL seq 1: payload does not match its hash"
    # the entry signature: the 64-byte string right after the 118-byte header
    tamper flip "$T/$b.keten" "$T/$b-sig.keten" '(lambda h: h + 120 + 5 if b[h + 120:h + 122] == b"\x58\x40" else None)(b.index(b"\x58\x76\x88\x01"))'
    both_reject "$T/$b-sig.keten" "$AL seq 1: entry signature does not verify"
    tamper flip "$T/$b.keten" "$T/$b-csig.keten" 'len(b) - 7'
    both_reject "$T/$b-csig.keten" "bundle signature by $AL does not verify"
    head -c 500 "$T/$b.keten" >"$T/$b-short.keten"
    both_reject "$T/$b-short.keten" "bundle is damaged"
    # a version 2 body is not read as version 1
    tamper version "$T/$b.keten" "$T/$b-as1.keten" 1
    both_reject "$T/$b-as1.keten" "bundle is damaged: a feed item is not an array of 3"
    tamper form "$T/$b.keten" "$T/$b-form.keten" "$A_ID" 3
    both_reject "$T/$b-form.keten" "bundle is damaged: a feed item's form is neither 1 (chain) nor 2 (proof)"
done
# (each names itself: "this keten reads ...", "this verifier reads ...")
tamper version "$T/one.keten" "$T/v3.keten" 3
tamper version "$T/one.keten" "$T/v4.keten" 4
expect 1 bundle verify "$T/v4.keten"
contains "$T/err" "bundle version 4 is not supported (this keten reads versions 1 to 3)"
expect 1 bundle verify "$T/v3.keten"
contains "$T/err" "bundle is damaged: the statement (subject, created, creator, partners) is malformed"
pyv 1 "$T/v3.keten"
contains "$T/perr" "bundle is damaged: the statement (subject, created, creator, partners) is malformed"
pyv 1 "$T/v4.keten"
contains "$T/perr" "bundle version 4 is not supported (this verifier reads versions 1 to 3)"
# a chain item called a proof item and the other way round
tamper form "$T/chain.keten" "$T/chain-as2.keten" "$A_ID" 2
both_reject "$T/chain-as2.keten" "bundle is damaged: a feed's checkpoint is not a text string"
tamper form "$T/one.keten" "$T/one-as1.keten" "$A_ID" 1
both_reject "$T/one-as1.keten" "bundle is damaged: a feed's step list is missing or empty"

# the chain form: removed entries (also re-signed by the creator)
tamper drop "$T/chain.keten" "$T/drop.keten" "$A_ID" 3
both_reject "$T/drop.keten" "step removed: $AL: seq 3 is missing between seq 2 and seq 4"
tamper drop "$T/chain.keten" "$T/drop2.keten" "$A_ID" 2 "$A"
both_reject "$T/drop2.keten" "step removed: $AL: seq 2 is missing between seq 1 and seq 3"
tamper drop "$T/chain.keten" "$T/drop1.keten" "$A_ID" 1
both_reject "$T/drop1.keten" "step removed: $AL: step seq 1 is missing (the entries start at seq 2)"
# a last step taken out: only the creator's signature catches it, and once
# the creator re-signs, both accept the shorter story (the creator chooses
# the steps: docs/bundle.md "what is not proven"); in both forms
tamper dropstep "$T/chain.keten" "$T/last.keten" "$A_ID" 4
both_reject "$T/last.keten" "bundle signature by $AL does not verify"
tamper dropstep "$T/chain.keten" "$T/last2.keten" "$A_ID" 4 "$A"
same_story "$T/last2.keten"
contains "$T/counts" "steps 2 disclosed 1 sealed 1 entries 3"
tamper dropstep "$T/one.keten" "$T/plast.keten" "$A_ID" 4
both_reject "$T/plast.keten" "bundle signature by $AL does not verify"
tamper dropstep "$T/one.keten" "$T/plast2.keten" "$A_ID" 1 "$A"
same_story "$T/plast2.keten"
contains "$T/counts" "steps 2 disclosed 1 sealed 1 entries 2"

# the proof form: the proofs and the checkpoint
tamper proofhash "$T/one.keten" "$T/p-hash.keten" "$A_ID" 3
both_reject "$T/p-hash.keten" \
    "$AL seq 3: not proven in the feed's signed log of 4 entries: inclusion proof: leaf 2 does not lead to the root of the tree of 4"
tamper addhash "$T/one.keten" "$T/p-more.keten" "$A_ID" 1
both_reject "$T/p-more.keten" \
    "$AL seq 1: not proven in the feed's signed log of 4 entries: inclusion proof: 3 hashes, more than a tree of 4 needs"
tamper cuthash "$T/one.keten" "$T/p-less.keten" "$A_ID" 4
both_reject "$T/p-less.keten" \
    "$AL seq 4: not proven in the feed's signed log of 4 entries: inclusion proof: 1 hashes, fewer than a tree of 4 needs"
tamper ckptsig "$T/one.keten" "$T/p-ckpt.keten" "$A_ID"
both_reject "$T/p-ckpt.keten" \
    "$AL: the checkpoint is not signed by the feed's key: signed note: the signature of keten/$A_ID does not check"
# step 1's entry swapped for seq 2's (a good entry of the feed, from the
# other bundle) under step 1's proof, the bundle re-signed by its creator
tamper swapentry "$T/one.keten" "$T/p-swap.keten" "$A_ID" 1 "$T/other.keten" 2 "$A"
both_reject "$T/p-swap.keten" \
    "$AL seq 2: not proven in the feed's signed log of 4 entries: inclusion proof: leaf 1 does not lead to the root of the tree of 4"
# checkpoints the feed's key did sign, but of another log, or of a tree
# without the step (the bundle re-signed by its creator)
tamper ckptnote "$T/one.keten" "$T/p-origin.keten" "$A_ID" "$A" 4 keten/elsewhere "$A"
both_reject "$T/p-origin.keten" "$AL: the checkpoint is of the log keten/elsewhere, not of this feed"
tamper ckptnote "$T/other.keten" "$T/p-size.keten" "$A_ID" "$A" 1 "" "$A"
both_reject "$T/p-size.keten" "$AL seq 2: not in the checkpoint, whose tree has 1 entries"
tamper ckptnote "$T/one.keten" "$T/p-root.keten" "$A_ID" "$A" 5 "" "$A"
both_reject "$T/p-root.keten" \
    "$AL seq 1: not proven in the feed's signed log of 5 entries: inclusion proof: 2 hashes, fewer than a tree of 5 needs"
# signed notes as C2SP has them: a cosignature (witness) line of another
# key is skipped, extension lines after the root are kept; both accept them
# and show the note as it is
tamper note "$T/one.keten" "$T/n-wit.keten" "$A_ID" "$A" 'n + "\u2014 witness.example/w1 " + "A" * 92 + "\n"' "$A"
same_story "$T/n-wit.keten"
grep -q 'witness.example/w1' "$T/pout" || fail "the witness line is not in the story"
ok
tamper note "$T/one.keten" "$T/n-ext.keten" "$A_ID" "$A" 'sign(t + "an extension line\n")' "$A"
same_story "$T/n-ext.keten"
# malformed notes and checkpoints (signed by the feed's key where the
# signature matters), each with the same claim in both
notes=$T/notes
cat >"$notes" <<'CASES'
n[:-1]|the checkpoint is not a signed note: signed note: does not end with a newline
t + "\n"|the checkpoint is not a signed note: signed note: no signature lines
n.replace("\u2014", "-")|the checkpoint is not a signed note: signed note: signature line 1 does not start with an em dash and a space
sign(t)[:-1] + " \n"|the checkpoint is not a signed note: signed note: signature line 1 is not base64 of a key ID and a signature
n + ("\u2014 w AAAAAAAAAAA=\n" * 101)|the checkpoint is not a signed note: signed note: more than 100 signatures
sign("\u0007" + t)|the checkpoint is not a signed note: signed note: the text is not UTF-8 or has control characters
"x" * 65537|the checkpoint is not a signed note: signed note: 65537 bytes, more than 65536
sign(t)[: sign(t).index(" ")] + " witness " + sign(t).split(" ")[-1]|the checkpoint is not signed by the feed's key: signed note: not signed by the key of keten/
sign(t.replace("\n4\n", "\n04\n"))|the checkpoint is malformed: checkpoint line 2: the tree size is not a decimal number without leading zeros
sign(t.replace("\n4\n", "\n4x\n"))|the checkpoint is malformed: checkpoint line 2: the tree size has a non-digit
sign(t.replace("\n4\n", "\n9999999999999999999\n"))|the checkpoint is malformed: checkpoint line 2: the tree size is too big
sign(t.replace("=\n", "\n"))|the checkpoint is malformed: checkpoint line 3: the root is not base64 of 32 bytes
sign(t + "\n")|the checkpoint is malformed: checkpoint: an extension line is empty or not ended
sign(t[: t.index("\n") + 1])|the checkpoint is malformed: checkpoint: 1 lines, not the three of origin, size and root
CASES
k=0
while IFS='|' read -r expr claim; do
    k=$((k + 1))
    tamper note "$T/one.keten" "$T/n$k.keten" "$A_ID" "$A" "$expr" "$A"
    both_reject "$T/n$k.keten" "$AL: $claim"
done <"$notes"
# the root's base64 with its unused low bits set: the same bytes to a lax
# decoder, not the one encoding of them (C2SP, libsodium, Go)
B64=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/
tamper note "$T/one.keten" "$T/n-bits.keten" "$A_ID" "$A" \
    'sign("\n".join(t.split("\n")[:2]) + "\n" + t.split("\n")[2][:-2] + "'$B64'"["'$B64'".index(t.split("\n")[2][-2]) | 3] + "=\n")' "$A"
both_reject "$T/n-bits.keten" "$AL: the checkpoint is malformed: checkpoint line 3: the root is not base64 of 32 bytes"
tamper hashes "$T/one.keten" "$T/p-131.keten" "$A_ID" 3 131
both_reject "$T/p-131.keten" "$AL seq 3: the inclusion proof has 131 hashes (at most 130)"

echo '{"not": "a bundle"}' >"$T/json.keten"
pyv 1 "$T/json.keten"
contains "$T/perr" "not a keten bundle"
expect 1 bundle verify "$T/json.keten"
contains "$T/err" "not a keten bundle"
pyv 3 "$T/missing.keten"
contains "$T/perr" "cannot read"
expect 3 bundle verify "$T/missing.keten"
pyv 2

# -- two partners with real nodes: farm (one step private) -> processor
F=$T/farm P=$T/proc
partners "$P" Verwerker "$F" Boerderij
F_ID=$(id_of "$F") P_ID=$(id_of "$P") FPORT=$LISTEN_PORT
FL="feed ${F_ID:0:8} (Boerderij)" PL="feed ${P_ID:0:8} (Verwerker)"
expect 0 --home "$F" record --type ObjectEvent --action ADD --biz-step commissioning \
    --epc "$EPC" --event-time 2025-11-30T08:00:00Z
expect 0 --home "$F" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc urn:epc:id:sgtin:5412345.000001.3003 --event-time 2025-11-30T08:05:00Z
expect 0 --home "$F" record --private --type ObjectEvent --action OBSERVE --biz-step inspecting \
    --epc "$EPC" --event-time 2025-11-30T08:30:00Z
expect 0 --home "$F" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc "$EPC" --event-time 2025-11-30T09:00:00Z
expect 0 --home "$P" record --type ObjectEvent --action OBSERVE --biz-step receiving \
    --epc "$EPC" --event-time 2025-11-30T11:00:00Z
expect 0 --home "$P" record --type ObjectEvent --action OBSERVE --biz-step packing \
    --epc "$EPC" --event-time 2025-11-30T12:00:00Z
start_node "$F" "$FPORT"
start_node "$P"
WHY="farm and processor converge" wait_until 20 same_heads "$F" "$P"
# the farm's signed checkpoint of its 4 entries reaches the processor too
# (a CHECKPOINT message after the entries), so its feed takes the proof form
ckpt_size() { "$KETEN" --home "$1" checkpoint "$2" | sed -n 2p; }
farm_ckpt() { [ "$(ckpt_size "$P" "$F_ID")" = 4 ]; }
WHY="the farm's checkpoint reaches the processor" wait_until 20 farm_ckpt
# version 2 (--version 2): the partners witness each other, so the default
# would be version 3, whose frame the rewriting below does not know;
# version 3 is tests/e2e/bundle_v3.sh's
expect 0 --home "$P" bundle create "$EPC" --out "$T/two.keten" --version 2
expect 0 --home "$P" bundle create "$EPC" --out "$T/own.keten" --only-own --version 2
expect 0 --home "$F" bundle create urn:epc:id:sgtin:5412345.000001.3003 --out "$T/farm3003.keten" --version 2
unset KETEN_HOME
same_story "$T/two.keten"
contains "$T/counts" "steps 5 disclosed 4 sealed 1 entries 5"
contains "$T/counts" "$F_ID tree 4"
contains "$T/counts" "$P_ID tree 2"
cp "$T/pout" "$T/two.json"
same_story "$T/own.keten"
contains "$T/counts" "steps 5 disclosed 2 sealed 3 entries 5"
cp "$T/pout" "$T/own.json"
# the processor's bundle with the farm's feed in the chain form (its seq 2
# from the farm's bundle of the other product), re-signed by the processor:
# both forms in one bundle
tamper tochain "$T/two.keten" "$T/mixed.keten" "$F_ID" "$P" "$T/farm3003.keten"
same_story "$T/mixed.keten"
contains "$T/counts" "steps 5 disclosed 4 sealed 1 entries 6"
contains "$T/counts" "$F_ID chain -"
contains "$T/counts" "$P_ID tree 2"
cp "$T/pout" "$T/mixed.json"
tamper tochain "$T/own.keten" "$T/own-mixed.keten" "$F_ID" "$P" "$T/farm3003.keten"
same_story "$T/own-mixed.keten"
contains "$T/counts" "steps 5 disclosed 2 sealed 3 entries 6"
"$PY" - "$T/two.json" "$T/own.json" "$T/mixed.json" "$F_ID" "$P_ID" <<'PY' || fail "two-partner bundles"
import json, sys
farm, proc = sys.argv[4], sys.argv[5]
for path, only_own, farm_form in ((sys.argv[1], False, "tree"), (sys.argv[2], True, "tree"),
                                  (sys.argv[3], False, "chain")):
    d = json.load(open(path))
    assert d["bundle"] == 2, d["bundle"]
    assert {p["feed"]: p["name"] for p in d["partners"]} == {farm: "Boerderij", proc: "Verwerker"}
    assert d["creator"] == {"feed": proc, "name": "Verwerker"}, d["creator"]
    # the farm's private seq 3 reached the processor sealed; --only-own seals the rest
    steps = {(s["feed"], s["seq"]): s["sealed"] for s in d["steps"]}
    want = {(farm, 1): only_own, (farm, 3): True, (farm, 4): only_own,
            (proc, 1): False, (proc, 2): False}
    assert steps == want, (path, steps)
    feeds = {f["feed"]: (f["proof"], f["from"], f["to"], f["entries"]) for f in d["feeds"]}
    # in the chain form the farm's seq 2 (another product) is the sealed link
    fe = 3 if farm_form == "tree" else 4
    assert feeds == {farm: (farm_form, 1, 4, fe), proc: ("tree", 1, 2, 2)}, feeds
    for f in d["feeds"]:
        if f["proof"] == "tree":
            assert f["checkpoint"].startswith("keten/%s\n%d\n" % (f["feed"], f["treeSize"])), f
PY
ok
pyv 0 "$T/two.keten"
contains "$T/pout" "Boerderij"
contains "$T/pout" "Verwerker"
for b in two mixed; do
    tamper resign "$T/$b.keten" "$T/$b-resigned.keten" "$P"
    cmp -s "$T/$b.keten" "$T/$b-resigned.keten" || fail "python's bundle signature differs from keten's ($b.keten)"
    ok
    tamper flip "$T/$b.keten" "$T/$b-t-pay.keten" 'b.index(b"receiving")'
    both_reject "$T/$b-t-pay.keten" "$PL seq 1: payload does not match its hash"
    tamper flip "$T/$b.keten" "$T/$b-t-csig.keten" 'len(b) - 1'
    both_reject "$T/$b-t-csig.keten" "bundle signature by $PL does not verify"
done
# one partner's checkpoint in the other's feed item: it is not signed by
# this feed's key (also with the bundle re-signed by its creator)
tamper ckptswap "$T/two.keten" "$T/t-swap.keten" "$F_ID" "$P_ID"
both_reject "$T/t-swap.keten" \
    "$FL: the checkpoint is not signed by the feed's key: signed note: not signed by the key of keten/$F_ID"
tamper ckptswap "$T/two.keten" "$T/t-swap2.keten" "$P_ID" "$F_ID"
tamper resign "$T/t-swap2.keten" "$T/t-swap3.keten" "$P"
both_reject "$T/t-swap3.keten" \
    "$PL: the checkpoint is not signed by the feed's key: signed note: not signed by the key of keten/$P_ID"
tamper proofhash "$T/mixed.keten" "$T/m-hash.keten" "$P_ID" 2
both_reject "$T/m-hash.keten" \
    "$PL seq 2: not proven in the feed's signed log of 2 entries: inclusion proof: leaf 1 does not lead to the root of the tree of 2"
tamper drop "$T/own-mixed.keten" "$T/o-drop.keten" "$F_ID" 2
both_reject "$T/o-drop.keten" "step removed: $FL: seq 2 is missing between seq 1 and seq 3"

# a sweep: one bit flipped at every 23rd byte of the mixed bundle (both
# forms, two feeds), and each file given to both: the same verdict and the
# same claim every time (where each names itself, "this keten reads" /
# "this verifier reads", that is the one difference allowed)
"$PY" - "$T/mixed.keten" "$PYV" "$KETEN" "$T/flip.keten" <<'PY' || fail "the sweep: keten and python disagree"
import os, subprocess, sys
sys.path.insert(0, os.path.dirname(sys.argv[2]))
import bundle_verify as bv
src, keten, tmp = sys.argv[1], sys.argv[3], sys.argv[4]
orig = open(src, "rb").read()
bad = runs = rejected = 0
for i in range(3, len(orig), 23):
    b = bytearray(orig)
    b[i] ^= 0x04
    open(tmp, "wb").write(b)
    k = subprocess.run([keten, "bundle", "verify", tmp], capture_output=True, text=True)
    kmsg = k.stderr.split("\n")[0].replace("keten: bundle %s does not verify: " % tmp, "")
    kmsg = kmsg.replace("this keten reads", "this verifier reads")
    try:
        bv.Verifier(bytes(b)).run()
        pc, pmsg = 0, ""
    except (bv.Fail, bv.NotBundle) as e:
        pc, pmsg = 1, str(e)
    runs += 1
    rejected += pc
    if k.returncode != pc or (pc and pmsg != kmsg and not pmsg.startswith(kmsg + ": ")):
        bad += 1
        print("byte %d: keten %d %r, python %d %r" % (i, k.returncode, kmsg, pc, pmsg))
print("sweep: %d files, %d rejected by both, %d disagreements" % (runs, rejected, bad))
sys.exit(1 if bad or runs < 50 or rejected < runs // 2 else 0)
PY
ok
done_checks
