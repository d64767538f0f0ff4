# tests/e2e/nodelib.bash -- for end-to-end tests that run real keten nodes on
# 127.0.0.1: free ports chosen at run time, homes in the test's temporary
# directory, every node started here killed when the script exits, and
# polling with a deadline instead of fixed sleeps.
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
NODE_PIDS=()
cleanup_nodes() {
    for p in "${NODE_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup_nodes EXIT

# free_port: a TCP port on 127.0.0.1 that nobody listens on now
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# mkhome DIR NAME [NETKEY]: a new home; prints nothing
mkhome() {
    if [ $# -ge 3 ]; then
        "$KETEN" --home "$1" init --name "$2" --network "$3" >/dev/null || fail "init $1"
    else
        "$KETEN" --home "$1" init --name "$2" >/dev/null || fail "init $1"
    fi
}
id_of() { "$KETEN" --home "$1" id; }

# partners DIAL NAME1 LISTEN NAME2: two new homes of one network, each
# knowing the other; LISTEN is dialled by DIAL at 127.0.0.1:$LISTEN_PORT
# (a free port, set here).
partners() {
    mkhome "$3" "$4"
    "$KETEN" --home "$3" network >"$T/partners.net" || fail "network key of $3"
    mkhome "$1" "$2" "$(cat "$T/partners.net")"
    LISTEN_PORT=$(free_port)
    "$KETEN" --home "$1" peer add "$(id_of "$3")" "127.0.0.1:$LISTEN_PORT" --name "$4" \
        >/dev/null || fail "peer add in $1"
    "$KETEN" --home "$3" peer add "$(id_of "$1")" --name "$2" >/dev/null || fail "peer add in $3"
}

# start_node HOME [PORT]: runs `keten node` in the background (log: HOME.log)
start_node() {
    local home=$1 port=${2:-}
    if [ -n "$port" ]; then
        "$KETEN" --home "$home" node --listen "127.0.0.1:$port" 2>>"$home.log" &
    else
        "$KETEN" --home "$home" node 2>>"$home.log" &
    fi
    NODE_PIDS+=($!)
    eval "PID_$(basename "$home")=$!"
}

# wait_until SECONDS CMD...: runs CMD every 0.1 s until it succeeds; fails the
# test with the message in $WHY when the deadline passes
wait_until() {
    local limit=$1; shift
    local end=$((SECONDS + limit))
    while ! "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $end ] || fail "${WHY:-condition} not met within ${limit}s: $*"
        sleep 0.1
    done
    ok
}

# heads HOME: "feed seq head forked" per feed, sorted (from keten status --json)
heads() {
    "$KETEN" --home "$1" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
for f in sorted(d["feeds"], key=lambda f: f["feed"]):
    print(f["feed"], f["seq"], f["head"], f["forked"])'
}
# seq_of HOME FEED: that feed's head seq at HOME (0 when it has none)
seq_of() {
    "$KETEN" --home "$1" status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(next((f["seq"] for f in d["feeds"] if f["feed"] == sys.argv[1]), 0))' "$2"
}
# same_heads HOME...: all homes hold the same feeds with the same heads
same_heads() {
    local first; first=$(heads "$1"); shift
    for h in "$@"; do [ "$(heads "$h")" = "$first" ] || return 1; done
}
# seq_is HOME FEED N
seq_is() { [ "$(seq_of "$1" "$2")" = "$3" ]; }
# log_has HOME TEXT: the node's log has TEXT
log_has() { grep -qF -- "$2" "$1.log"; }

# hcurl NAME ARGS...: curl ARGS, the answer's headers in $T/NAME.h and its
# body in $T/NAME.b; prints the status
hcurl() {
    local n=$1; shift
    curl -s -D "$T/$n.h" -o "$T/$n.b" -w '%{http_code}' "$@"
}
# status_is WANT NAME ARGS...: hcurl NAME ARGS answers status WANT, else the
# test fails showing the body
status_is() {
    local want=$1 n=$2 got; shift 2
    got=$(hcurl "$n" "$@") || true
    [ "$got" = "$want" ] || { head -c 600 "$T/$n.b"; fail "curl $* gave $got, expected $want"; }
    ok
}
# header_of NAME HEADER: the value of HEADER (any case) in $T/NAME.h
header_of() { tr -d '\r' <"$T/$1.h" | sed -n "s/^$2: //Ip" | head -1; }

# flip_bundle IN OUT: OUT is the bundle IN with one byte of an event in its
# payload flipped ("receiving" -> "rdceiving": valid CBOR, another payload);
# `keten bundle verify OUT` must exit 1, and REASON is set to its reason
# (which names the entry)
flip_bundle() {
    python3 - "$1" "$2" <<'EOF' || fail "flip $1"
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.find(b"receiving")
assert i > 0
b[i + 2] ^= 0x01
open(sys.argv[2], "wb").write(bytes(b))
EOF
    ok
    expect 1 bundle verify "$2"
    REASON=$(sed -n 's/^keten: bundle [^ ]* does not verify: //p' "$T/err")
}
