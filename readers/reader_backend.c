/* reader_backend.c -- the helpers every reader backend shares (see
 * reader__backend.h): copying read fields, the wall clock.  Below both
 * reader.c, which calls the backends, and the backends, so that neither
 * calls the other back. */
#include "reader__backend.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int reader__set(char **field, const char *s, size_t n, ledger_err_t *err)
{
    char *p = malloc(n + 1);
    if (p == NULL)
        return ledger_err_set(err, LEDGER_ENOMEM, "out of memory for a read of %zu bytes", n);
    memcpy(p, s, n);
    p[n] = '\0';
    free(*field);
    *field = p;
    return 0;
}

int64_t reader__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
