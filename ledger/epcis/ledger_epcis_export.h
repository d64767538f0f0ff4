/* ledger_epcis_export.h -- writes EPCIS 2.0 events out as one EPCISDocument
 * (JSON-LD), event by event, so that a ledger of millions of events never has
 * to be in memory at once. Part of the ledger_epcis module: ledger_epcis.h
 * includes this file, so its users need not.
 *
 * Two passes: first every event is shown to ledger_epcis_export_scan (it
 * gathers the namespace prefixes of the events' own "@context" members),
 * then ledger_epcis_export_begin writes the head of the document (the
 * standard EPCIS 2.0 context plus those prefixes), ledger_epcis_export_event
 * writes each event (without its own "@context" when the document's covers
 * it), and ledger_epcis_export_end writes the tail and frees ex.
 *
 * Events are written in the JSON binding's form (ledger_epcis_json_binding
 * in ledger_epcis.h): their members in the standard order (type, eventID,
 * eventTime, ..., extensions last), so that exported documents read like
 * GS1's examples whatever order the events were stored in, and CBV values
 * as the bare words GS1's JSON Schema requires, also for events recorded
 * from XML or with EPCIS 1.x URNs. Exported events give the same
 * event hash IDs as the recorded ones (member order does not count in the
 * hash; reals are written with the digits that read back to the same
 * double).
 */
#ifndef LEDGER_EPCIS_EXPORT_H
#define LEDGER_EPCIS_EXPORT_H

#include <jansson.h>
#include <stdio.h>

#include "ledger_buf.h"
#include "ledger_error.h"

typedef struct ledger_epcis_export ledger_epcis_export_t;

/* A writer to out (not closed by the writer; the caller closes it after
 * ledger_epcis_export_end). 0, LEDGER_EINVAL (ex or out NULL; *ex is then
 * NULL), LEDGER_ENOMEM. */
int ledger_epcis_export_new(FILE *out, ledger_epcis_export_t **ex, ledger_err_t *err);

/* Layout of the output: by default (indent 0) the head on one line, then
 * each event as compact JSON on a line of its own; indent 1..8 writes the
 * whole document indented by that many spaces per level. Call before
 * ledger_epcis_export_begin. 0 or LEDGER_EINVAL. */
int ledger_epcis_export_set_indent(ledger_epcis_export_t *ex, int indent);

/* First pass: shows one event (borrowed, not kept) to the writer. Call for
 * every event, before ledger_epcis_export_begin. 0, LEDGER_EINVAL (no ex,
 * or called after begin), LEDGER_ENOMEM. */
int ledger_epcis_export_scan(ledger_epcis_export_t *ex, const json_t *event, ledger_err_t *err);

/* Writes the head of the document. 0, LEDGER_EINVAL (no ex, called twice),
 * LEDGER_EIO (write failed), LEDGER_ENOMEM. */
int ledger_epcis_export_begin(ledger_epcis_export_t *ex, ledger_err_t *err);

/* Second pass: writes one event (borrowed, not modified) of those shown to
 * ledger_epcis_export_scan. 0, LEDGER_EINVAL (no ex, before begin, event not an object),
 * LEDGER_EIO, LEDGER_ENOMEM. */
int ledger_epcis_export_event(ledger_epcis_export_t *ex, const json_t *event, ledger_err_t *err);

/* Writes the tail of the document and flushes out. Frees ex whether it
 * succeeds or not (do not call ledger_epcis_export_free after it).
 * 0, LEDGER_EINVAL (no ex, before begin), LEDGER_EIO. */
int ledger_epcis_export_end(ledger_epcis_export_t *ex, ledger_err_t *err);

/* One event alone, as compact text: exactly the line `keten export`
 * writes for it in the eventList (standard member order, the digits of
 * every real that read back to the same double), except that the event
 * keeps its own "@context" member when it has one (a document's head is
 * not there to cover it).  Used for messages of one event (node_nats.h).
 * Appends to out; 0, LEDGER_EINVAL (not an object), LEDGER_ENOMEM. */
int ledger_epcis_export_event_text(const json_t *event, ledger_buf_t *out, ledger_err_t *err);

/* Frees ex after a failure before ledger_epcis_export_end. NULL is fine. */
void ledger_epcis_export_free(ledger_epcis_export_t *ex);

#endif
