/* ledger_streampos.h -- per feed, the last position an outside stream
 * (NATS JetStream: node/node_nats.h) acknowledged, kept in the store so
 * that publishing resumes there after a restart, a kill -9 or an outage.
 *
 * Rows live in the store's `meta` database under the key
 * "streampos/" | stream name | 0x00 | feed (32 bytes), value
 * 0x01 (row version) | seq (u64 BE).  No format change: an older keten
 * never reads these keys and copies them along in a backup.
 *
 * A save is one LMDB write transaction, durable when it returns (as every
 * other write of the store); it must not be called while the same thread
 * holds another write transaction of the store (an open ingest).
 */
#ifndef LEDGER_STREAMPOS_H
#define LEDGER_STREAMPOS_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_error.h"
#include "ledger_store.h"

#define LEDGER_STREAMPOS_NAME_MAX 64 /* bytes of a stream name */

typedef struct ledger_streampos {
    uint8_t feed[LEDGER_FEED_LEN];
    uint64_t seq; /* the last seq of feed the stream acknowledged (0: none) */
} ledger_streampos_t;

/* Calls fn for every position kept for stream `name`, in feed ID order.
 * fn returns 0 to go on, or a value that stops the walk and is returned.
 * 0, LEDGER_EINVAL (name empty or too long), LEDGER_EIO, LEDGER_EVERIFY
 * (a damaged row: names the feed). */
typedef int (*ledger_streampos_cb)(const ledger_streampos_t *pos, void *ctx);
int ledger_streampos_load(ledger_store_t *st, const char *name, ledger_streampos_cb fn, void *ctx,
                          ledger_err_t *err);

/* Keeps the n positions v of stream `name` (replacing those kept), all in
 * one durable write transaction: all of them or none.  0, LEDGER_EINVAL,
 * LEDGER_ELOCKED (read-only store), LEDGER_EIO (the store is unchanged). */
int ledger_streampos_save(ledger_store_t *st, const char *name, const ledger_streampos_t *v,
                          size_t n, ledger_err_t *err);

#endif
