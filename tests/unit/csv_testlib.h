/* csv_testlib.h -- helpers shared by the tests that read the conformance CSV
 * files (test_gs1_dl.c, test_gs1_ident.c, test_gs1_epc.c,
 * test_gs1.c): where the conformance material is, opening one of its files,
 * and splitting a CSV line into fields. Included by the tests only (not
 * together with epcis_testlib.h, which has its own shared_dir()). */
#ifndef CSV_TESTLIB_H
#define CSV_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

/* $KETEN_SHARED, or "../shared" when it is unset or empty. */
static __attribute__((unused)) const char *shared_dir(void)
{
    const char *s = getenv("KETEN_SHARED");
    return s && *s ? s : "../shared";
}

/* Opens $KETEN_SHARED/conformance/<rel> for reading; fails the test if it
 * cannot. */
static __attribute__((unused)) FILE *open_shared(const char *rel)
{
    char path[1024];
    FILE *fp;
    snprintf(path, sizeof path, "%s/conformance/%s", shared_dir(), rel);
    fp = fopen(path, "r");
    if (!fp)
        fail_msg("cannot open %s (set KETEN_SHARED)", path);
    return fp;
}

/* Splits one CSV line (RFC 4180 quoting) into at most max fields, copied
 * NUL-terminated into buf (strlen(line) + 1 bytes are enough; not line
 * itself); fields[] point into buf. A field ends at ',', '\n', '\r' or the
 * end of the line; text after a closing quote is kept. Returns the number
 * of fields. */
static __attribute__((unused)) int csv_split(const char *line, char *buf, char **fields, int max)
{
    int n = 0;
    const char *p = line;
    char *o = buf;

    for (;;) {
        if (n == max)
            return n;
        fields[n++] = o;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == 0)
                    break;
                if (*p == '"' && p[1] == '"') {
                    *o++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *o++ = *p++;
                }
            }
        }
        while (*p && *p != ',' && *p != '\n' && *p != '\r')
            *o++ = *p++;
        *o++ = 0;
        if (*p != ',')
            return n;
        p++;
    }
}

#endif
