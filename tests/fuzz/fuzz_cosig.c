/* fuzz_cosig.c -- libFuzzer target for a cosigned checkpoint as a partner
 * sends it: the bytes as a signed note walked line by line
 * (ledger_note_sigs), each line read as a keten witness name
 * (ledger_cosig_witness_feed) and checked as a cosignature of a fixed
 * witness key (ledger_cosig_check).  Must never crash or read out of
 * bounds.  A line that checks must really be that witness's: then its
 * timestamp re-signed over the same text gives the same bytes (the line's
 * base64 may be written otherwise: libsodium's decoder stops at a byte
 * that is not base64, so keten stores a cosignature from its bytes, never
 * the line as received). */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_cosig.h"
#include "ledger_note.h"

static uint8_t pk[32], sk[64];
static char name[LEDGER_NOTE_ORIGIN_LEN];

static void sign(void *ctx, const uint8_t *m, size_t n, uint8_t sig[64])
{
    (void)ctx;
    crypto_sign_detached(sig, NULL, m, n, sk);
}

static ledger_note_sig_t *pick;

static int keep(const ledger_note_sig_t *sig, void *ctx, ledger_err_t *err)
{
    (void)ctx;
    (void)err;
    *pick = *sig;
    return 0;
}

typedef struct walk {
    const char *note;
    size_t tl;
} walk_t;

static int each(const ledger_note_sig_t *sig, void *ctx, ledger_err_t *err)
{
    walk_t *w = ctx;
    uint8_t feed[32];
    uint64_t t;
    (void)ledger_cosig_witness_feed(sig, feed);
    if (ledger_cosig_check(w->note, w->tl, sig, name, pk, &t, err) == 0) {
        ledger_buf_t again = LEDGER_BUF_INIT;
        ledger_note_signer_t g = {.name = name, .sign = sign};
        memcpy(g.pk, pk, 32);
        ledger_note_sig_t re;
        size_t tl2;
        if (ledger_buf_append(&again, w->note, w->tl) || ledger_buf_append(&again, "\n", 1) ||
            ledger_cosig_line(w->note, w->tl, t, &g, &again, err) != 0)
            abort();
        pick = &re;
        if (ledger_note_sigs((char *)again.data, again.len, &tl2, keep, NULL, err) != 0 ||
            re.blob_len != sig->blob_len || memcmp(re.blob, sig->blob, re.blob_len) != 0)
            abort();
        ledger_buf_free(&again);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ledger_err_t err;
    size_t tl;
    if (!name[0]) {
        uint8_t seed[32];
        if (sodium_init() < 0)
            abort();
        memset(seed, 8, sizeof seed); /* the witness of docs/format.md */
        crypto_sign_seed_keypair(pk, sk, seed);
        ledger_note_feed_origin(pk, name);
    }
    /* a copy without a NUL, so that reading past the end is caught */
    char *s = malloc(size ? size : 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    if (ledger_note_sigs(s, size, &tl, NULL, NULL, &err) == 0) {
        walk_t w = {s, tl};
        if (tl > size)
            abort();
        ledger_note_sigs(s, size, &tl, each, &w, &err);
    }
    free(s);
    return 0;
}
