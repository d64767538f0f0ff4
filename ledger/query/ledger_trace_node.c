/* ledger_trace_node.c -- the nodes of the trace walk (ledger__trace.h):
 * an event's node made from its card once per local position (type,
 * action, bizStep, identifiers with roles; no payload decoded), a sealed
 * step's from its entry's header, and the JSON event of a node decoded from
 * its entry when a caller first asks for it (ledger_trace_node_event). The
 * walk (ledger_trace.c) and the sealed steps (ledger_trace_sealed.c) call
 * these; they call only the graph (ledger_trace_graph.c) and the store. */
#include "ledger_trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_epcis.h"
#include "ledger__trace.h"

typedef ledger__twalk_t walk_t;

/* The short CBV word of v ("shipping" for its URN or Web URI), owned by
 * the trace. A walk meets a handful of distinct values thousands of times:
 * the last few are remembered (cache) instead of copied per event. */
static const char *short_cbv(walk_t *w, const char *v)
{
    char buf[256];
    const char *s;
    size_t k;
    if (!v)
        return NULL;
    for (k = 0; k < w->ncbv; k++)
        if (strcmp(w->cbv[k].full, v) == 0)
            return w->cbv[k].word;
    ledger_epcis_cbv_short(v, buf, sizeof buf);
    if (!(s = ledger__trace_strdup(w->t, buf)))
        return NULL;
    if (w->ncbv < sizeof w->cbv / sizeof w->cbv[0] &&
        (w->cbv[w->ncbv].full = ledger__trace_strdup(w->t, v)))
        w->cbv[w->ncbv++].word = s;
    return s;
}

#define NOT_A_NODE ((size_t)-1) /* entries map: an lseq that makes no node */

/* What kind of step event node n is (from its card; kept in n->step). */
static int step_of(const ledger_trace_node_t *n)
{
    const char *ty = n->type ? n->type : "";
    if (strcmp(ty, "TransformationEvent") == 0)
        return LEDGER_TEDGE_TRANSFORMATION;
    if (strcmp(ty, "AggregationEvent") == 0)
        return LEDGER_TEDGE_AGGREGATION;
    if (strcmp(ty, "TransactionEvent") == 0)
        return LEDGER_TEDGE_TRANSACTION;
    if (strcmp(ty, "AssociationEvent") == 0)
        return LEDGER_TEDGE_ASSOCIATION;
    if (n->biz_step &&
        (strcmp(n->biz_step, "shipping") == 0 || strcmp(n->biz_step, "receiving") == 0 ||
         strcmp(n->biz_step, "departing") == 0 || strcmp(n->biz_step, "arriving") == 0))
        return LEDGER_TEDGE_SHIPMENT;
    for (size_t i = 0; n->card && i < n->card->nids; i++)
        if (n->card->ids[i].role == LEDGER_ROLE_SOURCE || n->card->ids[i].role == LEDGER_ROLE_DEST)
            return LEDGER_TEDGE_SHIPMENT;
    return LEDGER_TEDGE_OBSERVATION;
}

/* A new node for the entry at lseq (the entries map updated: through
 * slot, its value there, when given): 0, 1 when max_nodes is reached,
 * LEDGER_ENOMEM. */
static int new_entry_node(walk_t *w, uint64_t lseq, size_t *slot, ledger_trace_node_t **n,
                          size_t *idx)
{
    ledger_trace_t *t = w->t;
    int rc;
    if (t->nn >= w->o.max_nodes) {
        w->full = 1;
        t->truncated = 1;
        return 1;
    }
    if ((rc = ledger__trace_add_node(t, n, idx)))
        return rc;
    (*n)->lseq = lseq;
    if (slot) {
        *slot = *idx;
        return 0;
    }
    {
        int added;
        if (!(slot = ledger__umap_upsert(&t->entries, lseq, &added)))
            return LEDGER_ENOMEM;
        *slot = *idx;
    }
    return 0;
}

/* The node of the event entry at lseq, made from its card once per lseq:
 * 0; 1 when max_nodes is reached; 2 when the entry makes no node (an
 * errorDeclaration restates its event: folded into that event's node by
 * ledger__trace_check_declarations); a negative error. */
int ledger__trace_card_node(walk_t *w, uint64_t lseq, unsigned depth, unsigned reached, size_t *idx)
{
    ledger_trace_t *t = w->t;
    int added;
    size_t *v = ledger__umap_upsert(&t->entries, lseq, &added);
    ledger_trace_node_t *n;
    ledger_card_t *c;
    int rc;

    if (!v)
        return ledger_err_set(w->err, LEDGER_ENOMEM, "out of memory");
    if (!added) {
        if (*v == NOT_A_NODE)
            return 2;
        t->nodes[*v].reached |= reached;
        *idx = *v;
        return 0;
    }
    *v = NOT_A_NODE; /* until its node is made (new_entry_node) */
    /* the card lives in the trace's arena: no malloc and free per card */
    if (!(c = ledger_arena_alloc(&t->arena, sizeof *c, _Alignof(ledger_card_t))))
        return ledger_err_set(w->err, LEDGER_ENOMEM, "out of memory");
    t->reads++;
    if ((rc = ledger_store_card_in(w->st, lseq, &t->arena, c, w->err)))
        return rc == LEDGER_ENOTFOUND ? 2 : rc;
    if (c->error_declaration)
        return 2;
    if ((rc = new_entry_node(w, lseq, v, &n, idx)))
        return rc;
    n->kind = LEDGER_TNODE_EVENT;
    n->card = c;
    n->depth = depth;
    n->reached = reached;
    memcpy(n->feed, c->feed, LEDGER_FEED_LEN);
    n->seq = c->seq;
    n->record_time_ms = c->record_time_ms;
    n->time_ms = c->time_ms;
    n->type = c->type;
    n->action = c->action;
    n->biz_step = short_cbv(w, c->biz_step);
    n->disposition = short_cbv(w, c->disposition);
    n->read_point = c->read_point;
    n->biz_location = c->biz_location;
    n->id = c->event_id ? c->event_id : c->event_hash;
    n->event_hash = c->event_hash;
    if ((c->biz_step && !n->biz_step) || (c->disposition && !n->disposition))
        return ledger_err_set(w->err, LEDGER_ENOMEM, "out of memory");
    n->step = step_of(n);
    /* the errorDeclaration of this event, if any: looked up after the
     * index walk that found it (ledger__trace_check_declarations) */
    return 0;
}

/* The node of a stored entry: an event's from its card, else a sealed
 * step (who and when). As ledger__trace_card_node. */
int ledger__trace_entry_node(walk_t *w, const ledger_stored_t *s, unsigned depth, unsigned reached,
                             size_t *idx)
{
    ledger_trace_t *t = w->t;
    size_t *v;
    ledger_trace_node_t *n;
    char buf[2 * LEDGER_FEED_LEN + 32];
    int rc;

    if (s->e.payload)
        return s->e.h.ptype == LEDGER_PT_EVENT
                   ? ledger__trace_card_node(w, s->lseq, depth, reached, idx)
                   : 2;
    if ((v = ledger__umap_get(&t->entries, s->lseq))) {
        if (*v == NOT_A_NODE)
            return 2;
        t->nodes[*v].reached |= reached;
        *idx = *v;
        return 0;
    }
    if ((rc = new_entry_node(w, s->lseq, NULL, &n, idx)))
        return rc;
    n->kind = LEDGER_TNODE_SEALED;
    n->depth = depth;
    n->reached = reached;
    memcpy(n->feed, s->e.h.feed, LEDGER_FEED_LEN);
    n->seq = s->e.h.seq;
    n->record_time_ms = s->e.h.record_time_ms;
    n->time_ms = (int64_t)s->e.h.record_time_ms;
    ledger_hex(s->e.h.feed, LEDGER_FEED_LEN, buf);
    snprintf(buf + 2 * LEDGER_FEED_LEN, 32, ":%llu", (unsigned long long)s->e.h.seq);
    if (!(n->id = ledger__trace_strdup(t, buf)))
        return ledger_err_set(w->err, LEDGER_ENOMEM, "out of memory");
    return 0;
}

typedef struct json_ctx {
    json_t *ev;
    ledger_err_t *err;
    int rc;
} json_ctx_t;

static int json_cb(const ledger_stored_t *s, void *vctx)
{
    json_ctx_t *jc = vctx;
    if (s->e.payload && s->e.h.ptype == LEDGER_PT_EVENT)
        jc->rc = ledger_event_payload_decode(s->e.payload, s->e.plen, &jc->ev, NULL, 0, jc->err);
    return 0;
}

/* The JSON event of event node e, decoded from its entry when first asked
 * for. NULL on error (the error in *err, *rcp). */
static const json_t *trace_event(ledger_trace_t *t, size_t e, ledger_err_t *err, int *rcp)
{
    json_ctx_t jc = {.err = err};
    int rc;
    if (t->nodes[e].event || t->nodes[e].kind != LEDGER_TNODE_EVENT)
        return t->nodes[e].event;
    t->reads++;
    rc = ledger_store_get_lseq(t->st, t->nodes[e].lseq, json_cb, &jc, err);
    if (rc || jc.rc || !jc.ev) {
        json_decref(jc.ev);
        *rcp = rc ? rc : jc.rc ? jc.rc : ledger_err_set(err, LEDGER_EVERIFY, "no event");
        return NULL;
    }
    if (ledger__trace_keep_event(t, jc.ev)) {
        json_decref(jc.ev);
        *rcp = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        return NULL;
    }
    t->nodes[e].event = jc.ev;
    return jc.ev;
}

const json_t *ledger_trace_node_event(const ledger_trace_t *ct, const ledger_trace_node_t *n)
{
    ledger_trace_t *t = (ledger_trace_t *)ct; /* the trace is never made const: a cache */
    ledger_err_t err;
    int rc;
    if (!t || !n || n < t->nodes || n >= t->nodes + t->nn)
        return NULL;
    return trace_event(t, (size_t)(n - t->nodes), &err, &rc);
}
