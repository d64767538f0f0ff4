#!/usr/bin/env bash
# TLS in front of the node (docs/http.md, "TLS: behind a reverse proxy"):
# Debian's nginx runs docs/examples/nginx-keten.conf itself (its server
# name, ports and certificate paths replaced) as the user running the test,
# with its prefix, pid file, logs and temporary paths in the test's
# directory and a self-signed certificate made here by openssl; curl
# --cacert checks through https:
#   - the resolver: its description's resolverRoot, the linkset's anchor
#     and every href, the 307 Location headers (to the events, the page,
#     the bundle) all carry https://localhost:PORT, the node's baseUrl;
#     following the redirect through the proxy gives the events;
#   - capture with a bearer token (401 without), the job (its relative
#     Location resolved against https), the captured event found by a
#     query, the Link rel="next" of a paged query followed through the
#     proxy;
#   - the product page (text/html, its CSP) and its bundle, verified by
#     keten bundle verify;
#   - plain http to the proxy: 308 to https.
# SKIP when nginx is absent (Debian's nginx package, in the Makefile's
# DEB_PKGS).
set -eu
. "$(dirname "$0")/nodelib.bash"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ]; then
    echo "SKIP: no nginx (Debian's nginx package)"
    exit 0
fi
CONF_EXAMPLE="$(dirname "$0")/../../docs/examples/nginx-keten.conf"
DOC="$(dirname "$0")/../../demo/meat-chain.jsonld"
S=$T/s NG=$T/nginx
NPORT=$(free_port) TPORT=$(free_port) PPORT=$(free_port)
BASE="https://localhost:$TPORT"

# the certificate: self-signed, for localhost
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null || fail "openssl req"
ok

# the node: the meat chain, a token, baseUrl = the proxy's https address
mkhome "$S" Slachthuis
expect 0 --home "$S" record "$DOC"
python3 - "$S/keten.json" "$BASE" <<'EOF' || fail "keten.json"
import json, sys
c = json.load(open(sys.argv[1])); c["http"] = {"baseUrl": sys.argv[2]}
json.dump(c, open(sys.argv[1], "w"), indent=2)
EOF
ok
TOKEN=$("$KETEN" --home "$S" token add erp --scope capture,query 2>/dev/null) || fail "token add"
"$KETEN" --home "$S" node --http "127.0.0.1:$NPORT" 2>>"$S.log" &
NODE_PIDS+=($!)

# nginx: the example config with this test's names, ports and paths
mkdir -p "$NG/logs" "$NG/tmp"
sed -e "s|127.0.0.1:8080|127.0.0.1:$NPORT|" \
    -e "s|listen 443 ssl http2;|listen 127.0.0.1:$TPORT ssl http2;|" \
    -e "s|listen 80;|listen 127.0.0.1:$PPORT;|" \
    -e '/listen \[::\]/d' \
    -e "s|server_name trace.example.com;|server_name localhost;|" \
    -e "s|/etc/ssl/keten/fullchain.pem|$T/cert.pem|" \
    -e "s|/etc/ssl/keten/privkey.pem|$T/key.pem|" \
    "$CONF_EXAMPLE" >"$NG/keten.conf"
grep -q "listen 127.0.0.1:$TPORT ssl" "$NG/keten.conf" || fail "the example's listen line changed"; ok
grep -q "proxy_pass http://keten_node" "$NG/keten.conf" || fail "the example's proxy_pass changed"; ok
# as root nginx would hand its workers to "nobody", who cannot enter $T
USER_LINE=""
[ "$(id -u)" != 0 ] || USER_LINE="user $(id -un) $(id -gn);"
cat >"$NG/nginx.conf" <<EOF
$USER_LINE
daemon on;
pid $NG/nginx.pid;
error_log $NG/logs/error.log info;
worker_processes 1;
events { worker_connections 256; }
http {
    access_log $NG/logs/access.log;
    client_body_temp_path $NG/tmp/body;
    proxy_temp_path $NG/tmp/proxy;
    fastcgi_temp_path $NG/tmp/fastcgi;
    uwsgi_temp_path $NG/tmp/uwsgi;
    scgi_temp_path $NG/tmp/scgi;
    include $NG/keten.conf;
}
EOF
"$NGINX" -p "$NG" -c "$NG/nginx.conf" -e "$NG/logs/error.log" -t 2>"$T/nginx-t" ||
    { cat "$T/nginx-t"; fail "nginx -t"; }
ok
"$NGINX" -p "$NG" -c "$NG/nginx.conf" -e "$NG/logs/error.log" || fail "nginx did not start"
stop_nginx() { [ -f "$NG/nginx.pid" ] && kill "$(cat "$NG/nginx.pid")" 2>/dev/null || true; }
trap 'stop_nginx; cleanup_nodes' EXIT

C=(curl -s --cacert "$T/cert.pem" --max-time 10)
up() { "${C[@]}" -f -o /dev/null "$BASE/.well-known/gs1resolver"; }
WHY="the node answers through the proxy" wait_until 10 up

# ---- the resolver ----------------------------------------------------------
"${C[@]}" -f "$BASE/.well-known/gs1resolver" >"$T/desc" || fail "description"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["resolverRoot"]==sys.argv[2], d' \
    "$T/desc" "$BASE" || fail "resolverRoot is not $BASE: $(cat "$T/desc")"
ok
DL=/01/05412345000129/21/P1001
"${C[@]}" -f -H 'Accept: application/linkset+json' "$BASE$DL" >"$T/linkset" || fail "linkset"
python3 - "$T/linkset" "$BASE" "$DL" <<'EOF' || fail "the linkset's links: $(cat "$T/linkset")"
import json, sys
d = json.load(open(sys.argv[1])); base, dl = sys.argv[2], sys.argv[3]
s = d["linkset"][0]
assert s["anchor"] == base + dl, s["anchor"]
hrefs = [t["href"] for k, v in s.items() if k != "anchor" for t in v]
assert len(hrefs) >= 4, hrefs
for h in hrefs:
    assert h.startswith(base + "/"), h
assert base + "/page" + dl in hrefs and base + "/bundle" + dl in hrefs, hrefs
EOF
ok
# redirects: the Location the node writes, as the client behind the proxy sees it
loc() { "${C[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' "$@"; }
[ "$(loc "$BASE$DL")" = "307 $BASE/trace$DL" ] || fail "default redirect: $(loc "$BASE$DL")"; ok
[ "$(loc -H 'Accept: text/html,application/xhtml+xml' "$BASE$DL")" = "307 $BASE/page$DL" ] ||
    fail "browser redirect: $(loc -H 'Accept: text/html' "$BASE$DL")"
ok
[ "$(loc "$BASE$DL?linkType=keten:bundle")" = "307 $BASE/bundle$DL" ] || fail "bundle redirect"; ok
"${C[@]}" -D "$T/h" -o /dev/null "$BASE$DL"
grep -qi "^link: <$BASE$DL?linkType=linkset>; rel=\"linkset\"" "$T/h" || fail "Link header: $(cat "$T/h")"; ok
"${C[@]}" -f -L "$BASE$DL?linkType=gs1:traceability" >"$T/trace" || fail "follow the redirect"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["events"] and d["digitalLink"].startswith(sys.argv[2]), d' \
    "$T/trace" "$BASE" || fail "the events through the proxy"
ok

# ---- capture and query -------------------------------------------------------
cat >"$T/doc.jsonld" <<'EOF'
{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
 "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-12-01T10:00:00Z",
 "epcisBody": {"eventList": [
  {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
   "eventTime": "2025-12-01T10:00:00Z", "eventTimeZoneOffset": "+00:00",
   "epcList": ["urn:epc:id:sgtin:5412345.000012.TLS1"]},
  {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
   "eventTime": "2025-12-01T10:01:00Z", "eventTimeZoneOffset": "+00:00",
   "epcList": ["urn:epc:id:sgtin:5412345.000012.TLS1"]}]}}
EOF
code=$("${C[@]}" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/ld+json' \
    --data-binary @"$T/doc.jsonld" "$BASE/capture")
[ "$code" = 401 ] || fail "capture without a token through the proxy: $code"; ok
"${C[@]}" -D "$T/h" -o /dev/null -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/ld+json' --data-binary @"$T/doc.jsonld" "$BASE/capture"
head -1 "$T/h" | grep -q " 202" || fail "capture: $(head -1 "$T/h")"; ok
JOB=$(tr -d '\r' <"$T/h" | sed -n 's/^[Ll]ocation: //p')
[[ "$JOB" =~ ^/capture/[0-9a-z]+$ ]] || fail "capture Location: $JOB"; ok
done_job() {
    "${C[@]}" -H "Authorization: Bearer $TOKEN" "$BASE$JOB" >"$T/job" &&
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if not d["running"] and d["success"] else 1)' "$T/job"
}
WHY="the capture job succeeds" wait_until 10 done_job
"${C[@]}" -f -D "$T/h" -H "Authorization: Bearer $TOKEN" \
    "$BASE/events?MATCH_epc=urn:epc:id:sgtin:5412345.000012.TLS1&perPage=1" >"$T/q1" || fail "query"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["epcisBody"]["queryResults"]["resultsBody"]["eventList"])==1, d' \
    "$T/q1" || fail "query page 1"
ok
NEXT=$(tr -d '\r' <"$T/h" | sed -n 's/^[Ll]ink: <\(.*\)>; rel="next"$/\1/p')
[ -n "$NEXT" ] || fail "no Link rel=next: $(cat "$T/h")"; ok
"${C[@]}" -f -H "Authorization: Bearer $TOKEN" "$BASE$NEXT" >"$T/q2" || fail "next page through the proxy"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); e=d["epcisBody"]["queryResults"]["resultsBody"]["eventList"]; assert len(e)==1 and e[0]["eventTime"].startswith("2025-12-01T10:0"), d' \
    "$T/q2" || fail "query page 2"
ok
code=$("${C[@]}" -o /dev/null -w '%{http_code}' "$BASE/events?MATCH_epc=urn:epc:id:sgtin:5412345.000012.TLS1")
[ "$code" = 401 ] || fail "a query without a token once tokens exist: $code"; ok

# ---- the product page and its bundle ------------------------------------------
"${C[@]}" -f -D "$T/h" -o "$T/page.html" "$BASE/page$DL" || fail "product page"
grep -qi '^content-type: text/html' "$T/h" || fail "page type"; ok
grep -qi "^content-security-policy: default-src 'none'" "$T/h" || fail "page CSP"; ok
grep -q 'id="verdict"' "$T/page.html" || fail "the page's verdict element"; ok
"${C[@]}" -f -o "$T/p.keten" "$BASE/bundle$DL" || fail "bundle"
expect 0 bundle verify "$T/p.keten"
"${C[@]}" -f -o /dev/null "$BASE/_keten/keten-verify.js" || fail "the verifier script"; ok

# ---- plain http to the proxy ---------------------------------------------------
[ "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$PPORT$DL" -H 'Host: localhost')" = \
    "308 https://localhost$DL" ] || fail "http to https"
ok
grep -q '" 307 ' "$NG/logs/access.log" || fail "nginx's log lacks the requests"; ok
done_checks
