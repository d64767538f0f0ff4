#!/usr/bin/env bash
# Provenance bundles checked by the browser's verifier, web/keten-verify.js
# (run under Node 20 by tests/tools/bundle_verify_cli.mjs: the same module,
# WebCrypto's Ed25519 and SHA-256, its own CBOR reader, signed-note reader,
# RFC 9162 proof check and EPCIS 2.0 event hash), against bundles made by
# the real keten binary.
#
# For every bundle the JS verifier must tell exactly the story `keten
# bundle verify --json` prints (the whole JSON object compared, every step's
# event included), and for every tampered bundle fail with exactly keten's
# claim. The bundles: the test vectors of docs/bundle.md (versions 2 and 1);
# one home with a private step (proof form) and the same bundle rewritten in
# the chain form; a meat chain (demo/chain: farm and slaughterhouse at one
# home with a private inspection, processor with its cold-chain sensor
# readings and kitchen at the other) replicated between two real nodes, in
# the proof form and with the farm's feed in the chain form (a partner
# without a checkpoint), and with --only-own; a garment chain (maker and
# laundry: Digital Link EPCs, materials in ILMD, wash temperatures as
# floats, an extension namespace, the maker's own correction and the
# laundry's dispute, both errorDeclarations). The tamperings: a payload
# byte, an entry signature byte, the creator's signature, a proof hash, one
# too many hash, the checkpoint's signature, a byte of the body (subject),
# truncation, a removed link (chain form), a version, and an event field
# changed with the entry re-signed by its own key (so that only the
# recomputed event hash catches it: both must name the same fresh hash);
# then a bit flipped at every 23rd byte of the mixed bundle, each verdict
# and claim compared; GS1's EPCIS 2.0 example documents recorded and a
# bundle made for every identifier they name, each told alike by both.
# The same module runs unchanged in headless Chromium (when installed) on 15
# of the bundles above. The GS1 event-hash vectors go through eventHash()
# (tests/tools/bundle_verify_cli.mjs --hash), and the Digital Link
# normaliser vectors through gs1KeyHash().
#
# Skips (exit 0, a SKIP line) only when node is not installed.
set -eu
if ! command -v node >/dev/null 2>&1; then
    echo "SKIP bundle_js: node is not installed (Debian package nodejs)"
    exit 0
fi
. "$(dirname "$0")/nodelib.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)
JSV=$root/tests/tools/bundle_verify_cli.mjs
PY=$(python3 -c 'import sys; print(sys.executable)')
EPC=urn:epc:id:sgtin:5412345.000001.1001
unset KETEN_HOME

# jsv CODE ARGS...: runs the JS verifier, output in $T/jout and $T/jerr
jsv() {
    local want=$1; shift
    set +e
    node "$JSV" "$@" >"$T/jout" 2>"$T/jerr"
    local got=$?
    set -e
    if [ "$got" != "$want" ]; then
        echo "--- stdout"; head -c 2000 "$T/jout"; echo "--- stderr"; head -20 "$T/jerr"
        fail "bundle_verify_cli.mjs $* exited $got, expected $want"
    fi
    ok
}

# same_story FILE: keten and the JS verifier both accept FILE and print the
# same JSON; "steps N disclosed N sealed N" and "FEED PROOF TREESIZE" per
# feed go to $T/counts
same_story() {
    expect 0 bundle verify "$1" --json
    jsv 0 "$1"
    "$PY" - "$T/out" "$T/jout" >"$T/counts" <<'PY' || fail "keten and the JS verifier tell different stories of $1"
import json, sys
k, j = (json.load(open(f)) for f in sys.argv[1:3])
if k != j:
    for key in sorted(set(k) | set(j)):
        if k.get(key) != j.get(key):
            if key == "steps" and len(k[key]) == len(j.get(key, [])):
                for a, b in zip(k[key], j[key]):
                    for f in sorted(set(a) | set(b)):
                        if a.get(f) != b.get(f):
                            print("step", a.get("seq"), f, "keten:", a.get(f), "js:", b.get(f), file=sys.stderr)
            else:
                print(key, "keten:", k.get(key), "js:", j.get(key), file=sys.stderr)
    sys.exit(1)
assert k["verified"] is True
st = k["steps"]
sealed = sum(1 for s in st if s["sealed"])
print("steps %d disclosed %d sealed %d" % (len(st), len(st) - sealed, sealed))
for f in k["feeds"]:
    print(f["feed"], f["proof"], f.get("treeSize", "-"))
PY
    ok
}

# js_reject FILE TEXT: keten and the JS verifier both reject FILE (exit 1),
# keten names TEXT, and the JS verifier's reason is keten's claim exactly
js_reject() {
    local f=$1 text=$2 k j
    expect 1 bundle verify "$f"
    jsv 1 "$f"
    contains "$T/err" "$text"
    k=$(head -1 "$T/err")
    k=${k#"keten: bundle $f does not verify: "}
    j=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"])' "$T/jout")
    [ "$k" = "$j" ] || fail "claims differ for $f: keten \"$k\", js \"$j\""
    ok
}

# The tampering tool of bundle_python.sh (its own CBOR codec, checked to
# give back the bytes it read), taken from that script so that both tests
# tamper the same way.
awk '/^cat >"\$T\/tamper.py" <<.PY.$/ {f = 1; next} f && /^PY$/ {exit} f' \
    "$root/tests/e2e/bundle_python.sh" >"$T/tamper.py"
grep -q '^elif op == "tochain"' "$T/tamper.py" || fail "no tamper tool in bundle_python.sh"
tamper() { "$PY" "$T/tamper.py" "$root/tests/tools" "$@" || fail "tamper $*"; }
# evfield SRC DST FEEDHEX SEQ OLD NEW FEEDHOME CREATORHOME: in the payload of
# entry SEQ, the first OLD becomes NEW (text, or hex:HEX for bytes); the header's payload length and
# hash follow, the feed's key signs the header again, the creator the body
cat >"$T/evfield.py" <<'PY'
import hashlib, sys
sys.path.insert(0, sys.argv[1])
import hs_vectors
src, dst, feedhex, seq, old, new, fhome, chome = sys.argv[2:10]
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
def seed_of(home):
    k = open(home + "/key", "rb").read()
    assert len(k) == 42 and k[:10] == b"KETENKEY\x01\x00", "not a plain key file"
    return k[10:]
f, _ = dec(open(src, "rb").read())
body, _ = dec(f[2])
item = next(x for x in body[4] if x[0] == bytes.fromhex(feedhex))
assert item[1] == 1, "the chain form only (a changed leaf is caught by the proof before)"
ents = item[3]
k = next(i for i, e in enumerate(ents) if dec(dec(e)[0][0])[0][2] == int(seq))
hb, sig, payload = dec(ents[k])[0]
raw = lambda x: bytes.fromhex(x[4:]) if x.startswith("hex:") else x.encode()
assert raw(old) in payload, "no %r in the payload" % old
payload = payload.replace(raw(old), raw(new), 1)
h = dec(hb)[0]
h[6], h[7] = len(payload), hashlib.sha256(payload).digest()
hb = enc(h)
ents[k] = enc([hb, hs_vectors.ed25519_sign(seed_of(fhome), hb), payload])
f[2] = enc(body)
f[3] = hs_vectors.ed25519_sign(seed_of(chome), b"keten/%d bundle signature" % f[1] + f[2])
open(dst, "wb").write(enc(f))
PY
evfield() { "$PY" "$T/evfield.py" "$root/tests/tools" "$@" || fail "evfield $*"; }

# -- the GS1 event-hash vectors through eventHash(): every JSON-LD input of
# INDEX.csv must give its .hashes lines in document order
EH=$KETEN_SHARED/conformance/event-hash
[ -f "$EH/INDEX.csv" ] || fail "no GS1 event-hash vectors in $EH"
n=0
for doc in "$EH"/examples/*.jsonld; do
    want=${doc%.jsonld}.hashes
    [ -f "$want" ] || continue
    node "$JSV" --hash "$doc" >"$T/hashes" 2>"$T/jerr" || fail "eventHash on $doc: $(head -3 "$T/jerr")"
    diff -q "$T/hashes" "$want" >/dev/null || fail "eventHash of $(basename "$doc") differs from GS1's $(basename "$want")"
    n=$((n + 1))
done
[ "$n" -ge 20 ] || fail "only $n GS1 event-hash documents"
ok
# GS1's Digital Link normaliser vectors (what the hash makes of EPC URNs and
# Digital Links) through gs1KeyHash()
"$PY" - "$EH/dl_normaliser_vectors.csv" >"$T/dl.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(json.dumps([[r["input"], None if r["expect_rejected(None)"] == "true"
                   else r["expected_constrained_canonical_dl_uri"]] for r in rows]))
PY
node --input-type=module - "$root/web/keten-verify.js" "$T/dl.json" <<'JS' || fail "gs1KeyHash and GS1's normaliser vectors disagree"
import { readFileSync } from "node:fs";
const { gs1KeyHash } = await import(process.argv[2]);
const v = JSON.parse(readFileSync(process.argv[3], "utf8"));
let bad = 0;
for (const [input, want] of v) {
  const got = gs1KeyHash(input);
  if (got !== want) { bad++; console.error(`${input}: ${got}, GS1: ${want}`); }
}
if (v.length < 60 || bad) process.exit(1);
JS
ok

# -- the test vectors of docs/bundle.md ("N bytes, hex" blocks)
"$PY" - "$root/docs/bundle.md" "$T" >"$T/vectors" <<'PY' || fail "no test vector in docs/bundle.md"
import re, sys
s = open(sys.argv[1]).read()
n = 0
for m in re.finditer(r"([0-9][0-9,]*) bytes, hex", s):
    i = s.index("```", m.end()) + 3
    i = s.index("\n", i) + 1
    try:
        b = bytes.fromhex("".join(s[i:s.index("```", i)].split()))
    except ValueError:
        continue
    if b[:14] != b"\x84\x6cketen-bundle":
        continue
    assert len(b) == int(m.group(1).replace(",", ""))
    n += 1
    name = "%s/vector%d.keten" % (sys.argv[2], n)
    open(name, "wb").write(b)
    print(name, b[14])
assert n >= 2
PY
VF=03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8
VL="feed 03a107bf (Vector Farm)"
while read -r vec ver; do
    same_story "$vec"
    tamper flip "$vec" "$vec.pay" 'b.index(b"commissioning")'
    js_reject "$vec.pay" "$VL seq 1: payload does not match its hash"
    [ "$ver" = 1 ] && V1=$vec
    [ "$ver" = 2 ] && V2=$vec
done <"$T/vectors"
grep -q "^steps 2 disclosed 2 sealed 0" "$T/counts" || fail "vector counts"
tamper drop "$V1" "$T/v1-drop.keten" $VF 2
js_reject "$T/v1-drop.keten" "step removed: $VL: seq 2 is missing between seq 1 and seq 3"
tamper proofhash "$V2" "$T/v2-hash.keten" $VF 1
js_reject "$T/v2-hash.keten" "$VL seq 1: not proven in the feed's signed log of 3 entries: inclusion proof: leaf 0 does not lead to the root of the tree of 3"
tamper version "$V1" "$T/v1-as2.keten" 2
js_reject "$T/v1-as2.keten" "bundle is damaged: a feed item is not an array of 4"
# version 3 (identities and cosignatures: tests/e2e/bundle_v3.sh) is read
# by both; a version 2 body called version 3 lacks the statements; each
# names what it reads
tamper version "$V2" "$T/v2-as3.keten" 3
js_reject "$T/v2-as3.keten" "bundle is damaged: the statement (subject, created, creator, partners) is malformed"
tamper version "$V2" "$T/v4.keten" 4
expect 1 bundle verify "$T/v4.keten"
contains "$T/err" "bundle version 4 is not supported (this keten reads versions 1 to 3)"
jsv 1 "$T/v4.keten"
"$PY" -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert e.startswith("bundle version 4 is not supported"), e' "$T/jout" ||
    fail "the JS verifier does not refuse version 4"; ok

# -- one home: steps 1, 3 (private) and 4; seq 2 is another product
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
same_story "$T/one.keten"
contains "$T/counts" "steps 3 disclosed 2 sealed 1"
contains "$T/counts" "$A_ID tree 4"
tamper tochain "$T/one.keten" "$T/chain.keten" "$A_ID" "$A" "$T/other.keten"
same_story "$T/chain.keten"
contains "$T/counts" "$A_ID chain -"
for b in one chain; do
    tamper flip "$T/$b.keten" "$T/$b-pay.keten" 'b.index(b"commissioning")'
    js_reject "$T/$b-pay.keten" "$AL seq 1: payload does not match its hash"
    tamper flip "$T/$b.keten" "$T/$b-sig.keten" '(lambda h: h + 120 + 5 if b[h + 120:h + 122] == b"\x58\x40" else None)(b.index(b"\x58\x76\x88\x01"))'
    js_reject "$T/$b-sig.keten" "$AL seq 1: entry signature does not verify"
    tamper flip "$T/$b.keten" "$T/$b-csig.keten" 'len(b) - 7'
    js_reject "$T/$b-csig.keten" "bundle signature by $AL does not verify"
    # the body: a byte of the subject (the entries all check; the creator's
    # signature over the body does not)
    tamper flip "$T/$b.keten" "$T/$b-body.keten" 'b.index(b"urn:epc:id:sgtin:5412345.000001.1001") + 30'
    js_reject "$T/$b-body.keten" "bundle signature by $AL does not verify: the statement, partners or selection were changed after it was signed"
    head -c 500 "$T/$b.keten" >"$T/$b-short.keten"
    js_reject "$T/$b-short.keten" "bundle is damaged: truncated, or the body or signature is missing"
    tamper version "$T/$b.keten" "$T/$b-as1.keten" 1
    js_reject "$T/$b-as1.keten" "bundle is damaged: a feed item is not an array of 3"
done
tamper proofhash "$T/one.keten" "$T/p-hash.keten" "$A_ID" 3
js_reject "$T/p-hash.keten" "$AL seq 3: not proven in the feed's signed log of 4 entries: inclusion proof: leaf 2 does not lead to the root of the tree of 4"
tamper addhash "$T/one.keten" "$T/p-more.keten" "$A_ID" 1
js_reject "$T/p-more.keten" "$AL seq 1: not proven in the feed's signed log of 4 entries: inclusion proof: 3 hashes, more than a tree of 4 needs"
tamper ckptsig "$T/one.keten" "$T/p-ckpt.keten" "$A_ID"
js_reject "$T/p-ckpt.keten" "$AL: the checkpoint is not signed by the feed's key: signed note: the signature of keten/$A_ID does not check"
tamper ckptnote "$T/one.keten" "$T/p-origin.keten" "$A_ID" "$A" 4 keten/elsewhere "$A"
js_reject "$T/p-origin.keten" "$AL: the checkpoint is of the log keten/elsewhere, not of this feed"
tamper drop "$T/chain.keten" "$T/c-drop.keten" "$A_ID" 2 "$A"
js_reject "$T/c-drop.keten" "step removed: $AL: seq 2 is missing between seq 1 and seq 3"
tamper dropstep "$T/chain.keten" "$T/c-last.keten" "$A_ID" 4 "$A"
same_story "$T/c-last.keten"
# an event field changed, its entry re-signed by the feed's own key and the
# bundle by its creator: the payload hash and signatures hold, the
# recomputed EPCIS event hash does not (keten and JS name the same new hash)
evfield "$T/chain.keten" "$T/c-ev.keten" "$A_ID" 4 shipping shipxing "$A" "$A"
js_reject "$T/c-ev.keten" "$AL seq 4: event hash ni:///sha-256;"
contains "$T/err" "does not match the event (ni:///sha-256;"
evfield "$T/chain.keten" "$T/c-evt.keten" "$A_ID" 4 "08:30:00" "08:31:00" "$A" "$A"
js_reject "$T/c-evt.keten" "$AL seq 4: event hash ni:///sha-256;"
echo '{"not": "a bundle"}' >"$T/json.keten"
js_reject "$T/json.keten" "not a keten bundle"
jsv 3 "$T/missing.keten"

# -- a meat chain between two real nodes: farm and slaughterhouse (one home,
# with a private inspection) -> processor and kitchen (the other home)
F=$T/farm P=$T/proc
partners "$P" Verwerker "$F" Boerderij
F_ID=$(id_of "$F") P_ID=$(id_of "$P") FPORT=$LISTEN_PORT
FL="feed ${F_ID:0:8} (Boerderij)" PL="feed ${P_ID:0:8} (Verwerker)"
expect 0 --home "$F" record "$root/demo/chain/farm.jsonld"
expect 0 --home "$F" record "$root/demo/chain/slaughterhouse.jsonld"
expect 0 --home "$F" record --private --type ObjectEvent --action OBSERVE --biz-step inspecting \
    --disposition active --epc urn:epc:id:giai:5412345.BE512345678901 \
    --read-point urn:epc:id:sgln:5412345.00001.0 --event-time 2025-11-28T06:00:00.000+01:00
expect 0 --home "$P" record "$root/demo/chain/processor.jsonld"
expect 0 --home "$P" record "$root/demo/chain/kitchen.jsonld"
start_node "$F" "$FPORT"
start_node "$P"
WHY="farm and processor converge" wait_until 30 same_heads "$F" "$P"
ckpt_size() { "$KETEN" --home "$1" checkpoint "$2" | sed -n 2p; }
farm_ckpt() { [ "$(ckpt_size "$P" "$F_ID")" = "$(seq_of "$F" "$F_ID")" ]; }
WHY="the farm's checkpoint reaches the processor" wait_until 30 farm_ckpt
PALLET=urn:epc:id:sscc:5412345.0000000001
# version 2 (--version 2): the partners witness each other, so the default
# would be version 3, whose frame the rewriting below does not know;
# version 3 is tests/e2e/bundle_v3.sh's
expect 0 --home "$P" bundle create "$PALLET" --out "$T/meat.keten" --version 2
expect 0 --home "$P" bundle create "$PALLET" --out "$T/meat-own.keten" --only-own --version 2
expect 0 --home "$F" bundle create urn:epc:id:giai:5412345.BE512345678901 --out "$T/farm-animal.keten" --version 2
same_story "$T/meat.keten"
contains "$T/counts" "$F_ID tree"
contains "$T/counts" "$P_ID tree"
grep -q '"sensorElementList"' "$T/jout" || fail "the meat bundle shows no cold chain"
ok
same_story "$T/meat-own.keten"
same_story "$T/farm-animal.keten"
# the farm's feed in the chain form (a partner without a checkpoint): its
# links between the steps taken from the farm's own bundles
tamper tochain "$T/meat.keten" "$T/meat-mixed.keten" "$F_ID" "$P" "$T/farm-animal.keten" "$T/meat.keten"
same_story "$T/meat-mixed.keten"
contains "$T/counts" "$F_ID chain -"
contains "$T/counts" "$P_ID tree"
tamper flip "$T/meat.keten" "$T/meat-pay.keten" 'b.index(b"DESADV-88121")'
js_reject "$T/meat-pay.keten" "$PL seq 3: payload does not match its hash"
tamper proofhash "$T/meat-mixed.keten" "$T/meat-hash.keten" "$P_ID" 1
js_reject "$T/meat-hash.keten" "$PL seq 1: not proven in the feed's signed log of"
tamper ckptswap "$T/meat.keten" "$T/meat-swap.keten" "$F_ID" "$P_ID"
js_reject "$T/meat-swap.keten" "$FL: the checkpoint is not signed by the feed's key: signed note: not signed by the key of keten/$F_ID"

# -- a garment chain: the maker (Digital Link EPCs, materials, a wash
# program's temperatures) and the laundry; errorDeclarations: the maker
# corrects its own shipping, the laundry disputes the maker's other one
M=$T/maker L=$T/laundry
partners "$M" Kledingmaker "$L" Wasserij
M_ID=$(id_of "$M") L_ID=$(id_of "$L") LPORT=$LISTEN_PORT
G1=https://id.gs1.org/01/05412345000778/21/G1
G2=https://id.gs1.org/01/05412345000778/21/G2
SHIP1=urn:uuid:7e1c0c1e-0000-4000-8000-000000000001
SHIP2=urn:uuid:7e1c0c1e-0000-4000-8000-000000000002
cat >"$T/maker.jsonld" <<EOF
{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
              {"garment": "https://keten.dev/ns/garment#"}],
 "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-01T07:00:00.000+01:00",
 "epcisBody": {"eventList": [
  {"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning", "disposition": "active",
   "eventTime": "2026-03-01T08:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
   "epcList": ["$G1", "$G2"], "readPoint": {"id": "urn:epc:id:sgln:5412345.00000.0"},
   "certificationInfo": "https://example.org/certificates/oeko-tex-21.HCN.12345",
   "ilmd": {"cbvmda:lotNumber": "LOT-7", "garment:materials": [{"garment:fibre": "polyester", "garment:share": 0.65},
            {"garment:fibre": "cotton", "garment:share": 0.35}], "garment:maxWashes": 100}},
  {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
   "eventID": "$SHIP1",
   "eventTime": "2026-03-02T08:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
   "epcList": ["$G1"], "bizLocation": {"id": "urn:epc:id:sgln:5412345.00000.0"},
   "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:5412345000013:PO-77"}],
   "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5499999.00001.0"}]},
  {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
   "eventID": "$SHIP2",
   "eventTime": "2026-03-02T09:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
   "epcList": ["$G2"], "bizLocation": {"id": "urn:epc:id:sgln:5412345.00000.0"},
   "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5499999.00002.0"}]}]}}
EOF
cat >"$T/correct.jsonld" <<EOF
[{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
  "eventID": "$SHIP2",
  "eventTime": "2026-03-02T09:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
  "epcList": ["$G2"], "bizLocation": {"id": "urn:epc:id:sgln:5412345.00000.0"},
  "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5499999.00002.0"}],
  "errorDeclaration": {"declarationTime": "2026-03-03T13:00:00.000+01:00", "reason": "did_not_occur"}}]
EOF
cat >"$T/laundry.jsonld" <<EOF
{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
              {"garment": "https://keten.dev/ns/garment#"}],
 "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-04T07:00:00.000+01:00",
 "epcisBody": {"eventList": [
  {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "receiving", "disposition": "active",
   "eventTime": "2026-03-03T10:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
   "epcList": ["$G1"], "bizLocation": {"id": "urn:epc:id:sgln:5499999.00001.0"}},
  {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
   "eventID": "$SHIP1",
   "eventTime": "2026-03-02T08:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
   "epcList": ["$G1"], "bizLocation": {"id": "urn:epc:id:sgln:5412345.00000.0"},
   "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:5412345000013:PO-77"}],
   "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:5499999.00001.0"}],
   "errorDeclaration": {"declarationTime": "2026-03-04T12:00:00.000+01:00", "reason": "incorrect_data"}},
  {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "other", "disposition": "active",
   "eventTime": "2026-03-04T09:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
   "epcList": ["$G1"], "readPoint": {"id": "urn:epc:id:sgln:5499999.00001.0"},
   "garment:washCount": 1,
   "sensorElementList": [{"sensorMetadata": {"time": "2026-03-04T09:00:00.000+01:00"},
     "sensorReport": [{"type": "Temperature", "value": 60.0, "uom": "CEL"},
                      {"type": "Temperature", "value": 62.5, "uom": "CEL"},
                      {"type": "RelativeHumidity", "value": 35, "uom": "P1"}]}]}]}}
EOF
expect 0 --home "$M" record "$T/maker.jsonld"
expect 0 --home "$M" record "$T/correct.jsonld"
expect 0 --home "$L" record "$T/laundry.jsonld"
start_node "$L" "$LPORT"
start_node "$M"
WHY="maker and laundry converge" wait_until 30 same_heads "$M" "$L"
maker_ckpt() { [ "$(ckpt_size "$L" "$M_ID")" = "$(seq_of "$M" "$M_ID")" ]; }
WHY="the maker's checkpoint reaches the laundry" wait_until 30 maker_ckpt
expect 0 --home "$L" bundle create "$G1" --out "$T/g1.keten" --version 2
expect 0 --home "$L" bundle create "$G2" --out "$T/g2.keten" --version 2
expect 0 --home "$M" bundle create "$G1" --out "$T/g1-maker.keten" --version 2
for g in g1 g2 g1-maker; do
    same_story "$T/$g.keten"
done
"$PY" - "$T/g1.keten" "$KETEN" <<'PY' || fail "the garment bundle shows no dispute"
import json, subprocess, sys
d = json.loads(subprocess.run([sys.argv[2], "bundle", "verify", sys.argv[1], "--json"],
                              capture_output=True, text=True, check=True).stdout)
assert any(s.get("disputes") is True for s in d["steps"]), d["steps"]
PY
ok
contains "$T/jout" '"errorDeclaration": true'
tamper tochain "$T/g1.keten" "$T/g1-mixed.keten" "$M_ID" "$L" "$T/g1-maker.keten" "$T/g2.keten"
same_story "$T/g1-mixed.keten"
contains "$T/counts" "$M_ID chain -"
# the laundry's sensor event: a float of the wash temperature changed (60.0
# -> 61.0, the same CBOR length), re-signed by the laundry: the event hash
tamper tochain "$T/g1.keten" "$T/g1-lchain.keten" "$L_ID" "$L" "$T/g1.keten"
same_story "$T/g1-lchain.keten"
# (the laundry's feed in the chain form here, its sensor event the last
# entry; 60.0 is CBOR f9 5380, half precision, 61.0 is f9 53a0)
evfield "$T/g1-lchain.keten" "$T/g1-temp.keten" "$L_ID" "$(seq_of "$L" "$L_ID")" hex:f95380 hex:f953a0 "$L" "$L"
js_reject "$T/g1-temp.keten" "seq $(seq_of "$L" "$L_ID"): event hash ni:///sha-256;"

# -- GS1's own EPCIS 2.0 examples (conformance/epcis-examples/JSON), recorded
# at one home: a bundle for every identifier they name, each verified by
# keten and, in one run, by the JS verifier: the same story (the event
# hash of every stored event recomputed from the event and its copied
# @context alone: extensions, sensor data, quantities, CURIEs)
G=$T/gs1
mkhome "$G" GS1
mkdir "$T/gb"
"$PY" - "$KETEN_SHARED/conformance/epcis-examples/JSON" "$KETEN" "$G" "$T/gb" <<'PY' || fail "GS1 example bundles"
import glob, json, subprocess, sys
ex, keten, home, out = sys.argv[1:5]
ids = []
def walk(v, key=None):
    if isinstance(v, dict):
        for k, x in v.items():
            walk(x, k)
    elif isinstance(v, list):
        for x in v:
            walk(x, key)
    elif isinstance(v, str) and key in ("epcList", "parentID", "childEPCs", "epcClass",
                                        "inputEPCList", "outputEPCList") and v not in ids:
        ids.append(v)
docs = sorted(glob.glob(ex + "/**/*.jsonld", recursive=True))
for f in docs:
    subprocess.run([keten, "--home", home, "record", "--skip-duplicates", "--quiet", f],
                   check=True, capture_output=True)
    walk(json.load(open(f)))
res = []
for i, x in enumerate(ids):
    b = "%s/%03d.keten" % (out, i)
    if subprocess.run([keten, "--home", home, "bundle", "create", x, "--out", b],
                      capture_output=True).returncode:
        continue
    k = subprocess.run([keten, "bundle", "verify", b, "--json"], capture_output=True, text=True, check=True)
    open(b + ".json", "w").write(k.stdout)
    res.append(b)
assert len(docs) >= 40 and len(res) >= 40, (len(docs), len(res))
json.dump(res, open(out + "/list.json", "w"))
PY
node --input-type=module - "$root/web/keten-verify.js" "$T/gb/list.json" <<'JS' || fail "keten and the JS verifier disagree on GS1's examples"
import { readFileSync } from "node:fs";
const { verifyBundle } = await import(process.argv[2]);
const same = (a, b) =>
  a === b || (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b) &&
    Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => same(a[k], b[k])));
let bad = 0;
const list = JSON.parse(readFileSync(process.argv[3], "utf8"));
for (const f of list) {
  const v = await verifyBundle(new Uint8Array(readFileSync(f)));
  if (v.state !== "verified" || !same(v.story, JSON.parse(readFileSync(f + ".json", "utf8")))) {
    bad++;
    console.error(`${f}: ${v.state} ${v.reason}`);
  }
}
console.log(`GS1 examples: ${list.length} bundles, ${bad} disagreements`);
process.exit(bad ? 1 : 0);
JS
ok

# -- the same module, unchanged, in headless Chromium (Debian's chromium;
# this part is skipped when it is not installed): a page served from $T
# verifies bundles with WebCrypto and puts each verdict and story in the
# DOM; each must be keten's (the story, or the claim)
if command -v chromium >/dev/null 2>&1; then
    W=$T/www
    mkdir "$W"
    cp "$root/web/keten-verify.js" "$W/"
    cp "$V1" "$W/v1.keten"
    cp "$V2" "$W/v2.keten"
    files="v1.keten v2.keten"
    for f in one chain meat meat-mixed meat-own g1 g1-mixed c-ev g1-temp meat-pay meat-hash p-ckpt c-drop; do
        cp "$T/$f.keten" "$W/"
        files="$files $f.keten"
    done
    cat >"$W/t.html" <<EOF
<!doctype html><html><body><pre id="out">running</pre>
<script type="module">
import { verifyBundle } from "./keten-verify.js";
const res = [];
for (const f of "$files".split(" ")) {
  const b = new Uint8Array(await (await fetch(f)).arrayBuffer());
  const v = await verifyBundle(b);
  res.push([f, v.state, v.reason, v.story]);
}
document.getElementById("out").textContent = JSON.stringify(res);
</script></body></html>
EOF
    WPORT=$(free_port)
    (cd "$W" && exec "$PY" -m http.server "$WPORT" --bind 127.0.0.1) >/dev/null 2>&1 &
    NODE_PIDS+=($!)
    WHY="the test page server" wait_until 10 curl -sf "http://127.0.0.1:$WPORT/t.html"
    timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome" \
        --virtual-time-budget=60000 --dump-dom "http://127.0.0.1:$WPORT/t.html" >"$T/dom.html" 2>/dev/null ||
        fail "chromium --dump-dom failed"
    "$PY" - "$T/dom.html" "$KETEN" "$W" <<'PY' || fail "keten and the verifier in Chromium disagree"
import html, json, re, subprocess, sys
dom, keten, w = sys.argv[1:4]
m = re.search(r'<pre id="out">(.*?)</pre>', open(dom).read(), re.S)
assert m and m.group(1) != "running", "the page did not finish"
res = json.loads(html.unescape(m.group(1)))
assert len(res) >= 10, res
for f, state, reason, story in res:
    k = subprocess.run([keten, "bundle", "verify", "%s/%s" % (w, f), "--json"], capture_output=True, text=True)
    if k.returncode == 0:
        want = json.loads(k.stdout)
        assert state == "verified" and story == want, (f, state, reason)
    else:
        claim = json.loads(k.stdout)["error"].replace("bundle %s/%s does not verify: " % (w, f), "")
        assert state == "failed" and reason == claim, (f, state, reason, claim)
print("chromium: %d bundles as keten" % len(res))
PY
    ok
else
    echo "SKIP bundle_js chromium part: chromium is not installed"
fi

# -- the sweep: one bit flipped at every 23rd byte of the mixed meat bundle
# (both forms, two feeds); keten's verdict and claim for each, then the JS
# verifier on all of them in one run: the same verdict and claim every time
mkdir "$T/sweep"
"$PY" - "$T/meat-mixed.keten" "$KETEN" "$T/sweep" <<'PY' || fail "the sweep"
import json, subprocess, sys
src, keten, d = sys.argv[1:4]
orig = open(src, "rb").read()
res = []
for i in range(3, len(orig), 23):
    b = bytearray(orig)
    b[i] ^= 0x04
    p = "%s/%d.keten" % (d, i)
    open(p, "wb").write(b)
    k = subprocess.run([keten, "bundle", "verify", p], capture_output=True, text=True)
    msg = k.stderr.split("\n")[0].replace("keten: bundle %s does not verify: " % p, "") if k.returncode else None
    res.append([p, k.returncode, msg])
json.dump(res, open(d + "/keten.json", "w"))
PY
node --input-type=module - "$root/web/keten-verify.js" "$T/sweep/keten.json" <<'JS' || fail "the sweep: keten and the JS verifier disagree"
import { readFileSync } from "node:fs";
const { verifyBundle } = await import(process.argv[2]);
const res = JSON.parse(readFileSync(process.argv[3], "utf8"));
let bad = 0, rejected = 0;
for (const [p, code, msg] of res) {
  const v = await verifyBundle(new Uint8Array(readFileSync(p)));
  const jcode = v.state === "verified" ? 0 : 1;
  rejected += jcode;
  if (jcode !== code || (code && v.reason !== msg)) {
    bad++;
    console.error(`${p}: keten ${code} ${msg}\n    js ${jcode} ${v.reason}`);
  }
}
console.log(`sweep: ${res.length} files, ${rejected} rejected, ${bad} disagreements`);
process.exit(bad || res.length < 50 || rejected < res.length / 2 ? 1 : 0);
JS
ok
done_checks
