/* fuzz_node_frame.c -- libFuzzer target for the frame decoder
 * (node_stream.h) and the message decoder (node_msg.h).
 *
 * data[0] picks the mode, data[1] the piece size (1..256 bytes per call):
 *   0  node_rx_feed on arbitrary bytes with a fixed key (header, lengths,
 *      frames); whatever decrypts goes to node_msg_decode;
 *   1  node_msg_decode on arbitrary bytes, then the walkers; a message that
 *      decodes must re-encode, with the encoders, to exactly its bytes (one
 *      message, one encoding);
 *   2  the rest of the input cut into messages (a length byte before each),
 *      encrypted with node_tx and received with node_rx in pieces: every
 *      message must come back unchanged and is then decoded as in mode 1;
 *      when data[2] is odd, the byte at data[3..4] of the stream is flipped
 *      and the receiver must then fail or return the true messages only.
 * Any crash, leak or abort is a finding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node_msg.h"
#include "node_stream.h"

static const uint8_t KEY[32] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6,
                                7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2};

static void same(const ledger_buf_t *b, const uint8_t *p, size_t n)
{
    if (b->len != n || memcmp(b->data, p, n) != 0)
        abort();
}

/* Decodes p[0..n); when it decodes, walks it and re-encodes it. */
static void decode_check(const uint8_t *p, size_t n)
{
    node_msg_t m;
    ledger_buf_t b = LEDGER_BUF_INIT;
    char text[256];
    size_t off = 0, start, len;
    const uint8_t *e, *f;
    const char *nm;

    if (node_msg_decode(p, n, &m, NULL) != 0)
        return;
    switch (m.type) {
    case NODE_MSG_HELLO:
    case NODE_MSG_BYE:
        memcpy(text, m.text, m.text_len);
        text[m.text_len] = '\0';
        if (strlen(text) != m.text_len)
            abort(); /* a NUL got through */
        if (m.type == NODE_MSG_BYE ? node_msg_bye(&b, text, NULL) : node_msg_hello(&b, text, NULL))
            abort();
        if (m.type == NODE_MSG_BYE || m.version == NODE_PROTO_VERSION)
            same(&b, p, n);
        break;
    case NODE_MSG_PING:
    case NODE_MSG_PONG:
        if (node_msg_ping(&b, m.type == NODE_MSG_PONG, m.nonce, NULL))
            abort();
        same(&b, p, n);
        break;
    case NODE_MSG_WANT:
        if (node_msg_want(&b, m.feed, m.from, m.to, NULL))
            abort();
        same(&b, p, n);
        break;
    case NODE_MSG_HEADS: {
        node_head_t *h = malloc((m.n ? m.n : 1) * sizeof *h);
        if (!h)
            abort();
        for (uint32_t i = 0; i < m.n; i++)
            node_msg_head(&m, i, &h[i]);
        if (node_msg_heads(&b, h, m.n, NULL))
            abort();
        same(&b, p, n);
        free(h);
        break;
    }
    case NODE_MSG_NAMES: {
        uint8_t(*feeds)[32] = malloc((m.n ? m.n : 1) * sizeof *feeds);
        char **names = calloc(m.n ? m.n : 1, sizeof *names);
        uint32_t k = 0;
        if (!feeds || !names)
            abort();
        while (node_msg_name_next(&m, &off, &f, &nm, &len)) {
            if (k >= m.n || !(names[k] = malloc(len + 1)))
                abort();
            memcpy(feeds[k], f, 32);
            memcpy(names[k], nm, len);
            names[k][len] = '\0';
            k++;
        }
        if (k != m.n ||
            node_msg_names(&b, (const uint8_t(*)[32])feeds, (const char *const *)names, k, NULL))
            abort();
        same(&b, p, n);
        for (uint32_t i = 0; i < k; i++)
            free(names[i]);
        free(names);
        free(feeds);
        break;
    }
    case NODE_MSG_ENTRIES: {
        uint32_t k = 0;
        if (node_msg_entries_begin(&b, m.feed, m.from, &start, NULL))
            abort();
        while (node_msg_entry_next(&m, &off, &e, &len)) {
            if (len == 0 || node_msg_entries_add(&b, start, e, len, NULL))
                abort();
            k++;
        }
        if (k != m.n)
            abort();
        same(&b, p, n);
        break;
    }
    case NODE_MSG_CHECKPOINT:
        if (m.body_len == 0 || m.body_len > NODE_CHECKPOINT_MAX ||
            node_msg_checkpoint(&b, m.feed, m.body, m.body_len, NULL))
            abort();
        same(&b, p, n);
        break;
    default:
        abort(); /* decode accepted an unknown type */
    }
    ledger_buf_free(&b);
}

static void rx_raw(const uint8_t *p, size_t n, size_t piece)
{
    node_rx_t *rx;
    size_t pos = 0, used, mlen, k;
    const uint8_t *msg;
    int final, rc;
    if (node_rx_new(KEY, &rx, NULL))
        abort();
    while (pos < n) {
        k = n - pos < piece ? n - pos : piece;
        rc = node_rx_feed(rx, p + pos, k, &used, &msg, &mlen, &final, NULL);
        if (rc < 0)
            break;
        if (used > k || (rc == 0 && used != k))
            abort();
        if (rc == 1)
            decode_check(msg, mlen);
        pos += used;
    }
    node_rx_free(rx);
}

static void round_trip(const uint8_t *data, size_t size, size_t piece)
{
    ledger_buf_t s = LEDGER_BUF_INIT;
    node_tx_t *tx;
    node_rx_t *rx;
    const uint8_t *p = data + 5, *msg;
    size_t n = size - 5, pos = 0, used, mlen, k, got = 0;
    size_t offs[256], lens[256], count = 0;
    int final, rc = 0, flip = data[2] & 1;

    if (node_tx_new(KEY, &s, &tx, NULL))
        abort();
    while (pos < n && count < 256) {
        size_t l = p[pos++];
        if (l > n - pos)
            l = n - pos;
        offs[count] = pos;
        lens[count] = l;
        if (node_tx_frame(tx, p + pos, l, pos + l == n, &s, NULL))
            abort();
        count++;
        pos += l;
    }
    node_tx_free(tx);
    if (flip)
        s.data[((size_t)data[3] << 8 | data[4]) % s.len] ^= 0x20;
    if (node_rx_new(KEY, &rx, NULL))
        abort();
    pos = 0;
    while (pos < s.len) {
        k = s.len - pos < piece ? s.len - pos : piece;
        rc = node_rx_feed(rx, s.data + pos, k, &used, &msg, &mlen, &final, NULL);
        if (rc < 0)
            break;
        pos += used;
        if (rc == 1) {
            if (got >= count || mlen != lens[got] || memcmp(msg, p + offs[got], mlen) != 0)
                abort(); /* a message that differs from what was sent */
            decode_check(msg, mlen);
            got++;
        }
    }
    /* untouched: everything arrives; flipped: it fails, or the flip made a
     * length longer and the receiver is still waiting for its bytes */
    if (!flip && (rc < 0 || got != count))
        abort();
    if (flip && got == count && count > 0)
        abort();
    node_rx_free(rx);
    ledger_buf_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t piece;
    if (size < 2)
        return 0;
    piece = (size_t)data[1] + 1;
    switch (data[0] % 3) {
    case 0:
        rx_raw(data + 2, size - 2, piece);
        break;
    case 1:
        decode_check(data + 2, size - 2);
        break;
    default:
        if (size >= 5)
            round_trip(data, size, piece);
        break;
    }
    return 0;
}
