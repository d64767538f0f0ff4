/* test_store_check.c -- LEDGER_APPEND_CHECK: the store checks each event on
 * the thread that hashes it (so that `keten record` reads each identifier
 * once), with the answers and messages of ledger_epcis_event_check, on both
 * paths of the append pipeline (inline for small calls, threaded for big
 * ones), and with a document's shared "@context" checked once
 * (ledger_epcis_event_check_memo).  A bad event fails the whole call and
 * stores nothing. */
#include <string.h>

#include "store_testlib.h"

typedef struct fixture {
    char dir[256];
    tl_node_t node;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f || tl_tmpdir(f->dir, sizeof f->dir, "keten-check"))
        return -1;
    tl_node_open(&f->node, f->dir, "store");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    tl_node_close(&f->node);
    int rc = tl_rmtree(f->dir);
    free(f);
    return rc;
}

static json_t *object_event(int n)
{
    char epc[80], t[40];
    snprintf(epc, sizeof epc, "urn:epc:id:sgtin:5412345.000001.%d", n);
    snprintf(t, sizeof t, "2025-11-30T08:%02d:%02d.000+01:00", (n / 60) % 60, n % 60);
    return json_pack("{s:s, s:s, s:s, s:[s], s:s, s:s, s:{s:s}}", "type", "ObjectEvent", "action",
                     "OBSERVE", "bizStep", "shipping", "epcList", epc, "eventTime", t,
                     "eventTimeZoneOffset", "+01:00", "readPoint", "id",
                     "urn:epc:id:sgln:5412345.00000.0");
}

static uint64_t own_entries(fixture_t *f)
{
    ledger_feed_head_t h;
    int rc = ledger_store_head(f->node.st, ledger_identity_public(f->node.id), &h, NULL);
    return rc == LEDGER_ENOTFOUND ? 0 : h.seq;
}

static void free_events(json_t **evs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(evs[i]);
    free(evs);
}

/* n events, event bad (if < n) spoiled by spoil(); appended with flags.
 * Returns the append's code, err its message. */
static int append(fixture_t *f, size_t n, size_t bad, void (*spoil)(json_t *), unsigned flags,
                  json_t *shared_ctx, char *expect, size_t expect_len, ledger_err_t *err)
{
    json_t **evs = calloc(n, sizeof *evs);
    int rc;
    for (size_t i = 0; i < n; i++) {
        evs[i] = object_event((int)(i + 1 + 10000 * (n % 7)));
        if (shared_ctx) {
            json_object_set(evs[i], "@context", shared_ctx);
            json_object_set_new(evs[i], "ex:lane", json_integer((json_int_t)i % 4));
        }
    }
    if (bad < n) {
        ledger_err_t e2;
        char where[32];
        spoil(evs[bad]);
        snprintf(where, sizeof where, "event %zu", bad);
        /* what ledger_epcis_event_check says of it, for comparison */
        assert_int_equal(ledger_epcis_event_check(evs[bad], where, &e2), LEDGER_EINPUT);
        snprintf(expect, expect_len, "%s", e2.msg);
    }
    rc = ledger_store_append_events(f->node.st, f->node.id, evs, n, flags, NULL, err);
    free_events(evs, n);
    return rc;
}

static void bad_epc(json_t *ev)
{
    json_array_set_new(json_object_get(ev, "epcList"), 0,
                       json_string("urn:epc:id:sgtin:5412345.000001")); /* no serial */
}

static void bad_field(json_t *ev)
{
    json_object_set_new(ev, "colour", json_string("red")); /* not an EPCIS field */
}

/* the flag is what checks: without it the store trusts its caller (the
 * unknown field is kept as it is), with it the event is refused */
static void test_check_flag_checks(void **state)
{
    fixture_t *f = *state;
    char expect[1024];
    ledger_err_t err;
    assert_int_equal(
        append(f, 5, 3, bad_field, LEDGER_APPEND_CHECK, NULL, expect, sizeof expect, &err),
        LEDGER_EINPUT);
    assert_string_equal(err.msg, expect);
    assert_int_equal(own_entries(f), 0);
    assert_int_equal(append(f, 5, 3, bad_field, 0, NULL, expect, sizeof expect, &err), 0);
    assert_int_equal(own_entries(f), 5);
}

/* the same message inline (small call) and on the preparing thread (big
 * call), nothing stored */
static void test_check_both_paths(void **state)
{
    fixture_t *f = *state;
    char expect[1024];
    ledger_err_t err;
    assert_int_equal(
        append(f, 10, 7, bad_epc, LEDGER_APPEND_CHECK, NULL, expect, sizeof expect, &err),
        LEDGER_EINPUT);
    assert_string_equal(err.msg, expect);
    assert_non_null(strstr(err.msg, "event 7: "));
    assert_int_equal(
        append(f, 900, 457, bad_epc, LEDGER_APPEND_CHECK, NULL, expect, sizeof expect, &err),
        LEDGER_EINPUT);
    assert_string_equal(err.msg, expect);
    assert_non_null(strstr(err.msg, "event 457: "));
    assert_int_equal(own_entries(f), 0);
    assert_int_equal(
        append(f, 900, 900, NULL, LEDGER_APPEND_CHECK, NULL, expect, sizeof expect, &err), 0);
    assert_int_equal(own_entries(f), 900);
}

static void bad_own_context(json_t *ev)
{
    /* a context array element that is neither a URL nor an object */
    json_object_set_new(ev, "@context",
                        json_pack("[s, {s:s}, i]",
                                  "https://ref.gs1.org/standards/epcis/"
                                  "epcis-context.jsonld",
                                  "ex", "https://example.com/ns/", 5));
}

/* events sharing one extended context (the document's, as
 * ledger_epcis_doc_foreach_opts hands them over) pass; one of them with a
 * bad context of its own is still found, with the message of the check */
static void test_check_shared_context(void **state)
{
    fixture_t *f = *state;
    char expect[1024];
    ledger_err_t err;
    json_t *ctx =
        json_pack("[s, {s:s}]", "https://ref.gs1.org/standards/epcis/epcis-context.jsonld", "ex",
                  "https://example.com/ns/");
    assert_int_equal(
        append(f, 600, 600, NULL, LEDGER_APPEND_CHECK, ctx, expect, sizeof expect, &err), 0);
    assert_int_equal(own_entries(f), 600);
    assert_int_equal(
        append(f, 601, 300, bad_own_context, LEDGER_APPEND_CHECK, ctx, expect, sizeof expect, &err),
        LEDGER_EINPUT);
    assert_string_equal(err.msg, expect);
    assert_int_equal(own_entries(f), 600);
    json_decref(ctx);
}

/* the memo alone: the same answer as ledger_epcis_event_check for a run of
 * events sharing a context, then one with another context */
static void test_memo_answers(void **state)
{
    (void)state;
    ledger_epcis_ctx_memo_t memo = {0};
    ledger_err_t e1, e2;
    json_t *ctx =
        json_pack("[s, {s:s}]", "https://ref.gs1.org/standards/epcis/epcis-context.jsonld", "ex",
                  "https://example.com/ns/");
    for (int i = 0; i < 20; i++) {
        json_t *ev = object_event(i);
        json_object_set(ev, "@context", ctx);
        json_object_set_new(ev, "ex:lane", json_integer(i));
        if (i == 13)
            bad_own_context(ev);
        if (i == 17)
            bad_epc(ev);
        int a = ledger_epcis_event_check(ev, "event", &e1);
        int b = ledger_epcis_event_check_memo(ev, "event", &memo, &e2);
        assert_int_equal(a, b);
        if (a)
            assert_string_equal(e1.msg, e2.msg);
        assert_int_equal(a != 0, i == 13 || i == 17);
        json_decref(ev);
    }
    assert_ptr_equal(memo.ctx, ctx);
    json_decref(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_check_flag_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_both_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_shared_context, setup, teardown),
        cmocka_unit_test(test_memo_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
