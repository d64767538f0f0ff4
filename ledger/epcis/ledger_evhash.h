/* ledger_evhash.h -- the EPCIS 2.0 event hash ID of one event.
 *
 * Implements the canonicalisation of the EPCIS 2.0 standard (section 8.9.4,
 * "event hash ID"), as the reference generator RalphTro/epcis-event-hash-
 * generator does for JSON-LD: fixed field order per event type, CBV values
 * expanded to their https://ref.gs1.org/cbv/ URIs, EPC URNs brought to
 * canonical Digital Link (gs1_key_hash, gs1/gs1_key.h), times in UTC with millisecond
 * precision, numbers normalised, user extensions expanded through the
 * document's @context and sorted, ignored fields (eventID, recordTime,
 * errorDeclaration, ...) left out. The pre-hash string is hashed with SHA-256
 * and written as ni:///sha-256;<64 hex>?ver=CBV2.0.
 *
 * Vectors: ../shared/conformance/event-hash/ (every .jsonld case must match
 * its .hashes file).
 */
#ifndef LEDGER_EVHASH_H
#define LEDGER_EVHASH_H

#include <jansson.h>
#include <stddef.h>

#include "ledger_error.h"

/* "ni:///sha-256;" + 64 hex + "?ver=CBV2.0" + NUL */
#define LEDGER_EVHASH_LEN 90

/* Computes the event hash ID of event (a JSON-LD event object, borrowed).
 * context is the JSON-LD "@context" in force for the event (the document's,
 * merged with the event's own "@context" if it has one: the function merges
 * the event's own one itself); it may be NULL. Writes the NUL-terminated ID to
 * out. Returns 0, LEDGER_EINPUT (with a message naming the field) when the
 * event cannot be canonicalised, LEDGER_ENOMEM. */
int ledger_evhash_compute(const json_t *event, const json_t *context, char out[LEDGER_EVHASH_LEN],
                          ledger_err_t *err);

/* Same, but returns the canonical pre-hash string instead (malloc'd, the
 * caller frees it); for tests and for `keten show --prehash`. */
int ledger_evhash_prehash(const json_t *event, const json_t *context, char **out,
                          ledger_err_t *err);

/* The same two with the reference generator's "ignoreFields" extension:
 * ignore (may be NULL) is a JSON array of top-level member names (as written
 * in the event, e.g. "example:captureID") left out of the hash. */
int ledger_evhash_compute_ex(const json_t *event, const json_t *context, const json_t *ignore,
                             char out[LEDGER_EVHASH_LEN], ledger_err_t *err);
int ledger_evhash_prehash_ex(const json_t *event, const json_t *context, const json_t *ignore,
                             char **out, ledger_err_t *err);

/* The "<prefix>:ignoreFields" array of an EPCIS (query) document, where
 * <prefix> is bound to https://repository-x.example.com/ in its @context (the
 * reference generator's convention): borrowed from doc, or NULL. */
const json_t *ledger_evhash_ignore_fields(const json_t *doc);

#endif
