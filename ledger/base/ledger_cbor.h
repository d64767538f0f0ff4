/* ledger_cbor.h -- deterministic CBOR (RFC 8949 section 4.2.1) for keten's
 * canonical bytes: entry headers, stored entries and event payloads.
 *
 * Writing uses libcbor's encoders; every value takes its shortest form,
 * lengths are definite, map keys are sorted by their encoded bytes (for text
 * keys: shorter first, then bytewise), floats take the shortest of
 * half/single/double that holds the value exactly. JSON maps onto CBOR as:
 * object -> map with text keys, array -> array, string -> text, integer ->
 * unsigned/negative integer, real -> float, true/false/null -> simple values.
 *
 * Reading is strict: a reader accepts only the bytes this writer would have
 * produced (shortest integers, definite lengths, sorted unique keys, no tags,
 * valid UTF-8), so that one value has exactly one encoding and a hash over
 * the bytes is a hash over the value. Anything else is LEDGER_EINPUT with the
 * byte offset.
 */
#ifndef LEDGER_CBOR_H
#define LEDGER_CBOR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger_buf.h"
#include "ledger_error.h"

/* Deepest nesting of arrays/maps the reader accepts. */
#define LEDGER_CBOR_MAX_DEPTH 64

/* Writers: append one item (or an array header) to b. 0 or LEDGER_ENOMEM. */
int ledger_cbor_put_uint(ledger_buf_t *b, uint64_t v);
int ledger_cbor_put_bytes(ledger_buf_t *b, const void *p, size_t n);
int ledger_cbor_put_text(ledger_buf_t *b, const char *s, size_t n);
int ledger_cbor_put_array(ledger_buf_t *b, size_t n);
int ledger_cbor_put_null(ledger_buf_t *b);

/* Appends the deterministic CBOR of the JSON value v to out.
 * 0, LEDGER_ENOMEM, or LEDGER_EINPUT for a value JSON cannot hold (NaN). */
int ledger_cbor_from_json(const json_t *v, ledger_buf_t *out, ledger_err_t *err);

/* A strict reader over p[0..n): each get consumes one item from off on. */
typedef struct ledger_cbor_reader {
    const uint8_t *p;
    size_t n;
    size_t off;
} ledger_cbor_reader_t;

static inline void ledger_cbor_reader_init(ledger_cbor_reader_t *r, const void *p, size_t n)
{
    r->p = (const uint8_t *)p;
    r->n = n;
    r->off = 0;
}

/* Each returns 0 and the item, or LEDGER_EINPUT (wrong type, non-shortest
 * form, truncated) leaving off unchanged. Byte strings are returned as a
 * pointer into the reader's bytes. */
int ledger_cbor_get_uint(ledger_cbor_reader_t *r, uint64_t *v, ledger_err_t *err);
int ledger_cbor_get_bytes(ledger_cbor_reader_t *r, const uint8_t **p, size_t *n, ledger_err_t *err);
int ledger_cbor_get_array(ledger_cbor_reader_t *r, size_t *n, ledger_err_t *err);
/* 1 and consumes the item when the next item is null, 0 when it is not. */
int ledger_cbor_take_null(ledger_cbor_reader_t *r);

/* Reads one JSON-compatible item (as written by ledger_cbor_from_json) into a
 * new JSON value *out (caller owns a reference). Strict as above. */
int ledger_cbor_get_json(ledger_cbor_reader_t *r, json_t **out, ledger_err_t *err);

/* Decodes p[0..n) as exactly one JSON-compatible item (no trailing bytes). */
int ledger_cbor_to_json(const uint8_t *p, size_t n, json_t **out, ledger_err_t *err);

#endif
