/* ledger_buf.c -- growable byte buffer (see ledger_buf.h). Doubles its
 * capacity so that appends are amortised O(1). */
#include "ledger_buf.h"

#include <stdlib.h>
#include <string.h>

#include "ledger_error.h"

int ledger_buf_reserve(ledger_buf_t *b, size_t extra)
{
    size_t need, cap;
    uint8_t *p;

    if (extra > SIZE_MAX - b->len)
        return LEDGER_ENOMEM;
    need = b->len + extra;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc(b->data, cap);
    if (!p)
        return LEDGER_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ledger_buf_append(ledger_buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (ledger_buf_reserve(b, n))
        return LEDGER_ENOMEM;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

void ledger_buf_free(ledger_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
