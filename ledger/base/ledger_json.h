/* ledger_json.h -- a fast reader of JSON text into jansson values, with a
 * streaming mode for big documents.
 *
 * jansson's json_loadb reads about 50 MB/s here (10 us for a 460-byte EPCIS
 * event), more than the whole import budget of an event. This reader builds
 * the same jansson values from the same text about five times faster. It
 * only has to be right on good input: on anything it does not accept it
 * returns NULL (or declines, below), and the caller reads the text again
 * with json_loadb, whose result and error message (line, column) are the
 * authority. On every text it accepts, json_loadb(JSON_DECODE_ANY) accepts
 * it too and builds an equal value (json_equal); and it accepts every text
 * that json_loadb(JSON_DECODE_ANY) accepts, except texts with a NUL byte
 * (jansson lets one pass right after a number) and what fails for lack of
 * memory. tests/fuzz/fuzz_epcis.c checks this on random input.
 *
 * Like json_loadb: any JSON value at the top, objects with a member name
 * given twice keep the last value, nesting deeper than 2048 levels is
 * refused, integers must fit in json_int_t and reals in a double, strings
 * must be UTF-8 without "\u0000". Unlike json_loadb it has no error message:
 * that is what the fallback is for.
 *
 * Streaming (ledger_json_load_skeleton, ledger_json_array_foreach): a big
 * document is read first without the big arrays at the places the caller
 * names (each left as an empty array in the skeleton, its text noted), then
 * the elements of such an array are read and handed out one at a time, so
 * that only one element is in memory at once.
 */
#ifndef LEDGER_JSON_H
#define LEDGER_JSON_H

#include <jansson.h>
#include <stddef.h>

/* Parses buf[0..len) like json_loadb(buf, len, JSON_DECODE_ANY, NULL), only
 * faster. Returns a new reference, or NULL when the text is not JSON, is
 * not to the reader's taste (see above) or memory runs out: then json_loadb
 * gives the answer and the error message. buf may be NULL only when len is 0
 * (the answer is then NULL). */
json_t *ledger_json_load(const char *buf, size_t len);

/* Most places ledger_json_load_skeleton leaves out. */
#define LEDGER_JSON_SKIP_MAX 8

/* Where the text of an array left out of a skeleton is: start at its "[",
 * end just past its "]" (both NULL when there was no array at that place),
 * and depth, the nesting depth of its elements (the array itself is at
 * depth - 1, the top-level value at 1), which ledger_json_array_foreach
 * needs to apply jansson's depth limit as a whole-text reading would. The
 * pointers point into the text given to ledger_json_load_skeleton and are
 * valid as long as it is. */
typedef struct ledger_json_span {
    const char *start, *end;
    int depth;
} ledger_json_span_t;

/* Reads buf[0..len) like ledger_json_load, except that an array found at
 * one of the places named in paths is not read: it appears in the result as
 * an empty array, and spans[i] tells where the text of the one at paths[i]
 * is. A place is a NULL-terminated list of member names from the top-level
 * value: {"epcisBody", "eventList", NULL} is root.epcisBody.eventList, and
 * {NULL} the top-level value itself (left out when it is an array). Only
 * arrays are left out; any other value at such a place is read as usual.
 * When a place occurs more than once (a member name given twice) spans[i]
 * names the last one, like the value that stays in the object.
 *
 * The text of a left-out array is only checked structurally (brackets and
 * strings balance); its elements are checked when ledger_json_array_foreach
 * reads them. Returns a new reference, or NULL as ledger_json_load does (and
 * when npaths is 0 or over LEDGER_JSON_SKIP_MAX, or paths or spans is NULL).
 * spans[0..npaths) are set in every case (start NULL when not found; only
 * the first LEDGER_JSON_SKIP_MAX when npaths is over it). */
json_t *ledger_json_load_skeleton(const char *buf, size_t len, const char *const *const *paths,
                                  size_t npaths, ledger_json_span_t *spans);

/* Called with each element of an array in turn (v borrowed: valid during the
 * call; json_incref it to keep it), index counting from 0. Returns 0 to go
 * on or a negative code to stop. */
typedef int (*ledger_json_element_cb)(json_t *v, size_t index, void *ctx);

/* Reads the elements of the array whose text span gives (from
 * ledger_json_load_skeleton), one at a time, each freed after fn has seen
 * it. *count (if not NULL) gets the number of elements fn accepted.
 * Returns:
 *   0   the whole array was read and every element handed to fn;
 *   < 0 the code fn returned to stop (after *count elements);
 *   1   the reader declines at element *count (not JSON, not to its taste,
 *       or out of memory): the elements before it were handed to fn, and
 *       the caller reads the text again another way to know why. */
int ledger_json_array_foreach(const ledger_json_span_t *span, ledger_json_element_cb fn, void *ctx,
                              size_t *count);
/* The same; *at (when at is not NULL) is set, before fn sees an element, to
 * the end of that element's text: what comes before it is read, the rest
 * not yet (a caller reading a mapped file may let go of the pages behind). */
int ledger_json_array_foreach_at(const ledger_json_span_t *span, ledger_json_element_cb fn,
                                 void *ctx, size_t *count, const char **at);

/* A cheap estimate of the size of v in a compact dump (json_dumpb(v, NULL,
 * 0, JSON_COMPACT)), counting a member's name with its quotes, colon and
 * comma: the true size is at most 6 times the estimate (control characters
 * in strings escape to six bytes each). For a size check that dumps only
 * values that may be over the limit. */
size_t ledger_json_size_estimate(const json_t *v);

/* The fewest significant digits (15, 16 or 17) with which every real number
 * in v prints back to exactly the same double: for json_dumps'
 * JSON_REAL_PRECISION, so that 182.4 prints as 182.4, not 182.40000000000001,
 * and no value changes on the way out. */
int ledger_json_real_digits(const json_t *v);

/* The length (1-4) of the well-formed UTF-8 character (RFC 3629) at p, of
 * which avail bytes are there; 0 when it is not well formed or cut short. */
size_t ledger_json_utf8_char(const unsigned char *p, size_t avail);

#endif
