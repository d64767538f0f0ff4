/* ledger_recall.h -- recall of a lot: everything made from it, every
 * shipment of any of it, where each thing was last seen, and temperature
 * excursions on the way. docs/trace.md ("recall") is the user's page.
 *
 * ledger_recall_run walks forward from the lot (ledger_trace_run, index
 * walks only) and computes the answer as plain arrays over the trace's
 * nodes: nothing is copied and no JSON is built, so the answer is ready in
 * the time of the walk. The writers then print it as it is read: JSON
 * (the documented document, streamed), CSV or a table.
 *
 * Products are the identifier nodes of the trace (the lot first, then in
 * the order the walk met them); shipments are the event nodes with bizStep
 * shipping, receiving, departing or arriving, or with a destination list,
 * in time order, a receipt under the dispatch it received (below);
 * erroneous ones (an errorDeclaration) are listed and not counted. Sealed
 * steps are not part of a recall. */
#ifndef LEDGER_RECALL_H
#define LEDGER_RECALL_H

#include <jansson.h>
#include <stdio.h>

#include "ledger_error.h"
#include "ledger_store.h"
#include "ledger_trace.h"

typedef struct ledger_recall ledger_recall_t;

/* A product (or container) reached from the lot. */
typedef struct ledger_recall_product {
    const char *id;                  /* canonical form */
    const ledger_trace_node_t *last; /* its last event not declared erroneous
                                        (naming or carrying it); NULL: none */
} ledger_recall_product_t;

/* A shipment: an event with bizStep shipping or departing, or with a
 * destination list (a dispatch), or with bizStep receiving or arriving (a
 * receipt). A receipt is the receipt of each dispatch (not declared
 * erroneous) that was the last before it to move one of its identifiers
 * of the recall (one receipt may take in two shipments): it is listed
 * under them, not as a shipment of its own. A receipt of no recorded
 * dispatch is a shipment of its own (receipt 1). Its card (event->card) gives sources, destinations
 * and the whole event's quantities. */
typedef struct ledger_recall_shipment ledger_recall_shipment_t;
struct ledger_recall_shipment {
    const ledger_trace_node_t *event;
    const char *const *items; /* the identifiers of the recall it moved (with
                                 the containers they were in) */
    size_t nitems;
    size_t from_lot;   /* of items: instances from the lot (no container, no class) */
    size_t containers; /* of items: containers (the parent of a packing of the trace) */
    int receipt;       /* 1: bizStep receiving or arriving */
    const ledger_recall_shipment_t *const *receipts; /* a dispatch's receipts, in time order */
    size_t nreceipts;
};

/* A sensor report of a temperature type: above the limit (an excursion),
 * or with values keten cannot convert to CEL (not compared: no uom, or a
 * unit ledger_uom.h does not know). value, uom and time are the report's
 * members (borrowed from the decoded event; uom, time may be NULL); value
 * is the highest of its value, minValue, maxValue, meanValue and percValue
 * (for a report not compared: the first of them). celsius is value in CEL
 * (excursions only). */
typedef struct ledger_recall_excursion {
    const ledger_trace_node_t *event;
    const json_t *value, *uom, *time;
    double celsius;
} ledger_recall_excursion_t;

/* Recalls `lot` (any identifier a trace starts from, read once with
 * ledger_key_read; usually urn:epc:class:lgtin:...). opts may be NULL (defaults); direction and
 * sealed steps are the recall's own (forward, none). With have_max_temp
 * (max_temp in CEL), sensor reports of a type ending in "Temperature" with
 * a value above max_temp, converted from the report's uom, are excursions,
 * and reports whose values cannot be converted are listed as not compared;
 * only events whose card shows such a reading are decoded. *out owns the
 * trace it was computed from.
 * Errors as ledger_trace_run; on error *out is NULL. */
int ledger_recall_run(ledger_store_t *st, const ledger_key_t *lot, const ledger_trace_opts_t *opts,
                      int have_max_temp, double max_temp, ledger_recall_t **out, ledger_err_t *err);
void ledger_recall_free(ledger_recall_t *r);

const char *ledger_recall_lot(const ledger_recall_t *r); /* as given */
const ledger_trace_t *ledger_recall_trace(const ledger_recall_t *r);
int ledger_recall_truncated(const ledger_recall_t *r);         /* the walk's bounds cut it */
/* The shipments (dispatches, and receipts of no recorded dispatch) not
 * declared erroneous, and of them those received (with a receipt, or a
 * receipt themselves). */
size_t ledger_recall_shipment_count(const ledger_recall_t *r);
size_t ledger_recall_received_count(const ledger_recall_t *r);
int ledger_recall_has_max_temp(const ledger_recall_t *r, double *max_temp);

size_t ledger_recall_nproducts(const ledger_recall_t *r);
const ledger_recall_product_t *ledger_recall_product(const ledger_recall_t *r, size_t i);
/* The shipments in time order (dispatches and receipts of no recorded
 * dispatch; the other receipts hang under their dispatch), erroneous ones
 * included. */
size_t ledger_recall_nshipments(const ledger_recall_t *r);
const ledger_recall_shipment_t *ledger_recall_shipment(const ledger_recall_t *r, size_t i);
size_t ledger_recall_nexcursions(const ledger_recall_t *r);
const ledger_recall_excursion_t *ledger_recall_excursion(const ledger_recall_t *r, size_t i);
size_t ledger_recall_nnot_compared(const ledger_recall_t *r);
const ledger_recall_excursion_t *ledger_recall_not_compared(const ledger_recall_t *r, size_t i);

/* What shipment s moved of the lot, into out[len] (cut to fit): "5
 * items", "5 items in 1 container", "+ 182.4 KGM <class>" for a class of
 * the recall in its quantity lists (from its card). */
void ledger_recall_quantity_text(const ledger_recall_shipment_t *s, char *out, size_t len);
/* "15 items + 182.4 KGM urn:...": what the whole event moved, from its
 * card, into out[len] (cut to fit). */
void ledger_recall_event_quantity_text(const ledger_recall_shipment_t *s, char *out, size_t len);

/* Writes the recall as the JSON document of docs/trace.md ("lot",
 * "products", "shipments" (each with its "receipts"), "shipmentCount",
 * "receivedCount", "truncated", and with a temperature limit "maxTemp",
 * "excursions" and "notCompared"), indented by two, with a
 * final newline. 0, or LEDGER_EIO when writing failed. */
int ledger_recall_write_json(const ledger_recall_t *r, FILE *f, ledger_err_t *err);

/* The same document as a jansson value (for tests and small recalls; a
 * large one is better streamed). New reference, or NULL with err set. */
json_t *ledger_recall_json(const ledger_recall_t *r, ledger_err_t *err);

#endif
