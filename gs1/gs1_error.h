/* gs1_error.h -- the error convention of the GS1 library (gs1/).
 *
 * gs1/ depends on nothing else in keten (libc only), so it has its own error
 * type.  Every function of gs1/ that can fail returns 0 or one of the negative
 * codes below and, when the caller passes a gs1_err_t, leaves a message there
 * that says what is wrong ("AI (01): check digit is 8, expected 2").
 *
 * The codes are numerically equal to keten's LEDGER_E* codes of the same name
 * (ledger/ledger_error.c asserts it at compile time), so a gs1 code can be
 * returned from a ledger function as it is; ledger_err_gs1() copies a
 * gs1_err_t into a ledger_err_t.
 */
#ifndef KETEN_GS1_ERROR_H
#define KETEN_GS1_ERROR_H

#include <stddef.h>

enum gs1_errcode {
    GS1_OK = 0,
    GS1_EINVAL = -1,    /* bad argument from the caller */
    GS1_EINPUT = -2,    /* bad identifier / data: the message says what and where */
    GS1_ENOTFOUND = -3, /* no such thing: no GS1 key, not in a table */
    GS1_EIO = -6,       /* a file could not be read (gs1_gcp_load) */
    GS1_ENOMEM = -7,    /* out of memory */
    GS1_ETOOBIG = -10,  /* over a documented size limit / output buffer too small */
};

/* Where a failing call leaves its message. msg is always NUL-terminated. */
typedef struct gs1_err {
    int code;
    char msg[512];
} gs1_err_t;

/* Sets err (if not NULL) to code and the printf-style message; returns code. */
int gs1_err_set(gs1_err_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Puts "<prefix>: " in front of the message already in err (if not NULL);
 * returns err->code (or GS1_EINVAL when err is NULL). */
int gs1_err_prefix(gs1_err_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears err (if not NULL) to GS1_OK and an empty message. */
void gs1_err_clear(gs1_err_t *err);

#endif
