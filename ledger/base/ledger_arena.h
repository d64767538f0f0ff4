/* ledger_arena.h -- bump allocation for the short-lived data of one call,
 * and a string map that lives in it.
 *
 * An arena hands out memory by moving a pointer; everything is released at
 * once by ledger_arena_free. Its first block is inside the ledger_arena_t
 * itself, so an arena declared on the stack serves a small computation (the
 * event hash of a typical event) without any malloc; larger ones chain
 * malloc'd blocks. Not thread-safe: one arena per call.
 *
 * The string map (ledger_strmap_t) maps byte strings to an entry. It is a
 * plain list while it has at most LEDGER_STRMAP_SMALL entries (the usual
 * case, where scanning beats hashing) and is indexed by an open-addressing
 * hash table beyond, so that no input makes it quadratic. Keys are not
 * copied: they must outlive the map.
 */
#ifndef LEDGER_ARENA_H
#define LEDGER_ARENA_H

#include <stddef.h>
#include <stdint.h>

/* Size of the block inside ledger_arena_t. */
#define LEDGER_ARENA_FIRST 8192

typedef struct ledger_arena_blk ledger_arena_blk_t;

typedef struct ledger_arena {
    unsigned char *p, *end;   /* the free part of the current block */
    ledger_arena_blk_t *more; /* malloc'd blocks, newest first */
    _Alignas(max_align_t) unsigned char first[LEDGER_ARENA_FIRST];
} ledger_arena_t;

/* Makes a an empty arena (it must not move while in use). */
void ledger_arena_init(ledger_arena_t *a);

/* The slow path of ledger_arena_alloc: a new block. */
void *ledger_arena_grow(ledger_arena_t *a, size_t n);

/* n bytes aligned to align (a power of two, at most _Alignof(max_align_t)),
 * valid until ledger_arena_free; NULL when out of memory. */
static inline void *ledger_arena_alloc(ledger_arena_t *a, size_t n, size_t align)
{
    size_t pad = (size_t)(-(uintptr_t)a->p & (align - 1));
    void *r;
    if ((size_t)(a->end - a->p) < n + pad)
        return ledger_arena_grow(a, n);
    r = a->p + pad;
    a->p += pad + n;
    return r;
}

/* Releases every block; a is empty and reusable afterwards. */
void ledger_arena_free(ledger_arena_t *a);

/* Up to this many entries a string map is a plain list. */
#define LEDGER_STRMAP_SMALL 8

/* One entry: the key and what the user keeps with it (zeroed when added). */
typedef struct {
    const char *key;
    size_t len;
    const char *val;
    size_t vlen;
    void *ptr;
    size_t count;
} ledger_strmap_ent_t;

typedef struct {
    ledger_strmap_ent_t *e; /* the entries, in insertion order */
    size_t n, cap;
    uint32_t *idx; /* index in e + 1, 0 free; NULL while n <= LEDGER_STRMAP_SMALL */
    size_t icap;
} ledger_strmap_t;

#define LEDGER_STRMAP_INIT                                                                         \
    {                                                                                              \
        NULL, 0, 0, NULL, 0                                                                        \
    }

/* The entry of key k[0..n), or NULL. */
ledger_strmap_ent_t *ledger_strmap_find(const ledger_strmap_t *m, const char *k, size_t n);

/* The entry of key k[0..n), added (zeroed, in a's memory) when absent; NULL
 * when out of memory. The pointer is valid until the next addition. */
ledger_strmap_ent_t *ledger_strmap_get(ledger_strmap_t *m, ledger_arena_t *a, const char *k,
                                       size_t n);

#endif
