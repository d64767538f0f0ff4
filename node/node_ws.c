/* node_ws.c -- the WebSocket protocol of node_ws.h (RFC 6455).
 *
 * The handshake: SHA-1 through libcrypto's one-shot EVP_Digest (a
 * subscription is opened rarely; no kept context), base64 by libsodium.
 *
 * The frame parser keeps the bytes of an incomplete frame (at most the
 * 14-byte header and NODE_WS_FRAME_MAX of payload) and parses whole frames
 * from the front: header (§5.2), then the payload unmasked in place.  Data
 * fragments are joined into rx->msg (at most NODE_WS_MESSAGE_MAX) and
 * handed over when the FIN fragment arrives; control frames are handed
 * over at once, also between fragments (§5.4).  The first violation sets
 * rx->failed with its close code; nothing is parsed after it.
 */
#include "node_ws.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_NOMEM (-100000L) /* frame(): out of memory (close codes are below 5000) */

int node_ws_accept(const char *key, char out[NODE_WS_ACCEPT_LEN + 1])
{
    unsigned char raw[32], sha[EVP_MAX_MD_SIZE];
    char cat[128];
    size_t n = key ? strlen(key) : 0, bin = 0;
    unsigned int shalen = 0;
    out[0] = '\0';
    /* 16 bytes are 24 base64 characters ending "==" */
    if (n != 24 || key[22] != '=' || key[23] != '=' ||
        sodium_base642bin(raw, sizeof raw, key, n, NULL, &bin, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        bin != 16)
        return LEDGER_EINPUT;
    memcpy(cat, key, n);
    memcpy(cat + n, WS_GUID, sizeof WS_GUID);
    if (EVP_Digest(cat, n + sizeof WS_GUID - 1, sha, &shalen, EVP_sha1(), NULL) != 1 ||
        shalen != 20)
        return LEDGER_EIO;
    sodium_bin2base64(out, NODE_WS_ACCEPT_LEN + 1, sha, 20, sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

/* Does the comma-separated header value list contain token (any case)? */
static int has_token(const char *list, const char *token)
{
    size_t tl = strlen(token);
    const char *p = list;
    while (p && *p) {
        size_t n;
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        n = strcspn(p, ",");
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == tl && !strncasecmp(p, token, tl))
            return 1;
        p += strcspn(p, ",");
    }
    return 0;
}

int node_ws_handshake(const node_http_req_t *req, char out[NODE_WS_ACCEPT_LEN + 1],
                      const char **why)
{
    const char *up = node_http_header(req, "Upgrade"), *conn = node_http_header(req, "Connection"),
               *ver = node_http_header(req, "Sec-WebSocket-Version"),
               *key = node_http_header(req, "Sec-WebSocket-Key");
    out[0] = '\0';
    if (!up)
        return 1;
    *why = NULL;
    if (!has_token(up, "websocket"))
        *why = "Upgrade must be websocket";
    else if (strcmp(req->method, "GET"))
        *why = "a WebSocket is opened with GET";
    else if (!conn || !has_token(conn, "upgrade"))
        *why = "Connection must name Upgrade";
    else if (!ver || strcmp(ver, "13"))
        *why = "version: Sec-WebSocket-Version must be 13";
    else if (node_ws_accept(key, out))
        *why = "Sec-WebSocket-Key must be the base64 of 16 bytes";
    return *why ? LEDGER_EINPUT : 0;
}

/* ---- client frames ------------------------------------------------------------ */

static int fail(node_ws_rx_t *rx, int code, const char *what, const char **why)
{
    rx->failed = code;
    *why = what;
    return code;
}

/* Parses one frame from the front of b[0..n): 0 when incomplete, else its
 * size (and the message handed over), or a close code (negated). */
static long frame(node_ws_rx_t *rx, uint8_t *b, size_t n, node_ws_msg_fn fn, void *ctx,
                  const char **why, int *stop)
{
    size_t hl = 2, plen;
    int fin, op;
    uint8_t *mask, *pay;
    if (n < 2)
        return 0;
    fin = b[0] >> 7;
    op = b[0] & 15;
    if (b[0] & 0x70)
        return -fail(rx, 1002, "reserved bits set (no extension was agreed)", why);
    if (!(b[1] & 0x80))
        return -fail(rx, 1002, "a client frame must be masked", why);
    if (op > 2 && op < 8)
        return -fail(rx, 1002, "unknown data opcode", why);
    if (op > 10)
        return -fail(rx, 1002, "unknown control opcode", why);
    plen = b[1] & 127;
    if (op >= 8 && (!fin || plen > 125))
        return -fail(rx, 1002, "a control frame must be whole and at most 125 bytes", why);
    if (plen == 126) {
        if (n < 4)
            return 0;
        plen = (size_t)b[2] << 8 | b[3];
        hl = 4;
    } else if (plen == 127) {
        uint64_t v = 0;
        if (n < 10)
            return 0;
        for (int i = 0; i < 8; i++)
            v = v << 8 | b[2 + i];
        if (v >> 63)
            return -fail(rx, 1002, "the length's top bit is set", why);
        if (v > NODE_WS_FRAME_MAX)
            return -fail(rx, 1009, "frame too big", why);
        plen = (size_t)v;
        hl = 10;
    }
    if (plen > NODE_WS_FRAME_MAX)
        return -fail(rx, 1009, "frame too big", why);
    if (op == NODE_WS_CONT && !rx->in_msg)
        return -fail(rx, 1002, "a continuation frame outside a fragmented message", why);
    if ((op == NODE_WS_TEXT || op == NODE_WS_BINARY) && rx->in_msg)
        return -fail(rx, 1002, "a new message inside a fragmented one", why);
    if (n < hl + 4 + plen)
        return 0;
    mask = b + hl;
    pay = mask + 4;
    for (size_t i = 0; i < plen; i++)
        pay[i] ^= mask[i & 3];
    if (op >= 8) {
        *stop = fn(ctx, op, pay, plen);
        return (long)(hl + 4 + plen);
    }
    if (rx->msg.len + plen > NODE_WS_MESSAGE_MAX)
        return -fail(rx, 1009, "message too big", why);
    if (op != NODE_WS_CONT)
        rx->in_msg = op;
    if (plen && ledger_buf_append(&rx->msg, pay, plen))
        return WS_NOMEM;
    if (fin) {
        int mop = rx->in_msg;
        rx->in_msg = 0;
        *stop = fn(ctx, mop, rx->msg.data, rx->msg.len);
        ledger_buf_reset(&rx->msg);
    }
    return (long)(hl + 4 + plen);
}

int node_ws_rx_feed(node_ws_rx_t *rx, const uint8_t *data, size_t len, node_ws_msg_fn fn, void *ctx,
                    const char **why)
{
    size_t off = 0;
    int stop = 0;
    *why = "";
    if (rx->failed) {
        *why = "the connection failed before";
        return rx->failed;
    }
    if (len && ledger_buf_append(&rx->in, data, len))
        return LEDGER_ENOMEM;
    while (off < rx->in.len && !stop) {
        long r = frame(rx, rx->in.data + off, rx->in.len - off, fn, ctx, why, &stop);
        if (r == WS_NOMEM)
            return LEDGER_ENOMEM;
        if (r < 0)
            return (int)-r;
        if (r == 0)
            break;
        off += (size_t)r;
    }
    if (off) { /* keep only the incomplete frame */
        memmove(rx->in.data, rx->in.data + off, rx->in.len - off);
        rx->in.len -= off;
    }
    return stop;
}

void node_ws_rx_free(node_ws_rx_t *rx)
{
    ledger_buf_free(&rx->in);
    ledger_buf_free(&rx->msg);
    memset(rx, 0, sizeof *rx);
}

/* ---- server frames ------------------------------------------------------------ */

int node_ws_frame(ledger_buf_t *out, int opcode, const void *p, size_t n)
{
    uint8_t h[10];
    size_t hl = 2;
    if (opcode >= 8 && n > 125)
        return LEDGER_EINVAL;
    h[0] = (uint8_t)(0x80 | (opcode & 15));
    if (n < 126)
        h[1] = (uint8_t)n;
    else if (n < 65536) {
        h[1] = 126;
        h[2] = (uint8_t)(n >> 8);
        h[3] = (uint8_t)n;
        hl = 4;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
        hl = 10;
    }
    if (ledger_buf_append(out, h, hl) || (n && ledger_buf_append(out, p, n)))
        return LEDGER_ENOMEM;
    return 0;
}

int node_ws_close_frame(ledger_buf_t *out, unsigned code, const char *reason)
{
    uint8_t b[125];
    size_t rl = reason ? strlen(reason) : 0;
    if (rl > sizeof b - 2)
        rl = sizeof b - 2;
    b[0] = (uint8_t)(code >> 8);
    b[1] = (uint8_t)code;
    if (rl)
        memcpy(b + 2, reason, rl);
    return node_ws_frame(out, NODE_WS_CLOSE, b, rl + 2);
}
