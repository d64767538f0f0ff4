/* ledger_evtree.c -- steps 3 and 4 of the EPCIS 2.0 event hash: the event
 * tree corrected to the XML layout and rendered as the pre-hash string
 * (ledger_evtree.h).
 *
 * How it works:
 *  - correct() regroups the children of each node in one pass: a string map
 *    (ledger_arena.h) counts the "xxxList" children per name (first
 *    occurrence order), a group node of the right size is made for each, and
 *    the children are moved into their group, renamed to the item by
 *    shortening the name (no copy).
 *  - The pre-hash is written once, in order, into one buffer in the arena; a
 *    rendered piece is a span of offsets in it (the buffer moves when it
 *    grows). Where the reference sorts pieces (same-named fields, generic
 *    children), the spans are sorted and the region is rewritten in the new
 *    order; nothing else is copied. ordered() matches the live children
 *    against the order table once each, so the cost is children x table
 *    length of cheap length compares, not repeated string scans.
 *  - Values are canonicalised on demand, at most once per rendering: JSON
 *    numbers and literals carry their canonical text from step 2 already.
 * Removal of consumed children is a flag plus a live count, so nothing is
 * quadratic in the number of EPCs.
 */
#include "ledger_evtree.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "ledger_evctx.h"
#include "gs1_key.h"
#include "ledger_pyfmt.h"

#define CBV_IRI "https://ref.gs1.org/cbv/"

typedef ledger_evtree_t tree_t;
typedef ledger_evtree_node_t node_t;
typedef ledger_evtree_str_t str_t;

#define LIT(s) ((str_t){s, sizeof(s) - 1})
#define IS(p, n, lit) ledger_evtree_str_is(p, n, lit, sizeof(lit) - 1)
#define str_cmp ledger_evtree_str_cmp

/* Is lit somewhere in p[0..n)? */
static bool contains(const char *p, size_t n, const char *lit, size_t ln)
{
    for (size_t i = 0; i + ln <= n; i++)
        if (p[i] == lit[0] && memcmp(p + i, lit, ln) == 0)
            return true;
    return false;
}

/* ---- memory and errors ----------------------------------------------------- */

void ledger_evtree_init(tree_t *tr, ledger_arena_t *ar, ledger_err_t *err, int maxdepth)
{
    tr->ar = ar;
    tr->err = err;
    tr->rc = 0;
    tr->out = NULL;
    tr->n = tr->cap = 0;
    tr->maxdepth = maxdepth;
}

int ledger_evtree_fail(tree_t *tr, int code, const char *msg)
{
    if (tr->rc == 0) {
        tr->rc = code;
        ledger_err_set(tr->err, code, "%s",
                       code == LEDGER_ENOMEM ? "out of memory computing the event hash" : msg);
    }
    return tr->rc;
}

static void *tr_alloc(tree_t *tr, size_t n)
{
    void *p = ledger_arena_alloc(tr->ar, n, sizeof(void *));
    if (!p)
        ledger_evtree_fail(tr, LEDGER_ENOMEM, "");
    return p;
}

str_t ledger_evtree_cat(tree_t *tr, const str_t *v, size_t n)
{
    size_t total = 0, o = 0;
    char *p;
    for (size_t i = 0; i < n; i++)
        total += v[i].n;
    if (!(p = ledger_arena_alloc(tr->ar, total + 1, 1))) {
        ledger_evtree_fail(tr, LEDGER_ENOMEM, "");
        return LIT("");
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(p + o, v[i].p, v[i].n);
        o += v[i].n;
    }
    p[o] = 0;
    return (str_t){p, o};
}

static str_t cat3(tree_t *tr, str_t a, str_t b, str_t d)
{
    str_t v[3] = {a, b, d};
    return ledger_evtree_cat(tr, v, 3);
}

static str_t dup(tree_t *tr, const char *s, size_t n)
{
    return ledger_evtree_cat(tr, &(str_t){s, n}, 1);
}

node_t *ledger_evtree_node(tree_t *tr, str_t name, str_t text, size_t nkid)
{
    node_t *n = tr_alloc(tr, sizeof *n + nkid * sizeof(node_t *));
    if (!n)
        return NULL;
    n->name = name.p;
    n->nlen = name.n;
    n->text = text.p;
    n->tlen = text.n;
    n->canon = NULL;
    n->clen = 0;
    n->kid = (node_t **)(n + 1);
    n->nkid = 0;
    n->live = 0;
    n->dead = false;
    n->pair = false;
    return n;
}

static void add_kid(node_t *n, node_t *k)
{
    n->kid[n->nkid++] = k;
    n->live++;
}

bool ledger_evtree_keeps_order(const char *k, size_t n)
{
    return IS(k, n, "bizTransaction") || IS(k, n, "source") || IS(k, n, "destination");
}

/* ---- value canonicalisation ---------------------------------------------- */

/* Python's str.strip(): s itself or a NUL-terminated copy. */
static str_t strip(tree_t *tr, str_t s)
{
    size_t a, n = ledger_pyfmt_strip(s.p, s.n, &a);
    return n == s.n ? s : dup(tr, s.p + a, n);
}

/* _try_format_web_vocabulary: the CBV 1.x URNs become web URIs, wherever
 * they occur in the string. */
static str_t canon_cbv_urn(tree_t *tr, str_t s)
{
    static const str_t from[] = {LIT("urn:epcglobal:cbv:bizstep:"), LIT("urn:epcglobal:cbv:disp:"),
                                 LIT("urn:epcglobal:cbv:btt:"), LIT("urn:epcglobal:cbv:sdt:"),
                                 LIT("urn:epcglobal:cbv:er:")};
    static const str_t to[] = {LIT(CBV_IRI "BizStep-"), LIT(CBV_IRI "Disp-"), LIT(CBV_IRI "BTT-"),
                               LIT(CBV_IRI "SDT-"), LIT(CBV_IRI "ER-")};
    if (s.n < 18 || !strstr(s.p, "urn:epcglobal:cbv:"))
        return s;
    for (int i = 0; i < 5; i++) {
        const char *hit;
        while ((hit = strstr(s.p, from[i].p)) != NULL) {
            size_t pre = (size_t)(hit - s.p);
            /* the replacement cannot contain the pattern */
            s = cat3(tr, (str_t){s.p, pre}, to[i], (str_t){hit + from[i].n, s.n - pre - from[i].n});
            if (tr->rc)
                return s;
        }
    }
    return s;
}

/* _canonize_value: CBV URNs, numbers, EPCs and Digital Links. */
static str_t canon_value(tree_t *tr, str_t s)
{
    char out[GS1_KEY_HASH_MAX > LEDGER_PYFMT_NUMBER_MAX ? GS1_KEY_HASH_MAX
                                                        : LEDGER_PYFMT_NUMBER_MAX];
    int n;

    s = canon_cbv_urn(tr, s);
    if ((n = ledger_pyfmt_number(s.p, out)) >= 0)
        s = dup(tr, out, (size_t)n);
    if (memchr(s.p, '.', s.n) && gs1_key_hash(s.p, out, sizeof out, NULL) == 0)
        s = dup(tr, out, strlen(out));
    return s;
}

/* _fix_time_stamp_format (what it cannot read stays as it is) */
static str_t fix_time(tree_t *tr, str_t s)
{
    char out[LEDGER_PYFMT_TIME_MAX];
    int n = ledger_pyfmt_time_utc(s.p, out);
    return n < 0 ? s : dup(tr, out, (size_t)n);
}

/* name.lower() contains "time" and not "offset" */
static bool is_time_name(const char *p, size_t n)
{
    bool time = false, offset = false;
    for (size_t i = 0; i < n; i++) {
        if ((p[i] | 0x20) == 't' && i + 4 <= n && !strncasecmp(p + i, "time", 4))
            time = true;
        if ((p[i] | 0x20) == 'o' && i + 6 <= n && !strncasecmp(p + i, "offset", 6))
            offset = true;
    }
    return time && !offset;
}

/* ---- step 3: JSON layout to XML layout ------------------------------------ */

static bool ends_with_list(const node_t *k)
{
    return k->nlen >= 4 && memcmp(k->name + k->nlen - 4, "List", 4) == 0;
}

static bool is_pair_list(const node_t *k)
{
    return IS(k->name, k->nlen, "sourceList") || IS(k->name, k->nlen, "destinationList") ||
           IS(k->name, k->nlen, "bizTransactionList");
}

/* deep_structure_correction */
static node_t *correct(tree_t *tr, node_t *n, int depth)
{
    node_t **kid, *epcs = NULL;
    size_t nk = 0, nepc = 0;
    ledger_strmap_t groups = LEDGER_STRMAP_INIT;

    if (tr->rc || n->nkid == 0 || n->pair)
        goto rename;
    if (!(kid = tr_alloc(tr, n->nkid * sizeof *kid)))
        return NULL;
    /* "xxxList" children grouped (first occurrence order) under one node */
    for (size_t i = 0; i < n->nkid; i++) {
        ledger_strmap_ent_t *e;
        if (!ends_with_list(n->kid[i]))
            continue;
        if (!(e = ledger_strmap_get(&groups, tr->ar, n->kid[i]->name, n->kid[i]->nlen))) {
            ledger_evtree_fail(tr, LEDGER_ENOMEM, "");
            return NULL;
        }
        e->count++;
    }
    for (size_t g = 0; g < groups.n; g++)
        if (!(groups.e[g].ptr = ledger_evtree_node(tr, (str_t){groups.e[g].key, groups.e[g].len},
                                                   LIT(""), groups.e[g].count)))
            return NULL;
    for (size_t i = 0; i < n->nkid; i++) {
        node_t *k = n->kid[i];
        if (!ends_with_list(k)) {
            if (IS(k->name, k->nlen, "childEPCs"))
                nepc++;
            kid[nk++] = k;
            continue;
        }
        node_t *g = ledger_strmap_find(&groups, k->name, k->nlen)->ptr;
        if (is_pair_list(k) && k->nkid > 0) {
            k->pair = true;
            k->name = "";
            k->nlen = 0;
        } else {
            k->nlen -= 4; /* the item: "xxx" of "xxxList" */
        }
        add_kid(g, k);
    }
    /* childEPCs children become one childEPCs node of epc nodes */
    if (nepc) {
        size_t o = 0;
        if (!(epcs = ledger_evtree_node(tr, LIT("childEPCs"), LIT(""), nepc)))
            return NULL;
        for (size_t i = 0; i < nk; i++) {
            node_t *k = kid[i], *e;
            if (!IS(k->name, k->nlen, "childEPCs")) {
                kid[o++] = k;
                continue;
            }
            if (!(e = ledger_evtree_node(tr, LIT("epc"), (str_t){k->text, k->tlen}, 0)))
                return NULL;
            e->canon = k->canon;
            e->clen = k->clen;
            add_kid(epcs, e);
        }
        nk = o;
    }
    for (size_t g = 0; g < groups.n; g++)
        kid[nk++] = groups.e[g].ptr;
    if (epcs)
        kid[nk++] = epcs;
    for (size_t i = 0; i < nk; i++) {
        if (depth > tr->maxdepth) {
            ledger_evtree_fail(tr, LEDGER_EINPUT, "event nested too deeply");
            return NULL;
        }
        if (is_pair_list(kid[i]))
            continue;
        if (!correct(tr, kid[i], depth + 1))
            return NULL;
    }
    n->kid = kid;
    n->nkid = n->live = nk;
rename:
    if (tr->rc)
        return NULL;
    if (IS(n->name, n->nlen, "inputEPC") || IS(n->name, n->nlen, "outputEPC")) {
        n->name = "epc";
        n->nlen = 3;
    } else if (IS(n->name, n->nlen, "inputQuantity") || IS(n->name, n->nlen, "outputQuantity") ||
               IS(n->name, n->nlen, "childQuantity") ||
               (IS(n->name, n->nlen, "quantity") && n->nkid > 0)) {
        n->name = "quantityElement";
        n->nlen = 15;
    }
    return n;
}

/* ---- step 4: the pre-hash string ------------------------------------------ */

/* The pre-hash is written once, in order, into tr->out; a piece of it is a
 * span of offsets (the buffer moves when it grows). Only the pieces that
 * the reference sorts are permuted afterwards. */
typedef struct {
    size_t off, n;
} span_t;

static bool out_reserve(tree_t *tr, size_t extra)
{
    char *p;
    size_t cap;
    if (tr->n + extra <= tr->cap)
        return true;
    cap = tr->cap * 2 > tr->n + extra + 512 ? tr->cap * 2 : tr->n + extra + 512;
    if (!(p = ledger_arena_alloc(tr->ar, cap, 1))) {
        ledger_evtree_fail(tr, LEDGER_ENOMEM, "");
        return false;
    }
    if (tr->n)
        memcpy(p, tr->out, tr->n);
    tr->out = p;
    tr->cap = cap;
    return true;
}

static void out_put(tree_t *tr, const char *p, size_t n)
{
    if (n && out_reserve(tr, n)) {
        memcpy(tr->out + tr->n, p, n);
        tr->n += n;
    }
}

static int span_cmp(const tree_t *tr, span_t a, span_t b)
{
    return str_cmp(tr->out + a.off, a.n, tr->out + b.off, b.n);
}

/* Sorts the pieces v[0..n), which lie one after the other from v[0].off,
 * as strcmp does. */
static void sort_spans(tree_t *tr, span_t *v, size_t n)
{
    bool moved = false;
    size_t start, total = 0, o;
    char *tmp;

    for (size_t i = 1; i < n; i++) {
        span_t x = v[i];
        size_t j = i;
        for (; j > 0 && span_cmp(tr, v[j - 1], x) > 0; j--)
            v[j] = v[j - 1];
        v[j] = x;
        moved |= j != i;
    }
    if (!moved)
        return;
    start = v[0].off;
    for (size_t i = 0; i < n; i++) {
        start = v[i].off < start ? v[i].off : start;
        total += v[i].n;
    }
    if (!(tmp = ledger_arena_alloc(tr->ar, total, 1))) {
        ledger_evtree_fail(tr, LEDGER_ENOMEM, "");
        return;
    }
    o = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(tmp + o, tr->out + v[i].off, v[i].n);
        o += v[i].n;
    }
    memcpy(tr->out + start, tmp, total);
}

static void drop_kid(node_t *parent, node_t *k)
{
    if (!k->dead) {
        k->dead = true;
        parent->live--;
    }
}

/* The canonical text of a node's value (after str.strip()). */
static str_t node_value(tree_t *tr, const node_t *k)
{
    str_t t;
    if (k->canon)
        return (str_t){k->canon, k->clen};
    t = strip(tr, (str_t){k->text, k->tlen});
    return t.n ? canon_value(tr, t) : t;
}

/* Writes name ["=" t]. */
static void out_entry(tree_t *tr, const node_t *k, str_t t)
{
    if (!out_reserve(tr, k->nlen + 1 + t.n))
        return;
    memcpy(tr->out + tr->n, k->name, k->nlen);
    tr->n += k->nlen;
    if (t.n) {
        tr->out[tr->n++] = '=';
        memcpy(tr->out + tr->n, t.p, t.n);
        tr->n += t.n;
    }
}

/* _generic_child_list_to_prehash_string over the live nodes of v[0..n):
 * each one name=value followed by its children, all of them sorted. */
static void generic(tree_t *tr, node_t **v, size_t n)
{
    span_t *sp;
    size_t ns = 0;
    bool sort = true;

    if (n == 0 || tr->rc)
        return;
    if (!(sp = tr_alloc(tr, n * sizeof *sp)))
        return;
    for (size_t i = 0; i < n; i++) {
        node_t *k = v[i];
        size_t at = tr->n;
        if (k->dead)
            continue;
        if (k->pair) {
            generic(tr, k->kid, k->nkid);
        } else {
            if (ledger_evtree_keeps_order(k->name, k->nlen))
                sort = false;
            out_entry(tr, k, node_value(tr, k));
            generic(tr, k->kid, k->nkid);
        }
        sp[ns++] = (span_t){at, tr->n - at};
    }
    if (ns > 1 && sort && !tr->rc)
        sort_spans(tr, sp, ns);
}

static void ordered(tree_t *tr, node_t *parent, const ledger_evctx_ord_t *ord, size_t nord,
                    int depth);

/* A kid named in an order, with its place there. */
typedef struct {
    size_t e;
    node_t *k;
} match_t;

/* _child_to_pre_hash_string: name=value then the children in their order;
 * nothing when both are empty. */
static void child_pre(tree_t *tr, node_t *k, const ledger_evctx_ord_t *o, int depth)
{
    size_t at = tr->n, body;
    str_t t = LIT("");

    if (k->tlen)
        t = is_time_name(k->name, k->nlen) ? fix_time(tr, strip(tr, (str_t){k->text, k->tlen}))
                                           : node_value(tr, k);
    out_entry(tr, k, t);
    body = tr->n;
    if (o->sub)
        ordered(tr, k, o->sub, o->nsub, depth + 1);
    if (!t.n && tr->n == body)
        tr->n = at;
}

/* _recurse_through_children_in_order over the kids of parent */
static void ordered(tree_t *tr, node_t *parent, const ledger_evctx_ord_t *ord, size_t nord,
                    int depth)
{
    node_t **ue = NULL;
    match_t *match;
    span_t *sp;
    size_t nue = 0, nm = 0;

    if (tr->rc || parent->nkid == 0)
        return;
    if (depth > tr->maxdepth) {
        ledger_evtree_fail(tr, LEDGER_EINPUT, "event nested too deeply");
        return;
    }
    /* _gather_user_extensions: "{ns/}name" children of sub-objects */
    if (parent->live > 1) {
        bool top = false;
        for (size_t i = 0; i < parent->nkid && !top; i++) {
            node_t *k = parent->kid[i];
            if (!k->dead && !k->pair &&
                (contains(k->name, k->nlen, "eventTime", 9) ||
                 contains(k->name, k->nlen, "action", 6)))
                top = true;
        }
        if (!top) {
            for (size_t i = 0; i < parent->nkid; i++) {
                node_t *k = parent->kid[i];
                if (k->dead || k->pair || !memchr(k->name, '{', k->nlen) ||
                    !contains(k->name, k->nlen, "/}", 2))
                    continue;
                if (!ue && !(ue = tr_alloc(tr, parent->nkid * sizeof *ue)))
                    return;
                ue[nue++] = k;
            }
            for (size_t i = 0; i < nue; i++)
                drop_kid(parent, ue[i]);
        }
    }
    /* the live kids named in ord, by their place in ord (then kid order) */
    match = tr_alloc(tr, parent->nkid * sizeof *match);
    sp = tr_alloc(tr, parent->nkid * sizeof *sp);
    if (!match || !sp)
        return;
    for (size_t i = 0; i < parent->nkid; i++) {
        const node_t *k = parent->kid[i];
        if (k->dead || k->pair)
            continue;
        for (size_t e = 0; e < nord; e++) {
            if (ord[e].len == k->nlen && ord[e].name[0] == k->name[0] &&
                memcmp(ord[e].name, k->name, k->nlen) == 0) {
                size_t j = nm++;
                for (; j > 0 && match[j - 1].e > e; j--)
                    match[j] = match[j - 1];
                match[j].e = e;
                match[j].k = parent->kid[i];
                break;
            }
        }
    }
    /* each field in order; same-named ones sorted among themselves */
    for (size_t m = 0; m < nm;) {
        size_t e = match[m].e, ns = 0;
        for (; m < nm && match[m].e == e; m++) {
            node_t *k = match[m].k;
            size_t at = tr->n;
            child_pre(tr, k, &ord[e], depth);
            if (tr->n > at)
                sp[ns++] = (span_t){at, tr->n - at};
            if (k->live == 0)
                drop_kid(parent, k);
        }
        if (ns > 1 && !tr->rc)
            sort_spans(tr, sp, ns);
    }
    if (nue) {
        /* the gathered ones are dead in parent but rendered here */
        for (size_t i = 0; i < nue; i++)
            ue[i]->dead = false;
        generic(tr, ue, nue);
        for (size_t i = 0; i < nue; i++)
            ue[i]->dead = true;
    }
}

int ledger_evtree_correct(tree_t *tr, node_t *root)
{
    correct(tr, root, 0);
    return tr->rc;
}

int ledger_evtree_prehash(tree_t *tr, node_t *ev)
{
    node_t **rest;
    size_t nrest = 0, nord;
    const ledger_evctx_ord_t *ord = ledger_evctx_event_order(&nord);

    if (tr->rc || !out_reserve(tr, 1024))
        return tr->rc;
    out_put(tr, "eventType=", 10);
    out_put(tr, ev->name, ev->nlen);
    ordered(tr, ev, ord, nord, 0);
    if (!ev->live || tr->rc)
        return tr->rc;
    /* what is left, except recordTime, eventID, type, errorDeclaration */
    if (!(rest = tr_alloc(tr, ev->nkid * sizeof *rest)))
        return tr->rc;
    for (size_t i = 0; i < ev->nkid; i++) {
        node_t *k = ev->kid[i];
        if (k->dead || (!k->pair &&
                        (IS(k->name, k->nlen, "recordTime") || IS(k->name, k->nlen, "eventID") ||
                         IS(k->name, k->nlen, "type") || IS(k->name, k->nlen, "errorDeclaration"))))
            continue;
        rest[nrest++] = k;
    }
    generic(tr, rest, nrest);
    return tr->rc;
}
