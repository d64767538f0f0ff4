/* ledger_evtree.h -- the tree of one event in the EPCIS 2.0 event hash, and
 * the pre-hash string made from it (ledger_evhash.h).
 *
 * ledger_evhash turns the JSON event into a tree of (name, text, children)
 * nodes, as the reference generator (RalphTro/epcis-event-hash-generator)
 * turns it into Python tuples (steps 1 and 2 in ledger_evhash.c). This
 * module does the rest on that tree:
 *  - step 3, ledger_evtree_correct(): the JSON layout becomes the XML one
 *    ("xxxList" children grouped under one node of "xxx" items, source,
 *    destination and bizTransaction entries made "pairs", childEPCs,
 *    inputEPC/outputEPC and quantity elements renamed);
 *  - step 4, ledger_evtree_prehash(): "eventType=" + type, the fields in the
 *    reference's order (ledger_evctx_event_order) with their values
 *    canonicalised (times to UTC milliseconds and numbers as Python prints
 *    them (ledger_pyfmt.h), CBV 1.x URNs to web URIs, EPCs and Digital Links
 *    to canonical Digital Links (gs1_key_hash)), user extensions, then
 *    everything else rendered generically and sorted.
 *
 * Memory: nodes, strings and the pre-hash live in the caller's arena and
 * are valid until it is freed. Errors: the first failure is kept in the
 * ledger_evtree_t (rc and the message in err); later calls do nothing
 * harmful and return it. Not thread-safe: one tree per computation.
 */
#ifndef LEDGER_EVTREE_H
#define LEDGER_EVTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "ledger_arena.h"
#include "ledger_error.h"

/* A string with its length (p is NUL-terminated unless said otherwise). */
typedef struct {
    const char *p;
    size_t n;
} ledger_evtree_str_t;

typedef struct ledger_evtree_node ledger_evtree_node_t;
struct ledger_evtree_node {
    const char *name; /* never NULL; not NUL-terminated after correction */
    size_t nlen;
    const char *text; /* never NULL, NUL-terminated, without U+0000 */
    size_t tlen;
    const char *canon; /* the canonical value when known in advance (JSON
                          numbers and literals), or NULL: from text */
    size_t clen;
    ledger_evtree_node_t **kid;
    size_t nkid; /* used slots of kid */
    size_t live; /* kids not removed */
    bool dead;   /* removed from its parent (consumed by the ordered part) */
    bool pair;   /* a source/destination/bizTransaction entry: kid = members */
};

typedef struct {
    ledger_arena_t *ar;
    ledger_err_t *err;
    int rc;       /* the first error, 0 while none */
    char *out;    /* the pre-hash (not NUL-terminated), in ar */
    size_t n;     /* its length */
    size_t cap;   /* room at out */
    int maxdepth; /* deepest nesting accepted */
} ledger_evtree_t;

/* Sets up t for one computation (ar must outlive it; err may be NULL). */
void ledger_evtree_init(ledger_evtree_t *t, ledger_arena_t *ar, ledger_err_t *err, int maxdepth);

/* Records the failure code with message msg (or the out-of-memory message
 * for LEDGER_ENOMEM) unless one is recorded already; returns t->rc. */
int ledger_evtree_fail(ledger_evtree_t *t, int code, const char *msg);

/* v[0] + ... + v[n-1] as a NUL-terminated string in the arena; "" (and
 * LEDGER_ENOMEM recorded) when out of memory. */
ledger_evtree_str_t ledger_evtree_cat(ledger_evtree_t *t, const ledger_evtree_str_t *v, size_t n);

/* A new node with room for nkid kids (none used yet); NULL (and
 * LEDGER_ENOMEM recorded) when out of memory. name and text are not
 * copied. */
ledger_evtree_node_t *ledger_evtree_node(ledger_evtree_t *t, ledger_evtree_str_t name,
                                         ledger_evtree_str_t text, size_t nkid);

/* The reference keeps document order, instead of sorting, among the
 * members of an object that has one of the keys bizTransaction, source,
 * destination (and among the elements of an array holding such a string). */
bool ledger_evtree_keeps_order(const char *name, size_t n);

/* Step 3 on the tree under root (the event). 0 or the recorded error
 * (LEDGER_EINPUT when nested deeper than maxdepth, LEDGER_ENOMEM). */
int ledger_evtree_correct(ledger_evtree_t *t, ledger_evtree_node_t *root);

/* Step 4: writes the pre-hash of the corrected event tree to t->out /
 * t->n. 0 or the recorded error. */
int ledger_evtree_prehash(ledger_evtree_t *t, ledger_evtree_node_t *event);

/* n bytes at p equal the literal lit of length ln. */
static inline bool ledger_evtree_str_is(const char *p, size_t n, const char *lit, size_t ln)
{
    return n == ln && memcmp(p, lit, n) == 0;
}

/* strcmp's order for strings without NUL. */
static inline int ledger_evtree_str_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    if (an && bn && a[0] != b[0])
        return (unsigned char)a[0] - (unsigned char)b[0];
    int r = memcmp(a, b, an < bn ? an : bn);
    return r ? r : (an > bn) - (an < bn);
}

#endif
