/* fuzz_gs1.c -- libFuzzer target: bytes as a NUL-terminated string ->
 * ledger_gs1_canonical and ledger_gs1_check_uri (must never crash). A
 * successful conversion must be stable: its output converts to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_gs1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    char out[LEDGER_GS1_URI_MAX], again[LEDGER_GS1_URI_MAX], small[24];
    enum ledger_gs1_kind kind;
    ledger_err_t err;

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    if (ledger_gs1_canonical(s, out, sizeof out, &kind, &err) == 0) {
        if (ledger_gs1_canonical(out, again, sizeof again, NULL, &err) != 0 ||
            strcmp(out, again) != 0)
            abort(); /* the canonical form must be a fixed point */
    }
    ledger_gs1_canonical(s, small, sizeof small, NULL, NULL);
    ledger_gs1_check_uri(s, &err);
    free(s);
    return 0;
}
