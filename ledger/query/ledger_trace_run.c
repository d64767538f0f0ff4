/* ledger_trace_run.c -- the entry point of the trace (ledger_trace.h):
 * ledger_trace_run in its steps -- the options, one read snapshot for the
 * whole walk, the start (an entry "FEEDHEX:SEQ", an event ID, or an
 * identifier as its key, ledger_key_t, read once at the edge), the walk
 * (ledger_trace.c), the sealed steps next to what it found
 * (ledger_trace_sealed.c), and the final order (ledger_trace_graph.c). */
#include "ledger_trace.h"

#include <stdlib.h>
#include <string.h>

#include "ledger_epcis.h"
#include "ledger__trace.h"

/* "FEEDHEX:SEQ" with 64 hex digits: 1 and the parts, else 0. */
static int parse_feed_seq(const char *s, uint8_t feed[LEDGER_FEED_LEN], uint64_t *seq)
{
    char hex[2 * LEDGER_FEED_LEN + 1];
    if (strlen(s) < 2 * LEDGER_FEED_LEN + 2 || s[2 * LEDGER_FEED_LEN] != ':' ||
        strspn(s, "0123456789abcdef") != 2 * LEDGER_FEED_LEN ||
        strspn(s + 2 * LEDGER_FEED_LEN + 1, "0123456789") != strlen(s) - 2 * LEDGER_FEED_LEN - 1)
        return 0;
    memcpy(hex, s, 2 * LEDGER_FEED_LEN);
    hex[2 * LEDGER_FEED_LEN] = '\0';
    if (ledger_unhex(hex, feed, LEDGER_FEED_LEN))
        return 0;
    *seq = strtoull(s + 2 * LEDGER_FEED_LEN + 1, NULL, 10);
    return *seq > 0;
}

/* The walk's options: opts (NULL: none) with the defaults filled in.
 * LEDGER_EINVAL for a bad direction. */
static int walk_options(const ledger_trace_opts_t *opts, ledger_trace_opts_t *o, ledger_err_t *err)
{
    memset(o, 0, sizeof *o);
    if (opts)
        *o = *opts;
    if (!o->dir)
        o->dir = LEDGER_TRACE_BOTH;
    if (o->dir > LEDGER_TRACE_BOTH)
        return ledger_err_set(err, LEDGER_EINVAL, "trace: bad direction %u", o->dir);
    if (!o->max_depth)
        o->max_depth = 64;
    if (!o->max_nodes)
        o->max_nodes = 200000;
    if (o->max_nodes >= (size_t)1 << 24)
        o->max_nodes = ((size_t)1 << 24) - 1; /* edge keys hold node indexes in 24 bits */
    return 0;
}

/* An empty trace of store st (NULL when out of memory). */
static ledger_trace_t *trace_new(ledger_store_t *st)
{
    ledger_trace_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    ledger_arena_init(&t->arena);
    t->idents.strings = 1;
    t->idents.arena = &t->arena;
    t->start = (size_t)-1;
    t->st = st;
    return t;
}

/* The start given as an entry "FEEDHEX:SEQ" (feed, seq): its node is the
 * trace's start. LEDGER_ENOTFOUND for an errorDeclaration. */
static int start_entry(ledger__twalk_t *w, const char *start, const uint8_t *feed, uint64_t seq)
{
    ledger__tstart_t sc = {.w = w};
    int rc;
    if ((rc = ledger_store_get(w->st, feed, seq, ledger__trace_start_cb, &sc, w->err)))
        return rc;
    if (!sc.n)
        return ledger_err_set(w->err, LEDGER_ENOTFOUND, "entry %s is an errorDeclaration", start);
    w->t->start = sc.nodes[0];
    return 0;
}

/* Any other start, as its key: a URI without GS1 form is looked up as an
 * event ID first (whose node is then the trace's start). What is no event
 * is an identifier: *is_ident = 1 and its first items queued. */
static int start_named(ledger__twalk_t *w, const ledger_key_t *k, int *is_ident)
{
    ledger_err_t *err = w->err, e2;
    int rc;
    if (!k->gs1) { /* no GS1 form: the URI as written, an event ID */
        ledger__tstart_t sc = {.w = w};
        rc = ledger_store_find_event(w->st, k->text, ledger__trace_start_cb, &sc, &e2);
        if (rc && rc != LEDGER_ENOTFOUND)
            return ledger_err_set(err, rc, "%s", e2.msg);
        if (sc.n)
            w->t->start = sc.nodes[0];
    }
    if (w->t->start == (size_t)-1) {
        *is_ident = 1;
        if (ledger__trace_start_ident(w, k->text))
            return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    }
    return 0;
}

/* The walk from the start: an event's declarations and identifiers, then
 * the queue; for an identifier start the lot it names next to its serial
 * (k->lot) is followed back too, and its node becomes the trace's start
 * (LEDGER_ENOTFOUND when no event names it). */
static int walk(ledger__twalk_t *w, const ledger_key_t *k, int is_ident)
{
    const char *lot = "";
    int rc;
    if (!is_ident) {
        if ((rc = ledger__trace_check_declarations(w, 0)))
            return rc;
        if ((rc = ledger__trace_start_event(w, w->t->start)))
            return rc;
    } else if (w->o.dir & LEDGER_TRACE_BACK) {
        lot = k->lot;
    }
    if ((rc = ledger__trace_drain(w, k->text, lot)))
        return rc;
    if (is_ident) {
        size_t node = ledger__trace_find_canonical(w->t, k->text);
        if (node == (size_t)-1)
            return ledger_err_set(w->err, LEDGER_ENOTFOUND, "no event names %s in this store",
                                  k->given ? k->given : k->text);
        w->t->start = node;
    }
    return 0;
}

/* ---- the API --------------------------------------------------------------- */

int ledger_trace_run(ledger_store_t *st, const char *start, const ledger_trace_opts_t *opts,
                     ledger_trace_t **out, ledger_err_t *err)
{
    ledger_key_t *k;
    int rc;
    if (out)
        *out = NULL;
    if (!st || !start || !*start || !out)
        return ledger_err_set(err, LEDGER_EINVAL, "trace: no store, start or result");
    if (!(k = malloc(sizeof *k)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    rc = ledger_key_read(start, k, err);
    if (rc == 0)
        rc = ledger_trace_run_key(st, k, opts, out, err);
    free(k);
    return rc;
}

int ledger_trace_run_key(ledger_store_t *st, const ledger_key_t *start,
                         const ledger_trace_opts_t *opts, ledger_trace_t **out, ledger_err_t *err)
{
    ledger__twalk_t w;
    ledger_trace_opts_t o;
    ledger_trace_t *t = NULL;
    uint8_t feed[LEDGER_FEED_LEN];
    uint64_t seq;
    int rc, is_ident = 0, held = 0;

    if (out)
        *out = NULL;
    if (!st || !start || !start->text[0] || !out)
        return ledger_err_set(err, LEDGER_EINVAL, "trace: no store, start or result");
    if (!(t = trace_new(st)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    rc = walk_options(opts, &o, err);
    ledger__trace_walk_init(&w, t, st, &o, err);
    if (rc)
        goto fail;
    t->dir = o.dir;
    /* one snapshot for the whole walk, and no transaction per look-up */
    if ((rc = ledger_store_hold(st, err)))
        goto fail;
    held = 1;
    if ((rc = ledger_store_has_declarations(st, err)) < 0)
        goto fail;
    w.decls = rc;
    if (!start->gs1 && parse_feed_seq(start->text, feed, &seq))
        rc = start_entry(&w, start->text, feed, seq);
    else
        rc = start_named(&w, start, &is_ident);
    if (rc || (rc = walk(&w, start, is_ident)))
        goto fail;
    if (!o.no_sealed && (rc = ledger__trace_sealed_neighbours(&w)))
        goto fail;
    if ((rc = ledger__trace_reorder(t))) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto fail;
    }
    *out = t;
    t = NULL;
    rc = 0;
fail:
    ledger_trace_free(t);
    if (held)
        ledger_store_release(st);
    ledger__trace_walk_free(&w);
    return rc;
}
