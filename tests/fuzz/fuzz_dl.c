/* fuzz_dl.c -- libFuzzer target for the GS1 Digital Link parser (gs1_dl)
 * and the identifier entry point (gs1_ident), which every reader's
 * output goes through.
 *
 * Must never crash, and what succeeds must be stable:
 *  - a parsed Digital Link rebuilt (gs1_dl_build) parses again to the
 *    same key, and its canonical forms parse to themselves;
 *  - an identifier's key read again is the same key, and for GS1
 *    identifiers the event hash's canonical form (gs1_key_hash) maps the
 *    key to itself (or keeps it as an opaque URI): readers/ and the event
 *    hash must agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gs1_key.h"
#include "gs1_dl.h"
#include "gs1_ident.h"

static void check_dl(const char *s, size_t n, unsigned flags)
{
    static char out[32768], key[8192], key2[8192];
    gs1_ai_list_t *l = malloc(2 * sizeof *l), *l2 = l + 1;
    gs1_err_t err;

    if (!l)
        return;
    if (gs1_dl_parse(s, n, flags, l, NULL, &err) != 0)
        goto done;
    if (gs1_dl_key(l, key, sizeof key, &err) != 0)
        abort(); /* a parsed Digital Link always has a primary key */
    if (gs1_dl_build(l, "https://example.com/a/", flags, out, sizeof out, &err) == 0) {
        if (gs1_dl_parse(out, strlen(out), flags & ~GS1_LENIENT, l2, NULL, &err) != 0)
            abort(); /* what we build must parse */
        if (gs1_dl_key(l2, key2, sizeof key2, &err) != 0 || strcmp(key, key2) != 0)
            abort();
    }
    if (gs1_dl_canonical(l, out, sizeof out, &err) == 0) {
        if (gs1_dl_parse(out, strlen(out), flags & ~GS1_LENIENT, l2, NULL, &err) != 0 ||
            gs1_dl_canonical(l2, key2, sizeof key2, &err) != 0 || strcmp(out, key2) != 0)
            abort();
    }
done:
    free(l);
}

static void check_ident(const char *s, size_t n)
{
    gs1_ident_t id, id2;
    gs1_err_t err;
    char canon[GS1_KEY_HASH_MAX];

    if (gs1_ident_parse(s, n, NULL, &id, &err) != 0)
        return;
    if (gs1_ident_parse(id.key, strlen(id.key), NULL, &id2, &err) != 0 ||
        strcmp(id.key, id2.key) != 0)
        abort(); /* the key is a fixed point */
    if (id.dl && strlen(id.key) < sizeof canon) {
        /* the ledger maps the key to itself, or keeps it as it is as a URI it
         * has no GS1 form for (e.g. a primary key it does not know, (415)):
         * either way the event hash sees the same bytes */
        int rc = gs1_key_hash(id.key, canon, sizeof canon, &err);
        if ((rc != 0 && rc != GS1_ENOTFOUND) || strcmp(canon, id.key) != 0)
            abort();
    }
    gs1_ident_clear(&id2);
    gs1_ident_clear(&id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    check_dl(s, size, 0);
    check_dl(s, size, GS1_LENIENT | GS1_UNKNOWN_AIS | GS1_UNKNOWN_ATTRS | GS1_NO_PAIRS);
    check_ident(s, size);
    return 0;
}
