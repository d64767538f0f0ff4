/* node_ws.h -- the WebSocket protocol (RFC 6455) as the node's live
 * subscriptions speak it (node_subs.h): the opening handshake's checks and
 * its Sec-WebSocket-Accept, a parser of the frames a client sends, and the
 * frames the server sends.  No sockets here: node_http.h's upgrade hands
 * the connection's bytes to node_subs, which feeds them to a node_ws_rx_t.
 *
 * What a client may send (anything else closes the connection with the
 * status code RFC 6455 §7.4.1 names):
 *   - every frame masked (§5.1: an unmasked one is a protocol error, 1002);
 *   - RSV1..3 zero (no extension was agreed: 1002); opcodes 0 (continuation),
 *     1 (text), 2 (binary), 8 (close), 9 (ping), 10 (pong) (others: 1002);
 *   - control frames unfragmented with at most 125 bytes (1002);
 *   - a continuation only inside a fragmented message, no new data frame
 *     inside one (1002);
 *   - the 64-bit length's top bit clear, lengths in their shortest form
 *     is not required (RFC 6455 allows any);
 *   - a frame's payload at most NODE_WS_FRAME_MAX bytes and a message's at
 *     most NODE_WS_MESSAGE_MAX (1009, "message too big").
 * The payloads of the client's text and binary messages are handed over
 * unmasked; the node reads none of them (a subscription is one-way), so
 * text is not checked for UTF-8.
 */
#ifndef NODE_WS_H
#define NODE_WS_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_buf.h"
#include "ledger_error.h"
#include "node_http.h"

#define NODE_WS_FRAME_MAX 65536   /* a client frame's payload, bytes: more -> 1009 */
#define NODE_WS_MESSAGE_MAX 65536 /* a client message (all its fragments), bytes: more -> 1009 */
#define NODE_WS_ACCEPT_LEN 28     /* base64 of a SHA-1 */

enum {
    NODE_WS_CONT = 0,
    NODE_WS_TEXT = 1,
    NODE_WS_BINARY = 2,
    NODE_WS_CLOSE = 8,
    NODE_WS_PING = 9,
    NODE_WS_PONG = 10,
};

/* Sec-WebSocket-Accept for the client's Sec-WebSocket-Key (RFC 6455 §4.2.2:
 * base64(SHA-1(key "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))) into
 * out[0..NODE_WS_ACCEPT_LEN] (NUL-terminated).  key must be the base64 of
 * 16 bytes (§4.1).  0, or LEDGER_EINPUT when it is not, LEDGER_EIO when
 * libcrypto fails. */
int node_ws_accept(const char *key, char out[NODE_WS_ACCEPT_LEN + 1]);

/* Checks that req opens a WebSocket (§4.2.1): GET, HTTP/1.1, Upgrade:
 * websocket, Connection naming Upgrade, Sec-WebSocket-Version: 13 and a
 * good Sec-WebSocket-Key; out gets the accept value.  1 when req asks for
 * no upgrade at all (no Upgrade header), 0 when it is a good opening, or
 * LEDGER_EINPUT with *why saying what is wrong (the answer is a 400;
 * a wrong version is answered 426 with Sec-WebSocket-Version: 13, *why
 * starting "version"). */
int node_ws_handshake(const node_http_req_t *req, char out[NODE_WS_ACCEPT_LEN + 1],
                      const char **why);

/* A frame or message as the parser hands it over: opcode (TEXT, BINARY for
 * a whole message, with every fragment joined; CLOSE, PING, PONG), the
 * unmasked payload, valid during the call. */
typedef int (*node_ws_msg_fn)(void *ctx, int opcode, const uint8_t *data, size_t len);

/* The parser of one connection's client frames. */
typedef struct node_ws_rx {
    ledger_buf_t in;  /* bytes of a frame not yet complete */
    ledger_buf_t msg; /* the fragments of a data message so far */
    int in_msg;       /* a fragmented message is open: its opcode */
    int failed;       /* a violation was found: nothing more is read */
} node_ws_rx_t;

/* Feeds data[0..len) of the stream; calls fn for every complete message
 * or control frame, in order (fn returning non-zero stops the feed and is
 * returned).  0; or when the bytes break a rule above, the status code to
 * close with (1002 or 1009, > 0) and *why what was wrong; from then on
 * every feed returns that code.  LEDGER_ENOMEM. */
int node_ws_rx_feed(node_ws_rx_t *rx, const uint8_t *data, size_t len, node_ws_msg_fn fn, void *ctx,
                    const char **why);
void node_ws_rx_free(node_ws_rx_t *rx);

/* Appends a server frame (FIN, unmasked, §5.2) of opcode with payload
 * p[0..n) to out.  Control frames must have n <= 125.  0, LEDGER_ENOMEM,
 * LEDGER_EINVAL. */
int node_ws_frame(ledger_buf_t *out, int opcode, const void *p, size_t n);
/* Appends a close frame with status code and a reason (cut to fit 125
 * bytes). 0, LEDGER_ENOMEM. */
int node_ws_close_frame(ledger_buf_t *out, unsigned code, const char *reason);

#endif
