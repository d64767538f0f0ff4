#!/usr/bin/env bash
# bench/import.sh KETEN [N] -- `keten record` of one EPCISDocument with N
# events (default 1,000,000): events/s of the whole program (read, parse,
# check, hash, encode, sign, store, index, one durable commit).
set -eu
keten=$1 n=${2:-1000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/keten-import.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 - "$work/doc.jsonld" "$n" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write('{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],'
            '"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2025-12-01T00:00:00Z",'
            '"epcisBody":{"eventList":[')
    for i in range(n):
        s = i * 3
        f.write(('%s{"type":"ObjectEvent","action":"OBSERVE","bizStep":"receiving","disposition":"in_progress",'
                 '"eventTime":"2025-12-%02dT%02d:%02d:%02d.%03dZ","eventTimeZoneOffset":"+01:00",'
                 '"epcList":["urn:epc:id:sgtin:5412345.000012.%d","urn:epc:id:sgtin:5412345.000012.%d",'
                 '"urn:epc:id:sgtin:5412345.000012.%d"],"readPoint":{"id":"urn:epc:id:sgln:5412345.00002.1"},'
                 '"bizLocation":{"id":"urn:epc:id:sgln:5412345.00002.0"},'
                 '"sensorElementList":[{"sensorMetadata":{"deviceID":"urn:epc:id:giai:5412345.TL-77"},'
                 '"sensorReport":[{"type":"Temperature","value":%.1f,"uom":"CEL"}]}]}')
                % ("," if i else "", 1 + i // 86400000 % 28, i // 3600000 % 24, i // 60000 % 60,
                   i // 1000 % 60, i % 1000, s, s + 1, s + 2, 2.5 + (i % 30) / 10))
    f.write("]}}")
PY
"$keten" --home "$work/home" init --name Import >/dev/null
size=$(stat -c %s "$work/doc.jsonld")
t0=$(date +%s%N)
/usr/bin/time -f '%M' -o "$work/rss" "$keten" --home "$work/home" record --quiet "$work/doc.jsonld" 2>"$work/err" || { cat "$work/err"; exit 1; }
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
echo "bench/import: keten record of one EPCISDocument with $n events ($((size / 1000000)) MB)"
echo "  $(( n * 1000 / (ms > 0 ? ms : 1) )) events/s ($ms ms), peak RSS $(( $(cat "$work/rss") / 1024 )) MB"
echo "  goal (issue 2): >= 40,000 events/s"
echo "  reproduce: make bench   or   bench/import.sh $keten $n"
