/* test_verify_ckpt.c -- verify by checkpoint (ledger_verify.c,
 * ledger_store_verify_ex in ledger_store.h):
 *
 *  - the report says per feed how its entries were proven: under the
 *    checkpoint with one signature, each signature after it, every one
 *    with LEDGER_VERIFY_SIGNATURES, every one for a feed with none;
 *  - a signature changed under the checkpoint is found by the default run
 *    through the next entry's link and named as a signature; one after the
 *    checkpoint is checked itself;
 *  - a kept checkpoint of a size past the feed, or whose root is not the
 *    tree's, fails;
 *  - with the helper thread and without, the same first problem in walk
 *    order is reported (an index row missing early, a payload damaged
 *    later), and the same report on success. */
#include <lmdb.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ledger_entry.h"
#include "ledger_note.h"
#include "ledger_store.h"
#include "store_testlib.h"

static const char *ev_fmt =
    "{\"type\": \"ObjectEvent\", \"eventTime\": \"2026-03-01T08:%02d:00Z\", "
    "\"eventTimeZoneOffset\": \"+00:00\", \"action\": \"OBSERVE\", "
    "\"epcList\": [\"urn:epc:id:sgtin:5412345.000001.%d\"]}";

static uint64_t rec(tl_node_t *n, int i)
{
    char text[512];
    json_t *ev;
    ledger_append_result_t res;
    ledger_err_t err;
    snprintf(text, sizeof text, ev_fmt, i % 60, 1000 + i);
    assert_non_null(ev = json_loads(text, 0, NULL));
    if (ledger_store_append_events(n->st, n->id, &ev, 1, 0, &res, &err))
        fail_msg("append: %s", err.msg);
    json_decref(ev);
    return res.seq;
}

/* n events in one append (one commit, one checkpoint) */
static void rec_many(tl_node_t *n, int from, int count)
{
    json_t **evs = calloc((size_t)count, sizeof *evs);
    ledger_err_t err;
    char text[512];
    for (int i = 0; i < count; i++) {
        snprintf(text, sizeof text, ev_fmt, (from + i) % 60, 1000 + from + i);
        assert_non_null(evs[i] = json_loads(text, 0, NULL));
    }
    if (ledger_store_append_events(n->st, n->id, evs, (size_t)count, 0, NULL, &err))
        fail_msg("append: %s", err.msg);
    for (int i = 0; i < count; i++)
        json_decref(evs[i]);
    free(evs);
}

typedef struct fx {
    char dir[300];
    tl_node_t a;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (!f || tl_tmpdir(f->dir, sizeof f->dir, "keten-vck"))
        return -1;
    tl_node_open(&f->a, f->dir, "a");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    tl_node_close(&f->a);
    tl_rmtree(f->dir);
    free(f);
    return 0;
}

static const uint8_t *feed_of(fx_t *f)
{
    return ledger_identity_public(f->a.id);
}

/* The store closed, its LMDB environment opened raw (a write txn), and
 * back. */
static MDB_env *raw_begin(fx_t *f, MDB_txn **txn)
{
    MDB_env *env;
    ledger_store_close(f->a.st);
    f->a.st = NULL;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_set_mapsize(env, (size_t)1 << 30), 0);
    assert_int_equal(mdb_env_open(env, f->a.dir, MDB_NOTLS, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, txn), 0);
    return env;
}

static void raw_end(fx_t *f, MDB_env *env, MDB_txn *txn)
{
    ledger_err_t err;
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    if (ledger_store_open(f->a.dir, 0, feed_of(f), &f->a.st, &err))
        fail_msg("open: %s", err.msg);
}

/* Puts note[0..n) as the feed's kept checkpoint (n 0: deletes it). */
static void put_checkpoint(fx_t *f, const uint8_t *note, size_t n)
{
    MDB_txn *txn;
    MDB_env *env = raw_begin(f, &txn);
    MDB_dbi d;
    MDB_val k = {32, (void *)feed_of(f)}, v = {n, (void *)note};
    assert_int_equal(mdb_dbi_open(txn, "checkpoint", 0, &d), 0);
    if (n)
        assert_int_equal(mdb_put(txn, d, &k, &v, 0), 0);
    else
        assert_int_equal(mdb_del(txn, d, &k, NULL), 0);
    raw_end(f, env, txn);
}

static int copy_cb(const ledger_stored_t *s, void *ctx)
{
    ledger_buf_t *b = ctx;
    ledger_buf_reset(b);
    return ledger_buf_append(b, s->bytes, s->len);
}

/* Flips byte `at` of entry seq's signature. */
static void flip_sig(fx_t *f, uint64_t seq, size_t at)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    ledger_entry_t e;
    assert_int_equal(ledger_store_get(f->a.st, feed_of(f), seq, copy_cb, &b, NULL), 0);
    assert_int_equal(ledger_entry_decode(b.data, b.len, &e, NULL), 0);
    b.data[(size_t)(e.sig - b.data) + at] ^= 1;
    assert_int_equal(ledger_store_debug_put_entry(f->a.st, feed_of(f), seq, b.data, b.len, NULL),
                     0);
    ledger_buf_free(&b);
}

static void expect_ok(fx_t *f, unsigned flags, uint64_t entries, uint64_t ck, uint64_t sigs)
{
    ledger_verify_report_t r;
    ledger_err_t err;
    if (ledger_store_verify_ex(f->a.st, flags, NULL, NULL, &r, &err))
        fail_msg("verify (flags %u): %s", flags, err.msg);
    assert_int_equal(r.nfeeds, 1);
    assert_memory_equal(r.feeds[0].feed, feed_of(f), 32);
    assert_int_equal(r.feeds[0].entries, entries);
    assert_int_equal(r.feeds[0].checkpoint_size, ck);
    assert_int_equal(r.feeds[0].signatures, sigs);
    assert_int_equal(r.entries, entries);
    assert_int_equal(r.signatures, sigs + (ck ? 1 : 0));
    assert_true(r.index_rows > 0);
    ledger_verify_report_free(&r);
}

static void expect_fail(fx_t *f, unsigned flags, const char *what)
{
    ledger_verify_report_t r;
    ledger_err_t err;
    assert_int_equal(ledger_store_verify_ex(f->a.st, flags, NULL, NULL, &r, &err), LEDGER_EVERIFY);
    if (!strstr(err.msg, what))
        fail_msg("verify (flags %u) said \"%s\", expected \"%s\"", flags, err.msg, what);
    assert_int_equal(r.nfeeds, 0); /* nothing reported of a failed run */
}

static void test_report(void **state)
{
    fx_t *f = *state;
    for (int i = 0; i < 10; i++)
        rec(&f->a, i);
    expect_ok(f, 0, 10, 10, 0);
    expect_ok(f, LEDGER_VERIFY_ONE_THREAD, 10, 10, 0);
    expect_ok(f, LEDGER_VERIFY_SIGNATURES, 10, 10, 10);
    /* no checkpoint (a replica of a partner on an older keten): each one */
    put_checkpoint(f, NULL, 0);
    expect_ok(f, 0, 10, 0, 10);
}

static void test_after_checkpoint(void **state)
{
    fx_t *f = *state;
    ledger_buf_t old = LEDGER_BUF_INIT;
    ledger_err_t err;
    for (int i = 0; i < 6; i++)
        rec(&f->a, i);
    assert_int_equal(ledger_store_checkpoint(f->a.st, feed_of(f), &old, &err), 0);
    for (int i = 6; i < 10; i++)
        rec(&f->a, i);
    put_checkpoint(f, old.data, old.len); /* the kept one is of 6 again */
    expect_ok(f, 0, 10, 6, 4);
    expect_ok(f, LEDGER_VERIFY_SIGNATURES, 10, 6, 10);
    /* after the checkpoint: checked itself */
    flip_sig(f, 8, 0);
    expect_fail(f, 0, "seq 8: signature: Ed25519 signature does not verify");
    flip_sig(f, 8, 0);
    expect_ok(f, 0, 10, 6, 4);
    /* under it: found by the next entry's link, named as the signature */
    flip_sig(f, 3, 17);
    expect_fail(f, 0, "seq 3: signature: Ed25519 signature does not verify (found by the broken");
    expect_fail(f, LEDGER_VERIFY_SIGNATURES, "seq 3: signature");
    /* the last one under it: the link of the first after it */
    flip_sig(f, 3, 17);
    flip_sig(f, 6, 63);
    expect_fail(f, 0, "seq 6: signature");
    flip_sig(f, 6, 63);
    expect_ok(f, 0, 10, 6, 4);
    ledger_buf_free(&old);
}

static void id_sign(void *ctx, const uint8_t *m, size_t n, uint8_t sig[64])
{
    ledger_identity_sign(ctx, m, n, sig);
}

/* A checkpoint the feed's key signed, of a size or root the store does not
 * hold: verify fails, naming the checkpoint. */
static void test_bad_checkpoint(void **state)
{
    fx_t *f = *state;
    char origin[LEDGER_NOTE_ORIGIN_LEN], text[300];
    uint8_t root[32];
    ledger_buf_t note = LEDGER_BUF_INIT, t = LEDGER_BUF_INIT;
    ledger_note_signer_t s = {.name = origin};
    for (int i = 0; i < 5; i++)
        rec(&f->a, i);
    ledger_note_feed_origin(feed_of(f), origin);
    memcpy(s.pk, feed_of(f), 32);
    s.ctx = (void *)f->a.id;
    s.sign = id_sign;
    for (int what = 0; what < 2; what++) {
        uint64_t size = what == 0 ? 6 : 5;
        memset(root, 0x5a, sizeof root);
        ledger_buf_reset(&t);
        ledger_buf_reset(&note);
        assert_int_equal(ledger_checkpoint_text(origin, size, root, &t, NULL), 0);
        snprintf(text, sizeof text, "%.*s", (int)t.len, (const char *)t.data);
        assert_int_equal(ledger_note_sign(text, strlen(text), &s, 1, &note, NULL), 0);
        put_checkpoint(f, note.data, note.len);
        expect_fail(f, 0,
                    what == 0 ? "its size 6 is not within the 5 entries held"
                              : "its root is not the root of the feed's first 5 entries, "
                                "recomputed from their headers");
    }
    ledger_buf_free(&note);
    ledger_buf_free(&t);
}

/* Big enough for the helper thread: the first problem in walk order is
 * the one reported, with it and without. */
static void test_threads_agree(void **state)
{
    fx_t *f = *state;
    ledger_err_t err;
    char key[100];
    rec_many(&f->a, 0, 3000);
    expect_ok(f, 0, 3000, 3000, 0);
    expect_ok(f, LEDGER_VERIFY_ONE_THREAD, 3000, 3000, 0);
    expect_ok(f, LEDGER_VERIFY_SIGNATURES, 3000, 3000, 3000);
    /* the identifier of seq 1501 (event 1500): its ident row gone */
    snprintf(key, sizeof key, "https://id.gs1.org/01/05412345000013/21/%d", 1000 + 1500);
    assert_int_equal(ledger_store_debug_del_row(f->a.st, "ident", key, &err), 0);
    for (unsigned fl = 0; fl < 4; fl++)
        expect_fail(f, fl, "seq 1501: ident index row missing");
    /* and a later signature: still the row, first in walk order */
    flip_sig(f, 2500, 3);
    for (unsigned fl = 0; fl < 4; fl++)
        expect_fail(f, fl, "seq 1501: ident index row missing");
}

/* An index row whose value is changed (its lseq points at another
 * event): the index still holds as many rows as the entries explain, so
 * only the summed comparison of the rows (or an exact look-up) sees it. */
static void test_row_changed(void **state)
{
    fx_t *f = *state;
    char key[100];
    MDB_txn *txn;
    MDB_env *env;
    MDB_dbi d;
    MDB_val k, v;
    uint8_t val[64];
    size_t vl;
    rec_many(&f->a, 0, 3000);
    expect_ok(f, 0, 3000, 3000, 0);
    snprintf(key, sizeof key, "https://id.gs1.org/01/05412345000013/21/%d", 1000 + 1500);
    env = raw_begin(f, &txn);
    assert_int_equal(mdb_dbi_open(txn, "ident", 0, &d), 0);
    uint8_t kb[100];
    int kl = ledger_store_index_key("ident", key, kb, sizeof kb);
    assert_true(kl > 0);
    k.mv_size = (size_t)kl;
    k.mv_data = kb;
    assert_int_equal(mdb_get(txn, d, &k, &v), 0);
    assert_true(v.mv_size <= sizeof val);
    vl = v.mv_size;
    memcpy(val, v.mv_data, vl);
    assert_int_equal(mdb_del(txn, d, &k, &v), 0);
    val[vl - 1] ^= 0x01; /* the lseq's last byte: another local position */
    v.mv_size = vl;
    v.mv_data = val;
    assert_int_equal(mdb_put(txn, d, &k, &v, 0), 0);
    raw_end(f, env, txn);
    for (unsigned fl = 0; fl < 4; fl++)
        expect_fail(f, fl, "seq 1501: ident index row missing");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_after_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_agree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_changed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
