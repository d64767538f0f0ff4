/* ledger_sha256.c -- SHA-256 through libcrypto's EVP interface with one
 * context per thread (see ledger_sha256.h).
 *
 * Why a context per thread: EVP_Digest() and SHA256() fetch the algorithm
 * and make a context on every call, which costs as much as hashing a
 * 65-byte Merkle node itself; EVP_DigestInit_ex on a kept context with a
 * kept EVP_MD does not.  The EVP_MD is fetched once (pthread_once).  The
 * context lives in a _Thread_local pointer for the fast path and is also
 * registered under a pthread key whose destructor frees it when the thread
 * exits.  Any libcrypto failure falls back to libsodium for that call. */
#include "ledger_sha256.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static EVP_MD *md;        /* NULL: libcrypto has no SHA-256 for us */
static pthread_key_t key; /* its destructor frees a thread's context */
static int key_ok;
static _Thread_local EVP_MD_CTX *tctx;
static _Thread_local int tfailed; /* this thread could not make a context */

static void free_ctx(void *p)
{
    EVP_MD_CTX_free(p);
}

static void init(void)
{
    key_ok = pthread_key_create(&key, free_ctx) == 0;
    if (key_ok)
        md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static EVP_MD_CTX *thread_ctx(void)
{
    if (tctx || tfailed)
        return tctx;
    pthread_once(&once, init);
    if (!md || !(tctx = EVP_MD_CTX_new())) {
        tfailed = 1;
        return NULL;
    }
    if (pthread_setspecific(key, tctx) != 0) {
        EVP_MD_CTX_free(tctx);
        tctx = NULL;
        tfailed = 1;
    }
    return tctx;
}

void ledger_sha256_portable(uint8_t out[LEDGER_SHA256_LEN], const ledger_sha256_part_t *parts,
                            size_t nparts)
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (size_t i = 0; i < nparts; i++)
        if (parts[i].n)
            crypto_hash_sha256_update(&st, parts[i].p, parts[i].n);
    crypto_hash_sha256_final(&st, out);
}

void ledger_sha256_parts(uint8_t out[LEDGER_SHA256_LEN], const ledger_sha256_part_t *parts,
                         size_t nparts)
{
    EVP_MD_CTX *c = thread_ctx();
    unsigned int len = 0;
    size_t i;
    if (!c || EVP_DigestInit_ex(c, md, NULL) != 1)
        goto portable;
    for (i = 0; i < nparts; i++)
        if (parts[i].n && EVP_DigestUpdate(c, parts[i].p, parts[i].n) != 1)
            goto portable;
    if (EVP_DigestFinal_ex(c, out, &len) == 1 && len == LEDGER_SHA256_LEN)
        return;
portable:
    ledger_sha256_portable(out, parts, nparts);
}

void ledger_sha256(uint8_t out[LEDGER_SHA256_LEN], const void *p, size_t n)
{
    ledger_sha256_part_t part = {p, n};
    ledger_sha256_parts(out, &part, 1);
}
