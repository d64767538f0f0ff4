/* ledger_cosig.c -- C2SP tlog-cosignature v1 with Ed25519 (see
 * ledger_cosig.h).
 *
 * How it works.  A cosignature line is a signature line of a signed note
 * (ledger_note.c parses the note and hands on each line); what is its own
 * here is the key ID's type byte (0x04), the signed message (a header
 * line, a timestamp line, then the checkpoint text) and the signature
 * bytes, which carry the timestamp (8 bytes, big-endian) before the
 * Ed25519 signature.  base64 is the standard padded alphabet, as in notes.
 */
#include "ledger_cosig.h"
#include "ledger_sha256.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define DASH "\xe2\x80\x94 " /* U+2014 EM DASH, then a space */
#define HEADER "cosignature/v1\n"

void ledger_cosig_key_id(const char *name, size_t name_len, const uint8_t pk[32], uint8_t id[4])
{
    ledger_note_key_id_typed(name, name_len, LEDGER_COSIG_TYPE, pk, id);
}

int ledger_cosig_vkey(const char *name, const uint8_t pk[32], char *out, size_t cap,
                      ledger_err_t *err)
{
    return ledger_note_vkey_typed(name, LEDGER_COSIG_TYPE, "witness", pk, out, cap, err);
}

int ledger_cosig_message(const char *text, size_t n, uint64_t t, ledger_buf_t *out,
                         ledger_err_t *err)
{
    char line[40];
    int rc;
    if (t >> 63)
        return ledger_err_set(err, LEDGER_EINPUT, "cosignature: time %" PRIu64 " is 2^63 or more",
                              t);
    int w = snprintf(line, sizeof line, "time %" PRIu64 "\n", t);
    if ((rc = ledger_buf_append(out, HEADER, sizeof HEADER - 1)) ||
        (rc = ledger_buf_append(out, line, (size_t)w)) || (rc = ledger_buf_append(out, text, n)))
        return ledger_err_set(err, rc, "cosignature: out of memory");
    return 0;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

int ledger_cosig_line(const char *text, size_t n, uint64_t t, const ledger_note_signer_t *w,
                      ledger_buf_t *out, ledger_err_t *err)
{
    ledger_checkpoint_t cp;
    ledger_buf_t msg = LEDGER_BUF_INIT;
    uint8_t blob[LEDGER_COSIG_BLOB_LEN];
    char b64[sizeof blob * 4 / 3 + 8];
    size_t nl = strlen(w->name);
    int rc;
    if ((rc = ledger_checkpoint_parse(text, n, &cp, err)))
        return rc;
    if (!ledger_note_name_ok(w->name, nl))
        return ledger_err_set(err, LEDGER_EINPUT, "witness name \"%s\": not a note name",
                              w->name);
    if ((rc = ledger_cosig_message(text, n, t, &msg, err)))
        goto done;
    ledger_cosig_key_id(w->name, nl, w->pk, blob);
    put_be64(blob + 4, t);
    w->sign(w->ctx, msg.data, msg.len, blob + 12);
    sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
    if ((rc = ledger_buf_append(out, DASH, sizeof DASH - 1)) ||
        (rc = ledger_buf_append(out, w->name, nl)) || (rc = ledger_buf_append(out, " ", 1)) ||
        (rc = ledger_buf_append(out, b64, strlen(b64))) || (rc = ledger_buf_append(out, "\n", 1)))
        rc = ledger_err_set(err, rc, "cosignature: out of memory");
done:
    ledger_buf_free(&msg);
    return rc;
}

int ledger_cosig_check(const char *text, size_t n, const ledger_note_sig_t *sig, const char *name,
                       const uint8_t pk[32], uint64_t *t, ledger_err_t *err)
{
    size_t nl = strlen(name);
    uint8_t want[4];
    ledger_buf_t msg = LEDGER_BUF_INIT;
    int rc;
    ledger_cosig_key_id(name, nl, pk, want);
    if (sig->name_len != nl || memcmp(sig->name, name, nl) != 0 || sig->blob_len < 4 ||
        memcmp(sig->blob, want, 4) != 0)
        return ledger_err_set(err, LEDGER_ENOTFOUND, "not a cosignature of witness %s", name);
    if (sig->blob_len != LEDGER_COSIG_BLOB_LEN)
        return ledger_err_set(err, LEDGER_EINPUT,
                              "cosignature of %s: %zu bytes, not the %d of a key ID, a time and "
                              "an Ed25519 signature",
                              name, sig->blob_len, LEDGER_COSIG_BLOB_LEN);
    uint64_t ts = get_be64(sig->blob + 4);
    if ((rc = ledger_cosig_message(text, n, ts, &msg, err)))
        goto done;
    if (crypto_sign_verify_detached(sig->blob + 12, msg.data, msg.len, pk) != 0) {
        rc = ledger_err_set(err, LEDGER_EVERIFY,
                            "cosignature of %s (time %" PRIu64 "): the signature does not check",
                            name, ts);
        goto done;
    }
    *t = ts;
done:
    ledger_buf_free(&msg);
    return rc;
}

int ledger_cosig_witness_feed(const ledger_note_sig_t *sig, uint8_t feed[32])
{
    if (sig->name_len != 6 + 64 || memcmp(sig->name, "keten/", 6) != 0)
        return 0;
    for (size_t i = 6; i < sig->name_len; i++) {
        char c = sig->name[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return sodium_hex2bin(feed, 32, sig->name + 6, 64, NULL, NULL, NULL) == 0;
}
