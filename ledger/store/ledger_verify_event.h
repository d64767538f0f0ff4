/* ledger_verify_event.h -- the checks of `keten verify` (ledger_verify.c)
 * that need one entry only, so that they can run on a helper thread: an
 * entry's Ed25519 signature, and its event (the stored event hash against
 * a fresh computation, every index row the event implies, its card).
 *
 * A checker (vchk) holds what one thread needs: a read transaction's
 * cursors and its counts of the rows it found.  A pool is one helper
 * thread with its own checker in its own read transaction of the same
 * snapshot; the walk offers it entries and checks those it refuses itself
 * (a full queue), so the two threads share the work by how fast each is.
 * The first problem in walk order wins, whichever thread found it.
 * Internal to ledger/store (verify only). */
#ifndef LEDGER_VERIFY_EVENT_H
#define LEDGER_VERIFY_EVENT_H

#include "ledger__store.h"

/* How an event's index rows are checked.  Exact: each row is looked up
 * in its index (a random read per row).  Summed: each row's keyed hash is
 * added to its database's sum, and ledger__vchk_sums_check compares the
 * sums with one sequential pass over the indexes afterwards (see
 * ledger_verify.c: when they differ, verify runs again exactly, to name
 * the row). */
#define VCHK_KEY_LEN 16
typedef struct ledger__vchk {
    ledger_store_t *st;
    MDB_txn *txn;
    MDB_cursor *cur[DB_COUNT];
    uint64_t rows[DB_COUNT]; /* the index rows found (exact) or summed, per database */
    int exact;
    uint8_t key[VCHK_KEY_LEN]; /* summed: the run's secret hash key */
    uint64_t sum[DB_COUNT][2]; /* summed: the rows' hashes added mod 2^128 (lo, hi) */
    rows_t scratch;
} ledger__vchk_t;

/* What to check of one entry: views, valid during the call (an offer
 * copies them). */
typedef struct ledger__vitem {
    const uint8_t *feed;
    uint64_t seq, lseq, record_time_ms;
    const uint8_t *hbytes, *sig; /* sig NULL: the signature is not checked */
    size_t hlen;
    const uint8_t *payload; /* NULL: no event to check (sealed, not an event) */
    size_t plen;
} ledger__vitem_t;

/* Opens cursors on every database of txn.  exact: look each row up;
 * else sum them under key (VCHK_KEY_LEN bytes).  0 or the LMDB error. */
int ledger__vchk_open(ledger__vchk_t *c, ledger_store_t *st, MDB_txn *txn, int exact,
                      const uint8_t *key, ledger_err_t *err);

/* The databases whose rows come from events only, so that summed checks
 * account for all of their rows: evid, ident, loc, time, decl. */
int ledger__vchk_summed_db(int db);

/* Summed checks: reads each summed database whole (c's cursors) and
 * compares its row count and its sum with what c added up (with the
 * helper's, ledger__vpool_finish).  0 when they agree; 1 when some
 * database differs (the caller verifies again exactly, to name the row);
 * an LMDB error as such. */
int ledger__vchk_sums_check(ledger__vchk_t *c, ledger_err_t *err);
void ledger__vchk_close(ledger__vchk_t *c);
/* Checks the item: its signature (when sig is set), then its event (when
 * payload is set).  LEDGER_EVERIFY naming the feed, seq and what is wrong;
 * an LMDB error as such. */
int ledger__vchk_entry(ledger__vchk_t *c, const ledger__vitem_t *it, ledger_err_t *err);

typedef struct ledger__vpool ledger__vpool_t;
/* Starts a helper thread that reads in a transaction of its own, on the
 * same snapshot as txn, checking rows as `like` does (exact or summed
 * under its key).  NULL when there is none (no memory, no thread, or
 * the store changed between the two transactions): then check inline. */
ledger__vpool_t *ledger__vpool_start(ledger_store_t *st, MDB_txn *txn, const ledger__vchk_t *like);
/* Hands the item (walk position order) to the helper: 1 when it took it,
 * 0 when its queue is full (check it yourself), or when it has found a
 * problem already. */
int ledger__vpool_offer(ledger__vpool_t *p, const ledger__vitem_t *it, uint64_t order);
/* Waits for the helper to finish, adds its row counts and sums to into,
 * frees the pool.  When it found a problem: its code, *order the item's
 * walk position and err its message; else 0. */
int ledger__vpool_finish(ledger__vpool_t *p, ledger__vchk_t *into, uint64_t *order,
                         ledger_err_t *err);

/* "feed HEX seq N: what[: detail]" as LEDGER_EVERIFY. */
int ledger__vfail(ledger_err_t *err, const uint8_t *feed, uint64_t seq, const char *what,
                  const char *detail);

#endif
