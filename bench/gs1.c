/* bench/gs1.c -- the cost of one GS1 parse (issue 13): gs1_ident_key,
 * gs1_key_hash and gs1_key_read over N realistic identifiers, each text
 * distinct (a new serial each time) so that the per-thread memos
 * (gs1/gs1__memo.h) never hit, and gs1_ident_key is called with options
 * (zeroed: the same answer as NULL) which bypasses its memo anyway.
 * Prints ns per key per form.  Not a test; not run by bench/run.sh.
 *
 *   build/bench/gs1 [N [FORM]]  (N identifiers per form, default 1,000,000;
 *                               FORM: only the forms containing that text)
 *
 * For instruction counts: valgrind --tool=callgrind build/bench/gs1 100000
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gs1_ident.h"
#include "gs1_key.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The forms an ingest sees; %llu is the running serial. */
static const char *const forms[] = {
    "urn:epc:id:sgtin:5412345.000012.%llu",
    "urn:epc:id:sscc:5412345.%010llu",
    "urn:epc:id:sgln:5412345.00002.%llu",
    "urn:epc:id:grai:5412345.00012.%llu",
    "urn:epc:id:giai:5412345.TL-%llu",
    "urn:epc:class:lgtin:5412345.000012.L%llu",
    "https://id.gs1.org/01/05412345000013/21/%llu",
    "https://id.gs1.org/01/05412345000013/10/L%llu",
};
#define NFORMS (sizeof forms / sizeof forms[0])

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    const gs1_ident_opts_t opts = {0};
    char key[GS1_KEY_MAX], hash[GS1_KEY_HASH_MAX];
    gs1_key_reading_t *r = malloc(sizeof *r);
    char *text = malloc(n * 64);
    unsigned long sink = 0;
    if (!text || !r || n == 0)
        return 1;
    printf("gs1 parse, %zu distinct identifiers per form, ns per key:\n", n);
    printf("%-44s %10s %10s %10s\n", "form", "ident_key", "key_hash", "key_read");
    for (size_t f = 0; f < NFORMS; f++) {
        double t0, t1, t2, t3;
        if (argc > 2 && !strstr(forms[f], argv[2]))
            continue;
        for (size_t i = 0; i < n; i++)
            snprintf(text + i * 64, 64, forms[f], (unsigned long long)(i + 1));
        t0 = now();
        for (size_t i = 0; i < n; i++) {
            if (gs1_ident_key(text + i * 64, strlen(text + i * 64), &opts, key, sizeof key, NULL) !=
                0) {
                fprintf(stderr, "gs1: %s does not read\n", text + i * 64);
                return 1;
            }
            sink += (unsigned char)key[30];
        }
        t1 = now();
        for (size_t i = 0; i < n; i++) {
            if (gs1_key_hash(text + i * 64, hash, sizeof hash, NULL) != 0)
                return 1;
            sink += (unsigned char)hash[30];
        }
        /* the same texts again would hit gs1_key_read's memo only for the
         * last 64 or so of them */
        t2 = now();
        for (size_t i = 0; i < n; i++) {
            gs1_key_read(text + i * 64, r);
            sink += (unsigned char)r->key[30];
        }
        t3 = now();
        printf("%-44s %10.1f %10.1f %10.1f\n", forms[f], (t1 - t0) * 1e9 / n, (t2 - t1) * 1e9 / n,
               (t3 - t2) * 1e9 / n);
    }
    free(text);
    free(r);
    return sink == 1 ? 2 : 0;
}
