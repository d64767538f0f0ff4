#!/usr/bin/env bash
# bench/xml_import.sh KETEN [N...] -- EPCIS XML import (issue 17, item 7):
# for each N (default 100000 and 1000000) a generated EPCIS 2.0 XML
# EPCISDocument of N ObjectEvents (one EPC, a readPoint, a bizLocation, one
# user extension; about 480 bytes each) is
#   1. converted with `keten convert DOC --out /dev/null` (the XML reader,
#      map and check of every event, twice: convert checks the whole input
#      before it writes; plus the JSON-LD writer), and
#   2. imported with `keten record --quiet DOC` into a fresh home (read,
#      check, hash, sign, store, index, one durable commit),
# each with its events/s, peak RSS and peak anonymous RSS (/proc). Not a timed test: the
# figures depend on the machine and its load (docs/performance.md).
set -eu
keten=$1
shift
[ $# -gt 0 ] || set -- 100000 1000000
work=$(mktemp -d "${TMPDIR:-/tmp}/keten-xml-import.XXXXXX")
trap 'rm -rf "$work"' EXIT

gen() { # gen FILE N
    python3 - "$1" "$2" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w", buffering=1 << 20) as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" '
            'xmlns:ex="https://example.com/ns/" schemaVersion="2.0" '
            'creationDate="2025-01-01T00:00:00Z">\n<EPCISBody>\n<EventList>\n')
    for i in range(n):
        f.write('<ObjectEvent><eventTime>2025-01-01T%02d:%02d:%02d.%03dZ</eventTime>'
                '<eventTimeZoneOffset>+01:00</eventTimeZoneOffset>'
                '<epcList><epc>urn:epc:id:sgtin:5412345.000012.%d</epc></epcList>'
                '<action>OBSERVE</action><bizStep>urn:epcglobal:cbv:bizstep:inspecting</bizStep>'
                '<readPoint><id>urn:epc:id:sgln:5412345.00001.0</id></readPoint>'
                '<bizLocation><id>urn:epc:id:sgln:5412345.00000.0</id></bizLocation>'
                '<ex:batch>B%d</ex:batch></ObjectEvent>\n'
                % (i // 3600000 % 24, i // 60000 % 60, i // 1000 % 60, i % 1000, i, i % 97))
    f.write('</EventList>\n</EPCISBody>\n</epcis:EPCISDocument>\n')
PY
}

# run WHAT N CMD...: prints events/s, peak RSS (VmHWM: with the pages of
# the mapped input and of the LMDB map) and peak anonymous RSS (RssAnon,
# sampled every 50 ms: the program's own memory) of CMD
run() {
    local what=$1 n=$2
    shift 2
    local t0 t1 ms pid hwm=0 anon=0 v
    t0=$(date +%s%N)
    "$@" >/dev/null 2>"$work/err" &
    pid=$!
    while [ -e "/proc/$pid/status" ]; do
        v=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null) && [ -n "$v" ] && hwm=$v
        v=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null) &&
            [ -n "$v" ] && [ "$v" -gt "$anon" ] && anon=$v
        sleep 0.05
    done
    wait "$pid" || { cat "$work/err"; exit 1; }
    t1=$(date +%s%N)
    ms=$(((t1 - t0) / 1000000))
    printf '  %-8s %8d events/s (%d ms), peak RSS %d MB, peak anonymous %d MB\n' "$what" \
        $((n * 1000 / (ms > 0 ? ms : 1))) "$ms" $((hwm / 1024)) $((anon / 1024))
}

echo "bench/xml_import: EPCIS 2.0 XML documents of ObjectEvents ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
for n in "$@"; do
    gen "$work/doc.xml" "$n"
    echo " $n events ($(($(stat -c %s "$work/doc.xml") / 1000000)) MB):"
    run convert "$n" "$keten" convert "$work/doc.xml" --out /dev/null
    rm -rf "$work/home"
    "$keten" --home "$work/home" init --name Import >/dev/null
    run record "$n" "$keten" --home "$work/home" record --quiet "$work/doc.xml"
    rm -rf "$work/home" "$work/doc.xml"
done
echo "  goal (issue 17): record >= 50,000 events/s, peak RSS independent of the document's size"
echo "  reproduce: bench/xml_import.sh $keten $*"
