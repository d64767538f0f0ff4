/* fuzz_elem.c -- libFuzzer target for GS1 element strings (gs1_elem):
 * bracketed and raw scanner output, through the AI table's checks.
 *
 * Must never crash, and what succeeds must be stable: the bracketed and
 * the raw (GS-separated) forms of a parsed message parse back to the same
 * fields, and a Digital Link built from them parses again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gs1_dl.h"
#include "gs1_elem.h"

static void same_fields(const gs1_ai_list_t *a, const gs1_ai_list_t *b)
{
    if (a->n != b->n)
        abort();
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->f[i].ai, b->f[i].ai) != 0 || a->f[i].len != b->f[i].len ||
            memcmp(a->f[i].value, b->f[i].value, a->f[i].len) != 0)
            abort();
}

static void check(const char *s, size_t n, unsigned flags)
{
    static char out[32768];
    gs1_ai_list_t *l = malloc(2 * sizeof *l), *l2 = l + 1;
    gs1_err_t err;

    if (!l)
        return;
    if (gs1_elem_parse(s, n, flags, l, &err) != 0)
        goto done;
    if (gs1_elem_bracketed(l, out, sizeof out, &err) != 0 ||
        gs1_elem_parse_bracketed(out, strlen(out), flags, l2, &err) != 0)
        abort();
    same_fields(l, l2);
    /* unknown AIs have no known length: the raw form cannot carry them */
    if (!(flags & GS1_UNKNOWN_AIS)) {
        if (gs1_elem_raw(l, GS1_ELEM_GS, 0, out, sizeof out, &err) != 0 ||
            gs1_elem_parse_raw(out, strlen(out), flags, l2, &err) != 0)
            abort();
        same_fields(l, l2);
        if (gs1_elem_raw(l, '^', GS1_ELEM_LEADING_FNC1 | GS1_ELEM_FIXED_FIRST, out, sizeof out,
                         &err) != 0 ||
            gs1_elem_parse_raw(out, strlen(out), flags, l2, &err) != 0 || l2->n != l->n)
            abort();
    }
    if (gs1_dl_build(l, NULL, flags, out, sizeof out, &err) == 0 &&
        gs1_dl_parse(out, strlen(out), flags, l2, NULL, &err) != 0)
        abort();
done:
    free(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    check(s, size, 0);
    check(s, size, GS1_NO_PAIRS);
    check(s, size, GS1_UNKNOWN_AIS | GS1_UNKNOWN_ATTRS | GS1_NO_PAIRS);
    return 0;
}
