/* ledger_cbv.h -- the vocabularies of EPCIS 2.0 event values: the GS1 Core
 * Business Vocabulary (CBV 2.0: business steps, dispositions, business
 * transaction types, source/destination types, error reasons, sensor
 * components) and the GS1 lists of measurement types and sensor alert types.
 *
 * A CBV value may be written in any of its forms: the bare word
 * ("shipping"), the compact IRI ("cbv:BizStep-shipping"), the web IRI
 * ("https://ref.gs1.org/cbv/BizStep-shipping", also with http:) or the
 * EPCIS 1.x URN ("urn:epcglobal:cbv:bizstep:shipping"). Any other URI is a
 * value of the user's own vocabulary, which the standard allows everywhere a
 * vocabulary value goes. Measurement types and alert types have bare words
 * only (and other URIs).
 *
 * The word lists come from the EPCIS 2.0 JSON Schema and CBV.ttl
 * (../shared/conformance/epcis-schema/).
 */
#ifndef LEDGER_CBV_H
#define LEDGER_CBV_H

#include <stddef.h>

/* A vocabulary (opaque; only the constants below exist). */
typedef struct ledger_cbv_vocab ledger_cbv_vocab_t;

extern const ledger_cbv_vocab_t ledger_cbv_bizstep; /* bizStep */
extern const ledger_cbv_vocab_t ledger_cbv_disp;    /* disposition, persistentDisposition */
extern const ledger_cbv_vocab_t ledger_cbv_btt;     /* bizTransactionList[].type */
extern const ledger_cbv_vocab_t ledger_cbv_sdt;     /* sourceList[].type, destinationList[].type */
extern const ledger_cbv_vocab_t ledger_cbv_er;      /* errorDeclaration.reason */
extern const ledger_cbv_vocab_t ledger_cbv_comp;    /* sensorReport[].component */
extern const ledger_cbv_vocab_t ledger_cbv_mt;      /* sensorReport[].type (GS1, not CBV) */
extern const ledger_cbv_vocab_t ledger_cbv_alert;   /* sensorReport[].exception (GS1) */

/* Checks value (not NULL) as a value of vocabulary v. Returns:
 *   0  value is one of v's words, bare or in one of the CBV forms;
 *   1  value is none of those and does not claim to be a CBV term: a value
 *      of another vocabulary, which the caller must still check is a URI
 *      (value holds a ":");
 *  -1  value is wrong: a bare word v does not have (a misspelling of one of
 *      its words, a word of another CBV vocabulary, ...), a CBV term of
 *      another vocabulary, or no CBV term at all in the CBV namespace.
 *      why (NUL-terminated, cut to len) gets the reason, written to follow
 *      the quoted value in a message: "is not a business step: did you
 *      mean \"shipping\"?". A misspelt word (case, or up to two edits) gets
 *      its "did you mean". */
int ledger_cbv_check(const ledger_cbv_vocab_t *v, const char *value, char *why, size_t len);

/* The short word of a CBV value in any of its forms
 * ("urn:epcglobal:cbv:bizstep:shipping" -> "shipping"); the value itself
 * when it is not a CBV value ("" for NULL). Writes into out (NUL-terminated,
 * cut to len; nothing when len is 0). The word is not checked against the
 * vocabulary: "cbv:BizStep-foo" gives "foo". */
void ledger_cbv_short(const char *value, char *out, size_t len);

#endif
