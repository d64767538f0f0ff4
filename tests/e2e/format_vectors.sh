#!/usr/bin/env bash
# The test vectors of docs/format.md, checked by a second implementation
# (tests/tools/verify_entries.py: Python + OpenSSL, no keten code), and the
# same vectors must appear in docs/format.md.
set -eu
. "$(dirname "$0")/lib.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)
python3 "$root/tests/tools/verify_entries.py" "$root/tests/data/format_vectors.json" > "$T/out" || { cat "$T/out"; fail "independent verifier"; }
contains "$T/out" "seq 3 ok"
for h in $(python3 -c "import json; [print(e['entryHash'], e['payloadSha256']) for e in json.load(open('$root/tests/data/format_vectors.json'))['entries']]"); do
    grep -q "$h" "$root/docs/format.md" || fail "docs/format.md lacks $h"; ok
done
done_checks
