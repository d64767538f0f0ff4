#!/usr/bin/env bash
# Keys bound to companies (issue 16, item 2; docs/cli.md "identity", "peer
# endorse"; docs/format.md "Statements").
#  1. Three partners on 127.0.0.1 (A and C dial B). Each states its identity
#     (keten identity set: name, GLN or GS1 Company Prefix, domain) in a
#     signed entry of its own feed; B and C endorse A, C endorses B (one
#     endorsement that does not match B's statement). The statements
#     replicate with the feeds: every node's status and peer list show each
#     feed's stated identity and who endorses it; verify, log, export and
#     trace take feeds that hold statements.
#  3. A bundle (version 3) of A's product carries every partner's statement
#     and endorsements and the cosignatures of A's checkpoint; bundle verify
#     reports them, --trust and --require-witnesses are met or fail (exit 1)
#     naming the partner; a bundle claiming a cosignature it does not carry
#     (a changed cosignature line) fails naming the witness.
#  2. Bad input: an endorsement of the own key, a GLN with a wrong check
#     digit, a GCP that is not the GLN's prefix, a bad domain: each refused
#     (exit 3) with a message naming what is wrong, and nothing written.
set -eu
. "$(dirname "$0")/nodelib.bash"

seq_own() { "$KETEN" --home "$1" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(next((f["seq"] for f in d["feeds"] if f["own"]), 0))'; }
# feed_json HOME FEED: the status object of FEED
feed_json() { "$KETEN" --home "$1" status --identities --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(json.dumps(next(f for f in d["feeds"] if f["feed"] == sys.argv[1])))' "$2"; }
# endorsers HOME FEED: "endorser-hex agrees" per endorsement of FEED held by HOME
endorsers() { feed_json "$1" "$2" | python3 -c '
import json, sys
for e in json.load(sys.stdin).get("endorsedBy", []):
    print(e["feed"], "agrees" if e["agrees"] else "differs")'; }
stated() { feed_json "$1" "$2" | python3 -c '
import json, sys
i = json.load(sys.stdin).get("identity")
assert i and i["name"] == sys.argv[1], i' "$3"; }

# ---- 1. three partners ------------------------------------------------------
A=$T/a B=$T/b C=$T/c
mkhome "$B" Slachthuis
NET=$("$KETEN" --home "$B" network)
mkhome "$A" Boerderij "$NET"
mkhome "$C" Keuken "$NET"
A_ID=$(id_of "$A") B_ID=$(id_of "$B") C_ID=$(id_of "$C")
BPORT=$(free_port)
"$KETEN" --home "$A" peer add "$B_ID" "127.0.0.1:$BPORT" --name slachthuis >/dev/null
"$KETEN" --home "$B" peer add "$A_ID" --name boerderij >/dev/null
"$KETEN" --home "$B" peer add "$C_ID" --name keuken >/dev/null
"$KETEN" --home "$C" peer add "$B_ID" "127.0.0.1:$BPORT" --name slachthuis >/dev/null
"$KETEN" --home "$A" record --type ObjectEvent --action ADD --biz-step commissioning \
    --epc urn:epc:id:sgtin:5412345.000001.1001 --event-time 2025-11-30T08:00:00Z >/dev/null

expect 0 --home "$A" identity set --name "Boerderij De Hoeve" --gln 5412345000006 --gcp 5412345 \
    --domain hoeve.example
contains "$T/out" "identity statement of this feed: Boerderij De Hoeve, GLN 5412345000006"
expect 0 --home "$B" identity set --name "Slachthuis Demo" --gln 5412345000013
expect 0 --home "$C" identity set --name "Keuken Ziekenhuis" --gcp 5412345
expect 0 --home "$A" identity --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); i=d["identity"]; assert (i["name"], i["gln"], i["gcp"], i["domain"], i["kind"]) == ("Boerderij De Hoeve", "5412345000006", "5412345", "hoeve.example", "identity"), d; assert d["endorsedBy"] == [], d' "$T/out" ||
    fail "identity --json"; ok
expect 0 --home "$B" peer endorse "$A_ID" --name "Boerderij De Hoeve" --gln 5412345000006
contains "$T/out" "endorsement of $A_ID: Boerderij De Hoeve, GLN 5412345000006"
expect 0 --home "$C" peer endorse "$A_ID" --name "Boerderij De Hoeve" --gcp 5412345
expect 0 --home "$C" peer endorse "$B_ID" --name "Slachthuis Anders" --gln 5412345000013

# ---- 2. bad input: refused, nothing written -----------------------------------
before=$(seq_own "$C")
expect 3 --home "$C" peer endorse "$C_ID" --name "Keuken Ziekenhuis" --gcp 5412345
contains "$T/err" "cannot endorse its own key"
expect 3 --home "$C" peer endorse "$A_ID" --name X --gln 5412345000007
contains "$T/err" "check digit"
expect 3 --home "$C" identity set --name X --gln 5412345000006 --gcp 5412346
contains "$T/err" "does not start with the GS1 Company Prefix 5412346"
expect 3 --home "$C" identity set --name X --gcp 54123 --domain "https://keuken.example"
contains "$T/err" "domain"
expect 3 --home "$C" identity set --name X --gcp 541
contains "$T/err" "4 to 12 digits"
expect 2 --home "$C" peer endorse "$A_ID" --name X
contains "$T/err" "--gln GLN or --gcp PREFIX"
[ "$(seq_own "$C")" = "$before" ] || fail "a refused statement was written"; ok

# ---- 1. (cont.) replicated: every node shows who is who -----------------------
start_node "$B" "$BPORT"
start_node "$A"
start_node "$C"
WHY="all three converge" wait_until 30 same_heads "$A" "$B" "$C"
for h in "$A" "$B" "$C"; do
    stated "$h" "$A_ID" "Boerderij De Hoeve" || fail "$h lacks A's statement"; ok
    stated "$h" "$B_ID" "Slachthuis Demo" || fail "$h lacks B's statement"; ok
    stated "$h" "$C_ID" "Keuken Ziekenhuis" || fail "$h lacks C's statement"; ok
    [ "$(endorsers "$h" "$A_ID" | sort)" = "$(printf '%s agrees\n%s agrees\n' "$B_ID" "$C_ID" | sort)" ] ||
        fail "$h: A not endorsed by B and C: $(endorsers "$h" "$A_ID")"; ok
    [ "$(endorsers "$h" "$B_ID")" = "$C_ID differs" ] || fail "$h: B's endorsement by C not shown as differing"; ok
    [ -z "$(endorsers "$h" "$C_ID")" ] || fail "$h: C is endorsed by someone"; ok
    expect 0 --home "$h" verify
done
expect 0 --home "$A" status
! grep -q "identity:" "$T/out" || fail "status reads the whole log for identities unasked"; ok
expect 0 --home "$A" status --identities
contains "$T/out" "identity: Boerderij De Hoeve, GLN 5412345000006, GS1 Company Prefix 5412345, domain hoeve.example"
contains "$T/out" "endorsed by Slachthuis Demo"
contains "$T/out" "endorsed by Keuken Ziekenhuis"
expect 0 --home "$C" peer list
contains "$T/out" "identity: Slachthuis Demo, GLN 5412345000013"
contains "$T/out" "endorsed by Keuken Ziekenhuis (${C_ID:0:16}…) as Slachthuis Anders, GLN 5412345000013  DOES NOT MATCH"
expect 0 --home "$C" peer list --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); p=d[0]; assert p["identity"]["name"] == "Slachthuis Demo" and [e["agrees"] for e in p["endorsedBy"]] == [False], p' "$T/out" ||
    fail "peer list --json lacks identity or endorsedBy"; ok
# the other readers take feeds with statements
expect 0 --home "$C" log
contains "$T/out" "endorsement"
contains "$T/out" "identity"
expect 0 --home "$C" export
contains "$T/err" "exported 1 events"
expect 0 --home "$C" trace urn:epc:id:sgtin:5412345.000001.1001

# ---- 3. bundles carry statements, endorsements and cosignatures ---------------
witnessed_by() { "$KETEN" --home "$1" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
f = next(f for f in d["feeds"] if f["feed"] == sys.argv[1])
assert {w["witness"] for w in f.get("witnesses", [])} >= set(sys.argv[2:])' "$2" "${@:3}"; }
WHY="C holds B's and C's cosignatures of A's checkpoint" wait_until 30 witnessed_by "$C" "$A_ID" "$B_ID" "$C_ID"
# --version 2: the old version, for a buyer's tool that reads 1 and 2 only
expect 0 --home "$C" bundle create urn:epc:id:sgtin:5412345.000001.1001 --out "$T/p2.keten" --version 2
expect 0 bundle verify "$T/p2.keten" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["bundle"] == 2 and "statements" not in d, d["bundle"]' "$T/out" ||
    fail "a bundle with --version 2 is not version 2"; ok
# the default (the store holds statements and cosignatures): version 3
expect 0 --home "$C" bundle create urn:epc:id:sgtin:5412345.000001.1001 --out "$T/p.keten"
echo "bundle of 1 step: version 2 $(wc -c <"$T/p2.keten") bytes, version 3 $(wc -c <"$T/p.keten") bytes"
expect 0 bundle verify "$T/p.keten" --json
python3 - "$T/out" "$A_ID" "$B_ID" "$C_ID" <<'PY' || fail "bundle story lacks statements, endorsements or witnesses"
import json, sys
d = json.load(open(sys.argv[1])); a, b, c = sys.argv[2:]
assert d["bundle"] == 3, d["bundle"]
f = d["feeds"][0]
assert f["feed"] == a and f["identity"]["name"] == "Boerderij De Hoeve", f
assert sorted(e["feed"] for e in f["endorsedBy"]) == sorted([b, c]), f["endorsedBy"]
assert all(e["agrees"] for e in f["endorsedBy"])
assert {w["witness"] for w in f["witnesses"]} >= {b, c}, f["witnesses"]
kinds = sorted((s["feed"], s["kind"]) for s in d["statements"])
assert (a, "identity") in kinds and (b, "endorsement") in kinds and (c, "identity") in kinds, kinds
PY
ok
expect 0 bundle verify "$T/p.keten"
contains "$T/out" "states: Boerderij De Hoeve, GLN 5412345000006"
contains "$T/out" "endorsed by Slachthuis Demo"
contains "$T/out" "witnessed by ${B_ID:0:16}"
printf '# keys we know\n%s Slachthuis (met them)\n%s Keuken\n' "$B_ID" "$C_ID" >"$T/trust"
printf '%s Slachthuis\n' "$B_ID" >"$T/trust-b"
printf '%s someone else\n' "$(printf '%064d' 7)" >"$T/trust-other"
expect 0 bundle verify "$T/p.keten" --trust "$T/trust" --require-witnesses 2
contains "$T/out" "endorsed by Slachthuis Demo"
expect 0 bundle verify "$T/p.keten" --trust "$T/trust-b"
expect 1 bundle verify "$T/p.keten" --trust "$T/trust-other"
contains "$T/err" "boerderij (${A_ID:0:16}…): its key is not in the trust file and no key in it endorses it"
expect 1 bundle verify "$T/p.keten" --trust "$T/trust" --require-witnesses 3
contains "$T/err" "witnessed by 2 of the 3 required"
# without --trust only partners of the bundle count: B has no step in it
expect 1 bundle verify "$T/p.keten" --require-witnesses 2
contains "$T/err" "witnessed by 1 of the 2 required"
printf 'not a key\n' >"$T/trust-bad"
expect 3 bundle verify "$T/p.keten" --trust "$T/trust-bad"
contains "$T/err" "line 1"
# a cosignature line changed: claimed, not carried
python3 - "$T/p.keten" "$T/forged.keten" "$B_ID" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
i = b.index(("\u2014 keten/" + sys.argv[3] + " ").encode()) + len("\u2014 keten/".encode()) + 64 + 1 + 30
c = b[i:i+1]
b = b[:i] + (b"B" if c != b"B" else b"C") + b[i+1:]
open(sys.argv[2], "wb").write(b)
PY
expect 1 bundle verify "$T/forged.keten"
contains "$T/err" "claims a cosignature by witness ${B_ID:0:16}"
done_checks
