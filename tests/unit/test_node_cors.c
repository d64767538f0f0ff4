/* test_node_cors.c -- CORS around a route (node_cors.h) and the public
 * feeds of keten.json (node_conf.h): which origins may be listed; through
 * node_http_drive (the request path without a socket), that a listed
 * origin gets Access-Control-Allow-Origin, Vary and the exposed headers,
 * a preflight the methods, headers and max-age, an unlisted origin and a
 * request without Origin none, "*" any origin, and that a request the
 * wrapped route does not answer is left to the next route; and how
 * node_public_feeds resolves partners' names and feeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node_conf.h"
#include "node_cors.h"
#include "node_http.h"

static void test_origin_ok(void **state)
{
    static const char *good[] = {"*",
                                 "https://shop.example.com",
                                 "http://localhost:3000",
                                 "http://127.0.0.1:8080",
                                 "https://[::1]:8443",
                                 "https://[2001:db8::5]",
                                 "https://a-b.example"};
    static const char *bad[] = {"",
                                "shop.example.com",
                                "https://",
                                "https://shop.example.com/",
                                "https://shop.example.com/path",
                                "https://shop.example.com:",
                                "https://shop.example.com:80x",
                                "ftp://shop.example.com",
                                "https://.example",
                                "https://-x.example",
                                "https://[]",
                                "https://[::1",
                                "https://shop example",
                                "https://shop.example.com\r\nX: y",
                                "null",
                                "**"};
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(node_cors_origin_ok(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (node_cors_origin_ok(bad[i]))
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

/* the wrapped route: answers /r (GET 200, OPTIONS 204), nothing else */
static int route(void *ctx, const node_http_req_t *req, node_http_resp_t *resp)
{
    (void)ctx;
    if (strcmp(req->path, "/r"))
        return 0;
    if (!strcmp(req->method, "OPTIONS")) {
        node_http_resp_header(resp, "Allow", "GET, HEAD, OPTIONS");
        return node_http_resp_set(resp, 204, NULL, NULL, 0) ? -1 : 1;
    }
    return node_http_resp_set(resp, 200, "text/plain", "ok", 2) ? -1 : 1;
}

/* the next route: answers everything with 404 */
static int fallback(void *ctx, const node_http_req_t *req, node_http_resp_t *resp)
{
    (void)ctx;
    (void)req;
    return node_http_resp_problem(resp, 404, "none") ? -1 : 1;
}

typedef struct fixture {
    uv_loop_t loop;
    node_http_t *srv;
    node_cors_t *cors;
} fixture_t;

static fixture_t *start(const char (*origins)[NODE_CORS_ORIGIN_MAX], size_t n)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(node_http_new(&f->loop, NULL, NULL, NULL, &f->srv, NULL), 0);
    assert_int_equal(node_cors_new(origins, n, route, NULL, "GET, HEAD, OPTIONS", &f->cors, NULL),
                     0);
    assert_int_equal(node_http_route(f->srv, node_cors_handle, f->cors, NULL), 0);
    assert_int_equal(node_http_route(f->srv, fallback, NULL, NULL), 0);
    return f;
}

static void stop(fixture_t *f)
{
    node_http_close(f->srv);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    uv_loop_close(&f->loop);
    node_cors_free(f->cors);
    free(f);
}

/* The response to one request (NUL-terminated, free it). */
static char *ask(fixture_t *f, const char *req)
{
    ledger_buf_t out = LEDGER_BUF_INIT;
    char *s;
    assert_true(node_http_drive(f->srv, (const uint8_t *)req, strlen(req), 0, &out) >= 0);
    s = calloc(1, out.len + 1);
    assert_non_null(s);
    memcpy(s, out.data, out.len);
    ledger_buf_free(&out);
    return s;
}

static const char listed[2][NODE_CORS_ORIGIN_MAX] = {"https://shop.example",
                                                     "http://localhost:3000"};

static void test_listed(void **state)
{
    fixture_t *f = start(listed, 2);
    char *r;
    (void)state;
    r = ask(f, "GET /r HTTP/1.1\r\nHost: x\r\nOrigin: http://localhost:3000\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 200 "));
    assert_non_null(strstr(r, "\r\nAccess-Control-Allow-Origin: http://localhost:3000\r\n"));
    assert_non_null(strstr(r, "\r\nVary: Origin\r\n"));
    assert_non_null(strstr(r, "\r\nAccess-Control-Expose-Headers: Location, Link, "));
    assert_null(strstr(r, "Access-Control-Allow-Methods")); /* not a preflight */
    assert_null(strstr(r, "Access-Control-Allow-Credentials"));
    free(r);
    /* a preflight: the route's own 204 with the CORS answers */
    r = ask(f, "OPTIONS /r HTTP/1.1\r\nHost: x\r\nOrigin: https://shop.example\r\n"
               "Access-Control-Request-Method: GET\r\n"
               "Access-Control-Request-Headers: authorization\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 204 "));
    assert_non_null(strstr(r, "\r\nAllow: GET, HEAD, OPTIONS\r\n"));
    assert_non_null(strstr(r, "\r\nAccess-Control-Allow-Origin: https://shop.example\r\n"));
    assert_non_null(strstr(r, "\r\nAccess-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n"));
    assert_non_null(strstr(r, "\r\nAccess-Control-Allow-Headers: Authorization, Content-Type"));
    assert_non_null(strstr(r, "\r\nAccess-Control-Max-Age: 600\r\n"));
    free(r);
    /* OPTIONS without Access-Control-Request-Method is no preflight */
    r = ask(f, "OPTIONS /r HTTP/1.1\r\nHost: x\r\nOrigin: https://shop.example\r\n\r\n");
    assert_non_null(strstr(r, "\r\nAccess-Control-Allow-Origin: https://shop.example\r\n"));
    assert_null(strstr(r, "Access-Control-Allow-Methods"));
    free(r);
    stop(f);
}

static void test_not_listed(void **state)
{
    fixture_t *f = start(listed, 2);
    char *r;
    (void)state;
    /* another origin, one differing by its port, by case, by a slash */
    static const char *others[] = {"https://evil.example", "https://shop.example:443",
                                   "HTTPS://shop.example", "https://shop.example/"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        char req[300];
        snprintf(req, sizeof req,
                 "OPTIONS /r HTTP/1.1\r\nHost: x\r\nOrigin: %s\r\n"
                 "Access-Control-Request-Method: GET\r\n\r\n",
                 others[i]);
        r = ask(f, req);
        assert_non_null(strstr(r, "HTTP/1.1 204 "));
        assert_null(strstr(r, "Access-Control-"));
        assert_non_null(strstr(r, "\r\nVary: Origin\r\n"));
        free(r);
    }
    /* no Origin: nothing added */
    r = ask(f, "GET /r HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 200 "));
    assert_null(strstr(r, "Access-Control-"));
    assert_null(strstr(r, "Vary"));
    free(r);
    /* a path the wrapped route does not answer: the next route's, untouched */
    r = ask(f, "GET /other HTTP/1.1\r\nHost: x\r\nOrigin: https://shop.example\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 404 "));
    assert_null(strstr(r, "Access-Control-"));
    free(r);
    stop(f);
}

static void test_any(void **state)
{
    static const char any[1][NODE_CORS_ORIGIN_MAX] = {"*"};
    static const char bad[1][NODE_CORS_ORIGIN_MAX] = {"https://a/b"};
    fixture_t *f = start(any, 1);
    node_cors_t *c = NULL;
    ledger_err_t err;
    char *r;
    (void)state;
    r = ask(f, "GET /r HTTP/1.1\r\nHost: x\r\nOrigin: https://whoever.example\r\n\r\n");
    assert_non_null(strstr(r, "\r\nAccess-Control-Allow-Origin: *\r\n"));
    free(r);
    stop(f);
    assert_int_equal(node_cors_new(bad, 1, route, NULL, NULL, &c, &err), LEDGER_EINPUT);
    assert_null(c);
    assert_non_null(strstr(err.msg, "\"https://a/b\" is no origin"));
}

static void test_public_feeds(void **state)
{
    node_peer_t pv[3] = {
        {{0}, "Verwerker", "", 0, 1}, {{0}, "Keuken", "", 0, 1}, {{0}, "Twin", "", 0, 1}};
    node_peers_t peers = {pv, 3};
    node_public_conf_t pub;
    uint8_t self[32], out[8][32];
    size_t n = 99;
    ledger_err_t err;
    (void)state;
    memset(self, 1, 32);
    memset(pv[0].id, 2, 32);
    memset(pv[1].id, 3, 32);
    memset(pv[2].id, 4, 32);
    /* nothing listed: the node's own feed only */
    memset(&pub, 0, sizeof pub);
    assert_int_equal(node_public_feeds(&pub, &peers, self, out, 8, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_memory_equal(out[0], self, 32);
    /* a feed, a partner's name, the same partner by feed, self: each once */
    memset(pub.feeds[0], 9, 32);
    memcpy(pub.feeds[1], pv[1].id, 32);
    memcpy(pub.feeds[2], self, 32);
    pub.nfeeds = 3;
    snprintf(pub.partners[0], sizeof pub.partners[0], "Keuken");
    snprintf(pub.partners[1], sizeof pub.partners[1], "Verwerker");
    pub.npartners = 2;
    assert_int_equal(node_public_feeds(&pub, &peers, self, out, 8, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(out[0], self, 32);
    assert_int_equal(out[1][0], 9);
    assert_memory_equal(out[2], pv[1].id, 32);
    assert_memory_equal(out[3], pv[0].id, 32);
    /* more than cap */
    assert_int_equal(node_public_feeds(&pub, &peers, self, out, 3, &n, &err), LEDGER_EINPUT);
    /* a name no peer has, a name two peers have */
    snprintf(pub.partners[1], sizeof pub.partners[1], "Nobody");
    assert_int_equal(node_public_feeds(&pub, &peers, self, out, 8, &n, &err), LEDGER_EINPUT);
    assert_non_null(strstr(err.msg, "no peer named \"Nobody\""));
    snprintf(pv[2].name, sizeof pv[2].name, "Keuken");
    pub.npartners = 1;
    assert_int_equal(node_public_feeds(&pub, &peers, self, out, 8, &n, &err), LEDGER_EINPUT);
    assert_non_null(strstr(err.msg, "names two peers"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_origin_ok),    cmocka_unit_test(test_listed),
        cmocka_unit_test(test_not_listed),   cmocka_unit_test(test_any),
        cmocka_unit_test(test_public_feeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
