/* ledger_error.c -- messages for the project-wide error codes (see ledger_error.h). */
#include "ledger_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gs1_error.h"

/* gs1/ returns its codes through the ledger as they are */
_Static_assert((int)GS1_EINVAL == (int)LEDGER_EINVAL, "GS1_EINVAL");
_Static_assert((int)GS1_EINPUT == (int)LEDGER_EINPUT, "GS1_EINPUT");
_Static_assert((int)GS1_ENOTFOUND == (int)LEDGER_ENOTFOUND, "GS1_ENOTFOUND");
_Static_assert((int)GS1_EIO == (int)LEDGER_EIO, "GS1_EIO");
_Static_assert((int)GS1_ENOMEM == (int)LEDGER_ENOMEM, "GS1_ENOMEM");
_Static_assert((int)GS1_ETOOBIG == (int)LEDGER_ETOOBIG, "GS1_ETOOBIG");
_Static_assert(sizeof(((gs1_err_t *)0)->msg) <= sizeof(((ledger_err_t *)0)->msg), "msg");

int ledger_err_gs1(ledger_err_t *err, const gs1_err_t *g)
{
    if (err) {
        err->code = g->code;
        snprintf(err->msg, sizeof err->msg, "%s", g->msg);
    }
    return g->code;
}

int ledger_err_set(ledger_err_t *err, int code, const char *fmt, ...)
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

int ledger_err_prefix(ledger_err_t *err, const char *fmt, ...)
{
    char buf[sizeof err->msg];
    size_t n, m;
    va_list ap;

    if (!err)
        return LEDGER_EINVAL;
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

void ledger_err_clear(ledger_err_t *err)
{
    if (err) {
        err->code = LEDGER_OK;
        err->msg[0] = '\0';
    }
}

const char *ledger_strerror(int code)
{
    switch (code) {
    case LEDGER_OK:
        return "success";
    case LEDGER_EINVAL:
        return "invalid argument";
    case LEDGER_EINPUT:
        return "bad input";
    case LEDGER_ENOTFOUND:
        return "not found";
    case LEDGER_EVERIFY:
        return "verification failed";
    case LEDGER_EEXIST:
        return "already exists";
    case LEDGER_EIO:
        return "I/O error";
    case LEDGER_ENOMEM:
        return "out of memory";
    case LEDGER_ECRYPTO:
        return "cryptographic failure";
    case LEDGER_ELOCKED:
        return "locked";
    case LEDGER_ETOOBIG:
        return "too big";
    case LEDGER_ENOHOME:
        return "no keten home";
    default:
        return "unknown error";
    }
}
