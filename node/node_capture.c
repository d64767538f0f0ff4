/* node_capture.c -- the capture routes of node_capture.h.
 *
 * A POST is answered on the loop at once: the token is checked, the body
 * copied into a writer job (node_writer.h) and queued, the job put in the
 * home's job store (node_jobs.h) as running, 202.  The writer checks and
 * stores the document on its thread; when it is done, on_done (on the
 * loop) puts the finished job under the same ordinal, then tells the node
 * (stored_fn) so that it pushes the new entries to its partners.  A
 * job_t is only the makings of a CaptureJob's JSON (job_json): the store
 * keeps the JSON.
 *
 * The store keeps the last NODE_CAPTURE_JOBS jobs.  Jobs finish in the
 * order submitted and at most NODE_WRITER_QUEUE_MAX + 1 are unfinished, so
 * only finished jobs are ever dropped. */
#include "node_capture.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "node_jobs.h"
#include "node_query.h"
#include "node_writer.h"

#define EXC "https://ref.gs1.org/standards/epcis/2.0.0/#"
#define ALLOW_CAPTURE "GET, HEAD, POST, OPTIONS"
#define ALLOW_JOB "GET, HEAD, OPTIONS"

typedef struct job {
    char id[40];
    int64_t created, finished; /* unix ms; finished 0 while running */
    int running, rc, proceed;
    size_t events, stored, failed;
    node_writer_error_t *errors; /* proceed: the events not stored (nerrors of them) */
    size_t nerrors;
    uint64_t first_seq, last_seq;
    const char *msg; /* NULL on success */
} job_t;

typedef struct cjob {
    node_writer_job_t w;
    char id[40];
    node_http_later_t *later; /* POST /events: the answer owed (node_http_defer) */
    uint64_t n;               /* its ordinal in the job store */
    int64_t created;
} cjob_t;

struct node_capture {
    ledger_store_t *st;
    node_tokens_t *tokens;
    node_writer_t *writer;
    size_t body_max;
    node_capture_stored_fn stored_fn;
    void *ctx;
    node_jobs_t *jobs;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rfc3339(int64_t ms, char *out, size_t cap)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    char base[32];
    gmtime_r(&s, &tm);
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%s.%03dZ", base, (int)(ms % 1000));
}

/* beh: the behaviour announced ("all" where no job is named: both are). */
static int capture_headers(node_capture_t *c, node_http_resp_t *resp, const char *beh)
{
    int rc;
    if ((rc = node_http_resp_header(resp, "GS1-EPCIS-Capture-Limit", "%d",
                                    NODE_CAPTURE_EVENTS_MAX)) ||
        (rc = node_http_resp_header(resp, "GS1-EPCIS-Capture-File-Size-Limit", "%zu",
                                    c->body_max)) ||
        (beh && (rc = node_http_resp_header(resp, "GS1-Capture-Error-Behaviour", "%s", beh))))
        return rc;
    return 0;
}

/* An RFC 7807 problem of EPCIS exception type exc. */
static json_t *problem_json(int status, const char *exc, const char *detail)
{
    char type[120];
    snprintf(type, sizeof type, EXC "%s", exc);
    json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", exc, "status", status,
                          "detail", detail);
    if (!o) /* detail not UTF-8 */
        o = json_pack("{s:s, s:s, s:i}", "type", type, "title", exc, "status", status);
    return o;
}

static int problem(node_http_resp_t *resp, int status, const char *exc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int problem(node_http_resp_t *resp, int status, const char *exc, const char *fmt, ...)
{
    char d[1200];
    va_list ap;
    int rc;
    va_start(ap, fmt);
    vsnprintf(d, sizeof d, fmt, ap);
    va_end(ap);
    rc = node_http_resp_exception(resp, status, exc, "%s", d);
    return rc < 0 ? rc : 1;
}

/* ---- tokens -------------------------------------------------------------------- */

/* Answers an auth outcome that refuses (1), or 0 for NODE_AUTH_OK. */
static int refuse(node_tokens_t *t, int outcome, const char *scope, node_http_resp_t *resp)
{
    int rc;
    switch (outcome) {
    case NODE_AUTH_OK:
        return 0;
    case NODE_AUTH_SCOPE:
        return problem(resp, 403, "SecurityException",
                       "this token lacks the scope %s: make one with keten token add NAME "
                       "--scope %s",
                       scope, scope);
    case NODE_AUTH_BROKEN:
        if ((rc = node_http_resp_header(resp, "Retry-After", "5")))
            return rc;
        return problem(resp, 503, "SecurityException", "the node cannot read its tokens: %s",
                       node_tokens_error(t));
    default:
        break;
    }
    if ((rc = node_http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"keten\"")))
        return rc;
    if (outcome == NODE_AUTH_NOTOKENS)
        return problem(resp, 401, "SecurityException",
                       "this node has no tokens yet: run keten --home HOME token add NAME --scope "
                       "%s, then send Authorization: Bearer TOKEN",
                       scope);
    if (outcome == NODE_AUTH_MISSING)
        return problem(resp, 401, "SecurityException",
                       "send Authorization: Bearer TOKEN with a token of scope %s", scope);
    return problem(resp, 401, "SecurityException", "unknown token (removed, or never made here)");
}

int node_capture_query_gate(void *ctx, const node_http_req_t *req, node_http_resp_t *resp)
{
    node_tokens_t *t = ctx;
    int outcome = node_tokens_check(t, node_http_header(req, "Authorization"), NODE_SCOPE_QUERY,
                                    NULL);
    if (outcome == NODE_AUTH_NOTOKENS)
        return 0; /* no token was ever made: the query routes are open */
    return refuse(t, outcome, "query", resp);
}

/* ---- jobs ---------------------------------------------------------------------- */

static const char *exception_of(int rc)
{
    switch (rc) {
    case LEDGER_EINPUT:
    case LEDGER_EEXIST:
        return "ValidationException";
    case LEDGER_ETOOBIG:
        return "CaptureLimitExceededException";
    default:
        return "ImplementationException";
    }
}

static int status_of(int rc)
{
    switch (rc) {
    case LEDGER_EINPUT:
        return 400;
    case LEDGER_EEXIST:
        return 409;
    case LEDGER_ETOOBIG:
        return 413;
    default:
        return 500;
    }
}

static json_t *job_json(const job_t *j)
{
    char t[48];
    json_t *o = json_object(), *errs = json_array();
    if (!o || !errs) {
        json_decref(o);
        json_decref(errs);
        return NULL;
    }
    json_object_set_new(o, "captureID", json_string(j->id));
    rfc3339(j->created, t, sizeof t);
    json_object_set_new(o, "createdAt", json_string(t));
    if (!j->running) {
        rfc3339(j->finished, t, sizeof t);
        json_object_set_new(o, "finishedAt", json_string(t));
    }
    json_object_set_new(o, "running", json_boolean(j->running));
    json_object_set_new(o, "success", json_boolean(j->running || (j->rc == 0 && !j->failed)));
    json_object_set_new(o, "captureErrorBehaviour", json_string(j->proceed ? "proceed" : "rollback"));
    if (!j->running && j->rc) {
        json_t *p = problem_json(status_of(j->rc), exception_of(j->rc), j->msg ? j->msg : "");
        if (p)
            json_array_append_new(errs, p);
    }
    for (size_t i = 0; !j->running && i < j->nerrors; i++) { /* proceed: each event not stored */
        json_t *p = problem_json(status_of(j->errors[i].rc), exception_of(j->errors[i].rc),
                                 j->errors[i].msg);
        if (p) {
            json_object_set_new(p, "keten:event", json_integer((json_int_t)j->errors[i].index));
            json_array_append_new(errs, p);
        }
    }
    json_object_set_new(o, "errors", errs);
    if (!j->running) {
        json_object_set_new(o, "keten:events", json_integer((json_int_t)j->events));
        json_object_set_new(o, "keten:stored", json_integer((json_int_t)j->stored));
        if (j->proceed)
            json_object_set_new(o, "keten:failed", json_integer((json_int_t)j->failed));
        if (j->stored) {
            json_object_set_new(o, "keten:firstSeq", json_integer((json_int_t)j->first_seq));
            json_object_set_new(o, "keten:lastSeq", json_integer((json_int_t)j->last_seq));
        }
    }
    return o;
}

/* s percent-encoded as one path segment (all but unreserved and ':'). */
static void pct_segment(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            strchr("-._~:", ch))
            out[o++] = (char)ch;
        else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = '\0';
}

/* POST /events is answered once its event is stored (or refused): 201
 * with Location: /events/{eventID} and the event as stored, or the
 * problem (400 bad, 409 duplicate, 413 more than one event). */
static void answer_event(node_capture_t *c, cjob_t *cj)
{
    node_writer_job_t *w = &cj->w;
    node_http_resp_t r = {0};
    char loc[1600];
    int rc;
    if (!node_http_later_open(cj->later)) { /* the client is gone */
        node_http_finish(cj->later, &r);
        return;
    }
    if ((rc = node_query_gs1_headers(&r)) || (rc = capture_headers(c, &r, "rollback")))
        goto fail;
    if (w->rc) {
        rc = problem(&r, status_of(w->rc), exception_of(w->rc), "%s", w->msg);
        goto done;
    }
    pct_segment(w->first_id, loc, sizeof loc);
    if ((rc = node_http_resp_header(&r, "Location", "/events/%s", loc)) ||
        (rc = node_http_resp_set(&r, 201, "application/ld+json",
                                 w->event_json ? w->event_json : "{}",
                                 w->event_json ? strlen(w->event_json) : 2)) ||
        (rc = ledger_buf_append(&r.body, "\n", 1)))
        goto fail;
    goto done;
fail:
    ledger_buf_reset(&r.head);
    node_http_resp_problem(&r, 500, "the node could not answer this capture (%d)", rc);
done:
    node_http_finish(cj->later, &r);
}

static void on_done(void *ctx, node_writer_job_t *w)
{
    node_capture_t *c = ctx;
    cjob_t *cj = (cjob_t *)w;
    size_t stored = w->rc ? 0 : w->stored;
    if (cj->later)
        answer_event(c, cj);
    else {
        job_t j = {.created = cj->created, .finished = now_ms(), .rc = w->rc,
                   .proceed = w->proceed, .events = w->events, .stored = stored,
                   .failed = w->rc ? 0 : w->failed, .errors = w->rc ? NULL : w->errors,
                   .nerrors = w->rc ? 0 : w->nerrors, .first_seq = w->first_seq,
                   .last_seq = w->last_seq, .msg = w->rc ? w->msg : NULL};
        json_t *o;
        ledger_err_t err;
        snprintf(j.id, sizeof j.id, "%s", cj->id);
        if ((o = job_json(&j))) { /* a file error: kept in memory all the same */
            node_jobs_put(c->jobs, cj->n, o, &err);
            json_decref(o);
        }
    }
    free(w->body);
    free(w->event_json);
    free(w->errors);
    free(cj);
    if (stored && c->stored_fn)
        c->stored_fn(c->ctx, stored);
}

/* ---- the routes ---------------------------------------------------------------- */

static int json_body(const char *ctype)
{
    size_t n;
    if (!ctype)
        return 1; /* not said: try */
    n = strcspn(ctype, ";");
    while (n && (ctype[n - 1] == ' ' || ctype[n - 1] == '\t'))
        n--;
    return (n == 16 && !strncasecmp(ctype, "application/json", 16)) ||
           (n == 19 && !strncasecmp(ctype, "application/ld+json", 19)) ||
           (n == 15 && !strncasecmp(ctype, "application/xml", 15)) || /* EPCIS XML, */
           (n == 8 && !strncasecmp(ctype, "text/xml", 8)); /* 2.0 or 1.x: read by content */
}

static int post(node_capture_t *c, const node_http_req_t *req, node_http_resp_t *resp,
                size_t max_events)
{
    const char *beh = node_http_header(req, "GS1-Capture-Error-Behaviour");
    cjob_t *cj;
    job_t j = {0};
    json_t *o;
    ledger_err_t err;
    uint8_t raw[12];
    char hex[25];
    int rc;
    int proceed = beh && !strcasecmp(beh, "proceed");
    if (beh && !proceed && strcasecmp(beh, "rollback"))
        return problem(resp, 400, "ValidationException",
                       "GS1-Capture-Error-Behaviour %.40s: give rollback (all or nothing, the "
                       "default) or proceed (store the good events)",
                       beh);
    if (!json_body(node_http_header(req, "Content-Type")))
        return problem(resp, 415, "ValidationException",
                       "send the document as application/ld+json, application/json, "
                       "application/xml or text/xml");
    if (!req->body_len)
        return problem(resp, 400, "ValidationException", "the body is empty: send an EPCISDocument");
    if (!(cj = calloc(1, sizeof *cj)) || !(cj->w.body = malloc(req->body_len))) {
        free(cj);
        return LEDGER_ENOMEM;
    }
    memcpy(cj->w.body, req->body, req->body_len);
    cj->w.len = req->body_len;
    cj->w.max_events = max_events;
    cj->w.proceed = proceed && max_events != 1;
    if (max_events == 1) { /* POST /events: answered once stored */
        cj->w.want_event = 1;
        if ((rc = node_http_defer(req, &cj->later))) {
            free(cj->w.body);
            free(cj);
            return rc;
        }
    }
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    snprintf(cj->id, sizeof cj->id, "c%s", hex);
    cj->created = now_ms();
    if ((rc = node_writer_submit(c->writer, &cj->w, &err))) {
        free(cj->w.body);
        free(cj);
        if ((rc = node_http_resp_header(resp, "Retry-After", "1")))
            return rc;
        return problem(resp, 503, "ImplementationException", "%s: try again in a moment",
                       err.msg); /* a handle taken is dropped by the server */
    }
    if (cj->later)
        return NODE_HTTP_DEFERRED;
    /* from here on cj is the writer's: only its copies are used */
    snprintf(j.id, sizeof j.id, "%s", cj->id);
    j.created = cj->created;
    j.running = 1;
    j.proceed = proceed;
    if (!(o = job_json(&j)))
        return LEDGER_ENOMEM;
    cj->n = node_jobs_next(c->jobs); /* on_done runs on this thread, later: no race */
    node_jobs_put(c->jobs, cj->n, o, &err); /* a file error: kept in memory all the same */
    if ((rc = node_http_resp_header(resp, "GS1-Capture-Error-Behaviour", "%s",
                                    j.proceed ? "proceed" : "rollback")) ||
        (rc = node_http_resp_header(resp, "Location", "/capture/%s", j.id)) ||
        (rc = node_http_resp_json(resp, 202, NULL, o)) < 0) {
        json_decref(o);
        return rc;
    }
    json_decref(o);
    return 1;
}

/* GET /capture: the kept jobs newest first, perPage of them (default
 * NODE_CAPTURE_PER_PAGE) from nextPageToken on (the ordinal of the first
 * one of the page), with Link rel="next" while more are kept. */
static int list_jobs(node_capture_t *c, const node_http_req_t *req, node_http_resp_t *resp)
{
    char v[32], *end;
    unsigned long long per = NODE_CAPTURE_PER_PAGE, from = UINT64_MAX;
    size_t n = node_jobs_count(c->jobs), i = 0, k = 0;
    uint64_t ord = 0;
    json_t *a;
    int rc;
    if (node_http_query(req, "perPage", v, sizeof v)) {
        per = strtoull(v, &end, 10);
        if (*end || !v[0] || v[0] == '-' || per < 1 || per > NODE_CAPTURE_JOBS)
            return problem(resp, 400, "QueryParameterException",
                           "perPage: give a number from 1 to %d", NODE_CAPTURE_JOBS);
    }
    if (node_http_query(req, "nextPageToken", v, sizeof v)) {
        from = strtoull(v, &end, 10);
        if (*end || !v[0] || v[0] == '-')
            return problem(resp, 400, "QueryParameterException",
                           "nextPageToken: give the token of a Link rel=\"next\" as it is");
    }
    if (!(a = json_array()))
        return LEDGER_ENOMEM;
    for (; i < n; i++) { /* newest first: skip those newer than the token */
        node_jobs_at(c->jobs, i, &ord);
        if (ord <= from)
            break;
    }
    for (; i < n && k < per; i++, k++)
        if (json_array_append(a, (json_t *)node_jobs_at(c->jobs, i, &ord))) {
            json_decref(a);
            return LEDGER_ENOMEM;
        }
    if (i < n) {
        node_jobs_at(c->jobs, i, &ord);
        if ((rc = node_http_resp_header(resp, "Link",
                                        "</capture?perPage=%llu&nextPageToken=%llu>; rel=\"next\"",
                                        per, (unsigned long long)ord))) {
            json_decref(a);
            return rc;
        }
    }
    rc = node_http_resp_json(resp, 200, NULL, a);
    json_decref(a);
    return rc < 0 ? rc : 1;
}

static int not_allowed(node_http_resp_t *resp, const char *method, const char *allow)
{
    int rc;
    if ((rc = node_http_resp_header(resp, "Allow", "%s", allow)))
        return rc;
    return problem(resp, 405, "ImplementationException", "%s is not allowed here: %s", method,
                   allow);
}

int node_capture_handle(void *ctx, const node_http_req_t *req, node_http_resp_t *resp)
{
    node_capture_t *c = ctx;
    const char *m = req->method, *id = NULL;
    int get = !strcmp(m, "GET") || !strcmp(m, "HEAD"), rc;
    int is_events = !strcmp(req->path, "/events");
    if (is_events && strcmp(m, "POST"))
        return 0; /* the query routes' */
    if (!is_events && strcmp(req->path, "/capture")) {
        if (strncmp(req->path, "/capture/", 9) || !req->path[9] || strchr(req->path + 9, '/'))
            return 0;
        id = req->path + 9;
    }
    if ((rc = node_query_gs1_headers(resp)) ||
        (rc = capture_headers(c, resp, !strcmp(m, "POST") ? NULL : "all")))
        return rc;
    if (!strcmp(m, "OPTIONS")) {
        if ((rc = node_http_resp_header(resp, "Allow", "%s", id ? ALLOW_JOB : ALLOW_CAPTURE)) ||
            (rc = node_http_resp_set(resp, 204, NULL, NULL, 0)))
            return rc;
        return 1;
    }
    if (id ? !get : (!get && strcmp(m, "POST")))
        return not_allowed(resp, m, id ? ALLOW_JOB : ALLOW_CAPTURE);
    if ((rc = refuse(c->tokens,
                     node_tokens_check(c->tokens, node_http_header(req, "Authorization"),
                                       NODE_SCOPE_CAPTURE, NULL),
                     "capture", resp)))
        return rc;
    if (!strcmp(m, "POST"))
        return post(c, req, resp, is_events ? 1 : NODE_CAPTURE_EVENTS_MAX);
    if (!id)
        return list_jobs(c, req, resp);
    {
        const json_t *o = node_jobs_get(c->jobs, id);
        if (!o)
            return problem(resp, 404, "NoSuchResourceException",
                           "no capture job %.60s here (the node keeps the last %d jobs)", id,
                           NODE_CAPTURE_JOBS);
        rc = node_http_resp_json(resp, 200, NULL, o);
        return rc < 0 ? rc : 1;
    }
}

int node_capture_new(uv_loop_t *loop, const char *home, ledger_store_t *st,
                     const ledger_identity_t *id, node_tokens_t *tokens, size_t body_max,
                     node_capture_stored_fn stored, void *ctx, node_capture_t **out,
                     ledger_err_t *err)
{
    node_capture_t *c = calloc(1, sizeof *c);
    int rc;
    *out = NULL;
    if (!c)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    c->st = st;
    c->tokens = tokens;
    c->body_max = body_max;
    c->stored_fn = stored;
    c->ctx = ctx;
    if ((rc = node_jobs_open(home, NODE_CAPTURE_JOBS, &c->jobs, err))) {
        free(c);
        return rc;
    }
    if ((rc = node_writer_new(loop, st, id, on_done, c, &c->writer, err))) {
        node_jobs_close(c->jobs);
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void node_capture_free(node_capture_t *c)
{
    if (!c)
        return;
    c->stored_fn = NULL;          /* the node is stopping: nothing to push */
    node_writer_close(c->writer); /* delivers what is left through on_done */
    node_jobs_close(c->jobs);
    free(c);
}
