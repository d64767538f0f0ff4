/* ledger_trace.c -- the trace walk (ledger_trace.h, ledger__trace.h): a
 * work queue of (identifier, mode, window) items, each answered by one
 * index walk over the identifier's rows in that time window
 * (ledger_store_ident_hits); events become nodes once (keyed by their local
 * position) from their cards (ledger_trace_node.c), each looked up once in
 * the errorDeclaration index; the rules of the header decide which
 * identifiers of an event are followed next. No payload is decoded by the
 * walk (an instance's lot from ILMD is on the card, role LEDGER_ROLE_LOT).
 * The whole walk runs in one read transaction (ledger_store_hold, taken by
 * ledger_trace_run.c, which sets the walk up and starts it), and no look-up
 * is made inside a store callback: callbacks only copy what they need. The
 * graph itself (maps, storage, final order) is ledger_trace_graph.c; its
 * JSON form ledger_trace_json.c. */
#include "ledger_trace.h"

#include <stdlib.h>
#include <string.h>

#include "gs1_key.h"
#include "ledger_epcis.h"
#include "ledger__trace.h"

#define T_INF INT64_MAX
#define T_NINF INT64_MIN

/* ---- the walk's state (ledger__twalk_t) ------------------------------------- */

enum { MODE_BACK = 1, MODE_FORWARD = 2, MODE_CARRIER = 3 };

typedef struct ledger__titem {
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
typedef struct ledger__tvia {
    size_t via; /* a sym */
    int64_t hi;
    size_t next;
} via_t;

/* A carrier item pushed from an event's card (push_id): the next child of
 * the same ADD joins it without a look-up in the pending map. */
struct ledger__tcarry {
    size_t i, q; /* the card's identifier, the queue index */
    int64_t lo, hi;
    size_t link;
    unsigned depth;
    int kind;
};

typedef struct ledger__thit {
    size_t node;
    int role;
} hit_t;

/* The identifiers of an event: its card's (canonical, with roles). */
typedef struct ids_ctx {
    const ledger_card_ident_t *ids;
    size_t n;
} ids_ctx_t;

/* A window of an identifier inside a carrier (walk_t.cs). */
struct ledger__tcseen {
    size_t carrier; /* the carrier's sym */
    int64_t lo;     /* the window's start */
    size_t bound;   /* its bounds in bounds[] */
    size_t next;    /* the next window of the same identifier inside, or -1 */
};

typedef ledger__twalk_t walk_t;
typedef ledger__tstart_t start_ctx_t;

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
        struct ledger__tcarry *cc;
        size_t qi;
        int rc;
        if (e >= w->nccar) {
            size_t nc = w->nccar ? w->nccar : 256;
            struct ledger__tcarry **nv;
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
        if (!cc && !(cc = w->ccar[e] = ledger_arena_alloc(&w->arena, sizeof *cc,
                                                          _Alignof(struct ledger__tcarry))))
            return LEDGER_ENOMEM;
        *cc = (struct ledger__tcarry){.i = i,
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
            struct ledger__tcseen *ncs = ledger__trace_room(w->cs, w->ncs, &w->ccs, sizeof *w->cs);
            if (!ncs)
                return -1;
            w->cs = ncs;
            k = w->ncs++;
            w->cs[k] = (struct ledger__tcseen){
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
    } else if (dc->ndisputes < dc->max && !ledger__trace_keep_event(dc->w->t, ev)) {
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
int ledger__trace_check_declarations(walk_t *w, size_t from)
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
        if (ledger__trace_keep_event(t, dc.decl)) {
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
int ledger__trace_gtin_of(const char *id, char g[15])
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
        if (c->ids[i].role == LEDGER_ROLE_LOT && ledger__trace_gtin_of(c->ids[i].id, g2) == 0 &&
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
    if (!c || ledger__trace_gtin_of(it->ident, g))
        return 0;
    for (size_t i = 0; i < c->nids && !rc; i++)
        if (c->ids[i].role == role && ledger__trace_gtin_of(c->ids[i].id, g2) == 0 &&
            strcmp(g, g2) == 0)
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
        if ((rc = ledger__trace_card_node(w, w->ih[i].lseq, it->depth, reached, &idx)) < 0)
            return rc;
        if (rc)
            continue;
        if (!(hits = ledger__trace_room(w->hits, w->nhits, &w->chits, sizeof *w->hits)))
            return ledger_err_set(w->err, LEDGER_ENOMEM, "out of memory");
        w->hits = hits;
        w->hits[w->nhits++] = (hit_t){.node = idx, .role = w->ih[i].role};
    }
    if ((rc = ledger__trace_check_declarations(w, first)))
        return rc;
    if ((rc = ident_node(w, it->sym, it->depth, reached, &x)))
        return rc > 0 ? 0 : rc;
    if (it->link_from != (size_t)-1 && it->link_from != x &&
        (rc = ledger__trace_add_edge(w->t, it->link_from, x, it->link_kind, 0)))
        return rc;
    return follow(w, it, x);
}

/* ---- start --------------------------------------------------------------- */

int ledger__trace_start_cb(const ledger_stored_t *s, void *vctx)
{
    start_ctx_t *sc = vctx;
    size_t idx;
    int rc;
    if ((rc = ledger__trace_entry_node(sc->w, s, 0, sc->w->o.dir, &idx)) < 0)
        return rc;
    if (rc == 0 && sc->n < 8)
        sc->nodes[sc->n++] = idx;
    return 0;
}

/* Starts from event node e: each of its identifiers, both ways. */
int ledger__trace_start_event(walk_t *w, size_t e)
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
        rc = ledger_store_find_event(w->st, json_string_value(v), ledger__trace_start_cb, &sc, &e2);
        if (rc == LEDGER_ENOTFOUND)
            continue;
        if (rc)
            return ledger_err_set(w->err, rc, "%s", e2.msg);
        for (size_t k = 0; k < sc.n; k++) {
            w->t->nodes[sc.nodes[k]].depth = w->t->nodes[erroneous].depth + 1;
            if ((rc = ledger__trace_add_edge(w->t, erroneous, sc.nodes[k], LEDGER_TEDGE_CORRECTION,
                                             0)) ||
                (rc = ledger__trace_start_event(w, sc.nodes[k])))
                return rc;
        }
    }
    return 0;
}

int ledger__trace_start_ident(walk_t *w, const char *canon)
{
    int rc;
    if (w->o.dir & LEDGER_TRACE_BACK)
        if ((rc = push(w, canon, MODE_BACK, T_NINF, T_INF, NO_SYM, 0, (size_t)-1, 0)))
            return rc;
    if (w->o.dir & LEDGER_TRACE_FORWARD)
        if ((rc = push(w, canon, MODE_FORWARD, T_NINF, T_INF, NO_SYM, 0, (size_t)-1, 0)))
            return rc;
    return 0;
}

/* ---- the queue's loop ------------------------------------------------------- */

int ledger__trace_drain(walk_t *w, const char *canon, const char *lot)
{
    int rc;
    for (int first = 1; w->qhead < w->qn && !w->full; first = 0) {
        item_t it = w->q[w->qhead++];
        rc = process(w, &it);
        if (!rc && first && lot && lot[0]) {
            size_t node = ledger__trace_find_canonical(w->t, canon);
            if (node != (size_t)-1 &&
                push(w, lot, MODE_BACK, T_NINF, T_INF, NO_SYM, 1, node, LEDGER_TEDGE_LOT))
                return ledger_err_set(w->err, LEDGER_ENOMEM, "out of memory");
        }
        if (rc)
            return rc;
    }
    return 0;
}

void ledger__trace_walk_init(walk_t *w, ledger_trace_t *t, ledger_store_t *st,
                             const ledger_trace_opts_t *o, ledger_err_t *err)
{
    memset(w, 0, sizeof *w);
    ledger_arena_init(&w->arena);
    w->visited.strings = 1;
    w->visited.arena = &w->arena;
    w->pending.strings = 1;
    w->pending.arena = &w->arena;
    w->t = t;
    w->st = st;
    w->err = err;
    w->o = *o;
}

void ledger__trace_walk_free(walk_t *w)
{
    free(w->q);
    free(w->bounds);
    free(w->hits);
    free(w->ih);
    ledger__tmap_free(&w->visited);
    ledger__tmap_free(&w->pending);
    free(w->vias);
    free(w->act);
    free(w->csyms);
    free(w->ccar);
    free(w->cs);
    ledger_arena_free(&w->arena);
}
