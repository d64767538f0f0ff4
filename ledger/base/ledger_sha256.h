/* ledger_sha256.h -- SHA-256 (FIPS 180-4), the one hash function of every
 * keten format: payload and entry hashes, Merkle tree leaves and nodes,
 * EPCIS event hashes, note key IDs, index keys.
 *
 * Backed by OpenSSL's libcrypto, which uses the CPU's SHA extensions (or
 * AVX2) where there are any: on this project's machines three to four
 * times faster than libsodium's portable code on the 65- to 1,000-byte
 * messages keten hashes most (docs/performance.md, "SHA-256").  Each
 * thread keeps one digest context, made on its first call and freed when
 * the thread ends.  Should libcrypto fail (no memory, a provider that has
 * no SHA-256), the same digest comes from libsodium instead: the functions
 * here cannot fail.
 *
 * Thread-safe; no set-up call needed. */
#ifndef LEDGER_SHA256_H
#define LEDGER_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define LEDGER_SHA256_LEN 32

/* One piece of a message hashed in pieces. */
typedef struct ledger_sha256_part {
    const void *p;
    size_t n;
} ledger_sha256_part_t;

/* out = SHA-256(p[0..n)). p may be NULL when n is 0. */
void ledger_sha256(uint8_t out[LEDGER_SHA256_LEN], const void *p, size_t n);

/* out = SHA-256 of the concatenation of the nparts pieces. */
void ledger_sha256_parts(uint8_t out[LEDGER_SHA256_LEN], const ledger_sha256_part_t *parts,
                         size_t nparts);

/* The same digests from libsodium alone (the fallback; tests compare). */
void ledger_sha256_portable(uint8_t out[LEDGER_SHA256_LEN], const ledger_sha256_part_t *parts,
                            size_t nparts);

#endif
