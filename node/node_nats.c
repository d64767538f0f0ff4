/* node_nats.c -- every event the node holds published to NATS JetStream
 * (contract: node_nats.h; docs/stream.md).
 *
 * How it works.  The loop side keeps, per feed, `acked` (every seq up to it
 * acknowledged by JetStream), `next` (the next seq to hand over) and
 * `saved` (what the store holds).  node_nats_poll reads entries next..head
 * from the store (ledger_store_get), builds one natsMsg each (no I/O) and
 * appends them, tagged with the connection epoch the loop knows, to the
 * queue of the publisher thread, while fewer than NODE_NATS_WINDOW are
 * unresolved.
 *
 * The publisher thread owns the connection: it connects (reconnecting is
 * ours, not libnats's: on any failure the connection is dropped whole),
 * makes sure the stream exists with a subject that takes <prefix>.>, and
 * publishes the queue with js_PublishMsgAsync.  Items of another epoch
 * than the connection's are dropped unpublished.  libnats calls on_ack on
 * its thread for every message (positive, error, or no answer within
 * NODE_NATS_ACK_WAIT_MS); it queues a result for the loop and wakes it with
 * uv_async_send.  A failed message marks the connection broken: the thread
 * tears it down (from then on its acknowledgements are ignored; what was
 * still pending is counted back to the loop as dropped), tells the loop
 * DOWN and connects again after a backoff.
 *
 * The loop takes results in order: an acknowledgement of acked + 1 moves
 * acked; DOWN puts every feed's next back to acked + 1; UP gives the new
 * epoch.  Since one connection carries a feed's messages in seq order and
 * the server stores them in the order it reads them, a feed's messages in
 * the stream are in seq order and, with Nats-Msg-Id, each there once.
 */
#include "node_nats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#include "ledger_entry.h"
#include "ledger_epcis.h"
#include "ledger_epcis_export.h"
#include "ledger_streampos.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000
#define CONNECT_TIMEOUT_MS 2000
#define SERVERS_MAX NODE_STREAM_SERVERS_MAX
#define STABLE_MS 10000 /* a connection up this long resets the backoff */

enum { ST_CONNECTING, ST_CONNECTED, ST_DOWN };
enum { R_ACK, R_DROP, R_UP, R_DOWN, R_LOG };

typedef struct feed_pos {
    uint8_t feed[32];
    uint64_t acked, next, saved;
} feed_pos_t;

typedef struct item {
    natsMsg *msg;
    unsigned epoch;
} item_t;

typedef struct result {
    int type;
    int ok;
    unsigned epoch;
    uint8_t feed[32];
    uint64_t seq; /* R_ACK: the seq; R_DROP: how many */
    char *text;   /* R_UP: the server URL; R_DOWN, R_LOG: the line (malloc'd) */
} result_t;

/* One connection of the publisher thread; kept until the thread ends,
 * since libnats may still call on_ack while it is torn down. */
typedef struct conn {
    struct node_nats *nn;
    struct conn *next;
    unsigned epoch;
    int dead;         /* torn down: its callbacks are ignored */
    uint64_t pending; /* published, not yet acknowledged */
    natsConnection *nc;
    jsCtx *js;
} conn_t;

struct node_nats {
    uv_loop_t *loop;
    ledger_store_t *st;
    node_stream_conf_t conf;
    node_nats_log_cb log;
    node_nats_wake_cb wake;
    void *log_ctx;
    /* loop thread only */
    feed_pos_t *feeds; /* sorted by feed */
    size_t nfeeds, cap, rr;
    uint64_t inflight; /* handed over, not yet resolved */
    uint64_t published, acked_msgs;
    unsigned epoch;
    int state;
    char server[300];
    char error[600];
    char last_down[600]; /* the last DOWN cause logged */
    int quiet_up;        /* the last DOWN was not logged: nor is the next UP */
    ledger_buf_t body;
    uv_async_t async;
    int async_on;
    pthread_t thr;
    int thr_on;
    /* shared, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    item_t *q;
    size_t qn, qcap;
    result_t *r;
    size_t rn, rcap;
    int stop;
    int broken;
    char broken_why[400];
    conn_t *conns;
};

static void logf_(node_nats_t *nn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(node_nats_t *nn, const char *fmt, ...)
{
    char line[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (nn->log)
        nn->log(nn->log_ctx, line);
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- results: libnats and publisher threads -> loop (mu held) ------------ */

static void push_result(node_nats_t *nn, const result_t *r)
{
    if (nn->rn == nn->rcap) {
        size_t cap = nn->rcap ? nn->rcap * 2 : 1024;
        result_t *v = realloc(nn->r, cap * sizeof *v);
        if (!v) { /* nothing to do but lose it: the ack wait drops the connection */
            free(r->text);
            return;
        }
        nn->r = v;
        nn->rcap = cap;
    }
    nn->r[nn->rn++] = *r;
}

static void push_text(node_nats_t *nn, int type, unsigned epoch, const char *text)
{
    result_t r = {.type = type, .epoch = epoch, .text = strdup(text)};
    push_result(nn, &r);
}

/* ---- the publisher thread ------------------------------------------------ */

static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    conn_t *c = closure;
    node_nats_t *nn = c->nn;
    const char *fh = NULL, *sq = NULL;
    result_t r = {.type = R_ACK, .ok = pa != NULL};
    int wake = 0;
    (void)js;
    natsMsgHeader_Get(msg, "Keten-Feed", &fh);
    natsMsgHeader_Get(msg, "Keten-Seq", &sq);
    if (fh && sq && strlen(fh) == 64 && ledger_unhex(fh, r.feed, 32) == 0)
        r.seq = strtoull(sq, NULL, 10);
    pthread_mutex_lock(&nn->mu);
    if (!c->dead) {
        r.epoch = c->epoch;
        c->pending--;
        push_result(nn, &r);
        wake = 1;
        if (!pa && !nn->broken) {
            nn->broken = 1;
            snprintf(nn->broken_why, sizeof nn->broken_why, "%s:%s: %s",
                     fh ? fh : "?", sq ? sq : "?",
                     pae && pae->ErrText ? pae->ErrText
                     : pae              ? natsStatus_GetText(pae->Err)
                                        : "no acknowledgement");
            pthread_cond_signal(&nn->cv);
        }
    }
    pthread_mutex_unlock(&nn->mu);
    if (wake) /* a dead connection's callbacks may come after the handle is closed */
        uv_async_send(&nn->async);
    natsMsg_Destroy(msg);
}

static void on_closed(natsConnection *nc, void *closure)
{
    conn_t *c = closure;
    node_nats_t *nn = c->nn;
    (void)nc;
    pthread_mutex_lock(&nn->mu);
    if (!c->dead && !nn->broken) {
        nn->broken = 1;
        snprintf(nn->broken_why, sizeof nn->broken_why, "connection lost");
        pthread_cond_signal(&nn->cv);
    }
    pthread_mutex_unlock(&nn->mu);
}

/* The reason of the last libnats failure s, into out. */
static void nats_why(natsStatus s, char *out, size_t cap)
{
    const char *last = nats_GetLastError(NULL), *p;
    /* libnats's text is "(file.c:123): words": the words are enough */
    if (last && last[0] == '(' && (p = strstr(last, "): ")))
        last = p + 3;
    snprintf(out, cap, "%s", last && *last ? last : natsStatus_GetText(s));
}

/* Makes sure the stream exists and takes <prefix>.>.  0, or -1 with why. */
static int ensure_stream(node_nats_t *nn, jsCtx *js, char *why, size_t cap)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    char subj[256];
    natsStatus s;
    int rc = -1;
    snprintf(subj, sizeof subj, "%s.>", nn->conf.prefix);
    s = js_GetStreamInfo(&si, js, nn->conf.name, NULL, &jerr);
    if (s == NATS_NOT_FOUND) {
        jsStreamConfig cfg;
        const char *subjects[1] = {subj};
        jsStreamConfig_Init(&cfg);
        cfg.Name = nn->conf.name;
        cfg.Subjects = subjects;
        cfg.SubjectsLen = 1;
        cfg.Storage = js_FileStorage;
        s = js_AddStream(&si, js, &cfg, NULL, &jerr);
        if (s != NATS_OK) {
            char w[400];
            nats_why(s, w, sizeof w);
            snprintf(why, cap, "cannot create stream %s: %s (JetStream error %d)", nn->conf.name,
                     w, (int)jerr);
            goto out;
        }
    } else if (s != NATS_OK) {
        char w[400];
        nats_why(s, w, sizeof w);
        snprintf(why, cap, "cannot read stream %s: %s (JetStream error %d)", nn->conf.name, w,
                 (int)jerr);
        goto out;
    }
    for (int i = 0; si->Config && i < si->Config->SubjectsLen; i++)
        if (!strcmp(si->Config->Subjects[i], subj) || !strcmp(si->Config->Subjects[i], ">")) {
            rc = 0;
            goto out;
        }
    {
        size_t o = 0;
        o += (size_t)snprintf(why, cap, "stream %s exists with subjects [", nn->conf.name);
        for (int i = 0; si->Config && i < si->Config->SubjectsLen && o < cap; i++)
            o += (size_t)snprintf(why + o, cap - o, "%s%s", i ? ", " : "",
                                  si->Config->Subjects[i]);
        if (o < cap)
            snprintf(why + o, cap - o, "], none of which is %s", subj);
    }
out:
    jsStreamInfo_Destroy(si);
    return rc;
}

/* Connects once; the new connection, or NULL with why. */
static conn_t *connect_once(node_nats_t *nn, char *why, size_t cap)
{
    natsOptions *o = NULL;
    jsOptions jo;
    char buf[NODE_STREAM_STR_MAX], *servers[SERVERS_MAX], *save = NULL, *tok;
    int nserv = 0;
    natsStatus s;
    conn_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(why, cap, "out of memory");
        return NULL;
    }
    c->nn = nn;
    snprintf(buf, sizeof buf, "%s", nn->conf.servers);
    for (tok = strtok_r(buf, ",", &save); tok && nserv < SERVERS_MAX;
         tok = strtok_r(NULL, ",", &save))
        servers[nserv++] = tok;
    if ((s = natsOptions_Create(&o)) != NATS_OK ||
        (s = natsOptions_SetServers(o, (const char **)servers, nserv)) != NATS_OK ||
        (s = natsOptions_SetName(o, "keten node")) != NATS_OK ||
        (s = natsOptions_SetAllowReconnect(o, false)) != NATS_OK ||
        (s = natsOptions_SetTimeout(o, CONNECT_TIMEOUT_MS)) != NATS_OK ||
        (s = natsOptions_SetClosedCB(o, on_closed, c)) != NATS_OK ||
        (s = natsOptions_SetDisconnectedCB(o, on_closed, c)) != NATS_OK)
        goto fail;
    if (nn->conf.creds[0] &&
        (s = natsOptions_SetUserCredentialsFromFiles(o, nn->conf.creds, NULL)) != NATS_OK) {
        snprintf(why, cap, "cannot use the credentials file %.300s: %s", nn->conf.creds,
                 natsStatus_GetText(s));
        goto out;
    }
    if (nn->conf.ca[0] && ((s = natsOptions_SetSecure(o, true)) != NATS_OK ||
                           (s = natsOptions_LoadCATrustedCertificates(o, nn->conf.ca)) != NATS_OK)) {
        snprintf(why, cap, "cannot use the CA file %.300s: %s", nn->conf.ca, natsStatus_GetText(s));
        goto out;
    }
    if ((s = natsConnection_Connect(&c->nc, o)) != NATS_OK) {
        char w[400];
        nats_why(s, w, sizeof w);
        snprintf(why, cap, "cannot connect: %s", w);
        goto out;
    }
    jsOptions_Init(&jo);
    jo.Wait = CONNECT_TIMEOUT_MS;
    jo.PublishAsync.MaxPending = NODE_NATS_WINDOW + 1024;
    jo.PublishAsync.AckHandler = on_ack;
    jo.PublishAsync.AckHandlerClosure = c;
    if ((s = natsConnection_JetStream(&c->js, c->nc, &jo)) != NATS_OK)
        goto fail;
    if (ensure_stream(nn, c->js, why, cap))
        goto out;
    natsOptions_Destroy(o);
    return c;
fail:
    nats_why(s, why, cap);
out:
    natsOptions_Destroy(o);
    jsCtx_Destroy(c->js);
    if (c->nc) {
        pthread_mutex_lock(&nn->mu);
        c->dead = 1; /* on_closed may still come */
        pthread_mutex_unlock(&nn->mu);
        natsConnection_Destroy(c->nc);
        pthread_mutex_lock(&nn->mu);
        c->next = nn->conns;
        nn->conns = c;
        nn->broken = 0; /* set by its on_closed before it was marked dead */
        pthread_mutex_unlock(&nn->mu);
    } else
        free(c);
    return NULL;
}

/* Tears c down (mu held): its pending messages are dropped. */
static void teardown_locked(node_nats_t *nn, conn_t *c, const char *why)
{
    char line[800];
    result_t r = {.type = R_DROP, .epoch = c->epoch};
    c->dead = 1;
    r.seq = c->pending;
    c->pending = 0;
    push_result(nn, &r);
    snprintf(line, sizeof line, "%s", why);
    push_text(nn, R_DOWN, c->epoch, line);
    nn->broken = 0;
}

static void conn_destroy(conn_t *c)
{
    jsCtx_Destroy(c->js);
    c->js = NULL;
    natsConnection_Destroy(c->nc);
    c->nc = NULL;
}

static void publish_items(node_nats_t *nn, conn_t *c, item_t *v, size_t n)
{
    jsPubOptions po;
    uint64_t dropped = 0;
    char why[400];
    jsPubOptions_Init(&po);
    po.MaxWait = NODE_NATS_ACK_WAIT_MS;
    for (size_t i = 0; i < n; i++) {
        int skip;
        pthread_mutex_lock(&nn->mu);
        skip = v[i].epoch != c->epoch || nn->broken || nn->stop;
        if (!skip)
            c->pending++;
        pthread_mutex_unlock(&nn->mu);
        if (!skip) {
            natsStatus s = js_PublishMsgAsync(c->js, &v[i].msg, &po);
            if (s != NATS_OK) {
                const char *id = NULL;
                nats_why(s, why, sizeof why);
                natsMsgHeader_Get(v[i].msg, "Nats-Msg-Id", &id);
                pthread_mutex_lock(&nn->mu);
                c->pending--;
                if (!nn->broken) {
                    nn->broken = 1;
                    snprintf(nn->broken_why, sizeof nn->broken_why, "cannot publish %.140s: %.200s",
                             id ? id : "a message", why);
                }
                pthread_mutex_unlock(&nn->mu);
                skip = 1;
            }
        }
        dropped += skip;
        natsMsg_Destroy(v[i].msg); /* no-op when libnats took it */
    }
    if (dropped) {
        result_t r = {.type = R_DROP, .epoch = c->epoch, .seq = dropped};
        pthread_mutex_lock(&nn->mu);
        push_result(nn, &r);
        pthread_mutex_unlock(&nn->mu);
        uv_async_send(&nn->async);
    }
}

static void *run(void *arg)
{
    node_nats_t *nn = arg;
    conn_t *c = NULL;
    unsigned epoch = 0, attempts = 0;
    uint64_t next_try = 0, up_since = 0;
    char why[800], last_why[800] = "";
    item_t *batch = NULL;
    size_t bcap = 0;

    pthread_mutex_lock(&nn->mu);
    for (;;) {
        if (nn->stop)
            break;
        if (c && nn->broken) {
            conn_t *old = c;
            char w[600];
            if (!natsConnection_IsClosed(c->nc)) {
                /* a publish failed but the connection lives: take in the
                 * acknowledgements of what went before it first, or a
                 * message refused for good would keep its predecessors
                 * unacknowledged forever */
                jsPubOptions po;
                jsPubOptions_Init(&po);
                po.MaxWait = CONNECT_TIMEOUT_MS;
                pthread_mutex_unlock(&nn->mu);
                js_PublishAsyncComplete(c->js, &po);
                pthread_mutex_lock(&nn->mu);
            }
            snprintf(w, sizeof w, "%s", nn->broken_why);
            teardown_locked(nn, c, w);
            c = NULL;
            /* a connection that failed soon after it was made (a message
             * the server refuses every time) backs off like a failed
             * connect; one that served a while starts again quickly */
            if (mono_ms() - up_since >= STABLE_MS)
                attempts = 0;
            {
                unsigned sh = attempts < 7 ? attempts : 7;
                uint64_t wait = (uint64_t)BACKOFF_MIN_MS << sh;
                attempts++;
                next_try = mono_ms() + (wait > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : wait);
            }
            pthread_mutex_unlock(&nn->mu);
            uv_async_send(&nn->async);
            conn_destroy(old);
            pthread_mutex_lock(&nn->mu);
            continue;
        }
        if (!c && mono_ms() >= next_try) {
            pthread_mutex_unlock(&nn->mu);
            c = connect_once(nn, why, sizeof why);
            pthread_mutex_lock(&nn->mu);
            if (c) {
                c->epoch = ++epoch;
                c->next = nn->conns;
                nn->conns = c;
                /* broken is not cleared here: the connection may have
                 * closed already (on_closed), and then it goes at once */
                up_since = mono_ms();
                last_why[0] = 0;
                char url[300] = "";
                natsConnection_GetConnectedUrl(c->nc, url, sizeof url);
                push_text(nn, R_UP, c->epoch, url);
            } else {
                unsigned sh = attempts < 7 ? attempts : 7;
                uint64_t wait = (uint64_t)BACKOFF_MIN_MS << sh;
                attempts++;
                next_try = mono_ms() + (wait > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : wait);
                if (strcmp(why, last_why)) {
                    push_text(nn, R_LOG, epoch, why);
                    snprintf(last_why, sizeof last_why, "%s", why);
                }
            }
            pthread_mutex_unlock(&nn->mu);
            uv_async_send(&nn->async);
            pthread_mutex_lock(&nn->mu);
            continue;
        }
        if (c && nn->qn) {
            size_t n = nn->qn;
            if (n > bcap) {
                item_t *b = realloc(batch, n * sizeof *b);
                if (!b)
                    n = bcap; /* take what fits */
                else {
                    batch = b;
                    bcap = n;
                }
            }
            memcpy(batch, nn->q, n * sizeof *batch);
            memmove(nn->q, nn->q + n, (nn->qn - n) * sizeof *nn->q);
            nn->qn -= n;
            pthread_mutex_unlock(&nn->mu);
            publish_items(nn, c, batch, n);
            pthread_mutex_lock(&nn->mu);
            continue;
        }
        if (!c && nn->qn) { /* items of a dead epoch: resolved as dropped */
            result_t r = {.type = R_DROP, .seq = nn->qn};
            for (size_t i = 0; i < nn->qn; i++)
                natsMsg_Destroy(nn->q[i].msg);
            nn->qn = 0;
            push_result(nn, &r);
            pthread_mutex_unlock(&nn->mu);
            uv_async_send(&nn->async);
            pthread_mutex_lock(&nn->mu);
            continue;
        }
        {
            struct timespec ts;
            uint64_t wait_ms = 200;
            if (!c && next_try > mono_ms() && next_try - mono_ms() < wait_ms)
                wait_ms = next_try - mono_ms();
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += (long)(wait_ms * 1000000);
            ts.tv_sec += ts.tv_nsec / 1000000000;
            ts.tv_nsec %= 1000000000;
            pthread_cond_timedwait(&nn->cv, &nn->mu, &ts);
        }
    }
    if (c)
        teardown_locked(nn, c, "stopping");
    for (size_t i = 0; i < nn->qn; i++)
        natsMsg_Destroy(nn->q[i].msg);
    nn->qn = 0;
    pthread_mutex_unlock(&nn->mu);
    if (c)
        conn_destroy(c);
    free(batch);
    return NULL;
}

/* ---- the loop side -------------------------------------------------------- */

static feed_pos_t *feed_find(node_nats_t *nn, const uint8_t feed[32], int add)
{
    size_t lo = 0, hi = nn->nfeeds;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = memcmp(nn->feeds[mid].feed, feed, 32);
        if (c == 0)
            return &nn->feeds[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!add)
        return NULL;
    if (nn->nfeeds == nn->cap) {
        size_t cap = nn->cap ? nn->cap * 2 : 16;
        feed_pos_t *v = realloc(nn->feeds, cap * sizeof *v);
        if (!v)
            return NULL;
        nn->feeds = v;
        nn->cap = cap;
    }
    memmove(nn->feeds + lo + 1, nn->feeds + lo, (nn->nfeeds - lo) * sizeof *nn->feeds);
    nn->nfeeds++;
    memset(&nn->feeds[lo], 0, sizeof nn->feeds[lo]);
    memcpy(nn->feeds[lo].feed, feed, 32);
    nn->feeds[lo].next = 1;
    return &nn->feeds[lo];
}

static void rewind_all(node_nats_t *nn)
{
    for (size_t i = 0; i < nn->nfeeds; i++)
        nn->feeds[i].next = nn->feeds[i].acked + 1;
}

static void on_async(uv_async_t *h)
{
    node_nats_t *nn = h->data;
    result_t *v;
    size_t n;
    int resolved = 0;
    pthread_mutex_lock(&nn->mu);
    v = nn->r;
    n = nn->rn;
    nn->r = NULL;
    nn->rn = nn->rcap = 0;
    pthread_mutex_unlock(&nn->mu);
    for (size_t i = 0; i < n; i++) {
        result_t *r = &v[i];
        feed_pos_t *f;
        switch (r->type) {
        case R_ACK:
            if (nn->inflight)
                nn->inflight--;
            if (r->ok && (f = feed_find(nn, r->feed, 0)) && r->seq == f->acked + 1) {
                f->acked = r->seq;
                if (f->next <= f->acked)
                    f->next = f->acked + 1;
                nn->acked_msgs++;
            }
            break;
        case R_DROP:
            nn->inflight = nn->inflight > r->seq ? nn->inflight - r->seq : 0;
            break;
        case R_UP:
            nn->epoch = r->epoch;
            nn->state = ST_CONNECTED;
            snprintf(nn->server, sizeof nn->server, "%s", r->text ? r->text : "");
            nn->error[0] = 0;
            rewind_all(nn);
            if (!nn->quiet_up)
                logf_(nn, "stream: connected to %s, publishing to JetStream stream %s",
                      nn->server, nn->conf.name);
            nn->quiet_up = 0;
            break;
        case R_DOWN:
            /* once per distinct cause: a message refused again and again
             * is one line, not one per retry */
            if (nn->state == ST_CONNECTED && strcmp(r->text ? r->text : "", "stopping") &&
                strcmp(r->text ? r->text : "", nn->last_down)) {
                logf_(nn, "stream: %s: %s; connecting again (the ledger goes on meanwhile)",
                      nn->server, r->text ? r->text : "");
                snprintf(nn->last_down, sizeof nn->last_down, "%s", r->text ? r->text : "");
            } else if (nn->state == ST_CONNECTED)
                nn->quiet_up = 1; /* the same cause again: its reconnect is not news either */
            snprintf(nn->error, sizeof nn->error, "%s", r->text ? r->text : "");
            nn->state = ST_DOWN;
            rewind_all(nn);
            break;
        case R_LOG:
            logf_(nn, "stream: %s: %s", nn->conf.servers, r->text ? r->text : "");
            snprintf(nn->error, sizeof nn->error, "%s", r->text ? r->text : "");
            break;
        }
        resolved |= r->type == R_ACK || r->type == R_DROP || r->type == R_UP;
        free(r->text);
    }
    free(v);
    /* the window has room again: hand over more without waiting for a tick */
    if (resolved && !nn->stop && nn->state == ST_CONNECTED && nn->inflight < NODE_NATS_WINDOW / 2 &&
        nn->wake)
        nn->wake(nn->log_ctx);
}

typedef struct build {
    node_nats_t *nn;
    natsMsg *msg;
    ledger_err_t *err;
} build_t;

static int build_msg(const ledger_stored_t *s, void *ctx)
{
    build_t *b = ctx;
    node_nats_t *nn = b->nn;
    char fhex[65], ehash[65], evhash[96] = "", subject[400], id[100], seqs[24], rec[24];
    const char *type = s->e.payload ? "entry" : "sealed";
    json_t *ev = NULL;
    natsStatus st;
    int rc = 0;

    ledger_hex(s->e.h.feed, 32, fhex);
    nn->body.len = 0;
    if (s->e.payload && s->e.h.ptype == LEDGER_PT_EVENT) {
        const char *t;
        if ((rc = ledger_event_payload_decode(s->e.payload, s->e.plen, &ev, evhash, sizeof evhash,
                                              b->err)) ||
            (rc = ledger_epcis_export_event_text(ev, &nn->body, b->err)))
            goto out;
        t = json_string_value(json_object_get(ev, "type"));
        type = "event";
        if (t && *t && strlen(t) < 64 && !strpbrk(t, ". *>\t\r\n"))
            type = t;
    }
    {
        uint8_t h[32];
        ledger_entry_hash(&s->e, h);
        ledger_hex(h, 32, ehash);
    }
    snprintf(subject, sizeof subject, "%s.%s.%s", nn->conf.prefix, fhex, type);
    snprintf(id, sizeof id, "%s:%" PRIu64, fhex, s->e.h.seq);
    snprintf(seqs, sizeof seqs, "%" PRIu64, s->e.h.seq);
    snprintf(rec, sizeof rec, "%" PRIu64, s->e.h.record_time_ms);
    if ((st = natsMsg_Create(&b->msg, subject, NULL, (const char *)nn->body.data,
                             (int)nn->body.len)) != NATS_OK ||
        (st = natsMsgHeader_Set(b->msg, "Nats-Msg-Id", id)) != NATS_OK ||
        (st = natsMsgHeader_Set(b->msg, "Keten-Feed", fhex)) != NATS_OK ||
        (st = natsMsgHeader_Set(b->msg, "Keten-Seq", seqs)) != NATS_OK ||
        (st = natsMsgHeader_Set(b->msg, "Keten-Entry-Hash", ehash)) != NATS_OK ||
        (st = natsMsgHeader_Set(b->msg, "Keten-Record-Time", rec)) != NATS_OK ||
        (evhash[0] && (st = natsMsgHeader_Set(b->msg, "Keten-Event-Hash", evhash)) != NATS_OK) ||
        (!s->e.payload && (st = natsMsgHeader_Set(b->msg, "Keten-Sealed", "true")) != NATS_OK))
        rc = ledger_err_set(b->err, LEDGER_ENOMEM, "cannot build the message of %s: %s", id,
                            natsStatus_GetText(st));
out:
    json_decref(ev);
    if (rc) {
        natsMsg_Destroy(b->msg);
        b->msg = NULL;
    }
    return rc;
}

void node_nats_poll(node_nats_t *nn, const node_head_t *heads, size_t n)
{
    item_t *add = NULL;
    size_t nadd = 0, cap = 0;
    ledger_err_t err;
    if (!nn || nn->stop)
        return;
    for (size_t i = 0; i < n; i++)
        if (!feed_find(nn, heads[i].feed, 1))
            return;
    if (nn->state != ST_CONNECTED || n == 0)
        return;
    for (size_t k = 0; k < n && nn->inflight < NODE_NATS_WINDOW; k++) {
        const node_head_t *h = &heads[(nn->rr + k) % n];
        feed_pos_t *f = feed_find(nn, h->feed, 0);
        while (f && f->next <= h->seq && nn->inflight < NODE_NATS_WINDOW) {
            build_t b = {nn, NULL, &err};
            if (nadd == cap) {
                size_t c2 = cap ? cap * 2 : 256;
                item_t *v = realloc(add, c2 * sizeof *v);
                if (!v)
                    break;
                add = v;
                cap = c2;
            }
            if (ledger_store_get(nn->st, h->feed, f->next, build_msg, &b, &err)) {
                char hex[65];
                logf_(nn, "stream: cannot read entry %s:%" PRIu64 ": %s", ledger_hex(h->feed, 32, hex),
                      f->next, err.msg);
                break;
            }
            add[nadd].msg = b.msg;
            add[nadd].epoch = nn->epoch;
            nadd++;
            f->next++;
            nn->inflight++;
            nn->published++;
        }
    }
    nn->rr++;
    if (!nadd) {
        free(add);
        return;
    }
    pthread_mutex_lock(&nn->mu);
    if (nn->qn + nadd > nn->qcap) {
        size_t c2 = nn->qcap ? nn->qcap : 1024;
        while (c2 < nn->qn + nadd)
            c2 *= 2;
        item_t *v = realloc(nn->q, c2 * sizeof *v);
        if (v) {
            nn->q = v;
            nn->qcap = c2;
        }
    }
    if (nn->qn + nadd <= nn->qcap) {
        memcpy(nn->q + nn->qn, add, nadd * sizeof *add);
        nn->qn += nadd;
        nadd = 0;
    }
    pthread_cond_signal(&nn->cv);
    pthread_mutex_unlock(&nn->mu);
    if (nadd) { /* out of memory: handed over nothing; start again from acked */
        for (size_t i = 0; i < nadd; i++)
            natsMsg_Destroy(add[i].msg);
        nn->inflight -= nadd;
        rewind_all(nn);
    }
    free(add);
}

static int load_pos(const ledger_streampos_t *p, void *ctx)
{
    node_nats_t *nn = ctx;
    feed_pos_t *f = feed_find(nn, p->feed, 1);
    if (!f)
        return LEDGER_ENOMEM;
    f->acked = f->saved = p->seq;
    f->next = p->seq + 1;
    return 0;
}

int node_nats_save(node_nats_t *nn, ledger_err_t *err)
{
    ledger_streampos_t *v;
    size_t n = 0;
    int rc;
    if (!nn)
        return 0;
    for (size_t i = 0; i < nn->nfeeds; i++)
        n += nn->feeds[i].acked != nn->feeds[i].saved;
    if (!n)
        return 0;
    if (!(v = malloc(n * sizeof *v)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    n = 0;
    for (size_t i = 0; i < nn->nfeeds; i++)
        if (nn->feeds[i].acked != nn->feeds[i].saved) {
            memcpy(v[n].feed, nn->feeds[i].feed, 32);
            v[n++].seq = nn->feeds[i].acked;
        }
    rc = ledger_streampos_save(nn->st, nn->conf.name, v, n, err);
    if (rc == 0)
        for (size_t i = 0; i < nn->nfeeds; i++)
            nn->feeds[i].saved = nn->feeds[i].acked;
    free(v);
    return rc;
}

void node_nats_state(const node_nats_t *nn, const node_head_t *heads, size_t n, json_t *o)
{
    static const char *names[] = {"connecting", "connected", "down"};
    json_t *s, *feeds;
    uint64_t lag = 0;
    char hex[65];
    if (!nn || !(s = json_object()))
        return;
    feeds = json_array();
    for (size_t i = 0; i < n; i++) {
        const feed_pos_t *f = feed_find((node_nats_t *)nn, heads[i].feed, 0);
        uint64_t acked = f ? f->acked : 0;
        lag += heads[i].seq > acked ? heads[i].seq - acked : 0;
        json_array_append_new(feeds, json_pack("{s:s,s:I,s:I}", "feed",
                                               ledger_hex(heads[i].feed, 32, hex), "acked",
                                               (json_int_t)acked, "head", (json_int_t)heads[i].seq));
    }
    json_object_set_new(s, "servers", json_string(nn->conf.servers));
    json_object_set_new(s, "stream", json_string(nn->conf.name));
    json_object_set_new(s, "subjects", json_sprintf("%s.>", nn->conf.prefix));
    json_object_set_new(s, "state", json_string(names[nn->state]));
    if (nn->server[0])
        json_object_set_new(s, "server", json_string(nn->server));
    if (nn->error[0])
        json_object_set_new(s, "error", json_string(nn->error));
    json_object_set_new(s, "published", json_integer((json_int_t)nn->published));
    json_object_set_new(s, "acked", json_integer((json_int_t)nn->acked_msgs));
    json_object_set_new(s, "inflight", json_integer((json_int_t)nn->inflight));
    json_object_set_new(s, "lag", json_integer((json_int_t)lag));
    json_object_set_new(s, "feeds", feeds);
    json_object_set_new(o, "stream", s);
}

int node_nats_new(uv_loop_t *loop, ledger_store_t *st, const node_stream_conf_t *conf,
                  node_nats_log_cb log, node_nats_wake_cb wake, void *ctx, node_nats_t **out,
                  ledger_err_t *err)
{
    node_nats_t *nn;
    int rc;
    *out = NULL;
    if (!conf || !conf->servers[0])
        return ledger_err_set(err, LEDGER_EINVAL, "stream: no server given");
    if (!(nn = calloc(1, sizeof *nn)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    nn->loop = loop;
    nn->st = st;
    nn->conf = *conf;
    nn->log = log;
    nn->wake = wake;
    nn->log_ctx = ctx;
    nn->state = ST_CONNECTING;
    pthread_mutex_init(&nn->mu, NULL);
    pthread_cond_init(&nn->cv, NULL);
    if ((rc = ledger_streampos_load(st, conf->name, load_pos, nn, err)))
        goto fail;
    if ((rc = uv_async_init(loop, &nn->async, on_async))) {
        rc = ledger_err_set(err, LEDGER_EIO, "stream: %s", uv_strerror(rc));
        goto fail;
    }
    nn->async.data = nn;
    nn->async_on = 1;
    if ((rc = pthread_create(&nn->thr, NULL, run, nn))) {
        rc = ledger_err_set(err, LEDGER_EIO, "stream: cannot start a thread: %s", strerror(rc));
        goto fail;
    }
    nn->thr_on = 1;
    *out = nn;
    return 0;
fail:
    *out = nn; /* the caller stops and frees it (the async handle needs closing) */
    node_nats_stop(nn);
    return rc;
}

static void close_noop(uv_handle_t *h)
{
    (void)h;
}

void node_nats_stop(node_nats_t *nn)
{
    ledger_err_t err;
    if (!nn || nn->stop)
        return;
    pthread_mutex_lock(&nn->mu);
    nn->stop = 1;
    pthread_cond_signal(&nn->cv);
    pthread_mutex_unlock(&nn->mu);
    if (nn->thr_on)
        pthread_join(nn->thr, NULL);
    nn->thr_on = 0;
    if (nn->async_on) {
        on_async(&nn->async);
        uv_close((uv_handle_t *)&nn->async, close_noop);
    }
    if (node_nats_save(nn, &err))
        logf_(nn, "stream: cannot keep the stream positions: %s", err.msg);
}

void node_nats_free(node_nats_t *nn)
{
    if (!nn)
        return;
    node_nats_stop(nn);
    for (conn_t *c = nn->conns, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    for (size_t i = 0; i < nn->rn; i++)
        free(nn->r[i].text);
    free(nn->r);
    free(nn->q);
    free(nn->feeds);
    ledger_buf_free(&nn->body);
    pthread_mutex_destroy(&nn->mu);
    pthread_cond_destroy(&nn->cv);
    free(nn);
}
