/* ledger__epcis.h -- internals of the ledger_epcis module: the EPCIS 2.0
 * rules for one event (ledger_epcis_check.c) and the small text rules
 * (ledger_epcis_text.c: date-times, URIs, contexts, quoting) that the files
 * of the module share. Not a public contract: the public one is
 * ledger_epcis.h (with ledger_epcis_export.h); only ledger/ledger_epcis*.c
 * include this file.
 *
 * The module's files: ledger_epcis.c reads documents and answers questions
 * about events; ledger_epcis_check.c checks events and documents against the
 * standard; ledger_epcis_xml.c reads the XML binding (libxml2);
 * ledger_epcis_text.c holds the text rules below;
 * ledger_epcis_export.c writes documents, ledger_epcis_binding.c gives an
 * event the form of the JSON binding for them, ledger_epcis_context.c
 * takes repeated items out of a "@context". They use two modules of their own:
 * ledger_json.h (the fast JSON reader) and ledger_cbv.h (the vocabularies).
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
#ifndef LEDGER__EPCIS_H
#define LEDGER__EPCIS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger_error.h"

/* ---- ledger_epcis_check.c ---- */

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

/* ---- ledger_epcis_xml.c ---- */

/* The XML binding of ledger_epcis_doc_foreach_opts (ledger_epcis.h), which
 * hands it every input whose first byte after a byte order mark and white
 * space is '<': an EPCIS 2.0 or 1.x EPCISDocument or EPCISQueryDocument
 * read with libxml2's xmlTextReader, one event in memory at a time, each
 * event mapped to the JSON-LD model (EPCIS 1.x brought to 2.0), made
 * self-contained (a "@context" binding the prefixes of its user
 * extensions) and checked by ledger_epcis__check_event, then handed to fn
 * as ledger_epcis_doc_foreach does (borrowed during the call).  The events
 * are always checked, flags or not (LEDGER_EPCIS_UNCHECKED is ignored), so
 * that every message names the line.  The mapping rules and the limits
 * are at the top of ledger_epcis_xml.c and in docs/xml.md.
 *
 * 0 and *count (if not NULL) events handed out; fn's code when it stops;
 * LEDGER_EINPUT with "<source>: line L, column C: [event N (Type): ]
 * [element PATH: ]what" for malformed XML, a DTD, a root element that is
 * not an EPCIS document of a known namespace, an unknown event type, an
 * element where the standard has none, a bad date, quantity or number, an
 * event over LEDGER_EPCIS_EVENT_MAX bytes or nested over 48 elements, and
 * for what the JSON-LD checks refuse ("<source>: line L, column C: event N:
 * <field path>: ..."); LEDGER_ENOMEM.  Not all or nothing (as
 * ledger_epcis_doc_foreach). */
int ledger_epcis__xml_foreach(const char *buf, size_t len, const char *source, unsigned flags,
                              int (*fn)(json_t *event, size_t index, void *ctx), void *fn_ctx,
                              size_t *count, ledger_err_t *err);

/* ---- ledger_epcis_text.c ---- */

/* Checks a JSON-LD "@context" value: an IRI string, an object, or an array
 * of those. 0 or -1; *why (if not NULL) gets a static reason. */
int ledger_epcis__check_context(const json_t *ctx, const char **why);

/* 1 when url is one of the standard EPCIS 2.0 JSON-LD context URLs. */
int ledger_epcis__is_std_context(const char *url);

/* A "@context" value without the object items that repeat an earlier equal
 * item with nothing in between defining any of their terms (redundant in
 * JSON-LD; GS1's JSON Schema wants the items unique): a new array, or a new
 * reference to ctx itself when nothing repeats. NULL: out of memory.
 * (ledger_epcis_context.c) */
json_t *ledger_epcis__context_unique(json_t *ctx);

/* ledger_epcis_time_ms (the date-time rule) is public: ledger_epcis.h. */

/* 1 when s is syntactically an absolute URI / IRI: a scheme (a letter, then
 * letters, digits, "+", "-", "."), ":", at least one more character, and no
 * space, control character or any of "<>\"\\^`{|}". 0 otherwise. */
int ledger_epcis__is_uri(const char *s);

/* Writes s quoted as a JSON string into out (NUL-terminated), control
 * characters escaped, shortened with "..." past max_chars bytes (cut on a
 * UTF-8 boundary). Returns out. */
char *ledger_epcis__quote(const char *s, size_t max_chars, char *out, size_t out_len);

/* Where an event is, for messages: w->where, or "SOURCE: event N", or
 * SOURCE ("input" when none), or "event" when w is NULL. */
void ledger_epcis__format_where(const ledger_epcis__where_t *w, char *out, size_t len);

/* Sets *err to "<where>: <path>: <text>" (the form of every message of the
 * event checks) and returns LEDGER_EINPUT; err may be NULL. */
__attribute__((format(printf, 4, 5))) int
ledger_epcis__fail_at(const ledger_epcis__where_t *w, const char *path, ledger_err_t *err,
                      const char *fmt, ...);

/* keten's garment ILMD (namespace https://keten.dev/ns/garment#, under any
 * prefix the event's @context binds to it, or "garment:" unbound), in the
 * event's ilmd and among its own members: maxWashCycles a whole number from
 * 1 to 1000000, recycledContent a number from 0 to 100, fibreComposition a
 * text whose "N%" add up to 100 or an object {fibre: percent above 0} that
 * adds up to 100 (both within 0.5), madeIn and manufacturer strings
 * (docs/trace.md). 0, or LEDGER_EINPUT naming the event and the member. */
int ledger_epcis__check_garment(const json_t *event, const ledger_epcis__where_t *w,
                                ledger_err_t *err);

#endif
