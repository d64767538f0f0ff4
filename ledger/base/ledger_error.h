/* ledger_error.h -- the one error convention of keten.
 *
 * Every function of libketen that can fail returns 0 on success or one of the
 * negative codes below. When the caller passes a ledger_err_t, the function
 * also leaves a human message there that says what is wrong and where (file,
 * event index, field, feed/seq), so that the CLI can print it as is.
 *
 * The CLI maps codes to exit statuses (see cli/keten.c): EINPUT -> 3,
 * EVERIFY/ENOTFOUND -> 1, EIO/ELOCKED/ECRYPTO/ENOHOME -> 4, EINVAL -> 2.
 */
#ifndef LEDGER_ERROR_H
#define LEDGER_ERROR_H

#include <stddef.h>

enum ledger_errcode {
    LEDGER_OK = 0,
    LEDGER_EINVAL = -1,    /* bad argument or option from the caller */
    LEDGER_EINPUT = -2,    /* bad input data: malformed JSON, invalid event, bad URN */
    LEDGER_ENOTFOUND = -3, /* no such event, entry, feed or key */
    LEDGER_EVERIFY = -4,   /* a signature, hash, chain link or index does not check */
    LEDGER_EEXIST = -5,    /* already exists: home directory, event ID */
    LEDGER_EIO = -6,       /* file system or LMDB failure */
    LEDGER_ENOMEM = -7,    /* out of memory */
    LEDGER_ECRYPTO = -8,   /* wrong passphrase, damaged key file, libsodium failure */
    LEDGER_ELOCKED = -9,   /* the home is in use in a way that excludes us */
    LEDGER_ETOOBIG = -10,  /* over a documented size limit */
    LEDGER_ENOHOME = -11,  /* no keten home at the given path */
};

/* Where a failing call leaves its message. msg is always NUL-terminated. */
typedef struct ledger_err {
    int code;
    char msg[1024];
} ledger_err_t;

/* Sets err (if not NULL) to code and the printf-style message; returns code,
 * so that `return ledger_err_set(err, LEDGER_EINPUT, "...")` reads well. */
int ledger_err_set(ledger_err_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Puts "<prefix>: " in front of the message already in err (if not NULL);
 * returns err->code (or LEDGER_EINVAL when err is NULL). */
int ledger_err_prefix(ledger_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears err (if not NULL) to LEDGER_OK and an empty message. */
void ledger_err_clear(ledger_err_t *err);

/* Copies the code and message of a GS1 library error (gs1/gs1_error.h; its
 * codes are numerically LEDGER_E* codes) into err (if not NULL); returns
 * the code. */
struct gs1_err;
int ledger_err_gs1(ledger_err_t *err, const struct gs1_err *g);

/* A short static text for a code, e.g. "bad input". Never NULL. */
const char *ledger_strerror(int code);

#endif
