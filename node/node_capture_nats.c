/* node_capture_nats.c -- capture from a NATS JetStream subject (contract:
 * node_capture_nats.h; docs/stream.md "Capture").
 *
 * How it works.  One struct, cjob_t, travels the whole way: the capture
 * thread fetches a message, copies its body into a cjob and queues it on
 * `in`; the loop (on_async) holds it and pump() hands the held messages to
 * the writer as one batch job (a cbatch: a node_writer_part_t each) while
 * fewer than two batches wait there, so that messages arriving while a
 * commit runs share the next one; the writer's done_fn (loop thread)
 * decides, per part, what becomes of each message -- K_ACK (stored, or all of it stored already),
 * K_DEAD (refused: a dead letter first, then ack), K_NAK (a store error: again later) -- logs a
 * refusal, counts, and queues the cjob on `out`; the capture thread acts on it with the connection
 * and frees it.  A cjob of an older connection (epoch) than the thread's is freed unacked:
 * JetStream delivers its message again after the ack wait, and the writer skips its events stored
 * already.
 *
 * Between fetches the thread takes `out` in; it fetches only while fewer
 * than NODE_CNATS_WINDOW messages are in the pipeline, and with a short
 * timeout while some are, so acks do not wait for an idle fetch.
 */
#include "node_capture_nats.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#include "node_capture.h"
#include "node_conf.h"
#include "node_writer.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000
#define CONNECT_TIMEOUT_MS 2000
#define DEAD_WAIT_MS 5000      /* a dead letter's acknowledgement, at most */
#define NAK_DELAY_MS 5000      /* a message the store could not take comes again after */
#define BATCH_MAX 256          /* messages in one writer job, at most */
#define BATCH_BYTES (8u << 20) /* their bodies, at most (one message may be larger) */

enum { ST_CONNECTING, ST_CONNECTED, ST_DOWN };
enum { K_ACK, K_DEAD, K_NAK };

typedef struct cjob {
    char *body; /* a copy of the message's (handed to the writer as a part) */
    size_t len;
    struct node_cnats *cn;
    natsMsg *msg;
    unsigned epoch;
    uint64_t sseq; /* its stream seq */
    int kind;
    char *text; /* K_DEAD: the cause */
    struct cjob *next;
} cjob_t;

/* Messages stored in one writer job: one append transaction, one commit. */
typedef struct cbatch {
    node_writer_job_t w;
    node_writer_part_t *parts;
    cjob_t **msgs;
    size_t n;
} cbatch_t;

struct node_cnats {
    uv_loop_t *loop;
    ledger_store_t *st;
    node_cnats_conf_t conf;
    node_cnats_log_cb log;
    node_cnats_stored_cb stored;
    void *ctx;
    node_writer_t *writer;
    uv_async_t async;
    int async_on;
    pthread_t thr;
    int thr_on;
    /* loop thread only */
    uint64_t recorded, events, duplicates, refused;
    char last_refused[700];
    int stopped;
    /* shared, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    cjob_t *in, *in_tail, *out, *out_tail;
    cjob_t *held, *held_tail; /* loop thread: waiting for the writer */
    char **logs;
    size_t nlogs, logcap;
    size_t inflight; /* fetched, not yet acted on */
    int stop;
    int state;
    char server[300];
    char error[600];
    /* the capture thread's connection (the loop touches it only after join) */
    natsConnection *nc;
    jsCtx *js;
    natsSubscription *sub;
    unsigned epoch;
    int broken;
};

/* ---- configuration ------------------------------------------------------- */

void node_cnats_conf_init(node_cnats_conf_t *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->durable, sizeof c->durable, "keten-capture");
    snprintf(c->stream, sizeof c->stream, "KETEN_CAPTURE");
    snprintf(c->dead, sizeof c->dead, "keten.capture.errors");
    snprintf(c->dead_stream, sizeof c->dead_stream, "KETEN_CAPTURE_ERRORS");
    c->ack_wait_s = NODE_CNATS_ACK_WAIT_S;
}

/* 1 when s is a subject: dot-separated tokens of letters, digits, - and _,
 * or * (a token), or > (the last token); wild set: wildcards allowed. */
static int subject_ok(const char *s, int wild)
{
    const char *p = s;
    if (!*s)
        return 0;
    for (;;) {
        size_t n = strcspn(p, ".");
        if (n == 0)
            return 0;
        if (n == 1 && (*p == '*' || *p == '>')) {
            if (!wild || (*p == '>' && p[1]))
                return 0;
        } else
            for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)p[i];
                if (!(c == '-' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                      (c >= 'A' && c <= 'Z')))
                    return 0;
            }
        if (!p[n])
            return 1;
        p += n + 1;
    }
}

static int name_ok(const char *s)
{
    return *s && !strchr(s, '.') && subject_ok(s, 0);
}

int node_cnats_url_parse(const char *url, node_cnats_conf_t *c, ledger_err_t *err)
{
    const char *scheme = NULL, *slash, *p;
    ledger_err_t e;
    for (p = url; (p = strstr(p, "://")); p += 3)
        scheme = p;
    slash = scheme ? strchr(scheme + 3, '/') : NULL;
    if (!slash || !slash[1])
        return ledger_err_set(err, LEDGER_EINPUT,
                              "capture-from: \"%.200s\" names no subject "
                              "(nats://HOST:PORT/SUBJECT)",
                              url);
    if ((size_t)(slash - url) >= sizeof c->servers || strlen(slash + 1) >= sizeof c->subject)
        return ledger_err_set(err, LEDGER_EINPUT, "capture-from: \"%.200s\" is too long", url);
    memcpy(c->servers, url, (size_t)(slash - url));
    c->servers[slash - url] = '\0';
    snprintf(c->subject, sizeof c->subject, "%s", slash + 1);
    if (node_stream_servers_ok(c->servers, &e))
        return ledger_err_set(err, LEDGER_EINPUT, "capture-from: %s",
                              strncmp(e.msg, "stream: ", 8) ? e.msg : e.msg + 8);
    if (!subject_ok(c->subject, 1))
        return ledger_err_set(err, LEDGER_EINPUT,
                              "capture-from: subject \"%.200s\": dot-separated tokens of "
                              "letters, digits, - and _ (or * and a last >)",
                              c->subject);
    return 0;
}

/* 1 when the subject pattern pat (tokens, * and a last >) matches subject s. */
static int subject_matches(const char *pat, const char *s)
{
    for (;;) {
        size_t pn = strcspn(pat, "."), sn = strcspn(s, ".");
        if (pn == 1 && *pat == '>')
            return 1; /* one token or more left */
        if (!(pn == 1 && *pat == '*') && (pn != sn || strncmp(pat, s, pn)))
            return 0;
        if (!pat[pn] || !s[sn])
            return !pat[pn] && !s[sn];
        pat += pn + 1;
        s += sn + 1;
    }
}

int node_cnats_conf_check(const node_cnats_conf_t *c, ledger_err_t *err)
{
    if (subject_matches(c->subject, c->dead))
        return ledger_err_set(err, LEDGER_EINPUT,
                              "capture-from: the subject %s takes the dead-letter subject %s: "
                              "every refused message would come back; give captureFrom."
                              "deadLetter another subject (docs/stream.md)",
                              c->subject, c->dead);
    return 0;
}

int node_cnats_conf_load(const char *home, node_cnats_conf_t *out, ledger_err_t *err)
{
    char path[PATH_MAX], url[NODE_STREAM_STR_MAX + 300] = "";
    json_t *cfg, *h, *aw;
    json_error_t je;
    int rc = 0;
    node_cnats_conf_init(out);
    if ((size_t)snprintf(path, sizeof path, "%s/keten.json", home) >= sizeof path)
        return ledger_err_set(err, LEDGER_EINPUT, "the home's path is too long");
    if (!(cfg = json_load_file(path, 0, &je)))
        return ledger_err_set(err, LEDGER_EIO, "%s:%d: %s", path, je.line, je.text);
    h = json_object_get(cfg, "captureFrom");
    if (!h || json_is_null(h))
        goto out;
    if (json_is_string(h)) {
        snprintf(url, sizeof url, "%s", json_string_value(h));
    } else if (!json_is_object(h)) {
        rc = ledger_err_set(err, LEDGER_EINPUT,
                            "keten.json: \"captureFrom\" must be \"nats://HOST:PORT/SUBJECT\" "
                            "or an object (docs/stream.md)");
        goto out;
    } else {
        if ((rc = node_conf_str(h, "captureFrom", "url", url, sizeof url, err)) ||
            (rc = node_conf_str(h, "captureFrom", "durable", out->durable, sizeof out->durable,
                                err)) ||
            (rc =
                 node_conf_str(h, "captureFrom", "stream", out->stream, sizeof out->stream, err)) ||
            (rc =
                 node_conf_str(h, "captureFrom", "deadLetter", out->dead, sizeof out->dead, err)) ||
            (rc = node_conf_str(h, "captureFrom", "deadLetterStream", out->dead_stream,
                                sizeof out->dead_stream, err)) ||
            (rc = node_conf_str(h, "captureFrom", "creds", out->creds, sizeof out->creds, err)) ||
            (rc = node_conf_str(h, "captureFrom", "ca", out->ca, sizeof out->ca, err)))
            goto out;
        if ((aw = json_object_get(h, "ackWait"))) {
            if (!json_is_integer(aw) || json_integer_value(aw) < 1 ||
                json_integer_value(aw) > 3600) {
                rc = ledger_err_set(err, LEDGER_EINPUT,
                                    "keten.json: captureFrom.ackWait: seconds, 1 to 3600");
                goto out;
            }
            out->ack_wait_s = (int)json_integer_value(aw);
        }
        if (!url[0]) {
            rc = ledger_err_set(err, LEDGER_EINPUT,
                                "keten.json: captureFrom needs \"url\": nats://HOST:PORT/SUBJECT");
            goto out;
        }
    }
    if ((rc = node_cnats_url_parse(url, out, err)))
        goto out;
    if (!name_ok(out->durable) || !name_ok(out->stream) || !name_ok(out->dead_stream))
        rc = ledger_err_set(err, LEDGER_EINPUT,
                            "keten.json: captureFrom.durable, .stream, .deadLetterStream: "
                            "letters, digits, - and _ only");
    else if (!subject_ok(out->dead, 0))
        rc = ledger_err_set(err, LEDGER_EINPUT,
                            "keten.json: captureFrom.deadLetter \"%s\": dot-separated tokens of "
                            "letters, digits, - and _",
                            out->dead);
out:
    json_decref(cfg);
    return rc;
}

/* ---- small things ---------------------------------------------------------- */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A line for the loop to log (mu held). */
static void push_log(node_cnats_t *cn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void push_log(node_cnats_t *cn, const char *fmt, ...)
{
    char line[900], *s;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (cn->nlogs == cn->logcap) {
        size_t cap = cn->logcap ? cn->logcap * 2 : 16;
        char **v = realloc(cn->logs, cap * sizeof *v);
        if (!v)
            return;
        cn->logs = v;
        cn->logcap = cap;
    }
    if ((s = strdup(line)))
        cn->logs[cn->nlogs++] = s;
    if (cn->async_on)
        uv_async_send(&cn->async); /* thread-safe; the loop logs it */
}

static void nats_why(natsStatus s, char *out, size_t cap)
{
    const char *last = nats_GetLastError(NULL), *p;
    if (last && last[0] == '(' && (p = strstr(last, "): ")))
        last = p + 3;
    snprintf(out, cap, "%s", last && *last ? last : natsStatus_GetText(s));
}

static void cjob_free(cjob_t *j)
{
    if (!j)
        return;
    natsMsg_Destroy(j->msg);
    free(j->body);
    free(j->text);
    free(j);
}

static void list_push(cjob_t **head, cjob_t **tail, cjob_t *j)
{
    j->next = NULL;
    if (*tail)
        (*tail)->next = j;
    else
        *head = j;
    *tail = j;
}

/* ---- the capture thread ------------------------------------------------------ */

static void on_closed(natsConnection *nc, void *closure)
{
    node_cnats_t *cn = closure;
    (void)nc;
    pthread_mutex_lock(&cn->mu);
    if (!cn->broken)
        cn->broken = 1;
    pthread_cond_signal(&cn->cv);
    pthread_mutex_unlock(&cn->mu);
}

static void drop_conn(node_cnats_t *cn)
{
    natsSubscription_Destroy(cn->sub);
    cn->sub = NULL;
    jsCtx_Destroy(cn->js);
    cn->js = NULL;
    natsConnection_Destroy(cn->nc);
    cn->nc = NULL;
}

/* Makes stream `name` take subject when no stream does (a stream that
 * takes it already is fine).  0 or -1 with why. */
static int make_stream(node_cnats_t *cn, const char *name, const char *subject, char *why,
                       size_t cap)
{
    jsStreamConfig cfg;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    const char *subjects[1] = {subject};
    natsStatus s;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    s = js_AddStream(&si, cn->js, &cfg, NULL, &jerr);
    jsStreamInfo_Destroy(si);
    if (s == NATS_OK)
        return 0;
    nats_why(s, why, cap);
    return -1;
}

/* Connects and subscribes once.  0, or -1 with why. */
static int connect_once(node_cnats_t *cn, char *why, size_t cap)
{
    natsOptions *o = NULL;
    jsSubOptions so;
    jsErrCode jerr = 0;
    char buf[NODE_STREAM_STR_MAX], *servers[NODE_STREAM_SERVERS_MAX], *save = NULL, *tok;
    int nserv = 0, made = 0, nostream;
    natsStatus s;
    snprintf(buf, sizeof buf, "%s", cn->conf.servers);
    for (tok = strtok_r(buf, ",", &save); tok && nserv < NODE_STREAM_SERVERS_MAX;
         tok = strtok_r(NULL, ",", &save))
        servers[nserv++] = tok;
    if ((s = natsOptions_Create(&o)) != NATS_OK ||
        (s = natsOptions_SetServers(o, (const char **)servers, nserv)) != NATS_OK ||
        (s = natsOptions_SetName(o, "keten node capture")) != NATS_OK ||
        (s = natsOptions_SetAllowReconnect(o, false)) != NATS_OK ||
        (s = natsOptions_SetTimeout(o, CONNECT_TIMEOUT_MS)) != NATS_OK ||
        (s = natsOptions_SetClosedCB(o, on_closed, cn)) != NATS_OK ||
        (s = natsOptions_SetDisconnectedCB(o, on_closed, cn)) != NATS_OK)
        goto fail;
    if (cn->conf.creds[0] &&
        (s = natsOptions_SetUserCredentialsFromFiles(o, cn->conf.creds, NULL)) != NATS_OK) {
        snprintf(why, cap, "cannot use the credentials file %.300s: %s", cn->conf.creds,
                 natsStatus_GetText(s));
        goto out;
    }
    if (cn->conf.ca[0] &&
        ((s = natsOptions_SetSecure(o, true)) != NATS_OK ||
         (s = natsOptions_LoadCATrustedCertificates(o, cn->conf.ca)) != NATS_OK)) {
        snprintf(why, cap, "cannot use the CA file %.300s: %s", cn->conf.ca, natsStatus_GetText(s));
        goto out;
    }
    if ((s = natsConnection_Connect(&cn->nc, o)) != NATS_OK) {
        char w[400];
        nats_why(s, w, sizeof w);
        snprintf(why, cap, "cannot connect: %s", w);
        goto out;
    }
    if ((s = natsConnection_JetStream(&cn->js, cn->nc, NULL)) != NATS_OK)
        goto fail;
    for (;;) {
        jsSubOptions_Init(&so);
        so.Config.AckWait = (int64_t)cn->conf.ack_wait_s * 1000000000LL;
        so.Config.MaxAckPending = 1000;
        so.ManualAck = true;
        s = js_PullSubscribe(&cn->sub, cn->js, cn->conf.subject, cn->conf.durable, NULL, &so,
                             &jerr);
        if (s == NATS_OK)
            break;
        {
            char w[400];
            nats_why(s, w, sizeof w);
            nostream = s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr ||
                       strstr(w, "no stream matches subject") != NULL;
        }
        if (!made && nostream) {
            char w[400];
            made = 1; /* no stream takes the subject: make one, once */
            if (make_stream(cn, cn->conf.stream, cn->conf.subject, w, sizeof w) == 0) {
                pthread_mutex_lock(&cn->mu);
                push_log(cn, "capture: made JetStream stream %s for subject %s", cn->conf.stream,
                         cn->conf.subject);
                pthread_mutex_unlock(&cn->mu);
                continue;
            }
            snprintf(why, cap, "no stream takes subject %s and stream %s cannot be made: %s",
                     cn->conf.subject, cn->conf.stream, w);
            goto out;
        }
        {
            char w[400];
            nats_why(s, w, sizeof w);
            snprintf(why, cap, "cannot make the pull consumer %s on %s: %s (JetStream error %d)",
                     cn->conf.durable, cn->conf.subject, w, (int)jerr);
        }
        goto out;
    }
    natsOptions_Destroy(o);
    return 0;
fail:
    nats_why(s, why, cap);
out:
    natsOptions_Destroy(o);
    drop_conn(cn);
    return -1;
}

/* The header value of a cause: one line, printable. */
static void header_text(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in && *in && i + 1 < cap; in++)
        out[i++] = (*in == '\r' || *in == '\n' || *in == '\t') ? ' ' : *in;
    out[i] = '\0';
}

/* Publishes j's dead letter and waits for JetStream's acknowledgement.
 * 0, or -1 with why. */
static int dead_letter(node_cnats_t *cn, cjob_t *j, char *why, size_t cap)
{
    natsMsg *m = NULL;
    jsPubAck *pa = NULL;
    jsPubOptions po;
    jsErrCode jerr = 0;
    jsMsgMetaData *meta = NULL;
    char text[2048], id[200], seq[24];
    natsStatus s;
    int rc = -1;
    header_text(j->text, text, sizeof text);
    natsMsg_GetMetaData(&meta, j->msg);
    snprintf(id, sizeof id, "capture:%.100s:%llu", meta && meta->Stream ? meta->Stream : "-",
             (unsigned long long)j->sseq);
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)j->sseq);
    if ((s = natsMsg_Create(&m, cn->conf.dead, NULL, natsMsg_GetData(j->msg),
                            natsMsg_GetDataLength(j->msg))) != NATS_OK ||
        (s = natsMsgHeader_Set(m, "Keten-Error", text)) != NATS_OK ||
        (s = natsMsgHeader_Set(m, "Keten-Capture-Subject", natsMsg_GetSubject(j->msg))) !=
            NATS_OK ||
        (s = natsMsgHeader_Set(m, "Keten-Capture-Stream",
                               meta && meta->Stream ? meta->Stream : "-")) != NATS_OK ||
        (s = natsMsgHeader_Set(m, "Keten-Capture-Seq", seq)) != NATS_OK ||
        (s = natsMsgHeader_Set(m, "Nats-Msg-Id", id)) != NATS_OK) {
        nats_why(s, why, cap);
        goto out;
    }
    jsPubOptions_Init(&po);
    po.MaxWait = DEAD_WAIT_MS;
    s = js_PublishMsg(&pa, cn->js, m, &po, &jerr);
    if (s == NATS_NO_RESPONDERS) { /* no stream takes the dead letters: make one */
        char w[400];
        if (make_stream(cn, cn->conf.dead_stream, cn->conf.dead, w, sizeof w)) {
            snprintf(why, cap, "no stream takes %.100s and stream %.64s cannot be made: %.300s",
                     cn->conf.dead, cn->conf.dead_stream, w);
            goto out;
        }
        pthread_mutex_lock(&cn->mu);
        push_log(cn, "capture: made JetStream stream %s for the dead letters (%s)",
                 cn->conf.dead_stream, cn->conf.dead);
        pthread_mutex_unlock(&cn->mu);
        s = js_PublishMsg(&pa, cn->js, m, &po, &jerr);
    }
    if (s != NATS_OK) {
        char w[400];
        nats_why(s, w, sizeof w);
        snprintf(why, cap, "cannot publish the dead letter to %.100s: %.300s", cn->conf.dead, w);
        goto out;
    }
    rc = 0;
out:
    jsPubAck_Destroy(pa);
    natsMsg_Destroy(m);
    jsMsgMetaData_Destroy(meta);
    return rc;
}

/* Acts on a message the loop is done with (no lock held). */
static void settle(node_cnats_t *cn, cjob_t *j)
{
    char why[600];
    if (j->epoch != cn->epoch || !cn->sub) /* an older connection's: delivered again */
        return;
    if (j->kind == K_DEAD && dead_letter(cn, j, why, sizeof why)) {
        pthread_mutex_lock(&cn->mu);
        push_log(cn, "capture: %s: %s; the message (seq %llu) comes again", cn->conf.servers, why,
                 (unsigned long long)j->sseq);
        pthread_mutex_unlock(&cn->mu);
        natsMsg_NakWithDelay(j->msg, NAK_DELAY_MS, NULL);
        return;
    }
    if (j->kind == K_NAK)
        natsMsg_NakWithDelay(j->msg, NAK_DELAY_MS, NULL);
    else
        natsMsg_Ack(j->msg, NULL);
}

/* Takes the loop's finished messages in (mu held; released meanwhile). */
static void settle_all(node_cnats_t *cn)
{
    while (cn->out) {
        cjob_t *list = cn->out, *next;
        cn->out = cn->out_tail = NULL;
        pthread_mutex_unlock(&cn->mu);
        for (; list; list = next) {
            next = list->next;
            settle(cn, list);
            cjob_free(list);
            pthread_mutex_lock(&cn->mu);
            cn->inflight--;
            pthread_mutex_unlock(&cn->mu);
        }
        pthread_mutex_lock(&cn->mu);
    }
}

/* Fetches up to n messages and queues them for the loop (no lock held).
 * 0, or -1 when the connection failed (why). */
static int fetch(node_cnats_t *cn, int n, int64_t timeout_ms, char *why, size_t cap)
{
    natsMsgList list = {0};
    jsErrCode jerr = 0;
    natsStatus s = natsSubscription_Fetch(&list, cn->sub, n, timeout_ms, &jerr);
    int queued = 0;
    if (s == NATS_TIMEOUT)
        return 0;
    if (s != NATS_OK) {
        char w[400];
        nats_why(s, w, sizeof w);
        snprintf(why, cap, "cannot fetch from %s: %s", cn->conf.subject, w);
        natsMsgList_Destroy(&list);
        return -1;
    }
    for (int i = 0; i < list.Count; i++) {
        natsMsg *m = list.Msgs[i];
        cjob_t *j = calloc(1, sizeof *j);
        int len = natsMsg_GetDataLength(m);
        if (!j || !(j->body = malloc(len > 0 ? (size_t)len : 1))) {
            free(j); /* left unacked: comes again */
            continue;
        }
        list.Msgs[i] = NULL;
        if (len > 0) /* an empty message may have no data pointer */
            memcpy(j->body, natsMsg_GetData(m), (size_t)len);
        j->len = (size_t)len;
        j->cn = cn;
        j->msg = m;
        j->epoch = cn->epoch;
        {
            jsMsgMetaData *meta = NULL;
            if (natsMsg_GetMetaData(&meta, m) == NATS_OK)
                j->sseq = meta->Sequence.Stream;
            jsMsgMetaData_Destroy(meta);
        }
        pthread_mutex_lock(&cn->mu);
        list_push(&cn->in, &cn->in_tail, j);
        cn->inflight++;
        pthread_mutex_unlock(&cn->mu);
        queued++;
    }
    natsMsgList_Destroy(&list);
    if (queued)
        uv_async_send(&cn->async);
    return 0;
}

static void *run(void *arg)
{
    node_cnats_t *cn = arg;
    unsigned attempts = 0;
    uint64_t next_try = 0;
    char why[800], last_why[800] = "";
    pthread_mutex_lock(&cn->mu);
    while (!cn->stop) {
        settle_all(cn);
        if (cn->stop)
            break;
        if (cn->sub && cn->broken) {
            pthread_mutex_unlock(&cn->mu);
            drop_conn(cn);
            pthread_mutex_lock(&cn->mu);
            if (cn->broken == 1) /* 2: the cause is logged already */
                push_log(cn, "capture: %s: connection lost; connecting again", cn->server);
            if (cn->broken == 1 || !cn->error[0])
                snprintf(cn->error, sizeof cn->error, "connection lost");
            cn->state = ST_DOWN;
            next_try = mono_ms() + BACKOFF_MIN_MS;
            uv_async_send(&cn->async);
            continue;
        }
        if (!cn->sub && mono_ms() >= next_try) {
            int rc;
            pthread_mutex_unlock(&cn->mu);
            rc = connect_once(cn, why, sizeof why);
            pthread_mutex_lock(&cn->mu);
            if (rc == 0) {
                const char *url = NULL;
                char ub[300];
                cn->epoch++;
                cn->broken = 0;
                attempts = 0;
                last_why[0] = '\0';
                if (natsConnection_GetConnectedUrl(cn->nc, ub, sizeof ub) == NATS_OK)
                    url = ub;
                snprintf(cn->server, sizeof cn->server, "%.299s", url ? url : cn->conf.servers);
                cn->state = ST_CONNECTED;
                cn->error[0] = '\0';
                push_log(cn,
                         "capture: connected to %s, taking %s (durable consumer %s, dead "
                         "letters to %s)",
                         cn->server, cn->conf.subject, cn->conf.durable, cn->conf.dead);
            } else {
                uint64_t b = (uint64_t)BACKOFF_MIN_MS << (attempts < 7 ? attempts : 7);
                attempts++;
                next_try = mono_ms() + (b > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : b);
                snprintf(cn->error, sizeof cn->error, "%.599s", why);
                if (strcmp(why, last_why)) /* one line per distinct cause */
                    push_log(cn, "capture: %s: %s (retried; the ledger goes on meanwhile)",
                             cn->conf.servers, why);
                snprintf(last_why, sizeof last_why, "%s", why);
                cn->state = cn->state == ST_CONNECTING ? ST_CONNECTING : ST_DOWN;
            }
            uv_async_send(&cn->async);
            continue;
        }
        if (cn->sub && cn->inflight < NODE_CNATS_WINDOW) {
            int n = (int)(NODE_CNATS_WINDOW - cn->inflight), rc;
            int64_t t = cn->inflight ? 20 : 500;
            pthread_mutex_unlock(&cn->mu);
            rc = fetch(cn, n, t, why, sizeof why);
            pthread_mutex_lock(&cn->mu);
            if (rc && !cn->broken) {
                cn->broken = 2;
                snprintf(cn->error, sizeof cn->error, "%.599s", why);
                push_log(cn, "capture: %s: %s; connecting again", cn->server, why);
            }
            continue;
        }
        {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000000L;
            ts.tv_sec += ts.tv_nsec / 1000000000;
            ts.tv_nsec %= 1000000000;
            pthread_cond_timedwait(&cn->cv, &cn->mu, &ts);
        }
    }
    pthread_mutex_unlock(&cn->mu);
    return NULL; /* the connection stays for node_cnats_stop's last acks */
}

/* ---- the loop side -------------------------------------------------------------- */

static void logf_(node_cnats_t *cn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(node_cnats_t *cn, const char *fmt, ...)
{
    char line[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (cn->log)
        cn->log(cn->ctx, line);
}

static void to_thread(node_cnats_t *cn, cjob_t *j)
{
    pthread_mutex_lock(&cn->mu);
    list_push(&cn->out, &cn->out_tail, j);
    pthread_cond_signal(&cn->cv);
    pthread_mutex_unlock(&cn->mu);
}

/* What becomes of message j, which the writer stored (p->rc 0) or not. */
static void decide(node_cnats_t *cn, cjob_t *j, const node_writer_part_t *p)
{
    if (p->rc == 0) {
        j->kind = K_ACK;
        cn->recorded++;
        cn->events += p->stored;
        cn->duplicates += p->skipped;
    } else if (p->rc == LEDGER_EIO || p->rc == LEDGER_ENOMEM || p->rc == LEDGER_ELOCKED) {
        j->kind = K_NAK; /* the store's trouble, not the message's */
        if (!cn->stopped)
            logf_(cn, "capture: cannot store the message of %s (seq %llu): %s; it comes again",
                  natsMsg_GetSubject(j->msg), (unsigned long long)j->sseq, p->msg);
    } else {
        j->kind = K_DEAD;
        j->text = strdup(p->msg);
        cn->refused++;
        snprintf(cn->last_refused, sizeof cn->last_refused, "%.150s (seq %llu): %.500s",
                 natsMsg_GetSubject(j->msg), (unsigned long long)j->sseq, p->msg);
        logf_(cn, "capture: refused a message of %s (seq %llu), sent to %s: %s",
              natsMsg_GetSubject(j->msg), (unsigned long long)j->sseq, cn->conf.dead, p->msg);
    }
    to_thread(cn, j);
}

static void batch_free(cbatch_t *b)
{
    if (!b)
        return;
    for (size_t i = 0; b->parts && i < b->n; i++)
        free(b->parts[i].body); /* the writer frees them and sets NULL */
    free(b->parts);
    free(b->msgs);
    free(b);
}

static void pump(node_cnats_t *cn);

/* The writer is done with a batch (loop thread). */
static void on_done(void *ctx, node_writer_job_t *w)
{
    node_cnats_t *cn = ctx;
    cbatch_t *b = w->user;
    size_t stored = 0;
    for (size_t i = 0; i < b->n; i++) {
        stored += b->parts[i].rc ? 0 : b->parts[i].stored;
        decide(cn, b->msgs[i], &b->parts[i]);
    }
    batch_free(b);
    if (stored && cn->stored && !cn->stopped)
        cn->stored(cn->ctx, stored);
    if (!cn->stopped)
        pump(cn);
}

/* Hands the held messages to the writer in batches of up to BATCH_MAX
 * messages or BATCH_BYTES, while fewer than two batches wait there: the
 * messages that come in meanwhile make the next batch. */
static void pump(node_cnats_t *cn)
{
    while (cn->held && !cn->stopped && node_writer_pending(cn->writer) < 2) {
        cbatch_t *b = calloc(1, sizeof *b);
        size_t n = 0, bytes = 0;
        ledger_err_t err;
        for (cjob_t *j = cn->held; j && n < BATCH_MAX && (n == 0 || bytes + j->len <= BATCH_BYTES);
             j = j->next)
            n++, bytes += j->len;
        if (!b || !(b->parts = calloc(n, sizeof *b->parts)) ||
            !(b->msgs = calloc(n, sizeof *b->msgs))) {
            batch_free(b);
            return; /* held: tried again at the next message or result */
        }
        for (size_t i = 0; i < n; i++) {
            cjob_t *j = cn->held;
            cn->held = j->next;
            if (!cn->held)
                cn->held_tail = NULL;
            j->next = NULL;
            b->msgs[i] = j;
            b->parts[i].body = j->body;
            b->parts[i].len = j->len;
            j->body = NULL;
        }
        b->n = n;
        b->w.parts = b->parts;
        b->w.nparts = n;
        b->w.max_events = NODE_CAPTURE_EVENTS_MAX;
        b->w.skip_duplicates = 1;
        b->w.user = b;
        if (node_writer_submit(cn->writer, &b->w, &err)) {
            for (size_t i = 0; i < n; i++) {
                b->msgs[i]->kind = K_NAK;
                to_thread(cn, b->msgs[i]);
            }
            batch_free(b);
            return;
        }
    }
}

static void on_async(uv_async_t *h)
{
    node_cnats_t *cn = h->data;
    cjob_t *in, *in_tail;
    char **logs;
    size_t nlogs;
    pthread_mutex_lock(&cn->mu);
    in = cn->in;
    in_tail = cn->in_tail;
    cn->in = cn->in_tail = NULL;
    logs = cn->logs;
    nlogs = cn->nlogs;
    cn->logs = NULL;
    cn->nlogs = cn->logcap = 0;
    pthread_mutex_unlock(&cn->mu);
    for (size_t i = 0; i < nlogs; i++) {
        if (cn->log)
            cn->log(cn->ctx, logs[i]);
        free(logs[i]);
    }
    free(logs);
    if (in) {
        if (cn->held_tail)
            cn->held_tail->next = in;
        else
            cn->held = in;
        cn->held_tail = in_tail;
    }
    if (cn->stopped) { /* not stored: nak'ed, they come again */
        for (cjob_t *j = cn->held, *next; j; j = next) {
            next = j->next;
            j->kind = K_NAK;
            to_thread(cn, j);
        }
        cn->held = cn->held_tail = NULL;
        return;
    }
    pump(cn);
}

void node_cnats_state(const node_cnats_t *cn, json_t *o)
{
    static const char *names[] = {"connecting", "connected", "down"};
    node_cnats_t *c = (node_cnats_t *)cn;
    json_t *s;
    if (!cn || !(s = json_object()))
        return;
    pthread_mutex_lock(&c->mu);
    json_object_set_new(s, "state", json_string(names[c->state]));
    if (c->server[0])
        json_object_set_new(s, "server", json_string(c->server));
    if (c->error[0])
        json_object_set_new(s, "error", json_string(c->error));
    json_object_set_new(s, "inflight", json_integer((json_int_t)c->inflight));
    pthread_mutex_unlock(&c->mu);
    json_object_set_new(s, "servers", json_string(cn->conf.servers));
    json_object_set_new(s, "subject", json_string(cn->conf.subject));
    json_object_set_new(s, "durable", json_string(cn->conf.durable));
    json_object_set_new(s, "deadLetter", json_string(cn->conf.dead));
    json_object_set_new(s, "recorded", json_integer((json_int_t)cn->recorded));
    json_object_set_new(s, "events", json_integer((json_int_t)cn->events));
    json_object_set_new(s, "duplicates", json_integer((json_int_t)cn->duplicates));
    json_object_set_new(s, "refused", json_integer((json_int_t)cn->refused));
    if (cn->last_refused[0])
        json_object_set_new(s, "lastRefused", json_string(cn->last_refused));
    json_object_set_new(o, "capture", s);
}

int node_cnats_new(uv_loop_t *loop, ledger_store_t *st, const ledger_identity_t *id,
                   const node_cnats_conf_t *conf, node_cnats_log_cb log,
                   node_cnats_stored_cb stored, void *ctx, node_cnats_t **out, ledger_err_t *err)
{
    node_cnats_t *cn;
    int rc;
    *out = NULL;
    if (!conf || !conf->servers[0] || !conf->subject[0])
        return ledger_err_set(err, LEDGER_EINVAL, "capture-from: no server or subject given");
    if ((rc = node_cnats_conf_check(conf, err)))
        return rc;
    if (!(cn = calloc(1, sizeof *cn)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    cn->loop = loop;
    cn->st = st;
    cn->conf = *conf;
    cn->log = log;
    cn->stored = stored;
    cn->ctx = ctx;
    cn->state = ST_CONNECTING;
    pthread_mutex_init(&cn->mu, NULL);
    pthread_cond_init(&cn->cv, NULL);
    *out = cn; /* from here on the caller stops and frees it */
    if ((rc = uv_async_init(loop, &cn->async, on_async))) {
        rc = ledger_err_set(err, LEDGER_EIO, "capture-from: %s", uv_strerror(rc));
        goto fail;
    }
    cn->async.data = cn;
    cn->async_on = 1;
    if ((rc = node_writer_new(loop, st, id, on_done, cn, &cn->writer, err)))
        goto fail;
    if ((rc = pthread_create(&cn->thr, NULL, run, cn))) {
        rc = ledger_err_set(err, LEDGER_EIO, "capture-from: cannot start a thread: %s",
                            strerror(rc));
        goto fail;
    }
    cn->thr_on = 1;
    return 0;
fail:
    node_cnats_stop(cn);
    return rc;
}

static void close_noop(uv_handle_t *h)
{
    (void)h;
}

void node_cnats_stop(node_cnats_t *cn)
{
    if (!cn || cn->stopped)
        return;
    pthread_mutex_lock(&cn->mu);
    cn->stop = 1;
    pthread_cond_signal(&cn->cv);
    pthread_mutex_unlock(&cn->mu);
    if (cn->thr_on)
        pthread_join(cn->thr, NULL);
    cn->thr_on = 0;
    cn->stopped = 1;
    node_writer_close(cn->writer); /* waits for the running batch; done_fn for each */
    cn->writer = NULL;
    if (cn->async_on)
        on_async(&cn->async); /* messages not handed over yet: nak'ed, they come again */
    /* the thread is gone: its connection is this thread's now */
    pthread_mutex_lock(&cn->mu);
    settle_all(cn);
    pthread_mutex_unlock(&cn->mu);
    if (cn->async_on) {
        on_async(&cn->async); /* the last log lines */
        uv_close((uv_handle_t *)&cn->async, close_noop);
        cn->async_on = 0;
    }
    if (cn->nc)
        natsConnection_Flush(cn->nc);
    drop_conn(cn);
}

void node_cnats_free(node_cnats_t *cn)
{
    if (!cn)
        return;
    node_cnats_stop(cn);
    for (cjob_t *j = cn->in, *next; j; j = next) {
        next = j->next;
        cjob_free(j);
    }
    for (cjob_t *j = cn->held, *next; j; j = next) {
        next = j->next;
        cjob_free(j);
    }
    for (cjob_t *j = cn->out, *next; j; j = next) {
        next = j->next;
        cjob_free(j);
    }
    for (size_t i = 0; i < cn->nlogs; i++)
        free(cn->logs[i]);
    free(cn->logs);
    pthread_mutex_destroy(&cn->mu);
    pthread_cond_destroy(&cn->cv);
    free(cn);
}
