/* ledger_stmts.h -- the identity statements and endorsements a store
 * holds (ledger_stmt.h), collected for status, peer list, bundles.
 *
 * ledger_stmts_load walks the whole log once (ledger_store_scan) and keeps
 * every entry of payload type 4 whose payload decodes and checks against
 * its feed (ledger_stmt_from_entry), with a copy of its entry bytes, so
 * that a bundle can carry it and a verifier check its signature.  Entries
 * of type 4 that do not decode or check (a partner's bad statement: the
 * signature is its own, the content is not one) are counted in `bad`, not
 * kept.  Sealed ones are skipped.  The cost is one pass over the log:
 * statements are few, but the log is not indexed by payload type
 * (docs/cli.md says so).
 *
 * Errors: LEDGER_ENOMEM, and the store's errors; *out is then empty. */
#ifndef LEDGER_STMTS_H
#define LEDGER_STMTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger_stmt.h"
#include "ledger_store.h"

typedef struct ledger_stmt_rec {
    uint8_t author[LEDGER_FEED_LEN]; /* the feed whose entry it is */
    uint64_t seq;
    uint64_t record_time_ms;
    ledger_stmt_t s;
    uint8_t *entry; /* the entry's bytes (ledger_entry_encode), owned */
    size_t entry_len;
} ledger_stmt_rec_t;

typedef struct ledger_stmts {
    ledger_stmt_rec_t *v;
    size_t n, cap;
    uint64_t bad; /* type-4 entries that do not decode or check */
} ledger_stmts_t;

int ledger_stmts_load(ledger_store_t *st, ledger_stmts_t *out, ledger_err_t *err);

/* Adds the statement carried by the entry bytes p[0..n) to *s when it is
 * one (decodes, checks, is not sealed): 1 added, 0 not a statement,
 * LEDGER_ENOMEM.  (Bundle readers use it on the entries they carry.) */
int ledger_stmts_add_entry(ledger_stmts_t *s, const uint8_t *p, size_t n);

void ledger_stmts_free(ledger_stmts_t *s);

/* The newest identity statement of feed (highest seq), or NULL. */
const ledger_stmt_rec_t *ledger_stmts_identity(const ledger_stmts_t *s,
                                               const uint8_t feed[LEDGER_FEED_LEN]);

/* The endorsements of feed: calls fn for the newest endorsement of it by
 * each endorser, in the order they are held.  Returns how many. */
typedef void (*ledger_stmt_cb)(const ledger_stmt_rec_t *r, void *ctx);
size_t ledger_stmts_endorsements(const ledger_stmts_t *s, const uint8_t feed[LEDGER_FEED_LEN],
                                 ledger_stmt_cb fn, void *ctx);

/* Whether endorsement r agrees with the identity statement id: the same
 * name, and the GLN and GCP it names (when it names them) are the
 * statement's.  An endorsement that does not agree is reported as such,
 * not counted as an endorsement of the stated identity. */
int ledger_stmts_agree(const ledger_stmt_rec_t *r, const ledger_stmt_rec_t *id);

/* The JSON of a statement: {"feed", "seq", "kind", "subject", "name",
 * "gln", "gcp", "domain", "recordTime"} (absent fields left out).  New
 * reference, NULL when out of memory. */
json_t *ledger_stmt_rec_json(const ledger_stmt_rec_t *r);

/* For each feed: {"identity": statement JSON or null, "endorsedBy":
 * [{"feed", "name", "seq", "agrees"}...]}.  New reference or NULL. */
json_t *ledger_stmts_feed_json(const ledger_stmts_t *s, const uint8_t feed[LEDGER_FEED_LEN]);

#endif
