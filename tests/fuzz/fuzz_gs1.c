/* fuzz_gs1.c -- libFuzzer target: bytes as a NUL-terminated string ->
 * gs1_key_hash (the event hash's reading), gs1_key_check_uri (the strict
 * check) and gs1_ident_key (the canonical key); none may crash.  A
 * successful conversion must be stable: its output converts to itself; a
 * URI that passes the strict check has a key, and that key is its own key.
 * gs1_key_read (both readings from one parse) must answer what
 * gs1_ident_key answers, and for a Digital Link without query string what
 * gs1_key_hash answers when a '?' keeps it off the one-parse path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gs1_ident.h"
#include "gs1_key.h"

/* gs1_key_read against the two readings one by one; aborts on a
 * difference. */
static void check_read(const char *s)
{
    static gs1_key_reading_t r;
    static char key[GS1_KEY_READ_MAX], q[GS1_KEY_READ_MAX + 2], hash[GS1_KEY_READ_MAX];
    size_t n = strlen(s);
    int krc, hrc;

    if (gs1_key_read(s, &r) != 0)
        abort();
    krc = gs1_ident_key(s, n, NULL, key, sizeof key, NULL);
    if (krc != r.key_rc || (krc == 0 && strcmp(key, r.key) != 0))
        abort();
    if ((strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0) &&
        !strpbrk(s, "?#") && n + 2 <= sizeof hash) {
        memcpy(q, s, n);
        q[n] = '?';
        q[n + 1] = '\0';
        hrc = gs1_key_hash(q, hash, sizeof hash, NULL);
        if (hrc == GS1_ENOTFOUND)
            hash[n] = '\0'; /* the copy of q: of s */
        if (hrc != r.hash_rc || ((hrc == 0 || hrc == GS1_ENOTFOUND) && strcmp(hash, r.hash) != 0))
            abort();
    }
}

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
    check_read(s);
    if (gs1_key_check_uri(s, &err) == 0 && strncmp(s, "urn:epc:", 8) == 0) {
        if (gs1_ident_key(s, strlen(s), NULL, key, sizeof key, &err) != 0 ||
            gs1_ident_key(key, strlen(key), NULL, key2, sizeof key2, &err) != 0 ||
            strcmp(key, key2) != 0)
            abort();
    }
    free(s);
    return 0;
}
