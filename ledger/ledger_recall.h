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
 * in time order; erroneous ones (an errorDeclaration) are listed and not
 * counted. Sealed steps are not part of a recall. */
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

/* A shipment event: its card (event->card) gives sources, destinations
 * and quantities. */
typedef struct ledger_recall_shipment {
    const ledger_trace_node_t *event;
    const char *const *items; /* the identifiers of the recall it moved */
    size_t nitems;
} ledger_recall_shipment_t;

/* A sensor report above the limit. value, uom and time are the report's
 * members (borrowed from the decoded event; uom, time may be NULL). */
typedef struct ledger_recall_excursion {
    const ledger_trace_node_t *event;
    const json_t *value, *uom, *time;
} ledger_recall_excursion_t;

/* Recalls `lot` (any identifier a trace starts from; usually
 * urn:epc:class:lgtin:...). opts may be NULL (defaults); direction and
 * sealed steps are the recall's own (forward, none). With have_max_temp,
 * sensor reports of a type ending in "Temperature" whose value (else
 * maxValue) is above max_temp are excursions; only events whose card shows
 * such a reading are decoded. *out owns the trace it was computed from.
 * Errors as ledger_trace_run; on error *out is NULL. */
int ledger_recall_run(ledger_store_t *st, const char *lot, const ledger_trace_opts_t *opts,
                      int have_max_temp, double max_temp, ledger_recall_t **out, ledger_err_t *err);
void ledger_recall_free(ledger_recall_t *r);

const char *ledger_recall_lot(const ledger_recall_t *r); /* as given */
const ledger_trace_t *ledger_recall_trace(const ledger_recall_t *r);
int ledger_recall_truncated(const ledger_recall_t *r);         /* the walk's bounds cut it */
size_t ledger_recall_shipment_count(const ledger_recall_t *r); /* not erroneous */
int ledger_recall_has_max_temp(const ledger_recall_t *r, double *max_temp);

size_t ledger_recall_nproducts(const ledger_recall_t *r);
const ledger_recall_product_t *ledger_recall_product(const ledger_recall_t *r, size_t i);
size_t ledger_recall_nshipments(const ledger_recall_t *r);
const ledger_recall_shipment_t *ledger_recall_shipment(const ledger_recall_t *r, size_t i);
size_t ledger_recall_nexcursions(const ledger_recall_t *r);
const ledger_recall_excursion_t *ledger_recall_excursion(const ledger_recall_t *r, size_t i);

/* "12 items + 182.4 KGM urn:...": what shipment s moved, from its card,
 * into out[len] (cut to fit). */
void ledger_recall_quantity_text(const ledger_recall_shipment_t *s, char *out, size_t len);

/* Writes the recall as the JSON document of docs/trace.md ("lot",
 * "products", "shipments", "shipmentCount", "truncated", and with a
 * temperature limit "maxTemp" and "excursions"), indented by two, with a
 * final newline. 0, or LEDGER_EIO when writing failed. */
int ledger_recall_write_json(const ledger_recall_t *r, FILE *f, ledger_err_t *err);

/* The same document as a jansson value (for tests and small recalls; a
 * large one is better streamed). New reference, or NULL with err set. */
json_t *ledger_recall_json(const ledger_recall_t *r, ledger_err_t *err);

#endif
