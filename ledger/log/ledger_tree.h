/* ledger_tree.h -- the Merkle tree of a feed (log format 2, issue 14): RFC
 * 9162 §2.1 hashing, the stored hashes of an append-only tree, roots, and
 * inclusion and consistency proofs, made and checked.
 *
 * Hashes (SHA-256):
 *   leaf hash = SHA-256(0x00 || leaf bytes)
 *   node hash = SHA-256(0x01 || left || right)
 *   the hash of the empty tree is SHA-256("")
 * The tree over n leaves is RFC 9162's: for n > 1 its left part holds the
 * largest power of two of leaves below n, and its root is the node hash of
 * the two parts' roots.
 *
 * Stored hashes.  A store keeps, for every level L and index i, the hash of
 * each complete subtree of 2^L leaves that starts at leaf i * 2^L, once all
 * its leaves are in (level 0: the leaf hashes).  That is 2n - popcount(n)
 * hashes for n leaves, and appending leaf n adds 1 + (trailing one bits of
 * n) of them (ledger_tree_append), the same set as Go's
 * golang.org/x/mod/sumdb/tlog StoredHashes.  Every root and proof below is
 * computed from them with at most 2 log2(n) + 2 reads, through a callback
 * that the caller backs with its storage (LMDB, a bundle, an array).
 *
 * Proofs are the RFC 9162 §2.1.3 inclusion proof (audit path) and §2.1.4
 * consistency proof, the lists of hashes that Go's tlog (ProveRecord,
 * ProveTree), Certificate Transparency and C2SP tiles use, bottom-up.
 *
 * Pure functions, no allocation: the caller gives the output arrays
 * (LEDGER_TREE_MAX_PROOF hashes are always enough).  Errors: LEDGER_EINVAL
 * for sizes and indexes out of range (index >= size, old > new, ...),
 * LEDGER_EVERIFY with a message when a proof does not check, and whatever
 * the callback returns (its message kept).
 */
#ifndef LEDGER_TREE_H
#define LEDGER_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_error.h"

#define LEDGER_TREE_HASH_LEN 32
/* The longest proof of a tree of up to 2^63 leaves: 63 hashes for an
 * inclusion proof, 2 * 63 for a consistency proof; with room to spare. */
#define LEDGER_TREE_MAX_PROOF 130

typedef uint8_t ledger_tree_hash_t[LEDGER_TREE_HASH_LEN];

/* SHA-256(0x00 || leaf[0..n)). */
void ledger_tree_leaf_hash(const uint8_t *leaf, size_t n, ledger_tree_hash_t out);

/* SHA-256(0x01 || left || right).  out may be left or right. */
void ledger_tree_node_hash(const ledger_tree_hash_t left, const ledger_tree_hash_t right,
                           ledger_tree_hash_t out);

/* Reads the stored hash of the complete subtree at (level, index): 2^level
 * leaves from leaf index * 2^level.  Returns 0 and fills out, or a negative
 * code with a message in err (LEDGER_ENOTFOUND when it is not stored). */
typedef int (*ledger_tree_get_fn)(void *ctx, unsigned level, uint64_t index, ledger_tree_hash_t out,
                                  ledger_err_t *err);

/* Writes one new stored hash (see ledger_tree_append).  0 or a negative
 * code with a message. */
typedef int (*ledger_tree_put_fn)(void *ctx, unsigned level, uint64_t index,
                                  const ledger_tree_hash_t hash, ledger_err_t *err);

/* Appends leaf number `index` (0-based: the tree has `index` leaves before
 * it) with leaf hash `leaf`: calls put for the leaf hash (level 0) and for
 * each complete subtree the leaf completes, bottom-up, reading the left
 * siblings it needs with get (they are the hashes put before).  0 or the
 * first error of a callback. */
int ledger_tree_append(uint64_t index, const ledger_tree_hash_t leaf, ledger_tree_get_fn get,
                       ledger_tree_put_fn put, void *ctx, ledger_err_t *err);

/* The root of the tree of the first `size` leaves (SHA-256("") for 0). */
int ledger_tree_root(uint64_t size, ledger_tree_get_fn get, void *ctx, ledger_tree_hash_t out,
                     ledger_err_t *err);

/* The inclusion proof of leaf `index` in the tree of `size` leaves:
 * hashes[0..*n), bottom-up.  LEDGER_EINVAL when index >= size. */
int ledger_tree_prove_inclusion(uint64_t index, uint64_t size, ledger_tree_get_fn get, void *ctx,
                                ledger_tree_hash_t hashes[LEDGER_TREE_MAX_PROOF], size_t *n,
                                ledger_err_t *err);

/* The consistency proof between the trees of old_size and new_size leaves
 * (0 < old_size <= new_size; empty when they are equal).  LEDGER_EINVAL
 * otherwise. */
int ledger_tree_prove_consistency(uint64_t old_size, uint64_t new_size, ledger_tree_get_fn get,
                                  void *ctx, ledger_tree_hash_t hashes[LEDGER_TREE_MAX_PROOF],
                                  size_t *n, ledger_err_t *err);

/* Checks that leaf hash `leaf` is leaf `index` of the tree of `size`
 * leaves whose root is `root`, with the proof hashes[0..n).  0, or
 * LEDGER_EVERIFY naming what is wrong (index past the size, too many or too
 * few hashes, a root that does not match). */
int ledger_tree_verify_inclusion(const ledger_tree_hash_t leaf, uint64_t index, uint64_t size,
                                 const ledger_tree_hash_t *hashes, size_t n,
                                 const ledger_tree_hash_t root, ledger_err_t *err);

/* Checks that the tree of old_size leaves with root old_root is a prefix of
 * the tree of new_size leaves with root new_root, with the proof
 * hashes[0..n).  old_size 0 is consistent with anything (the proof must be
 * empty); equal sizes need equal roots and an empty proof.  0, or
 * LEDGER_EVERIFY. */
int ledger_tree_verify_consistency(uint64_t old_size, uint64_t new_size,
                                   const ledger_tree_hash_t old_root,
                                   const ledger_tree_hash_t new_root,
                                   const ledger_tree_hash_t *hashes, size_t n, ledger_err_t *err);

#endif
