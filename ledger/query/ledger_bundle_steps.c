/* ledger_bundle_steps.c -- which entries a bundle is about
 * (ledger_bundle_steps in ledger_bundle.h): the one place that decides it,
 * for `keten bundle create` and for the node's bundle route.
 *
 * The identifier is traced (ledger_trace.h, both directions, across every
 * feed the store holds); every event node is a step, with the
 * errorDeclaration that corrects it (its own partner's) and every other
 * partner's declaration of it (a dispute: evidence), and every sealed step
 * the trace placed.  Duplicates are left in: ledger_bundle_create merges
 * them.
 */
#include "ledger_bundle.h"

#include <stdlib.h>
#include <string.h>

#include "ledger_trace.h"

typedef struct steps {
    ledger_bundle_step_t *v;
    size_t n, cap;
} steps_t;

static int steps_add(steps_t *s, const uint8_t *feed, uint64_t seq)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        ledger_bundle_step_t *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return LEDGER_ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    memset(&s->v[s->n], 0, sizeof s->v[0]);
    memcpy(s->v[s->n].feed, feed, LEDGER_FEED_LEN);
    s->v[s->n++].seq = seq;
    return 0;
}

int ledger_bundle_steps(ledger_store_t *st, const ledger_key_t *ident, size_t max_nodes,
                        ledger_bundle_step_t **steps, size_t *nsteps, ledger_err_t *err)
{
    ledger_trace_opts_t opts = {0};
    ledger_trace_t *t = NULL;
    steps_t out = {0};
    int rc;
    *steps = NULL;
    *nsteps = 0;
    opts.dir = LEDGER_TRACE_BOTH;
    opts.max_nodes = max_nodes;
    if ((rc = ledger_trace_run_key(st, ident, &opts, &t, err)))
        return rc;
    for (size_t i = 0; i < ledger_trace_node_count(t) && !rc; i++) {
        const ledger_trace_node_t *nd = ledger_trace_node(t, i);
        if (nd->kind != LEDGER_TNODE_EVENT && nd->kind != LEDGER_TNODE_SEALED)
            continue;
        rc = steps_add(&out, nd->feed, nd->seq);
        if (!rc && nd->kind == LEDGER_TNODE_EVENT && nd->erroneous && nd->decl_seq)
            rc = steps_add(&out, nd->decl_feed, nd->decl_seq);
        for (size_t k = 0; !rc && nd->kind == LEDGER_TNODE_EVENT && k < nd->ndisputes; k++)
            rc = steps_add(&out, nd->disputes[k].feed, nd->disputes[k].seq); /* evidence */
    }
    ledger_trace_free(t);
    if (rc) {
        free(out.v);
        return ledger_err_set(err, rc, "out of memory");
    }
    *steps = out.v;
    *nsteps = out.n;
    return 0;
}
