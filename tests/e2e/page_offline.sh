#!/usr/bin/env bash
# The product page offline (docs/http.md, "Offline: the page kept in the
# browser"): served once by a real `keten node --http` on 127.0.0.1 with a
# free port, then used with no node at all, in headless Chromium (Debian's
# /usr/bin/chromium driven by playwright-core from npm; SKIP when chromium
# is absent) on one browser profile that outlives each browser run:
#   - the service worker's script /_keten/keten-sw.js: its type, no-cache,
#     Service-Worker-Allowed: / (its scope is the whole origin), the build
#     stamped in (a hash of the embedded files, not the placeholder);
#   - online: the meat pack's page verifies and says it is kept for offline
#     use; its shell cache is keten-shell-<that build>;
#   - the node killed (its port closed): the browser started again on the
#     same profile opens the pack's page, which shows the copy of the
#     bundle it kept, verified and saying it is the copy of time T (the
#     bundle's signed time); a bundle made by `keten bundle create` dropped
#     onto it -> verified; the same bundle with one byte flipped, chosen with
#     the file input -> failed, naming the entry as `keten bundle verify`
#     does; /_keten/verify (never visited online) shows the drop page and
#     does the same; another product's page (never visited) opens and says
#     it has no copy of its bundle (failed);
#   - a new build answering on the same port (a small server that serves a
#     changed page.html and a keten-sw.js of another build, and the same
#     files otherwise): the page comes from it, not from the cache
#     (network-first), the worker updates and the old shell cache is gone;
#     that server stopped, the offline page is the new build's.
set -eu
. "$(dirname "$0")/nodelib.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DOC="$ROOT/demo/meat-chain.jsonld"
command -v curl >/dev/null || fail "curl is needed"
S=$T/s
mkhome "$S" Slachthuis
expect 0 --home "$S" record "$DOC"
HPORT=$(free_port)
B="http://127.0.0.1:$HPORT"
"$KETEN" --home "$S" node --http "127.0.0.1:$HPORT" 2>>"$S.log" &
NODE_PID=$!
NODE_PIDS+=($NODE_PID)
up() { curl -s -o /dev/null "$1/.well-known/gs1resolver"; }
WHY="the slaughterhouse's HTTP server answers" wait_until 10 up "$B"
PACK=/01/05412345000129/21/P1001

# -- the service worker's script
status_is 200 sw "$B/_keten/keten-sw.js"
[ "$(header_of sw content-type)" = "text/javascript; charset=utf-8" ] || fail "sw type $(header_of sw content-type)"; ok
[ "$(header_of sw cache-control)" = no-cache ] || fail "sw cache-control $(header_of sw cache-control)"; ok
[ "$(header_of sw service-worker-allowed)" = / ] || fail "sw scope header $(header_of sw service-worker-allowed)"; ok
BUILD=$(sed -n 's/^const BUILD = "\([0-9a-f]\{16\}\)";$/\1/p' "$T/sw.b")
[ -n "$BUILD" ] || { head -20 "$T/sw.b"; fail "keten-sw.js has no build stamped in"; }
ok
for f in page.html page.css page.js keten-verify.js; do
    status_is 200 "f-$f" "$B/_keten/$f"
done
cp "$T/sw.b" "$T/sw.js"

# -- the bundles: one made by `keten bundle create`, the same with one byte flipped
expect 0 --home "$S" bundle create "https://id.gs1.org$PACK" --out "$T/pack.keten"
expect 0 bundle verify "$T/pack.keten"
flip_bundle "$T/pack.keten" "$T/flipped.keten"
case "$REASON" in "feed "*" (Slachthuis) seq "*": payload does not match its hash") ok ;;
*) fail "keten's reason: $REASON" ;; esac

if [ ! -x /usr/bin/chromium ]; then
    echo "SKIP: the browser checks (no /usr/bin/chromium; Debian's chromium package)"
    "$KETEN" --home "$S" stop >/dev/null || fail "keten stop"
    done_checks
    exit 0
fi
mkdir -p "$T/npm"
cp "$ROOT/tests/browser/package.json" "$ROOT/tests/browser/package-lock.json" \
    "$ROOT/tests/browser/offline_check.mjs" "$T/npm/"
(cd "$T/npm" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm ci --silent --no-audit --no-fund \
    >"$T/npm.log" 2>&1) || { tail -20 "$T/npm.log"; fail "npm ci of playwright-core (tests/browser)"; }
ok
PROFILE=$T/profile # the buyer's browser: one profile for every run below
browse() { # NAME TASK-JSON...: one browser run on $PROFILE; its lines in $T/NAME.out
    local n=$1; shift
    python3 -c 'import json, sys; json.dump([json.loads(a) for a in sys.argv[2:]], open(sys.argv[1], "w"))' \
        "$T/$n.json" "$@"
    (cd "$T/npm" && timeout 180 node offline_check.mjs "$PROFILE" "$T/$n.json") >"$T/$n.out" 2>"$T/$n.err" ||
        { cat "$T/$n.out"; tail -20 "$T/$n.err"; fail "the browser run $n"; }
    cat "$T/$n.out"
}
judge() { # NAME PYTHON: PYTHON with r (the run's lines), B, BUILD, REASON, PACK, FLIPPED
    python3 - "$T/$1.out" "$B" "$BUILD" "$REASON" "$T/pack.keten" "$T/flipped.keten" <<EOF || fail "what the browser showed ($1)"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
B, BUILD, REASON, PACK, FLIPPED = sys.argv[2:]
def only_bundle_errors(x):  # offline, the page's fetch of the bundle fails: nothing else may
    refused = "Failed to load resource: net::ERR_CONNECTION_REFUSED"  # (the console names no URL)
    nb = sum(1 for e in x["errors"] if e.startswith("request failed: ") and "/bundle/" in e)
    bad = [e for e in x["errors"] if "/bundle/" not in e and e != refused]
    assert not bad and x["errors"].count(refused) <= nb, (x["url"], x["errors"])
$2
EOF
    ok
}

# -- online: the page verifies and is kept for offline use
browse online "{\"url\": \"$B$PACK\", \"waitOffline\": true}"
judge online '
x = r[0]
assert x["loaded"] and x["state"] == "verified" and not x["copy"], x
assert not x["errors"], x["errors"]
assert x["offline"] == "ready", x      # the page says it is kept for offline use
assert "keten-shell-" + BUILD in x["caches"], x["caches"]
assert "keten-bundles" in x["caches"], x["caches"]
'

# -- the node gone: killed, its port closed
kill -9 "$NODE_PID"
wait "$NODE_PID" 2>/dev/null || true
if curl -s -o /dev/null "$B/_keten/"; then fail "port $HPORT still answers"; fi
ok
# (under ASan/UBSan: nothing reported while it served the page)
if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$S.log"; then fail "$S.log"; fi
ok
SHOTS=${SHOTS:-$T/shots} # SHOTS=docs/img to refresh the committed one
mkdir -p "$SHOTS"
browse offline \
    "{\"url\": \"$B/page$PACK\", \"shot\": \"$SHOTS/page-offline.png\"}" \
    "{\"url\": \"$B/page$PACK\", \"files\": [{\"path\": \"$T/pack.keten\", \"how\": \"drop\"}, {\"path\": \"$T/flipped.keten\", \"how\": \"input\"}]}" \
    "{\"url\": \"$B/_keten/verify\", \"verdict\": false, \"files\": [{\"path\": \"$T/flipped.keten\", \"how\": \"drop\"}, {\"path\": \"$T/pack.keten\", \"how\": \"input\"}]}" \
    "{\"url\": \"$B/page/01/05412345000136/21/NOSUCH\"}"
judge offline '
shot, page, drop, other = r
# a product page never visited: the page, no copy, and it says so
assert other["loaded"] and other["state"] == "failed" and not other["copy"], other
assert "kept no copy" in other["text"], other
only_bundle_errors(other)
assert shot["state"] == "verified" and shot["copy"], shot
for x in r:
    assert x["loaded"], x             # served by the service worker: no node
    only_bundle_errors(x)
# the pack page shows the copy it kept, saying so, with the signed time T
assert page["state"] == "verified", page
assert page["copy"] and page["copy"] in page["text"] and "copy" in page["text"], page
good, bad = page["files"]
assert good["state"] == "verified" and "pack.keten" in good["text"] and not good["copy"], good
assert bad["state"] == "failed" and REASON in bad["text"] and not bad["copy"], (REASON, bad)
# the plain drop page, never visited online
assert drop["title"].startswith("Provenance"), drop
bad, good = drop["files"]
assert bad["state"] == "failed" and REASON in bad["text"], (REASON, bad)
assert good["state"] == "verified", good
'

# -- a new build answering on the same port: network-first, the worker updates
NEW=0123456789abcdef
cat >"$T/newbuild.py" <<'EOF'
# A stand-in for a new keten build on the node's port: a changed page.html
# and a keten-sw.js of another build, the node's other files as they were.
import http.server, sys
port, d, new = int(sys.argv[1]), sys.argv[2], sys.argv[3]
JS, CSS, HTML = ("text/javascript; charset=utf-8", "text/css; charset=utf-8", "text/html; charset=utf-8")
page = open(d + "/f-page.html.b", "rb").read().replace(b"<title>", b"<title>NEW BUILD ")
sw = open(d + "/sw.js", "rb").read()
sw = sw.replace(sw[sw.index(b'const BUILD = "') + 15:][:16], new.encode())
files = {"/_keten/page.html": (page, HTML), "/_keten/verify": (page, HTML), "/_keten/": (page, HTML),
         "/_keten/keten-sw.js": (sw, JS), "/_keten/page.js": (open(d + "/f-page.js.b", "rb").read(), JS),
         "/_keten/page.css": (open(d + "/f-page.css.b", "rb").read(), CSS),
         "/_keten/keten-verify.js": (open(d + "/f-keten-verify.js.b", "rb").read(), JS)}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0]
        body, ctype = files.get(path) or ((page, HTML) if path.startswith("/page/") else (None, None))
        if path.startswith("/bundle/"):
            body, ctype = open(d + "/pack.keten", "rb").read(), "application/vnd.keten.bundle+cbor"
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache" if ctype != "application/vnd.keten.bundle+cbor" else "no-store")
        if path == "/_keten/keten-sw.js":
            self.send_header("Service-Worker-Allowed", "/")
        self.end_headers()
        self.wfile.write(body)
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
python3 "$T/newbuild.py" "$HPORT" "$T" "$NEW" 2>"$T/newbuild.log" &
NEW_PID=$!
NODE_PIDS+=($NEW_PID)
WHY="the new build answers" wait_until 10 curl -sf -o /dev/null "$B/_keten/page.html"
browse newbuild "{\"url\": \"$B/page$PACK\", \"waitShell\": \"keten-shell-$NEW\"}"
judge newbuild '
x = r[0]
assert x["loaded"] and x["state"] == "verified" and not x["copy"], x
assert x["title"].startswith("NEW BUILD "), x["title"]      # from the network, not the cache
shells = [c for c in x["caches"] if c.startswith("keten-shell-")]
assert shells == ["keten-shell-" + "'$NEW'"], x["caches"]   # the old shell cache is gone
'
kill -9 "$NEW_PID"
wait "$NEW_PID" 2>/dev/null || true
if curl -s -o /dev/null "$B/_keten/"; then fail "port $HPORT still answers"; fi
ok
browse offline2 "{\"url\": \"$B/_keten/verify\", \"verdict\": false, \"files\": [{\"path\": \"$T/pack.keten\", \"how\": \"drop\"}]}"
judge offline2 '
x = r[0]
assert x["loaded"] and x["title"].startswith("NEW BUILD "), x   # offline: the newest shell
only_bundle_errors(x)
assert x["files"][0]["state"] == "verified", x
'
done_checks
