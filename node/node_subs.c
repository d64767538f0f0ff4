/* node_subs.c -- live subscriptions over WebSocket (node_subs.h).
 *
 * One sub_t per subscription, in a list of the node_subs_t.  It is made by
 * node_subs_start (counted from then on against NODE_SUBS_MAX), handed to
 * node_http as the upgrade's context, gets its stream in opened, the
 * client's bytes in data (fed to its node_ws_rx_t: a ping is answered with
 * a pong, a close with a close and the end of the connection, a violation
 * with a close of its code) and is freed in closed, which node_http calls
 * exactly once whatever happened.
 *
 * Its cursor `after` is the last local position of the store it has
 * looked at; node_subs_poll moves every cursor towards the store's end
 * with node_query_since (the same matching as GET /events, restricted to
 * the new positions), in steps of at most STEP positions and
 * NODE_SUBS_EVENTS_PER_DOC events, each non-empty one sent as an
 * EPCISQueryDocument text frame (JSON-LD, or EPCIS 2.0 XML when the
 * opening's Accept asked for application/xml or text/xml, as the query
 * routes negotiate), up to a window of positions per poll.
 * Backpressure: no step starts while a quarter of NODE_SUBS_QUEUE_MAX
 * waits unsent; a subscriber that stays above that mark for
 * NODE_SUBS_STALL_MS, or whose unsent bytes would pass NODE_SUBS_QUEUE_MAX,
 * is closed (no close frame: it does not read).
 */
#include "node_subs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ledger_epcis.h"
#include "node_ws.h"

#define WINDOW_MIN 256
/* positions one node_query_since looks at, at most (a step) */
#define STEP 1000

typedef struct sub sub_t;

struct sub {
    node_subs_t *owner;
    sub_t *next, *prev;
    node_http_stream_t *st; /* NULL until opened, and after a close was asked */
    char id[40];
    char name[200];
    char created[40];
    char *params;
    int all_feeds;
    uint64_t after;
    int64_t init_rt;
    uint64_t init_upto;
    int report_if_empty; /* still to do: the first look sends even an empty document */
    uint64_t last_rx_ms, last_ping_ms;
    uint64_t sent;
    uint64_t stalled_ms; /* since when it has over a quarter of the queue unsent (0: not) */
    int behind;          /* the last poll did not reach the store's end */
    node_ws_rx_t rx;
    int failed; /* a query error was sent: no more polling */
    int xml;    /* the opening's Accept asked for XML: EPCIS 2.0 XML documents */
};

struct node_subs {
    uv_loop_t *loop;
    node_query_t *q;
    sub_t *subs;
    size_t n;
    uint64_t rr; /* which subscription starts the next poll */
};

static uint64_t now_ms(const node_subs_t *s)
{
    return s->loop ? uv_now(s->loop) : 0;
}

static int problem(node_http_resp_t *resp, int status, const char *exc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int problem(node_http_resp_t *resp, int status, const char *exc, const char *fmt, ...)
{
    char d[800];
    va_list ap;
    int rc;
    va_start(ap, fmt);
    vsnprintf(d, sizeof d, fmt, ap);
    va_end(ap);
    rc = node_http_resp_exception(resp, status, exc, "%s", d);
    return rc < 0 ? rc : 1;
}

/* ---- one subscriber ---------------------------------------------------------- */

static void sub_close(sub_t *u, unsigned code, const char *reason)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    node_http_stream_t *st = u->st;
    if (!st)
        return;
    u->st = NULL;
    if (code && node_ws_close_frame(&b, code, reason) == 0)
        node_http_stream_send(st, b.data, b.len);
    ledger_buf_free(&b);
    node_http_stream_close(st);
}

/* Sends one frame; drops a subscriber that does not read.  0, or -1 when
 * it is closed. */
static int sub_send(sub_t *u, int opcode, const void *p, size_t n)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    int rc;
    if (!u->st)
        return -1;
    if (node_http_stream_queued(u->st) + n > NODE_SUBS_QUEUE_MAX) {
        node_http_stream_t *st = u->st;
        u->st = NULL; /* no close frame: it would only queue behind the rest */
        node_http_stream_close(st);
        return -1;
    }
    rc = node_ws_frame(&b, opcode, p, n);
    if (rc == 0)
        rc = node_http_stream_send(u->st, b.data, b.len);
    ledger_buf_free(&b);
    if (rc) {
        sub_close(u, 0, NULL);
        return -1;
    }
    return 0;
}

/* Sends events (stolen) as EPCISQueryDocuments of at most
 * NODE_SUBS_EVENTS_PER_DOC events. 0, -1 when closed. */
static int send_doc(sub_t *u, json_t *events)
{
    json_t *doc;
    char *text;
    int rc;
    while (json_array_size(events) > NODE_SUBS_EVENTS_PER_DOC) {
        json_t *part = json_array();
        for (size_t i = 0; part && i < NODE_SUBS_EVENTS_PER_DOC; i++)
            json_array_append(part, json_array_get(events, i));
        for (size_t i = 0; part && i < NODE_SUBS_EVENTS_PER_DOC; i++)
            json_array_remove(events, 0);
        if (!part || send_doc(u, part) < 0) {
            json_decref(events);
            return -1;
        }
        u->sent += NODE_SUBS_EVENTS_PER_DOC;
    }
    u->sent += json_array_size(events);
    if (u->xml) {
        size_t len;
        ledger_err_t err;
        rc = node_query_xml_document(u->owner->q, u->name, u->id, events, &text, &len, &err);
        json_decref(events);
        if (rc == LEDGER_EINPUT) { /* a stored event XML cannot hold: say which, and stop */
            char why[120];
            snprintf(why, sizeof why, "an event has no EPCIS XML form: %.80s", err.msg);
            u->failed = 1;
            sub_close(u, 1011, why);
            return -1;
        }
        if (rc < 0)
            return -1;
        rc = sub_send(u, NODE_WS_TEXT, text, len);
        free(text);
        return rc;
    }
    if (!(doc = node_query_document(u->name, u->id, events)))
        return -1;
    text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return -1;
    rc = sub_send(u, NODE_WS_TEXT, text, strlen(text));
    free(text);
    return rc;
}

/* Moves u's cursor, reading at most about window positions, sending what
 * matched: a step reads at most STEP positions and sends at most one
 * document; no step starts while more than a quarter of
 * NODE_SUBS_QUEUE_MAX waits unsent (the cursor waits for the reader).
 * 1 when it is not at the store's end yet, 0 when it is, -1 when closed. */
static int sub_poll(sub_t *u, uint64_t end, uint64_t window)
{
    node_query_since_t q = {
        u->params, u->all_feeds, u->init_rt, u->init_upto, NODE_SUBS_EVENTS_PER_DOC, 0};
    ledger_err_t err;
    uint64_t read = 0;
    int rc;
    while (u->st && !u->failed && u->after < end && read < window &&
           node_http_stream_queued(u->st) <= NODE_SUBS_QUEUE_MAX / 4) {
        json_t *events = NULL;
        uint64_t before = u->after;
        q.upto = end < u->after + STEP ? end : u->after + STEP;
        rc = node_query_since(u->owner->q, &q, &u->after, &events, &err);
        if (rc) {
            char why[150];
            snprintf(why, sizeof why, "the query cannot be run: %.120s", err.msg);
            u->failed = 1;
            sub_close(u, 1011, why);
            return -1;
        }
        read += q.upto - before;
        if (json_array_size(events)) {
            u->report_if_empty = 0;
            if (send_doc(u, events) < 0)
                return -1;
        } else
            json_decref(events);
        if (u->after == before) /* nothing more to look at */
            break;
    }
    if (u->report_if_empty && u->st) { /* the first look found nothing */
        json_t *events = json_array();
        u->report_if_empty = 0;
        if (!events || send_doc(u, events) < 0)
            return -1;
    }
    return u->st ? u->after < end : -1;
}

static int on_msg(void *ctx, int opcode, const uint8_t *data, size_t len)
{
    sub_t *u = ctx;
    if (opcode == NODE_WS_PING)
        return sub_send(u, NODE_WS_PONG, data, len) < 0;
    if (opcode == NODE_WS_CLOSE) {
        unsigned code = len >= 2 ? (unsigned)data[0] << 8 | data[1] : 1000;
        /* echo a valid code (§5.5.1), else 1002 */
        int ok = len != 1 && (len == 0 || (code >= 1000 && code < 5000 && code != 1004 &&
                                           code != 1005 && code != 1006 && code != 1015));
        sub_close(u, ok ? (len ? code : 1000) : 1002, ok ? "" : "bad close frame");
        return 1;
    }
    return 0; /* text, binary, pong: nothing to do */
}

static void up_opened(void *ctx, node_http_stream_t *st)
{
    sub_t *u = ctx;
    u->st = st;
    u->last_rx_ms = u->last_ping_ms = now_ms(u->owner);
    /* the first look: the backlog of initialRecordTime, reportIfEmpty */
    u->behind = sub_poll(u, node_query_entries(u->owner->q), NODE_SUBS_WINDOW) == 1;
}

static void up_data(void *ctx, const uint8_t *p, size_t n)
{
    sub_t *u = ctx;
    const char *why = "";
    int rc;
    if (!u->st)
        return;
    u->last_rx_ms = now_ms(u->owner);
    rc = node_ws_rx_feed(&u->rx, p, n, on_msg, u, &why);
    if (rc >= 1000)
        sub_close(u, (unsigned)rc, why);
    else if (rc < 0)
        sub_close(u, 1011, "out of memory");
}

static void up_closed(void *ctx)
{
    sub_t *u = ctx;
    node_subs_t *s = u->owner;
    if (u->prev)
        u->prev->next = u->next;
    else if (s->subs == u)
        s->subs = u->next;
    if (u->next)
        u->next->prev = u->prev;
    s->n--;
    node_ws_rx_free(&u->rx);
    free(u->params);
    free(u);
}

/* A write finished: a subscriber catching up on a backlog gets its next
 * steps as fast as it reads, not only at the next poll. */
static void up_written(void *ctx, size_t queued)
{
    sub_t *u = ctx;
    if (u->st && !u->failed && queued <= NODE_SUBS_QUEUE_MAX / 8 && u->behind)
        u->behind = sub_poll(u, node_query_entries(u->owner->q), NODE_SUBS_WINDOW / 4) == 1;
}

static const node_http_upgrade_ops_t ops = {up_opened, up_data, up_closed, up_written};

/* ---- the module ---------------------------------------------------------------- */

int node_subs_new(uv_loop_t *loop, node_query_t *q, node_subs_t **out, ledger_err_t *err)
{
    node_subs_t *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    s->loop = loop;
    s->q = q;
    *out = s;
    return 0;
}

void node_subs_free(node_subs_t *s)
{
    if (!s)
        return;
    /* connections still open would call up_closed later: the HTTP server
     * must be closed first (node.c does); whatever is left is unlinked */
    while (s->subs) {
        sub_t *u = s->subs;
        s->subs = u->next;
        node_ws_rx_free(&u->rx);
        free(u->params);
        free(u);
    }
    free(s);
}

static int flag(const node_http_req_t *req, const char *name, int *out, node_http_resp_t *resp)
{
    char v[16];
    *out = 0;
    if (!node_http_query(req, name, v, sizeof v))
        return 0;
    if (!strcmp(v, "true"))
        *out = 1;
    else if (strcmp(v, "false"))
        return problem(resp, 400, "SubscriptionControlsException", "%s: true or false", name);
    return 0;
}

int node_subs_start(node_subs_t *s, const node_http_req_t *req, const char *name,
                    const char *params, node_http_resp_t *resp)
{
    static const char *const schedule[] = {"second",     "minute", "hour",
                                           "dayOfMonth", "month",  "dayOfWeek"};
    char accept[NODE_WS_ACCEPT_LEN + 1], irt[80] = "", v[64];
    const char *why = NULL;
    int rc = node_ws_handshake(req, accept, &why), stream, rie;
    int64_t irt_ms = 0;
    uint8_t rnd[16];
    sub_t *u;
    if (rc == 1)
        return 0;
    if (rc) {
        if (!strncmp(why, "version", 7)) {
            if ((rc = node_http_resp_header(resp, "Sec-WebSocket-Version", "13")))
                return rc;
            return problem(resp, 426, "SubscriptionControlsException", "%s", why);
        }
        return problem(resp, 400, "SubscriptionControlsException", "not a WebSocket opening: %s",
                       why);
    }
    for (size_t i = 0; i < sizeof schedule / sizeof schedule[0]; i++)
        if (node_http_query(req, schedule[i], v, sizeof v))
            return problem(resp, 400, "SubscriptionControlsException",
                           "%s: scheduled subscriptions are not supported; use stream=true",
                           schedule[i]);
    if ((rc = flag(req, "stream", &stream, resp)) || (rc = flag(req, "reportIfEmpty", &rie, resp)))
        return rc;
    if (!stream)
        return problem(resp, 400, "SubscriptionControlsException",
                       "give stream=true: a subscription without a schedule must ask for the "
                       "stream (the EPCIS 2.0 REST binding)");
    if (!node_http_query(req, "initialRecordTime", irt, sizeof irt))
        irt[0] = '\0';
    else {
        const char *w = NULL;
        if (!irt[0] || ledger_epcis_time_ms(irt, &irt_ms, &w))
            return problem(resp, 400, "SubscriptionControlsException",
                           "initialRecordTime: \"%.60s\" is not a date-time with a zone", irt);
    }
    if (s->n >= NODE_SUBS_MAX) {
        if ((rc = node_http_resp_header(resp, "Retry-After", "10")))
            return rc;
        return problem(resp, 503, "ImplementationException", "%d subscriptions are open already",
                       NODE_SUBS_MAX);
    }
    if (!(u = calloc(1, sizeof *u)) || !(u->params = strdup(params))) {
        free(u);
        return LEDGER_ENOMEM;
    }
    u->owner = s;
    snprintf(u->name, sizeof u->name, "%s", name);
    randombytes_buf(rnd, sizeof rnd);
    for (int i = 0; i < 16; i++)
        snprintf(u->id + 2 * i, 3, "%02x", rnd[i]);
    {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(u->created, sizeof u->created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    u->all_feeds = node_query_all_feeds(s->q, req);
    u->report_if_empty = rie;
    u->xml = node_query_wants_xml(req);
    u->after = node_query_entries(s->q);
    if (irt[0]) {
        u->init_rt = irt_ms;
        u->init_upto = u->after;
        u->after = 0;
    }
    u->next = s->subs;
    if (s->subs)
        s->subs->prev = u;
    s->subs = u;
    s->n++;
    if ((rc = node_http_resp_header(resp, "Upgrade", "websocket")) ||
        (rc = node_http_resp_header(resp, "Sec-WebSocket-Accept", "%s", accept)) ||
        (rc = node_http_resp_header(resp, "GS1-Query-Subscription-ID", "%s", u->id)) ||
        (irt[0] && (rc = node_http_resp_header(resp, "GS1-Query-Min-Record-Time", "%s", irt)))) {
        up_closed(u);
        return rc;
    }
    node_http_resp_upgrade(resp, &ops, u);
    return 1;
}

void node_subs_poll(node_subs_t *s)
{
    uint64_t end, now, window;
    size_t i = 0, start;
    sub_t *u, *next;
    if (!s || !s->n)
        return;
    end = node_query_entries(s->q);
    now = now_ms(s);
    window = NODE_SUBS_WINDOW / s->n;
    if (window < WINDOW_MIN)
        window = WINDOW_MIN;
    start = (size_t)(s->rr++ % s->n);
    /* two passes over the list, starting at a different one each poll, so
     * that a long backlog of one does not always go first */
    for (int pass = 0; pass < 2; pass++)
        for (u = s->subs, i = 0; u; u = next, i++) {
            next = u->next;
            if ((pass == 0) != (i >= start) || !u->st)
                continue;
            if (now - u->last_rx_ms > NODE_SUBS_DEAD_MS) {
                sub_close(u, 1001, "no answer to pings");
                continue;
            }
            if (now - u->last_ping_ms >= NODE_SUBS_PING_MS) {
                u->last_ping_ms = now;
                if (sub_send(u, NODE_WS_PING, "keten", 5) < 0)
                    continue;
            }
            if (node_http_stream_queued(u->st) > NODE_SUBS_QUEUE_MAX / 4) {
                /* it does not read: its cursor waits; for long, it goes */
                if (!u->stalled_ms)
                    u->stalled_ms = now ? now : 1;
                else if (now - u->stalled_ms > NODE_SUBS_STALL_MS) {
                    node_http_stream_t *st = u->st;
                    u->st = NULL; /* no close frame: it would not read it */
                    node_http_stream_close(st);
                }
                continue;
            }
            u->stalled_ms = 0;
            if (!u->failed && u->after < end)
                u->behind = sub_poll(u, end, window) == 1;
        }
}

void node_subs_drop(node_subs_t *s, const char *name)
{
    for (sub_t *u = s->subs, *next; u; u = next) {
        next = u->next;
        if (!strcmp(u->name, name))
            sub_close(u, 1001, "the query was deleted");
    }
}

json_t *node_subs_list(node_subs_t *s, const char *name)
{
    json_t *l = json_array();
    for (sub_t *u = s->subs; u && l; u = u->next)
        if (u->st && !strcmp(u->name, name) &&
            json_array_append_new(l, json_pack("{s:s, s:b, s:s, s:I}", "subscriptionID", u->id,
                                               "stream", 1, "createdAt", u->created,
                                               "keten:eventsSent", (json_int_t)u->sent))) {
            json_decref(l);
            return NULL;
        }
    return l;
}

size_t node_subs_count(const node_subs_t *s)
{
    return s ? s->n : 0;
}
