/* ledger_replica.h -- storing entries that come from partners, and reading
 * entries out for them: the ledger side of replication (node/ does the
 * network side).
 *
 * Ingest.  A peer sends runs of entries of one feed in seq order.  Each run
 * is checked before anything of it is stored:
 *   - strict decoding (ledger_entry_decode), the feed is the run's feed,
 *     seqs are consecutive;
 *   - every entry's prev is the SHA-256 of the entry before it (the stored
 *     head for the first new one): one hash per entry;
 *   - a present payload matches the header's length and SHA-256, and an
 *     event payload decodes (its event is indexed like an own event: evid,
 *     ident, loc, time rows); a sealed entry (payload null) is stored as is
 *     and indexes nothing but its place in the feed;
 *   - the Ed25519 signature of the NEWEST accepted entry of the run is
 *     verified; through the prev links it authenticates all entries before
 *     it (DESIGN.md, performance model).  Entries are stored only after it.
 * Entries the store already has (same feed, seq and hash) are skipped.
 * An entry at a seq the store already holds with a DIFFERENT hash is checked
 * on its own (its signature verified); when valid, it is proof that the key
 * equivocated: it is kept as fork evidence (a second fseq row for that
 * feed:seq, a new log row, no index rows), the feed is marked
 * LEDGER_FEED_FORKED, and from then on the feed accepts no new entries.
 * A first new entry whose prev is not the stored head's hash means the two
 * chains differ at or before the head: the report says so (link_mismatch)
 * so the caller can fetch the peer's entry at the head's seq and get the
 * evidence (see node/ docs/protocol.md).
 *
 * All ingest calls between begin and commit form one LMDB write transaction
 * (group commit: many runs, maybe of many sessions, one fsync).  A run with
 * a bad entry keeps the good entries before it when the newest of them
 * verifies (else, when that one is the bad one, when the one before it
 * verifies), reports how many were accepted, and returns the error; the
 * transaction stays usable for other runs.
 *
 * Added by the ledger_replica author:
 *   - Order of work: the newest entry's signature is checked first, then
 *     the entries are checked and put into the transaction one by one.
 *     When a run stops early, the entries put before the bad one are taken
 *     back out of the transaction unless the newest of them verifies, so
 *     nothing unauthenticated is ever committed.
 *   - A run that proves a fork stops there: the entries after the evidence
 *     (the other branch) are not looked at; accepted counts none of them.
 *     A later copy of the same evidence is a duplicate.  A forked feed
 *     still skips entries the store holds (main chain or evidence) as
 *     duplicates; any other entry of it is LEDGER_EVERIFY "feed <hex> is
 *     forked ...".
 *   - Entries of the store's own feed are ingested like any other (a home
 *     restored from a partner); they extend the own head.
 *   - An event payload is read for its index rows straight from its CBOR
 *     (ledger_rows.c); it must decode as ledger_event_payload_decode
 *     decodes it, but its event hash is not recomputed (its signer vouches
 *     for it; keten verify recomputes it).
 *   - Cost: the commit rewrites every index page that got a row, and the
 *     event-ID index is keyed by hash (random), so on a big store a commit
 *     costs about the same whether it holds 2,000 entries or 50,000.  For
 *     bulk sync, commit every few hundred ms or tens of thousands of
 *     entries, not per run: bench/replica_ingest, 1M-entry store, ~600-byte
 *     entries: 34,000 entries/s committing every run (1 MiB), 113,000/s
 *     every 50,000 entries.
 *   - Threads: an ingest is used by one thread at a time; an add of 48
 *     entries or more runs a helper thread during the call.
 *
 * Private entries.  Own entries appended with LEDGER_APPEND_PRIVATE (see
 * ledger_store.h) keep their payload at home: ledger_replica_range hands
 * them out sealed.  Entries received sealed are stored sealed.
 */
#ifndef LEDGER_REPLICA_H
#define LEDGER_REPLICA_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_entry.h"
#include "ledger_error.h"
#include "ledger_store.h"

typedef struct ledger_ingest ledger_ingest_t;

/* What happened to one run. */
typedef struct ledger_ingest_report {
    uint64_t accepted;   /* new entries stored (in this transaction) */
    uint64_t duplicates; /* entries the store already had */
    uint64_t head_seq;   /* the feed's head seq after this run (in the transaction) */
    int forked;          /* 1: this run proved a fork (evidence stored, feed marked) */
    uint64_t fork_seq;   /* the seq where the two entries differ */
    int link_mismatch;   /* 1: the first new entry does not link to the stored head */
    uint64_t bad_index;  /* index in the run of the entry that failed (when rc < 0) */
} ledger_ingest_report_t;

/* Opens the write transaction.  LEDGER_ELOCKED for a read-only store. */
int ledger_ingest_begin(ledger_store_t *st, ledger_ingest_t **out, ledger_err_t *err);

/* Checks and adds one run: n entries of feed `feed` (entries[i] is
 * lens[i] bytes, as received), ascending consecutive seq.  Returns 0 when
 * the whole run was fine (also when it proved a fork: see report->forked),
 * else LEDGER_EINPUT (undecodable entry, wrong feed, seq gap, payload does
 * not decode), LEDGER_EVERIFY (bad link, payload hash, signature; or the
 * feed is forked and refuses new entries), with a message naming feed (hex),
 * seq and the problem; report->bad_index says where and report->accepted
 * how many before it were kept.  LEDGER_EIO/ENOMEM leave only abort. */
int ledger_ingest_add(ledger_ingest_t *in, const uint8_t feed[LEDGER_FEED_LEN],
                      const uint8_t *const *entries, const size_t *lens, size_t n,
                      ledger_ingest_report_t *report, ledger_err_t *err);

/* Adds a partner's signed checkpoint of feed (a C2SP signed note, as
 * `keten checkpoint` prints it; ledger_note.h) to the transaction: checked
 * against the feed's tree as it stands in it (with the entries added so
 * far) and kept as the feed's newest when it is newer than the kept one
 * (*kept = LEDGER_CKPT_KEPT).  One of more entries than are held, not
 * newer, or of a forked feed is let be (0, LEDGER_CKPT_LET_BE).  One
 * signed by the feed's key whose root is not the tree's at its size -- the
 * key signed two histories -- is kept as fork evidence beside the kept
 * checkpoint (ledger_store_fork_checkpoint), and the feed is marked forked
 * as for two entries at one seq (0, LEDGER_CKPT_FORK, the finding in
 * err->msg).  LEDGER_EINPUT for a malformed note; LEDGER_EVERIFY for one
 * not signed by the feed's key or of another origin. */
int ledger_ingest_checkpoint(ledger_ingest_t *in, const uint8_t feed[LEDGER_FEED_LEN],
                             const char *note, size_t len, int *kept, ledger_err_t *err);

/* Makes everything added durable (one fsync) and frees in.  On failure
 * nothing is stored. */
int ledger_ingest_commit(ledger_ingest_t *in, ledger_err_t *err);

/* Drops everything added and frees in.  NULL is fine. */
void ledger_ingest_abort(ledger_ingest_t *in);

/* ---- serving ----------------------------------------------------------- */

enum {
    LEDGER_RANGE_SEAL = 1, /* hand out every entry sealed (payload withheld) */
};

/* Calls fn with the wire bytes of entries feed:from, from+1, ... up to the
 * feed's head, or up to `to` when to != 0, stopping early once max_entries
 * entries or max_bytes bytes were handed out (always at least one entry when
 * there is one).  (Precisely: an entry that would take the bytes handed
 * out past max_bytes is not handed out, unless it is the first; 0 means no
 * limit for either; from 0 is from 1.)  The bytes are the stored entry, or the same entry
 * re-encoded with a null payload when it is private, stored sealed, or flags has LEDGER_RANGE_SEAL;
 * they are valid only during the call.  *next gets the seq after the last entry handed out.  Only
 * the main chain is handed out (not fork evidence).  fn returns 0 to go on.  LEDGER_ENOTFOUND when
 * the store has no such feed. */
typedef int (*ledger_range_cb)(const uint8_t *bytes, size_t len, uint64_t seq, void *ctx);
int ledger_replica_range(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN], uint64_t from,
                         uint64_t to, size_t max_entries, size_t max_bytes, unsigned flags,
                         ledger_range_cb fn, void *ctx, uint64_t *next, ledger_err_t *err);

/* The hash of entry feed:seq of the main chain (to compare heads with a
 * peer).  LEDGER_ENOTFOUND when not stored. */
int ledger_replica_hash(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN], uint64_t seq,
                        uint8_t out[LEDGER_HASH_LEN], ledger_err_t *err);

/* 1 when own entry feed:seq was recorded private, 0 when not, <0 error. */
int ledger_replica_is_private(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN], uint64_t seq,
                              ledger_err_t *err);

/* Calls fn for every stored entry at feed:seq, the main chain's first and
 * then each fork evidence entry (for `keten show`, `status`).  0, or
 * LEDGER_ENOTFOUND. */
int ledger_replica_at(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN], uint64_t seq,
                      ledger_entry_cb fn, void *ctx, ledger_err_t *err);

#endif
