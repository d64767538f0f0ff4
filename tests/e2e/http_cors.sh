#!/usr/bin/env bash
# CORS (docs/http.md, "CORS"; node/node_cors.h) through the real `keten
# node --http`:
#   - off by default: an Origin header gets no Access-Control-* header,
#     a preflight none either (the route's own 204);
#   - "cors": ["http://127.0.0.1:PORT", "https://shop.example"]: the public
#     routes (the resolver, its description, /trace/, /page/, /bundle/,
#     /_keten/) and the query routes (/events, /eventTypes, ...) answer a
#     listed origin with Access-Control-Allow-Origin (that origin), Vary:
#     Origin and the exposed headers, also on a 401 of a query without a
#     token; a preflight OPTIONS with Access-Control-Request-Method gets
#     the allowed methods and headers (Authorization among them); an origin
#     not listed gets none; capture is not opened to browsers;
#   - "*": any origin;
#   - a browser enforces it: headless Chromium (Debian's chromium; SKIP
#     when absent) loads a page from another origin (a python http.server)
#     whose script fetches the linkset and, with a bearer token, a query:
#     both blocked without the setting, both read with it;
#   - wrong settings ("https://a.example/path", "ftp://x", a string) stop
#     the node with their message.
set -eu
. "$(dirname "$0")/nodelib.bash"
DOC="$(dirname "$0")/../../demo/meat-chain.jsonld"
command -v curl >/dev/null || fail "curl is needed"
S=$T/s
mkhome "$S" Slachthuis
expect 0 --home "$S" record "$DOC"
HPORT=$(free_port) WPORT=$(free_port)
B="http://127.0.0.1:$HPORT" WEB="http://127.0.0.1:$WPORT"
PACK=/01/05412345000129/21/P1001
set_http() { # JSON of "http"
    python3 - "$S/keten.json" "$1" <<'EOF' || fail "keten.json"
import json, sys
c = json.load(open(sys.argv[1])); c["http"] = json.loads(sys.argv[2])
json.dump(c, open(sys.argv[1], "w"), indent=2)
EOF
}
serve() {
    "$KETEN" --home "$S" node --http "127.0.0.1:$HPORT" 2>>"$S.log" &
    SPID=$!
    NODE_PIDS+=($SPID)
    up() { curl -s -o /dev/null "$B/.well-known/gs1resolver"; }
    WHY="the HTTP server answers" wait_until 10 up
}
unserve() { kill "$SPID"; wait "$SPID" 2>/dev/null || true; }
# hdr NAME FILE: the value of header NAME (any case) in a curl -D dump
hdr() { tr -d '\r' <"$2" | sed -n "s/^$1: //Ip" | head -1; }
# req FILE CURL-ARGS...: the headers of the answer in $T/FILE, its status printed
req() { local f=$1; shift; curl -s -o /dev/null -D "$T/$f" -w '%{http_code}' "$@"; }

ROUTES="$PACK $PACK?linkType=linkset /.well-known/gs1resolver /trace$PACK /page$PACK /bundle$PACK /_keten/page.js /events /eventTypes /epcs/urn:epc:id:sgtin:5412345.000012.P1001/events"

# ---- off by default ---------------------------------------------------------
set_http '{}'
serve
for r in $ROUTES; do
    req h -H "Origin: $WEB" "$B$r" >/dev/null
    [ -z "$(hdr access-control-allow-origin "$T/h")" ] || fail "CORS on $r without the setting"; ok
done
[ "$(req h -X OPTIONS -H "Origin: $WEB" -H 'Access-Control-Request-Method: GET' "$B/events")" = 204 ] ||
    fail "OPTIONS /events"
ok
[ -z "$(hdr access-control-allow-origin "$T/h")$(hdr access-control-allow-methods "$T/h")" ] ||
    fail "a preflight answered with CORS without the setting"
ok
unserve

# ---- listed origins -----------------------------------------------------------
set_http "{\"cors\": [\"$WEB\", \"https://shop.example\"]}"
serve
for r in $ROUTES; do
    code=$(req h -H "Origin: $WEB" -H 'Accept: application/json' "$B$r")
    case $code in 200|307) ;; *) fail "$r: $code";; esac
    [ "$(hdr access-control-allow-origin "$T/h")" = "$WEB" ] || fail "no Access-Control-Allow-Origin on $r"; ok
    hdr vary "$T/h" | grep -q Origin || fail "no Vary: Origin on $r"; ok
    hdr access-control-expose-headers "$T/h" | grep -q "Link" || fail "exposed headers on $r"; ok
    req h -H "Origin: https://evil.example" "$B$r" >/dev/null
    [ -z "$(hdr access-control-allow-origin "$T/h")" ] || fail "an unlisted origin allowed on $r"; ok
    hdr vary "$T/h" | grep -q Origin || fail "no Vary: Origin for an unlisted origin on $r"; ok
    req h "$B$r" >/dev/null
    [ -z "$(hdr access-control-allow-origin "$T/h")" ] || fail "CORS without an Origin on $r"; ok
done
req h -H "Origin: https://shop.example" "$B$PACK?linkType=linkset" >/dev/null
[ "$(hdr access-control-allow-origin "$T/h")" = "https://shop.example" ] || fail "second origin"; ok
req h -H "Origin: https://shop.example:443" "$B$PACK?linkType=linkset" >/dev/null
[ -z "$(hdr access-control-allow-origin "$T/h")" ] || fail "an origin matched loosely"; ok
# preflights
for r in /events "/01/05412345000129/21/P1001" /bundle$PACK; do
    [ "$(req h -X OPTIONS -H "Origin: $WEB" -H 'Access-Control-Request-Method: GET' \
        -H 'Access-Control-Request-Headers: authorization' "$B$r")" = 204 ] || fail "preflight $r"
    ok
    [ "$(hdr access-control-allow-origin "$T/h")" = "$WEB" ] || fail "preflight $r: origin"; ok
    hdr access-control-allow-methods "$T/h" | grep -q GET || fail "preflight $r: methods"; ok
    hdr access-control-allow-headers "$T/h" | grep -q Authorization || fail "preflight $r: headers"; ok
    [ "$(hdr access-control-max-age "$T/h")" = 600 ] || fail "preflight $r: max-age"; ok
done
req h -X OPTIONS -H "Origin: https://evil.example" -H 'Access-Control-Request-Method: GET' "$B/events" >/dev/null
[ -z "$(hdr access-control-allow-methods "$T/h")" ] || fail "preflight of an unlisted origin"; ok
# capture stays closed to browsers
req h -X OPTIONS -H "Origin: $WEB" -H 'Access-Control-Request-Method: POST' "$B/capture" >/dev/null
[ -z "$(hdr access-control-allow-origin "$T/h")" ] || fail "CORS on /capture"; ok
# once tokens exist, a query without one is a 401 the script can read
TOKEN=$("$KETEN" --home "$S" token add viewer --scope query 2>/dev/null) || fail "token add"
[ "$(req h -H "Origin: $WEB" "$B/events")" = 401 ] || fail "query without a token"; ok
[ "$(hdr access-control-allow-origin "$T/h")" = "$WEB" ] || fail "no CORS on the 401"; ok
[ "$(req h -H "Origin: $WEB" -H "Authorization: Bearer $TOKEN" "$B/events")" = 200 ] || fail "query with a token"; ok
[ "$(hdr access-control-allow-origin "$T/h")" = "$WEB" ] || fail "no CORS on the query"; ok

# ---- a browser enforces it ------------------------------------------------------
mkdir -p "$T/web"
cat >"$T/web/cors.html" <<EOF
<!doctype html><html><body><p id="ls">pending</p><p id="q">pending</p>
<script>
async function go(id, url, opts) {
  try {
    const r = await fetch(url, opts);
    const j = await r.json();
    document.getElementById(id).textContent = "read " + r.status + " " + (j.linkset ? j.linkset[0].anchor : j.type);
  } catch (e) { document.getElementById(id).textContent = "blocked " + e.name; }
}
go("ls", "$B$PACK?linkType=linkset");
go("q", "$B/events?MATCH_epc=urn:epc:id:sgtin:5412345.000012.P1001", {headers: {"Authorization": "Bearer $TOKEN"}});
</script></body></html>
EOF
browse() { # the DOM of the page after its fetches
    timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome" \
        --virtual-time-budget=8000 --dump-dom "$WEB/cors.html" 2>/dev/null
}
if [ -x /usr/bin/chromium ]; then
    (cd "$T/web" && exec python3 -m http.server --bind 127.0.0.1 "$WPORT" >/dev/null 2>&1) &
    NODE_PIDS+=($!)
    web_up() { curl -s -f -o /dev/null "$WEB/cors.html"; }
    WHY="the other origin's server answers" wait_until 10 web_up
    browse >"$T/dom.on"
    grep -q "<p id=\"ls\">read 200 $B$PACK</p>" "$T/dom.on" || fail "the browser could not read the linkset: $(grep -o '<p id="ls">[^<]*' "$T/dom.on")"; ok
    grep -q '<p id="q">read 200 EPCISQueryDocument</p>' "$T/dom.on" || fail "the browser could not query: $(grep -o '<p id="q">[^<]*' "$T/dom.on")"; ok
    unserve
    set_http '{}'
    serve
    browse >"$T/dom.off"
    grep -q '<p id="ls">blocked' "$T/dom.off" || fail "the browser read the linkset without CORS: $(grep -o '<p id="ls">[^<]*' "$T/dom.off")"; ok
    grep -q '<p id="q">blocked' "$T/dom.off" || fail "the browser queried without CORS"; ok
else
    echo "SKIP: the browser checks (no /usr/bin/chromium)"
fi
unserve

# ---- any origin ----------------------------------------------------------------
set_http '{"cors": ["*"]}'
serve
req h -H "Origin: https://anyone.example" "$B$PACK?linkType=linkset" >/dev/null
[ "$(hdr access-control-allow-origin "$T/h")" = "*" ] || fail "cors *"; ok
unserve

# ---- wrong settings ---------------------------------------------------------------
bad() { # JSON TEXT
    set_http "$1"
    expect 3 --home "$S" node --http "127.0.0.1:$HPORT"
    contains "$T/err" "$2"
}
bad '{"cors": ["https://a.example/path"]}' 'http.cors[0]: an origin is'
bad '{"cors": ["https://a.example", "ftp://x"]}' 'http.cors[1]: an origin is'
bad '{"cors": "https://a.example"}' 'http.cors must be a list'
done_checks
