/* ledger_tree.c -- RFC 9162 Merkle tree hashing, roots and proofs over
 * stored hashes (see ledger_tree.h).
 *
 * How it works.  Every range of leaves the RFC's recursion visits, [lo, hi),
 * splits at lo + k, k the largest power of two below hi - lo, and lo is
 * always a multiple of the power of two that bounds the range.  So a range
 * whose length is a power of two is one stored hash, (level, lo >> level),
 * and any other range is the node hash of its two parts: range_hash() reads
 * one stored hash per set bit of the length.  The proofs follow the RFC's
 * PATH and SUBPROOF definitions with absolute offsets, and the checks are
 * the RFC's verification algorithms (§2.1.3.2, §2.1.4.2) as written.
 */
#include "ledger_tree.h"
#include "ledger_sha256.h"

#include <sodium.h>
#include <string.h>

void ledger_tree_leaf_hash(const uint8_t *leaf, size_t n, ledger_tree_hash_t out)
{
    const uint8_t zero = 0x00;
    const ledger_sha256_part_t parts[2] = {{&zero, 1}, {leaf, n}};
    ledger_sha256_parts(out, parts, 2);
}

void ledger_tree_node_hash(const ledger_tree_hash_t left, const ledger_tree_hash_t right,
                           ledger_tree_hash_t out)
{
    uint8_t buf[1 + 2 * LEDGER_TREE_HASH_LEN];
    buf[0] = 0x01;
    memcpy(buf + 1, left, LEDGER_TREE_HASH_LEN);
    memcpy(buf + 1 + LEDGER_TREE_HASH_LEN, right, LEDGER_TREE_HASH_LEN);
    ledger_sha256(out, buf, sizeof buf);
}

/* The largest power of two strictly below n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

static int is_pow2(uint64_t n)
{
    return n && !(n & (n - 1));
}

static unsigned log2_exact(uint64_t n)
{
    unsigned l = 0;
    while ((uint64_t)1 << l < n)
        l++;
    return l;
}

/* MTH(D[lo:hi]) for a range the RFC recursion visits (see the top). */
static int range_hash(uint64_t lo, uint64_t hi, ledger_tree_get_fn get, void *ctx,
                      ledger_tree_hash_t out, ledger_err_t *err)
{
    uint64_t n = hi - lo;
    if (is_pow2(n)) {
        unsigned level = log2_exact(n);
        return get(ctx, level, lo >> level, out, err);
    }
    /* the left part is a power of two, the right part is what remains:
     * walk the right edge iteratively, one stored hash per set bit */
    uint64_t k = split_point(n);
    ledger_tree_hash_t left, right;
    int rc = get(ctx, log2_exact(k), lo >> log2_exact(k), left, err);
    if (rc)
        return rc;
    if ((rc = range_hash(lo + k, hi, get, ctx, right, err)))
        return rc;
    ledger_tree_node_hash(left, right, out);
    return 0;
}

int ledger_tree_append(uint64_t index, const ledger_tree_hash_t leaf, ledger_tree_get_fn get,
                       ledger_tree_put_fn put, void *ctx, ledger_err_t *err)
{
    ledger_tree_hash_t h, left;
    unsigned level = 0;
    uint64_t i = index;
    int rc;
    memcpy(h, leaf, sizeof h);
    if ((rc = put(ctx, 0, i, h, err)))
        return rc;
    while (i & 1) { /* this leaf completes the subtree of its left sibling */
        if ((rc = get(ctx, level, i - 1, left, err)))
            return rc;
        ledger_tree_node_hash(left, h, h);
        level++;
        i >>= 1;
        if ((rc = put(ctx, level, i, h, err)))
            return rc;
    }
    return 0;
}

int ledger_tree_root(uint64_t size, ledger_tree_get_fn get, void *ctx, ledger_tree_hash_t out,
                     ledger_err_t *err)
{
    if (size == 0) {
        ledger_sha256(out, NULL, 0);
        return 0;
    }
    return range_hash(0, size, get, ctx, out, err);
}

/* RFC 9162 PATH(m, D[lo:hi]), appended bottom-up to hashes[*n]. */
static int path(uint64_t m, uint64_t lo, uint64_t hi, ledger_tree_get_fn get, void *ctx,
                ledger_tree_hash_t *hashes, size_t *n, ledger_err_t *err)
{
    if (hi - lo <= 1)
        return 0;
    uint64_t k = split_point(hi - lo);
    int rc;
    if (m < lo + k) {
        if ((rc = path(m, lo, lo + k, get, ctx, hashes, n, err)))
            return rc;
        rc = range_hash(lo + k, hi, get, ctx, hashes[*n], err);
    } else {
        if ((rc = path(m, lo + k, hi, get, ctx, hashes, n, err)))
            return rc;
        rc = range_hash(lo, lo + k, get, ctx, hashes[*n], err);
    }
    if (rc)
        return rc;
    (*n)++;
    return 0;
}

int ledger_tree_prove_inclusion(uint64_t index, uint64_t size, ledger_tree_get_fn get, void *ctx,
                                ledger_tree_hash_t hashes[LEDGER_TREE_MAX_PROOF], size_t *n,
                                ledger_err_t *err)
{
    *n = 0;
    if (index >= size)
        return ledger_err_set(err, LEDGER_EINVAL,
                              "inclusion proof: leaf index %llu is not in a tree of %llu",
                              (unsigned long long)index, (unsigned long long)size);
    return path(index, 0, size, get, ctx, hashes, n, err);
}

/* RFC 9162 SUBPROOF(m, D[lo:hi], b) with m absolute (the old tree's size). */
static int subproof(uint64_t m, uint64_t lo, uint64_t hi, int b, ledger_tree_get_fn get, void *ctx,
                    ledger_tree_hash_t *hashes, size_t *n, ledger_err_t *err)
{
    int rc;
    if (m == hi) {
        if (b)
            return 0;
        if ((rc = range_hash(lo, hi, get, ctx, hashes[*n], err)))
            return rc;
        (*n)++;
        return 0;
    }
    uint64_t k = split_point(hi - lo);
    if (m <= lo + k) {
        if ((rc = subproof(m, lo, lo + k, b, get, ctx, hashes, n, err)))
            return rc;
        rc = range_hash(lo + k, hi, get, ctx, hashes[*n], err);
    } else {
        if ((rc = subproof(m, lo + k, hi, 0, get, ctx, hashes, n, err)))
            return rc;
        rc = range_hash(lo, lo + k, get, ctx, hashes[*n], err);
    }
    if (rc)
        return rc;
    (*n)++;
    return 0;
}

int ledger_tree_prove_consistency(uint64_t old_size, uint64_t new_size, ledger_tree_get_fn get,
                                  void *ctx, ledger_tree_hash_t hashes[LEDGER_TREE_MAX_PROOF],
                                  size_t *n, ledger_err_t *err)
{
    *n = 0;
    if (old_size == 0 || old_size > new_size)
        return ledger_err_set(err, LEDGER_EINVAL,
                              "consistency proof: old size %llu must be 1 to the new size %llu",
                              (unsigned long long)old_size, (unsigned long long)new_size);
    if (old_size == new_size)
        return 0;
    return subproof(old_size, 0, new_size, 1, get, ctx, hashes, n, err);
}

int ledger_tree_verify_inclusion(const ledger_tree_hash_t leaf, uint64_t index, uint64_t size,
                                 const ledger_tree_hash_t *hashes, size_t n,
                                 const ledger_tree_hash_t root, ledger_err_t *err)
{
    if (index >= size)
        return ledger_err_set(err, LEDGER_EVERIFY,
                              "inclusion proof: leaf index %llu is past the tree size %llu",
                              (unsigned long long)index, (unsigned long long)size);
    uint64_t fn = index, sn = size - 1;
    ledger_tree_hash_t r;
    memcpy(r, leaf, sizeof r);
    for (size_t i = 0; i < n; i++) {
        if (sn == 0)
            return ledger_err_set(err, LEDGER_EVERIFY,
                                  "inclusion proof: %zu hashes, more than a tree of %llu needs", n,
                                  (unsigned long long)size);
        if ((fn & 1) || fn == sn) {
            ledger_tree_node_hash(hashes[i], r, r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            ledger_tree_node_hash(r, hashes[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return ledger_err_set(err, LEDGER_EVERIFY,
                              "inclusion proof: %zu hashes, fewer than a tree of %llu needs", n,
                              (unsigned long long)size);
    if (sodium_memcmp(r, root, LEDGER_TREE_HASH_LEN) != 0)
        return ledger_err_set(err, LEDGER_EVERIFY,
                              "inclusion proof: leaf %llu does not lead to the root of the tree "
                              "of %llu",
                              (unsigned long long)index, (unsigned long long)size);
    return 0;
}

int ledger_tree_verify_consistency(uint64_t old_size, uint64_t new_size,
                                   const ledger_tree_hash_t old_root,
                                   const ledger_tree_hash_t new_root,
                                   const ledger_tree_hash_t *hashes, size_t n, ledger_err_t *err)
{
    if (old_size > new_size)
        return ledger_err_set(err, LEDGER_EVERIFY,
                              "consistency proof: old size %llu is past the new size %llu",
                              (unsigned long long)old_size, (unsigned long long)new_size);
    if (old_size == 0 || old_size == new_size) {
        if (n != 0)
            return ledger_err_set(err, LEDGER_EVERIFY,
                                  "consistency proof: %zu hashes where none are needed", n);
        if (old_size == new_size && sodium_memcmp(old_root, new_root, LEDGER_TREE_HASH_LEN))
            return ledger_err_set(err, LEDGER_EVERIFY,
                                  "consistency proof: two different roots for size %llu",
                                  (unsigned long long)old_size);
        return 0;
    }
    /* the proof with the old root in front when the old tree is a complete
     * subtree of the new one (RFC 9162 §2.1.4.2 step 1) */
    const uint8_t *first;
    size_t i = 0;
    if (is_pow2(old_size)) {
        first = old_root;
    } else {
        if (n == 0)
            return ledger_err_set(err, LEDGER_EVERIFY, "consistency proof: empty");
        first = hashes[0];
        i = 1;
    }
    uint64_t fn = old_size - 1, sn = new_size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    ledger_tree_hash_t fr, sr;
    memcpy(fr, first, sizeof fr);
    memcpy(sr, first, sizeof sr);
    for (; i < n; i++) {
        if (sn == 0)
            return ledger_err_set(err, LEDGER_EVERIFY,
                                  "consistency proof: %zu hashes, more than %llu -> %llu needs", n,
                                  (unsigned long long)old_size, (unsigned long long)new_size);
        if ((fn & 1) || fn == sn) {
            ledger_tree_node_hash(hashes[i], fr, fr);
            ledger_tree_node_hash(hashes[i], sr, sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            ledger_tree_node_hash(sr, hashes[i], sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return ledger_err_set(err, LEDGER_EVERIFY,
                              "consistency proof: %zu hashes, fewer than %llu -> %llu needs", n,
                              (unsigned long long)old_size, (unsigned long long)new_size);
    if (sodium_memcmp(fr, old_root, LEDGER_TREE_HASH_LEN))
        return ledger_err_set(err, LEDGER_EVERIFY,
                              "consistency proof: does not lead to the old root (size %llu)",
                              (unsigned long long)old_size);
    if (sodium_memcmp(sr, new_root, LEDGER_TREE_HASH_LEN))
        return ledger_err_set(err, LEDGER_EVERIFY,
                              "consistency proof: does not lead to the new root (size %llu)",
                              (unsigned long long)new_size);
    return 0;
}
