/* node_writer.c -- the writer thread of node_writer.h.
 *
 * Two lists under one mutex: todo (submitted, FIFO) and done (finished, not
 * yet handed to the loop).  The thread waits on a condition variable for
 * todo, runs one job outside the lock (run_job), appends it to done and
 * calls uv_async_send; the async callback on the loop takes the whole done
 * list and calls done_fn for each job in order.  uv_async_send coalesces:
 * one callback may carry several jobs.
 *
 * run_job is `keten record`'s path for one file: a first pass of
 * ledger_epcis_doc_foreach checks every event and counts them (no write
 * lock taken for a bad document), then a second pass streams the events,
 * not checked again (LEDGER_EPCIS_UNCHECKED), in chunks into one open
 * append, committed at the end or aborted on the first error.
 *
 * A proceed job (run_proceed) reads the document once to count its
 * events, then once more unchecked: take_proceed checks each event itself
 * (ledger_epcis_event_check_memo), notes a bad one as an error and hands
 * the good ones to the append, opened with LEDGER_APPEND_SKIP_DUPLICATES
 * so that a duplicate is skipped and noted rather than failing the call. */
#include "node_writer.h"

#include <stdlib.h>
#include <string.h>

#include "ledger_epcis.h"

#define CHUNK 1024

struct node_writer {
    uv_loop_t *loop;
    ledger_store_t *st;
    const ledger_identity_t *id;
    node_writer_done_fn done_fn;
    void *ctx;
    uv_thread_t thread;
    uv_mutex_t mu;
    uv_cond_t cv;
    uv_async_t async;
    node_writer_job_t *todo, *todo_tail, *done, *done_tail;
    size_t ntodo;
    int running; /* the thread has a job out of todo */
    int stop;
};

static void push(node_writer_job_t **head, node_writer_job_t **tail, node_writer_job_t *j)
{
    j->next_ = NULL;
    if (*tail)
        (*tail)->next_ = j;
    else
        *head = j;
    *tail = j;
}

/* ---- one job (writer thread) ---------------------------------------------- */

typedef struct feed {
    node_writer_job_t *job;
    ledger_append_t *append;
    json_t *chunk[CHUNK];
    size_t idx[CHUNK]; /* each one's index in the document */
    ledger_append_result_t res[CHUNK];
    size_t n, first;
    ledger_epcis_ctx_memo_t memo;
    ledger_err_t *err;
} feed_t;

/* A proceed job's error for event index (msg names it: "document: event N: ..."). */
static void note_error(node_writer_job_t *j, size_t index, int rc, const char *msg)
{
    node_writer_error_t *e;
    j->failed++;
    if (j->nerrors == NODE_WRITER_ERRORS_MAX)
        return;
    if (!j->errors && !(j->errors = calloc(NODE_WRITER_ERRORS_MAX, sizeof *j->errors)))
        return;
    e = &j->errors[j->nerrors++];
    e->index = index;
    e->rc = rc;
    snprintf(e->msg, sizeof e->msg, "%s", msg);
}

static int flush(feed_t *f)
{
    int rc;
    if (!f->n)
        return 0;
    rc = ledger_store_append_add(f->append, f->chunk, f->n, f->first, f->res, f->err);
    for (size_t i = 0; i < f->n; i++) {
        if (!rc && f->res[i].skipped && !f->job->proceed) /* skip_duplicates */
            f->job->skipped++;
        else if (!rc && f->res[i].skipped) { /* proceed (SKIP_DUPLICATES) */
            char m[600];
            snprintf(m, sizeof m,
                     "document: event %zu: eventID %s is stored already (an errorDeclaration "
                     "corrects an event)",
                     f->idx[i], f->res[i].event_id);
            note_error(f->job, f->idx[i], LEDGER_EEXIST, m);
        } else if (!rc) {
            if (!f->job->stored++) {
                f->job->first_seq = f->res[i].seq;
                snprintf(f->job->first_id, sizeof f->job->first_id, "%s", f->res[i].event_id);
                if (f->job->want_event)
                    f->job->event_json = json_dumps(f->chunk[i], JSON_COMPACT);
            }
            f->job->last_seq = f->res[i].seq;
        }
        json_decref(f->chunk[i]);
    }
    f->first += f->n;
    f->n = 0;
    return rc;
}

static int take(json_t *event, size_t index, void *ctx)
{
    feed_t *f = ctx;
    f->idx[f->n] = index;
    f->chunk[f->n++] = json_incref(event);
    return f->n == CHUNK ? flush(f) : 0;
}

static int take_proceed(json_t *event, size_t index, void *ctx)
{
    feed_t *f = ctx;
    ledger_err_t e;
    char where[64];
    ledger_err_clear(&e);
    snprintf(where, sizeof where, "document: event %zu", index);
    if (ledger_epcis_event_check_memo(event, where, &f->memo, &e)) {
        note_error(f->job, index, LEDGER_EINPUT, e.msg);
        return 0;
    }
    return take(event, index, ctx);
}

static void run_job(node_writer_t *w, node_writer_job_t *j)
{
    ledger_err_t err;
    feed_t *f = NULL;
    size_t count = 0;
    int rc;
    ledger_err_clear(&err);
    j->stored = j->skipped = 0;
    j->first_seq = j->last_seq = 0;
    j->first_id[0] = '\0';
    /* rollback: every event checked first; proceed: each one as it comes */
    rc = ledger_epcis_doc_foreach_opts(j->body, j->len, "document",
                                       j->proceed ? LEDGER_EPCIS_UNCHECKED : 0, NULL, NULL, &count,
                                       &err);
    j->events = count;
    if (rc)
        goto out;
    if (j->max_events && count > j->max_events) {
        rc = ledger_err_set(&err, LEDGER_ETOOBIG,
                            "document: %zu events, more than the %zu this node captures per "
                            "document (GS1-EPCIS-Capture-Limit): split it",
                            count, j->max_events);
        goto out;
    }
    if (!(f = calloc(1, sizeof *f))) {
        rc = ledger_err_set(&err, LEDGER_ENOMEM, "out of memory");
        goto out;
    }
    f->job = j;
    f->err = &err;
    if ((rc = ledger_store_append_begin(w->st, w->id,
                                        j->proceed || j->skip_duplicates
                                            ? LEDGER_APPEND_SKIP_DUPLICATES
                                            : 0,
                                        &f->append, &err)))
        goto out;
    /* rollback: checked whole by the first pass, not again (as `record
     * --commit-every`); proceed: take_proceed checks */
    rc = ledger_epcis_doc_foreach_opts(j->body, j->len, "document", LEDGER_EPCIS_UNCHECKED,
                                       j->proceed ? take_proceed : take, f, NULL, &err);
    if (!rc)
        rc = flush(f);
    for (size_t i = 0; i < f->n; i++) /* left in the chunk by a failed add */
        json_decref(f->chunk[i]);
    f->n = 0;
    if (rc) {
        ledger_store_append_abort(f->append);
        goto out;
    }
    rc = ledger_store_append_commit(f->append, &err);
out:
    if (rc) {
        j->stored = j->skipped = 0;
        j->first_seq = j->last_seq = 0;
        free(j->event_json);
        j->event_json = NULL;
    }
    j->rc = rc;
    snprintf(j->msg, sizeof j->msg, "%s", rc ? err.msg : "");
    if (rc == LEDGER_EEXIST) { /* the store's message is `keten record`'s: no CLI hint here */
        char *hint = strstr(j->msg, " (use --skip-duplicates");
        if (hint)
            *hint = '\0';
        if (strncmp(j->msg, "document: ", 10)) {
            size_t n = strlen(j->msg);
            if (n > sizeof j->msg - 11)
                n = sizeof j->msg - 11;
            memmove(j->msg + 10, j->msg, n);
            memcpy(j->msg, "document: ", 10);
            j->msg[10 + n] = '\0';
        }
    }
    free(f);
    free(j->body);
    j->body = NULL;
}

/* A batch job: every part checked (a bad one refused alone), then the good
 * ones streamed into one append, committed once.  A part whose second pass
 * fails for its own sake (not a store error) is refused and the append is
 * made again without it. */
static void run_batch(node_writer_t *w, node_writer_job_t *j)
{
    ledger_err_t err;
    feed_t *f = calloc(1, sizeof *f);
    int rc = 0;
    j->rc = 0;
    j->msg[0] = '\0';
    j->stored = j->skipped = 0;
    j->first_seq = j->last_seq = 0;
    for (size_t i = 0; i < j->nparts; i++) {
        node_writer_part_t *p = &j->parts[i];
        size_t count = 0;
        ledger_err_clear(&err);
        p->stored = p->skipped = 0;
        p->rc = ledger_epcis_doc_foreach_opts(p->body, p->len, "document", 0, NULL, NULL, &count,
                                              &err);
        p->events = count;
        if (!p->rc && j->max_events && count > j->max_events)
            p->rc = ledger_err_set(&err, LEDGER_ETOOBIG,
                                   "document: %zu events, more than the %zu this node captures "
                                   "per document: split it",
                                   count, j->max_events);
        snprintf(p->msg, sizeof p->msg, "%s", p->rc ? err.msg : "");
    }
    if (!f) {
        rc = ledger_err_set(&err, LEDGER_ENOMEM, "out of memory");
        goto fail;
    }
    for (;;) {
        size_t bad = j->nparts;
        f->job = j;
        f->err = &err;
        f->n = f->first = 0;
        j->stored = j->skipped = 0;
        ledger_err_clear(&err);
        if ((rc = ledger_store_append_begin(w->st, w->id, LEDGER_APPEND_SKIP_DUPLICATES,
                                            &f->append, &err)))
            goto fail;
        for (size_t i = 0; i < j->nparts && !rc; i++) {
            node_writer_part_t *p = &j->parts[i];
            size_t s0 = j->stored, k0 = j->skipped;
            if (p->rc)
                continue;
            f->first = 0; /* event indexes are the document's own */
            rc = ledger_epcis_doc_foreach_opts(p->body, p->len, "document",
                                               LEDGER_EPCIS_UNCHECKED, take, f, NULL, &err);
            if (!rc)
                rc = flush(f);
            for (size_t k = 0; k < f->n; k++)
                json_decref(f->chunk[k]);
            f->n = 0;
            if (rc)
                bad = i;
            p->stored = j->stored - s0;
            p->skipped = j->skipped - k0;
        }
        if (!rc) {
            rc = ledger_store_append_commit(f->append, &err);
            if (rc)
                goto fail;
            break;
        }
        ledger_store_append_abort(f->append);
        if (rc == LEDGER_EIO || rc == LEDGER_ENOMEM || rc == LEDGER_ELOCKED || bad == j->nparts)
            goto fail;
        j->parts[bad].rc = rc; /* this document's fault: refused, the others again */
        snprintf(j->parts[bad].msg, sizeof j->parts[bad].msg, "%s", err.msg);
        rc = 0;
    }
    goto out;
fail:
    for (size_t i = 0; i < j->nparts; i++)
        if (!j->parts[i].rc) {
            j->parts[i].rc = rc;
            j->parts[i].stored = j->parts[i].skipped = 0;
            snprintf(j->parts[i].msg, sizeof j->parts[i].msg, "%s", err.msg);
        }
    j->stored = j->skipped = 0;
out:
    free(f);
    for (size_t i = 0; i < j->nparts; i++) {
        free(j->parts[i].body);
        j->parts[i].body = NULL;
    }
}

static void thread_main(void *arg)
{
    node_writer_t *w = arg;
    uv_mutex_lock(&w->mu);
    for (;;) {
        node_writer_job_t *j;
        while (!w->todo && !w->stop)
            uv_cond_wait(&w->cv, &w->mu);
        if (w->stop)
            break;
        j = w->todo;
        w->todo = j->next_;
        if (!w->todo)
            w->todo_tail = NULL;
        w->ntodo--;
        w->running = 1;
        uv_mutex_unlock(&w->mu);
        if (j->parts)
            run_batch(w, j);
        else
            run_job(w, j);
        uv_mutex_lock(&w->mu);
        w->running = 0;
        push(&w->done, &w->done_tail, j);
        uv_async_send(&w->async);
    }
    uv_mutex_unlock(&w->mu);
}

/* ---- the loop side ---------------------------------------------------------- */

static void deliver(node_writer_t *w)
{
    node_writer_job_t *j, *next;
    uv_mutex_lock(&w->mu);
    j = w->done;
    w->done = w->done_tail = NULL;
    uv_mutex_unlock(&w->mu);
    for (; j; j = next) {
        next = j->next_;
        j->next_ = NULL;
        w->done_fn(w->ctx, j);
    }
}

static void on_async(uv_async_t *a)
{
    deliver(a->data);
}

static void free_data(uv_handle_t *h)
{
    free(h->data);
}

int node_writer_new(uv_loop_t *loop, ledger_store_t *st, const ledger_identity_t *id,
                    node_writer_done_fn done, void *ctx, node_writer_t **out, ledger_err_t *err)
{
    node_writer_t *w = calloc(1, sizeof *w);
    *out = NULL;
    if (!w)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    w->loop = loop;
    w->st = st;
    w->id = id;
    w->done_fn = done;
    w->ctx = ctx;
    if (uv_mutex_init(&w->mu)) {
        free(w);
        return ledger_err_set(err, LEDGER_ENOMEM, "cannot make the writer's mutex");
    }
    if (uv_cond_init(&w->cv)) {
        uv_mutex_destroy(&w->mu);
        free(w);
        return ledger_err_set(err, LEDGER_ENOMEM, "cannot make the writer's condition");
    }
    uv_async_init(loop, &w->async, on_async);
    w->async.data = w;
    if (uv_thread_create(&w->thread, thread_main, w)) {
        uv_cond_destroy(&w->cv);
        uv_mutex_destroy(&w->mu);
        uv_close((uv_handle_t *)&w->async, free_data);
        return ledger_err_set(err, LEDGER_EIO, "cannot start the writer thread");
    }
    *out = w;
    return 0;
}

int node_writer_submit(node_writer_t *w, node_writer_job_t *job, ledger_err_t *err)
{
    uv_mutex_lock(&w->mu);
    if (w->ntodo >= NODE_WRITER_QUEUE_MAX || w->stop) {
        size_t n = w->ntodo;
        uv_mutex_unlock(&w->mu);
        return ledger_err_set(err, LEDGER_ETOOBIG, "%zu captures wait to be stored already", n);
    }
    push(&w->todo, &w->todo_tail, job);
    w->ntodo++;
    uv_cond_signal(&w->cv);
    uv_mutex_unlock(&w->mu);
    return 0;
}

size_t node_writer_pending(const node_writer_t *w)
{
    size_t n;
    uv_mutex_lock((uv_mutex_t *)&w->mu);
    n = w->ntodo + (size_t)w->running;
    uv_mutex_unlock((uv_mutex_t *)&w->mu);
    return n;
}

static void on_closed(uv_handle_t *h)
{
    node_writer_t *w = h->data;
    uv_cond_destroy(&w->cv);
    uv_mutex_destroy(&w->mu);
    free(w);
}

void node_writer_close(node_writer_t *w)
{
    node_writer_job_t *j, *next;
    if (!w)
        return;
    uv_mutex_lock(&w->mu);
    w->stop = 1;
    uv_cond_signal(&w->cv);
    uv_mutex_unlock(&w->mu);
    uv_thread_join(&w->thread);
    deliver(w);
    for (j = w->todo; j; j = next) { /* never run */
        next = j->next_;
        j->next_ = NULL;
        j->rc = LEDGER_EIO;
        snprintf(j->msg, sizeof j->msg, "the node stopped before this capture was stored");
        free(j->body);
        j->body = NULL;
        for (size_t i = 0; i < j->nparts; i++) {
            j->parts[i].rc = LEDGER_EIO;
            snprintf(j->parts[i].msg, sizeof j->parts[i].msg, "%s", j->msg);
            free(j->parts[i].body);
            j->parts[i].body = NULL;
        }
        w->done_fn(w->ctx, j);
    }
    w->todo = w->todo_tail = NULL;
    w->ntodo = 0;
    uv_close((uv_handle_t *)&w->async, on_closed);
}
