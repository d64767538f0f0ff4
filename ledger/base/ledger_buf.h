/* ledger_buf.h -- a growable byte buffer, the one used wherever keten builds
 * bytes (canonical encodings, entries, frames).
 *
 * Ownership: the buffer owns data; ledger_buf_free releases it. After an
 * allocation failure the buffer keeps what it had and the call returns
 * LEDGER_ENOMEM. */
#ifndef LEDGER_BUF_H
#define LEDGER_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct ledger_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} ledger_buf_t;

#define LEDGER_BUF_INIT                                                                            \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Makes room for at least extra more bytes. 0 or LEDGER_ENOMEM. */
int ledger_buf_reserve(ledger_buf_t *b, size_t extra);

/* Appends n bytes. 0 or LEDGER_ENOMEM. */
int ledger_buf_append(ledger_buf_t *b, const void *p, size_t n);

/* Empties the buffer, keeping its memory. */
static inline void ledger_buf_reset(ledger_buf_t *b)
{
    b->len = 0;
}

/* Releases the memory; the buffer is empty and reusable afterwards. */
void ledger_buf_free(ledger_buf_t *b);

#endif
