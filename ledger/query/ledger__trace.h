/* ledger__trace.h -- internals shared by ledger_trace.c (the walk) and
 * ledger_trace_json.c (names, JSON, ILMD helpers): the trace object. */
#ifndef LEDGER__TRACE_H
#define LEDGER__TRACE_H

#include "ledger_trace.h"

#include "ledger_arena.h"

/* open-addressing map (ledger_trace_graph.c): byte-string or u64 keys ->
 * size_t. One slot holds the hash, the key and the value together, so a
 * probe costs one cache line. String keys are copied into arena (which
 * outlives the map). */
typedef struct ledger__tslot {
    uint64_t h;    /* u64 map: the key; string map: the key's hash */
    const char *k; /* string map: the key (NUL-terminated copy); NULL: free slot */
    size_t klen;
    size_t v;
} ledger__tslot_t;

typedef struct ledger__tmap {
    ledger__tslot_t *slots;
    size_t cap, n;
    int strings;
    ledger_arena_t *arena;
} ledger__tmap_t;

/* u64 -> size_t map with 16-byte slots (the trace's lseq -> node): small
 * slots keep the walk's tens of thousands of probes in cache. Any key but
 * UINT64_MAX. */
typedef struct ledger__uslot {
    uint64_t k; /* key + 1; 0: free */
    size_t v;
} ledger__uslot_t;

typedef struct ledger__umap {
    ledger__uslot_t *slots;
    size_t cap, n;
} ledger__umap_t;

size_t *ledger__umap_get(const ledger__umap_t *m, uint64_t key);
/* As ledger__tmap_upsert. */
size_t *ledger__umap_upsert(ledger__umap_t *m, uint64_t key, int *added);
void ledger__umap_free(ledger__umap_t *m);

/* An identifier the walk met, once ("interned"): its text and its node. */
typedef struct ledger__tsym {
    const char *id; /* owned by the trace (its idents map's key) */
    size_t node;    /* its identifier node, (size_t)-1 until made */
    size_t seen[2]; /* the walk's: its BACK and FORWARD windows (an index of its
                       bounds; (size_t)-1: none yet) */
    size_t carried; /* the walk's: its windows inside carriers (a list; (size_t)-1: none) */
} ledger__tsym_t;

struct ledger_trace {
    ledger_trace_node_t *nodes;
    size_t nn, cn;
    ledger_trace_edge_t *edges;
    size_t ne, ce;
    json_t **evs; /* every event the nodes point to (owned) */
    size_t nev, cev;
    ledger__tmap_t idents; /* identifier -> its index in syms */
    ledger__tsym_t *syms;  /* every identifier met */
    size_t nsyms, csyms;
    ledger__umap_t entries; /* lseq -> node */
    ledger_arena_t arena;   /* the strings of the nodes and of the maps, the cards */
    ledger_store_t *st;     /* where the events are read from (ledger_trace_node_event) */
    size_t start;
    unsigned dir;
    int truncated;
    uint64_t reads;
};

/* The maps (ledger_trace_graph.c): get returns the value's address or NULL;
 * put adds or replaces (0 or LEDGER_ENOMEM); free empties the map. Keys are
 * s (NUL-terminated strings, copied) when strings is set, else u. The _b
 * forms take a string map's key as bytes (any bytes, klen of them). */
size_t *ledger__tmap_get(const ledger__tmap_t *m, const char *s, uint64_t u);
size_t *ledger__tmap_get_b(const ledger__tmap_t *m, const void *key, size_t klen);
int ledger__tmap_put(ledger__tmap_t *m, const char *s, uint64_t u, size_t v);
/* The value of the key, added (value 0, *added = 1) when missing; NULL when
 * out of memory. The pointer is valid until the next change of the map. */
size_t *ledger__tmap_upsert(ledger__tmap_t *m, const char *s, uint64_t u, int *added);
size_t *ledger__tmap_upsert_b(ledger__tmap_t *m, const void *key, size_t klen, int *added);
/* The stored copy of the key whose value is at v (a string map's). */
const char *ledger__tmap_key(const ledger__tmap_t *m, const size_t *v);
void ledger__tmap_free(ledger__tmap_t *m);

/* Array v of *cap elements of size bytes, n used, with room for one more:
 * v itself, or v grown (doubled; *cap updated); NULL when out of memory
 * (v is then unchanged). The walk's, the graph's and the reports' arrays
 * all grow this way. */
void *ledger__trace_room(void *v, size_t n, size_t *cap, size_t size);

/* The index in t->syms of identifier id (added when new): 0 or
 * LEDGER_ENOMEM. */
int ledger__trace_intern(ledger_trace_t *t, const char *id, size_t *sym);

/* The node of identifier id given in its canonical form, or (size_t)-1. */
size_t ledger__trace_find_canonical(const ledger_trace_t *t, const char *id);

/* A new zeroed node at the end (*out, its index *idx). 0 or LEDGER_ENOMEM.
 * Pointers to nodes are invalid after the next call. */
int ledger__trace_add_node(ledger_trace_t *t, ledger_trace_node_t **out, size_t *idx);

/* A copy of s owned by the trace (NULL for NULL or out of memory). */
char *ledger__trace_strdup(ledger_trace_t *t, const char *s);

/* The final order: identifiers first (discovery order: the start first),
 * then events and sealed steps by time; nodes without edges (read but
 * outside every window) dropped, except the start; edges renumbered and in
 * the order of their event. 0 or LEDGER_ENOMEM. */
int ledger__trace_reorder(ledger_trace_t *t);

/* Adds an edge (the same from, to, kind and role more than once is kept
 * once: ledger__trace_reorder drops the copies). */
int ledger__trace_add_edge(ledger_trace_t *t, size_t from, size_t to, int kind, int role);

#endif
