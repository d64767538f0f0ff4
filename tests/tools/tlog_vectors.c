/* tlog_vectors.c -- keten's side of tests/e2e/tlog_interop.sh: a tree of N
 * leaves (leaf i = "keten test leaf <i>") built with ledger_tree, its
 * checkpoint signed with ledger_note, and proofs, for Go's tlog and note to
 * check; and the other way round, a checkpoint Go signed, opened here.
 *
 *   tlog_vectors emit N     JSON on stdout: n, origin, vkey, note, and the
 *                           inclusion and consistency proofs of every size
 *                           up to 40 and a sample up to N (hashes base64)
 *   tlog_vectors open FILE  FILE: a verifier key line, then a signed
 *                           checkpoint; opens it, and checks that its root
 *                           is this tree's root at its size
 * Exit 0 on success, 1 with a message on stderr otherwise. */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_note.h"
#include "ledger_tree.h"

typedef struct mem {
    uint64_t n;
    ledger_tree_hash_t *lv[64];
} mem_t;

static int get(void *ctx, unsigned level, uint64_t index, ledger_tree_hash_t out, ledger_err_t *err)
{
    mem_t *m = ctx;
    if (level >= 64 || !m->lv[level] || index >= (m->n >> level))
        return ledger_err_set(err, LEDGER_ENOTFOUND, "no stored hash %u/%" PRIu64, level, index);
    memcpy(out, m->lv[level][index], 32);
    return 0;
}

static int put(void *ctx, unsigned level, uint64_t index, const ledger_tree_hash_t h,
               ledger_err_t *err)
{
    mem_t *m = ctx;
    (void)err;
    memcpy(m->lv[level][index], h, 32);
    return 0;
}

static void build(mem_t *m, uint64_t n)
{
    ledger_err_t err;
    m->n = n;
    for (unsigned l = 0; l < 64 && (n >> l); l++)
        m->lv[l] = calloc(n >> l, 32);
    for (uint64_t i = 0; i < n; i++) {
        char leaf[64];
        int len = snprintf(leaf, sizeof leaf, "keten test leaf %" PRIu64, i);
        ledger_tree_hash_t h;
        ledger_tree_leaf_hash((const uint8_t *)leaf, (size_t)len, h);
        if (ledger_tree_append(i, h, get, put, m, &err)) {
            fprintf(stderr, "tlog_vectors: %s\n", err.msg);
            exit(1);
        }
    }
}

static void unbuild(mem_t *m)
{
    for (unsigned l = 0; l < 64; l++)
        free(m->lv[l]);
}

static void json_str(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            fputs("\\n", stdout);
        else if (s[i] == '"' || s[i] == '\\')
            printf("\\%c", s[i]);
        else
            putchar(s[i]);
    }
    putchar('"');
}

static void json_hashes(const ledger_tree_hash_t *h, size_t n)
{
    char b64[64];
    putchar('[');
    for (size_t i = 0; i < n; i++) {
        sodium_bin2base64(b64, sizeof b64, h[i], 32, sodium_base64_VARIANT_ORIGINAL);
        printf("%s\"%s\"", i ? "," : "", b64);
    }
    putchar(']');
}

static void signer_sign(void *ctx, const uint8_t *m, size_t n, uint8_t sig[64])
{
    crypto_sign_detached(sig, NULL, m, n, ctx);
}

static int emit(uint64_t n)
{
    mem_t m = {0};
    ledger_err_t err;
    ledger_tree_hash_t root, p[LEDGER_TREE_MAX_PROOF];
    uint8_t pk[32], sk[64], seed[32];
    char origin[LEDGER_NOTE_ORIGIN_LEN], vkey[200];
    size_t np;
    build(&m, n);
    memset(seed, 7, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
    ledger_note_feed_origin(pk, origin);
    ledger_buf_t text = LEDGER_BUF_INIT, note = LEDGER_BUF_INIT;
    ledger_note_signer_t s = {.name = origin, .sign = signer_sign, .ctx = sk};
    memcpy(s.pk, pk, 32);
    if (ledger_tree_root(n, get, &m, root, &err) ||
        ledger_checkpoint_text(origin, n, root, &text, &err) ||
        ledger_note_sign((char *)text.data, text.len, &s, 1, &note, &err) ||
        ledger_note_vkey(origin, pk, vkey, sizeof vkey, &err)) {
        fprintf(stderr, "tlog_vectors: %s\n", err.msg);
        return 1;
    }
    printf("{\"n\":%" PRIu64 ",\"origin\":\"%s\",\"vkey\":\"%s\",\"note\":", n, origin, vkey);
    json_str((char *)note.data, note.len);
    printf(",\n\"inclusion\":[");
    int first = 1;
    for (uint64_t size = 1; size <= n; size = size < 40 ? size + 1 : size * 3 / 2 + 1) {
        for (uint64_t i = 0; i < size; i = size <= 40 ? i + 1 : i * 2 + 1) {
            if (ledger_tree_prove_inclusion(i, size, get, &m, p, &np, &err))
                goto fail;
            printf("%s\n{\"index\":%" PRIu64 ",\"size\":%" PRIu64 ",\"hashes\":", first ? "" : ",",
                   i, size);
            json_hashes(p, np);
            putchar('}');
            first = 0;
        }
    }
    printf("],\n\"consistency\":[");
    first = 1;
    for (uint64_t b = 1; b <= n; b = b < 40 ? b + 1 : b * 3 / 2 + 1) {
        for (uint64_t a = 1; a <= b; a = b <= 40 ? a + 1 : a * 2 + 1) {
            if (ledger_tree_prove_consistency(a, b, get, &m, p, &np, &err))
                goto fail;
            printf("%s\n{\"old\":%" PRIu64 ",\"new\":%" PRIu64 ",\"hashes\":", first ? "" : ",", a,
                   b);
            json_hashes(p, np);
            putchar('}');
            first = 0;
        }
    }
    printf("]}\n");
    ledger_buf_free(&text);
    ledger_buf_free(&note);
    unbuild(&m);
    return 0;
fail:
    fprintf(stderr, "tlog_vectors: %s\n", err.msg);
    ledger_buf_free(&text);
    ledger_buf_free(&note);
    unbuild(&m);
    return 1;
}

static int open_note(const char *file)
{
    static char buf[LEDGER_NOTE_MAX + 300];
    FILE *f = fopen(file, "rb");
    if (!f) {
        perror(file);
        return 1;
    }
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    char *nl = strchr(buf, '\n');
    if (!nl) {
        fprintf(stderr, "tlog_vectors: %s: no verifier key line\n", file);
        return 1;
    }
    ledger_err_t err;
    uint8_t pk[32];
    size_t name_len, tl;
    char name[LEDGER_NOTE_NAME_MAX + 1];
    ledger_checkpoint_t cp;
    ledger_tree_hash_t root;
    if (ledger_note_vkey_parse(buf, (size_t)(nl - buf), &name_len, pk, &err))
        goto fail;
    memcpy(name, buf, name_len);
    name[name_len] = '\0';
    const char *note = nl + 1;
    size_t nn = len - (size_t)(note - buf);
    if (ledger_note_open(note, nn, name, pk, &tl, &err) ||
        ledger_checkpoint_parse(note, tl, &cp, &err))
        goto fail;
    if (strcmp(cp.origin, name) != 0) {
        fprintf(stderr, "tlog_vectors: origin %s is not the key's name %s\n", cp.origin, name);
        return 1;
    }
    mem_t m = {0};
    int rc_;
    build(&m, cp.size);
    rc_ = ledger_tree_root(cp.size, get, &m, root, &err);
    unbuild(&m);
    if (rc_)
        goto fail;
    if (memcmp(root, cp.root, 32) != 0) {
        fprintf(stderr,
                "tlog_vectors: the checkpoint's root is not keten's root of %" PRIu64 " leaves\n",
                cp.size);
        return 1;
    }
    printf("tlog_vectors: checkpoint of %s, %" PRIu64 " leaves, signature and root: ok\n", name,
           cp.size);
    return 0;
fail:
    fprintf(stderr, "tlog_vectors: %s\n", err.msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    if (argc == 3 && strcmp(argv[1], "emit") == 0)
        return emit(strtoull(argv[2], NULL, 10));
    if (argc == 3 && strcmp(argv[1], "open") == 0)
        return open_note(argv[2]);
    fprintf(stderr, "usage: tlog_vectors emit N | tlog_vectors open FILE\n");
    return 2;
}
