/* ledger_trace.c -- the trace walk (ledger_trace.h): a work queue of
 * (identifier, mode, window) items, each answered by one index walk over
 * the identifier's rows in that time window (ledger_store_ident_hits);
 * events become nodes once (keyed by their local position) from their
 * cards (ledger_store_card: type, action, bizStep, identifiers with roles),
 * each looked up once in the errorDeclaration index; the rules of the
 * header decide which identifiers of an event are followed next. No payload
 * is decoded by the walk (an instance's lot from ILMD is on the card, role
 * LEDGER_ROLE_LOT); ledger_trace_node_event decodes one for a caller. The whole walk
 * runs in one read transaction (ledger_store_hold), and no look-up is made
 * inside a store callback: callbacks only copy what they need. The graph
 * itself (maps, storage, final order) is ledger_trace_graph.c; its JSON
 * form ledger_trace_json.c. */
#include "ledger_trace.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger_epcis.h"
#include "gs1_key.h"
#include "ledger__trace.h"

#define T_INF INT64_MAX
#define T_NINF INT64_MIN

/* ---- the walk's state ------------------------------------------------------ */

enum { MODE_BACK = 1, MODE_FORWARD = 2, MODE_CARRIER = 3 };

typedef struct item {
    const char *ident; /* t->syms[sym].id */
    size_t sym;
    int mode;
    int64_t lo, hi;
    size_t via; /* CARRIER: the identifier inside (a sym; NO_SYM: none) */
    unsigned depth;
    size_t link_from; /* node to link to on success ((size_t)-1: none) */
    int link_kind;    /* edge kind for that link */
    size_t vmore;     /* CARRIER: more identifiers inside (walk_t.vias; NO_VIA: none) */
} item_t;

#define NO_VIA ((size_t)-1)
#define NO_SYM ((size_t)-1)

/* One more identifier inside a carrier, with its own window's end: the
 * products packed in one case are one carrier item, not one each. */
typedef struct via {
    size_t via; /* a sym */
    int64_t hi;
    size_t next;
} via_t;

/* A carrier item pushed from an event's card (push_id): the next child of
 * the same ADD joins it without a look-up in the pending map. */
struct carry {
    size_t i, q; /* the card's identifier, the queue index */
    int64_t lo, hi;
    size_t link;
    unsigned depth;
    int kind;
};

typedef struct hit {
    size_t node;
    int role;
} hit_t;

/* The identifiers of an event: its card's (canonical, with roles). */
typedef struct ids_ctx {
    const ledger_card_ident_t *ids;
    size_t n;
} ids_ctx_t;

typedef struct walk {
    ledger_trace_t *t;
    ledger_store_t *st;
    ledger_trace_opts_t o;
    item_t *q;
    size_t qn, qcap, qhead;
    ledger_arena_t arena; /* the keys of visited and pending, csyms' arrays */
    size_t **csyms;       /* per event node: the syms of its card's identifiers */
    size_t ncsyms;
    struct carry **ccar; /* per event node: the carrier item its parent was last pushed as */
    size_t nccar;
    struct cseen {
        size_t carrier; /* the carrier's sym */
        int64_t lo;     /* the window's start */
        size_t bound;   /* its bounds in bounds[] */
        size_t next;    /* the next window of the same identifier inside, or -1 */
    } * cs;             /* windows inside carriers, listed per identifier inside (its
                           sym's carried) */
    size_t ncs, ccs;
    ledger__tmap_t visited; /* (sym, via, mode, lo) -> window bound index in bounds[] */
    int64_t *bounds;
    size_t nbounds, cbounds;
    hit_t *hits;
    size_t nhits, chits;
    ledger_ident_hit_t *ih; /* the index rows of the item being processed */
    size_t nih, cih;
    via_t *vias; /* the carriers' further identifiers inside */
    size_t nvias, cvias;
    ledger__tmap_t pending; /* CARRIER (sym, lo, hi, depth, link) -> queue index */
    via_t *act;             /* the carrier being processed: its vias not seen yet */
    size_t nact, cact;
    struct {
        uint8_t feed[LEDGER_FEED_LEN];
        int sealed;
    } feeds[16]; /* feed_has_sealed */
    size_t nfeeds;
    ledger_err_t *err;
    int rc;    /* error from a callback */
    int full;  /* max_nodes reached */
    int decls; /* the store holds errorDeclarations (else none is looked up) */
    struct {
        const char *full, *word;
    } cbv[16]; /* short_cbv's cache */
    size_t ncbv;
} walk_t;

/* The node of identifier sym, made when missing. */
static int ident_node(walk_t *w, size_t sym, unsigned depth, unsigned reached, size_t *idx)
{
    ledger_trace_t *t = w->t;
    ledger_trace_node_t *n;
    int rc;
    if (t->syms[sym].node != (size_t)-1) {
        *idx = t->syms[sym].node;
        t->nodes[*idx].reached |= reached;
        return 0;
    }
    if (t->nn >= w->o.max_nodes) {
        w->full = 1;
        t->truncated = 1;
        return 1;
    }
    if ((rc = ledger__trace_add_node(t, &n, idx)))
        return rc;
    n->kind = LEDGER_TNODE_IDENT;
    n->depth = depth;
    n->reached = reached;
    n->id = t->syms[sym].id;
    t->syms[sym].node = *idx;
    return 0;
}

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

/* Keeps event ev (a reference) with the trace, which frees it. 0 or -1. */
static int keep_event(ledger_trace_t *t, json_t *ev)
{
    json_t **evs = ledger__trace_room(t->evs, t->nev, &t->cev, sizeof *t->evs);
    if (!evs)
        return -1;
    t->evs = evs;
    t->evs[t->nev++] = ev;
    return 0;
}

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
 * check_declarations); a negative error. */
static int card_node(walk_t *w, uint64_t lseq, unsigned depth, unsigned reached, size_t *idx)
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
     * index walk that found it (check_declarations) */
    return 0;
}

/* The node of a stored entry: an event's from its card, else a sealed
 * step (who and when). As card_node. */
static int entry_node(walk_t *w, const ledger_stored_t *s, unsigned depth, unsigned reached,
                      size_t *idx)
{
    ledger_trace_t *t = w->t;
    size_t *v;
    ledger_trace_node_t *n;
    char buf[2 * LEDGER_FEED_LEN + 32];
    int rc;

    if (s->e.payload)
        return s->e.h.ptype == LEDGER_PT_EVENT ? card_node(w, s->lseq, depth, reached, idx) : 2;
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
    if (keep_event(t, jc.ev)) {
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

/* ---- queue ------------------------------------------------------------- */

/* One more identifier inside carrier item q (via, up to hi). */
static int add_via(walk_t *w, size_t q, size_t via, int64_t hi)
{
    via_t *vias = ledger__trace_room(w->vias, w->nvias, &w->cvias, sizeof *w->vias);
    if (!vias)
        return LEDGER_ENOMEM;
    w->vias = vias;
    w->vias[w->nvias] = (via_t){.via = via, .hi = hi, .next = w->q[q].vmore};
    w->q[q].vmore = w->nvias++;
    return 0;
}

/* As push_sym, and *qi the queue index of the item that got it ((size_t)-1:
 * none, past max_depth). */
static int push_sym_q(walk_t *w, size_t sym, int mode, int64_t lo, int64_t hi, size_t via,
                      unsigned depth, size_t link_from, int link_kind, size_t *qi)
{
    item_t *it, *q;
    *qi = (size_t)-1;
    if (depth > w->o.max_depth) {
        w->t->truncated = 1;
        return 0;
    }
    if (!(q = ledger__trace_room(w->q, w->qn, &w->qcap, sizeof *w->q)))
        return LEDGER_ENOMEM;
    w->q = q;
    if (mode == MODE_CARRIER && via != NO_SYM) {
        /* the same container, window, depth and link as a carrier item that
         * waits in the queue: one more identifier inside it */
        struct {
            uint64_t sym, from;
            int64_t lo, hi;
            uint32_t depth, kind;
        } key = {sym, link_from, lo, hi, depth, (uint32_t)link_kind};
        size_t *v;
        int added;
        if (!(v = ledger__tmap_upsert_b(&w->pending, &key, sizeof key, &added)))
            return LEDGER_ENOMEM;
        if (!added && *v >= w->qhead && *v < w->qn) {
            *qi = *v;
            return add_via(w, *v, via, hi);
        }
        *v = w->qn; /* the item pushed below */
    }
    *qi = w->qn;
    it = &w->q[w->qn++];
    *it = (item_t){.ident = w->t->syms[sym].id,
                   .sym = sym,
                   .mode = mode,
                   .lo = lo,
                   .hi = hi,
                   .via = via,
                   .depth = depth,
                   .link_from = link_from,
                   .link_kind = link_kind,
                   .vmore = NO_VIA};
    return 0;
}

/* Queues an item for identifier sym; via: a CARRIER's identifier inside
 * (a sym, or NO_SYM). */
static int push_sym(walk_t *w, size_t sym, int mode, int64_t lo, int64_t hi, size_t via,
                    unsigned depth, size_t link_from, int link_kind)
{
    size_t qi;
    return push_sym_q(w, sym, mode, lo, hi, via, depth, link_from, link_kind, &qi);
}

/* The same for identifier text ident (interned here). */
static int push(walk_t *w, const char *ident, int mode, int64_t lo, int64_t hi, size_t via,
                unsigned depth, size_t link_from, int link_kind)
{
    size_t sym;
    if (ledger__trace_intern(w->t, ident, &sym))
        return LEDGER_ENOMEM;
    return push_sym(w, sym, mode, lo, hi, via, depth, link_from, link_kind);
}

/* The same for identifier i of event node e's card: its sym is interned
 * once per card (the parent of an ADD is pushed once per child). */
static int push_id(walk_t *w, size_t e, size_t i, int mode, int64_t lo, int64_t hi, size_t via,
                   unsigned depth, size_t link_from, int link_kind)
{
    const ledger_card_t *c = w->t->nodes[e].card;
    size_t *syms;
    if (e >= w->ncsyms) {
        size_t nc = w->ncsyms ? w->ncsyms : 256, **ns;
        while (nc <= e)
            nc *= 2;
        if (!(ns = realloc(w->csyms, nc * sizeof *ns)))
            return LEDGER_ENOMEM;
        memset(ns + w->ncsyms, 0, (nc - w->ncsyms) * sizeof *ns);
        w->csyms = ns;
        w->ncsyms = nc;
    }
    if (!(syms = w->csyms[e])) {
        if (!(syms = ledger_arena_alloc(&w->arena, c->nids * sizeof *syms, sizeof *syms)))
            return LEDGER_ENOMEM;
        for (size_t k = 0; k < c->nids; k++)
            syms[k] = NO_SYM;
        w->csyms[e] = syms;
    }
    if (syms[i] == NO_SYM && ledger__trace_intern(w->t, c->ids[i].id, &syms[i]))
        return LEDGER_ENOMEM;
    if (mode == MODE_CARRIER && via != NO_SYM) {
        /* the children of one ADD push its parent with the same window:
         * the first makes the carrier item, the others join it here */
        struct carry *cc;
        size_t qi;
        int rc;
        if (e >= w->nccar) {
            size_t nc = w->nccar ? w->nccar : 256;
            struct carry **nv;
            while (nc <= e)
                nc *= 2;
            if (!(nv = realloc(w->ccar, nc * sizeof *nv)))
                return LEDGER_ENOMEM;
            memset(nv + w->nccar, 0, (nc - w->nccar) * sizeof *nv);
            w->ccar = nv;
            w->nccar = nc;
        }
        cc = w->ccar[e];
        if (cc && cc->i == i && cc->lo == lo && cc->hi == hi && cc->link == link_from &&
            cc->depth == depth && cc->kind == link_kind && cc->q >= w->qhead && cc->q < w->qn)
            return add_via(w, cc->q, via, hi);
        if ((rc = push_sym_q(w, syms[i], mode, lo, hi, via, depth, link_from, link_kind, &qi)))
            return rc;
        if (qi == (size_t)-1)
            return 0;
        if (!cc &&
            !(cc = w->ccar[e] = ledger_arena_alloc(&w->arena, sizeof *cc, _Alignof(struct carry))))
            return LEDGER_ENOMEM;
        *cc = (struct carry){.i = i,
                             .q = qi,
                             .lo = lo,
                             .hi = hi,
                             .link = link_from,
                             .depth = depth,
                             .kind = link_kind};
        return 0;
    }
    return push_sym(w, syms[i], mode, lo, hi, via, depth, link_from, link_kind);
}

/* 1 when the item adds nothing to what an earlier one covered (the same
 * identifier and mode -- and for a carrier the same identifier inside and
 * window start -- with a window at least as wide); records it else. */
static int seen(walk_t *w, const item_t *it)
{
    struct {
        uint64_t sym, via;
        int64_t lo;
        uint32_t mode, pad;
    } key = {it->sym, it->via, it->mode == MODE_CARRIER ? it->lo : 0, (uint32_t)it->mode, 0};
    size_t *v;
    int64_t *nb;
    int added;
    if (it->mode != MODE_CARRIER) {
        /* back and forward windows live with the identifier: no look-up */
        v = &w->t->syms[it->sym].seen[it->mode == MODE_FORWARD];
        added = *v == (size_t)-1;
    } else if (it->via != NO_SYM) {
        /* windows inside carriers live with the identifier inside: a
         * product is in few containers */
        size_t *head = &w->t->syms[it->via].carried, k;
        for (k = *head; k != (size_t)-1; k = w->cs[k].next)
            if (w->cs[k].carrier == it->sym && w->cs[k].lo == it->lo)
                break;
        if (k == (size_t)-1) {
            struct cseen *ncs = ledger__trace_room(w->cs, w->ncs, &w->ccs, sizeof *w->cs);
            if (!ncs)
                return -1;
            w->cs = ncs;
            k = w->ncs++;
            w->cs[k] = (struct cseen){
                .carrier = it->sym, .lo = it->lo, .bound = (size_t)-1, .next = *head};
            *head = k;
        }
        v = &w->cs[k].bound;
        added = *v == (size_t)-1;
    } else if (!(v = ledger__tmap_upsert_b(&w->visited, &key, sizeof key, &added))) {
        return -1;
    }
    if (!added) {
        int64_t *b = &w->bounds[*v * 2];
        if (b[0] <= it->lo && b[1] >= it->hi)
            return 1;
        if (it->lo < b[0])
            b[0] = it->lo;
        if (it->hi > b[1])
            b[1] = it->hi;
        return 0;
    }
    if (!(nb = ledger__trace_room(w->bounds, w->nbounds, &w->cbounds, 2 * sizeof *w->bounds)))
        return -1;
    w->bounds = nb;
    w->bounds[w->nbounds * 2] = it->lo;
    w->bounds[w->nbounds * 2 + 1] = it->hi;
    *v = w->nbounds++;
    return 0;
}

/* ---- errorDeclarations ----------------------------------------------------- */

typedef struct decl_ctx {
    walk_t *w;
    size_t node;
    json_t *decl; /* the declaration of the event's own feed (new reference) */
    uint8_t feed[LEDGER_FEED_LEN];
    uint64_t seq;
    ledger_trace_dispute_t *disputes; /* other feeds' declarations (arena), room for max */
    size_t ndisputes, max;
    int oom;
} decl_ctx_t;

/* One entry under the event's ID in the decl index: the event's own
 * feed's errorDeclaration corrects it (the first one read), another feed's
 * is a dispute. */
static int decl_cb(const ledger_stored_t *s, void *vctx)
{
    decl_ctx_t *dc = vctx;
    ledger_trace_node_t *n = &dc->w->t->nodes[dc->node];
    int own = memcmp(s->e.h.feed, n->feed, LEDGER_FEED_LEN) == 0;
    json_t *ev;
    dc->w->t->reads++;
    if (s->lseq == n->lseq || !s->e.payload || (own && dc->decl))
        return 0;
    if (ledger_event_payload_decode(s->e.payload, s->e.plen, &ev, NULL, 0, NULL))
        return 0;
    if (!json_object_get(ev, "errorDeclaration")) {
        json_decref(ev);
    } else if (own) {
        dc->decl = ev;
        memcpy(dc->feed, s->e.h.feed, LEDGER_FEED_LEN);
        dc->seq = s->e.h.seq;
    } else if (dc->ndisputes < dc->max && !keep_event(dc->w->t, ev)) {
        ledger_trace_dispute_t *d = &dc->disputes[dc->ndisputes++];
        memcpy(d->feed, s->e.h.feed, LEDGER_FEED_LEN);
        d->seq = s->e.h.seq;
        d->declaration = json_object_get(ev, "errorDeclaration");
    } else {
        json_decref(ev);
        dc->oom = 1;
    }
    return 0;
}

static int corrections(walk_t *w, size_t erroneous);

/* Looks up the declarations of event nodes [from, nn) once each, in the
 * decl index (the errorDeclarations by the IDs they declare erroneous):
 * only the entries filed under an event's ID are read. */
static int check_declarations(walk_t *w, size_t from)
{
    ledger_trace_t *t = w->t;
    for (size_t i = from; i < t->nn && w->decls; i++) {
        ledger_trace_node_t *n = &t->nodes[i];
        decl_ctx_t dc = {.w = w, .node = i};
        uint64_t ls16[16], *ls = ls16;
        size_t cnt;
        ledger_err_t e2;
        int rc;
        if (n->kind != LEDGER_TNODE_EVENT || n->declaration || n->ndisputes)
            continue;
        if ((rc = ledger_store_declarations(w->st, n->id, ls, 16, &cnt, &e2)))
            return ledger_err_set(w->err, rc, "%s", e2.msg);
        if (cnt > 16) { /* no cap: every declaration is read */
            if (!(ls = malloc(cnt * sizeof *ls)))
                return ledger_err_set(w->err, LEDGER_ENOMEM, "out of memory");
            if ((rc = ledger_store_declarations(w->st, n->id, ls, cnt, &cnt, &e2))) {
                free(ls);
                return ledger_err_set(w->err, rc, "%s", e2.msg);
            }
        }
        if (cnt && !(dc.disputes = ledger_arena_alloc(&t->arena, cnt * sizeof *dc.disputes,
                                                      _Alignof(ledger_trace_dispute_t))))
            dc.oom = 1;
        dc.max = dc.disputes ? cnt : 0;
        for (size_t k = 0; k < cnt && !dc.oom; k++) {
            if (ls[k] == n->lseq)
                continue;
            if ((rc = ledger_store_get_lseq(w->st, ls[k], decl_cb, &dc, &e2))) {
                if (ls != ls16)
                    free(ls);
                json_decref(dc.decl);
                return ledger_err_set(w->err, rc, "%s", e2.msg);
            }
        }
        if (ls != ls16)
            free(ls);
        if (dc.oom) {
            json_decref(dc.decl);
            return ledger_err_set(w->err, LEDGER_ENOMEM, "out of memory");
        }
        n = &t->nodes[i];
        n->disputes = dc.disputes;
        n->ndisputes = dc.ndisputes;
        if (!dc.decl)
            continue;
        n->erroneous = 1;
        n->declaration = json_object_get(dc.decl, "errorDeclaration");
        memcpy(n->decl_feed, dc.feed, LEDGER_FEED_LEN);
        n->decl_seq = dc.seq;
        if (keep_event(t, dc.decl)) {
            json_decref(dc.decl);
            return LEDGER_ENOMEM;
        }
        if ((rc = corrections(w, i)))
            return rc;
    }
    return 0;
}

/* ---- the rules ------------------------------------------------------------ */

/* The edge between identifier node x and event node e for role, in the
 * direction of flow. */
static int link(walk_t *w, size_t x, size_t e, int role)
{
    const ledger_trace_node_t *n = &w->t->nodes[e];
    int kind = n->step, out = 0;
    int del = n->action && strcmp(n->action, "DELETE") == 0;
    switch (role) {
    case LEDGER_ROLE_OUTPUT:
    case LEDGER_ROLE_LOT: /* the event makes members of the lot */
        out = 1;
        break;
    case LEDGER_ROLE_PARENT:
        out = !del;
        break;
    case LEDGER_ROLE_CHILD:
        out = del;
        break;
    case LEDGER_ROLE_EPC:
    case LEDGER_ROLE_CLASS:
        out = kind != LEDGER_TEDGE_AGGREGATION && n->action && strcmp(n->action, "ADD") == 0 &&
              strcmp(n->type, "ObjectEvent") == 0;
        break;
    default:
        break;
    }
    return out ? ledger__trace_add_edge(w->t, e, x, kind, role)
               : ledger__trace_add_edge(w->t, x, e, kind, role);
}

/* The GTIN of a canonical key (gs1_key_gtin) into g; 0 or -1. */
static int gtin_of(const char *id, char g[15])
{
    return gs1_key_gtin(id, g) == GS1_KEY_NOT_GTIN ? -1 : 0;
}

static int is_class(const char *id)
{
    return gs1_key_gtin(id, NULL) == GS1_KEY_LOT;
}

/* Instance x's lots that event node e gives it (its card's identifiers of
 * role LEDGER_ROLE_LOT with x's GTIN: the event's ILMD lotNumber, as the
 * index keeps it): each BACK, linked from x (edge "lot"). */
static int push_lots(walk_t *w, const item_t *it, size_t e, size_t x, unsigned d)
{
    const ledger_card_t *c = w->t->nodes[e].card;
    int64_t tm = w->t->nodes[e].time_ms;
    char g[15], g2[15];
    int rc = 0;
    if (!c || gs1_key_gtin(it->ident, g) != GS1_KEY_SERIAL)
        return 0;
    for (size_t i = 0; i < c->nids && !rc; i++)
        if (c->ids[i].role == LEDGER_ROLE_LOT && gtin_of(c->ids[i].id, g2) == 0 &&
            strcmp(g, g2) == 0 && strcmp(c->ids[i].id, it->ident) != 0)
            rc = push_id(w, e, i, MODE_BACK, T_NINF, tm, NO_SYM, d, x, LEDGER_TEDGE_LOT);
    return rc;
}

/* The members of lot class `lot` that event node e names in role `role`
 * (its instances of the lot's GTIN): each FORWARD, linked from x (edge
 * "lot"). */
static int push_members(walk_t *w, const item_t *it, size_t e, size_t x, int role, unsigned d)
{
    const ledger_card_t *c = w->t->nodes[e].card;
    int64_t tm = w->t->nodes[e].time_ms;
    char g[15], g2[15];
    int rc = 0;
    if (!c || gtin_of(it->ident, g))
        return 0;
    for (size_t i = 0; i < c->nids && !rc; i++)
        if (c->ids[i].role == role && gtin_of(c->ids[i].id, g2) == 0 && strcmp(g, g2) == 0)
            rc = push_id(w, e, i, MODE_FORWARD, tm, T_INF, NO_SYM, d, x, LEDGER_TEDGE_LOT);
    return rc;
}

static int is_delete_of(const ledger_trace_node_t *n, const ids_ctx_t *ic, const char *via)
{
    int children = 0;
    if (!n->action || strcmp(n->action, "DELETE") != 0)
        return 0;
    for (size_t i = 0; i < ic->n; i++) {
        if (ic->ids[i].role != LEDGER_ROLE_CHILD)
            continue;
        children++;
        if (via && strcmp(ic->ids[i].id, via) == 0)
            return 1;
    }
    return children == 0;
}

/* The identifiers of event node e with their roles: its card's. */
static void event_ids(walk_t *w, size_t e, ids_ctx_t *out)
{
    const ledger_card_t *c = w->t->nodes[e].card;
    out->ids = c ? c->ids : NULL;
    out->n = c ? c->nids : 0;
}

/* Applies the rules to the hits of item it (identifier node x). */
static int follow(walk_t *w, const item_t *it, size_t x)
{
    ledger_trace_t *t = w->t;
    ids_ctx_t icv, *ic = &icv;
    int64_t hi = it->hi;
    int rc = 0;

    for (size_t h = 0; h < w->nhits && !rc; h++) {
        size_t e = w->hits[h].node;
        int role = w->hits[h].role;
        ledger_trace_node_t *n = &t->nodes[e];
        int is_agg, del, add;
        unsigned d = it->depth + 1;

        if (n->kind != LEDGER_TNODE_EVENT)
            continue;
        if (n->time_ms < it->lo || n->time_ms > hi)
            continue;
        if (role == LEDGER_ROLE_SOURCE || role == LEDGER_ROLE_DEST)
            continue; /* a party or location: not the product */
        if ((rc = link(w, x, e, role)))
            break;
        n = &t->nodes[e];
        if (n->erroneous)
            continue; /* shown, not followed */
        event_ids(w, e, ic);
        is_agg = n->step == LEDGER_TEDGE_AGGREGATION;
        del = n->action && strcmp(n->action, "DELETE") == 0;
        add = n->action && strcmp(n->action, "ADD") == 0;
        if (it->mode == MODE_CARRIER) {
            /* an event of the container while each identifier was inside */
            for (size_t a = 0; a < w->nact && !is_agg && !rc; a++) {
                size_t vn = t->syms[w->act[a].via].node;
                if (n->time_ms <= w->act[a].hi && vn != (size_t)-1)
                    rc = ledger__trace_add_edge(t, vn, e, n->step, LEDGER_TRACE_ROLE_CARRIED);
            }
            if (rc)
                break;
            if (is_agg && role == LEDGER_ROLE_PARENT && del) {
                /* unpacked: the container's later events are not those of
                 * the identifiers it let go */
                int64_t top = INT64_MIN;
                for (size_t a = 0; a < w->nact; a++) {
                    if (n->time_ms <= w->act[a].hi &&
                        is_delete_of(n, ic, t->syms[w->act[a].via].id))
                        w->act[a].hi = n->time_ms;
                    if (w->act[a].hi > top)
                        top = w->act[a].hi;
                }
                hi = top;
                continue;
            }
            if (is_agg && role == LEDGER_ROLE_CHILD && add)
                for (size_t i = 0; i < ic->n && !rc; i++)
                    if (ic->ids[i].role == LEDGER_ROLE_PARENT)
                        rc = push_id(w, e, i, MODE_CARRIER, n->time_ms, hi, it->sym, d, x,
                                     LEDGER_TEDGE_AGGREGATION);
            continue;
        }
        if (n->step == LEDGER_TEDGE_TRANSFORMATION) {
            int want = it->mode == MODE_BACK ? LEDGER_ROLE_INPUT : LEDGER_ROLE_OUTPUT;
            int mine = it->mode == MODE_BACK ? LEDGER_ROLE_OUTPUT : LEDGER_ROLE_INPUT;
            if (it->mode == MODE_BACK && role == LEDGER_ROLE_OUTPUT &&
                (rc = push_lots(w, it, e, x, d)))
                break;
            if (it->mode == MODE_FORWARD && role == LEDGER_ROLE_LOT &&
                (rc = push_members(w, it, e, x, LEDGER_ROLE_OUTPUT, d)))
                break;
            n = &t->nodes[e];
            /* a lot the transformation made (its outputs' ILMD lot) came
             * from its inputs as its outputs did */
            if (role == mine || (it->mode == MODE_BACK && role == LEDGER_ROLE_LOT))
                for (size_t i = 0; i < ic->n && !rc; i++)
                    if (ic->ids[i].role == want)
                        rc = it->mode == MODE_BACK ? push_id(w, e, i, MODE_BACK, T_NINF, n->time_ms,
                                                             NO_SYM, d, (size_t)-1, 0)
                                                   : push_id(w, e, i, MODE_FORWARD, n->time_ms,
                                                             T_INF, NO_SYM, d, (size_t)-1, 0);
            continue;
        }
        if (is_agg || n->step == LEDGER_TEDGE_ASSOCIATION) {
            if (!is_agg)
                continue; /* associations: a step, not followed */
            if (role == LEDGER_ROLE_CHILD && !del) {
                for (size_t i = 0; i < ic->n && !rc; i++)
                    if (ic->ids[i].role == LEDGER_ROLE_PARENT)
                        rc = push_id(w, e, i, MODE_CARRIER, n->time_ms,
                                     it->mode == MODE_BACK ? it->hi : T_INF, it->sym, d, (size_t)-1,
                                     0);
            } else if (role == LEDGER_ROLE_LOT && it->mode == MODE_FORWARD) {
                /* children whose Digital Link gives this lot: its members */
                rc = push_members(w, it, e, x, LEDGER_ROLE_CHILD, d);
            } else if (role == LEDGER_ROLE_PARENT && (it->mode == MODE_FORWARD || !del)) {
                for (size_t i = 0; i < ic->n && !rc; i++)
                    if (ic->ids[i].role == LEDGER_ROLE_CHILD)
                        rc = it->mode == MODE_BACK ? push_id(w, e, i, MODE_BACK, T_NINF, n->time_ms,
                                                             NO_SYM, d, (size_t)-1, 0)
                                                   : push_id(w, e, i, MODE_FORWARD, n->time_ms,
                                                             T_INF, NO_SYM, d, (size_t)-1, 0);
            }
            continue;
        }
        /* ObjectEvent / TransactionEvent: lot membership */
        if (it->mode == MODE_BACK && role == LEDGER_ROLE_EPC)
            rc = push_lots(w, it, e, x, d);
        else if (it->mode == MODE_FORWARD && is_class(it->ident) &&
                 (role == LEDGER_ROLE_CLASS || role == LEDGER_ROLE_LOT))
            rc = push_members(w, it, e, x, LEDGER_ROLE_EPC, d);
    }
    return rc;
}

/* One work item: the identifier's index rows in its window (in time
 * order), a node per event (from its card), then the rules. */
static int process(walk_t *w, item_t *it)
{
    unsigned reached = it->mode == MODE_FORWARD ? LEDGER_TRACE_FORWARD : LEDGER_TRACE_BACK;
    ledger_err_t e2;
    size_t first = w->t->nn, x;
    via_t *act;
    hit_t *hits;
    int rc;

    if (it->mode == MODE_CARRIER) {
        /* the identifiers inside that no earlier item covered; the window
         * to read is up to the latest of their ends */
        size_t vi = NO_VIA;
        w->nact = 0;
        for (int first_via = 1; first_via || vi != NO_VIA; first_via = 0) {
            item_t one = *it;
            if (!first_via) {
                one.via = w->vias[vi].via;
                one.hi = w->vias[vi].hi;
            }
            vi = first_via ? it->vmore : w->vias[vi].next;
            if ((rc = seen(w, &one)) < 0)
                return LEDGER_ENOMEM;
            if (rc)
                continue;
            if (!(act = ledger__trace_room(w->act, w->nact, &w->cact, sizeof *w->act)))
                return ledger_err_set(w->err, LEDGER_ENOMEM, "out of memory");
            w->act = act;
            w->act[w->nact++] = (via_t){.via = one.via, .hi = one.hi};
        }
        if (!w->nact)
            return 0;
        it->hi = w->act[0].hi;
        for (size_t a = 1; a < w->nact; a++)
            if (w->act[a].hi > it->hi)
                it->hi = w->act[a].hi;
    } else if ((rc = seen(w, it))) {
        return rc < 0 ? LEDGER_ENOMEM : 0;
    }
    w->nih = 0;
    /* items hold identifiers as the index keys them (from cards, or the
     * start canonicalised) */
    rc = ledger_store_ident_hits_canonical(w->st, it->ident, it->lo, it->hi, &w->ih, &w->nih,
                                           &w->cih, &e2);
    if (rc == LEDGER_ENOTFOUND)
        return 0;
    if (rc)
        return ledger_err_set(w->err, rc, "%s", e2.msg);
    w->nhits = 0;
    for (size_t i = 0; i < w->nih; i++) {
        size_t idx;
        if ((rc = card_node(w, w->ih[i].lseq, it->depth, reached, &idx)) < 0)
            return rc;
        if (rc)
            continue;
        if (!(hits = ledger__trace_room(w->hits, w->nhits, &w->chits, sizeof *w->hits)))
            return ledger_err_set(w->err, LEDGER_ENOMEM, "out of memory");
        w->hits = hits;
        w->hits[w->nhits++] = (hit_t){.node = idx, .role = w->ih[i].role};
    }
    if ((rc = check_declarations(w, first)))
        return rc;
    if ((rc = ident_node(w, it->sym, it->depth, reached, &x)))
        return rc > 0 ? 0 : rc;
    if (it->link_from != (size_t)-1 && it->link_from != x &&
        (rc = ledger__trace_add_edge(w->t, it->link_from, x, it->link_kind, 0)))
        return rc;
    return follow(w, it, x);
}

/* ---- sealed neighbours ------------------------------------------------------ */

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
    if ((nc->rc = entry_node(nc->w, s, nc->w->t->nodes[nc->step].depth, 0, &idx)) == 0) {
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

static int sealed_neighbours(walk_t *w)
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

/* ---- start --------------------------------------------------------------- */

typedef struct start_ctx {
    walk_t *w;
    size_t nodes[8];
    size_t n;
    int rc;
} start_ctx_t;

static int start_cb(const ledger_stored_t *s, void *vctx)
{
    start_ctx_t *sc = vctx;
    size_t idx;
    int rc;
    if ((rc = entry_node(sc->w, s, 0, sc->w->o.dir, &idx)) < 0)
        return rc;
    if (rc == 0 && sc->n < 8)
        sc->nodes[sc->n++] = idx;
    return 0;
}

/* Starts from event node e: each of its identifiers, both ways. */
static int start_event(walk_t *w, size_t e)
{
    ids_ctx_t ic;
    int64_t tm = w->t->nodes[e].time_ms;
    int rc = 0;
    if (w->t->nodes[e].kind != LEDGER_TNODE_EVENT)
        return 0;
    event_ids(w, e, &ic);
    for (size_t i = 0; i < ic.n && !rc; i++) {
        if (ic.ids[i].role == LEDGER_ROLE_SOURCE || ic.ids[i].role == LEDGER_ROLE_DEST)
            continue;
        if (w->o.dir & LEDGER_TRACE_BACK)
            rc = push_id(w, e, i, MODE_BACK, T_NINF, tm, NO_SYM, 0, (size_t)-1, 0);
        if (!rc && (w->o.dir & LEDGER_TRACE_FORWARD))
            rc = push_id(w, e, i, MODE_FORWARD, tm, T_INF, NO_SYM, 0, (size_t)-1, 0);
    }
    return rc;
}

/* The corrective events an errorDeclaration names: added, linked
 * (CORRECTION) and followed like a start event. */
static int corrections(walk_t *w, size_t erroneous)
{
    const json_t *ids = json_object_get(w->t->nodes[erroneous].declaration, "correctiveEventIDs");
    size_t i;
    const json_t *v;
    json_array_foreach(ids, i, v)
    {
        start_ctx_t sc = {.w = w};
        ledger_err_t e2;
        int rc;
        if (!json_is_string(v))
            continue;
        rc = ledger_store_find_event(w->st, json_string_value(v), start_cb, &sc, &e2);
        if (rc == LEDGER_ENOTFOUND)
            continue;
        if (rc)
            return ledger_err_set(w->err, rc, "%s", e2.msg);
        for (size_t k = 0; k < sc.n; k++) {
            w->t->nodes[sc.nodes[k]].depth = w->t->nodes[erroneous].depth + 1;
            if ((rc = ledger__trace_add_edge(w->t, erroneous, sc.nodes[k], LEDGER_TEDGE_CORRECTION,
                                             0)) ||
                (rc = start_event(w, sc.nodes[k])))
                return rc;
        }
    }
    return 0;
}

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

/* The lot class a Digital Link names next to its serial (/10/ and /21/). */
static void dl_lot(const char *given, char out[LEDGER_IDENT_KEY_MAX])
{
    if (gs1_key_lot(given, out, LEDGER_IDENT_KEY_MAX, NULL))
        out[0] = '\0';
}

/* ---- the API --------------------------------------------------------------- */

int ledger_trace_run(ledger_store_t *st, const char *start, const ledger_trace_opts_t *opts,
                     ledger_trace_t **out, ledger_err_t *err)
{
    walk_t w = {0};
    ledger_trace_t *t = NULL;
    char canon[LEDGER_IDENT_KEY_MAX], lot[LEDGER_IDENT_KEY_MAX];
    uint8_t feed[LEDGER_FEED_LEN];
    uint64_t seq;
    int rc, is_ident = 0, held = 0;
    ledger_err_t e2;

    if (out)
        *out = NULL;
    if (!st || !start || !*start || !out)
        return ledger_err_set(err, LEDGER_EINVAL, "trace: no store, start or result");
    if (!(t = calloc(1, sizeof *t)))
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    ledger_arena_init(&t->arena);
    t->idents.strings = 1;
    t->idents.arena = &t->arena;
    t->start = (size_t)-1;
    ledger_arena_init(&w.arena);
    w.visited.strings = 1;
    w.visited.arena = &w.arena;
    w.pending.strings = 1;
    w.pending.arena = &w.arena;
    w.t = t;
    w.st = st;
    w.err = err;
    if (opts)
        w.o = *opts;
    if (!w.o.dir)
        w.o.dir = LEDGER_TRACE_BOTH;
    if (w.o.dir > LEDGER_TRACE_BOTH) {
        rc = ledger_err_set(err, LEDGER_EINVAL, "trace: bad direction %u", w.o.dir);
        goto fail;
    }
    if (!w.o.max_depth)
        w.o.max_depth = 64;
    if (!w.o.max_nodes)
        w.o.max_nodes = 200000;
    if (w.o.max_nodes >= (size_t)1 << 24)
        w.o.max_nodes = ((size_t)1 << 24) - 1; /* edge keys hold node indexes in 24 bits */
    t->dir = w.o.dir;
    t->st = st;
    /* one snapshot for the whole walk, and no transaction per look-up */
    if ((rc = ledger_store_hold(st, err)))
        goto fail;
    held = 1;
    if ((rc = ledger_store_has_declarations(st, err)) < 0)
        goto fail;
    w.decls = rc;

    if (parse_feed_seq(start, feed, &seq)) {
        start_ctx_t sc = {.w = &w};
        if ((rc = ledger_store_get(st, feed, seq, start_cb, &sc, err)))
            goto fail;
        if (!sc.n) {
            rc = ledger_err_set(err, LEDGER_ENOTFOUND, "entry %s is an errorDeclaration", start);
            goto fail;
        }
        t->start = sc.nodes[0];
    } else {
        rc = ledger_ident_key(start, canon, sizeof canon, &e2);
        if (rc) {
            rc = ledger_err_set(err, LEDGER_EINPUT, "%s", e2.msg);
            goto fail;
        }
        if (strcmp(canon, start) == 0) { /* no GS1 form: the URI as written, an event ID */
            start_ctx_t sc = {.w = &w};
            rc = ledger_store_find_event(st, start, start_cb, &sc, &e2);
            if (rc && rc != LEDGER_ENOTFOUND) {
                rc = ledger_err_set(err, rc, "%s", e2.msg);
                goto fail;
            }
            if (sc.n)
                t->start = sc.nodes[0];
        }
        if (t->start == (size_t)-1) {
            is_ident = 1;
            if (w.o.dir & LEDGER_TRACE_BACK)
                if ((rc = push(&w, canon, MODE_BACK, T_NINF, T_INF, NO_SYM, 0, (size_t)-1, 0)))
                    goto nomem;
            if (w.o.dir & LEDGER_TRACE_FORWARD)
                if ((rc = push(&w, canon, MODE_FORWARD, T_NINF, T_INF, NO_SYM, 0, (size_t)-1, 0)))
                    goto nomem;
        }
    }
    if (!is_ident) {
        if ((rc = check_declarations(&w, 0)))
            goto fail;
        if ((rc = start_event(&w, t->start)))
            goto fail;
    }
    for (int first = 1; w.qhead < w.qn && !w.full; first = 0) {
        item_t it = w.q[w.qhead++];
        rc = process(&w, &it);
        if (!rc && first && is_ident && (w.o.dir & LEDGER_TRACE_BACK)) {
            size_t node = ledger__trace_find_canonical(t, canon);
            dl_lot(start, lot);
            if (node != (size_t)-1 && lot[0] &&
                (rc = push(&w, lot, MODE_BACK, T_NINF, T_INF, NO_SYM, 1, node, LEDGER_TEDGE_LOT)))
                goto nomem;
        }
        if (rc)
            goto fail;
    }
    if (is_ident) {
        size_t node = ledger__trace_find_canonical(t, canon);
        if (node == (size_t)-1) {
            rc = ledger_err_set(err, LEDGER_ENOTFOUND, "no event names %s in this store", start);
            goto fail;
        }
        t->start = node;
    }
    if (!w.o.no_sealed && (rc = sealed_neighbours(&w)))
        goto fail;
    if ((rc = ledger__trace_reorder(t)))
        goto nomem;
    *out = t;
    t = NULL;
    rc = 0;
    goto done;
nomem:
    rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
fail:
    ledger_trace_free(t);
done:
    if (held)
        ledger_store_release(st);
    free(w.q);
    free(w.bounds);
    free(w.hits);
    free(w.ih);
    ledger__tmap_free(&w.visited);
    ledger__tmap_free(&w.pending);
    free(w.vias);
    free(w.act);
    free(w.csyms);
    free(w.ccar);
    free(w.cs);
    ledger_arena_free(&w.arena);
    return rc;
}
