/* ledger_recall.c -- recall of a lot (ledger_recall.h). One forward trace,
 * then passes over its arrays: the edges give each identifier its last
 * event and each shipment the identifiers it moved (counted first, then
 * filled into one flat array), and mark containers; the nodes give products
 * (identifier nodes, already first) and shipment events (already in time
 * order); one pass over those, remembering per identifier the last
 * dispatch that moved it, gives each receipt its dispatch; excursions read
 * the few events whose card shows a temperature above the limit (in CEL,
 * ledger_uom.h) or one not converted. The JSON writer streams the document
 * through ledger_jsonw, with the precision jansson would choose for its
 * reals. */
#include "ledger_recall.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gs1_key.h"
#include "ledger__trace.h"
#include "ledger_entry.h"
#include "ledger_epcis.h"
#include "ledger_jsonw.h"
#include "ledger_uom.h"

struct ledger_recall {
    ledger_trace_t *t;
    char *lot;
    int have_max_temp;
    double max_temp;
    size_t counted, received;
    ledger_recall_product_t *products;
    size_t nproducts;
    ledger_recall_shipment_t *ships; /* every shipment event, in time order */
    size_t nships;
    ledger_recall_shipment_t **rows; /* the shipments: ships that are no matched receipt */
    size_t nrows;
    const ledger_recall_shipment_t **recv; /* the matched receipts, by dispatch */
    ledger_recall_excursion_t *exc, *nc;
    size_t nexc, cexc, nnc, cnc;
    const char **items; /* every shipment's items, one after another */
};

static int streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* A shipment: bizStep shipping, receiving, departing or arriving, or a
 * destination list. */
static int is_shipment(const ledger_trace_node_t *n)
{
    if (n->kind != LEDGER_TNODE_EVENT)
        return 0;
    if (n->step == LEDGER_TEDGE_SHIPMENT && streq(n->biz_step, "shipping")) /* the usual */
        return 1;
    if (streq(n->biz_step, "shipping") || streq(n->biz_step, "receiving") ||
        streq(n->biz_step, "departing") || streq(n->biz_step, "arriving"))
        return 1;
    for (size_t i = 0; n->card && i < n->card->nids; i++)
        if (n->card->ids[i].role == LEDGER_ROLE_DEST)
            return 1;
    return 0;
}

static int is_receipt(const ledger_trace_node_t *n)
{
    return streq(n->biz_step, "receiving") || streq(n->biz_step, "arriving");
}

/* A class (a GTIN or an LGTIN, no serial) rather than an instance. */
static int is_class_id(const char *id)
{
    enum gs1_key_level k = gs1_key_gtin(id, NULL);
    return k == GS1_KEY_CLASS || k == GS1_KEY_LOT;
}

/* ---- computing ---------------------------------------------------------------- */

/* Per node: IDENT, EVENT that is no shipment, or SHIPMENT (an event). */
enum { K_OTHER, K_IDENT, K_EVENT, K_SHIPMENT };

/* The identifier and event ends of edge e, when it joins one of each
 * (kinds: per node, as above). */
static int ident_event(const unsigned char *kinds, const ledger_trace_edge_t *e, size_t *id,
                       size_t *ev)
{
    if (kinds[e->from] == K_IDENT && kinds[e->to] >= K_EVENT) {
        *id = e->from;
        *ev = e->to;
        return 1;
    }
    if (kinds[e->to] == K_IDENT && kinds[e->from] >= K_EVENT) {
        *id = e->to;
        *ev = e->from;
        return 1;
    }
    return 0;
}

static int add_report(ledger_recall_excursion_t **v, size_t *n, size_t *cap,
                      const ledger_trace_node_t *ev, const json_t *rep, const json_t *val,
                      double celsius)
{
    ledger_recall_excursion_t *ne = ledger__trace_room(*v, *n, cap, sizeof *ne);
    if (!ne)
        return LEDGER_ENOMEM;
    *v = ne;
    (*v)[(*n)++] = (ledger_recall_excursion_t){.event = ev,
                                               .value = val,
                                               .uom = json_object_get(rep, "uom"),
                                               .time = json_object_get(rep, "time"),
                                               .celsius = celsius};
    return 0;
}

/* The members of a report that are temperatures (sDev is a spread). */
static const char *const temp_members[] = {"value", "minValue", "maxValue", "meanValue",
                                           "percValue"};

/* The sensor reports of event node n above the limit, or not compared;
 * the event is read only when its card's highest temperature (CEL) is
 * above it or it has readings that could not be converted. */
static int excursions(ledger_recall_t *r, const ledger_trace_node_t *n)
{
    size_t i, j;
    const json_t *se, *rep, *ev;
    if (!n->card || ((!n->card->max_temp || strtod(n->card->max_temp, NULL) <= r->max_temp) &&
                     !n->card->temp_uncompared))
        return 0;
    if (!(ev = ledger_trace_node_event(r->t, n)))
        return 0;
    json_array_foreach(json_object_get(ev, "sensorElementList"), i, se)
    {
        json_array_foreach(json_object_get(se, "sensorReport"), j, rep)
        {
            const char *ty = json_string_value(json_object_get(rep, "type"));
            const char *uom = json_string_value(json_object_get(rep, "uom"));
            const json_t *best = NULL, *first = NULL;
            double bc = 0;
            int unconverted = 0, rc = 0;
            if (!ty || ledger_uom_quantity(ty, strlen(ty)) != LEDGER_UOM_TEMPERATURE)
                continue;
            for (size_t k = 0; k < sizeof temp_members / sizeof temp_members[0]; k++) {
                const json_t *v = json_object_get(rep, temp_members[k]);
                double c;
                if (!json_is_number(v))
                    continue;
                if (!first)
                    first = v;
                if (ledger_uom_to_base(LEDGER_UOM_TEMPERATURE, uom, json_number_value(v), &c))
                    unconverted = 1;
                else if (!best || c > bc)
                    best = v, bc = c;
            }
            if (unconverted)
                rc = add_report(&r->nc, &r->nnc, &r->cnc, n, rep, first, 0);
            else if (best && bc > r->max_temp)
                rc = add_report(&r->exc, &r->nexc, &r->cexc, n, rep, best, bc);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Receipts: a receipt (not erroneous) belongs to each dispatch (not
 * erroneous) that was the last before it to move one of its items (a
 * kitchen may receive two pallets of two shipments at once); lastd: per
 * node, scratch. The rows are the dispatches and the receipts of none;
 * receipts are grouped by dispatch, in time order. */
static int match_receipts(ledger_recall_t *r, const size_t *item_nodes, size_t n, size_t *lastd)
{
    size_t *cnt = NULL, *mark = NULL, *pd = NULL, *pr = NULL, np = 0, cp = 0;
    unsigned char *matched = NULL;
    int rc = LEDGER_ENOMEM;
    if (!(cnt = calloc(r->nships + 1, sizeof *cnt)) ||
        !(mark = calloc(r->nships + 1, sizeof *mark)) || !(matched = calloc(r->nships + 1, 1)) ||
        !(r->rows = malloc((r->nships ? r->nships : 1) * sizeof *r->rows)))
        goto done;
    for (size_t i = 0; i < n; i++)
        lastd[i] = (size_t)-1;
    for (size_t s = 0; s < r->nships; s++) {
        ledger_recall_shipment_t *x = &r->ships[s];
        const size_t *in = item_nodes + (x->items - (const char *const *)r->items);
        if (x->event->erroneous)
            continue;
        for (size_t k = 0; k < x->nitems; k++) {
            size_t d = lastd[in[k]];
            if (!x->receipt) {
                lastd[in[k]] = s;
                continue;
            }
            if (d == (size_t)-1 || mark[d] == s + 1)
                continue;
            mark[d] = s + 1; /* this receipt is d's already */
            if (np == cp) {
                size_t nc = cp ? 2 * cp : 64, *a, *b;
                if (!(a = realloc(pd, nc * sizeof *a)))
                    goto done;
                pd = a;
                if (!(b = realloc(pr, nc * sizeof *b)))
                    goto done;
                pr = b;
                cp = nc;
            }
            pd[np] = d;
            pr[np++] = s;
            cnt[d + 1]++;
            matched[s] = 1;
        }
    }
    for (size_t s = 1; s <= r->nships; s++)
        cnt[s] += cnt[s - 1];
    if (!(r->recv = malloc((np ? np : 1) * sizeof *r->recv)))
        goto done;
    for (size_t s = 0; s < r->nships; s++) {
        r->ships[s].receipts = r->recv + cnt[s];
        r->ships[s].nreceipts = 0;
    }
    for (size_t i = 0; i < np; i++) { /* pairs are in receipt order: time order */
        ledger_recall_shipment_t *d = &r->ships[pd[i]];
        r->recv[cnt[pd[i]] + d->nreceipts++] = &r->ships[pr[i]];
    }
    for (size_t s = 0; s < r->nships; s++)
        if (!matched[s])
            r->rows[r->nrows++] = &r->ships[s];
    for (size_t i = 0; i < r->nrows; i++) {
        const ledger_recall_shipment_t *x = r->rows[i];
        if (x->event->erroneous)
            continue;
        r->counted++;
        r->received += x->receipt || x->nreceipts;
    }
    rc = 0;
done:
    free(cnt);
    free(mark);
    free(matched);
    free(pd);
    free(pr);
    return rc;
}

int ledger_recall_run(ledger_store_t *st, const ledger_key_t *lot, const ledger_trace_opts_t *opts,
                      int have_max_temp, double max_temp, ledger_recall_t **out, ledger_err_t *err)
{
    ledger_trace_opts_t o = {0};
    ledger_recall_t *r;
    size_t n, ne, *last = NULL, *start = NULL, *fill = NULL, *item_nodes = NULL, nitems = 0;
    unsigned char *kinds = NULL, *container = NULL;
    int rc;

    *out = NULL;
    if (!lot)
        return ledger_err_set(err, LEDGER_EINVAL, "recall: which lot?");
    if (opts)
        o = *opts;
    o.dir = LEDGER_TRACE_FORWARD;
    o.no_sealed = 1; /* a recall lists what moved: sealed entries say nothing of that */
    if (!(r = calloc(1, sizeof *r)) || !(r->lot = strdup(lot->given))) {
        free(r);
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
    }
    r->have_max_temp = have_max_temp;
    r->max_temp = max_temp;
    if ((rc = ledger_trace_run_key(st, lot, &o, &r->t, err)))
        goto fail;
    n = ledger_trace_node_count(r->t);
    ne = ledger_trace_edge_count(r->t);
    /* per node: its last event (identifiers), where its items start
     * (shipments), whether it is a container (identifiers) */
    if (!(last = malloc((n + 1) * sizeof *last)) || !(start = calloc(n + 1, sizeof *start)) ||
        !(kinds = malloc(n + 1)) || !(container = calloc(n + 1, 1)))
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        const ledger_trace_node_t *x = ledger_trace_node(r->t, i);
        last[i] = (size_t)-1;
        kinds[i] = x->kind == LEDGER_TNODE_IDENT   ? K_IDENT
                   : x->kind != LEDGER_TNODE_EVENT ? K_OTHER
                   : is_shipment(x)                ? K_SHIPMENT
                                                   : K_EVENT;
    }
    for (size_t k = 0; k < ne; k++) {
        const ledger_trace_edge_t *e = ledger_trace_edge(r->t, k);
        size_t id, ev;
        if (!ident_event(kinds, e, &id, &ev))
            continue;
        if (e->kind == LEDGER_TEDGE_AGGREGATION && e->role == LEDGER_ROLE_PARENT)
            container[id] = 1;
        if (!ledger_trace_node(r->t, ev)->erroneous && (last[id] == (size_t)-1 || ev > last[id]))
            last[id] = ev;
        if (kinds[ev] == K_SHIPMENT && e->role != LEDGER_ROLE_LOT) {
            start[ev + 1]++; /* (a Digital Link's lot is its instance's, not moved itself) */
            nitems++;
        }
    }
    for (size_t i = 1; i <= n; i++)
        start[i] += start[i - 1];
    if (!(r->items = malloc((nitems ? nitems : 1) * sizeof *r->items)) ||
        !(item_nodes = malloc((nitems ? nitems : 1) * sizeof *item_nodes)) ||
        !(fill = malloc((n + 1) * sizeof *fill)))
        goto nomem;
    memcpy(fill, start, (n + 1) * sizeof *fill);
    for (size_t k = 0; k < ne; k++) {
        const ledger_trace_edge_t *e = ledger_trace_edge(r->t, k);
        size_t id, ev;
        if (ident_event(kinds, e, &id, &ev) && kinds[ev] == K_SHIPMENT &&
            e->role != LEDGER_ROLE_LOT) {
            item_nodes[fill[ev]] = id;
            r->items[fill[ev]++] = ledger_trace_node(r->t, id)->id;
        }
    }
    if (!(r->products = malloc((n ? n : 1) * sizeof *r->products)) ||
        !(r->ships = malloc((n ? n : 1) * sizeof *r->ships)))
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        const ledger_trace_node_t *x = ledger_trace_node(r->t, i);
        if (x->kind == LEDGER_TNODE_IDENT) {
            r->products[r->nproducts++] = (ledger_recall_product_t){
                .id = x->id,
                .last = last[i] == (size_t)-1 ? NULL : ledger_trace_node(r->t, last[i])};
            continue;
        }
        if (x->kind != LEDGER_TNODE_EVENT)
            continue;
        if (have_max_temp && (rc = excursions(r, x)))
            goto nomem;
        if (kinds[i] == K_SHIPMENT) {
            ledger_recall_shipment_t *sh = &r->ships[r->nships++];
            *sh = (ledger_recall_shipment_t){.event = x,
                                             .items = r->items + start[i],
                                             .nitems = start[i + 1] - start[i],
                                             .receipt = is_receipt(x)};
            for (size_t k = start[i]; k < start[i + 1]; k++) {
                if (container[item_nodes[k]])
                    sh->containers++;
                else if (!is_class_id(r->items[k]))
                    sh->from_lot++;
            }
        }
    }
    if (match_receipts(r, item_nodes, n, last))
        goto nomem;
    free(last);
    free(start);
    free(fill);
    free(kinds);
    free(container);
    free(item_nodes);
    *out = r;
    return 0;
nomem:
    rc = ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
fail:
    free(last);
    free(start);
    free(fill);
    free(kinds);
    free(container);
    free(item_nodes);
    ledger_recall_free(r);
    return rc;
}

void ledger_recall_free(ledger_recall_t *r)
{
    if (!r)
        return;
    ledger_trace_free(r->t);
    free(r->lot);
    free(r->products);
    free(r->ships);
    free(r->rows);
    free(r->recv);
    free(r->exc);
    free(r->nc);
    free(r->items);
    free(r);
}

const char *ledger_recall_lot(const ledger_recall_t *r)
{
    return r->lot;
}

const ledger_trace_t *ledger_recall_trace(const ledger_recall_t *r)
{
    return r->t;
}

int ledger_recall_truncated(const ledger_recall_t *r)
{
    return ledger_trace_truncated(r->t);
}

size_t ledger_recall_shipment_count(const ledger_recall_t *r)
{
    return r->counted;
}

size_t ledger_recall_received_count(const ledger_recall_t *r)
{
    return r->received;
}

int ledger_recall_has_max_temp(const ledger_recall_t *r, double *max_temp)
{
    if (r->have_max_temp && max_temp)
        *max_temp = r->max_temp;
    return r->have_max_temp;
}

size_t ledger_recall_nproducts(const ledger_recall_t *r)
{
    return r->nproducts;
}

const ledger_recall_product_t *ledger_recall_product(const ledger_recall_t *r, size_t i)
{
    return i < r->nproducts ? &r->products[i] : NULL;
}

size_t ledger_recall_nshipments(const ledger_recall_t *r)
{
    return r->nrows;
}

const ledger_recall_shipment_t *ledger_recall_shipment(const ledger_recall_t *r, size_t i)
{
    return i < r->nrows ? r->rows[i] : NULL;
}

size_t ledger_recall_nexcursions(const ledger_recall_t *r)
{
    return r->nexc;
}

const ledger_recall_excursion_t *ledger_recall_excursion(const ledger_recall_t *r, size_t i)
{
    return i < r->nexc ? &r->exc[i] : NULL;
}

size_t ledger_recall_nnot_compared(const ledger_recall_t *r)
{
    return r->nnc;
}

const ledger_recall_excursion_t *ledger_recall_not_compared(const ledger_recall_t *r, size_t i)
{
    return i < r->nnc ? &r->nc[i] : NULL;
}

/* ---- quantities --------------------------------------------------------------- */

/* A moved identifier counts as an instance (EPC lists, parent) or a class
 * quantity (quantity lists); other roles are not what moved. */
static int moved(const ledger_card_ident_t *d)
{
    return d->role == LEDGER_ROLE_EPC || d->role == LEDGER_ROLE_CLASS ||
           d->role == LEDGER_ROLE_CHILD || d->role == LEDGER_ROLE_OUTPUT;
}

/* An instance the event moved (not a class: a Digital Link's lot is on the
 * card as a class in its instance's role). */
static int moved_instance(const ledger_card_ident_t *d)
{
    return moved(d) && !d->listed && d->role != LEDGER_ROLE_CLASS && !is_class_id(d->id);
}

/* 1 when class entry d of shipment s's card is one of the recall's (the
 * lot, or a class made from it). */
static int of_recall(const ledger_recall_shipment_t *s, const ledger_card_ident_t *d)
{
    for (size_t k = 0; k < s->nitems; k++)
        if (strcmp(s->items[k], d->id) == 0)
            return 1;
    return 0;
}

/* A quantity's text (from the card): an integer (*is_real 0, *i), a real
 * (*is_real 1, *d), or neither (-1). */
static int quantity_number(const char *q, int *is_real, long long *i, double *d)
{
    char *end;
    if (strpbrk(q, ".eEna")) {
        *d = strtod(q, &end);
        *is_real = 1;
        return *end || !isfinite(*d) ? -1 : 0;
    }
    *i = strtoll(q, &end, 10);
    *is_real = 0;
    return *end ? -1 : 0;
}

/* The class entries of the card (all, or those of the recall) as
 * " + 2.5 KGM <class>" from out + o. */
static size_t class_text(const ledger_recall_shipment_t *s, int only_recall, char *out, size_t o,
                         size_t len)
{
    const ledger_card_t *c = s->event->card;
    for (size_t i = 0; c && i < c->nids && o < len; i++) {
        const ledger_card_ident_t *d = &c->ids[i];
        int is_real;
        long long iv = 0;
        double dv = 0;
        if (!moved(d) || !d->listed || (only_recall && !of_recall(s, d)))
            continue;
        if (!d->quantity || quantity_number(d->quantity, &is_real, &iv, &dv))
            dv = 0;
        else if (!is_real)
            dv = (double)iv;
        o += (size_t)snprintf(out + o, len - o, "%s%g%s%s %s", o ? " + " : "", dv,
                              d->uom ? " " : "", d->uom ? d->uom : "", d->id);
    }
    return o;
}

void ledger_recall_event_quantity_text(const ledger_recall_shipment_t *s, char *out, size_t len)
{
    const ledger_card_t *c = s->event->card;
    size_t o = 0, n = 0;
    out[0] = '\0';
    for (size_t i = 0; c && i < c->nids; i++)
        n += moved_instance(&c->ids[i]);
    if (n)
        o += (size_t)snprintf(out, len, "%zu item%s", n, n == 1 ? "" : "s");
    class_text(s, 0, out, o, len);
}

void ledger_recall_quantity_text(const ledger_recall_shipment_t *s, char *out, size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    if (s->from_lot || !s->containers)
        o += (size_t)snprintf(out, len, "%zu item%s", s->from_lot, s->from_lot == 1 ? "" : "s");
    if (s->containers && o < len)
        o += (size_t)snprintf(out + o, len - o, "%s%zu container%s", o ? " in " : "", s->containers,
                              s->containers == 1 ? "" : "s");
    if (o < len)
        class_text(s, 1, out, o, len);
    if (!s->from_lot && !s->containers && o < len && out[o]) /* classes only */
        memmove(out, out + o + 3, strlen(out + o + 3) + 1);
}

/* ---- JSON ------------------------------------------------------------------- */

/* The precision jansson would give the document: the largest any of its
 * reals needs, at least 15 (ledger_json_real_digits). */
static int doc_digits(const ledger_recall_t *r)
{
    int digits = 15;
    if (r->have_max_temp)
        digits = ledger_jsonw_digits(r->max_temp, digits);
    for (size_t i = 0; i < r->nexc && digits < 17; i++) {
        if (json_is_real(r->exc[i].value))
            digits = ledger_jsonw_digits(json_real_value(r->exc[i].value), digits);
        digits = ledger_jsonw_digits(r->exc[i].celsius, digits);
    }
    for (size_t i = 0; i < r->nnc && digits < 17; i++)
        if (json_is_real(r->nc[i].value))
            digits = ledger_jsonw_digits(json_real_value(r->nc[i].value), digits);
    for (size_t s = 0; s < r->nships && digits < 17; s++) {
        const ledger_card_t *c = r->ships[s].event->card;
        for (size_t i = 0; c && i < c->nids; i++) {
            int is_real;
            long long iv;
            double dv;
            if (moved(&c->ids[i]) && c->ids[i].listed && c->ids[i].quantity &&
                quantity_number(c->ids[i].quantity, &is_real, &iv, &dv) == 0 && is_real)
                digits = ledger_jsonw_digits(dv, digits);
        }
    }
    return digits;
}

typedef struct hexcache {
    const uint8_t *feed[8];
    char hex[8][2 * LEDGER_FEED_LEN + 1];
    size_t n, next;
} hexcache_t;

/* The feed's hex (the last few remembered: a recall names few partners). */
static const char *feed_hex(hexcache_t *hc, const uint8_t *feed)
{
    size_t k;
    for (k = 0; k < hc->n; k++)
        if (memcmp(hc->feed[k], feed, LEDGER_FEED_LEN) == 0)
            return hc->hex[k];
    k = hc->n < 8 ? hc->n++ : hc->next++ % 8;
    hc->feed[k] = feed;
    return ledger_hex(feed, LEDGER_FEED_LEN, hc->hex[k]);
}

/* The members of an event reference (docs/trace.md): feed, seq, time,
 * IDs, step, location; the caller opened the object. */
static void ref_members(ledger_jsonw_t *w, hexcache_t *hc, const ledger_trace_node_t *n)
{
    char tm[32];
    ledger_jsonw_kstr(w, "feed", feed_hex(hc, n->feed));
    ledger_jsonw_kint(w, "seq", (int64_t)n->seq);
    ledger_trace_fmt_ms(n->time_ms, tm);
    ledger_jsonw_kstr(w, "eventTimeUTC", tm);
    if (n->kind != LEDGER_TNODE_EVENT) {
        ledger_jsonw_key(w, "sealed");
        ledger_jsonw_bool(w, 1);
        return;
    }
    ledger_jsonw_kstr(w, "eventTime", n->card ? n->card->event_time : NULL);
    ledger_jsonw_kstr(w, "eventID", n->id);
    ledger_jsonw_kstr(w, "type", n->type);
    ledger_jsonw_kstr(w, "bizStep", n->biz_step);
    ledger_jsonw_kstr(w, "location", ledger_trace_after(n));
    if (n->erroneous) {
        ledger_jsonw_key(w, "erroneous");
        ledger_jsonw_bool(w, 1);
    }
    if (n->ndisputes) { /* other partners' errorDeclarations: shown, not applied */
        ledger_jsonw_key(w, "disputes");
        ledger_jsonw_array(w);
        for (size_t k = 0; k < n->ndisputes; k++) {
            const json_t *d = n->disputes[k].declaration;
            ledger_jsonw_object(w);
            ledger_jsonw_kstr(w, "feed", feed_hex(hc, n->disputes[k].feed));
            ledger_jsonw_kint(w, "seq", (int64_t)n->disputes[k].seq);
            ledger_jsonw_kstr(w, "reason", json_string_value(json_object_get(d, "reason")));
            ledger_jsonw_kstr(w, "declarationTime",
                              json_string_value(json_object_get(d, "declarationTime")));
            ledger_jsonw_end(w);
        }
        ledger_jsonw_end(w);
    }
}

static void parties(ledger_jsonw_t *w, const ledger_card_t *c, int role)
{
    ledger_jsonw_array(w);
    for (size_t i = 0; c && i < c->nids; i++) {
        char sty[64];
        if (c->ids[i].role != role)
            continue;
        ledger_epcis_cbv_short(c->ids[i].type ? c->ids[i].type : "", sty, sizeof sty);
        ledger_jsonw_object(w);
        ledger_jsonw_kstr(w, "type", sty);
        ledger_jsonw_kstr(w, "id", c->ids[i].written);
        ledger_jsonw_end(w);
    }
    ledger_jsonw_end(w);
}

static void quantity(ledger_jsonw_t *w, const ledger_card_t *c, const ledger_recall_shipment_t *s)
{
    size_t n = 0;
    for (size_t i = 0; c && i < c->nids; i++)
        n += moved_instance(&c->ids[i]);
    ledger_jsonw_object(w);
    ledger_jsonw_kint(w, "instances", (int64_t)(s ? s->from_lot : n));
    if (s)
        ledger_jsonw_kint(w, "containers", (int64_t)s->containers);
    ledger_jsonw_key(w, "classes");
    ledger_jsonw_array(w);
    for (size_t i = 0; c && i < c->nids; i++) {
        const ledger_card_ident_t *d = &c->ids[i];
        int is_real;
        long long iv;
        double dv;
        if (!moved(d) || !d->listed || (s && !of_recall(s, d)))
            continue;
        ledger_jsonw_object(w);
        ledger_jsonw_kstr(w, "epcClass", d->id);
        if (d->quantity) {
            int q = quantity_number(d->quantity, &is_real, &iv, &dv);
            ledger_jsonw_key(w, "quantity");
            if (q)
                ledger_jsonw_null(w);
            else if (is_real)
                ledger_jsonw_real(w, dv);
            else
                ledger_jsonw_int(w, iv);
        }
        if (d->uom)
            ledger_jsonw_kstr(w, "uom", d->uom);
        ledger_jsonw_end(w);
    }
    ledger_jsonw_end(w);
    ledger_jsonw_end(w);
}

/* A shipment's members: the event's, parties, the event's quantity, what
 * came from the lot, the items; the caller opened the object. */
static void shipment_members(ledger_jsonw_t *w, hexcache_t *hc, const ledger_recall_shipment_t *s)
{
    ref_members(w, hc, s->event);
    ledger_jsonw_key(w, "sources");
    parties(w, s->event->card, LEDGER_ROLE_SOURCE);
    ledger_jsonw_key(w, "destinations");
    parties(w, s->event->card, LEDGER_ROLE_DEST);
    ledger_jsonw_key(w, "quantity");
    quantity(w, s->event->card, NULL);
    ledger_jsonw_key(w, "fromLot");
    quantity(w, s->event->card, s);
    ledger_jsonw_key(w, "items");
    ledger_jsonw_array(w);
    for (size_t k = 0; k < s->nitems; k++)
        ledger_jsonw_str(w, s->items[k]);
    ledger_jsonw_end(w);
}

/* A sensor report (excursion or not compared); the caller opened it. */
static void report_members(ledger_jsonw_t *w, hexcache_t *hc, const ledger_recall_excursion_t *x,
                           int compared)
{
    ref_members(w, hc, x->event);
    ledger_jsonw_key(w, "value");
    ledger_jsonw_value(w, x->value);
    if (x->uom) {
        ledger_jsonw_key(w, "uom");
        ledger_jsonw_value(w, x->uom);
    }
    if (compared) {
        ledger_jsonw_key(w, "celsius");
        ledger_jsonw_real(w, x->celsius);
    }
    if (x->time) {
        ledger_jsonw_key(w, "time");
        ledger_jsonw_value(w, x->time);
    }
}

int ledger_recall_write_json(const ledger_recall_t *r, FILE *f, ledger_err_t *err)
{
    ledger_jsonw_t w;
    hexcache_t hc = {0};
    ledger_jsonw_init(&w, f, doc_digits(r));
    ledger_jsonw_object(&w);
    ledger_jsonw_kstr(&w, "lot", r->lot);
    ledger_jsonw_key(&w, "products");
    ledger_jsonw_array(&w);
    for (size_t i = 0; i < r->nproducts; i++) {
        ledger_jsonw_object(&w);
        ledger_jsonw_kstr(&w, "id", r->products[i].id);
        ledger_jsonw_key(&w, "lastSeen");
        if (r->products[i].last) {
            ledger_jsonw_object(&w);
            ref_members(&w, &hc, r->products[i].last);
            ledger_jsonw_end(&w);
        } else {
            ledger_jsonw_null(&w);
        }
        ledger_jsonw_end(&w);
    }
    ledger_jsonw_end(&w);
    ledger_jsonw_key(&w, "shipments");
    ledger_jsonw_array(&w);
    for (size_t i = 0; i < r->nrows; i++) {
        const ledger_recall_shipment_t *s = r->rows[i];
        ledger_jsonw_object(&w);
        shipment_members(&w, &hc, s);
        ledger_jsonw_key(&w, "receipts");
        ledger_jsonw_array(&w);
        for (size_t k = 0; k < s->nreceipts; k++) {
            ledger_jsonw_object(&w);
            shipment_members(&w, &hc, s->receipts[k]);
            ledger_jsonw_end(&w);
        }
        ledger_jsonw_end(&w);
        ledger_jsonw_end(&w);
    }
    ledger_jsonw_end(&w);
    ledger_jsonw_kint(&w, "shipmentCount", (int64_t)r->counted);
    ledger_jsonw_kint(&w, "receivedCount", (int64_t)r->received);
    ledger_jsonw_key(&w, "truncated");
    ledger_jsonw_bool(&w, ledger_trace_truncated(r->t));
    if (r->have_max_temp) {
        ledger_jsonw_key(&w, "maxTemp");
        ledger_jsonw_real(&w, r->max_temp);
        ledger_jsonw_key(&w, "excursions");
        ledger_jsonw_array(&w);
        for (size_t i = 0; i < r->nexc; i++) {
            ledger_jsonw_object(&w);
            report_members(&w, &hc, &r->exc[i], 1);
            ledger_jsonw_end(&w);
        }
        ledger_jsonw_end(&w);
        ledger_jsonw_key(&w, "notCompared");
        ledger_jsonw_array(&w);
        for (size_t i = 0; i < r->nnc; i++) {
            ledger_jsonw_object(&w);
            report_members(&w, &hc, &r->nc[i], 0);
            ledger_jsonw_end(&w);
        }
        ledger_jsonw_end(&w);
    }
    ledger_jsonw_end(&w);
    putc('\n', f);
    return ledger_jsonw_done(&w, err);
}

json_t *ledger_recall_json(const ledger_recall_t *r, ledger_err_t *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    json_t *j = NULL;
    json_error_t je;
    if (!f) {
        ledger_err_set(err, LEDGER_ENOMEM, "out of memory");
        return NULL;
    }
    if (ledger_recall_write_json(r, f, err) == 0) {
        fclose(f);
        f = NULL;
        if (!(j = json_loadb(buf, len, 0, &je)))
            ledger_err_set(err, LEDGER_EIO, "recall JSON does not read back: %s", je.text);
    }
    if (f)
        fclose(f);
    free(buf);
    return j;
}
