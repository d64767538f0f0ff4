/* node_http.c -- the HTTP/1.1 server of node_http.h.
 *
 * One conn_t per TCP connection, on the loop of the server.  Bytes read go
 * to http-parser (conn_feed), whose callbacks collect the request target
 * and header fields into one buffer (offsets, NUL-separated) and the body
 * into another, counting against the limits.  When a message is complete
 * the route handlers are asked in order and the response is written at
 * once (dispatch): pipelined requests are answered in order.  When more
 * than NODE_HTTP_QUEUE_MAX bytes wait to be written the parser is paused,
 * the unparsed bytes kept (pending) and reading stopped until the writes
 * drain.  A limit or a parse error answers with a problem document and
 * "Connection: close", then shuts the connection down (FIN after the
 * answer) and closes it.
 *
 * Deadlines: one sweep timer (a quarter of the shortest limit, at most
 * 250 ms) looks at every connection's deadline: a request must be whole
 * within request_ms of its first byte (a new connection's clock starts at
 * accept), an idle keep-alive connection lives idle_ms, and one that was
 * told to close but whose client does not read is closed 2 s later.
 *
 * Answering later (node_http_defer): the handler's handle is a small
 * node_http_later_t pointing at the connection, which points back
 * (c->later) until finish or until the connection is freed (conn_free
 * detaches it).  While a connection waits (c->waiting, phase PH_WAIT) its
 * parser is paused at the end of the deferred request, as when writes
 * back up; bytes read meanwhile go to pending (reading goes on, so that a
 * reset is seen, until pending holds a whole request's worth), the sweep
 * leaves it alone, and a resume by drained writes is not allowed.  finish
 * writes the answer and resumes the parser on pending.
 *
 * The server frees itself when node_http_close was called and the last of
 * its handles (listener, timer, connections) has been closed by libuv.
 */
#include "node_http.h"

#include <http_parser.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CLOSE_GRACE_MS 2000

enum { PH_REQUEST, PH_IDLE, PH_CLOSING, PH_WAIT, PH_UPGRADED };

typedef struct route {
    node_http_handler_fn fn;
    void *ctx;
} route_t;

typedef struct conn conn_t;

struct node_http {
    uv_loop_t *loop;
    node_http_limits_t lim;
    node_http_log_fn log;
    void *log_ctx;
    route_t *routes;
    size_t nroutes;
    uv_tcp_t *listener; /* heap: a moved listener is replaced before the old one closes */
    char listen_addr[300];
    uv_timer_t sweep;
    int sweeping;
    conn_t *conns;
    size_t nconns;
    int closing;
    unsigned handles; /* open libuv handles of the server itself */
    http_parser_settings settings;
};

struct conn {
    node_http_t *srv;
    conn_t *next, *prev;
    uv_tcp_t tcp;
    uv_shutdown_t shutdown_req;
    ledger_buf_t *vout; /* node_http_drive: responses go here, no socket */
    http_parser parser;
    char peer[80];     /* "[ip6]:port" */
    ledger_buf_t hb;   /* target, names and values, each NUL-terminated */
    size_t target_len; /* bytes of the target so far */
    size_t name_off[NODE_HTTP_HEADERS_MAX], value_off[NODE_HTTP_HEADERS_MAX];
    size_t nh;
    int in_value; /* the last header callback was a value */
    size_t hdr_bytes;
    ledger_buf_t body;
    int err_status; /* a limit was hit: the status to answer with */
    char err_detail[160];
    int close_after; /* answer sent with Connection: close: no more requests */
    int closing;     /* uv_close called */
    int phase;
    uint64_t deadline;
    size_t queued; /* bytes handed to uv_write, not yet written */
    int paused;
    ledger_buf_t pending; /* bytes read while paused */
    node_http_later_t *later; /* the handle of the answer owed (node_http_defer) */
    int waiting;              /* a handler returned NODE_HTTP_DEFERRED: later is owed */
    int eof;                  /* the client half-closed while an answer was owed */

    const node_http_upgrade_ops_t *up_ops; /* after a 101: who reads and writes */
    void *up_ctx;
};

struct node_http_later {
    conn_t *c; /* NULL once the connection is gone */
    int head, keep;
};

typedef struct wreq {
    uv_write_t req;
    conn_t *c;
    size_t len;
    char data[];
} wreq_t;

/* ---- small things ---------------------------------------------------------- */

static uint64_t now_ms(const node_http_t *s)
{
    return s->loop ? uv_now(s->loop) : 0;
}

static void srv_log(node_http_t *s, const char *peer, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void srv_log(node_http_t *s, const char *peer, const char *fmt, ...)
{
    char line[600];
    va_list ap;
    if (!s->log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->log(s->log_ctx, peer, line);
}

const char *node_http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

int node_http_resp_header(node_http_resp_t *r, const char *name, const char *fmt, ...)
{
    char v[2048], line[2200];
    va_list ap;
    size_t j = 0;
    int n;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    for (size_t i = 0; v[i]; i++) /* no header injection */
        if (v[i] != '\r' && v[i] != '\n')
            v[j++] = v[i];
    v[j] = '\0';
    n = snprintf(line, sizeof line, "%s: %s\r\n", name, v);
    if (n < 0 || (size_t)n >= sizeof line)
        return LEDGER_ETOOBIG;
    return ledger_buf_append(&r->head, line, (size_t)n);
}

int node_http_resp_set(node_http_resp_t *r, int status, const char *ctype, const void *body,
                       size_t len)
{
    r->status = status;
    snprintf(r->ctype, sizeof r->ctype, "%s", ctype ? ctype : "");
    ledger_buf_reset(&r->body);
    return len ? ledger_buf_append(&r->body, body, len) : 0;
}

int node_http_resp_json(node_http_resp_t *r, int status, const char *ctype, const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    int rc;
    if (!s)
        return LEDGER_ENOMEM;
    rc = node_http_resp_set(r, status, ctype ? ctype : "application/json", s, strlen(s));
    if (rc == 0)
        rc = ledger_buf_append(&r->body, "\n", 1);
    free(s);
    return rc;
}

/* The problem document of type and title, detail (dropped when it is not
 * UTF-8). */
static int resp_problem(node_http_resp_t *r, int status, const char *type, const char *title,
                        const char *detail)
{
    json_t *o;
    int rc;
    o = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", title, "status", status, "detail",
                  detail);
    if (!o) { /* detail is not UTF-8: say it without */
        o = json_pack("{s:s, s:s, s:i}", "type", type, "title", title, "status", status);
        if (!o)
            return LEDGER_ENOMEM;
    }
    rc = node_http_resp_json(r, status, "application/problem+json", o);
    json_decref(o);
    return rc;
}

int node_http_resp_problem(node_http_resp_t *r, int status, const char *fmt, ...)
{
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return resp_problem(r, status, "about:blank", node_http_reason(status), detail);
}

int node_http_resp_exception(node_http_resp_t *r, int status, const char *exc, const char *fmt,
                             ...)
{
    char detail[1200], type[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    snprintf(type, sizeof type, "https://ref.gs1.org/standards/epcis/2.0.0/#%s", exc);
    return resp_problem(r, status, type, exc, detail);
}

const char *node_http_header(const node_http_req_t *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders_; i++)
        if (!strcasecmp(req->hname_[i], name))
            return req->hvalue_[i];
    return NULL;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int node_http_pct_decode(const char *s, size_t n, char *out, size_t cap, unsigned flags)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i], h = -1, l = -1;
        if (c == '%' && i + 2 < n) {
            h = hexval(s[i + 1]);
            l = hexval(s[i + 2]);
        }
        if (c == '%' && (h < 0 || l < 0)) {
            if (!(flags & NODE_HTTP_PCT_LENIENT))
                return -1; /* lenient: kept as written */
        } else if (c == '%') {
            c = h * 16 + l;
            i += 2;
            if (c == 0)
                return -1;
        } else if (c == '+' && (flags & NODE_HTTP_PCT_PLUS)) {
            c = ' ';
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

/* node_http_query reads a query string as browsers send it */
#define FORM (NODE_HTTP_PCT_PLUS | NODE_HTTP_PCT_LENIENT)

int node_http_query(const node_http_req_t *req, const char *name, char *out, size_t cap)
{
    const char *q = req->query;
    char key[256];
    while (q && *q) {
        const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
        const char *eq = memchr(q, '=', (size_t)(end - q));
        const char *kend = eq ? eq : end;
        if (node_http_pct_decode(q, (size_t)(kend - q), key, sizeof key, FORM) == 0 &&
            !strcmp(key, name))
            return node_http_pct_decode(eq ? eq + 1 : end, eq ? (size_t)(end - eq - 1) : 0, out, cap,
                                        FORM) == 0;
        q = amp ? amp + 1 : NULL;
    }
    return 0;
}

/* ---- connections: closing, writing ------------------------------------------ */

static void srv_maybe_free(node_http_t *s)
{
    if (!s->closing || s->handles || s->conns)
        return;
    free(s->routes);
    free(s);
}

static void conn_free(conn_t *c)
{
    node_http_t *s = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else if (s->conns == c)
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->later) /* the handle lives on, detached: its owner frees it */
        c->later->c = NULL;
    if (s->nconns)
        s->nconns--;
    if (c->up_ops)
        c->up_ops->closed(c->up_ctx);
    ledger_buf_free(&c->hb);
    ledger_buf_free(&c->body);
    ledger_buf_free(&c->pending);
    free(c);
    srv_maybe_free(s);
}

static void on_conn_closed(uv_handle_t *h)
{
    conn_free(h->data);
}

static void conn_close(conn_t *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    if (c->vout) /* no socket: node_http_drive frees it */
        return;
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    conn_close(req->data);
}

static void conn_feed(conn_t *c, const char *data, size_t len);

static void conn_resume(conn_t *c);

static void on_written(uv_write_t *req, int status)
{
    wreq_t *w = (wreq_t *)req;
    conn_t *c = w->c;
    c->queued -= w->len;
    free(w);
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (c->up_ops && c->up_ops->written && !c->close_after && !c->closing)
        c->up_ops->written(c->up_ctx, c->queued);
    if (c->paused && !c->waiting && !c->close_after && !c->closing &&
        c->queued <= NODE_HTTP_QUEUE_MAX / 2)
        conn_resume(c);
}

static int conn_send(conn_t *c, const void *a, size_t alen, const void *b, size_t blen)
{
    wreq_t *w;
    uv_buf_t buf;
    if (c->vout) {
        if (ledger_buf_append(c->vout, a, alen) || (blen && ledger_buf_append(c->vout, b, blen)))
            return LEDGER_ENOMEM;
        return 0;
    }
    if (c->closing)
        return 0;
    if (!(w = malloc(sizeof *w + alen + blen)))
        return LEDGER_ENOMEM;
    w->c = c;
    w->len = alen + blen;
    memcpy(w->data, a, alen);
    if (blen)
        memcpy(w->data + alen, b, blen);
    buf = uv_buf_init(w->data, (unsigned)w->len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_written)) {
        free(w);
        conn_close(c);
        return LEDGER_EIO;
    }
    c->queued += w->len;
    return 0;
}

/* After the last answer: no more reading, FIN once written, then close. */
static void conn_finish(conn_t *c)
{
    c->close_after = 1;
    c->phase = PH_CLOSING;
    c->deadline = now_ms(c->srv) + CLOSE_GRACE_MS;
    if (c->vout || c->closing)
        return;
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown))
        conn_close(c);
}

/* Writes resp as the answer to the current request. */
static int conn_respond(conn_t *c, node_http_resp_t *r, int head, int keep)
{
    char line[512], date[64], clen[48] = "";
    ledger_buf_t h = LEDGER_BUF_INIT;
    time_t now = time(NULL);
    struct tm tm;
    int n, rc;
    if (!r->status)
        r->status = 500;
    if (r->status == 204 || r->status == 304 || r->status < 200) /* no body, no length */
        ledger_buf_reset(&r->body);
    else
        snprintf(clen, sizeof clen, "Content-Length: %zu\r\n", r->body.len);
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    n = snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\nDate: %s\r\n%sConnection: %s\r\n", r->status,
                 node_http_reason(r->status), date, clen, keep ? "keep-alive" : "close");
    if ((rc = ledger_buf_append(&h, line, (size_t)n)))
        goto out;
    if (r->ctype[0]) {
        n = snprintf(line, sizeof line, "Content-Type: %s\r\n", r->ctype);
        if ((rc = ledger_buf_append(&h, line, (size_t)n)))
            goto out;
    }
    if ((r->head.len && (rc = ledger_buf_append(&h, r->head.data, r->head.len))) ||
        (rc = ledger_buf_append(&h, "\r\n", 2)))
        goto out;
    rc = conn_send(c, h.data, h.len, r->body.data, head ? 0 : r->body.len);
out:
    ledger_buf_free(&h);
    return rc;
}

/* Answers a limit or parse error and closes. */
static void conn_fail(conn_t *c, int status, const char *detail)
{
    node_http_resp_t r = {0};
    if (c->close_after || c->closing)
        return;
    srv_log(c->srv, c->peer, "http: %d %s to %s: %s", status, node_http_reason(status), c->peer,
            detail);
    node_http_resp_problem(&r, status, "%s", detail);
    conn_respond(c, &r, 0, 0);
    ledger_buf_free(&r.head);
    ledger_buf_free(&r.body);
    conn_finish(c);
}

/* ---- parser callbacks ------------------------------------------------------- */

static int limit(conn_t *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int limit(conn_t *c, int status, const char *fmt, ...)
{
    va_list ap;
    c->err_status = status;
    va_start(ap, fmt);
    vsnprintf(c->err_detail, sizeof c->err_detail, fmt, ap);
    va_end(ap);
    return -1;
}

static int count_header(conn_t *c, size_t len)
{
    c->hdr_bytes += len;
    if (c->hdr_bytes > c->srv->lim.header_max)
        return limit(c, 431, "request line and headers exceed %zu bytes", c->srv->lim.header_max);
    return 0;
}

static int on_message_begin(http_parser *p)
{
    conn_t *c = p->data;
    if (c->close_after)
        return -1;
    if (c->phase != PH_REQUEST) {
        c->phase = PH_REQUEST;
        c->deadline = now_ms(c->srv) + c->srv->lim.request_ms;
    }
    ledger_buf_reset(&c->hb);
    ledger_buf_reset(&c->body);
    c->target_len = c->nh = c->hdr_bytes = 0;
    c->in_value = 0;
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    conn_t *c = p->data;
    c->target_len += len;
    if (c->target_len > NODE_HTTP_TARGET_MAX)
        return limit(c, 414, "the request target exceeds %d bytes", NODE_HTTP_TARGET_MAX);
    if (count_header(c, len))
        return -1;
    return ledger_buf_append(&c->hb, at, len) ? limit(c, 503, "out of memory") : 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    conn_t *c = p->data;
    if (count_header(c, len + 4))
        return -1;
    if (c->nh == 0 || c->in_value) { /* a new field: end what came before */
        if (c->nh == NODE_HTTP_HEADERS_MAX)
            return limit(c, 431, "more than %d header fields", NODE_HTTP_HEADERS_MAX);
        if (ledger_buf_append(&c->hb, "", 1))
            return limit(c, 503, "out of memory");
        c->name_off[c->nh] = c->hb.len;
        c->value_off[c->nh] = (size_t)-1;
        c->nh++;
        c->in_value = 0;
    }
    return ledger_buf_append(&c->hb, at, len) ? limit(c, 503, "out of memory") : 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    conn_t *c = p->data;
    if (count_header(c, len))
        return -1;
    if (!c->in_value) {
        if (ledger_buf_append(&c->hb, "", 1))
            return limit(c, 503, "out of memory");
        c->value_off[c->nh - 1] = c->hb.len;
        c->in_value = 1;
    }
    return ledger_buf_append(&c->hb, at, len) ? limit(c, 503, "out of memory") : 0;
}

static int on_headers_complete(http_parser *p)
{
    conn_t *c = p->data;
    if (ledger_buf_append(&c->hb, "", 1))
        return limit(c, 503, "out of memory");
    if ((p->flags & F_CONTENTLENGTH) && p->content_length > c->srv->lim.body_max)
        return limit(c, 413, "the body of %llu bytes exceeds %zu bytes",
                     (unsigned long long)p->content_length, c->srv->lim.body_max);
    for (size_t i = 0; i < c->nh; i++) /* a client that waits before sending its body */
        if (c->value_off[i] != (size_t)-1 &&
            !strcasecmp((const char *)c->hb.data + c->name_off[i], "expect") &&
            !strcasecmp((const char *)c->hb.data + c->value_off[i], "100-continue") &&
            p->http_major == 1 && p->http_minor >= 1)
            conn_send(c, "HTTP/1.1 100 Continue\r\n\r\n", 25, NULL, 0);
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    conn_t *c = p->data;
    if (c->body.len + len > c->srv->lim.body_max)
        return limit(c, 413, "the body exceeds %zu bytes", c->srv->lim.body_max);
    return ledger_buf_append(&c->body, at, len) ? limit(c, 503, "out of memory") : 0;
}

/* After the routes: a handle taken and NODE_HTTP_DEFERRED returned makes
 * the connection wait (NODE_HTTP_DEFERRED); a handle taken otherwise is
 * dropped; NODE_HTTP_DEFERRED without one is an error. */
static int deferred(conn_t *c, int rc, int head, int keep)
{
    if (rc == NODE_HTTP_DEFERRED && c->later) {
        c->later->head = head;
        c->later->keep = keep;
        c->waiting = 1;
        return rc;
    }
    free(c->later);
    c->later = NULL;
    return rc == NODE_HTTP_DEFERRED ? LEDGER_EINVAL : rc;
}

int node_http_defer(const node_http_req_t *req, node_http_later_t **out)
{
    conn_t *c = req->conn_;
    node_http_later_t *h;
    *out = NULL;
    if (!c || c->later || c->waiting)
        return LEDGER_EINVAL;
    if (!(h = calloc(1, sizeof *h)))
        return LEDGER_ENOMEM;
    h->c = c;
    c->later = h;
    *out = h;
    return 0;
}

int node_http_later_open(const node_http_later_t *h)
{
    return h && h->c && !h->c->closing && !h->c->close_after;
}

void node_http_finish(node_http_later_t *h, node_http_resp_t *r)
{
    conn_t *c = h ? h->c : NULL;
    if (c) {
        c->later = NULL;
        c->waiting = 0;
    }
    if (c && !c->closing && !c->close_after) {
        int keep = h->keep && !c->srv->closing && !(c->eof && !c->pending.len);
        conn_respond(c, r, h->head, keep);
        if (!keep) {
            conn_finish(c);
        } else {
            c->phase = PH_IDLE;
            c->deadline = now_ms(c->srv) + c->srv->lim.idle_ms;
            if (c->queued <= NODE_HTTP_QUEUE_MAX)
                conn_resume(c); /* the pipelined requests that waited; else on_written */
            if (c->eof && !c->waiting && !c->close_after && !c->closing)
                conn_finish(c); /* nothing more will come */
        }
    }
    ledger_buf_free(&r->head);
    ledger_buf_free(&r->body);
    free(h);
}

/* ---- protocol upgrades ----------------------------------------------------- */

int node_http_resp_upgrade(node_http_resp_t *r, const node_http_upgrade_ops_t *ops, void *ctx)
{
    r->status = 101;
    r->up_ops_ = ops;
    r->up_ctx_ = ctx;
    return 0;
}

/* dispatch's end for a handler that asked for an upgrade (rc its return):
 * writes the 101 and hands the connection over, or refuses. */
static int conn_upgrade(conn_t *c, node_http_resp_t *r, int rc)
{
    const node_http_upgrade_ops_t *ops = r->up_ops_;
    void *ctx = r->up_ctx_;
    int ok =
        rc == 1 && r->status == 101 && c->parser.upgrade && !c->close_after && !c->srv->closing;
    ledger_buf_t h = LEDGER_BUF_INIT;
    if (!ok) {
        ops->closed(ctx);
        ledger_buf_reset(&r->head);
        node_http_resp_problem(r, 400, "this request cannot switch protocols");
        rc = conn_respond(c, r, 0, 0);
        conn_finish(c);
        goto out;
    }
    static const char line[] = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n";
    if ((rc = ledger_buf_append(&h, line, sizeof line - 1)) ||
        (r->head.len && (rc = ledger_buf_append(&h, r->head.data, r->head.len))) ||
        (rc = ledger_buf_append(&h, "\r\n", 2)) || (rc = conn_send(c, h.data, h.len, NULL, 0))) {
        ops->closed(ctx);
        conn_close(c);
        goto out;
    }
    c->up_ops = ops;
    c->up_ctx = ctx;
    c->phase = PH_UPGRADED;
    ops->opened(ctx, (node_http_stream_t *)c);
out:
    ledger_buf_free(&h);
    ledger_buf_free(&r->head);
    ledger_buf_free(&r->body);
    return rc;
}

int node_http_stream_send(node_http_stream_t *s, const void *p, size_t n)
{
    conn_t *c = (conn_t *)s;
    if (c->close_after || c->closing)
        return LEDGER_EIO;
    return conn_send(c, p, n, NULL, 0);
}

size_t node_http_stream_queued(const node_http_stream_t *s)
{
    return ((const conn_t *)s)->queued;
}

void node_http_stream_close(node_http_stream_t *s)
{
    conn_t *c = (conn_t *)s;
    if (!c->close_after && !c->closing)
        conn_finish(c);
}

const char *node_http_stream_peer(const node_http_stream_t *s)
{
    return ((const conn_t *)s)->peer;
}

/* Asks the routes; writes the answer. */
static int dispatch(conn_t *c)
{
    node_http_t *s = c->srv;
    node_http_req_t req;
    node_http_resp_t r = {0};
    const char *names[NODE_HTTP_HEADERS_MAX], *values[NODE_HTTP_HEADERS_MAX];
    char *target = (char *)c->hb.data, *path = NULL, *q;
    int keep = http_should_keep_alive(&c->parser) && !s->closing, rc = 0;
    size_t nh = 0;
    memset(&req, 0, sizeof req);
    /* the last field of a chunked body's trailer has no NUL yet */
    if (ledger_buf_append(&c->hb, "", 1)) {
        conn_fail(c, 503, "out of memory");
        return -1;
    }
    target = (char *)c->hb.data;
    if (!target || !target[0] || !(path = strdup(target))) {
        conn_fail(c, target && target[0] ? 503 : 400, "no request target");
        return -1;
    }
    for (size_t i = 0; i < c->nh; i++)
        if (c->value_off[i] != (size_t)-1) {
            names[nh] = (const char *)c->hb.data + c->name_off[i];
            values[nh++] = (const char *)c->hb.data + c->value_off[i];
        }
    q = strchr(path, '?');
    if (q)
        *q++ = '\0';
    req.method = http_method_str((enum http_method)c->parser.method);
    req.head = c->parser.method == HTTP_HEAD;
    req.target = target;
    req.path = path;
    req.query = q ? q : "";
    req.body = c->body.data;
    req.body_len = c->body.len;
    req.peer = c->peer;
    req.hname_ = names;
    req.hvalue_ = values;
    req.nheaders_ = nh;
    req.conn_ = c;
    for (size_t i = 0; i < s->nroutes && rc == 0; i++)
        rc = s->routes[i].fn(s->routes[i].ctx, &req, &r);
    if ((rc = deferred(c, rc, req.head, keep && !c->parser.upgrade)) == NODE_HTTP_DEFERRED) {
        free(path);
        ledger_buf_free(&r.head);
        ledger_buf_free(&r.body);
        return 0;
    }
    if (rc < 0) {
        srv_log(s, c->peer, "http: %s %s from %s failed (%d): answered 500", req.method, target,
                c->peer, rc);
        ledger_buf_reset(&r.head);
        node_http_resp_problem(&r, 500, "the node could not answer this request");
    } else if (rc == 0)
        node_http_resp_problem(&r, 404, "no resource at %s", path);
    free(path);
    if (r.up_ops_)
        return conn_upgrade(c, &r, rc);
    if (c->parser.upgrade) /* no protocol upgrades: answer, then close */
        keep = 0;
    rc = conn_respond(c, &r, req.head, keep);
    ledger_buf_free(&r.head);
    ledger_buf_free(&r.body);
    if (!keep)
        conn_finish(c);
    return rc;
}

static int on_message_complete(http_parser *p)
{
    conn_t *c = p->data;
    dispatch(c);
    if (c->close_after || c->up_ops)
        return 0;
    if (c->waiting) { /* nothing more until the answer is given */
        c->phase = PH_WAIT;
        http_parser_pause(p, 1);
        return 0;
    }
    c->phase = PH_IDLE;
    c->deadline = now_ms(c->srv) + c->srv->lim.idle_ms;
    if (c->queued > NODE_HTTP_QUEUE_MAX)
        http_parser_pause(p, 1);
    return 0;
}

/* ---- reading ----------------------------------------------------------------- */

static void conn_feed(conn_t *c, const char *data, size_t len)
{
    size_t n;
    enum http_errno e;
    if (c->closing || c->close_after)
        return;
    if (c->up_ops) { /* the new protocol's bytes */
        c->up_ops->data(c->up_ctx, (const uint8_t *)data, len);
        return;
    }
    if (c->paused) {
        if (ledger_buf_append(&c->pending, data, len))
            conn_fail(c, 503, "out of memory");
        else if (c->waiting && !c->vout &&
                 c->pending.len > c->srv->lim.header_max + c->srv->lim.body_max)
            uv_read_stop((uv_stream_t *)&c->tcp); /* enough waits: resumed by finish */
        return;
    }
    n = http_parser_execute(&c->parser, &c->srv->settings, data, len);
    if (c->close_after || c->closing)
        return;
    e = HTTP_PARSER_ERRNO(&c->parser);
    if (c->err_status) {
        conn_fail(c, c->err_status, c->err_detail);
        return;
    }
    if (e == HPE_PAUSED) {
        c->paused = 1;
        if (!c->vout && !c->waiting) /* waiting: read on, to see a reset */
            uv_read_stop((uv_stream_t *)&c->tcp);
        if (n < len && ledger_buf_append(&c->pending, data + n, len - n))
            conn_fail(c, 503, "out of memory");
        return;
    }
    if (e == HPE_HEADER_OVERFLOW) {
        conn_fail(c, 431, "request headers too large");
        return;
    }
    if (e != HPE_OK) {
        char d[160];
        snprintf(d, sizeof d, "not an HTTP/1.1 request: %s", http_errno_description(e));
        conn_fail(c, 400, d);
        return;
    }
    if (c->up_ops && n < len) /* bytes after the request are the new protocol's */
        c->up_ops->data(c->up_ctx, (const uint8_t *)data + n, len - n);
    else if (c->parser.upgrade && !c->up_ops)
        conn_finish(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    buf->base = malloc(65536);
    buf->len = buf->base ? 65536 : 0;
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *c = st->data;
    if (nread > 0)
        conn_feed(c, buf->base, (size_t)nread);
    else if (nread == UV_EOF && c->waiting) { /* half-closed: it still gets its answer */
        uv_read_stop(st);
        c->eof = 1;
    } else if (nread < 0) {
        /* the client closed: a request in the middle is abandoned */
        if (nread == UV_EOF && c->queued) { /* answers still going out */
            uv_read_stop(st);
            conn_finish(c);
        } else
            conn_close(c);
    }
    free(buf->base);
}

static void conn_resume(conn_t *c)
{
    ledger_buf_t p = c->pending;
    memset(&c->pending, 0, sizeof c->pending);
    c->paused = 0;
    http_parser_pause(&c->parser, 0);
    if (!c->vout && !c->eof)
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (p.len)
        conn_feed(c, (const char *)p.data, p.len);
    ledger_buf_free(&p);
}

/* ---- the server ---------------------------------------------------------- */

static conn_t *conn_new(node_http_t *s)
{
    conn_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->srv = s;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    c->phase = PH_REQUEST;
    c->deadline = now_ms(s) + s->lim.request_ms;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    snprintf(c->peer, sizeof c->peer, "?");
    return c;
}

static void peer_name(uv_tcp_t *tcp, char *out, size_t len)
{
    struct sockaddr_storage sa;
    int salen = sizeof sa;
    char ip[64] = "?";
    if (uv_tcp_getpeername(tcp, (struct sockaddr *)&sa, &salen) != 0)
        return;
    if (sa.ss_family == AF_INET6) {
        uv_ip6_name((struct sockaddr_in6 *)&sa, ip, sizeof ip);
        snprintf(out, len, "[%s]:%d", ip, ntohs(((struct sockaddr_in6 *)&sa)->sin6_port));
    } else {
        uv_ip4_name((struct sockaddr_in *)&sa, ip, sizeof ip);
        snprintf(out, len, "%s:%d", ip, ntohs(((struct sockaddr_in *)&sa)->sin_port));
    }
}

static void on_incoming(uv_stream_t *server, int status)
{
    node_http_t *s = server->data;
    size_t before = s->nconns;
    conn_t *c;
    if (status < 0 || s->closing)
        return;
    if (!(c = conn_new(s)))
        return;
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    peer_name(&c->tcp, c->peer, sizeof c->peer);
    if (before >= s->lim.conn_max) {
        char d[100];
        snprintf(d, sizeof d, "%zu connections open already", before);
        conn_fail(c, 503, d);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read))
        conn_close(c);
}

static void on_sweep(uv_timer_t *t)
{
    node_http_t *s = t->data;
    uint64_t now = now_ms(s);
    for (conn_t *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (c->closing || c->vout || c->phase == PH_WAIT || c->phase == PH_UPGRADED ||
            now < c->deadline)
            continue;
        if (c->phase == PH_REQUEST && !c->paused) {
            char d[100];
            snprintf(d, sizeof d, "the request did not arrive within %u ms", s->lim.request_ms);
            conn_fail(c, 408, d);
        } else
            conn_close(c);
    }
}

static void on_srv_handle_closed(uv_handle_t *h)
{
    node_http_t *s = h->data;
    s->handles--;
    srv_maybe_free(s);
}

/* The limits with the node_http.h defaults for the zeros. */
static node_http_limits_t with_defaults(const node_http_limits_t *limits)
{
    node_http_limits_t l = {0};
    if (limits)
        l = *limits;
    if (!l.header_max)
        l.header_max = NODE_HTTP_HEADER_MAX;
    if (!l.body_max)
        l.body_max = NODE_HTTP_BODY_MAX;
    if (!l.request_ms)
        l.request_ms = NODE_HTTP_REQUEST_MS;
    if (!l.idle_ms)
        l.idle_ms = NODE_HTTP_IDLE_MS;
    if (!l.conn_max)
        l.conn_max = NODE_HTTP_CONN_MAX;
    return l;
}

/* The sweep looks at deadlines four times per shortest limit (10..250 ms). */
static unsigned sweep_tick(const node_http_limits_t *l)
{
    unsigned tick = (l->request_ms < l->idle_ms ? l->request_ms : l->idle_ms) / 4;
    return tick > 250 ? 250 : tick < 10 ? 10 : tick;
}

int node_http_new(uv_loop_t *loop, const node_http_limits_t *limits, node_http_log_fn log,
                  void *log_ctx, node_http_t **out, ledger_err_t *err)
{
    node_http_t *s = calloc(1, sizeof *s);
    unsigned tick;
    *out = NULL;
    if (!s)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    s->loop = loop;
    s->lim = with_defaults(limits);
    s->log = log;
    s->log_ctx = log_ctx;
    http_parser_settings_init(&s->settings);
    s->settings.on_message_begin = on_message_begin;
    s->settings.on_url = on_url;
    s->settings.on_header_field = on_header_field;
    s->settings.on_header_value = on_header_value;
    s->settings.on_headers_complete = on_headers_complete;
    s->settings.on_body = on_body;
    s->settings.on_message_complete = on_message_complete;
    if (loop) {
        tick = sweep_tick(&s->lim);
        uv_timer_init(loop, &s->sweep);
        s->sweep.data = s;
        s->sweeping = 1;
        s->handles++;
        uv_timer_start(&s->sweep, on_sweep, tick, tick);
        uv_unref((uv_handle_t *)&s->sweep);
    }
    *out = s;
    return 0;
}

void node_http_set_limits(node_http_t *s, const node_http_limits_t *limits)
{
    s->lim = with_defaults(limits);
    if (s->sweeping && !s->closing) {
        unsigned tick = sweep_tick(&s->lim);
        uv_timer_start(&s->sweep, on_sweep, tick, tick);
    }
}

int node_http_route(node_http_t *s, node_http_handler_fn fn, void *ctx, ledger_err_t *err)
{
    route_t *v = realloc(s->routes, (s->nroutes + 1) * sizeof *v);
    if (!v)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    s->routes = v;
    v[s->nroutes].fn = fn;
    v[s->nroutes++].ctx = ctx;
    return 0;
}

int node_http_route_replace(node_http_t *s, size_t i, node_http_handler_fn fn, void *ctx,
                            ledger_err_t *err)
{
    if (i >= s->nroutes)
        return ledger_err_set(err, LEDGER_EINVAL, "no HTTP route %zu (%zu routes)", i,
                              s->nroutes);
    s->routes[i].fn = fn;
    s->routes[i].ctx = ctx;
    return 0;
}

static void on_listener_closed(uv_handle_t *h)
{
    node_http_t *s = h->data;
    free(h);
    s->handles--;
    srv_maybe_free(s);
}

int node_http_listen(node_http_t *s, const char *addr, ledger_err_t *err)
{
    char host[300];
    const char *colon = strrchr(addr, ':');
    struct sockaddr_storage sa;
    int port, rc;
    size_t hl;
    char *end;
    long p;
    uv_tcp_t *l;
    if (!colon || colon == addr)
        return ledger_err_set(err, LEDGER_EINPUT, "--http %s: give IP:PORT", addr);
    if (strlen(addr) >= sizeof s->listen_addr)
        return ledger_err_set(err, LEDGER_EINPUT, "--http: address too long");
    hl = (size_t)(colon - addr);
    if (addr[0] == '[' && hl >= 2 && addr[hl - 1] == ']') {
        memcpy(host, addr + 1, hl - 2);
        host[hl - 2] = '\0';
    } else {
        memcpy(host, addr, hl);
        host[hl] = '\0';
    }
    p = strtol(colon + 1, &end, 10);
    if (*end || p < 1 || p > 65535)
        return ledger_err_set(err, LEDGER_EINPUT, "--http: \"%s\" is not a port 1..65535",
                              colon + 1);
    port = (int)p;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&sa) &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&sa))
        return ledger_err_set(err, LEDGER_EINPUT, "--http: %s is not an IP address", host);
    if (!(l = malloc(sizeof *l)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    uv_tcp_init(s->loop, l);
    l->data = s;
    s->handles++;
    if ((rc = uv_tcp_bind(l, (struct sockaddr *)&sa, 0)) ||
        (rc = uv_listen((uv_stream_t *)l, NODE_HTTP_BACKLOG, on_incoming))) {
        uv_close((uv_handle_t *)l, on_listener_closed);
        return ledger_err_set(err, LEDGER_EIO, "cannot serve HTTP on %s: %s", addr,
                              uv_strerror(rc));
    }
    if (s->listener) /* moved: the old address stops taking connections */
        uv_close((uv_handle_t *)s->listener, on_listener_closed);
    s->listener = l;
    snprintf(s->listen_addr, sizeof s->listen_addr, "%s", addr);
    return 0;
}

const char *node_http_listening(const node_http_t *s)
{
    return s->listener ? s->listen_addr : NULL;
}

void node_http_close(node_http_t *s)
{
    if (!s || s->closing)
        return;
    s->closing = 1;
    if (s->listener)
        uv_close((uv_handle_t *)s->listener, on_listener_closed);
    s->listener = NULL;
    if (s->sweeping)
        uv_close((uv_handle_t *)&s->sweep, on_srv_handle_closed);
    for (conn_t *c = s->conns; c; c = c->next)
        conn_close(c);
    srv_maybe_free(s);
}

size_t node_http_connections(const node_http_t *s)
{
    return s->nconns;
}

int node_http_drive(node_http_t *s, const uint8_t *data, size_t len, size_t chunk,
                    ledger_buf_t *out)
{
    conn_t *c = conn_new(s);
    int closed;
    if (!c)
        return LEDGER_ENOMEM;
    c->vout = out;
    snprintf(c->peer, sizeof c->peer, "fuzz");
    if (!chunk)
        chunk = len;
    for (size_t off = 0; off < len && !c->close_after; off += chunk)
        conn_feed(c, (const char *)data + off, len - off < chunk ? len - off : chunk);
    while (c->paused && !c->close_after && !c->waiting) /* nobody to wait for: drain at once */
        conn_resume(c);
    closed = c->close_after || c->closing;
    c->closing = 1;
    conn_free(c);
    return closed;
}
