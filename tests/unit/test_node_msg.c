/* test_node_msg.c -- the node messages (node_msg.h): each message type
 * encodes to the bytes docs/protocol.md gives and decodes back; every
 * malformed variant (cut short, extra bytes, count mismatch, zero-length or
 * overrunning entry, unknown type, name over 200 bytes, bad text, bad
 * ranges and flags) is refused with LEDGER_EINPUT; ENTRIES fill a frame up
 * to the limit and no further. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node_msg.h"

static void fill(uint8_t *b, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(v + i);
}

/* Decoding must refuse p[0..n) with LEDGER_EINPUT. */
static void refused(const uint8_t *p, size_t n, const char *why)
{
    node_msg_t m;
    ledger_err_t err;
    int rc = node_msg_decode(p, n, &m, &err);
    if (rc != LEDGER_EINPUT)
        fail_msg("%s: decode gave %d, want LEDGER_EINPUT", why, rc);
    assert_true(strlen(err.msg) > 0);
}

/* Every proper prefix and every one-byte extension of a valid message is
 * refused. */
static void refuse_cut_and_extended(const uint8_t *p, size_t n)
{
    uint8_t *q = malloc(n + 1);
    assert_non_null(q);
    for (size_t k = 0; k < n; k++)
        refused(p, k, "cut short");
    memcpy(q, p, n);
    q[n] = 0x41;
    refused(q, n + 1, "one byte too many");
    free(q);
}

static void test_hello_bye_ping(void **state)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    node_msg_t m;
    ledger_err_t err;
    char name[202];
    (void)state;
    /* HELLO: 01 | version 02 | length | name */
    assert_int_equal(node_msg_hello(&b, "Slachthuis \xc3\xa9", &err), 0);
    assert_int_equal(b.len, 3 + 13);
    assert_memory_equal(b.data, "\x01\x02\x0dSlachthuis \xc3\xa9", 16);
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    assert_int_equal(m.type, NODE_MSG_HELLO);
    assert_int_equal(m.version, NODE_PROTO_VERSION);
    assert_int_equal(m.text_len, 13);
    assert_memory_equal(m.text, "Slachthuis \xc3\xa9", 13);
    refuse_cut_and_extended(b.data, b.len);
    /* 200 bytes fit, 201 do not, in either direction */
    memset(name, 'a', 201);
    name[200] = '\0';
    b.len = 0;
    assert_int_equal(node_msg_hello(&b, name, &err), 0);
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    /* a longer name is cut to 200 bytes by the encoder */
    name[200] = 'a';
    name[201] = '\0';
    b.len = 0;
    assert_int_equal(node_msg_hello(&b, name, &err), 0);
    assert_int_equal(b.len, 3 + 200);
    assert_int_equal(b.data[2], 200);
    uint8_t h201[3 + 201] = {1, 1, 201};
    memset(h201 + 3, 'a', 201);
    refused(h201, sizeof h201, "name of 201 bytes");
    /* empty name is fine */
    b.len = 0;
    assert_int_equal(node_msg_hello(&b, "", &err), 0);
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    assert_int_equal(m.text_len, 0);
    /* control characters and broken UTF-8: cleaned when sending, refused
     * when received */
    b.len = 0;
    assert_int_equal(node_msg_hello(&b, "a\nb\xff", &err), 0);
    assert_memory_equal(b.data,
                        "\x01\x02\x04"
                        "a?b?",
                        7);
    refused((const uint8_t *)"\x01\x01\x03"
                             "a\nb",
            6, "newline in a name");
    refused((const uint8_t *)"\x01\x01\x02\xc3\x28", 5, "bad UTF-8");
    refused((const uint8_t *)"\x01\x01\x02\xc0\xaf", 5, "overlong UTF-8");
    refused((const uint8_t *)"\x01\x01\x03\xed\xa0\x80", 6, "surrogate");
    refused((const uint8_t *)"\x01\x01\x03\xe0\x80\xaf", 6, "overlong 3-byte UTF-8");
    refused((const uint8_t *)"\x01\x01\x04\xf0\x80\x80\xaf", 7, "overlong 4-byte UTF-8");
    refused((const uint8_t *)"\x01\x01\x04\xf4\x90\x80\x80", 7, "over U+10FFFF");
    refused((const uint8_t *)"\x01\x01\x02\xe2\x82", 5, "cut UTF-8");
    refused((const uint8_t *)"\x01\x01\x02\xc2\x85", 5, "C1 control");

    /* BYE: 07 | length | reason; long or binary reasons are cut and cleaned */
    b.len = 0;
    assert_int_equal(node_msg_bye(&b, "bad entry", &err), 0);
    assert_memory_equal(b.data,
                        "\x07\x09"
                        "bad entry",
                        11);
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    assert_int_equal(m.type, NODE_MSG_BYE);
    assert_int_equal(m.text_len, 9);
    refuse_cut_and_extended(b.data, b.len);
    char longr[400];
    memset(longr, 'x', sizeof longr - 1);
    longr[sizeof longr - 1] = '\0';
    longr[254] = '\xc3'; /* a 2-byte character across the 255 limit */
    longr[255] = '\xa9';
    longr[10] = '\n';
    b.len = 0;
    assert_int_equal(node_msg_bye(&b, longr, &err), 0);
    assert_int_equal(b.data[1], 254);
    assert_int_equal(b.data[2 + 10], '?');
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);

    /* PING / PONG: type | u64 nonce */
    b.len = 0;
    assert_int_equal(node_msg_ping(&b, 0, 0x0102030405060708ull, &err), 0);
    assert_memory_equal(b.data, "\x05\x01\x02\x03\x04\x05\x06\x07\x08", 9);
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    assert_int_equal(m.type, NODE_MSG_PING);
    assert_true(m.nonce == 0x0102030405060708ull);
    refuse_cut_and_extended(b.data, b.len);
    b.len = 0;
    assert_int_equal(node_msg_ping(&b, 1, 7, &err), 0);
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    assert_int_equal(m.type, NODE_MSG_PONG);
    assert_true(m.nonce == 7);
    ledger_buf_free(&b);
}

static void test_want(void **state)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    node_msg_t m;
    ledger_err_t err;
    uint8_t feed[32], w[49];
    (void)state;
    fill(feed, 32, 0xa0);
    assert_int_equal(node_msg_want(&b, feed, 5, 0, &err), 0);
    assert_int_equal(b.len, 49);
    assert_int_equal(b.data[0], 3);
    assert_memory_equal(b.data + 1, feed, 32);
    assert_memory_equal(b.data + 33, "\0\0\0\0\0\0\0\x05\0\0\0\0\0\0\0\0", 16);
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    assert_int_equal(m.type, NODE_MSG_WANT);
    assert_memory_equal(m.feed, feed, 32);
    assert_true(m.from == 5 && m.to == 0);
    refuse_cut_and_extended(b.data, b.len);
    b.len = 0;
    assert_int_equal(node_msg_want(&b, feed, 9, 9, &err), 0); /* one entry */
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    assert_true(m.from == 9 && m.to == 9);
    assert_int_equal(node_msg_want(&b, feed, 0, 0, &err), LEDGER_EINVAL);
    assert_int_equal(node_msg_want(&b, feed, 9, 8, &err), LEDGER_EINVAL);
    memcpy(w, b.data, 49);
    w[48] = 8; /* to 8 < from 9 */
    refused(w, 49, "to before from");
    memset(w + 33, 0, 8); /* from 0 */
    refused(w, 49, "from 0");
    ledger_buf_free(&b);
}

static void test_heads(void **state)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    node_msg_t m;
    ledger_err_t err;
    node_head_t h[3], g;
    (void)state;
    for (int i = 0; i < 3; i++) {
        fill(h[i].feed, 32, (uint8_t)(i * 40));
        h[i].seq = 1000000007ull * (uint64_t)(i + 1);
        fill(h[i].hash, 32, (uint8_t)(200 + i));
        h[i].flags = i == 1 ? NODE_HEAD_FORKED : 0;
    }
    assert_int_equal(node_msg_heads(&b, h, 3, &err), 0);
    assert_int_equal(b.len, 5 + 3 * NODE_HEAD_WIRE_LEN);
    assert_memory_equal(b.data, "\x02\0\0\0\x03", 5);
    /* record 1: feed | u64 seq | hash | u32 flags */
    assert_memory_equal(b.data + 5 + 76, h[1].feed, 32);
    assert_memory_equal(b.data + 5 + 76 + 32, "\0\0\0\0\x77\x35\x94\x0e", 8);
    assert_memory_equal(b.data + 5 + 76 + 72, "\0\0\0\x01", 4);
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    assert_int_equal(m.type, NODE_MSG_HEADS);
    assert_int_equal(m.n, 3);
    for (uint32_t i = 0; i < 3; i++) {
        node_msg_head(&m, i, &g);
        assert_memory_equal(&g.feed, h[i].feed, 32);
        assert_true(g.seq == h[i].seq);
        assert_memory_equal(&g.hash, h[i].hash, 32);
        assert_int_equal(g.flags, h[i].flags);
    }
    refuse_cut_and_extended(b.data, b.len);
    /* count says 4, bytes hold 3; count says 2 */
    b.data[4] = 4;
    refused(b.data, b.len, "count 4 for 3 heads");
    b.data[4] = 2;
    refused(b.data, b.len, "count 2 for 3 heads");
    b.data[4] = 3;
    b.data[5 + 75] = 2; /* unknown flag bit in head 0 */
    refused(b.data, b.len, "unknown flag");
    b.data[5 + 75] = 0;
    memset(b.data + 5 + 32, 0, 8); /* head 0 at seq 0 with a hash */
    refused(b.data, b.len, "seq 0 with a hash");
    /* an empty HEADS is fine */
    b.len = 0;
    assert_int_equal(node_msg_heads(&b, NULL, 0, &err), 0);
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    assert_int_equal(m.n, 0);
    /* too many for one frame */
    h[0].flags = 4;
    assert_int_equal(node_msg_heads(&b, h, 1, &err), LEDGER_EINVAL);
    assert_int_equal(node_msg_heads(&b, h, NODE_HEADS_MAX + 1, &err), LEDGER_ETOOBIG);
    assert_true(5 + (size_t)NODE_HEADS_MAX * NODE_HEAD_WIRE_LEN <= NODE_FRAME_MAX);
    ledger_buf_free(&b);
}

static void test_names(void **state)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    node_msg_t m;
    ledger_err_t err;
    uint8_t feeds[2][32];
    const char *names[2] = {"Slachthuis", "Keuken"};
    const uint8_t *f;
    const char *nm;
    size_t off = 0, nl;
    char big[202];
    (void)state;
    fill(feeds[0], 32, 1);
    fill(feeds[1], 32, 100);
    assert_int_equal(node_msg_names(&b, (const uint8_t(*)[32])feeds, names, 2, &err), 0);
    assert_int_equal(b.len, 5 + 33 + 10 + 33 + 6);
    assert_memory_equal(b.data, "\x08\0\0\0\x02", 5);
    assert_int_equal(b.data[5 + 32], 10);
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    assert_int_equal(m.type, NODE_MSG_NAMES);
    assert_int_equal(m.n, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(node_msg_name_next(&m, &off, &f, &nm, &nl), 1);
        assert_memory_equal(f, feeds[i], 32);
        assert_int_equal(nl, strlen(names[i]));
        assert_memory_equal(nm, names[i], nl);
    }
    assert_int_equal(node_msg_name_next(&m, &off, &f, &nm, &nl), 0);
    refuse_cut_and_extended(b.data, b.len);
    b.data[4] = 3;
    refused(b.data, b.len, "count 3 for 2 names");
    b.data[4] = 1;
    refused(b.data, b.len, "count 1 for 2 names");
    b.data[4] = 2;
    b.data[5 + 32] = 60; /* runs into the next record, past the end */
    refused(b.data, b.len, "name past the end");
    /* names over 200 bytes are cut by the encoder, an empty or unprintable
     * one is fine / cleaned */
    memset(big, 'n', 201);
    big[201] = '\0';
    names[0] = "";
    names[1] = big;
    b.len = 0;
    assert_int_equal(node_msg_names(&b, (const uint8_t(*)[32])feeds, names, 2, &err), 0);
    assert_int_equal(b.len, 5 + 33 + 0 + 33 + 200);
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    off = 0;
    assert_int_equal(node_msg_name_next(&m, &off, &f, &nm, &nl), 1);
    assert_int_equal(nl, 0);
    assert_int_equal(node_msg_name_next(&m, &off, &f, &nm, &nl), 1);
    assert_int_equal(nl, 200);
    names[0] = "tab\there";
    b.len = 0;
    assert_int_equal(node_msg_names(&b, (const uint8_t(*)[32])feeds, names, 1, &err), 0);
    assert_memory_equal(b.data + 5 + 32, "\x08tab?here", 9);
    b.data[5 + 32 + 4] = '\t';
    refused(b.data, b.len, "tab in a name");
    uint8_t r[5 + 33 + 201] = {8, 0, 0, 0, 1};
    r[5 + 32] = 201;
    memset(r + 5 + 33, 'n', 201);
    refused(r, sizeof r, "name of 201 bytes");
    r[5 + 32] = 200;
    assert_int_equal(node_msg_decode(r, sizeof r - 1, &m, &err), 0);
    ledger_buf_free(&b);
}

static void test_entries(void **state)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    node_msg_t m;
    ledger_err_t err;
    uint8_t feed[32], e1[3] = {0xaa, 0xbb, 0xcc}, e2[1] = {0x11};
    const uint8_t *e;
    size_t start, off = 0, len;
    (void)state;
    fill(feed, 32, 7);
    /* something before the message in the buffer: start is its offset */
    ledger_buf_append(&b, "xyz", 3);
    assert_int_equal(node_msg_entries_begin(&b, feed, 42, &start, &err), 0);
    assert_int_equal(start, 3);
    assert_int_equal(node_msg_entries_add(&b, start, e1, 3, &err), 0);
    assert_int_equal(node_msg_entries_add(&b, start, e2, 1, &err), 0);
    assert_int_equal(node_msg_entries_add(&b, start, e2, 0, &err), LEDGER_EINVAL);
    const uint8_t *p = b.data + start;
    size_t n = b.len - start;
    assert_int_equal(n, NODE_ENTRIES_HDR_LEN + 4 + 3 + 4 + 1);
    assert_int_equal(p[0], 4);
    assert_memory_equal(p + 33, "\0\0\0\0\0\0\0\x2a\0\0\0\x02", 12);
    assert_memory_equal(p + 45, "\0\0\0\x03\xaa\xbb\xcc\0\0\0\x01\x11", 12);
    assert_int_equal(node_msg_decode(p, n, &m, &err), 0);
    assert_int_equal(m.type, NODE_MSG_ENTRIES);
    assert_memory_equal(m.feed, feed, 32);
    assert_true(m.from == 42);
    assert_int_equal(m.n, 2);
    assert_int_equal(node_msg_entry_next(&m, &off, &e, &len), 1);
    assert_int_equal(len, 3);
    assert_memory_equal(e, e1, 3);
    assert_int_equal(node_msg_entry_next(&m, &off, &e, &len), 1);
    assert_int_equal(len, 1);
    assert_int_equal(node_msg_entry_next(&m, &off, &e, &len), 0);
    refuse_cut_and_extended(p, n);

    uint8_t *q = malloc(n);
    assert_non_null(q);
    memcpy(q, p, n);
    q[44] = 3;
    refused(q, n, "count 3 for 2 entries");
    q[44] = 1;
    refused(q, n, "count 1 for 2 entries");
    q[44] = 2;
    memset(q + 45, 0, 4); /* zero-length entry */
    refused(q, n, "zero-length entry");
    uint8_t z[NODE_ENTRIES_HDR_LEN + 4] = {4};
    z[40] = 1; /* first seq 1 */
    z[44] = 1; /* one entry, of length 0, and nothing else */
    refused(z, sizeof z, "a single zero-length entry");
    q[48] = 9; /* entry length past the end */
    refused(q, n, "entry past the end");
    memcpy(q, p, n);
    memset(q + 33, 0, 8); /* first seq 0 */
    refused(q, n, "first seq 0");
    memset(q + 33, 0xff, 8); /* seq overflow */
    refused(q, n, "seq overflow");
    free(q);
    /* an ENTRIES with no entries is well formed */
    b.len = 0;
    assert_int_equal(node_msg_entries_begin(&b, feed, 1, &start, &err), 0);
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    assert_int_equal(m.n, 0);
    assert_int_equal(node_msg_entries_begin(&b, feed, 0, &start, &err), LEDGER_EINVAL);
    ledger_buf_free(&b);
}

/* A sender fills one ENTRIES message up to the frame limit: the entry that
 * would not fit is refused with LEDGER_ETOOBIG and leaves the message
 * intact, so it goes into the next batch. */
static void test_entries_budget(void **state)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    node_msg_t m;
    ledger_err_t err;
    uint8_t feed[32] = {0}, *entry = malloc(NODE_FRAME_MAX);
    size_t start, len_before, off = 0, elen;
    const uint8_t *e;
    uint32_t count = 0;
    int rc;
    (void)state;
    assert_non_null(entry);
    memset(entry, 0x5a, NODE_FRAME_MAX);
    assert_int_equal(node_msg_entries_begin(&b, feed, 1, &start, &err), 0);
    for (;;) {
        len_before = b.len;
        rc = node_msg_entries_add(&b, start, entry, 300 + count % 7, &err);
        if (rc)
            break;
        count++;
    }
    assert_int_equal(rc, LEDGER_ETOOBIG);
    assert_int_equal(b.len, len_before);
    assert_true(b.len <= NODE_FRAME_MAX);
    assert_true(b.len + 4 + 300 + count % 7 > NODE_FRAME_MAX);
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    assert_int_equal(m.n, count);
    for (uint32_t i = 0; i < count; i++) {
        assert_int_equal(node_msg_entry_next(&m, &off, &e, &elen), 1);
        assert_int_equal(elen, 300 + i % 7);
    }
    /* one entry as big as a frame allows */
    b.len = 0;
    assert_int_equal(node_msg_entries_begin(&b, feed, 1, &start, &err), 0);
    assert_int_equal(node_msg_entries_add(&b, start, entry, NODE_FRAME_MAX - 49, &err), 0);
    assert_int_equal(b.len, NODE_FRAME_MAX);
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    assert_int_equal(node_msg_entries_add(&b, start, entry, 1, &err), LEDGER_ETOOBIG);
    b.len = 0;
    assert_int_equal(node_msg_entries_begin(&b, feed, 1, &start, &err), 0);
    assert_int_equal(node_msg_entries_add(&b, start, entry, NODE_FRAME_MAX - 48, &err),
                     LEDGER_ETOOBIG);
    /* start must point at an ENTRIES header */
    assert_int_equal(node_msg_entries_add(&b, start + 1, entry, 1, &err), LEDGER_EINVAL);
    free(entry);
    ledger_buf_free(&b);
}

static void test_checkpoint(void **state)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    ledger_err_t err;
    node_msg_t m;
    uint8_t feed[32], note[NODE_CHECKPOINT_MAX + 1];
    (void)state;
    memset(feed, 0xab, sizeof feed);
    memset(note, 'x', sizeof note);
    assert_int_equal(node_msg_checkpoint(&b, feed, note, 300, &err), 0);
    assert_int_equal(b.len, 35 + 300);
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    assert_int_equal(m.type, NODE_MSG_CHECKPOINT);
    assert_memory_equal(m.feed, feed, 32);
    assert_int_equal(m.body_len, 300);
    assert_memory_equal(m.body, note, 300);
    /* a length that does not match, in either direction */
    refused(b.data, b.len - 1, "length does not match");
    b.data[34] ^= 1;
    refused(b.data, b.len, "length does not match");
    b.data[34] ^= 1;
    refused(b.data, 20, "too short");
    /* the largest note, and one too big */
    b.len = 0;
    assert_int_equal(node_msg_checkpoint(&b, feed, note, NODE_CHECKPOINT_MAX, &err), 0);
    assert_int_equal(node_msg_decode(b.data, b.len, &m, &err), 0);
    assert_int_equal(node_msg_checkpoint(&b, feed, note, NODE_CHECKPOINT_MAX + 1, &err),
                     LEDGER_EINVAL);
    assert_int_equal(node_msg_checkpoint(&b, feed, note, 0, &err), LEDGER_EINVAL);
    b.data[33] = 0;
    b.data[34] = 0;
    refused(b.data, 35, "note length is 0");
    ledger_buf_free(&b);
}

static void test_unknown_and_empty(void **state)
{
    uint8_t p[10] = {0};
    (void)state;
    refused(p, 0, "empty");
    for (int t = 0; t < 256; t++) {
        if (t >= NODE_MSG_HELLO && t <= NODE_MSG_CHECKPOINT)
            continue;
        p[0] = (uint8_t)t;
        refused(p, 1, "unknown type");
        refused(p, 10, "unknown type");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_bye_ping),
        cmocka_unit_test(test_want),
        cmocka_unit_test(test_heads),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_entries),
        cmocka_unit_test(test_entries_budget),
        cmocka_unit_test(test_checkpoint),
        cmocka_unit_test(test_unknown_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
