#!/usr/bin/env bash
# keten convert (issue 17): an EPCIS document of either binding becomes an
# EPCIS 2.0 JSON-LD document with no home; every event keeps its event hash
# (recorded from the XML and from the converted JSON-LD: the same hashes);
# JSON-LD -> JSON-LD keeps them too; bad input writes nothing. --to xml is
# tested in xml_write.sh.
set -eu -o pipefail
. "$(dirname "$0")/lib.bash"
DATA="$(dirname "$0")/../data/epcis/xml"
VEC="$KETEN_SHARED/conformance/event-hash/examples"

# the event hashes of recording FILE in a fresh home, one a line
hashes() {
    local home="$T/h.$RANDOM$RANDOM"
    "$KETEN" --home "$home" init --name H --gln 5412345000006 >/dev/null
    "$KETEN" --home "$home" record --json "$1" 2>/dev/null |
        python3 -c 'import sys, json; [print(json.loads(l)["eventHash"]) for l in sys.stdin]'
    rm -rf "$home"
}

# -- EPCIS 1.2 XML -> 2.0 JSON-LD, to stdout and to a file, and from stdin
expect 0 convert "$DATA/epcis12.xml"
contains "$T/err" "converted 4 events"
contains "$T/out" '"type":"EPCISDocument"'
contains "$T/out" '"ex":"https://example.com/ns/"'
expect 0 convert - --out "$T/c12.jsonld" --indent 2 <"$DATA/epcis12.xml"
[ ! -s "$T/out" ] || fail "convert --out wrote to stdout"; ok
[ ! -e "$T/c12.jsonld.tmp" ] || fail "convert left its .tmp file"; ok
[ "$(hashes "$DATA/epcis12.xml")" = "$(hashes "$T/c12.jsonld")" ] || fail "1.2 hashes changed"; ok
[ "$(hashes "$DATA/epcis12.xml" | wc -l)" = 4 ] || fail "not 4 events"; ok

# -- every event-hash vector with an XML input: the same hashes after convert
n=0
for x in "$VEC"/*.xml; do
    expect 0 convert "$x" --out "$T/v.jsonld"
    a=$(hashes "$x")
    b=$(hashes "$T/v.jsonld")
    [ -n "$a" ] || fail "$x: nothing recorded"
    [ "$a" = "$b" ] || fail "$x: the converted document's hashes differ"
    ok
    # and JSON-LD -> JSON-LD keeps them again
    expect 0 convert "$T/v.jsonld" --out "$T/v2.jsonld"
    [ "$(hashes "$T/v2.jsonld")" = "$a" ] || fail "$x: JSON-LD -> JSON-LD changed hashes"; ok
    n=$((n + 1))
done
[ "$n" = 17 ] || fail "expected 17 XML vectors, found $n"; ok

# -- bad input: exit 3, the message names line and event, nothing written
printf '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"><EPCISBody><EventList>\n<ObjectEvent><eventTime>soon</eventTime></ObjectEvent>\n</EventList></EPCISBody></epcis:EPCISDocument>\n' >"$T/bad.xml"
expect 3 convert "$T/bad.xml" --out "$T/bad.jsonld"
contains "$T/err" "bad.xml: line 2, column 24: event 0 (ObjectEvent): element ObjectEvent/eventTime"
[ ! -e "$T/bad.jsonld" ] && [ ! -e "$T/bad.jsonld.tmp" ] || fail "bad input wrote a file"; ok
expect 3 convert "$T/bad.xml"
[ ! -s "$T/out" ] || fail "bad input wrote to stdout"; ok

# -- --out naming something that is not a regular file (a FIFO here; as
# root, /dev/null) is written in place, never replaced by a renamed file
mkfifo "$T/fifo"
timeout 20 cat "$T/fifo" >"$T/fifo.got" &
reader=$!
expect 0 convert "$DATA/epcis12.xml" --out "$T/fifo"
wait "$reader" || fail "nothing read from the FIFO"
[ -p "$T/fifo" ] || fail "convert replaced the FIFO"; ok
contains "$T/fifo.got" '"type":"EPCISDocument"'

# -- usage (--to xml: tests/e2e/xml_write.sh)
expect 2 convert "$DATA/epcis12.xml" --to nope
contains "$T/err" "--to takes jsonld or xml"
expect 2 convert
expect 0 convert --help
contains "$T/out" "usage: keten convert IN"

echo "$checks checks passed"
