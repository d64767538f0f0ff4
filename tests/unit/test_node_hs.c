/* test_node_hs.c -- the handshake (node_hs.h): two good sides agree on
 * keys and learn each other's IDs; another chain's network key, an ID not
 * on the allowlist, a server that is not the one dialled, replayed M1/M3,
 * and every tampered byte of M1..M4 fail; truncated input waits, extra
 * input is left alone, byte-by-byte input works; and the fixed test vectors
 * of docs/protocol.md (cross-checked by tests/tools/hs_vectors.py, an
 * independent Python implementation) come out byte for byte.
 *
 * A second, independent implementation of the server side, written here
 * straight from docs/protocol.md with libsodium primitives (spec_server_*),
 * plays an honest server (the client must agree with it on the keys) and a
 * lying one that signs with another ID (the client must refuse it).
 *
 * KETEN_PRINT_VECTORS=1 prints the vectors instead of only checking them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "node_hs.h"

/* ---- fixtures ----------------------------------------------------------- */

static void seq_bytes(uint8_t *b, uint8_t start)
{
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)(start + i);
}

typedef struct allow_list {
    const uint8_t *ids[4];
    int n;
    int calls;
} allow_list_t;

static int allow_cb(const uint8_t id[32], void *ctx)
{
    allow_list_t *a = ctx;
    a->calls++;
    for (int i = 0; i < a->n; i++)
        if (memcmp(a->ids[i], id, 32) == 0)
            return 1;
    return 0;
}

typedef struct fx {
    uint8_t net[32];
    ledger_identity_t *idc, *ids;
    allow_list_t allow;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    uint8_t s[32];
    if (!f)
        return -1;
    seq_bytes(f->net, 0x00);
    seq_bytes(s, 0x20);
    if (ledger_identity_from_seed(s, &f->idc, NULL))
        return -1;
    seq_bytes(s, 0x40);
    if (ledger_identity_from_seed(s, &f->ids, NULL))
        return -1;
    f->allow.ids[0] = ledger_identity_public(f->idc);
    f->allow.n = 1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    ledger_identity_free(f->idc);
    ledger_identity_free(f->ids);
    free(f);
    return 0;
}

static node_hs_t *client(fx_t *f, const uint8_t *net, const uint8_t *expect, const uint8_t *seed)
{
    node_hs_config_t c = {1,      net ? net : f->net,
                          f->idc, expect ? expect : ledger_identity_public(f->ids),
                          NULL,   NULL};
    node_hs_t *hs = NULL;
    ledger_err_t err;
    if (seed)
        assert_int_equal(node_hs_new_seeded(&c, seed, &hs, &err), 0);
    else
        assert_int_equal(node_hs_new(&c, &hs, &err), 0);
    return hs;
}

static node_hs_t *server(fx_t *f, const uint8_t *net, const uint8_t *seed)
{
    node_hs_config_t c = {0, net ? net : f->net, f->ids, NULL, allow_cb, &f->allow};
    node_hs_t *hs = NULL;
    ledger_err_t err;
    if (seed)
        assert_int_equal(node_hs_new_seeded(&c, seed, &hs, &err), 0);
    else
        assert_int_equal(node_hs_new(&c, &hs, &err), 0);
    return hs;
}

/* A handshake run between c and s, message by message; tamper_msg (1..4)
 * has bit (tamper_byte % 8) of byte tamper_byte flipped on the way; split
 * feeds one byte at a time.  Records the messages and both sides' codes. */
typedef struct run {
    ledger_buf_t m[5]; /* m[1]..m[4] as sent */
    int rc_c, rc_s;    /* last return code of each side */
    int failed_at;     /* message whose receiver failed (0: none) */
    ledger_err_t err;
} run_t;

static int deliver(node_hs_t *to, ledger_buf_t *msg, ledger_buf_t *reply, int split, run_t *r)
{
    size_t used, pos = 0;
    int rc = NODE_HS_MORE;
    if (!split) {
        rc = node_hs_feed(to, msg->data, msg->len, &used, reply, &r->err);
        if (rc >= 0)
            assert_int_equal(used, msg->len);
        return rc;
    }
    while (pos < msg->len) {
        rc = node_hs_feed(to, msg->data + pos, 1, &used, reply, &r->err);
        if (rc < 0)
            return rc;
        assert_int_equal(used, 1);
        pos++;
        if (pos < msg->len) {
            assert_int_equal(rc, NODE_HS_MORE);
            assert_int_equal(reply->len, 0); /* nothing before the message is whole */
        }
    }
    return rc;
}

static void run_hs(node_hs_t *c, node_hs_t *s, int tamper_msg, size_t tamper_byte, int split,
                   run_t *r)
{
    size_t used;
    memset(r, 0, sizeof *r);
    r->rc_c = node_hs_feed(c, NULL, 0, &used, &r->m[1], &r->err);
    assert_int_equal(r->rc_c, NODE_HS_MORE);
    assert_int_equal(r->m[1].len, NODE_HS_M1_LEN);
    for (int i = 1; i <= 4; i++) {
        node_hs_t *to = i % 2 ? s : c;
        int rc;
        if (i == tamper_msg)
            r->m[i].data[tamper_byte] ^= (uint8_t)(1u << (tamper_byte % 8));
        rc = deliver(to, &r->m[i], i < 4 ? &r->m[i + 1] : &r->m[0], split, r);
        if (i % 2)
            r->rc_s = rc;
        else
            r->rc_c = rc;
        if (rc < 0) {
            r->failed_at = i;
            return;
        }
        assert_int_equal(rc, i >= 3 ? NODE_HS_DONE : NODE_HS_MORE);
        if (i < 4)
            assert_int_equal(r->m[i + 1].len, i == 1 ? NODE_HS_M2_LEN : NODE_HS_M3_LEN);
    }
    assert_int_equal(r->m[0].len, 0); /* the client sends nothing after M4 */
}

static void run_free(run_t *r)
{
    for (int i = 0; i < 5; i++)
        ledger_buf_free(&r->m[i]);
}

static void check_pair(fx_t *f, node_hs_t *c, node_hs_t *s)
{
    node_hs_result_t rc, rs;
    ledger_err_t err;
    assert_int_equal(node_hs_get_result(c, &rc, &err), 0);
    assert_int_equal(node_hs_get_result(s, &rs, &err), 0);
    assert_memory_equal(rc.tx_key, rs.rx_key, 32);
    assert_memory_equal(rc.rx_key, rs.tx_key, 32);
    assert_memory_not_equal(rc.tx_key, rc.rx_key, 32);
    assert_memory_equal(rc.peer_id, ledger_identity_public(f->ids), 32);
    assert_memory_equal(rs.peer_id, ledger_identity_public(f->idc), 32);
}

/* ---- tests -------------------------------------------------------------- */

static void test_complete(void **state)
{
    fx_t *f = *state;
    node_hs_result_t r1, r2;
    ledger_err_t err;
    for (int split = 0; split < 2; split++) {
        node_hs_t *c = client(f, NULL, NULL, NULL), *s = server(f, NULL, NULL);
        run_t r;
        run_hs(c, s, 0, 0, split, &r);
        assert_int_equal(r.failed_at, 0);
        check_pair(f, c, s);
        assert_int_equal(f->allow.calls > 0, 1);
        /* fresh ephemeral keys: a second handshake gives other keys */
        node_hs_get_result(c, split ? &r2 : &r1, &err);
        if (split)
            assert_memory_not_equal(r1.tx_key, r2.tx_key, 32);
        /* finished: further calls are refused */
        size_t used;
        assert_int_equal(node_hs_feed(c, NULL, 0, &used, &r.m[0], &err), LEDGER_EINVAL);
        assert_int_equal(node_hs_feed(s, (const uint8_t *)"x", 1, &used, &r.m[0], &err),
                         LEDGER_EINVAL);
        run_free(&r);
        node_hs_free(c);
        node_hs_free(s);
    }
}

static void test_wrong_network_key(void **state)
{
    fx_t *f = *state;
    uint8_t other[32];
    run_t r;
    node_hs_result_t res;
    seq_bytes(other, 0x01);
    node_hs_t *c = client(f, other, NULL, NULL), *s = server(f, NULL, NULL);
    run_hs(c, s, 0, 0, 0, &r);
    /* refused at M1 by the server: it answers nothing, so no identity and
     * not even its ephemeral key go out */
    assert_int_equal(r.failed_at, 1);
    assert_int_equal(r.rc_s, LEDGER_EVERIFY);
    assert_non_null(strstr(r.err.msg, "network key differs"));
    assert_int_equal(r.m[2].len, 0);
    assert_int_equal(f->allow.calls, 0);
    assert_int_equal(node_hs_get_result(s, &res, NULL), LEDGER_EINVAL);
    run_free(&r);
    node_hs_free(c);
    node_hs_free(s);
}

static void test_not_on_allowlist(void **state)
{
    fx_t *f = *state;
    run_t r;
    f->allow.n = 0;
    node_hs_t *c = client(f, NULL, NULL, NULL), *s = server(f, NULL, NULL);
    run_hs(c, s, 0, 0, 0, &r);
    assert_int_equal(r.failed_at, 3);
    assert_int_equal(r.rc_s, LEDGER_EVERIFY);
    assert_non_null(strstr(r.err.msg, "is not on the peer list"));
    assert_int_equal(r.m[4].len, 0); /* the server's ID never went out */
    f->allow.n = 1;
    run_free(&r);
    node_hs_free(c);
    node_hs_free(s);
}

/* ---- an independent server, straight from docs/protocol.md --------------- */

typedef struct spec_srv {
    uint8_t e_pk[32], e_sk[32], e_c[32], m1[64], m2[64];
    uint8_t h_n[32], kmac[32], c2s[32], s2c[32], th[32];
    uint8_t id_c[32], sig_c[64];
} spec_srv_t;

static void kdf(uint8_t out[32], const uint8_t *key, const char *ctx, const uint8_t *m, size_t n)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, key ? 32 : 0, 32);
    crypto_generichash_update(&st, (const uint8_t *)ctx, strlen(ctx));
    crypto_generichash_update(&st, m, n);
    crypto_generichash_final(&st, out, 32);
}

static int spec_m2(spec_srv_t *v, const uint8_t net[32], const uint8_t m1[64], uint8_t m2[64])
{
    uint8_t both[64], q[32], k[64];
    crypto_generichash_state st;
    kdf(v->kmac, net, "keten/1 handshake mac", NULL, 0);
    kdf(v->h_n, net, "keten/1 network id", NULL, 0);
    if (crypto_auth_hmacsha512256_verify(m1 + 32, m1, 32, v->kmac))
        return -1;
    memcpy(v->m1, m1, 64);
    memcpy(v->e_c, m1, 32);
    crypto_box_keypair(v->e_pk, v->e_sk);
    memcpy(both, v->e_pk, 32);
    memcpy(both + 32, v->e_c, 32);
    memcpy(m2, v->e_pk, 32);
    crypto_auth_hmacsha512256(m2 + 32, both, 64, v->kmac);
    memcpy(v->m2, m2, 64);
    /* kx by hand: BLAKE2b-512(X25519 | e_C | e_S) = s2c | c2s */
    if (crypto_scalarmult(q, v->e_sk, v->e_c))
        return -1;
    crypto_generichash_init(&st, NULL, 0, 64);
    crypto_generichash_update(&st, q, 32);
    crypto_generichash_update(&st, v->e_c, 32);
    crypto_generichash_update(&st, v->e_pk, 32);
    crypto_generichash_final(&st, k, 64);
    memcpy(v->s2c, k, 32);
    memcpy(v->c2s, k + 32, 32);
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const uint8_t *)"keten/1 transcript", 18);
    crypto_generichash_update(&st, v->h_n, 32);
    crypto_generichash_update(&st, v->m1, 64);
    crypto_generichash_update(&st, v->m2, 64);
    crypto_generichash_final(&st, v->th, 32);
    return 0;
}

/* Opens M3 (without checking the client's signature) and signs M4 with
 * `as`; derives the two stream keys. */
static int spec_m4(spec_srv_t *v, const ledger_identity_t *as, const uint8_t m3[112],
                   uint8_t m4[112], uint8_t c2s[32], uint8_t s2c[32])
{
    static const uint8_t nonce[24];
    uint8_t k3[32], k4[32], pt[96], sm[216], tf_in[32 + 192], tf[32];
    kdf(k3, v->c2s, "keten/1 box M3", v->th, 32);
    kdf(k4, v->s2c, "keten/1 box M4", v->th, 32);
    if (crypto_secretbox_open_easy(pt, m3, 112, nonce, k3))
        return -1;
    memcpy(v->id_c, pt, 32);
    memcpy(v->sig_c, pt + 32, 64);
    memcpy(sm, "keten/1 server signature", 24);
    memcpy(sm + 24, v->h_n, 32);
    memcpy(sm + 56, v->e_c, 32);
    memcpy(sm + 88, v->e_pk, 32);
    memcpy(sm + 120, v->id_c, 32);
    memcpy(sm + 152, v->sig_c, 64);
    memcpy(pt, ledger_identity_public(as), 32);
    ledger_identity_sign(as, sm, sizeof sm, pt + 32);
    crypto_secretbox_easy(m4, pt, 96, nonce, k4);
    memcpy(tf_in, v->th, 32);
    memcpy(tf_in + 32, v->id_c, 32);
    memcpy(tf_in + 64, v->sig_c, 64);
    memcpy(tf_in + 128, pt, 96);
    kdf(tf, NULL, "keten/1 final", tf_in, sizeof tf_in);
    kdf(c2s, v->c2s, "keten/1 stream client to server", tf, 32);
    kdf(s2c, v->s2c, "keten/1 stream server to client", tf, 32);
    return 0;
}

/* The client completes with the spec server and derives the same keys;
 * with a server that signs as another ID it refuses. */
static void spec_client_run(fx_t *f, const ledger_identity_t *as, int expect_rc)
{
    node_hs_t *c = client(f, NULL, NULL, NULL);
    ledger_buf_t m1 = LEDGER_BUF_INIT, m3 = LEDGER_BUF_INIT, none = LEDGER_BUF_INIT;
    uint8_t m2[64], m4[112], c2s[32], s2c[32];
    spec_srv_t v;
    node_hs_result_t res;
    ledger_err_t err;
    size_t used;
    assert_int_equal(node_hs_feed(c, NULL, 0, &used, &m1, &err), NODE_HS_MORE);
    assert_int_equal(spec_m2(&v, f->net, m1.data, m2), 0);
    assert_int_equal(node_hs_feed(c, m2, 64, &used, &m3, &err), NODE_HS_MORE);
    assert_int_equal(spec_m4(&v, as, m3.data, m4, c2s, s2c), 0);
    assert_memory_equal(v.id_c, ledger_identity_public(f->idc), 32);
    assert_int_equal(node_hs_feed(c, m4, 112, &used, &none, &err), expect_rc);
    if (expect_rc == NODE_HS_DONE) {
        assert_int_equal(node_hs_get_result(c, &res, &err), 0);
        assert_memory_equal(res.tx_key, c2s, 32);
        assert_memory_equal(res.rx_key, s2c, 32);
    } else {
        assert_non_null(strstr(err.msg, "expected peer"));
        assert_int_equal(node_hs_get_result(c, &res, NULL), LEDGER_EINVAL);
    }
    ledger_buf_free(&m1);
    ledger_buf_free(&m3);
    node_hs_free(c);
}

static void test_spec_server(void **state)
{
    fx_t *f = *state;
    spec_client_run(f, f->ids, NODE_HS_DONE);
}

static void test_wrong_server(void **state)
{
    fx_t *f = *state;
    ledger_identity_t *other;
    run_t r;
    uint8_t seed[32];
    seq_bytes(seed, 0x99);
    assert_int_equal(ledger_identity_from_seed(seed, &other, NULL), 0);
    /* a lying server that signs with its own, other ID: the client refuses */
    spec_client_run(f, other, LEDGER_EVERIFY);
    /* an honest server with another ID: the client's signature names the
     * ID it dialled, so that server refuses it at M3 */
    node_hs_t *c = client(f, NULL, ledger_identity_public(other), NULL), *s = server(f, NULL, NULL);
    run_hs(c, s, 0, 0, 0, &r);
    assert_int_equal(r.failed_at, 3);
    assert_non_null(strstr(r.err.msg, "does not verify"));
    run_free(&r);
    node_hs_free(c);
    node_hs_free(s);
    ledger_identity_free(other);
}

static void test_replay(void **state)
{
    fx_t *f = *state;
    run_t old, r;
    ledger_buf_t m2 = LEDGER_BUF_INIT, m4 = LEDGER_BUF_INIT;
    ledger_err_t err;
    size_t used;
    node_hs_t *c = client(f, NULL, NULL, NULL), *s = server(f, NULL, NULL);
    run_hs(c, s, 0, 0, 0, &old);
    assert_int_equal(old.failed_at, 0);
    node_hs_free(c);
    node_hs_free(s);

    /* replayed M1 and M3 against a new server: M1 passes the network MAC
     * (anyone on the path can replay it) but M3 is bound to the server's
     * fresh ephemeral key */
    s = server(f, NULL, NULL);
    assert_int_equal(node_hs_feed(s, old.m[1].data, 64, &used, &m2, &err), NODE_HS_MORE);
    assert_int_equal(m2.len, 64);
    assert_memory_not_equal(m2.data, old.m[2].data, 64);
    assert_int_equal(node_hs_feed(s, old.m[3].data, 112, &used, &m4, &err), LEDGER_EVERIFY);
    assert_int_equal(m4.len, 0);
    node_hs_free(s);

    /* a replayed M3 inside a new, genuine handshake */
    c = client(f, NULL, NULL, NULL);
    s = server(f, NULL, NULL);
    memset(&r, 0, sizeof r);
    assert_int_equal(node_hs_feed(c, NULL, 0, &used, &r.m[1], &err), NODE_HS_MORE);
    assert_int_equal(node_hs_feed(s, r.m[1].data, 64, &used, &r.m[2], &err), NODE_HS_MORE);
    assert_int_equal(node_hs_feed(c, r.m[2].data, 64, &used, &r.m[3], &err), NODE_HS_MORE);
    assert_int_equal(node_hs_feed(s, old.m[3].data, 112, &used, &r.m[4], &err), LEDGER_EVERIFY);
    assert_int_equal(r.m[4].len, 0);
    /* and an old M4 does not finish the client either */
    assert_int_equal(node_hs_feed(c, old.m[4].data, 112, &used, &r.m[0], &err), LEDGER_EVERIFY);
    run_free(&r);
    run_free(&old);
    ledger_buf_free(&m2);
    ledger_buf_free(&m4);
    node_hs_free(c);
    node_hs_free(s);
}

static void test_tamper_every_byte(void **state)
{
    fx_t *f = *state;
    static const size_t lens[5] = {0, NODE_HS_M1_LEN, NODE_HS_M2_LEN, NODE_HS_M3_LEN,
                                   NODE_HS_M4_LEN};
    int count = 0;
    for (int m = 1; m <= 4; m++) {
        for (size_t b = 0; b < lens[m]; b++) {
            node_hs_t *c = client(f, NULL, NULL, NULL), *s = server(f, NULL, NULL);
            run_t r;
            node_hs_result_t res;
            run_hs(c, s, m, b, 0, &r);
            if (r.failed_at != m)
                fail_msg("flipping byte %zu of M%d: failed at %d", b, m, r.failed_at);
            assert_int_equal(m % 2 ? r.rc_s : r.rc_c, LEDGER_EVERIFY);
            assert_int_equal(node_hs_get_result(c, &res, NULL), LEDGER_EINVAL);
            if (m < 4) /* the server finished only if M4 was the one tampered */
                assert_int_equal(node_hs_get_result(s, &res, NULL), LEDGER_EINVAL);
            count++;
            run_free(&r);
            node_hs_free(c);
            node_hs_free(s);
        }
    }
    assert_int_equal(count, 64 + 64 + 112 + 112);
}

static void test_truncated_and_extra(void **state)
{
    fx_t *f = *state;
    node_hs_t *c = client(f, NULL, NULL, NULL), *s = server(f, NULL, NULL);
    ledger_buf_t m1 = LEDGER_BUF_INIT, m2 = LEDGER_BUF_INIT, m3 = LEDGER_BUF_INIT,
                 m4 = LEDGER_BUF_INIT, none = LEDGER_BUF_INIT;
    uint8_t big[112 + 40];
    ledger_err_t err;
    size_t used;
    assert_int_equal(node_hs_feed(c, NULL, 0, &used, &m1, &err), NODE_HS_MORE);
    /* a cut M1 waits, and nothing goes out */
    assert_int_equal(node_hs_feed(s, m1.data, 63, &used, &m2, &err), NODE_HS_MORE);
    assert_int_equal(used, 63);
    assert_int_equal(m2.len, 0);
    assert_int_equal(node_hs_feed(s, NULL, 0, &used, &m2, &err), NODE_HS_MORE);
    assert_int_equal(node_hs_feed(s, m1.data + 63, 1, &used, &m2, &err), NODE_HS_MORE);
    assert_int_equal(m2.len, 64);
    assert_int_equal(node_hs_feed(c, m2.data, 64, &used, &m3, &err), NODE_HS_MORE);
    assert_int_equal(node_hs_feed(s, m3.data, 111, &used, &m4, &err), NODE_HS_MORE);
    assert_int_equal(m4.len, 0);
    /* the last byte of M3 and bytes after it: the server takes only M3 */
    memcpy(big, m3.data + 111, 1);
    memset(big + 1, 0xee, 20);
    assert_int_equal(node_hs_feed(s, big, 21, &used, &m4, &err), NODE_HS_DONE);
    assert_int_equal(used, 1);
    /* M4 followed by stream bytes: the client leaves them unconsumed */
    memcpy(big, m4.data, 112);
    memset(big + 112, 0xab, 40);
    assert_int_equal(node_hs_feed(c, big, 112 - 1, &used, &none, &err), NODE_HS_MORE);
    assert_int_equal(node_hs_feed(c, big + 111, 41, &used, &none, &err), NODE_HS_DONE);
    assert_int_equal(used, 1);
    assert_int_equal(none.len, 0);
    check_pair(f, c, s);
    ledger_buf_free(&m1);
    ledger_buf_free(&m2);
    ledger_buf_free(&m3);
    ledger_buf_free(&m4);
    node_hs_free(c);
    node_hs_free(s);
}

static void test_weak_ephemeral(void **state)
{
    fx_t *f = *state;
    uint8_t m1[64] = {0}, kmac[32];
    ledger_buf_t out = LEDGER_BUF_INIT;
    ledger_err_t err;
    size_t used;
    node_hs_t *s = server(f, NULL, NULL);
    /* the identity point (all zero) with a valid MAC: only a chain member
     * can send it, and it is still refused */
    kdf(kmac, f->net, "keten/1 handshake mac", NULL, 0);
    crypto_auth_hmacsha512256(m1 + 32, m1, 32, kmac);
    assert_int_equal(node_hs_feed(s, m1, 64, &used, &out, &err), LEDGER_EVERIFY);
    assert_non_null(strstr(err.msg, "ephemeral"));
    assert_int_equal(out.len, 0);
    node_hs_free(s);
    ledger_buf_free(&out);
}

static void test_bad_config(void **state)
{
    fx_t *f = *state;
    node_hs_t *hs = (node_hs_t *)1;
    node_hs_config_t c = {1, f->net, f->idc, NULL, NULL, NULL};
    assert_int_equal(node_hs_new(&c, &hs, NULL), LEDGER_EINVAL);
    assert_null(hs);
    c.initiator = 0; /* server without allowlist */
    assert_int_equal(node_hs_new(&c, &hs, NULL), LEDGER_EINVAL);
    c.network_key = NULL;
    assert_int_equal(node_hs_new(&c, &hs, NULL), LEDGER_EINVAL);
    node_hs_free(NULL);
}

/* ---- test vectors (docs/protocol.md) ------------------------------------ */

/* Inputs: network key 00 01 .. 1f; client and server Ed25519 seeds 20 21 ..
 * 3f and 40 41 .. 5f; client and server ephemeral seeds 60 .. 7f and 80 ..
 * 9f.  Made with node_hs.c, then recomputed by tests/tools/hs_vectors.py
 * (standard-library Python, no libsodium): identical. */
static const char *const VEC_ID_C =
    "29acbae141bccaf0b22e1a94d34d0bc7361e526d0bfe12c89794bc9322966dd7";
static const char *const VEC_ID_S =
    "2543b92ff1095511476adc8369db6ddc933665a11978dda1404ee1066ca9559d";
static const char *const VEC_M1 =
    "a7e09d2129568e8aa5cf96ea7fd9e0f881a5d78bf592269562963f7b6f689050"
    "965d85f66751e71289a9b8d70730f94349386e49dd709d004baf9de50e44ceef";
static const char *const VEC_M2 =
    "7dde4ebc7e6bb3293a4643423b22ca4df3542b90c1779230bd777a9ee6d3d92f"
    "1225e2d4795da71df4912684d1988bf237160676b2662dcb15f5cde040b71a9a";
static const char *const VEC_M3 = "d26b78f7cf9b87a8056e5e9af015ad96ce7a0e59129fe3c684fe1ba56d594699"
                                  "cd1f3d897192f0bac186f454846db651f5c8e2523bbbcf212bd285f531f44c8d"
                                  "3aff0bb67f3207a1fa8becb5714aa4e3a8b1ce1abdf1d7c794de7aa6823d1646"
                                  "0da722c12299f9c9a8d47056ce552295";
static const char *const VEC_M4 = "34fecfbea43311d5f892d3b6b39a8204082fb2e975d0740856558f0f3da90203"
                                  "50e5905f16d10a14191ed718a288f9bfd45d6053f782f66c92fdcfacd93327f9"
                                  "4e51d5657662dd9de70f0c894432121f1a0eda7a2e048ea8cc00c8972a1b9967"
                                  "58f968527e4afe93927cee62e490a3dc";
static const char *const VEC_C2S =
    "a9f1e283fb0e3b86defba06cd065569a932a644f5794dba210e6beb0ee8cfbd7";
static const char *const VEC_S2C =
    "8f8f3c52477f2ec8d30a10bc8fbed43f8a2b1cc3a152197400f8008d10ec6c45";

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

static void check_hex(const char *name, const uint8_t *b, size_t n, const char *want, int print)
{
    char h[2 * 112 + 1];
    hex(b, n, h);
    if (print)
        printf("%s = %s\n", name, h);
    else if (strcmp(h, want) != 0)
        fail_msg("vector %s:\n got  %s\n want %s", name, h, want);
}

static void test_vectors(void **state)
{
    fx_t *f = *state;
    uint8_t ec[32], es[32];
    int print = getenv("KETEN_PRINT_VECTORS") != NULL;
    node_hs_result_t rc, rs;
    run_t r;
    seq_bytes(ec, 0x60);
    seq_bytes(es, 0x80);
    node_hs_t *c = client(f, NULL, NULL, ec), *s = server(f, NULL, es);
    run_hs(c, s, 0, 0, 0, &r);
    assert_int_equal(r.failed_at, 0);
    assert_int_equal(node_hs_get_result(c, &rc, NULL), 0);
    assert_int_equal(node_hs_get_result(s, &rs, NULL), 0);
    check_hex("M1", r.m[1].data, 64, VEC_M1, print);
    check_hex("M2", r.m[2].data, 64, VEC_M2, print);
    check_hex("M3", r.m[3].data, 112, VEC_M3, print);
    check_hex("M4", r.m[4].data, 112, VEC_M4, print);
    check_hex("c2s", rc.tx_key, 32, VEC_C2S, print);
    check_hex("s2c", rc.rx_key, 32, VEC_S2C, print);
    check_hex("id_C", ledger_identity_public(f->idc), 32, VEC_ID_C, print);
    check_hex("id_S", ledger_identity_public(f->ids), 32, VEC_ID_S, print);
    /* both sides agree, and the server's view is the mirror image */
    assert_memory_equal(rs.tx_key, rc.rx_key, 32);
    assert_memory_equal(rs.rx_key, rc.tx_key, 32);
    run_free(&r);
    node_hs_free(c);
    node_hs_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_network_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_on_allowlist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spec_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_every_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_and_extra, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weak_ephemeral, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vectors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
