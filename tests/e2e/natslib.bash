# natslib.bash -- what the NATS tests share (source it after nodelib.bash):
# the independent reader tests/tools/natsread (Debian's Go NATS client),
# built once per build directory (Go's cache there too); and one JetStream
# server, Debian's nats-server, on a free port: URL, start_nats, stop_nats.
command -v nats-server >/dev/null || fail "nats-server is not installed (make deps)"
NATS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOLS=${KETEN_BUILD:-$T}/tools
NATSREAD=$TOOLS/natsread
if [ ! -x "$NATSREAD" ] || [ "$NATS_ROOT/tests/tools/natsread/main.go" -nt "$NATSREAD" ]; then
    mkdir -p "$TOOLS"
    (cd "$NATS_ROOT/tests/tools/natsread" && GO111MODULE=off GOPATH=/usr/share/gocode \
        GOCACHE="$TOOLS/gocache" GOFLAGS= go build -o "$NATSREAD" .) || fail "build natsread"
fi
ok

NPORT=$(free_port)
URL=nats://127.0.0.1:$NPORT
nats_up() { python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $NPORT), 0.5)"; }
# start_nats: a JetStream server on $NPORT, its store in $T/js (kept across
# restarts), its log in $T/nats.log; NATS_PID
start_nats() {
    nats-server -js -a 127.0.0.1 -p "$NPORT" -sd "$T/js" >>"$T/nats.log" 2>&1 &
    NATS_PID=$!
    NODE_PIDS+=($NATS_PID)
    WHY="nats-server listens" wait_until 10 nats_up
}
stop_nats() { kill "$NATS_PID"; wait "$NATS_PID" 2>/dev/null || true; }
