/* gs1_ident.h -- THE entry point from "what a reader read" to keten's
 * identifier: every code any reader produces is normalised here, once.
 *
 * Accepted codes (surrounding spaces, tabs, CR and LF are ignored):
 *   GS1 Digital Link URI   https://id.gs1.org/01/05412345000013/21/SN1 (any host,
 *                          any path prefix, query attributes; GTIN-8/12/13,
 *                          convenience alphas and a trailing '/' are accepted
 *                          unless opts->strict)
 *   element string         (01)05412345000013(21)SN1, or raw scanner output with
 *                          a symbology identifier (]C1 ]e0 ]d2 ]Q3 ]J1 ...) and
 *                          GS (0x1D) separators; ]E0 / ]E4 / ]I1 and bare
 *                          8/12/13/14-digit strings are GTINs
 *   EPC pure identity URN  urn:epc:id:sgtin:0614141.812345.6789 (sgtin, sscc, sgln,
 *                          grai, giai, gsrn, gsrnp, gdti, sgcn, ginc, gsin, itip,
 *                          upui, pgln, cpi; gid, usdod, adi, bic, imovn are kept
 *                          as they are: no GS1 key)
 *   EPC class URN          urn:epc:class:lgtin:0614141.812345.LOT42
 *   EPC pattern URN        urn:epc:idpat:sgtin:0614141.812345.* (the class: its key
 *                          is the GTIN's; a coarser pattern is kept as it is)
 *   EPC tag URN            urn:epc:tag:sgtin-96:3.0614141.812345.6789
 *   EPC hex (UHF tag)      3074257BF7194E4000001A85 (24 or more hex digits)
 *   NFC tag UID            nfc-uid:04A2B3C4D5E680
 *   any other URI          https://example.com/x, urn:uuid:... (kept as it is)
 * A symbology identifier that does not mark GS1 data (]Q1, ]d1, ...) is
 * dropped and the rest read as above.
 *
 * The canonical key of a GS1 identifier is the constrained canonical
 * Digital Link (gs1_dl_key(): https://id.gs1.org/01/<GTIN-14>/21/<serial>
 * -- the serial wins over the lot, (22) is dropped): the key the ledger
 * indexes (gs1_ident_key) and `keten decode` prints, so that the same
 * garment read as a Digital Link QR, an element string, an SGTIN-96 tag or
 * an EPC URN is one identifier.  Non-GS1 URIs are their own key; an NFC UID's key
 * is "nfc-uid:<lowercase hex>".
 *
 * The EPC URN of an element string or Digital Link needs the GS1 Company
 * Prefix length, which they do not carry: it comes from the EPC itself
 * (URN, tag URN, hex), else opts->gcp_length, else the GCP length table
 * opts->gcp (gs1_gcp.h).  When none knows it, epc_urn stays NULL and
 * note says so ("GS1 Company Prefix length unknown: ..."); it is never
 * guessed.
 *
 * Thread-safe, no I/O, one allocation per call (freed by
 * gs1_ident_clear).
 */
#ifndef KETEN_GS1_IDENT_H
#define KETEN_GS1_IDENT_H

#include <stdbool.h>
#include <stddef.h>

#include "gs1_error.h"
#include "gs1_ai.h"
#include "gs1_gcp.h"

/* Longest code accepted, in bytes (longer: GS1_EINPUT). */
#define GS1_IDENT_MAX_INPUT 4096

typedef struct {
    const gs1_gcp_t *gcp; /* GS1 Company Prefix length table, or NULL */
    int gcp_length;       /* GS1 Company Prefix length from an option (6..12), 0 = none */
    bool strict;          /* parse Digital Links and element strings exactly as the GS1
                             syntax engine does by default (no GTIN-8/12/13 or convenience
                             alphas in a Digital Link, req=/ex= pairings checked) */
} gs1_ident_opts_t;

typedef struct {
    char ai[5];        /* "01" */
    const char *title; /* the dictionary's title ("GTIN"), or NULL */
    const char *value; /* the raw value ("05412345000013") */
} gs1_ident_field_t;

typedef struct {
    /* What was read and what it was: "dl", "element-string", "gtin" (bare or
     * EAN/UPC/ITF digits), "epc-urn", "epc-class-urn", "epc-idpat-urn" (a
     * class pattern: its key is the class key, e.g. the GTIN; another
     * pattern is kept as written, scheme "idpat"), "epc-tag-urn",
     * "epc-hex", "nfc-uid", "url". */
    const char *input;
    const char *kind;
    /* The identifier's scheme: the EPC scheme names for GS1 keys ("sgtin"
     * (01)+(21), "lgtin" (01)+(10), "upui" (01)+(235), "gtin" (01) alone,
     * "sscc", "sgln" (414), "pgln" (417), "grai", "giai", "gsrn", "gsrnp",
     * "gdti", "sgcn" (255), "ginc", "gsin", "itip" (8006), "cpi" (8010),
     * "gmn" (8013), "gln" (415)), the EPC scheme for non-GS1 EPCs ("gid",
     * ...), "nfc-uid" or "url". */
    const char *scheme;
    const char *key;            /* the canonical key (see above); never NULL on success */
    const char *dl;             /* the GS1 Digital Link of all the data (https://id.gs1.org,
                                   qualifiers in the path, attributes in the query); NULL
                                   when not GS1 */
    const char *element_string; /* bracketed element string; NULL when not GS1 */
    const char *epc_urn;        /* EPC pure identity URN (lgtin: the class URN); NULL when
                                   the identifier has no EPC form or the GCP length is
                                   unknown */
    const char *epc_tag_urn;    /* tag URN: only when the input was a tag URN or hex */
    const char *epc_hex;        /* hex: only when the input was a tag URN or hex */
    int gcp_length;             /* GS1 Company Prefix length, 0 = unknown / none */
    const char *gcp_source;     /* "epc", "option", "table", or NULL */
    const char *note;           /* NULL, or something the user should know */
    size_t nfields;             /* the (AI, value) pairs, in the order read */
    gs1_ident_field_t fields[GS1_AI_MAX_FIELDS];
    char *mem_;     /* private: the storage of all the strings above */
    char *keyout_;  /* private: gs1_ident_key's buffer */
    size_t keycap_; /* private */
} gs1_ident_t;

/* Reads code[0..len) (see the top of this file) into *out (which it
 * overwrites: clear an old one first).  opts may be NULL (no GCP source,
 * lenient).  0, or GS1_EINPUT with a message that names what is wrong
 * ("AI (01): check digit is 4, expected 3", "EPC header 0x2F is not a
 * scheme keten knows", "not a code keten knows: ..."), GS1_ENOMEM.  On
 * error *out is cleared.  The strings live until gs1_ident_clear(out). */
int gs1_ident_parse(const char *code, size_t len, const gs1_ident_opts_t *opts, gs1_ident_t *out,
                    gs1_err_t *err);

/* The canonical key of code[0..len) alone -- byte for byte the key
 * gs1_ident_parse() gives (it is made by the same code), written to
 * key[0..cap) (NUL-terminated), without allocating.  This is the key the
 * ledger's store indexes an identifier by and `keten decode` prints.  0,
 * or the errors and messages of gs1_ident_parse(), GS1_ETOOBIG when cap is
 * too small (GS1_KEY_MAX is always enough), GS1_EINVAL for a NULL key. */
int gs1_ident_key(const char *code, size_t len, const gs1_ident_opts_t *opts, char *key, size_t cap,
                  gs1_err_t *err);

/* Longest key gs1_ident_key() writes, with the NUL. */
#define GS1_KEY_MAX (GS1_IDENT_MAX_INPUT + 1)

/* Whether the identifier names a class of things -- a GTIN, a lot (LGTIN),
 * a model (GMN), a GRAI / GDTI / GCN / ITIP / CPID without its serial --
 * rather than one thing (what goes into an EPCIS quantity list, not an
 * epcList).  id as gs1_ident_parse() filled it. */
bool gs1_ident_is_class(const gs1_ident_t *id);

/* Frees what *id owns and zeroes it.  Idempotent. */
void gs1_ident_clear(gs1_ident_t *id);

/* Converts an EPC pure identity URN (urn:epc:id:...) or class URN
 * (urn:epc:class:lgtin:...) of a GS1 scheme to its AI fields (in out) and
 * its GS1 Company Prefix length (*gcp_length).  0, GS1_EINPUT naming the
 * part that is wrong, or GS1_ENOTFOUND for a scheme without a GS1 key
 * (gid, usdod, adi, bic, imovn). */
int gs1_ident_urn_to_ai(const char *urn, size_t len, gs1_ai_list_t *out, int *gcp_length,
                        gs1_err_t *err);

/* The other way: the EPC URN of the GS1 data in l with a GS1 Company Prefix
 * of gcp_length digits, written to out (NUL-terminated).  0,
 * GS1_ENOTFOUND when the data has no EPC form (e.g. a GTIN without
 * serial or lot, a GMN), GS1_EINPUT when gcp_length does not fit the key
 * (not 6..12, longer than the key allows, non-digits), GS1_ETOOBIG. */
int gs1_ident_ai_to_urn(const gs1_ai_list_t *l, int gcp_length, char *out, size_t cap,
                        gs1_err_t *err);

#endif
