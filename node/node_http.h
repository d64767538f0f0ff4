/* node_http.h -- a small HTTP/1.1 server on a libuv loop (the node's own):
 * connections, request parsing, limits, keep-alive and responses.  What a
 * request means is decided by route handlers (node_resolve.h: the GS1
 * Digital Link resolver; node_query.h, node_capture.h: EPCIS 2.0 query
 * and capture; later the product page),
 * tried in the order they were added.
 *
 * Parsing is Node.js's http-parser 2.9 (Debian's libhttp-parser-dev): a
 * callback parser with no buffers of its own; this module keeps the
 * request's line, headers and body, the limits and the connection.
 *
 * Limits (node_http_limits_t; docs/http.md).  Each is answered and logged
 * as the standard says, and the connection is closed after the answer:
 *   - request line and headers over header_max bytes: 431;
 *   - a request target over NODE_HTTP_TARGET_MAX bytes: 414;
 *   - a body over body_max bytes (Content-Length, or chunks as they come): 413;
 *   - a request not received whole within request_ms of its first byte
 *     (of the connection's start for the first request): 408 (slowloris);
 *   - more than conn_max connections open: the new one gets 503;
 *   - bytes that are not HTTP/1.x: 400.
 * An idle keep-alive connection is closed after idle_ms.  A client that
 * does not read its responses has its reading paused once more than
 * NODE_HTTP_QUEUE_MAX bytes are queued (pipelined requests wait).
 *
 * Responses carry Content-Length (no chunking), Connection, and for HEAD no
 * body.  A handler answers synchronously on the loop thread: it must do
 * bounded work (index look-ups, not scans), or it answers later
 * (node_http_defer below) once work done elsewhere (a thread) is over.
 */
#ifndef NODE_HTTP_H
#define NODE_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "ledger_buf.h"
#include "ledger_error.h"

#define NODE_HTTP_HEADER_MAX (16 * 1024)  /* request line + headers, bytes: more -> 431 */
#define NODE_HTTP_BODY_MAX (1024 * 1024)  /* request body, bytes: more -> 413 */
#define NODE_HTTP_REQUEST_MS 10000        /* a request arrives whole within this: else 408 */
#define NODE_HTTP_IDLE_MS 30000           /* an idle keep-alive connection is closed */
#define NODE_HTTP_CONN_MAX 512            /* connections at once: more get 503 */
#define NODE_HTTP_TARGET_MAX 8192         /* request target, bytes: more -> 414 */
#define NODE_HTTP_HEADERS_MAX 100         /* header fields per request: more -> 431 */
#define NODE_HTTP_QUEUE_MAX (1024 * 1024) /* response bytes queued before reading pauses */
#define NODE_HTTP_BACKLOG 511

typedef struct node_http_limits {
    size_t header_max;   /* 0: NODE_HTTP_HEADER_MAX */
    size_t body_max;     /* 0: NODE_HTTP_BODY_MAX */
    unsigned request_ms; /* 0: NODE_HTTP_REQUEST_MS */
    unsigned idle_ms;    /* 0: NODE_HTTP_IDLE_MS */
    size_t conn_max;     /* 0: NODE_HTTP_CONN_MAX */
} node_http_limits_t;

/* One request as a handler sees it.  All strings are NUL-terminated and
 * live until the handler returns. */
typedef struct node_http_req {
    const char *method; /* "GET", "HEAD", "POST", ... */
    int head;           /* 1 for HEAD: the server sends no body */
    const char *target; /* the request target as sent: "/01/05412345000013?linkType=linkset" */
    const char *path;   /* the target up to '?' (not decoded) */
    const char *query;  /* after '?' (not decoded), "" when none */
    const uint8_t *body;
    size_t body_len;
    const char *peer; /* "ip:port" of the client */
    /* private: the header fields */
    const char *const *hname_;
    const char *const *hvalue_;
    size_t nheaders_;
    void *conn_; /* the connection, for node_http_defer */
} node_http_req_t;

/* The value of header name (any case), NULL when absent; the first one
 * when the field is repeated. */
const char *node_http_header(const node_http_req_t *req, const char *name);

/* Percent-decodes s[0..n) into out[0..cap) (NUL-terminated). Flags:
 * NODE_HTTP_PCT_PLUS: '+' is a space (a query string; else itself, as in
 * a path); NODE_HTTP_PCT_LENIENT: a '%' not followed by two hex digits is
 * kept as written (else it is an error). 0, or -1 when it does not fit,
 * decodes to a NUL or (strict) has a bad escape. */
enum { NODE_HTTP_PCT_PLUS = 1, NODE_HTTP_PCT_LENIENT = 2 };
int node_http_pct_decode(const char *s, size_t n, char *out, size_t cap, unsigned flags);

/* The value of query parameter name in req->query, percent-decoded ('+'
 * is a space, a bad escape kept as written) into out[0..cap): 1 when
 * present, 0 when absent or it does not fit. */
int node_http_query(const node_http_req_t *req, const char *name, char *out, size_t cap);

typedef struct node_http_upgrade_ops node_http_upgrade_ops_t;

/* A response being built by a handler. */
typedef struct node_http_resp {
    int status;        /* 0 until set */
    ledger_buf_t head; /* extra header lines, each "Name: value\r\n" */
    ledger_buf_t body;
    char ctype[128]; /* Content-Type ("" for none) */
    /* private: a protocol upgrade (node_http_resp_upgrade) */
    const node_http_upgrade_ops_t *up_ops_;
    void *up_ctx_;
} node_http_resp_t;

/* Adds a header line "name: value" (value printf-style; CR and LF in it
 * are dropped).  0 or LEDGER_ENOMEM. */
int node_http_resp_header(node_http_resp_t *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets status, Content-Type and body (copied).  0 or LEDGER_ENOMEM. */
int node_http_resp_set(node_http_resp_t *r, int status, const char *ctype, const void *body,
                       size_t len);
/* Sets status and the JSON body of v (dumped compactly, v not consumed).
 * ctype NULL: application/json. */
int node_http_resp_json(node_http_resp_t *r, int status, const char *ctype, const json_t *v);
/* An RFC 9457 problem (application/problem+json): {"type":"about:blank",
 * "title": the status's reason, "status", "detail": printf-style}. */
int node_http_resp_problem(node_http_resp_t *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with the EPCIS 2.0 exception exc (e.g. "QueryParameterException")
 * as title and its URI (https://ref.gs1.org/standards/epcis/2.0.0/#exc)
 * as type, as the EPCIS REST routes answer. */
int node_http_resp_exception(node_http_resp_t *r, int status, const char *exc, const char *fmt,
                             ...) __attribute__((format(printf, 4, 5)));

/* ---- protocol upgrades (a WebSocket: node_ws.h, node_subs.h) ------------ */

/* The connection after a 101: the handler's module writes and closes it
 * through these; node_http keeps owning the socket, counts it against
 * conn_max and no longer applies the request and idle deadlines to it. */
typedef struct node_http_stream node_http_stream_t;

struct node_http_upgrade_ops {
    /* The 101 was written: s is the connection from now on (valid until
     * closed is called). */
    void (*opened)(void *ctx, node_http_stream_t *s);
    /* Bytes the client sent after its request (the new protocol's). */
    void (*data)(void *ctx, const uint8_t *p, size_t n);
    /* The connection is gone (either side closed it, or the server is
     * closing); ctx is not used again.  Called exactly once for every
     * node_http_resp_upgrade, also when the upgrade did not happen (opened
     * then never came). */
    void (*closed)(void *ctx);
    /* Optional (NULL: not called): a write finished; queued bytes are
     * still unsent (node_http_stream_queued).  The module may send more. */
    void (*written)(void *ctx, size_t queued);
};

/* Makes resp a 101 Switching Protocols that hands the connection to ops
 * (the handler adds the headers of the new protocol, such as Upgrade and
 * Sec-WebSocket-Accept; the server adds Connection: Upgrade).  It happens
 * only when the request asked for an upgrade (Connection: Upgrade and
 * Upgrade) and is the last one the client sent; else the client gets a 400
 * and closed is called.  0 (ops->closed will be called). */
int node_http_resp_upgrade(node_http_resp_t *r, const node_http_upgrade_ops_t *ops, void *ctx);
/* Writes p[0..n) (copied).  0, LEDGER_ENOMEM, LEDGER_EIO (the connection
 * is being closed: nothing is written). */
int node_http_stream_send(node_http_stream_t *s, const void *p, size_t n);
/* Bytes handed over by node_http_stream_send and not yet written to the
 * socket (a client that does not read makes this grow). */
size_t node_http_stream_queued(const node_http_stream_t *s);
/* Closes: what was sent goes out first (FIN after it, at most 2 s), then
 * ops->closed.  Reading stops at once. */
void node_http_stream_close(node_http_stream_t *s);
/* "ip:port" of the client. */
const char *node_http_stream_peer(const node_http_stream_t *s);

/* The reason phrase of status ("Not Found"; "Unknown" for others). */
const char *node_http_reason(int status);

/* A route handler: 1 when it answered the request (resp filled), 0 when
 * the request is not its own (the next handler is asked),
 * NODE_HTTP_DEFERRED when it answers later (node_http_defer), or a
 * negative error (500 is sent, the error logged).  Runs on the loop
 * thread. */
typedef int (*node_http_handler_fn)(void *ctx, const node_http_req_t *req, node_http_resp_t *resp);

/* ---- answering later ------------------------------------------------------
 *
 * A handler whose answer needs work off the loop (an fsync on the writer
 * thread) takes a handle with node_http_defer and returns
 * NODE_HTTP_DEFERRED; resp is then ignored.  The answer is given later, on
 * the loop thread, with node_http_finish.  Meanwhile:
 *   - the connection answers nothing else: pipelined requests after this
 *     one wait (their bytes are kept, reading stops once more than
 *     header_max + body_max bytes wait) and are answered after it, in order;
 *   - no request or idle deadline runs for the connection (the server is
 *     the one working, not the client);
 *   - a client that half-closes (FIN) still gets the answer, then the
 *     connection closes; a connection that breaks (reset, error) or that
 *     node_http_close closes is freed at once, and the handle lives on,
 *     detached (node_http_later_open says 0).
 * Ownership: the handle is the handler's from node_http_defer on, and
 * node_http_finish must be called exactly once for it, on the loop thread,
 * after the handler returned, whether or not the connection is still
 * open: finish sends the answer (when the connection waits for it) and
 * frees the handle.  The server and the connection never free it.  When the
 * handler returns anything other than NODE_HTTP_DEFERRED after taking a
 * handle, the handle is dropped by the server and must not be used (the
 * handler answers as usual through resp).  One handle per request.
 * node_http_drive never sends a deferred answer: its connection is gone
 * when it returns (the handle detached). */
#define NODE_HTTP_DEFERRED 2
typedef struct node_http_later node_http_later_t;

/* Takes the handle of req's answer (see above).  0, LEDGER_ENOMEM, or
 * LEDGER_EINVAL (req is not a request being dispatched, or a handle was
 * taken for it already). */
int node_http_defer(const node_http_req_t *req, node_http_later_t **out);
/* 1 while h's connection waits for the answer, 0 once it is gone. */
int node_http_later_open(const node_http_later_t *h);
/* Sends resp as h's answer (nothing when the connection is gone) and frees
 * h; resp's buffers are freed too (resp itself is the caller's).  HEAD and
 * keep-alive as for the request.  NULL h is fine (resp freed). */
void node_http_finish(node_http_later_t *h, node_http_resp_t *resp);

/* Where the server's log lines go: one line (no newline) about the client
 * at peer ("ip:port"; the caller may rate-limit per address). */
typedef void (*node_http_log_fn)(void *ctx, const char *peer, const char *line);

typedef struct node_http node_http_t;

/* A server on loop with limits (NULL: the defaults); log may be NULL.
 * LEDGER_ENOMEM.  Nothing listens until node_http_listen. */
int node_http_new(uv_loop_t *loop, const node_http_limits_t *limits, node_http_log_fn log,
                  void *log_ctx, node_http_t **out, ledger_err_t *err);
/* Adds a handler (tried after those added before).  0, LEDGER_ENOMEM. */
int node_http_route(node_http_t *srv, node_http_handler_fn fn, void *ctx, ledger_err_t *err);
/* Replaces route i (0: the first added) by fn with ctx, for the requests
 * handled from now on (handlers run on the loop: none is running while the
 * caller is).  The old ctx is the caller's to free.  LEDGER_EINVAL when
 * there is no route i. */
int node_http_route_replace(node_http_t *srv, size_t i, node_http_handler_fn fn, void *ctx,
                            ledger_err_t *err);
/* New limits (zeros: the defaults), for connections accepted and requests
 * begun from now on; a request already being read keeps its deadline. */
void node_http_set_limits(node_http_t *srv, const node_http_limits_t *limits);
/* Listens on "ip:port" (IPv4, or [IPv6] in brackets).  LEDGER_EINPUT when
 * addr is not that, LEDGER_EIO when it cannot be bound.  A server already
 * listening moves: the new address is bound first, then the old listener
 * is closed (open connections stay); when the new one fails, the old one
 * goes on. */
int node_http_listen(node_http_t *srv, const char *addr, ledger_err_t *err);
/* The address listened on (as given to node_http_listen), or NULL. */
const char *node_http_listening(const node_http_t *srv);
/* Closes the listener and every connection; the server frees itself once
 * libuv has closed its handles (run the loop).  NULL is fine. */
void node_http_close(node_http_t *srv);
/* Connections open now. */
size_t node_http_connections(const node_http_t *srv);

/* The request path without a socket, for the fuzzer and tests: feeds
 * data[0..len) to a fresh connection of srv as if received in reads of
 * chunk bytes (0: one read), appending every response's bytes to out.
 * Returns 1 when the connection would be closed after that, 0 when it
 * stays open, or LEDGER_ENOMEM.  Timers do not run; a deferred answer is
 * never sent (the requests after it not answered). */
int node_http_drive(node_http_t *srv, const uint8_t *data, size_t len, size_t chunk,
                    ledger_buf_t *out);

#endif
