/* gs1_epc.h -- EPCs (GS1 EPC Tag Data Standard 2.x): RFID tag hex, EPC
 * tag URIs and pure identity URNs, and the GS1 key each one stands for.
 *
 * One EPC has three text forms, all handled here:
 *   hex       the EPC bank's EPC as UHF readers print it
 *             3074257BF7194E4000001A85 (case and spaces do not matter;
 *             the EPC alone: no PC word, no CRC, no extra zero words)
 *   tag URN   urn:epc:tag:sgtin-96:3.0614141.812345.6789
 *             (binary coding, filter value, fields: what is on the tag)
 *   pure URN  urn:epc:id:sgtin:0614141.812345.6789
 *             (the identity alone: what EPCIS events and the ledger use)
 * and a GS1 key view: the GS1 element string components it maps to
 * ((01) GTIN-14 with its computed check digit + (21) serial, (00) SSCC-18,
 * (414) GLN + (254) extension, (8003) GRAI, (8004) GIAI, ...), and the GS1
 * Company Prefix length, which the EPC carries (the partition value; in a
 * URN, the digits before the first dot). The GS1 helpers build the
 * canonical Digital Link from that view.
 *
 * Schemes and binary codings: SGTIN (sgtin-96, sgtin-198), SSCC (sscc-96),
 * SGLN (sgln-96, sgln-195), GRAI (grai-96, grai-170), GIAI (giai-96,
 * giai-202), GSRN (gsrn-96), GSRNP (gsrnp-96), GDTI (gdti-96, gdti-174),
 * SGCN (sgcn-96), ITIP (itip-110, itip-212), CPI (cpi-96, cpi-var), GID
 * (gid-96), USDOD (usdod-96). Not supported: ADI, the TDS 2.0 "+" codings,
 * and the pure-URN-only schemes (PGLN, GINC, GSIN, UPUI, BIC, IMOVN, the
 * LGTIN class URN); their URNs and headers are rejected with a message
 * that says so. Details of the binary side (accepted hex, lengths,
 * padding) are in gs1_tds.h.
 *
 * URN text: components are separated by dots; the serial-like last
 * component is in GS1 character set 82, where the seven characters " % & /
 * < > ? must be written %22 %25 %26 %2F %3C %3E %3F (lowercase hex digits
 * are accepted, output is uppercase) and no other escape is allowed; a CPI
 * component/part reference is in GS1 set 39, '#' and '/' written %23 %2F. The
 * prefix "urn:epc:id:" / "urn:epc:tag:" is matched case-insensitively, the
 * scheme and coding names must be lowercase. Output is always canonical.
 *
 * Results: every constructor returns one heap object (one allocation, all
 * text forms computed up front, no I/O, no global state: thread-safe) that
 * the caller frees with gs1_epc_free(). Strings returned by the getters live as long as the
 * object. Errors: GS1_EINPUT with a message naming the field
 * ("EPC header 0xAA is not a scheme keten knows", "SGTIN-96 partition 7
 * is reserved", "SGTIN company prefix and indicator and item reference must
 * be 13 digits together, not 14"), GS1_EINVAL for a NULL argument,
 * GS1_ENOMEM; *out is left NULL on any error.
 */
#ifndef GS1_EPC_H
#define GS1_EPC_H

#include <stddef.h>

#include "gs1_error.h"

typedef struct gs1_epc gs1_epc_t;

/* One GS1 element string component: an AI and its value (raw characters,
 * not percent-encoded). */
typedef struct gs1_epc_ai {
    const char *ai;    /* "01", "21", "00", "414", "254", "8003", ... */
    const char *value; /* "00614141123452", "6789", ... */
} gs1_epc_ai_t;

/* Longest URN (tag or pure) this module writes, with the NUL. */
#define GS1_EPC_URN_MAX 128
/* Longest input URN accepted (bytes). */
#define GS1_EPC_URN_IN_MAX 256

/* Decodes EPC hex of len bytes (see gs1_tds.h for what is
 * accepted) into *out. GS1_EINPUT: a bad hex digit, wrong length for
 * the header's coding, an unknown or unsupported header, partition 7, a
 * field out of range (company prefix above its digits, ...), a 7-bit
 * string with a character outside GS1 set 82, non-zero padding. */
int gs1_epc_from_hex(const char *hex, size_t len, gs1_epc_t **out, gs1_err_t *err);

/* Parses an EPC tag URN of len bytes (urn:epc:tag:<coding>:<filter>.<...>;
 * filter 0..7, usdod-96 0..15, gid-96 has none). The fields must satisfy the scheme's pure
 * identity rules and fit the coding (sgtin-96 serial: a decimal number
 * without leading zeros below 2^38, and so on). The result has hex, tag and
 * pure URN. GS1_EINPUT naming what is wrong. */
int gs1_epc_from_tag_urn(const char *urn, size_t len, gs1_epc_t **out, gs1_err_t *err);

/* Parses and validates a pure identity URN of len bytes
 * (urn:epc:id:<scheme>:...) of a supported scheme. The result is a pure
 * identity: it has no binary coding, so gs1_epc_hex() and
 * gs1_epc_tag_urn() return NULL and gs1_epc_filter() -1 (see
 * gs1_epc_encode() to choose one). GS1_EINPUT naming what is wrong,
 * e.g. an unknown scheme, a company prefix of 5 digits, a serial too
 * long, "%23" (not an allowed escape). */
int gs1_epc_parse_pure_urn(const char *urn, size_t len, gs1_epc_t **out, gs1_err_t *err);

/* Any of the three forms: a string starting with "urn:epc:tag:" goes to
 * gs1_epc_from_tag_urn, "urn:epc:id:" to gs1_epc_parse_pure_urn,
 * another "urn:" (urn:epc:class:, urn:epc:idpat:, ...) is GS1_EINPUT,
 * anything else goes to gs1_epc_from_hex (leading and trailing spaces,
 * tabs, CR and LF are ignored). */
int gs1_epc_parse(const char *s, size_t len, gs1_epc_t **out, gs1_err_t *err);

/* Writes the identity of e in a binary coding: coding is a coding name
 * ("sgtin-96", "sgtin-198", ...) of e's scheme, or NULL for the automatic
 * choice (the shortest coding the fields fit: sgtin-96 for a numeric serial
 * without leading zero below 2^38, else sgtin-198). filter is the filter
 * value 0..7 (usdod-96: 0..15; ignored for gid-96). The result is a new
 * object with hex, tag URN and pure URN; e is not changed. GS1_EINPUT
 * when the identity does not fit the coding ("SGTIN-96 serial 0123 has a
 * leading zero; use sgtin-198") or the filter is out of range,
 * GS1_EINVAL for a coding name that is not one of the scheme's. */
int gs1_epc_encode(const gs1_epc_t *e, const char *coding, int filter, gs1_epc_t **out,
                   gs1_err_t *err);

/* Builds the pure identity from GS1 element string components: pairs[0..n)
 * must hold exactly one primary key among (01) GTIN-14 + (21) serial,
 * (00) SSCC, (414) GLN [+ (254) extension; none means extension "0"],
 * (8003) GRAI with serial, (8004) GIAI, (8018) GSRN, (8017) GSRNP,
 * (253) GDTI with serial, (255) GCN with serial, (8006) ITIP + (21) serial,
 * (8010) CPID + (8011) serial; other AIs in pairs are ignored. gcp_length (6..12) is the GS1
 * Company Prefix length, which the element string does not carry (see gs1_gcp.h). Check digits
 * are verified. GS1_EINPUT: a wrong check digit, bad length or character, GS1_ENOTFOUND: no
 * primary key with an EPC instance form (e.g. a GTIN without serial: that is a class, not an EPC),
 * GS1_EINVAL: gcp_length out of range or longer than the key allows. */
int gs1_epc_from_gs1(const gs1_epc_ai_t *pairs, size_t n, int gcp_length, gs1_epc_t **out,
                     gs1_err_t *err);

/* Frees e (NULL is fine). */
void gs1_epc_free(gs1_epc_t *e);

/* The pure identity URN, e.g. "urn:epc:id:sgtin:0614141.812345.6789".
 * Never NULL. */
const char *gs1_epc_pure_urn(const gs1_epc_t *e);

/* The tag URN, e.g. "urn:epc:tag:sgtin-96:3.0614141.812345.6789"; NULL for
 * a pure identity (from gs1_epc_parse_pure_urn / gs1_epc_from_gs1). */
const char *gs1_epc_tag_urn(const gs1_epc_t *e);

/* The EPC as uppercase hex, zero-padded to whole 16-bit words (what a tag
 * holds: 24 digits for the 96-bit codings, 52 for sgtin-198); NULL for a
 * pure identity. */
const char *gs1_epc_hex(const gs1_epc_t *e);

/* The scheme name: "sgtin", "sscc", "sgln", "grai", "giai", "gsrn",
 * "gsrnp", "gdti", "sgcn", "itip", "cpi", "gid" or "usdod". Never NULL. */
const char *gs1_epc_scheme(const gs1_epc_t *e);

/* The binary coding name ("sgtin-96", ...) or NULL for a pure identity. */
const char *gs1_epc_coding(const gs1_epc_t *e);

/* The EPC's bit length (96, 198, ...; cpi-var: this EPC's), 0 for a pure
 * identity. */
int gs1_epc_bits(const gs1_epc_t *e);

/* The filter value 0..7 (usdod-96: 0..15), or -1 (pure identity, gid-96). */
int gs1_epc_filter(const gs1_epc_t *e);

/* The GS1 Company Prefix length in digits (6..12), as carried by the EPC;
 * 0 for GID and USDOD, which have no GS1 Company Prefix. */
int gs1_epc_gcp_length(const gs1_epc_t *e);

/* The GS1 Company Prefix digits ("0614141"); "" for GID and USDOD. */
const char *gs1_epc_company_prefix(const gs1_epc_t *e);

/* The GS1 key view: sets *pairs to the element string components in
 * standard order (primary key first, then its key qualifier) and returns
 * their number: 2 for SGTIN (01, 21) and ITIP (8006, 21), 1 or 2 for SGLN
 * (414, plus 254 unless the extension is "0", which TDS reserves for "no
 * extension"), 1 for SSCC (00), GRAI (8003), GIAI (8004), GSRN (8018),
 * GSRNP (8017), GDTI (253), SGCN (255); 2 for CPI (8010, 8011); 0 for GID
 * and USDOD (no GS1 key; *pairs is then NULL). Values are raw characters with computed check
 * digits: (01) is the GTIN-14, (8003) is "0" + 12 digits + check digit + serial, (8006) is GTIN-14
 * + piece + total. */
size_t gs1_epc_gs1(const gs1_epc_t *e, const gs1_epc_ai_t **pairs);

/* The same as a bracketed element string: "(01)80614141123458(21)6789";
 * "" for GID and USDOD. */
const char *gs1_epc_element_string(const gs1_epc_t *e);

#endif
