/* test_node_namedq.c -- named queries (node_namedq.h) over a real store
 * through the HTTP request path without a socket (node_http_drive), and
 * the subscriptions' matching step (node_query_since):
 *   - creating needs a token of scope query even before the home has one
 *     (401), then 201; the definition in queries.json (0600) is read again
 *     by a new node_namedq_t (a restart) and answers the same events; a
 *     damaged queries.json is refused with the file named;
 *   - node_query_since: only positions after the cursor, at most max
 *     events, the cursor moved to the last one sent and then to the end,
 *     the window bound (upto), initialRecordTime's rule, the private
 *     event never, a query that no longer reads an error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "node_capture.h"
#include "node_http.h"
#include "node_namedq.h"
#include "node_query.h"
#include "node_token.h"
#include "store_testlib.h"

static uv_loop_t loop;

typedef struct fx {
    char dir[300];
    tl_node_t n;
    node_tokens_t *tokens;
    node_query_t *q;
} fx_t;

#define EV                                                                                         \
    "{\"type\":\"ObjectEvent\",\"eventTime\":\"2025-12-01T00:%02d:00Z\",\"eventTimeZoneOffset\":"  \
    "\"+00:00\",\"epcList\":[\"urn:epc:id:sgtin:5412345.000012.%d\"],\"action\":\"OBSERVE\","      \
    "\"bizStep\":\"%s\"}"

static uint64_t rec(tl_node_t *n, unsigned flags, const char *fmt, ...)
{
    va_list ap;
    uint64_t s;
    va_start(ap, fmt);
    s = tl_vrec(n, flags, fmt, ap);
    va_end(ap);
    return s;
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tl_tmpdir(f->dir, sizeof f->dir, "test_node_namedq"), 0);
    tl_node_open(&f->n, f->dir, "s");
    for (int i = 0; i < 10; i++) /* shipping at even i */
        rec(&f->n, 0, EV, i, i, i % 2 ? "receiving" : "shipping");
    rec(&f->n, LEDGER_APPEND_PRIVATE, EV, 30, 99, "shipping");
    assert_int_equal(node_tokens_open(f->dir, &f->tokens, NULL), 0);
    assert_int_equal(node_query_new(f->n.st, &f->q, NULL), 0);
    node_query_set_gate(f->q, node_capture_query_gate, f->tokens);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    node_query_free(f->q);
    node_tokens_close(f->tokens);
    tl_node_close(&f->n);
    tl_rmtree(f->dir);
    free(f);
    return 0;
}

/* One request through a fresh server with the named-query routes of nq;
 * the response (malloc'd, NUL-terminated). */
static char *req(node_namedq_t *nq, const char *method, const char *target, const char *token,
                 const char *body)
{
    node_http_t *srv;
    char r[8192], auth[200] = "";
    ledger_buf_t out = LEDGER_BUF_INIT;
    assert_int_equal(node_http_new(&loop, NULL, NULL, NULL, &srv, NULL), 0);
    assert_int_equal(node_http_route(srv, node_namedq_handle, nq, NULL), 0);
    if (token)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", token);
    snprintf(r, sizeof r,
             "%s %s HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             method, target, auth, body ? strlen(body) : 0, body ? body : "");
    assert_true(node_http_drive(srv, (const uint8_t *)r, strlen(r), 0, &out) >= 0);
    ledger_buf_append(&out, "", 1);
    node_http_close(srv);
    uv_run(&loop, UV_RUN_DEFAULT);
    return (char *)out.data;
}

static int status_of(const char *resp)
{
    return atoi(resp + 9);
}

static size_t nevents(const char *resp)
{
    json_t *d = json_loads(strstr(resp, "\r\n\r\n") + 4, 0, NULL), *l;
    size_t n;
    assert_non_null(d);
    l = json_object_get(
        json_object_get(json_object_get(json_object_get(d, "epcisBody"), "queryResults"),
                        "resultsBody"),
        "eventList");
    assert_true(json_is_array(l));
    n = json_array_size(l);
    json_decref(d);
    return n;
}

static void test_persist(void **state)
{
    fx_t *f = *state;
    node_namedq_t *nq;
    char tok[NODE_TOKEN_TEXT], path[400], *r;
    ledger_err_t err;
    struct stat sb;
    FILE *fp;
    const char *def = "{\"name\":\"ship\",\"query\":{\"EQ_bizStep\":[\"shipping\"]}}";
    assert_int_equal(node_namedq_open(f->dir, f->q, f->tokens, NULL, &nq, &err), 0);
    r = req(nq, "POST", "/queries", NULL, def);
    assert_int_equal(status_of(r), 401); /* no token yet: creating is closed */
    free(r);
    r = req(nq, "GET", "/queries", NULL, NULL);
    assert_int_equal(status_of(r), 200); /* reading is open */
    free(r);
    assert_int_equal(node_token_add(f->dir, "erp", NODE_SCOPE_QUERY, tok, &err), 0);
    r = req(nq, "POST", "/queries", tok, def);
    assert_int_equal(status_of(r), 201);
    assert_non_null(strstr(r, "\r\nLocation: /queries/ship\r\n"));
    free(r);
    r = req(nq, "POST", "/queries", tok, def);
    assert_int_equal(status_of(r), 409);
    free(r);
    r = req(nq, "GET", "/queries/ship/events", tok, NULL);
    assert_int_equal(status_of(r), 200);
    assert_int_equal(nevents(r), 5); /* not the private one */
    free(r);
    node_namedq_close(nq);
    snprintf(path, sizeof path, "%s/%s", f->dir, NODE_NAMEDQ_FILE);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    /* a restart reads it again */
    assert_int_equal(node_namedq_open(f->dir, f->q, f->tokens, NULL, &nq, &err), 0);
    r = req(nq, "GET", "/queries/ship/events?perPage=2", tok, NULL);
    assert_int_equal(status_of(r), 200);
    assert_int_equal(nevents(r), 2);
    assert_non_null(strstr(r, "\r\nLink: </queries/ship/events?perPage=2&nextPageToken="));
    free(r);
    r = req(nq, "DELETE", "/queries/ship", tok, NULL);
    assert_int_equal(status_of(r), 204);
    free(r);
    node_namedq_close(nq);
    assert_int_equal(node_namedq_open(f->dir, f->q, f->tokens, NULL, &nq, &err), 0);
    r = req(nq, "GET", "/queries/ship", tok, NULL);
    assert_int_equal(status_of(r), 404);
    free(r);
    node_namedq_close(nq);
    /* damaged */
    assert_non_null(fp = fopen(path, "w"));
    fputs("{\"keten-queries\": 1, \"queries\": [{\"name\": \"x\"}]}", fp);
    fclose(fp);
    assert_int_equal(node_namedq_open(f->dir, f->q, f->tokens, NULL, &nq, &err), LEDGER_EINPUT);
    assert_non_null(strstr(err.msg, NODE_NAMEDQ_FILE));
    assert_non_null(fp = fopen(path, "w"));
    fputs("{not json", fp);
    fclose(fp);
    assert_int_equal(node_namedq_open(f->dir, f->q, f->tokens, NULL, &nq, &err), LEDGER_EINPUT);
}

static void test_since(void **state)
{
    fx_t *f = *state;
    node_query_since_t s = {"EQ_bizStep=shipping", 0, 0, 0, 2, 0};
    ledger_err_t err;
    json_t *ev = NULL;
    uint64_t after = 0, end = node_query_entries(f->q);
    assert_int_equal(end, 11);
    assert_int_equal(node_query_since(f->q, &s, &after, &ev, &err), 0);
    assert_int_equal(json_array_size(ev), 2); /* lseq 1 and 3 */
    assert_int_equal(after, 3);
    json_decref(ev);
    s.max = 100;
    assert_int_equal(node_query_since(f->q, &s, &after, &ev, &err), 0);
    assert_int_equal(json_array_size(ev), 3); /* 5, 7, 9; not the private 11 */
    assert_int_equal(after, 11);
    json_decref(ev);
    assert_int_equal(node_query_since(f->q, &s, &after, &ev, &err), 0);
    assert_int_equal(json_array_size(ev), 0);
    assert_int_equal(after, 11);
    json_decref(ev);
    /* new entries only */
    rec(&f->n, 0, EV, 40, 40, "shipping");
    rec(&f->n, 0, EV, 41, 41, "receiving");
    assert_int_equal(node_query_since(f->q, &s, &after, &ev, &err), 0);
    assert_int_equal(json_array_size(ev), 1);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(json_array_get(ev, 0), "epcList"), 0)),
        "urn:epc:id:sgtin:5412345.000012.40");
    assert_int_equal(after, 13);
    json_decref(ev);
    /* the window: no position beyond upto */
    after = 0;
    s.upto = 4;
    assert_int_equal(node_query_since(f->q, &s, &after, &ev, &err), 0);
    assert_int_equal(json_array_size(ev), 2);
    assert_int_equal(after, 4);
    json_decref(ev);
    /* initialRecordTime in the future: the stored ones are not sent, later ones are */
    s.upto = 0;
    after = 0;
    s.initial_rt_ms = INT64_MAX;
    s.initial_upto = 12;
    assert_int_equal(node_query_since(f->q, &s, &after, &ev, &err), 0);
    assert_int_equal(json_array_size(ev), 0);
    assert_int_equal(after, 13);
    json_decref(ev);
    /* a query that does not read */
    s.params = "EQ_nonsense=1";
    after = 0;
    assert_int_equal(node_query_since(f->q, &s, &after, &ev, &err), LEDGER_EINPUT);
    assert_null(ev);
    assert_int_equal(after, 0);
    assert_non_null(strstr(err.msg, "EQ_nonsense"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_persist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_since, setup, teardown),
    };
    uv_loop_init(&loop);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
