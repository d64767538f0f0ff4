/* ledger_identity.h -- a node's Ed25519 identity: its key pair, the secret
 * key file, and signing.
 *
 * The public key is the feed ID. The secret part (the 32-byte Ed25519 seed)
 * lives in sodium_malloc'd memory that is locked and wiped on free, and is
 * stored in a key file created with O_EXCL|O_NOFOLLOW and mode 0600, either
 * in the clear or sealed with a passphrase (Argon2id crypto_pwhash ->
 * XSalsa20-Poly1305 crypto_secretbox). Key file layout (docs/format.md):
 *
 *   "KETENKEY" | version 1 | kind 0 | seed(32)                           (42 bytes)
 *   "KETENKEY" | version 1 | kind 1 | salt(16) | opslimit(u64 BE) |
 *              memlimit(u64 BE) | nonce(24) | secretbox(seed)(48)         (114 bytes)
 */
#ifndef LEDGER_IDENTITY_H
#define LEDGER_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_error.h"

typedef struct ledger_identity ledger_identity_t;

/* A fresh random key pair. 0, LEDGER_ENOMEM or LEDGER_ECRYPTO (libsodium
 * could not initialise). Free with ledger_identity_free. */
int ledger_identity_generate(ledger_identity_t **out, ledger_err_t *err);

/* The key pair of a given 32-byte seed (for test vectors). */
int ledger_identity_from_seed(const uint8_t seed[32], ledger_identity_t **out, ledger_err_t *err);

/* Writes the secret key file at path: created new (O_EXCL|O_NOFOLLOW), mode
 * 0600, fsync'd. With a passphrase (pass, pass_len > 0) the seed is sealed.
 * LEDGER_EEXIST when path exists (nothing is overwritten), LEDGER_EIO,
 * LEDGER_ECRYPTO. On failure no file is left behind. */
int ledger_identity_save(const ledger_identity_t *id, const char *path, const char *pass,
                         size_t pass_len, ledger_err_t *err);

/* Reads the secret key file at path. An encrypted file needs the passphrase:
 * without it LEDGER_ECRYPTO ("encrypted: give --passphrase-file"), with a
 * wrong one LEDGER_ECRYPTO. LEDGER_ENOTFOUND when there is no file,
 * LEDGER_EINPUT when it is not a keten key file. */
int ledger_identity_load(const char *path, const char *pass, size_t pass_len,
                         ledger_identity_t **out, ledger_err_t *err);

/* 1 when the key file at path is sealed with a passphrase, 0 when not,
 * negative on error. */
int ledger_identity_file_encrypted(const char *path, ledger_err_t *err);

/* The 32-byte public key (the feed ID); valid until ledger_identity_free. */
const uint8_t *ledger_identity_public(const ledger_identity_t *id);

/* Signs m[0..n) (Ed25519, detached). Thread-safe: many threads may sign
 * with one identity at once. */
void ledger_identity_sign(const ledger_identity_t *id, const uint8_t *m, size_t n, uint8_t sig[64]);

/* Wipes and frees. NULL is fine. */
void ledger_identity_free(ledger_identity_t *id);

#endif
