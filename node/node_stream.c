/* node_stream.c -- encrypted frames over crypto_secretstream_xchacha20poly1305
 * (see node_stream.h; docs/protocol.md gives the byte layout).
 *
 * Sending: node_tx_new() starts a push stream and appends its 24-byte
 * header; node_tx_frame() appends [u32 BE L][secretstream ciphertext], L =
 * message length + 17 (1 encrypted tag byte, 16 bytes of Poly1305 MAC).
 *
 * Receiving is a three-state machine: HEADER (collect 24 bytes, start the
 * pull stream), LENGTH (collect 4 bytes, check L against the limit before
 * anything is buffered: a peer cannot make us allocate more than
 * NODE_FRAME_MAX + 17 bytes), BODY (collect L bytes, decrypt).  When the
 * whole ciphertext of a frame is already in the caller's input it is
 * decrypted from there straight into our buffer; otherwise the pieces are
 * collected in our buffer and decrypted in place (the plaintext lands one
 * byte after the start of the ciphertext, exactly over the ciphertext
 * bytes, which libsodium checks before it decrypts them).  A frame that
 * does not authenticate, a tag other than MESSAGE or FINAL, or any byte after
 * the FINAL frame kills the stream: every later call fails.
 */
#include "node_stream.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define HEADERBYTES crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define TAG_MESSAGE crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_FINAL crypto_secretstream_xchacha20poly1305_TAG_FINAL
#define WIRE_MAX ((size_t)NODE_FRAME_MAX + ABYTES)

struct node_tx {
    crypto_secretstream_xchacha20poly1305_state st;
    int final;
};

enum rx_state { RX_HEADER, RX_LENGTH, RX_BODY, RX_FINAL, RX_DEAD };

/* The part with key material lives in sodium_malloc'd memory. */
typedef struct rx_secret {
    crypto_secretstream_xchacha20poly1305_state st;
    uint8_t key[NODE_STREAM_KEY_LEN]; /* until the header arrives */
} rx_secret_t;

struct node_rx {
    rx_secret_t *sec;
    enum rx_state state;
    uint8_t hdr[HEADERBYTES];
    uint8_t lenb[4];
    size_t have;   /* bytes of the current header / length / body collected */
    uint32_t flen; /* L of the current frame */
    uint8_t *buf;  /* ciphertext being collected, then the plaintext at buf + 1 */
    size_t cap;
};

int node_tx_new(const uint8_t key[NODE_STREAM_KEY_LEN], ledger_buf_t *out, node_tx_t **tx,
                ledger_err_t *err)
{
    node_tx_t *t;
    uint8_t hdr[HEADERBYTES];

    if (!tx || !key || !out)
        return ledger_err_set(err, LEDGER_EINVAL, "stream: bad arguments");
    *tx = NULL;
    if (sodium_init() < 0)
        return ledger_err_set(err, LEDGER_ECRYPTO, "libsodium could not initialise");
    if (!(t = sodium_malloc(sizeof *t)))
        return ledger_err_set(err, LEDGER_ENOMEM, "stream: out of memory");
    t->final = 0;
    crypto_secretstream_xchacha20poly1305_init_push(&t->st, hdr, key);
    if (ledger_buf_append(out, hdr, sizeof hdr)) {
        sodium_free(t);
        return ledger_err_set(err, LEDGER_ENOMEM, "stream: out of memory");
    }
    *tx = t;
    return 0;
}

int node_tx_frame(node_tx_t *tx, const uint8_t *msg, size_t len, int final, ledger_buf_t *out,
                  ledger_err_t *err)
{
    static const uint8_t empty[1];
    unsigned long long clen;
    uint8_t *p;
    size_t l;

    if (!tx || !out || (len && !msg))
        return ledger_err_set(err, LEDGER_EINVAL, "stream: bad arguments");
    if (tx->final)
        return ledger_err_set(err, LEDGER_EINVAL, "stream: the final frame was already sent");
    if (len > NODE_FRAME_MAX)
        return ledger_err_set(err, LEDGER_ETOOBIG,
                              "stream: a message of %zu bytes is over the frame limit of %d bytes",
                              len, NODE_FRAME_MAX);
    l = len + ABYTES;
    if (ledger_buf_reserve(out, 4 + l))
        return ledger_err_set(err, LEDGER_ENOMEM, "stream: out of memory");
    p = out->data + out->len;
    p[0] = (uint8_t)(l >> 24);
    p[1] = (uint8_t)(l >> 16);
    p[2] = (uint8_t)(l >> 8);
    p[3] = (uint8_t)l;
    if (crypto_secretstream_xchacha20poly1305_push(&tx->st, p + 4, &clen, len ? msg : empty, len,
                                                   NULL, 0, final ? TAG_FINAL : TAG_MESSAGE) != 0 ||
        clen != l)
        return ledger_err_set(err, LEDGER_ECRYPTO, "stream: encryption failed");
    out->len += 4 + l;
    if (final)
        tx->final = 1;
    return 0;
}

void node_tx_free(node_tx_t *tx)
{
    if (tx)
        sodium_free(tx);
}

int node_rx_new(const uint8_t key[NODE_STREAM_KEY_LEN], node_rx_t **rx, ledger_err_t *err)
{
    node_rx_t *r;

    if (!rx || !key)
        return ledger_err_set(err, LEDGER_EINVAL, "stream: bad arguments");
    *rx = NULL;
    if (sodium_init() < 0)
        return ledger_err_set(err, LEDGER_ECRYPTO, "libsodium could not initialise");
    if (!(r = calloc(1, sizeof *r)))
        return ledger_err_set(err, LEDGER_ENOMEM, "stream: out of memory");
    if (!(r->sec = sodium_malloc(sizeof *r->sec))) {
        free(r);
        return ledger_err_set(err, LEDGER_ENOMEM, "stream: out of memory");
    }
    memcpy(r->sec->key, key, NODE_STREAM_KEY_LEN);
    r->state = RX_HEADER;
    *rx = r;
    return 0;
}

static int rx_die(node_rx_t *rx, ledger_err_t *err, int code, const char *what)
{
    rx->state = RX_DEAD;
    sodium_memzero(rx->sec, sizeof *rx->sec);
    return ledger_err_set(err, code, "stream: %s", what);
}

/* Decrypts the frame whose L ciphertext bytes are at c (our buffer or the
 * caller's input) into rx->buf + 1. */
static int rx_open(node_rx_t *rx, const uint8_t *c, const uint8_t **msg, size_t *mlen, int *final,
                   ledger_err_t *err)
{
    unsigned long long ml;
    unsigned char tag;

    if (crypto_secretstream_xchacha20poly1305_pull(&rx->sec->st, rx->buf + 1, &ml, &tag, c,
                                                   rx->flen, NULL, 0) != 0)
        return rx_die(rx, err, LEDGER_EVERIFY,
                      "a frame does not decrypt (tampered, truncated, reordered or replayed)");
    if (tag != TAG_MESSAGE && tag != TAG_FINAL)
        return rx_die(rx, err, LEDGER_EVERIFY, "a frame has an unexpected secretstream tag");
    *msg = rx->buf + 1;
    *mlen = (size_t)ml;
    if (tag == TAG_FINAL) {
        *final = 1;
        rx->state = RX_FINAL;
        sodium_memzero(rx->sec, sizeof *rx->sec);
    } else {
        rx->state = RX_LENGTH;
    }
    rx->have = 0;
    return 1;
}

int node_rx_feed(node_rx_t *rx, const uint8_t *in, size_t len, size_t *used, const uint8_t **msg,
                 size_t *mlen, int *final, ledger_err_t *err)
{
    size_t pos = 0, take;
    char what[160];

    if (used)
        *used = 0;
    if (msg)
        *msg = NULL;
    if (mlen)
        *mlen = 0;
    if (final)
        *final = 0;
    if (!rx || !used || !msg || !mlen || !final || (len && !in))
        return ledger_err_set(err, LEDGER_EINVAL, "stream: bad arguments");
    if (rx->state == RX_DEAD)
        return ledger_err_set(err, LEDGER_EVERIFY, "stream: already failed");
    for (;;) {
        switch (rx->state) {
        case RX_HEADER:
            take = HEADERBYTES - rx->have;
            if (take > len - pos)
                take = len - pos;
            if (take)
                memcpy(rx->hdr + rx->have, in + pos, take);
            rx->have += take;
            pos += take;
            *used = pos;
            if (rx->have < HEADERBYTES)
                return 0;
            if (crypto_secretstream_xchacha20poly1305_init_pull(&rx->sec->st, rx->hdr,
                                                                rx->sec->key) != 0)
                return rx_die(rx, err, LEDGER_EVERIFY, "bad stream header");
            sodium_memzero(rx->sec->key, sizeof rx->sec->key);
            rx->state = RX_LENGTH;
            rx->have = 0;
            break;
        case RX_LENGTH:
            take = 4 - rx->have;
            if (take > len - pos)
                take = len - pos;
            if (take)
                memcpy(rx->lenb + rx->have, in + pos, take);
            rx->have += take;
            pos += take;
            *used = pos;
            if (rx->have < 4)
                return 0;
            rx->flen = (uint32_t)rx->lenb[0] << 24 | (uint32_t)rx->lenb[1] << 16 |
                       (uint32_t)rx->lenb[2] << 8 | rx->lenb[3];
            if (rx->flen > WIRE_MAX) {
                snprintf(what, sizeof what,
                         "frame length %lu is over the limit of %lu (a %d-byte message)",
                         (unsigned long)rx->flen, (unsigned long)WIRE_MAX, NODE_FRAME_MAX);
                return rx_die(rx, err, LEDGER_ETOOBIG, what);
            }
            if (rx->flen < ABYTES) {
                snprintf(what, sizeof what, "frame length %lu is shorter than the %d-byte tag",
                         (unsigned long)rx->flen, (int)ABYTES);
                return rx_die(rx, err, LEDGER_EVERIFY, what);
            }
            if (rx->cap < rx->flen) {
                uint8_t *nb = realloc(rx->buf, rx->flen);
                if (!nb)
                    return rx_die(rx, err, LEDGER_ENOMEM, "out of memory");
                rx->buf = nb;
                rx->cap = rx->flen;
            }
            rx->state = RX_BODY;
            rx->have = 0;
            break;
        case RX_BODY:
            if (rx->have == 0 && len - pos >= rx->flen) {
                /* the whole frame is in the input: no copy */
                pos += rx->flen;
                *used = pos;
                return rx_open(rx, in + pos - rx->flen, msg, mlen, final, err);
            }
            take = rx->flen - rx->have;
            if (take > len - pos)
                take = len - pos;
            if (take)
                memcpy(rx->buf + rx->have, in + pos, take);
            rx->have += take;
            pos += take;
            *used = pos;
            if (rx->have < rx->flen)
                return 0;
            return rx_open(rx, rx->buf, msg, mlen, final, err); /* in place */
        case RX_FINAL:
            if (pos < len)
                return rx_die(rx, err, LEDGER_EVERIFY, "data after the final frame");
            return 0;
        default:
            return ledger_err_set(err, LEDGER_EVERIFY, "stream: already failed");
        }
    }
}

void node_rx_free(node_rx_t *rx)
{
    if (!rx)
        return;
    sodium_free(rx->sec);
    free(rx->buf);
    free(rx);
}
