/* fuzz_ws.c -- libFuzzer target for the WebSocket frame parser (node_ws.h)
 * and the handshake's key check: every byte a subscriber can send after
 * its opening.
 *
 * data[0] picks how the rest is cut into reads (0: one read, else 1..255
 * bytes each); the rest is the client's byte stream.  Properties: a
 * message handed over has a known opcode, a control frame at most 125
 * bytes and a data message at most NODE_WS_MESSAGE_MAX; a failure is 1002
 * or 1009 and sticks; every message survives a round trip (the server's
 * frame of it, masked as a client would, parses back to the same message).
 * The stream's first 24 bytes are also tried as a Sec-WebSocket-Key.  Any
 * crash, leak or abort is a finding. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_ws.h"

typedef struct seen {
    int op;
    ledger_buf_t payload;
    int count;
} seen_t;

static int again(void *ctx, int op, const uint8_t *d, size_t n)
{
    seen_t *s = ctx;
    if (op != s->op || n != s->payload.len || (n && memcmp(d, s->payload.data, n)))
        abort(); /* the round trip changed the message */
    s->count++;
    return 0;
}

/* The server's frame of the message, masked as a client's, parsed again. */
static void round_trip(int op, const uint8_t *d, size_t n)
{
    ledger_buf_t f = LEDGER_BUF_INIT;
    node_ws_rx_t rx = {0};
    seen_t s = {op, LEDGER_BUF_INIT, 0};
    const char *why;
    size_t hl;
    if (node_ws_frame(&f, op, d, n) || (n && ledger_buf_append(&s.payload, d, n)))
        abort();
    /* insert a zero mask after the length: set the mask bit, XOR with 0 */
    hl = f.len - n;
    {
        ledger_buf_t m = LEDGER_BUF_INIT;
        static const uint8_t zero[4] = {0, 0, 0, 0};
        if (ledger_buf_append(&m, f.data, hl) || ledger_buf_append(&m, zero, 4) ||
            (n && ledger_buf_append(&m, f.data + hl, n)))
            abort();
        m.data[1] |= 0x80;
        if (node_ws_rx_feed(&rx, m.data, m.len, again, &s, &why) != 0 || s.count != 1)
            abort();
        ledger_buf_free(&m);
    }
    node_ws_rx_free(&rx);
    ledger_buf_free(&f);
    ledger_buf_free(&s.payload);
}

static int on_msg(void *ctx, int op, const uint8_t *d, size_t n)
{
    (void)ctx;
    if (op != NODE_WS_TEXT && op != NODE_WS_BINARY && op != NODE_WS_CLOSE && op != NODE_WS_PING &&
        op != NODE_WS_PONG)
        abort();
    if (op >= 8 ? n > 125 : n > NODE_WS_MESSAGE_MAX)
        abort();
    round_trip(op, d, n);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    node_ws_rx_t rx = {0};
    const char *why;
    size_t chunk;
    int rc = 0;
    if (size < 1)
        return 0;
    chunk = data[0] ? data[0] : size;
    data++;
    size--;
    if (size >= 24) {
        char key[25], acc[NODE_WS_ACCEPT_LEN + 1];
        memcpy(key, data, 24);
        key[24] = '\0';
        if (!memchr(key, 0, 24) && node_ws_accept(key, acc) == 0 && strlen(acc) != 28)
            abort();
    }
    for (size_t off = 0; off < size && rc == 0; off += chunk)
        rc = node_ws_rx_feed(&rx, data + off, size - off < chunk ? size - off : chunk, on_msg, NULL,
                             &why);
    if (rc != 0 && rc != 1002 && rc != 1009 && rc != LEDGER_ENOMEM)
        abort();
    if (rc > 0 && node_ws_rx_feed(&rx, (const uint8_t *)"x", 1, on_msg, NULL, &why) != rc)
        abort();
    node_ws_rx_free(&rx);
    return 0;
}
