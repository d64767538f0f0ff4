#!/usr/bin/env bash
# A third-party EPCIS 2.0 client captures into keten and queries it:
# epcis2.js (npm, pinned in tests/epcis2js/package.json and its lock file)
# drives the real `keten node --http` on 127.0.0.1 (tests/e2e/epcis2js.mjs
# says what is checked: its classes, capture(), CaptureResponse's polling,
# objectToEvent/isValid on keten's answer, eventToHashedId against keten's
# eventIDs).  Needs node and npm (Makefile DEB_PKGS: nodejs, npm); SKIPs
# with a message only when the npm registry cannot be reached.  Nothing
# here downloads a browser.
set -eu
. "$(dirname "$0")/nodelib.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v node >/dev/null || fail "no node (apt-get install nodejs)"
command -v npm >/dev/null || fail "no npm (apt-get install npm)"

mkdir -p "$T/npm"
cp -r "$ROOT/tests/epcis2js/package.json" "$ROOT/tests/epcis2js/package-lock.json" \
    "$ROOT/tests/epcis2js/fs-stub" "$ROOT/tests/e2e/epcis2js.mjs" "$T/npm/"
if ! (cd "$T/npm" && timeout 60 npm ping >"$T/ping.log" 2>&1); then
    echo "SKIP: epcis2js.sh: the npm registry cannot be reached ($(tail -1 "$T/ping.log"))"
    exit 0
fi
(cd "$T/npm" && timeout 300 npm ci --silent --no-audit --no-fund >"$T/npm.log" 2>&1) ||
    { tail -20 "$T/npm.log"; fail "npm ci of epcis2.js (tests/epcis2js)"; }
[ "$(node -p 'require(process.argv[1]).version' "$T/npm/node_modules/epcis2.js/package.json")" = 2.7.3 ] ||
    fail "not the pinned epcis2.js"; ok

H=$T/h
mkhome "$H" Slachthuis
TOK=$("$KETEN" --home "$H" token add erp --scope capture,query 2>/dev/null) || fail "token add"
HPORT=$(free_port)
B="http://127.0.0.1:$HPORT"
"$KETEN" --home "$H" node --http "127.0.0.1:$HPORT" 2>>"$H.log" &
NODE_PIDS+=($!)
up() { curl -s -o /dev/null "$B/eventTypes"; }
WHY="the HTTP server answers" wait_until 10 up

(cd "$T/npm" && timeout 120 node epcis2js.mjs "$B" "$TOK") >"$T/out" 2>"$T/err" ||
    { cat "$T/out" "$T/err"; fail "epcis2.js against keten"; }
cat "$T/out"
contains "$T/out" "5 events captured and read back the same, hashes agree"
# keten's own view agrees: the five are stored, signed, in the own feed
[ "$(nlines "$H")" = 5 ] || fail "keten log shows $(nlines "$H") entries"; ok
done_checks
