/* test_streampos.c -- stream positions kept in the store (ledger_streampos.h):
 *
 *  - positions saved for two streams read back per stream, in feed order,
 *    after the store is closed and opened again; a later save replaces;
 *  - a store with positions still verifies (the rows are not index rows)
 *    and a read-only open reads them but refuses to save;
 *  - an empty or overlong stream name is refused; a damaged row is named.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lmdb.h>

#include "ledger_store.h"
#include "ledger_streampos.h"
#include "store_testlib.h"

typedef struct got {
    ledger_streampos_t v[8];
    size_t n;
} got_t;

static int collect(const ledger_streampos_t *p, void *ctx)
{
    got_t *g = ctx;
    if (g->n < 8)
        g->v[g->n] = *p;
    g->n++;
    return 0;
}

static void load(ledger_store_t *st, const char *name, got_t *g)
{
    ledger_err_t err;
    memset(g, 0, sizeof *g);
    if (ledger_streampos_load(st, name, collect, g, &err))
        fail_msg("load %s: %s", name, err.msg);
}

static void test_roundtrip(void **state)
{
    char dir[300];
    tl_node_t n;
    ledger_err_t err;
    ledger_streampos_t v[3];
    got_t g;
    (void)state;
    assert_int_equal(tl_tmpdir(dir, sizeof dir, "keten-spos"), 0);
    tl_node_open(&n, dir, "a");
    {
        json_t *ev = json_loads("{\"type\": \"ObjectEvent\", \"eventTime\": "
                                "\"2026-03-01T08:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\", "
                                "\"action\": \"OBSERVE\", "
                                "\"epcList\": [\"urn:epc:id:sgtin:5412345.000001.1\"]}",
                                0, NULL);
        assert_non_null(ev);
        if (ledger_store_append_events(n.st, n.id, &ev, 1, LEDGER_APPEND_CHECK, NULL, &err))
            fail_msg("append: %s", err.msg);
        json_decref(ev);
    }
    memset(v, 0, sizeof v);
    v[0].feed[0] = 0x90, v[0].seq = 7;
    v[1].feed[0] = 0x10, v[1].seq = 1u << 20;
    v[2].feed[0] = 0x50, v[2].seq = 0;
    assert_int_equal(ledger_streampos_save(n.st, "KETEN", v, 3, &err), 0);
    v[0].seq = 99;
    assert_int_equal(ledger_streampos_save(n.st, "KETEN2", v, 1, &err), 0);
    load(n.st, "KETEN", &g);
    assert_int_equal(g.n, 3); /* KETEN2's row is not KETEN's */
    assert_int_equal(g.v[0].feed[0], 0x10);
    assert_int_equal(g.v[0].seq, 1u << 20);
    assert_int_equal(g.v[1].feed[0], 0x50);
    assert_int_equal(g.v[2].feed[0], 0x90);
    assert_int_equal(g.v[2].seq, 7);
    /* a later save replaces; the store verifies */
    v[1].seq = (1u << 20) + 5;
    assert_int_equal(ledger_streampos_save(n.st, "KETEN", v + 1, 1, &err), 0);
    if (ledger_store_verify(n.st, NULL, NULL, &err))
        fail_msg("verify: %s", err.msg);
    ledger_store_close(n.st);
    if (ledger_store_open(n.dir, LEDGER_STORE_RDONLY, NULL, &n.st, &err))
        fail_msg("reopen: %s", err.msg);
    load(n.st, "KETEN", &g);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.v[0].seq, (1u << 20) + 5);
    load(n.st, "KETEN2", &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.v[0].seq, 99);
    load(n.st, "KET", &g); /* a prefix of another name is another stream */
    assert_int_equal(g.n, 0);
    assert_int_equal(ledger_streampos_save(n.st, "KETEN", v, 1, &err), LEDGER_ELOCKED);
    tl_node_close(&n);
    tl_rmtree(dir);
}

static void test_bad(void **state)
{
    char dir[300], path[400], name[100];
    tl_node_t n;
    ledger_err_t err;
    ledger_streampos_t v = {{1}, 3};
    got_t g = {0};
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    uint8_t key[100];
    MDB_val k, d = {3, "abc"};
    (void)state;
    assert_int_equal(tl_tmpdir(dir, sizeof dir, "keten-spos"), 0);
    tl_node_open(&n, dir, "a");
    memset(name, 'x', sizeof name);
    name[LEDGER_STREAMPOS_NAME_MAX + 1] = 0;
    assert_int_equal(ledger_streampos_save(n.st, "", &v, 1, &err), LEDGER_EINVAL);
    assert_int_equal(ledger_streampos_save(n.st, name, &v, 1, &err), LEDGER_EINVAL);
    assert_int_equal(ledger_streampos_load(n.st, name, collect, &g, &err), LEDGER_EINVAL);
    name[LEDGER_STREAMPOS_NAME_MAX] = 0;
    assert_int_equal(ledger_streampos_save(n.st, name, &v, 1, &err), 0);
    ledger_store_close(n.st);
    n.st = NULL;
    /* a row of another length under the stream's prefix */
    snprintf(path, sizeof path, "%s", n.dir);
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_set_mapsize(env, (size_t)1 << 30), 0);
    assert_int_equal(mdb_env_open(env, path, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    memcpy(key, "streampos/KETEN\0", 16);
    memset(key + 16, 0x42, 32);
    k.mv_size = 48;
    k.mv_data = key;
    assert_int_equal(mdb_put(txn, dbi, &k, &d, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    if (ledger_store_open(n.dir, 0, NULL, &n.st, &err))
        fail_msg("reopen: %s", err.msg);
    assert_int_equal(ledger_streampos_load(n.st, "KETEN", collect, &g, &err), LEDGER_EVERIFY);
    assert_non_null(strstr(err.msg, "4242424242"));
    tl_node_close(&n);
    tl_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
