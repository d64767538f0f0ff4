#!/usr/bin/env bash
# SIGHUP reads keten.json's "http" again (docs/http.md, "Changing the
# settings of a running node"), through the real `keten node` while it
# replicates with a partner:
#   - before: the partner-only item is a 404 (its feed is not public), no
#     CORS header, a 5,000-byte body is not refused for its size;
#   - keten.json changed (new port, the partner public, a CORS origin,
#     maxBodyBytes 4096) and SIGHUP: the new port answers and the old one is
#     closed, the partner's item is found, the origin is allowed, the body is
#     413; the replication session stayed up (no new connection) and a new
#     event of the partner still arrives;
#   - wrong settings (a partner that is no peer's; a non-loopback address
#     without expose; a port already taken) and SIGHUP: one log line naming
#     what is wrong, and everything goes on as it was;
#   - "listen" removed: HTTP goes on, the log says a restart stops it.
set -eu
. "$(dirname "$0")/nodelib.bash"
DOC="$(dirname "$0")/../../demo/meat-chain.jsonld"
command -v curl >/dev/null || fail "curl is needed"
S=$T/s P=$T/p
partners "$S" Slachthuis "$P" Verwerker
expect 0 --home "$S" record "$DOC"
expect 0 --home "$P" record --epc urn:epc:id:sgtin:5412345.000012.ONLYP --biz-step commissioning \
    --event-time 2025-12-02T09:30:00Z
H1=$(free_port) H2=$(free_port) BUSY=$(free_port)
ONLYP=/01/05412345000129/21/ONLYP
http_conf() { # JSON of "http"
    python3 - "$S/keten.json" "$1" <<'EOF' || fail "keten.json"
import json, sys
c = json.load(open(sys.argv[1])); c["http"] = json.loads(sys.argv[2])
json.dump(c, open(sys.argv[1], "w"), indent=2)
EOF
}
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
big() { head -c 5000 /dev/zero | tr '\0' x >"$T/big"; code -X POST --data-binary @"$T/big" "$@"; }
reloaded() { [ "$(grep -c 'SIGHUP: HTTP settings' "$S.log")" -ge "$1" ]; }
hup() { # N: send SIGHUP, wait for the Nth line about the HTTP settings
    kill -HUP "$PID_s"
    WHY="SIGHUP number $1 handled" wait_until 10 reloaded "$1"
}

http_conf "{\"listen\": \"127.0.0.1:$H1\"}"
start_node "$P" "$LISTEN_PORT"
start_node "$S"
WHY="the partners converge" wait_until 20 same_heads "$S" "$P"
up1() { curl -s -o /dev/null "http://127.0.0.1:$H1/.well-known/gs1resolver"; }
WHY="HTTP on the first port" wait_until 10 up1
[ "$(code "http://127.0.0.1:$H1/trace$ONLYP")" = 404 ] || fail "partner-only item shown: $(cat "$T/body")"; ok
curl -s -D "$T/h" -o /dev/null -H 'Origin: https://shop.example.com' "http://127.0.0.1:$H1/trace/01/05412345000129/21/P1001"
! grep -qi '^access-control-allow-origin' "$T/h" || fail "CORS header without origins"; ok
[ "$(big "http://127.0.0.1:$H1/capture")" != 413 ] || fail "5,000 bytes refused before the change"; ok
conns=$(grep -c "connected to Verwerker" "$S.log" || true)
[ "$conns" -ge 1 ] || fail "no session with the partner: $(cat "$S.log")"; ok

# -- the new settings
http_conf "{\"listen\": \"127.0.0.1:$H2\", \"public\": {\"partners\": [\"Verwerker\"]},
            \"cors\": [\"https://shop.example.com\"], \"maxBodyBytes\": 4096}"
hup 1
log_has "$S" "SIGHUP: HTTP settings read again: http://127.0.0.1:$H2 (moved: the old address is closed), 1 public feeds and partners, 1 CORS origins" ||
    fail "no reload line: $(tail -5 "$S.log")"; ok
[ "$(code "http://127.0.0.1:$H2/trace$ONLYP")" = 200 ] || fail "partner's item not public after SIGHUP: $(cat "$T/body")"; ok
set +e
curl -s -o /dev/null "http://127.0.0.1:$H1/.well-known/gs1resolver"
old=$?
set -e
[ "$old" = 7 ] || fail "the old port still answers (curl $old)"; ok
curl -s -D "$T/h" -o /dev/null -H 'Origin: https://shop.example.com' "http://127.0.0.1:$H2/trace/01/05412345000129/21/P1001"
grep -qi '^access-control-allow-origin: https://shop.example.com' "$T/h" || fail "no CORS header: $(cat "$T/h")"; ok
[ "$(big "http://127.0.0.1:$H2/capture")" = 413 ] || fail "5,000 bytes not refused with maxBodyBytes 4096"; ok
# replication went on in the same session
[ "$(grep -c "connected to Verwerker" "$S.log" || true)" = "$conns" ] || fail "the session was dropped"; ok
expect 0 --home "$P" record --epc urn:epc:id:sgtin:5412345.000012.LATER --biz-step commissioning \
    --event-time 2025-12-03T09:30:00Z
WHY="the partner's new event arrives" wait_until 20 same_heads "$S" "$P"

# -- wrong settings change nothing
http_conf "{\"listen\": \"127.0.0.1:$H2\", \"public\": {\"partners\": [\"Nobody\"]}}"
hup 2
log_has "$S" 'SIGHUP: HTTP settings not changed: keten.json: http.public.partners: no peer named "Nobody"' ||
    fail "no message for the unknown partner: $(tail -3 "$S.log")"; ok
[ "$(code "http://127.0.0.1:$H2/trace$ONLYP")" = 200 ] || fail "old settings lost"; ok
http_conf "{\"listen\": \"0.0.0.0:$H1\"}"
hup 3
log_has "$S" "SIGHUP: HTTP settings not changed: HTTP address 0.0.0.0:$H1 is not a loopback address" ||
    fail "no message for the exposed address: $(tail -3 "$S.log")"; ok
python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(30)' "$BUSY" &
HOLDER=$!
NODE_PIDS+=($HOLDER)
holding() { python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' "$BUSY"; }
WHY="the port holder listens" wait_until 10 holding
http_conf "{\"listen\": \"127.0.0.1:$BUSY\", \"public\": {\"partners\": [\"Verwerker\"]}}"
hup 4
log_has "$S" "SIGHUP: HTTP settings not changed: cannot serve HTTP on 127.0.0.1:$BUSY" ||
    fail "no message for the busy port: $(tail -3 "$S.log")"; ok
[ "$(code "http://127.0.0.1:$H2/trace$ONLYP")" = 200 ] || fail "HTTP lost after a failed move"; ok
kill "$HOLDER" 2>/dev/null || true

# -- "listen" removed: serving goes on until a restart
http_conf '{}'
hup 5
log_has "$S" "SIGHUP: HTTP settings not changed: keten.json gives no HTTP address any more: HTTP goes on at http://127.0.0.1:$H2 until the node restarts" ||
    fail "no message for the removed address: $(tail -3 "$S.log")"; ok
[ "$(code "http://127.0.0.1:$H2/trace$ONLYP")" = 200 ] || fail "HTTP stopped"; ok
done_checks
