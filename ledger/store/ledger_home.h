/* ledger_home.h -- a keten home: the directory that holds one node's
 * identity, settings and store.
 *
 *   <home>/keten.json   {"keten": 1, "name": ..., "gln": ..., "id": <feed hex>}
 *   <home>/key          the secret key file (ledger_identity.h), mode 0600
 *   <home>/db/          the LMDB store (ledger_store.h)
 *
 * The secret key is read only when something must be signed
 * (ledger_home_identity), so reading commands never need a passphrase.
 */
#ifndef LEDGER_HOME_H
#define LEDGER_HOME_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_error.h"
#include "ledger_identity.h"
#include "ledger_store.h"

typedef struct ledger_home ledger_home_t;

/* Creates a new home at path with a fresh key pair (sealed with pass when
 * pass_len > 0). name is the partner's name (required), gln its GS1 Global
 * Location Number (13 digits, may be NULL). LEDGER_EEXIST when path exists
 * and is not an empty directory: nothing is overwritten. On failure nothing
 * is left behind. On success *out is the open home. */
int ledger_home_create(const char *path, const char *name, const char *gln, const char *pass,
                       size_t pass_len, ledger_home_t **out, ledger_err_t *err);

/* Opens an existing home (LEDGER_STORE_RDONLY in flags to only read,
 * LEDGER_STORE_RANDOM for look-ups in no particular order: ledger_store.h).
 * LEDGER_ENOHOME when path is not a keten home (says how to make one). */
int ledger_home_open(const char *path, unsigned flags, ledger_home_t **out, ledger_err_t *err);

const char *ledger_home_path(const ledger_home_t *h);
const char *ledger_home_name(const ledger_home_t *h);
const char *ledger_home_gln(const ledger_home_t *h); /* NULL when none */
const uint8_t *ledger_home_id(const ledger_home_t *h);
ledger_store_t *ledger_home_store(ledger_home_t *h);

/* 1 when the home's key is sealed with a passphrase, 0 when not, <0 error. */
int ledger_home_key_encrypted(ledger_home_t *h, ledger_err_t *err);

/* Loads the secret key (once; later calls return the same). The identity is
 * owned by the home. Errors as ledger_identity_load. */
int ledger_home_identity(ledger_home_t *h, const char *pass, size_t pass_len,
                         const ledger_identity_t **out, ledger_err_t *err);

void ledger_home_close(ledger_home_t *h);

#endif
