/* node_jobs.c -- the capture jobs of node_jobs.h.
 *
 * Memory: an array of (ordinal, job) in ordinal order, oldest first, at
 * most keep long; a put of a known ordinal replaces in place, a new one
 * is appended (the oldest shifted out).  keep is small (256): linear
 * look-ups.  The file is read line by line at open (getline), then kept
 * open for appending; lines counts what it holds, for the rewrite. */
#include "node_jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ledger_buf.h"
#include "node_conf.h"

#define HEADER "{\"keten\":\"capture-jobs\",\"version\":1}\n"

typedef struct slot {
    uint64_t n;
    json_t *job;
} slot_t;

struct node_jobs {
    char path[4096];
    int fd; /* appending; -1 when it could not be opened */
    size_t keep, len, lines;
    uint64_t top; /* the largest ordinal seen */
    slot_t *v;
};

static slot_t *find_n(node_jobs_t *js, uint64_t n)
{
    for (size_t i = js->len; i-- > 0;)
        if (js->v[i].n == n)
            return &js->v[i];
    return NULL;
}

/* In memory only: replaces or adds (a loaded line older than the kept
 * window is dropped). */
static void remember(node_jobs_t *js, uint64_t n, json_t *job)
{
    slot_t *s = find_n(js, n);
    json_incref(job);
    if (n > js->top)
        js->top = n;
    if (s) {
        json_decref(s->job);
        s->job = job;
        return;
    }
    if (js->len && n < js->v[js->len - 1].n) { /* lines are written in order: keep it so */
        json_decref(job);
        return;
    }
    if (js->len == js->keep) {
        json_decref(js->v[0].job);
        memmove(js->v, js->v + 1, (js->len - 1) * sizeof *js->v);
        js->len--;
    }
    js->v[js->len].n = n;
    js->v[js->len++].job = job;
}

/* A job that was running when the node stopped without saying so. */
static void interrupted(json_t *job)
{
    char t[40];
    time_t now = time(NULL);
    struct tm tm;
    json_t *errs = json_object_get(job, "errors");
    gmtime_r(&now, &tm);
    strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(job, "running", json_false());
    json_object_set_new(job, "success", json_false());
    json_object_set_new(job, "finishedAt", json_string(t));
    json_object_set_new(job, "keten:interrupted", json_true());
    if (json_is_array(errs))
        json_array_append_new(
            errs, json_pack("{s:s, s:s, s:i, s:s}", "type",
                            "https://ref.gs1.org/standards/epcis/2.0.0/#ImplementationException",
                            "title", "ImplementationException", "status", 500, "detail",
                            "the node stopped while this capture ran: its events are stored "
                            "only if GET /events shows them (a capture is stored whole or not "
                            "at all under rollback)"));
}

static int load(node_jobs_t *js, FILE *f, ledger_err_t *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int first = 1, rc = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        json_t *o = json_loadb(line, (size_t)n, 0, NULL), *job;
        js->lines++;
        if (first) {
            first = 0;
            const char *kind = o ? json_string_value(json_object_get(o, "keten")) : NULL;
            if (!kind || strcmp(kind, "capture-jobs") ||
                json_integer_value(json_object_get(o, "version")) != 1) {
                json_decref(o);
                rc = ledger_err_set(err, LEDGER_EINPUT,
                                    "%s is not a keten capture-jobs file of version 1: move it "
                                    "away (the node makes a new one)",
                                    js->path);
                break;
            }
        } else if (o && json_is_integer(json_object_get(o, "n")) &&
                   json_is_object(job = json_object_get(o, "job")) &&
                   json_is_string(json_object_get(job, "captureID"))) {
            remember(js, (uint64_t)json_integer_value(json_object_get(o, "n")), job);
        } /* else: a torn line, skipped */
        json_decref(o);
    }
    free(line);
    for (size_t i = 0; rc == 0 && i < js->len; i++)
        if (json_is_true(json_object_get(js->v[i].job, "running")))
            interrupted(js->v[i].job);
    return rc;
}

static int line_of(uint64_t n, json_t *job, ledger_buf_t *b)
{
    json_t *o = json_pack("{s:I, s:O}", "n", (json_int_t)n, "job", job);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    int rc = s ? ledger_buf_append(b, s, strlen(s)) || ledger_buf_append(b, "\n", 1) : -1;
    free(s);
    json_decref(o);
    return rc ? LEDGER_ENOMEM : 0;
}

static int open_append(node_jobs_t *js, ledger_err_t *err)
{
    off_t end;
    js->fd = open(js->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (js->fd < 0)
        return ledger_err_set(err, LEDGER_EIO, "cannot write %s: %s", js->path, strerror(errno));
    end = lseek(js->fd, 0, SEEK_END);
    if (end == 0) {
        if (write(js->fd, HEADER, strlen(HEADER)) != (ssize_t)strlen(HEADER))
            return ledger_err_set(err, LEDGER_EIO, "cannot write %s: %s", js->path,
                                  strerror(errno));
        js->lines = 1;
    }
    return 0;
}

/* The file with the kept jobs only (tmp, fsync, rename), reopened. */
static int rewrite(node_jobs_t *js, ledger_err_t *err)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    int rc = ledger_buf_append(&b, HEADER, strlen(HEADER)) ? LEDGER_ENOMEM : 0;
    for (size_t i = 0; rc == 0 && i < js->len; i++)
        rc = line_of(js->v[i].n, js->v[i].job, &b);
    if (rc == 0)
        rc = node_file_replace(js->path, (const char *)b.data, b.len, 0600, err);
    ledger_buf_free(&b);
    if (rc)
        return rc;
    if (js->fd >= 0)
        close(js->fd);
    js->lines = 1 + js->len;
    return open_append(js, err);
}

int node_jobs_open(const char *home, size_t keep, node_jobs_t **out, ledger_err_t *err)
{
    node_jobs_t *js = calloc(1, sizeof *js);
    FILE *f;
    int fd, rc = 0;
    *out = NULL;
    if (!js || !keep || !(js->v = calloc(keep, sizeof *js->v))) {
        free(js);
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    }
    js->keep = keep;
    js->fd = -1;
    snprintf(js->path, sizeof js->path, "%s/%s", home, NODE_JOBS_FILE);
    fd = open(js->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno != ENOENT)
        rc = ledger_err_set(err, LEDGER_EIO, "cannot read %s: %s", js->path, strerror(errno));
    else if (fd >= 0) {
        if (!(f = fdopen(fd, "r"))) {
            close(fd);
            rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        } else {
            rc = load(js, f, err);
            fclose(f);
        }
    }
    if (rc == 0)
        rc = open_append(js, err);
    if (rc == 0 && js->lines > 4 * js->keep)
        rc = rewrite(js, err);
    if (rc) {
        node_jobs_close(js);
        return rc;
    }
    *out = js;
    return 0;
}

void node_jobs_close(node_jobs_t *js)
{
    if (!js)
        return;
    for (size_t i = 0; i < js->len; i++)
        json_decref(js->v[i].job);
    if (js->fd >= 0)
        close(js->fd);
    free(js->v);
    free(js);
}

uint64_t node_jobs_next(node_jobs_t *js)
{
    return ++js->top;
}

int node_jobs_put(node_jobs_t *js, uint64_t n, json_t *job, ledger_err_t *err)
{
    ledger_buf_t b = LEDGER_BUF_INIT;
    int rc;
    remember(js, n, job);
    if (js->lines + 1 > 4 * js->keep)
        return rewrite(js, err);
    if ((rc = line_of(n, job, &b)))
        return ledger_err_set(err, rc, "out of memory");
    if (js->fd < 0 || write(js->fd, b.data, b.len) != (ssize_t)b.len)
        rc = ledger_err_set(err, LEDGER_EIO, "cannot write %s: %s", js->path,
                            js->fd < 0 ? "not open" : strerror(errno));
    else
        js->lines++;
    ledger_buf_free(&b);
    return rc;
}

const json_t *node_jobs_get(const node_jobs_t *js, const char *id)
{
    for (size_t i = js->len; i-- > 0;)
        if (!strcmp(json_string_value(json_object_get(js->v[i].job, "captureID")), id))
            return js->v[i].job;
    return NULL;
}

size_t node_jobs_count(const node_jobs_t *js)
{
    return js->len;
}

const json_t *node_jobs_at(const node_jobs_t *js, size_t i, uint64_t *n)
{
    const slot_t *s = &js->v[js->len - 1 - i];
    if (n)
        *n = s->n;
    return s->job;
}
