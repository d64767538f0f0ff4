/* test_store.c -- the LMDB store: appends are all-or-nothing, duplicates
 * are refused (or skipped), errorDeclarations may share an eventID, look-ups
 * by eventID, event hash, feed:seq and identifier (in any of its forms), and
 * verify names the feed, seq and the damage when a stored entry is corrupted
 * (payload byte, signature, prev link) or an index row is deleted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ledger_buf.h"
#include "ledger_cbor.h"
#include "ledger_entry.h"
#include "ledger_epcis.h"
#include "ledger_home.h"
#include "ledger_store.h"

typedef struct fixture {
    char dir[256];
    ledger_home_t *home;
    const ledger_identity_t *id;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    char path[300];
    snprintf(f->dir, sizeof f->dir, "%s/keten-store-XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(path, sizeof path, "%s/home", f->dir);
    if (ledger_home_create(path, "Test Partner", "5412345000006", NULL, 0, &f->home, NULL) ||
        ledger_home_identity(f->home, NULL, 0, &f->id, NULL))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[300];
    ledger_home_close(f->home);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* An ObjectEvent for serial n. */
static json_t *object_event(int n, const char *step)
{
    char epc[80], t[40];
    snprintf(epc, sizeof epc, "urn:epc:id:sgtin:5412345.000001.%d", n);
    snprintf(t, sizeof t, "2025-11-30T08:%02d:%02d.000+01:00", (n / 60) % 60, n % 60);
    return json_pack("{s:s, s:s, s:s, s:[s], s:s, s:s, s:{s:s}}", "type", "ObjectEvent", "action",
                     "OBSERVE", "bizStep", step, "epcList", epc, "eventTime", t,
                     "eventTimeZoneOffset", "+01:00", "bizLocation", "id",
                     "urn:epc:id:sgln:5412345.00000.0");
}

static ledger_store_t *store(fixture_t *f)
{
    return ledger_home_store(f->home);
}

static void append_n(fixture_t *f, int from, int n)
{
    json_t *evs[64];
    ledger_err_t err;
    assert_true(n <= 64);
    for (int i = 0; i < n; i++)
        evs[i] = object_event(from + i, "shipping");
    if (ledger_store_append_events(store(f), f->id, evs, (size_t)n, 0, NULL, &err))
        fail_msg("append: %s", err.msg);
    for (int i = 0; i < n; i++)
        json_decref(evs[i]);
}

static uint64_t own_seq(fixture_t *f)
{
    ledger_feed_head_t h;
    assert_int_equal(ledger_store_head(store(f), ledger_home_id(f->home), &h, NULL), 0);
    return h.seq;
}

static int count_cb(const ledger_stored_t *s, void *ctx)
{
    (void)s;
    (*(int *)ctx)++;
    return 0;
}

static int count_ident_cb(const ledger_stored_t *s, int role, void *ctx)
{
    (void)s;
    (void)role;
    (*(int *)ctx)++;
    return 0;
}

static void test_append_and_find(void **state)
{
    fixture_t *f = *state;
    ledger_append_result_t res[3];
    json_t *evs[3];
    ledger_err_t err;
    int n = 0;

    for (int i = 0; i < 3; i++)
        evs[i] = object_event(100 + i, "shipping");
    assert_int_equal(ledger_store_append_events(store(f), f->id, evs, 3, 0, res, &err), 0);
    assert_int_equal(res[0].seq, 1);
    assert_int_equal(res[2].seq, 3);
    assert_string_equal(res[0].event_id, res[0].event_hash); /* no own eventID: the hash */
    assert_non_null(strstr(res[0].event_hash, "ni:///sha-256;"));
    assert_int_equal(ledger_store_find_event(store(f), res[1].event_id, count_cb, &n, &err), 0);
    assert_int_equal(n, 1);
    /* by identifier, in its URN form and in its Digital Link form */
    n = 0;
    assert_int_equal(ledger_store_find_ident(store(f), "urn:epc:id:sgtin:5412345.000001.101",
                                             count_ident_cb, &n, &err),
                     0);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(ledger_store_find_ident(store(f),
                                             "https://id.gs1.org/01/05412345000013/21/101",
                                             count_ident_cb, &n, &err),
                     0);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(ledger_store_get(store(f), ledger_home_id(f->home), 2, count_cb, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ledger_store_get(store(f), ledger_home_id(f->home), 9, count_cb, &n, &err),
                     LEDGER_ENOTFOUND);
    assert_int_equal(ledger_store_verify(store(f), NULL, NULL, &err), 0);
    for (int i = 0; i < 3; i++)
        json_decref(evs[i]);
}

static void test_duplicates_all_or_nothing(void **state)
{
    fixture_t *f = *state;
    json_t *evs[3];
    ledger_append_result_t res[3];
    ledger_err_t err;

    append_n(f, 1, 2); /* serials 1, 2 */
    assert_int_equal(own_seq(f), 2);
    evs[0] = object_event(3, "shipping");
    evs[1] = object_event(1, "shipping"); /* same event as before: same hash, same ID */
    evs[2] = object_event(4, "shipping");
    assert_int_equal(ledger_store_append_events(store(f), f->id, evs, 3, 0, res, &err),
                     LEDGER_EEXIST);
    assert_non_null(strstr(err.msg, "event 1"));
    assert_non_null(strstr(err.msg, "already recorded"));
    assert_int_equal(own_seq(f), 2); /* nothing of the call stored */
    for (int i = 0; i < 3; i++) {
        json_decref(evs[i]);
    }
    evs[0] = object_event(3, "shipping");
    evs[1] = object_event(1, "shipping");
    evs[2] = object_event(4, "shipping");
    assert_int_equal(ledger_store_append_events(store(f), f->id, evs, 3,
                                                LEDGER_APPEND_SKIP_DUPLICATES, res, &err),
                     0);
    assert_int_equal(res[1].skipped, 1);
    assert_int_equal(res[2].seq, 4);
    assert_int_equal(own_seq(f), 4);
    /* an errorDeclaration restates the event with the same ID: accepted */
    json_object_set_new(evs[1], "errorDeclaration",
                        json_pack("{s:s, s:s}", "declarationTime", "2025-12-01T10:00:00.000Z",
                                  "reason", "incorrect_data"));
    json_object_set_new(evs[1], "eventID", json_string(res[1].event_id));
    assert_int_equal(ledger_store_append_events(store(f), f->id, &evs[1], 1, 0, res, &err), 0);
    {
        int n = 0;
        assert_int_equal(ledger_store_find_event(store(f), res[0].event_id, count_cb, &n, &err), 0);
        assert_int_equal(n, 2); /* the event and its errorDeclaration */
    }
    assert_int_equal(ledger_store_verify(store(f), NULL, NULL, &err), 0);
    for (int i = 0; i < 3; i++)
        json_decref(evs[i]);
}

/* Copies entry feed:seq into *out. */
static int copy_cb(const ledger_stored_t *s, void *ctx)
{
    ledger_buf_t *b = ctx;
    ledger_buf_reset(b);
    return ledger_buf_append(b, s->bytes, s->len);
}

/* verify with flags (LEDGER_VERIFY_...) fails naming what */
static void expect_verify_fails_with(fixture_t *f, unsigned flags, const char *what)
{
    ledger_err_t err;
    char hex[65];
    assert_int_equal(ledger_store_verify_ex(store(f), flags, NULL, NULL, NULL, &err),
                     LEDGER_EVERIFY);
    ledger_hex(ledger_home_id(f->home), 32, hex);
    if (!strstr(err.msg, what))
        fail_msg("verify said \"%s\", expected it to name \"%s\"", err.msg, what);
    if (strstr(what, "seq") && !strstr(err.msg, hex))
        fail_msg("verify said \"%s\" without the feed", err.msg);
}

static void expect_verify_fails(fixture_t *f, const char *what)
{
    expect_verify_fails_with(f, 0, what);
}

static void corrupt_entry(fixture_t *f, uint64_t seq, int part, size_t at)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    ledger_entry_t e;
    size_t off;
    assert_int_equal(ledger_store_get(store(f), ledger_home_id(f->home), seq, copy_cb, &b, NULL),
                     0);
    assert_int_equal(ledger_entry_decode(b.data, b.len, &e, NULL), 0);
    off = part == 0   ? (size_t)(e.payload - b.data)
          : part == 1 ? (size_t)(e.sig - b.data)
                      : (size_t)(e.hbytes - b.data);
    b.data[off + at] ^= 0x01;
    assert_int_equal(
        ledger_store_debug_put_entry(store(f), ledger_home_id(f->home), seq, b.data, b.len, NULL),
        0);
    ledger_buf_free(&b);
}

static void test_verify_flipped_payload(void **state)
{
    fixture_t *f = *state;
    append_n(f, 1, 5);
    corrupt_entry(f, 3, 0, 20);
    expect_verify_fails(f, "seq 3: payload");
}

static void test_verify_flipped_signature(void **state)
{
    fixture_t *f = *state;
    append_n(f, 1, 5);
    corrupt_entry(f, 4, 1, 5);
    /* --signatures checks it itself */
    expect_verify_fails_with(f, LEDGER_VERIFY_SIGNATURES, "seq 4: signature");
    /* the default run leaves it to the checkpoint of 5, but seq 5's prev is
     * the hash of seq 4's header and signature: the broken link makes it
     * check seq 4's signature, and it names that */
    expect_verify_fails(f, "seq 4: signature: Ed25519 signature does not verify (found by the "
                           "broken link to it");
    /* the newest entry's: its hash is the feed's head record's */
    corrupt_entry(f, 4, 1, 5);
    corrupt_entry(f, 5, 1, 60);
    expect_verify_fails_with(f, LEDGER_VERIFY_SIGNATURES, "seq 5: signature");
    expect_verify_fails(f, "seq 5: signature: Ed25519 signature does not verify (found by the "
                           "broken link to it");
}

static void test_verify_flipped_prev(void **state)
{
    fixture_t *f = *state;
    append_n(f, 1, 5);
    corrupt_entry(f, 2, 2, 1 + 1 + 2 + 32 + 1 + 2 + 7); /* a byte inside prev */
    expect_verify_fails(f, "seq 2: chain link broken");
}

static void test_verify_deleted_index_row(void **state)
{
    fixture_t *f = *state;
    append_n(f, 1, 5);
    assert_int_equal(ledger_store_debug_del_row(store(f), "ident",
                                                "https://id.gs1.org/01/05412345000013/21/4", NULL),
                     0);
    expect_verify_fails(f, "seq 4: ident index row missing");
}

static void test_verify_deleted_evid_row(void **state)
{
    fixture_t *f = *state;
    ledger_append_result_t res;
    json_t *ev = object_event(77, "receiving");
    assert_int_equal(ledger_store_append_events(store(f), f->id, &ev, 1, 0, &res, NULL), 0);
    assert_int_equal(ledger_store_debug_del_row(store(f), "evid", res.event_id, NULL), 0);
    expect_verify_fails(f, "seq 1: evid index row missing");
    json_decref(ev);
}

static void test_big_batch_one_bad(void **state)
{
    fixture_t *f = *state;
    size_t n = 2000;
    json_t **evs = calloc(n, sizeof *evs);
    ledger_err_t err;
    for (size_t i = 0; i < n; i++)
        evs[i] = object_event((int)i + 1000, "shipping");
    json_object_set_new(evs[1234], "eventTime", json_string("yesterday"));
    assert_int_not_equal(ledger_store_append_events(store(f), f->id, evs, n, 0, NULL, &err), 0);
    assert_non_null(strstr(err.msg, "event 1234"));
    {
        ledger_feed_head_t h;
        assert_int_equal(ledger_store_head(store(f), ledger_home_id(f->home), &h, NULL),
                         LEDGER_ENOTFOUND);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(evs[i]);
    free(evs);
}

/* Big enough that verify checks every other signature on a helper thread: a
 * bad signature there is still the one reported when a later entry is bad
 * too (the first problem in walk order wins). */
static void test_verify_threaded(void **state)
{
    fixture_t *f = *state;
    size_t n = 2000;
    json_t **evs = calloc(n, sizeof *evs);
    ledger_err_t err;
    for (size_t i = 0; i < n; i++)
        evs[i] = object_event((int)i, "shipping");
    assert_int_equal(ledger_store_append_events(store(f), f->id, evs, n, 0, NULL, &err), 0);
    assert_int_equal(ledger_store_verify(store(f), NULL, NULL, &err), 0);
    corrupt_entry(f, 1700, 0, 20); /* payload, found by the walk itself */
    expect_verify_fails(f, "seq 1700: payload");
    corrupt_entry(f, 1500, 1, 5); /* a signature, perhaps the helper's to check */
    expect_verify_fails_with(f, LEDGER_VERIFY_SIGNATURES, "seq 1500: signature");
    expect_verify_fails(f, "seq 1500: signature"); /* by seq 1501's link */
    corrupt_entry(f, 1499, 1, 5);                  /* and the one before: still the earliest */
    expect_verify_fails_with(f, LEDGER_VERIFY_SIGNATURES, "seq 1499: signature");
    expect_verify_fails(f, "seq 1499: signature");
    for (size_t i = 0; i < n; i++)
        json_decref(evs[i]);
    free(evs);
}

/* A call large enough for the threaded pipeline, in several adds of one
 * append, with duplicates inside it (skipped) and across the adds. */
static void test_pipeline(void **state)
{
    fixture_t *f = *state;
    size_t n = 3000;
    json_t **evs = calloc(n, sizeof *evs);
    ledger_append_result_t *res = calloc(n, sizeof *res);
    ledger_append_t *a;
    ledger_err_t err;
    uint64_t want = 0;

    for (size_t i = 0; i < n; i++) /* every 7th event repeats the one before */
        evs[i] = object_event((int)(i % 7 == 6 ? i - 1 : i), "shipping");
    assert_int_equal(
        ledger_store_append_begin(store(f), f->id, LEDGER_APPEND_SKIP_DUPLICATES, &a, &err), 0);
    assert_int_equal(ledger_store_append_add(a, evs, 1000, 0, res, &err), 0);
    assert_int_equal(ledger_store_append_add(a, evs + 1000, n - 1000, 1000, res + 1000, &err), 0);
    assert_int_equal(ledger_store_append_commit(a, &err), 0);
    for (size_t i = 0; i < n; i++) {
        if (i % 7 == 6) {
            assert_int_equal(res[i].skipped, 1);
            continue;
        }
        assert_int_equal(res[i].skipped, 0);
        assert_int_equal(res[i].seq, ++want);
    }
    assert_int_equal(own_seq(f), want);
    assert_int_equal(ledger_store_verify(store(f), NULL, NULL, &err), 0);
    /* the same events again, without skipping: refused, naming the first */
    assert_int_equal(ledger_store_append_events(store(f), f->id, evs, n, 0, NULL, &err),
                     LEDGER_EEXIST);
    assert_non_null(strstr(err.msg, "event 0"));
    assert_int_equal(own_seq(f), want);
    for (size_t i = 0; i < n; i++)
        json_decref(evs[i]);
    free(evs);
    free(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_and_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_flipped_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_flipped_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_flipped_prev, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_deleted_index_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_deleted_evid_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_batch_one_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipeline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_threaded, setup, teardown),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
