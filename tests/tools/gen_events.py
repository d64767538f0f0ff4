#!/usr/bin/env python3
"""gen_events.py OUT N [SEED] [small] -- writes an EPCISDocument of N realistic
ObjectEvents (~300-byte payloads: three SGTINs, read point, location, a
temperature reading) to OUT.  SEED (default 0) shifts the serial numbers and
times, so two documents with different seeds share no event.  Used by the
benchmarks (bench/import.sh, bench/replicate.sh) and the replication tests.
With "small", each event has one SGTIN and no sensor data: ~300 bytes as
stored (the payload size of the replication benchmark)."""
import sys

path, n = sys.argv[1], int(sys.argv[2])
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
small = len(sys.argv) > 4 and sys.argv[4] == "small"
base = seed * 10_000_000
with open(path, "w") as f:
    f.write('{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],'
            '"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2025-12-01T00:00:00Z",'
            '"epcisBody":{"eventList":[')
    for j in range(n):
        i = base + j
        if small:
            f.write(('%s{"type":"ObjectEvent","action":"OBSERVE","bizStep":"receiving",'
                     '"eventTime":"2025-12-%02dT%02d:%02d:%02d.%03dZ","eventTimeZoneOffset":"+01:00",'
                     '"epcList":["urn:epc:id:sgtin:5412345.000012.%d"],'
                     '"readPoint":{"id":"urn:epc:id:sgln:5412345.00002.1"}}')
                    % ("," if j else "", 1 + i // 86400000 % 28, i // 3600000 % 24, i // 60000 % 60,
                       i // 1000 % 60, i % 1000, i))
            continue
        s = i * 3
        f.write(('%s{"type":"ObjectEvent","action":"OBSERVE","bizStep":"receiving","disposition":"in_progress",'
                 '"eventTime":"2025-12-%02dT%02d:%02d:%02d.%03dZ","eventTimeZoneOffset":"+01:00",'
                 '"epcList":["urn:epc:id:sgtin:5412345.000012.%d","urn:epc:id:sgtin:5412345.000012.%d",'
                 '"urn:epc:id:sgtin:5412345.000012.%d"],"readPoint":{"id":"urn:epc:id:sgln:5412345.00002.1"},'
                 '"bizLocation":{"id":"urn:epc:id:sgln:5412345.00002.0"},'
                 '"sensorElementList":[{"sensorMetadata":{"deviceID":"urn:epc:id:giai:5412345.TL-77"},'
                 '"sensorReport":[{"type":"Temperature","value":%.1f,"uom":"CEL"}]}]}')
                % ("," if j else "", 1 + i // 86400000 % 28, i // 3600000 % 24, i // 60000 % 60,
                   i // 1000 % 60, i % 1000, s, s + 1, s + 2, 2.5 + (i % 30) / 10))
    f.write("]}}")
