#!/usr/bin/env bash
# The product page and the bundle over HTTP (docs/http.md, "The product
# page"), through real `keten node --http` processes on 127.0.0.1 with free
# ports:
#   - a meat chain: the slaughterhouse records the demo chain (its pallet
#     shipped with temperatures), a wrong inspection and its correction
#     (errorDeclaration) and a private entry; the kitchen, its partner,
#     records the pallet's receipt, which replicates to the slaughterhouse;
#   - a garment chain (tests/e2e/lifecycle_chain.py): maker, laundry and
#     recycler in one home (the laundry's);
#   - content negotiation: a browser's Accept -> 307 to /page/..., curl's ->
#     the default link; the linkset's gs1:pip and the bundle target;
#     ?linkType=keten:bundle; the page and its files with their types, the
#     CSP and the other headers, ETag/304, 404 for an unknown file, 400 for
#     a bad Digital Link, 405;
#   - the bundle: its bytes verify with `keten bundle verify`, only the
#     node's own events disclosed (the kitchen's receipt and the private
#     entry sealed), the same steps as `keten bundle create --only-own`; the
#     time it took (Server-Timing) printed;
#   - headless Chromium (Debian's /usr/bin/chromium, driven by
#     playwright-core from npm; SKIP when chromium is absent): the meat
#     pack's page and the garment's page show data-state="verified" (the
#     garment's wash count as `keten lifecycle` counts it, the pallet's
#     temperature chart, the correction), and a bundle with one flipped byte
#     given to the page's file input shows "failed" naming the entry as
#     `keten bundle verify` does.  Screenshots go to $SHOTS (default: the
#     test's directory; SHOTS=docs/img to refresh the committed ones).
set -eu
. "$(dirname "$0")/nodelib.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DOC="$ROOT/demo/meat-chain.jsonld"
command -v curl >/dev/null || fail "curl is needed"
S=$T/s K=$T/k L=$T/l

# -- the meat chain: S (slaughterhouse, HTTP) and K (kitchen) are partners
partners "$S" Slachthuis "$K" Keuken # S dials K at 127.0.0.1:$LISTEN_PORT
S_ID=$(id_of "$S") K_ID=$(id_of "$K")
expect 0 --home "$S" record "$DOC"
WRONG=urn:uuid:6a1a2b7e-9d36-4d51-9f64-2b8a6d1c0001
cat >"$T/wrong.jsonld" <<EOF
[{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "inspecting", "eventID": "$WRONG",
  "eventTime": "2025-11-29T10:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
  "epcList": ["urn:epc:id:sgtin:5412345.000012.P1001"], "bizLocation": {"id": "urn:epc:id:sgln:5412345.00000.0"},
  "disposition": "damaged"}]
EOF
cat >"$T/fix.jsonld" <<EOF
[{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "inspecting", "eventID": "$WRONG",
  "eventTime": "2025-11-29T10:00:00.000+01:00", "eventTimeZoneOffset": "+01:00",
  "epcList": ["urn:epc:id:sgtin:5412345.000012.P1001"], "bizLocation": {"id": "urn:epc:id:sgln:5412345.00000.0"},
  "disposition": "damaged",
  "errorDeclaration": {"declarationTime": "2025-11-29T10:30:00.000+01:00", "reason": "incorrect_data"}}]
EOF
expect 0 --home "$S" record "$T/wrong.jsonld"
expect 0 --home "$S" record "$T/fix.jsonld"
expect 0 --home "$S" record --private --type ObjectEvent --action OBSERVE --biz-step inspecting \
    --epc urn:epc:id:sgtin:5412345.000012.P1001 --event-time 2025-11-29T10:45:00Z
expect 0 --home "$K" record --type ObjectEvent --action OBSERVE --biz-step receiving \
    --epc urn:epc:id:sscc:5412345.0000000001 --biz-location urn:epc:id:sgln:5412345.00003.0 \
    --event-time 2025-11-29T14:05:00Z
HPORT=$(free_port) GPORT=$(free_port)
B="http://127.0.0.1:$HPORT" G="http://127.0.0.1:$GPORT"
start_node "$K" "$LISTEN_PORT"
"$KETEN" --home "$S" node --http "127.0.0.1:$HPORT" 2>>"$S.log" &
NODE_PIDS+=($!)

# -- the garment chain, in the laundry's home
mkdir -p "$T/lc"
python3 "$(dirname "$0")/lifecycle_chain.py" "$T/lc" || fail "lifecycle_chain.py"
mkhome "$L" Wasserij
for f in maker laundry recycler; do expect 0 --home "$L" record "$T/lc/$f.jsonld"; done
"$KETEN" --home "$L" node --http "127.0.0.1:$GPORT" 2>>"$L.log" &
NODE_PIDS+=($!)

up() { curl -s -o /dev/null "$1/.well-known/gs1resolver"; }
WHY="the slaughterhouse's HTTP server answers" wait_until 10 up "$B"
WHY="the laundry's HTTP server answers" wait_until 10 up "$G"
WHY="the kitchen's receipt reaches the slaughterhouse" wait_until 30 seq_is "$S" "$K_ID" 1

PACK=/01/05412345000129/21/P1001
GARMENT=/01/05412345000204/21/G05 # 27 washes of 30, now at the laundry
BROWSER_ACCEPT='text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
CSP="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

# -- content negotiation: a browser gets the page, curl the default link
status_is 307 n1 -H "Accept: $BROWSER_ACCEPT" "$B$PACK"
[ "$(header_of n1 location)" = "$B/page$PACK" ] || fail "browser -> $(header_of n1 location)"; ok
status_is 307 n2 "$B$PACK"
[ "$(header_of n2 location)" = "$B/trace$PACK" ] || fail "curl -> $(header_of n2 location)"; ok
status_is 307 n3 "$B$PACK?linkType=gs1:pip"
[ "$(header_of n3 location)" = "$B/page$PACK" ] || fail "gs1:pip -> $(header_of n3 location)"; ok
status_is 307 n4 "$B$PACK?linkType=keten:bundle"
[ "$(header_of n4 location)" = "$B/bundle$PACK" ] || fail "keten:bundle -> $(header_of n4 location)"; ok
status_is 307 n5 -H 'Accept: application/vnd.keten.bundle+cbor' "$B$PACK?linkType=gs1:traceability"
[ "$(header_of n5 location)" = "$B/bundle$PACK" ] || fail "traceability+bundle -> $(header_of n5 location)"; ok
status_is 200 n6 -H 'Accept: application/linkset+json' "$B$PACK"
python3 - "$T/n6.b" "$B" "$PACK" <<'EOF' || fail "linkset links"
import json, sys
d = json.load(open(sys.argv[1])); b, p = sys.argv[2], sys.argv[3]
c = d["linkset"][0]
pip = c["https://gs1.org/voc/pip"]
assert pip == [{"href": b + "/page" + p, "title": pip[0]["title"], "type": "text/html"}], pip
tr = c["https://gs1.org/voc/traceability"]
assert tr[0]["href"] == b + "/trace" + p and tr[0]["type"] == "application/json", tr
assert tr[1]["href"] == b + "/bundle" + p and tr[1]["type"] == "application/vnd.keten.bundle+cbor", tr
assert c["https://gs1.org/voc/defaultLink"][0]["href"] == b + "/trace" + p
EOF
ok
status_is 200 n7 "$B/.well-known/gs1resolver"
contains "$T/n7.b" '"keten:bundle"'

# -- the page and its files: types, CSP, cache headers
status_is 200 a1 -H "Accept: $BROWSER_ACCEPT" -L "$B$PACK"
[ "$(header_of a1 content-type)" = "text/html; charset=utf-8" ] || fail "page type $(header_of a1 content-type)"; ok
contains "$T/a1.b" '<script type="module" src="/_keten/page.js"></script>'
contains "$T/a1.b" 'id="verdict"'
if grep -q '<script>' "$T/a1.b" || grep -q ' style=' "$T/a1.b" || grep -q ' on[a-z]*=' "$T/a1.b"; then
    fail "the page has inline script or style"
fi
ok
for f in a1; do
    [ "$(header_of $f content-security-policy)" = "$CSP" ] || fail "$f CSP: $(header_of $f content-security-policy)"; ok
    [ "$(header_of $f x-content-type-options)" = nosniff ] || fail "$f nosniff"; ok
    [ "$(header_of $f cache-control)" = no-cache ] || fail "$f cache-control"; ok
done
check_asset() { # FILE TYPE
    status_is 200 as "$B/_keten/$1"
    [ "$(header_of as content-type)" = "$2" ] || fail "$1 type $(header_of as content-type)"; ok
    [ "$(header_of as content-security-policy)" = "$CSP" ] || fail "$1 CSP"; ok
    [ "$(header_of as cache-control)" = "public, max-age=3600" ] || fail "$1 cache-control"; ok
    cmp -s "$T/as.b" "${KETEN_WEB:-$ROOT/web}/$1" || fail "$1 served differs from web/$1"; ok
    local etag; etag=$(header_of as etag)
    [ -n "$etag" ] || fail "$1 has no ETag"
    status_is 304 as2 -H "If-None-Match: $etag" "$B/_keten/$1"
}
check_asset page.js "text/javascript; charset=utf-8"
check_asset keten-verify.js "text/javascript; charset=utf-8"
check_asset page.css "text/css; charset=utf-8"
check_asset page.html "text/html; charset=utf-8"
status_is 200 a2 "$B/_keten/"
cmp -s "$T/a2.b" "$T/a1.b" || fail "/_keten/ is not the page"; ok
status_is 404 a3 "$B/_keten/nosuch.js"
status_is 404 a4 "$B/_keten/../keten.json"
status_is 400 a5 "$B/page/01/05412345000128/21/P1001"
contains "$T/a5.b" "check digit"
status_is 405 a6 -X POST --data x "$B/page$PACK"
status_is 204 a7 -X OPTIONS "$B/bundle$PACK"

# -- the bundle over HTTP
status_is 200 b1 "$B/bundle$PACK"
[ "$(header_of b1 content-type)" = application/vnd.keten.bundle+cbor ] || fail "bundle type"; ok
[ "$(header_of b1 cache-control)" = no-store ] || fail "bundle cache-control"; ok
MS=$(header_of b1 server-timing | sed -n 's/^bundle;dur=//p')
[ -n "$MS" ] || fail "no Server-Timing"
echo "bundle of the meat pack: $(stat -c %s "$T/b1.b") bytes, made in $MS ms (Server-Timing)"
cp "$T/b1.b" "$T/pack.keten"
expect 0 --json bundle verify "$T/pack.keten"
cp "$T/out" "$T/pack.json"
expect 0 --home "$S" --json bundle create "https://id.gs1.org$PACK" --only-own --out "$T/cli.keten"
expect 0 --json bundle verify "$T/cli.keten"
python3 - "$T/pack.json" "$T/out" "$S_ID" "$K_ID" "$WRONG" <<'EOF' || fail "the node's bundle"
import json, sys
node, cli = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
s_id, k_id, wrong = sys.argv[3], sys.argv[4], sys.argv[5]
assert node["verified"] and node["creator"]["feed"] == s_id and node["creator"]["name"] == "Slachthuis"
assert node["subject"] == "https://id.gs1.org/01/05412345000129/21/P1001", node["subject"]
names = {p["feed"]: p["name"] for p in node["partners"]}
assert names == {s_id: "Slachthuis", k_id: "Keuken"}, names
steps = node["steps"]
# the public rule: only the node's own events disclosed, never a sealed payload
for s in steps:
    if s["feed"] != s_id:
        assert s["sealed"] and "event" not in s, s
    assert s["sealed"] == ("event" not in s), s
k = [s for s in steps if s["feed"] == k_id]
assert len(k) == 1 and k[0]["sealed"], k                      # the kitchen's receipt, sealed
own = [s for s in steps if s["feed"] == s_id]
assert sum(1 for s in own if s["sealed"]) == 1, own             # the private inspection
assert sum(1 for s in own if not s["sealed"]) == 7, len(own)    # 5 of the chain, the wrong one, its fix
fix = [s for s in own if s.get("errorDeclaration")]
assert len(fix) == 1 and fix[0]["eventID"] == wrong, fix
assert any(s.get("event", {}).get("sensorElementList") for s in own)
# the same steps as `keten bundle create --only-own` (one choice: ledger_bundle_steps)
key = lambda st: sorted((s["feed"], s["seq"], s["sealed"]) for s in st["steps"])
assert key(node) == key(cli), (key(node), key(cli))
EOF
ok
status_is 200 b2 "$G/bundle$GARMENT"
echo "bundle of the garment: $(stat -c %s "$T/b2.b") bytes, made in $(header_of b2 server-timing | sed -n 's/^bundle;dur=//p') ms (Server-Timing)"
cp "$T/b2.b" "$T/garment.keten"
expect 0 bundle verify "$T/garment.keten"
status_is 404 b3 "$B/bundle/01/05412345000136/21/NOSUCH"
status_is 404 b4 "$B/bundle/01/05412345000129/21/ONLYK" # no event at all
expect 0 --home "$L" --json lifecycle urn:epc:id:sgtin:5412345.000020.G05
WASHES=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["washes"])' "$T/out")
[ "$WASHES" = 27 ] || fail "lifecycle says $WASHES washes of G05"; ok

# -- a bundle with one byte flipped: a letter of an event in its payload
flip_bundle "$T/pack.keten" "$T/flipped.keten"
case "$REASON" in "feed ${S_ID:0:8} (Slachthuis) seq "*": payload does not match its hash") ok ;;
*) fail "keten's reason: $REASON" ;; esac

# stop_nodes: the HTTP nodes stop cleanly (under ASan: no error, no leak in their logs)
stop_nodes() {
    local h
    for h in "$S" "$L"; do
        "$KETEN" --home "$h" stop >/dev/null || fail "keten stop $h"
        if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$h.log"; then fail "$h.log"; fi
        ok
    done
}

# -- headless Chromium
if [ ! -x /usr/bin/chromium ]; then
    echo "SKIP: the browser checks (no /usr/bin/chromium; Debian's chromium package)"
    stop_nodes
    done_checks
    exit 0
fi
SHOTS=${SHOTS:-$T/shots}
mkdir -p "$SHOTS"
mkdir -p "$T/npm"
cp "$ROOT/tests/browser/package.json" "$ROOT/tests/browser/package-lock.json" \
    "$ROOT/tests/browser/page_check.mjs" "$T/npm/"
(cd "$T/npm" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm ci --silent --no-audit --no-fund \
    >"$T/npm.log" 2>&1) || { tail -20 "$T/npm.log"; fail "npm ci of playwright-core (tests/browser)"; }
ok
python3 - "$T/tasks.json" "$B$PACK" "$G$GARMENT" "$B/_keten/" "$T/flipped.keten" "$T/pack.keten" \
    "$SHOTS" <<'EOF'
import json, sys
out, pack, garment, verify, flipped, good, shots = sys.argv[1:]
json.dump([
    {"url": pack, "shot": shots + "/page-meat.png", "height": 1600},
    {"url": garment, "shot": shots + "/page-garment.png", "height": 1600},
    {"url": verify, "file": flipped, "shot": shots + "/page-failed.png"},
    {"url": verify, "file": good},
    {"url": pack, "width": 1200, "height": 900},
], open(out, "w"))
EOF
(cd "$T/npm" && timeout 120 node page_check.mjs "$T/tasks.json") >"$T/browser.out" 2>"$T/browser.err" ||
    { cat "$T/browser.out"; tail -20 "$T/browser.err"; fail "the browser run"; }
cat "$T/browser.out"
python3 - "$T/browser.out" "$REASON" <<'EOF' || fail "what the browser showed"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
reason = sys.argv[2]
meat, garment, flipped, good, wide = r
for x in r:
    assert not x["errors"], (x["url"], x["errors"])  # no CSP violation, no script error
assert meat["state"] == "verified", meat
assert meat["steps"] == 9 and meat["sealed"] == 2, meat       # 7 disclosed, the kitchen's and the private one sealed
assert meat["charts"] == 1 and meat["corrections"] == 1 and meat["erroneous"] == 1, meat
assert garment["state"] == "verified", garment
assert garment["washes"] == 27 and garment["max"] == 30, garment   # as keten lifecycle counts
assert flipped["state"] == "failed", flipped
assert reason in flipped["text"], (reason, flipped["text"])        # keten's message, naming the entry
assert good["state"] == "verified", good
assert wide["state"] == "verified", wide
EOF
ok
for f in page-meat page-garment page-failed; do nonempty "$SHOTS/$f.png"; done
echo "screenshots: $SHOTS/page-meat.png $SHOTS/page-garment.png $SHOTS/page-failed.png"
stop_nodes
done_checks
