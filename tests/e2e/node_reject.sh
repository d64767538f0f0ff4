#!/usr/bin/env bash
# A dialling node that its partner refuses says why (docs/operations.md,
# "Watching it"): W has another network key, Q is not on S's peer list, and
# nobody listens at R's address. Each logs a line naming the partner and
# the reason; `status` shows it too. S (the listener) logs its own side.
set -eu
. "$(dirname "$0")/nodelib.bash"
S=$T/s W=$T/w Q=$T/q R=$T/r
mkhome "$S" Slachthuis
NET=$("$KETEN" --home "$S" network)
mkhome "$W" Wrongnet                  # a network key of its own
mkhome "$Q" Onbekend "$NET"
mkhome "$R" Later "$NET"
S_ID=$(id_of "$S")
SPORT=$(free_port) DEAD=$(free_port)
"$KETEN" --home "$S" peer add "$(id_of "$W")" --name wrongnet >/dev/null   # listed: only the key differs
"$KETEN" --home "$W" peer add "$S_ID" "127.0.0.1:$SPORT" --name slachthuis >/dev/null
"$KETEN" --home "$Q" peer add "$S_ID" "127.0.0.1:$SPORT" --name slachthuis >/dev/null
"$KETEN" --home "$R" peer add "$S_ID" "127.0.0.1:$DEAD" --name slachthuis >/dev/null
start_node "$S" "$SPORT"
WHY="S is up" wait_until 10 log_has "$S" "up, listening"
start_node "$W"
start_node "$Q"
start_node "$R"

WHY="W says why S refuses it" wait_until 15 log_has "$W" "network key"
contains "$W.log" "slachthuis"
contains "$W.log" "closed by"
WHY="Q says why S refuses it" wait_until 15 log_has "$Q" "not on its peer list"
contains "$Q.log" "slachthuis"
WHY="R says nobody listens" wait_until 15 log_has "$R" "connection refused"
contains "$R.log" "slachthuis"
# the listener's side
WHY="S logs Q's refusal" wait_until 10 log_has "$S" "is not on the peer list"
WHY="S logs W's refusal" wait_until 10 log_has "$S" "network key"
# status of the dialling nodes says it too
status_says() { "$KETEN" --home "$1" status | grep -F -- "$2" >/dev/null; }
WHY="W's status says why" wait_until 5 status_says "$W" "network key"
WHY="Q's status says why" wait_until 5 status_says "$Q" "not on its peer list"
# retries with backoff do not repeat the same line every time
sleep 4
n=$(grep -c "network key" "$W.log" || true)
[ "$n" -le 3 ] || { cat "$W.log"; fail "W logged the same refusal $n times in a few seconds"; }
ok
done_checks
