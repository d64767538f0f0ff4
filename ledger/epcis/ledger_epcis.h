/* ledger_epcis.h -- EPCIS 2.0 JSON-LD in and out: read a document in any of
 * its shapes, check every event against the standard, tell the ledger what to
 * index, and write events back out as an EPCISDocument.
 *
 * Shapes read: an EPCISDocument (epcisBody.eventList), an EPCISQueryDocument
 * (epcisBody.queryResults.resultsBody.eventList), a JSON array of events, and
 * one event object. Input whose first byte (after a UTF-8 byte order mark
 * and white space) is '<' is EPCIS XML instead: an EPCISDocument or
 * EPCISQueryDocument of EPCIS 2.0 or 1.x, whose events are mapped to the
 * same JSON-LD model (EPCIS 1.x brought to 2.0) and checked by the same
 * rules (ledger_epcis_xml.c, docs/xml.md); its messages name line and
 * column ("doc.xml: line 12, column 24: event 3 (ObjectEvent): element
 * ObjectEvent/eventTime: ..."). The XML reader always checks its events,
 * LEDGER_EPCIS_UNCHECKED or not. All five event types with every field of the standard;
 * CBV values in any legal form (bare word "shipping", "cbv:BizStep-shipping",
 * "urn:epcglobal:cbv:bizstep:shipping", "https://ref.gs1.org/cbv/BizStep-
 * shipping"); extension fields of other namespaces are kept as they are.
 *
 * Each event handed out is self-contained: when the document's @context
 * defines namespace prefixes (anything beyond the standard EPCIS context
 * URL), the event carries a copy of that "@context" member, so that it can be
 * stored alone, hashed alone (ledger_evhash.h) and exported again.
 *
 * Out: ledger_epcis_export.h (include it too) writes events back as an
 * EPCISDocument, with their members in the standard order
 * (ledger_epcis_ordered).
 */
#ifndef LEDGER_EPCIS_H
#define LEDGER_EPCIS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ledger_error.h"

/* Largest event accepted, in bytes of its compact JSON form. */
#define LEDGER_EPCIS_EVENT_MAX (1024 * 1024)

typedef struct ledger_epcis_doc ledger_epcis_doc_t;

/* Parses and checks a whole document held in buf[0..len). source names the
 * input in messages ("doc.jsonld", "-" for stdin).
 *
 * Every event is checked: a known type, eventTime and eventTimeZoneOffset
 * well formed, action where the type needs it, identifiers (EPC URNs,
 * Digital Link URIs) well formed, quantities numbers, CBV values legal, text
 * valid UTF-8, no event over LEDGER_EPCIS_EVENT_MAX. On the first bad event
 * it returns LEDGER_EINPUT and a message naming source, the event's index
 * (0-based, "event 41") and the field ("epcList[2]"), and *out is NULL: a
 * document is good as a whole or not at all.
 * On success *out owns the parsed events; free with ledger_epcis_doc_free. */
int ledger_epcis_doc_parse(const char *buf, size_t len, const char *source,
                           ledger_epcis_doc_t **out, ledger_err_t *err);
/* Details (ledger_epcis author): member names outside the standard's lists
 * must be namespaced ("ex:foo") or full IRIs, as the JSON Schema says; their
 * values are kept untouched. An EPCISDocument needs @context, schemaVersion,
 * creationDate and epcisBody.eventList (JSON Schema); an array of events or
 * one event may go without @context (the standard context is implied). A
 * member name given twice in one object: the last one counts (as in jansson;
 * a GS1 example has a doubled eventID). A UTF-8 byte order mark is skipped.
 * The events of one document share one "@context" json_t: do not modify it.
 * LEDGER_EINVAL when out is NULL, LEDGER_ENOMEM. */

/* Added by the ledger_epcis author: the streaming form of
 * ledger_epcis_doc_parse, for big documents. The same reading and checks, but
 * only one event is in memory at a time (plus the document without its
 * events): each event, self-contained and checked, is handed to fn (borrowed:
 * valid during the call; json_incref it to keep it) with its index, in
 * document order. fn returns 0 to go on or a negative code to stop, which is
 * then returned. fn may be NULL: only check. *count (if not NULL) gets the
 * number of events checked and handed to fn.
 *
 * Unlike ledger_epcis_doc_parse it is not all or nothing: on the first bad
 * event it returns LEDGER_EINPUT with the same message, after fn has seen
 * the events before it. A caller that wants all or nothing either calls it
 * first with fn NULL, or undoes what fn did (e.g. aborts its transaction).
 * A document that does not read as JSON gives jansson's message, as from
 * ledger_epcis_doc_parse (then the whole document is read into memory once).
 *
 * Costs about 2.5 us per ordinary ObjectEvent (read + check) and a fixed
 * amount of memory, where ledger_epcis_doc_parse holds about 3 KiB of jansson
 * values per event (and, in a fresh process, pays for that memory in page
 * faults: 6 to 9 us per event measured for 100,000 events). */
typedef int (*ledger_epcis_event_cb)(json_t *event, size_t index, void *ctx);
int ledger_epcis_doc_foreach(const char *buf, size_t len, const char *source,
                             ledger_epcis_event_cb fn, void *ctx, size_t *count, ledger_err_t *err);

/* ledger_epcis_doc_foreach with flags. LEDGER_EPCIS_UNCHECKED: the document
 * is read and checked as a document, each event made self-contained, but
 * the events themselves are not checked: fn gets them as written, and the
 * caller must check each one (ledger_epcis_event_check_memo, with the same
 * rules and messages) before it relies on it.  For a caller that checks
 * where the event is used anyway: `keten record` has the store check each
 * event on the thread that computes its event hash, so that every
 * identifier is read once (the check's GS1 readings stay in that thread's
 * memo for the hash and the index keys). *count then counts events handed
 * to fn. */
enum { LEDGER_EPCIS_UNCHECKED = 1 };
int ledger_epcis_doc_foreach_opts(const char *buf, size_t len, const char *source,
                                  unsigned flags, ledger_epcis_event_cb fn, void *ctx,
                                  size_t *count, ledger_err_t *err);
/* ledger_epcis_doc_foreach_opts that also sets *at, before fn sees an
 * event, to the end of the text read so far (JSON-LD read in one pass: the
 * event's end; left as it is otherwise, e.g. for XML), so that a caller
 * reading a mapped file can let go of the pages behind it. */
int ledger_epcis_doc_foreach_at(const char *buf, size_t len, const char *source, unsigned flags,
                                ledger_epcis_event_cb fn, void *fn_ctx, size_t *count,
                                const char **at, ledger_err_t *err);

/* Number of events in the document. */
size_t ledger_epcis_doc_count(const ledger_epcis_doc_t *doc);

/* Event i (0-based), self-contained as described above. Borrowed: valid until
 * ledger_epcis_doc_free. */
json_t *ledger_epcis_doc_event(const ledger_epcis_doc_t *doc, size_t i);

/* The JSON-LD context in force for the events (borrowed, may be NULL): the
 * document's "@context"; for one event, its own; NULL for an array. */
const json_t *ledger_epcis_doc_context(const ledger_epcis_doc_t *doc);

void ledger_epcis_doc_free(ledger_epcis_doc_t *doc);

/* Checks one event object alone (as ledger_epcis_doc_parse does for each).
 * where prefixes the message, e.g. "doc.jsonld: event 3". */
int ledger_epcis_event_check(const json_t *event, const char *where, ledger_err_t *err);

/* ledger_epcis_event_check for a run of events that may share one
 * "@context" json_t (the events of one document handed over by
 * ledger_epcis_doc_foreach_opts): *memo remembers the last such value that
 * was checked whole and its compact size, so that it is checked and
 * measured once, not once per event.  The answers and messages are those
 * of ledger_epcis_event_check.  A zeroed memo is empty.  The caller keeps
 * every remembered value alive and unchanged while the memo is in use
 * (events hold it, so: zero the memo whenever the events it saw may have
 * been freed). */
typedef struct ledger_epcis_ctx_memo {
    const json_t *ctx; /* borrowed; NULL: empty */
    size_t size;       /* its compact JSON size */
} ledger_epcis_ctx_memo_t;
int ledger_epcis_event_check_memo(const json_t *event, const char *where,
                                  ledger_epcis_ctx_memo_t *memo, ledger_err_t *err);

/* What the ledger needs to know of a checked event to store and index it.
 * Strings are borrowed from the event (or static) and live as long as it. */
typedef struct ledger_epcis_info {
    const char *type;         /* "ObjectEvent", ... */
    const char *action;       /* "ADD" / "OBSERVE" / "DELETE" or NULL */
    const char *event_id;     /* the event's own eventID member, or NULL */
    int64_t event_time_ms;    /* eventTime in ms since 1970-01-01T00:00:00Z */
    const char *biz_step;     /* as written in the event, or NULL */
    const char *disposition;  /* as written, or NULL */
    const char *read_point;   /* readPoint.id or NULL */
    const char *biz_location; /* bizLocation.id or NULL */
    int error_declaration;    /* 1 when the event carries errorDeclaration: EPCIS 2.0
                                 restates the erroneous event with the same eventID
                                 (and event hash) plus errorDeclaration */
} ledger_epcis_info_t;

/* Fills *info from a checked event. 0 or LEDGER_EINPUT. */
int ledger_epcis_info(const json_t *event, ledger_epcis_info_t *info, ledger_err_t *err);

/* Parses an RFC 3339 / xsd:dateTime with a time zone ("Z" or "+hh:mm"),
 * as EPCIS 2.0 writes eventTime, into milliseconds since
 * 1970-01-01T00:00:00Z (fraction truncated to ms; ms may be NULL: a check
 * only). 0, or -1 with *why (if not NULL) a static reason. Reads s only
 * (ledger_epcis_text.c). */
int ledger_epcis_time_ms(const char *s, int64_t *ms, const char **why);

/* The short CBV word for a bizStep/disposition in any of its forms
 * ("urn:epcglobal:cbv:bizstep:shipping" -> "shipping"); value itself when it
 * is not a CBV value. Writes into out (NUL-terminated, truncated to len). */
void ledger_epcis_cbv_short(const char *value, char *out, size_t len);

/* The namespace IRI that the event's own "@context" (an object, or an
 * array of strings and objects) binds to prefix, or NULL. Borrowed from
 * event. */
const char *ledger_epcis_context_ns(const json_t *event, const char *prefix);

/* Roles in which an identifier appears in an event. */
enum ledger_epcis_role {
    LEDGER_ROLE_EPC = 1,    /* epcList */
    LEDGER_ROLE_CLASS = 2,  /* quantityList[].epcClass */
    LEDGER_ROLE_PARENT = 3, /* parentID */
    LEDGER_ROLE_CHILD = 4,  /* childEPCs, childQuantityList[].epcClass */
    LEDGER_ROLE_INPUT = 5,  /* inputEPCList, inputQuantityList[].epcClass */
    LEDGER_ROLE_OUTPUT = 6, /* outputEPCList, outputQuantityList[].epcClass */
    LEDGER_ROLE_SOURCE = 7, /* sourceList[].source */
    LEDGER_ROLE_DEST = 8,   /* destinationList[].destination */
    /* 9 is the trace's "carried" (LEDGER_TRACE_ROLE_CARRIED) */
    LEDGER_ROLE_LOT = 10, /* the lot (LGTIN) that the event's ILMD lotNumber gives its instances
                             (epcList of an ObjectEvent, outputEPCList of a TransformationEvent):
                             in the index and the cards, never in ledger_epcis_identifiers */
};

/* Longest identifier key (ledger_ident_key), with the NUL. */
#define LEDGER_IDENT_KEY_MAX 4097

/* The one canonical key of an identifier: the key the store indexes it by,
 * byte for byte the key `keten decode` prints (gs1_ident_key of gs1/, the
 * one set of GS1 rules): the constrained canonical Digital Link of a GS1
 * identifier in any form, any other URI as written.  0 and out (cap bytes,
 * LEDGER_IDENT_KEY_MAX are enough), or LEDGER_EINPUT with gs1's message
 * ("Digital Link: AI (01): check digit is 8, expected 2"), LEDGER_ETOOBIG. */
int ledger_ident_key(const char *id, char *out, size_t cap, ledger_err_t *err);

/* An identifier on its way into the ledger's queries: read once, at the
 * edge (a command's argument, a test, a benchmark), by ledger_key_read,
 * and handed down as this type; no query reads its text again.
 *   text   the one canonical key (ledger_ident_key)
 *   lot    the lot (LGTIN key) the identifier names next to its serial, as
 *          a printed label's Digital Link /01/<GTIN>/10/<lot>/21/<serial>
 *          or element string (01)(10)(21) does (the key drops the lot);
 *          "" when none
 *   given  what was read (for messages; not owned: it must outlive the key)
 *   gs1    1 for a GS1 or EPC identifier, 0 for another URI (an event ID,
 *          urn:uuid:..., FEED:SEQ), which is its own key
 * Owned by the caller; about 4 KB. */
#define LEDGER_KEY_LOT_MAX 128
typedef struct ledger_key {
    char text[LEDGER_IDENT_KEY_MAX];
    char lot[LEDGER_KEY_LOT_MAX];
    const char *given;
    int gs1;
} ledger_key_t;

/* Reads id, in any form gs1_ident reads (Digital Link on any domain, EPC
 * URN, tag URN, EPC hex, element string, a plain URI), into *out: one
 * parse.  0, or LEDGER_EINPUT with gs1's message -- the words `keten
 * decode` uses. */
int ledger_key_read(const char *id, ledger_key_t *out, ledger_err_t *err);

/* A key the store's own index handed back (already canonical: nothing to
 * read): copies it into *out (no lot; given = key, which must outlive
 * out).  LEDGER_ETOOBIG past LEDGER_IDENT_KEY_MAX. */
int ledger_key_of_index(const char *key, int gs1, ledger_key_t *out, ledger_err_t *err);

/* The key of an identifier of an event already in the log, which never
 * fails: ledger_ident_key(), else (an event recorded before the rules got
 * stricter) the event hash's canonical form (gs1_key_hash), else id as
 * written.  out has LEDGER_IDENT_KEY_MAX bytes. */
void ledger_ident_key_stored(const char *id, char out[LEDGER_IDENT_KEY_MAX]);

/* Calls fn once for each identifier of the event with its role. The id passed
 * is its key (ledger_ident_key_stored). fn returns 0 to go on or a negative
 * code to stop (which is then returned). */
typedef int (*ledger_epcis_id_cb)(const char *id, enum ledger_epcis_role role, void *ctx);
/* (Order: epcList, quantityList, parentID, childEPCs, childQuantityList,
 * inputs, outputs, sources, destinations. id is valid during the call only.
 * err is left as it is when fn stops the walk; LEDGER_EINPUT only for an
 * identifier that claims to be an EPC URN or Digital Link and is malformed,
 * which a checked event never has.) */
int ledger_epcis_identifiers(const json_t *event, ledger_epcis_id_cb fn, void *ctx,
                             ledger_err_t *err);

/* The event with its members in the standard order: the order of the EPCIS
 * 2.0 JSON Schema and of GS1's examples, for output that reads well (events
 * stored as deterministic CBOR come back with their member names sorted by
 * length). At the top: "@context", type, eventID, eventTime,
 * eventTimeZoneOffset, recordTime, errorDeclaration, certificationInfo;
 * then the what-dimension of the type in the schema's order (ObjectEvent:
 * epcList, quantityList; AggregationEvent and AssociationEvent: parentID,
 * childEPCs, childQuantityList; TransactionEvent: bizTransactionList,
 * parentID, epcList, quantityList; TransformationEvent: inputEPCList,
 * inputQuantityList, outputEPCList, outputQuantityList, transformationID);
 * then action, bizStep, disposition, persistentDisposition, readPoint,
 * bizLocation, bizTransactionList, sourceList, destinationList,
 * sensorElementList, ilmd; then every other member (extensions, and
 * what-dimension members the type does not have) in the order it has in
 * event. An event of no known type gets the what-dimension in the order
 * epcList, parentID, childEPCs, childQuantityList, inputEPCList,
 * inputQuantityList, outputEPCList, outputQuantityList, transformationID,
 * quantityList.
 *
 * A shallow re-ordering: the result shares the member values of event,
 * except that the standard nested objects get their members in the
 * standard order too (those named first, the others after them as they
 * are): readPoint and bizLocation (id), quantity elements (epcClass,
 * quantity, uom), business transactions, sources and destinations (type
 * first), errorDeclaration (declarationTime, reason, correctiveEventIDs),
 * persistentDisposition (set, unset) and sensor elements (sensorMetadata,
 * sensorReport); those are new objects (their values shared). Nothing else
 * is reordered. The result equals event (json_equal) and gives the same
 * event hash. Do not modify the shared values while both are in use.
 *
 * Returns a new reference (json_decref it), or NULL when event is not an
 * object or memory runs out. event is not changed. */
json_t *ledger_epcis_ordered(const json_t *event);

/* The event as EPCIS 2.0's JSON/JSON-LD binding writes it, for keten's
 * JSON-LD output (export, convert, REST answers, the NATS stream): the
 * ordered copy above, with every CBV value that is a word of its
 * vocabulary given as a URN (the XML binding's and EPCIS 1.x's
 * "urn:epcglobal:cbv:bizstep:shipping") written as the bare word
 * ("shipping"), as GS1's JSON Schema requires (compact and web IRIs, which
 * it takes, stay):
 * bizStep, disposition, persistentDisposition, the types of business
 * transactions, sources and destinations, and errorDeclaration's reason
 * (not sensor report components: no URN there). Values of other
 * vocabularies stay as they are. An own "@context" loses items that
 * repeat an earlier one to no effect.
 * The copy gives the same event hash (every form of a CBV word hashes
 * alike). Sharing as ledger_epcis_ordered (what changed is new).
 * New reference, or NULL (not an object, out of memory). event is not
 * changed. (ledger_epcis_binding.c) */
json_t *ledger_epcis_json_binding(const json_t *event);

#endif
