# tests/e2e/llrp_lib.bash -- shared by tests/e2e/llrp_*.sh: start the LLRP
# reader emulator (tests/tools/llrp_emu.py) on a free port, read back what
# was recorded.  Sourced after lib.bash.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
EMU="$ROOT/tests/tools/llrp_emu.py"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
EMU_PIDS=()
llrp_cleanup() {
    for p in "${EMU_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap llrp_cleanup EXIT

# emu NAME ARGS...: starts an emulator; its port in $PORT, its log $T/NAME.log
emu() {
    local name=$1; shift
    rm -f "$T/$name.port"
    "$PY" "$EMU" --port-file "$T/$name.port" --log "$T/$name.log" "$@" 2>"$T/$name.err" &
    EMU_PIDS+=($!)
    local i=0
    until [ -s "$T/$name.port" ]; do
        i=$((i + 1))
        [ $i -lt 200 ] || fail "emulator $name did not start: $(cat "$T/$name.err")"
        sleep 0.05
    done
    PORT=$(cat "$T/$name.port")
}

# scan CODE ARGS...: `keten scan` bounded by timeout(1) so that a hang fails
scan() {
    local want=$1; shift
    set +e
    timeout 60 "$KETEN" "$@" >"$T/out" 2>"$T/err"
    local got=$?
    set -e
    if [ "$got" != "$want" ]; then
        echo "--- stdout"; head -20 "$T/out"; echo "--- stderr"; head -20 "$T/err"
        [ "$got" = 124 ] && fail "keten $* hung (killed after 60 s)"
        fail "keten $* exited $got, expected $want"
    fi
    ok
}

# passes HOME: one line per recorded event: "<number of EPCs> <bizStep> <readPoint>"
passes() {
    "$KETEN" --home "$1" export >"$T/export.json" || fail "export failed"
    "$PY" - "$T/export.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
for ev in doc["epcisBody"]["eventList"]:
    print(len(ev.get("epcList", [])), ev.get("bizStep", "-"), ev.get("readPoint", {}).get("id", "-"))
EOF
}
