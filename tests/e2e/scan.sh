#!/usr/bin/env bash
# keten scan, end to end, with a home: recorded reads (replay:) batched into
# transactions, a pipe (line:-) with raw GS1 scans, EPC hex and a 10 MB line,
# debounce, --dry-run, event templates, a sealed key, SIGTERM, and NFC through
# the real libnfc against the PN532 emulator (tests/tools/pn532_emu.py):
# a tag with a Digital Link, a tag without NDEF, an empty field, the emulator
# killed mid-read (--once fails, a long-running scan waits for it to return).
set -eu
. "$(dirname "$0")/lib.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
EMU="$ROOT/tests/tools/pn532_emu.py"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
export LIBNFC_AUTO_SCAN=false
unset LIBNFC_LOG_LEVEL LIBNFC_DEVICE LIBNFC_DEFAULT_DEVICE KETEN_GCP_TABLE || true
H="$T/home"
GS=$(printf '\035')

PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

# wait_for SECONDS CMD...: polls CMD every 50 ms until it succeeds or time is up
wait_for() {
    local limit=$1; shift
    local end=$((SECONDS + limit))
    until "$@"; do
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.05
    done
}

nlog() { nlines "$H"; }

# json_field N KEY: KEY of the N-th line of $T/out (1-based)
json_field() {
    python3 -c 'import json,sys; v=json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2])-1]).get(sys.argv[3]); print("null" if v is None else v)' "$T/out" "$1" "$2"
}

expect 0 --home "$H" init --name "Wasserij Test"
FEED=$("$KETEN" --home "$H" id)

# -- usage
expect 2 --home "$H" scan
contains "$T/err" "--reader"
expect 2 --home "$H" scan --reader line:- --count 0
expect 2 --home "$H" scan --reader line:- --event-time 2025-01-01T00:00:00Z
expect 2 --home "$H" scan --reader nope
expect 0 scan --help
contains "$T/out" "usage: keten scan"
expect 3 --home "$H" scan --reader line:- --type Bogus </dev/null
contains "$T/err" "event template"
expect 4 --home "$T/nohome" scan --reader line:- </dev/null
contains "$T/err" "init --name"

# -- replay: reads that come together are one transaction
cat >"$T/reads.jsonl" <<'EOF'
{"code":"https://id.gs1.org/01/05412345000013/21/R1"}
{"code":"(01)05412345000013(21)R2"}
{"code":"]C1010541234500001310LOT42\u001d21R3","tag_type":"CODE-128"}
{"code":"https://id.gs1.org/01/05412345000013/21/R4","delay_ms":600}
{"code":"urn:epc:id:sgtin:0614141.812345.6789"}
EOF
expect 0 --home "$H" scan --reader "replay:$T/reads.jsonl" --biz-step receiving
[ "$(grep -c '^recorded ' "$T/out")" = 5 ] || fail "replay: 5 recorded lines expected"; ok
contains "$T/out" "recorded https://id.gs1.org/01/05412345000013/21/R3 ni:///sha-256;"
contains "$T/out" "recorded https://id.gs1.org/01/80614141123458/21/6789 ni:///sha-256;"
contains "$T/err" "5 reads recorded in 2 transactions"
"$KETEN" --home "$H" log --json >"$T/log"
[ "$(wc -l <"$T/log")" = 5 ] || fail "log: 5 entries expected"; ok
# one transaction = one record time for all its entries
python3 - "$T/log" <<'EOF' || fail "batches: record times do not show 3 + 2 entries per transaction"
import json, sys
rt = [json.loads(l)["recordTime"] for l in open(sys.argv[1])]
assert rt[0] == rt[1] == rt[2] and rt[3] == rt[4] and rt[2] != rt[3], rt
EOF
ok
contains "$T/log" '"bizStep":"receiving"'
# ?fast ignores the delays: one transaction
expect 0 --home "$H" scan --reader "replay:$T/reads.jsonl?fast" --biz-step receiving --dry-run
contains "$T/err" "5 reads (dry run"

# -- line:- from a pipe: raw GS1 with GS and ]d2, EPC hex, a 10 MB line
n0=$(nlog)
{
    printf ']d2010541234500001310LOT42%s21L1\n' "$GS"
    printf '3074257BF7194E4000001A85\n'
    head -c 10000000 /dev/zero | tr '\0' 'A'
    printf '\nhttps://id.gs1.org/01/05412345000013/21/L2\n'
} | "$KETEN" --home "$H" scan --reader line:- --json --biz-step shipping >"$T/out" 2>"$T/err" && rc=0 || rc=$?
[ "$rc" = 3 ] || fail "line:- with a bad line: exit $rc, expected 3"; ok
contains "$T/err" "line 3 is longer than 65536 bytes"
[ "$(grep -c '"recorded":true' "$T/out")" = 3 ] || fail "line:-: 3 reads recorded expected"; ok
contains "$T/out" '"key":"https://id.gs1.org/01/05412345000013/21/L1"'
contains "$T/out" '"input":"]d2010541234500001310LOT42\u001D21L1"'
contains "$T/out" '"epc_urn":"urn:epc:id:sgtin:0614141.812345.6789"'
contains "$T/out" '"key":"https://id.gs1.org/01/05412345000013/21/L2"'
[ "$(nlog)" = $((n0 + 3)) ] || fail "line:-: 3 entries expected"; ok
# a malformed code: a message, nothing recorded, the next line works
n0=$(nlog)
printf '%s\n' '(01)05412345000014(21)X' 'https://id.gs1.org/01/05412345000013/21/L3' \
    | "$KETEN" --home "$H" scan --reader line:- >"$T/out" 2>"$T/err" && rc=0 || rc=$?
[ "$rc" = 3 ] || fail "bad code: exit $rc, expected 3"; ok
contains "$T/err" "check digit is 4, expected 3"
contains "$T/out" "recorded https://id.gs1.org/01/05412345000013/21/L3"
[ "$(nlog)" = $((n0 + 1)) ] || fail "bad code: only the good line is recorded"; ok
# --once: the first good read, and only a bad read is a failure
printf '%s\n' 'garbage' 'https://id.gs1.org/01/05412345000013/21/L4' 'https://id.gs1.org/01/05412345000013/21/L5' \
    | "$KETEN" --home "$H" scan --reader line:- --once >"$T/out" 2>"$T/err" || fail "--once after a bad line"
ok
[ "$(grep -c '^recorded ' "$T/out")" = 1 ] && contains "$T/out" "/21/L4"
printf 'garbage\n' | "$KETEN" --home "$H" scan --reader line:- --once >"$T/out" 2>"$T/err" && rc=0 || rc=$?
[ "$rc" = 3 ] || fail "--once with only a bad read: exit $rc, expected 3"; ok
"$KETEN" --home "$H" scan --reader line:- --once </dev/null >"$T/out" 2>"$T/err" && rc=0 || rc=$?
[ "$rc" = 1 ] || fail "--once with nothing: exit $rc, expected 1"; ok
contains "$T/err" "nothing read"
# --count
printf 'https://id.gs1.org/01/05412345000013/21/C%s\n' 1 2 3 4 \
    | "$KETEN" --home "$H" scan --reader line:- --count 2 >"$T/out" 2>"$T/err" || fail "--count 2"
[ "$(grep -c '^recorded ' "$T/out")" = 2 ] || fail "--count 2: two reads"; ok

# -- debounce: the same garment as DL and as EPC hex within 2 s is one read
n0=$(nlog)
printf '%s\n' 'https://id.gs1.org/01/80614141123458/21/6790' '3074257BF7194E4000001A86' '(01)80614141123458(21)6790' \
    | "$KETEN" --home "$H" scan --reader line:- >"$T/out" 2>"$T/err" || fail "debounce run"
[ "$(grep -c '^recorded ' "$T/out")" = 1 ] || fail "debounce: one event expected"; ok
contains "$T/err" "2 counted once (debounce)"
[ "$(nlog)" = $((n0 + 1)) ] || fail "debounce: one entry expected"; ok
printf '%s\n' 'https://id.gs1.org/01/80614141123458/21/6791' '3074257BF7194E4000001A87' \
    | "$KETEN" --home "$H" scan --reader line:- --debounce 0 >"$T/out" 2>"$T/err" || fail "--debounce 0"
[ "$(grep -c '^recorded ' "$T/out")" = 2 ] || fail "--debounce 0: two events expected"; ok
# the window is measured in read time: recorded reads 5 s apart are two reads
cat >"$T/apart.jsonl" <<'EOF'
{"code":"https://id.gs1.org/01/05412345000013/21/D1","time":"2025-06-01T10:00:00.000+02:00"}
{"code":"https://id.gs1.org/01/05412345000013/21/D1","time":"2025-06-01T10:00:01.500+02:00"}
{"code":"https://id.gs1.org/01/05412345000013/21/D1","time":"2025-06-01T10:00:06.500+02:00"}
EOF
expect 0 --home "$H" scan --reader "replay:$T/apart.jsonl"
[ "$(grep -c '^recorded ' "$T/out")" = 2 ] || fail "debounce in read time: two events expected"; ok
expect 0 --home "$H" scan --reader "replay:$T/apart.jsonl" --json
[ "$(grep -c '"skipped":true' "$T/out")" = 2 ] || fail "the same recorded reads again: skipped"; ok

# -- classes go into quantityList, the event time carries the local offset
printf '%s\n' '(01)05412345000013(10)LOT7' 5412345000013 \
    | TZ=CET-1 "$KETEN" --home "$H" scan --reader line:- --json >"$T/out" 2>"$T/err" || fail "class reads"
[ "$(json_field 1 list)" = quantityList ] && [ "$(json_field 2 list)" = quantityList ] || fail "class -> quantityList"; ok
case "$(json_field 1 eventTime)" in *+01:00) ok ;; *) fail "eventTime without the local offset: $(json_field 1 eventTime)" ;; esac
EID=$(json_field 1 eventID)
expect 0 --home "$H" show "$EID" --json
contains "$T/out" '"quantityList":[{"epcClass":"https://id.gs1.org/01/05412345000013/10/LOT7"}]'
contains "$T/out" '"eventTimeZoneOffset":"+01:00"'
# an aggregation: the reads are the children
printf '%s\n' 'https://id.gs1.org/01/05412345000013/21/A1' \
    | "$KETEN" --home "$H" scan --reader line:- --json --type AggregationEvent --action ADD \
        --parent urn:epc:id:sscc:0614141.1234567890 --biz-step packing >"$T/out" 2>"$T/err" || fail "aggregation"
EID=$(json_field 1 eventID)
expect 0 --home "$H" show "$EID" --json
contains "$T/out" '"childEPCs":["https://id.gs1.org/01/05412345000013/21/A1"]'
contains "$T/out" '"parentID":"urn:epc:id:sscc:0614141.1234567890"'

# -- --dry-run records nothing (and needs no home)
n0=$(nlog)
printf '%s\n' 'https://id.gs1.org/01/05412345000013/21/DRY' | "$KETEN" --home "$H" scan --reader line:- --dry-run >"$T/out" 2>"$T/err" || fail "dry run"
contains "$T/out" "read https://id.gs1.org/01/05412345000013/21/DRY (dry run: not recorded)"
contains "$T/out" '"epcList"'
[ "$(nlog)" = "$n0" ] || fail "--dry-run recorded something"; ok
printf '%s\n' 'https://id.gs1.org/01/05412345000013/21/DRY' | "$KETEN" --home "$T/nohome" scan --reader line:- --dry-run --json >"$T/out" 2>"$T/err" || fail "dry run without home"
contains "$T/out" '"recorded":false'

# -- a sealed key: the passphrase file unlocks it
printf 'correct horse\n' >"$T/pass"
expect 0 --home "$T/sealed" init --name Sealed --passphrase-file "$T/pass"
printf 'https://id.gs1.org/01/05412345000013/21/S1\n' | "$KETEN" --home "$T/sealed" scan --reader line:- >"$T/out" 2>"$T/err" && rc=0 || rc=$?
[ "$rc" = 4 ] || fail "sealed key without passphrase: exit $rc"; ok
contains "$T/err" "passphrase"
printf 'https://id.gs1.org/01/05412345000013/21/S1\n' | "$KETEN" --home "$T/sealed" --passphrase-file "$T/pass" scan --reader line:- >"$T/out" 2>"$T/err" || fail "sealed key with passphrase"
contains "$T/out" "recorded https://id.gs1.org/01/05412345000013/21/S1"

# -- SIGTERM: the batch under way is finished, exit 0
mkfifo "$T/fifo"
"$KETEN" --home "$H" scan --reader "line:$T/fifo" >"$T/sig.out" 2>"$T/sig.err" &
SPID=$!; PIDS+=($SPID)
exec 7<>"$T/fifo"   # read-write: never blocks, whatever the scan does
printf 'https://id.gs1.org/01/05412345000013/21/SIG1\n' >&7
wait_for 10 grep -q "SIG1" "$T/sig.out" || fail "scan from a FIFO did not record"
ok
kill -TERM "$SPID"
wait_for 5 bash -c "! kill -0 $SPID 2>/dev/null" || fail "scan did not stop on SIGTERM"
wait "$SPID" && rc=0 || rc=$?
exec 7>&-
[ "$rc" = 0 ] || fail "SIGTERM: exit $rc, expected 0"; ok
contains "$T/sig.err" "stopped by signal"

# -- NFC through libnfc and the emulated PN532
# start_emu SCENARIO-JSON: a new emulator on $T/pn532 (pid in EMU_PID)
start_emu() {
    printf '%s\n' "$1" >"$T/s.new" && mv "$T/s.new" "$T/s.json"
    rm -f "$T/emu.out"
    "$PY" "$EMU" --link "$T/pn532" --scenario "$T/s.json" >"$T/emu.out" 2>>"$T/emu.err" &
    EMU_PID=$!; PIDS+=($EMU_PID)
    disown "$EMU_PID"   # no "Killed" from bash when a scenario makes it kill itself
    wait_for 20 test -s "$T/emu.out" || fail "the PN532 emulator did not start: $(cat "$T/emu.err")"
}
scenario() { printf '%s\n' "$1" >"$T/s.new" && mv "$T/s.new" "$T/s.json"; }
NFC="nfc:pn532_uart:$T/pn532"
RP=urn:epc:id:sgln:5412345.00000.0

start_emu '{"tag": {"type": "NTAG213", "uid": "04a1b2c3d4e5f6", "uri": "https://id.gs1.org/01/05412345000013/10/LOT42/21/NFC1"}}'
expect 0 --home "$H" scan --reader "$NFC" --once --timeout 20 --biz-step receiving --read-point "$RP"
contains "$T/out" "recorded https://id.gs1.org/01/05412345000013/21/NFC1 ni:///sha-256;"
[ ! -s "$T/err" ] || ! grep -qi "libnfc\|error" "$T/err" || fail "libnfc logged on stderr: $(cat "$T/err")"; ok
EID=$(awk '/NFC1/ {print $3}' "$T/out")
expect 0 --home "$H" log --json
grep -F "\"eventID\":\"$EID\"" "$T/out" | grep -qF '"type":"ObjectEvent"' || fail "log lacks the NFC event"; ok
grep -F "\"eventID\":\"$EID\"" "$T/out" | grep -qF '"bizStep":"receiving"' || fail "NFC event without bizStep receiving"; ok
expect 0 --home "$H" show "$EID" --json
contains "$T/out" '"epcList":["https://id.gs1.org/01/05412345000013/21/NFC1"]'
contains "$T/out" "\"readPoint\":{\"id\":\"$RP\"}"
contains "$T/out" '"action":"OBSERVE"'
# --json gives the UID and tag type too
scenario '{"tag": {"type": "NTAG215", "uid": "04a1b2c3d4e5f7", "uri": "https://id.gs1.org/01/05412345000013/21/NFC2"}}'
expect 0 --home "$H" --json scan --reader "$NFC" --once --timeout 20
[ "$(json_field 1 uid)" = 04a1b2c3d4e5f7 ] && [ "$(json_field 1 tag_type)" = NTAG215 ] || fail "NFC uid/tag_type: $(cat "$T/out")"; ok
# a tag with no NDEF: its UID is the identifier
scenario '{"tag": {"type": "NTAG213", "uid": "04c0ffee123456", "cc": "00000000", "data": ""}}'
expect 0 --home "$H" scan --reader "$NFC" --once --timeout 20
contains "$T/out" "recorded nfc-uid:04c0ffee123456 ni:///sha-256;"
EID=$(awk '{print $3}' "$T/out")
expect 0 --home "$H" show "$EID" --json
contains "$T/out" '"epcList":["nfc-uid:04c0ffee123456"]'
# an empty field: --once gives up at the time-out
scenario '{"tag": null}'
expect 1 --home "$H" scan --reader "$NFC" --once --timeout 1
contains "$T/err" "nothing read"
# the emulator killed mid-read: --once fails with a clear message
scenario '{"tag": {"type": "NTAG213", "uid": "04a1b2c3d4e5f8", "uri": "https://id.gs1.org/01/05412345000013/21/NFC3"}, "die_after_reads": 1}'
n0=$(nlog)
expect 4 --home "$H" scan --reader "$NFC" --once --timeout 20
contains "$T/err" "NFC device"
[ "$(nlog)" = "$n0" ] || fail "a failed read recorded something"; ok
# without --once the scan waits for the reader to come back
rm -f "$T/pn532"
"$KETEN" --home "$H" scan --reader "$NFC" --count 1 --timeout 30 >"$T/back.out" 2>"$T/back.err" &
SPID=$!; PIDS+=($SPID)
wait_for 10 grep -q "retrying" "$T/back.err" || fail "no retry message: $(cat "$T/back.err")"
ok
start_emu '{"tag": {"type": "NTAG213", "uid": "04a1b2c3d4e5f9", "uri": "https://id.gs1.org/01/05412345000013/21/NFC4"}}'
wait_for 20 bash -c "! kill -0 $SPID 2>/dev/null" || fail "scan did not record the tag after the reader came back"
wait "$SPID" && rc=0 || rc=$?
[ "$rc" = 0 ] || fail "reader back: exit $rc: $(cat "$T/back.err")"; ok
contains "$T/back.out" "recorded https://id.gs1.org/01/05412345000013/21/NFC4"
# a tag that stays in the field is one read; tapped again after leaving, and
# within 2 s, it is still one (debounce); with --debounce 0 it is two
"$KETEN" --home "$H" scan --reader "$NFC" --timeout 4 >"$T/tap.out" 2>"$T/tap.err" &
SPID=$!; PIDS+=($SPID)
sleep 1
scenario '{"tag": null}'
sleep 0.5
scenario '{"tag": {"type": "NTAG213", "uid": "04a1b2c3d4e5f9", "uri": "https://id.gs1.org/01/05412345000013/21/NFC4"}}'
wait_for 15 bash -c "! kill -0 $SPID 2>/dev/null" || fail "scan --timeout 4 did not end"
wait "$SPID" || fail "scan --timeout 4: $(cat "$T/tap.err")"
[ "$(grep -c '^recorded ' "$T/tap.out")" = 1 ] || fail "tag in the field, re-tapped within 2 s: one read expected: $(cat "$T/tap.out")"; ok
kill "$EMU_PID" 2>/dev/null || true

expect 0 --home "$H" verify
done_checks
