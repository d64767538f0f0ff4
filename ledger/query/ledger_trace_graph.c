/* ledger_trace_graph.c -- the trace's graph (ledger_trace.h,
 * ledger__trace.h): open-addressing maps (identifier -> sym, lseq -> node),
 * the interned identifiers, node, edge and string storage, the final order
 * (identifiers first, then events in time order; events that only were
 * read, outside every window, dropped; copies of edges dropped), the
 * accessors and freeing. The walk that fills it is ledger_trace.c. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger__trace.h"
#include "ledger_epcis.h"

/* ---- small hash maps ---------------------------------------------------- */

/* A key's hash, 8 bytes at a time (identifiers share long prefixes and
 * differ in their last bytes, and a byte-at-a-time hash was most of a
 * walk's map time). */
static uint64_t hash_bytes(const void *key, size_t n)
{
    const unsigned char *s = key;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)n, w;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

static uint64_t hash_u64(uint64_t x)
{
    /* splitmix64's finalizer: every bit of x reaches the low bits */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* keys are byte strings (copied, NUL added) or u64; values size_t. cap is
 * a power of two; a slot is free when its k is NULL (u64 maps point k at a
 * static byte). */
typedef ledger__tmap_t tmap_t;
typedef ledger__tslot_t tslot_t;

static const char used_mark = 0;

static int tmap_grow(tmap_t *m);

/* The slot of the key (hash h; string key s of n bytes, or u): its own or
 * the free one where it would go. */
static size_t tmap_slot(const tmap_t *m, const void *s, size_t n, uint64_t u, uint64_t h)
{
    size_t mask = m->cap - 1, i;
    const tslot_t *sl = m->slots;
    if (m->strings) {
        for (i = (size_t)h & mask; sl[i].k; i = (i + 1) & mask)
            if (sl[i].h == h && sl[i].klen == n && memcmp(sl[i].k, s, n) == 0)
                break;
        return i;
    }
    for (i = (size_t)hash_u64(u) & mask; sl[i].k; i = (i + 1) & mask)
        if (sl[i].h == u)
            break;
    return i;
}

size_t *ledger__tmap_get_b(const tmap_t *m, const void *key, size_t klen)
{
    size_t i;
    if (!m->cap)
        return NULL;
    i = tmap_slot(m, key, klen, 0, hash_bytes(key, klen));
    return m->slots[i].k ? &m->slots[i].v : NULL;
}

size_t *ledger__tmap_get(const tmap_t *m, const char *s, uint64_t u)
{
    size_t i;
    if (m->strings)
        return s ? ledger__tmap_get_b(m, s, strlen(s)) : NULL;
    if (!m->cap)
        return NULL;
    i = tmap_slot(m, NULL, 0, u, 0);
    return m->slots[i].k ? &m->slots[i].v : NULL;
}

static size_t *tmap_upsert(tmap_t *m, const void *s, size_t n, uint64_t u, int *added)
{
    uint64_t h = m->strings ? hash_bytes(s, n) : u;
    tslot_t *sl;
    *added = 0;
    if ((m->n + 1) * 2 > m->cap && tmap_grow(m))
        return NULL;
    sl = &m->slots[tmap_slot(m, s, n, u, h)];
    if (!sl->k) {
        if (m->strings) {
            char *k = m->arena ? ledger_arena_alloc(m->arena, n + 1, 1) : malloc(n + 1);
            if (!k)
                return NULL;
            memcpy(k, s, n);
            k[n] = '\0';
            sl->k = k;
            sl->klen = n;
        } else {
            sl->k = &used_mark;
        }
        sl->h = h;
        sl->v = 0;
        m->n++;
        *added = 1;
    }
    return &sl->v;
}

size_t *ledger__tmap_upsert_b(tmap_t *m, const void *key, size_t klen, int *added)
{
    return tmap_upsert(m, key, klen, 0, added);
}

size_t *ledger__tmap_upsert(tmap_t *m, const char *s, uint64_t u, int *added)
{
    return m->strings && s ? tmap_upsert(m, s, strlen(s), 0, added)
                           : tmap_upsert(m, NULL, 0, u, added);
}

int ledger__tmap_put(tmap_t *m, const char *s, uint64_t u, size_t v)
{
    int added;
    size_t *p = ledger__tmap_upsert(m, s, u, &added);
    if (!p)
        return LEDGER_ENOMEM;
    *p = v;
    return 0;
}

const char *ledger__tmap_key(const tmap_t *m, const size_t *v)
{
    (void)m;
    return ((const tslot_t *)((const char *)v - offsetof(tslot_t, v)))->k;
}

void ledger__tmap_free(tmap_t *m)
{
    ledger_arena_t *a = m->arena;
    int strings = m->strings;
    if (m->strings && !m->arena)
        for (size_t i = 0; i < m->cap; i++)
            free((char *)m->slots[i].k);
    free(m->slots);
    memset(m, 0, sizeof *m);
    m->arena = a;
    m->strings = strings;
}

static int tmap_grow(tmap_t *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64, mask = cap - 1;
    tslot_t *ns = calloc(cap, sizeof *ns);
    if (!ns)
        return LEDGER_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        const tslot_t *o = &m->slots[i];
        size_t j;
        if (!o->k)
            continue;
        j = (size_t)(m->strings ? o->h : hash_u64(o->h)) & mask;
        while (ns[j].k)
            j = (j + 1) & mask;
        ns[j] = *o;
    }
    free(m->slots);
    m->slots = ns;
    m->cap = cap;
    return 0;
}

/* ---- u64 maps and sets ---------------------------------------------------- */

static int umap_grow(ledger__umap_t *m)
{
    size_t cap = m->cap ? m->cap * 2 : 256, mask = cap - 1;
    ledger__uslot_t *ns = calloc(cap, sizeof *ns);
    if (!ns)
        return LEDGER_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        size_t j;
        if (!m->slots[i].k)
            continue;
        for (j = (size_t)hash_u64(m->slots[i].k) & mask; ns[j].k; j = (j + 1) & mask)
            ;
        ns[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = ns;
    m->cap = cap;
    return 0;
}

size_t *ledger__umap_get(const ledger__umap_t *m, uint64_t key)
{
    size_t mask = m->cap - 1, i;
    if (!m->cap)
        return NULL;
    key++;
    for (i = (size_t)hash_u64(key) & mask; m->slots[i].k; i = (i + 1) & mask)
        if (m->slots[i].k == key)
            return &m->slots[i].v;
    return NULL;
}

size_t *ledger__umap_upsert(ledger__umap_t *m, uint64_t key, int *added)
{
    size_t mask, i;
    *added = 0;
    if ((m->n + 1) * 2 > m->cap && umap_grow(m))
        return NULL;
    mask = m->cap - 1;
    key++;
    for (i = (size_t)hash_u64(key) & mask; m->slots[i].k; i = (i + 1) & mask)
        if (m->slots[i].k == key)
            return &m->slots[i].v;
    m->slots[i].k = key;
    m->slots[i].v = 0;
    m->n++;
    *added = 1;
    return &m->slots[i].v;
}

void ledger__umap_free(ledger__umap_t *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

void *ledger__trace_room(void *v, size_t n, size_t *cap, size_t size)
{
    size_t nc;
    void *nv;
    if (n < *cap)
        return v;
    nc = *cap ? *cap * 2 : 64;
    if (!(nv = realloc(v, nc * size)))
        return NULL;
    *cap = nc;
    return nv;
}

int ledger__trace_intern(ledger_trace_t *t, const char *id, size_t *sym)
{
    int added;
    size_t *v = ledger__tmap_upsert(&t->idents, id, 0, &added);
    if (!v)
        return LEDGER_ENOMEM;
    if (added) {
        ledger__tsym_t *ns = ledger__trace_room(t->syms, t->nsyms, &t->csyms, sizeof *ns);
        if (!ns)
            return LEDGER_ENOMEM; /* the key stays, pointing at a sym to come: */
        t->syms = ns;             /* the trace is failed anyway */
        t->syms[t->nsyms] = (ledger__tsym_t){.id = ledger__tmap_key(&t->idents, v),
                                             .node = (size_t)-1,
                                             .seen = {(size_t)-1, (size_t)-1},
                                             .carried = (size_t)-1};
        *v = t->nsyms++;
    }
    *sym = *v;
    return 0;
}

int ledger__trace_add_node(ledger_trace_t *t, ledger_trace_node_t **out, size_t *idx)
{
    ledger_trace_node_t *nn = ledger__trace_room(t->nodes, t->nn, &t->cn, sizeof *nn);
    if (!nn)
        return LEDGER_ENOMEM;
    t->nodes = nn;
    *idx = t->nn;
    *out = &t->nodes[t->nn++];
    memset(*out, 0, sizeof **out);
    return 0;
}

int ledger__trace_add_edge(ledger_trace_t *t, size_t from, size_t to, int kind, int role)
{
    /* copies are dropped at the end (ledger__trace_reorder), in one pass
     * over edges grouped by event, not with a set probed per edge */
    ledger_trace_edge_t *ne = ledger__trace_room(t->edges, t->ne, &t->ce, sizeof *ne);
    if (!ne)
        return LEDGER_ENOMEM;
    t->edges = ne;
    t->edges[t->ne++] = (ledger_trace_edge_t){.from = from, .to = to, .kind = kind, .role = role};
    return 0;
}

char *ledger__trace_strdup(ledger_trace_t *t, const char *s)
{
    size_t n;
    char *d;
    if (!s)
        return NULL;
    n = strlen(s) + 1;
    if (!(d = ledger_arena_alloc(&t->arena, n, 1)))
        return NULL;
    memcpy(d, s, n);
    return d;
}

int ledger__trace_keep_event(ledger_trace_t *t, json_t *ev)
{
    json_t **evs = ledger__trace_room(t->evs, t->nev, &t->cev, sizeof *t->evs);
    if (!evs)
        return -1;
    t->evs = evs;
    t->evs[t->nev++] = ev;
    return 0;
}

/* ---- the result's order ------------------------------------------------------ */

/* An event node's place in the final order: eventTime, record time, local
 * position (unique per node), and its index. */
typedef struct order_key {
    int64_t time;
    uint64_t rtime, lseq;
    size_t idx;
} order_key_t;

static int key_before(const order_key_t *a, const order_key_t *b)
{
    if (a->time != b->time)
        return a->time < b->time;
    if (a->rtime != b->rtime)
        return a->rtime < b->rtime;
    return a->lseq < b->lseq;
}

/* Sorts k[0..n) (tmp: room for n more), bottom-up merges of small keys
 * rather than of indexes into the large nodes. */
static void sort_keys(order_key_t *k, order_key_t *tmp, size_t n)
{
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n, i = lo, j = mid, o = lo;
            while (i < mid && j < hi)
                tmp[o++] = key_before(&k[j], &k[i]) ? k[j++] : k[i++];
            while (i < mid)
                tmp[o++] = k[i++];
            while (j < hi)
                tmp[o++] = k[j++];
        }
        memcpy(k, tmp, n * sizeof *k);
    }
}

static uint64_t edge_key(const ledger_trace_edge_t *e)
{
    /* nodes are fewer than 2^24 (ledger_trace_run caps max_nodes) */
    return (uint64_t)e->from << 40 | (uint64_t)e->to << 16 | (uint64_t)(e->kind & 0xff) << 8 |
           (uint64_t)(e->role & 0xff);
}

typedef struct keyed {
    uint64_t key;
    size_t pos;
} keyed_t;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed_t *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Drops the second and later copies of an edge. Edges are grouped by their
 * later endpoint (group g ends at end[g]; copies always share a group), so
 * each group is checked alone: pairwise when small, sorted when large.
 * 0 or LEDGER_ENOMEM. */
static int dedup_edges(ledger_trace_t *t, const size_t *end, size_t ngroups)
{
    ledger_trace_edge_t *e = t->edges;
    unsigned char *drop = NULL;
    keyed_t *ks = NULL;
    size_t w = 0, start = 0;
    for (size_t g = 0; g < ngroups; start = end[g++]) {
        size_t m = end[g] - start;
        if (m > 16) {
            keyed_t *nk = realloc(ks, m * sizeof *ks);
            unsigned char *nd = realloc(drop, m);
            if (!nk || !nd) {
                free(nk ? nk : ks);
                free(nd ? nd : drop);
                return LEDGER_ENOMEM;
            }
            ks = nk;
            drop = nd;
            for (size_t i = 0; i < m; i++)
                ks[i] = (keyed_t){edge_key(&e[start + i]), i};
            qsort(ks, m, sizeof *ks, keyed_cmp);
            memset(drop, 0, m);
            for (size_t i = 1; i < m; i++)
                if (ks[i].key == ks[i - 1].key)
                    drop[ks[i].pos] = 1;
            for (size_t i = 0; i < m; i++)
                if (!drop[i])
                    e[w++] = e[start + i];
            continue;
        }
        for (size_t i = start; i < end[g]; i++) {
            uint64_t k = edge_key(&e[i]);
            size_t j = start;
            while (j < i && edge_key(&e[j]) != k)
                j++;
            if (j == i)
                e[w++] = e[i];
        }
    }
    /* groups compact in place: a group's kept edges never overtake its
     * unread ones, since w <= the group's start */
    t->ne = w;
    free(ks);
    free(drop);
    return 0;
}

/* Identifiers first (start first), then events by time; edges follow. */
int ledger__trace_reorder(ledger_trace_t *t)
{
    size_t n = t->nn, *perm = NULL, *inv = NULL, m = 0, nev = 0;
    order_key_t *keys = NULL;
    int rc = LEDGER_ENOMEM;
    if (!n)
        return 0;
    if (!(perm = malloc(n * sizeof *perm)) || !(inv = malloc(n * sizeof *inv)) ||
        !(keys = malloc(2 * n * sizeof *keys)))
        goto done;
    /* identifiers first, in their discovery order (the start first); then
     * the events -- those that lie outside every window they were looked
     * at in have no edge: they were only read (hits of an index walk), not
     * part of the trace; they go */
    {
        unsigned char *keep = calloc(n, 1);
        if (!keep)
            goto done;
        for (size_t i = 0; i < t->ne; i++)
            keep[t->edges[i].from] = keep[t->edges[i].to] = 1;
        for (size_t i = 0; i < n; i++) {
            const ledger_trace_node_t *x = &t->nodes[i];
            inv[i] = (size_t)-1;
            if (x->kind == LEDGER_TNODE_IDENT)
                perm[m++] = i;
            else if (keep[i] || i == t->start)
                keys[nev++] = (order_key_t){x->time_ms, x->record_time_ms, x->lseq, i};
        }
        free(keep);
    }
    sort_keys(keys, keys + nev, nev);
    for (size_t i = 0; i < nev; i++)
        perm[m++] = keys[i].idx;
    for (size_t i = 0; i < m; i++)
        inv[perm[i]] = i;
    /* the dropped ones after them make perm a permutation of all n, which
     * is applied in place, cycle by cycle: no second copy of the nodes
     * (tens of MB for a recall, each page a fault in a new process) */
    {
        size_t d = m;
        unsigned char *done = (unsigned char *)keys; /* keys are used up */
        for (size_t i = 0; i < n; i++)
            if (inv[i] == (size_t)-1)
                perm[d++] = i;
        memset(done, 0, n);
        for (size_t i = 0; i < n; i++) {
            ledger_trace_node_t tmp;
            size_t j = i;
            if (done[i] || perm[i] == i) {
                done[i] = 1;
                continue;
            }
            tmp = t->nodes[i];
            while (1) {
                size_t k = perm[j];
                done[j] = 1;
                if (k == i) {
                    t->nodes[j] = tmp;
                    break;
                }
                t->nodes[j] = t->nodes[k];
                j = k;
            }
        }
    }
    n = m;
    t->nn = n;
    for (size_t i = 0; i < t->ne; i++) {
        t->edges[i].from = inv[t->edges[i].from];
        t->edges[i].to = inv[t->edges[i].to];
    }
    /* edges in the order of their event (the later endpoint): a stable
     * counting sort, memory for n + 1 counters */
    if (t->ne > 1) {
        size_t *cnt = calloc(n + 1, sizeof *cnt);
        ledger_trace_edge_t *ne = malloc(t->ne * sizeof *ne);
        if (!cnt || !ne) {
            free(cnt);
            free(ne);
            goto done;
        }
        for (size_t i = 0; i < t->ne; i++)
            cnt[(t->edges[i].from > t->edges[i].to ? t->edges[i].from : t->edges[i].to) + 1]++;
        for (size_t i = 1; i <= n; i++)
            cnt[i] += cnt[i - 1];
        for (size_t i = 0; i < t->ne; i++)
            ne[cnt[t->edges[i].from > t->edges[i].to ? t->edges[i].from : t->edges[i].to]++] =
                t->edges[i];
        free(t->edges);
        t->edges = ne;
        t->ce = t->ne;
        /* the walk may add an edge more than once: each group (cnt[g] is
         * now its end) keeps its first copy */
        if (dedup_edges(t, cnt, n)) {
            free(cnt);
            goto done;
        }
        free(cnt);
    }
    for (size_t i = 0; i < t->nsyms; i++)
        if (t->syms[i].node != (size_t)-1)
            t->syms[i].node = inv[t->syms[i].node];
    for (size_t i = 0; i < t->entries.cap; i++)
        if (t->entries.slots[i].k && t->entries.slots[i].v != (size_t)-1) /* -1: no node */
            t->entries.slots[i].v = inv[t->entries.slots[i].v];           /* (size_t)-1: dropped */
    if (t->start != (size_t)-1)
        t->start = inv[t->start];
    rc = 0;
done:
    free(perm);
    free(inv);
    free(keys);
    return rc;
}

void ledger_trace_free(ledger_trace_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nev; i++)
        json_decref(t->evs[i]);
    free(t->evs);
    free(t->nodes);
    free(t->edges);
    ledger__tmap_free(&t->idents);
    free(t->syms);
    ledger__umap_free(&t->entries);
    ledger_arena_free(&t->arena);
    free(t);
}

size_t ledger_trace_node_count(const ledger_trace_t *t)
{
    return t ? t->nn : 0;
}

const ledger_trace_node_t *ledger_trace_node(const ledger_trace_t *t, size_t i)
{
    return t && i < t->nn ? &t->nodes[i] : NULL;
}

size_t ledger_trace_edge_count(const ledger_trace_t *t)
{
    return t ? t->ne : 0;
}

const ledger_trace_edge_t *ledger_trace_edge(const ledger_trace_t *t, size_t i)
{
    return t && i < t->ne ? &t->edges[i] : NULL;
}

size_t ledger_trace_start(const ledger_trace_t *t)
{
    return t ? t->start : (size_t)-1;
}

size_t ledger_trace_find(const ledger_trace_t *t, const char *id)
{
    char canon[LEDGER_IDENT_KEY_MAX];
    if (!t || !id)
        return (size_t)-1;
    ledger_ident_key_stored(id, canon);
    return ledger__trace_find_canonical(t, canon);
}

size_t ledger__trace_find_canonical(const ledger_trace_t *t, const char *id)
{
    const size_t *v = ledger__tmap_get(&t->idents, id, 0);
    return v && *v < t->nsyms ? t->syms[*v].node : (size_t)-1;
}

int ledger_trace_truncated(const ledger_trace_t *t)
{
    return t ? t->truncated : 0;
}

uint64_t ledger_trace_reads(const ledger_trace_t *t)
{
    return t ? t->reads : 0;
}
