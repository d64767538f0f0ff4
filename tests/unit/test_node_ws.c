/* test_node_ws.c -- the WebSocket protocol (node_ws.h) and node_http's
 * upgrade hook (node_http_resp_upgrade):
 *   - Sec-WebSocket-Accept for RFC 6455's example key, and bad keys;
 *   - the opening's checks (Upgrade, Connection token lists, version, method);
 *   - client frames: RFC 6455 §5.7's masked "Hello", fragments joined, a
 *     ping between fragments, every cut of the bytes into reads giving the
 *     same messages; each violation closing with its code (1002, 1009) and
 *     staying failed;
 *   - server frames: the three length forms, close frames, a control frame
 *     over 125 bytes refused;
 *   - the upgrade through node_http_drive: the 101 with Connection: Upgrade,
 *     the bytes after the request handed to the new protocol, closed called
 *     exactly once; an upgrade asked for a request that did not ask for one
 *     answered 400, closed called once too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node_http.h"
#include "node_ws.h"

static uv_loop_t loop;

static void test_accept(void **state)
{
    char out[NODE_WS_ACCEPT_LEN + 1];
    (void)state;
    assert_int_equal(node_ws_accept("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_int_equal(node_ws_accept("dGhlIHNhbXBsZSBub25jZQ=", out), LEDGER_EINPUT);
    assert_int_equal(node_ws_accept("c2hvcnQ=", out), LEDGER_EINPUT); /* 5 bytes */
    assert_int_equal(node_ws_accept("dGhlIHNhbXBsZSBub25j!Q==", out), LEDGER_EINPUT);
    assert_int_equal(node_ws_accept("", out), LEDGER_EINPUT);
    assert_int_equal(node_ws_accept(NULL, out), LEDGER_EINPUT);
}

static int hs(const char *method, const char *const *h, size_t n, const char **why)
{
    const char *names[8], *values[8];
    node_http_req_t req;
    char out[NODE_WS_ACCEPT_LEN + 1];
    memset(&req, 0, sizeof req);
    for (size_t i = 0; i < n; i++) {
        names[i] = h[2 * i];
        values[i] = h[2 * i + 1];
    }
    req.method = method;
    req.path = "/x";
    req.query = "";
    req.hname_ = names;
    req.hvalue_ = values;
    req.nheaders_ = n;
    return node_ws_handshake(&req, out, why);
}

static void test_handshake(void **state)
{
    const char *why = NULL;
    const char *good[] = {"Upgrade",
                          "WebSocket",
                          "Connection",
                          "keep-alive, Upgrade",
                          "Sec-WebSocket-Version",
                          "13",
                          "Sec-WebSocket-Key",
                          "dGhlIHNhbXBsZSBub25jZQ=="};
    const char *v8[] = {"upgrade",
                        "websocket",
                        "connection",
                        "upgrade",
                        "sec-websocket-version",
                        "8",
                        "sec-websocket-key",
                        "dGhlIHNhbXBsZSBub25jZQ=="};
    const char *noconn[] = {"Upgrade",
                            "websocket",
                            "Connection",
                            "keep-alive",
                            "Sec-WebSocket-Version",
                            "13",
                            "Sec-WebSocket-Key",
                            "dGhlIHNhbXBsZSBub25jZQ=="};
    const char *h2c[] = {"Upgrade", "h2c", "Connection", "Upgrade"};
    const char *nokey[] = {"Upgrade", "websocket", "Connection", "Upgrade", "Sec-WebSocket-Version",
                           "13"};
    const char *plain[] = {"Accept", "*/*"};
    (void)state;
    assert_int_equal(hs("GET", good, 4, &why), 0);
    assert_int_equal(hs("GET", plain, 1, &why), 1);
    assert_int_equal(hs("POST", good, 4, &why), LEDGER_EINPUT);
    assert_non_null(strstr(why, "GET"));
    assert_int_equal(hs("GET", v8, 4, &why), LEDGER_EINPUT);
    assert_int_equal(strncmp(why, "version", 7), 0);
    assert_int_equal(hs("GET", noconn, 4, &why), LEDGER_EINPUT);
    assert_non_null(strstr(why, "Connection"));
    assert_int_equal(hs("GET", h2c, 2, &why), LEDGER_EINPUT);
    assert_int_equal(hs("GET", nokey, 3, &why), LEDGER_EINPUT);
    assert_non_null(strstr(why, "Key"));
}

/* ---- client frames ---------------------------------------------------------- */

typedef struct got {
    char log[4096]; /* "op:payload|" per message */
    size_t n;
} got_t;

static int on_msg(void *ctx, int op, const uint8_t *d, size_t len)
{
    got_t *g = ctx;
    size_t l = strlen(g->log);
    snprintf(g->log + l, sizeof g->log - l, "%d:%.*s|", op, (int)(len < 200 ? len : 200),
             (const char *)d);
    g->n++;
    return 0;
}

/* A masked client frame (fin, rsv bits, opcode) of p[0..n) appended to b. */
static void cframe(ledger_buf_t *b, int fin, int rsv, int op, const void *p, size_t n)
{
    static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    uint8_t h[14];
    size_t hl = 2;
    h[0] = (uint8_t)((fin ? 0x80 : 0) | rsv | op);
    if (n < 126)
        h[1] = (uint8_t)(0x80 | n);
    else if (n < 65536) {
        h[1] = 0x80 | 126;
        h[2] = (uint8_t)(n >> 8);
        h[3] = (uint8_t)n;
        hl = 4;
    } else {
        h[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
        hl = 10;
    }
    memcpy(h + hl, key, 4);
    assert_int_equal(ledger_buf_append(b, h, hl + 4), 0);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)(((const uint8_t *)p)[i] ^ key[i & 3]);
        assert_int_equal(ledger_buf_append(b, &c, 1), 0);
    }
}

static int feed(const ledger_buf_t *b, size_t chunk, got_t *g, const char **why)
{
    node_ws_rx_t rx = {0};
    int rc = 0;
    memset(g, 0, sizeof *g);
    for (size_t off = 0; off < b->len && rc == 0; off += chunk)
        rc = node_ws_rx_feed(&rx, b->data + off, b->len - off < chunk ? b->len - off : chunk,
                             on_msg, g, why);
    if (rc) { /* stays failed */
        const char *why2;
        int again = node_ws_rx_feed(&rx, (const uint8_t *)"x", 1, on_msg, g, &why2);
        assert_int_equal(again, rc);
    }
    node_ws_rx_free(&rx);
    return rc;
}

static void test_frames(void **state)
{
    /* RFC 6455 §5.7: a single-frame masked text message "Hello" */
    static const uint8_t hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                    0x7f, 0x9f, 0x4d, 0x51, 0x58};
    ledger_buf_t b = LEDGER_BUF_INIT;
    const char *why;
    got_t g, first;
    char big[300];
    (void)state;
    assert_int_equal(ledger_buf_append(&b, hello, sizeof hello), 0);
    assert_int_equal(feed(&b, 1000, &g, &why), 0);
    assert_string_equal(g.log, "1:Hello|");
    /* fragments with a ping between them, a binary message, a 300-byte one, close */
    memset(big, 'b', sizeof big);
    cframe(&b, 0, 0, NODE_WS_TEXT, "Hel", 3);
    cframe(&b, 1, 0, NODE_WS_PING, "p", 1);
    cframe(&b, 0, 0, NODE_WS_CONT, "l", 1);
    cframe(&b, 1, 0, NODE_WS_CONT, "o!", 2);
    cframe(&b, 1, 0, NODE_WS_BINARY, "", 0);
    cframe(&b, 1, 0, NODE_WS_TEXT, big, sizeof big);
    cframe(&b, 1, 0, NODE_WS_CLOSE, "\x03\xe8", 2);
    assert_int_equal(feed(&b, b.len, &first, &why), 0);
    assert_int_equal(first.n, 6);
    assert_int_equal(strncmp(first.log, "1:Hello|9:p|1:Hello!|2:|1:bbbb", 30), 0);
    for (size_t chunk = 1; chunk < 40; chunk++) { /* every cut gives the same */
        assert_int_equal(feed(&b, chunk, &g, &why), 0);
        assert_string_equal(g.log, first.log);
    }
    ledger_buf_free(&b);
}

static void test_violations(void **state)
{
    static const uint8_t unmasked[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};
    static const uint8_t top_bit[] = {0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t huge16[] = {0x82, 0xfe, 0xff, 0xff}; /* 65535: fits */
    ledger_buf_t b = LEDGER_BUF_INIT;
    const char *why;
    got_t g;
    char p[200];
    uint8_t *big = calloc(1, NODE_WS_FRAME_MAX + 1);
    (void)state;
    assert_non_null(big);
    memset(p, 'x', sizeof p);
    assert_int_equal(ledger_buf_append(&b, unmasked, sizeof unmasked), 0);
    assert_int_equal(feed(&b, 3, &g, &why), 1002);
    assert_non_null(strstr(why, "masked"));
    assert_int_equal(g.n, 0);
#define CASE(code, word, ...)                                                                      \
    do {                                                                                           \
        ledger_buf_reset(&b);                                                                      \
        __VA_ARGS__;                                                                               \
        assert_int_equal(feed(&b, b.len, &g, &why), code);                                         \
        assert_non_null(strstr(why, word));                                                        \
    } while (0)
    CASE(1002, "reserved", cframe(&b, 1, 0x40, NODE_WS_TEXT, "x", 1));
    CASE(1002, "reserved", cframe(&b, 1, 0x10, NODE_WS_TEXT, "x", 1));
    CASE(1002, "opcode", cframe(&b, 1, 0, 3, "x", 1));
    CASE(1002, "opcode", cframe(&b, 1, 0, 11, "", 0));
    CASE(1002, "control", cframe(&b, 1, 0, NODE_WS_PING, p, 126));
    CASE(1002, "control", cframe(&b, 0, 0, NODE_WS_PING, "p", 1));
    CASE(1002, "continuation", cframe(&b, 1, 0, NODE_WS_CONT, "x", 1));
    CASE(1002, "inside", cframe(&b, 0, 0, NODE_WS_TEXT, "a", 1);
         cframe(&b, 1, 0, NODE_WS_TEXT, "b", 1));
    CASE(1002, "top bit", ledger_buf_append(&b, top_bit, sizeof top_bit));
    CASE(1009, "frame too big", cframe(&b, 1, 0, NODE_WS_BINARY, big, NODE_WS_FRAME_MAX + 1));
    /* a message over the limit in two frames, each within it */
    CASE(1009, "message too big", cframe(&b, 0, 0, NODE_WS_BINARY, big, NODE_WS_FRAME_MAX);
         cframe(&b, 1, 0, NODE_WS_CONT, big, 1));
#undef CASE
    /* a frame announcing its size fails before its bytes come */
    ledger_buf_reset(&b);
    {
        static const uint8_t h[] = {0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0};
        assert_int_equal(ledger_buf_append(&b, h, sizeof h), 0);
    }
    assert_int_equal(feed(&b, b.len, &g, &why), 1009);
    /* an incomplete frame is no error */
    ledger_buf_reset(&b);
    assert_int_equal(ledger_buf_append(&b, huge16, sizeof huge16), 0);
    assert_int_equal(feed(&b, b.len, &g, &why), 0);
    free(big);
    ledger_buf_free(&b);
}

static void test_server_frames(void **state)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    uint8_t *p = calloc(1, 70000);
    (void)state;
    assert_non_null(p);
    assert_int_equal(node_ws_frame(&b, NODE_WS_TEXT, "Hello", 5), 0);
    assert_int_equal(b.len, 7);
    assert_memory_equal(b.data, "\x81\x05Hello", 7);
    ledger_buf_reset(&b);
    assert_int_equal(node_ws_frame(&b, NODE_WS_TEXT, p, 126), 0);
    assert_int_equal(b.len, 4 + 126);
    assert_memory_equal(b.data, "\x81\x7e\x00\x7e", 4);
    ledger_buf_reset(&b);
    assert_int_equal(node_ws_frame(&b, NODE_WS_BINARY, p, 65536), 0);
    assert_int_equal(b.len, 10 + 65536);
    assert_memory_equal(b.data, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
    ledger_buf_reset(&b);
    assert_int_equal(node_ws_frame(&b, NODE_WS_PING, p, 126), LEDGER_EINVAL);
    ledger_buf_reset(&b);
    assert_int_equal(node_ws_close_frame(&b, 1009, "frame too big"), 0);
    assert_int_equal(b.len, 2 + 2 + 13);
    assert_memory_equal(b.data,
                        "\x88\x0f\x03\xf1"
                        "frame too big",
                        17);
    ledger_buf_reset(&b);
    memset(p, 'r', 300);
    ((char *)p)[300] = '\0';
    assert_int_equal(node_ws_close_frame(&b, 1000, (const char *)p), 0);
    assert_int_equal(b.len, 2 + 125); /* the reason cut to fit */
    free(p);
    ledger_buf_free(&b);
}

/* ---- the upgrade through node_http ------------------------------------------ */

typedef struct up {
    int opened, closed;
    ledger_buf_t data;
} up_t;

static void up_opened(void *ctx, node_http_stream_t *s)
{
    up_t *u = ctx;
    u->opened++;
    assert_int_equal(node_http_stream_send(s, "hi", 2), 0);
}
static void up_data(void *ctx, const uint8_t *p, size_t n)
{
    up_t *u = ctx;
    assert_int_equal(ledger_buf_append(&u->data, p, n), 0);
}
static void up_closed(void *ctx)
{
    up_t *u = ctx;
    u->closed++;
}
static const node_http_upgrade_ops_t ops = {up_opened, up_data, up_closed, NULL};

static int upgrader(void *ctx, const node_http_req_t *req, node_http_resp_t *resp)
{
    if (strcmp(req->path, "/ws"))
        return 0;
    assert_int_equal(node_http_resp_header(resp, "Upgrade", "websocket"), 0);
    node_http_resp_upgrade(resp, &ops, ctx);
    return 1;
}

static void test_upgrade(void **state)
{
    node_http_t *srv;
    up_t u;
    ledger_buf_t out = LEDGER_BUF_INIT;
    const char *ok = "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                     "\r\nAFTER",
               *no = "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n";
    (void)state;
    memset(&u, 0, sizeof u);
    assert_int_equal(node_http_new(&loop, NULL, NULL, NULL, &srv, NULL), 0);
    assert_int_equal(node_http_route(srv, upgrader, &u, NULL), 0);
    for (size_t chunk = 0; chunk < 8; chunk += 7) { /* one read; reads of 7 bytes */
        memset(&u, 0, sizeof u);
        ledger_buf_reset(&out);
        assert_int_equal(node_http_drive(srv, (const uint8_t *)ok, strlen(ok), chunk, &out), 0);
        assert_int_equal(ledger_buf_append(&out, "", 1), 0);
        assert_int_equal(strncmp((char *)out.data, "HTTP/1.1 101 Switching Protocols\r\n", 34), 0);
        assert_non_null(strstr((char *)out.data, "\r\nConnection: Upgrade\r\n"));
        assert_non_null(strstr((char *)out.data, "\r\nUpgrade: websocket\r\n\r\nhi"));
        assert_int_equal(u.opened, 1);
        assert_int_equal(u.closed, 1); /* the driven connection ends after the bytes */
        assert_int_equal(u.data.len, 5);
        assert_memory_equal(u.data.data, "AFTER", 5);
        ledger_buf_free(&u.data);
    }
    memset(&u, 0, sizeof u);
    ledger_buf_reset(&out);
    assert_int_equal(node_http_drive(srv, (const uint8_t *)no, strlen(no), 0, &out), 1);
    assert_int_equal(strncmp((char *)out.data, "HTTP/1.1 400 ", 13), 0);
    assert_int_equal(u.opened, 0);
    assert_int_equal(u.closed, 1);
    ledger_buf_free(&out);
    node_http_close(srv);
    uv_run(&loop, UV_RUN_DEFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept),        cmocka_unit_test(test_handshake),
        cmocka_unit_test(test_frames),        cmocka_unit_test(test_violations),
        cmocka_unit_test(test_server_frames), cmocka_unit_test(test_upgrade),
    };
    uv_loop_init(&loop);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
