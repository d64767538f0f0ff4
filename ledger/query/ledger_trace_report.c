/* ledger_trace_report.c -- garment lifecycle, due garments and meat origin
 * (ledger_trace_report.h), computed from the graph of one trace:
 * nodes come in time order, so "the last event of X" is the event node with
 * the highest index among X's edges. */
#include "ledger_trace_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger__trace.h"
#include "ledger_entry.h"
#include "ledger_epcis.h"

/* ---- small helpers ---------------------------------------------------------- */

static int streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Two location identifiers are the same (canonical forms compared). */
static int same_loc(const char *a, const char *b)
{
    char ca[LEDGER_IDENT_KEY_MAX], cb[LEDGER_IDENT_KEY_MAX];
    if (!a || !b)
        return 0;
    if (strcmp(a, b) == 0)
        return 1;
    ledger_ident_key_stored(a, ca);
    ledger_ident_key_stored(b, cb);
    return strcmp(ca, cb) == 0;
}

/* A location as an event wrote it (a is stored data) is location k. */
static int same_loc_key(const char *a, const ledger_key_t *k)
{
    char ca[LEDGER_IDENT_KEY_MAX];
    if (!a)
        return 0;
    if (strcmp(a, k->text) == 0 || strcmp(a, k->given) == 0)
        return 1;
    ledger_ident_key_stored(a, ca);
    return strcmp(ca, k->text) == 0;
}

static void set_str(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, v ? json_string(v) : json_null());
}

/* A short description of event node n: feed, seq, time, IDs, step. */
static json_t *event_ref(const ledger_trace_node_t *n)
{
    char hex[2 * LEDGER_FEED_LEN + 1], tm[32];
    json_t *o = json_object();
    ledger_hex(n->feed, LEDGER_FEED_LEN, hex);
    json_object_set_new(o, "feed", json_string(hex));
    json_object_set_new(o, "seq", json_integer((json_int_t)n->seq));
    ledger_trace_fmt_ms(n->time_ms, tm);
    json_object_set_new(o, "eventTimeUTC", json_string(tm));
    if (n->kind != LEDGER_TNODE_EVENT) {
        json_object_set_new(o, "sealed", json_true());
        return o;
    }
    set_str(o, "eventTime", n->card ? n->card->event_time : NULL);
    set_str(o, "eventID", n->id);
    set_str(o, "type", n->type);
    set_str(o, "bizStep", n->biz_step);
    set_str(o, "location", ledger_trace_after(n));
    if (n->erroneous)
        json_object_set_new(o, "erroneous", json_true());
    return o;
}

/* The sources (role LEDGER_ROLE_SOURCE) or destinations of an event, from
 * its card: [{"type": short CBV word, "id"}]. */
static json_t *party_list(const ledger_card_t *c, int role)
{
    json_t *out = json_array();
    for (size_t i = 0; c && i < c->nids; i++) {
        char sty[64];
        if (c->ids[i].role != role)
            continue;
        ledger_epcis_cbv_short(c->ids[i].type ? c->ids[i].type : "", sty, sizeof sty);
        json_array_append_new(out, json_pack("{s:s, s:s}", "type", sty, "id", c->ids[i].written));
    }
    return out;
}

/* ---- lifecycle ------------------------------------------------------------ */

static const char *const eol_steps[] = {"collecting", "disassembling", "destroying",
                                        "decommissioning"};
static const char *const garment_keys[] = {"fibreComposition", "recycledContent", "maxWashCycles",
                                           "madeIn", "manufacturer"};

static const json_t *garment_member(const json_t *ev, const char *key)
{
    return ev ? ledger_trace_ilmd(ev, LEDGER_NS_GARMENT, "garment", key) : NULL;
}

static json_t *garment_ilmd(const json_t *ev)
{
    json_t *o = json_object();
    for (size_t i = 0; i < sizeof garment_keys / sizeof garment_keys[0]; i++) {
        const json_t *v = garment_member(ev, garment_keys[i]);
        json_object_set(o, garment_keys[i], v ? (json_t *)v : json_null());
    }
    return o;
}

static int listed(const char *loc, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (same_loc(loc, list[i]))
            return 1;
    return 0;
}

/* One garment's events and what the passes over them found. */
typedef struct life {
    ledger_trace_t *t;
    size_t g;               /* the garment's node */
    size_t *ev, n;          /* its events (own and carried), time order */
    size_t commission, eol; /* indexes into ev, or (size_t)-1 */
    const char *const *laundries;
    size_t n_laundries;
    long washes;
    int laundered;         /* a laundering step named it */
    int stayed_at_laundry; /* a stay at a --laundry location */
} life_t;

static const ledger_trace_node_t *life_node(const life_t *lf, size_t k)
{
    return ledger_trace_node(lf->t, lf->ev[k]);
}

static int is_eol(const life_t *lf, size_t k)
{
    const ledger_trace_node_t *x = life_node(lf, k);
    for (size_t s = 0; s < sizeof eol_steps / sizeof eol_steps[0]; s++)
        if (streq(x->biz_step, eol_steps[s]))
            return 1;
    if (streq(x->type, "TransformationEvent"))
        for (size_t e2 = 0; e2 < ledger_trace_edge_count(lf->t); e2++) {
            const ledger_trace_edge_t *e = ledger_trace_edge(lf->t, e2);
            if (e->from == lf->g && e->to == lf->ev[k] && e->role == LEDGER_ROLE_INPUT)
                return 1;
        }
    return 0;
}

/* First pass: commissioning, end of life, repairs. */
static void life_scan(life_t *lf, json_t *repairs)
{
    for (size_t k = 0; k < lf->n; k++) {
        const ledger_trace_node_t *x = life_node(lf, k);
        if (lf->commission == (size_t)-1 &&
            (streq(x->biz_step, "commissioning") ||
             (streq(x->type, "ObjectEvent") && streq(x->action, "ADD")) ||
             (streq(x->type, "TransformationEvent") &&
              garment_member(ledger_trace_node_event(lf->t, x), "maxWashCycles"))))
            lf->commission = k;
        if (streq(x->biz_step, "repairing"))
            json_array_append_new(repairs, event_ref(x));
        if (streq(x->biz_step, LEDGER_BIZSTEP_LAUNDERING))
            lf->laundered = 1;
        if (lf->eol == (size_t)-1 && is_eol(lf, k))
            lf->eol = k;
    }
}

enum { DEST_USE, DEST_REPAIR, DEST_EOL };

/* Where the dispatch ev[k] from loc sent the garment, judged by what
 * happened to it before its next shipping: its end of life, a repair
 * elsewhere, or (otherwise) back to use. */
static int dispatch_dest(const life_t *lf, size_t k, const char *loc)
{
    for (size_t j = k + 1; j < lf->n; j++) {
        const ledger_trace_node_t *x = life_node(lf, j);
        if (j == lf->eol)
            return DEST_EOL;
        if (streq(x->biz_step, "shipping"))
            break;
        if (streq(x->biz_step, "repairing") && !same_loc(ledger_trace_where(x), loc))
            return DEST_REPAIR;
    }
    return DEST_USE;
}

/* One wash of washEvents: event x closed it at the laundry; the stay began
 * with the receipt `in` (or NULL). */
static json_t *wash_ref(const ledger_trace_node_t *x, const ledger_trace_node_t *in)
{
    json_t *o = event_ref(x);
    const char *where = ledger_trace_where(x), *after = ledger_trace_after(x);
    char tm[32];
    set_str(o, "location", where);
    set_str(o, "laundry", where);
    set_str(o, "destination", after && !same_loc(after, where) ? after : NULL);
    if (in)
        ledger_trace_fmt_ms(in->time_ms, tm);
    set_str(o, "receivedUTC", in ? tm : NULL);
    return o;
}

/* Second pass: the wash cycles (docs/trace.md, "What one wash cycle is"). A
 * stay is a receipt at a location (a laundry with --laundry; never where it
 * was commissioned) up to the next shipping from it. */
static void life_washes(life_t *lf, json_t *washev)
{
    const char *stay = NULL, *maker = NULL;
    const ledger_trace_node_t *in = NULL;
    int soiled = 0, laundered = 0, repaired = 0, in_use = 0;
    if (lf->commission != (size_t)-1)
        maker = ledger_trace_where(life_node(lf, lf->commission));
    for (size_t k = 0; k < lf->n; k++) {
        const ledger_trace_node_t *x = life_node(lf, k);
        const char *l = ledger_trace_where(x);
        if (streq(x->biz_step, LEDGER_BIZSTEP_LAUNDERING)) {
            lf->washes++;
            json_array_append_new(washev, wash_ref(x, stay ? in : NULL));
            laundered = 1;
        } else if (streq(x->biz_step, "repairing")) {
            repaired = 1;
        } else if (streq(x->biz_step, "receiving")) {
            if (stay && same_loc(stay, l))
                continue; /* read twice on the way in */
            stay = NULL;
            if (l && !same_loc(l, maker) && /* the maker's own store is no laundry */
                (lf->n_laundries == 0 || listed(l, lf->laundries, lf->n_laundries))) {
                stay = l, in = x;
                soiled = in_use, laundered = repaired = in_use = 0;
                lf->stayed_at_laundry |= lf->n_laundries > 0;
            }
        } else if (streq(x->biz_step, "shipping") && stay) {
            if (same_loc(stay, l)) {
                int dest = dispatch_dest(lf, k, stay);
                if (soiled && !laundered && dest != DEST_EOL) {
                    lf->washes++;
                    json_array_append_new(washev, wash_ref(x, in));
                }
                /* back to use, unless it went to a repairer or to its end of
                 * life, or this was a repairer's stay (in from a laundry) */
                in_use = dest == DEST_USE && !(repaired && !soiled);
            }
            stay = NULL;
        }
    }
}

static const char *life_status(const life_t *lf, long max)
{
    if (lf->eol != (size_t)-1)
        return "retired";
    if (max <= 0)
        return "unknown";
    if (lf->washes > max)
        return "over";
    if (lf->washes == max)
        return "at_maximum";
    return lf->washes * 10 >= max * 9 ? "due" : "ok";
}

/* The answer of ledger_trace_lifecycle; *garment is 0 when nothing says
 * the identifier is a garment (no garment ILMD on its commissioning, no
 * laundering step, no stay at a named laundry). */
/* What --missing needs of the garment's last event besides the answer:
 * where it happened (the shipping's origin) and when. */
typedef struct life_last {
    char where[LEDGER_IDENT_KEY_MAX];
    int64_t time_ms;
    int shipping; /* its bizStep is shipping */
} life_last_t;

static int lifecycle_run(ledger_store_t *st, const ledger_key_t *garment,
                         const char *const *laundries, size_t n_laundries, json_t **out,
                         int *is_garment, life_last_t *lastx, ledger_err_t *err)
{
    ledger_trace_opts_t o = {.dir = LEDGER_TRACE_BOTH};
    life_t lf = {.commission = (size_t)-1,
                 .eol = (size_t)-1,
                 .laundries = laundries,
                 .n_laundries = n_laundries};
    json_t *r, *washev, *repairs, *outputs, *com = json_null(), *holder = json_null(),
                                            *eolj = json_null();
    const ledger_trace_node_t *c = NULL, *last;
    const json_t *maxw, *cev = NULL;
    long max = -1;
    int rc;

    *out = NULL;
    *is_garment = 0;
    if ((rc = ledger_trace_run_key(st, garment, &o, &lf.t, err)))
        return rc;
    /* the start is the garment's node when it is an identifier: no second
     * reading of the identifier */
    lf.g = ledger_trace_start(lf.t);
    if (lf.g != (size_t)-1 && ledger_trace_node(lf.t, lf.g)->kind != LEDGER_TNODE_IDENT)
        lf.g = (size_t)-1;
    if (lf.g == (size_t)-1 || !(lf.ev = calloc(ledger_trace_node_count(lf.t) + 1, sizeof *lf.ev))) {
        ledger_trace_free(lf.t);
        return lf.g == (size_t)-1
                   ? ledger_err_set(err, LEDGER_ENOTFOUND, "no event names %s", garment->given)
                   : ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    }
    /* the garment's own events, in time order (edges are in event order) */
    for (size_t k = 0; k < ledger_trace_edge_count(lf.t); k++) {
        const ledger_trace_edge_t *e = ledger_trace_edge(lf.t, k);
        size_t ev = e->from == lf.g ? e->to : e->to == lf.g ? e->from : (size_t)-1;
        if (ev == (size_t)-1 || ledger_trace_node(lf.t, ev)->kind != LEDGER_TNODE_EVENT ||
            ledger_trace_node(lf.t, ev)->erroneous || (lf.n && lf.ev[lf.n - 1] == ev))
            continue;
        lf.ev[lf.n++] = ev;
    }
    washev = json_array();
    repairs = json_array();
    outputs = json_array();
    life_scan(&lf, repairs);
    life_washes(&lf, washev);
    if (lf.eol != (size_t)-1)
        for (size_t e2 = 0; e2 < ledger_trace_edge_count(lf.t); e2++) {
            const ledger_trace_edge_t *e = ledger_trace_edge(lf.t, e2);
            if (e->from == lf.ev[lf.eol] && e->role == LEDGER_ROLE_OUTPUT)
                json_array_append_new(outputs, json_string(ledger_trace_node(lf.t, e->to)->id));
        }
    if (lf.commission != (size_t)-1) {
        c = life_node(&lf, lf.commission);
        cev = ledger_trace_node_event(lf.t, c);
        com = event_ref(c);
        json_object_set_new(com, "ilmd", garment_ilmd(cev));
        for (size_t i = 0; i < sizeof garment_keys / sizeof garment_keys[0]; i++)
            *is_garment |= garment_member(cev, garment_keys[i]) != NULL;
    }
    *is_garment |= lf.laundered || lf.stayed_at_laundry;
    maxw = garment_member(cev, "maxWashCycles");
    if (json_is_integer(maxw))
        max = (long)json_integer_value(maxw);
    else if (json_is_real(maxw))
        max = (long)json_real_value(maxw); /* whole: checked when recorded */
    if (lf.n) {
        last = life_node(&lf, lf.n - 1);
        holder = event_ref(last);
        json_object_set_new(holder, "destinations", party_list(last->card, LEDGER_ROLE_DEST));
        if (lastx) {
            const char *w = ledger_trace_where(last);
            snprintf(lastx->where, sizeof lastx->where, "%s", w ? w : "");
            lastx->time_ms = last->time_ms;
            lastx->shipping = streq(last->biz_step, "shipping");
        }
    }
    if (lf.eol != (size_t)-1) {
        eolj = event_ref(life_node(&lf, lf.eol));
        json_object_set(eolj, "outputs", outputs);
    }
    r = json_pack("{s:s, s:o, s:I, s:o, s:o, s:o, s:o, s:s, s:b}", "garment", garment->given,
                  "commissioned", com, "washes", (json_int_t)lf.washes, "washEvents", washev,
                  "repairs", repairs, "holder", holder, "endOfLife", eolj, "status",
                  life_status(&lf, max), "truncated", ledger_trace_truncated(lf.t));
    json_object_set_new(r, "maxWashCycles", max > 0 ? json_integer(max) : json_null());
    json_object_set_new(r, "washesLeft",
                        max > 0 ? json_integer(lf.washes < max ? max - lf.washes : 0)
                                : json_null());
    json_object_set_new(r, "overMaximum", max > 0 ? json_boolean(lf.washes > max) : json_null());
    json_decref(outputs);
    free(lf.ev);
    ledger_trace_free(lf.t);
    *out = r;
    return 0;
}

int ledger_trace_lifecycle(ledger_store_t *st, const ledger_key_t *garment,
                           const char *const *laundries,
                           size_t n_laundries, json_t **out, ledger_err_t *err)
{
    int is_garment,
        rc = lifecycle_run(st, garment, laundries, n_laundries, out, &is_garment, NULL, err);
    if (rc || is_garment)
        return rc;
    json_decref(*out);
    *out = NULL;
    return ledger_err_set(err, LEDGER_ENOTFOUND,
                          "%s is not a garment: its commissioning records no garment ILMD "
                          "(garment:maxWashCycles, garment:fibreComposition, ...) and no "
                          "laundering step names it%s",
                          garment->given, n_laundries ? " nor a stay at a --laundry location" : "");
}

/* ---- due ---------------------------------------------------------------- */

/* The events at a location, by local position (a growing array). */
typedef struct due_ctx {
    uint64_t *ls;
    size_t n, cap;
} due_ctx_t;

static int due_add(due_ctx_t *dc, uint64_t lseq)
{
    uint64_t *nl = ledger__trace_room(dc->ls, dc->n, &dc->cap, sizeof *nl);
    if (!nl)
        return LEDGER_ENOMEM;
    dc->ls = nl;
    dc->ls[dc->n++] = lseq;
    return 0;
}

static int due_loc_cb(uint64_t lseq, int role, void *ctx)
{
    (void)role;
    return due_add(ctx, lseq);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The instances (EPC lists, children) of every event that happened at
 * location (bizLocation or readPoint: the loc index) or names it as a
 * source or destination (the ident index), from their cards: the
 * candidates for "the garments at this location". Into the set *ids. */
static int due_candidates(ledger_store_t *st, const ledger_key_t *location, json_t *ids,
                          ledger_err_t *err)
{
    due_ctx_t dc = {0};
    ledger_ident_hit_t *hits = NULL;
    size_t nh = 0, ch = 0;
    int rc;

    if ((rc = ledger_store_hold(st, err)))
        return rc;
    if ((rc = ledger_store_find_location_key(st, location, due_loc_cb, &dc, err)))
        goto done;
    rc = ledger_store_ident_hits_canonical(st, location->text, INT64_MIN, INT64_MAX, &hits, &nh,
                                           &ch, err);
    if (rc && rc != LEDGER_ENOTFOUND && rc != LEDGER_EINPUT)
        goto done;
    rc = 0;
    for (size_t i = 0; i < nh && !rc; i++)
        rc = due_add(&dc, hits[i].lseq);
    if (rc) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto done;
    }
    if (dc.n)
        qsort(dc.ls, dc.n, sizeof *dc.ls, cmp_u64);
    for (size_t i = 0; i < dc.n; i++) {
        ledger_card_t c;
        if (i && dc.ls[i] == dc.ls[i - 1])
            continue;
        rc = ledger_store_card(st, dc.ls[i], &c, err);
        if (rc == LEDGER_ENOTFOUND) /* not an event */
            continue;
        if (rc)
            goto done;
        for (size_t k = 0; k < c.nids; k++)
            if (c.ids[k].role == LEDGER_ROLE_EPC || c.ids[k].role == LEDGER_ROLE_CHILD)
                json_object_set_new(ids, c.ids[k].id, json_true());
        ledger_card_free(&c);
    }
    rc = 0;
done:
    ledger_store_release(st);
    free(dc.ls);
    free(hits);
    return rc;
}

/* Which garments a report lists: --due (due_only or every one) or
 * --missing (days > 0: checked out and not back). */
typedef struct report {
    const ledger_key_t *location;
    const char *const *laundries;
    size_t n_laundries;
    int due_only;
    int64_t days, now_ms; /* --missing */
} report_t;

/* The garment's row of a report, or NULL when the report leaves it out. */
static json_t *report_row(const report_t *rp, const char *id, json_t *lc, const life_last_t *lx)
{
    const json_t *h = json_object_get(lc, "holder");
    const char *st_ = json_string_value(json_object_get(lc, "status"));
    const char *hl = json_string_value(json_object_get(h, "location"));
    json_t *row;
    if (rp->days > 0) {
        /* checked out (its last event a shipping, to or from the location)
         * and not back, nor retired, within days */
        if (!lx->shipping || streq(st_, "retired") ||
            !(same_loc_key(hl, rp->location) || same_loc_key(lx->where, rp->location)) ||
            lx->time_ms > rp->now_ms - rp->days * 86400000)
            return NULL;
    } else if (!same_loc_key(hl, rp->location) ||
               (rp->due_only && !streq(st_, "due") && !streq(st_, "at_maximum") &&
                !streq(st_, "over"))) {
        return NULL;
    }
    row = json_pack("{s:s, s:O, s:O, s:I, s:O, s:s?}", "garment", id, "washes",
                    json_object_get(lc, "washes"), "maxWashCycles",
                    json_object_get(lc, "maxWashCycles"), "repairs",
                    (json_int_t)json_array_size(json_object_get(lc, "repairs")), "holder", h,
                    "status", st_);
    json_object_set(row, "overMaximum", json_object_get(lc, "overMaximum"));
    if (rp->days > 0) {
        set_str(row, "checkedOutFrom", lx->where[0] ? lx->where : NULL);
        json_object_set_new(row, "daysOut",
                            json_integer((json_int_t)((rp->now_ms - lx->time_ms) / 86400000)));
    }
    return row;
}

/* The garments among the candidates at rp->location that the report
 * lists, into the array list. */
static int report_run(ledger_store_t *st, const report_t *rp, json_t *list, ledger_err_t *err)
{
    json_t *ids = json_object(), *v;
    ledger_key_t *k = malloc(sizeof *k);
    const char *id;
    int rc;

    if (!k || !ids) {
        rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = due_candidates(st, rp->location, ids, err)))
        goto done;
    json_object_foreach(ids, id, v)
    {
        json_t *lc = NULL, *row;
        life_last_t lx = {.time_ms = 0};
        int is_garment;
        /* a key of the index: nothing to read again */
        if ((rc = ledger_key_of_index(id, 1, k, err)) ||
            (rc = lifecycle_run(st, k, rp->laundries, rp->n_laundries, &lc, &is_garment, &lx,
                                err)))
            goto done;
        /* not a garment: a carton, a case, a pack of meat */
        if (is_garment && (row = report_row(rp, id, lc, &lx)))
            json_array_append_new(list, row);
        json_decref(lc);
    }
done:
    json_decref(ids);
    free(k);
    return rc;
}

int ledger_trace_due(ledger_store_t *st, const ledger_key_t *location,
                     const char *const *laundries, size_t n_laundries, int due_only,
                     json_t **out, ledger_err_t *err)
{
    report_t rp = {location, laundries, n_laundries, due_only, 0, 0};
    json_t *list = json_array();
    int rc;

    *out = NULL;
    if ((rc = report_run(st, &rp, list, err))) {
        json_decref(list);
        return rc;
    }
    *out = json_pack("{s:s, s:o}", "location", location->given, "garments", list);
    return 0;
}

int ledger_trace_missing(ledger_store_t *st, const ledger_key_t *location,
                         const char *const *laundries, size_t n_laundries, int64_t days,
                         int64_t now_ms, json_t **out, ledger_err_t *err)
{
    report_t rp = {location, laundries, n_laundries, 0, days, now_ms};
    json_t *list;
    char tm[32];
    int rc;

    *out = NULL;
    if (days < 1 || days > 36500)
        return ledger_err_set(err, LEDGER_EINPUT, "%lld days: expected a whole number of days "
                                                  "from 1 to 36500",
                              (long long)days);
    list = json_array();
    if ((rc = report_run(st, &rp, list, err))) {
        json_decref(list);
        return rc;
    }
    ledger_trace_fmt_ms(now_ms, tm);
    *out = json_pack("{s:s, s:I, s:s, s:o}", "location", location->given, "days",
                     (json_int_t)days, "asOfUTC", tm, "garments", list);
    return 0;
}

/* ---- meat origin ------------------------------------------------------------ */

int ledger_trace_origin(ledger_store_t *st, const ledger_key_t *pack, json_t **out,
                        ledger_err_t *err)
{
    static const char *const keys[] = {"species",
                                       "bornIn",
                                       "rearedIn",
                                       "slaughteredIn",
                                       "slaughterhouseApproval",
                                       "slaughterDate",
                                       "cutIn",
                                       "cuttingPlantApproval",
                                       "referenceCode",
                                       "animalIds"};
    ledger_trace_opts_t o = {.dir = LEDGER_TRACE_BACK, .no_sealed = 1};
    ledger_trace_t *t = NULL;
    json_t *origin, *lots;
    int rc;

    *out = NULL;
    if ((rc = ledger_trace_run_key(st, pack, &o, &t, err)))
        return rc;
    origin = json_object();
    lots = json_array();
    for (size_t i = 0; i < ledger_trace_node_count(t); i++) {
        const ledger_trace_node_t *x = ledger_trace_node(t, i);
        const json_t *v;
        if (x->kind != LEDGER_TNODE_EVENT || x->erroneous)
            continue;
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            json_t *arr = json_object_get(origin, keys[k]), *ref;
            size_t j;
            const json_t *have;
            int dup = 0;
            if (!(v = ledger_trace_ilmd(ledger_trace_node_event(t, x), LEDGER_NS_MEAT, "meat",
                                        keys[k])))
                continue;
            if (!arr)
                json_object_set_new(origin, keys[k], arr = json_array());
            json_array_foreach(arr, j, have) dup |= json_equal(json_object_get(have, "value"), v);
            if (dup)
                continue;
            ref = event_ref(x);
            json_object_set(ref, "value", (json_t *)v);
            json_array_append_new(arr, ref);
        }
        v = ledger_trace_ilmd(ledger_trace_node_event(t, x), "urn:epcglobal:cbv:mda:", "cbvmda",
                              "lotNumber");
        if (json_is_string(v)) {
            json_t *ref = event_ref(x);
            json_object_set(ref, "lotNumber", (json_t *)v);
            json_array_append_new(lots, ref);
        }
    }
    *out = json_pack("{s:s, s:o, s:o, s:b}", "pack", pack, "origin", origin, "lots", lots,
                     "truncated", ledger_trace_truncated(t));
    ledger_trace_free(t);
    return 0;
}
