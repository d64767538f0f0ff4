#!/usr/bin/env bash
# keten backup (docs/operations.md, "Backup and restore"): a consistent copy
# of a home whose node runs and records meanwhile. The copy verifies, holds
# every event acknowledged before the backup began and nothing half-written,
# keeps the home's files (settings, key with mode 0600, network key, peers),
# never overwrites, leaves nothing behind when it fails; restored in place,
# the node gets the entries after the backup back from its partner and goes
# on with the same feed.
set -eu
. "$(dirname "$0")/nodelib.bash"
S=$T/s P=$T/p B=$T/backup
partners "$P" Keuken "$S" Slachthuis
SPORT=$LISTEN_PORT
S_ID=$(id_of "$S")
start_node "$S" "$SPORT"
start_node "$P"
WHY="P connects to S" wait_until 15 log_has "$P" "connected to"

# a writer records one event after another on S (acknowledged count in $T/acked)
echo 0 >"$T/acked"
(
    i=0
    while [ ! -e "$T/stop-writer" ]; do
        i=$((i + 1))
        "$KETEN" --home "$S" record --type ObjectEvent --action OBSERVE --biz-step shipping \
            --epc "urn:epc:id:sgtin:5412345.000001.$i" --event-time 2025-11-30T09:00:00Z \
            >/dev/null 2>"$T/writer.last" || { cp "$T/writer.last" "$T/writer.err"; break; }
        echo "$i" >"$T/acked.tmp" && mv "$T/acked.tmp" "$T/acked"
    done
) &
WRITER=$!
NODE_PIDS+=("$WRITER") # killed on exit, whatever happens
acked() { cat "$T/acked"; }
acked_over() { [ "$(acked)" -gt "$1" ]; }
WHY="the writer records" wait_until 30 acked_over 4
before=$(acked)
expect 0 --home "$S" backup "$B"
after=$(acked)
contains "$T/out" "backup written to $B"
WHY="the writer records after the backup" wait_until 30 acked_over "$after"
touch "$T/stop-writer"
wait "$WRITER"
[ ! -s "$T/writer.err" ] || { cat "$T/writer.err"; fail "the writer failed"; }
ok

# the copy is a home that verifies, with the events acknowledged before it began
expect 0 --home "$B" verify
contains "$T/out" "ok: "
n=$(nlines "$B")
[ "$n" -ge "$before" ] && [ "$n" -le "$((after + 1))" ] ||
    fail "the backup holds $n entries; $before were acknowledged before it, $after after"
ok
[ "$(id_of "$B")" = "$S_ID" ] || fail "the backup has another feed ID"; ok
for f in keten.json key network peers.json; do
    [ -f "$B/$f" ] || fail "the backup lacks $f"
    cmp -s "$S/$f" "$B/$f" || fail "the backup's $f differs from the home's"
done
ok
[ "$(stat -c %a "$B/key")" = 600 ] || fail "the backup's key has mode $(stat -c %a "$B/key")"; ok
[ ! -e "$B/node.lock" ] || fail "the backup holds the running node's lock file"; ok
ls "$T" | grep -q partial && fail "a partial directory was left: $(ls "$T")"
ok

# never overwrites; fails cleanly
ls -l "$B" >"$T/listing.before"
expect 3 --home "$S" backup "$B"
contains "$T/err" "exists"
ls -l "$B" >"$T/listing.after"
cmp -s "$T/listing.before" "$T/listing.after" || fail "a refused backup changed the old one"; ok
expect 4 --home "$S" backup "$T/no/such/dir"
contains "$T/err" "cannot create"
[ ! -e "$T/no" ] || fail "a failed backup left $T/no behind"; ok
expect 2 --home "$S" backup
expect 2 --home "$S" backup "$T/x" "$T/y"

# restore: S's node stops, the backup takes the home's place; the node gets
# the entries recorded after the backup back from P, then records on
total=$(seq_of "$S" "$S_ID")
WHY="P holds all of S's entries" wait_until 30 seq_is "$P" "$S_ID" "$total"
expect 0 --home "$S" stop
mv "$S" "$T/s.old"
mv "$B" "$S"
start_node "$S" "$SPORT"
WHY="the restored S gets its own entries back from P" wait_until 30 seq_is "$S" "$S_ID" "$total"
expect 0 --home "$S" record --type ObjectEvent --action OBSERVE --biz-step receiving \
    --epc urn:epc:id:sgtin:5412345.000001.999999 --event-time 2025-11-30T10:00:00Z
WHY="P receives the restored node's new entry" wait_until 15 seq_is "$P" "$S_ID" "$((total + 1))"
expect 0 --home "$S" verify
expect 0 --home "$P" verify
log_has "$P" "FORK" && fail "P saw a fork after the restore"
ok
done_checks
