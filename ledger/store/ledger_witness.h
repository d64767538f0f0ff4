/* ledger_witness.h -- the cosignatures (ledger_cosig.h) a store keeps of
 * each feed's checkpoints: the node's own, made when it witnesses a
 * partner's checkpoint, and those of other witnesses that came with the
 * checkpoints partners sent.
 *
 * One cosignature per feed per witness is kept: the newest (the largest
 * tree, then the latest time).  A node's own row for a feed is also the
 * last checkpoint of that feed it cosigned, which every later one must be
 * consistent with before it cosigns again.  Rows are in the checkpoint
 * database (docs/format.md, "Stores"):
 *     key   feed (32) | 0x02 | witness feed (32)
 *     value 0x01 | time (u64 BE) | Ed25519 signature (64) | checkpoint text
 * and `keten verify` checks each.
 */
#ifndef LEDGER_WITNESS_H
#define LEDGER_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_buf.h"
#include "ledger_error.h"
#include "ledger_identity.h"
#include "ledger_replica.h"
#include "ledger_store.h"
#include "ledger_tree.h"

/* What ledger_ingest_cosigs did with a checkpoint's cosignatures. */
typedef struct ledger_witness_report {
    int cosigned;     /* 1: this node cosigned it (its row written) */
    int refused;      /* 1: not cosigned: inconsistent with the one it cosigned last */
    uint64_t merged;  /* other witnesses' cosignatures checked and kept (newer than held) */
    uint64_t dropped; /* lines that are not good cosignatures of a known witness */
    char dropped_msg[300]; /* why the first was dropped ("" when none was) */
} ledger_witness_report_t;

/* Merges the cosignatures on note[0..len), a checkpoint of feed signed by
 * the feed's key, and cosigns it with id (NULL: do not), in the ingest's
 * transaction.  Call it after ledger_ingest_checkpoint took the note
 * without finding a fork.  Nothing is done unless the checkpoint's root is
 * that of the entries held at its size (a checkpoint of more entries than
 * are held, of another history or of a forked feed is let be).  A line
 * is kept when its name is "keten/" + a feed this store holds (or its
 * own) other than `feed`, its key ID is that feed key's cosignature ID, its signature checks
 * over this checkpoint, its time is at most 10 minutes ahead of now_s, and
 * it is newer than the row kept; any other line (forged, replayed from
 * another checkpoint, of an unknown witness or another kind of signature)
 * is dropped and counted, the first one's reason in rep->dropped_msg.  A
 * cosignature is made (time now_s) when id's feed is not `feed`, the
 * checkpoint is larger than the one id cosigned last, and that one's root
 * is the root of the entries held at its size; rep->refused when it is
 * not.  0 (rep filled), LEDGER_EINPUT/LEDGER_EVERIFY for a note that is
 * not the feed's checkpoint, LEDGER_EIO for the store. */
int ledger_ingest_cosigs(ledger_ingest_t *in, const uint8_t feed[LEDGER_FEED_LEN],
                         const char *note, size_t len, const ledger_identity_t *id,
                         uint64_t now_s, ledger_witness_report_t *rep, ledger_err_t *err);

/* Appends to note the newest checkpoint of feed kept here with every
 * cosignature line held for that same checkpoint, in witness order (the
 * note as it travels in CHECKPOINT messages and `keten checkpoint`
 * prints it); *nsigs gets how many cosignatures.  LEDGER_ENOTFOUND when no
 * checkpoint of feed is kept. */
int ledger_store_cosigned(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                          ledger_buf_t *note, size_t *nsigs, ledger_err_t *err);

/* One cosignature kept of a feed. */
typedef struct ledger_cosig_row {
    uint8_t witness[LEDGER_FEED_LEN];
    uint64_t time; /* POSIX seconds */
    uint64_t size; /* of the checkpoint it cosigns */
    ledger_tree_hash_t root;
} ledger_cosig_row_t;
typedef int (*ledger_cosig_row_cb)(const ledger_cosig_row_t *row, void *ctx);

/* Calls fn for each cosignature kept of feed, in witness order; fn returns
 * 0 to go on.  LEDGER_EVERIFY for a damaged row. */
int ledger_store_cosigs(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                        ledger_cosig_row_cb fn, void *ctx, ledger_err_t *err);

#endif
