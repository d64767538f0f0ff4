/* fuzz_bundle.c -- libFuzzer target for the provenance bundle verifier
 * (ledger_bundle_verify): any bytes must give 0 or LEDGER_EVERIFY with a
 * message, never a crash, a leak or undefined behaviour; a bundle that
 * verifies must give a story. Seeds: tests/fuzz/corpus/fuzz_bundle is not
 * kept; run it on bundles made by tests/e2e/bundle.sh or the test vector of
 * docs/bundle.md. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "ledger_bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ledger_err_t err;
    json_t *story = NULL;
    int rc = ledger_bundle_verify(data, size, &story, &err);
    if (rc == 0 && !story)
        abort();
    if (rc != 0 && (story || !err.msg[0] || (rc != LEDGER_EVERIFY && rc != LEDGER_ENOMEM)))
        abort();
    json_decref(story);
    return 0;
}
