/* gs1_dl.h -- GS1 Digital Link URIs: parse them into AI data, build them
 * from AI data, and write the canonical forms keten uses as identifiers.
 *
 * A Digital Link is  http(s)://<any host>[/<any path prefix>]/<primary key
 * AI>/<value>[/<qualifier AI>/<value>...][?<AI>=<value>&...][#fragment]:
 * the path carries a primary key ((01) GTIN, (00) SSCC, (414) GLN, (8003)
 * GRAI, (8004) GIAI, ... : the dictionary's dlpkey AIs) and its key
 * qualifiers in the order the dictionary gives (01 -> 22, 10, 21 or else
 * 235; 414 -> 254 or 7040; 8010 -> 8011; ...); the query string carries data
 * attributes (numeric keys must be known AIs, other keys are ignored).
 * Parsing follows the GS1 syntax engine (gs1-syntax-engine, dl.c), whose
 * conformance vectors test_gs1_dl runs: the primary key is the rightmost
 * path segment pair that names one, every path segment after it is an AI
 * pair, values are percent-decoded ('+' means space in the query only) and
 * checked against the dictionary, and a query AI that would be a valid key
 * qualifier of the path must be in the path instead.
 *
 * Two canonical forms (both with the host https://id.gs1.org, no query, no
 * fragment, GTINs as 14 digits):
 *  - gs1_dl_canonical(): the primary key and all its qualifiers;
 *  - gs1_dl_key(): the "constrained canonical" form of the EPCIS 2.0
 *    event hash (CBV 2.0 / gs1_key.h): for (01) and (8006) only the
 *    finest level is kept -- (21) if present, else (10), else (235) -- and
 *    (22) is dropped; other keys keep their qualifier.  This is keten's
 *    identifier key: a Digital Link with lot and serial, the element string
 *    and the SGTIN EPC of the same item all give the same key, byte for
 *    byte what the event hash uses (gs1_key_hash) for a valid identifier.
 *  In both, values are written with the characters ! " # % & ( ) * + , / :
 *  < > ? percent-encoded (upper-case hex) and all others as they are, as
 *  the event hash's reference normaliser does.
 *
 * No allocation: results go into caller-provided buffers and lists.
 */
#ifndef KETEN_GS1_DL_H
#define KETEN_GS1_DL_H

#include <stdbool.h>
#include <stddef.h>

#include "gs1_error.h"
#include "gs1_ai.h"

#define GS1_DL_CANON_HOST "https://id.gs1.org"

/* Parses the Digital Link uri[0..n).  flags: GS1_* (gs1_ai.h;
 * 0 = the syntax engine's defaults: no convenience alphas, no GTIN-8/12/13,
 * no trailing slash, pairing rules checked).  On success out holds the path
 * AIs first (primary key, then qualifiers, in path order), then the query
 * AIs in query order, and *npath (if not NULL) the number of path AIs.
 * GS1_EINPUT with a message naming the part that is wrong, e.g.
 * "Digital Link: AI (01): check digit is 3, expected 5". */
int gs1_dl_parse(const char *uri, size_t n, unsigned flags, gs1_ai_list_t *out, size_t *npath,
                 gs1_err_t *err);

/* Whether uri[0..n) claims to be a Digital Link: an http(s) URI with a host
 * whose path has a segment naming a primary key AI (with GS1_ALPHAS
 * in flags also "gtin", "sscc", ...) followed by a segment starting with a
 * digit.  Cheap; used to tell a malformed Digital Link (an error) from an
 * ordinary web address. */
bool gs1_dl_looks_like(const char *uri, size_t n, unsigned flags);

/* Which fields of l make the Digital Link path: the first field (in list
 * order) that is a primary key, and for the key qualifier alternative that
 * matches most fields (the first on a tie), the first field of each of its
 * qualifiers, in qualifier order.  Indexes into l->f. */
typedef struct {
    size_t key;
    size_t qual[3];
    size_t nqual;
} gs1_dl_path_t;

/* 0, or GS1_EINPUT when l has no primary key. */
int gs1_dl_select(const gs1_ai_list_t *l, gs1_dl_path_t *path, gs1_err_t *err);

/* Builds the Digital Link of l (as the syntax engine's generator does):
 * stem (NULL = https://id.gs1.org; one trailing '/' is dropped), the path
 * of gs1_dl_select(), then every other AI (once, fixed-length AIs first,
 * else in list order) as a query attribute.  Values are percent-encoded
 * except A-Z a-z 0-9 - . _ ~ (a space in the query becomes '+').  flags:
 * GS1_UNKNOWN_ATTRS lets unknown AIs be attributes.  GS1_EINPUT
 * when l has no primary key or an AI left for the query cannot be a data
 * attribute (e.g. (8200), or (235) next to (01) (22): the path takes one
 * qualifier alternative only), GS1_ETOOBIG when cap is too small. */
int gs1_dl_build(const gs1_ai_list_t *l, const char *stem, unsigned flags, char *out, size_t cap,
                 gs1_err_t *err);

/* https://id.gs1.org/<key AI>/<value>[/<qualifier AI>/<value>...] with all
 * the key qualifiers of gs1_dl_select().  0, GS1_EINPUT (no primary
 * key) or GS1_ETOOBIG. */
int gs1_dl_canonical(const gs1_ai_list_t *l, char *out, size_t cap, gs1_err_t *err);

/* The constrained canonical form (see the top of this file).  Same
 * returns. */
int gs1_dl_key(const gs1_ai_list_t *l, char *out, size_t cap, gs1_err_t *err);

/* Percent-encodes in[0..n) as the syntax engine does (see gs1_dl_build);
 * query selects the query-string rules.  Returns the length written (out is
 * NUL-terminated), or (size_t)-1 when it does not fit in cap. */
size_t gs1_dl_escape(const char *in, size_t n, bool query, char *out, size_t cap);

/* Decodes %XX (either case) in in[0..n); a '%' not followed by two hex
 * digits stays as it is; in the query '+' becomes a space.  Returns the
 * length written (NUL-terminated), or (size_t)-1 when %00 is met or the
 * result does not fit in cap. */
size_t gs1_dl_unescape(const char *in, size_t n, bool query, char *out, size_t cap);

#endif
