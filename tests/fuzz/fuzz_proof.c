/* fuzz_proof.c -- libFuzzer target for the proofs a bundle or a partner
 * brings (ledger_tree_verify_inclusion, ledger_tree_verify_consistency):
 * the first 16 bytes are an index or old size and a tree size (any 64-bit
 * values: past the size, zero, 2^64 - 1), the next 64 a leaf or old root
 * and a root, the rest up to LEDGER_TREE_MAX_PROOF hashes.  Must never
 * crash, read past the hashes or loop without end; an empty proof may only
 * pass where it proves nothing (a one-leaf tree whose root is the leaf,
 * equal sizes with equal roots, old size 0). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_tree.h"

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ledger_err_t err;
    if (size < 80)
        return 0;
    uint64_t a = be64(data), b = be64(data + 8);
    ledger_tree_hash_t x, y;
    memcpy(x, data + 16, 32);
    memcpy(y, data + 48, 32);
    size_t n = (size - 80) / 32;
    if (n > LEDGER_TREE_MAX_PROOF)
        n = LEDGER_TREE_MAX_PROOF;
    ledger_tree_hash_t *h = malloc(n ? n * 32 : 1);
    if (!h)
        return 0;
    memcpy(h, data + 80, n * 32);
    if (ledger_tree_verify_inclusion(x, a, b, (const ledger_tree_hash_t *)h, n, y, &err) == 0 &&
        n == 0 && !(a == 0 && b == 1 && memcmp(x, y, 32) == 0))
        abort(); /* an empty proof passed for more than a one-leaf tree */
    if (ledger_tree_verify_consistency(a, b, x, y, (const ledger_tree_hash_t *)h, n, &err) == 0 &&
        n == 0 && !(a == 0 || (a == b && memcmp(x, y, 32) == 0)))
        abort(); /* an empty proof passed between two different trees */
    free(h);
    return 0;
}
