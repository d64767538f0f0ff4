/* ledger_trace_graph.c -- the trace's graph (ledger_trace.h,
 * ledger__trace.h): open-addressing maps (identifier -> node, lseq -> node,
 * edge set), node, edge and string storage, the final order (identifiers
 * first, then events in time order; events that only were read, outside
 * every window, dropped), the accessors and freeing. The walk that fills
 * it is ledger_trace.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger__trace.h"
#include "ledger_gs1.h"

/* ---- small hash maps ---------------------------------------------------- */

/* A string's hash, 8 bytes at a time (identifiers share long prefixes and
 * differ in their last bytes, and a byte-at-a-time hash was most of a
 * walk's map time). */
static uint64_t hash_str(const char *s)
{
    size_t n = strlen(s);
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

/* keys are strings (owned) or u64; values size_t. cap is a power of two. */
typedef ledger__tmap_t tmap_t;

static int tmap_grow(tmap_t *m);

static size_t tmap_slot(const tmap_t *m, const char *s, uint64_t u, uint64_t h)
{
    size_t i = (size_t)h & (m->cap - 1);
    while (m->used[i] &&
           (m->strings ? m->hashes[i] != h || strcmp(m->skeys[i], s) != 0 : m->ukeys[i] != u))
        i = (i + 1) & (m->cap - 1);
    return i;
}

static uint64_t tmap_hash(const tmap_t *m, const char *s, uint64_t u)
{
    return m->strings ? hash_str(s) : hash_u64(u);
}

size_t *ledger__tmap_get(const tmap_t *m, const char *s, uint64_t u)
{
    size_t i;
    if (!m->cap)
        return NULL;
    i = tmap_slot(m, s, u, tmap_hash(m, s, u));
    return m->used[i] ? &m->vals[i] : NULL;
}

size_t *ledger__tmap_upsert(tmap_t *m, const char *s, uint64_t u, int *added)
{
    size_t i;
    uint64_t h = tmap_hash(m, s, u);
    *added = 0;
    if ((m->n + 1) * 2 > m->cap && tmap_grow(m))
        return NULL;
    i = tmap_slot(m, s, u, h);
    if (!m->used[i]) {
        if (m->strings) {
            size_t n = strlen(s) + 1;
            char *k = m->arena ? ledger_arena_alloc(m->arena, n, 1) : malloc(n);
            if (!k)
                return NULL;
            memcpy(k, s, n);
            m->skeys[i] = k;
            m->hashes[i] = h;
        } else {
            m->ukeys[i] = u;
        }
        m->used[i] = 1;
        m->n++;
        m->vals[i] = 0;
        *added = 1;
    }
    return &m->vals[i];
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

void ledger__tmap_free(tmap_t *m)
{
    ledger_arena_t *a = m->arena;
    int strings = m->strings;
    if (m->strings && !m->arena)
        for (size_t i = 0; i < m->cap; i++)
            if (m->used[i])
                free(m->skeys[i]);
    free(m->skeys);
    free(m->ukeys);
    free(m->hashes);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof *m);
    m->arena = a;
    m->strings = strings;
}

static int tmap_grow(tmap_t *m)
{
    tmap_t nm = {.strings = m->strings, .arena = m->arena};
    nm.cap = m->cap ? m->cap * 2 : 64;
    if (!(nm.vals = malloc(nm.cap * sizeof *nm.vals)) || !(nm.used = calloc(nm.cap, 1)) ||
        (m->strings && (!(nm.skeys = malloc(nm.cap * sizeof *nm.skeys)) ||
                        !(nm.hashes = malloc(nm.cap * sizeof *nm.hashes)))) ||
        (!m->strings && !(nm.ukeys = malloc(nm.cap * sizeof *nm.ukeys)))) {
        free(nm.vals);
        free(nm.used);
        free(nm.skeys);
        free(nm.hashes);
        free(nm.ukeys);
        return LEDGER_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        uint64_t h;
        size_t j;
        if (!m->used[i])
            continue;
        h = m->strings ? m->hashes[i] : hash_u64(m->ukeys[i]);
        j = (size_t)h & (nm.cap - 1);
        while (nm.used[j])
            j = (j + 1) & (nm.cap - 1);
        nm.used[j] = 1;
        if (m->strings) {
            nm.skeys[j] = m->skeys[i];
            nm.hashes[j] = h;
        } else {
            nm.ukeys[j] = m->ukeys[i];
        }
        nm.vals[j] = m->vals[i];
        nm.n++;
    }
    free(m->skeys);
    free(m->ukeys);
    free(m->hashes);
    free(m->vals);
    free(m->used);
    *m = nm;
    return 0;
}

int ledger__trace_add_node(ledger_trace_t *t, ledger_trace_node_t **out, size_t *idx)
{
    if (t->nn == t->cn) {
        size_t nc = t->cn ? t->cn * 2 : 64;
        ledger_trace_node_t *nn = realloc(t->nodes, nc * sizeof *nn);
        if (!nn)
            return LEDGER_ENOMEM;
        t->nodes = nn;
        t->cn = nc;
    }
    *idx = t->nn;
    *out = &t->nodes[t->nn++];
    memset(*out, 0, sizeof **out);
    return 0;
}

int ledger__trace_add_edge(ledger_trace_t *t, size_t from, size_t to, int kind, int role)
{
    /* nodes are fewer than 2^24 (ledger_trace_run caps max_nodes) */
    uint64_t key = (uint64_t)from << 40 | (uint64_t)to << 16 | (uint64_t)(kind & 0xff) << 8 |
                   (uint64_t)(role & 0xff);
    int added;
    if (!ledger__tmap_upsert(&t->edge_set, NULL, key, &added))
        return LEDGER_ENOMEM;
    if (!added)
        return 0;
    if (t->ne == t->ce) {
        size_t nc = t->ce ? t->ce * 2 : 64;
        ledger_trace_edge_t *ne = realloc(t->edges, nc * sizeof *ne);
        if (!ne)
            return LEDGER_ENOMEM;
        t->edges = ne;
        t->ce = nc;
    }
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

/* ---- the result's order ------------------------------------------------------ */

static int node_before(const ledger_trace_node_t *a, const ledger_trace_node_t *b)
{
    int ia = a->kind == LEDGER_TNODE_IDENT, ib = b->kind == LEDGER_TNODE_IDENT;
    if (ia != ib)
        return ia;
    if (ia)
        return 0;
    if (a->time_ms != b->time_ms)
        return a->time_ms < b->time_ms;
    if (a->record_time_ms != b->record_time_ms)
        return a->record_time_ms < b->record_time_ms;
    return a->lseq < b->lseq;
}

/* Identifiers first (start first), then events by time; edges follow. */
int ledger__trace_reorder(ledger_trace_t *t)
{
    size_t n = t->nn, *perm = NULL, *inv = NULL, *tmp = NULL;
    ledger_trace_node_t *nodes = NULL;
    int rc = LEDGER_ENOMEM;
    if (!n)
        return 0;
    if (!(perm = malloc(n * sizeof *perm)) || !(inv = malloc(n * sizeof *inv)) ||
        !(tmp = malloc(n * sizeof *tmp)) || !(nodes = malloc(n * sizeof *nodes)))
        goto done;
    /* events that lie outside every window they were looked at in have no
     * edge: they were only read (hits of an index walk), not part of the
     * trace; they go */
    {
        unsigned char *keep = calloc(n, 1);
        size_t m = 0;
        if (!keep)
            goto done;
        for (size_t i = 0; i < t->ne; i++)
            keep[t->edges[i].from] = keep[t->edges[i].to] = 1;
        for (size_t i = 0; i < n; i++)
            if (keep[i] || t->nodes[i].kind == LEDGER_TNODE_IDENT || i == t->start)
                perm[m++] = i;
        free(keep);
        for (size_t i = 0; i < n; i++)
            inv[i] = (size_t)-1;
        n = m;
    }
    /* stable: identifiers keep their discovery order, the start first */
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n, i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] =
                    node_before(&t->nodes[perm[j]], &t->nodes[perm[i]]) ? perm[j++] : perm[i++];
            while (i < mid)
                tmp[k++] = perm[i++];
            while (j < hi)
                tmp[k++] = perm[j++];
        }
        memcpy(perm, tmp, n * sizeof *perm);
    }
    for (size_t i = 0; i < n; i++) {
        inv[perm[i]] = i;
        nodes[i] = t->nodes[perm[i]];
    }
    free(t->nodes);
    t->nodes = nodes;
    t->nn = n;
    nodes = NULL;
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
        free(cnt);
    }
    for (size_t i = 0; i < t->idents.cap; i++)
        if (t->idents.used[i])
            t->idents.vals[i] = inv[t->idents.vals[i]];
    for (size_t i = 0; i < t->entries.cap; i++)
        if (t->entries.used[i] && t->entries.vals[i] != (size_t)-1) /* -1: no node */
            t->entries.vals[i] = inv[t->entries.vals[i]];           /* (size_t)-1: dropped */
    if (t->start != (size_t)-1)
        t->start = inv[t->start];
    rc = 0;
done:
    free(perm);
    free(inv);
    free(tmp);
    free(nodes);
    return rc;
}

void ledger_trace_free(ledger_trace_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nev; i++)
        json_decref(t->evs[i]);
    for (size_t i = 0; i < t->ncards; i++) {
        ledger_card_free(t->cards[i]);
        free(t->cards[i]);
    }
    free(t->cards);
    free(t->evs);
    free(t->nodes);
    free(t->edges);
    ledger__tmap_free(&t->idents);
    ledger__tmap_free(&t->entries);
    ledger__tmap_free(&t->edge_set);
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
    char canon[LEDGER_GS1_URI_MAX];
    const size_t *v;
    if (!t || !id)
        return (size_t)-1;
    if (ledger_gs1_canonical(id, canon, sizeof canon, NULL, NULL) < 0 &&
        snprintf(canon, sizeof canon, "%s", id) >= (int)sizeof canon)
        return (size_t)-1;
    v = ledger__tmap_get(&t->idents, canon, 0);
    return v ? *v : (size_t)-1;
}

int ledger_trace_truncated(const ledger_trace_t *t)
{
    return t ? t->truncated : 0;
}

uint64_t ledger_trace_reads(const ledger_trace_t *t)
{
    return t ? t->reads : 0;
}
