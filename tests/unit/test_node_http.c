/* test_node_http.c -- the HTTP server's request path (node_http.h) without
 * a socket (node_http_drive), each case fed whole and a byte at a time:
 * pipelined requests answered in order (HEAD without a body), keep-alive
 * and close (HTTP/1.0, Connection: close), each limit (431 for headers and
 * for too many fields, 414, 413 by Content-Length and by chunks), garbage
 * (400, closed), a protocol upgrade (answered, closed), 100 Continue, the
 * query-string decoder, header look-ups in any case (also a chunked body's
 * trailer), and no header injection through a response header.  And the
 * HTTP settings of keten.json (node_conf.h), and which addresses are
 * loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "node_conf.h"
#include "node_http.h"

static uv_loop_t loop;

/* /q?...: the query's q, a, e and n and the headers x-a and x-trailer,
 * echoed in the body; /inject: a header value with CR LF in it. */
static int route(void *ctx, const node_http_req_t *req, node_http_resp_t *resp)
{
    char body[1024], q[64] = "-", a[64] = "-", e[64] = "-", n[64] = "-";
    const char *xa = node_http_header(req, "X-a"), *xt = node_http_header(req, "x-trailer");
    (void)ctx;
    if (!strcmp(req->path, "/inject")) {
        assert_int_equal(node_http_resp_header(resp, "X-Evil", "a\r\nSet-Cookie: b"), 0);
        return node_http_resp_set(resp, 200, "text/plain", "ok", 2) ? -1 : 1;
    }
    if (strcmp(req->path, "/q") != 0)
        return 0;
    node_http_query(req, "q", q, sizeof q);
    node_http_query(req, "a", a, sizeof a);
    node_http_query(req, "e", e, sizeof e);
    if (!node_http_query(req, "n", n, sizeof n))
        snprintf(n, sizeof n, "absent");
    snprintf(body, sizeof body, "%s %s|%s|%s|%s|%s|%s|%zu", req->method, q, a, e, n, xa ? xa : "-",
             xt ? xt : "-", req->body_len);
    return node_http_resp_set(resp, 200, "text/plain", body, strlen(body)) ? -1 : 1;
}

static node_http_t *server(size_t header_max, size_t body_max)
{
    node_http_t *s;
    node_http_limits_t lim = {header_max, body_max, 0, 0, 0};
    assert_int_equal(node_http_new(&loop, &lim, NULL, NULL, &s, NULL), 0);
    assert_int_equal(node_http_route(s, route, NULL, NULL), 0);
    return s;
}

/* Feeds req whole and a byte at a time: both must give the same bytes
 * (but the Date lines) and the same closed; returns the output (malloc'd,
 * NUL-terminated, Date lines removed). */
static char *drive(node_http_t *s, const char *req, int *closed)
{
    char *outs[2];
    int c[2];
    for (int k = 0; k < 2; k++) {
        ledger_buf_t out = LEDGER_BUF_INIT;
        char *p, *d;
        c[k] = node_http_drive(s, (const uint8_t *)req, strlen(req), k ? 1 : 0, &out);
        assert_true(c[k] >= 0);
        ledger_buf_append(&out, "", 1);
        p = (char *)out.data;
        while ((d = strstr(p, "Date: "))) { /* the clock is not ours to compare */
            char *eol = strstr(d, "\r\n");
            memmove(d, eol + 2, strlen(eol + 2) + 1);
        }
        outs[k] = p;
    }
    assert_string_equal(outs[0], outs[1]);
    assert_int_equal(c[0], c[1]);
    free(outs[1]);
    *closed = c[0];
    return outs[0];
}

static void test_pipelined_keepalive(void **state)
{
    node_http_t *s = server(0, 0);
    int closed;
    char *o = drive(s,
                    "GET /q?q=1 HTTP/1.1\r\nHost: x\r\nX-A: yes\r\n\r\n"
                    "HEAD /q?q=2 HTTP/1.1\r\nHost: x\r\n\r\n"
                    "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n",
                    &closed);
    (void)state;
    assert_int_equal(closed, 0); /* kept alive */
    assert_string_equal(o,
                        "HTTP/1.1 200 OK\r\nContent-Length: 24\r\nConnection: keep-alive\r\n"
                        "Content-Type: text/plain\r\n\r\nGET 1|-|-|absent|yes|-|0"
                        "HTTP/1.1 200 OK\r\nContent-Length: 23\r\nConnection: keep-alive\r\n"
                        "Content-Type: text/plain\r\n\r\n" /* HEAD: no body */
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 91\r\nConnection: keep-alive\r\n"
                        "Content-Type: application/problem+json\r\n\r\n"
                        "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,"
                        "\"detail\":\"no resource at /nothing\"}\n");
    free(o);
    o = drive(s, "GET /q HTTP/1.0\r\n\r\nGET /q HTTP/1.1\r\n\r\n", &closed);
    assert_int_equal(closed, 1); /* HTTP/1.0 without keep-alive: one answer, closed */
    assert_non_null(strstr(o, "Connection: close"));
    assert_null(strstr(o + 10, "HTTP/1.1 200"));
    free(o);
    o = drive(s, "GET /q HTTP/1.1\r\nConnection: close\r\n\r\nGET /q HTTP/1.1\r\n\r\n", &closed);
    assert_int_equal(closed, 1);
    assert_null(strstr(o + 10, "HTTP/1.1 200"));
    free(o);
    node_http_close(s);
}

static void test_limits(void **state)
{
    node_http_t *s = server(200, 10);
    int closed;
    char big[600], *o;
    (void)state;
    /* headers over 200 bytes */
    snprintf(big, sizeof big, "GET /q HTTP/1.1\r\nX-Big: %0300d\r\n\r\n", 0);
    o = drive(s, big, &closed);
    assert_int_equal(closed, 1);
    assert_non_null(strstr(o, "HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    assert_non_null(strstr(o, "Connection: close"));
    free(o);
    /* more than NODE_HTTP_HEADERS_MAX fields (each small) */
    {
        node_http_t *s2 = server(100000, 0);
        char *many = malloc(20000), *p = many;
        p += sprintf(p, "GET /q HTTP/1.1\r\n");
        for (int i = 0; i <= NODE_HTTP_HEADERS_MAX; i++)
            p += sprintf(p, "X%d: v\r\n", i);
        sprintf(p, "\r\n");
        o = drive(s2, many, &closed);
        assert_int_equal(closed, 1);
        assert_non_null(strstr(o, "431"));
        assert_non_null(strstr(o, "header fields"));
        free(o);
        free(many);
        node_http_close(s2);
    }
    /* a target over NODE_HTTP_TARGET_MAX */
    {
        node_http_t *s2 = server(100000, 0);
        char *t = malloc(NODE_HTTP_TARGET_MAX + 100);
        memcpy(t, "GET /", 5);
        memset(t + 5, 'a', NODE_HTTP_TARGET_MAX);
        strcpy(t + 5 + NODE_HTTP_TARGET_MAX, " HTTP/1.1\r\n\r\n");
        o = drive(s2, t, &closed);
        assert_int_equal(closed, 1);
        assert_non_null(strstr(o, "HTTP/1.1 414 URI Too Long\r\n"));
        free(o);
        free(t);
        node_http_close(s2);
    }
    /* body over 10 bytes: by Content-Length, at once (no body read) */
    o = drive(s, "POST /q HTTP/1.1\r\nContent-Length: 11\r\n\r\n01234567890", &closed);
    assert_int_equal(closed, 1);
    assert_non_null(strstr(o, "HTTP/1.1 413 Content Too Large\r\n"));
    free(o);
    /* and by chunks, as they come */
    o = drive(s,
              "POST /q HTTP/1.1\r\nTransfer-Encoding: "
              "chunked\r\n\r\n6\r\n012345\r\n6\r\n012345\r\n0\r\n\r\n",
              &closed);
    assert_int_equal(closed, 1);
    assert_non_null(strstr(o, "413"));
    free(o);
    /* 10 bytes are fine */
    o = drive(s, "POST /q HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", &closed);
    assert_int_equal(closed, 0);
    assert_non_null(strstr(o, "POST -|-|-|absent|-|-|10"));
    free(o);
    node_http_close(s);
}

static void test_bad_bytes(void **state)
{
    node_http_t *s = server(0, 0);
    int closed;
    char *o;
    (void)state;
    o = drive(s, "\x16\x03\x01\x02\x00garbage\r\n\r\n", &closed);
    assert_int_equal(closed, 1);
    assert_non_null(strstr(o, "HTTP/1.1 400 Bad Request\r\n"));
    assert_non_null(strstr(o, "not an HTTP/1.1 request"));
    free(o);
    /* a good request, then garbage: the first is answered, then 400 */
    o = drive(s, "GET /q HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nBad Header\r\n\r\n", &closed);
    assert_int_equal(closed, 1);
    assert_non_null(strstr(o, "HTTP/1.1 200 OK"));
    assert_non_null(strstr(o, "HTTP/1.1 400 Bad Request"));
    free(o);
    /* an upgrade: answered, then closed (no other protocol here) */
    o = drive(s, "GET /q HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nxx", &closed);
    assert_int_equal(closed, 1);
    assert_non_null(strstr(o, "HTTP/1.1 200 OK"));
    assert_non_null(strstr(o, "Connection: close"));
    free(o);
    node_http_close(s);
}

static void test_query_headers(void **state)
{
    node_http_t *s = server(0, 0);
    int closed;
    char *o;
    (void)state;
    o = drive(s, "GET /q?a=1&q=x%20y+z&e=%zz%4&n=a%00b HTTP/1.1\r\nx-a: Mixed\r\n\r\n", &closed);
    /* %20 and + are spaces, a bad %-escape stays as written, %00 is refused */
    assert_non_null(strstr(o, "GET x y z|1|%zz%4|absent|Mixed|-|0"));
    free(o);
    o = drive(s,
              "POST /q HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: "
              "late\r\n\r\n",
              &closed);
    assert_non_null(strstr(o, "POST -|-|-|absent|-|late|3"));
    free(o);
    o = drive(s, "POST /q HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab",
              &closed);
    assert_true(strncmp(o, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", 42) == 0);
    free(o);
    o = drive(s, "GET /inject HTTP/1.1\r\n\r\n", &closed);
    assert_non_null(strstr(o, "X-Evil: aSet-Cookie: b\r\n"));
    free(o);
    node_http_close(s);
}

static void test_conf(void **state)
{
    char dir[] = "/tmp/test_node_http.XXXXXX", path[200];
    node_http_conf_t c;
    ledger_err_t err;
    FILE *f;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/keten.json", dir);
    f = fopen(path, "w");
    fputs("{\"keten\":1,\"name\":\"x\",\"id\":\"00\"}", f);
    fclose(f);
    assert_int_equal(node_http_conf_load(dir, &c, &err), 0);
    assert_string_equal(c.listen, ""); /* default: no HTTP */
    f = fopen(path, "w");
    fputs("{\"keten\":1,\"http\":\"127.0.0.1:8080\"}", f);
    fclose(f);
    assert_int_equal(node_http_conf_load(dir, &c, &err), 0);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    f = fopen(path, "w");
    fputs("{\"http\":{\"listen\":\"[::1]:80\",\"expose\":true,\"prefix\":\"/dl\","
          "\"maxHeaderBytes\":100,\"requestTimeoutMs\":5,\"maxConnections\":3}}",
          f);
    fclose(f);
    assert_int_equal(node_http_conf_load(dir, &c, &err), 0);
    assert_string_equal(c.listen, "[::1]:80");
    assert_int_equal(c.expose, 1);
    assert_string_equal(c.prefix, "/dl");
    assert_int_equal(c.limits.header_max, 100);
    assert_int_equal(c.limits.request_ms, 5);
    assert_int_equal(c.limits.conn_max, 3);
    f = fopen(path, "w");
    fputs("{\"http\":{\"maxBodyBytes\":-1}}", f);
    fclose(f);
    assert_int_equal(node_http_conf_load(dir, &c, &err), LEDGER_EINPUT);
    assert_non_null(strstr(err.msg, "http.maxBodyBytes"));
    f = fopen(path, "w");
    fputs("{\"http\":{\"expose\":\"yes\"}}", f);
    fclose(f);
    assert_int_equal(node_http_conf_load(dir, &c, &err), LEDGER_EINPUT);
    unlink(path);
    rmdir(dir);
    assert_true(node_addr_is_loopback("127.0.0.1:8080"));
    assert_true(node_addr_is_loopback("127.9.9.9:1"));
    assert_true(node_addr_is_loopback("[::1]:8080"));
    assert_false(node_addr_is_loopback("0.0.0.0:8080"));
    assert_false(node_addr_is_loopback("10.0.0.1:8080"));
    assert_false(node_addr_is_loopback("[::]:8080"));
    assert_false(node_addr_is_loopback("localhost:8080"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipelined_keepalive),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_query_headers),
        cmocka_unit_test(test_conf),
    };
    int rc;
    uv_loop_init(&loop);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_loop_close(&loop);
    return rc;
}
