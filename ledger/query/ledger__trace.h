/* ledger__trace.h -- internals shared by the files of the trace module:
 * the trace object and its maps (ledger_trace_graph.c: maps, storage, the
 * final order), the walk's state and steps. The files, and the way their
 * calls run (one way: no file calls back into one that calls it):
 *
 *   ledger_trace_run.c     ledger_trace_run: options, the start, the steps
 *     -> ledger_trace.c        the walk: work queue, rules, errorDeclarations
 *     -> ledger_trace_sealed.c sealed steps next to the events found
 *   ledger_trace.c, ledger_trace_sealed.c
 *     -> ledger_trace_node.c   nodes: an event's from its card, a sealed
 *                              step's, the event decoded for a caller
 *   all of them -> ledger_trace_graph.c
 *   ledger_trace_json.c    the trace as JSON (names, ILMD helpers)
 *
 * Not a public contract: only ledger/ledger_trace*.c (and the reports and
 * recall, for the trace object) include this file. */
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

/* Keeps event ev (a reference) with the trace, which frees it. 0 or -1
 * (out of memory: ev is then still the caller's). */
int ledger__trace_keep_event(ledger_trace_t *t, json_t *ev);

/* The final order: identifiers first (discovery order: the start first),
 * then events and sealed steps by time; nodes without edges (read but
 * outside every window) dropped, except the start; edges renumbered and in
 * the order of their event. 0 or LEDGER_ENOMEM. */
int ledger__trace_reorder(ledger_trace_t *t);

/* Adds an edge (the same from, to, kind and role more than once is kept
 * once: ledger__trace_reorder drops the copies). */
int ledger__trace_add_edge(ledger_trace_t *t, size_t from, size_t to, int kind, int role);

/* ---- the walk (ledger_trace.c) ---------------------------------------------- */

/* The walk's state: one per ledger_trace_run, on its stack. The types of
 * its arrays are the walk's own (ledger_trace.c). */
typedef struct ledger__twalk {
    ledger_trace_t *t;
    ledger_store_t *st;
    ledger_trace_opts_t o;
    struct ledger__titem *q;
    size_t qn, qcap, qhead;
    ledger_arena_t arena; /* the keys of visited and pending, csyms' arrays */
    size_t **csyms;       /* per event node: the syms of its card's identifiers */
    size_t ncsyms;
    struct ledger__tcarry *
        *ccar; /* per event node: the carrier item its parent was last pushed as */
    size_t nccar;
    struct ledger__tcseen *cs; /* windows inside carriers, listed per identifier inside (its
                                  sym's carried) */
    size_t ncs, ccs;
    ledger__tmap_t visited; /* (sym, via, mode, lo) -> window bound index in bounds[] */
    int64_t *bounds;
    size_t nbounds, cbounds;
    struct ledger__thit *hits;
    size_t nhits, chits;
    ledger_ident_hit_t *ih; /* the index rows of the item being processed */
    size_t nih, cih;
    struct ledger__tvia *vias; /* the carriers' further identifiers inside */
    size_t nvias, cvias;
    ledger__tmap_t pending;   /* CARRIER (sym, lo, hi, depth, link) -> queue index */
    struct ledger__tvia *act; /* the carrier being processed: its vias not seen yet */
    size_t nact, cact;
    struct {
        uint8_t feed[LEDGER_FEED_LEN];
        int sealed;
    } feeds[16]; /* feed_has_sealed (ledger_trace_sealed.c) */
    size_t nfeeds;
    ledger_err_t *err;
    int rc;    /* error from a callback */
    int full;  /* max_nodes reached */
    int decls; /* the store holds errorDeclarations (else none is looked up) */
    struct {
        const char *full, *word;
    } cbv[16]; /* short_cbv's cache (ledger_trace_node.c) */
    size_t ncbv;
} ledger__twalk_t;

/* Sets up w for a walk of trace t in store st with options o (defaults
 * filled in); errors go to err. Cannot fail; ledger__trace_walk_free frees
 * what the walk allocated. */
void ledger__trace_walk_init(ledger__twalk_t *w, ledger_trace_t *t, ledger_store_t *st,
                             const ledger_trace_opts_t *o, ledger_err_t *err);
void ledger__trace_walk_free(ledger__twalk_t *w);

/* The first nodes of the entries a store look-up hands its callback
 * (ledger__trace_start_cb): an event's node, or a sealed step's; an
 * errorDeclaration makes none. */
typedef struct ledger__tstart {
    ledger__twalk_t *w;
    size_t nodes[8];
    size_t n;
    int rc;
} ledger__tstart_t;
/* A ledger_store_* callback: vctx a ledger__tstart_t. */
int ledger__trace_start_cb(const ledger_stored_t *s, void *vctx);

/* Starts from event node e: each of its identifiers, both ways (as the
 * options' direction allows). 0 or a negative error. */
int ledger__trace_start_event(ledger__twalk_t *w, size_t e);
/* Starts from identifier canon (its canonical form, as the index keys it):
 * back and forward items over all time. 0 or LEDGER_ENOMEM (no message). */
int ledger__trace_start_ident(ledger__twalk_t *w, const char *canon);
/* Looks up the errorDeclarations of event nodes [from, nn). */
int ledger__trace_check_declarations(ledger__twalk_t *w, size_t from);
/* Works the queue until it is empty or max_nodes is reached. lot, when not
 * NULL and not empty: a lot class to follow back from the node of
 * identifier canon after the first item (the lot a Digital Link start names
 * next to its serial). 0 or a negative error (message in w->err). */
int ledger__trace_drain(ledger__twalk_t *w, const char *canon, const char *lot);
/* "https://id.gs1.org/01/<gtin>/..." -> gtin (14 digits) into g; 0 or -1. */
int ledger__trace_gtin_of(const char *id, char g[15]);

/* ---- the nodes (ledger_trace_node.c) ------------------------------------------ */

/* The node of the event entry at lseq, made from its card once per lseq:
 * 0 (*idx its index); 1 when max_nodes is reached; 2 when the entry makes
 * no node (an errorDeclaration restates its event: folded into that
 * event's node by ledger__trace_check_declarations); a negative error. */
int ledger__trace_card_node(ledger__twalk_t *w, uint64_t lseq, unsigned depth, unsigned reached,
                            size_t *idx);
/* The node of a stored entry: an event's from its card, else a sealed
 * step (who and when). As ledger__trace_card_node. */
int ledger__trace_entry_node(ledger__twalk_t *w, const ledger_stored_t *s, unsigned depth,
                             unsigned reached, size_t *idx);

/* ---- sealed steps (ledger_trace_sealed.c) --------------------------------------- */

/* The sealed entries next to each event node's entry in its feed (up to
 * LEDGER_TRACE_SEALED_RUN each way), as nodes linked by NEIGHBOUR edges.
 * 0 or a negative error (message in w->err). */
int ledger__trace_sealed_neighbours(ledger__twalk_t *w);

#endif
