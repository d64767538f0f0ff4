/* test_feed_tree.c -- each feed's Merkle tree in the store
 * (ledger_tree_db.c; ledger_store.h, "the Merkle tree of a feed").
 *
 *  - own appends: the tree's size is the feed's head, its root is the tree
 *    this test builds itself from the entries' header bytes, and every
 *    inclusion and consistency proof the store gives verifies (and fails
 *    for another leaf);
 *  - a partner's feed replicated into another store (some entries sealed)
 *    has the same root as in its own store;
 *  - a store of format 4 (no tree) is upgraded when opened: the tree is
 *    built from the log, the same root, and verify passes;
 *  - verify finds a tree row changed, missing or left over;
 *  - the own feed's checkpoint is signed at every commit, opens with the
 *    feed's key and names the tree's size and root; an upgraded store
 *    signs one on demand; verify finds one changed on disk. */
#include <lmdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "ledger_entry.h"
#include "ledger_note.h"
#include "ledger_replica.h"
#include "ledger_store.h"
#include "ledger_tree.h"
#include "store_testlib.h"

static const char *ev_fmt =
    "{\"type\": \"ObjectEvent\", \"eventTime\": \"2026-03-01T08:%02d:00Z\", "
    "\"eventTimeZoneOffset\": \"+00:00\", \"action\": \"OBSERVE\", "
    "\"epcList\": [\"urn:epc:id:sgtin:5412345.000001.%d\"]}";

static uint64_t rec_fmt(tl_node_t *n, unsigned flags, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    uint64_t seq = tl_vrec(n, flags, fmt, ap);
    va_end(ap);
    return seq;
}

static uint64_t rec(tl_node_t *n, unsigned flags, int i)
{
    return rec_fmt(n, flags, ev_fmt, i % 60, 1000 + i);
}

typedef struct fx {
    char dir[300];
    tl_node_t a, b;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (!f || tl_tmpdir(f->dir, sizeof f->dir, "keten-tree"))
        return -1;
    tl_node_open(&f->a, f->dir, "a");
    tl_node_open(&f->b, f->dir, "b");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    tl_node_close(&f->a);
    tl_node_close(&f->b);
    tl_rmtree(f->dir);
    free(f);
    return 0;
}

/* ---- the tree the test builds itself, from the entries ---------------- */

typedef struct leaves {
    ledger_tree_hash_t h[256];
    size_t n;
} leaves_t;

static int collect(const ledger_stored_t *s, void *ctx)
{
    leaves_t *l = ctx;
    assert_true(l->n < 256);
    ledger_tree_leaf_hash(s->e.hbytes, s->e.hlen, l->h[l->n++]);
    return 0;
}

/* MTH over leaf hashes h[lo..hi) (RFC 9162 2.1.1). */
static void mth(const leaves_t *l, size_t lo, size_t hi, ledger_tree_hash_t out)
{
    if (hi - lo == 1) {
        memcpy(out, l->h[lo], 32);
        return;
    }
    size_t k = 1;
    while (k * 2 < hi - lo)
        k *= 2;
    ledger_tree_hash_t a, b;
    mth(l, lo, lo + k, a);
    mth(l, lo + k, hi, b);
    ledger_tree_node_hash(a, b, out);
}

static void own_leaves(tl_node_t *n, const uint8_t *feed, uint64_t count, leaves_t *l)
{
    ledger_err_t err;
    l->n = 0;
    for (uint64_t seq = 1; seq <= count; seq++)
        if (ledger_store_get(n->st, feed, seq, collect, l, &err))
            fail_msg("get %llu: %s", (unsigned long long)seq, err.msg);
}

/* Root, every inclusion proof and the consistency proofs of st's tree of
 * feed match the leaves l. */
static void check_tree(ledger_store_t *st, const uint8_t *feed, const leaves_t *l)
{
    ledger_err_t err;
    uint64_t size = 0;
    ledger_tree_hash_t root, want, leaf, p[LEDGER_TREE_MAX_PROOF];
    size_t np;
    assert_int_equal(ledger_store_tree_size(st, feed, &size, &err), 0);
    assert_int_equal(size, l->n);
    size = 0;
    assert_int_equal(ledger_store_tree_root(st, feed, &size, root, &err), 0);
    mth(l, 0, l->n, want);
    assert_memory_equal(root, want, 32);
    for (uint64_t seq = 1; seq <= l->n; seq++) {
        uint64_t sz = 0;
        if (ledger_store_prove_inclusion(st, feed, seq, &sz, leaf, p, &np, &err))
            fail_msg("prove %llu: %s", (unsigned long long)seq, err.msg);
        assert_memory_equal(leaf, l->h[seq - 1], 32);
        assert_int_equal(ledger_tree_verify_inclusion(leaf, seq - 1, sz, p, np, root, &err), 0);
        if (l->n > 1)
            assert_int_equal(ledger_tree_verify_inclusion(l->h[seq % l->n], seq - 1, sz, p, np,
                                                          root, &err),
                             LEDGER_EVERIFY);
    }
    for (uint64_t old = 1; old <= l->n; old += 3) {
        ledger_tree_hash_t oldroot;
        uint64_t sz = old;
        assert_int_equal(ledger_store_tree_root(st, feed, &sz, oldroot, &err), 0);
        mth(l, 0, old, want);
        assert_memory_equal(oldroot, want, 32);
        assert_int_equal(ledger_store_prove_consistency(st, feed, old, 0, p, &np, &err), 0);
        assert_int_equal(
            ledger_tree_verify_consistency(old, l->n, oldroot, root, p, np, &err), 0);
    }
    /* a size past the head */
    size = l->n + 1;
    assert_int_equal(ledger_store_tree_root(st, feed, &size, root, &err), LEDGER_EINVAL);
    assert_non_null(strstr(err.msg, "past the"));
}

static void test_own_feed(void **state)
{
    fx_t *f = *state;
    const uint8_t *feed = ledger_identity_public(f->a.id);
    leaves_t l;
    for (int i = 0; i < 37; i++)
        rec(&f->a, 0, i);
    own_leaves(&f->a, feed, 37, &l);
    check_tree(f->a.st, feed, &l);
    ledger_err_t err;
    assert_int_equal(ledger_store_verify(f->a.st, NULL, NULL, &err), 0);
}

typedef struct run {
    uint8_t *e[256];
    size_t len[256], n;
} run_t;

static int grab(const uint8_t *bytes, size_t len, uint64_t seq, void *ctx)
{
    run_t *r = ctx;
    (void)seq;
    r->e[r->n] = malloc(len);
    memcpy(r->e[r->n], bytes, len);
    r->len[r->n++] = len;
    return 0;
}

static void test_replicated_feed(void **state)
{
    fx_t *f = *state;
    const uint8_t *feed = ledger_identity_public(f->a.id);
    ledger_err_t err;
    for (int i = 0; i < 21; i++)
        rec(&f->a, i % 4 == 1 ? LEDGER_APPEND_PRIVATE : 0, i); /* private: served sealed */
    run_t r = {0};
    uint64_t next;
    assert_int_equal(
        ledger_replica_range(f->a.st, feed, 1, 0, 0, 0, 0, grab, &r, &next, &err), 0);
    assert_int_equal(r.n, 21);
    /* in two runs, as a node gets them */
    ledger_ingest_t *in;
    ledger_ingest_report_t rep;
    assert_int_equal(ledger_ingest_begin(f->b.st, &in, &err), 0);
    assert_int_equal(ledger_ingest_add(in, feed, (const uint8_t *const *)r.e, r.len, 8, &rep, &err),
                     0);
    assert_int_equal(ledger_ingest_add(in, feed, (const uint8_t *const *)r.e + 8, r.len + 8, 13,
                                       &rep, &err),
                     0);
    assert_int_equal(ledger_ingest_commit(in, &err), 0);
    ledger_tree_hash_t ra, rb;
    uint64_t sa = 0, sb = 0;
    assert_int_equal(ledger_store_tree_root(f->a.st, feed, &sa, ra, &err), 0);
    assert_int_equal(ledger_store_tree_root(f->b.st, feed, &sb, rb, &err), 0);
    assert_int_equal(sa, 21);
    assert_int_equal(sb, 21);
    assert_memory_equal(ra, rb, 32);
    assert_int_equal(ledger_store_verify(f->b.st, NULL, NULL, &err), 0);
    for (size_t i = 0; i < r.n; i++)
        free(r.e[i]);
}

static MDB_env *open_raw(const char *dir, MDB_txn **txn)
{
    MDB_env *env;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_set_mapsize(env, (size_t)1 << 30), 0);
    assert_int_equal(mdb_env_open(env, dir, MDB_NOTLS, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, txn), 0);
    return env;
}

/* The store in dir as keten wrote it before format 5: version "4", no tree. */
static void make_v4(const char *dir)
{
    MDB_txn *txn;
    MDB_env *env = open_raw(dir, &txn);
    MDB_dbi meta, tree;
    MDB_val vk = {7, "version"}, vv = {1, "4"};
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    assert_int_equal(mdb_put(txn, meta, &vk, &vv, 0), 0);
    assert_int_equal(mdb_dbi_open(txn, "tree", 0, &tree), 0);
    assert_int_equal(mdb_drop(txn, tree, 1), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void reopen(tl_node_t *n, unsigned flags)
{
    ledger_err_t err;
    ledger_store_close(n->st);
    n->st = NULL;
    if (ledger_store_open(n->dir, flags, flags ? NULL : ledger_identity_public(n->id), &n->st,
                          &err))
        fail_msg("open: %s", err.msg);
}

typedef struct progress {
    int calls;
    uint64_t first_done, last_done, total;
} progress_t;

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
    progress_t *p = ctx;
    if (!p->calls++)
        p->first_done = done;
    p->last_done = done;
    p->total = total;
}

static void test_upgrade_v4(void **state)
{
    fx_t *f = *state;
    progress_t pr = {0};
    const uint8_t *feed = ledger_identity_public(f->a.id);
    leaves_t l;
    ledger_err_t err;
    for (int i = 0; i < 13; i++)
        rec(&f->a, 0, i);
    own_leaves(&f->a, feed, 13, &l);
    ledger_store_close(f->a.st);
    f->a.st = NULL;
    make_v4(f->a.dir);
    reopen(&f->a, LEDGER_STORE_RDONLY); /* read-only: upgraded by one open for writing */
    check_tree(f->a.st, feed, &l);
    make_v4(f->a.dir);
    ledger_store_on_upgrade(on_progress, &pr);
    reopen(&f->a, 0);
    ledger_store_on_upgrade(NULL, NULL);
    /* the upgrade said it starts (0 of 13) and that it is done (13 of 13) */
    assert_int_equal(pr.calls, 2);
    assert_int_equal(pr.first_done, 0);
    assert_int_equal(pr.last_done, 13);
    assert_int_equal(pr.total, 13);
    check_tree(f->a.st, feed, &l);
    assert_int_equal(ledger_store_verify(f->a.st, NULL, NULL, &err), 0);
    /* and the tree grows on from there */
    rec(&f->a, 0, 13);
    own_leaves(&f->a, feed, 14, &l);
    check_tree(f->a.st, feed, &l);
}

/* The version digit in dir's meta (raw LMDB, as another program sees it). */
static char raw_version(const char *dir)
{
    MDB_txn *txn;
    MDB_env *env = open_raw(dir, &txn);
    MDB_dbi meta;
    MDB_val vk = {7, "version"}, vv;
    char c;
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    assert_int_equal(mdb_get(txn, meta, &vk, &vv), 0);
    assert_int_equal(vv.mv_size, 1);
    c = *(char *)vv.mv_data;
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return c;
}

static void set_raw_version(const char *dir, const char *v1)
{
    MDB_txn *txn;
    MDB_env *env = open_raw(dir, &txn);
    MDB_dbi meta;
    MDB_val vk = {7, "version"}, vv = {1, (void *)v1};
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    assert_int_equal(mdb_put(txn, meta, &vk, &vv, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* Format 6 -> 7 (witnesses' cosignature rows): the version alone is
 * written, no walk over the log (the progress hook never hears of one);
 * a version past this keten's is refused, naming it. */
static void test_upgrade_v6(void **state)
{
    fx_t *f = *state;
    progress_t pr = {0};
    const uint8_t *feed = ledger_identity_public(f->a.id);
    leaves_t l;
    ledger_store_t *st;
    ledger_err_t err;
    for (int i = 0; i < 9; i++)
        rec(&f->a, 0, i);
    own_leaves(&f->a, feed, 9, &l);
    ledger_store_close(f->a.st);
    f->a.st = NULL;
    assert_int_equal(raw_version(f->a.dir), '7');
    set_raw_version(f->a.dir, "6");
    ledger_store_on_upgrade(on_progress, &pr);
    reopen(&f->a, LEDGER_STORE_RDONLY);
    ledger_store_on_upgrade(NULL, NULL);
    assert_int_equal(pr.calls, 0);
    check_tree(f->a.st, feed, &l);
    assert_int_equal(ledger_store_verify(f->a.st, NULL, NULL, &err), 0);
    ledger_store_close(f->a.st);
    f->a.st = NULL;
    assert_int_equal(raw_version(f->a.dir), '7');
    set_raw_version(f->a.dir, "8");
    assert_int_equal(ledger_store_open(f->a.dir, LEDGER_STORE_RDONLY, NULL, &st, &err),
                     LEDGER_EINPUT);
    assert_non_null(strstr(err.msg, "format version 8"));
    set_raw_version(f->a.dir, "7");
    reopen(&f->a, 0);
    rec(&f->a, 0, 9);
    own_leaves(&f->a, feed, 10, &l);
    check_tree(f->a.st, feed, &l);
}

/* Changes the tree database of dir: what = 0 flips a byte of leaf 4's
 * row, 1 deletes it, 2 adds a row no entry explains. */
static void spoil_tree(const char *dir, const uint8_t *feed, int what)
{
    MDB_txn *txn;
    MDB_env *env = open_raw(dir, &txn);
    MDB_dbi tree;
    uint8_t key[40], buf[64];
    MDB_val k = {sizeof key, key}, v;
    memcpy(key, feed, 32);
    memset(key + 32, 0, 8);
    key[39] = what == 2 ? 200 : 4;
    assert_int_equal(mdb_dbi_open(txn, "tree", 0, &tree), 0);
    if (what == 0) {
        assert_int_equal(mdb_get(txn, tree, &k, &v), 0);
        assert_true(v.mv_size >= 32 && v.mv_size <= sizeof buf);
        memcpy(buf, v.mv_data, v.mv_size);
        buf[7] ^= 1;
        v.mv_data = buf;
        assert_int_equal(mdb_put(txn, tree, &k, &v, 0), 0);
    } else if (what == 1) {
        assert_int_equal(mdb_del(txn, tree, &k, NULL), 0);
    } else {
        memset(buf, 1, 32);
        v.mv_data = buf;
        v.mv_size = 32;
        assert_int_equal(mdb_put(txn, tree, &k, &v, 0), 0);
    }
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void test_verify_tree(void **state)
{
    fx_t *f = *state;
    const uint8_t *feed = ledger_identity_public(f->a.id);
    static const char *const want[3] = {
        "seq 5: the feed's tree does not hold this entry's hashes",
        "seq 5: no leaf in the feed's tree",
        "the tree index holds 11 rows but the entries explain 10",
    };
    ledger_err_t err;
    for (int i = 0; i < 10; i++)
        rec(&f->a, 0, i);
    for (int what = 0; what < 3; what++) {
        ledger_store_close(f->a.st);
        f->a.st = NULL;
        spoil_tree(f->a.dir, feed, what);
        reopen(&f->a, 0);
        assert_int_equal(ledger_store_verify(f->a.st, NULL, NULL, &err), LEDGER_EVERIFY);
        if (!strstr(err.msg, want[what]))
            fail_msg("verify said \"%s\", expected \"%s\"", err.msg, want[what]);
        /* put it right again for the next case: rebuilt by an upgrade */
        ledger_store_close(f->a.st);
        f->a.st = NULL;
        make_v4(f->a.dir);
        reopen(&f->a, 0);
        assert_int_equal(ledger_store_verify(f->a.st, NULL, NULL, &err), 0);
    }
}

/* The kept checkpoint of st's own feed: signed by its key, of size want,
 * with the tree's root. */
static void check_checkpoint(ledger_store_t *st, const uint8_t *feed, uint64_t want)
{
    ledger_err_t err;
    ledger_buf_t note = LEDGER_BUF_INIT;
    char origin[LEDGER_NOTE_ORIGIN_LEN];
    size_t tl;
    ledger_checkpoint_t cp;
    ledger_tree_hash_t root;
    uint64_t size = 0;
    ledger_note_feed_origin(feed, origin);
    if (ledger_store_checkpoint(st, feed, &note, &err))
        fail_msg("checkpoint: %s", err.msg);
    assert_int_equal(ledger_note_open((char *)note.data, note.len, origin, feed, &tl, &err), 0);
    assert_int_equal(ledger_checkpoint_parse((char *)note.data, tl, &cp, &err), 0);
    assert_string_equal(cp.origin, origin);
    assert_int_equal(cp.size, want);
    assert_int_equal(ledger_store_tree_root(st, feed, &size, root, &err), 0);
    assert_int_equal(size, want);
    assert_memory_equal(cp.root, root, 32);
    ledger_buf_free(&note);
}

static void test_checkpoints(void **state)
{
    fx_t *f = *state;
    const uint8_t *feed = ledger_identity_public(f->a.id);
    ledger_err_t err;
    ledger_buf_t note = LEDGER_BUF_INIT;
    /* none before the first entry */
    assert_int_equal(ledger_store_checkpoint(f->a.st, feed, &note, &err), LEDGER_ENOTFOUND);
    assert_int_equal(ledger_store_checkpoint_sign(f->a.st, f->a.id, &err), LEDGER_ENOTFOUND);
    /* one per commit */
    for (int i = 0; i < 9; i++) {
        rec(&f->a, 0, i);
        check_checkpoint(f->a.st, feed, (uint64_t)i + 1);
    }
    /* another key cannot sign the feed's checkpoint */
    assert_int_equal(ledger_store_checkpoint_sign(f->a.st, f->b.id, &err), LEDGER_EINVAL);
    assert_int_equal(ledger_store_verify(f->a.st, NULL, NULL, &err), 0);
    /* an upgraded store has none until it signs one */
    ledger_store_close(f->a.st);
    f->a.st = NULL;
    make_v4(f->a.dir);
    {
        MDB_txn *txn;
        MDB_env *env = open_raw(f->a.dir, &txn);
        MDB_dbi d;
        assert_int_equal(mdb_dbi_open(txn, "checkpoint", 0, &d), 0);
        assert_int_equal(mdb_drop(txn, d, 1), 0);
        assert_int_equal(mdb_txn_commit(txn), 0);
        mdb_env_close(env);
    }
    reopen(&f->a, 0);
    assert_int_equal(ledger_store_checkpoint(f->a.st, feed, &note, &err), LEDGER_ENOTFOUND);
    assert_int_equal(ledger_store_checkpoint_sign(f->a.st, f->a.id, &err), 0);
    check_checkpoint(f->a.st, feed, 9);
    assert_int_equal(ledger_store_verify(f->a.st, NULL, NULL, &err), 0);
    /* a kept checkpoint changed on disk: verify names it */
    ledger_store_close(f->a.st);
    f->a.st = NULL;
    {
        MDB_txn *txn;
        MDB_env *env = open_raw(f->a.dir, &txn);
        MDB_dbi d;
        MDB_val k = {32, (void *)feed}, v;
        char buf[1024];
        assert_int_equal(mdb_dbi_open(txn, "checkpoint", 0, &d), 0);
        assert_int_equal(mdb_get(txn, d, &k, &v), 0);
        assert_true(v.mv_size < sizeof buf);
        memcpy(buf, v.mv_data, v.mv_size);
        char *size_line = strchr(buf, '\n') + 1;
        assert_int_equal(*size_line, '9');
        *size_line = '8'; /* claims another size: the signature no longer checks */
        v.mv_data = buf;
        assert_int_equal(mdb_put(txn, d, &k, &v, 0), 0);
        assert_int_equal(mdb_txn_commit(txn), 0);
        mdb_env_close(env);
    }
    reopen(&f->a, 0);
    assert_int_equal(ledger_store_verify(f->a.st, NULL, NULL, &err), LEDGER_EVERIFY);
    assert_non_null(strstr(err.msg, "the checkpoint of feed"));
    assert_non_null(strstr(err.msg, "does not check"));
    /* signing anew puts it right */
    assert_int_equal(ledger_store_checkpoint_sign(f->a.st, f->a.id, &err), 0);
    assert_int_equal(ledger_store_verify(f->a.st, NULL, NULL, &err), 0);
}

static void id_sign(void *ctx, const uint8_t *m, size_t n, uint8_t sig[64])
{
    ledger_identity_sign(ctx, m, n, sig);
}

/* Ingests entries from..to of a's feed into b, and (when note) a
 * checkpoint in the same transaction; returns the checkpoint's rc. */
static int ingest(fx_t *f, uint64_t from, uint64_t to, const ledger_buf_t *note, int *kept,
                  ledger_err_t *cerr)
{
    const uint8_t *feed = ledger_identity_public(f->a.id);
    ledger_err_t err;
    run_t r = {0};
    uint64_t next;
    ledger_ingest_t *in;
    ledger_ingest_report_t rep;
    int rc = 0;
    if (to >= from)
        assert_int_equal(
            ledger_replica_range(f->a.st, feed, from, to, 0, 0, 0, grab, &r, &next, &err), 0);
    assert_int_equal(ledger_ingest_begin(f->b.st, &in, &err), 0);
    if (r.n)
        assert_int_equal(
            ledger_ingest_add(in, feed, (const uint8_t *const *)r.e, r.len, r.n, &rep, &err), 0);
    if (note)
        rc = ledger_ingest_checkpoint(in, feed, (const char *)note->data, note->len, kept, cerr);
    assert_int_equal(ledger_ingest_commit(in, &err), 0);
    for (size_t i = 0; i < r.n; i++)
        free(r.e[i]);
    return rc;
}

static void test_partner_checkpoint(void **state)
{
    fx_t *f = *state;
    const uint8_t *feed = ledger_identity_public(f->a.id);
    ledger_err_t err;
    ledger_buf_t n5 = LEDGER_BUF_INIT, n8 = LEDGER_BUF_INIT, got = LEDGER_BUF_INIT;
    int kept;
    for (int i = 0; i < 5; i++)
        rec(&f->a, 0, i);
    assert_int_equal(ledger_store_checkpoint(f->a.st, feed, &n5, &err), 0);
    assert_int_equal(ingest(f, 1, 5, &n5, &kept, &err), 0);
    assert_int_equal(kept, 1);
    assert_int_equal(ledger_store_checkpoint(f->b.st, feed, &got, &err), 0);
    assert_int_equal(got.len, n5.len);
    assert_memory_equal(got.data, n5.data, n5.len); /* exactly as signed */
    for (int i = 5; i < 8; i++)
        rec(&f->a, 0, i);
    assert_int_equal(ledger_store_checkpoint(f->a.st, feed, &n8, &err), 0);
    /* ahead of the entries held: let be */
    assert_int_equal(ingest(f, 1, 0, &n8, &kept, &err), 0);
    assert_int_equal(kept, 0);
    /* with its entries, in the same transaction: kept */
    assert_int_equal(ingest(f, 6, 8, &n8, &kept, &err), 0);
    assert_int_equal(kept, 1);
    /* an older one does not replace it */
    assert_int_equal(ingest(f, 1, 0, &n5, &kept, &err), 0);
    assert_int_equal(kept, 0);
    got.len = 0;
    assert_int_equal(ledger_store_checkpoint(f->b.st, feed, &got, &err), 0);
    assert_int_equal(got.len, n8.len);
    assert_memory_equal(got.data, n8.data, n8.len);
    assert_int_equal(ledger_store_verify(f->b.st, NULL, NULL, &err), 0);

    /* a tree of 3 signed by the feed's key with another root: two histories */
    char origin[LEDGER_NOTE_ORIGIN_LEN];
    ledger_tree_hash_t fake;
    ledger_buf_t text = LEDGER_BUF_INIT, bad = LEDGER_BUF_INIT;
    ledger_note_signer_t s = {.name = origin, .sign = id_sign, .ctx = f->a.id};
    memcpy(s.pk, feed, 32);
    ledger_note_feed_origin(feed, origin);
    memset(fake, 0x5a, sizeof fake);
    assert_int_equal(ledger_checkpoint_text(origin, 3, fake, &text, &err), 0);
    assert_int_equal(ledger_note_sign((char *)text.data, text.len, &s, 1, &bad, &err), 0);
    /* the same signed by another key, first (the feed is not forked by it) */
    {
        ledger_buf_t other = LEDGER_BUF_INIT;
        ledger_note_signer_t o = {.name = origin, .sign = id_sign, .ctx = f->b.id};
        memcpy(o.pk, ledger_identity_public(f->b.id), 32);
        assert_int_equal(ledger_note_sign((char *)text.data, text.len, &o, 1, &other, &err), 0);
        assert_int_equal(ingest(f, 1, 0, &other, &kept, &err), LEDGER_EVERIFY);
        assert_non_null(strstr(err.msg, "not signed by the key"));
        ledger_buf_free(&other);
    }
    /* the feed's key signed two histories: the note is kept as evidence
     * next to the kept checkpoint, and the feed is marked forked */
    assert_int_equal(ingest(f, 1, 0, &bad, &kept, &err), 0);
    assert_int_equal(kept, LEDGER_CKPT_FORK);
    assert_non_null(strstr(err.msg, "two histories"));
    {
        ledger_feed_head_t h;
        ledger_buf_t ev = LEDGER_BUF_INIT, cur = LEDGER_BUF_INIT;
        assert_int_equal(ledger_store_head(f->b.st, feed, &h, &err), 0);
        assert_true(h.flags & LEDGER_FEED_FORKED);
        assert_int_equal(ledger_store_fork_checkpoint(f->b.st, feed, &ev, &err), 0);
        assert_int_equal(ev.len, bad.len);
        assert_memory_equal(ev.data, bad.data, bad.len);
        assert_int_equal(ledger_store_checkpoint(f->b.st, feed, &cur, &err), 0);
        assert_int_equal(cur.len, n8.len); /* the consistent one stays */
        assert_int_equal(ledger_store_verify(f->b.st, NULL, NULL, &err), 0);
        /* a forked feed keeps its first evidence; more checkpoints are let be */
        assert_int_equal(ingest(f, 1, 0, &n8, &kept, &err), 0);
        assert_int_equal(kept, 0);
        assert_int_equal(ledger_store_fork_checkpoint(f->a.st, feed, &ev, &err), LEDGER_ENOTFOUND);
        ledger_buf_free(&ev);
        ledger_buf_free(&cur);
    }
    /* the same signed by another key */
    bad.len = 0;
    s.ctx = f->b.id;
    memcpy(s.pk, ledger_identity_public(f->b.id), 32);
    assert_int_equal(ledger_note_sign((char *)text.data, text.len, &s, 1, &bad, &err), 0);
    assert_int_equal(ingest(f, 1, 0, &bad, &kept, &err), LEDGER_EVERIFY);
    assert_non_null(strstr(err.msg, "not signed by the key"));
    /* a note cut short */
    bad.len = 0;
    assert_int_equal(ledger_buf_append(&bad, n8.data, n8.len - 5), 0);
    assert_int_equal(ingest(f, 1, 0, &bad, &kept, &err), LEDGER_EINPUT);
    assert_int_equal(kept, 0);
    ledger_buf_free(&n5);
    ledger_buf_free(&n8);
    ledger_buf_free(&got);
    ledger_buf_free(&text);
    ledger_buf_free(&bad);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_own_feed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replicated_feed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_v4, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_v6, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partner_checkpoint, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
