/* reader__backend.h -- private contract between reader.c and its backends.
 *
 * Each backend (reader_nfc.c, reader_qr.c, reader_line.c, reader_replay.c)
 * exports one const reader_backend_t.  reader.c picks it by the URI scheme,
 * calls open() with the part after "<scheme>:", and forwards poll/close.
 * The backend's state is its own opaque struct behind `void *`.
 */
#ifndef KETEN_READER__BACKEND_H
#define KETEN_READER__BACKEND_H

#include "reader.h"

typedef struct {
    const char *scheme; /* "nfc", "qr", "line", "replay" */
    /* arg: the URI after "scheme:" (may be ""); *state receives the backend's handle. */
    int (*open)(void **state, const char *arg, ledger_err_t *err);
    /* Same contract as reader_poll(); out is already cleared. */
    int (*poll)(void *state, int timeout_ms, reader_read_t *out, ledger_err_t *err);
    void (*close)(void *state);
} reader_backend_t;

extern const reader_backend_t reader_backend_nfc;
extern const reader_backend_t reader_backend_qr;
extern const reader_backend_t reader_backend_line;
extern const reader_backend_t reader_backend_replay;
extern const reader_backend_t reader_backend_llrp;

/* Helpers for backends (reader_backend.c): strdup into a read's fields, 0
 * or LEDGER_ENOMEM; the wall clock in ms. */
int reader__set(char **field, const char *s, size_t n, ledger_err_t *err);
int64_t reader__now_ms(void);

#endif
