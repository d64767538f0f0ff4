/* ledger_evhash.c -- the EPCIS 2.0 event hash ID (ledger_evhash.h).
 *
 * We compute the pre-hash string exactly as the reference generator
 * (RalphTro/epcis-event-hash-generator, JSON-LD path) does, because the hash
 * is only useful when every implementation gets the same bytes. Its steps:
 *
 *  1. "Bare string" expansion. The reference expands the document with a
 *     JSON-LD processor and collects every expanded string value that starts
 *     with https://ref.gs1.org/cbv or https://gs1.org/voc (the set S). Every
 *     string value v of the JSON is then replaced by the one member of S that
 *     ends with "-v" or "/v", when there is exactly one. We build S with a
 *     small model of the EPCIS 2.0 context (the @vocab-typed properties and
 *     their terms, the @id-typed ones, the prefixes) instead of a JSON-LD
 *     processor: collect_object().
 *  2. The event becomes a tree of (name, text, children) nodes: keys with a
 *     namespace prefix from the @context become "{iri}local", values with one
 *     become "iri" + local, arrays give one child per element under the key,
 *     and the children of each object are sorted as Python sorts tuples,
 *     except in objects that hold bizTransaction/source/destination (document
 *     order kept). comment, rdfs:comment and #text are not children: conv().
 *  3. The JSON layout is corrected to the XML one, and
 *  4. the pre-hash is rendered from the tree: "eventType=" + type, the
 *     fields of PROP_ORDER with canonical values, user extensions, then the
 *     rest sorted. Both in ledger_evtree.c (contract: ledger_evtree.h).
 * The static model of the EPCIS context and PROP_ORDER are in ledger_evctx.c,
 * Python's number and time formatting in ledger_pyfmt.c.
 *
 * Speed (every recorded event is hashed on the ingest path): all memory of
 * one computation comes from an arena whose first block is inside ctx_t on
 * the stack (ledger_arena.h), so a typical event costs no malloc at all;
 * strings carry their length; the context model is static const data; the
 * namespaces of a document's @context are looked up in its JSON objects
 * directly (json_object_getn) instead of being copied into a table per call;
 * S is a short list scanned linearly, with a suffix hash table built only
 * when an event makes S large; JSON numbers and literals get their
 * canonical text when they are read; children are sorted by insertion
 * (qsort only for long lists).
 *
 * Checked against the reference itself on the 45 GS1 example documents it
 * can read and on several hundred random single-event documents: identical.
 *
 * Where we differ from the reference (cases it crashes on or that need the
 * whole document):
 *  - S is built from the event alone, not the document (in the reference a
 *    value in one event can change the hash of another event of the same
 *    document; here an event's hash depends on the event and its @context
 *    only), and always from the ratified EPCIS 2.0 context, whatever context
 *    URL the document names;
 *  - a source/destination/bizTransaction entry keeps all its members (the
 *    reference keeps the first two and fails on one);
 *  - a millisecond round-up to 1000 carries into the seconds; a time without
 *    zone is taken as UTC;
 *  - an "@context" member of the event is merged into the namespaces and not
 *    hashed; a single-object @context is treated like a one-element array.
 */
#include "ledger_evhash.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ledger_arena.h"
#include "ledger_buf.h"
#include "ledger_evctx.h"
#include "ledger_evtree.h"
#include "ledger_pyfmt.h"
#include "ledger_sha256.h"

#define MAX_DEPTH 200

typedef ledger_evtree_str_t str_t;
typedef ledger_evtree_node_t node_t;

#define LIT(s) ((str_t){s, sizeof(s) - 1})
#define IS(p, n, lit) ledger_evtree_str_is(p, n, lit, sizeof(lit) - 1)
#define str_cmp ledger_evtree_str_cmp

/* ---- state of one computation ------------------------------------------ */

typedef struct {
    ledger_evtree_t tree; /* the nodes, the first error, the pre-hash */
    const json_t **ns;    /* the objects of the @context: prefix -> IRI, later ones win */
    size_t nns;
    ledger_strmap_t sset; /* the set S of step 1 */
    ledger_strmap_t suf;  /* suffix -> member of S, built when S is large */
    bool suf_built;       /* suf is up to date */
    const json_t *ignore; /* top-level keys to leave out, or NULL */
    ledger_arena_t ar;    /* all memory of the computation */
} ctx_t;

static int fail(ctx_t *c, int code, const char *msg)
{
    return ledger_evtree_fail(&c->tree, code, msg);
}

static void *c_alloc(ctx_t *c, size_t n)
{
    void *p = ledger_arena_alloc(&c->ar, n, sizeof(void *));
    if (!p)
        fail(c, LEDGER_ENOMEM, "");
    return p;
}

/* v[0] + ... + v[n-1], NUL-terminated, in the arena */
static str_t catn(ctx_t *c, const str_t *v, size_t n)
{
    return ledger_evtree_cat(&c->tree, v, n);
}

/* ---- namespaces of the @context ------------------------------------------- */

/* Counts (and with into, lists) the objects of a @context: the context
 * itself when it is an object, its object elements when it is an array. */
static void ns_count(const json_t *ctx, size_t *n, const json_t **into)
{
    if (json_is_object(ctx)) {
        if (into)
            into[*n] = ctx;
        (*n)++;
        return;
    }
    for (size_t i = 0; i < json_array_size(ctx); i++) {
        const json_t *el = json_array_get(ctx, i);
        if (!json_is_object(el))
            continue;
        if (into)
            into[*n] = el;
        (*n)++;
    }
}

static void ns_init(ctx_t *c, const json_t *context, const json_t *own)
{
    size_t n = 0;
    ns_count(context, &n, NULL);
    ns_count(own, &n, NULL);
    if (!n || !(c->ns = c_alloc(c, n * sizeof *c->ns)))
        return;
    ns_count(context, &c->nns, c->ns);
    ns_count(own, &c->nns, c->ns);
}

/* The IRI bound to the prefix s[0..n) (string members not starting with
 * '@'; the last object that binds it wins), or NULL. Looked up in the
 * context's own JSON objects: nothing is copied per call. */
static const char *ns_get(const ctx_t *c, const char *s, size_t n)
{
    if (n && s[0] == '@')
        return NULL;
    for (size_t i = c->nns; i-- > 0;) {
        const json_t *v = json_object_getn(c->ns[i], s, n);
        if (json_is_string(v))
            return json_string_value(v);
    }
    return NULL;
}

/* The namespace IRI of the prefix of s (before its first ':'), or NULL;
 * *rest gets what follows the ':'. */
static const char *ns_lookup(const ctx_t *c, str_t s, str_t *rest)
{
    const char *colon, *iri;
    if (!c->nns || !(colon = memchr(s.p, ':', s.n)))
        return NULL;
    if (!(iri = ns_get(c, s.p, (size_t)(colon - s.p))))
        return NULL;
    rest->p = colon + 1;
    rest->n = s.n - (size_t)(colon - s.p) - 1;
    return iri;
}

/* ---- step 1: the set S -------------------------------------------------- */

/* IRI expansion of a value that is not a term: compact IRIs with a known
 * prefix are expanded, everything else stays. Returns the prefix IRI to put
 * in front of *rest, or NULL (value unchanged). */
static const char *expand_prefix(const ctx_t *c, str_t v, str_t *rest)
{
    const char *colon = memchr(v.p, ':', v.n), *iri;
    if (!colon || (colon[1] == '/' && colon[2] == '/'))
        return NULL;
    if ((iri = ns_lookup(c, v, rest)) != NULL)
        return iri;
    if ((iri = ledger_evctx_prefix(v.p, (size_t)(colon - v.p))) != NULL) {
        rest->p = colon + 1;
        rest->n = v.n - (size_t)(colon - v.p) - 1;
    }
    return iri;
}

/* Does a + b start with one of the two vocabularies? */
static bool s_prefix_ok(str_t a, str_t b)
{
    static const str_t pre[] = {{"https://ref.gs1.org/cbv", 23}, {"https://gs1.org/voc", 19}};
    for (int i = 0; i < 2; i++) {
        size_t k = a.n < pre[i].n ? a.n : pre[i].n;
        if (memcmp(a.p, pre[i].p, k) != 0)
            continue;
        if (k == pre[i].n || (b.n >= pre[i].n - k && memcmp(b.p, pre[i].p + k, pre[i].n - k) == 0))
            return true;
    }
    return false;
}

/* Adds a + b to S when it starts with one of the two vocabularies. */
static void s_add(ctx_t *c, str_t a, str_t b)
{
    if (!s_prefix_ok(a, b))
        return;
    str_t v[2] = {a, b}, x = catn(c, v, 2);
    if (c->tree.rc)
        return;
    if (!ledger_strmap_get(&c->sset, &c->ar, x.p, x.n))
        fail(c, LEDGER_ENOMEM, "");
    c->suf_built = false;
}

static void collect_value(ctx_t *c, const json_t *v, const ledger_evctx_term_t *t,
                          const ledger_evctx_scope_t *sc, int depth);

static void collect_object(ctx_t *c, const json_t *o, const ledger_evctx_scope_t *sc, int depth)
{
    static const ledger_evctx_term_t lit = {.name = "", .kind = LEDGER_EVCTX_LIT};
    static const ledger_evctx_term_t id = {.name = "@id", .len = 3, .kind = LEDGER_EVCTX_ID};
    static const ledger_evctx_term_t type = {.name = "@type", .len = 5, .kind = LEDGER_EVCTX_TYPE};

    if (depth > MAX_DEPTH) {
        fail(c, LEDGER_EINPUT, "event nested too deeply");
        return;
    }
    for (void *it = json_object_iter((json_t *)o); it && !c->tree.rc;
         it = json_object_iter_next((json_t *)o, it)) {
        const char *k = json_object_iter_key(it);
        size_t kn = strlen(k);
        const ledger_evctx_term_t *t;

        if (k[0] == '@') {
            if (IS(k, kn, "@id"))
                t = &id;
            else if (IS(k, kn, "@type"))
                t = &type;
            else if (IS(k, kn, "@value") || IS(k, kn, "@list") || IS(k, kn, "@set"))
                t = &lit;
            else
                continue;
        } else if ((t = ledger_evctx_term(sc, k, kn)) == NULL) {
            /* kept by expansion only when it is an IRI or a context term */
            if (!memchr(k, ':', kn) && !ns_get(c, k, kn))
                continue;
            t = &lit;
        }
        collect_value(c, json_object_iter_value(it), t, t->sub ? t->sub : sc, depth + 1);
    }
}

static void collect_value(ctx_t *c, const json_t *v, const ledger_evctx_term_t *t,
                          const ledger_evctx_scope_t *sc, int depth)
{
    if (depth > MAX_DEPTH) {
        fail(c, LEDGER_EINPUT, "event nested too deeply");
        return;
    }
    if (json_is_array(v)) {
        size_t i;
        const json_t *el;
        json_array_foreach(v, i, el) collect_value(c, el, t, sc, depth + 1);
    } else if (json_is_object(v)) {
        collect_object(c, v, sc, depth);
    } else if (json_is_string(v)) {
        str_t s = {json_string_value(v), 0}, rest;
        const char *iri;
        s.n = strlen(s.p);
        if (t->kind == LEDGER_EVCTX_VOCAB && ledger_evctx_vocab(t, s.p)) {
            s_add(c, (str_t){t->vprefix, t->vplen}, s);
        } else if (t->kind != LEDGER_EVCTX_LIT && (iri = expand_prefix(c, s, &rest)) != NULL) {
            s_add(c, (str_t){iri, strlen(iri)}, rest);
        } else if (s.p[0] == 'h') {
            s_add(c, s, LIT(""));
        }
    }
}

/* The replacement of step 1 for the string v (v itself when none): the one
 * member of S that ends with "-v" or "/v". */
static str_t s_replace(ctx_t *c, str_t v)
{
    const ledger_strmap_t *S = &c->sset;
    if (S->n == 0)
        return v;
    if (S->n <= LEDGER_STRMAP_SMALL) {
        const ledger_strmap_ent_t *hit = NULL;
        size_t count = 0;
        for (size_t i = 0; i < S->n; i++) {
            const ledger_strmap_ent_t *m = &S->e[i];
            if (m->len > v.n &&
                (m->key[m->len - v.n - 1] == '-' || m->key[m->len - v.n - 1] == '/') &&
                memcmp(m->key + m->len - v.n, v.p, v.n) == 0) {
                hit = m;
                count++;
            }
        }
        return count == 1 ? (str_t){hit->key, hit->len} : v;
    }
    if (!c->suf_built) {
        /* index every member by each of its suffixes after a '-' or '/' */
        c->suf.n = 0;
        c->suf.idx = NULL;
        for (size_t i = 0; i < S->n; i++) {
            const char *x = S->e[i].key;
            size_t xn = S->e[i].len;
            for (size_t j = 0; j < xn; j++) {
                ledger_strmap_ent_t *e;
                if (x[j] != '-' && x[j] != '/')
                    continue;
                if (!(e = ledger_strmap_get(&c->suf, &c->ar, x + j + 1, xn - j - 1))) {
                    fail(c, LEDGER_ENOMEM, "");
                    return v;
                }
                e->count++;
                e->val = x;
                e->vlen = xn;
            }
        }
        c->suf_built = true;
    }
    const ledger_strmap_ent_t *e = ledger_strmap_find(&c->suf, v.p, v.n);
    if (!e || e->count != 1)
        return v;
    return (str_t){e->val, e->vlen};
}

/* ---- step 2: JSON to tree ------------------------------------------------ */

static void add_kid(node_t *n, node_t *k)
{
    n->kid[n->nkid++] = k;
    n->live++;
}

/* Python's tuple order on (name, text, children). */
static int node_cmp(const node_t *a, const node_t *b)
{
    int r = str_cmp(a->name, a->nlen, b->name, b->nlen);
    if (r)
        return r;
    if ((r = str_cmp(a->text, a->tlen, b->text, b->tlen)) != 0)
        return r;
    for (size_t i = 0; i < a->nkid && i < b->nkid; i++)
        if ((r = node_cmp(a->kid[i], b->kid[i])) != 0)
            return r;
    return (a->nkid > b->nkid) - (a->nkid < b->nkid);
}

static int node_pcmp(const void *a, const void *b)
{
    return node_cmp(*(node_t *const *)a, *(node_t *const *)b);
}

/* Equal nodes are equal trees, so the sort need not be stable. */
static void sort_nodes(node_t **v, size_t n)
{
    if (n > 16) {
        qsort(v, n, sizeof *v, node_pcmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        node_t *x = v[i];
        size_t j = i;
        for (; j > 0 && node_cmp(v[j - 1], x) > 0; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* A scalar: its text is str() of the Python value after the namespace
 * replacement of values; numbers and literals get their canonical text. */
static node_t *scalar(ctx_t *c, const json_t *j)
{
    char buf[LEDGER_PYFMT_NUMBER_MAX];
    str_t t = LIT(""), canon;
    node_t *n;

    if (json_is_string(j)) {
        str_t rest;
        const char *iri;
        t = (str_t){json_string_value(j), json_string_length(j)};
        if (memchr(t.p, 0, t.n)) {
            fail(c, LEDGER_EINPUT, "a string of the event contains U+0000");
            return NULL;
        }
        t = s_replace(c, t);
        if ((iri = ns_lookup(c, t, &rest)) != NULL)
            t = catn(c, (str_t[]){{iri, strlen(iri)}, rest}, 2);
        return ledger_evtree_node(&c->tree, LIT(""), t, 0);
    }
    if (json_is_integer(j)) {
        json_int_t i = json_integer_value(j);
        uint64_t u = i < 0 ? -(uint64_t)i : (uint64_t)i;
        size_t o = 0;
        char tmp[24];
        int nd = 0;
        if (i < 0)
            buf[o++] = '-';
        do {
            tmp[nd++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        while (nd)
            buf[o++] = tmp[--nd];
        buf[o] = 0;
        t = catn(c, &(str_t){buf, o}, 1);
        canon = t;
        /* int(float(x)) changes only integers beyond 2^53 */
        if ((i < 0 ? -(uint64_t)i : (uint64_t)i) > ((uint64_t)1 << 53)) {
            int cn = ledger_pyfmt_number(t.p, buf);
            canon = cn < 0 ? t : catn(c, &(str_t){buf, (size_t)cn}, 1);
        }
    } else if (json_is_real(j)) {
        double d = json_real_value(j);
        t = catn(c, &(str_t){buf, ledger_pyfmt_repr(d, buf)}, 1);
        canon = t;
        if (d == trunc(d)) {
            int cn = ledger_pyfmt_number(t.p, buf);
            canon = cn < 0 ? t : catn(c, &(str_t){buf, (size_t)cn}, 1);
        }
    } else {
        t = json_is_true(j) ? LIT("True") : json_is_false(j) ? LIT("False") : LIT("None");
        canon = t;
    }
    if (!(n = ledger_evtree_node(&c->tree, LIT(""), t, 0)))
        return NULL;
    n->canon = canon.p;
    n->clen = canon.n;
    return n;
}

/* A key with its namespace prefix replaced by "{iri}". */
static str_t key_name(ctx_t *c, str_t k)
{
    str_t rest;
    const char *iri = ns_lookup(c, k, &rest);
    if (!iri)
        return k;
    str_t v[4] = {LIT("{"), {iri, strlen(iri)}, LIT("}"), rest};
    return catn(c, v, 4);
}

static bool key_ignored(const ctx_t *c, const char *k, size_t n, bool top)
{
    size_t i;
    const json_t *v;
    if ((k[0] == '#' && IS(k, n, "#text")) || (k[0] == 'r' && IS(k, n, "rdfs:comment")) ||
        (k[0] == 'c' && IS(k, n, "comment")) ||
        (k[0] == '@' && (IS(k, n, "@context") || !strncmp(k, "@xmlns", 6))))
        return true;
    if (top && c->ignore)
        json_array_foreach(c->ignore, i, v) if (json_is_string(v) &&
                                                !strcmp(json_string_value(v), k)) return true;
    return false;
}

static node_t *conv(ctx_t *c, const json_t *j, bool top, int depth);

/* The elements of the array a as new kids of n, sorted among themselves as
 * Python sorts a list. */
static bool conv_elements(ctx_t *c, const json_t *a, node_t *n, int depth)
{
    size_t i, start = n->nkid;
    const json_t *el;
    bool keep = false;

    if (depth > MAX_DEPTH) {
        fail(c, LEDGER_EINPUT, "event nested too deeply");
        return false;
    }
    json_array_foreach(a, i, el)
    {
        node_t *k = conv(c, el, false, depth + 1);
        if (!k)
            return false;
        add_kid(n, k);
        if (json_is_string(el) &&
            ledger_evtree_keeps_order(json_string_value(el), strlen(json_string_value(el))))
            keep = true;
    }
    if (!keep)
        sort_nodes(n->kid + start, n->nkid - start);
    return true;
}

static node_t *conv_object(ctx_t *c, const json_t *j, bool top, int depth)
{
    str_t type = LIT(""), text = LIT("");
    size_t count = 0;
    bool keep = false;
    node_t *n;
    void *it;

    for (it = json_object_iter((json_t *)j); it; it = json_object_iter_next((json_t *)j, it)) {
        const char *k = json_object_iter_key(it);
        size_t kn = json_object_iter_key_len(it);
        const json_t *v = json_object_iter_value(it);
        count += json_is_array(v) ? json_array_size(v) : 1;
        if (IS(k, kn, "type") && json_is_string(v))
            type = s_replace(c, (str_t){json_string_value(v), strlen(json_string_value(v))});
        else if (IS(k, kn, "#text") && json_is_string(v))
            text = s_replace(c, (str_t){json_string_value(v), strlen(json_string_value(v))});
        else if (ledger_evtree_keeps_order(k, kn))
            keep = true;
    }
    if (!(n = ledger_evtree_node(&c->tree, type, text, count)))
        return NULL;
    for (it = json_object_iter((json_t *)j); it; it = json_object_iter_next((json_t *)j, it)) {
        const char *k = json_object_iter_key(it);
        const json_t *v = json_object_iter_value(it);
        size_t kn = strlen(k), start = n->nkid;
        str_t name;

        if (key_ignored(c, k, kn, top))
            continue;
        name = key_name(c, (str_t){k, kn});
        if (json_is_array(v)) {
            if (!conv_elements(c, v, n, depth + 1))
                return NULL;
        } else {
            node_t *ch = conv(c, v, false, depth + 1);
            if (!ch)
                return NULL;
            add_kid(n, ch);
        }
        for (size_t i = start; i < n->nkid; i++) {
            n->kid[i]->name = name.p;
            n->kid[i]->nlen = name.n;
        }
    }
    if (!keep)
        sort_nodes(n->kid, n->nkid);
    return c->tree.rc ? NULL : n;
}

/* _json_to_py */
static node_t *conv(ctx_t *c, const json_t *j, bool top, int depth)
{
    node_t *n;
    if (c->tree.rc)
        return NULL;
    if (depth > MAX_DEPTH) {
        fail(c, LEDGER_EINPUT, "event nested too deeply");
        return NULL;
    }
    if (json_is_object(j))
        return conv_object(c, j, top, depth);
    if (!json_is_array(j))
        return scalar(c, j);
    if (!(n = ledger_evtree_node(&c->tree, LIT(""), LIT(""), json_array_size(j))) ||
        !conv_elements(c, j, n, depth))
        return NULL;
    return n;
}

/* ---- entry points ------------------------------------------------------- */

static void ctx_init(ctx_t *c, ledger_err_t *err, const json_t *ignore)
{
    ledger_arena_init(&c->ar);
    ledger_evtree_init(&c->tree, &c->ar, err, MAX_DEPTH);
    c->ns = NULL;
    c->nns = 0;
    c->sset = (ledger_strmap_t)LEDGER_STRMAP_INIT;
    c->suf = (ledger_strmap_t)LEDGER_STRMAP_INIT;
    c->suf_built = false;
    c->ignore = json_is_array(ignore) ? ignore : NULL;
}

/* The pre-hash of event, left in c->tree.out (in c's arena). */
static int prehash(ctx_t *c, const json_t *event, const json_t *context)
{
    node_t *ev;

    if (!json_is_object(event))
        return ledger_err_set(c->tree.err, LEDGER_EINPUT,
                              "event hash: the event is not a JSON object");
    ns_init(c, context, json_object_get(event, "@context"));
    if (c->tree.rc)
        return c->tree.rc;
    collect_object(c, event, ledger_evctx_top(), 0);
    if (c->tree.rc || !(ev = conv(c, event, true, 0)))
        return c->tree.rc;
    if (ledger_evtree_correct(&c->tree, ev))
        return c->tree.rc;
    return ledger_evtree_prehash(&c->tree, ev);
}

int ledger_evhash_prehash_ex(const json_t *event, const json_t *context, const json_t *ignore,
                             char **out, ledger_err_t *err)
{
    ctx_t c;
    ledger_buf_t b = LEDGER_BUF_INIT;
    int rc;

    *out = NULL;
    ctx_init(&c, err, ignore);
    if ((rc = prehash(&c, event, context)) < 0)
        goto fail;
    if ((rc = ledger_buf_append(&b, c.tree.out, c.tree.n)) == 0)
        rc = ledger_buf_append(&b, "", 1);
    if (rc < 0) {
        ledger_err_set(err, rc, "out of memory computing the event hash");
        goto fail;
    }
    ledger_arena_free(&c.ar);
    *out = (char *)b.data;
    return 0;
fail:
    ledger_arena_free(&c.ar);
    ledger_buf_free(&b);
    return rc;
}

int ledger_evhash_prehash(const json_t *event, const json_t *context, char **out, ledger_err_t *err)
{
    return ledger_evhash_prehash_ex(event, context, NULL, out, err);
}

int ledger_evhash_compute_ex(const json_t *event, const json_t *context, const json_t *ignore,
                             char out[LEDGER_EVHASH_LEN], ledger_err_t *err)
{
    static const char hex[] = "0123456789abcdef";
    ctx_t c;
    unsigned char h[LEDGER_SHA256_LEN];
    int rc;

    out[0] = 0;
    ctx_init(&c, err, ignore);
    if ((rc = prehash(&c, event, context)) < 0)
        goto fail;
    ledger_sha256(h, c.tree.out, c.tree.n);
    memcpy(out, "ni:///sha-256;", 14);
    for (size_t i = 0; i < sizeof h; i++) {
        out[14 + 2 * i] = hex[h[i] >> 4];
        out[15 + 2 * i] = hex[h[i] & 15];
    }
    memcpy(out + 14 + 2 * sizeof h, "?ver=CBV2.0", 12);
fail:
    ledger_arena_free(&c.ar);
    return rc;
}

int ledger_evhash_compute(const json_t *event, const json_t *context, char out[LEDGER_EVHASH_LEN],
                          ledger_err_t *err)
{
    return ledger_evhash_compute_ex(event, context, NULL, out, err);
}

const json_t *ledger_evhash_ignore_fields(const json_t *doc)
{
    const json_t *ctx = json_object_get(doc, "@context"), *el, *v;
    const json_t *body = json_object_get(doc, "epcisBody");
    const json_t *where = doc;
    const char *prefix = NULL, *k;
    char key[256];
    size_t i;

    /* the prefix bound to https://repository-x.example.com/ in the context */
    json_array_foreach(ctx, i, el)
    {
        if (!json_is_object(el))
            continue;
        json_object_foreach((json_t *)el, k, v) if (json_is_string(v) &&
                                                    !strcmp(json_string_value(v),
                                                            "https://repository-x.example.com/"))
            prefix = k;
    }
    snprintf(key, sizeof key, "%s:ignoreFields", prefix ? prefix : "");
    if (json_object_get(body, "queryResults") && !json_object_get(body, "eventList"))
        where = json_object_get(body, "queryResults");
    v = json_object_get(where, key);
    return json_is_array(v) ? v : NULL;
}
