/* test_zlog.c -- entries kept compressed in the log (ledger_zlog.h):
 *
 *  - a store keeps its first entries as they are, trains a dictionary
 *    after the commit that makes the log long enough, and keeps later
 *    entries compressed (smaller), own ones and a partner's alike;
 *  - what is read back, served to partners and verified is byte for byte
 *    the entry as made;
 *  - a damaged compressed value, a value of no known form and a missing
 *    dictionary are each found by verify, naming the entry;
 *  - a format-5 store opens as the current format (7) with its entries as they were.
 *
 * KETEN_ZLOG_TRAIN_AT is 40 here (main), so that small stores train. */
#include <lmdb.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ledger_replica.h"
#include "ledger_store.h"
#include "store_testlib.h"

#define TRAIN_AT 40

static const char *ev_fmt =
    "{\"type\": \"ObjectEvent\", \"eventTime\": \"2026-03-01T08:%02d:00Z\", "
    "\"eventTimeZoneOffset\": \"+00:00\", \"action\": \"OBSERVE\", \"bizStep\": \"receiving\", "
    "\"disposition\": \"in_progress\", \"readPoint\": {\"id\": \"urn:epc:id:sgln:5412345.00002.1\"}, "
    "\"epcList\": [\"urn:epc:id:sgtin:5412345.000001.%d\", \"urn:epc:id:sgtin:5412345.000001.%d\"]}";

static void rec_many(tl_node_t *n, int from, int count)
{
    json_t **evs = calloc((size_t)count, sizeof *evs);
    ledger_err_t err;
    char text[1024];
    for (int i = 0; i < count; i++) {
        snprintf(text, sizeof text, ev_fmt, (from + i) % 60, 1000 + 2 * (from + i),
                 1001 + 2 * (from + i));
        assert_non_null(evs[i] = json_loads(text, 0, NULL));
    }
    if (ledger_store_append_events(n->st, n->id, evs, (size_t)count, 0, NULL, &err))
        fail_msg("append: %s", err.msg);
    for (int i = 0; i < count; i++)
        json_decref(evs[i]);
    free(evs);
}

/* The wire bytes of a feed's entries, as ledger_replica_range hands them. */
typedef struct entries {
    uint8_t *b[256];
    size_t len[256];
    size_t n;
} entries_t;

static int collect(const uint8_t *bytes, size_t len, uint64_t seq, void *ctx)
{
    entries_t *e = ctx;
    assert_int_equal(seq, e->n + 1);
    assert_true(e->n < 256);
    assert_non_null(e->b[e->n] = malloc(len));
    memcpy(e->b[e->n], bytes, len);
    e->len[e->n++] = len;
    return 0;
}

static void entries_of(tl_node_t *n, const uint8_t *feed, entries_t *e)
{
    ledger_err_t err;
    memset(e, 0, sizeof *e);
    if (ledger_replica_range(n->st, feed, 1, 0, 0, 0, 0, collect, e, NULL, &err))
        fail_msg("range: %s", err.msg);
}

static void entries_free(entries_t *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->b[i]);
    e->n = 0;
}

/* ---- the store as LMDB sees it (the store closed) ----------------------- */

typedef struct raw {
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, log, edge;
} raw_t;

static void raw_open(raw_t *r, const char *dir)
{
    char path[400];
    snprintf(path, sizeof path, "%s", dir);
    assert_int_equal(mdb_env_create(&r->env), 0);
    assert_int_equal(mdb_env_set_maxdbs(r->env, 32), 0);
    assert_int_equal(mdb_env_open(r->env, path, MDB_NOTLS, 0600), 0);
    assert_int_equal(mdb_txn_begin(r->env, NULL, 0, &r->txn), 0);
    assert_int_equal(mdb_dbi_open(r->txn, "meta", 0, &r->meta), 0);
    assert_int_equal(mdb_dbi_open(r->txn, "log", 0, &r->log), 0);
    assert_int_equal(mdb_dbi_open(r->txn, "edge", 0, &r->edge), 0);
}

static void raw_close(raw_t *r)
{
    assert_int_equal(mdb_txn_commit(r->txn), 0);
    mdb_env_close(r->env);
}

/* Counts the log's values by form; the bytes of the values. */
static void raw_forms(raw_t *r, size_t *plain, size_t *zstd, size_t *bytes_plain,
                      size_t *bytes_zstd)
{
    MDB_cursor *c;
    MDB_val k, v;
    *plain = *zstd = *bytes_plain = *bytes_zstd = 0;
    assert_int_equal(mdb_cursor_open(r->txn, r->log, &c), 0);
    while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
        uint8_t f = ((const uint8_t *)v.mv_data)[0];
        if (f == 0x83)
            (*plain)++, *bytes_plain += v.mv_size;
        else if (f == 0x01)
            (*zstd)++, *bytes_zstd += v.mv_size;
        else
            fail_msg("a log value of form 0x%02x", f);
    }
    mdb_cursor_close(c);
}

/* The same for the cards: 0x00 ‖ card, or 0x01 ‖ dictionary ‖ zstd. */
static void raw_card_forms(raw_t *r, size_t *plain, size_t *zstd, size_t *bytes_plain,
                           size_t *bytes_zstd)
{
    MDB_cursor *c;
    MDB_val k, v;
    *plain = *zstd = *bytes_plain = *bytes_zstd = 0;
    assert_int_equal(mdb_cursor_open(r->txn, r->edge, &c), 0);
    while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
        uint8_t f = ((const uint8_t *)v.mv_data)[0];
        if (f == 0x00)
            (*plain)++, *bytes_plain += v.mv_size;
        else if (f == 0x01)
            (*zstd)++, *bytes_zstd += v.mv_size;
        else
            fail_msg("a card value of form 0x%02x", f);
    }
    mdb_cursor_close(c);
}

static MDB_val raw_get(raw_t *r, uint64_t lseq, uint8_t kb[8])
{
    MDB_val k = {8, kb}, v;
    for (int i = 7; i >= 0; i--, lseq >>= 8)
        kb[i] = (uint8_t)lseq;
    assert_int_equal(mdb_get(r->txn, r->log, &k, &v), 0);
    return v;
}

static void raw_put(raw_t *r, uint8_t kb[8], const void *p, size_t n)
{
    MDB_val k = {8, kb}, v = {n, (void *)p};
    assert_int_equal(mdb_put(r->txn, r->log, &k, &v, 0), 0);
}

/* ---- fixture ------------------------------------------------------------ */

typedef struct fx {
    char dir[300];
    tl_node_t a, b;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (!f || tl_tmpdir(f->dir, sizeof f->dir, "keten-zlog"))
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

static void close_store(tl_node_t *n)
{
    ledger_store_close(n->st);
    n->st = NULL;
}

static void reopen(tl_node_t *n)
{
    ledger_err_t err;
    if (ledger_store_open(n->dir, 0, ledger_identity_public(n->id), &n->st, &err))
        fail_msg("reopen %s: %s", n->dir, err.msg);
}

static void verify_ok(tl_node_t *n)
{
    ledger_err_t err;
    if (ledger_store_verify(n->st, NULL, NULL, &err))
        fail_msg("verify: %s", err.msg);
}

/* Gives b every entry of a's feed from seq from on, in one ingest. */
static void replicate(fx_t *f, const entries_t *e, size_t from)
{
    ledger_ingest_t *in;
    ledger_ingest_report_t rep;
    ledger_err_t err;
    if (ledger_ingest_begin(f->b.st, &in, &err) ||
        ledger_ingest_add(in, ledger_identity_public(f->a.id), (const uint8_t *const *)e->b + from,
                          e->len + from, e->n - from, &rep, &err) ||
        ledger_ingest_commit(in, &err))
        fail_msg("ingest: %s", err.msg);
}

/* ---- tests -------------------------------------------------------------- */

static void test_train_and_compress(void **state)
{
    fx_t *f = *state;
    entries_t before, after;
    raw_t r;
    size_t plain, zstd, bp, bz;
    const uint8_t *feed = ledger_identity_public(f->a.id);

    rec_many(&f->a, 0, 30); /* 30 < TRAIN_AT: no dictionary yet */
    rec_many(&f->a, 30, 20); /* entry 41 finds 40 before it: trained, 41.. compressed */
    rec_many(&f->a, 50, 30); /* compressed */
    entries_of(&f->a, feed, &before);
    assert_int_equal(before.n, 80);
    verify_ok(&f->a);

    close_store(&f->a);
    raw_open(&r, f->a.dir);
    {
        uint8_t key[7] = {'z', 'd', 'i', 'c', 't', 0, 1};
        MDB_val k = {sizeof key, key}, v;
        assert_int_equal(mdb_get(r.txn, r.meta, &k, &v), 0);
        assert_true(v.mv_size > 0 && v.mv_size <= 16384);
    }
    raw_forms(&r, &plain, &zstd, &bp, &bz);
    assert_int_equal(plain, TRAIN_AT);
    assert_int_equal(zstd, 80 - TRAIN_AT);
    /* compressed, a value is well under the entry (the entries are alike) */
    assert_true(bz / zstd * 2 < bp / plain);
    raw_card_forms(&r, &plain, &zstd, &bp, &bz);
    assert_int_equal(plain, TRAIN_AT);
    assert_int_equal(zstd, 80 - TRAIN_AT);
    assert_true(bz / zstd < bp / plain);
    {
        uint8_t key[7] = {'z', 'c', 'a', 'r', 'd', 0, 1};
        MDB_val k = {sizeof key, key}, v;
        assert_int_equal(mdb_get(r.txn, r.meta, &k, &v), 0);
    }
    raw_close(&r);
    reopen(&f->a);

    entries_of(&f->a, feed, &after);
    assert_int_equal(after.n, before.n);
    for (size_t i = 0; i < before.n; i++) {
        assert_int_equal(after.len[i], before.len[i]);
        assert_memory_equal(after.b[i], before.b[i], before.len[i]);
        assert_int_equal(after.b[i][0], 0x83); /* served as the entry itself */
    }
    entries_free(&after);
    verify_ok(&f->a);

    /* the partner: one ingest of 80 entries, trained inside it; then 20 more */
    replicate(f, &before, 0);
    rec_many(&f->a, 80, 20);
    entries_free(&before);
    entries_of(&f->a, feed, &before);
    replicate(f, &before, 80);
    entries_of(&f->b, feed, &after);
    assert_int_equal(after.n, 100);
    for (size_t i = 0; i < before.n; i++)
        assert_memory_equal(after.b[i], before.b[i], before.len[i]);
    verify_ok(&f->b);
    close_store(&f->b);
    raw_open(&r, f->b.dir);
    raw_forms(&r, &plain, &zstd, &bp, &bz);
    assert_int_equal(plain, TRAIN_AT);
    assert_int_equal(zstd, 100 - TRAIN_AT);
    raw_close(&r);
    reopen(&f->b);
    verify_ok(&f->b);
    entries_free(&before);
    entries_free(&after);
}

/* Damages a's log value lseq with fn; verify must fail naming seq. */
static void damaged(fx_t *f, uint64_t lseq, int how, const char *want)
{
    raw_t r;
    uint8_t kb[8], *copy;
    ledger_err_t err;
    MDB_val v;

    close_store(&f->a);
    raw_open(&r, f->a.dir);
    v = raw_get(&r, lseq, kb);
    assert_int_equal(((const uint8_t *)v.mv_data)[0], 0x01);
    assert_non_null(copy = malloc(v.mv_size));
    memcpy(copy, v.mv_data, v.mv_size);
    if (how == 0)
        copy[v.mv_size / 2] ^= 0x10; /* inside the zstd frame */
    else if (how == 1)
        copy[0] = 0x02; /* no known form */
    else
        copy[2] = 9; /* a dictionary the store lacks */
    raw_put(&r, kb, copy, v.mv_size);
    free(copy);
    raw_close(&r);
    reopen(&f->a);
    assert_int_equal(ledger_store_verify(f->a.st, NULL, NULL, &err), LEDGER_EVERIFY);
    if (!strstr(err.msg, want))
        fail_msg("verify said: %s (wanted \"%s\")", err.msg, want);
    if (!strstr(err.msg, "seq 45") && !strstr(err.msg, ":45"))
        fail_msg("verify did not name the entry: %s", err.msg);
}

static void test_damage_found(void **state)
{
    fx_t *f = *state;
    rec_many(&f->a, 0, 50); /* 41..50 compressed */
    verify_ok(&f->a);
    damaged(f, 45, 0, "");
}

static void test_unknown_form(void **state)
{
    fx_t *f = *state;
    rec_many(&f->a, 0, 50);
    damaged(f, 45, 1, "no known form");
}

static void test_missing_dict(void **state)
{
    fx_t *f = *state;
    rec_many(&f->a, 0, 50);
    damaged(f, 45, 2, "dictionary 9");
}

/* An append that trains a dictionary and then fails leaves none behind:
 * the next one trains again, and what it stores reads back after a
 * reopen (a codec that kept the forgotten dictionary would write values
 * naming a dictionary meta does not hold). */
static void test_trained_then_aborted(void **state)
{
    fx_t *f = *state;
    json_t *evs[20];
    ledger_err_t err;
    char text[1024];
    raw_t r;
    size_t plain, zstd, bp, bz;

    rec_many(&f->a, 0, TRAIN_AT);
    for (int i = 0; i < 20; i++) {
        snprintf(text, sizeof text, ev_fmt, i, 5000 + 2 * i, 5001 + 2 * i);
        assert_non_null(evs[i] = json_loads(text, 0, NULL));
    }
    /* event 15 repeats event 3's eventID: the append fails there */
    json_object_set_new(evs[3], "eventID", json_string("urn:uuid:7e6d9e52-0d5c-4f0f-9a3c-1b9e4d3c2a10"));
    json_object_set_new(evs[15], "eventID", json_string("urn:uuid:7e6d9e52-0d5c-4f0f-9a3c-1b9e4d3c2a10"));
    assert_int_equal(ledger_store_append_events(f->a.st, f->a.id, evs, 20, 0, NULL, &err),
                     LEDGER_EEXIST);
    for (int i = 0; i < 20; i++)
        json_decref(evs[i]);
    rec_many(&f->a, TRAIN_AT, 20);
    verify_ok(&f->a);
    close_store(&f->a);
    raw_open(&r, f->a.dir);
    raw_forms(&r, &plain, &zstd, &bp, &bz);
    assert_int_equal(plain, TRAIN_AT);
    assert_int_equal(zstd, 20);
    raw_close(&r);
    reopen(&f->a);
    verify_ok(&f->a);
}

/* A compressed card of no known form is found by verify, naming the
 * entry, and a read of it says which card; one whose frame is damaged is
 * found by verify too. */
static void poke_card(fx_t *f, int how)
{
    raw_t r;
    uint8_t kb[8], *copy;
    MDB_val k = {8, kb}, v;
    close_store(&f->a);
    raw_open(&r, f->a.dir);
    (void)raw_get(&r, 45, kb); /* the key bytes of lseq 45 */
    assert_int_equal(mdb_get(r.txn, r.edge, &k, &v), 0);
    assert_non_null(copy = malloc(v.mv_size));
    memcpy(copy, v.mv_data, v.mv_size);
    if (how == 0) {
        assert_int_equal(copy[0], 0x01);
        copy[0] = 0x07;
    } else {
        copy[0] = 0x01;
        copy[v.mv_size / 2] ^= 0x10;
    }
    MDB_val nv = {v.mv_size, copy};
    assert_int_equal(mdb_put(r.txn, r.edge, &k, &nv, 0), 0);
    free(copy);
    raw_close(&r);
    reopen(&f->a);
}

static void test_card_damage_found(void **state)
{
    fx_t *f = *state;
    ledger_err_t err;
    ledger_card_t card;
    rec_many(&f->a, 0, 50);
    verify_ok(&f->a);
    poke_card(f, 0);
    assert_int_equal(ledger_store_verify(f->a.st, NULL, NULL, &err), LEDGER_EVERIFY);
    if (!strstr(err.msg, "event card") || !strstr(err.msg, "seq 45") ||
        !strstr(err.msg, "no known form"))
        fail_msg("verify said: %s", err.msg);
    assert_int_equal(ledger_store_card(f->a.st, 45, &card, &err), LEDGER_EVERIFY);
    if (!strstr(err.msg, "local entry 45"))
        fail_msg("card said: %s", err.msg);
    poke_card(f, 1);
    assert_int_equal(ledger_store_verify(f->a.st, NULL, NULL, &err), LEDGER_EVERIFY);
    if (!strstr(err.msg, "seq 45"))
        fail_msg("verify said: %s", err.msg);
}

static void test_format5_opens(void **state)
{
    fx_t *f = *state;
    raw_t r;
    MDB_val k = {7, "version"}, v = {1, "5"};
    entries_t before, after;
    const uint8_t *feed = ledger_identity_public(f->a.id);

    rec_many(&f->a, 0, 10);
    entries_of(&f->a, feed, &before);
    close_store(&f->a);
    raw_open(&r, f->a.dir);
    assert_int_equal(mdb_put(r.txn, r.meta, &k, &v, 0), 0);
    raw_close(&r);
    reopen(&f->a);
    close_store(&f->a);
    raw_open(&r, f->a.dir);
    assert_int_equal(mdb_get(r.txn, r.meta, &k, &v), 0);
    assert_int_equal(v.mv_size, 1);
    assert_int_equal(((const char *)v.mv_data)[0], '7');
    raw_close(&r);
    reopen(&f->a);
    entries_of(&f->a, feed, &after);
    assert_int_equal(after.n, 10);
    for (size_t i = 0; i < before.n; i++)
        assert_memory_equal(after.b[i], before.b[i], before.len[i]);
    verify_ok(&f->a);
    entries_free(&before);
    entries_free(&after);
}

int main(void)
{
    char at[16];
    snprintf(at, sizeof at, "%d", TRAIN_AT);
    setenv("KETEN_ZLOG_TRAIN_AT", at, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_train_and_compress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damage_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_form, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_dict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trained_then_aborted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_card_damage_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format5_opens, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
