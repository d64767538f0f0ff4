/* gs1_ai.h -- the GS1 Application Identifier (AI) dictionary, compiled in,
 * and the checks every GS1 parser of keten shares.
 *
 * The table (gs1/gs1__ai_table.h) is generated once from the GS1
 * Barcode Syntax Dictionary by tests/tools/gen_ai_table.py and committed;
 * test_gs1_dl compares it with the dictionary file at run time.  For
 * every AI it knows the value's components (character set, length, linters),
 * whether the AI has a predefined length (no FNC1 separator after it),
 * whether it may be a GS1 Digital Link data attribute, whether it is a
 * Digital Link primary key and which key qualifier sequences it takes, and
 * its req=/ex= pairing rules.
 *
 * Everything here is pure: no I/O, no allocation, no global state.  Lookups
 * are binary searches over a static table.
 */
#ifndef KETEN_GS1_AI_H
#define KETEN_GS1_AI_H

#include <stdbool.h>
#include <stddef.h>

#include "gs1_error.h"

/* Linters (content checks) a component may name.  The generator maps the
 * dictionary's names to these, in this order.  gs1_ai_validate() runs:
 * csum, csumalpha, gcppos1/2 (the 4 digits every GS1 Company Prefix starts
 * with; no allocation table is consulted), the date and time checks, zero,
 * nonzero, nozeroprefix, hasnondigit, yesno, hyphen, winding, pieceoftotal,
 * posinseqslash, importeridx, mediatype, iso5218, latitude, longitude, iban
 * (structure and mod 97), pcenc (well-formed %XX).  The code-list linters
 * (iso3166*, iso4217, packagetype) and the coupon linters are accepted
 * without checking: they need lists keten does not carry. */
enum gs1_ai_lint {
    GS1_LINT_NONE = 0,
    GS1_LINT_CSUM,
    GS1_LINT_CSUMALPHA,
    GS1_LINT_GCPPOS1,
    GS1_LINT_GCPPOS2,
    GS1_LINT_YYMMD0,
    GS1_LINT_YYMMDD,
    GS1_LINT_YYYYMMD0,
    GS1_LINT_YYYYMMDD,
    GS1_LINT_HH,
    GS1_LINT_HHMI,
    GS1_LINT_MI,
    GS1_LINT_SS,
    GS1_LINT_ZERO,
    GS1_LINT_NONZERO,
    GS1_LINT_NOZEROPREFIX,
    GS1_LINT_HASNONDIGIT,
    GS1_LINT_YESNO,
    GS1_LINT_HYPHEN,
    GS1_LINT_WINDING,
    GS1_LINT_PIECEOFTOTAL,
    GS1_LINT_POSINSEQSLASH,
    GS1_LINT_IMPORTERIDX,
    GS1_LINT_MEDIATYPE,
    GS1_LINT_ISO5218,
    GS1_LINT_LATITUDE,
    GS1_LINT_LONGITUDE,
    GS1_LINT_IBAN,
    GS1_LINT_PCENC,
    GS1_LINT_ISO3166,
    GS1_LINT_ISO3166999,
    GS1_LINT_ISO3166ALPHA2,
    GS1_LINT_ISO3166LIST,
    GS1_LINT_ISO4217,
    GS1_LINT_PACKAGETYPE,
    GS1_LINT_COUPONCODE,
    GS1_LINT_COUPONPOSOFFER,
    GS1_LINT_MMOPTSS,
    GS1_LINT_YYMMDDHH,
    GS1_LINT_HHMM,
    GS1_LINT_KEY,
    GS1_LINT_KEYOFF1,
    GS1_LINT_LATLONG,
    GS1_LINT_COUNT
};

/* The name of a linter as the dictionary spells it ("csum"), or NULL. */
const char *gs1_ai_lint_name(int lint);

#define GS1_AI_MAX_COMPS 5  /* components per AI value */
#define GS1_AI_MAX_LINTS 3  /* linters per component */
#define GS1_AI_MAX_VALUE 90 /* longest value of any AI */

/* One component of an AI's value, e.g. "N13,csum" of (253). */
typedef struct {
    char cset;              /* 'N' digits, 'X' set 82, 'Y' set 39, 'Z' base64url */
    unsigned char min, max; /* length bounds ("N..20": 1, 20; "N6": 6, 6) */
    unsigned char optional; /* 1 when written [in brackets]: may be absent at the end */
    unsigned char lint[GS1_AI_MAX_LINTS]; /* enum gs1_ai_lint, 0-terminated */
} gs1_ai_comp_t;

/* gs1_ai_t.flags */
enum {
    GS1_AI_FIXED = 1,   /* '*': predefined length, no FNC1 separator after it */
    GS1_AI_DL_ATTR = 2, /* '?': may be a Digital Link data attribute (query string) */
    GS1_AI_DL_PKEY = 4, /* dlpkey: a Digital Link primary key */
    GS1_AI_UNKNOWN = 8  /* the stand-in for an AI the dictionary lacks (see flags below) */
};

/* One dictionary entry.  All strings are static. */
typedef struct {
    char ai[5];           /* "01", "3103", ... */
    unsigned char flags;  /* GS1_AI_* */
    unsigned char ncomp;  /* components in comp[] */
    unsigned char minlen; /* shortest value (sum of the mandatory components' min) */
    unsigned char maxlen; /* longest value (sum of all max) */
    gs1_ai_comp_t comp[GS1_AI_MAX_COMPS];
    /* Digital Link key qualifier alternatives, as in the dictionary: NULL when
     * not a primary key, "" for a key without qualifiers, "22,10,21|235" =
     * (22) (10) (21) in that order, each optional, or else (235). */
    const char *dlpkey;
    /* Pairing rules as in the dictionary, NULL when none.  req: groups
     * separated by ' ', each group a ','-list of alternatives, each
     * alternative '+'-joined AIs or patterns ("31nn" = any AI 3100..3199):
     * every group must be satisfied.  ex: ','-list (groups joined by ' ') of
     * AIs/patterns that must not appear together with this AI. */
    const char *req;
    const char *ex;
    const char *title; /* "GTIN", "BATCH/LOT", ...; may be NULL */
} gs1_ai_t;

/* Parser options shared by gs1_elem.h and gs1_dl.h (bit flags; 0 is
 * the GS1 syntax engine's default behaviour). */
enum {
    /* Accept AIs the dictionary lacks (2..4 digits, not a prefix of a known
     * AI and not extending one): value X 1..90, FNC1 after it.  Raw
     * (unbracketed) element strings never accept them: their length is
     * unknown. */
    GS1_UNKNOWN_AIS = 1u << 0,
    /* Let such unknown AIs be Digital Link data attributes. */
    GS1_UNKNOWN_ATTRS = 1u << 1,
    /* Skip the req=/ex= pairing checks (a label may carry the rest of the
     * item's data in another barcode). */
    GS1_NO_PAIRS = 1u << 2,
    /* Digital Link: GTIN-8/12/13 (zero-suppressed) as (01) value, padded to 14. */
    GS1_ZERO_SUPPRESSED = 1u << 3,
    /* Digital Link: convenience alphas ("gtin", "lot", "ser", ...) for AIs. */
    GS1_ALPHAS = 1u << 4,
    /* Digital Link: tolerate one '/' at the end of the path. */
    GS1_TRAILING_SLASH = 1u << 5,
    /* What printed labels in the field carry (older toolkits accept them). */
    GS1_LENIENT = GS1_ZERO_SUPPRESSED | GS1_ALPHAS | GS1_TRAILING_SLASH,
    /* The EPCIS event hash's reading (gs1_ident_hash_key): the check digits
     * and check character pairs are not verified, nor the GS1 Company
     * Prefix position, the GRAI's leading zero, the ITIP piece <= total and
     * the CPID serial without leading zero (linters csum, csumalpha,
     * gcppos1/2, zero, pieceoftotal, nozeroprefix), as GS1's reference
     * normaliser does not verify them. */
    GS1_NO_CHECK_DIGITS = 1u << 6,
    /* gs1_ai_validate() only: the caller computed the check digit that ends
     * the value's first component (an EPC URN's key: gs1_ident), so the
     * csum linter of that component is not run again.  Nothing else is
     * skipped. */
    GS1_CHECK_DIGIT_MADE = 1u << 7
};

/* The dictionary release the table was generated from ("2026-01-27"). */
const char *gs1_ai_release(void);

/* Number of entries, and entry i (0 <= i < count; NULL beyond), in AI order. */
size_t gs1_ai_count(void);
const gs1_ai_t *gs1_ai_at(size_t i);

/* The entry of the AI whose digits are ai[0..len), or NULL when the
 * dictionary lacks it.  With GS1_UNKNOWN_AIS in flags, an unknown but
 * admissible AI gives the static stand-in entry (flags GS1_AI_UNKNOWN). */
const gs1_ai_t *gs1_ai_lookup(const char *ai, size_t len, unsigned flags);

/* The known AI that starts s[0..n) (for raw element strings, where the AI is
 * not delimited), or NULL. */
const gs1_ai_t *gs1_ai_prefix(const char *s, size_t n);

/* The AI length implied by its first two digits (2, 3 or 4), or 0. */
int gs1_ai_len_by_prefix(const char *s, size_t n);

/* Whether c is in GS1 AI encodable character set 82 / set 39 / base64url. */
bool gs1_ai_in_set82(int c);
bool gs1_ai_in_set39(int c);
bool gs1_ai_in_set64(int c);

/* GS1 mod-10 check digit (0..9) for the n digits at s (weights 3,1,3... from
 * the right), or -1 if one of them is not a digit. */
int gs1_ai_check_digit(const char *s, size_t n);

/* Whether the n characters at s are all ASCII digits '0'..'9' (true for
 * n == 0). */
bool gs1_ai_all_digits(const char *s, size_t n);

/* Value 0..15 of the hexadecimal digit c ('0'..'9', 'A'..'F', 'a'..'f'), or
 * -1 for any other character (pass bytes as unsigned char). */
int gs1_ai_hex_value(int c);

/* Checks value v[0..n) of AI ai (its digits, for messages; e the entry):
 * length, every component's character set and linters (flags: with
 * GS1_NO_CHECK_DIGITS the linters it names are skipped; other bits are
 * ignored, except GS1_CHECK_DIGIT_MADE).  0, or
 * GS1_EINPUT with a message that names the AI and the position, e.g.
 * "AI (01): check digit is 3, expected 5" or "AI (10): character '~' at
 * position 4 is not in GS1 character set 82". */
int gs1_ai_validate(const char *ai, const gs1_ai_t *e, const char *v, size_t n, unsigned flags,
                    gs1_err_t *err);

/* The key qualifier alternative `alt` (0 or 1) of a primary key entry:
 * writes up to 3 qualifier AIs (NUL-terminated, in order) into q and returns
 * how many, or -1 when the entry has no such alternative. */
int gs1_ai_dl_quals(const gs1_ai_t *pkey, int alt, char q[3][5]);

/* Whether the qualifier AIs quals[0..n) (in that order) are a valid key
 * qualifier sequence for the primary key entry (an in-order subsequence of
 * one alternative); *alt (if not NULL) gets the alternative. */
bool gs1_ai_dl_seq_ok(const gs1_ai_t *pkey, const char (*quals)[5], size_t n, int *alt);

/* One (AI, value) of a parsed message.  value points into storage owned by
 * whoever filled the list (see gs1_ai_list_t). */
typedef struct {
    char ai[5];        /* the AI's digits */
    const gs1_ai_t *e; /* its entry (the unknown stand-in for unknown AIs) */
    const char *value; /* NUL-terminated, len bytes (GS1 sets have no NUL) */
    size_t len;
} gs1_ai_field_t;

#define GS1_AI_MAX_FIELDS 64

/* An ordered list of fields with its own value storage: no allocation.  The
 * parsers clear it first.  A list is about 8 KB. */
typedef struct {
    size_t n;
    gs1_ai_field_t f[GS1_AI_MAX_FIELDS];
    size_t used;
    char buf[GS1_AI_MAX_FIELDS * (GS1_AI_MAX_VALUE + 1)];
} gs1_ai_list_t;

/* Empties l. */
void gs1_ai_list_clear(gs1_ai_list_t *l);

/* Appends (ai, v[0..n)) to l, copying the value.  GS1_ETOOBIG when l is
 * full (64 fields), GS1_EINPUT when n > GS1_AI_MAX_VALUE. */
int gs1_ai_list_add(gs1_ai_list_t *l, const char *ai, const gs1_ai_t *e, const char *v, size_t n,
                    gs1_err_t *err);

/* The first field of l with AI ai, or NULL. */
const gs1_ai_field_t *gs1_ai_list_find(const gs1_ai_list_t *l, const char *ai);

/* Message-level checks over all fields of l: an AI given twice must have the
 * same value; and, unless GS1_NO_PAIRS is in flags, every req= rule
 * is satisfied and no ex= rule is broken.  0 or GS1_EINPUT, e.g.
 * "AI (3922) needs one of (30), (31nn), (32nn), (35nn), (36nn)". */
int gs1_ai_check_fields(const gs1_ai_list_t *l, unsigned flags, gs1_err_t *err);

#endif
