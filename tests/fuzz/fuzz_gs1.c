/* fuzz_gs1.c -- libFuzzer target: bytes as a NUL-terminated string ->
 * gs1_key_hash (the event hash's reading), gs1_key_check_uri (the strict
 * check) and gs1_ident_key (the canonical key); none may crash.  A
 * successful conversion must be stable: its output converts to itself; a
 * URI that passes the strict check has a key, and that key is its own key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gs1_ident.h"
#include "gs1_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    char out[GS1_KEY_HASH_MAX], again[GS1_KEY_HASH_MAX], small[24];
    static char key[GS1_KEY_MAX], key2[GS1_KEY_MAX];
    gs1_err_t err;

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    if (gs1_key_hash(s, out, sizeof out, &err) == 0) {
        if (gs1_key_hash(out, again, sizeof again, &err) != 0 || strcmp(out, again) != 0)
            abort(); /* the canonical form must be a fixed point */
    }
    gs1_key_hash(s, small, sizeof small, NULL);
    if (gs1_key_check_uri(s, &err) == 0 && strncmp(s, "urn:epc:", 8) == 0) {
        if (gs1_ident_key(s, strlen(s), NULL, key, sizeof key, &err) != 0 ||
            gs1_ident_key(key, strlen(key), NULL, key2, sizeof key2, &err) != 0 ||
            strcmp(key, key2) != 0)
            abort();
    }
    free(s);
    return 0;
}
