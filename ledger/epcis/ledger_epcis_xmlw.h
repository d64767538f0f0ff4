/* ledger_epcis_xmlw.h -- writes EPCIS 2.0 events as an EPCIS 2.0 XML
 * document (EPCISDocument, or the EPCISQueryDocument a query answers),
 * event by event: one pass, nothing kept between events, so a ledger of
 * millions of events is written in a fixed amount of memory.
 *
 * The inverse of the XML reader (ledger_epcis_xml.c, docs/xml.md), with its
 * table of the standard fields (ledger__epcis_xml.h): each standard field
 * becomes the element the reader reads back to the same member, in the
 * order GS1's XSD (EPCglobal-epcis-2_0.xsd) requires for the event's type;
 * user extensions ("prefix:local" members) become elements in their own
 * namespaces, declared on the event element from the event's "@context";
 * bare CBV words (bizStep "shipping") are written as the CBV URNs XML uses
 * (urn:epcglobal:cbv:bizstep:shipping), sensor types as gs1: CURIEs. An event
 * read back from the output gives the same event hash.
 *
 * Usage: ledger_epcis_xmlw_new, (ledger_epcis_xmlw_query_names,)
 * ledger_epcis_xmlw_begin (the head),
 * ledger_epcis_xmlw_event per event, ledger_epcis_xmlw_end (the tail; frees
 * the writer). Not thread-safe; one writer per output.
 */
#ifndef LEDGER_EPCIS_XMLW_H
#define LEDGER_EPCIS_XMLW_H

#include <jansson.h>
#include <stdio.h>

#include "ledger_error.h"

typedef struct ledger_epcis_xmlw ledger_epcis_xmlw_t;

enum {
    LEDGER_EPCIS_XMLW_DOCUMENT = 0, /* epcis:EPCISDocument/EPCISBody/EventList */
    LEDGER_EPCIS_XMLW_QUERY = 1,    /* epcisq:EPCISQueryDocument/EPCISBody/epcisq:QueryResults
                                       (queryName SimpleEventQuery)/resultsBody/EventList */
};

/* A writer of a document of kind (LEDGER_EPCIS_XMLW_...) to out (not closed
 * by the writer). 0, LEDGER_EINVAL (no out, bad kind; *w is then NULL),
 * LEDGER_ENOMEM. */
int ledger_epcis_xmlw_new(FILE *out, int kind, ledger_epcis_xmlw_t **w, ledger_err_t *err);

/* For a LEDGER_EPCIS_XMLW_QUERY writer, before begin: the QueryResults'
 * queryName (a named query's name instead of SimpleEventQuery) and
 * subscriptionID (NULL: none), as a subscription's documents carry them.
 * Both copied. 0, LEDGER_EINVAL (no w, not a query writer, begun, no
 * name), LEDGER_ENOMEM. */
int ledger_epcis_xmlw_query_names(ledger_epcis_xmlw_t *w, const char *query_name,
                                  const char *subscription_id, ledger_err_t *err);

/* Before begin: the XML namespace of prefix for members whose prefix the
 * event's own "@context" does not bind: an event recorded with a remote
 * context (GS1 Egypt's healthcare extension, say) that keten never
 * fetches. The event's own binding wins where it has one. Both copied.
 * 0, LEDGER_EINVAL (no w, begun), LEDGER_EINPUT (prefix not an XML name or
 * one of the root's: epcis, gs1, cbv, xsi, xsd; uri not an absolute URI or
 * holding a space, quote, <, > or &), LEDGER_ENOMEM. */
int ledger_epcis_xmlw_namespace(ledger_epcis_xmlw_t *w, const char *prefix, const char *uri,
                                ledger_err_t *err);
/* The checks of ledger_epcis_xmlw_namespace alone (for settings read
 * before any writer exists). 0 or LEDGER_EINPUT. */
int ledger_epcis_xmlw_namespace_check(const char *prefix, const char *uri, ledger_err_t *err);

/* Writes the XML declaration and the document's head (creationDate: now).
 * 0, LEDGER_EINVAL (no w, called twice), LEDGER_EIO. */
int ledger_epcis_xmlw_begin(ledger_epcis_xmlw_t *w, ledger_err_t *err);

/* Writes one event (borrowed, not modified): an EPCIS 2.0 event as the
 * JSON-LD side of keten holds it (self-contained: its own "@context").
 * 0, LEDGER_EINVAL (no w, before begin, not an event object),
 * LEDGER_EINPUT (a value XML 1.0 cannot hold: a control character, a
 * member name that is not an XML name; nothing of the event is written
 * then only when the fault is in its type, else the output is cut: the
 * caller must drop it), LEDGER_EIO, LEDGER_ENOMEM. */
int ledger_epcis_xmlw_event(ledger_epcis_xmlw_t *w, const json_t *event, ledger_err_t *err);

/* Writes the tail and flushes out. Frees w whether it succeeds or not.
 * 0, LEDGER_EINVAL (no w, before begin), LEDGER_EIO. */
int ledger_epcis_xmlw_end(ledger_epcis_xmlw_t *w, ledger_err_t *err);

/* Frees w after a failure before ledger_epcis_xmlw_end. NULL is fine. */
void ledger_epcis_xmlw_free(ledger_epcis_xmlw_t *w);

#endif
