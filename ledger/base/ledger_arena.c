/* ledger_arena.c -- bump allocation and a string map in it (ledger_arena.h).
 *
 * How it works: blocks are chained newest first; a request that does not
 * fit the current block gets a new block of at least 16 KiB (the rest of
 * the old one is abandoned, which costs little for the small, many requests
 * arenas serve). The string map appends entries to an array that doubles
 * when full; past LEDGER_STRMAP_SMALL entries it also keeps an index of
 * FNV-1a hashes with linear probing, at most half full, rebuilt when it
 * doubles. Old arrays stay in the arena until it is freed.
 */
#include "ledger_arena.h"

#include <stdlib.h>
#include <string.h>

struct ledger_arena_blk {
    struct ledger_arena_blk *next;
    _Alignas(max_align_t) unsigned char data[];
};

void ledger_arena_init(ledger_arena_t *a)
{
    a->p = a->first;
    a->end = a->first + sizeof a->first;
    a->more = NULL;
}

void *ledger_arena_grow(ledger_arena_t *a, size_t n)
{
    size_t cap = n > 16384 ? n : 16384;
    ledger_arena_blk_t *b = malloc(sizeof *b + cap);
    if (!b)
        return NULL;
    b->next = a->more;
    a->more = b;
    a->p = b->data + n;
    a->end = b->data + cap;
    return b->data;
}

void ledger_arena_free(ledger_arena_t *a)
{
    while (a->more) {
        ledger_arena_blk_t *n = a->more->next;
        free(a->more);
        a->more = n;
    }
    ledger_arena_init(a);
}

static uint64_t str_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

ledger_strmap_ent_t *ledger_strmap_find(const ledger_strmap_t *m, const char *k, size_t n)
{
    if (!m->idx) {
        for (size_t i = 0; i < m->n; i++)
            if (m->e[i].len == n && memcmp(m->e[i].key, k, n) == 0)
                return &m->e[i];
        return NULL;
    }
    for (size_t i = str_hash(k, n) & (m->icap - 1);; i = (i + 1) & (m->icap - 1)) {
        ledger_strmap_ent_t *e;
        if (!m->idx[i])
            return NULL;
        e = &m->e[m->idx[i] - 1];
        if (e->len == n && memcmp(e->key, k, n) == 0)
            return e;
    }
}

static void index_entry(ledger_strmap_t *m, size_t j)
{
    size_t i = str_hash(m->e[j].key, m->e[j].len) & (m->icap - 1);
    while (m->idx[i])
        i = (i + 1) & (m->icap - 1);
    m->idx[i] = (uint32_t)(j + 1);
}

ledger_strmap_ent_t *ledger_strmap_get(ledger_strmap_t *m, ledger_arena_t *a, const char *k,
                                       size_t n)
{
    ledger_strmap_ent_t *e = ledger_strmap_find(m, k, n);
    if (e)
        return e;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : LEDGER_STRMAP_SMALL;
        ledger_strmap_ent_t *ne = ledger_arena_alloc(a, cap * sizeof *ne, sizeof(void *));
        if (!ne)
            return NULL;
        if (m->n)
            memcpy(ne, m->e, m->n * sizeof *ne);
        m->e = ne;
        m->cap = cap;
    }
    e = &m->e[m->n++];
    memset(e, 0, sizeof *e);
    e->key = k;
    e->len = n;
    if (m->n <= LEDGER_STRMAP_SMALL)
        return e;
    if (!m->idx || m->n * 2 > m->icap) {
        size_t icap = 64;
        uint32_t *idx;
        while (icap < m->n * 4)
            icap *= 2;
        if (!(idx = ledger_arena_alloc(a, icap * sizeof *idx, sizeof *idx))) {
            m->n--;
            return NULL;
        }
        memset(idx, 0, icap * sizeof *idx);
        m->idx = idx;
        m->icap = icap;
        for (size_t j = 0; j < m->n; j++)
            index_entry(m, j);
    } else {
        index_entry(m, m->n - 1);
    }
    return e;
}
