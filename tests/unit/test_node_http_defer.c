/* test_node_http_defer.c -- answers given later (node_http_defer,
 * node_http_finish) through a real socket on 127.0.0.1: a client thread
 * with blocking sockets talks to the server on the test's loop.  The
 * route /slow?ms=N defers and answers N ms later from a timer; /fast
 * answers at once; /drop takes a handle and answers at once anyway (the
 * handle is dropped by the server).  The request timeout is 100 ms.
 *
 * Cases: pipelined requests behind a deferred one answered in order and
 * the deferred one not timed out (300 ms > 100 ms); HEAD deferred (no
 * body, the next request framed right); a client that half-closes still
 * gets its answer; a client that resets: the connection freed at once,
 * the later finish on the detached handle harmless; the request timeout
 * runs again after a deferred answer; node_http_close while an answer is
 * owed.  Run under ASan for the ownership rules (no leak, no use after
 * free). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cmocka.h>

#include "node_http.h"

typedef struct later_timer {
    uv_timer_t t;
    node_http_later_t *h;
    int ms;
} later_timer_t;

static uv_loop_t loop;
static node_http_t *srv;
static int port;
static uv_async_t done_async;
static int finished_open, finished_detached; /* finishes on a waiting / gone connection */
static size_t conns_at_detached;             /* connections open at a detached finish */
static int client_failed;
static char client_msg[1024];

static void on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_later(uv_timer_t *t)
{
    later_timer_t *lt = t->data;
    node_http_resp_t r = {0};
    char body[64];
    snprintf(body, sizeof body, "slow %d", lt->ms);
    if (node_http_later_open(lt->h))
        finished_open++;
    else {
        finished_detached++;
        conns_at_detached = srv ? node_http_connections(srv) : 0;
    }
    node_http_resp_set(&r, 200, "text/plain", body, strlen(body));
    node_http_finish(lt->h, &r);
    uv_close((uv_handle_t *)&lt->t, on_timer_closed);
}

static int route(void *ctx, const node_http_req_t *req, node_http_resp_t *resp)
{
    char ms[16];
    later_timer_t *lt;
    node_http_later_t *h;
    (void)ctx;
    if (!strcmp(req->path, "/fast"))
        return node_http_resp_set(resp, 200, "text/plain", "fast", 4) ? -1 : 1;
    if (!strcmp(req->path, "/drop")) {
        if (node_http_defer(req, &h))
            return -1;
        return node_http_resp_set(resp, 200, "text/plain", "dropped", 7) ? -1 : 1;
    }
    if (strcmp(req->path, "/slow") || !node_http_query(req, "ms", ms, sizeof ms))
        return 0;
    if (!(lt = calloc(1, sizeof *lt)))
        return -1;
    if (node_http_defer(req, &lt->h)) {
        free(lt);
        return -1;
    }
    assert_int_equal(node_http_defer(req, &h), LEDGER_EINVAL); /* one per request */
    lt->ms = atoi(ms);
    uv_timer_init(&loop, &lt->t);
    lt->t.data = lt;
    uv_timer_start(&lt->t, on_later, (uint64_t)lt->ms, 0);
    return NODE_HTTP_DEFERRED;
}

/* ---- the client thread ----------------------------------------------------------- */

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            snprintf(client_msg, sizeof client_msg, __VA_ARGS__);                                  \
            client_failed = 1;                                                                     \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

static int dial(void)
{
    struct sockaddr_in sa = {0};
    struct timeval tv = {5, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static int send_all(int fd, const char *s)
{
    size_t n = strlen(s), off = 0;
    while (off < n) {
        ssize_t k = write(fd, s + off, n - off);
        if (k <= 0)
            return -1;
        off += (size_t)k;
    }
    return 0;
}

/* Reads until want occurs want_n times in what was read, or EOF (eof 1)
 * or the timeout.  Returns the bytes read (NUL-terminated, static). */
static const char *read_until(int fd, const char *want, int want_n, int *eof)
{
    static char buf[8192];
    size_t len = 0;
    *eof = 0;
    buf[0] = '\0';
    for (;;) {
        int n = 0;
        for (const char *p = buf; want && (p = strstr(p, want)); p++)
            n++;
        if (want && n >= want_n)
            break;
        ssize_t k = read(fd, buf + len, sizeof buf - 1 - len);
        if (k <= 0) {
            *eof = k == 0;
            break;
        }
        len += (size_t)k;
        buf[len] = '\0';
    }
    return buf;
}

static void client(void *arg)
{
    const char *o, *a, *b;
    int fd = -1, eof;
    struct linger lg = {1, 0};
    (void)arg;

    /* pipelined behind a deferred answer: in order, and no 408 */
    CHECK((fd = dial()) >= 0, "cannot connect");
    CHECK(!send_all(fd, "GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /drop HTTP/1.1\r\nHost: x\r\n\r\n"),
          "send");
    o = read_until(fd, "HTTP/1.1 ", 3, &eof);
    a = strstr(o, "slow 300");
    b = strstr(o, "fast");
    CHECK(a && b && a < b && strstr(b, "dropped"), "pipelined answers out of order: %.200s", o);
    CHECK(!strstr(o, " 408 "), "a deferred request timed out: %.200s", o);

    /* HEAD deferred: no body, the next answer framed right */
    CHECK(!send_all(fd, "HEAD /slow?ms=50 HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"),
          "send");
    o = read_until(fd, "HTTP/1.1 200", 2, &eof);
    CHECK(!strstr(o, "slow 50") && strstr(o, "Content-Length: 7\r\n") &&
              strstr(o, "\r\n\r\nHTTP/1.1 200 OK") && strstr(o, "\r\n\r\nfast"),
          "HEAD deferred: %.300s", o);

    /* after a deferred answer the request timeout runs again */
    CHECK(!send_all(fd, "GET /slow?ms=20 HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\n"),
          "send");
    o = read_until(fd, NULL, 0, &eof);
    CHECK(strstr(o, "slow 20") && strstr(o, " 408 ") && eof, "no 408 after a deferred answer: %.300s",
          o);
    close(fd);

    /* half-closed: the answer still comes, then the connection closes */
    CHECK((fd = dial()) >= 0, "cannot connect");
    CHECK(!send_all(fd, "GET /slow?ms=100 HTTP/1.1\r\nHost: x\r\n\r\n"), "send");
    shutdown(fd, SHUT_WR);
    o = read_until(fd, NULL, 0, &eof);
    CHECK(strstr(o, "slow 100") && eof, "half-closed client got no answer: %.300s", o);
    close(fd);

    /* reset while waiting: the connection is freed, finish later harmless */
    CHECK((fd = dial()) >= 0, "cannot connect");
    CHECK(!send_all(fd, "GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n"), "send");
    usleep(50000);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    fd = -1;
    usleep(400000);
out:
    if (fd >= 0)
        close(fd);
    uv_async_send(&done_async);
}

static void on_done(uv_async_t *a)
{
    (void)a;
    uv_stop(&loop);
}

static int free_port(void)
{
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0), p;
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    p = ntohs(sa.sin_port);
    close(fd);
    return p;
}

static void start(void)
{
    node_http_limits_t lim = {0, 0, 100, 2000, 0};
    char addr[64];
    port = free_port();
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    assert_int_equal(node_http_new(&loop, &lim, NULL, NULL, &srv, NULL), 0);
    assert_int_equal(node_http_route(srv, route, NULL, NULL), 0);
    assert_int_equal(node_http_listen(srv, addr, NULL), 0);
}

static void test_deferred(void **state)
{
    uv_thread_t th;
    (void)state;
    start();
    uv_async_init(&loop, &done_async, on_done);
    finished_open = finished_detached = 0;
    assert_int_equal(uv_thread_create(&th, client, NULL), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_thread_join(&th);
    if (client_failed)
        fail_msg("%s", client_msg);
    /* slow 300, slow 50, slow 20, slow 100 answered; the reset one detached */
    assert_int_equal(finished_open, 4);
    assert_int_equal(finished_detached, 1);
    assert_int_equal(conns_at_detached, 0);
    assert_int_equal(node_http_connections(srv), 0);
    node_http_close(srv);
    srv = NULL;
    uv_close((uv_handle_t *)&done_async, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
}

/* node_http_close while an answer is owed: the connection goes, the
 * handle stays the handler's, its finish only frees. */
static void on_close_srv(uv_timer_t *t)
{
    node_http_close(srv);
    srv = NULL;
    uv_close((uv_handle_t *)t, NULL);
}

static void close_client(void *arg)
{
    int fd, eof;
    const char *o;
    (void)arg;
    CHECK((fd = dial()) >= 0, "cannot connect");
    CHECK(!send_all(fd, "GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n"), "send");
    o = read_until(fd, NULL, 0, &eof);
    CHECK(eof && !strstr(o, "slow"), "closed server answered: %.200s", o);
    close(fd);
out:;
}

static void test_close_while_owed(void **state)
{
    uv_thread_t th;
    uv_timer_t t;
    (void)state;
    start();
    finished_open = finished_detached = 0;
    uv_timer_init(&loop, &t);
    uv_timer_start(&t, on_close_srv, 100, 0);
    assert_int_equal(uv_thread_create(&th, close_client, NULL), 0);
    uv_run(&loop, UV_RUN_DEFAULT); /* ends once the timer of /slow fired */
    uv_thread_join(&th);
    if (client_failed)
        fail_msg("%s", client_msg);
    assert_int_equal(finished_open, 0);
    assert_int_equal(finished_detached, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deferred),
        cmocka_unit_test(test_close_while_owed),
    };
    int rc;
    uv_loop_init(&loop);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_loop_close(&loop);
    return rc;
}
