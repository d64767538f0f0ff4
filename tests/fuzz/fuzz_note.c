/* fuzz_note.c -- libFuzzer target for what a partner or a buyer sends as a
 * checkpoint: bytes as a signed note (ledger_note_open with a fixed key and
 * its name), the signed text as a checkpoint (ledger_checkpoint_parse), and
 * the bytes as a verifier key (ledger_note_vkey_parse).  Must never crash or
 * read out of bounds.  A note that opens must really be signed by the key:
 * the fuzzer cannot forge one, so success means it is a seed's note, and
 * then re-signing its text must give the same note (Ed25519 is
 * deterministic). */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_note.h"

static uint8_t pk[32], sk[64];
static char origin[LEDGER_NOTE_ORIGIN_LEN];

static void sign(void *ctx, const uint8_t *m, size_t n, uint8_t sig[64])
{
    (void)ctx;
    crypto_sign_detached(sig, NULL, m, n, sk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ledger_err_t err;
    size_t tl, nl;
    uint8_t k[32];
    ledger_checkpoint_t cp;
    if (!origin[0]) {
        uint8_t seed[32];
        if (sodium_init() < 0)
            abort();
        memset(seed, 7, sizeof seed); /* the key of tests/tools/tlog_vectors */
        crypto_sign_seed_keypair(pk, sk, seed);
        ledger_note_feed_origin(pk, origin);
    }
    /* a copy without a NUL, so that reading past the end is caught */
    char *s = malloc(size ? size : 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    if (ledger_note_open(s, size, origin, pk, &tl, &err) == 0) {
        if (tl > size)
            abort();
        ledger_buf_t again = LEDGER_BUF_INIT;
        ledger_note_signer_t g = {.name = origin, .sign = sign};
        memcpy(g.pk, pk, 32);
        if (ledger_note_sign(s, tl, &g, 1, &again, &err) != 0 || again.len < tl ||
            memcmp(again.data, s, tl) != 0)
            abort();
        ledger_buf_free(&again);
        ledger_checkpoint_parse(s, tl, &cp, &err);
    }
    ledger_checkpoint_parse(s, size, &cp, &err);
    ledger_note_vkey_parse(s, size, &nl, k, &err);
    free(s);
    return 0;
}
