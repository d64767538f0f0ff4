/* test_node_stream.c -- the encrypted frames (node_stream.h): messages of
 * every size from 0 to NODE_FRAME_MAX come back unchanged whether the bytes
 * arrive all at once, one at a time or in odd pieces; a flipped bit
 * anywhere, a wrong key, a reordered, replayed or dropped frame fail; a
 * length over the limit fails as soon as its 4 bytes are in; nothing is
 * accepted after the final frame or after a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "node_stream.h"

#define HDR 24
#define AB 17

static const uint8_t KEY[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

/* Deterministic message content: message i, byte j. */
static uint8_t content(size_t i, size_t j)
{
    return (uint8_t)(i * 131 + j * 7 + (j >> 8));
}

static uint8_t *make_msg(size_t i, size_t len)
{
    uint8_t *m = malloc(len ? len : 1);
    assert_non_null(m);
    for (size_t j = 0; j < len; j++)
        m[j] = content(i, j);
    return m;
}

/* Encrypts n messages of the given sizes into one buffer (the last one
 * final when `final`). */
static void make_stream(const size_t *sizes, size_t n, int final, ledger_buf_t *out)
{
    node_tx_t *tx;
    ledger_err_t err;
    assert_int_equal(node_tx_new(KEY, out, &tx, &err), 0);
    assert_int_equal(out->len, HDR);
    for (size_t i = 0; i < n; i++) {
        uint8_t *m = make_msg(i, sizes[i]);
        size_t before = out->len;
        assert_int_equal(node_tx_frame(tx, m, sizes[i], final && i == n - 1, out, &err), 0);
        assert_int_equal(out->len - before, 4 + sizes[i] + AB);
        free(m);
    }
    node_tx_free(tx);
}

typedef struct got {
    size_t count; /* messages received that matched */
    int final;
    int rc; /* first error, or 0 */
    ledger_err_t err;
} got_t;

/* Feeds buf to a fresh receiver in pieces of `chunk` bytes (0: all at once;
 * SIZE_MAX: pseudo-random piece sizes) and checks each message against
 * the expected sizes and contents. */
static void receive(const uint8_t *buf, size_t len, size_t chunk, const size_t *sizes, size_t n,
                    got_t *g)
{
    node_rx_t *rx;
    size_t pos = 0, used, mlen, piece;
    const uint8_t *msg;
    int final, rc;
    uint32_t rnd = 12345;

    memset(g, 0, sizeof *g);
    assert_int_equal(node_rx_new(KEY, &rx, &g->err), 0);
    while (pos < len) {
        if (chunk == 0)
            piece = len - pos;
        else if (chunk == SIZE_MAX)
            piece = (rnd = rnd * 1103515245 + 12345) >> 16 & 0x3fff;
        else
            piece = chunk;
        if (piece > len - pos)
            piece = len - pos;
        size_t end = pos + piece;
        do {
            rc = node_rx_feed(rx, buf + pos, end - pos, &used, &msg, &mlen, &final, &g->err);
            if (rc < 0) {
                g->rc = rc;
                node_rx_free(rx);
                return;
            }
            pos += used;
            if (rc == 1) {
                if (g->count >= n)
                    fail_msg("more messages than were sent");
                assert_int_equal(mlen, sizes[g->count]);
                for (size_t j = 0; j < mlen; j++)
                    if (msg[j] != content(g->count, j))
                        fail_msg("message %zu differs at byte %zu", g->count, j);
                g->count++;
                g->final = final;
            } else {
                assert_int_equal(pos, end); /* 0 means it took everything */
            }
        } while (pos < end);
    }
    node_rx_free(rx);
}

static void test_round_trip(void **state)
{
    size_t sizes[300], n = 0;
    ledger_buf_t s = LEDGER_BUF_INIT;
    got_t g;
    (void)state;
    sizes[n++] = 0;
    sizes[n++] = NODE_FRAME_MAX;
    sizes[n++] = 1;
    sizes[n++] = 0;
    sizes[n++] = 16;
    sizes[n++] = 17;
    sizes[n++] = 65536;
    sizes[n++] = NODE_FRAME_MAX - 1;
    while (n < 300)
        sizes[n] = (n * 977) % 3000, n++;
    make_stream(sizes, n, 1, &s);
    const size_t chunks[] = {0, SIZE_MAX, 1, 4, 24, 4096, 65536};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        receive(s.data, s.len, chunks[c], sizes, n, &g);
        if (g.rc)
            fail_msg("chunk %zu: %s", chunks[c], g.err.msg);
        assert_int_equal(g.count, n);
        assert_int_equal(g.final, 1);
    }
    ledger_buf_free(&s);
}

static void test_too_big(void **state)
{
    node_tx_t *tx;
    node_rx_t *rx;
    ledger_buf_t s = LEDGER_BUF_INIT;
    ledger_err_t err;
    uint8_t *big = calloc(1, NODE_FRAME_MAX + 1);
    const uint8_t *msg;
    size_t used, mlen;
    int final;
    (void)state;
    assert_non_null(big);
    /* the sender refuses a message over the limit */
    assert_int_equal(node_tx_new(KEY, &s, &tx, &err), 0);
    assert_int_equal(node_tx_frame(tx, big, NODE_FRAME_MAX + 1, 0, &s, &err), LEDGER_ETOOBIG);
    assert_int_equal(s.len, HDR);
    node_tx_free(tx);
    /* a length one over the limit fails when its 4 bytes are in, before a
     * single body byte: the receiver never buffers (or allocates) it */
    const uint32_t lens[] = {NODE_FRAME_MAX + AB + 1, 0xffffffffu, 0x80000000u};
    for (size_t k = 0; k < 3; k++) {
        uint8_t l[4] = {(uint8_t)(lens[k] >> 24), (uint8_t)(lens[k] >> 16), (uint8_t)(lens[k] >> 8),
                        (uint8_t)lens[k]};
        s.len = HDR;
        ledger_buf_append(&s, l, 4);
        ledger_buf_append(&s, big, 1000);
        assert_int_equal(node_rx_new(KEY, &rx, &err), 0);
        assert_int_equal(node_rx_feed(rx, s.data, s.len, &used, &msg, &mlen, &final, &err),
                         LEDGER_ETOOBIG);
        assert_int_equal(used, HDR + 4);
        assert_non_null(strstr(err.msg, "over the limit"));
        /* dead from then on */
        assert_int_equal(node_rx_feed(rx, big, 10, &used, &msg, &mlen, &final, &err),
                         LEDGER_EVERIFY);
        node_rx_free(rx);
    }
    /* a length shorter than the tag is refused too */
    s.len = HDR;
    ledger_buf_append(&s, "\0\0\0\x10", 4);
    ledger_buf_append(&s, big, 16);
    assert_int_equal(node_rx_new(KEY, &rx, &err), 0);
    assert_int_equal(node_rx_feed(rx, s.data, s.len, &used, &msg, &mlen, &final, &err),
                     LEDGER_EVERIFY);
    node_rx_free(rx);
    ledger_buf_free(&s);
    free(big);
}

/* Every bit of a short stream flipped in turn: the receiver gets the true
 * messages before the damage, then fails (a length made larger waits for
 * its bytes, so padding follows the stream). */
static void test_flip_every_bit(void **state)
{
    const size_t sizes[] = {10, 0, 33};
    ledger_buf_t s = LEDGER_BUF_INIT, t = LEDGER_BUF_INIT;
    uint8_t *pad = calloc(1, NODE_FRAME_MAX + AB + 8);
    got_t g;
    int fails = 0;
    (void)state;
    assert_non_null(pad);
    make_stream(sizes, 3, 1, &s);
    for (size_t b = 0; b < s.len * 8; b++) {
        t.len = 0;
        ledger_buf_append(&t, s.data, s.len);
        t.data[b / 8] ^= (uint8_t)(1u << (b % 8));
        ledger_buf_append(&t, pad, NODE_FRAME_MAX + AB + 8);
        receive(t.data, t.len, b % 2 ? 0 : SIZE_MAX, sizes, 3, &g);
        if (g.rc != LEDGER_EVERIFY && g.rc != LEDGER_ETOOBIG)
            fail_msg("bit %zu flipped: rc %d after %zu messages", b, g.rc, g.count);
        assert_int_equal(g.final, 0);
        fails++;
    }
    assert_int_equal(fails, (int)s.len * 8);
    ledger_buf_free(&s);
    ledger_buf_free(&t);
    free(pad);
}

/* Builds header + the frames of `order` (indices into the frames of a
 * 4-message stream) and receives it. */
static void frames_in_order(const int *order, size_t n, got_t *g, size_t *want_sizes)
{
    const size_t sizes[] = {5, 6, 7, 8};
    ledger_buf_t s = LEDGER_BUF_INIT, t = LEDGER_BUF_INIT;
    size_t off[5];
    make_stream(sizes, 4, 0, &s);
    off[0] = HDR;
    for (int i = 0; i < 4; i++)
        off[i + 1] = off[i] + 4 + sizes[i] + AB;
    ledger_buf_append(&t, s.data, HDR);
    for (size_t i = 0; i < n; i++) {
        ledger_buf_append(&t, s.data + off[order[i]], off[order[i] + 1] - off[order[i]]);
        want_sizes[i] = sizes[order[i]];
    }
    receive(t.data, t.len, 0, want_sizes, n, g);
    ledger_buf_free(&s);
    ledger_buf_free(&t);
}

static void test_reorder_replay_drop(void **state)
{
    const int good[] = {0, 1, 2, 3}, swapped[] = {0, 2, 1, 3}, replayed[] = {0, 1, 1, 2},
              dropped[] = {0, 2, 3};
    size_t ws[4];
    got_t g;
    (void)state;
    frames_in_order(good, 4, &g, ws);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.count, 4);
    frames_in_order(swapped, 4, &g, ws);
    assert_int_equal(g.rc, LEDGER_EVERIFY);
    assert_int_equal(g.count, 1);
    frames_in_order(replayed, 4, &g, ws);
    assert_int_equal(g.rc, LEDGER_EVERIFY);
    assert_int_equal(g.count, 2);
    frames_in_order(dropped, 3, &g, ws);
    assert_int_equal(g.rc, LEDGER_EVERIFY);
    assert_int_equal(g.count, 1);
}

static void test_wrong_key(void **state)
{
    const size_t sizes[] = {3};
    ledger_buf_t s = LEDGER_BUF_INIT;
    uint8_t key2[32];
    node_rx_t *rx;
    ledger_err_t err;
    const uint8_t *msg;
    size_t used, mlen;
    int final;
    (void)state;
    make_stream(sizes, 1, 0, &s);
    memcpy(key2, KEY, 32);
    key2[31] ^= 1;
    assert_int_equal(node_rx_new(key2, &rx, &err), 0);
    assert_int_equal(node_rx_feed(rx, s.data, s.len, &used, &msg, &mlen, &final, &err),
                     LEDGER_EVERIFY);
    assert_non_null(strstr(err.msg, "does not decrypt"));
    node_rx_free(rx);
    ledger_buf_free(&s);
}

static void test_after_final(void **state)
{
    node_tx_t *tx;
    node_rx_t *rx;
    ledger_buf_t s = LEDGER_BUF_INIT;
    ledger_err_t err;
    const uint8_t *msg;
    size_t used, mlen, len1;
    int final;
    (void)state;
    assert_int_equal(node_tx_new(KEY, &s, &tx, &err), 0);
    assert_int_equal(node_tx_frame(tx, (const uint8_t *)"bye", 3, 1, &s, &err), 0);
    len1 = s.len;
    /* the sender will not go on after the final frame */
    assert_int_equal(node_tx_frame(tx, (const uint8_t *)"x", 1, 0, &s, &err), LEDGER_EINVAL);
    assert_int_equal(s.len, len1);
    node_tx_free(tx);
    ledger_buf_append(&s, "\0\0\0\x12zzzzzzzzzzzzzzzzzz", 22);
    assert_int_equal(node_rx_new(KEY, &rx, &err), 0);
    assert_int_equal(node_rx_feed(rx, s.data, s.len, &used, &msg, &mlen, &final, &err), 1);
    assert_int_equal(used, len1);
    assert_int_equal(final, 1);
    assert_int_equal(mlen, 3);
    assert_memory_equal(msg, "bye", 3);
    assert_int_equal(node_rx_feed(rx, NULL, 0, &used, &msg, &mlen, &final, &err), 0);
    assert_int_equal(node_rx_feed(rx, s.data + len1, 1, &used, &msg, &mlen, &final, &err),
                     LEDGER_EVERIFY);
    assert_non_null(strstr(err.msg, "after the final"));
    node_rx_free(rx);
    ledger_buf_free(&s);
}

/* secretstream tags other than MESSAGE and FINAL (PUSH, REKEY) are not
 * part of the protocol: refused. */
static void test_other_tags(void **state)
{
    const unsigned char tags[] = {crypto_secretstream_xchacha20poly1305_TAG_PUSH,
                                  crypto_secretstream_xchacha20poly1305_TAG_REKEY};
    (void)state;
    for (int i = 0; i < 2; i++) {
        crypto_secretstream_xchacha20poly1305_state st;
        uint8_t buf[HDR + 4 + 3 + AB];
        unsigned long long clen;
        node_rx_t *rx;
        ledger_err_t err;
        const uint8_t *msg;
        size_t used, mlen;
        int final;
        crypto_secretstream_xchacha20poly1305_init_push(&st, buf, KEY);
        crypto_secretstream_xchacha20poly1305_push(&st, buf + HDR + 4, &clen,
                                                   (const uint8_t *)"abc", 3, NULL, 0, tags[i]);
        assert_int_equal(clen, 3 + AB);
        memcpy(buf + HDR, "\0\0\0\x14", 4);
        assert_int_equal(node_rx_new(KEY, &rx, &err), 0);
        assert_int_equal(node_rx_feed(rx, buf, sizeof buf, &used, &msg, &mlen, &final, &err),
                         LEDGER_EVERIFY);
        assert_non_null(strstr(err.msg, "tag"));
        node_rx_free(rx);
    }
}

static void test_bad_args(void **state)
{
    node_tx_t *tx;
    node_rx_t *rx;
    ledger_buf_t s = LEDGER_BUF_INIT;
    const uint8_t *msg;
    size_t used, mlen;
    int final;
    (void)state;
    assert_int_equal(node_tx_new(NULL, &s, &tx, NULL), LEDGER_EINVAL);
    assert_int_equal(node_rx_new(NULL, &rx, NULL), LEDGER_EINVAL);
    assert_int_equal(node_rx_new(KEY, &rx, NULL), 0);
    assert_int_equal(node_rx_feed(rx, NULL, 5, &used, &msg, &mlen, &final, NULL), LEDGER_EINVAL);
    node_rx_free(rx);
    node_rx_free(NULL);
    node_tx_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_flip_every_bit), cmocka_unit_test(test_reorder_replay_drop),
        cmocka_unit_test(test_wrong_key),      cmocka_unit_test(test_after_final),
        cmocka_unit_test(test_other_tags),     cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
