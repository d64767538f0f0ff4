/* ledger_jsonw.h -- a streaming JSON writer: a document written to a FILE
 * as it is produced, without building a tree first. A recall of ten
 * thousand shipments is tens of MB of JSON; building it as jansson values
 * took longer than computing it.
 *
 * The text is the same as jansson's json_dumpf with JSON_INDENT(2) and
 * JSON_REAL_PRECISION(real_digits) would write for the same values in the
 * same order: two spaces per level, "key": value, empty containers as {}
 * and [], strings escaped as jansson does (", \, control characters; '/'
 * and non-ASCII as they are), reals as "%.*g" with ".0" added when that
 * reads as an integer. So a program sees no difference between documents
 * keten writes this way and those it dumps from jansson.
 *
 * Usage: ledger_jsonw_init, then begin/end objects and arrays, a key before
 * each member of an object, values. Write errors stick: ledger_jsonw_done
 * reports them (LEDGER_EIO). Nesting deeper than LEDGER_JSONW_DEPTH or
 * unbalanced is a programming error: done reports LEDGER_EINVAL. */
#ifndef LEDGER_JSONW_H
#define LEDGER_JSONW_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "ledger_error.h"

#define LEDGER_JSONW_DEPTH 32

typedef struct ledger_jsonw {
    FILE *f;
    int digits;    /* precision of reals (1..17) */
    int depth;     /* open containers */
    int failed;    /* a write failed, or misuse */
    int after_key; /* a key was written: the value follows on its line */
    unsigned char members[LEDGER_JSONW_DEPTH]; /* the open containers have members */
    char close[LEDGER_JSONW_DEPTH];            /* and their closing brackets */
} ledger_jsonw_t;

/* Writes to f; reals with real_digits significant digits (0: 17). */
void ledger_jsonw_init(ledger_jsonw_t *w, FILE *f, int real_digits);

void ledger_jsonw_object(ledger_jsonw_t *w); /* { */
void ledger_jsonw_array(ledger_jsonw_t *w);  /* [ */
void ledger_jsonw_end(ledger_jsonw_t *w);    /* } or ] of the innermost */

/* The key of the next member of the innermost object. */
void ledger_jsonw_key(ledger_jsonw_t *w, const char *key);

void ledger_jsonw_str(ledger_jsonw_t *w, const char *s); /* NULL writes null */
void ledger_jsonw_int(ledger_jsonw_t *w, int64_t v);
void ledger_jsonw_real(ledger_jsonw_t *w, double v);
void ledger_jsonw_bool(ledger_jsonw_t *w, int v);
void ledger_jsonw_null(ledger_jsonw_t *w);
/* Any jansson value, as json_dumpf would write it at this place; NULL
 * writes null. */
void ledger_jsonw_value(ledger_jsonw_t *w, const json_t *v);

/* Shorthands: key and value. */
void ledger_jsonw_kstr(ledger_jsonw_t *w, const char *key, const char *s);
void ledger_jsonw_kint(ledger_jsonw_t *w, const char *key, int64_t v);

/* The digits jansson needs for v (the smallest precision from 1 to 17 that
 * reads back as v), at least have: a document's precision is the largest
 * over its reals (ledger_json_real_digits computes it over a tree). */
int ledger_jsonw_digits(double v, int have);

/* 0, LEDGER_EIO (message in err) when a write failed, LEDGER_EINVAL when
 * the writer was misused. Flushes f. */
int ledger_jsonw_done(ledger_jsonw_t *w, ledger_err_t *err);

#endif
