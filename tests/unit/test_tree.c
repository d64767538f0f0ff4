/* test_tree.c -- the Merkle tree (ledger_tree.h) and signed notes and
 * checkpoints (ledger_note.h).
 *
 * Tree: the RFC 6962 / Certificate Transparency test vectors (the roots of
 * the trees of the first 1..8 of eight fixed leaves), every root of up to
 * 70 leaves against a plain recursive MTH written here from the RFC's
 * definition, and every inclusion and consistency proof of those trees made
 * and checked, then spoilt one way at a time (a flipped byte, a hash more,
 * a hash less, the wrong index or size) and refused.
 *
 * Notes: Go's sumdb/note example (golang.org/x/mod/sumdb/note
 * example_test.go: the key "PeterNeumann" from its seed, the signed note
 * byte for byte, its verifier key), round trips, skipped cosignatures and
 * every malformed shape; checkpoints written and parsed.  The cross-check
 * with Go's own code is tests/e2e/tlog_interop.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "ledger_note.h"
#include "ledger_tree.h"

/* ---- an in-memory stored-hash table ------------------------------------ */

#define MAXN 70
typedef struct mem {
    ledger_tree_hash_t h[8][MAXN];
    int have[8][MAXN];
    int puts;
} mem_t;

static int mem_get(void *ctx, unsigned level, uint64_t index, ledger_tree_hash_t out,
                   ledger_err_t *err)
{
    mem_t *m = ctx;
    if (level >= 8 || index >= MAXN || !m->have[level][index])
        return ledger_err_set(err, LEDGER_ENOTFOUND, "no hash at %u/%llu", level,
                              (unsigned long long)index);
    memcpy(out, m->h[level][index], 32);
    return 0;
}

static int mem_put(void *ctx, unsigned level, uint64_t index, const ledger_tree_hash_t hash,
                   ledger_err_t *err)
{
    mem_t *m = ctx;
    assert_true(level < 8 && index < MAXN);
    assert_false(m->have[level][index]); /* each stored hash is written once */
    memcpy(m->h[level][index], hash, 32);
    m->have[level][index] = 1;
    m->puts++;
    (void)err;
    return 0;
}

static void leaf_bytes(int i, uint8_t *b, size_t *n)
{
    *n = (size_t)(i % 5) + 1;
    for (size_t k = 0; k < *n; k++)
        b[k] = (uint8_t)(i * 7 + (int)k);
}

/* MTH(D[lo:hi]) straight from RFC 9162 §2.1.1, from the leaf bytes. */
static void mth(int lo, int hi, ledger_tree_hash_t out)
{
    if (hi - lo == 1) {
        uint8_t b[8];
        size_t n;
        leaf_bytes(lo, b, &n);
        ledger_tree_leaf_hash(b, n, out);
        return;
    }
    int k = 1;
    while (k * 2 < hi - lo)
        k *= 2;
    ledger_tree_hash_t l, r;
    mth(lo, lo + k, l);
    mth(lo + k, hi, r);
    ledger_tree_node_hash(l, r, out);
}

static mem_t *build(int n)
{
    mem_t *m = calloc(1, sizeof *m);
    ledger_err_t err;
    for (int i = 0; i < n; i++) {
        uint8_t b[8];
        size_t bl;
        ledger_tree_hash_t lh;
        leaf_bytes(i, b, &bl);
        ledger_tree_leaf_hash(b, bl, lh);
        assert_int_equal(ledger_tree_append((uint64_t)i, lh, mem_get, mem_put, m, &err), 0);
    }
    return m;
}

static void hex32(const char *hex, uint8_t out[32])
{
    assert_int_equal(sodium_hex2bin(out, 32, hex, 64, NULL, NULL, NULL), 0);
}

/* RFC 6962's test leaves and the roots of their first 1..8 (the vectors of
 * Certificate Transparency's merkle tree tests). */
static void test_ct_vectors(void **state)
{
    (void)state;
    static const char *const leaves[8] = {"",
                                          "00",
                                          "10",
                                          "2021",
                                          "3031",
                                          "40414243",
                                          "5051525354555657",
                                          "606162636465666768696a6b6c6d6e6f"};
    static const char *const roots[8] = {
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    };
    mem_t *m = calloc(1, sizeof *m);
    ledger_err_t err;
    ledger_tree_hash_t root, want;
    assert_int_equal(ledger_tree_root(0, mem_get, m, root, &err), 0);
    hex32("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want);
    assert_memory_equal(root, want, 32);
    for (int i = 0; i < 8; i++) {
        uint8_t b[16];
        size_t bl = 0;
        ledger_tree_hash_t lh;
        assert_int_equal(sodium_hex2bin(b, sizeof b, leaves[i], strlen(leaves[i]), NULL, &bl, NULL),
                         0);
        ledger_tree_leaf_hash(b, bl, lh);
        assert_int_equal(ledger_tree_append((uint64_t)i, lh, mem_get, mem_put, m, &err), 0);
        assert_int_equal(ledger_tree_root((uint64_t)i + 1, mem_get, m, root, &err), 0);
        hex32(roots[i], want);
        assert_memory_equal(root, want, 32);
    }
    /* 8 leaves: 8 + 4 + 2 + 1 stored hashes */
    assert_int_equal(m->puts, 15);
    free(m);
}

static void test_roots(void **state)
{
    (void)state;
    mem_t *m = build(MAXN);
    ledger_err_t err;
    for (int n = 1; n <= MAXN; n++) {
        ledger_tree_hash_t a, b;
        assert_int_equal(ledger_tree_root((uint64_t)n, mem_get, m, a, &err), 0);
        mth(0, n, b);
        assert_memory_equal(a, b, 32);
    }
    /* 2n - popcount(n) stored hashes */
    assert_int_equal(m->puts, 2 * MAXN - __builtin_popcount(MAXN));
    free(m);
}

static void test_inclusion(void **state)
{
    (void)state;
    mem_t *m = build(MAXN);
    ledger_err_t err;
    ledger_tree_hash_t p[LEDGER_TREE_MAX_PROOF], q[LEDGER_TREE_MAX_PROOF + 1];
    size_t n;
    for (int size = 1; size <= MAXN; size++) {
        ledger_tree_hash_t root;
        mth(0, size, root);
        for (int i = 0; i < size; i++) {
            ledger_tree_hash_t leaf;
            mth(i, i + 1, leaf);
            assert_int_equal(
                ledger_tree_prove_inclusion((uint64_t)i, (uint64_t)size, mem_get, m, p, &n, &err),
                0);
            assert_int_equal(
                ledger_tree_verify_inclusion(leaf, (uint64_t)i, (uint64_t)size, p, n, root, &err),
                0);
            /* spoilt proofs */
            if (n > 0) {
                memcpy(q, p, n * 32);
                q[n - 1][5] ^= 1;
                assert_int_equal(ledger_tree_verify_inclusion(leaf, (uint64_t)i, (uint64_t)size, q,
                                                              n, root, &err),
                                 LEDGER_EVERIFY);
                assert_int_equal(ledger_tree_verify_inclusion(leaf, (uint64_t)i, (uint64_t)size, p,
                                                              n - 1, root, &err),
                                 LEDGER_EVERIFY);
            }
            memcpy(q, p, n * 32);
            memcpy(q[n], root, 32);
            assert_int_equal(ledger_tree_verify_inclusion(leaf, (uint64_t)i, (uint64_t)size, q,
                                                          n + 1, root, &err),
                             LEDGER_EVERIFY);
            if (size > 1)
                assert_int_equal(ledger_tree_verify_inclusion(leaf, (uint64_t)((i + 1) % size),
                                                              (uint64_t)size, p, n, root, &err),
                                 LEDGER_EVERIFY);
            assert_int_equal(ledger_tree_verify_inclusion(leaf, (uint64_t)size, (uint64_t)size, p,
                                                          n, root, &err),
                             LEDGER_EVERIFY);
            assert_non_null(strstr(err.msg, "past the tree size"));
        }
    }
    assert_int_equal(ledger_tree_prove_inclusion(5, 5, mem_get, m, p, &n, &err), LEDGER_EINVAL);
    free(m);
}

static void test_consistency(void **state)
{
    (void)state;
    mem_t *m = build(MAXN);
    ledger_err_t err;
    ledger_tree_hash_t p[LEDGER_TREE_MAX_PROOF], q[LEDGER_TREE_MAX_PROOF + 1];
    size_t n;
    for (int b = 1; b <= MAXN; b++) {
        ledger_tree_hash_t nr;
        mth(0, b, nr);
        for (int a = 1; a <= b; a++) {
            ledger_tree_hash_t orr;
            mth(0, a, orr);
            assert_int_equal(
                ledger_tree_prove_consistency((uint64_t)a, (uint64_t)b, mem_get, m, p, &n, &err),
                0);
            assert_int_equal(
                ledger_tree_verify_consistency((uint64_t)a, (uint64_t)b, orr, nr, p, n, &err), 0);
            if (n > 0) {
                memcpy(q, p, n * 32);
                q[0][0] ^= 0x80;
                assert_int_equal(
                    ledger_tree_verify_consistency((uint64_t)a, (uint64_t)b, orr, nr, q, n, &err),
                    LEDGER_EVERIFY);
                assert_int_equal(ledger_tree_verify_consistency((uint64_t)a, (uint64_t)b, orr, nr,
                                                                p, n - 1, &err),
                                 LEDGER_EVERIFY);
            }
            memcpy(q, p, n * 32);
            memcpy(q[n], nr, 32);
            assert_int_equal(
                ledger_tree_verify_consistency((uint64_t)a, (uint64_t)b, orr, nr, q, n + 1, &err),
                LEDGER_EVERIFY);
            /* the old root of another size does not pass */
            if (a < b) {
                ledger_tree_hash_t other;
                mth(0, a + 1, other);
                assert_int_equal(
                    ledger_tree_verify_consistency((uint64_t)a, (uint64_t)b, other, nr, p, n, &err),
                    LEDGER_EVERIFY);
            }
        }
    }
    assert_int_equal(ledger_tree_prove_consistency(0, 3, mem_get, m, p, &n, &err), LEDGER_EINVAL);
    assert_int_equal(ledger_tree_prove_consistency(4, 3, mem_get, m, p, &n, &err), LEDGER_EINVAL);
    free(m);
}

/* ---- notes ------------------------------------------------------------- */

typedef struct key {
    uint8_t pk[32], sk[64];
} key_t_;

static void key_sign(void *ctx, const uint8_t *msg, size_t n, uint8_t sig[64])
{
    key_t_ *k = ctx;
    crypto_sign_detached(sig, NULL, msg, n, k->sk);
}

#define NEUMANN_TEXT                                                                               \
    "If you think cryptography is the answer to your problem,\n"                                   \
    "then you don't know what your problem is.\n"
#define NEUMANN_NOTE                                                                               \
    NEUMANN_TEXT                                                                                   \
        "\n"                                                                                       \
        "\xe2\x80\x94 PeterNeumann "                                                               \
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6K"         \
        "E6RyyBwJnAM=\n"
#define NEUMANN_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

static void neumann_key(key_t_ *k)
{
    /* the seed of Go's example private key
     * PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz */
    static const char b64[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    uint8_t raw[33];
    size_t n = 0;
    assert_int_equal(sodium_base642bin(raw, sizeof raw, b64, strlen(b64), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(n, 33);
    assert_int_equal(raw[0], 1);
    crypto_sign_seed_keypair(k->pk, k->sk, raw + 1);
}

static void test_go_example(void **state)
{
    (void)state;
    key_t_ k;
    ledger_err_t err;
    char vkey[200];
    neumann_key(&k);
    assert_int_equal(ledger_note_vkey("PeterNeumann", k.pk, vkey, sizeof vkey, &err), 0);
    assert_string_equal(vkey, NEUMANN_VKEY);
    size_t nl;
    uint8_t pk[32];
    assert_int_equal(ledger_note_vkey_parse(vkey, strlen(vkey), &nl, pk, &err), 0);
    assert_int_equal(nl, 12);
    assert_memory_equal(pk, k.pk, 32);

    ledger_note_signer_t s = {.name = "PeterNeumann", .sign = key_sign, .ctx = &k};
    memcpy(s.pk, k.pk, 32);
    ledger_buf_t out = LEDGER_BUF_INIT;
    assert_int_equal(ledger_note_sign(NEUMANN_TEXT, strlen(NEUMANN_TEXT), &s, 1, &out, &err), 0);
    assert_int_equal(out.len, strlen(NEUMANN_NOTE));
    assert_memory_equal(out.data, NEUMANN_NOTE, out.len);
    ledger_buf_free(&out);

    size_t tl;
    assert_int_equal(
        ledger_note_open(NEUMANN_NOTE, strlen(NEUMANN_NOTE), "PeterNeumann", k.pk, &tl, &err), 0);
    assert_int_equal(tl, strlen(NEUMANN_TEXT));
}

static void test_note_refuses(void **state)
{
    (void)state;
    key_t_ k, other;
    ledger_err_t err;
    size_t tl;
    neumann_key(&k);
    crypto_sign_keypair(other.pk, other.sk);
    const char *good = NEUMANN_NOTE;
    char buf[1024];

    /* a changed text */
    snprintf(buf, sizeof buf, "%s", good);
    buf[3] = 'Y';
    assert_int_equal(ledger_note_open(buf, strlen(buf), "PeterNeumann", k.pk, &tl, &err),
                     LEDGER_EVERIFY);
    /* another key of the same name: not signed by it */
    assert_int_equal(ledger_note_open(good, strlen(good), "PeterNeumann", other.pk, &tl, &err),
                     LEDGER_EVERIFY);
    assert_non_null(strstr(err.msg, "not signed by the key of PeterNeumann"));
    /* malformed shapes */
    static const char *const bad[] = {
        "",
        "no newline",
        "text\n\xe2\x80\x94 PeterNeumann AAAA\n",           /* no blank line */
        "text\n\n",                                         /* no signature line */
        "text\n\n- PeterNeumann AAAAAAAA\n",                /* not an em dash */
        "text\n\n\xe2\x80\x94 PeterNeumann\n",              /* no signature */
        "text\n\n\xe2\x80\x94 PeterNeumann !!!!\n",         /* not base64 */
        "te\x01xt\n\n\xe2\x80\x94 PeterNeumann AAAAAAAA\n", /* a control character */
        "te\xffxt\n\n\xe2\x80\x94 PeterNeumann AAAAAAAA\n", /* not UTF-8 */
        "text\n\n\xe2\x80\x94 PeterNeumann AAAAAAAA",       /* no last newline */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = ledger_note_open(bad[i], strlen(bad[i]), "PeterNeumann", k.pk, &tl, &err);
        if (rc != LEDGER_EINPUT)
            fail_msg("bad note %zu: %d (%s)", i, rc, err.msg);
    }
    /* a cosignature of another key is skipped; ours still found */
    ledger_note_signer_t s[2] = {{.name = "witness.example", .sign = key_sign, .ctx = &other},
                                 {.name = "PeterNeumann", .sign = key_sign, .ctx = &k}};
    memcpy(s[0].pk, other.pk, 32);
    memcpy(s[1].pk, k.pk, 32);
    ledger_buf_t out = LEDGER_BUF_INIT;
    assert_int_equal(ledger_note_sign(NEUMANN_TEXT, strlen(NEUMANN_TEXT), s, 2, &out, &err), 0);
    assert_int_equal(ledger_note_open((char *)out.data, out.len, "PeterNeumann", k.pk, &tl, &err),
                     0);
    assert_int_equal(
        ledger_note_open((char *)out.data, out.len, "witness.example", other.pk, &tl, &err), 0);
    ledger_buf_free(&out);
    /* texts a note cannot sign */
    assert_int_equal(ledger_note_sign("a\n\nb\n", 5, s, 1, &out, &err), LEDGER_EINPUT);
    assert_int_equal(ledger_note_sign("no newline", 10, s, 1, &out, &err), LEDGER_EINPUT);
    ledger_buf_free(&out);
    /* verifier keys */
    size_t nl;
    uint8_t pk[32];
    static const char *const badkeys[] = {
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* wrong ID */
        "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  /* short */
        "PeterNeumann+c74f20a3",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+zz4f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    };
    for (size_t i = 0; i < sizeof badkeys / sizeof *badkeys; i++)
        assert_int_equal(ledger_note_vkey_parse(badkeys[i], strlen(badkeys[i]), &nl, pk, &err),
                         LEDGER_EINPUT);
}

static void test_checkpoint(void **state)
{
    (void)state;
    ledger_err_t err;
    ledger_checkpoint_t cp;
    uint8_t feed[32], root[32];
    char origin[LEDGER_NOTE_ORIGIN_LEN];
    for (int i = 0; i < 32; i++) {
        feed[i] = (uint8_t)i;
        root[i] = (uint8_t)(255 - i);
    }
    ledger_note_feed_origin(feed, origin);
    assert_string_equal(origin,
                        "keten/000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    ledger_buf_t t = LEDGER_BUF_INIT;
    assert_int_equal(ledger_checkpoint_text(origin, 12345, root, &t, &err), 0);
    assert_int_equal(ledger_checkpoint_parse((char *)t.data, t.len, &cp, &err), 0);
    assert_string_equal(cp.origin, origin);
    assert_int_equal(cp.size, 12345);
    assert_memory_equal(cp.root, root, 32);
    assert_int_equal(cp.ext_len, 0);
    ledger_buf_free(&t);

    const char *ext = "example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nx y\n";
    assert_int_equal(ledger_checkpoint_parse(ext, strlen(ext), &cp, &err), 0);
    assert_int_equal(cp.size, 0);
    assert_int_equal(cp.ext_len, 4);
    static const char *const bad[] = {
        "example.com/log\n12\n",                                  /* no root */
        "\n12\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",   /* no origin */
        "o\n012\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", /* leading zero */
        "o\n1x\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",  /* not a number */
        "o\n99999999999999999999\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", /* too big */
        "o\n12\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF=\n",    /* not 32 bytes */
        "o\n12\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n", /* empty extension */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = ledger_checkpoint_parse(bad[i], strlen(bad[i]), &cp, &err);
        if (rc != LEDGER_EINPUT)
            fail_msg("bad checkpoint %zu: %d", i, rc);
    }
}

/* The checkpoint vector of docs/format.md: the key with the Ed25519 seed
 * 07 07 ... 07, the tree of the 5 leaves "keten test leaf 0" .. "4". */
#define DOC_ORIGIN "keten/ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c"
static void test_doc_vector(void **state)
{
    (void)state;
    key_t_ k;
    uint8_t seed[32];
    ledger_err_t err;
    memset(seed, 7, sizeof seed);
    crypto_sign_seed_keypair(k.pk, k.sk, seed);
    mem_t *m = calloc(1, sizeof *m);
    for (int i = 0; i < 5; i++) {
        char leaf[32];
        int n = snprintf(leaf, sizeof leaf, "keten test leaf %d", i);
        ledger_tree_hash_t h, want;
        ledger_tree_leaf_hash((const uint8_t *)leaf, (size_t)n, h);
        if (i == 0) {
            hex32("3bf8056c29060a45e6403e20bde0947c871c5043d81aaa649c12b9b9c7a382b3", want);
            assert_memory_equal(h, want, 32);
        }
        assert_int_equal(ledger_tree_append((uint64_t)i, h, mem_get, mem_put, m, &err), 0);
    }
    ledger_tree_hash_t root;
    assert_int_equal(ledger_tree_root(5, mem_get, m, root, &err), 0);
    char origin[LEDGER_NOTE_ORIGIN_LEN], vkey[200];
    ledger_note_feed_origin(k.pk, origin);
    assert_string_equal(origin, DOC_ORIGIN);
    assert_int_equal(ledger_note_vkey(origin, k.pk, vkey, sizeof vkey, &err), 0);
    assert_string_equal(vkey, DOC_ORIGIN "+2cfd81bd+AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs");
    ledger_buf_t text = LEDGER_BUF_INIT, note = LEDGER_BUF_INIT;
    ledger_note_signer_t s = {.name = origin, .sign = key_sign, .ctx = &k};
    memcpy(s.pk, k.pk, 32);
    assert_int_equal(ledger_checkpoint_text(origin, 5, root, &text, &err), 0);
    assert_int_equal(ledger_note_sign((char *)text.data, text.len, &s, 1, &note, &err), 0);
    static const char want[] = DOC_ORIGIN
        "\n5\nZI9Yvx0SDdc0VyZtjoC8nYSazgvRMMJ/fcSMFjZAoLk=\n\n"
        "\xe2\x80\x94 " DOC_ORIGIN
        " LP2BvQ68zESjg3NOUQsO/ZhcXbJk/lWTlNdAY3oDDNgRpKZ4D1xgXHzpjxAYZR0x9KGjpOGiWFFJavNRJHD7"
        "EZt28go=\n";
    assert_int_equal(note.len, strlen(want));
    assert_memory_equal(note.data, want, note.len);
    ledger_buf_free(&text);
    ledger_buf_free(&note);
    free(m);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ct_vectors), cmocka_unit_test(test_roots),
        cmocka_unit_test(test_inclusion),  cmocka_unit_test(test_consistency),
        cmocka_unit_test(test_go_example), cmocka_unit_test(test_note_refuses),
        cmocka_unit_test(test_checkpoint), cmocka_unit_test(test_doc_vector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
