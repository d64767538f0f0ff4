#!/usr/bin/env bash
# Provenance bundles checked by "a buyer's own tool": tests/tools/bundle_verify.py
# (Python standard library only, written from docs/bundle.md: its own CBOR
# reader, SHA-256 from hashlib, Ed25519 from RFC 8032) against bundles made
# by the real keten binary. The test vector of docs/bundle.md verifies and
# its two documented tamperings give the documented claims. One home
# records a product's history (one step private); two homes (farm with a
# private step -> processor) replicate with real nodes, and the processor
# makes a full and an --only-own bundle. For each bundle, Python accepts it
# and tells the same story as `keten bundle verify --json` (partners, feeds
# and counts, every step's seq, sealing, record time, payload hash, event
# hash), and Python's Ed25519 over "keten/1 bundle signature" || body,
# made with the home's key, is keten's signature byte for byte. Each
# tampering (a payload byte, an entry signature byte, the creator's
# signature, a removed step -- the CBOR re-encoded without the entry, also
# re-signed by the creator -- a version, a truncation) is rejected by both
# with exit 1 and the same claim; a file that is no bundle is such a claim
# too ("not a keten bundle", exit 1); a file that cannot be read exits 3.
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
# "steps N disclosed N sealed N entries N" (Python's counts) to $T/counts
same_story() {
    expect 0 bundle verify "$1" --json
    pyv 0 "$1" --json
    "$PY" - "$T/out" "$T/pout" >"$T/counts" <<'PY' || fail "keten and python disagree on $1"
import json, sys
k, p = (json.load(open(f)) for f in sys.argv[1:3])
assert k["verified"] is True and p["verified"] is True
for key in ("subject", "createdMs", "created", "creator", "partners", "feeds"):
    assert k[key] == p[key], (key, k[key], p[key])
fields = ("feed", "name", "seq", "sealed", "recordTimeMs", "payloadType", "payloadLength",
          "payloadHash", "eventHash", "eventID", "type", "eventTime")
proj = lambda steps: sorted((tuple(s.get(f) for f in fields) for s in steps), key=lambda t: (t[0], t[2]))
assert proj(k["steps"]) == proj(p["steps"]), (proj(k["steps"]), proj(p["steps"]))
ks = len(k["steps"]); kseal = sum(1 for s in k["steps"] if s["sealed"])
c = p["counts"]
assert (c["steps"], c["sealed"], c["disclosed"]) == (ks, kseal, ks - kseal), c
assert c["entries"] == sum(f["entries"] for f in k["feeds"]), c
print("steps %d disclosed %d sealed %d entries %d" % (c["steps"], c["disclosed"], c["sealed"], c["entries"]))
PY
    ok
}

# The tampering tool: its own small CBOR decoder and deterministic encoder
# (arrays, uints, byte and text strings, null: all a bundle's frame uses),
# checked to give back the very bytes it read before it changes anything.
cat >"$T/tamper.py" <<'PY'
import sys
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

def seed_of(home):
    k = open(home + "/key", "rb").read()
    assert len(k) == 42 and k[:10] == b"KETENKEY\x01\x00", "not a plain key file"
    return k[10:]

def save(path, f, body, home=None):
    f[2] = enc(body)
    if home:
        f[3] = hs_vectors.ed25519_sign(seed_of(home), b"keten/1 bundle signature" + f[2])
    open(path, "wb").write(enc(f))

op, src, dst = sys.argv[2:5]
f, body = load(src)
if op == "flip":            # flip one bit at the offset of a Python expression over b
    b = bytearray(open(src, "rb").read())
    b[eval(sys.argv[5])] ^= 0x01
    open(dst, "wb").write(b)
elif op == "resign":        # sign the unchanged body with the home's key
    save(dst, f, body, sys.argv[5])
elif op == "version":
    f[1] = int(sys.argv[5]); open(dst, "wb").write(enc(f))
elif op in ("drop", "dropstep"):  # FEEDHEX SEQ [HOME]: remove the entry (and the step)
    feed, seq = bytes.fromhex(sys.argv[5]), int(sys.argv[6])
    item = next(x for x in body[4] if x[0] == feed)
    n = len(item[2])
    item[2] = [e for e in item[2] if seq_of(e) != seq]
    assert len(item[2]) == n - 1, "no entry seq %d" % seq
    if op == "dropstep":
        item[1] = [s for s in item[1] if s != seq]
    save(dst, f, body, sys.argv[7] if len(sys.argv) > 7 else None)
PY
tamper() { "$PY" "$T/tamper.py" "$root/tests/tools" "$@" || fail "tamper $*"; }

# -- the test vector of docs/bundle.md
"$PY" - "$root/docs/bundle.md" "$T/vector.keten" <<'PY' || fail "no test vector in docs/bundle.md"
import sys
s = open(sys.argv[1]).read()
i = s.index("```", s.index("1,658 bytes, hex")) + 3
b = bytes.fromhex("".join(s[i:s.index("```", i)].split()))
assert len(b) == 1658, len(b)
open(sys.argv[2], "wb").write(b)
PY
pyv 0 --selftest
unset KETEN_HOME
same_story "$T/vector.keten"
contains "$T/counts" "steps 2 disclosed 2 sealed 0 entries 3"
pyv 0 "$T/vector.keten"
contains "$T/pout" "Vector Farm"
VF=03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8
# the vector's key (seed 00 01 .. 1f) in a plain key file: Python's signature
# over the context string and the body is the documented one
mkdir "$T/vf"
"$PY" -c 'import sys; open(sys.argv[1], "wb").write(b"KETENKEY\x01\x00" + bytes(range(32)))' "$T/vf/key"
tamper resign "$T/vector.keten" "$T/v-resigned.keten" "$T/vf"
cmp -s "$T/vector.keten" "$T/v-resigned.keten" || fail "python's signature of the vector differs from docs/bundle.md"
ok
tamper flip "$T/vector.keten" "$T/v-pay.keten" 'b.index(b"commissioning")'
both_reject "$T/v-pay.keten" "feed 03a107bf (Vector Farm) seq 1: payload does not match its hash"
tamper drop "$T/vector.keten" "$T/v-drop.keten" $VF 2
both_reject "$T/v-drop.keten" \
    "step removed: feed 03a107bf (Vector Farm): seq 2 is missing between seq 1 and seq 3"

# -- one home: steps 1, 3 (private) and 4; seq 2 (another product) a sealed link
A=$T/a
mkhome "$A" Boerderij
A_ID=$(id_of "$A")
expect 0 --home "$A" record --type ObjectEvent --action ADD --biz-step commissioning \
    --epc "$EPC" --event-time 2025-11-30T08:00:00Z
expect 0 --home "$A" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc urn:epc:id:sgtin:5412345.000001.2002 --event-time 2025-11-30T08:10:00Z
expect 0 --home "$A" record --private --type ObjectEvent --action OBSERVE --biz-step inspecting \
    --epc "$EPC" --event-time 2025-11-30T08:20:00Z
expect 0 --home "$A" record --type ObjectEvent --action OBSERVE --biz-step shipping \
    --epc "$EPC" --event-time 2025-11-30T08:30:00Z
expect 0 --home "$A" bundle create "$EPC" --out "$T/one.keten"
unset KETEN_HOME
same_story "$T/one.keten"
contains "$T/counts" "steps 3 disclosed 2 sealed 1 entries 4"
pyv 0 "$T/one.keten"
contains "$T/pout" "VERIFIED"
contains "$T/pout" "Boerderij"
contains "$T/pout" "$A_ID  seq 1..4: 3 steps (2 disclosed, 1 sealed), 4 entries"
# the creator's signature: Python's Ed25519 over the documented context and
# the body, with the home's key, is keten's signature byte for byte
tamper resign "$T/one.keten" "$T/one-resigned.keten" "$A"
cmp -s "$T/one.keten" "$T/one-resigned.keten" || fail "python's bundle signature differs from keten's"
ok

# tampering, each rejected by both with the same claim
tamper flip "$T/one.keten" "$T/pay.keten" 'b.index(b"commissioning")'
both_reject "$T/pay.keten" "seq 1: payload does not match its hash"
tamper flip "$T/one.keten" "$T/sig.keten" 'b.index(bytes([0x58, 0x40]), b.index(b"\x58\x76\x88\x01")) + 5'
both_reject "$T/sig.keten" "feed ${A_ID:0:8} (Boerderij) seq 1: entry signature does not verify"
tamper flip "$T/one.keten" "$T/csig.keten" 'len(b) - 7'
both_reject "$T/csig.keten" "bundle signature by feed ${A_ID:0:8} (Boerderij) does not verify"
tamper drop "$T/one.keten" "$T/drop.keten" "$A_ID" 3
both_reject "$T/drop.keten" "step removed: feed ${A_ID:0:8} (Boerderij): seq 3 is missing between seq 2 and seq 4"
# the creator re-signs the bundle without the sealed link: the entry checks still catch it
tamper drop "$T/one.keten" "$T/drop2.keten" "$A_ID" 2 "$A"
both_reject "$T/drop2.keten" "step removed: feed ${A_ID:0:8} (Boerderij): seq 2 is missing between seq 1 and seq 3"
tamper drop "$T/one.keten" "$T/drop1.keten" "$A_ID" 1
both_reject "$T/drop1.keten" "step removed: feed ${A_ID:0:8} (Boerderij): step seq 1 is missing (the entries start at seq 2)"
# a last step taken out of both lists: only the creator's signature catches
# it, and once the creator re-signs, both accept the shorter story (the
# creator chooses the steps: docs/bundle.md "what is not proven")
tamper dropstep "$T/one.keten" "$T/last.keten" "$A_ID" 4
both_reject "$T/last.keten" "bundle signature by feed ${A_ID:0:8} (Boerderij) does not verify"
tamper dropstep "$T/one.keten" "$T/last2.keten" "$A_ID" 4 "$A"
same_story "$T/last2.keten"
contains "$T/counts" "steps 2 disclosed 1 sealed 1 entries 3"
tamper version "$T/one.keten" "$T/v2.keten" 2
expect 1 bundle verify "$T/v2.keten"
contains "$T/err" "bundle version 2 is not supported"
pyv 1 "$T/v2.keten"
contains "$T/perr" "bundle version 2 is not supported"
head -c 500 "$T/one.keten" >"$T/short.keten"
both_reject "$T/short.keten" "bundle is damaged"
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
expect 0 --home "$P" bundle create "$EPC" --out "$T/two.keten"
expect 0 --home "$P" bundle create "$EPC" --out "$T/own.keten" --only-own
unset KETEN_HOME
same_story "$T/two.keten"
contains "$T/counts" "steps 5 disclosed 4 sealed 1 entries 6"
cp "$T/pout" "$T/two.json"
same_story "$T/own.keten"
contains "$T/counts" "steps 5 disclosed 2 sealed 3 entries 6"
cp "$T/pout" "$T/own.json"
"$PY" - "$T/two.json" "$T/own.json" "$F_ID" "$P_ID" <<'PY' || fail "two-partner bundles"
import json, sys
farm, proc = sys.argv[3], sys.argv[4]
for path, only_own in ((sys.argv[1], False), (sys.argv[2], True)):
    d = json.load(open(path))
    assert {p["feed"]: p["name"] for p in d["partners"]} == {farm: "Boerderij", proc: "Verwerker"}
    assert d["creator"] == {"feed": proc, "name": "Verwerker"}, d["creator"]
    # the farm's seq 2 (another product) is the sealed link between its steps;
    # its private seq 3 reached the processor sealed; --only-own seals the rest
    steps = {(s["feed"], s["seq"]): s["sealed"] for s in d["steps"]}
    want = {(farm, 1): only_own, (farm, 3): True, (farm, 4): only_own,
            (proc, 1): False, (proc, 2): False}
    assert steps == want, (path, steps)
    feeds = {f["feed"]: (f["from"], f["to"], f["entries"]) for f in d["feeds"]}
    assert feeds == {farm: (1, 4, 4), proc: (1, 2, 2)}, feeds
PY
ok
pyv 0 "$T/two.keten"
contains "$T/pout" "Boerderij"
contains "$T/pout" "Verwerker"
tamper resign "$T/two.keten" "$T/two-resigned.keten" "$P"
cmp -s "$T/two.keten" "$T/two-resigned.keten" || fail "python's bundle signature differs from keten's (two.keten)"
ok
tamper flip "$T/two.keten" "$T/t-pay.keten" 'b.index(b"receiving")'
both_reject "$T/t-pay.keten" "(Verwerker) seq 1: payload does not match its hash"
tamper flip "$T/own.keten" "$T/o-csig.keten" 'len(b) - 1'
both_reject "$T/o-csig.keten" "bundle signature by feed ${P_ID:0:8} (Verwerker) does not verify"
tamper drop "$T/own.keten" "$T/o-drop.keten" "$F_ID" 2
both_reject "$T/o-drop.keten" "step removed: feed ${F_ID:0:8} (Boerderij): seq 2 is missing between seq 1 and seq 3"
done_checks
