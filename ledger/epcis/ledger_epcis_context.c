/* ledger_epcis_context.c -- an event's "@context" without the items that
 * repeat an earlier one to no effect (ledger_epcis__context_unique in
 * ledger__epcis.h). Recording merges a document's context with an event's
 * own, and both may bind the same prefix the same way; GS1's JSON Schema
 * wants the items of a "@context" array unique.
 *
 * How it works: an object item is redundant when an earlier item is equal
 * to it (json_equal) and no item between them defines any of its terms (a
 * URL item may define anything, so it counts as defining them all): in
 * JSON-LD the later copy then changes nothing. Strings are kept.
 */
#include "ledger__epcis.h"

/* 1 when object items a and b define a term in common. */
static int share_terms(const json_t *a, const json_t *b)
{
    const char *key;
    const json_t *v;
    if (!json_is_object(a) || !json_is_object(b))
        return 1; /* a URL may define anything */
    json_object_foreach((json_t *)a, key, v)
    {
        if (json_object_get(b, key))
            return 1;
    }
    return 0;
}

/* 1 when item i of arr repeats an earlier equal object item with nothing
 * in between defining any of its terms. */
static int redundant(const json_t *arr, size_t i)
{
    const json_t *it = json_array_get(arr, i);
    if (!json_is_object(it))
        return 0;
    for (size_t k = i; k-- > 0;) {
        const json_t *e = json_array_get(arr, k);
        if (json_equal(e, it))
            return 1;
        if (share_terms(e, it))
            return 0;
    }
    return 0;
}

json_t *ledger_epcis__context_unique(json_t *ctx)
{
    size_t i, n = json_is_array(ctx) ? json_array_size(ctx) : 0;
    json_t *out;
    for (i = 1; i < n && !redundant(ctx, i); i++)
        ;
    if (i >= n)
        return json_incref(ctx);
    if (!(out = json_array()))
        return NULL;
    for (i = 0; i < n; i++)
        if (!redundant(ctx, i) && json_array_append(out, json_array_get(ctx, i)) < 0) {
            json_decref(out);
            return NULL;
        }
    return out;
}
