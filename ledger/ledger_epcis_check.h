/* ledger_epcis_check.h -- the EPCIS 2.0 rules for one event, and the small
 * text helpers (date-times, CBV values, quoting) that ledger_epcis.c shares
 * with them. Internal to the ledger_epcis module: the public contract is
 * ledger_epcis.h; nothing outside ledger/ledger_epcis*.c includes this file.
 *
 * The rules follow the EPCIS 2.0 JSON Schema
 * (../shared/conformance/epcis-schema/EPCIS-JSON-Schema.json) per event type:
 * required members, allowed members, value types, the CBV vocabularies, and
 * the rule that any member name outside the standard's list must be a
 * namespaced name or IRI ("ex:foo", "https://example.com/foo"). Where the
 * schema says "additionalProperties": false (quantity elements, business
 * transactions, sources, destinations, persistentDisposition) no extra member
 * at all is accepted.
 */
#ifndef LEDGER_EPCIS_CHECK_H
#define LEDGER_EPCIS_CHECK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger_error.h"

/* Where an event sits, for messages: "<source>: event <index>" when where is
 * NULL, else where itself ("doc.jsonld: event 3"). index < 0 and where NULL
 * gives "event". The message is only formatted when something is wrong. */
typedef struct ledger_epcis__where {
    const char *where;
    const char *source;
    long index;
} ledger_epcis__where_t;

/* Checks event against the rules above and its compact JSON size against
 * LEDGER_EPCIS_EVENT_MAX. shared_ctx, when not NULL, is a "@context" value
 * the event may hold (the document's, shared by every event) and
 * shared_ctx_size its compact JSON size, so that it is measured once per
 * document and not once per event. 0 or LEDGER_EINPUT with a message
 * "<where>: <field path>: <what is wrong>". */
int ledger_epcis__check_event(const json_t *event, const ledger_epcis__where_t *w,
                              const json_t *shared_ctx, size_t shared_ctx_size, ledger_err_t *err);

/* Checks the members of a whole EPCISDocument (query 0) or
 * EPCISQueryDocument (query 1) other than the events themselves: required
 * members, their types, the body down to an "eventList" array. 0 or
 * LEDGER_EINPUT with a message "<source>: <path>: <what is wrong>". */
int ledger_epcis__check_document(const json_t *root, int query, const char *source,
                                 ledger_err_t *err);

/* Checks a JSON-LD "@context" value: an IRI string, an object, or an array
 * of those. 0 or -1; *why (if not NULL) gets a static reason. */
int ledger_epcis__check_context(const json_t *ctx, const char **why);

/* Parses an RFC 3339 / xsd:dateTime with a time zone ("Z" or "+hh:mm")
 * into milliseconds since 1970-01-01T00:00:00Z (fraction truncated to ms).
 * 0, or -1 with *why (if not NULL) a static reason. */
int ledger_epcis__time_ms(const char *s, int64_t *ms, const char **why);

/* 1 when s is syntactically an absolute URI / IRI: a scheme (a letter, then
 * letters, digits, "+", "-", "."), ":", at least one more character, and no
 * space, control character or any of "<>\"\\^`{|}". 0 otherwise. */
int ledger_epcis__is_uri(const char *s);

/* 1 when url is one of the standard EPCIS 2.0 JSON-LD context URLs. */
int ledger_epcis__is_std_context(const char *url);

/* Parses JSON text like json_loadb(buf, len, JSON_DECODE_ANY, NULL), only
 * faster; NULL when the text is not JSON or the reader declines (out of
 * memory): then json_loadb gives the answer and the error message. Defined
 * in ledger_epcis.c. */
json_t *ledger_epcis__json_load(const char *buf, size_t len);

/* Upper bound of what a JSON value adds to a compact dump: at least the true
 * size divided by 6 (control characters in strings escape to six bytes),
 * see ledger_epcis_check.c. */
size_t ledger_epcis__size_estimate(const json_t *v);

/* Writes s quoted as a JSON string into out (NUL-terminated), control
 * characters escaped, shortened with "..." past max_chars bytes (cut on a
 * UTF-8 boundary). Returns out. */
char *ledger_epcis__quote(const char *s, size_t max_chars, char *out, size_t out_len);

/* See ledger_epcis_cbv_short in ledger_epcis.h. */
void ledger_epcis__cbv_short(const char *value, char *out, size_t len);

#endif
