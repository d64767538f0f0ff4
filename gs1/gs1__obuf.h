/* gs1__obuf.h -- the bounded text buffer that gs1_dl.c (Digital Link
 * URIs) and gs1_elem.c (element strings) write their output into.  Only
 * those two files include it; it is not installed.
 *
 * How it works: the caller hands in its array (p, cap); obuf_put() appends
 * and keeps the text NUL-terminated, and once a write does not fit it sets
 * `over` and ignores every later write, so the builders write without
 * checking and look once at the end with obuf_finish().
 */
#ifndef KETEN_GS1__OBUF_H
#define KETEN_GS1__OBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "gs1_error.h"

/* Initialise as {out, cap, 0, cap == 0}: a zero-sized buffer is over at
 * once. */
typedef struct {
    char *p;
    size_t cap, len;
    bool over;
} obuf_t;

/* Appends s[0..n) (and a NUL) if it fits with its NUL, else marks b over. */
static inline void obuf_put(obuf_t *b, const char *s, size_t n)
{
    if (b->over || n >= b->cap - b->len) {
        b->over = true;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* 0, or when b is over: empties the output (if it has room for the NUL) and
 * returns GS1_ETOOBIG with "<what> does not fit in <cap> bytes". */
static inline int obuf_finish(obuf_t *b, const char *what, gs1_err_t *err)
{
    if (b->over) {
        if (b->cap)
            b->p[0] = '\0';
        return gs1_err_set(err, GS1_ETOOBIG, "%s does not fit in %zu bytes", what, b->cap);
    }
    return 0;
}

#endif
