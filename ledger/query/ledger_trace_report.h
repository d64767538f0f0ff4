/* ledger_trace_report.h -- the questions people ask of a trace
 * (ledger_trace.h), answered as JSON values that the CLI prints as tables
 * or JSON: the lifecycle of a garment, the garments due at a location, the
 * origin of a pack of meat. Recall of a lot has its own module
 * (ledger_recall.h): its answer is too large to build as JSON values.
 * docs/trace.md describes every member and the rules.
 *
 * All of them walk the store with ledger_trace_run (index walks only).
 *
 * Keten's own vocabulary (namespaces for ILMD and extension members; any
 * prefix the event's @context binds to them works, the usual prefix is
 * also accepted without a binding):
 *   LEDGER_NS_MEAT    "https://keten.dev/ns/meat#"     prefix "meat"
 *   LEDGER_NS_GARMENT "https://keten.dev/ns/garment#"  prefix "garment"
 *   LEDGER_BIZSTEP_LAUNDERING  a bizStep of keten's for one wash cycle
 */
#ifndef LEDGER_TRACE_REPORT_H
#define LEDGER_TRACE_REPORT_H

#include <jansson.h>

#include "ledger_error.h"
#include "ledger_store.h"
#include "ledger_trace.h"

#define LEDGER_NS_MEAT "https://keten.dev/ns/meat#"
#define LEDGER_NS_GARMENT "https://keten.dev/ns/garment#"
#define LEDGER_BIZSTEP_LAUNDERING "https://keten.dev/voc/bizstep/laundering"

/* Lifecycle of a garment (an instance: SGTIN, GIAI, ...): trace back and
 * forward, then
 *   "commissioned": time, feed, location, and the garment ILMD of the
 *                   commissioning event: fibreComposition,
 *                   recycledContent (percent), maxWashCycles, madeIn,
 *                   manufacturer (null when missing);
 *   "washes":       cycles counted (rule in docs/trace.md, "What one wash
 *                   cycle is": a LEDGER_BIZSTEP_LAUNDERING event, or a stay
 *                   at a laundry from a soiled-in receiving (the garment
 *                   back from use) to the next shipping from there that is
 *                   not its end-of-life shipment; the first stay (delivery,
 *                   first issue) and a repairer's stay are not washes; when
 *                   laundries (n_laundries > 0) are given, only stays at
 *                   those locations count);
 *   "washEvents":   the events that closed each cycle (time, "location" and
 *                   "laundry": the laundry, "destination": where the
 *                   dispatch sent it, "receivedUTC": the soiled-in time);
 *   "repairs":      events with bizStep repairing;
 *   "holder":       the last event's location, destination and feed;
 *   "endOfLife":    the event (collecting, disassembling, destroying,
 *                   decommissioning, or a transformation consuming it) and
 *                   what it became (outputs), or null;
 *   "status":       "retired" (end of life), else "over" (past
 *                   maxWashCycles), "at_maximum" (washes = maxWashCycles),
 *                   "due" (within 10% of it), "ok", "unknown" (no maximum);
 *   "overMaximum":  washes > maxWashCycles (null without a maximum);
 *   "maxWashCycles", "washesLeft" (never below 0; null without a maximum).
 * LEDGER_ENOTFOUND when no event names it, or when it is not a garment
 * (no garment ILMD on its commissioning, no laundering step, no stay at
 * one of the laundries): an SSCC carton, a pack of meat.
 * Errors as ledger_trace_run. */
int ledger_trace_lifecycle(ledger_store_t *st, const ledger_key_t *garment,
                           const char *const *laundries, size_t n_laundries, json_t **out,
                           ledger_err_t *err);

/* The garments whose last known location is `location` (an SGLN URN or
 * Digital Link: bizLocation, readPoint or a location destination), each
 * with its lifecycle summary; with due_only, only those "due", "at_maximum"
 * or "over". Identifiers that are not garments (the cartons they came in)
 * are left out.
 * The candidates are the instances of the events that happened there (the
 * loc index: bizLocation, readPoint) or name it as a source or destination
 * (the identifier index), read from their cards. New reference in *out
 * ({"location", "garments": [...]}). */
int ledger_trace_due(ledger_store_t *st, const ledger_key_t *location,
                     const char *const *laundries, size_t n_laundries, int due_only,
                     json_t **out, ledger_err_t *err);

/* Loss: the garments checked out and not back within `days` (1 to
 * 36500) at now_ms (ms since 1970, UTC): their last event (lifecycle's
 * holder) is a shipping, from `location` (a laundry) or to it (a
 * customer), at least days * 24 h before now_ms, and they are not retired.
 * Candidates as ledger_trace_due; rows as its, with "checkedOutFrom" (the
 * shipping's location) and "daysOut" (whole days since the shipping). New
 * reference in *out ({"location", "days", "asOfUTC", "garments"}).
 * LEDGER_EINPUT for days out of range. */
int ledger_trace_missing(ledger_store_t *st, const ledger_key_t *location,
                         const char *const *laundries, size_t n_laundries, int64_t days,
                         int64_t now_ms, json_t **out, ledger_err_t *err);

/* Origin of a pack of meat (EU beef labelling): trace back and collect the
 * meat ILMD along the way: bornIn, rearedIn, slaughteredIn,
 * slaughterhouseApproval, cutIn, cuttingPlantApproval, referenceCode (the
 * lot reference linking the pack to the animals), species, animalIds, and
 * the lot numbers (cbvmda:lotNumber) met; each value with the event
 * (feed:seq, time) that states it. Several different values of one key are
 * all listed (a pack from several animals). New reference in *out. */
int ledger_trace_origin(ledger_store_t *st, const ledger_key_t *pack, json_t **out,
                        ledger_err_t *err);

/* Each of these takes its identifier read once, where it came in
 * (ledger_key_read, ledger_epcis.h), and does not read its text again. */

#endif
