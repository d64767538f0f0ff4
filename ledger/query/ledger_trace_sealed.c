/* ledger_trace_sealed.c -- the sealed steps of a trace (ledger__trace.h):
 * after the walk, the entries next to each event node's entry in its feed
 * (up to LEDGER_TRACE_SEALED_RUN each way) that are sealed -- a partner's
 * step kept private, of which only who and when is known -- become nodes
 * linked to the step they neighbour. Only feeds whose head says they hold
 * sealed entries are looked at. Called by ledger_trace_run.c; calls the
 * nodes (ledger_trace_node.c) and the graph. */
#include "ledger_trace.h"

#include <string.h>

#include "ledger__trace.h"

typedef ledger__twalk_t walk_t;

typedef struct nb_ctx {
    walk_t *w;
    size_t step;
    int sealed; /* the entry looked at was sealed (and is now a node) */
    int rc;
} nb_ctx_t;

static int nb_cb(const ledger_stored_t *s, void *vctx)
{
    nb_ctx_t *nc = vctx;
    size_t idx;
    nc->w->t->reads++;
    if (s->e.payload || nc->sealed)
        return 0; /* a visible entry (or fork evidence after the main one) */
    nc->sealed = 1;
    if ((nc->rc = ledger__trace_entry_node(nc->w, s, nc->w->t->nodes[nc->step].depth, 0, &idx)) ==
        0) {
        /* a sealed entry has no eventTime: it takes its place in the story
         * next to the step it neighbours (its record time stays known) */
        if (nc->w->t->nodes[idx].time_ms == (int64_t)s->e.h.record_time_ms)
            nc->w->t->nodes[idx].time_ms = nc->w->t->nodes[nc->step].time_ms;
        nc->rc = ledger__trace_add_edge(nc->w->t, nc->step, idx, LEDGER_TEDGE_NEIGHBOUR, 0);
    }
    return nc->rc < 0 ? nc->rc : 0;
}

/* 1 when the store holds sealed entries of feed (its head's flag; the
 * last few feeds asked about are remembered), 0 when not, <0 error. */
static int feed_has_sealed(walk_t *w, const uint8_t *feed)
{
    ledger_feed_head_t h;
    ledger_err_t e2;
    int rc;
    for (size_t i = 0; i < w->nfeeds; i++)
        if (memcmp(w->feeds[i].feed, feed, LEDGER_FEED_LEN) == 0)
            return w->feeds[i].sealed;
    if ((rc = ledger_store_head(w->st, feed, &h, &e2)))
        return ledger_err_set(w->err, rc, "%s", e2.msg);
    if (w->nfeeds < sizeof w->feeds / sizeof w->feeds[0]) {
        memcpy(w->feeds[w->nfeeds].feed, feed, LEDGER_FEED_LEN);
        w->feeds[w->nfeeds++].sealed = (h.flags & LEDGER_FEED_SEALED) != 0;
    }
    return (h.flags & LEDGER_FEED_SEALED) != 0;
}

int ledger__trace_sealed_neighbours(walk_t *w)
{
    size_t n = w->t->nn;
    for (size_t i = 0; i < n && !w->full; i++) {
        int has;
        if (w->t->nodes[i].kind != LEDGER_TNODE_EVENT)
            continue;
        /* most partners seal nothing: no look-ups next to their steps */
        if ((has = feed_has_sealed(w, w->t->nodes[i].feed)) < 0)
            return has;
        if (!has)
            continue;
        for (int dir = -1; dir <= 1; dir += 2) {
            for (unsigned k = 1; k <= LEDGER_TRACE_SEALED_RUN; k++) {
                nb_ctx_t nc = {.w = w, .step = i};
                uint8_t feed[LEDGER_FEED_LEN];
                uint64_t seq = w->t->nodes[i].seq;
                int rc;
                if (dir < 0 && seq <= k)
                    break;
                seq = dir < 0 ? seq - k : seq + k;
                memcpy(feed, w->t->nodes[i].feed, LEDGER_FEED_LEN);
                rc = ledger_store_get(w->st, feed, seq, nb_cb, &nc, NULL);
                if (rc == LEDGER_ENOTFOUND)
                    break;
                if (rc < 0)
                    return nc.rc < 0 ? ledger_err_set(w->err, nc.rc, "out of memory")
                                     : ledger_err_set(w->err, rc, "cannot read %llu",
                                                      (unsigned long long)seq);
                if (!nc.sealed || nc.rc > 0)
                    break;
            }
        }
    }
    return 0;
}
