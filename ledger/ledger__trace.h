/* ledger__trace.h -- internals shared by ledger_trace.c (the walk) and
 * ledger_trace_json.c (names, JSON, ILMD helpers): the trace object. */
#ifndef LEDGER__TRACE_H
#define LEDGER__TRACE_H

#include "ledger_trace.h"

#include "ledger_arena.h"

/* open-addressing map (ledger_trace_graph.c): string or u64 keys -> size_t.
 * String keys are copied into arena (which outlives the map). */
typedef struct ledger__tmap {
    char **skeys;
    uint64_t *ukeys;
    uint64_t *hashes; /* string keys: their hashes */
    size_t *vals;
    unsigned char *used;
    size_t cap, n;
    int strings;
    ledger_arena_t *arena;
} ledger__tmap_t;

struct ledger_trace {
    ledger_trace_node_t *nodes;
    size_t nn, cn;
    ledger_trace_edge_t *edges;
    size_t ne, ce;
    json_t **evs; /* every event the nodes point to (owned) */
    size_t nev, cev;
    ledger_card_t **cards; /* every card the nodes point to (owned) */
    size_t ncards, ccards;
    ledger__tmap_t idents;   /* identifier -> node */
    ledger__tmap_t entries;  /* lseq -> node */
    ledger__tmap_t edge_set; /* from (24 bits) | to (24) | kind (8) | role (8) */
    ledger_arena_t arena;    /* the strings of the nodes and of the maps */
    ledger_store_t *st;      /* where the events are read from (ledger_trace_node_event) */
    size_t start;
    unsigned dir;
    int truncated;
    uint64_t reads;
};

/* The maps (ledger_trace_graph.c): get returns the value's address or NULL;
 * put adds or replaces (0 or LEDGER_ENOMEM); free empties the map. Keys are
 * s (strings, copied) when strings is set, else u. */
size_t *ledger__tmap_get(const ledger__tmap_t *m, const char *s, uint64_t u);
int ledger__tmap_put(ledger__tmap_t *m, const char *s, uint64_t u, size_t v);
/* The value of the key, added (value 0, *added = 1) when missing; NULL when
 * out of memory. The pointer is valid until the next change of the map. */
size_t *ledger__tmap_upsert(ledger__tmap_t *m, const char *s, uint64_t u, int *added);
void ledger__tmap_free(ledger__tmap_t *m);

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

/* Adds an edge once (the same from, to, kind and role only once). */
int ledger__trace_add_edge(ledger_trace_t *t, size_t from, size_t to, int kind, int role);

#endif
