/* ledger_tree_read.c -- the public reads of each feed's Merkle tree and
 * checkpoints (ledger_store.h, "the Merkle tree of a feed"): each runs the
 * txn-level function of ledger_tree_db.c in one read transaction of the
 * store.  A file of its own so that the calls run one way: this file ->
 * ledger_query.c (read transactions) and ledger_tree_db.c; ledger_store.c
 * (which the reads need) calls ledger_tree_db.c, never this. */
#include "ledger__store.h"

int ledger_store_tree_size(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                           uint64_t *size, ledger_err_t *err)
{
    MDB_txn *txn;
    int rc = ledger__begin_read(st, &txn, err);
    if (rc)
        return rc;
    rc = ledger__tree_size(st, txn, feed, size, err);
    ledger__end_read(st, txn);
    return rc;
}

int ledger_store_tree_root(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                           uint64_t *size, ledger_tree_hash_t root, ledger_err_t *err)
{
    MDB_txn *txn;
    int rc = ledger__begin_read(st, &txn, err);
    if (rc)
        return rc;
    rc = ledger__tree_root(st, txn, feed, size, root, err);
    ledger__end_read(st, txn);
    return rc;
}

int ledger_store_prove_inclusion(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                                 uint64_t seq, uint64_t *size, ledger_tree_hash_t leaf,
                                 ledger_tree_hash_t hashes[LEDGER_TREE_MAX_PROOF], size_t *n,
                                 ledger_err_t *err)
{
    MDB_txn *txn;
    int rc = ledger__begin_read(st, &txn, err);
    if (rc)
        return rc;
    rc = ledger__tree_prove_inclusion(st, txn, feed, seq, size, leaf, hashes, n, err);
    ledger__end_read(st, txn);
    return rc;
}

int ledger_store_prove_consistency(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                                   uint64_t old_size, uint64_t new_size,
                                   ledger_tree_hash_t hashes[LEDGER_TREE_MAX_PROOF], size_t *n,
                                   ledger_err_t *err)
{
    MDB_txn *txn;
    int rc = ledger__begin_read(st, &txn, err);
    if (rc)
        return rc;
    rc = ledger__tree_prove_consistency(st, txn, feed, old_size, new_size, hashes, n, err);
    ledger__end_read(st, txn);
    return rc;
}

int ledger_store_checkpoint(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                            ledger_buf_t *note, ledger_err_t *err)
{
    MDB_txn *txn;
    int rc = ledger__begin_read(st, &txn, err);
    if (rc)
        return rc;
    rc = ledger__checkpoint_get(st, txn, feed, note, err);
    ledger__end_read(st, txn);
    return rc;
}

int ledger_store_fork_checkpoint(ledger_store_t *st, const uint8_t feed[LEDGER_FEED_LEN],
                                 ledger_buf_t *note, ledger_err_t *err)
{
    MDB_txn *txn;
    int rc = ledger__begin_read(st, &txn, err);
    if (rc)
        return rc;
    rc = ledger__fork_checkpoint_get(st, txn, feed, note, err);
    ledger__end_read(st, txn);
    return rc;
}
