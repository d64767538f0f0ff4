/* fuzz_evhash.c -- libFuzzer target: bytes -> JSON -> event hash (must never
 * crash, leak or read out of bounds). An object with "event" and "context"
 * members is also tried as event + @context, so that both paths are fuzzed. */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "ledger_evhash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    char out[LEDGER_EVHASH_LEN];
    char *pre = NULL;
    ledger_err_t err;

    if (!j)
        return 0;
    if (json_is_object(j)) {
        ledger_evhash_compute(j, json_object_get(j, "@context"), out, &err);
        ledger_evhash_compute_ex(json_object_get(j, "event"), json_object_get(j, "context"),
                                 json_object_get(j, "ignore"), out, &err);
        if (ledger_evhash_prehash(j, NULL, &pre, &err) == 0)
            free(pre);
        ledger_evhash_ignore_fields(j);
    }
    json_decref(j);
    return 0;
}
