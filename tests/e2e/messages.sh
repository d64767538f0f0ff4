#!/usr/bin/env bash
# Messages and exit codes a user acts on (issue 12, item 12): a full disk is
# named as such with its path, and nothing is half-written; a bad GLN check
# digit is bad input (3); a bad event of a large XML document is named with
# line, column and index; a long `record` on a terminal shows events and
# events/s.
set -eu -o pipefail
. "$(dirname "$0")/lib.bash"
GEN="$(dirname "$0")/../tools/gen_events.py"

# -- GLN check digit: bad input, and no home left behind
expect 3 --home "$T/g" init --name X --gln 5412345000007
contains "$T/err" "GLN 5412345000007: wrong check digit"
[ ! -e "$T/g" ] || fail "a home was left behind by a refused init"; ok
expect 3 --home "$T/g" init --name X --gln 54123
expect 0 --home "$T/g" init --name X --gln 5412345000006

# -- XML (issue 17): read by content, not by name; a bad event of a large
# document is named with its line, column and index, and nothing is stored
printf '<?xml version="1.0" encoding="UTF-8"?>\n<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"/>\n' >"$T/doc.xml"
expect 0 --home "$T/g" record "$T/doc.xml"
contains "$T/err" "recorded 0 events"
python3 - "$T/big.xml" "$T/big.txt" <<'EOF'
import sys
for path, bad in ((sys.argv[1], True), (sys.argv[2], False)):
    with open(path, "w") as f:
        f.write('\ufeff<?xml version="1.0"?>\n<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"><EPCISBody><EventList>\n')
        for i in range(40000):
            t = '2026-01-01T00:00:00Z' if not (bad and i == 39999) else '2026-13-01T00:00:00Z'
            f.write('<ObjectEvent><eventTime>%s</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset><epcList><epc>urn:epc:id:sgtin:5412345.000001.%d</epc></epcList><action>OBSERVE</action></ObjectEvent>\n' % (t, i))
        f.write('</EventList></EPCISBody></epcis:EPCISDocument>\n')
EOF
expect 3 --home "$T/g" record "$T/big.xml"
contains "$T/err" "big.xml: line 40002, column 24: event 39999 (ObjectEvent): element ObjectEvent/eventTime: \"2026-13-01T00:00:00Z\" is not a valid date-time"
contains "$T/err" "nothing was recorded"
expect 0 --home "$T/g" log
[ ! -s "$T/out" ] || fail "something was recorded from a bad XML document"; ok
expect 0 --home "$T/g" record --quiet "$T/big.txt"
contains "$T/err" "recorded 40000 events"
sed 's/5412345.000001./5412345.000002./' "$T/big.txt" >"$T/big2.txt"
expect 0 --home "$T/g" record --quiet - <"$T/big2.txt"
contains "$T/err" "recorded 40000 events"

# -- XML attacks: an external entity is never read, nothing is stored
echo "keten-secret-$$" >"$T/secret.txt"
printf '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file://%s">]>\n<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"><EPCISBody><EventList><ObjectEvent><eventTime>2026-01-01T00:00:00Z</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset><epcList><epc>&xxe;</epc></epcList><action>OBSERVE</action></ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>\n' "$T/secret.txt" >"$T/xxe.xml"
expect 0 --home "$T/x" init --name X --gln 5412345000006
expect 3 --home "$T/x" record "$T/xxe.xml"
contains "$T/err" "xxe.xml: line 2, column"
contains "$T/err" "a DTD declaration (ENTITY xxe)"
! grep -q "keten-secret" "$T/err" "$T/out" || fail "the external entity was read"; ok

# -- EPCIS 1.2: recorded, its extension namespace exported with the event
expect 0 --home "$T/x" record --quiet "$(dirname "$0")/../data/epcis/xml/epcis12.xml"
contains "$T/err" "recorded 4 events"
expect 0 --home "$T/x" export
contains "$T/out" '"ex:batch":"LOT42"'
contains "$T/out" '"ex":"https://example.com/ns/"'

# -- record has the store check each event (one reading per identifier):
# the bad event is named as before, a syntax error anywhere is still found
# first (the document's JSON is read whole before its events), nothing is
# stored, with and without --commit-every
python3 - "$T" <<'EOF'
import json, sys
t = sys.argv[1]
def ev(i, epc=None):
    return {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
            "eventTime": "2026-01-01T00:00:00Z", "eventTimeZoneOffset": "+00:00",
            "epcList": [epc or "urn:epc:id:sgtin:5412345.000001.%d" % i]}
def doc(evs):
    return {"@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
            "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2026-01-01T00:00:00Z", "epcisBody": {"eventList": evs}}
evs = [ev(i) for i in range(3000)]
evs[1500] = ev(1500, "urn:epc:id:sgtin:5412345.000001")
json.dump(doc(evs), open(t + "/bad1500.jsonld", "w"))
small = json.dumps(doc([ev(i) for i in range(2)] + [ev(2, "urn:epc:id:sgtin:5412345.000001")] +
                       [ev(i) for i in range(3, 6)]))
# event 5 is not JSON
cut = small.rindex('{"type"')
open(t + "/bad2.jsonld", "w").write(small[:cut] + '{"type": "ObjectEvent", ]}}')
EOF
expect 0 --home "$T/chk" init --name Check
expect 3 --home "$T/chk" record "$T/bad1500.jsonld"
contains "$T/err" "bad1500.jsonld: event 1500: epcList[0]"
contains "$T/err" "nothing was recorded"
expect 3 --home "$T/chk" record --commit-every 1000 "$T/bad1500.jsonld"
contains "$T/err" "bad1500.jsonld: event 1500: epcList[0]"
contains "$T/err" "nothing was recorded"
expect 3 --home "$T/chk" record "$T/bad2.jsonld"
contains "$T/err" "bad2.jsonld: line 1, column 1160: malformed JSON"
expect 0 --home "$T/chk" log
[ ! -s "$T/out" ] || fail "bad documents stored events"; ok

# -- progress on a terminal: events and events/s on stderr
python3 "$GEN" "$T/ev.jsonld" 20000 >/dev/null
python3 - "$KETEN" "$T/g" "$T/ev.jsonld" "$T/tty.out" <<'EOF' || fail "record on a terminal"
import os, pty, sys
keten, home, doc, out = sys.argv[1:5]
pid, fd = pty.fork()
if pid == 0:
    os.execv(keten, [keten, "--home", home, "record", "--quiet", doc])
buf = b""
while True:
    try:
        b = os.read(fd, 4096)
    except OSError:
        break
    if not b:
        break
    buf += b
_, status = os.waitpid(pid, 0)
open(out, "wb").write(buf)
assert os.WEXITSTATUS(status) == 0, buf[-400:]
EOF
contains "$T/tty.out" "events/s (not yet committed)"
contains "$T/tty.out" "committing 20000 events to disk"
contains "$T/tty.out" "recorded 20000 events"
# not on a pipe or a file
expect 0 --home "$T/g" record --quiet "$T/ev.jsonld" --skip-duplicates
if grep -qF "events/s (not yet" "$T/err"; then fail "progress written to a file"; fi
ok

# -- --commit-every: batches, yet bad input anywhere stores nothing
expect 0 --home "$T/c" init --name C
python3 "$GEN" "$T/ev3k.jsonld" 3000 >/dev/null
printf '[{"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "bad"}]' >"$T/bad.jsonld"
expect 3 --home "$T/c" record --commit-every 1000 "$T/ev3k.jsonld" "$T/bad.jsonld"
contains "$T/err" "nothing was recorded"
expect 0 --home "$T/c" log
[ ! -s "$T/out" ] || fail "a batch was stored before bad input"; ok
expect 0 --home "$T/c" record --commit-every 1000 "$T/ev3k.jsonld"
[ "$(grep -c '^recorded ' "$T/out")" = 3000 ] || fail "3000 outcome lines expected"; ok
contains "$T/err" "recorded 3000 events"
expect 0 --home "$T/c" log
[ "$(wc -l <"$T/out")" = 3000 ] || fail "3000 events expected in the log"; ok
expect 0 --home "$T/c" verify
expect 2 --home "$T/c" record --commit-every 0 "$T/ev3k.jsonld"
expect 2 --home "$T/c" record --commit-every x "$T/ev3k.jsonld"
cat "$T/ev3k.jsonld" | "$KETEN" --home "$T/c" record --commit-every 700 --skip-duplicates --quiet - \
    2>"$T/err" || fail "stdin with --commit-every"
contains "$T/err" "skipped 3000 already recorded"

# -- a full disk: a small tmpfs (needs root and mount, as in CI)
mkdir -p "$T/mnt"
if mount -t tmpfs -o size=700k tmpfs "$T/mnt" 2>/dev/null; then
    trap 'umount "$T/mnt" 2>/dev/null || true; rm -rf "$T"' EXIT
    expect 0 --home "$T/mnt/h" init --name Vol
    expect 0 --home "$T/mnt/h" record --type ObjectEvent --action ADD --epc urn:epc:id:sgtin:5412345.000001.1 \
        --biz-step commissioning
    python3 "$GEN" "$T/ev5k.jsonld" 5000 >/dev/null
    expect 4 --home "$T/mnt/h" record --quiet "$T/ev5k.jsonld"
    contains "$T/err" "$T/mnt/h/db: no space left on device"
    contains "$T/err" "nothing was stored"
    if grep -qF "Input/output error" "$T/err"; then fail "a full disk is not an I/O error"; fi
    ok
    # in batches: the batches before the full disk stay, and it says so
    expect 4 --home "$T/mnt/h" record --quiet --commit-every 100 "$T/ev5k.jsonld"
    contains "$T/err" "no space left on device"
    contains "$T/err" "events of this call were committed before it"
    n=$(sed -n 's/^\([0-9]*\) events of this call.*/\1/p' "$T/err")
    [ -n "$n" ] || fail "how many events were committed?"; ok
    expect 0 --home "$T/mnt/h" verify
    expect 0 --home "$T/mnt/h" log
    [ "$(wc -l <"$T/out")" = $((n + 1)) ] || fail "the log should hold the $n committed events and the first"; ok
    rm -rf "$T/mnt/h"
    expect 0 --home "$T/mnt/h" init --name Vol
    expect 0 --home "$T/mnt/h" record --type ObjectEvent --action ADD --epc urn:epc:id:sgtin:5412345.000001.1 \
        --biz-step commissioning
    # nothing half-written: the first event is there, the store verifies
    expect 0 --home "$T/mnt/h" verify
    expect 0 --home "$T/mnt/h" log
    [ "$(wc -l <"$T/out")" = 1 ] || fail "the store should hold its one event"; ok
    umount "$T/mnt"
else
    echo "note: mount -t tmpfs not permitted here: the full-disk case was not run"
fi
done_checks
