#!/usr/bin/env bash
# Partners witness each other's checkpoints (issue 16, item 1; docs/protocol.md
# "Witnessing").
#  1. A chain of three: A dials B, C dials B. B witnesses A's checkpoints and
#     C witnesses those B relays (B does not witness C: --no-witness); the cosigned notes travel back to A (the
#     owner) and on to every partner. A's `keten checkpoint` carries both
#     cosignatures, which Python's `cryptography` checks from the C2SP text
#     (an implementation that is not keten's); status shows who witnessed it
#     when; one cosignature per checkpoint per witness, not per entry; verify
#     checks the rows.
#  2. Bad cosignature lines from a partner (forged, replayed onto another
#     checkpoint, replayed from another origin, an unknown witness, a foreign
#     name): each dropped with a log line naming it, nothing stored, the
#     session kept and the node serving others. A checkpoint of another
#     origin itself is refused (protocol error, that session closed).
#  3. A split view: one feed key in two homes writing two histories, each
#     shown to another partner, who each cosign theirs. When the two
#     partners talk, the fork is caught: both notes kept as evidence, the
#     feed flagged in status on both, and neither witness ever cosigns the
#     other history.
set -eu
. "$(dirname "$0")/nodelib.bash"
EVIL="$KETEN_BUILD/tools/evil_peer"
[ -x "$EVIL" ] || fail "no $EVIL (make builds it)"
python3 -c 'import cryptography' 2>/dev/null || fail "python3-cryptography is not installed"

rec() { # HOME N TAG: N events
    for i in $(seq 1 "$2"); do
        "$KETEN" --home "$1" record --type ObjectEvent --action ADD --biz-step commissioning \
            --epc "urn:epc:id:sgtin:5412345.00000$3.$RANDOM$i" --event-time 2025-11-30T08:00:00Z \
            >/dev/null 2>&1 || fail "record in $1"
    done
}
# witnesses HOME FEED: "witness-hex size" per cosignature kept of FEED
witnesses() {
    "$KETEN" --home "$1" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
f = next((f for f in d["feeds"] if f["feed"] == sys.argv[1]), {})
for w in f.get("witnesses", []):
    print(w["witness"], w["size"])' "$2"
}
witnessed_by() { witnesses "$1" "$2" | grep "^$3 $4\$" >/dev/null; }
# cosig_lines HOME FEED: the number of signature lines of its checkpoint note
cosig_lines() { "$KETEN" --home "$1" checkpoint "$2" | grep -c '^— '; }

# ---- 1. three partners ------------------------------------------------------
A=$T/a B=$T/b C=$T/c
mkhome "$B" Slachthuis
NET=$("$KETEN" --home "$B" network)
mkhome "$A" Boerderij "$NET"
mkhome "$C" Keuken "$NET"
A_ID=$(id_of "$A") B_ID=$(id_of "$B") C_ID=$(id_of "$C")
BPORT=$(free_port)
"$KETEN" --home "$A" peer add "$B_ID" "127.0.0.1:$BPORT" --name slachthuis >"$T/out"
contains "$T/out" "witness"
"$KETEN" --home "$B" peer add "$A_ID" --name boerderij >/dev/null
"$KETEN" --home "$B" peer add "$C_ID" --name keuken --no-witness >"$T/out"
contains "$T/out" "not witnessed"
"$KETEN" --home "$C" peer add "$B_ID" "127.0.0.1:$BPORT" --name slachthuis --witness >/dev/null
expect 0 --home "$B" peer list --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [p["witness"] for p in d] == [True, False], d' "$T/out" ||
    fail "peers are not witnesses by default, or --no-witness is not kept"; ok
rec "$A" 3 1
rec "$B" 2 2
rec "$C" 1 3
start_node "$B" "$BPORT"
start_node "$A"
start_node "$C"
WHY="all three converge" wait_until 30 same_heads "$A" "$B" "$C"
WHY="B cosigns A's checkpoint of 3" wait_until 20 witnessed_by "$B" "$A_ID" "$B_ID" 3
WHY="C cosigns A's checkpoint of 3 (relayed by B)" wait_until 20 witnessed_by "$C" "$A_ID" "$C_ID" 3
WHY="A gets both cosignatures of its own checkpoint" wait_until 20 witnessed_by "$A" "$A_ID" "$C_ID" 3
witnessed_by "$A" "$A_ID" "$B_ID" 3 || fail "A lacks B's cosignature"; ok
WHY="A gets C's cosignature of B's checkpoint" wait_until 20 witnessed_by "$A" "$B_ID" "$C_ID" 2
# B does not witness C (--no-witness): B holds no cosignature of its own
# of C's checkpoints, not even of those A relays back to it (A's own
# cosignature of them, made when B relayed C's feed to A, it holds)
WHY="A cosigns C's checkpoint, relayed by B" wait_until 20 witnessed_by "$B" "$C_ID" "$A_ID" 1
! witnesses "$B" "$C_ID" | grep "^$B_ID " >/dev/null || fail "B cosigned the checkpoint of a --no-witness peer"; ok
[ "$(cosig_lines "$A" "$A_ID")" = 3 ] || fail "A's checkpoint note has not 1 + 2 signature lines"; ok
"$KETEN" --home "$A" checkpoint >"$T/a.note"
"$KETEN" --home "$A" checkpoint --vkey >"$T/a.vkey"
"$KETEN" --home "$B" checkpoint "$B_ID" --witness-vkey >"$T/b.wvkey"
"$KETEN" --home "$C" checkpoint "$C_ID" --witness-vkey >"$T/c.wvkey"
# the cosignatures checked by code that is not keten's, from the C2SP text
python3 - "$T/a.note" "$T/a.vkey" "$T/b.wvkey" "$T/c.wvkey" <<'PY' || fail "Python does not accept keten's cosignatures"
import base64, hashlib, struct, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
note = open(sys.argv[1], encoding="utf-8").read()
text, sigs = note.split("\n\n", 1)
text += "\n"
def vkey(path, typ):
    name, kid, key = open(path).read().strip().split("+", 2)
    raw = base64.b64decode(key)
    assert raw[0] == typ, raw[0]
    assert hashlib.sha256(name.encode() + b"\n" + bytes([typ]) + raw[1:]).digest()[:4].hex() == kid
    return name, bytes.fromhex(kid), Ed25519PublicKey.from_public_bytes(raw[1:])
log = vkey(sys.argv[2], 1)
wits = [vkey(p, 4) for p in sys.argv[3:]]
seen = set()
for line in sigs.strip("\n").split("\n"):
    assert line.startswith("\u2014 "), line
    name, b64 = line[2:].split(" ")
    blob = base64.b64decode(b64, validate=True)
    if (name, blob[:4]) == log[:2]:
        log[2].verify(blob[4:], text.encode()); seen.add("log"); continue
    for w in wits:
        if (name, blob[:4]) == w[:2]:
            assert len(blob) == 4 + 8 + 64
            t = struct.unpack(">Q", blob[4:12])[0]
            msg = b"cosignature/v1\ntime %d\n" % t + text.encode()
            w[2].verify(blob[12:], msg); seen.add(name)
assert seen == {"log", wits[0][0], wits[1][0]}, seen
print("python checked the log signature and", len(seen) - 1, "cosignatures")
PY
ok
expect 0 --home "$A" status
contains "$T/out" "witnessed by slachthuis"
contains "$T/out" "witnessed by keuken"
# one cosignature per checkpoint per witness: A records 5 more while all run
rec "$A" 5 4
WHY="B cosigns A's checkpoint of 8" wait_until 20 witnessed_by "$B" "$A_ID" "$B_ID" 8
WHY="A gets B's cosignature of 8" wait_until 20 witnessed_by "$A" "$A_ID" "$B_ID" 8
[ "$(witnesses "$A" "$A_ID" | grep -c "^$B_ID ")" = 1 ] || fail "more than one row of B for A's feed"; ok
expect 0 --home "$B" verify
expect 0 --home "$A" verify

# ---- 2. bad cosignature lines -------------------------------------------------
# E, a partner of B, sends B checkpoints of A's feed (signed by A: genuine)
# with bad cosignature lines.
E=$T/e
mkhome "$E" Evil "$NET"
E_ID=$(id_of "$E")
"$KETEN" --home "$B" peer add "$E_ID" --name evil >/dev/null
sleep 1.2 # the node rereads peers.json within a second
"$KETEN" --home "$B" checkpoint "$A_ID" >"$T/a8.note"   # size 8, with B's and C's lines
"$KETEN" --home "$B" checkpoint "$B_ID" >"$T/b2.note"   # B's own, with C's line
before_rows=$(witnesses "$B" "$A_ID")
python3 - "$T" "$A_ID" "$B_ID" "$C_ID" <<'PY'
import base64, os, sys
T, a, b, c = sys.argv[1:]
note = open(T + "/a8.note", encoding="utf-8").read()
text, sigs = note.split("\n\n", 1)
lines = sigs.strip("\n").split("\n")
own = next(l for l in lines if l.startswith("\u2014 keten/" + a + " "))
bline = next(l for l in lines if l.startswith("\u2014 keten/" + b + " "))
other = open(T + "/b2.note", encoding="utf-8").read().split("\n\n", 1)[1].strip("\n").split("\n")
cline_b = next(l for l in other if l.startswith("\u2014 keten/" + c + " "))
def out(name, extra):
    open(T + "/" + name, "w", encoding="utf-8").write(text + "\n\n" + own + "\n" + extra + "\n")
# forged: B's name and key ID, one byte of the signature changed
blob = bytearray(base64.b64decode(bline.split(" ")[2])); blob[40] ^= 1
out("forged", "\u2014 keten/%s %s" % (b, base64.b64encode(bytes(blob)).decode()))
# replayed from another origin: C's genuine cosignature of B's checkpoint
out("origin", "\u2014 keten/%s %s" % (c, cline_b.split(" ")[2]))
# an unknown witness: a keten name of a feed nobody holds
out("unknown", "\u2014 keten/%s %s" % ("ab" * 32, base64.b64encode(os.urandom(76)).decode()))
# a foreign name
out("foreign", "\u2014 witness.example.com/w1 %s" % base64.b64encode(os.urandom(76)).decode())
PY
# replayed onto another checkpoint: A's checkpoint of 3 is gone (B keeps the
# newest), so B's cosignature of 3 comes from A's earlier note
python3 - "$T" "$A_ID" "$B_ID" <<'PY'
import sys
T, a, b = sys.argv[1:]
old = open(T + "/a.note", encoding="utf-8").read().split("\n\n", 1)[1].strip("\n").split("\n")
bline3 = next(l for l in old if l.startswith("\u2014 keten/" + b + " "))
note = open(T + "/a8.note", encoding="utf-8").read()
text, sigs = note.split("\n\n", 1)
own = next(l for l in sigs.split("\n") if l.startswith("\u2014 keten/" + a + " "))
open(T + "/replayed", "w", encoding="utf-8").write(text + "\n\n" + own + "\n" + bline3 + "\n")
PY
for bad in forged origin unknown foreign replayed; do
    before=$(wc -l <"$B.log")
    set +e
    EVIL_NOTE="$T/$bad" ASAN_OPTIONS=detect_leaks=0 timeout 20 "$EVIL" "$E" "127.0.0.1:$BPORT" \
        "$B_ID" note "$A_ID" 2 >"$T/evil.out" 2>&1
    rc=$?
    set -e
    [ $rc = 1 ] || { cat "$T/evil.out"; tail -5 "$B.log"; fail "B closed the session over a $bad cosignature line (rc $rc)"; }
    ok
    WHY="B logs the $bad line" wait_until 5 sh -c "tail -n +$((before + 1)) '$B.log' | grep -q 'cosignature line(s) of the checkpoint from evil'"
    tail -n +"$((before + 1))" "$B.log" >"$T/new.log"
    case $bad in
    forged | origin | replayed) contains "$T/new.log" "does not check" ;;
    unknown) contains "$T/new.log" "unknown witness (a feed not held here)" ;;
    foreign) contains "$T/new.log" "witness.example.com/w1: unknown witness" ;;
    esac
    [ "$(witnesses "$B" "$A_ID")" = "$before_rows" ] || fail "B stored something of a $bad line"; ok
    kill -0 "$PID_b" || fail "B died after a $bad line"; ok
done
# a checkpoint of another origin (B's own, sent as A's): not A's
# checkpoint at all, so a protocol error: B closes that session, stores
# nothing, and goes on
before=$(wc -l <"$B.log")
set +e
EVIL_NOTE="$T/b2.note" ASAN_OPTIONS=detect_leaks=0 timeout 20 "$EVIL" "$E" "127.0.0.1:$BPORT" \
    "$B_ID" note "$A_ID" 5 >"$T/evil.out" 2>&1
rc=$?
set -e
[ $rc = 0 ] || { cat "$T/evil.out"; fail "B kept a session that sent a checkpoint of another origin (rc $rc)"; }
ok
tail -n +"$((before + 1))" "$B.log" >"$T/new.log"
contains "$T/new.log" "bad checkpoint"
contains "$T/new.log" "keten/$A_ID"
[ "$(witnesses "$B" "$A_ID")" = "$before_rows" ] || fail "B stored something of another origin's checkpoint"; ok
rec "$C" 1 5
WHY="B still serves C" wait_until 20 same_heads "$B" "$C"
expect 0 --home "$B" verify

kill "$PID_a" "$PID_b" "$PID_c"; wait "$PID_a" "$PID_b" "$PID_c" 2>/dev/null || true

# ---- 3. a split view ------------------------------------------------------------
# F's key in two homes: F shows one history to P, F2 another to Q.
F=$T/f F2=$T/f2 P=$T/p Q=$T/q
mkhome "$F" Verwerker "$NET"
mkhome "$P" Keuken1 "$NET"
mkhome "$Q" Keuken2 "$NET"
F_ID=$(id_of "$F") P_ID=$(id_of "$P") Q_ID=$(id_of "$Q")
PPORT=$(free_port) QPORT=$(free_port)
"$KETEN" --home "$F" peer add "$P_ID" "127.0.0.1:$PPORT" --name keuken1 >/dev/null
"$KETEN" --home "$P" peer add "$F_ID" --name verwerker >/dev/null
"$KETEN" --home "$Q" peer add "$F_ID" --name verwerker >/dev/null
rec "$F" 3 6
cp -a "$F" "$F2"
"$KETEN" --home "$F2" peer remove "$P_ID" >/dev/null
"$KETEN" --home "$F2" peer add "$Q_ID" "127.0.0.1:$QPORT" --name keuken2 >/dev/null
rec "$F" 2 7
rec "$F2" 2 8
start_node "$P" "$PPORT"
start_node "$Q" "$QPORT"
start_node "$F"
start_node "$F2"
WHY="P cosigns F's history of 5" wait_until 20 witnessed_by "$P" "$F_ID" "$P_ID" 5
WHY="Q cosigns F2's history of 5" wait_until 20 witnessed_by "$Q" "$F_ID" "$Q_ID" 5
"$KETEN" --home "$P" checkpoint "$F_ID" >"$T/p.note"
"$KETEN" --home "$Q" checkpoint "$F_ID" >"$T/q.note"
[ "$(sed -n 3p "$T/p.note")" != "$(sed -n 3p "$T/q.note")" ] || fail "the two histories have one root"; ok
kill "$PID_f" "$PID_f2"; wait "$PID_f" "$PID_f2" 2>/dev/null || true
# the two witnesses meet
"$KETEN" --home "$P" peer add "$Q_ID" "127.0.0.1:$QPORT" --name keuken2 >/dev/null
"$KETEN" --home "$Q" peer add "$P_ID" --name keuken1 >/dev/null
feed_forked() { "$KETEN" --home "$1" status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if any(f["feed"]==sys.argv[1] and f["forked"] for f in d["feeds"]) else 1)' "$2"; }
WHY="P flags F's feed forked" wait_until 20 feed_forked "$P" "$F_ID"
WHY="Q flags F's feed forked" wait_until 20 feed_forked "$Q" "$F_ID"
# both notes kept: the checkpoint of one history, the evidence of the other
# (the fork may be found through two entries first; the other history's
# checkpoint follows by gossip)
has_evidence() {
    "$KETEN" --home "$1" status --json >"$T/ev.json" || return 1
    python3 - "$T/ev.json" "$F_ID" "$T/p.note" "$T/q.note" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = next(f for f in d["feeds"] if f["feed"] == sys.argv[2])
roots = {open(p).read().split("\n")[2] for p in sys.argv[3:5]}
assert f["forked"] is True, f
assert "forkCheckpoint" in f, f
assert {f["checkpoint"].split("\n")[2], f["forkCheckpoint"].split("\n")[2]} == roots, f
PY
}
for h in "$P" "$Q"; do
    log_has "$h" "FORK: feed $F_ID" || fail "$h does not log the fork"
    WHY="the status of $h shows both notes" wait_until 30 has_evidence "$h"
    expect 0 --home "$h" status
    contains "$T/out" "FORKED"
    expect 0 --home "$h" verify
done
# neither witness cosigned the other history: each one's own row is of the
# root it saw first
"$KETEN" --home "$P" checkpoint "$F_ID" >"$T/p2.note"
"$KETEN" --home "$Q" checkpoint "$F_ID" >"$T/q2.note"
cmp -s "$T/p.note" "$T/p2.note" || grep -q "^— keten/$P_ID " "$T/p2.note" &&
    [ "$(sed -n 3p "$T/p2.note")" = "$(sed -n 3p "$T/p.note")" ] || fail "P's kept checkpoint changed history"; ok
[ "$(witnesses "$P" "$F_ID" | grep -c "^$P_ID ")" = 1 ] && [ "$(witnesses "$Q" "$F_ID" | grep -c "^$Q_ID ")" = 1 ] ||
    fail "a witness has more than its one cosignature"; ok
if grep -q "^— keten/$Q_ID " "$T/p2.note" || grep -q "^— keten/$P_ID " "$T/q2.note"; then
    fail "a cosignature of the other history was merged"
fi
ok
done_checks
