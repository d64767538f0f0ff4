/* gs1_error.c -- the GS1 library's error messages (see gs1_error.h). */
#include "gs1_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int gs1_err_set(gs1_err_t *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int gs1_err_prefix(gs1_err_t *err, const char *fmt, ...)
{
    char buf[sizeof err->msg];
    size_t n, m;
    va_list ap;

    if (!err)
        return GS1_EINVAL;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf - 2, fmt, ap);
    va_end(ap);
    n = strlen(buf);
    buf[n++] = ':';
    buf[n++] = ' ';
    m = strnlen(err->msg, sizeof err->msg);
    if (m > sizeof buf - 1 - n)
        m = sizeof buf - 1 - n;
    memcpy(buf + n, err->msg, m);
    buf[n + m] = '\0';
    memcpy(err->msg, buf, n + m + 1);
    return err->code;
}

void gs1_err_clear(gs1_err_t *err)
{
    if (err) {
        err->code = GS1_OK;
        err->msg[0] = '\0';
    }
}
