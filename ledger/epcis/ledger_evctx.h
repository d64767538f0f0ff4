/* ledger_evctx.h -- the static model of EPCIS 2.0 that the event hash
 * (ledger_evhash.h) works from: the JSON-LD context as far as the hash
 * needs it, and the reference generator's property order (PROP_ORDER).
 *
 * The reference generator (RalphTro/epcis-event-hash-generator) expands
 * each document with a JSON-LD processor and the ratified EPCIS 2.0 context
 * (https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld). The hash
 * only needs three facts of that context: which properties are @id-typed
 * (compact IRIs in their values are expanded), which are @vocab-typed (their
 * values may be terms of a CBV vocabulary, expanded to the vocabulary's IRI
 * + term), and which prefixes it defines. They are kept here as static const
 * tables, built by the compiler, never per call: a scope is the list of terms
 * of one (property-scoped) context with a link to its parent, as JSON-LD
 * scoped contexts nest.
 *
 * Everything is read-only data and pure lookups: thread-safe, no
 * allocation. Returned pointers point into static storage.
 */
#ifndef LEDGER_EVCTX_H
#define LEDGER_EVCTX_H

#include <stdbool.h>
#include <stddef.h>

/* How JSON-LD expansion treats a property's value. */
enum ledger_evctx_kind {
    LEDGER_EVCTX_LIT,   /* literal (or nested node object) */
    LEDGER_EVCTX_ID,    /* @type @id: compact IRIs expanded */
    LEDGER_EVCTX_VOCAB, /* @type @vocab: terms of the vocabulary, then compact IRIs */
    LEDGER_EVCTX_TYPE,  /* the @type keyword */
};

typedef struct ledger_evctx_scope ledger_evctx_scope_t;

/* One term of a context. */
typedef struct {
    const char *name;
    size_t len; /* strlen(name) */
    enum ledger_evctx_kind kind;
    const char *vprefix;             /* VOCAB: the IRI in front of a term, else NULL */
    size_t vplen;                    /* strlen(vprefix) */
    const char *const *vterms;       /* VOCAB: the terms, sorted as strcmp does */
    size_t nvterms;                  /* number of vterms */
    const ledger_evctx_scope_t *sub; /* property-scoped context, or NULL */
} ledger_evctx_term_t;

struct ledger_evctx_scope {
    const ledger_evctx_term_t *t;
    size_t n;
    const ledger_evctx_scope_t *parent; /* NULL for the top scope */
};

/* One entry of the property order: a field name and the order of its
 * children (sub == NULL: a leaf, rendered name=value). */
typedef struct ledger_evctx_ord {
    const char *name;
    size_t len; /* strlen(name) */
    const struct ledger_evctx_ord *sub;
    size_t nsub;
} ledger_evctx_ord_t;

/* The top scope: the terms of the EPCIS 2.0 context for an event's members. */
const ledger_evctx_scope_t *ledger_evctx_top(void);

/* The term named key[0..n) in scope sc or, failing that, in its parents;
 * NULL when no scope defines it. */
const ledger_evctx_term_t *ledger_evctx_term(const ledger_evctx_scope_t *sc, const char *key,
                                             size_t n);

/* Is the NUL-terminated s one of the vocabulary terms of t (a VOCAB term)?
 * false for other kinds. */
bool ledger_evctx_vocab(const ledger_evctx_term_t *t, const char *s);

/* The IRI of the prefix p[0..n) that the EPCIS 2.0 context defines (epcis,
 * cbv, cbvmda, gs1, rdfs, owl, xsd, dcterms), or NULL. */
const char *ledger_evctx_prefix(const char *p, size_t n);

/* The order of the fields of an event (the reference's PROP_ORDER); *n gets
 * the number of entries. */
const ledger_evctx_ord_t *ledger_evctx_event_order(size_t *n);

#endif
