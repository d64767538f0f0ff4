/* test_node_query.c -- the EPCIS 2.0 query routes (node_query.h) over a
 * real store, through the HTTP request path without a socket
 * (node_http_drive): paging with nextPageToken to the end in both
 * directions (no event twice, none left out), the page cut at a token
 * whose event is gone from the answer, bad parameters and bad
 * percent-encoding (400 naming the parameter), a token of another order,
 * the private events of the own feed never shown, and the walk bound (413
 * once a query would read more than NODE_QUERY_WALK_MAX candidates). Run
 * under ASan, it also checks that no answer leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node_http.h"
#include "node_query.h"
#include "store_testlib.h"

static uv_loop_t loop;

typedef struct fx {
    char dir[300];
    tl_node_t n;
    node_http_t *srv;
    node_query_t *q;
} fx_t;

static uint64_t rec(tl_node_t *n, unsigned flags, const char *fmt, ...)
{
    va_list ap;
    uint64_t s;
    va_start(ap, fmt);
    s = tl_vrec(n, flags, fmt, ap);
    va_end(ap);
    return s;
}

#define EV                                                                                         \
    "{\"type\":\"ObjectEvent\",\"eventTime\":\"2025-12-01T00:%02d:00Z\",\"eventTimeZoneOffset\":"  \
    "\"+00:00\",\"epcList\":[\"urn:epc:id:sgtin:5412345.000012.%d\"],\"action\":\"OBSERVE\","      \
    "\"bizStep\":\"%s\"}"

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tl_tmpdir(f->dir, sizeof f->dir, "test_node_query"), 0);
    tl_node_open(&f->n, f->dir, "s");
    /* 10 events, eventTime minute 9 - i (reverse of local order) */
    for (int i = 0; i < 10; i++)
        rec(&f->n, 0, EV, 9 - i, i % 3, i % 2 ? "shipping" : "receiving");
    rec(&f->n, LEDGER_APPEND_PRIVATE, EV, 30, 1, "shipping");
    assert_int_equal(node_http_new(&loop, NULL, NULL, NULL, &f->srv, NULL), 0);
    assert_int_equal(node_query_new(f->n.st, &f->q, NULL), 0);
    assert_int_equal(node_http_route(f->srv, node_query_handle, f->q, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    node_http_close(f->srv);
    uv_run(&loop, UV_RUN_DEFAULT);
    node_query_free(f->q);
    tl_node_close(&f->n);
    tl_rmtree(f->dir);
    free(f);
    return 0;
}

/* GET target; the response (malloc'd, NUL-terminated). */
static char *get(fx_t *f, const char *target)
{
    char req[4096];
    ledger_buf_t out = LEDGER_BUF_INIT;
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target);
    assert_true(node_http_drive(f->srv, (const uint8_t *)req, strlen(req), 0, &out) >= 0);
    ledger_buf_append(&out, "", 1);
    return (char *)out.data;
}

static int status_of(const char *resp)
{
    return atoi(resp + 9);
}

static json_t *body_of(const char *resp)
{
    const char *b = strstr(resp, "\r\n\r\n");
    assert_non_null(b);
    return json_loads(b + 4, 0, NULL);
}

/* The next target from the Link header, or 0 when none. */
static int next_of(const char *resp, char *next, size_t cap)
{
    const char *l = strstr(resp, "\r\nLink: <"), *e;
    if (!l)
        return 0;
    l += 9;
    e = strchr(l, '>');
    assert_non_null(e);
    assert_true(strncmp(e, ">; rel=\"next\"\r\n", 15) == 0);
    snprintf(next, cap, "%.*s", (int)(e - l), l);
    return 1;
}

/* Pages through target; the eventTimes' minutes in order into mins. */
static size_t page_all(fx_t *f, const char *target, int *mins, size_t max)
{
    char t[2048];
    size_t n = 0, pages = 0;
    snprintf(t, sizeof t, "%s", target);
    for (;;) {
        char *r = get(f, t);
        json_t *d = body_of(r), *list, *ev;
        size_t i;
        assert_int_equal(status_of(r), 200);
        assert_non_null(d);
        list = json_object_get(
            json_object_get(json_object_get(json_object_get(d, "epcisBody"), "queryResults"),
                            "resultsBody"),
            "eventList");
        assert_true(json_is_array(list));
        json_array_foreach(list, i, ev)
        {
            const char *et = json_string_value(json_object_get(ev, "eventTime"));
            assert_true(n < max);
            mins[n++] = atoi(et + 14);
        }
        json_decref(d);
        pages++;
        assert_true(pages < 20);
        if (!next_of(r, t, sizeof t)) {
            free(r);
            break;
        }
        free(r);
    }
    return n;
}

static void test_paging(void **state)
{
    fx_t *f = *state;
    int m[32];
    size_t n = page_all(f, "/events?perPage=3", m, 32);
    assert_int_equal(n, 10); /* not the private one (minute 30) */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(m[i], (int)i);
    n = page_all(f, "/events?perPage=4&orderDirection=DESC", m, 32);
    assert_int_equal(n, 10);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(m[i], 9 - (int)i);
    /* recordTime order: local order, i.e. eventTime minute 9 first */
    n = page_all(f, "/events?orderBy=recordTime&perPage=1", m, 32);
    assert_int_equal(n, 10);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(m[i], 9 - (int)i);
    /* with a filter: shipping is odd i, minutes 8, 6, 4, 2, 0 */
    n = page_all(f, "/events?EQ_bizStep=urn:epcglobal:cbv:bizstep:shipping&perPage=2", m, 32);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(m[i], 2 * (int)i);
    n = page_all(f,
                 "/events?MATCH_epc=https%3A%2F%2Fid.gs1.org%2F01%2F05412345000129%2F21%2F1"
                 "&perPage=1",
                 m, 32);
    assert_int_equal(n, 3); /* i = 1, 4, 7: minutes 2, 5, 8 */
    assert_int_equal(m[0], 2);
    assert_int_equal(m[2], 8);
}

static void test_bad(void **state)
{
    fx_t *f = *state;
    static const char *const cases[][2] = {
        {"/events?nope=1", "\"nope:"},
        {"/events?perPage=%4", "\"perPage:"},
        {"/events?EQ_bizStep=%00x", "\"EQ_bizStep:"},
        {"/events?EQ_bizStep=a%", "\"EQ_bizStep:"},
        {"/events?orderDirection=DESC&nextPageToken=ea1.2", "\"nextPageToken:"},
        {"/events?nextPageToken=ea1.2x", "\"nextPageToken:"},
        {"/events?nextPageToken=ea-1.%2B2", "\"nextPageToken:"},
        {"/events?GE_eventTime=2025-12-01T00:00:00", "\"GE_eventTime:"},
        {"/events?MATCH_anyEPC=urn:epc:id:sgtin:1", "\"MATCH_anyEPC:"},
        {"/bizSteps/%ZZ/events", "\"EQ_bizStep:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *r = get(f, cases[i][0]);
        if (status_of(r) != 400 || !strstr(r, cases[i][1]) || !strstr(r, "QueryParameterException"))
            fail_msg("%s: %s", cases[i][0], r);
        free(r);
    }
}

static void test_event_and_private(void **state)
{
    fx_t *f = *state;
    char *r = get(f, "/events?EQ_eventTime=1"), *r2;
    assert_int_equal(status_of(r), 400);
    free(r);
    r = get(f, "/events?MATCH_epc=urn:epc:id:sgtin:5412345.000012.1&GE_eventTime=2025-12-01T00:"
               "20:00Z");
    assert_int_equal(status_of(r), 200);
    assert_non_null(strstr(r, "\"eventList\":[]")); /* the private one is at minute 30 */
    free(r);
    r = get(f, "/events?perPage=1");
    {
        json_t *d = body_of(r);
        const char *id = json_string_value(json_object_get(
            json_array_get(
                json_object_get(json_object_get(json_object_get(json_object_get(d, "epcisBody"),
                                                                "queryResults"),
                                                "resultsBody"),
                                "eventList"),
                0),
            "eventID"));
        char t[300];
        assert_non_null(id);
        snprintf(t, sizeof t, "/events/%s", strchr(id, ';') + 1);
        t[strlen(t) - strlen("?ver=CBV2.0")] = 0;
        r2 = get(f, t);
        assert_int_equal(status_of(r2), 200);
        assert_non_null(strstr(r2, id));
        free(r2);
        json_decref(d);
    }
    free(r);
    r = get(f, "/events/ni%3A%2F%2F%2Fsha-256%3B00?ver=CBV2.0");
    assert_int_equal(status_of(r), 404);
    free(r);
}

/* More candidates than NODE_QUERY_WALK_MAX: 413; an index query still answers. */
static void test_walk_bound(void **state)
{
    fx_t *f = *state;
    size_t n = NODE_QUERY_WALK_MAX, done = 0;
    json_t **evs = calloc(1000, sizeof *evs);
    ledger_err_t err;
    char *r;
    assert_non_null(evs);
    while (done < n) {
        size_t k = 0;
        for (; k < 1000 && done + k < n; k++) {
            char text[400];
            snprintf(text, sizeof text, EV, 40, 100 + (int)(done + k), "inspecting");
            evs[k] = json_loads(text, 0, NULL);
            assert_int_equal(ledger_epcis_event_check(evs[k], "test", &err), 0);
        }
        ledger_append_result_t *res = calloc(k, sizeof *res);
        assert_int_equal(ledger_store_append_events(f->n.st, f->n.id, evs, k, 0, res, &err), 0);
        for (size_t i = 0; i < k; i++)
            json_decref(evs[i]);
        free(res);
        done += k;
    }
    free(evs);
    r = get(f, "/events?EQ_bizStep=shipping");
    if (status_of(r) != 413 || !strstr(r, "QueryTooLargeException"))
        fail_msg("%s", r);
    free(r);
    r = get(f, "/events?MATCH_epc=urn:epc:id:sgtin:5412345.000012.150");
    assert_int_equal(status_of(r), 200);
    assert_non_null(strstr(r, "5412345.000012.150\""));
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_and_private, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_bound, setup, teardown),
    };
    uv_loop_init(&loop);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
