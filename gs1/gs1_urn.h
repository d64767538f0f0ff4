/* gs1_urn.h -- THE reader of EPC pure identity URNs (urn:epc:id:...) and
 * EPC class URNs (urn:epc:class:lgtin:...), and the table of their
 * schemes.  Everything in gs1/ that reads such a URN reads it here:
 * gs1_epc (to the TDS fields and the binary encodings; also the body of a
 * tag URN) and gs1_ident (to the GS1 AI view and the canonical key).
 *
 * What it does: finds the scheme, splits the body into its dot-separated
 * parts and unescapes the parts that may hold escapes.  What it does not:
 * the identity rules (digit counts, company prefix 6..12 digits, serial
 * lengths, check digits).  Those belong to the caller's view of the
 * identifier: gs1_tds_check_identity() for the EPC side, the AI dictionary
 * (gs1_ai_validate) for the AI side.
 *
 * Syntax (TDS 2.x section 6):
 *   urn:epc:id:<scheme>:<part>.<part>...     pure identity
 *   urn:epc:class:lgtin:<cp>.<ref>.<lot>     class (the only class scheme)
 * The prefix is matched case-insensitively, the scheme name must be
 * lowercase.  The URN is printable ASCII without spaces.  The first
 * nparts-1 dots split; the last part keeps any further dot when it is text
 * (serials may hold dots), else that is "too many parts".
 *
 * Part kinds (gs1_urn_scheme_t.kind):
 *   'R'  as written, not unescaped: company prefix, digit references,
 *        ITIP piece / total, every part of gid and usdod.  The caller
 *        checks them (digits, ranges).
 *   'X'  GS1 character set 82 (serials, GIAI / GINC references, SGLN
 *        extension); " % & / < > ? must be written %22 %25 %26 %2F %3C %3E
 *        %3F.
 *   'Y'  GS1 character set 39 (the CPI component/part reference); # and /
 *        written %23 %2F.
 *   'N'  digits (the SGCN and CPI serials).
 * An escape is '%' and two hex digits (either case).  By default (TDS) only
 * a character that must be escaped may be escaped; with
 * GS1_URN_ANY_ESCAPE any character of the part's set may (%41 reads as
 * 'A'), which is what gs1_ident has always accepted.  Either way the
 * unescaped character must be in the part's set.
 *
 * Pure functions: no allocation, no I/O, no global state (thread-safe).
 */
#ifndef KETEN_GS1_URN_H
#define KETEN_GS1_URN_H

#include <stdbool.h>
#include <stddef.h>

#include "gs1_ai.h"
#include "gs1_error.h"

/* The most parts a URN body has (itip: cp.ref.piece.total.serial). */
#define GS1_URN_MAX_PARTS 5
/* The longest part, unescaped (the longest AI value). */
#define GS1_URN_PART_MAX GS1_AI_MAX_VALUE

/* gs1_urn_read flags. */
#define GS1_URN_ANY_ESCAPE 1u /* accept %XX of any character of the part's set */

/* Where a scheme's last part goes in the GS1 key view (gs1_ident). */
enum { GS1_URN_SER_NONE, GS1_URN_SER_QUAL, GS1_URN_SER_IN_KEY };

/* One EPC URN scheme: its parts, and how they map to a GS1 key. */
typedef struct {
    const char *name;             /* "sgtin", "lgtin", ... (the URN spelling) */
    bool is_class;                /* urn:epc:class: rather than urn:epc:id: */
    unsigned char nparts;         /* dot-separated parts of the body */
    char kind[GS1_URN_MAX_PARTS]; /* per part: 'R', 'X', 'Y', 'N' (above) */
    /* The GS1 key view; key_ai NULL for the schemes without GS1 key (gid,
     * usdod). */
    const char *key_ai;   /* "01", "00", "414", ... */
    unsigned char digits; /* digits of the key incl. check digit (after GRAI's '0'); 0: text key */
    unsigned char lead;   /* the key's first digit (indicator, extension) leads the reference */
    unsigned char zero;   /* the key value starts with a '0' the URN does not carry (GRAI) */
    unsigned char piece;  /* ITIP: piece and total (2 digits each) follow the GTIN */
    unsigned char ser;    /* GS1_URN_SER_*: where the last part goes */
    const char *qual_ai;  /* GS1_URN_SER_QUAL: the AI of the last part ("21", "10", "254", ...) */
    char kset;            /* text key (digits == 0): 'X' set 82, 'Y' set 39 */
    char sset;            /* the last part's set: 'X' or 'N'; 0 when none */
} gs1_urn_scheme_t;

/* One URN read: its scheme and its parts, unescaped (NUL-terminated; the
 * 'R' parts as written). */
typedef struct {
    const gs1_urn_scheme_t *scheme;
    size_t len[GS1_URN_MAX_PARTS];
    char part[GS1_URN_MAX_PARTS][GS1_URN_PART_MAX + 1];
} gs1_urn_t;

/* Every scheme, in the order gs1_ident looks a GS1 key up (sgtin before
 * lgtin before upui for (01)); *n gets their number. */
const gs1_urn_scheme_t *gs1_urn_schemes(size_t *n);

/* The scheme named name[0..n) (case-sensitive) of the pure identity
 * (is_class false) or class form, or NULL. */
const gs1_urn_scheme_t *gs1_urn_scheme(const char *name, size_t n, bool is_class);

/* Finds the scheme of urn[0..len) ("urn:epc:id:" or "urn:epc:class:", any
 * case, then a scheme name and ':') without reading the body: *s gets the
 * scheme and *body the offset of the body.  0; GS1_EINPUT for another
 * prefix, no ':' after the scheme, an unknown scheme ("unknown EPC
 * identity scheme 'foo'"); GS1_ENOTFOUND for a pure identity scheme keten
 * knows by name but does not read (adi, bic, imovn). */
int gs1_urn_scheme_of(const char *urn, size_t len, const gs1_urn_scheme_t **s, size_t *body,
                      gs1_err_t *err);

/* Reads the body urn[body..len) as the parts of scheme s into *out: the
 * body of a pure URN (after gs1_urn_scheme_of) or of a tag URN (after
 * "coding:filter.").  The whole urn[0..len) must be printable ASCII
 * without spaces (positions in messages count from urn).  flags: 0 or
 * GS1_URN_ANY_ESCAPE.  0, or GS1_EINPUT naming the part: the wrong number
 * of parts ("urn:epc:id:sgtin: expected 3 parts separated by dots, found
 * 2"), a bad or disallowed escape, a character the part may not hold
 * ("character '/' must not appear here"), a part longer than
 * GS1_URN_PART_MAX.  *out is unspecified on error. */
int gs1_urn_read_body(const gs1_urn_scheme_t *s, const char *urn, size_t len, size_t body,
                      unsigned flags, gs1_urn_t *out, gs1_err_t *err);

/* gs1_urn_scheme_of() then gs1_urn_read_body(): the errors of both. */
int gs1_urn_read(const char *urn, size_t len, unsigned flags, gs1_urn_t *out, gs1_err_t *err);

/* Whether c is written %XX in a part of kind ('X', 'Y'; never for 'N', 'R'). */
bool gs1_urn_must_escape(int c, char kind);

#endif
