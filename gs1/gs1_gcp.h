/* gs1_gcp.h -- the GS1 Company Prefix (GCP) length table.
 *
 * A GS1 key (GTIN, SSCC, GLN, ...) does not say where its GS1 Company
 * Prefix ends, but an EPC URN needs to know (urn:epc:id:sgtin:CP.REF.SER).
 * GS1 publishes the lengths of all assigned prefixes as "GCP length" table,
 * gcpprefixformatlist.xml (https://www.gs1.org/standards/bc-epc-interop):
 *
 *   <GCPPrefixFormatList date="2021-09-14T13:37:12.178-04:00">
 *     <entry prefix="0614141" gcpLength="7"/>
 *     <entry prefix="020" gcpLength="0"/>   (0: no GCP, e.g. restricted circulation)
 *     ...
 *   </GCPPrefixFormatList>
 *
 * This module loads that file (a few MB, ~10^5 entries; comments, an XML
 * declaration, namespace prefixes, extra attributes and elements are
 * tolerated) into a sorted array and answers "how long is the GCP of this
 * key" by longest matching prefix: a few binary searches, no allocation.
 *
 * Which digits are matched: the table's prefixes start at the first digit
 * of the GS1 Company Prefix, so the digits to look up are the key's digits
 * from the GCP position on ("gcppos" in the GS1 syntax dictionary): for a
 * GTIN-14 (AI 01, 02, 03) the 13 digits after the indicator digit, for an
 * SSCC (00) the 17 after the extension digit, for a GRAI (8003) the digits
 * after the leading "0", for ITIP (8006, 8026) the 13 after the indicator;
 * for a GLN (410..417), GDTI (253), GCN (255), GINC (401), GSIN (402), GIAI
 * (8004, 7023), CPID (8010), GMN (8013, 8014), GSRN (8017, 8018) the key as
 * it is. gs1_gcp_prefix_length() takes digits already at that position;
 * gs1_gcp_key_length() takes an AI and its value and skips for you.
 *
 * The table is immutable once loaded: it can be shared by threads.
 */
#ifndef GS1_GCP_H
#define GS1_GCP_H

#include <stddef.h>

#include "gs1_error.h"

typedef struct gs1_gcp gs1_gcp_t;

/* Largest table file accepted (bytes); GS1's full table is about 5 MB. */
#define GS1_GCP_FILE_MAX (64u * 1024 * 1024)

/* Loads the table from the XML file at path. GS1_EIO when the file
 * cannot be read (the message names it), GS1_ETOOBIG above
 * GS1_GCP_FILE_MAX, GS1_EINPUT when it is not a GCP length table
 * (malformed XML, no <GCPPrefixFormatList> root, an <entry> without prefix
 * or gcpLength, a prefix that is not 1..12 digits, a gcpLength outside
 * 0..12, the same prefix twice with different lengths, no entries; the
 * message gives the line), GS1_ENOMEM. *out is NULL on error. */
int gs1_gcp_load(const char *path, gs1_gcp_t **out, gs1_err_t *err);

/* The same from len bytes of XML text in memory. */
int gs1_gcp_parse(const char *xml, size_t len, gs1_gcp_t **out, gs1_err_t *err);

/* Frees t (NULL is fine). */
void gs1_gcp_free(gs1_gcp_t *t);

/* Number of entries and the root's date attribute ("" when absent). */
size_t gs1_gcp_count(const gs1_gcp_t *t);
const char *gs1_gcp_date(const gs1_gcp_t *t);

/* The GCP length for the key digits digits[0..len), which must start at the
 * GCP position (see above); only the leading digits are looked at (up to
 * 12, stopping at the first non-digit). Returns the gcpLength of the
 * longest matching prefix (1..12, in practice 4..12), or GS1_ENOTFOUND
 * with a message when no prefix matches or the matching entry has
 * gcpLength 0 (no GS1 Company Prefix: restricted circulation numbers,
 * coupons, unassigned ranges). Never fails otherwise. */
int gs1_gcp_prefix_length(const gs1_gcp_t *t, const char *digits, size_t len, gs1_err_t *err);

/* The GCP length of a GS1 key given as AI and value (NUL-terminated, e.g.
 * "01", "00614141812345"): skips the indicator / extension / leading zero
 * where the AI has one and calls gs1_gcp_prefix_length(). GS1_EINVAL
 * for an AI that carries no GS1 Company Prefix, GS1_EINPUT for a value
 * too short to hold one, GS1_ENOTFOUND as above. */
int gs1_gcp_key_length(const gs1_gcp_t *t, const char *ai, const char *value, gs1_err_t *err);

#endif
