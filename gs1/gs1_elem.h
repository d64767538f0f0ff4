/* gs1_elem.h -- GS1 element strings: the bracketed form people write,
 * "(01)05412345000013(10)LOT42", and what barcode scanners send.
 *
 * Scanner output ("raw" element strings):
 *  - may start with a symbology identifier: ]C1 (GS1-128), ]e0 (GS1
 *    DataBar), ]e1 ]e2 (composite), ]d2 (GS1 DataMatrix), ]Q3 (GS1 QR Code),
 *    ]J1 (GS1 DotCode); or ]E0 / ]E4 (EAN-13 / UPC-A, EAN-8) and ]I1 (ITF-14),
 *    whose digits are a GTIN and become (01) padded to 14 digits;
 *  - then AIs and values back to back: an AI of predefined length (the
 *    dictionary's '*' flag: (01), (11), (3103), ...) is followed directly by
 *    the next AI; after any other AI's value, FNC1 separates it from the next
 *    AI.  FNC1 is sent as GS (0x1D); '^' is taken as FNC1 too (it is never
 *    in a GS1 character set; the GS1 syntax engine writes FNC1 that way).  A
 *    leading FNC1, and FNC1 after a predefined-length value, are tolerated.
 *
 * Every value is checked against the dictionary (gs1_ai_validate: length,
 * character set, check digits and the other linters), then the message as a
 * whole (gs1_ai_check_fields: repeated AIs agree, req=/ex= pairings unless
 * GS1_NO_PAIRS).  Errors are GS1_EINPUT with a message naming the
 * AI and the position, e.g. "AI (01): check digit is 3, expected 5".
 *
 * No allocation: results go into a caller-provided gs1_ai_list_t.
 */
#ifndef KETEN_GS1_ELEM_H
#define KETEN_GS1_ELEM_H

#include <stdbool.h>
#include <stddef.h>

#include "gs1_error.h"
#include "gs1_ai.h"

/* The FNC1 separator scanners send. */
#define GS1_ELEM_GS '\x1d'

/* Parses s[0..n) as a bracketed element string when it starts with '(',
 * else as a raw one.  flags: GS1_* (gs1_ai.h); UNKNOWN_AIS only
 * applies to the bracketed form.  On success out holds the fields in the
 * order given.  GS1_EINPUT on bad data (out is then unspecified),
 * GS1_ETOOBIG beyond 64 AIs. */
int gs1_elem_parse(const char *s, size_t n, unsigned flags, gs1_ai_list_t *out, gs1_err_t *err);

/* The two forms explicitly.  In the bracketed form a '(' inside a value is
 * written "\(". */
int gs1_elem_parse_bracketed(const char *s, size_t n, unsigned flags, gs1_ai_list_t *out,
                             gs1_err_t *err);
int gs1_elem_parse_raw(const char *s, size_t n, unsigned flags, gs1_ai_list_t *out, gs1_err_t *err);

/* Length of the symbology identifier at the start of s[0..n) ("]d2" -> 3),
 * or 0.  *gs1 (if not NULL) says whether it marks GS1 AI data (or a GTIN:
 * ]E0, ]E4, ]I1). */
size_t gs1_elem_symid(const char *s, size_t n, bool *gs1);

/* Writes the bracketed form "(01)...(10)..." of l into out (NUL-terminated).
 * 0, or GS1_ETOOBIG when cap is too small. */
int gs1_elem_bracketed(const gs1_ai_list_t *l, char *out, size_t cap, gs1_err_t *err);

/* gs1_elem_raw() options */
enum {
    GS1_ELEM_LEADING_FNC1 = 1, /* start with fnc1 (FNC1 in first position) */
    GS1_ELEM_FIXED_FIRST = 2   /* predefined-length AIs first, then the others in order
                                     (fewer separators, as encoders do) */
};

/* Writes the raw form: each AI and value, with fnc1 (GS1_ELEM_GS, or '^'
 * for the syntax engine's notation) after every value of an AI without
 * predefined length except the last; opts: GS1_ELEM_*.  0 or
 * GS1_ETOOBIG. */
int gs1_elem_raw(const gs1_ai_list_t *l, char fnc1, unsigned opts, char *out, size_t cap,
                 gs1_err_t *err);

#endif
