#!/usr/bin/env bash
# The public settings (docs/http.md, "What is public"): keten.json's
# http.public makes partners' feeds public for the resolver, the product
# page and its bundle, through the real `keten node --http` while it
# replicates with the partner:
#   - by default a partner's event is hidden: not in /trace/..., an item
#     only the partner has events of is a 404 (resolver, trace, page's
#     bundle), and the partner's steps in a bundle are sealed;
#   - "public": {"partners": ["Verwerker"]} (the name in peers.json) and
#     "public": {"feeds": ["<its feed>"]}: the partner's event is shown in
#     the trace and the linkset answers for the partner-only item, the
#     bundle discloses the partner's step (verified by keten bundle verify),
#     and the same steps as before;
#   - the partner's private event (it arrived sealed) is never shown, nor
#     its payload sent, public or not; the node's own private entry neither;
#   - a name that is no peer's, a feed that is not 64 hex digits, an
#     unknown member: the node refuses to start, naming it.
set -eu
. "$(dirname "$0")/nodelib.bash"
DOC="$(dirname "$0")/../../demo/meat-chain.jsonld"
command -v curl >/dev/null || fail "curl is needed"
S=$T/s P=$T/p
partners "$S" Slachthuis "$P" Verwerker
S_ID=$(id_of "$S") P_ID=$(id_of "$P")
expect 0 --home "$S" record "$DOC"
expect 0 --home "$S" record --private --epc urn:epc:id:sgtin:5412345.000012.P1001 \
    --biz-step inspecting --event-time 2025-12-01T07:00:00Z
expect 0 --home "$P" record --epc urn:epc:id:sgtin:5412345.000012.P1001 --biz-step receiving \
    --event-time 2025-12-02T09:00:00Z --biz-location urn:epc:id:sgln:5412345.00006.0
expect 0 --home "$P" record --epc urn:epc:id:sgtin:5412345.000012.ONLYP --biz-step commissioning \
    --event-time 2025-12-02T09:30:00Z
expect 0 --home "$P" record --private --epc urn:epc:id:sgtin:5412345.000012.P1001 \
    --biz-step inspecting --event-time 2025-12-02T10:00:00Z
start_node "$P" "$LISTEN_PORT"
start_node "$S"
WHY="the partners converge" wait_until 20 same_heads "$S" "$P"
kill "$PID_s"
wait "$PID_s" 2>/dev/null || true

HPORT=$(free_port)
B="http://127.0.0.1:$HPORT"
PACK=/01/05412345000129/21/P1001 ONLYP=/01/05412345000129/21/ONLYP
set_public() { # JSON|null
    python3 - "$S/keten.json" "$1" <<'EOF' || fail "keten.json"
import json, sys
c = json.load(open(sys.argv[1])); p = json.loads(sys.argv[2])
c["http"] = {} if p is None else {"public": p}
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
code() { curl -s -o "$T/$1" -w '%{http_code}' "${@:2}"; }

# check_shown WHAT PUBLIC: the trace, the linkset and the bundle of the pack
# and of the partner-only item; PUBLIC 1 when the partner's feed is public
check_shown() {
    local what=$1 pub=$2
    [ "$(code tr "$B/trace$PACK")" = 200 ] || fail "$what: trace $(cat "$T/tr")"; ok
    [ "$(code bd "$B/bundle$PACK")" = 200 ] || fail "$what: bundle $(cat "$T/bd")"; ok
    expect 0 --json bundle verify "$T/bd"
    cp "$T/out" "$T/bd.json"
    c1=$(code ls -H 'Accept: application/linkset+json' "$B$ONLYP")
    c2=$(code tr2 "$B/trace$ONLYP")
    c3=$(code bd2 "$B/bundle$ONLYP")
    c4=$(code pg2 -H 'Accept: text/html' -L "$B$ONLYP")
    if [ "$pub" = 1 ]; then
        [ "$c1 $c2 $c3 $c4" = "200 200 200 200" ] || fail "$what: partner-only item: $c1 $c2 $c3 $c4 $(cat "$T/tr2")"
        expect 0 --json bundle verify "$T/bd2"
        cp "$T/out" "$T/bd2.json"
    else
        [ "$c1 $c2 $c3" = "404 404 404" ] || fail "$what: partner-only item: $c1 $c2 $c3"
        contains "$T/tr2" "its own events only"
    fi
    ok
    python3 - "$T" "$S_ID" "$P_ID" "$pub" <<'EOF' || fail "$what: what is shown"
import json, os, sys
t, s_id, p_id, pub = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
tr = json.load(open(os.path.join(t, "tr")))
feeds = [e["feed"] for e in tr["events"]]
steps = [e["event"].get("bizStep", "") for e in tr["events"]]
assert feeds.count(s_id) >= 3, feeds
# the partner's receiving, shown only when public; no private event ever
assert feeds.count(p_id) == (1 if pub else 0), (pub, feeds)
assert not any("inspecting" in b for b in steps), steps
assert ("public" in tr["shown"]) == pub, tr["shown"]
bd = json.load(open(os.path.join(t, "bd.json")))
assert bd["verified"], bd
ps = [s for s in bd["steps"] if s["feed"] == p_id]
assert len(ps) == 1, ps   # the receiving (the private inspection arrived sealed: no step)
disclosed = [s for s in ps if not s["sealed"]]
assert len(disclosed) == (1 if pub else 0), ps
for s in disclosed:
    assert s["event"]["bizStep"].endswith("receiving"), s
for s in bd["steps"]:
    assert s["sealed"] == ("event" not in s), s
    if "event" in s:
        assert not s["event"].get("bizStep", "").endswith("inspecting"), s  # private: never
if pub:
    bd2 = json.load(open(os.path.join(t, "bd2.json")))
    assert bd2["verified"] and [s["feed"] for s in bd2["steps"] if not s["sealed"]] == [p_id], bd2
    tr2 = json.load(open(os.path.join(t, "tr2")))
    assert [e["feed"] for e in tr2["events"]] == [p_id], tr2
EOF
    ok
}

# -- default: own events only
set_public null
serve
check_shown default 0
key() { python3 -c 'import json,sys; print(sorted((s["feed"], s["seq"]) for s in json.load(open(sys.argv[1]))["steps"]))' "$1"; }
key "$T/bd.json" >"$T/steps.default"
unserve

# -- public by partner name
set_public '{"partners": ["Verwerker"]}'
serve
check_shown "public partner" 1
key "$T/bd.json" >"$T/steps.public"
cmp -s "$T/steps.default" "$T/steps.public" || fail "the bundle's steps changed with the setting"; ok
[ "$(code pg -H 'Accept: text/html' -L "$B$PACK")" = 200 ] || fail "page"; ok
unserve

# -- public by feed
set_public "{\"feeds\": [\"$P_ID\"]}"
serve
check_shown "public feed" 1
unserve

# -- an empty list is the default
set_public '{"feeds": [], "partners": []}'
serve
check_shown "empty lists" 0
unserve

# -- wrong settings: the node does not start
bad() { # JSON TEXT
    set_public "$1"
    expect 3 --home "$S" node --http "127.0.0.1:$HPORT"
    contains "$T/err" "$2"
}
bad '{"partners": ["Nobody"]}' 'no peer named "Nobody" in peers.json'
bad '{"feeds": ["abc"]}' 'http.public.feeds[0]: a feed is 64 lowercase hex digits'
bad '{"feed": []}' 'http.public.feed: unknown member'
bad '["Verwerker"]' 'http.public must be an object'
done_checks
