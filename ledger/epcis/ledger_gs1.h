/* ledger_gs1.h -- GS1 identifiers as the ledger sees them: EPC URIs (EPC Tag
 * Data Standard pure identity, class and pattern URNs) and GS1 Digital Link
 * URIs, checked and brought to one canonical form.
 *
 * The canonical form is the "constrained canonical" GS1 Digital Link URI that
 * the EPCIS 2.0 event hash uses (https://id.gs1.org/01/<GTIN-14>/21/<serial>,
 * .../00/<SSCC>, .../414/<GLN>/254/<ext>, ...), so that one product read as a
 * Digital Link QR code, an EPC URN or an element string is one identifier.
 * Vectors: ../shared/conformance/event-hash/dl_normaliser_vectors.csv.
 *
 * Pure functions: no I/O, no allocation beyond what is documented.
 */
#ifndef LEDGER_GS1_H
#define LEDGER_GS1_H

#include <stddef.h>

#include "ledger_error.h"

/* Longest canonical URI this module produces, including the NUL. */
#define LEDGER_GS1_URI_MAX 512

/* What kind of identifier a URI is. */
enum ledger_gs1_kind {
    LEDGER_GS1_OTHER = 0, /* some other absolute URI (urn:uuid:, http://example...) */
    LEDGER_GS1_EPC_ID,    /* urn:epc:id:<scheme>:...   an instance */
    LEDGER_GS1_EPC_CLASS, /* urn:epc:class:lgtin:...   a lot/batch */
    LEDGER_GS1_EPC_IDPAT, /* urn:epc:idpat:sgtin:....* a class (GTIN) pattern */
    LEDGER_GS1_DL,        /* a GS1 Digital Link URI (any host) */
};

/* Normalises uri to the canonical Digital Link form the event hash uses.
 *
 * Returns 0 and writes the canonical URI into out (NUL-terminated) when uri is
 * an EPC URN or Digital Link URI that converts; *kind (if not NULL) says
 * which it was. Returns LEDGER_ENOTFOUND, out set to a copy of uri and *kind
 * LEDGER_GS1_OTHER, when uri is some other URI that has no GS1 form
 * (the hash then uses it as it is). Returns LEDGER_EINPUT with a message that
 * says what is wrong when uri claims to be an EPC URN or Digital Link but is
 * malformed (bad scheme, wrong digit count, bad percent-encoding, a
 * character outside GS1 set 82/39, qualifiers not allowed for the key).
 * LEDGER_ETOOBIG when out_len is too small.
 *
 * Like the reference normaliser (whose vectors include two wrong check
 * digits), this function does not verify the check digits written in a
 * Digital Link, nor the GRAI leading zero, the ITIP piece/total and the CPID
 * serial's leading zero: the event hash must convert what the reference
 * converts. ledger_gs1_check_uri verifies all of them. EPC URNs carry no check
 * digits; they are computed. Patterns (urn:epc:idpat:) whose class part is
 * fully given convert to the class key (GTIN, GLN, ...); other valid
 * patterns, and EPC schemes without a GS1 key (gid, usdod, adi, bic, imovn),
 * give LEDGER_ENOTFOUND. */
int ledger_gs1_canonical(const char *uri, char *out, size_t out_len, enum ledger_gs1_kind *kind,
                         ledger_err_t *err);

/* Checks that s is a plausible absolute URI (scheme ":" rest, no spaces or
 * control characters) and, if it is an EPC URN or a Digital Link URI, that it
 * is well formed (ledger_gs1_canonical succeeds) and that its canonical form
 * passes the checks canonical leaves out (check digits, GMN check pair, GRAI
 * leading zero, ITIP piece <= total, CPID serial without leading zero). 0 or
 * LEDGER_EINPUT with a message. */
int ledger_gs1_check_uri(const char *s, ledger_err_t *err);

#endif
